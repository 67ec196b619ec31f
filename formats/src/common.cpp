#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <fstream>
#include <set>

#include "detail.hpp"
#include "gc/derive.hpp"

namespace gc::formats {

std::string_view to_string(Format format) {
  switch (format) {
    case Format::dicom:
      return "DICOM";
    case Format::hl7_aecg:
      return "HL7 aECG";
    case Format::scp_ecg:
      return "SCP-ECG";
    case Format::ge_muse:
      return "GE MUSE XML";
    case Format::philips_sierra:
      return "Philips Sierra XML";
    case Format::ge_cardiosoft:
      return "GE CardioSoft XML";
  }
  return "unknown";
}

std::vector<std::string> EcgFile::stored_lead_names() const {
  std::vector<std::string> names;
  for (const auto& l : stored) names.push_back(l.name);
  return names;
}

namespace detail {

namespace {
constexpr std::array<std::string_view, 4> kDerivable{"III", "aVR", "aVL", "aVF"};
}

EcgFile assemble(Source source, double sample_rate_hz, std::vector<StoredLead> leads,
                 std::string_view what) {
  const std::string prefix(what);
  if (!dsp::valid_sample_rate_hz(sample_rate_hz)) {
    throw Error(prefix + ": invalid sample rate " + std::to_string(sample_rate_hz) + " Hz");
  }
  if (leads.empty()) throw Error(prefix + ": no ECG leads in the file");
  if (leads.size() > kMaxLeads) {
    throw Error(prefix + ": " + std::to_string(leads.size()) + " leads (limit " +
                std::to_string(kMaxLeads) + ")");
  }
  const auto n = static_cast<std::int64_t>(leads.front().counts.size());
  if (n == 0) throw Error(prefix + ": lead " + leads.front().name + " holds no samples");
  std::set<std::string> seen;
  for (auto& l : leads) {
    if (static_cast<std::int64_t>(l.counts.size()) != n) {
      throw Error(prefix + ": lead " + l.name + " holds " + std::to_string(l.counts.size()) +
                  " samples, lead " + leads.front().name + " " + std::to_string(n));
    }
    if (!std::isfinite(l.uv_per_count) || !std::isfinite(l.offset_uv) || l.uv_per_count == 0) {
      throw Error(prefix + ": lead " + l.name + " has no valid amplitude scale");
    }
    l.name = dsp::canonical_lead_name(l.name).value_or(l.name);
    if (!seen.insert(l.name).second) throw Error(prefix + ": lead " + l.name + " appears twice");
  }

  EcgFile out;
  out.source = std::move(source);
  out.sample_rate_hz = sample_rate_hz;
  out.samples_per_lead = n;
  out.block.sample_rate_hz = sample_rate_hz;
  for (const auto& l : leads) {
    std::vector<float> uv(l.counts.size());
    for (std::size_t i = 0; i < uv.size(); ++i) {
      const double v = l.offset_uv + l.uv_per_count * static_cast<double>(l.counts[i]);
      if (!(std::fabs(v) < 1e30)) throw Error(prefix + ": lead " + l.name + " leaves the µV range");
      uv[i] = static_cast<float>(v);
    }
    out.block.lead_names.push_back(l.name);
    out.block.samples_uv.push_back(std::move(uv));
  }
  // 8-channel carts store I, II and the chest leads; the limb leads are derived (DESIGN §2).
  if (seen.count("I") && seen.count("II")) {
    for (const auto name : kDerivable) {
      if (!seen.count(std::string(name))) out.derived_leads.emplace_back(name);
    }
    if (!out.derived_leads.empty()) out.block = dsp::derive_limb_leads(out.block);
  }
  out.stored = std::move(leads);
  return out;
}

void keep_device_median(EcgFile& file, DeviceMedian median, std::string_view what) {
  std::string problem;
  if (!dsp::valid_sample_rate_hz(median.sample_rate_hz)) {
    problem = "invalid sample rate " + std::to_string(median.sample_rate_hz) + " Hz";
  } else if (median.leads.empty() || median.leads.front().counts.empty()) {
    problem = "no samples";
  } else {
    for (const auto& l : median.leads) {
      if (l.counts.size() != median.leads.front().counts.size())
        problem = "leads of different lengths";
      if (!std::isfinite(l.uv_per_count) || !std::isfinite(l.offset_uv)) problem = "no valid scale";
    }
  }
  if (problem.empty()) {
    file.device_median = std::move(median);
  } else {
    file.warnings.push_back("device median beat not kept: " + std::string(what) + ": " + problem);
  }
}

std::optional<std::string> lead_name_from_code(int code) {
  // EN 1064 / ISO 11073-91064 lead identification; MDC_ECG_LEAD_* use the same term codes.
  switch (code) {
    case 1:
      return "I";
    case 2:
      return "II";
    case 3:
      return "V1";
    case 4:
      return "V2";
    case 5:
      return "V3";
    case 6:
      return "V4";
    case 7:
      return "V5";
    case 8:
      return "V6";
    case 9:
      return "V7";
    case 10:
      return "V2R";
    case 11:
      return "V3R";
    case 12:
      return "V4R";
    case 13:
      return "V5R";
    case 14:
      return "V6R";
    case 15:
      return "V7R";
    case 16:
      return "X";
    case 17:
      return "Y";
    case 18:
      return "Z";
    case 61:
      return "III";
    case 62:
      return "aVR";
    case 63:
      return "aVL";
    case 64:
      return "aVF";
    case 65:
      return "-aVR";
    case 66:
      return "V8";
    case 67:
      return "V9";
    case 68:
      return "V8R";
    case 69:
      return "V9R";
    default:
      return std::nullopt;
  }
}

std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text) {
  std::vector<std::uint8_t> out;
  out.reserve(text.size() / 4 * 3);
  std::uint32_t acc = 0;
  int bits = 0;
  int pad = 0;
  std::size_t symbols = 0;
  for (const char c : text) {
    int v = -1;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+')
      v = 62;
    else if (c == '/')
      v = 63;
    else if (c == '=') {
      ++pad;
      ++symbols;
      continue;
    } else if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      continue;
    } else {
      return std::nullopt;
    }
    if (pad) return std::nullopt;  // data after padding
    ++symbols;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>((acc >> bits) & 0xFF));
    }
  }
  if (symbols % 4 != 0 || pad > 2) return std::nullopt;
  return out;
}

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(first, last - first + 1));
}

