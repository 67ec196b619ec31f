// WFDB signal files: reading formats 16 and 212 (signals interleaved frame by frame within a file,
// several files per record allowed), conversion to µV, and writing format-16 records.
#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "gc/wfdb.hpp"
#include "wfdb_detail.hpp"

namespace gc::wfdb {
namespace {

// Signals stored in one file: their frames interleave one sample of each, in header order.
struct FileGroup {
  std::string file_name;
  std::vector<std::size_t> signals;
  int format = 16;
  std::int64_t byte_offset = 0;
};

std::vector<FileGroup> group_by_file(const Header& header, const std::string& source) {
  std::vector<FileGroup> groups;
  for (std::size_t s = 0; s < header.signals.size(); ++s) {
    const SignalSpec& sig = header.signals[s];
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const FileGroup& g) { return g.file_name == sig.file_name; });
    if (it == groups.end()) {
      groups.push_back({sig.file_name, {s}, sig.format, sig.byte_offset});
      continue;
    }
    if (it->format != sig.format || it->byte_offset != sig.byte_offset) {
      throw Error(source + ": signal " + std::to_string(s + 1) + " (" + sig.description +
                  ") shares file " + sig.file_name +
                  " with another signal but has a different format or byte offset");
    }
    it->signals.push_back(s);
  }
  return groups;
}

std::int64_t bytes_for(int format, std::int64_t n_values) {
  return format == 16 ? 2 * n_values : (3 * n_values + 1) / 2;
}

std::int64_t values_in(int format, std::int64_t n_bytes) {
  return format == 16 ? n_bytes / 2 : (2 * n_bytes) / 3;
}

std::string format_double(double v) {
  std::array<char, 64> buf{};
  const auto [ptr, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  if (ec != std::errc{}) throw Error("cannot format number");
  return std::string(buf.data(), ptr);
}

// Bytes to read from a data file that holds `file_bytes` bytes: the group's frames after its byte
// offset. When the record line gives no length (`n_samples` not yet known), the first file's size
// sets it (whole frames only) and later files must hold at least that many frames. A hostile
// header may declare an absurd length or offset: both are compared against the bytes actually
// there before any multiplication can overflow or any allocation happens.
std::int64_t checked_bytes_needed(const FileGroup& g, std::int64_t file_bytes,
                                  std::optional<std::int64_t>& n_samples_known,
                                  const std::string& data_name) {
  const auto n_sig = static_cast<std::int64_t>(g.signals.size());
  const std::int64_t available = file_bytes - g.byte_offset;
  if (!n_samples_known) {
    n_samples_known = available > 0 ? values_in(g.format, available) / n_sig : 0;
  }
  const std::int64_t n_samples = *n_samples_known;
  const std::int64_t have = std::max<std::int64_t>(available, 0);
  if (n_samples > available / std::max<std::int64_t>(n_sig, 1)) {
    throw Error(data_name + ": truncated: " + std::to_string(n_samples) + " samples x " +
                std::to_string(n_sig) + " signals in format " + std::to_string(g.format) +
                " need more than the " + std::to_string(have) +
                " bytes the file has after byte offset " + std::to_string(g.byte_offset));
  }
  const std::int64_t needed = bytes_for(g.format, n_samples * n_sig);
  if (available < needed) {
    throw Error(data_name + ": truncated: " + std::to_string(n_samples) + " samples x " +
                std::to_string(n_sig) + " signals in format " + std::to_string(g.format) +
                " need " + std::to_string(needed) + " bytes after byte offset " +
                std::to_string(g.byte_offset) + ", file has " + std::to_string(have));
  }
  return needed;
}

// Decodes the group's interleaved frames from `bytes` (its frames only, offset already skipped;
// size checked by checked_bytes_needed) into rec.samples_adu.
void decode_group(const FileGroup& g, std::span<const std::uint8_t> bytes, std::int64_t n_samples,
                  Record& rec) {
  const auto n_sig = static_cast<std::int64_t>(g.signals.size());
  for (const std::size_t s : g.signals) {
    rec.samples_adu[s].resize(static_cast<std::size_t>(n_samples));
  }
  const std::int64_t n_values = n_samples * n_sig;
  for (std::int64_t k = 0; k < n_values; ++k) {
    std::int32_t v = 0;
    if (g.format == 16) {
      const auto lo = bytes[static_cast<std::size_t>(2 * k)];
      const auto hi = bytes[static_cast<std::size_t>(2 * k + 1)];
      v = static_cast<std::int16_t>(static_cast<std::uint16_t>(lo | (hi << 8)));
    } else {
      // 212: each pair of 12-bit samples occupies 3 bytes; the middle byte carries the high
      // nibbles (low nibble → first sample, high nibble → second).
      const std::size_t base = static_cast<std::size_t>(3 * (k / 2));
      unsigned raw = 0;
      if (k % 2 == 0) {
        raw = bytes[base] | ((bytes[base + 1] & 0x0Fu) << 8);
      } else {
        raw = bytes[base + 2] | ((bytes[base + 1] & 0xF0u) << 4);
      }
      v = raw >= 0x800 ? static_cast<std::int32_t>(raw) - 0x1000 : static_cast<std::int32_t>(raw);
    }
    rec.samples_adu[g.signals[static_cast<std::size_t>(k % n_sig)]]
                   [static_cast<std::size_t>(k / n_sig)] = v;
  }
}

}  // namespace

