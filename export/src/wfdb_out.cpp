// WFDB out: format 16 (.dat) and its header, through the wfdb module's writer. The gain is the
// lead's own scale in ADC units per mV, so the counts are written unchanged.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "detail.hpp"

namespace gc::exporter {

namespace {

// 1000 / uv_per_count, cleaned of the last-digit noise of the division (1715.9999999999998 →
// 1716) so headers read as a cart's would; relative change < 1e-12.
double gain_per_mv(double uv_per_count) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.12g", 1000.0 / uv_per_count);
  return std::strtod(buf, nullptr);
}

}  // namespace

void write_wfdb(const Recording& recording, const std::filesystem::path& out_hea) {
  const auto& ecg = recording.ecg;
  const std::string name = out_hea.stem().string();
  wfdb::Header header;
  header.record_name = name;
  header.sample_rate_hz = ecg.sample_rate_hz;
  header.age_years = ecg.source.age_years;
  header.sex = ecg.source.sex;
  std::vector<std::vector<std::int32_t>> samples;
  for (auto& lead : detail::out_leads(ecg, true)) {
    wfdb::SignalSpec s;
    s.description = lead.name;
    s.units = "mV";
    s.adc_gain_per_mv = gain_per_mv(lead.uv_per_count);
    s.adc_resolution_bits = 16;
    header.signals.push_back(s);
    samples.push_back(std::move(lead.counts));
  }
  header.comments.push_back("converted by greenchannel from " + recording.source_format);
  const auto& src = ecg.source;
  if (!src.manufacturer.empty() || !src.model.empty()) {
    header.comments.push_back("device: " + src.manufacturer + " " + src.model);
  }
  if (!src.acquired_at.empty()) {
    header.comments.push_back("acquired: " + src.acquired_at + src.acquired_zone);
  }

  // The header and .dat are written into a private folder beside the output and then renamed,
  // the .dat first: a reader never sees a header without its samples.
  const auto dir = out_hea.has_parent_path() ? out_hea.parent_path() : std::filesystem::path(".");
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    throw Error(out_hea.string() + ": folder " + dir.string() + " does not exist");
  }
  const auto temp = dir / (".gc-wfdb-" + name + "-" + std::to_string(::getpid()));
  try {
    std::filesystem::create_directory(temp);
    wfdb::write_record(temp, name, header, samples);
    std::filesystem::rename(temp / (name + ".dat"), dir / (name + ".dat"));
    std::filesystem::rename(temp / (name + ".hea"), dir / (name + ".hea"));
    std::filesystem::remove_all(temp);
  } catch (const std::filesystem::filesystem_error& e) {
    std::filesystem::remove_all(temp, ec);
    throw Error(out_hea.string() + ": " + e.code().message());
  } catch (const wfdb::Error& e) {
    std::filesystem::remove_all(temp, ec);
    throw Error(out_hea.string() + ": " + e.what());
  }
}

}  // namespace gc::exporter
