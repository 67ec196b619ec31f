// Known-answer tests for dsp::analyze(): synthetic beat trains with exact fiducials and ST levels,
// a real LUDB record against its annotations, signal-quality flags and input validation.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <functional>
#include <limits>
#include <numbers>
#include <random>

#include "gc/dsp.hpp"
#include "gc/synth.hpp"
#include "gc/wfdb.hpp"

namespace {

using gc::dsp::analyze;
using gc::dsp::SignalBlock;

// Hann pulse with exact support [a, b] (seconds) and peak `amp` — compact support gives exact
// wave limits to test against.
double hann(double t, double a, double b, double amp) {
  if (t <= a || t >= b) return 0.0;
  return amp * 0.5 * (1 - std::cos(2 * std::numbers::pi * (t - a) / (b - a)));
}
// Raised-cosine step from 0 (at a) to 1 (at b).
double rise(double t, double a, double b) {
  if (t <= a) return 0.0;
  if (t >= b) return 1.0;
  return 0.5 - 0.5 * std::cos(std::numbers::pi * (t - a) / (b - a));
}

// Beat geometry relative to R (seconds): QRS from −0.040 to +0.044, T ends at +0.360.
constexpr double kOnset = -0.040, kJ = 0.044, kTEnd = 0.360;

// One lead: P, Q, R, S, an ST plateau of `st_uv` from J (raised-cosine rise over the S wave's
// second half) tapering to 0 at T end, and a T wave.
double beat_value(double t, double scale, double st_uv) {
  double v = hann(t, -0.200, -0.110, 120 * scale);           // P
  v += hann(t, kOnset, -0.010, -150 * scale);                 // Q
  v += hann(t, -0.022, 0.022, 1300 * scale);                  // R
  v += hann(t, 0.010, kJ, -350 * scale);                      // S
  v += hann(t, 0.140, kTEnd, 350 * scale);                    // T
  const double plateau = rise(t, 0.027, kJ) * (1.0 - rise(t, 0.200, kTEnd));
  return v + st_uv * plateau;
}

struct Synth {
  SignalBlock block;
  std::vector<std::int64_t> r;
  std::vector<double> st_uv;
};

Synth synth_record(double fs, double seconds, double hr_bpm, int n_leads) {
  Synth s;
  s.block.sample_rate_hz = fs;
  const char* names[] = {"I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"};
  const auto n = static_cast<std::size_t>(seconds * fs);
  const double rr = 60.0 / hr_bpm;
  for (double t = 0.5; t < seconds - 0.2; t += rr) s.r.push_back(std::llround(t * fs));
  for (int l = 0; l < n_leads; ++l) {
    s.block.lead_names.push_back(names[l % 12]);
    const double scale = (0.6 + 0.08 * l) * (l % 3 == 1 ? -1 : 1);  // varied amplitude, polarity
    const double st = -200.0 + 40.0 * l;                       // −200 … +240 µV
    s.st_uv.push_back(st);
    std::vector<float> x(n, 0.f);
    for (const auto r0 : s.r) {
      const auto a = std::max<std::int64_t>(0, r0 - static_cast<std::int64_t>(0.3 * fs));
      const auto b = std::min<std::int64_t>(static_cast<std::int64_t>(n), r0 + static_cast<std::int64_t>(0.45 * fs));
      for (auto k = a; k < b; ++k) {
        x[static_cast<std::size_t>(k)] += static_cast<float>(beat_value(static_cast<double>(k - r0) / fs, scale, st));
      }
    }
    s.block.samples_uv.push_back(std::move(x));
  }
  return s;
}

bool all_finite(const gc::dsp::Analysis& a) {
  const auto ok = [](double v) { return std::isfinite(v); };
  for (const auto& m : a.per_lead) {
    for (const double v : {m.st_j_uv, m.st_j60_uv, m.st_slope_uv_per_s, m.q_amplitude_uv, m.r_amplitude_uv,
                           m.s_amplitude_uv, m.q_duration_ms, m.r_duration_ms, m.s_duration_ms,
                           m.t_amplitude_uv, m.pr_segment_vs_tp_uv, m.qrs_net_uv}) {
      if (!ok(v)) return false;
    }
  }
  for (const auto& o : {a.global.heart_rate_bpm, a.global.rr_irregularity, a.global.pr_ms,
                        a.global.qrs_duration_ms, a.global.qt_ms, a.global.qtc_ms, a.global.qrs_axis_deg}) {
    if (o && !ok(*o)) return false;
  }
  for (const auto& l : a.median.samples_uv) {
    for (const float v : l) {
      if (!std::isfinite(v)) return false;
    }
  }
  return true;
}

bool has_problem(const gc::dsp::Analysis& a, const std::string& lead, const std::string& kind) {
  return std::any_of(a.quality.problems.begin(), a.quality.problems.end(),
                     [&](const auto& p) { return p.lead == lead && p.kind == kind; });
}

// A WFDB record as analysis takes it: µV samples and canonical lead names.
SignalBlock block_from_wfdb(const std::filesystem::path& hea) {
  const auto rec = gc::wfdb::read_record(hea);
  SignalBlock b;
  b.sample_rate_hz = rec.header.sample_rate_hz;
  b.samples_uv = rec.to_microvolts();
  for (const auto& sig : rec.header.signals) {
    b.lead_names.push_back(gc::dsp::canonical_lead_name(sig.description).value_or(sig.description));
  }
  return b;
}

// A synthetic record as analysis takes it.
SignalBlock block_from_synth(const gc::synth::Synthesized& rec) {
  SignalBlock b;
  b.sample_rate_hz = rec.sample_rate_hz;
  b.lead_names = rec.lead_names;
  b.samples_uv = rec.samples_uv;
  return b;
}

}  // namespace

