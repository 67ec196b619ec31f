#include "gc/record_input.hpp"

#include <cmath>

namespace gc::eval {

std::filesystem::path header_path_for(const std::filesystem::path& given) {
  if (given.extension() == ".hea") return given;
  auto p = given;
  p.replace_extension(".hea");
  return p;
}

bool is_ecg_file(const std::filesystem::path& given) {
  std::error_code ec;
  // A WFDB header is text starting with the record name, never '<', DICM or an SCP header.
  return given.extension() != ".hea" && std::filesystem::is_regular_file(given, ec) &&
         formats::looks_like_ecg_file(given);
}

wfdb::Record as_wfdb_record(const formats::EcgFile& ecg, const std::string& name) {
  wfdb::Record rec;
  auto& h = rec.header;
  h.record_name = name;
  h.sample_rate_hz = ecg.sample_rate_hz;
  h.n_samples = ecg.samples_per_lead;
  h.age_years = ecg.source.age_years;
  h.sex = ecg.source.sex;
  for (const auto& l : ecg.stored) {
    wfdb::SignalSpec s;
    s.description = l.name;
    s.units = "uV";
    s.adc_gain_per_mv = 1.0 / l.uv_per_count;  // counts per physical unit (here µV)
    const double baseline = -l.offset_uv / l.uv_per_count;
    if (std::abs(baseline - std::round(baseline)) > 1e-6 || std::abs(baseline) > 1e9) {
      throw formats::Error(name + ": lead " + l.name + " has an offset of " +
                           std::to_string(l.offset_uv) + " µV, not a whole number of counts");
    }
    s.baseline_adu = static_cast<std::int32_t>(std::lround(baseline));
    h.signals.push_back(s);
    rec.samples_adu.push_back(l.counts);
  }
  return rec;
}

LoadedRecord load_record(const std::filesystem::path& given) {
  LoadedRecord out;
  out.source.file = given.string();
  std::error_code ec;
  const bool wfdb_header_exists = std::filesystem::exists(header_path_for(given), ec);
  // A file that is neither a WFDB record nor an ECG format we know gets the formats reader's
  // "unsupported format: …" reason rather than a complaint about a missing .hea.
  if (is_ecg_file(given) || (!wfdb_header_exists && std::filesystem::is_regular_file(given, ec))) {
    auto ecg = formats::read_ecg_file(given);
    out.block = std::move(ecg.block);
    out.patient.age_years = ecg.source.age_years;
    if (ecg.source.sex) {
      out.patient.sex = *ecg.source.sex == 'M' ? triage::Sex::male : triage::Sex::female;
    }
    const auto& s = ecg.source;
    out.source.format = std::string(formats::to_string(s.format));
    out.source.manufacturer = s.manufacturer;
    out.source.model = s.model;
    out.source.serial = s.serial;
    out.source.software = s.software;
    out.source.acquired_at = s.acquired_at.empty() ? "" : s.acquired_at + s.acquired_zone;
    out.source.samples_per_lead = ecg.samples_per_lead;
    out.source.stored_leads = ecg.stored_lead_names();
    out.source.derived_leads = ecg.derived_leads;
    return out;
  }
  out.record = wfdb::read_record(header_path_for(given));
  const auto& h = out.record.header;
  out.block.sample_rate_hz = h.sample_rate_hz;
  out.block.samples_uv = out.record.to_microvolts();
  for (const auto& s : h.signals) {
    out.block.lead_names.push_back(dsp::canonical_lead_name(s.description).value_or(s.description));
  }
  out.patient.age_years = h.age_years;
  if (h.sex) out.patient.sex = *h.sex == 'M' ? triage::Sex::male : triage::Sex::female;
  out.source.format = "WFDB";
  out.source.file = header_path_for(given).string();
  out.source.samples_per_lead = h.n_samples;
  out.source.stored_leads = out.block.lead_names;
  return out;
}

}  // namespace gc::eval