std::int32_t invalid_sample_marker(int format) {
  switch (format) {
    case 16:
      return -32768;
    case 212:
      return -2048;
    default:
      throw Error("unsupported signal format " + std::to_string(format));
  }
}

double microvolts_per_unit(const std::string& units) {
  if (units == "mV" || units == "mv" || units == "MV") return 1000.0;
  if (units == "uV" || units == "uv" || units == "\xC2\xB5V" || units == "\xCE\xBCV") return 1.0;
  if (units == "V") return 1e6;
  if (units == "nV") return 1e-3;
  throw Error("units '" + units + "' are not a voltage (expected mV, uV, V or nV)");
}

std::int32_t checksum16(const std::vector<std::int32_t>& samples) {
  std::uint32_t sum = 0;
  for (const std::int32_t v : samples) sum += static_cast<std::uint32_t>(v);
  return static_cast<std::int16_t>(static_cast<std::uint16_t>(sum & 0xFFFFu));
}

namespace {

// A data file's whole contents and the name its errors carry.
struct DataFile {
  std::span<const std::uint8_t> bytes;
  std::string name;
};

// The one decoder behind read_record and parse_record: `file_of` gives each group's data file.
Record decode_record(Header header, const std::string& source,
                     const std::function<DataFile(const FileGroup&)>& file_of) {
  Record rec;
  rec.header = std::move(header);
  const auto groups = group_by_file(rec.header, source);
  if (rec.header.n_samples < 0) throw Error(source + ": negative number of samples");
  // 0 on the record line means "not given": the first data file's size tells it.
  std::optional<std::int64_t> n_samples;
  if (rec.header.n_samples > 0) n_samples = rec.header.n_samples;
  rec.samples_adu.assign(rec.header.signals.size(), {});
  for (const FileGroup& g : groups) {
    const DataFile file = file_of(g);
    if (g.byte_offset < 0) throw Error(file.name + ": negative byte offset");
    const std::int64_t needed =
        checked_bytes_needed(g, static_cast<std::int64_t>(file.bytes.size()), n_samples, file.name);
    decode_group(g,
                 file.bytes.subspan(static_cast<std::size_t>(g.byte_offset),
                                    static_cast<std::size_t>(needed)),
                 *n_samples, rec);
  }
  rec.header.n_samples = n_samples.value_or(0);
  return rec;
}

}  // namespace

