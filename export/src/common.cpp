// Loading any input into a Recording, the 16-bit lead preparation every writer shares, atomic
// replacement of the output, the automatic read and convert().
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

#include "detail.hpp"
#include "gc/derive.hpp"

namespace gc::exporter {

namespace {

constexpr std::array<std::string_view, 4> kDerivable{"III", "aVR", "aVL", "aVF"};

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

Recording recording_from_wfdb(const wfdb::Record& record) {
  const auto& h = record.header;
  Recording out;
  out.source_format = "WFDB";
  auto& ecg = out.ecg;
  ecg.sample_rate_hz = h.sample_rate_hz;
  ecg.samples_per_lead =
      record.samples_adu.empty() ? 0 : static_cast<std::int64_t>(record.samples_adu.front().size());
  ecg.source.format_version = "WFDB";
  ecg.source.age_years = h.age_years;
  ecg.source.sex = h.sex;
  // A WFDB record names no patient (its name is the record's): the exports print none.
  ecg.source.patient_id.clear();
  ecg.block.sample_rate_hz = h.sample_rate_hz;
  ecg.block.samples_uv = record.to_microvolts();
  std::vector<std::string> names;
  for (std::size_t s = 0; s < h.signals.size(); ++s) {
    const auto& sig = h.signals[s];
    formats::StoredLead lead;
    lead.name = dsp::canonical_lead_name(sig.description).value_or(sig.description);
    lead.uv_per_count = wfdb::microvolts_per_unit(sig.units) / sig.adc_gain_per_mv;
    lead.offset_uv = -static_cast<double>(sig.baseline_adu) * lead.uv_per_count;
    lead.counts = record.samples_adu[s];
    names.push_back(lead.name);
    ecg.block.lead_names.push_back(lead.name);
    ecg.stored.push_back(std::move(lead));
  }
  const auto has = [&](std::string_view n) {
    return std::find(names.begin(), names.end(), n) != names.end();
  };
  if (has("I") && has("II")) {
    for (const auto n : kDerivable) {
      if (!has(n)) ecg.derived_leads.emplace_back(n);
    }
    if (!ecg.derived_leads.empty()) ecg.block = dsp::derive_limb_leads(ecg.block);
  }
  return out;
}

Recording load_recording(const std::filesystem::path& in) {
  std::error_code ec;
  if (in.extension() != ".hea" && std::filesystem::is_regular_file(in, ec) &&
      formats::looks_like_ecg_file(in)) {
    Recording out;
    out.ecg = formats::read_ecg_file(in);
    out.source_format = std::string(formats::to_string(out.ecg.source.format));
    return out;
  }
  auto hea = in;
  if (hea.extension() != ".hea") hea.replace_extension(".hea");
  if (!std::filesystem::exists(hea, ec) && std::filesystem::is_regular_file(in, ec)) {
    (void)formats::read_ecg_file(in);  // throws the reader's "unsupported format: …" reason
  }
  return recording_from_wfdb(wfdb::read_record(hea));
}

std::optional<OutputFormat> output_format_for(const std::filesystem::path& out) {
  const std::string ext = lower(out.extension().string());
  if (ext == ".hea") return OutputFormat::wfdb;
  if (ext == ".xml") return OutputFormat::hl7_aecg;
  if (ext == ".dcm") return OutputFormat::dicom;
  if (ext == ".pdf") return OutputFormat::pdf;
  return std::nullopt;
}

std::optional<AutomaticRead> automatic_read(const Recording& recording, std::string* why) {
  try {
    triage::PatientContext patient;
    patient.age_years = recording.ecg.source.age_years;
    if (recording.ecg.source.sex) {
      patient.sex = *recording.ecg.source.sex == 'M' ? triage::Sex::male : triage::Sex::female;
    }
    const auto analysis = dsp::analyze(recording.ecg.block);
    return AutomaticRead{triage::evaluate(analysis, patient), analysis.global};
  } catch (const std::exception& e) {
    if (why) *why = e.what();
    return std::nullopt;
  }
}

void convert(const std::filesystem::path& in, const std::filesystem::path& out,
             const ConvertOptions& options) {
  const auto format = output_format_for(out);
  if (!format) {
    throw Error(out.string() + ": unknown output extension '" + out.extension().string() +
                "' (use .hea, .xml, .dcm or .pdf)");
  }
  const Recording recording = load_recording(in);
  switch (*format) {
    case OutputFormat::wfdb:
      write_wfdb(recording, out);
      return;
    case OutputFormat::hl7_aecg:
      write_aecg(recording, out);
      return;
    case OutputFormat::dicom:
      write_dicom(recording, out);
      return;
    case OutputFormat::pdf: {
      PdfContent content;
      content.automatic = automatic_read(recording, &content.automatic_unavailable_reason);
      content.confirmed = options.confirmed;
      write_pdf(recording, content, out);
      return;
    }
  }
}

namespace detail {

std::vector<OutLead> out_leads(const formats::EcgFile& ecg, bool int16) {
  std::vector<OutLead> out;
  for (const auto& l : ecg.stored) {
    OutLead o;
    o.name = l.name;
    o.uv_per_count = l.uv_per_count;
    const double offset_counts = std::round(l.offset_uv / l.uv_per_count);
    if (!(std::fabs(offset_counts) < 1e9)) {
      throw Error("lead " + l.name + ": offset " + std::to_string(l.offset_uv) +
                  " µV is out of range");
    }
    const auto shift = static_cast<std::int64_t>(offset_counts);
    std::int64_t lo = 0, hi = 0;
    for (const auto c : l.counts) {
      lo = std::min(lo, c + shift);
      hi = std::max(hi, c + shift);
    }
    // The smallest whole factor k that brings the counts into int16 (1 when they fit already).
    // A requantised count never lands on -32768, WFDB's "invalid sample" marker.
    std::int64_t k = 1;
    const auto quantised = [&](std::int64_t v) {
      return k == 1 ? v : std::llround(static_cast<double>(v) / static_cast<double>(k));
    };
    if (int16) {
      constexpr std::int64_t kMin = std::numeric_limits<std::int16_t>::min();
      constexpr std::int64_t kMax = std::numeric_limits<std::int16_t>::max();
      while (quantised(lo) < (k == 1 ? kMin : kMin + 1) || quantised(hi) > kMax) ++k;
    } else if (lo < std::numeric_limits<std::int32_t>::min() ||
               hi > std::numeric_limits<std::int32_t>::max()) {
      throw Error("lead " + l.name + ": counts beyond 32 bits");
    }
    o.uv_per_count = l.uv_per_count * static_cast<double>(k);
    o.counts.reserve(l.counts.size());
    for (const auto c : l.counts)
      o.counts.push_back(static_cast<std::int32_t>(quantised(c + shift)));
    out.push_back(std::move(o));
  }
  if (out.empty()) throw Error("the record holds no leads");
  return out;
}

void write_atomically(const std::filesystem::path& out,
                      const std::function<void(const std::filesystem::path&)>& write) {
  const auto dir = out.has_parent_path() ? out.parent_path() : std::filesystem::path(".");
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    throw Error(out.string() + ": folder " + dir.string() + " does not exist");
  }
  // Appends rather than operator+ chains: GCC 12 warns falsely (-Wrestrict) on those here.
  std::string temp_name = ".";
  temp_name.append(out.filename().string()).append(".tmp-").append(std::to_string(::getpid()));
  const auto temp = dir / temp_name;
  try {
    write(temp);
    std::filesystem::rename(temp, out);
  } catch (const std::filesystem::filesystem_error& e) {
    std::filesystem::remove(temp, ec);
    throw Error(out.string() + ": " + e.code().message());
  } catch (...) {
    std::filesystem::remove(temp, ec);
    throw;
  }
}

std::string exact_number(double v) {
  std::array<char, 64> buf{};
  const auto [ptr, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  if (ec != std::errc{}) throw Error("cannot format a number");
  return std::string(buf.data(), ptr);
}

std::string ds_number(double v) {
  for (int precision = 16; precision > 1; --precision) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::string(buf).size() <= 16) return buf;
  }
  throw Error("cannot write " + std::to_string(v) + " as a DICOM decimal string");
}

std::string pseudonymous_id(const std::string& id) {
  if (id.empty()) return {};
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(id.data(), id.size(), digest, &size, EVP_sha256(), nullptr) != 1 || size < 6) {
    throw Error("cannot pseudonymise the patient id");
  }
  std::string out = "PSN-";
  char hex[3];
  for (unsigned int i = 0; i < 6; ++i) {
    std::snprintf(hex, sizeof hex, "%02X", digest[i]);
    out += hex;
  }
  return out;
}

std::string compact_datetime(const std::string& iso) {
  std::string out;
  for (const char c : iso) {
    if (c == '.' || c == '+' || (c == '-' && out.size() >= 8)) break;
    if (std::isdigit(static_cast<unsigned char>(c))) out += c;
  }
  return out.substr(0, 14);
}

}  // namespace detail
}  // namespace gc::exporter
