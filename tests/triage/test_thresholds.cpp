// Fourth Universal Definition thresholds by lead, sex and age, at their edges, and the handling of
// unknown age/sex (most sensitive threshold, said in a note).
#include <algorithm>
#include <catch2/catch.hpp>

#include "fixtures.hpp"

using namespace gc::triage;
using namespace gc::triage::test;

TEST_CASE("ste_threshold_uv: V2-V3 by sex and age", "[triage][threshold]") {
  for (const char* l : {"V2", "V3"}) {
    CAPTURE(l);
    CHECK(ste_threshold_uv(l, patient(Sex::male, 40)) == Approx(200));
    CHECK(ste_threshold_uv(l, patient(Sex::male, 39)) == Approx(250));
    CHECK(ste_threshold_uv(l, patient(Sex::male, 75)) == Approx(200));
    CHECK(ste_threshold_uv(l, patient(Sex::female, 25)) == Approx(150));
    CHECK(ste_threshold_uv(l, patient(Sex::female, 70)) == Approx(150));
    CHECK(ste_threshold_uv(l, patient(Sex::unknown, 50)) == Approx(150));
    CHECK(ste_threshold_uv(l, patient(Sex::unknown, std::nullopt)) == Approx(150));
    CHECK(ste_threshold_uv(l, patient(Sex::male, std::nullopt)) == Approx(200));
  }
}

TEST_CASE("ste_threshold_uv: posterior V7-V9", "[triage][threshold]") {
  for (const char* l : {"V7", "V8", "V9"}) {
    CAPTURE(l);
    CHECK(ste_threshold_uv(l, patient(Sex::male, 39)) == Approx(100));
    CHECK(ste_threshold_uv(l, patient(Sex::male, 40)) == Approx(50));
    CHECK(ste_threshold_uv(l, patient(Sex::female, 30)) == Approx(50));
    CHECK(ste_threshold_uv(l, patient(Sex::unknown, 20)) == Approx(50));
    CHECK(ste_threshold_uv(l, patient(Sex::male, std::nullopt)) == Approx(50));
  }
}

TEST_CASE("ste_threshold_uv: right-sided V3R-V5R", "[triage][threshold]") {
  for (const char* l : {"V3R", "V4R", "V5R"}) {
    CAPTURE(l);
    CHECK(ste_threshold_uv(l, patient(Sex::male, 29)) == Approx(100));
    CHECK(ste_threshold_uv(l, patient(Sex::male, 30)) == Approx(50));
    CHECK(ste_threshold_uv(l, patient(Sex::female, 20)) == Approx(50));
    CHECK(ste_threshold_uv(l, patient(Sex::unknown, std::nullopt)) == Approx(50));
  }
}

TEST_CASE("ste_threshold_uv: all other leads 0.1 mV", "[triage][threshold]") {
  for (const char* l : {"I", "II", "III", "aVR", "-aVR", "aVL", "aVF", "V1", "V4", "V5", "V6"}) {
    CAPTURE(l);
    CHECK(ste_threshold_uv(l, patient(Sex::male, 25)) == Approx(100));
    CHECK(ste_threshold_uv(l, patient(Sex::female, 80)) == Approx(100));
    CHECK(ste_threshold_uv(l, patient(Sex::unknown, std::nullopt)) == Approx(100));
  }
}

namespace {

// V2 and V3 elevated by `uv`; true when evaluate() finds the voltage criteria met: a STEMI call or,
// without ECG evidence of occlusion beyond the voltage, an urgent normal-variant read (issue 12).
bool v2v3_stemi(const PatientContext& p, double uv) {
  auto a = normal_ecg();
  set_st(a, {"V2", "V3"}, uv);
  return criteria_met(evaluate(a, p));
}

}  // namespace

TEST_CASE("evaluate: V2-V3 decision flips at the sex/age threshold", "[triage][threshold]") {
  CHECK_FALSE(v2v3_stemi(patient(Sex::male, 39), 249));
  CHECK(v2v3_stemi(patient(Sex::male, 39), 250));
  CHECK_FALSE(v2v3_stemi(patient(Sex::male, 40), 199));
  CHECK(v2v3_stemi(patient(Sex::male, 40), 200));
  CHECK_FALSE(v2v3_stemi(patient(Sex::female, 30), 149));
  CHECK(v2v3_stemi(patient(Sex::female, 30), 150));
  CHECK(v2v3_stemi(patient(Sex::female, 65), 150));
  // A 39-year-old man with 0.20 mV is below his threshold although a 40-year-old's is met.
  CHECK_FALSE(v2v3_stemi(patient(Sex::male, 39), 200));
}

