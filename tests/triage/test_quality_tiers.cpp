// Quality gating, alert tiers, names, and the normal/abnormal outcomes.
#include <catch2/catch.hpp>

#include "fixtures.hpp"

using namespace gc::triage;
using namespace gc::triage::test;

TEST_CASE("names: categories, tiers, sex", "[triage][names]") {
  CHECK(to_string(Category::stemi) == "stemi");
  CHECK(to_string(Category::stemi_equivalent) == "stemi_equivalent");
  CHECK(to_string(Category::confounded) == "confounded");
  CHECK(to_string(Category::abnormal) == "abnormal");
  CHECK(to_string(Category::normal) == "normal");
  CHECK(to_string(Category::poor_quality) == "poor_quality");
  CHECK(to_string(Tier::critical) == "critical");
  CHECK(to_string(Tier::urgent) == "urgent");
  CHECK(to_string(Tier::routine) == "routine");
  CHECK(to_string(Sex::female) == "female");
  CHECK(parse_sex("M") == Sex::male);
  CHECK(parse_sex("male") == Sex::male);
  CHECK(parse_sex(" Female ") == Sex::female);
  CHECK(parse_sex("f") == Sex::female);
  CHECK(parse_sex("") == Sex::unknown);
  CHECK(parse_sex("X") == Sex::unknown);
}

TEST_CASE("normal ECG → normal, routine, not routed", "[triage][tier]") {
  const auto f = evaluate(normal_ecg(), patient(Sex::male, 50, true));
  CHECK(f.category == Category::normal);
  CHECK(f.tier == Tier::routine);
  CHECK_FALSE(f.route_to_human);
  CHECK_FALSE(f.explanation_en.empty());
  CHECK_FALSE(f.explanation_zh.empty());
}

TEST_CASE("non-specific ST depression → abnormal, routine", "[triage][tier]") {
  auto a = normal_ecg();
  set_st(a, {"V5", "V6"}, -80);
  const auto f = evaluate(a, patient(Sex::male, 50));
  CHECK(f.category == Category::abnormal);
  CHECK(f.tier == Tier::routine);
  CHECK(depressed_leads(f) == std::vector<std::string>{"V5", "V6"});
  CHECK(contains(f.explanation_en, "0.08 mV (0.8 mm)"));
}

TEST_CASE("STEMI → critical with the cardiologist in the loop", "[triage][tier]") {
  auto a = normal_ecg();
  set_st(a, {"II", "III", "aVF"}, 200);
  const auto f = evaluate(a, patient(Sex::male, 50, false));
  CHECK(f.tier == Tier::critical);
  CHECK(f.route_to_human);
  CHECK_FALSE(f.repeat_ecg);
}

TEST_CASE("poor quality → repeat ECG; urgent only with chest pain", "[triage][quality]") {
  auto a = normal_ecg();
  a.quality.ok = false;
  a.quality.problems.push_back({"V3", "lead_off", "flat line 8 s"});
  a.quality.problems.push_back({"", "baseline_wander", ""});
  auto f = evaluate(a, patient(Sex::male, 50, false));
  CHECK(f.category == Category::poor_quality);
  CHECK(f.repeat_ecg);
  CHECK(f.route_to_human);
  CHECK(f.tier == Tier::routine);
  CHECK_FALSE(f.stemi);
  CHECK(contains(f.explanation_en, "V3 lead_off"));
  CHECK(contains(f.explanation_en, "baseline_wander"));
  CHECK(contains(f.explanation_zh, "心电图质量差，请重新记录"));
  CHECK(contains(f.explanation_zh, "V3 导联脱落"));
  f = evaluate(a, patient(Sex::male, 50, true));
  CHECK(f.tier == Tier::urgent);
}

TEST_CASE("poor quality gates even an apparent STEMI, but makes it urgent", "[triage][quality]") {
  auto a = normal_ecg();
  set_st(a, {"II", "III", "aVF"}, 300);
  a.quality.ok = false;
  a.quality.problems.push_back({"", "hf_noise", ""});
  const auto f = evaluate(a, patient(Sex::male, 50, false));
  CHECK(f.category == Category::poor_quality);
  CHECK_FALSE(f.stemi);
  CHECK(f.repeat_ecg);
  CHECK(f.tier == Tier::urgent);
  CHECK(contains(f.explanation_en, "II, III, aVF"));
}

TEST_CASE("too few analysable leads → poor quality even if dsp said ok", "[triage][quality]") {
  auto a = normal_ecg();
  for (const char* l : {"I", "II", "III", "aVR", "aVL", "aVF", "V1"}) lead(a, l).analysable = false;
  const auto f = evaluate(a, patient(Sex::female, 50));
  CHECK(f.category == Category::poor_quality);
  CHECK(f.repeat_ecg);
  CHECK(contains(f.explanation_en, "5 of the 12 standard leads"));
}

TEST_CASE("a 2-lead record is not diagnostic", "[triage][quality]") {
  gc::dsp::Analysis a;
  a.lead_names = {"II", "V5"};
  a.per_lead.resize(2);
  a.per_lead[0].lead = "II";
  a.per_lead[1].lead = "V5";
  const auto f = evaluate(a, patient(Sex::female, 50));
  CHECK(f.category == Category::poor_quality);
}

TEST_CASE("stemi_equivalent is urgent regardless of chest pain", "[triage][tier]") {
  auto a = normal_ecg();
  set_st(a, {"V1", "V2", "V3"}, -150);
  CHECK(evaluate(a, patient(Sex::male, 60, false)).tier == Tier::urgent);
  CHECK(evaluate(a, patient(Sex::male, 60, true)).tier == Tier::urgent);
}

TEST_CASE("anterior QS waves with small ST elevation → abnormal, routed for comparison",
          "[triage][tier]") {
  const auto a = anterior_qs_small_ste();
  const auto f = evaluate(a, patient(Sex::male, 50));
  CHECK(f.category == Category::abnormal);
  CHECK_FALSE(f.stemi);
  CHECK(f.route_to_human);
  CHECK(contains(f.explanation_en, "Q/QS waves V1, V2, V3"));
  CHECK(contains(f.explanation_en, "0.08 mV"));
  // A QS complex in V1 alone is a normal variant.
  auto b = normal_ecg();
  set_qrs(b, "V1", -800, 30, 0);
  CHECK(evaluate(b, patient(Sex::male, 50)).category == Category::normal);
}

// Every quality problem analyze() may report is named in Chinese in the read (no raw key such as
// `key_leads_unusable` reaches the reading station).
TEST_CASE("quality problems: every kind has Chinese text", "[triage][quality][zh]") {
  for (const auto kind : gc::dsp::kQualityProblemKinds) {
    INFO(kind);
    auto a = normal_ecg();
    a.quality.ok = false;
    a.quality.problems.push_back({"", std::string(kind), "detail"});
    const auto f = evaluate(a, patient(Sex::male, 50, true));
    CHECK(f.category == Category::poor_quality);
    CHECK(f.explanation_zh.find(std::string(kind)) == std::string::npos);
  }
}
