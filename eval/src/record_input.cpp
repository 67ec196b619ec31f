#include "gc/record_input.hpp"

namespace gc::eval {

std::filesystem::path header_path_for(const std::filesystem::path& given) {
  if (given.extension() == ".hea") return given;
  auto p = given;
  p.replace_extension(".hea");
  return p;
}

LoadedRecord load_record(const std::filesystem::path& hea_path) {
  LoadedRecord out;
  out.record = wfdb::read_record(header_path_for(hea_path));
  const auto& h = out.record.header;
  out.block.sample_rate_hz = h.sample_rate_hz;
  out.block.samples_uv = out.record.to_microvolts();
  for (const auto& s : h.signals) {
    out.block.lead_names.push_back(dsp::canonical_lead_name(s.description).value_or(s.description));
  }
  out.patient.age_years = h.age_years;
  if (h.sex) out.patient.sex = *h.sex == 'M' ? triage::Sex::male : triage::Sex::female;
  return out;
}

}  // namespace gc::eval
