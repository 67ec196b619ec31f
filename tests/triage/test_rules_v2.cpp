// Rules added in the second triage pass: the J-point tolerance of the Smith-modified ST/S ratio
// (J placed on the discordant ST ramp), anterior Q/QS waves with persistent rising ST elevation
// (stemi_equivalent), records lacking the 12 standard leads, and secondary ST-T changes of RBBB /
// IVCD (ST elevation discordant to a dominant S and < 25 % of it).
#include <catch2/catch.hpp>

#include "fixtures.hpp"

using namespace gc::triage;
using namespace gc::triage::test;

namespace {

// LBBB as lbbb_ecg() in test_confounders.cpp, V1 a QS lead of 1200 µV.
gc::dsp::Analysis lbbb_qs_v1() {
  auto a = normal_ecg();
  a.global.qrs_duration_ms = 150;
  set_qrs(a, "V1", -1200, 0, 0);
  set_qrs(a, "V2", 0, 150, -2000);
  set_qrs(a, "V3", 0, 300, -1500);
  set_qrs(a, "I", 0, 1000, 0);
  set_qrs(a, "aVL", 0, 800, 0);
  set_qrs(a, "V5", 0, 1500, -50);
  set_qrs(a, "V6", 0, 1400, 0);
  set_st(a, {"V2", "V3"}, 150);
  set_st(a, {"I", "aVL", "V5", "V6"}, -100);
  for (const char* l : {"I", "aVL", "V5", "V6"}) lead(a, l).r_duration_ms = 120;
  return a;
}

// Gives the analysis a 500 Hz median beat in which every lead is flat at 0 except V1, whose
// samples are produced by `v1(k)` (k = sample index), with the J point at sample 250.
template <typename F>
void set_median(gc::dsp::Analysis& a, F v1) {
  a.sample_rate_hz = 500;
  a.median.length_samples = 500;
  a.median.r_index_samples = 200;
  a.median.qrs_onset_samples = 175;
  a.median.qrs_offset_samples = 250;
  a.median.samples_uv.assign(a.lead_names.size(), std::vector<float>(500, 0.f));
  for (std::size_t i = 0; i < a.lead_names.size(); ++i) {
    if (a.lead_names[i] != "V1") continue;
    for (int k = 0; k < 500; ++k) a.median.samples_uv[i][static_cast<std::size_t>(k)] = v1(k);
  }
}

}  // namespace

TEST_CASE("Smith ST/S: J point placed on the discordant ST ramp is traced back to the knee",
          "[triage][confounder][lbbb][smith]") {
  // V1: S nadir −1200 at sample 200, steep terminal QRS up to +190 at sample 225 (true J), then an
  // ST ramp of 6 µV/sample (3000 µV/s). The delineator put J at 250 (50 ms late): ST(J) = 340,
  // ST/S = 0.28 — "positive" — while at the true J ST/S = 190/1200 = 0.16.
  auto a = lbbb_qs_v1();
  auto v1 = [](int k) {
    if (k <= 200) return -1200.f;
    if (k <= 225) return -1200.f + 1390.f * static_cast<float>(k - 200) / 25.f;
    return 190.f + 6.f * static_cast<float>(k - 225);
  };
  set_median(a, v1);
  auto& m = lead(a, "V1");
  m.st_j_uv = 340;
  m.st_j60_uv = 520;
  m.st_slope_uv_per_s = 3000;
  const auto f = evaluate(a, patient(Sex::female, 74));
  CHECK(f.category == Category::confounded);
  CHECK(has(f.confounders, "lbbb"));
  CHECK_FALSE(f.stemi);

  // Without the median beat (no way to check the J point) the measured ratio stands: STEMI.
  auto b = a;
  b.median = {};
  const auto g = evaluate(b, patient(Sex::female, 74));
  CHECK(g.category == Category::stemi);
  CHECK(contains(g.explanation_en, "ST/S -0.28"));
}