TEST_CASE("analyze: synthetic 12-lead beat train gives known fiducials and ST levels", "[analyze]") {
  const double fs = 500;
  const auto s = synth_record(fs, 10.0, 72.0, 12);
  const auto a = analyze(s.block);
  REQUIRE(a.quality.ok);
  REQUIRE(all_finite(a));
  REQUIRE(a.beats.size() == s.r.size());
  REQUIRE(a.global.heart_rate_bpm);
  CHECK(*a.global.heart_rate_bpm == Approx(72.0).margin(1.0));

  // Median-beat fiducials (relative to its R) within a few samples of the construction.
  const auto r0 = a.median.r_index_samples;
  REQUIRE(a.median.qrs_onset_samples);
  REQUIRE(a.median.qrs_offset_samples);
  REQUIRE(a.median.t_end_samples);
  CHECK(std::llabs(*a.median.qrs_onset_samples - r0 - std::llround(kOnset * fs)) <= 4);
  CHECK(std::llabs(*a.median.qrs_offset_samples - r0 - std::llround(kJ * fs)) <= 4);
  CHECK(std::llabs(*a.median.t_end_samples - r0 - std::llround(kTEnd * fs)) <= 10);

  // Per-beat fiducials: every beat, mapped to the record.
  for (std::size_t i = 0; i < s.r.size(); ++i) {
    const auto& b = a.beats[i];
    CHECK(std::llabs(b.r_sample - s.r[i]) <= 3);
    REQUIRE(b.qrs_onset_sample);
    REQUIRE(b.qrs_offset_sample);
    CHECK(std::llabs(*b.qrs_onset_sample - (s.r[i] + std::llround(kOnset * fs))) <= 4);
    CHECK(std::llabs(*b.qrs_offset_sample - (s.r[i] + std::llround(kJ * fs))) <= 4);
  }
  // ST at J and J+60 per lead against the constructed plateau.
  for (std::size_t l = 0; l < s.st_uv.size(); ++l) {
    INFO("lead " << a.per_lead[l].lead << " ST " << s.st_uv[l]);
    CHECK(a.per_lead[l].analysable);
    CHECK(a.per_lead[l].st_j60_uv == Approx(s.st_uv[l]).margin(10.0));
    CHECK(a.per_lead[l].st_j_uv == Approx(s.st_uv[l]).margin(10.0 + 0.05 * std::fabs(s.st_uv[l])));
    CHECK(a.per_lead[l].st_late_offset_ms == 60);
  }
  REQUIRE(a.global.qrs_duration_ms);
  CHECK(*a.global.qrs_duration_ms == Approx((kJ - kOnset) * 1000).margin(10.0));
  REQUIRE(a.global.qt_ms);
  CHECK(*a.global.qt_ms == Approx((kTEnd - kOnset) * 1000).margin(20.0));
  CHECK_FALSE(a.global.pacing_spikes);
}

TEST_CASE("analyze: ST survives 0.3 Hz, 1 mV baseline wander", "[analyze]") {
  const double fs = 500;
  auto s = synth_record(fs, 10.0, 60.0, 8);
  for (auto& x : s.block.samples_uv) {
    for (std::size_t k = 0; k < x.size(); ++k) {
      x[k] += static_cast<float>(1000.0 * std::sin(2 * std::numbers::pi * 0.3 * static_cast<double>(k) / fs + 0.7));
    }
  }
  const auto a = analyze(s.block);
  REQUIRE(a.quality.ok);
  for (std::size_t l = 0; l < s.st_uv.size(); ++l) {
    INFO("lead " << a.per_lead[l].lead);
    CHECK(a.per_lead[l].st_j60_uv == Approx(s.st_uv[l]).margin(30.0));
  }
}

TEST_CASE("analyze: premature wide beats are typed out of the median beat", "[analyze]") {
  const double fs = 500;
  auto s = synth_record(fs, 10.0, 60.0, 8);
  // Every third beat gets an ectopic companion 450 ms after it: a wide (120 ms), tall, negative
  // complex with a discordant T — premature and of a different morphology.
  std::vector<std::int64_t> pvc;
  for (std::size_t i = 0; i + 1 < s.r.size(); i += 3) pvc.push_back(s.r[i] + static_cast<std::int64_t>(0.55 * fs));
  for (auto& x : s.block.samples_uv) {
    for (const auto p : pvc) {
      for (std::int64_t k = p - 60; k < p + 200 && k < static_cast<std::int64_t>(x.size()); ++k) {
        const double t = static_cast<double>(k - p) / fs;
        x[static_cast<std::size_t>(k)] += static_cast<float>(hann(t, -0.06, 0.06, -1500) + hann(t, 0.10, 0.38, 400));
      }
    }
  }
  const auto a = analyze(s.block);
  REQUIRE(a.quality.ok);
  int dominant_pvcs = 0, dominant = 0;
  for (const auto& b : a.beats) {
    const bool is_pvc = std::any_of(pvc.begin(), pvc.end(), [&](auto p) { return std::llabs(b.r_sample - p) < 40; });
    if (b.dominant) {
      ++dominant;
      if (is_pvc) ++dominant_pvcs;
    }
  }
  CHECK(dominant_pvcs == 0);
  CHECK(dominant >= static_cast<int>(s.r.size()) - 2);
  for (std::size_t l = 0; l < s.st_uv.size(); ++l) {
    INFO("lead " << a.per_lead[l].lead);
    CHECK(a.per_lead[l].st_j60_uv == Approx(s.st_uv[l]).margin(15.0));
  }
}

