// triage — how urgently does the read reach a human, and may it page the cath lab? The tier from
// the category: critical only for a STEMI read the sex-unknown policy (decide()) allows;
// equivalents urgent; a confounded read urgent with chest pain or with elevation read as a normal
// variant, early repolarisation or a Brugada(-like) shape; poor quality urgent with chest pain;
// abnormal urgent with chest pain and the ST-T changes of acute ischaemia or a finding routed to
// a human; else routine.

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
    case Category::abnormal: {
      // With chest pain, a human reads it now when it shows the ST-T changes of acute ischaemia
      // below the STEMI criteria (chest_pain_ischaemia.cpp), or a finding the rules already send
      // to a human (anterior Q waves with ST elevation — an evolved anterior MI looks like this —,
      // a lead gap). Without chest pain: routine.
      f_.tier = Tier::routine;
      if (!p_.chest_pain) break;
      ischaemia_leads_ = acute_ischaemia_st_t();
      chest_pain_read_ = ischaemia_leads_.empty() && f_.route_to_human;
      if (ischaemia_leads_.empty() && !chest_pain_read_) break;
      const Words why =
          chest_pain_read_ ? say("chest_pain_human_read")
                           : say("chest_pain_ischaemia", {{"leads", Arg::leads(ischaemia_leads_)}});
      f_.tier = Tier::urgent;
      f_.route_to_human = true;
      f_.notes.push_back(why.en);
      Words read = explanation();
      append_clause(read, why);
      explain(read);
      break;
    }
    case Category::normal:
      f_.tier = Tier::routine;
      break;
  }
}

}  // namespace gc::triage::detail
