// The statement vocabulary (see statements.hpp): one row per code, English and Chinese.
#include "statements.hpp"

#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "text.hpp"

namespace gc::triage::detail {

namespace {

using K = ValueKind;

// clang-format off
const std::vector<StatementText> kTable = {
    // --- SCP-ECG statements (PTB-XL scp_statements.csv) -----------------------------------------
    {"NORM",  "SCP-ECG", K::none, "normal ECG", "正常心电图"},
    {"STE_",  "SCP-ECG", K::uv, "ST elevation {leads} (max {value})", "{leads} ST 段抬高（最大 {value}）"},
    {"STD_",  "SCP-ECG", K::uv, "ST depression {leads} (max {value})", "{leads} ST 段压低（最大 {value}）"},
    {"ASMI",  "SCP-ECG", K::none, "acute anteroseptal myocardial infarction (STEMI) {leads}", "急性前间壁心肌梗死（STEMI）{leads}"},
    {"AMI",   "SCP-ECG", K::none, "acute anterior myocardial infarction (STEMI) {leads}", "急性前壁心肌梗死（STEMI）{leads}"},
    {"ALMI",  "SCP-ECG", K::none, "acute extensive anterior / anterolateral myocardial infarction (STEMI) {leads}", "急性广泛前壁心肌梗死（STEMI）{leads}"},
    {"LMI",   "SCP-ECG", K::none, "acute lateral myocardial infarction (STEMI) {leads}", "急性侧壁心肌梗死（STEMI）{leads}"},
    {"IMI",   "SCP-ECG", K::none, "acute inferior myocardial infarction (STEMI) {leads}", "急性下壁心肌梗死（STEMI）{leads}"},
    {"PMI",   "SCP-ECG", K::none, "acute posterior myocardial infarction (STEMI) {leads}", "急性后壁心肌梗死（STEMI）{leads}"},
    {"rv_mi", "greenchannel", K::none, "acute right ventricular myocardial infarction (STEMI) {leads}", "急性右室心肌梗死（STEMI）{leads}"},
    {"CLBBB", "SCP-ECG", K::ms, "complete left bundle branch block (QRS {value})", "完全性左束支传导阻滞（QRS {value}）"},
    {"CRBBB", "SCP-ECG", K::ms, "complete right bundle branch block (QRS {value})", "完全性右束支传导阻滞（QRS {value}）"},
    {"IVCD",  "SCP-ECG", K::ms, "intraventricular conduction disturbance (QRS {value})", "室内传导阻滞（QRS {value}）"},
    {"PACE",  "SCP-ECG", K::none, "ventricular pacing", "心室起搏"},
    {"LVH",   "SCP-ECG", K::none, "left ventricular hypertrophy (voltage criteria)", "左心室肥厚（电压标准）"},
    {"ANEUR", "SCP-ECG", K::none, "ST-T changes compatible with ventricular aneurysm {leads}", "{leads} ST-T 改变符合室壁瘤"},
    {"QWAVE", "SCP-ECG", K::none, "pathological Q waves {leads}", "{leads} 病理性 Q 波"},
    {"INVT",  "SCP-ECG", K::uv, "inverted T waves {leads} (deepest {value})", "{leads} T 波倒置（最深 {value}）"},
    {"LNGQT", "SCP-ECG", K::ms, "long QT interval (QTc {value})", "QT 间期延长（QTc {value}）"},
    // --- greenchannel: evidence for and against occlusion (occlusion.hpp) ------------------------
    {"reciprocal_std", "greenchannel", K::uv, "reciprocal ST↓ {leads} (max {value})", "对应导联 {leads} ST 段压低（最大 {value}）"},
    {"ste_beyond_normal_range", "greenchannel", K::uv, "ST elevation {leads} ≥ 1.75 × the criterion voltage (max {value}): beyond the normal range", "{leads} ST 段抬高 ≥ 诊断阈值 1.75 倍（最大 {value}），超出正常范围"},
    {"ste_extra_leads", "greenchannel", K::uv, "ST elevation in the posterior / right-sided leads {leads} (max {value})", "后壁/右胸导联 {leads} ST 段抬高（最大 {value}）"},
    {"no_reciprocal_std", "greenchannel", K::none, "no reciprocal ST depression", "无对应导联 ST 段压低"},
    {"straight_st", "greenchannel", K::ratio, "straight or convex ST segment {leads} (sag {value})", "{leads} ST 段平直或上凸（凹度 {value}）"},
    {"concave_st", "greenchannel", K::ratio, "concave ST segment {leads} (sag up to {value})", "{leads} ST 段凹面向上（凹度最大 {value}）"},
    {"smith_lad_occlusion", "greenchannel", K::score, "Smith LAD-occlusion score {value} ≥ 18.2", "Smith 前降支闭塞评分 {value} ≥ 18.2"},
    {"smith_early_repolarization", "greenchannel", K::score, "Smith LAD-occlusion score {value} < 18.2 (favours early repolarisation)", "Smith 前降支闭塞评分 {value} < 18.2（倾向早复极）"},
    {"terminal_qrs_distortion", "greenchannel", K::none, "terminal QRS distortion {leads} (QRS ends without an S wave)", "{leads} QRS 终末变形（无 S 波）"},
    {"q_waves_with_ste", "greenchannel", K::none, "Q waves in the elevated leads {leads}", "抬高导联 {leads} 可见 Q 波"},
    {"ste_disproportionate", "greenchannel", K::ratio, "ST elevation large for its QRS {leads} (ST/QRS up to {value})", "{leads} ST 抬高相对 QRS 振幅过大（ST/QRS 最大 {value}）"},
    {"ste_proportionate", "greenchannel", K::ratio, "ST elevation proportionate to the QRS (ST/QRS ≤ {value})", "ST 抬高与 QRS 振幅相称（ST/QRS ≤ {value}）"},
    {"normal_variant", "greenchannel", K::none, "ST elevation {leads} meeting the voltage criteria with normal-variant features and no ECG evidence of acute occlusion: urgent human read", "{leads} ST 段抬高达电压标准，但具正常变异特征、无急性闭塞心电图证据：需紧急人工判读"},
    // --- greenchannel: mimics, equivalents and policy --------------------------------------------
    {"brugada_type1", "greenchannel", K::uv, "Brugada type-1 pattern: coved ST elevation from a high take-off in {leads} (take-off {value}) descending into the T wave", "Brugada 1 型：{leads} 高起点穹窿型 ST 段抬高（起点 {value}）下斜入 T 波"},
    {"brugada_like_st", "greenchannel", K::uv, "Brugada-like ST shape: ST elevation descending from the J point in {leads} (J up to {value}), type-1 criteria not met", "类 Brugada 型 ST 形态：{leads} ST 段自 J 点下斜抬高（J 点最高 {value}），未达 1 型标准"},
    {"early_repolarization", "greenchannel", K::none, "early repolarisation pattern {leads}", "{leads} 早复极"},
    {"pericarditis", "greenchannel", K::none, "pericarditis pattern (diffuse ST elevation, PR depression)", "心包炎样改变（广泛 ST 段抬高、PR 段压低）"},
    {"secondary_st_t", "greenchannel", K::none, "secondary ST-T changes of the wide QRS {leads}", "{leads} 宽 QRS 继发性 ST-T 改变"},
    {"sgarbossa_positive", "greenchannel", K::none, "(Smith-modified) Sgarbossa criteria positive {leads}", "Sgarbossa（Smith 改良）标准阳性 {leads}"},
    {"sgarbossa_negative", "greenchannel", K::none, "(Smith-modified) Sgarbossa criteria negative", "Sgarbossa（Smith 改良）标准阴性"},
    {"left_main", "greenchannel", K::none, "diffuse ST depression with ST elevation in aVR/V1: left main / multivessel ischaemia", "广泛 ST 段压低伴 aVR/V1 抬高：左主干/多支病变缺血"},
    {"de_winter", "greenchannel", K::none, "de Winter pattern {leads}", "{leads} de Winter 综合征"},
    {"hyperacute_t", "greenchannel", K::none, "hyperacute T waves {leads}", "{leads} 超急性 T 波"},
    {"posterior_suspected", "greenchannel", K::none, "ST depression {leads} with upright T: posterior MI suspected, record V7–V9", "{leads} ST 段压低伴直立 T 波：疑似后壁心梗，请加做 V7–V9"},
    {"anterior_qs_ste", "greenchannel", K::none, "Q/QS waves with rising ST elevation {leads}: acute or evolving anterior MI not excluded", "{leads} Q/QS 波伴 ST 段抬高：不能排除急性/演变期前壁心梗"},
    {"st_deviation", "greenchannel", K::uv, "ST deviation ≥ 0.05 mV in contiguous leads {leads} (max {value})", "相邻导联 {leads} ST 段偏移 ≥ 0.05 mV（最大 {value}）"},
    {"wide_qrs", "greenchannel", K::ms, "QRS duration {value}", "QRS 时限 {value}"},
    {"short_qrs", "greenchannel", K::ms, "QRS duration {value} below the physiological range: delineation doubtful", "QRS 时限 {value} 低于生理范围：测量可疑"},
    {"qtc_out_of_range", "greenchannel", K::ms, "QTc {value} outside 340–470 ms", "QTc {value} 超出 340–470 ms"},
    {"qt_not_measured", "greenchannel", K::none, "QT not measured (T end uncertain): measure QT by hand", "QT 未能测量（T 波终点不确定）：请人工测量 QT"},
    {"chest_pain_human_read", "greenchannel", K::none, "chest pain with findings that need a human read: urgent human read", "胸痛伴需人工判读的改变：需紧急人工判读"},
    {"chest_pain_ischaemia", "greenchannel", K::none, "chest pain with ST-T changes of acute ischaemia {leads} below the STEMI criteria: urgent human read", "胸痛伴 {leads} 急性缺血性 ST-T 改变，未达 STEMI 标准：需紧急人工判读"},
    {"poor_quality", "greenchannel", K::none, "poor ECG quality: repeat the ECG", "心电图质量差：请重新记录"},
    {"insufficient_leads", "greenchannel", K::none, "not a 12-lead ECG: STEMI criteria cannot be assessed", "非 12 导联心电图：无法评估 STEMI 标准"},
    {"thresholds_sex_unknown", "greenchannel", K::none, "sex unknown: the most sensitive ST-elevation thresholds decide who is read by a human; a critical alert also needs ECG evidence of occlusion", "性别未知：按最敏感 ST 抬高阈值决定人工判读；危急警报仍需闭塞证据"},
    {"pacing_not_assessable", "greenchannel", K::hz, "sampled at {value}: pacemaker stimuli cannot be detected below 250 Hz, ventricular pacing is not excluded", "采样率 {value}：低于 250 Hz 无法检测起搏信号，不能排除心室起搏"},
};
// clang-format on

std::string format_value(ValueKind kind, double v) {
  char buf[64];
  switch (kind) {
    case K::none:
      return "";
    case K::uv:
      return format_mv(v);
    case K::ratio:
      std::snprintf(buf, sizeof buf, "%.2f", v);
      return buf;
    case K::score:
      std::snprintf(buf, sizeof buf, "%.1f", v);
      return buf;
    case K::ms:
      std::snprintf(buf, sizeof buf, "%.0f ms", v);
      return buf;
    case K::hz:
      std::snprintf(buf, sizeof buf, "%.0f Hz", v);
      return buf;
  }
  return "";
}

std::string fill(std::string_view tmpl, const std::string& leads, const std::string& value) {
  std::string out(tmpl);
  auto replace = [&out](std::string_view key, const std::string& with) {
    for (std::size_t p = out.find(key); p != std::string::npos; p = out.find(key, p + with.size())) {
      out.replace(p, key.size(), with);
    }
  };
  replace("{leads}", leads);
  replace("{value}", value);
  // A template whose {leads} was empty leaves a double space or a space before punctuation.
  for (std::size_t p = out.find("  "); p != std::string::npos; p = out.find("  ")) out.erase(p, 1);
  for (std::size_t p = out.find(" :"); p != std::string::npos; p = out.find(" :")) out.erase(p, 1);
  while (!out.empty() && out.back() == ' ') out.pop_back();
  while (!out.empty() && out.front() == ' ') out.erase(0, 1);
  return out;
}

}  // namespace

const std::vector<StatementText>& statement_table() { return kTable; }

const StatementText* find_statement(std::string_view code) {
  for (const auto& row : kTable) {
    if (row.code == code) return &row;
  }
  return nullptr;
}

Statement make_statement(std::string_view code, std::vector<std::string> leads,
                         std::optional<double> value, std::map<std::string, double> values) {
  const auto* row = find_statement(code);
  if (!row) throw std::logic_error("triage: statement code '" + std::string(code) + "' is not in the table");
  Statement s;
  s.code = std::string(row->code);
  s.scheme = std::string(row->scheme);
  std::vector<std::string> shown;
  for (const auto& l : leads) shown.push_back(display_lead(l));
  const std::string value_text = value ? format_value(row->kind, *value) : "";
  s.text_en = fill(row->en, join(shown, ", "), value_text);
  s.text_zh = fill(row->zh, join(shown, "、"), value_text);
  s.leads = std::move(leads);
  s.values = std::move(values);
  if (value) {
    const char* name = "value";
    switch (row->kind) {
      case K::uv: name = "st_uv"; break;
      case K::ratio: name = "ratio"; break;
      case K::score: name = "score"; break;
      case K::ms: name = "duration_ms"; break;
      case K::hz: name = "sample_rate_hz"; break;
      case K::none: break;
    }
    s.values.emplace(name, *value);
  }
  return s;
}

}  // namespace gc::triage::detail

namespace gc::triage {

const std::vector<StatementDefinition>& statement_vocabulary() {
  static const std::vector<StatementDefinition> rows = [] {
    std::vector<StatementDefinition> out;
    for (const auto& r : detail::statement_table()) {
      out.push_back({std::string(r.code), std::string(r.scheme), std::string(r.en), std::string(r.zh)});
    }
    return out;
  }();
  return rows;
}

}  // namespace gc::triage