TEST_CASE("analyze: a paced QRS starts after the pacemaker stimulus", "[analyze]") {
  // Ventricular pacing from the synthetic generator: a ~2 mV stimulus 2 ms before a wide QRS.
  // The stimulus artefact is not myocardial activity: the QRS onset is placed after it (as
  // cardiologists mark it), every dominant beat's too, and the record is flagged as paced.
  gc::synth::Spec spec;
  spec.paced = true;
  spec.duration_s = 10;
  spec.sample_rate_hz = 500;
  spec.seed = 5;
  const auto rec = gc::synth::generate(spec);
  SignalBlock b;
  b.sample_rate_hz = rec.sample_rate_hz;
  b.lead_names = rec.lead_names;
  b.samples_uv = rec.samples_uv;
  const auto a = analyze(b);
  REQUIRE(a.quality.ok);
  CHECK(a.global.pacing_spikes);
  REQUIRE(a.global.qrs_duration_ms);
  CHECK(*a.global.qrs_duration_ms >= 120);
  int checked = 0;
  for (std::size_t i = 0; i < rec.r_samples.size(); ++i) {
    const auto it = std::find_if(a.beats.begin(), a.beats.end(), [&](const auto& x) {
      return std::llabs(x.r_sample - rec.r_samples[i]) <= 50;
    });
    if (it == a.beats.end() || !it->dominant || !it->qrs_onset_sample) continue;
    INFO("beat " << i << ": onset " << *it->qrs_onset_sample - rec.qrs_onset_samples[i] << " samples from the truth");
    // The stimulus sits 1 sample before the true onset; its artefact spans ±6 ms.
    CHECK(*it->qrs_onset_sample >= rec.qrs_onset_samples[i]);
    CHECK(*it->qrs_onset_sample <= rec.qrs_onset_samples[i] + 5);
    ++checked;
  }
  CHECK(checked >= 8);
}

// A stimulus is the pacemaker's field and reaches every lead at the same instant; a spike that
// passes the sharpness tests in one lead only is that lead's (a sharp R apex at 250–300 Hz, or
// behind a 225 Hz low-pass, in PTB-XL 00029 and LUDB 75: see kMinStimulusLeads). The paced
// record above, with its stimuli taken out of every lead but one, is not read as paced; taken
// out of all but two, it is.
TEST_CASE("analyze: a spike in one lead only is not a pacemaker stimulus", "[analyze][pacing]") {
  gc::synth::Spec spec;
  spec.paced = true;
  spec.duration_s = 10;
  spec.sample_rate_hz = 500;
  spec.seed = 5;
  const auto rec = gc::synth::generate(spec);
  REQUIRE_FALSE(rec.pace_spike_samples.empty());
  const auto keep_stimulus_in = [&](std::size_t n_leads) {
    SignalBlock b;
    b.sample_rate_hz = rec.sample_rate_hz;
    b.lead_names = rec.lead_names;
    b.samples_uv = rec.samples_uv;
    // In the other leads each stimulus (±6 ms) is bridged by a straight line: what a lead that
    // does not see the pacemaker's field records under the same QRS.
    for (std::size_t l = n_leads; l < b.samples_uv.size(); ++l) {
      auto& x = b.samples_uv[l];
      for (const auto k : rec.pace_spike_samples) {
        const std::int64_t a = k - 4, e = k + 4;
        if (a < 0 || e >= static_cast<std::int64_t>(x.size())) continue;
        for (std::int64_t i = a + 1; i < e; ++i) {
          x[static_cast<std::size_t>(i)] =
              x[static_cast<std::size_t>(a)] +
              (x[static_cast<std::size_t>(e)] - x[static_cast<std::size_t>(a)]) *
                  static_cast<float>(i - a) / static_cast<float>(e - a);
        }
      }
    }
    return analyze(b);
  };
  INFO("leads " << rec.lead_names[0] << ", " << rec.lead_names[1]);
  CHECK_FALSE(keep_stimulus_in(1).global.pacing_spikes);
  CHECK(keep_stimulus_in(2).global.pacing_spikes);
  CHECK(keep_stimulus_in(rec.samples_uv.size()).global.pacing_spikes);
}

TEST_CASE("analyze: fast rate measures ST at J+40 ms", "[analyze]") {
  const auto s = synth_record(500, 10.0, 130.0, 8);
  const auto a = analyze(s.block);
  REQUIRE(a.global.heart_rate_bpm);
  CHECK(*a.global.heart_rate_bpm > 120);
  for (const auto& m : a.per_lead) CHECK(m.st_late_offset_ms == 40);
}

