// Territories (English/Chinese), reciprocal depression, culprit hints, posterior/right-sided logic
// on 18 leads, STEMI equivalents, and the seed case.
#include <catch2/catch.hpp>

#include "fixtures.hpp"

using namespace gc::triage;
using namespace gc::triage::test;

namespace {

Finding elevate(std::initializer_list<const char*> leads, double uv = 250, bool eighteen = false) {
  auto a = normal_ecg(eighteen);
  set_st(a, leads, uv);
  return evaluate(a, patient(Sex::male, 60));
}

}  // namespace

TEST_CASE("territory names in English and Chinese", "[triage][territory]") {
  CHECK(territory_name_zh("septal") == "前间壁");
  CHECK(territory_name_zh("anteroseptal") == "前间壁");
  CHECK(territory_name_zh("anterior") == "前壁");
  CHECK(territory_name_zh("extensive_anterior") == "广泛前壁");
  CHECK(territory_name_zh("lateral") == "侧壁");
  CHECK(territory_name_zh("high_lateral") == "高侧壁");
  CHECK(territory_name_zh("inferior") == "下壁");
  CHECK(territory_name_zh("posterior") == "后壁");
  CHECK(territory_name_zh("right_ventricle") == "右室");
  CHECK(territory_name_en("extensive_anterior") == "extensive anterior");
  CHECK(territory_name_en("right_ventricle") == "right ventricle");
}

TEST_CASE("territories from the elevated leads", "[triage][territory]") {
  using V = std::vector<std::string>;
  CHECK(elevate({"V1", "V2"}).territories == V{"septal"});
  CHECK(elevate({"V1", "V2", "V3", "V4"}).territories == V{"anteroseptal"});
  CHECK(elevate({"V3", "V4"}).territories == V{"anterior"});
  CHECK(elevate({"V1", "V2", "V3", "V4", "V5", "V6"}).territories == V{"extensive_anterior"});
  CHECK(elevate({"V2", "V3", "V4", "V5", "V6"}).territories == V{"extensive_anterior"});
  CHECK(elevate({"V3", "V4", "V5", "V6"}).territories == V{"anterior", "lateral"});
  CHECK(elevate({"V5", "V6"}).territories == V{"lateral"});
  CHECK(elevate({"I", "aVL"}).territories == V{"high_lateral"});
  CHECK(elevate({"II", "III", "aVF"}).territories == V{"inferior"});
  CHECK(elevate({"V7", "V8", "V9"}, 250, true).territories == V{"posterior"});
  CHECK(elevate({"V3R", "V4R", "V5R"}, 250, true).territories == V{"right_ventricle"});
  CHECK(elevate({"II", "III", "aVF", "V5", "V6"}).territories == V{"lateral", "inferior"});
}

TEST_CASE("seed case: extensive anterior + high lateral STEMI with inferior reciprocity",
          "[triage][territory][seed]") {
  auto a = normal_ecg();
  set_st(a, {"V1", "V2", "V3", "V4"}, 350);
  set_st(a, {"V5", "V6"}, 250);
  set_st(a, {"I", "aVL"}, 150);
  set_st(a, {"II", "III", "aVF"}, -120);
  const auto f = evaluate(a, patient(Sex::male, 58, true));
  CHECK(f.category == Category::stemi);
  CHECK(f.tier == Tier::critical);
  CHECK(f.territories == std::vector<std::string>{"extensive_anterior", "high_lateral"});
  CHECK(elevated_leads(f) ==
        std::vector<std::string>{"I", "V1", "V2", "V3", "V4", "V5", "V6", "aVL"});
  CHECK(depressed_leads(f) == std::vector<std::string>{"II", "III", "aVF"});
  CHECK(contains(f.explanation_zh, "广泛前壁"));
  CHECK(contains(f.explanation_zh, "高侧壁"));
  CHECK(contains(f.explanation_en, "V1–V6 0.35 mV (3.5 mm)"));
  CHECK(contains(f.explanation_en, "I/aVL 0.15 mV (1.5 mm)"));
  CHECK(contains(f.explanation_en, "reciprocal ST↓ II, III, aVF"));
  CHECK(contains(f.explanation_en, "acute extensive anterior + high lateral STEMI"));
  CHECK(contains(f.explanation_zh, "急性广泛前壁、高侧壁 STEMI"));
}

