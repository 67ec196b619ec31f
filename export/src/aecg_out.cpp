// HL7 aECG out (HL7 v3 AnnotatedECG, the FDA's format): one RHYTHM series, one sequence set with
// the absolute time sequence and one SLIST_PQ sequence per lead (origin 0 µV, the lead's scale in
// µV, the counts as `digits`). Leads are coded MDC_ECG_LEAD_*.
#include <pugixml.hpp>

#include <fstream>
#include <random>
#include <sstream>

#include "detail.hpp"

namespace gc::exporter {

namespace {

std::string uuid4() {
  std::random_device rd;
  std::uniform_int_distribution<int> hex(0, 15);
  std::string out;
  const char* digits = "0123456789abcdef";
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) out += '-';
    int v = hex(rd);
    if (i == 12) v = 4;
    if (i == 16) v = 8 | (v & 3);
    out += digits[v];
  }
  return out;
}

std::string mdc_lead_code(const std::string& name) {
  std::string n = name;
  if (n == "aVR" || n == "aVL" || n == "aVF") n = "AV" + n.substr(2);
  return "MDC_ECG_LEAD_" + n;
}

// HL7 TS: "YYYYMMDDHHMMSS" with the zone "+0800" when known.
std::string hl7_ts(const formats::Source& src) {
  std::string ts = detail::compact_datetime(src.acquired_at);
  if (ts.empty()) return ts;
  const auto& z = src.acquired_zone;  // "+08:00"
  if (z.size() == 6) ts += z.substr(0, 3) + z.substr(4, 2);
  return ts;
}

void code(pugi::xml_node parent, const char* code, const char* system, const char* name = nullptr) {
  auto c = parent.append_child("code");
  c.append_attribute("code") = code;
  c.append_attribute("codeSystem") = system;
  if (name) c.append_attribute("codeSystemName") = name;
}

}  // namespace

void write_aecg(const Recording& recording, const std::filesystem::path& out_xml) {
  const auto& ecg = recording.ecg;
  const auto& src = ecg.source;
  const auto leads = detail::out_leads(ecg, false);
  if (!(ecg.sample_rate_hz > 0)) throw Error("invalid sample rate");

  pugi::xml_document doc;
  auto decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  auto root = doc.append_child("AnnotatedECG");
  root.append_attribute("xmlns") = "urn:hl7-org:v3";
  root.append_attribute("xmlns:xsi") = "http://www.w3.org/2001/XMLSchema-instance";
  root.append_attribute("type") = "Observation";
  root.append_attribute("classCode") = "OBS";
  root.append_attribute("moodCode") = "EVN";
  root.append_child("id").append_attribute("root") = uuid4().c_str();
  code(root, "93000", "2.16.840.1.113883.6.12", "CPT-4");
  const std::string ts = hl7_ts(src);
  if (!ts.empty())
    root.append_child("effectiveTime").append_child("center").append_attribute("value") =
        ts.c_str();

  // Subject: pseudonymous id, sex and age.
  auto assignment = root.append_child("componentOf")
                        .append_child("timepointEvent")
                        .append_child("componentOf")
                        .append_child("subjectAssignment");
  auto trial_subject = assignment.append_child("subject").append_child("trialSubject");
  const std::string pid = detail::pseudonymous_id(src.patient_id);
  if (!pid.empty()) trial_subject.append_child("id").append_attribute("extension") = pid.c_str();
  if (src.sex) {
    auto person = trial_subject.append_child("subjectDemographicPerson");
    auto g = person.append_child("administrativeGenderCode");
    g.append_attribute("code") = std::string(1, *src.sex).c_str();
    g.append_attribute("codeSystem") = "2.16.840.1.113883.5.1";
  }
  // The schema's clinical trial: here the export itself (no trial), named so.
  auto trial = assignment.append_child("componentOf").append_child("clinicalTrial");
  auto trial_id = trial.append_child("id");
  trial_id.append_attribute("root") = uuid4().c_str();
  trial_id.append_attribute("extension") = "greenchannel-export";
  if (src.age_years) {
    auto obs = assignment.append_child("subjectOf").append_child("observation");
    code(obs, "21612-7", "2.16.840.1.113883.6.1", "LOINC");
    auto v = obs.append_child("value");
    v.append_attribute("xsi:type") = "PQ";
    v.append_attribute("value") = std::to_string(*src.age_years).c_str();
    v.append_attribute("unit") = "a";
  }

  auto series = root.append_child("component").append_child("series");
  series.append_child("id").append_attribute("root") = uuid4().c_str();
  code(series, "RHYTHM", "2.16.840.1.113883.5.4");
  if (!ts.empty())
    series.append_child("effectiveTime").append_child("low").append_attribute("value") = ts.c_str();
  if (!src.serial.empty() || !src.model.empty() || !src.software.empty() ||
      !src.manufacturer.empty()) {
    auto author = series.append_child("author").append_child("seriesAuthor");
    auto device = author.append_child("manufacturedSeriesDevice");
    if (!src.serial.empty())
      device.append_child("id").append_attribute("extension") = src.serial.c_str();
    if (!src.model.empty()) device.append_child("manufacturerModelName").text() = src.model.c_str();
    if (!src.software.empty()) device.append_child("softwareName").text() = src.software.c_str();
    if (!src.manufacturer.empty()) {
      author.append_child("manufacturerOrganization").append_child("name").text() =
          src.manufacturer.c_str();
    }
  }

  auto set = series.append_child("component").append_child("sequenceSet");
  {
    auto seq = set.append_child("component").append_child("sequence");
    // Absolute time when the source gives the acquisition time, else relative to the start.
    code(seq, ts.empty() ? "TIME_RELATIVE" : "TIME_ABSOLUTE", "2.16.840.1.113883.5.4");
    auto v = seq.append_child("value");
    v.append_attribute("xsi:type") = ts.empty() ? "GLIST_PQ" : "GLIST_TS";
    auto head = v.append_child("head");
    head.append_attribute("value") = ts.empty() ? "0" : ts.c_str();
    if (ts.empty()) head.append_attribute("unit") = "s";
    auto inc = v.append_child("increment");
    inc.append_attribute("value") = detail::exact_number(1.0 / ecg.sample_rate_hz).c_str();
    inc.append_attribute("unit") = "s";
  }
  for (const auto& lead : leads) {
    auto seq = set.append_child("component").append_child("sequence");
    code(seq, mdc_lead_code(lead.name).c_str(), "2.16.840.1.113883.6.24", "MDC");
    auto v = seq.append_child("value");
    v.append_attribute("xsi:type") = "SLIST_PQ";
    auto origin = v.append_child("origin");
    origin.append_attribute("value") = "0";
    origin.append_attribute("unit") = "uV";
    auto scale = v.append_child("scale");
    scale.append_attribute("value") = detail::exact_number(lead.uv_per_count).c_str();
    scale.append_attribute("unit") = "uV";
    std::string digits;
    digits.reserve(lead.counts.size() * 5);
    for (std::size_t i = 0; i < lead.counts.size(); ++i) {
      if (i) digits += ' ';
      digits += std::to_string(lead.counts[i]);
    }
    v.append_child("digits").text() = digits.c_str();
  }

  detail::write_atomically(out_xml, [&](const std::filesystem::path& temp) {
    if (!doc.save_file(temp.c_str(), "  ", pugi::format_default, pugi::encoding_utf8)) {
      throw Error(out_xml.string() + ": cannot write");
    }
  });
}

}  // namespace gc::exporter
