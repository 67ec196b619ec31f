// Contiguity: every neighbouring pair of each chain qualifies (Cabrera limb order with −aVR,
// V1→V9, V3R→V5R); non-neighbours do not; gaps (unanalysable leads) break contiguity.
#include <algorithm>
#include <catch2/catch.hpp>

#include "fixtures.hpp"

using namespace gc::triage;
using namespace gc::triage::test;

namespace {

// Elevates `leads` by 160 µV (−aVR by depressing aVR) for a 60-year-old woman (all thresholds
// ≤ 150 µV), 18-lead record.
Finding elevate(const std::vector<std::string>& leads, gc::dsp::Analysis a = normal_ecg(true)) {
  for (const auto& l : leads) {
    if (l == "-aVR") {
      set_st(a, "aVR", -160);
    } else {
      set_st(a, l, 160);
    }
  }
  return evaluate(a, patient(Sex::female, 60));
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

void check_pairs(const std::vector<std::string>& chain) {
  for (std::size_t i = 0; i + 1 < chain.size(); ++i) {
    const std::vector<std::string> pair = {chain[i], chain[i + 1]};
    CAPTURE(pair[0], pair[1]);
    const auto f = elevate(pair);
    // The voltage criteria are met in the pair: a STEMI call, or — with no ECG evidence of
    // occlusion beyond the voltage (issue 12, occlusion.hpp) — an urgent normal-variant read.
    CHECK(criteria_met(f));
    CHECK(f.tier != Tier::routine);
    CHECK(elevated_leads(f) == sorted(pair));
  }
}

}  // namespace

TEST_CASE("contiguity: every pair of the Cabrera limb chain, including -aVR",
          "[triage][contiguity]") {
  check_pairs({"aVL", "I", "-aVR", "II", "aVF", "III"});
}

TEST_CASE("contiguity: every pair of the chest chain V1..V9", "[triage][contiguity]") {
  check_pairs({"V1", "V2", "V3", "V4", "V5", "V6", "V7", "V8", "V9"});
}

TEST_CASE("contiguity: every pair of the right-sided chain", "[triage][contiguity]") {
  check_pairs({"V3R", "V4R", "V5R"});
}

TEST_CASE("contiguity: non-neighbours do not qualify", "[triage][contiguity]") {
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"aVL", "III"}, {"I", "II"},   {"aVL", "aVF"}, {"I", "III"},   {"V1", "V3"},
      {"V2", "V5"},   {"V6", "V8"},  {"V7", "V9"},   {"V3R", "V5R"}, {"V4R", "V4"},
      {"aVL", "V5"},  {"III", "V1"}, {"II", "V5R"},  {"V6", "I"}};
  for (const auto& [x, y] : pairs) {
    CAPTURE(x, y);
    const auto f = elevate({x, y});
    CHECK_FALSE(f.stemi);
    CHECK(f.category == Category::abnormal);  // isolated ST elevation is still reported
    CHECK(contains(f.explanation_en, "without a contiguous lead"));
  }
}

TEST_CASE("contiguity: aVR elevation is not -aVR elevation", "[triage][contiguity]") {
  auto a = normal_ecg();
  set_st(a, "aVR", 160);
  set_st(a, "II", 160);
  CHECK_FALSE(evaluate(a, patient(Sex::female, 60)).stemi);
}

TEST_CASE("contiguity: an unanalysable lead breaks the run and asks for a human",
          "[triage][contiguity]") {
  auto a = normal_ecg();
  lead(a, "V3").analysable = false;
  const auto f = elevate({"V2", "V4"}, a);
  CHECK_FALSE(f.stemi);
  CHECK(f.route_to_human);
  REQUIRE_FALSE(f.notes.empty());
  CHECK(contains(f.explanation_en, "V3 not analysable"));

  // The same ST elevation with V3 analysable but normal: plainly not contiguous, no gap note.
  const auto g = elevate({"V2", "V4"});
  CHECK_FALSE(g.stemi);
  CHECK_FALSE(contains(g.explanation_en, "not analysable"));
}

TEST_CASE("contiguity: an unanalysable lead never counts as elevated", "[triage][contiguity]") {
  auto a = normal_ecg();
  set_st(a, {"II", "aVF"}, 300);
  lead(a, "aVF").analysable = false;
  CHECK_FALSE(evaluate(a, patient(Sex::male, 60)).stemi);
}

TEST_CASE("contiguity: 12-lead record has no posterior leads to pair with V6",
          "[triage][contiguity]") {
  auto a = normal_ecg(false);
  set_st(a, "V6", 200);
  CHECK_FALSE(evaluate(a, patient(Sex::male, 60)).stemi);
}
