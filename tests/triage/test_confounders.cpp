// Confounders: LBBB and ventricular pacing (Sgarbossa / Smith-modified), LVH, early
// repolarization, pericarditis, Brugada, LV aneurysm; RBBB keeps the STE criteria.
#include <catch2/catch.hpp>

#include "fixtures.hpp"

using namespace gc::triage;
using namespace gc::triage::test;

namespace {

// Typical LBBB: QRS 150 ms, rS in V1–V3, monophasic R without q in I, aVL, V5, V6, with the
// expected small discordant ST elevation in V1–V3 (ST/S ≈ 0.1).
gc::dsp::Analysis lbbb_ecg() {
  auto a = normal_ecg();
  a.global.qrs_duration_ms = 150;
  set_qrs(a, "V1", 0, 100, -1500);
  set_qrs(a, "V2", 0, 150, -2000);
  set_qrs(a, "V3", 0, 300, -1500);
  set_qrs(a, "I", 0, 1000, 0);
  set_qrs(a, "aVL", 0, 800, 0);
  set_qrs(a, "V5", 0, 1500, -50);
  set_qrs(a, "V6", 0, 1400, 0);
  set_st(a, "V1", 150);
  set_st(a, "V2", 200);
  set_st(a, "V3", 150);
  set_st(a, {"I", "aVL", "V5", "V6"}, -100);  // discordant depression, expected in LBBB
  for (const char* l : {"I", "aVL", "V5", "V6"}) lead(a, l).r_duration_ms = 120;  // broad R
  return a;
}

}  // namespace

TEST_CASE("LBBB with discordant small STE → confounded, human read", "[triage][confounder][lbbb]") {
  const auto a = lbbb_ecg();
  const auto f = evaluate(a, patient(Sex::male, 70, true));
  CHECK(f.category == Category::confounded);
  CHECK_FALSE(f.stemi);
  CHECK(has(f.confounders, "lbbb"));
  CHECK(f.route_to_human);
  CHECK(f.tier == Tier::urgent);  // chest pain
  CHECK(contains(f.explanation_en, "Sgarbossa"));
  const auto g = evaluate(a, patient(Sex::male, 70, false));
  CHECK(g.category == Category::confounded);
  CHECK(g.tier == Tier::routine);
}

TEST_CASE("LBBB with concordant STE ≥ 1 mm → STEMI (Sgarbossa)", "[triage][confounder][lbbb]") {
  auto a = lbbb_ecg();
  set_st(a, {"V5", "V6"}, 100);
  const auto f = evaluate(a, patient(Sex::male, 70));
  CHECK(f.category == Category::stemi);
  CHECK(f.tier == Tier::critical);
  CHECK(has(f.confounders, "lbbb"));
  CHECK(contains(f.explanation_en, "concordant ST↑ V5"));
  set_st(a, {"V5", "V6"}, 99);
  CHECK(evaluate(a, patient(Sex::male, 70)).category == Category::confounded);
}

TEST_CASE("LBBB with concordant STD ≥ 1 mm in V1-V3 → STEMI", "[triage][confounder][lbbb]") {
  auto a = lbbb_ecg();
  set_st(a, "V2", -100);
  CHECK(evaluate(a, patient(Sex::male, 70)).stemi);
  set_st(a, "V2", -99);
  CHECK_FALSE(evaluate(a, patient(Sex::male, 70)).stemi);
}

TEST_CASE("LBBB: Smith-modified ST/S ≤ -0.25 → STEMI", "[triage][confounder][lbbb]") {
  auto a = lbbb_ecg();
  set_st(a, "V2", 500);  // S 2000 µV: ratio −0.25
  CHECK(evaluate(a, patient(Sex::male, 70)).stemi);
  set_st(a, "V2", 480);  // ratio −0.24
  CHECK_FALSE(evaluate(a, patient(Sex::male, 70)).stemi);
}

