// How the agent reads what it watches: a file (any format gc::formats reads) or a WFDB record
// (header + data files), hashed as one content and parsed from the same bytes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "gc/cart_study.hpp"

namespace gc::agent {

// A WFDB header's name followed by the data files it names (each once, in order). When the
// header cannot be parsed (yet), just the header.
std::vector<std::string> wfdb_members(const std::filesystem::path& dir, const std::string& hea);

// Every member's bytes; std::runtime_error naming the file when one is missing, unreadable or
// larger than formats::kMaxFileBytes.
std::vector<std::vector<std::uint8_t>> read_members(const std::filesystem::path& dir,
                                                    const std::vector<std::string>& members);

// SHA-256 of a single file's bytes; of a record: of each member's size and bytes in order.
std::string content_sha256(const std::vector<std::string>& members,
                           const std::vector<std::vector<std::uint8_t>>& bytes);

struct ParsedEcg {
  ConvertedStudy converted;
  std::string format;                               // "WFDB", "DICOM", "HL7 aECG", …
  std::optional<std::int64_t> acquired_at_unix_ms;  // as the file states it
};

// Throws (formats::Error, wfdb::Error, std::runtime_error) with the reason, naming the file.
ParsedEcg parse_members(const std::vector<std::string>& members,
                        const std::vector<std::vector<std::uint8_t>>& bytes);

}  // namespace gc::agent
