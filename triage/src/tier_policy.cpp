// triage — how urgently does the read reach a human, and may it page the cath lab? The tier from
// the category: critical only for a STEMI read the sex-unknown policy (decide()) allows;
// equivalents urgent; a confounded read urgent with chest pain or with elevation read as a normal
// variant, early repolarisation or a Brugada(-like) shape; poor quality urgent with chest pain;
// else routine.

#include "evaluator.hpp"

namespace gc::triage::detail {

void Evaluator::set_tier() {
  switch (f_.category) {
    case Category::stemi:
      f_.tier = critical_allowed_ ? Tier::critical : Tier::urgent;
      break;
    case Category::stemi_equivalent:
      f_.tier = Tier::urgent;
      break;
    case Category::confounded:
      // Voltage criteria met but read as a normal variant: a human reads it soon, whatever the
      // symptoms (the variant call is the software's, the occlusion call the cardiologist's).
      f_.tier = p_.chest_pain || has(f_.confounders, "normal_variant") ||
                        has(f_.confounders, "early_repolarization") ||
                        ((has(f_.confounders, "brugada") || has(f_.confounders, "brugada_like")) &&
                         !f_.elevated.empty())
                    ? Tier::urgent
                    : Tier::routine;
      break;
    case Category::poor_quality:
      f_.tier = p_.chest_pain ? Tier::urgent : Tier::routine;
      break;
    case Category::abnormal:
    case Category::normal:
      f_.tier = Tier::routine;
      break;
  }
}

}  // namespace gc::triage::detail
