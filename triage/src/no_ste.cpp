// triage — no ST-elevation criteria met: is there a STEMI equivalent (urgent), a Brugada pattern,
// or anything else outside normal limits (abnormal, named)? Only what remains is `normal`.

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "evaluator.hpp"
#include "normal_limits.hpp"
#include "text.hpp"

namespace gc::triage::detail {

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

}  // namespace gc::triage::detail