Record read_record(const std::filesystem::path& hea_path) {
  const std::filesystem::path dir = hea_path.parent_path();
  std::vector<std::uint8_t> buffer;  // one data file at a time, decoded before the next is read
  return decode_record(read_header(hea_path), hea_path.string(), [&](const FileGroup& g) {
    const std::filesystem::path data_path = dir / g.file_name;
    std::ifstream in(data_path, std::ios::binary | std::ios::ate);
    if (!in) throw Error(data_path.string() + ": cannot open signal file");
    buffer.resize(static_cast<std::size_t>(in.tellg()));
    in.seekg(0);
    in.read(reinterpret_cast<char*>(buffer.data()), static_cast<std::streamsize>(buffer.size()));
    if (in.gcount() != static_cast<std::streamsize>(buffer.size())) {
      throw Error(data_path.string() + ": read " + std::to_string(in.gcount()) + " of " +
                  std::to_string(buffer.size()) + " bytes");
    }
    return DataFile{buffer, data_path.string()};
  });
}

Record parse_record(Header header, const DataFiles& data_files) {
  const std::string source = header.record_name.empty() ? "record" : header.record_name;
  return decode_record(std::move(header), source, [&](const FileGroup& g) {
    const auto it = data_files.find(g.file_name);
    if (it == data_files.end()) throw Error(g.file_name + ": signal file not given");
    return DataFile{it->second, g.file_name};
  });
}

std::vector<std::int64_t> Record::invalid_counts() const {
  std::vector<std::int64_t> out(samples_adu.size(), 0);
  for (std::size_t s = 0; s < samples_adu.size(); ++s) {
    const std::int32_t marker = invalid_sample_marker(header.signals.at(s).format);
    out[s] = std::count(samples_adu[s].begin(), samples_adu[s].end(), marker);
  }
  return out;
}

std::int64_t Record::invalid_count() const {
  std::int64_t total = 0;
  for (const auto n : invalid_counts()) total += n;
  return total;
}

std::vector<std::size_t> Record::checksum_mismatches() const {
  std::vector<std::size_t> out;
  for (std::size_t s = 0; s < samples_adu.size(); ++s) {
    const auto& sig = header.signals.at(s);
    if (sig.checksum && checksum16(samples_adu[s]) != static_cast<std::int16_t>(*sig.checksum)) {
      out.push_back(s);
    }
  }
  return out;
}

std::vector<std::vector<float>> Record::to_microvolts() const {
  std::vector<std::vector<float>> out(samples_adu.size());
  for (std::size_t s = 0; s < samples_adu.size(); ++s) {
    const SignalSpec& sig = header.signals.at(s);
    double per_unit = 0;
    try {
      per_unit = microvolts_per_unit(sig.units);
    } catch (const Error& e) {
      throw Error("lead " + std::to_string(s + 1) + " (" + sig.description + "): " + e.what());
    }
    const double scale = per_unit / sig.adc_gain_per_mv;
    const std::int32_t marker = invalid_sample_marker(sig.format);
    const auto& adu = samples_adu[s];
    auto& uv = out[s];
    uv.resize(adu.size());
    std::optional<float> last_valid;
    for (std::size_t i = 0; i < adu.size(); ++i) {
      if (adu[i] == marker) {
        // Leading invalid samples are back-filled once the first valid value is known.
        if (last_valid) uv[i] = *last_valid;
        continue;
      }
      const float v = static_cast<float>((adu[i] - static_cast<double>(sig.baseline_adu)) * scale);
      if (!std::isfinite(v)) {
        // Only an absurd gain (e.g. 1e-300 adu/mV) gets here: refuse rather than pass ±inf on.
        throw Error("lead " + std::to_string(s + 1) + " (" + sig.description + "): sample " +
                    std::to_string(i) + " (" + std::to_string(adu[i]) + " adu) at gain " +
                    format_double(sig.adc_gain_per_mv) + " adu/" + sig.units +
                    " is beyond the float range of µV");
      }
      uv[i] = v;
      if (!last_valid) std::fill(uv.begin(), uv.begin() + static_cast<std::ptrdiff_t>(i), v);
      last_valid = v;
    }
    if (!last_valid) std::fill(uv.begin(), uv.end(), 0.0f);
  }
  return out;
}

