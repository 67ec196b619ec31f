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
#include "normal_limits.hpp"
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

// --- The read without ST-elevation criteria ------------------------------------------------------

void Evaluator::finish_no_ste() {
  list_depressions({});
  std::vector<std::string> en, zh;

  std::vector<std::string> leads;
  if (left_main_pattern()) {
    f_.category = Category::stemi_equivalent;
    f_.equivalents.push_back("left_main");
    for (const auto& d : f_.depressed) {
      if (d.st_j_uv <= -kDeepDepressionUv) equivalent_leads_["left_main"].push_back(d.lead);
    }
    f_.culprit_hints.push_back("left main / multivessel disease");
    std::vector<std::string> std_leads;
    for (const auto& d : f_.depressed) {
      if (d.st_j_uv <= -kDeepDepressionUv) std_leads.push_back(d.lead);
    }
    const double avr = st("aVR"), v1 = st("V1");
    std::string up = avr >= 100 ? "aVR " + format_mv(avr) : "";
    if (v1 >= 100) up += std::string(up.empty() ? "" : ", ") + "V1 " + format_mv(v1);
    en.push_back("ST↓ ≥ 0.1 mV in " + std::to_string(std_leads.size()) + " leads (" +
                 join(std_leads, ", ") + ") with ST↑ " + up +
                 " → left main / multivessel ischaemia (STEMI equivalent)");
    zh.push_back(std::to_string(std_leads.size()) + " 个导联 ST 段压低 ≥ 0.1 mV（" +
                 join(std_leads, "、") + "），" + up +
                 " ST 段抬高 → 左主干/多支病变缺血（STEMI 等危症）");
  }
  leads.clear();
  if (de_winter(leads)) {
    f_.category = Category::stemi_equivalent;
    f_.equivalents.push_back("de_winter");
    equivalent_leads_["de_winter"] = leads;
    en.push_back("upsloping ST↓ with tall T in " + join(leads, ", ") +
                 " → de Winter pattern (proximal LAD occlusion equivalent)");
    zh.push_back(join(leads, "、") +
                 " 上斜型 ST 段压低伴高大 T 波 → de Winter 综合征（前降支近段闭塞等危症）");
  }
  leads.clear();
  if (hyperacute_t(leads)) {
    f_.category = Category::stemi_equivalent;
    f_.equivalents.push_back("hyperacute_t");
    equivalent_leads_["hyperacute_t"] = leads;
    std::vector<std::string> shown;
    for (const auto& l : leads) shown.push_back(display_lead(l));
    en.push_back("hyperacute T waves (T ≥ QRS amplitude) in " + join(shown, ", ") +
                 " → possible early occlusion MI");
    zh.push_back(join(shown, "、") + " 超急性 T 波（T ≥ QRS 振幅）→ 早期闭塞性心梗可能");
  }
  leads.clear();
  // de Winter's upsloping precordial depression is not read a second time as posterior MI.
  if (!has(f_.equivalents, "de_winter") && posterior_std(leads)) {
    const bool posterior_recorded = table_.has("V7") || table_.has("V8") || table_.has("V9");
    if (posterior_recorded) {
      f_.notes.push_back("ST depression " + join(leads, ", ") +
                         " without ST elevation in the recorded posterior leads");
      en.push_back("ST↓ " + join(leads, ", ") + " without posterior ST↑ (V7–V9 recorded)");
      zh.push_back(join(leads, "、") + " ST 段压低，后壁导联未见抬高");
      if (f_.category != Category::stemi_equivalent) f_.category = Category::abnormal;
    } else {
      f_.category = Category::stemi_equivalent;
      f_.equivalents.push_back("posterior_suspected");
    equivalent_leads_["posterior_suspected"] = leads;
      en.push_back("ST↓ " + join(leads, ", ") +
                   " with upright T → posterior MI suspected: record V7–V9 now");
      zh.push_back(join(leads, "、") + " ST 段压低伴直立 T 波 → 疑似后壁心梗，请立即加做 V7–V9");
    }
  }
  leads.clear();
  if (anterior_qs_ste(leads)) {
    f_.category = Category::stemi_equivalent;
    f_.equivalents.push_back("anterior_qs_ste");
    equivalent_leads_["anterior_qs_ste"] = leads;
    double max_j_uv = 0, max_late_uv = 0, max_tqrs = 0;
    for (const auto& l : leads) {
      auto v = table_.find(l);
      max_j_uv = std::max(max_j_uv, v->st_j_uv);
      max_late_uv = std::max(max_late_uv, v->st_late_uv);
    }
    for (const char* l : {"V1", "V2", "V3", "V4"}) {
      // Smith/Klein T/QRS: T amplitude over the largest QRS deflection; > 0.36 in any of V1–V4
      // favours acute anterior MI over LV aneurysm.
      if (auto v = table_.find(l)) {
        const double qrs = std::max(v->r_uv, -v->negative_uv());
        if (qrs > 0) max_tqrs = std::max(max_tqrs, v->t_uv / qrs);
      }
    }
    char tq[32];
    std::snprintf(tq, sizeof tq, "%.2f", max_tqrs);
    const std::string run = leads.front() + "–" + leads.back();
    const bool acute_tqrs = max_tqrs > kLvAneurysmLeadRatio;
    en.push_back("Q/QS waves " + run + " with ST↑ " + format_mv(max_j_uv) + " at J rising to " +
                 format_mv(max_late_uv) +
                 " at J+60 (below the J-point STEMI voltage criteria); "
                 "T/QRS max " +
                 tq + (acute_tqrs ? " > 0.36 (favours acute)" : " ≤ 0.36") +
                 " → acute/evolving anterior MI cannot be excluded: urgent human read, compare "
                 "with a previous ECG");
    zh.push_back(run + " 导联 Q/QS 波伴 ST 段抬高（J 点 " + format_mv(max_j_uv) + "，J+60 升至 " +
                 format_mv(max_late_uv) + "，未达 J 点 STEMI 电压标准）；T/QRS 最大 " + tq +
                 " → 不能排除急性/演变期前壁心梗：请紧急人工判读并与既往心电图比较");
  }
  if (f_.category == Category::stemi_equivalent) {
    f_.route_to_human = true;
    f_.explanation_en = join(en, "; ");
    f_.explanation_zh = join(zh, "；");
    return;
  }

  // Not an emergency pattern: normal or abnormal, with what was seen.
  if (detect_brugada()) {
    const auto& t = confounder_text("brugada");
    finish_confounded("brugada", std::string(t.en) + ": route to a human",
                      std::string(t.zh) + "，需人工判读");
    return;
  }
  std::vector<std::string> std_leads;
  for (const auto& d : f_.depressed) {
    if (d.lead != "aVR") std_leads.push_back(d.lead);
  }
  if (!std_leads.empty()) {
    double max_uv = 0;
    for (const auto& d : f_.depressed) {
      if (d.lead != "aVR") max_uv = std::max(max_uv, -d.st_j_uv);
    }
    en.push_back("ST↓ " + join(std_leads, ", ") + " (max " + format_mv(max_uv) +
                 "), no ST-elevation criteria met");
    zh.push_back(join(std_leads, "、") + " ST 段压低（最大 " + format_mv(max_uv) +
                 "），未达 STEMI 标准");
  }
  // Single leads that meet the criterion without a contiguous partner.
  std::vector<std::string> isolated;
  for (auto lead : detail::kStandardOrder) {
    auto v = table_.find(lead);
    if (v && lead != "aVR" && meets_ste(*v)) isolated.push_back(std::string(lead));
  }
  if (!isolated.empty()) {
    en.push_back("ST↑ in " + join(isolated, ", ") + " without a contiguous lead");
    zh.push_back(join(isolated, "、") + " ST 段抬高，但无相邻导联");
  }
  // Anterior Q waves with some ST elevation: infarction of undetermined age. Not a STEMI call,
  // but a human should compare with an earlier ECG (an evolved anterior STEMI looks like this).
  std::vector<std::string> q_leads;
  if (anterior_q_waves(q_leads)) {
    double max_late_uv = 0;
    for (const auto& l : q_leads) max_late_uv = std::max(max_late_uv, table_.find(l)->st_late_uv);
    f_.route_to_human = true;
    const std::string note =
        "Q/QS waves " + join(q_leads, ", ") + " (anterior MI of undetermined age)" +
        (max_late_uv >= kDepressionUv ? ", ST↑ at J+60 up to " + format_mv(max_late_uv) : "") +
        ": compare with a previous ECG";
    f_.notes.push_back(note);
    en.push_back(note);
    zh.push_back(join(q_leads, "、") + " 导联 Q/QS 波（前壁心梗，时间不确定）" +
                 (max_late_uv >= kDepressionUv ? "，J+60 ST 段抬高最大 " + format_mv(max_late_uv)
                                               : std::string()) +
                 "：请与既往心电图比较");
  }
  std::vector<std::string> gap_en, gap_zh;
  gap_notes(gap_en, gap_zh);
  if (!gap_en.empty()) {
    f_.route_to_human = true;
    for (const auto& g : gap_en) f_.notes.push_back(g);
    en.insert(en.end(), gap_en.begin(), gap_en.end());
    zh.insert(zh.end(), gap_zh.begin(), gap_zh.end());
  }
  if (wide_qrs()) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.0f ms", *qrs_ms());
    if (detect_rbbb()) {
      en.push_back(std::string("RBBB (QRS ") + buf + "); ST-elevation criteria remain valid");
      zh.push_back(std::string("右束支传导阻滞（QRS ") + buf + "），STEMI 标准仍适用");
      f_.notes.push_back("RBBB present: ST-elevation criteria remain valid in RBBB");
    } else {
      en.push_back(std::string("wide QRS ") + buf);
      zh.push_back(std::string("QRS 增宽 ") + buf);
    }
  }
  if (detect_lvh()) {
    const bool strain = lvh_strain();
    en.push_back(strain ? "LVH voltage with strain pattern" : "LVH voltage criteria");
    zh.push_back(strain ? "左心室肥厚伴劳损" : "左心室高电压");
    f_.notes.push_back(strain ? "LVH with strain: secondary ST-T changes expected"
                              : "LVH voltage criteria met");
  }
  if (a_.global.pacing_spikes) {
    en.push_back("pacing spikes with narrow QRS (atrial pacing): ST criteria apply");
    zh.push_back("起搏信号、QRS 不宽（心房起搏），STEMI 标准适用");
  }
  // `normal` means normal (normal_limits.hpp): what remains outside normal limits is named.
  for (const auto& ev : detail::outside_normal_limits(table_, a_, wide_qrs())) {
    if (ev.code == "wide_qrs") continue;  // named above, with its bundle-branch reading
    const auto covered = [&](const std::vector<std::string>& named) {
      return std::all_of(ev.leads.begin(), ev.leads.end(),
                         [&](const std::string& l) { return has(named, l); });
    };
    if (ev.code == "st_deviation" && covered(std_leads)) continue;
    if (ev.code == "QWAVE" && covered(q_leads)) continue;
    en.push_back(evidence_en(ev));
    zh.push_back(evidence_zh(ev));
    outside_normal_.push_back(ev);
  }
  if (en.empty()) {
    f_.category = Category::normal;
    f_.explanation_en = "No ST-elevation criteria met; no significant ST deviation";
    f_.explanation_zh = "未达 STEMI 诊断标准，无明显 ST 段偏移";
  } else {
    f_.category = Category::abnormal;
    f_.explanation_en = join(en, "; ");
    f_.explanation_zh = join(zh, "；");
  }
}

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
                        (has(f_.confounders, "brugada") && !f_.elevated.empty())
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