TEST_CASE("ventricular pacing: confounded unless Sgarbossa positive",
          "[triage][confounder][paced]") {
  auto a = lbbb_ecg();
  a.global.pacing_spikes = true;
  a.global.qrs_duration_ms = 170;
  auto f = evaluate(a, patient(Sex::female, 80, true));
  CHECK(f.category == Category::confounded);
  CHECK(has(f.confounders, "paced"));
  CHECK_FALSE(has(f.confounders, "lbbb"));
  CHECK(f.tier == Tier::urgent);
  CHECK(contains(f.explanation_zh, "心室起搏"));
  set_st(a, {"V5", "V6"}, 150);
  f = evaluate(a, patient(Sex::female, 80, true));
  CHECK(f.category == Category::stemi);
  CHECK(has(f.confounders, "paced"));
}

TEST_CASE("pacing spikes with narrow QRS (atrial pacing): STE criteria apply",
          "[triage][confounder][paced]") {
  auto a = normal_ecg();
  a.global.pacing_spikes = true;
  set_st(a, {"II", "III", "aVF"}, 200);
  const auto f = evaluate(a, patient(Sex::female, 80));
  CHECK(f.category == Category::stemi);
  CHECK(f.confounders.empty());
}

TEST_CASE("RBBB does not invalidate STE criteria", "[triage][confounder][rbbb]") {
  auto a = normal_ecg();
  a.global.qrs_duration_ms = 140;
  set_qrs(a, "V1", 0, 900, -200);
  set_st(a, {"II", "III", "aVF"}, 200);
  const auto f = evaluate(a, patient(Sex::male, 60));
  CHECK(f.category == Category::stemi);
  bool noted = false;
  for (const auto& n : f.notes) noted |= contains(n, "RBBB");
  CHECK(noted);
}

TEST_CASE("LVH: STE in V1-V3 proportionate to deep S → confounded lvh",
          "[triage][confounder][lvh]") {
  auto a = normal_ecg();
  set_qrs(a, "V1", 0, 200, -2500);
  set_qrs(a, "V2", 0, 300, -3000);
  set_qrs(a, "V5", -50, 2500, -100);
  set_st(a, {"V1", "V2"}, 250);
  set_st(a, {"V5", "V6"}, -100);  // strain
  auto f = evaluate(a, patient(Sex::male, 65, true));
  CHECK(f.category == Category::confounded);
  CHECK(has(f.confounders, "lvh"));
  CHECK(f.route_to_human);
  CHECK(f.tier == Tier::urgent);
  // ST elevation ≥ 25 % of the S depth is more than LVH explains.
  set_st(a, {"V1", "V2"}, 800);
  f = evaluate(a, patient(Sex::male, 65));
  CHECK(f.category == Category::stemi);
  // Without LVH voltage the same 0.25 mV elevation is a STEMI.
  auto b = normal_ecg();
  set_st(b, {"V1", "V2"}, 250);
  CHECK(evaluate(b, patient(Sex::male, 65)).category == Category::stemi);
}

TEST_CASE("LVH: STE outside V1-V3 is not explained by LVH", "[triage][confounder][lvh]") {
  auto a = normal_ecg();
  set_qrs(a, "V1", 0, 200, -2500);
  set_qrs(a, "V5", -50, 2500, -100);
  set_st(a, {"II", "III", "aVF"}, 200);
  const auto f = evaluate(a, patient(Sex::male, 65));
  CHECK(f.category == Category::stemi);
}

TEST_CASE("LVH without ST elevation is abnormal with a note", "[triage][confounder][lvh]") {
  auto a = normal_ecg();
  set_qrs(a, "V1", 0, 200, -2500);
  set_qrs(a, "V5", -50, 2500, -100);
  const auto f = evaluate(a, patient(Sex::male, 65));
  CHECK(f.category == Category::abnormal);
  CHECK(contains(f.explanation_en, "LVH"));
}

namespace {

// Young man with benign early repolarization: concave STE V2–V4 under tall T, big QRS, short QTc.
gc::dsp::Analysis early_repolarization_ecg() {
  auto a = normal_ecg();
  a.global.qtc_ms = 380;
  set_qrs(a, "V2", 0, 800, -1700);
  set_qrs(a, "V4", 0, 2000, -300);
  for (const char* l : {"V2", "V3", "V4"}) {
    lead(a, l).st_j_uv = 260;
    lead(a, l).st_j60_uv = 300;
    lead(a, l).t_amplitude_uv = 1200;
  }
  return a;
}

}  // namespace

