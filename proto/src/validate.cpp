// Semantic validation of cart messages: ranges, identifiers, lead lists. Errors name the field so
// a device maker can fix their cart from the error frame alone.
#include <cstdio>
#include <algorithm>
#include <cmath>
#include <set>

#include "gc/framing.hpp"

namespace gc::proto {

namespace {

// 2200-01-01T00:00:00Z. Cart clocks drift and reset, so instants are only checked for being
// representable, never for being "plausible": a STEMI must not be refused over a wrong clock.
constexpr std::int64_t kMaxUnixMs = 7258118400000;

[[noreturn]] void reject(ErrorCode code, const std::string& field, const std::string& problem) {
  throw ProtocolError(code, field + ": " + problem);
}

[[noreturn]] void invalid(const std::string& field, const std::string& problem) {
  reject(pb::Error::PROTOCOL_VIOLATION, field, problem);
}

std::string quoted(std::string_view text) {
  // Echo at most 40 characters of hostile input back into the error message.
  std::string out = "'";
  for (const char c : text.substr(0, 40)) {
    out += (c >= 0x20 && c < 0x7F) ? c : '?';
  }
  out += text.size() > 40 ? "...'" : "'";
  return out;
}

void check_identifier(std::string_view text, std::size_t max_chars, const std::string& field) {
  if (text.empty()) {
    invalid(field, "missing");
  }
  if (!is_valid_identifier(text, max_chars)) {
    invalid(field, "must be 1.." + std::to_string(max_chars) +
                       " characters of [A-Za-z0-9._:-], got " + quoted(text) + " (" +
                       std::to_string(text.size()) + " bytes)");
  }
}

void check_text(std::string_view text, std::size_t max_chars, const std::string& field) {
  if (text.size() > max_chars) {
    invalid(field, "longer than " + std::to_string(max_chars) + " bytes");
  }
  if (const auto why = text_problem(text)) invalid(field, *why);
}

void check_instant(const pb::Instant& instant, const Limits& limits, const std::string& field) {
  if (instant.unix_ms() < 0 || instant.unix_ms() > kMaxUnixMs) {
    invalid(field + ".unix_ms", "out of range (" + std::to_string(instant.unix_ms()) + ")");
  }
  check_text(instant.clock(), limits.max_text_chars, field + ".clock");
}

}  // namespace

const std::vector<std::string>& known_leads() {
  static const std::vector<std::string> leads = {"I",  "II", "III", "aVR", "aVL", "aVF",
                                                 "V1", "V2", "V3",  "V4",  "V5",  "V6",
                                                 "V7", "V8", "V9",  "V3R", "V4R", "V5R"};
  return leads;
}

bool is_known_lead(std::string_view name) {
  const auto& leads = known_leads();
  return std::find(leads.begin(), leads.end(), name) != leads.end();
}

std::optional<std::string> text_problem(std::string_view text) {
  char hex[16];
  const auto at = [&](const char* what, std::uint32_t cp, std::size_t i) {
    std::snprintf(hex, sizeof hex, "U+%04X", static_cast<unsigned>(cp));
    return std::string(what) + " " + hex + " at byte " + std::to_string(i);
  };
  for (std::size_t i = 0; i < text.size();) {
    const auto b0 = static_cast<unsigned char>(text[i]);
    std::uint32_t cp = 0;
    std::size_t len = 0;
    if (b0 < 0x80) {
      cp = b0;
      len = 1;
    } else if (b0 >= 0xC2 && b0 <= 0xDF) {
      cp = b0 & 0x1Fu;
      len = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      cp = b0 & 0x0Fu;
      len = 3;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      cp = b0 & 0x07u;
      len = 4;
    } else {
      return "invalid UTF-8 at byte " + std::to_string(i);
    }
    if (i + len > text.size()) return "invalid UTF-8 at byte " + std::to_string(i) + " (truncated)";
    for (std::size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(text[i + k]);
      if ((b & 0xC0u) != 0x80u) return "invalid UTF-8 at byte " + std::to_string(i);
      cp = (cp << 6) | (b & 0x3Fu);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8 either.
    const bool overlong = (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
    if (overlong || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
      return "invalid UTF-8 at byte " + std::to_string(i);
    }
    if ((cp < 0x20 && cp != '\t') || (cp >= 0x7F && cp <= 0x9F)) return at("control character", cp, i);
    if (cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
        (cp >= 0x2066 && cp <= 0x2069)) {
      return at("bidirectional formatting character", cp, i);
    }
    i += len;
  }
  return std::nullopt;
}

std::string printable_text(std::string_view text, std::size_t max_bytes) {
  std::string out;
  const auto append = [&](std::string_view piece) {
    if (out.size() + piece.size() <= max_bytes) out.append(piece);
    else max_bytes = out.size();  // full: keep what fits, whole characters only
  };
  for (std::size_t i = 0; i < text.size() && out.size() < max_bytes;) {
    // One character at a time, judged by text_problem itself.
    std::size_t len = 1;
    const auto b0 = static_cast<unsigned char>(text[i]);
    if (b0 >= 0xC2 && b0 <= 0xDF) len = 2;
    else if (b0 >= 0xE0 && b0 <= 0xEF) len = 3;
    else if (b0 >= 0xF0 && b0 <= 0xF4) len = 4;
    const std::string_view ch = text.substr(i, std::min(len, text.size() - i));
    if (!text_problem(ch)) {
      append(ch);
      i += ch.size();
      continue;
    }
    const bool decodes = ch.size() == len && text_problem(ch)->rfind("invalid UTF-8", 0) != 0;
    if (!decodes) append("\xEF\xBF\xBD");  // U+FFFD for a byte that is not UTF-8
    i += decodes ? len : 1;
  }
  return out;
}

bool is_valid_identifier(std::string_view text, std::size_t max_chars) {
  if (text.empty() || text.size() > max_chars) {
    return false;
  }
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == ':' || c == '-';
  });
}

void validate_hello(const pb::Hello& hello, const Limits& limits) {
  if (hello.protocol_version() != kProtocolVersion) {
    invalid("hello.protocol_version",
            "unsupported version " + std::to_string(hello.protocol_version()) +
                " (this server speaks " + std::to_string(kProtocolVersion) + ")");
  }
  check_identifier(hello.device_id(), limits.max_device_id_chars, "hello.device_id");
  if (hello.credential().empty()) {
    reject(pb::Error::UNAUTHENTICATED, "hello.credential", "missing");
  }
  check_text(hello.credential(), limits.max_credential_chars, "hello.credential");
  if (hello.has_device_clock()) {
    check_instant(hello.device_clock(), limits, "hello.device_clock");
  }
  check_text(hello.firmware(), limits.max_text_chars, "hello.firmware");
}

void validate_study_start(const pb::StudyStart& start, const Limits& limits) {
  check_identifier(start.study_uid(), limits.max_study_uid_chars, "study_start.study_uid");

  const int n_leads = start.leads_size();
  if (n_leads < 1 || static_cast<std::size_t>(n_leads) > limits.max_leads) {
    reject(
        pb::Error::LIMIT_EXCEEDED, "study_start.leads",
        "needs 1.." + std::to_string(limits.max_leads) + " leads, got " + std::to_string(n_leads));
  }
  std::set<std::string_view> seen;
  for (int i = 0; i < n_leads; ++i) {
    const std::string& lead = start.leads(i);
    const std::string field = "study_start.leads[" + std::to_string(i) + "]";
    if (!is_known_lead(lead)) {
      reject(pb::Error::UNKNOWN_LEAD, field,
             "unknown lead " + quoted(lead) +
                 " (use the canonical names I, II, III, aVR, aVL, "
                 "aVF, V1..V9, V3R, V4R, V5R)");
    }
    if (!seen.insert(lead).second) {
      invalid(field, "lead " + quoted(lead) + " listed twice");
    }
  }
  if (start.derive_limb_leads()) {
    if (!seen.contains("I") || !seen.contains("II")) {
      invalid("study_start.derive_limb_leads", "needs leads I and II");
    }
    for (const char* derived : {"III", "aVR", "aVL", "aVF"}) {
      if (seen.contains(derived)) {
        invalid("study_start.derive_limb_leads",
                std::string("lead ") + derived + " is sent but would be derived");
      }
    }
  }

  if (start.sample_rate_hz() < limits.min_sample_rate_hz ||
      start.sample_rate_hz() > limits.max_sample_rate_hz) {
    invalid("study_start.sample_rate_hz", "must be " + std::to_string(limits.min_sample_rate_hz) +
                                              ".." + std::to_string(limits.max_sample_rate_hz) +
                                              " Hz, got " + std::to_string(start.sample_rate_hz()));
  }
  const double resolution = start.resolution_nv_per_lsb();
  if (!std::isfinite(resolution) || resolution < limits.min_resolution_nv_per_lsb ||
      resolution > limits.max_resolution_nv_per_lsb) {
    invalid("study_start.resolution_nv_per_lsb",
            "must be a finite value in " + std::to_string(limits.min_resolution_nv_per_lsb) + ".." +
                std::to_string(limits.max_resolution_nv_per_lsb) + " nV, got " +
                std::to_string(resolution));
  }
  const std::uint64_t max_samples = limits.max_samples_per_lead(start.sample_rate_hz());
  if (start.expected_samples_per_lead() > max_samples) {
    reject(pb::Error::LIMIT_EXCEEDED, "study_start.expected_samples_per_lead",
           std::to_string(start.expected_samples_per_lead()) + " exceeds the limit of " +
               std::to_string(max_samples) + " (" + std::to_string(limits.max_study_seconds) +
               " s at the study's rate)");
  }

  if (start.has_source()) {
    const pb::SourceFile& source = start.source();
    if (source.format().empty()) invalid("study_start.source.format", "must name the file's format");
    check_text(source.format(), limits.max_text_chars, "study_start.source.format");
    check_text(source.file_name(), limits.max_text_chars, "study_start.source.file_name");
    if (source.file_name().find('/') != std::string::npos) {
      invalid("study_start.source.file_name", "a file name, not a path");
    }
    check_text(source.manufacturer(), limits.max_text_chars, "study_start.source.manufacturer");
    check_text(source.model(), limits.max_text_chars, "study_start.source.model");
    check_text(source.serial_number(), limits.max_text_chars, "study_start.source.serial_number");
    check_text(source.software(), limits.max_text_chars, "study_start.source.software");
  }

  if (start.has_patient()) {
    const pb::PatientContext& patient = start.patient();
    check_text(patient.pseudonymous_id(), limits.max_text_chars,
               "study_start.patient.pseudonymous_id");
    if (patient.age_years() > limits.max_age_years) {
      invalid("study_start.patient.age_years", "must be 0 (unknown) .. " +
                                                   std::to_string(limits.max_age_years) + ", got " +
                                                   std::to_string(patient.age_years()));
    }
    if (!pb::Sex_IsValid(patient.sex())) {
      invalid("study_start.patient.sex", "unknown value " + std::to_string(patient.sex()));
    }
    if (patient.has_symptom_onset()) {
      check_instant(patient.symptom_onset(), limits, "study_start.patient.symptom_onset");
    }
    if (patient.has_first_medical_contact()) {
      check_instant(patient.first_medical_contact(), limits,
                    "study_start.patient.first_medical_contact");
    }
  }
  if (start.has_acquired_at()) {
    check_instant(start.acquired_at(), limits, "study_start.acquired_at");
  }
}

void validate_study_end(const pb::StudyEnd& end, const Limits& limits) {
  check_identifier(end.study_uid(), limits.max_study_uid_chars, "study_end.study_uid");
  const std::uint64_t max_samples = limits.max_samples_per_lead(limits.max_sample_rate_hz);
  if (end.total_samples_per_lead() > max_samples) {
    reject(pb::Error::LIMIT_EXCEEDED, "study_end.total_samples_per_lead",
           std::to_string(end.total_samples_per_lead()) + " exceeds the limit of " +
               std::to_string(max_samples));
  }
}

void validate_chunk(const pb::SampleChunk& chunk, std::size_t n_leads, std::uint32_t sample_rate_hz,
                    const Limits& limits) {
  check_identifier(chunk.study_uid(), limits.max_study_uid_chars, "chunk.study_uid");
  const auto n_values = static_cast<std::size_t>(chunk.samples_size());
  if (n_values == 0) {
    invalid("chunk.samples", "empty");
  }
  if (n_values > limits.max_chunk_values) {
    reject(pb::Error::LIMIT_EXCEEDED, "chunk.samples",
           std::to_string(n_values) + " values exceed the per-chunk limit of " +
               std::to_string(limits.max_chunk_values));
  }
  if (n_leads == 0 || n_values % n_leads != 0) {
    invalid("chunk.samples", std::to_string(n_values) + " values are not a multiple of the " +
                                 std::to_string(n_leads) + " leads");
  }
  const std::uint64_t per_lead = n_values / n_leads;
  const std::uint64_t max_samples = limits.max_samples_per_lead(sample_rate_hz);
  if (chunk.first_sample_index() > max_samples ||
      chunk.first_sample_index() + per_lead > max_samples) {
    reject(pb::Error::LIMIT_EXCEEDED, "chunk.first_sample_index",
           "study would exceed " + std::to_string(max_samples) + " samples per lead (" +
               std::to_string(limits.max_study_seconds) + " s)");
  }
}

void validate(const pb::CartMessage& message, const Limits& limits) {
  switch (message.body_case()) {
    case pb::CartMessage::kHello:
      validate_hello(message.hello(), limits);
      return;
    case pb::CartMessage::kStudyStart:
      validate_study_start(message.study_start(), limits);
      return;
    case pb::CartMessage::kChunk: {
      const pb::SampleChunk& chunk = message.chunk();
      check_identifier(chunk.study_uid(), limits.max_study_uid_chars, "chunk.study_uid");
      if (static_cast<std::size_t>(chunk.samples_size()) > limits.max_chunk_values) {
        reject(pb::Error::LIMIT_EXCEEDED, "chunk.samples",
               std::to_string(chunk.samples_size()) + " values exceed the per-chunk limit of " +
                   std::to_string(limits.max_chunk_values));
      }
      return;
    }
    case pb::CartMessage::kStudyEnd:
      validate_study_end(message.study_end(), limits);
      return;
    case pb::CartMessage::kPing:
      if (message.ping().has_device_clock()) {
        check_instant(message.ping().device_clock(), limits, "ping.device_clock");
      }
      return;
    case pb::CartMessage::BODY_NOT_SET:
      break;
  }
  invalid("body", "empty message (no hello, study_start, chunk, study_end or ping)");
}

}  // namespace gc::proto