TEST_CASE("reciprocal depression: inferior STEMI with I/aVL depression", "[triage][reciprocal]") {
  auto a = normal_ecg();
  set_st(a, {"II", "III", "aVF"}, 200);
  set_st(a, {"I", "aVL"}, -100);
  const auto f = evaluate(a, patient(Sex::female, 70));
  REQUIRE(f.stemi);
  CHECK(depressed_leads(f) == std::vector<std::string>{"I", "aVL"});
  CHECK(contains(f.explanation_en, "reciprocal ST↓ I, aVL"));
  CHECK(contains(f.explanation_zh, "对应导联"));
}

TEST_CASE("reciprocal depression threshold is 0.05 mV", "[triage][reciprocal]") {
  auto a = normal_ecg();
  set_st(a, {"II", "III", "aVF"}, 200);
  set_st(a, "aVL", -49);
  CHECK(depressed_leads(evaluate(a, patient(Sex::female, 70))).empty());
  set_st(a, "aVL", -50);
  CHECK(depressed_leads(evaluate(a, patient(Sex::female, 70))) == std::vector<std::string>{"aVL"});
}

TEST_CASE("culprit: inferior with III > II and V4R → proximal RCA with RV",
          "[triage][culprit][18lead]") {
  auto a = normal_ecg(true);
  set_st(a, "II", 150);
  set_st(a, {"III", "aVF"}, 250);
  set_st(a, {"V3R", "V4R"}, 100);
  const auto f = evaluate(a, patient(Sex::male, 60));
  REQUIRE(f.stemi);
  CHECK(f.territories == std::vector<std::string>{"inferior", "right_ventricle"});
  REQUIRE_FALSE(f.culprit_hints.empty());
  CHECK(contains(f.culprit_hints.front(), "proximal RCA"));
  CHECK(contains(f.explanation_zh, "右室"));
}

TEST_CASE("culprit: inferolateral with III <= II → LCx", "[triage][culprit]") {
  auto a = normal_ecg();
  set_st(a, {"II", "aVF"}, 200);
  set_st(a, "III", 150);
  set_st(a, {"V5", "V6"}, 150);
  const auto f = evaluate(a, patient(Sex::male, 60));
  REQUIRE(f.stemi);
  REQUIRE_FALSE(f.culprit_hints.empty());
  CHECK(contains(f.culprit_hints.front(), "LCx"));
}

TEST_CASE("culprit: V1-V4 with aVL elevation → proximal LAD", "[triage][culprit]") {
  auto a = normal_ecg();
  set_st(a, {"V1", "V2", "V3", "V4"}, 300);
  set_st(a, "aVL", 120);
  const auto f = evaluate(a, patient(Sex::male, 60));
  REQUIRE(f.stemi);
  REQUIRE_FALSE(f.culprit_hints.empty());
  CHECK(contains(f.culprit_hints.front(), "proximal LAD"));
}

TEST_CASE("inferior STEMI with V1-V3 depression suggests posterior extension",
          "[triage][culprit]") {
  auto a = normal_ecg();
  set_st(a, {"II", "III", "aVF"}, 200);
  set_st(a, {"V1", "V2", "V3"}, -100);
  const auto f = evaluate(a, patient(Sex::male, 60));
  REQUIRE(f.stemi);
  bool posterior = false;
  for (const auto& h : f.culprit_hints) posterior |= contains(h, "V7–V9");
  CHECK(posterior);
}

TEST_CASE("posterior suspected on 12 leads: V1-V3 depression → equivalent, record V7-V9",
          "[triage][equivalent][posterior]") {
  auto a = normal_ecg();
  set_st(a, {"V1", "V2", "V3"}, -150);
  const auto f = evaluate(a, patient(Sex::male, 60));
  CHECK(f.category == Category::stemi_equivalent);
  CHECK(f.tier == Tier::urgent);
  CHECK(f.route_to_human);
  CHECK(has(f.equivalents, "posterior_suspected"));
  CHECK(contains(f.explanation_en, "V7–V9"));
  CHECK(contains(f.explanation_zh, "后壁"));
}

TEST_CASE("posterior suspected needs ≥ 2 contiguous leads and ≥ 0.1 mV somewhere",
          "[triage][equivalent][posterior]") {
  auto a = normal_ecg();
  set_st(a, {"V2", "V3"}, -60);
  CHECK(evaluate(a, patient(Sex::male, 60)).category == Category::abnormal);
  set_st(a, "V2", -100);
  CHECK(evaluate(a, patient(Sex::male, 60)).category == Category::stemi_equivalent);
  auto b = normal_ecg();
  set_st(b, {"V1", "V3"}, -150);
  CHECK(evaluate(b, patient(Sex::male, 60)).category == Category::abnormal);
}

