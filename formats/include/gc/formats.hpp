// formats — reads the ECG files real carts and ECG systems export (DICOM waveform, HL7 aECG,
// SCP-ECG, GE MUSE XML, Philips Sierra XML, GE CardioSoft XML), chosen by content (magic bytes or
// XML root element, never the file name), into the record type dsp analyses plus what the file
// says about its source: device, acquisition time, patient. Stored samples are kept exactly as
// the file holds them (integer counts with their µV scale); the dsp block is their µV view with
// the limb leads derived when the file stores only the 8 independent channels (DESIGN §2).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "gc/dsp.hpp"

namespace gc::formats {

// Every reader error: one line, naming the reason ("SCP-ECG: section 6 CRC mismatch ...",
// "unsupported format: MFER"). read_ecg_file prefixes the file name.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class Format { dicom, hl7_aecg, scp_ecg, ge_muse, philips_sierra, ge_cardiosoft };
std::string_view to_string(Format format);  // "DICOM", "HL7 aECG", "SCP-ECG", ...

// Limits checked before allocating: a declared size beyond these is a corrupt file, not an ECG.
inline constexpr std::size_t kMaxFileBytes = 256u << 20;              // 256 MiB
inline constexpr std::int64_t kMaxSamplesPerLead = 24 * 3600 * 1000;  // 24 h at 1 kHz
inline constexpr std::size_t kMaxLeads = 64;

// One lead as the file stores it: µV = offset_uv + counts × uv_per_count.
struct StoredLead {
  std::string name;  // canonical (I, II, …, V3R) when known, else as the file names it
  std::vector<std::int32_t> counts;
  double uv_per_count = 1;
  double offset_uv = 0;
};

// What the file says about where the ECG came from. Strings are as given (empty when absent).
struct Source {
  Format format = Format::dicom;
  std::string format_version;  // "1.04", "2.0", transfer syntax UID, …
  std::string manufacturer;
  std::string model;
  std::string serial;
  std::string software;
  // Acquisition time as the file gives it, ISO 8601 without a zone ("2002-11-22T09:10:00");
  // acquired_zone is the UTC offset ("+08:00") when the file states one, else "" (local cart
  // clock, zone unknown).
  std::string acquired_at;
  std::string acquired_zone;
  std::string patient_id;
  std::optional<int> age_years;
  std::optional<char> sex;  // 'M' or 'F'
};

// The device's own representative (median) beat, as stored: kept as the device's, never used for
// our analysis (dsp builds its own median beat from the rhythm).
struct DeviceMedian {
  double sample_rate_hz = 0;
  std::vector<StoredLead> leads;
};

struct EcgFile {
  Source source;
  double sample_rate_hz = 0;
  std::int64_t samples_per_lead = 0;
  std::vector<StoredLead> stored;          // leads as stored (rhythm data, not median beats)
  std::vector<std::string> derived_leads;  // leads computed here (III, aVR, aVL, aVF)
  dsp::SignalBlock block;                  // µV, canonical names, stored + derived leads
  std::optional<DeviceMedian> device_median;
  // What was read but not kept, one line each ("device median beat not kept: …").
  std::vector<std::string> warnings;
  std::vector<std::string> stored_lead_names() const;
};

// The format of `bytes` from its content; Error "unsupported format: …" when not one we read.
Format detect_format(std::span<const std::uint8_t> bytes);

// Reads an ECG of any supported format from memory.
EcgFile read_ecg(std::span<const std::uint8_t> bytes);
// Reads a file; Error messages start with the path.
EcgFile read_ecg_file(const std::filesystem::path& path);

// True when the file's first bytes look like a supported ECG format (cheap, no full parse): lets
// callers that also take WFDB records choose the reader.
bool looks_like_ecg_file(const std::filesystem::path& path);

}  // namespace gc::formats