void write_record(const std::filesystem::path& dir, const std::string& record_name,
                  const Header& header, const std::vector<std::vector<std::int32_t>>& samples_adu) {
  if (record_name.empty() || record_name.find_first_of("/ \t\\") != std::string::npos) {
    throw Error("invalid record name '" + record_name + "'");
  }
  if (samples_adu.size() != header.signals.size()) {
    throw Error(record_name + ": " + std::to_string(samples_adu.size()) + " sample rows for " +
                std::to_string(header.signals.size()) + " signals");
  }
  const std::size_t n = samples_adu.empty() ? 0 : samples_adu.front().size();
  for (std::size_t s = 0; s < samples_adu.size(); ++s) {
    if (samples_adu[s].size() != n) {
      throw Error(record_name + ": signal " + std::to_string(s + 1) + " has " +
                  std::to_string(samples_adu[s].size()) + " samples, signal 1 has " +
                  std::to_string(n));
    }
    for (std::size_t i = 0; i < n; ++i) {
      const std::int32_t v = samples_adu[s][i];
      if (v < std::numeric_limits<std::int16_t>::min() ||
          v > std::numeric_limits<std::int16_t>::max()) {
        throw Error(record_name + ": signal " + std::to_string(s + 1) + " sample " +
                    std::to_string(i) + " = " + std::to_string(v) +
                    " adu does not fit format 16 (int16)");
      }
    }
    (void)microvolts_per_unit(header.signals[s].units);  // refuse non-voltage units early
  }
  std::filesystem::create_directories(dir);
  const std::string dat_name = record_name + ".dat";

  std::vector<unsigned char> bytes(2 * n * samples_adu.size());
  std::size_t k = 0;
  for (std::size_t i = 0; i < n; ++i) {
    for (const auto& sig : samples_adu) {
      const auto u = static_cast<std::uint16_t>(static_cast<std::int16_t>(sig[i]));
      bytes[k++] = static_cast<unsigned char>(u & 0xFFu);
      bytes[k++] = static_cast<unsigned char>(u >> 8);
    }
  }
  {
    std::ofstream out(dir / dat_name, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    if (!out) throw Error((dir / dat_name).string() + ": write failed");
  }

  std::string hea = record_name + " " + std::to_string(header.signals.size()) + " " +
                    format_double(header.sample_rate_hz) + " " + std::to_string(n) + "\n";
  for (std::size_t s = 0; s < header.signals.size(); ++s) {
    const SignalSpec& sig = header.signals[s];
    if (!(sig.adc_gain_per_mv > 0)) throw Error(record_name + ": gain must be positive");
    hea += dat_name + " 16 " + format_double(sig.adc_gain_per_mv) + "(" +
           std::to_string(sig.baseline_adu) + ")/" + sig.units + " 16 " +
           std::to_string(sig.adc_zero) + " " + std::to_string(n > 0 ? samples_adu[s][0] : 0) +
           " " + std::to_string(checksum16(samples_adu[s])) + " 0";
    if (!sig.description.empty()) hea += " " + sig.description;
    hea += "\n";
  }
  bool comment_has_age = false;
  bool comment_has_sex = false;
  for (const auto& c : header.comments) {
    comment_has_age = comment_has_age || detail::age_from_comment(c).has_value();
    comment_has_sex = comment_has_sex || detail::sex_from_comment(c).has_value();
  }
  if (header.age_years && !comment_has_age)
    hea += "#<age>: " + std::to_string(*header.age_years) + "\n";
  if (header.sex && !comment_has_sex) hea += std::string("#<sex>: ") + *header.sex + "\n";
  for (const auto& c : header.comments) {
    if (c.find_first_of("\r\n") != std::string::npos) {
      throw Error(record_name + ": header comment contains a line break");
    }
    hea += "#" + c + "\n";
  }
  std::ofstream out(dir / (record_name + ".hea"), std::ios::binary | std::ios::trunc);
  out << hea;
  if (!out) throw Error((dir / (record_name + ".hea")).string() + ": write failed");
}

}  // namespace gc::wfdb
