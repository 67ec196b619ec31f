// The sentences of the read (see phrases.hpp): one row per phrase, English and Chinese. Grouped by
// the rule file that says them. {name} is filled by the rule; leads and values are already
// formatted ("V1, V2" / "V1、V2", "0.35 mV (3.5 mm)", "128 ms").
#include "phrases.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "text.hpp"

namespace gc::triage::detail {

namespace {

// clang-format off
const std::vector<PhraseText> kPhrases = {
    // --- Lists and joins -------------------------------------------------------------------------
    {"none", "none", "无"},
    {"unspecified", "unspecified", "未说明"},
    // --- quality_gate.cpp: can the record be assessed? -----------------------------------------
    {"note_insufficient_leads",
     "insufficient leads for STEMI criteria: {recorded} of the 12 standard leads recorded (leads present: {present})",
     "导联不足，无法评估 STEMI 标准：标准 12 导联中仅记录 {recorded} 个（现有导联：{present}）"},
    {"not_twelve_lead",
     "Not a 12-lead ECG: the record has {n} lead(s) ({present}), {recorded} of the 12 standard leads. STEMI criteria need contiguous limb and chest leads, so they cannot be assessed: record a standard 12-lead ECG; human read.",
     "非 12 导联心电图：本记录仅含 {n} 个导联（{present}），标准 12 导联中仅 {recorded} 个。STEMI 判定需要相邻的肢体及胸前导联，无法评估：请加做标准 12 导联心电图，需人工判读"},
    {"too_few_analysable", "only {n} of the 12 standard leads analysable", "12 个标准导联中仅 {n} 个可分析"},
    {"poor_quality", "Poor ECG quality: {problems}. Repeat the ECG.", "心电图质量差，请重新记录。问题：{problems}"},
    {"statement_human_read", "{statement}: human read.", "{statement}，需人工判读"},
    {"note_ste_despite_poor_quality",
     "ST elevation meeting criteria in analysable leads {leads} despite poor quality: urgent repeat and human read",
     "质量差，但可分析导联 {leads} ST 段抬高达标准：请紧急重做并人工判读"},
    {"poor_quality_ste_seen", "ST elevation seen in {leads}: urgent human read.", "{leads} 导联可见 ST 段抬高，请紧急人工判读"},
    // --- ste_criteria.cpp: thresholds, contiguity, the STEMI read, culprits --------------------
    {"note_sex_unknown_thresholds",
     "sex unknown: most sensitive ST-elevation thresholds used (V2–V3 0.15 mV, V7–V9 and V3R–V5R 0.05 mV)",
     "性别未知：采用最敏感的 ST 段抬高阈值（V2–V3 0.15 mV，V7–V9 及 V3R–V5R 0.05 mV）"},
    {"note_age_unknown_thresholds",
     "age unknown: most sensitive ST-elevation thresholds for men used (V2–V3 0.20 mV, V7–V9 and V3R–V5R 0.05 mV)",
     "年龄未知：采用男性最敏感的 ST 段抬高阈值（V2–V3 0.20 mV，V7–V9 及 V3R–V5R 0.05 mV）"},
    {"contiguity_gap",
     "ST elevation in {a} and {c} with {b} not analysable: contiguity cannot be assessed",
     "{a} 与 {c} ST 段抬高，{b} 导联无法分析，相邻性无法判断"},
    {"ste_runs", "ST↑ {runs}", "ST 段抬高 {runs}"},
    {"reciprocal_std_leads", "reciprocal ST↓ {leads}", "对应导联 ST 段压低 {leads}"},
    {"other_std_leads", "ST↓ {leads}", "ST 段压低 {leads}"},
    {"stemi_read", "{findings} → acute {territories} STEMI", "{findings} → 急性{territories} STEMI"},
    {"culprit", "culprit: {culprit}", "提示：{culprit}"},
    {"note_rbbb_criteria_valid", "RBBB present: ST-elevation criteria remain valid in RBBB", "存在右束支传导阻滞：STEMI 标准仍适用"},
    {"note_lvh_exceeded", "LVH voltage criteria met: ST elevation exceeds what LVH explains", "达左心室肥厚电压标准：ST 段抬高超出左室肥厚所能解释的程度"},
    {"culprit_rca_rv",
     "proximal RCA with right-ventricular involvement (STE III > II, STE {where})",
     "右冠状动脉近段闭塞合并右室受累（III 导联抬高 > II，{where} 抬高）"},
    {"right_sided_leads", "right-sided leads", "右胸导联"},
    {"culprit_rca", "RCA (STE III > II)", "右冠状动脉（III 导联抬高 > II）"},
    {"culprit_lcx", "LCx (inferior with lateral STE, STE III ≤ II)", "左回旋支（下壁合并侧壁抬高，III ≤ II）"},
    {"culprit_posterior_extension",
     "posterior extension suspected (ST↓ {leads}): record V7–V9",
     "疑似合并后壁受累（{leads} ST 段压低），请加做 V7–V9"},
    {"culprit_proximal_lad", "proximal LAD (V1–V4 with aVL elevation)", "前降支近段（V1–V4 合并 aVL 抬高）"},
    {"culprit_lad", "LAD", "前降支"},
    {"culprit_posterior", "LCx or RCA (posterior)", "回旋支或右冠（后壁）"},
    {"culprit_left_main_equivalent", "left main / multivessel disease", "左主干/多支病变"},
    {"culprit_left_main",
     "left main / multivessel disease (STE aVR with diffuse ST depression)",
     "左主干/多支病变（aVR 抬高伴广泛 ST 段压低）"},
    // --- evaluate.cpp: criteria that do not apply, mimics, the sex-unknown policy ----------------
    {"note_paced_qrs_unreliable",
     "QRS measured {qrs} next to pacing spikes: delineation unreliable, Sgarbossa not assessed",
     "起搏信号旁测得 QRS {qrs}：波形定位不可靠，未评估 Sgarbossa 标准"},
    {"sgarbossa_not_assessable", "Sgarbossa criteria not assessable (QRS delineation unreliable)", "QRS 测量不可靠，无法评估 Sgarbossa 标准"},
    {"sgarbossa_negative", "(Smith-modified) Sgarbossa criteria are negative", "Sgarbossa（Smith 改良）标准阴性"},
    {"seen_ste_1mm", "ST↑ ≥ 0.1 mV {leads}", "ST 段抬高 ≥ 0.1 mV：{leads}"},
    {"seen_std", "ST↓ {leads}", "ST 段压低：{leads}"},
    {"criteria_do_not_apply",
     "{confounder}: STEMI criteria do not apply and {assessment} → human read required",
     "{confounder}：STEMI 标准不适用，{assessment} → 需人工判读"},
    {"ste_explained_by",
     "ST↑ {runs} meets the voltage criteria but is explained by {confounder} → not called STEMI; human read required",
     "ST 段抬高 {runs} 达到电压标准，但可由{confounder}解释 → 不诊断 STEMI，需人工判读"},
    {"sex_unknown_womens_thresholds_only",
     "sex unknown and the criteria are met only at the women's thresholds: urgent human read, not a cath-lab pre-alert",
     "性别未知，仅达到女性阈值：需紧急人工判读，暂不发导管室预警"},
    {"note_occlusion_supported", "occlusion supported: {evidence}", "支持闭塞：{evidence}"},
    {"note_also", "also: {evidence}", "另见：{evidence}"},
    // --- confounders.cpp ---------------------------------------------------------------------------
    {"note_smith_er", "Smith 4-variable LAD-occlusion score {score} < {threshold}", "Smith 四变量前降支闭塞评分 {score} < {threshold}"},
    // --- sgarbossa.cpp: LBBB / paced / very wide QRS ---------------------------------------------
    {"sgarbossa_concordant_ste", "concordant ST↑ {lead} {st}", "{lead} 同向 ST 段抬高 {st}"},
    {"sgarbossa_concordant_std", "concordant ST↓ {lead} {st}", "{lead} 同向 ST 段压低 {st}"},
    {"sgarbossa_discordant_ste", "discordant ST↑ {lead} {st}, ST/S {ratio}", "{lead} 反向 ST 段抬高 {st}，ST/S {ratio}"},
    {"note_sgarbossa_positive", "Sgarbossa / Smith-modified Sgarbossa criteria positive in {what}", "{what}：Sgarbossa（Smith 改良）标准阳性"},
    {"sgarbossa_stemi",
     "{what} with positive (Smith-modified) Sgarbossa criteria: {hits} → acute {territories} STEMI (occlusion MI) likely",
     "{what}，Sgarbossa（Smith 改良）标准阳性：{hits} → 急性{territories} STEMI 可能"},
    {"sgarbossa_stemi_no_territory",
     "{what} with positive (Smith-modified) Sgarbossa criteria: {hits} → acute STEMI (occlusion MI) likely",
     "{what}，Sgarbossa（Smith 改良）标准阳性：{hits} → 急性STEMI 可能"},
    // --- equivalents.cpp: elevation read as a normal variant -------------------------------------
    {"normal_variant_read",
     "ST↑ {runs} meets the voltage criteria, but the ECG does not show acute occlusion: {evidence} → a normal variant likely — urgent human read; confirm clinically (symptoms, serial ECGs, troponin)",
     "ST 段抬高 {runs} 达到电压标准，但心电图未见急性闭塞证据：{evidence} → 考虑早复极/正常变异，需紧急人工判读，并结合临床（症状、复查心电图、肌钙蛋白）"},
    {"not_enough_alone", "in favour of occlusion, but not enough on its own: {evidence}", "提示闭塞但不足以单独确定：{evidence}"},
    // --- no_ste.cpp: no ST-elevation criteria met ------------------------------------------------
    {"left_main_read",
     "ST↓ ≥ 0.1 mV in {n} leads ({leads}) with ST↑ {elevated} → left main / multivessel ischaemia (STEMI equivalent)",
     "{n} 个导联 ST 段压低 ≥ 0.1 mV（{leads}），{elevated} ST 段抬高 → 左主干/多支病变缺血（STEMI 等危症）"},
    {"lead_st", "{lead} {st}", "{lead} {st}"},
    {"de_winter_read",
     "upsloping ST↓ with tall T in {leads} → de Winter pattern (proximal LAD occlusion equivalent)",
     "{leads} 上斜型 ST 段压低伴高大 T 波 → de Winter 综合征（前降支近段闭塞等危症）"},
    {"hyperacute_t_read",
     "hyperacute T waves (T ≥ QRS amplitude) in {leads} → possible early occlusion MI",
     "{leads} 超急性 T 波（T ≥ QRS 振幅）→ 早期闭塞性心梗可能"},
    {"note_posterior_std_recorded",
     "ST depression {leads} without ST elevation in the recorded posterior leads",
     "{leads} ST 段压低，已记录的后壁导联未见 ST 段抬高"},
    {"posterior_std_recorded_read", "ST↓ {leads} without posterior ST↑ (V7–V9 recorded)", "{leads} ST 段压低，后壁导联未见抬高"},
    {"posterior_suspected_read",
     "ST↓ {leads} with upright T → posterior MI suspected: record V7–V9 now",
     "{leads} ST 段压低伴直立 T 波 → 疑似后壁心梗，请立即加做 V7–V9"},
    {"anterior_qs_ste_read",
     "Q/QS waves {run} with ST↑ {j} at J rising to {late} at J+60 (below the J-point STEMI voltage criteria); T/QRS max {tqrs} {tqrs_reading} → acute/evolving anterior MI cannot be excluded: urgent human read, compare with a previous ECG",
     "{run} 导联 Q/QS 波伴 ST 段抬高（J 点 {j}，J+60 升至 {late}，未达 J 点 STEMI 电压标准）；T/QRS 最大 {tqrs} {tqrs_reading} → 不能排除急性/演变期前壁心梗：请紧急人工判读并与既往心电图比较"},
    {"tqrs_favours_acute", "> 0.36 (favours acute)", "> 0.36（倾向急性）"},
    {"tqrs_not_acute", "≤ 0.36", "≤ 0.36"},
    {"confounder_to_human", "{confounder}: route to a human", "{confounder}，需人工判读"},
    {"std_without_criteria", "ST↓ {leads} (max {max}), no ST-elevation criteria met", "{leads} ST 段压低（最大 {max}），未达 STEMI 标准"},
    {"isolated_ste", "ST↑ in {leads} without a contiguous lead", "{leads} ST 段抬高，但无相邻导联"},
    {"chest_pain_human_read", "chest pain: the findings above need an urgent human read", "胸痛：上述改变需紧急人工判读"},
    {"chest_pain_ischaemia", "chest pain with ST-T changes of acute ischaemia in {leads} below the STEMI criteria (NSTE-ACS or an evolving occlusion not excluded): urgent human read", "胸痛伴 {leads} 急性缺血性 ST-T 改变，未达 STEMI 标准（不能排除非 ST 段抬高型急性冠脉综合征或进展中的闭塞）：需紧急人工判读"},
    {"anterior_q_waves",
     "Q/QS waves {leads} (anterior MI of undetermined age){late}: compare with a previous ECG",
     "{leads} 导联 Q/QS 波（前壁心梗，时间不确定）{late}：请与既往心电图比较"},
    {"late_ste_up_to", ", ST↑ at J+60 up to {max}", "，J+60 ST 段抬高最大 {max}"},
    {"rbbb_criteria_valid", "RBBB (QRS {qrs}); ST-elevation criteria remain valid", "右束支传导阻滞（QRS {qrs}），STEMI 标准仍适用"},
    {"wide_qrs", "wide QRS {qrs}", "QRS 增宽 {qrs}"},
    {"lvh_strain", "LVH voltage with strain pattern", "左心室肥厚伴劳损"},
    {"lvh_voltage", "LVH voltage criteria", "左心室高电压"},
    {"note_lvh_strain", "LVH with strain: secondary ST-T changes expected", "左心室肥厚伴劳损：预期继发性 ST-T 改变"},
    {"note_lvh_voltage", "LVH voltage criteria met", "达左心室肥厚电压标准"},
    {"atrial_pacing", "pacing spikes with narrow QRS (atrial pacing): ST criteria apply", "起搏信号、QRS 不宽（心房起搏），STEMI 标准适用"},
    {"normal_read", "No ST-elevation criteria met; no significant ST deviation", "未达 STEMI 诊断标准，无明显 ST 段偏移"},
    // --- serial.cpp: compared with the previous ECG ----------------------------------------------
    {"serial_new_ste", "new ST↑ since the previous ECG in {leads} (up to {max})", "与前次心电图相比 {leads} ST 段新抬高（最大 {max}）"},
    {"serial_falling_st", "ST↓ (or resolving ST↑) since the previous ECG in {leads} (up to {max})", "与前次心电图相比 {leads} ST 段下降（或抬高回落）（最大 {max}）"},
    {"serial_dynamic", "Dynamic ST change: {changes}", "ST 段动态改变：{changes}"},
    {"serial_no_change", "No dynamic ST change since the previous ECG (largest change {max})", "与前次心电图相比无 ST 段动态改变（最大变化 {max}）"},
};
// clang-format on

constexpr std::string_view kClauseEn = "; ";
constexpr std::string_view kClauseZh = "；";
constexpr std::string_view kListEn = ", ";
constexpr std::string_view kListZh = "、";
constexpr std::string_view kSentenceEn = " ";
constexpr std::string_view kSentenceZh = "；";

const PhraseText& find_phrase(std::string_view key) {
  for (const auto& row : kPhrases) {
    if (row.key == key) return row;
  }
  throw std::logic_error("triage: phrase '" + std::string(key) + "' is not in the table");
}

std::string fill(std::string_view key, std::string_view tmpl, Args args, bool chinese,
                 std::vector<bool>& used) {
  std::string out;
  out.reserve(tmpl.size() + 32);
  std::size_t pos = 0;
  while (pos < tmpl.size()) {
    const auto open = tmpl.find('{', pos);
    if (open == std::string_view::npos) {
      out.append(tmpl.substr(pos));
      break;
    }
    const auto close = tmpl.find('}', open);
    if (close == std::string_view::npos) {
      throw std::logic_error("triage: phrase '" + std::string(key) + "' has an unclosed {");
    }
    out.append(tmpl.substr(pos, open - pos));
    const auto name = tmpl.substr(open + 1, close - open - 1);
    std::size_t i = 0;
    bool found = false;
    for (const auto& [arg_name, arg] : args) {
      if (arg_name == name) {
        out.append(chinese ? arg.zh : arg.en);
        used[i] = true;
        found = true;
        break;
      }
      ++i;
    }
    if (!found) {
      throw std::logic_error("triage: phrase '" + std::string(key) + "' needs {" +
                             std::string(name) + "}");
    }
    pos = close + 1;
  }
  return out;
}

}  // namespace

Arg Arg::leads(const std::vector<std::string>& leads) {
  std::vector<std::string> shown;
  shown.reserve(leads.size());
  for (const auto& l : leads) shown.push_back(display_lead(l));
  return Arg(join(shown, ", "), join(shown, "、"));
}

Arg Arg::mv(double uv) { return Arg(format_mv(uv)); }

Arg Arg::ms(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f ms", ms);
  return Arg(std::string(buf));
}

Arg Arg::number(double value, int decimals) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return Arg(std::string(buf));
}

