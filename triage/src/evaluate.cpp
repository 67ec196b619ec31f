// triage: the clinical decision. Quality gating, Fourth Universal Definition ST-elevation criteria
// with contiguity, territories, reciprocity, STEMI equivalents, confounders and the alert tier,
// with the rationale in English and Chinese. Every rule and its why is stated where it is coded.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "evaluator.hpp"
#include "text.hpp"

namespace gc::triage::detail {

// Chinese names of dsp::QualityProblem kinds (unknown kinds are shown as given).
std::string quality_kind_zh(const std::string& kind) {
  static const std::map<std::string, std::string> names = {
      {"flat", "直线（无信号）"},          {"lead_off", "导联脱落"},
      {"saturation", "信号饱和"},          {"hf_noise", "高频噪声（肌电干扰）"},
      {"baseline_wander", "基线漂移"},     {"mains", "工频干扰"},
      {"too_few_beats", "可分析心搏过少"}, {"too_short", "记录过短"},
      {"invalid_samples", "无效采样点"},     {"recording_stopped", "记录提前中止（末段各导联均为直线）"},
      {"too_many_bad_leads", "不可用导联过多"}, {"key_leads_unusable", "关键导联不可用"},
      {"delineation_failed", "波形定位失败"}};
  auto it = names.find(kind);
  return it == names.end() ? kind : it->second;
}

constexpr ConfounderText kConfounderText[] = {
    {"lbbb", "LBBB", "left bundle branch block", "左束支传导阻滞"},
    {"paced", "ventricular pacing", "ventricular pacing", "心室起搏"},
    {"ivcd", "wide QRS (IVCD or undetected ventricular pacing)",
     "wide QRS ≥ 160 ms without a bundle-branch pattern (IVCD, or ventricular pacing whose spikes "
     "were not detected)",
     "QRS 显著增宽（室内传导阻滞或未识别的心室起搏）"},
    {"lvh", "LVH",
     "left ventricular hypertrophy (ST elevation V1–V3 proportionate to deep S waves)",
     "左心室肥厚（V1–V3 ST 段抬高与深 S 波相称）"},
    {"early_repolarization", "early repolarization", "early repolarization pattern", "早复极"},
    {"pericarditis", "pericarditis", "pericarditis pattern (diffuse ST elevation, PR depression)",
     "心包炎样改变（广泛 ST 段抬高、PR 段压低）"},
    {"brugada", "Brugada pattern", "Brugada type-1 pattern (coved ST elevation V1–V2)",
     "Brugada 1 型（V1–V2 穹窿型 ST 段抬高）"},
    {"rbbb", "RBBB with secondary ST-T changes",
     "RBBB with secondary ST-T changes (ST elevation only in leads with a dominant S wave, "
     "< 25 % of the S depth)",
     "右束支传导阻滞继发性 ST-T 改变（仅见于 S 波为主的导联，ST 抬高 < S 波深度的 25%）"},
    {"ivcd_secondary", "wide QRS with secondary ST-T changes",
     "wide QRS (IVCD) with secondary ST-T changes (ST elevation only in leads with a dominant S "
     "wave, < 25 % of the S depth)",
     "QRS 增宽（室内传导阻滞）继发性 ST-T 改变（仅见于 S 波为主的导联，ST 抬高 < S 波深度的 25%）"},
    {"lv_aneurysm", "LV aneurysm", "old anterior MI / LV aneurysm (Q waves, small T/QRS)",
     "陈旧性前壁心梗/室壁瘤（Q 波、T/QRS 比值小）"},
    {"normal_variant", "a normal variant",
     "ST elevation with normal-variant features and no ECG evidence of acute occlusion (early "
     "repolarisation / male pattern likely)",
     "ST 段抬高具正常变异特征，心电图无急性冠脉闭塞证据（早复极/男性型可能）"},
};

const ConfounderText& confounder_text(const std::string& key) {
  for (const auto& c : kConfounderText) {
    if (key == c.key) return c;
  }
  return kConfounderText[0];
}

std::optional<double> evidence_value(const detail::Evidence& ev) {
  const auto* row = detail::find_statement(ev.code);
  if (!row || row->kind == detail::ValueKind::none) return std::nullopt;
  return ev.value;
}
std::string evidence_en(const detail::Evidence& ev) {
  return detail::make_statement(ev.code, ev.leads, evidence_value(ev)).text_en;
}
std::string evidence_zh(const detail::Evidence& ev) {
  return detail::make_statement(ev.code, ev.leads, evidence_value(ev)).text_zh;
}

// --- Text -----------------------------------------------------------------------------------

// "V1–V6 0.35 mV (3.5 mm), I/aVL 0.15 mV (1.5 mm)" — one item per run, maximum ST in the run.
std::string Evaluator::ste_text(const std::vector<std::vector<std::string>>& runs,
                                std::string_view sep) const {
  std::vector<std::string> items;
  for (const auto& r : runs) {
    double max_uv = 0;
    for (const auto& lead : r) max_uv = std::max(max_uv, st(lead));
    std::string label;
    if (r.front()[0] == 'V') {
      label = r.front() + "–" + r.back();
    } else {
      std::vector<std::string> shown;  // limb leads in the familiar I, II, III, aVR, aVL, aVF order
      for (const char* lead : {"I", "II", "III", "-aVR", "aVL", "aVF"}) {
        if (std::find(r.begin(), r.end(), lead) != r.end()) shown.push_back(display_lead(lead));
      }
      label = join(shown, "/");
    }
    items.push_back(label + " " + format_mv(max_uv));
  }
  return join(items, sep);
}

// The read as coded statements, rendered from the statement table (statements.cpp): the
// decision's outcome, the evidence behind it and the policies that applied, in that order.
void Evaluator::build_statements() {
  auto add = [this](std::string_view code, std::vector<std::string> leads = {},
                    std::optional<double> value = std::nullopt) {
    f_.statements.push_back(detail::make_statement(code, std::move(leads), value));
  };
  auto add_evidence = [&](const std::vector<detail::Evidence>& list) {
    for (const auto& ev : list) add(ev.code, ev.leads, evidence_value(ev));
  };
  auto lead_names = [](const std::vector<LeadST>& list) {
    std::vector<std::string> out;
    for (const auto& l : list) out.push_back(l.lead);
    return out;
  };
  auto max_abs = [](const std::vector<LeadST>& list) {
    double m = 0;
    for (const auto& l : list) m = std::max(m, std::fabs(l.st_j_uv));
    return m;
  };
  const auto qrs = qrs_ms();
  switch (f_.category) {
    case Category::poor_quality: {
      int recorded = 0;
      for (auto lead : detail::kTwelveLeads) recorded += table_.recorded(lead) ? 1 : 0;
      add(recorded < kMinAnalysableStandardLeads ? "insufficient_leads" : "poor_quality");
      break;
    }
    case Category::stemi: {
      add("STE_", lead_names(f_.elevated), max_abs(f_.elevated));
      static const std::map<std::string, std::string> kTerritoryCode = {
          {"septal", "ASMI"},  {"anteroseptal", "ASMI"}, {"anterior", "AMI"},
          {"extensive_anterior", "ALMI"}, {"lateral", "LMI"}, {"high_lateral", "LMI"},
          {"inferior", "IMI"}, {"posterior", "PMI"},     {"right_ventricle", "rv_mi"}};
      std::set<std::string> done;
      for (const auto& t : f_.territories) {
        const auto it = kTerritoryCode.find(t);
        if (it != kTerritoryCode.end() && done.insert(it->second).second) add(it->second);
      }
      if (occlusion_) {
        add_evidence(occlusion_->decisive);
        add_evidence(occlusion_->supporting);
      }
      break;
    }
    case Category::stemi_equivalent:
      for (const auto& e : f_.equivalents) add(e, equivalent_leads_[e]);
      break;
    case Category::confounded:
    case Category::abnormal:
    case Category::normal:
      break;
  }
  for (const auto& c : f_.confounders) {
    if (c == "lbbb") add("CLBBB", {}, qrs);
    if (c == "paced") add("PACE");
    if (c == "ivcd") add("IVCD", {}, qrs);
    if (c == "lvh") add("LVH");
    if (c == "rbbb") add("CRBBB", {}, qrs);
    if (c == "rbbb" || c == "ivcd_secondary") add("secondary_st_t", lead_names(f_.elevated));
    if (c == "lv_aneurysm") add("ANEUR", lead_names(f_.elevated));
    if (c == "pericarditis") add("pericarditis");
    if (c == "early_repolarization") add("early_repolarization", lead_names(f_.elevated));
    if (c == "brugada") {
      if (auto b = detect_brugada()) add(b->code, b->leads, b->value);
    }
    if (c == "normal_variant") {
      add("normal_variant", lead_names(f_.elevated));
      if (occlusion_) {
        add_evidence(occlusion_->variant);
        add_evidence(occlusion_->supporting);
      }
    }
    if ((c == "lbbb" || c == "paced" || c == "ivcd") && f_.category == Category::stemi) {
      add("sgarbossa_positive", lead_names(f_.elevated));
    } else if ((c == "lbbb" || c == "paced" || c == "ivcd") && f_.category == Category::confounded) {
      add("sgarbossa_negative");
    }
  }
  if (f_.category == Category::confounded && !f_.elevated.empty() &&
      !has(f_.confounders, "normal_variant")) {
    add("STE_", lead_names(f_.elevated), max_abs(f_.elevated));
  }
  std::vector<LeadST> depressed;
  for (const auto& d : f_.depressed) {
    if (d.lead != "aVR") depressed.push_back(d);
  }
  if (!depressed.empty()) add("STD_", lead_names(depressed), max_abs(depressed));
  if (f_.category == Category::abnormal) {
    std::vector<std::string> q_leads;
    if (anterior_q_waves(q_leads)) add("QWAVE", q_leads);
    if (wide_qrs()) add(detect_rbbb() ? "CRBBB" : "wide_qrs", {}, qrs);
    if (detect_lvh()) add("LVH");
    add_evidence(outside_normal_);
  }
  if (f_.category == Category::normal) add("NORM");
  if (p_.sex == Sex::unknown) add("thresholds_sex_unknown");
  if (!a_.global.pacing_assessable) add("pacing_not_assessable", {}, a_.sample_rate_hz);
}

// A QRS measured shorter than this next to pacing spikes is not physiological (see decide()).
constexpr double kImplausibleQrsMs = 60;

Finding Evaluator::run() {
  decide();
  build_statements();
  return f_;
}

void Evaluator::decide() {
  threshold_notes();
  if (!a_.global.pacing_assessable) {
    f_.notes.push_back(detail::make_statement("pacing_not_assessable", {}, a_.sample_rate_hz).text_en);
  }
  if (gate_quality()) return;

  // LBBB and ventricular pacing invalidate the ST-elevation criteria: Sgarbossa instead.
  // Pacing spikes with a narrow QRS (60–119 ms) are atrial pacing: STE criteria apply. A QRS
  // measured shorter than 60 ms next to pacing spikes is not physiological — the spike has fooled
  // the delineation — so it is treated as ventricular pacing.
  const bool paced =
      a_.global.pacing_spikes && (!qrs_ms() || wide_qrs() || *qrs_ms() < kImplausibleQrsMs);
  const bool lbbb = !paced && detect_lbbb();
  // A very wide QRS (≥ 160 ms) without a bundle-branch pattern — ventricular pacing whose spikes
  // were not detected, or severe IVCD — distorts repolarisation like LBBB: Sgarbossa rules apply.
  // A nonspecific IVCD of 120–159 ms keeps the ordinary criteria, as the guidelines do.
  // A Brugada type-1 pattern widens the QRS's right-precordial end and lifts V1–V2 discordant to
  // it: that is the pattern itself, not an IVCD for Sgarbossa rules (it is read below).
  const bool ivcd = !paced && !lbbb && qrs_clearly_at_least(kIvcdQrsMs) && !detect_rbbb() &&
                    !detect_brugada();
  if (paced || lbbb || ivcd) {
    const std::string key = paced ? "paced" : (lbbb ? "lbbb" : "ivcd");
    f_.confounders.push_back(key);
    // With an implausible QRS measurement the ST levels are taken at the wrong place: Sgarbossa
    // cannot be assessed, so the record goes to a human without it.
    const bool unreliable = qrs_ms() && *qrs_ms() < kImplausibleQrsMs;
    if (unreliable) {
      char buf[160];
      std::snprintf(buf, sizeof buf,
                    "QRS measured %.0f ms next to pacing spikes: delineation unreliable, Sgarbossa "
                    "not assessed",
                    *qrs_ms());
      f_.notes.emplace_back(buf);
    }
    if (unreliable || !sgarbossa(key)) {
      const auto& t = confounder_text(key);
      list_depressions({});
      // What the ST segments show, for the human who reads it.
      std::vector<std::string> up, down;
      for (auto lead : detail::kStandardOrder) {
        auto v = table_.find(lead);
        if (v && v->st_j_uv >= kSgarbossaUv) up.emplace_back(lead);
      }
      for (const auto& d : f_.depressed) down.push_back(d.lead);
      std::string seen_en, seen_zh;
      if (!up.empty()) {
        seen_en += "; ST↑ ≥ 0.1 mV " + join(up, ", ");
        seen_zh += "；ST 段抬高 ≥ 0.1 mV：" + join(up, "、");
      }
      if (!down.empty()) {
        seen_en += "; ST↓ " + join(down, ", ");
        seen_zh += "；ST 段压低：" + join(down, "、");
      }
      const std::string verdict_en =
          unreliable ? "Sgarbossa criteria not assessable (QRS delineation unreliable)"
                     : "(Smith-modified) Sgarbossa criteria are negative";
      const std::string verdict_zh = unreliable ? "QRS 测量不可靠，无法评估 Sgarbossa 标准"
                                                : "Sgarbossa（Smith 改良）标准阴性";
      finish_confounded(
          key,
          std::string(t.en) + ": STEMI criteria do not apply and " + verdict_en + seen_en +
              " → human read required",
          std::string(t.zh) + "：STEMI 标准不适用，" + verdict_zh + seen_zh + " → 需人工判读");
    }
    set_tier();
    return;
  }

  const auto runs = ste_runs();
  std::set<std::string> e;
  for (const auto& r : runs) e.insert(r.begin(), r.end());

  if (!e.empty()) {
    if (auto key = explain_ste_by_confounder(e)) {
      const auto& t = confounder_text(*key);
      for (auto lead : detail::kStandardOrder) {
        const std::string name(lead);
        if (auto v = table_.find(name); v && e.count(name)) {
          f_.elevated.push_back({name, v->st_j_uv, v->st_late_uv, thr(name)});
        }
      }
      list_depressions(e);
      finish_confounded(*key,
                        "ST↑ " + ste_text(runs) +
                            " meets the voltage criteria but is explained by " + t.en +
                            " → not called STEMI; human read required",
                        "ST 段抬高 " + ste_text(runs, "，") + " 达到电压标准，但可由" + t.zh +
                            "解释 → 不诊断 STEMI，需人工判读");
    } else {
      // The voltages are necessary, not sufficient (occlusion.hpp): a critical read needs ECG
      // evidence of occlusion; without it the elevation goes to a human as urgent, reasons named.
      // "Beyond the normal range" is judged against the thresholds that may raise a critical
      // alert (with sex unknown: a man's of this age; see the policy below).
      PatientContext critical_context = p_;
      if (critical_context.sex == Sex::unknown) critical_context.sex = Sex::male;
      std::map<std::string, double> thresholds;
      for (const auto& lead : e) thresholds[lead] = ste_threshold_uv(lead, critical_context);
      const auto occlusion = detail::assess_occlusion(table_, a_, e, territories_of(e), thresholds);
      occlusion_ = occlusion;
      if (occlusion.supported()) {
        finish_stemi(runs, e);
        // Sex unknown (policy, stated in the read): the most sensitive thresholds (women's
        // 0.15 mV in V2–V3) decide that a human reads the ECG, but a critical alert also needs the
        // criteria met at the thresholds for a man of this age. Half of healthy young men exceed
        // the women's threshold in V2–V3 (Macfarlane 2004), so on its own it would page the
        // cath-lab team for them; a woman's STEMI that reaches only 0.15–0.20 mV still goes to a
        // human as urgent within the same minute.
        if (p_.sex == Sex::unknown) {
          PatientContext as_man = p_;
          as_man.sex = Sex::male;
          if (!has_ste_runs(as_man)) {
            critical_allowed_ = false;
            const auto st = detail::make_statement("thresholds_sex_unknown");
            f_.notes.push_back(st.text_en);
            f_.explanation_en += "; sex unknown and the criteria are met only at the women's "
                                 "thresholds: urgent human read, not a cath-lab pre-alert";
            f_.explanation_zh += "；性别未知，仅达到女性阈值：需紧急人工判读，暂不发导管室预警";
          }
        }
        for (const auto& ev : occlusion.decisive) f_.notes.push_back("occlusion supported: " + evidence_en(ev));
        for (const auto& ev : occlusion.supporting) f_.notes.push_back("also: " + evidence_en(ev));
      } else {
        finish_normal_variant(runs, e, occlusion);
      }
    }
  } else {
    finish_no_ste();
  }
  set_tier();
  return;
}

}  // namespace gc::triage::detail

namespace gc::triage {

Finding evaluate(const dsp::Analysis& analysis, const PatientContext& patient) {
  return detail::Evaluator(analysis, patient).run();
}

}  // namespace gc::triage