TEST_CASE("early repolarization (Smith formula < 18.2, tall T) → confounded",
          "[triage][confounder][er]") {
  const auto a = early_repolarization_ecg();
  const auto f = evaluate(a, patient(Sex::male, 25));
  CHECK(f.category == Category::confounded);
  CHECK(has(f.confounders, "early_repolarization"));
  CHECK(f.route_to_human);
  // Issue 12: voltage criteria met but read as a normal variant → an urgent human read, with or
  // without reported chest pain (was routine without chest pain).
  CHECK(f.tier == Tier::urgent);
  CHECK(evaluate(a, patient(Sex::male, 25, true)).tier == Tier::urgent);
}

TEST_CASE("early-repolarization look-alike with long QTc, small QRS → STEMI (LAD occlusion)",
          "[triage][confounder][er]") {
  auto a = early_repolarization_ecg();
  a.global.qtc_ms = 460;
  set_qrs(a, "V2", 0, 300, -700);
  set_qrs(a, "V4", 0, 500, -300);
  lead(a, "V3").st_j60_uv = 400;
  CHECK(evaluate(a, patient(Sex::male, 25)).category == Category::stemi);
}

TEST_CASE("early-repolarization pattern with inferior reciprocal depression → STEMI",
          "[triage][confounder][er]") {
  auto a = early_repolarization_ecg();
  set_st(a, {"III", "aVF"}, -100);
  CHECK(evaluate(a, patient(Sex::male, 25)).category == Category::stemi);
}

namespace {

gc::dsp::Analysis pericarditis_ecg() {
  auto a = normal_ecg();
  set_st(a, {"I", "II", "aVF", "V2", "V3", "V4", "V5", "V6"}, 150);
  set_st(a, "aVR", -150);
  for (const char* l : {"II", "aVF", "V4", "V5", "V6"}) lead(a, l).pr_segment_vs_tp_uv = -80;
  lead(a, "aVR").pr_segment_vs_tp_uv = 80;
  return a;
}

}  // namespace

TEST_CASE("pericarditis: diffuse STE, no reciprocity, PR depression → confounded",
          "[triage][confounder][pericarditis]") {
  const auto f = evaluate(pericarditis_ecg(), patient(Sex::male, 30, true));
  CHECK(f.category == Category::confounded);
  CHECK(has(f.confounders, "pericarditis"));
  CHECK(f.tier == Tier::urgent);
  CHECK(contains(f.explanation_zh, "心包炎"));
}

TEST_CASE("pericarditis rule: reciprocal depression or no PR depression → STEMI",
          "[triage][confounder][pericarditis]") {
  auto a = pericarditis_ecg();
  set_st(a, "aVL", -100);
  CHECK(evaluate(a, patient(Sex::male, 30)).category == Category::stemi);
  auto b = pericarditis_ecg();
  for (auto& m : b.per_lead) m.pr_segment_vs_tp_uv = 0;
  CHECK(evaluate(b, patient(Sex::male, 30)).category == Category::stemi);
}

TEST_CASE("Brugada type 1: coved STE V1-V2 with negative T → confounded",
          "[triage][confounder][brugada]") {
  auto a = normal_ecg();
  set_qrs(a, "V1", 0, 400, -600);
  for (const char* l : {"V1", "V2"}) {
    lead(a, l).st_j_uv = 300;
    lead(a, l).st_j60_uv = 150;
    lead(a, l).t_amplitude_uv = -200;
  }
  auto f = evaluate(a, patient(Sex::male, 35, true));
  CHECK(f.category == Category::confounded);
  CHECK(has(f.confounders, "brugada"));
  CHECK(f.tier == Tier::urgent);
  // Type-1 morphology in V1 alone is still routed to a human, never "normal".
  set_st(a, "V2", 0);
  f = evaluate(a, patient(Sex::male, 35));
  CHECK(f.category == Category::confounded);
  CHECK(has(f.confounders, "brugada"));
  // Upright T (not coved) with the same STE: criteria apply.
  auto b = normal_ecg();
  set_st(b, {"V1", "V2"}, 300);
  CHECK(evaluate(b, patient(Sex::male, 35)).category == Category::stemi);
}

