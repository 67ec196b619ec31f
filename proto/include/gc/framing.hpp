// framing — protocol v1 on a byte stream: each frame is a base-128 varint byte count followed by
// one serialized message (protobuf's standard delimited framing); an incremental decoder for
// async reads that checks the announced length against a limit before buffering the body; and the
// semantic validation of cart messages (field ranges, identifiers, lead lists), whose errors name
// the field. Used by the ingest server, the cart client and the fuzz target. See proto/README.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "greenchannel.pb.h"

namespace gc::proto {

namespace pb = greenchannel::v1;
using ErrorCode = pb::Error::Code;

inline constexpr std::uint32_t kProtocolVersion = 1;
inline constexpr std::size_t kDefaultMaxFrameBytes = std::size_t{1} << 20;  // 1 MiB
// A length prefix is a uint32 varint: at most 5 bytes. Longer prefixes are malformed.
inline constexpr std::size_t kMaxLengthPrefixBytes = 5;

// A protocol error carrying the code the server reports to the cart (MALFORMED_FRAME,
// FRAME_TOO_LARGE, PROTOCOL_VIOLATION, UNKNOWN_LEAD, LIMIT_EXCEEDED, ...).
class ProtocolError : public std::runtime_error {
 public:
  ProtocolError(ErrorCode code, const std::string& what);
  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

// Name of an error code as in the .proto ("FRAME_TOO_LARGE").
std::string_view code_name(ErrorCode code);

// --- Encoding -------------------------------------------------------------------------------

// Appends one frame (varint length + serialized message) to `out`.
void append_frame(std::string& out, const google::protobuf::MessageLite& message);
std::string encode_frame(const google::protobuf::MessageLite& message);

// --- Incremental decoding -------------------------------------------------------------------

// Feed bytes as they arrive; take complete frame bodies out. The length prefix is checked against
// max_frame_bytes as soon as it is complete, so a hostile prefix (say 2 GB) fails before any body
// byte is buffered; the decoder's buffer never holds more than one frame plus what was fed since.
// After an error the decoder stays failed (the stream cannot be resynchronised).
class FrameDecoder {
 public:
  explicit FrameDecoder(std::size_t max_frame_bytes = kDefaultMaxFrameBytes);

  void feed(std::string_view bytes);

  // The next complete frame body, or nullopt when more bytes are needed. The view is valid until
  // the next call to feed() or next_frame(). Throws ProtocolError (MALFORMED_FRAME for a length
  // prefix longer than 5 bytes or above 2^32 - 1, FRAME_TOO_LARGE above max_frame_bytes).
  std::optional<std::string_view> next_frame();

  std::size_t buffered_bytes() const noexcept { return buffer_.size() - pos_; }
  std::size_t max_frame_bytes() const noexcept { return max_frame_bytes_; }
  bool failed() const noexcept { return failed_.has_value(); }

 private:
  [[noreturn]] void fail(ErrorCode code, const std::string& what);

  std::size_t max_frame_bytes_;
  std::string buffer_;
  std::size_t pos_ = 0;  // start of the unread part of buffer_
  std::optional<ProtocolError> failed_;
};

// Parses a frame body. Throws ProtocolError(MALFORMED_FRAME) when the bytes are not a message.
pb::CartMessage parse_cart_message(std::string_view body);
pb::ServerMessage parse_server_message(std::string_view body);

// --- Validation -----------------------------------------------------------------------------

// Limits a server enforces on what carts send (configurable; defaults are the protocol's).
struct Limits {
  std::size_t max_frame_bytes = kDefaultMaxFrameBytes;
  std::uint32_t min_sample_rate_hz = 100;
  std::uint32_t max_sample_rate_hz = 2000;
  std::size_t max_leads = 32;
  std::size_t max_study_uid_chars = 128;
  std::size_t max_device_id_chars = 64;
  std::size_t max_credential_chars = 256;
  std::size_t max_text_chars = 256;        // firmware, pseudonymous id, clock names
  std::size_t max_chunk_values = 131072;   // integers in one chunk, all leads together
  std::uint64_t max_study_seconds = 3600;  // samples per lead ≤ rate × this
  double min_resolution_nv_per_lsb = 0.001;
  double max_resolution_nv_per_lsb = 1.0e5;  // 100 µV per step is already useless for ST
  std::uint32_t max_age_years = 130;

  std::uint64_t max_samples_per_lead(std::uint32_t sample_rate_hz) const {
    return std::uint64_t{sample_rate_hz} * max_study_seconds;
  }
};

// Canonical lead names the protocol accepts: I, II, III, aVR, aVL, aVF, V1..V9, V3R, V4R, V5R.
// Carts send these spellings exactly (the cart canonicalises; the server does not guess).
const std::vector<std::string>& known_leads();
bool is_known_lead(std::string_view name);

// Identifiers (device id, study uid): 1..max_chars of [A-Za-z0-9._:-].
bool is_valid_identifier(std::string_view text, std::size_t max_chars);

// What is wrong with a text that a person will read (a patient id, a clinic's name, firmware):
// invalid UTF-8, a control character (C0 but tab, DEL, C1) or a bidirectional-formatting
// character (U+061C, U+200E/F, U+202A–U+202E, U+2066–U+2069, which make "pid" U+202E "evil"
// display as "pidlive"), named with its byte offset. nullopt when the text is clean. Used by the protocol
// checks below and by every other entry path (CLI, station).
std::optional<std::string> text_problem(std::string_view text);

// `text` made acceptable to text_problem: invalid UTF-8 bytes become U+FFFD, control and
// bidirectional formatting characters are dropped, and the result is cut at a character boundary
// to at most max_bytes. For texts a cart agent copies from a file it did not write (a vendor's
// model name), where refusing the whole ECG over one byte would be worse than a visible mark.
std::string printable_text(std::string_view text, std::size_t max_bytes);

// Semantic checks of one cart message in isolation. Throw ProtocolError naming the field
// ("study_start.leads[3]: unknown lead 'V10'"). Per-study checks (chunk shape against the
// study's lead count) are in validate_chunk.
void validate(const pb::CartMessage& message, const Limits& limits);
void validate_hello(const pb::Hello& hello, const Limits& limits);
void validate_study_start(const pb::StudyStart& start, const Limits& limits);
void validate_study_end(const pb::StudyEnd& end, const Limits& limits);
// `chunk` against its open study: the sample count is a non-zero multiple of n_leads, within the
// chunk and study limits.
void validate_chunk(const pb::SampleChunk& chunk, std::size_t n_leads, std::uint32_t sample_rate_hz,
                    const Limits& limits);

}  // namespace gc::proto
