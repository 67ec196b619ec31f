// wfdb — reads (and writes) PhysioNet WFDB records: .hea headers (LF or CRLF), signal formats 16
// and 212 with byte offsets ("16+24"), per-lead gain/baseline ("1716(6)/mV"), header comments
// (<age>, <sex>, "# Age:"), and annotation files (.atr, .q1c, LUDB per-lead files).
// Errors name the file and, for headers, the line.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace gc::wfdb {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct SignalSpec {
  std::string file_name;  // data file, relative to the header's folder
  int format = 16;        // 16 or 212
  std::int64_t byte_offset = 0;
  double adc_gain_per_mv = 200;  // ADC units per physical unit (WFDB default 200)
  std::int32_t baseline_adu = 0;
  std::string units = "mV";
  int adc_resolution_bits = 0;
  std::int32_t adc_zero = 0;
  std::int32_t initial_value = 0;
  std::optional<std::int32_t> checksum;
  std::string description;  // lead name as given ("i", "V1", "MLII")
};

struct Header {
  std::string record_name;
  double sample_rate_hz = 250;
  std::int64_t n_samples = 0;  // per signal; 0 when not given: read_record derives it from the
                               // first data file's size and stores it here
  std::vector<SignalSpec> signals;
  std::vector<std::string> comments;  // without the leading '#'
  std::optional<int> age_years;
  std::optional<char> sex;  // 'M' or 'F'
};

struct Record {
  Header header;
  std::vector<std::vector<std::int32_t>> samples_adu;  // [signal][sample], exactly as stored
  // Physical values in µV: (adu - baseline) / gain * (µV per unit: mV 1000, uV/µV 1, V 1e6,
  // nV 0.001) — NaN or ±inf never produced: unknown units, and a gain so small that a sample leaves
  // the float range, throw Error naming the lead.
  // WFDB's invalid-sample marker (-32768 in fmt 16, -2048 in 212) is reported via invalid_count;
  // in this µV view an invalid sample repeats the previous valid value of its lead (leading
  // invalid samples take the first valid value; a lead with no valid sample reads 0 µV), so
  // filters see no step — callers must consult invalid_count()/invalid_counts() and treat leads
  // with invalid samples as questionable. samples_adu keeps the markers untouched.
  std::vector<std::vector<float>> to_microvolts() const;
  std::int64_t invalid_count() const;
  std::vector<std::int64_t> invalid_counts() const;  // per signal
  // Signals whose header checksum is present and differs from the 16-bit sum of the samples read.
  std::vector<std::size_t> checksum_mismatches() const;
};

// µV per physical unit for a WFDB units string ("mV" → 1000, "uV"/"µV" → 1, "V" → 1e6,
// "nV" → 0.001); Error for non-voltage units.
double microvolts_per_unit(const std::string& units);

// Invalid-sample marker of a storage format (-32768 for 16, -2048 for 212).
std::int32_t invalid_sample_marker(int format);

// WFDB checksum: the sum of the samples modulo 2^16, as a signed 16-bit value.
std::int32_t checksum16(const std::vector<std::int32_t>& samples);

Header read_header(const std::filesystem::path& hea_path);
Record read_record(const std::filesystem::path& hea_path);

// In-memory forms of the readers (the file readers read the bytes and call these; the fuzzer
// tests/fuzz/fuzz_wfdb calls them directly). `source` names the input in error messages as the
// file path does for the file readers ("<source>:<line>: ..." for headers).
Header parse_header(std::string_view text, const std::string& source = "header");
// A record from a parsed header and the whole contents of each data file it names, keyed by the
// file name as the header writes it (byte offsets count from the start of those bytes). Error when
// a file is missing or holds fewer bytes than the header's length needs; a length of 0 (not
// given) is taken from the first data file's size, as read_record does. Sizes derived from the
// header are checked against the bytes given before anything is allocated.
using DataFiles = std::map<std::string, std::span<const std::uint8_t>, std::less<>>;
Record parse_record(Header header, const DataFiles& data_files);

// Writes a format-16 record (header + .dat) named `record_name` into `dir`. Uses each signal's
// gain, baseline, units, ADC zero and description from `header`; file name, format, offset,
// initial value and checksum are computed. Comments are written as "#" lines; when age/sex are
// set and no comment states them, "<age>: N" / "<sex>: M" lines are added. Samples outside the
// int16 range throw Error: never silently clipped (-32768 is written as is = WFDB "invalid").
void write_record(const std::filesystem::path& dir, const std::string& record_name,
                  const Header& header, const std::vector<std::vector<std::int32_t>>& samples_adu);

struct Annotation {
  std::int64_t sample = 0;
  char symbol = '?';  // MIT code mapped to its mnemonic: 'N','V','(',')','p','t','[',']','+',...
  int code = 0;       // raw annotation code
  int subtype = 0;
  int channel = 0;
  int num = 0;
  std::string aux;
};

// MIT-format annotation file (as written by wrann: .atr, .q1c, LUDB .i/.v1 …).
std::vector<Annotation> read_annotations(const std::filesystem::path& path);
std::vector<Annotation> parse_annotations(std::span<const std::uint8_t> bytes,
                                          const std::string& source = "annotations");

// True for annotation symbols that denote a beat (N, L, R, B, A, a, J, S, V, r, F, e, j, n, E, /,
// f, Q, ?).
bool is_beat_symbol(char symbol);

}  // namespace gc::wfdb
