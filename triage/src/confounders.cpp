// triage — is the ST elevation explained by something other than occlusion? The confounder
// detectors (LBBB, RBBB, LVH, Brugada type 1, PR depression) and the mimics that account for
// elevation meeting the voltage criteria: Brugada, pericarditis, LVH, secondary ST-T of a wide QRS,
// LV aneurysm, early repolarisation. LBBB / pacing with Sgarbossa: sgarbossa.cpp.

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "evaluator.hpp"

namespace gc::triage::detail {

// --- Confounder detectors -------------------------------------------------------------------

// LBBB (see detect_lbbb(); the QRS durations are Strauss's).
constexpr double kSeptalQUv = 50;  // a septal q shallower than this counts as absent
constexpr double kBroadRMs = 90;   // R at least this broad: the monophasic R of LBBB
constexpr double kLbbbMinQrsMaleMs = 140;
constexpr double kLbbbMinQrsFemaleMs = 130;

// LBBB: wide QRS (below), QS/rS in V1–V2, dominant monophasic R in ≥ 2 of I, aVL, V5, V6: no
// septal q (< 0.05 mV — its absence is the hallmark of LBBB) and S ≤ 1/3 of R (V5–V6 may keep an
// S wave with a leftward axis, so they are not required).
bool Evaluator::detect_lbbb() const {
  // Strict (Strauss) QRS duration for complete LBBB: ≥ 140 ms men, ≥ 130 ms women (and unknown
  // sex). A 120–139 ms LBBB-like QRS is incomplete LBBB, where the ordinary criteria still apply.
  const double min_qrs_ms = p_.sex == Sex::male ? kLbbbMinQrsMaleMs : kLbbbMinQrsFemaleMs;
  if (!qrs_ms() || *qrs_ms() < min_qrs_ms) return false;
  // QS or rS in V1 and V2 (V2 when analysable): the LV is activated last, from right to left.
  auto septal_negative = [](const LeadView& v) {
    return v.qrs_net_uv < 0 && -v.negative_uv() >= 2 * v.r_uv;
  };
  auto v1 = table_.find("V1");
  auto v2 = table_.find("V2");
  if (!v1 || !septal_negative(*v1) || (v2 && !septal_negative(*v2))) return false;
  int monophasic = 0;
  for (const char* lead : {"I", "aVL", "V5", "V6"}) {
    auto v = table_.find(lead);
    if (!v) continue;
    const bool mono = v->r_uv >= 200 && -v->s_uv <= 0.33 * v->r_uv && -v->q_uv < kSeptalQUv &&
                      v->r_duration_ms >= kBroadRMs;
    if (mono) ++monophasic;
  }
  return monophasic >= 2;
}

constexpr double kMaxRbbbQrsMs = 180;  // beyond this: the wide-QRS ("ivcd") confounder

// RBBB (only reported; it does not invalidate ST-elevation criteria because the ST changes it
// causes are confined to V1–V3 and are depressions): QRS ≥ 120 ms with a dominant R in V1.
bool Evaluator::detect_rbbb() const {
  // Beyond 180 ms a dominant R in V1 is rarely plain RBBB (biventricular or LV pacing, ventricular
  // rhythm): such a QRS is left to the wide-QRS ("ivcd") confounder.
  if (!wide_qrs() || *qrs_ms() >= kMaxRbbbQrsMs) return false;
  auto v1 = table_.find("V1");
  return v1 && v1->qrs_net_uv > 0 && v1->r_uv >= 0.5 * -v1->negative_uv();
}

constexpr double kSokolowUv = 3500;        // Sokolow–Lyon
constexpr double kCornellMaleUv = 2800;    // Cornell, men (and unknown sex)
constexpr double kCornellFemaleUv = 2000;  // Cornell, women

// LVH by voltage: Sokolow–Lyon S(V1) + max R(V5, V6) ≥ 3.5 mV, or Cornell R(aVL) + S(V3) > 2.8 mV
// men / 2.0 mV women. Unknown sex uses the male Cornell value so that LVH is not assumed too
// easily (LVH is used to discount ST elevation).
bool Evaluator::detect_lvh() const {
  auto v1 = table_.find("V1");
  auto v5 = table_.find("V5");
  auto v6 = table_.find("V6");
  if (v1 && (v5 || v6)) {
    const double r = std::max(v5 ? v5->r_uv : 0.0, v6 ? v6->r_uv : 0.0);
    if (-v1->negative_uv() + r >= kSokolowUv) return true;
  }
  auto avl = table_.find("aVL");
  auto v3 = table_.find("V3");
  if (avl && v3) {
    const double cornell = avl->r_uv - v3->negative_uv();
    const double limit = p_.sex == Sex::female ? kCornellFemaleUv : kCornellMaleUv;
    if (cornell > limit) return true;
  }
  return false;
}

// Strain: discordant ST depression or T inversion in a lateral lead with a dominant R.
bool Evaluator::lvh_strain() const {
  for (const char* lead : {"I", "aVL", "V5", "V6"}) {
    auto v = table_.find(lead);
    if (v && v->qrs_net_uv > 0 && (depressed(*v, kDepressionUv) || v->t_uv <= -100)) return true;
  }
  return false;
}

// Brugada type 1 (see detect_brugada()).
constexpr double kBrugadaTakeoffUv = 200;      // ≥ 2 mm at the take-off
constexpr double kBrugadaMinJUv = 100;         // still ≥ 1 mm at the J point
constexpr double kBrugadaFallUv = 100;         // ST falls ≥ 1 mm from the take-off by J+60
constexpr double kBrugadaFlatTUv = 50;         // T no more than 0.5 mm above the late ST
constexpr double kBrugadaNoSUv = 50;           // "no S wave" after the terminal deflection
constexpr double kBrugadaMinTerminalRUv = 100;  // a terminal r′ worth the name

// Brugada type 1 (Priori et al., HRS/EHRA/APHRS consensus 2013; Bayés de Luna et al.,
// J Electrocardiol 2012): coved ST elevation ≥ 2 mm at the take-off in V1 or V2, the ST segment
// descending from it into a negative — at least not upright — T wave. The take-off is the higher
// of the J-point level and, when the QRS ends on a positive deflection (r′ / J wave with no S
// after it), that deflection's peak: at low sample rates the J point is found after the take-off,
// already on the descending ST (Brugada-HUCA, 100 Hz). The ST must still be elevated at the J
// point (≥ 1 mm) — the tall terminal R′ of RBBB returns to baseline before its J point — and must
// fall ≥ 1 mm over the next 60 ms (coved, not saddleback or the upsloping ST of early
// repolarisation and occlusion).
std::optional<detail::Evidence> Evaluator::detect_brugada() const {
  detail::Evidence ev{"brugada_type1", {}, 0};
  for (const char* lead : {"V1", "V2"}) {
    auto v = table_.find(lead);
    if (!v) continue;
    const bool ends_positive = v->s_uv >= -kBrugadaNoSUv && v->r_uv >= kBrugadaMinTerminalRUv;
    const double takeoff_uv = std::max(v->st_j_uv, ends_positive ? v->r_uv : v->st_j_uv);
    const bool coved = takeoff_uv >= kBrugadaTakeoffUv && v->st_j_uv >= kBrugadaMinJUv &&
                       v->st_late_uv <= takeoff_uv - kBrugadaFallUv &&
                       v->t_uv < v->st_late_uv + kBrugadaFlatTUv;
    if (coved) {
      ev.leads.emplace_back(lead);
      ev.value = std::max(ev.value, takeoff_uv);
    }
  }
  if (ev.leads.empty()) return std::nullopt;
  return ev;
}

// Brugada-like right-precordial elevation below the type-1 criteria (see
// explain_ste_by_confounder).
constexpr double kBrugadaLikeMinJUv = 100;  // ≥ 1 mm at the J point in both V1 and V2
constexpr double kBrugadaLikeFallUv = 50;   // the ST falls ≥ 0.5 mm by J+60 in at least one
constexpr double kBrugadaLikeFallFraction = 0.40;  // … losing ≥ 40 % of its J-point elevation

// ST elevation confined to V1–V3 whose ST segment descends from an elevated J point in both V1
// and V2 (J+60 below J in each, by ≥ 0.5 mm in one): the shape of the Brugada spectrum — coved or
// saddleback, a high take-off falling away — and of right-ventricular conduction delay, where the
// elevation is the tail of the terminal QRS (Bayés de Luna et al., J Electrocardiol 2012: type 2
// "saddleback" and the r′ of incomplete RBBB). There the elevation at J is the decaying tail of
// the terminal QRS: within 60 ms the ST loses a large part of it (≥ 0.5 mm and ≥ 40 % in V1 or
// V2). The injury current of an acute occlusion shifts the whole plateau instead: the ST stays up,
// straight, convex or upsloping towards the T wave (Smith, "Subtle ECG findings in STEMI"; Brady,
// Am J Emerg Med 2001), so an occlusion on top of a young person's gently descending baseline
// keeps most of its J-point elevation at J+60 and is not caught here (eval inject measures
// exactly that case). Such elevation, short of the type-1
// voltages, may not page the cath lab on the software's word: it goes to a human as urgent with
// the shape named.
std::optional<detail::Evidence> Evaluator::detect_brugada_like(
    const std::set<std::string>& e) const {
  if (e.empty() || (!e.count("V1") && !e.count("V2"))) return std::nullopt;
  for (const auto& lead : e) {
    if (lead != "V1" && lead != "V2" && lead != "V3") return std::nullopt;
  }
  detail::Evidence ev{"brugada_like_st", {}, 0};
  bool decays = false;
  for (const char* lead : {"V1", "V2"}) {
    auto v = table_.find(lead);
    if (!v || v->st_j_uv < kBrugadaLikeMinJUv || v->st_late_uv >= v->st_j_uv) return std::nullopt;
    const double fall_uv = v->st_j_uv - v->st_late_uv;
    if (fall_uv >= kBrugadaLikeFallUv && fall_uv >= kBrugadaLikeFallFraction * v->st_j_uv)
      decays = true;
    ev.leads.emplace_back(lead);
    ev.value = std::max(ev.value, v->st_j_uv);
  }
  if (!decays) return std::nullopt;
  return ev;
}

// PR-segment depression (pericarditis): ≥ 0.05 mV below TP in ≥ 2 leads other than aVR/V1, or PR
// elevation ≥ 0.05 mV in aVR.
bool Evaluator::pr_depression() const {
  int count = 0;
  for (auto lead : detail::kTwelveLeads) {
    if (lead == "aVR" || lead == "V1") continue;
    auto v = table_.find(lead);
    if (v && v->pr_vs_tp_uv <= -50) ++count;
  }
  auto avr = table_.find("aVR");
  return count >= 2 || (avr && avr->pr_vs_tp_uv >= 50);
}

// --- ST elevation explained by a confounder ------------------------------------------------

constexpr double kLvhArmstrongRatio = 0.25;  // LVH: STE ≥ 25 % of S depth in V1–V3 → not LVH alone
// LV aneurysm (Smith): ΣT/ΣQRS V1–V4 below this (and no lead above kLvAneurysmLeadRatio).
constexpr double kLvAneurysmSumRatio = 0.22;
// Smith's 4-variable LAD-occlusion vs early-repolarisation formula (occlusion.hpp).
constexpr double kSmithErThreshold = detail::kSmithLadThreshold;
constexpr double kErStToTRatio = 0.25;      // early repolarization: T ≥ 4 × ST elevation

// Returns the confounder key when the ST elevation pattern is better explained by a mimic; sets
// explanation fragments via finish_confounded by the caller.
std::optional<std::string> Evaluator::explain_ste_by_confounder(const std::set<std::string>& e) {
  auto subset_of = [&e](std::initializer_list<const char*> allowed) {
    std::set<std::string> a(allowed.begin(), allowed.end());
    return std::all_of(e.begin(), e.end(), [&a](const std::string& x) { return a.count(x) != 0; });
  };

  // Brugada type 1 with ST elevation confined to V1–V3.
  // Brugada type 1 with ST elevation confined to the precordial leads and no inferior reciprocal
  // depression (Brugada has none; an anterior occlusion often has). Elevation beyond V3 is not
  // explained by the Brugada pattern, but a type-1 pattern makes a software cath-lab pre-alert
  // unsafe either way (sodium-channel disease mimics anterior STEMI; the 2013 consensus leaves
  // it to the cardiologist): the read names both and goes to a human as urgent.
  if (detect_brugada() && subset_of({"V1", "V2", "V3", "V4", "V5", "V6"})) {
    bool inferior_std = false;
    for (const char* lead : {"II", "III", "aVF"}) {
      auto v = table_.find(lead);
      if (v && depressed(*v, kDepressionUv)) inferior_std = true;
    }
    if (!inferior_std) return "brugada";
  }

  // Brugada-like descending ST elevation confined to V1–V3, below the type-1 criteria
  // (detect_brugada_like()).
  if (detect_brugada_like(e)) return "brugada_like";

  // Pericarditis: diffuse ST elevation (≥ 6 leads, limb and chest) without reciprocal depression
  // (aVR and V1 excepted), with PR depression, and neither the STE III > II of inferior STEMI nor
  // pathological Q waves (pericarditis does not make Q waves; an infarct does).
  {
    int diffuse = 0, limb = 0, chest = 0;
    bool reciprocal = false;
    for (auto lead : detail::kTwelveLeads) {
      if (lead == "aVR") continue;
      auto v = table_.find(lead);
      if (!v) continue;
      if (v->st_j_uv >= 50 && v->st_late_uv >= 25) {
        ++diffuse;
        (lead[0] == 'V' ? chest : limb) += 1;
      }
      if (lead != "V1" && depressed(*v, kDepressionUv)) reciprocal = true;
    }
    const bool iii_gt_ii = st("III") > st("II") + 25;
    std::vector<std::string> q_leads;
    const bool q_waves = pathological_q_waves(q_leads);  // infarction, not pericarditis
    if (diffuse >= 6 && limb >= 2 && chest >= 2 && !reciprocal && !iii_gt_ii && !q_waves &&
        pr_depression()) {
      return "pericarditis";
    }
  }

  // LVH: ST elevation confined to V1–V3 that is < 25 % of the S depth (Armstrong et al.) is the
  // expected discordant repolarisation of LVH.
  if (detect_lvh() && subset_of({"V1", "V2", "V3"})) {
    bool all_small = true;
    for (const auto& lead : e) {
      auto v = table_.find(lead);
      const double s_depth = v ? -v->negative_uv() : 0;
      if (!v || s_depth <= 0 || v->st_j_uv >= kLvhArmstrongRatio * s_depth) all_small = false;
    }
    if (all_small) return "lvh";
  }

  // Wide QRS (RBBB or nonspecific IVCD, 120–179 ms; LBBB, pacing and ≥ 160 ms IVCD never get
  // here): when every elevated lead has a clearly negative QRS (dominant S) and the ST elevation
  // is < 25 % of the S depth, the elevation is the secondary repolarisation of the abnormal
  // depolarisation, discordant to the terminal QRS and proportionate to it. This is the Smith
  // proportionality (ST/S, 0.25) that separates secondary from ischaemic discordant STE in LBBB,
  // applied to the other wide-QRS blocks; concordant STE (leads ending in R/R', e.g. V1–V4 in
  // anterior STEMI with RBBB) is never discounted, so the STEMI criteria keep applying in RBBB.
  if (wide_qrs()) {
    bool all_secondary = true;
    for (const auto& lead : e) {
      auto v = table_.find(lead);
      const double s_depth = v ? -v->negative_uv() : 0;
      const bool negative_qrs =
          v && v->qrs_net_uv < 0 && -v->qrs_net_uv >= kPolarityFraction * v->qrs_peak_to_peak_uv();
      if (!negative_qrs || s_depth <= 0 || v->st_j_uv >= kSmithRatio * s_depth) {
        all_secondary = false;
      }
    }
    if (all_secondary) return detect_rbbb() ? "rbbb" : "ivcd_secondary";
  }

  // LV aneurysm (old anterior MI with persistent ST elevation): QS/Q waves in ≥ 2 of V1–V4 and
  // small T relative to QRS (Smith: no lead T/QRS > 0.36 and ΣT/ΣQRS V1–V4 < 0.22).
  if (subset_of({"V1", "V2", "V3", "V4", "V5", "V6", "I", "aVL"})) {
    int q_waves = 0;
    double sum_t = 0, sum_qrs = 0;
    bool any_large = false;
    bool all_present = true;
    for (const char* lead : {"V1", "V2", "V3", "V4"}) {
      auto v = table_.find(lead);
      if (!v) {
        all_present = false;
        continue;
      }
      const bool qs = is_qs(*v);
      const bool q = v->q_uv <= -100 && v->q_duration_ms >= 40;
      if (qs || q) ++q_waves;
      const double depth = -v->negative_uv();
      sum_t += v->t_uv;
      sum_qrs += depth;
      if (depth > 0 && v->t_uv / depth > kLvAneurysmLeadRatio) any_large = true;
    }
    if (all_present && q_waves >= 2 && sum_qrs > 0 && !any_large &&
        sum_t / sum_qrs < kLvAneurysmSumRatio) {
      return "lv_aneurysm";
    }
  }

  // Early repolarization: anterior ST elevation (within V1–V6, touching V2–V4), narrow QRS, no
  // limb-lead reciprocal depression, no Q waves in V2–V4, tall T waves (ST/T < 0.25) and Smith's
  // formula < 18.2. Age is not used: the formula and the T/ST proportion carry the information.
  if (subset_of({"V1", "V2", "V3", "V4", "V5", "V6"}) &&
      (e.count("V2") || e.count("V3") || e.count("V4")) && !wide_qrs()) {
    bool reciprocal = false;
    for (const char* lead : {"I", "II", "III", "aVL", "aVF"}) {
      auto v = table_.find(lead);
      if (v && depressed(*v, kDepressionUv)) reciprocal = true;
    }
    bool q_waves = false;
    for (const char* lead : {"V2", "V3", "V4"}) {
      auto v = table_.find(lead);
      if (v && (v->q_uv <= -100 || is_qs(*v))) q_waves = true;
    }
    // Tall T relative to the ST elevation (ST/T < 0.25 in every elevated lead), the ER hallmark.
    bool tall_t = true;
    for (const auto& lead : e) {
      auto v = table_.find(lead);
      if (!v || v->t_uv <= 0 || v->st_j_uv / v->t_uv >= kErStToTRatio) tall_t = false;
    }
    auto value = detail::smith_lad_score(table_, a_.global.qtc_ms);
    if (!reciprocal && !q_waves && tall_t && value && *value < kSmithErThreshold) {
      f_.notes.push_back(say("note_smith_er", {{"score", Arg::number(*value, 1)},
                                               {"threshold", Arg::number(kSmithErThreshold, 1)}})
                             .en);
      return "early_repolarization";
    }
  }
  return std::nullopt;
}

// --- The confounded read ----------------------------------------------------------------------

void Evaluator::finish_confounded(const std::string& key, const Words& read) {
  f_.category = Category::confounded;
  f_.route_to_human = true;
  if (std::find(f_.confounders.begin(), f_.confounders.end(), key) == f_.confounders.end()) {
    f_.confounders.push_back(key);
  }
  explain(read);
}

}  // namespace gc::triage::detail