namespace {

// A 10 s, 60 bpm, 250 Hz record (QTDB's layout) of the named leads, every beat drawn by
// `beat(lead index, seconds from R)` in µV over R − 0.3 s … R + 0.6 s.
SignalBlock record_of_beats(std::vector<std::string> lead_names,
                            const std::function<double(int, double)>& beat) {
  const double fs = 250, hr_bpm = 60, seconds = 10;
  SignalBlock b;
  b.sample_rate_hz = fs;
  b.lead_names = std::move(lead_names);
  const auto n = static_cast<std::size_t>(seconds * fs);
  std::vector<std::int64_t> rs;
  for (double t = 0.5; t < seconds - 0.5; t += 60.0 / hr_bpm) rs.push_back(std::llround(t * fs));
  for (int l = 0; l < static_cast<int>(b.lead_names.size()); ++l) {
    std::vector<float> x(n, 0.f);
    for (const auto r0 : rs) {
      for (auto k = r0 - static_cast<std::int64_t>(0.3 * fs);
           k < r0 + static_cast<std::int64_t>(0.6 * fs); ++k) {
        x[static_cast<std::size_t>(k)] +=
            static_cast<float>(beat(l, static_cast<double>(k - r0) / fs));
      }
    }
    b.samples_uv.push_back(std::move(x));
  }
  return b;
}

// A median-beat fiducial in ms after its R.
double ms_after_r(const gc::dsp::Analysis& a, std::int64_t sample) {
  return static_cast<double>(sample - a.median.r_index_samples) * 1000.0 / a.sample_rate_hz;
}

}  // namespace

// The T end rule "an extremum at the start of the T search is the ST sloping out of the QRS, not
// a T peak" (delineate_fiducials.cpp): a 2-lead record at 250 Hz (QTDB's layout) whose lead II has
// 0.3 mV of ST depression at J recovering to baseline by 200 ms and no T wave, while V5 has a
// 0.12 mV T wave ending at 360 ms. Read as a T, the depression would outweigh V5's T (only T waves
// ≥ half the largest vote) and end the "T" where it recovers, 160 ms early.
TEST_CASE("analyze: ST depression recovering after J is not read as the T wave",
          "[analyze][t_end]") {
  const auto b = record_of_beats({"II", "V5"}, [](int l, double t) {
    const double scale = l == 0 ? 1.0 : 0.6;
    double v = hann(t, -0.200, -0.110, 100 * scale) + hann(t, kOnset, -0.010, -150 * scale) +
               hann(t, -0.022, 0.022, 1300 * scale) + hann(t, 0.010, kJ, -350 * scale);
    if (l == 0) {
      v += -300.0 * rise(t, 0.027, kJ) * (1.0 - rise(t, kJ, 0.200));  // ST depression, no T
    } else {
      v += hann(t, 0.140, kTEnd, 120);  // a low T wave
    }
    return v;
  });
  const auto a = analyze(b);
  REQUIRE(a.median.t_end_samples);
  CHECK(ms_after_r(a, *a.median.t_end_samples) == Approx(kTEnd * 1000).margin(24.0));
  REQUIRE(a.global.qt_ms);
  CHECK(*a.global.qt_ms == Approx((kTEnd - kOnset) * 1000).margin(24.0));
}

// A T wave still returning to baseline where the T-end search stops (delineate_fiducials.cpp:
// t_end_limit): the trapezium's "end" is the search bound, not a measurement, so no QT is reported
// and the quality says why. 60 bpm, 250 Hz; a T wave from 250 to 700 ms after R (a QT of
// ~740 ms, QTc 740 ms) is still falling at the search's QTc 620 ms; the same record with a T
// ending at 360 ms is measured.
TEST_CASE("analyze: a T wave still returning at the search limit is not measured",
          "[analyze][t_end]") {
  const auto record = [](double t_from, double t_to) {
    return record_of_beats({"II", "V5"}, [=](int l, double t) {
      const double scale = l == 0 ? 1.0 : 0.6;
      return hann(t, -0.200, -0.110, 100 * scale) + hann(t, kOnset, -0.010, -150 * scale) +
             hann(t, -0.022, 0.022, 1300 * scale) + hann(t, 0.010, kJ, -350 * scale) +
             hann(t, t_from, t_to, 300 * scale);
    });
  };
  const auto measured = analyze(record(0.140, kTEnd));
  CHECK_FALSE(has_problem(measured, "", "t_end_uncertain"));
  REQUIRE(measured.global.qt_ms);
  CHECK(*measured.global.qt_ms == Approx((kTEnd - kOnset) * 1000).margin(24.0));

  const auto unended = analyze(record(0.250, 0.700));
  CHECK(has_problem(unended, "", "t_end_uncertain"));
  CHECK_FALSE(unended.global.qt_ms);
  CHECK_FALSE(unended.global.qtc_ms);
  CHECK_FALSE(unended.median.t_end_samples);
  const auto it = std::find_if(unended.quality.problems.begin(), unended.quality.problems.end(),
                               [](const auto& p) { return p.kind == "t_end_uncertain"; });
  REQUIRE(it != unended.quality.problems.end());
  CHECK(it->detail.find("still returning to baseline") != std::string::npos);
  // ST does not depend on the T end: the read goes on.
  CHECK(unended.quality.ok);
}