TEST_CASE("18 leads: V1-V3 depression with posterior STE → posterior STEMI with reciprocity",
          "[triage][posterior][18lead]") {
  auto a = normal_ecg(true);
  set_st(a, {"V1", "V2", "V3"}, -150);
  set_st(a, {"V7", "V8", "V9"}, 60);
  const auto f = evaluate(a, patient(Sex::female, 60));
  REQUIRE(f.stemi);
  CHECK(f.territories == std::vector<std::string>{"posterior"});
  CHECK(contains(f.explanation_en, "reciprocal ST↓ V1, V2, V3"));
  CHECK(contains(f.explanation_zh, "后壁"));
}

TEST_CASE("18 leads: V1-V3 depression with normal posterior leads is not an equivalent",
          "[triage][posterior][18lead]") {
  auto a = normal_ecg(true);
  set_st(a, {"V1", "V2", "V3"}, -150);
  const auto f = evaluate(a, patient(Sex::female, 60));
  CHECK(f.category == Category::abnormal);
  CHECK_FALSE(has(f.equivalents, "posterior_suspected"));
}

TEST_CASE("left main / multivessel: STD ≥ 0.1 mV in ≥ 8 leads with STE aVR",
          "[triage][equivalent]") {
  auto a = normal_ecg();
  set_st(a, {"I", "II", "aVL", "aVF", "V3", "V4", "V5", "V6"}, -150);
  set_st(a, "aVR", 150);
  const auto f = evaluate(a, patient(Sex::male, 70));
  CHECK(f.category == Category::stemi_equivalent);
  CHECK(f.tier == Tier::urgent);
  CHECK(has(f.equivalents, "left_main"));
  CHECK(contains(f.explanation_en, "left main"));
  // Seven leads are not enough.
  set_st(a, "V6", 0);
  CHECK_FALSE(has(evaluate(a, patient(Sex::male, 70)).equivalents, "left_main"));
}

TEST_CASE("left main pattern also via STE in V1", "[triage][equivalent]") {
  auto a = normal_ecg();
  set_st(a, {"I", "II", "III", "aVL", "aVF", "V4", "V5", "V6"}, -150);
  set_st(a, "V1", 120);
  CHECK(has(evaluate(a, patient(Sex::male, 70)).equivalents, "left_main"));
}

TEST_CASE("de Winter: upsloping STD with tall T in V2-V4", "[triage][equivalent]") {
  auto a = normal_ecg();
  for (const char* l : {"V2", "V3", "V4"}) {
    lead(a, l).st_j_uv = -150;
    lead(a, l).st_j60_uv = -50;
    lead(a, l).t_amplitude_uv = 900;
  }
  const auto f = evaluate(a, patient(Sex::male, 50));
  CHECK(f.category == Category::stemi_equivalent);
  CHECK(has(f.equivalents, "de_winter"));
  CHECK_FALSE(has(f.equivalents, "posterior_suspected"));
}

TEST_CASE("de Winter needs ST still depressed at J+60 (benign J-point depression is not)",
          "[triage][equivalent]") {
  auto a = normal_ecg();
  for (const char* l : {"V2", "V3", "V4"}) {
    lead(a, l).st_j_uv = -150;
    lead(a, l).st_j60_uv = -49;
    lead(a, l).t_amplitude_uv = 900;
  }
  CHECK_FALSE(has(evaluate(a, patient(Sex::male, 50)).equivalents, "de_winter"));
  for (const char* l : {"V2", "V3", "V4"}) lead(a, l).st_j60_uv = 20;
  const auto f = evaluate(a, patient(Sex::male, 50));
  CHECK_FALSE(has(f.equivalents, "de_winter"));
  CHECK(f.category == Category::normal);  // J-point depression with a fast upslope is benign
}

TEST_CASE("hyperacute T: T taller than QRS in contiguous leads", "[triage][equivalent]") {
  auto a = normal_ecg();
  for (const char* l : {"V2", "V3"}) {
    lead(a, l).t_amplitude_uv = 1800;
    lead(a, l).st_j_uv = 50;
    lead(a, l).st_j60_uv = 100;
  }
  const auto f = evaluate(a, patient(Sex::male, 50));
  CHECK(f.category == Category::stemi_equivalent);
  CHECK(has(f.equivalents, "hyperacute_t"));
  // A tall T in one lead only is not enough.
  lead(a, "V3").t_amplitude_uv = 500;
  CHECK_FALSE(has(evaluate(a, patient(Sex::male, 50)).equivalents, "hyperacute_t"));
}