TEST_CASE("Smith ST/S: a correctly placed J on a flat elevated ST keeps a positive ratio",
          "[triage][confounder][lbbb][smith]") {
  // V1: steep terminal QRS up to +400 at J (sample 250), then a flat ST: ST/S = 400/1200 = 0.33.
  auto a = lbbb_qs_v1();
  set_median(a, [](int k) {
    if (k <= 225) return -1200.f;
    if (k <= 250) return -1200.f + 1600.f * static_cast<float>(k - 225) / 25.f;
    return 400.f;
  });
  auto& m = lead(a, "V1");
  m.st_j_uv = 400;
  m.st_j60_uv = 400;
  m.st_slope_uv_per_s = 0;
  auto f = evaluate(a, patient(Sex::female, 74));
  CHECK(f.category == Category::stemi);
  CHECK(contains(f.explanation_en, "discordant ST↑ V1"));

  // Rising ST (3000 µV/s) after a knee at the correct J: the steep terminal QRS right before J
  // stops the walk at once, so the ratio stands (a fixed J − 12 ms window would have dropped it
  // to ≈ 0.01 and hidden a real discordant STE).
  set_median(a, [](int k) {
    if (k <= 225) return -1200.f;
    if (k <= 250) return -1200.f + 1600.f * static_cast<float>(k - 225) / 25.f;
    return 400.f + 6.f * static_cast<float>(k - 250);
  });
  lead(a, "V1").st_j60_uv = 580;
  lead(a, "V1").st_slope_uv_per_s = 3000;
  f = evaluate(a, patient(Sex::female, 74));
  CHECK(f.category == Category::stemi);
  CHECK(contains(f.explanation_en, "ST/S -0.33"));
}

TEST_CASE("anterior Q/QS waves with rising ST elevation in ≥ 3 of V1–V4 → stemi_equivalent",
          "[triage][equivalent][anterior_qs]") {
  auto a = normal_ecg();
  for (const char* l : {"V1", "V2", "V3", "V4"}) set_qrs(a, l, -750, 60, 0);
  for (const char* l : {"V1", "V2", "V3", "V4"}) {
    lead(a, l).st_j_uv = 65;
    lead(a, l).st_j60_uv = 100;
    lead(a, l).t_amplitude_uv = 150;
  }
  const auto f = evaluate(a, patient(Sex::male, 50));
  CHECK(f.category == Category::stemi_equivalent);
  CHECK_FALSE(f.stemi);
  CHECK(f.tier == Tier::urgent);
  CHECK(f.route_to_human);
  CHECK(has(f.equivalents, "anterior_qs_ste"));
  CHECK(contains(f.explanation_en, "Q/QS waves V1–V4"));
  CHECK(contains(f.explanation_en, "T/QRS max 0.20"));
  CHECK(contains(f.explanation_en, "≤ 0.36"));

  SECTION("ST at J below 0.05 mV → not an equivalent") {
    for (const char* l : {"V1", "V2", "V3", "V4"}) lead(a, l).st_j_uv = 49;
    const auto g = evaluate(a, patient(Sex::male, 50));
    CHECK(g.category == Category::abnormal);
    CHECK_FALSE(has(g.equivalents, "anterior_qs_ste"));
  }
  SECTION("ST not rising from J to J+60 (flat or falling) → not an equivalent") {
    for (const char* l : {"V1", "V2", "V3", "V4"}) lead(a, l).st_j60_uv = 65;
    CHECK(evaluate(a, patient(Sex::male, 50)).category == Category::abnormal);
  }
  SECTION("only 2 contiguous QS leads → not an equivalent") {
    set_qrs(a, "V3", 0, 700, -900);
    set_qrs(a, "V4", 0, 1200, -500);
    CHECK(evaluate(a, patient(Sex::male, 50)).category == Category::abnormal);
  }
  SECTION("T/QRS > 0.36 is reported as favouring acute") {
    lead(a, "V2").t_amplitude_uv = 300;  // 300 / 750 = 0.40
    const auto g = evaluate(a, patient(Sex::male, 50));
    CHECK(g.category == Category::stemi_equivalent);
    CHECK(contains(g.explanation_en, "T/QRS max 0.40 > 0.36"));
  }
}