TEST_CASE("evaluate: other leads flip at 0.1 mV", "[triage][threshold]") {
  for (double uv : {99.0, 100.0}) {
    auto a = normal_ecg();
    set_st(a, {"II", "III", "aVF"}, uv);
    CHECK(evaluate(a, patient(Sex::male, 60)).stemi == (uv >= 100));
  }
}

TEST_CASE("evaluate: posterior V7-V9 thresholds on 18 leads", "[triage][threshold][18lead]") {
  auto run = [](const PatientContext& p, double uv) {
    auto a = normal_ecg(true);
    set_st(a, {"V7", "V8", "V9"}, uv);
    return evaluate(a, p);
  };
  CHECK_FALSE(run(patient(Sex::male, 39), 99).stemi);
  CHECK(run(patient(Sex::male, 39), 100).stemi);
  CHECK_FALSE(run(patient(Sex::male, 40), 49).stemi);
  CHECK(run(patient(Sex::male, 40), 50).stemi);
  CHECK(run(patient(Sex::female, 35), 50).stemi);
  const auto f = run(patient(Sex::female, 35), 60);
  CHECK(f.territories == std::vector<std::string>{"posterior"});
}

TEST_CASE("evaluate: right-sided V3R-V5R thresholds on 18 leads", "[triage][threshold][18lead]") {
  auto run = [](const PatientContext& p, double uv) {
    auto a = normal_ecg(true);
    set_st(a, {"V3R", "V4R"}, uv);
    return evaluate(a, p);
  };
  CHECK_FALSE(run(patient(Sex::male, 29), 99).stemi);
  CHECK(run(patient(Sex::male, 29), 100).stemi);
  CHECK_FALSE(run(patient(Sex::male, 30), 49).stemi);
  CHECK(run(patient(Sex::male, 30), 50).stemi);
  CHECK(run(patient(Sex::female, 22), 50).stemi);
  CHECK(run(patient(Sex::male, 30), 50).territories == std::vector<std::string>{"right_ventricle"});
}

TEST_CASE("evaluate: J+60 confirmation rejects J-point-only elevation", "[triage][threshold]") {
  auto a = normal_ecg();
  set_st(a, {"II", "III", "aVF"}, 150);
  // Threshold 100 µV → J+60 must reach 0.5 × 100 = 50 µV, whatever the J-point value.
  for (const char* l : {"II", "III", "aVF"}) lead(a, l).st_j60_uv = 49;
  CHECK_FALSE(evaluate(a, patient(Sex::male, 60)).stemi);
  for (const char* l : {"II", "III", "aVF"}) lead(a, l).st_j60_uv = 50;
  CHECK(evaluate(a, patient(Sex::male, 60)).stemi);
}

TEST_CASE("evaluate: unknown sex uses the most sensitive threshold and says so",
          "[triage][threshold]") {
  auto a = normal_ecg();
  set_st(a, {"V2", "V3"}, 150);
  const auto f = evaluate(a, patient(Sex::unknown, std::nullopt));
  CHECK(criteria_met(f));
  // Met only at the women's threshold with sex unknown: urgent, never critical (issue 12 policy).
  CHECK(f.tier == Tier::urgent);
  REQUIRE_FALSE(f.notes.empty());
  CHECK(contains(f.notes.front(), "sex unknown"));
  CHECK(contains(f.notes.front(), "most sensitive"));
}

TEST_CASE("evaluate: man of unknown age uses the lower male V2-V3 threshold and says so",
          "[triage][threshold]") {
  auto a = normal_ecg();
  set_st(a, {"V2", "V3"}, 200);
  const auto f = evaluate(a, patient(Sex::male, std::nullopt));
  CHECK(criteria_met(f));
  REQUIRE_FALSE(f.notes.empty());
  CHECK(contains(f.notes.front(), "age unknown"));
  set_st(a, {"V2", "V3"}, 199);
  CHECK_FALSE(criteria_met(evaluate(a, patient(Sex::male, std::nullopt))));
}

TEST_CASE("evaluate: known sex and age add no threshold note", "[triage][threshold]") {
  auto a = normal_ecg();
  set_st(a, {"V2", "V3"}, 150);
  for (const auto& n : evaluate(a, patient(Sex::female, std::nullopt)).notes) {
    CHECK_FALSE(contains(n, "unknown"));
  }
  for (const auto& n : evaluate(a, patient(Sex::male, 50)).notes) {
    CHECK_FALSE(contains(n, "unknown"));
  }
}