// Right bundle-branch block: V1's terminal R′ rises after a pause in which every lead is quiet,
// less steeply than the spatial re-arm threshold, and runs on past the per-lead extension. It is
// QRS: the J point is where the R′ ends (QTDB sel232 was read as a 76 ms QRS with a Brugada ST).
TEST_CASE("analyze: a terminal R' keeps the QRS open until it ends", "[analyze][j_point]") {
  constexpr double kRPrimeEnd = 0.124;
  const auto b = record_of_beats({"II", "V1"}, [](int l, double t) {
    double v = hann(t, -0.200, -0.110, 100);  // P
    if (l == 0) {
      v += hann(t, kOnset, -0.010, -150) + hann(t, -0.022, 0.022, 1300) +
           hann(t, 0.010, 0.040, -350) + hann(t, 0.140, kTEnd, 300);
    } else {
      v += hann(t, -0.010, 0.030, -500) + hann(t, 0.060, kRPrimeEnd, 500) +  // S, then R′
           hann(t, 0.160, kTEnd, -150);
    }
    return v;
  });
  const auto a = analyze(b);
  REQUIRE(a.median.qrs_offset_samples);
  CHECK(ms_after_r(a, *a.median.qrs_offset_samples) == Approx(kRPrimeEnd * 1000).margin(20.0));
  REQUIRE(a.global.qrs_duration_ms);
  CHECK(*a.global.qrs_duration_ms >= 140);
}

TEST_CASE("analyze: quality flags flat and saturated leads", "[analyze][quality]") {
  auto s = synth_record(500, 10.0, 70.0, 12);
  std::fill(s.block.samples_uv[7].begin(), s.block.samples_uv[7].end(), 0.f);  // V2 off
  for (auto& v : s.block.samples_uv[9]) v = std::clamp(v, -120.f, 120.f);      // V4 clipped
  const auto a = analyze(s.block);
  CHECK(has_problem(a, "V2", "flat"));
  CHECK_FALSE(a.per_lead[7].analysable);
  CHECK(has_problem(a, "V4", "saturation"));
  CHECK_FALSE(a.per_lead[9].analysable);
  CHECK(a.quality.ok);  // two bad leads of twelve: still readable, those leads excluded
  CHECK(all_finite(a));
  CHECK_FALSE(has_problem(a, "I", "flat"));
}

TEST_CASE("analyze: two neighbouring chest leads off make the record not ok", "[analyze][quality]") {
  auto s = synth_record(500, 10.0, 70.0, 12);
  std::fill(s.block.samples_uv[7].begin(), s.block.samples_uv[7].end(), 0.f);  // V2
  std::fill(s.block.samples_uv[8].begin(), s.block.samples_uv[8].end(), 0.f);  // V3
  const auto a = analyze(s.block);
  CHECK_FALSE(a.quality.ok);
  CHECK(has_problem(a, "", "key_leads_unusable"));
  CHECK(all_finite(a));
}

TEST_CASE("analyze: unusable records are not ok and never produce NaN", "[analyze][quality]") {
  SECTION("all zero") {
    SignalBlock b;
    b.sample_rate_hz = 500;
    for (const char* n : {"I", "II", "V1", "V2"}) {
      b.lead_names.push_back(n);
      b.samples_uv.emplace_back(5000, 0.f);
    }
    const auto a = analyze(b);
    CHECK_FALSE(a.quality.ok);
    CHECK(has_problem(a, "I", "flat"));
    CHECK(all_finite(a));
  }
  SECTION("one second") {
    auto s = synth_record(500, 1.0, 70.0, 12);
    const auto a = analyze(s.block);
    CHECK_FALSE(a.quality.ok);
    CHECK(has_problem(a, "", "too_short"));
    CHECK(all_finite(a));
  }
  SECTION("non-finite samples") {
    auto s = synth_record(500, 10.0, 70.0, 12);
    s.block.samples_uv[2][1000] = std::numeric_limits<float>::quiet_NaN();
    s.block.samples_uv[2][1001] = std::numeric_limits<float>::infinity();
    const auto a = analyze(s.block);
    CHECK(has_problem(a, "III", "invalid_samples"));
    CHECK(all_finite(a));
    CHECK(a.quality.ok);
  }
  SECTION("saturated record") {
    auto s = synth_record(500, 10.0, 70.0, 12);
    for (auto& x : s.block.samples_uv) {
      for (auto& v : x) v = v > 0 ? 5000.f : -5000.f;
    }
    const auto a = analyze(s.block);
    CHECK_FALSE(a.quality.ok);
    CHECK(all_finite(a));
  }
  SECTION("random noise only") {
    std::mt19937 rng(7);
    std::normal_distribution<float> g(0.f, 300.f);
    SignalBlock b;
    b.sample_rate_hz = 360;
    for (const char* n : {"MLII", "V5"}) {
      b.lead_names.push_back(n);
      std::vector<float> x(3600);
      for (auto& v : x) v = g(rng);
      b.samples_uv.push_back(std::move(x));
    }
    const auto a = analyze(b);
    CHECK(all_finite(a));
  }
}

TEST_CASE("analyze: a 24-hour 2-lead Holter record", "[analyze][long]") {
  // A day of 250 Hz two-lead recording (21.6 million samples per lead) with a burst of invalid
  // samples: analysed in one call, every beat found, nothing non-finite, a usable median beat.
  const double fs = 250;
  auto s = synth_record(fs, 24.0 * 3600.0, 70.0, 2);
  REQUIRE(s.block.samples_uv[0].size() == static_cast<std::size_t>(24 * 3600 * 250));
  for (std::size_t k = 5'000'000; k < 5'000'100; ++k) s.block.samples_uv[1][k] = std::numeric_limits<float>::quiet_NaN();
  const auto a = analyze(s.block);
  CHECK(a.quality.ok);
  CHECK(all_finite(a));
  CHECK(has_problem(a, s.block.lead_names[1], "invalid_samples"));
  // Beats: the 100 invalid samples may cost at most the one beat they cover.
  CHECK(a.beats.size() + 1 >= s.r.size());
  CHECK(a.beats.size() <= s.r.size());
  REQUIRE(a.global.heart_rate_bpm);
  CHECK(*a.global.heart_rate_bpm == Approx(70.0).margin(0.5));
  REQUIRE(a.median.qrs_onset_samples);
  REQUIRE(a.median.qrs_offset_samples);
  CHECK(std::llabs(*a.median.qrs_onset_samples - a.median.r_index_samples - std::llround(kOnset * fs)) <= 3);
  for (std::size_t l = 0; l < s.st_uv.size(); ++l) {
    INFO("lead " << l);
    CHECK(a.per_lead[l].st_j60_uv == Approx(s.st_uv[l]).margin(15.0));
  }
}

