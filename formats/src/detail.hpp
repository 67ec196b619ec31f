// Internals shared by the format readers: the record assembly every reader ends with, lead-code
// tables, base64 and bounded text-to-number helpers.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gc/formats.hpp"

namespace pugi {
class xml_node;
}

namespace gc::formats::detail {

// Checks the leads (same length, count and length within the limits, rate valid), maps names to
// canonical, derives III/aVR/aVL/aVF when the file holds I and II without them, and builds the µV
// block. Throws Error prefixed with `what` ("DICOM", …).
EcgFile assemble(Source source, double sample_rate_hz, std::vector<StoredLead> leads,
                 std::string_view what);

// Keeps the device's median beat on `file` when it is well-formed (valid rate, at least one lead,
// all leads one non-empty length); otherwise adds a warning saying why it was not kept.
void keep_device_median(EcgFile& file, DeviceMedian median, std::string_view what);

// Canonical name of an SCP-ECG / MDC lead number (EN 1064 table 10: 1 = I, 2 = II, 3–8 = V1–V6,
// 61 = III …); nullopt when the number is not a lead we name.
std::optional<std::string> lead_name_from_code(int code);

// Base64 (RFC 4648, whitespace ignored); nullopt on an invalid character or length.
std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text);

// Strict parses: the whole trimmed text must be a number.
std::optional<double> parse_double(std::string_view text);
std::optional<std::int64_t> parse_int(std::string_view text);
std::string trim(std::string_view text);

EcgFile read_dicom(std::span<const std::uint8_t> bytes);
// SCP-ECG bimodal compression: the largest decimation factor read (section 6's sample interval
// over section 5's); each stored value may then stand for this many samples.
inline constexpr std::int64_t kScpMaxDecimationFactor = 16;
EcgFile read_scp(std::span<const std::uint8_t> bytes);
// XML documents: the root element chooses among aECG, MUSE, Sierra and CardioSoft.
EcgFile read_xml(std::span<const std::uint8_t> bytes);
EcgFile read_aecg(const pugi::xml_node& root);
EcgFile read_muse(const pugi::xml_node& root);
EcgFile read_sierra(const pugi::xml_node& root);
EcgFile read_cardiosoft(const pugi::xml_node& root);

// Philips XLI: `n_leads` chunks of LZW-compressed delta codes → n_samples counts per lead (the
// limb-lead residuals are not undone here). Error when the data hold fewer leads or samples.
std::vector<std::vector<std::int32_t>> decode_xli(std::span<const std::uint8_t> bytes,
                                                  std::size_t n_leads, std::size_t n_samples,
                                                  const std::string& what);

bool looks_like_dicom(std::span<const std::uint8_t> bytes);
// `file_size`: the whole file's size when `bytes` is only its head (0: bytes is the whole file).
bool looks_like_scp(std::span<const std::uint8_t> bytes, std::size_t file_size = 0);

}  // namespace gc::formats::detail