TEST_CASE("LV aneurysm: QS waves with small T/QRS → confounded; large T/QRS → STEMI",
          "[triage][confounder][aneurysm]") {
  auto a = normal_ecg();
  for (const char* l : {"V1", "V2", "V3", "V4"}) {
    set_qrs(a, l, 0, 50, -1200);
    lead(a, l).t_amplitude_uv = 150;
  }
  set_st(a, {"V2", "V3", "V4"}, 200);
  auto f = evaluate(a, patient(Sex::male, 70));
  CHECK(f.category == Category::confounded);
  CHECK(has(f.confounders, "lv_aneurysm"));
  for (const char* l : {"V2", "V3"}) lead(a, l).t_amplitude_uv = 600;  // T/QRS 0.5 > 0.36
  f = evaluate(a, patient(Sex::male, 70));
  CHECK(f.category == Category::stemi);
}

TEST_CASE("a confounded record is never normal", "[triage][confounder]") {
  auto a = lbbb_ecg();
  for (auto& m : a.per_lead) m.st_j_uv = m.st_j60_uv = 0;
  const auto f = evaluate(a, patient(Sex::female, 60));
  CHECK(f.category == Category::confounded);
  CHECK(f.route_to_human);
}

TEST_CASE(
    "pacing spikes with an implausibly short QRS are ventricular pacing, Sgarbossa not assessed",
    "[triage][confounder][paced]") {
  auto a = normal_ecg();
  a.global.pacing_spikes = true;
  a.global.qrs_duration_ms = 26;        // the spike fooled the delineation
  set_st(a, {"V1", "V2", "V3"}, -180);  // would be "concordant STD" if trusted
  const auto f = evaluate(a, patient(Sex::female, 71, true));
  CHECK(f.category == Category::confounded);
  CHECK(has(f.confounders, "paced"));
  CHECK_FALSE(f.stemi);
  bool noted = false;
  for (const auto& n : f.notes) noted |= contains(n, "delineation unreliable");
  CHECK(noted);
  // 60 ms is plausible: narrow-QRS atrial pacing, ordinary criteria.
  a.global.qrs_duration_ms = 60;
  CHECK(evaluate(a, patient(Sex::female, 71)).confounders.empty());
}

TEST_CASE("very wide QRS without bundle-branch pattern → ivcd, Sgarbossa applies",
          "[triage][confounder][ivcd]") {
  auto a = normal_ecg();
  a.global.qrs_duration_ms = 170;  // V1 rS, no monophasic lateral R: neither LBBB nor RBBB
  auto f = evaluate(a, patient(Sex::male, 74, true));
  CHECK(f.category == Category::confounded);
  CHECK(has(f.confounders, "ivcd"));
  CHECK(f.tier == Tier::urgent);
  set_st(a, {"II", "aVF"}, 150);  // concordant with their positive QRS
  f = evaluate(a, patient(Sex::male, 74, true));
  CHECK(f.category == Category::stemi);
  CHECK(has(f.confounders, "ivcd"));
  // 159 ms: ordinary criteria (wide QRS only noted).
  auto b = normal_ecg();
  b.global.qrs_duration_ms = 159;
  CHECK(evaluate(b, patient(Sex::male, 74)).category == Category::abnormal);
}

TEST_CASE("LV aneurysm: QS complex whose measured R is only the elevated J point",
          "[triage][confounder][aneurysm]") {
  auto a = normal_ecg();
  for (const char* l : {"V1", "V2", "V3", "V4"}) {
    set_qrs(a, l, -1500, 200, 0);  // dsp reports r = J level on a QS complex
    lead(a, l).t_amplitude_uv = 200;
  }
  set_st(a, {"V1", "V2", "V3", "V4"}, 200);
  const auto f = evaluate(a, patient(Sex::male, 70));
  CHECK(f.category == Category::confounded);
  CHECK(has(f.confounders, "lv_aneurysm"));
}

