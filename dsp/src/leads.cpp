// Lead-name canonicalisation: maps the spellings found in WFDB headers, carts and CSV exports
// ("i", "AVR", "v4r", "V 1") to the canonical names the rest of the pipeline keys on.
#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <string>
#include <string_view>

#include "gc/dsp.hpp"

namespace gc::dsp {

std::optional<std::string> canonical_lead_name(std::string_view name) {
  // Normalise: trim, drop inner spaces/underscores, lower-case. A leading sign is *not* stripped:
  // "-aVR" is a different signal (inverted aVR) and must not be mistaken for aVR.
  std::string key;
  key.reserve(name.size());
  for (const char c : name) {
    if (c == ' ' || c == '_' || c == '\t') continue;
    key.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  if (key.rfind("lead", 0) == 0) key.erase(0, 4);  // "Lead II", "LEAD_V1"

  struct Entry {
    std::string_view key;
    std::string_view canonical;
  };
  static constexpr std::array<Entry, 18> kTable{{
      {"i", "I"},       {"ii", "II"},     {"iii", "III"},   {"avr", "aVR"},   {"avl", "aVL"},
      {"avf", "aVF"},   {"v1", "V1"},     {"v2", "V2"},     {"v3", "V3"},     {"v4", "V4"},
      {"v5", "V5"},     {"v6", "V6"},     {"v7", "V7"},     {"v8", "V8"},     {"v9", "V9"},
      {"v3r", "V3R"},   {"v4r", "V4R"},   {"v5r", "V5R"},
  }};
  const auto it = std::find_if(kTable.begin(), kTable.end(),
                               [&](const Entry& e) { return e.key == key; });
  if (it == kTable.end()) return std::nullopt;
  return std::string(it->canonical);
}

}  // namespace gc::dsp
