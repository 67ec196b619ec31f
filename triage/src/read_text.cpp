// triage — the words of the read: the coded statements (rendered from the statement table,
// statements.cpp), the confounder and quality-problem names in English and Chinese, and the
// "V1–V6 0.35 mV (3.5 mm)" text of ST-elevation runs.

#include <algorithm>
#include <cmath>
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
      {"delineation_failed", "波形定位失败"},   {"no_usable_leads", "无可用导联"},
      {"j_point_uncertain", "J 点不确定（奇、偶心搏间相差过大），未在猜测的位置测量 ST 段"},
      {"j_point_leads_disagree", "肢体导联与胸前导联的 J 点不一致，ST 段按全部导联的 J 点测量"},
      {"t_end_uncertain", "T 波终点不确定，未报告 QT/QTc"},
      {"detection_failed", "QRS 检测失败"},      {"filter_failed", "滤波失败"}};
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
    {"brugada_like", "a Brugada-like ST shape",
     "Brugada-like right-precordial ST elevation (ST descending from an elevated J point in V1–V2, "
     "type-1 criteria not met: Brugada spectrum or right-ventricular conduction delay)",
     "类 Brugada 型右胸导联 ST 段抬高（V1–V2 ST 段自抬高的 J 点下斜，未达 1 型标准：Brugada "
     "谱系或右心室传导延迟）"},
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
Words evidence_words(const detail::Evidence& ev) {
  auto st = detail::make_statement(ev.code, ev.leads, evidence_value(ev));
  return {std::move(st.text_en), std::move(st.text_zh)};
}

Arg territory_names(const std::vector<std::string>& keys) {
  std::vector<std::string> en, zh;
  for (const auto& t : keys) {
    en.emplace_back(territory_name_en(t));
    const std::string name_zh(territory_name_zh(t));
    if (std::find(zh.begin(), zh.end(), name_zh) == zh.end()) zh.push_back(name_zh);
  }
  return Arg(join(en, " + "), join(zh, "、"));
}

// --- Text -----------------------------------------------------------------------------------

// "V1–V6 0.35 mV (3.5 mm), I/aVL 0.15 mV (1.5 mm)" — one item per run, maximum ST in the run.
Words Evaluator::ste_text(const std::vector<std::vector<std::string>>& runs) const {
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
    items.push_back(say("lead_st", {{"lead", label}, {"st", Arg::mv(max_uv)}}).en);
  }
  return {join(items, ", "), join(items, "，")};
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
    if (c == "brugada_like") {
      std::set<std::string> elevated;
      for (const auto& l : f_.elevated) elevated.insert(l.lead);
      if (auto b = detect_brugada_like(elevated)) add(b->code, b->leads, b->value);
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
    if (!ischaemia_leads_.empty()) add("chest_pain_ischaemia", ischaemia_leads_);
    if (chest_pain_read_) add("chest_pain_human_read");
  }
  if (f_.category == Category::normal) add("NORM");
  if (p_.sex == Sex::unknown) add("thresholds_sex_unknown");
  if (!a_.global.pacing_assessable) add("pacing_not_assessable", {}, a_.sample_rate_hz);
}

}  // namespace gc::triage::detail