std::optional<double> parse_double(std::string_view text) {
  const std::string t = trim(text);
  if (t.empty()) return std::nullopt;
  double v = 0;
  const char* b = t.data();
  if (*b == '+') ++b;
  const auto [p, ec] = std::from_chars(b, t.data() + t.size(), v);
  if (ec != std::errc() || p != t.data() + t.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<std::int64_t> parse_int(std::string_view text) {
  const std::string t = trim(text);
  if (t.empty()) return std::nullopt;
  std::int64_t v = 0;
  const char* b = t.data();
  if (*b == '+') ++b;
  const auto [p, ec] = std::from_chars(b, t.data() + t.size(), v);
  if (ec != std::errc() || p != t.data() + t.size()) return std::nullopt;
  return v;
}

bool looks_like_dicom(std::span<const std::uint8_t> b) {
  if (b.size() >= 132 && b[128] == 'D' && b[129] == 'I' && b[130] == 'C' && b[131] == 'M') {
    return true;
  }
  // A dataset written without the preamble starts with a little-endian (0002,xxxx) or
  // (0008,xxxx) tag and either an explicit VR (two capitals) or an implicit 32-bit length.
  if (b.size() < 8 || looks_like_scp(b)) return false;
  const bool group_ok = (b[0] == 0x02 || b[0] == 0x08) && b[1] == 0x00 && b[3] == 0x00;
  const bool explicit_vr = b[4] >= 'A' && b[4] <= 'Z' && b[5] >= 'A' && b[5] <= 'Z';
  const bool implicit_small = b[7] == 0x00 && b[6] == 0x00;
  return group_ok && (explicit_vr || implicit_small);
}

}  // namespace detail

namespace {

bool is_xml_start(std::span<const std::uint8_t> b) {
  std::size_t i = 0;
  if (b.size() >= 2 && ((b[0] == 0xFF && b[1] == 0xFE) || (b[0] == 0xFE && b[1] == 0xFF))) {
    return true;  // UTF-16 byte-order mark (Philips Sierra 1.04)
  }
  if (b.size() >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF) i = 3;
  while (i < b.size() && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n')) ++i;
  if (i < b.size() && b[i] == '<') return true;
  // UTF-16 without a BOM: '<' followed or preceded by a zero byte.
  return b.size() >= 2 && ((b[0] == '<' && b[1] == 0) || (b[0] == 0 && b[1] == '<'));
}

std::string describe_unknown(std::span<const std::uint8_t> b) {
  if (b.empty()) return "unsupported format: empty file";
  // MFER (ISO 22077): tag/length/value from the first byte; its preamble tag is 0x40 and
  // usually reads "MFR" / "MFER" within the first 40 bytes.
  const std::string_view head(reinterpret_cast<const char*>(b.data()),
                              std::min<std::size_t>(b.size(), 64));
  if (b[0] == 0x40 &&
      (head.find("MFR") != std::string_view::npos || head.find("MFER") != std::string_view::npos)) {
    return "unsupported format: MFER (ISO 22077)";
  }
  if (head.rfind("%PDF", 0) == 0)
    return "unsupported format: PDF (a printed ECG has no samples to read)";
  std::string hex;
  static constexpr char kHex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < std::min<std::size_t>(b.size(), 8); ++i) {
    hex += kHex[b[i] >> 4];
    hex += kHex[b[i] & 15];
  }
  return "unsupported format: not DICOM, SCP-ECG or a known ECG XML (first bytes " + hex + ")";
}

}  // namespace

Format detect_format(std::span<const std::uint8_t> bytes) {
  if (detail::looks_like_dicom(bytes)) return Format::dicom;
  if (detail::looks_like_scp(bytes)) return Format::scp_ecg;
  if (is_xml_start(bytes)) {
    // The XML reader chooses among the XML formats by root element; parse to tell which.
    return read_ecg(bytes).source.format;
  }
  throw Error(describe_unknown(bytes));
}

EcgFile read_ecg(std::span<const std::uint8_t> bytes) {
  if (bytes.size() > kMaxFileBytes) {
    throw Error("file of " + std::to_string(bytes.size()) + " bytes exceeds the " +
                std::to_string(kMaxFileBytes >> 20) + " MiB limit");
  }
  if (detail::looks_like_dicom(bytes)) return detail::read_dicom(bytes);
  if (detail::looks_like_scp(bytes)) return detail::read_scp(bytes);
  if (is_xml_start(bytes)) return detail::read_xml(bytes);
  throw Error(describe_unknown(bytes));
}

EcgFile read_ecg_file(const std::filesystem::path& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) throw Error(path.string() + ": cannot read: " + ec.message());
  if (size > kMaxFileBytes) {
    throw Error(path.string() + ": file of " + std::to_string(size) + " bytes exceeds the " +
                std::to_string(kMaxFileBytes >> 20) + " MiB limit");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + ": cannot open");
  std::vector<std::uint8_t> bytes(size);
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size));
  if (static_cast<std::uintmax_t>(in.gcount()) != size) throw Error(path.string() + ": short read");
  try {
    return read_ecg(bytes);
  } catch (const Error& e) {
    throw Error(path.string() + ": " + e.what());
  }
}

bool looks_like_ecg_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::vector<std::uint8_t> head(512);
  in.read(reinterpret_cast<char*>(head.data()), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(in.gcount()));
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  return detail::looks_like_dicom(head) || detail::looks_like_scp(head, ec ? 0 : size) ||
         is_xml_start(head);
}

}  // namespace gc::formats
