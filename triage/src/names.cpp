// triage: names of categories, tiers, sexes and territories (English and Chinese, DESIGN.md §4),
// and the ST-elevation thresholds by lead, sex and age.
#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include "gc/triage.hpp"

namespace gc::triage {

std::string_view to_string(Category c) {
  switch (c) {
    case Category::stemi:
      return "stemi";
    case Category::stemi_equivalent:
      return "stemi_equivalent";
    case Category::confounded:
      return "confounded";
    case Category::abnormal:
      return "abnormal";
    case Category::normal:
      return "normal";
    case Category::poor_quality:
      return "poor_quality";
  }
  return "unknown";
}

std::string_view to_string(Tier t) {
  switch (t) {
    case Tier::critical:
      return "critical";
    case Tier::urgent:
      return "urgent";
    case Tier::routine:
      return "routine";
  }
  return "unknown";
}

std::string_view to_string(Sex s) {
  switch (s) {
    case Sex::male:
      return "male";
    case Sex::female:
      return "female";
    case Sex::unknown:
      return "unknown";
  }
  return "unknown";
}

Sex parse_sex(std::string_view text) {
  std::string lower;
  for (char ch : text) {
    if (!std::isspace(static_cast<unsigned char>(ch))) {
      lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
    }
  }
  if (lower == "m" || lower == "male" || lower == "man" || lower == "男") return Sex::male;
  if (lower == "f" || lower == "female" || lower == "woman" || lower == "女") return Sex::female;
  return Sex::unknown;
}

namespace {

struct TerritoryName {
  std::string_view key, en, zh;
};

// Septal and anteroseptal share 前间壁 (DESIGN.md §4 table).
constexpr std::array<TerritoryName, 9> kTerritories = {{
    {"septal", "septal", "前间壁"},
    {"anteroseptal", "anteroseptal", "前间壁"},
    {"anterior", "anterior", "前壁"},
    {"extensive_anterior", "extensive anterior", "广泛前壁"},
    {"lateral", "lateral", "侧壁"},
    {"high_lateral", "high lateral", "高侧壁"},
    {"inferior", "inferior", "下壁"},
    {"posterior", "posterior", "后壁"},
    {"right_ventricle", "right ventricle", "右室"},
}};

}  // namespace

std::string_view territory_name_en(std::string_view key) {
  for (const auto& t : kTerritories) {
    if (t.key == key) return t.en;
  }
  return key;
}

std::string_view territory_name_zh(std::string_view key) {
  for (const auto& t : kTerritories) {
    if (t.key == key) return t.zh;
  }
  return key;
}

// Fourth Universal Definition (2018) thresholds. When the patient's sex or (for men) age is
// unknown, the lowest threshold any patient could have is used, because a missed STEMI costs more
// than a human read of a borderline one. V5R is not named by the guideline; it is treated like
// V3R/V4R (right-sided leads share the low-voltage, thin-RV-wall rationale).
double ste_threshold_uv(std::string_view lead, const PatientContext& patient) {
  const bool male = patient.sex == Sex::male;
  const bool female = patient.sex == Sex::female;
  const auto& age = patient.age_years;
  if (lead == "V2" || lead == "V3") {
    if (female || !male) return 150;  // women any age; unknown sex → most sensitive
    if (!age) return 200;             // man of unknown age: the lower male threshold
    return *age >= 40 ? 200 : 250;
  }
  if (lead == "V7" || lead == "V8" || lead == "V9") {
    if (male && age && *age < 40) return 100;
    return 50;
  }
  if (lead == "V3R" || lead == "V4R" || lead == "V5R") {
    if (male && age && *age < 30) return 100;
    return 50;
  }
  return 100;
}

}  // namespace gc::triage
