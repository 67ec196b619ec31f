// triage — how urgently does the read reach a human, and may it page the cath lab? The tier from
// the category: critical only for a STEMI read the sex-unknown policy (decide()) allows;
// equivalents urgent; a confounded read urgent with chest pain or with elevation read as a normal
// variant, early repolarisation or a Brugada(-like) shape; poor quality urgent with chest pain;
// abnormal urgent with chest pain and the ST-T changes of acute ischaemia; else routine.

#include "evaluator.hpp"
#include "phrases.hpp"

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
      // Chest pain with the ST-T changes of acute ischaemia below the STEMI criteria
      // (chest_pain_ischaemia.cpp): a human reads it now. Without chest pain: routine.
      f_.tier = Tier::routine;
      if (p_.chest_pain) {
        ischaemia_leads_ = acute_ischaemia_st_t();
        if (!ischaemia_leads_.empty()) {
          f_.tier = Tier::urgent;
          f_.route_to_human = true;
          const Words why = say("chest_pain_ischaemia", {{"leads", Arg::leads(ischaemia_leads_)}});
          f_.notes.push_back(why.en);
          Words read = explanation();
          append_clause(read, why);
          explain(read);
        } else if (f_.route_to_human) {
          // A finding the rules already send to a human (anterior Q waves with ST elevation — an
          // evolved anterior MI looks like this —, a lead gap) is read now, not later, when the
          // patient has chest pain.
          f_.tier = Tier::urgent;
          chest_pain_read_ = true;
          const Words why = say("chest_pain_human_read");
          f_.notes.push_back(why.en);
          Words read = explanation();
          append_clause(read, why);
          explain(read);
        }
      }
      break;
    case Category::normal:
      f_.tier = Tier::routine;
      break;
  }
}

}  // namespace gc::triage::detail
