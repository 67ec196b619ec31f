// triage — turns a dsp::Analysis plus patient context into a clinical finding: Fourth Universal
// Definition STEMI criteria (12 and 18 leads), territories, reciprocity, STEMI equivalents,
// confounders, quality gating and the alert tier. Pure computation.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gc/dsp.hpp"

namespace gc::triage {

enum class Sex { unknown, male, female };

struct PatientContext {
  std::optional<int> age_years;
  Sex sex = Sex::unknown;
  bool chest_pain = false;
};

enum class Category { stemi, stemi_equivalent, confounded, abnormal, normal, poor_quality };
enum class Tier { critical, urgent, routine };

std::string_view to_string(Category c);
std::string_view to_string(Tier t);
std::string_view to_string(Sex s);
Sex parse_sex(std::string_view text);  // "M"/"male"/"F"/"female"/other → unknown

// A lead whose ST deviation met (or was tested against) a threshold.
struct LeadST {
  std::string lead;
  double st_j_uv = 0;
  double st_late_uv = 0;
  double threshold_uv = 0;
};

struct Finding {
  Category category = Category::normal;
  bool stemi = false;
  Tier tier = Tier::routine;
  std::vector<std::string> territories;     // keys: septal, anteroseptal, anterior, ...
  std::vector<LeadST> elevated;             // leads meeting the STE criterion (contiguous)
  std::vector<LeadST> depressed;            // reciprocal / diffuse ST depression ≥ 0.05 mV
  std::vector<std::string> confounders;     // lbbb, paced, lvh, early_repolarization, pericarditis, brugada
  std::vector<std::string> equivalents;     // posterior_suspected, de_winter, hyperacute_t, left_main
  std::vector<std::string> culprit_hints;   // English text
  std::vector<std::string> notes;           // e.g. "age/sex unknown: most sensitive threshold used"
  bool route_to_human = false;
  bool repeat_ecg = false;                  // poor quality: ask the clinic to repeat
  std::string explanation_en;
  std::string explanation_zh;
};

// English and Chinese names of a territory key ("extensive_anterior" → "extensive anterior",
// "广泛前壁").
std::string_view territory_name_en(std::string_view key);
std::string_view territory_name_zh(std::string_view key);

// Threshold (µV) for ST elevation at the J point in `lead` for this patient (§4).
double ste_threshold_uv(std::string_view lead, const PatientContext& patient);

Finding evaluate(const dsp::Analysis& analysis, const PatientContext& patient);

}  // namespace gc::triage