Arg Arg::count(std::size_t n) { return Arg(std::to_string(n)); }

Words say(std::string_view key, Args args) {
  const auto& row = find_phrase(key);
  std::vector<bool> used(args.size(), false);
  Words w{fill(key, row.en, args, false, used), fill(key, row.zh, args, true, used)};
  std::size_t i = 0;
  for (const auto& [name, arg] : args) {
    if (!used[i++]) {
      throw std::logic_error("triage: phrase '" + std::string(key) + "' does not use {" +
                             std::string(name) + "}");
    }
  }
  return w;
}

Words join_clauses(const std::vector<Words>& items) {
  Words out;
  for (const auto& w : items) append_clause(out, w);
  return out;
}

Words join_list(const std::vector<Words>& items) {
  Words out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) {
      out.en.append(kListEn);
      out.zh.append(kListZh);
    }
    out.en.append(items[i].en);
    out.zh.append(items[i].zh);
  }
  return out;
}

void append_clause(Words& to, const Words& more) {
  if (to.empty()) {
    to = more;
    return;
  }
  to.en.append(kClauseEn).append(more.en);
  to.zh.append(kClauseZh).append(more.zh);
}

void append_sentence(Words& to, const Words& more) {
  to.en.append(kSentenceEn).append(more.en);
  to.zh.append(kSentenceZh).append(more.zh);
}

const std::vector<PhraseText>& phrase_table() { return kPhrases; }

std::vector<std::string> placeholders(std::string_view tmpl) {
  std::vector<std::string> out;
  for (auto open = tmpl.find('{'); open != std::string_view::npos; open = tmpl.find('{', open + 1)) {
    const auto close = tmpl.find('}', open);
    if (close == std::string_view::npos) break;
    std::string name(tmpl.substr(open + 1, close - open - 1));
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(std::move(name));
  }
  return out;
}

}  // namespace gc::triage::detail