TEST_CASE("pericarditis rule: pathological Q waves point to infarction → STEMI",
          "[triage][confounder][pericarditis]") {
  auto a = pericarditis_ecg();
  set_qrs(a, "III", -900, 100, 0);
  set_qrs(a, "aVF", -600, 150, 0);
  lead(a, "III").q_duration_ms = 60;
  lead(a, "aVF").q_duration_ms = 50;
  const auto f = evaluate(a, patient(Sex::male, 60));
  CHECK(f.category == Category::stemi);
  CHECK_FALSE(has(f.confounders, "pericarditis"));
}

TEST_CASE("RBBB-like V1 with QRS ≥ 180 ms is not plain RBBB → ivcd", "[triage][confounder][ivcd]") {
  auto a = normal_ecg();
  a.global.qrs_duration_ms = 179;
  set_qrs(a, "V1", 0, 900, -200);
  CHECK(evaluate(a, patient(Sex::male, 74)).confounders.empty());
  a.global.qrs_duration_ms = 180;
  const auto f = evaluate(a, patient(Sex::male, 74));
  CHECK(f.category == Category::confounded);
  CHECK(has(f.confounders, "ivcd"));
}

TEST_CASE("Sgarbossa needs a clear QRS polarity and ST beyond 1 mm at J and J+60",
          "[triage][confounder][lbbb]") {
  auto a = lbbb_ecg();
  // Equiphasic V4 (net 0): 0.15 mV ST elevation is neither concordant nor discordant.
  set_qrs(a, "V4", 0, 800, -800);
  set_st(a, "V4", 150);
  CHECK_FALSE(evaluate(a, patient(Sex::male, 70)).stemi);
  // Concordant elevation at J only (J+60 0.08 mV) is not enough.
  auto b = lbbb_ecg();
  set_st(b, {"V5", "V6"}, 150);
  lead(b, "V5").st_j60_uv = 80;
  lead(b, "V6").st_j60_uv = 80;
  CHECK_FALSE(evaluate(b, patient(Sex::male, 70)).stemi);
  lead(b, "V6").st_j60_uv = 100;
  CHECK(evaluate(b, patient(Sex::male, 70)).stemi);
}

TEST_CASE("LBBB uses Strauss QRS durations: 140 ms men, 130 ms women",
          "[triage][confounder][lbbb]") {
  auto a = lbbb_ecg();
  a.global.qrs_duration_ms = 139;
  CHECK_FALSE(has(evaluate(a, patient(Sex::male, 70)).confounders, "lbbb"));
  CHECK(has(evaluate(a, patient(Sex::female, 70)).confounders, "lbbb"));
  a.global.qrs_duration_ms = 129;
  CHECK_FALSE(has(evaluate(a, patient(Sex::female, 70)).confounders, "lbbb"));
  a.global.qrs_duration_ms = 140;
  CHECK(has(evaluate(a, patient(Sex::male, 70)).confounders, "lbbb"));
}

TEST_CASE("LBBB needs QS/rS in V2 as well as V1", "[triage][confounder][lbbb]") {
  auto a = lbbb_ecg();
  set_qrs(a, "V2", 0, 900, -300);  // early transition: not left bundle branch block
  const auto f = evaluate(a, patient(Sex::male, 70));
  CHECK_FALSE(has(f.confounders, "lbbb"));
}

TEST_CASE("LBBB needs a broad lateral R (≥ 90 ms): anterior QS with narrow R is not LBBB",
          "[triage][confounder][lbbb]") {
  auto a = lbbb_ecg();
  for (const char* l : {"I", "aVL", "V5", "V6"}) lead(a, l).r_duration_ms = 89;
  CHECK_FALSE(has(evaluate(a, patient(Sex::male, 70)).confounders, "lbbb"));
  for (const char* l : {"I", "aVL"}) lead(a, l).r_duration_ms = 90;
  CHECK(has(evaluate(a, patient(Sex::male, 70)).confounders, "lbbb"));
}