TEST_CASE("analyze: structurally invalid input throws", "[analyze]") {
  auto s = synth_record(500, 3.0, 70.0, 2);
  auto ragged = s.block;
  ragged.samples_uv[1].pop_back();
  CHECK_THROWS_AS(analyze(ragged), std::invalid_argument);
  // Sample rates outside (0, 100 kHz] — zero, negative, NaN, infinite, or a corrupt header's
  // 3e38 — are refused by every entry point, not turned into overflowing sample counts.
  for (const double fs : {0.0, -500.0, std::numeric_limits<double>::quiet_NaN(),
                          std::numeric_limits<double>::infinity(), 100'000.5, 3e38}) {
    INFO("fs " << fs);
    auto bad_fs = s.block;
    bad_fs.sample_rate_hz = fs;
    CHECK_THROWS_AS(analyze(bad_fs), std::invalid_argument);
    CHECK_THROWS_AS(gc::dsp::filter_diagnostic(s.block.samples_uv[0], fs, std::nullopt), std::invalid_argument);
    CHECK_THROWS_AS(gc::dsp::detect_mains_hz(s.block.samples_uv[0], fs), std::invalid_argument);
    CHECK_THROWS_AS(gc::dsp::detect_qrs(s.block.samples_uv, fs), std::invalid_argument);
  }
  auto top = s.block;
  top.sample_rate_hz = gc::dsp::kMaxSampleRateHz;  // the largest accepted: odd, but no throw
  CHECK_NOTHROW(analyze(top));
  auto names = s.block;
  names.lead_names.pop_back();
  CHECK_THROWS_AS(analyze(names), std::invalid_argument);
}

TEST_CASE("analyze: LUDB record 1 fiducials near the cardiologist's annotations", "[analyze][ludb]") {
  const std::filesystem::path dir = std::filesystem::path(GC_ECG_DATA_DIR) / "ludb" / "data";
  if (!std::filesystem::exists(dir / "1.hea")) {
    WARN("LUDB not available at " << dir.string());
    return;
  }
  const auto b = block_from_wfdb(dir / "1.hea");
  const auto a = analyze(b);
  REQUIRE(a.quality.ok);
  CHECK(all_finite(a));
  // Lead II annotations: '(' N ')' triplets; compare each annotated QRS with the matched beat.
  const auto ann = gc::wfdb::read_annotations(dir / "1.ii");
  int matched = 0;
  for (std::size_t i = 1; i + 1 < ann.size(); ++i) {
    if (ann[i].symbol != 'N' || ann[i - 1].symbol != '(' || ann[i + 1].symbol != ')') continue;
    const auto it = std::min_element(a.beats.begin(), a.beats.end(), [&](const auto& x, const auto& y) {
      return std::llabs(x.r_sample - ann[i].sample) < std::llabs(y.r_sample - ann[i].sample);
    });
    REQUIRE(it != a.beats.end());
    REQUIRE(std::llabs(it->r_sample - ann[i].sample) < 75);
    REQUIRE(it->qrs_onset_sample);
    REQUIRE(it->qrs_offset_sample);
    // Within 30 ms of the single-lead annotation (the global onset may precede lead II's).
    CHECK(std::llabs(*it->qrs_onset_sample - ann[i - 1].sample) <= 15);
    CHECK(std::llabs(*it->qrs_offset_sample - ann[i + 1].sample) <= 15);
    ++matched;
  }
  CHECK(matched >= 5);
}

// Issue 12: at 100 Hz a narrow R wave is 2–4 samples wide and the stimulus detector read it as a
// pacing spike (Brugada-HUCA 1177018 read as ventricular pacing with a "50 ms" QRS, and a STEMI
// on such an ECG would have been routed as routine). Below kMinPacingDetectRateHz stimuli are not
// looked for and the analysis says so.
TEST_CASE("analyze: no pacing spikes read into a 100 Hz record", "[analyze][pacing][brugada]") {
  const std::filesystem::path dir = std::filesystem::path(GC_ECG_DATA_DIR) / "brugada-huca";
  if (!std::filesystem::exists(dir / "1177018.hea")) {
    WARN("Brugada-HUCA not available at " << dir.string());
    return;
  }
  const auto b = block_from_wfdb(dir / "1177018.hea");
  REQUIRE(b.sample_rate_hz == Approx(100));
  const auto a = analyze(b);
  CHECK_FALSE(a.global.pacing_assessable);
  CHECK_FALSE(a.global.pacing_spikes);
  REQUIRE(a.global.qrs_duration_ms);
  CHECK(*a.global.qrs_duration_ms >= 70);  // a real QRS, not the stimulus-fooled 50 ms
}

// Issue 12: a recording that stopped early (every lead flat to the end, as Brugada-HUCA 1230482's
// last 3.5 s) is analysed over what was recorded and says so, instead of reading every lead as
// "lead off" and the whole ECG as unreadable. The samples are not changed.
TEST_CASE("analyze: a recording that stopped early is analysed over what was recorded",
          "[analyze][quality]") {
  gc::synth::Spec spec;
  spec.duration_s = 12;
  spec.sample_rate_hz = 500;
  spec.seed = 9;
  const auto rec = gc::synth::generate(spec);
  auto b = block_from_synth(rec);
  const std::size_t stop = 9 * 500;
  for (auto& x : b.samples_uv) {
    const float last = x[stop - 1];
    std::fill(x.begin() + static_cast<std::ptrdiff_t>(stop), x.end(), last);
  }
  const auto a = analyze(b);
  CHECK(a.quality.ok);
  bool said = false;
  for (const auto& p : a.quality.problems) {
    CHECK(p.kind != "lead_off");
    if (p.kind == "recording_stopped") said = true;
  }
  CHECK(said);
  REQUIRE_FALSE(a.beats.empty());
  CHECK(a.beats.back().r_sample < static_cast<std::int64_t>(stop));
  // One lead going flat on its own is still that lead's problem.
  auto c = b;
  c.samples_uv = rec.samples_uv;
  std::fill(c.samples_uv[7].begin() + 3000, c.samples_uv[7].end(), 0.f);
  const auto a2 = analyze(c);
  bool v2_off = false;
  for (const auto& p : a2.quality.problems) v2_off = v2_off || (p.lead == c.lead_names[7] && p.kind != "recording_stopped");
  CHECK(v2_off);
}

// Found by fuzz_dsp (CI): a non-finite sample in the last samples after a flat padded tail was cut
// off with the tail and went unreported.
TEST_CASE("analyze: non-finite samples after a stopped recording are still reported",
          "[analyze][quality][fuzz]") {
  gc::synth::Spec spec;
  spec.duration_s = 12;
  spec.sample_rate_hz = 500;
  spec.seed = 9;
  const auto rec = gc::synth::generate(spec);
  auto b = block_from_synth(rec);
  const std::size_t stop = 9 * 500;
  for (auto& x : b.samples_uv) std::fill(x.begin() + static_cast<std::ptrdiff_t>(stop), x.end(), x[stop - 1]);
  b.samples_uv[2][b.samples_uv[2].size() - 3] = std::numeric_limits<float>::quiet_NaN();
  const auto a = analyze(b);
  bool stopped = false, invalid = false;
  for (const auto& p : a.quality.problems) {
    stopped = stopped || p.kind == "recording_stopped";
    invalid = invalid || (p.kind == "invalid_samples" && p.lead == b.lead_names[2]);
  }
  CHECK(stopped);
  CHECK(invalid);
}

// Issue 12 item 4: the J point and T end are found again on independent views (odd/even beats,
// limb/chest leads). A clean record's views agree; a record whose views disagree by more than a
// gross error says so; a J point the beats disagree on stops the read (ST is not measured at a
// guessed place).
TEST_CASE("analyze: fiducial agreement — clean synthetic record", "[analyze][quality][fiducials]") {
  gc::synth::Spec spec;
  spec.duration_s = 10;
  spec.sample_rate_hz = 500;
  spec.seed = 4;
  const auto a = analyze(block_from_synth(gc::synth::generate(spec)));
  REQUIRE(a.quality.ok);
  REQUIRE(a.median.j_beat_spread_ms);
  REQUIRE(a.median.j_lead_spread_ms);
  REQUIRE(a.median.t_end_lead_spread_ms);
  CHECK(*a.median.j_beat_spread_ms <= 10);
  CHECK(*a.median.j_lead_spread_ms <= 20);
  CHECK(*a.median.t_end_lead_spread_ms <= 40);
  for (const auto& p : a.quality.problems) {
    CHECK((p.kind != "j_point_uncertain" && p.kind != "j_point_leads_disagree" && p.kind != "t_end_uncertain"));
  }
  CHECK(a.global.qt_ms);
}

TEST_CASE("analyze: fiducial agreement — a J point the beats disagree on stops the read",
          "[analyze][quality][fiducials]") {
  gc::synth::Spec spec;
  spec.duration_s = 10;
  spec.sample_rate_hz = 500;
  spec.seed = 4;
  auto b = block_from_synth(gc::synth::generate(spec));
  const auto clean = analyze(b);
  // Every other beat gets a 50 ms terminal deflection after its J point, in every lead: the odd
  // and the even beats end their QRS 50 ms apart.
  for (std::size_t i = 1; i < clean.beats.size(); i += 2) {
    const auto& beat = clean.beats[i];
    if (!beat.qrs_offset_sample) continue;
    for (auto& x : b.samples_uv) {
      for (int k = 0; k < 25; ++k) {
        const auto s = static_cast<std::size_t>(*beat.qrs_offset_sample + k);
        if (s < x.size()) x[s] += static_cast<float>(400.0 * std::sin(std::numbers::pi * k / 25.0));
      }
    }
  }
  const auto a = analyze(b);
  INFO("beats used " << a.median.n_beats_used);
  REQUIRE(a.median.j_beat_spread_ms);
  CHECK(*a.median.j_beat_spread_ms > 40);
  bool said = false;
  for (const auto& p : a.quality.problems) said = said || p.kind == "j_point_uncertain";
  CHECK(said);
  CHECK_FALSE(a.quality.ok);
}

TEST_CASE("analyze: fiducial agreement — real records whose views disagree", "[analyze][quality][fiducials]") {
  const std::filesystem::path data(GC_ECG_DATA_DIR);
  const auto has_problem = [](const gc::dsp::Analysis& a, const std::string& kind) {
    return std::any_of(a.quality.problems.begin(), a.quality.problems.end(),
                       [&](const gc::dsp::QualityProblem& p) { return p.kind == kind; });
  };
  // PTB-XL 00195: the limb and the chest leads alone place the J point 52 ms apart on a narrow
  // QRS.
  const auto ptbxl_195 = data / "ptbxl" / "records500" / "00000" / "00195_hr.hea";
  if (std::filesystem::exists(ptbxl_195)) {
    const auto a = analyze(block_from_wfdb(ptbxl_195));
    REQUIRE(a.median.j_lead_spread_ms);
    CHECK(*a.median.j_lead_spread_ms > 40);
    CHECK(has_problem(a, "j_point_leads_disagree"));
    // Reported, but lead groups may disagree under an injury current: the read goes on.
    CHECK(a.quality.ok);
  } else {
    WARN("PTB-XL not available under " << data.string());
  }
  // QTDB sel232 (right bundle-branch block) was this test's disagreeing record until V1's terminal
  // R′ kept the QRS open: lead 1 alone had ended the QRS 72 ms before V1 alone, at the top of the
  // R′. Now the QRS is as wide as the block makes it, and there is no narrow QRS to disagree on.
  if (std::filesystem::exists(data / "qtdb" / "sel232.hea")) {
    const auto a = analyze(block_from_wfdb(data / "qtdb" / "sel232.hea"));
    REQUIRE(a.global.qrs_duration_ms);
    CHECK(*a.global.qrs_duration_ms >= 120);
    CHECK_FALSE(has_problem(a, "j_point_leads_disagree"));
    CHECK_FALSE(has_problem(a, "j_point_uncertain"));
  } else {
    WARN("QTDB not available under " << data.string());
  }
  // QTDB sel38: a broad T wave with a late shoulder still descending at QTc 620 ms, where the
  // T-end search stops; measured to that bound it read QTc 622 ms, 104 ms after the
  // cardiologist's T end on average and > 80 ms off on 29 of its 30 beats. Now it is not measured.
  if (std::filesystem::exists(data / "qtdb" / "sel38.hea")) {
    const auto a = analyze(block_from_wfdb(data / "qtdb" / "sel38.hea"));
    CHECK(has_problem(a, "t_end_uncertain"));
    CHECK_FALSE(a.global.qtc_ms);
    CHECK_FALSE(a.median.t_end_samples);
    CHECK(a.quality.ok);
  } else {
    WARN("QTDB not available under " << data.string());
  }
  // LUDB 109: T end > 80 ms off in 79 % of its beats; the limb and chest leads end T 148 ms
  // apart. QT is not reported, the read goes on (ST does not depend on T end).
  if (std::filesystem::exists(data / "ludb" / "data" / "109.hea")) {
    const auto a = analyze(block_from_wfdb(data / "ludb" / "data" / "109.hea"));
    CHECK(has_problem(a, "t_end_uncertain"));
    CHECK_FALSE(has_problem(a, "j_point_uncertain"));
    CHECK_FALSE(a.global.qt_ms);
    CHECK_FALSE(a.global.qtc_ms);
    // The doubted T end is reported nowhere: not on the median beat, not on the beats whose
    // T end came from it; the J points stay.
    CHECK_FALSE(a.median.t_end_samples);
    REQUIRE(a.median.qrs_offset_samples);
    int dominant = 0;
    for (const auto& b : a.beats) {
      if (!b.dominant) continue;
      ++dominant;
      CHECK_FALSE(b.t_end_sample);
      CHECK(b.qrs_offset_sample);
    }
    CHECK(dominant > 0);
  } else {
    WARN("LUDB not available under " << data.string());
  }
}

// Issue 12: the ST shape from the J point to the T peak. An injury current (the generator's flat
// ST shift) lifts a straight segment; an inverted T has no upward shape to judge.
TEST_CASE("analyze: ST concavity — straight under an injury current, none under an inverted T",
          "[analyze][st_shape]") {
  gc::synth::Spec spec;
  spec.duration_s = 10;
  spec.sample_rate_hz = 500;
  spec.seed = 4;
  spec.st_shift_uv = gc::synth::territory_st_uv("anterior", 300);
  const auto rec = gc::synth::generate(spec);
  const auto b = block_from_synth(rec);
  const auto a = analyze(b);
  REQUIRE(a.quality.ok);
  for (const char* name : {"V3", "V4"}) {
    const auto it = std::find(a.lead_names.begin(), a.lead_names.end(), name);
    REQUIRE(it != a.lead_names.end());
    const auto& m = a.per_lead[static_cast<std::size_t>(it - a.lead_names.begin())];
    REQUIRE(m.st_concavity);
    CAPTURE(name, *m.st_concavity);
    CHECK(*m.st_concavity < 0.1);
    CHECK(m.t_peak_from_j_ms > 60);
  }
  const auto avr = std::find(a.lead_names.begin(), a.lead_names.end(), "aVR");
  REQUIRE(avr != a.lead_names.end());
  CHECK_FALSE(a.per_lead[static_cast<std::size_t>(avr - a.lead_names.begin())].st_concavity);
}
