// Test fixtures for triage: dsp::Analysis values built directly (no signal) around a plausible
// normal 12/18-lead median beat, so each test changes only what it is about.
#pragma once

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "gc/dsp.hpp"
#include "gc/triage.hpp"

namespace gc::triage::test {

struct NormalLead {
  const char* name;
  double q, r, s, t;
};

// Amplitudes (µV) of an unremarkable adult ECG: no LVH voltage, narrow QRS, no ST deviation.
inline const std::vector<NormalLead>& normal_leads() {
  static const std::vector<NormalLead> leads = {
      {"I", -50, 700, -100, 250},  {"II", -50, 1000, -150, 300}, {"III", 0, 400, -200, 100},
      {"aVR", 0, 100, -700, -250}, {"aVL", 0, 350, -200, 100},   {"aVF", 0, 700, -150, 200},
      {"V1", 0, 200, -900, 50},    {"V2", 0, 400, -1300, 500},   {"V3", 0, 700, -900, 500},
      {"V4", 0, 1200, -500, 450},  {"V5", -80, 1300, -250, 350}, {"V6", -60, 1000, -100, 250},
      {"V7", 0, 600, -300, 150},   {"V8", 0, 500, -300, 120},    {"V9", 0, 400, -300, 100},
      {"V3R", 0, 200, -600, 100},  {"V4R", 0, 200, -500, 80},    {"V5R", 0, 250, -450, 80},
  };
  return leads;
}

inline dsp::Analysis normal_ecg(bool eighteen_leads = false) {
  dsp::Analysis a;
  a.sample_rate_hz = 500;
  a.global.heart_rate_bpm = 70;
  a.global.qrs_duration_ms = 90;
  a.global.qt_ms = 390;
  a.global.qtc_ms = 420;
  a.global.pr_ms = 160;
  const std::size_t n = eighteen_leads ? 18 : 12;
  for (std::size_t i = 0; i < n; ++i) {
    const auto& l = normal_leads()[i];
    dsp::LeadMeasurement m;
    m.lead = l.name;
    m.q_amplitude_uv = l.q;
    m.r_amplitude_uv = l.r;
    m.s_amplitude_uv = l.s;
    m.q_duration_ms = l.q < 0 ? 20 : 0;
    m.r_duration_ms = 40;
    m.s_duration_ms = l.s < 0 ? 30 : 0;
    m.t_amplitude_uv = l.t;
    m.qrs_net_uv = l.q + l.r + l.s;
    a.lead_names.emplace_back(l.name);
    a.per_lead.push_back(m);
  }
  return a;
}

inline dsp::LeadMeasurement& lead(dsp::Analysis& a, const std::string& name) {
  for (auto& m : a.per_lead) {
    if (m.lead == name) return m;
  }
  throw std::invalid_argument("no lead " + name);
}

// Sets a flat ST deviation (same at J and J+60). A flat segment has no upward concavity: an
// elevated one reads as a straight ST (dsp st_concavity 0), as an injury current's does.
inline void set_st(dsp::Analysis& a, const std::string& name, double st_uv) {
  auto& m = lead(a, name);
  m.st_j_uv = st_uv;
  m.st_j60_uv = st_uv;
  if (st_uv > 0) {
    m.st_concavity = 0.0;
  } else {
    m.st_concavity.reset();
  }
}

// The voltage criteria are met: a STEMI call, or — without ECG evidence of occlusion beyond the
// voltage (issue 12) — an urgent normal-variant read. Tests of the voltage rules assert this;
// tests of the occlusion rules assert the category and tier.
inline bool criteria_met(const Finding& f) {
  return f.stemi ||
         std::find(f.confounders.begin(), f.confounders.end(), "normal_variant") != f.confounders.end();
}

// The ST segment of an elevated lead curving up into a tall T (benign early repolarisation):
// st_concavity is the mean sag below the J → T-peak chord over the rise.
inline void set_concave(dsp::Analysis& a, const std::string& name, double sag = 0.25) {
  lead(a, name).st_concavity = sag;
}

inline void set_st(dsp::Analysis& a, std::initializer_list<const char*> names, double st_uv) {
  for (const char* n : names) set_st(a, n, st_uv);
}

inline void set_qrs(dsp::Analysis& a, const std::string& name, double q, double r, double s) {
  auto& m = lead(a, name);
  m.q_amplitude_uv = q;
  m.r_amplitude_uv = r;
  m.s_amplitude_uv = s;
  m.qrs_net_uv = q + r + s;
}

// QS complexes in V1–V3 with a small ST elevation rising to J+60 (0.04 → 0.08 mV): below the
// voltage criteria, the look of an evolved anterior MI ("compare with a previous ECG").
inline dsp::Analysis anterior_qs_small_ste() {
  auto a = normal_ecg();
  for (const char* l : {"V1", "V2", "V3"}) {
    set_qrs(a, l, -800, 30, 0);
    lead(a, l).st_j_uv = 40;
    lead(a, l).st_j60_uv = 80;
  }
  return a;
}

inline PatientContext patient(Sex sex, std::optional<int> age, bool chest_pain = false) {
  PatientContext p;
  p.sex = sex;
  p.age_years = age;
  p.chest_pain = chest_pain;
  return p;
}

inline bool has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

inline std::vector<std::string> elevated_leads(const Finding& f) {
  std::vector<std::string> out;
  for (const auto& l : f.elevated) out.push_back(l.lead);
  std::sort(out.begin(), out.end());
  return out;
}

inline std::vector<std::string> depressed_leads(const Finding& f) {
  std::vector<std::string> out;
  for (const auto& l : f.depressed) out.push_back(l.lead);
  return out;
}

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace gc::triage::test