TEST_CASE("a record without the standard leads says which leads it has, not 'poor quality'",
          "[triage][quality][leads]") {
  gc::dsp::Analysis a;
  a.sample_rate_hz = 360;
  a.lead_names = {"MLII", "V1"};
  a.per_lead.resize(2);
  a.per_lead[0].lead = "MLII";
  a.per_lead[1].lead = "V1";
  const auto f = evaluate(a, patient(Sex::male, 60));
  CHECK(f.category == Category::poor_quality);  // contract value: cannot be assessed
  CHECK(f.route_to_human);
  CHECK(f.repeat_ecg);
  CHECK(f.tier == Tier::routine);
  CHECK(contains(f.explanation_en, "Not a 12-lead ECG"));
  CHECK(contains(f.explanation_en, "(MLII, V1), 1 of the 12 standard leads"));
  CHECK_FALSE(contains(f.explanation_en, "Poor ECG quality"));
  CHECK(contains(f.explanation_zh, "MLII、V1"));
  CHECK(evaluate(a, patient(Sex::male, 60, true)).tier == Tier::urgent);

  // Twelve leads recorded but only 5 analysable: that is a quality problem, said as such.
  auto b = normal_ecg();
  for (const char* l : {"I", "II", "III", "aVR", "aVL", "aVF", "V1"}) lead(b, l).analysable = false;
  const auto g = evaluate(b, patient(Sex::male, 60));
  CHECK(contains(g.explanation_en, "Poor ECG quality"));
  CHECK_FALSE(contains(g.explanation_en, "Not a 12-lead ECG"));
}

TEST_CASE("a 6-lead chest-only record with contiguous STE is still flagged urgently",
          "[triage][quality][leads]") {
  gc::dsp::Analysis a;
  a.sample_rate_hz = 500;
  for (const char* l : {"V1", "V2", "V3"}) {
    gc::dsp::LeadMeasurement m;
    m.lead = l;
    m.st_j_uv = 300;
    m.st_j60_uv = 300;
    a.lead_names.emplace_back(l);
    a.per_lead.push_back(m);
  }
  const auto f = evaluate(a, patient(Sex::male, 60));
  CHECK(f.category == Category::poor_quality);
  CHECK(f.tier == Tier::urgent);
  CHECK(contains(f.explanation_en, "Not a 12-lead ECG"));
  CHECK(contains(f.explanation_en, "ST elevation seen in V1, V2, V3"));
}

namespace {

// RBBB (QRS 150 ms, rsR' in V1) with deep S waves in V5–V6.
gc::dsp::Analysis rbbb_deep_lateral_s() {
  auto a = normal_ecg();
  a.global.qrs_duration_ms = 150;
  set_qrs(a, "V1", 0, 1100, -150);
  set_qrs(a, "V5", 0, 450, -900);
  set_qrs(a, "V6", 0, 250, -800);
  return a;
}

}  // namespace

TEST_CASE("RBBB: STE discordant to a dominant S and < 25 % of it → confounded (secondary ST-T)",
          "[triage][confounder][rbbb]") {
  auto a = rbbb_deep_lateral_s();
  set_st(a, "V5", 100);  // 100 / 900 = 0.11
  set_st(a, "V6", 110);  // 110 / 800 = 0.14
  const auto f = evaluate(a, patient(Sex::male, 74));
  CHECK(f.category == Category::confounded);
  CHECK(has(f.confounders, "rbbb"));
  CHECK_FALSE(f.stemi);
  CHECK(f.route_to_human);

  SECTION("ST ≥ 25 % of S depth → STEMI") {
    set_st(a, "V6", 200);  // 200 / 800 = 0.25
    CHECK(evaluate(a, patient(Sex::male, 74)).category == Category::stemi);
  }
  SECTION("concordant STE (lead with dominant R) is never discounted") {
    set_qrs(a, "V5", 0, 1300, -250);
    set_qrs(a, "V6", 0, 1000, -100);
    CHECK(evaluate(a, patient(Sex::male, 74)).category == Category::stemi);
  }
  SECTION("narrow QRS: the rule does not apply") {
    a.global.qrs_duration_ms = 110;
    CHECK(evaluate(a, patient(Sex::male, 74)).category == Category::stemi);
  }
  SECTION("without RBBB in V1 the same pattern is a nonspecific IVCD") {
    set_qrs(a, "V1", 0, 200, -900);
    const auto g = evaluate(a, patient(Sex::male, 74));
    CHECK(g.category == Category::confounded);
    CHECK(has(g.confounders, "ivcd_secondary"));
  }
}
