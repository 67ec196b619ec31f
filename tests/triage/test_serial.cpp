// Serial comparison: per-lead ST change and the dynamic-change flag (≥ 0.1 mV, ≥ 2 contiguous
// leads, same direction).
#include <catch2/catch.hpp>

#include "fixtures.hpp"

using namespace gc::triage;
using namespace gc::triage::test;

TEST_CASE("serial: new anterior elevation is a dynamic change", "[triage][serial]") {
  const auto before = normal_ecg();
  auto now = normal_ecg();
  set_st(now, {"V2", "V3", "V4"}, 150);
  const auto c = compare_serial(before, now);
  CHECK(c.dynamic);
  CHECK(c.rising_leads == std::vector<std::string>{"V2", "V3", "V4"});
  CHECK(c.falling_leads.empty());
  REQUIRE(c.leads.size() == 12);
  for (const auto& l : c.leads) {
    if (l.lead == "V3") {
      CHECK(l.delta_uv == Approx(150));
      CHECK(l.previous_st_j_uv == Approx(0));
    }
  }
  CHECK(contains(c.text_en, "V2, V3, V4"));
  CHECK(contains(c.text_zh, "动态"));
}

TEST_CASE("serial: change below 0.1 mV or in one lead is not dynamic", "[triage][serial]") {
  const auto before = normal_ecg();
  auto now = normal_ecg();
  set_st(now, {"V2", "V3"}, 99);
  CHECK_FALSE(compare_serial(before, now).dynamic);
  set_st(now, {"V2", "V3"}, 0);
  set_st(now, {"V2", "V4"}, 200);  // not contiguous
  CHECK_FALSE(compare_serial(before, now).dynamic);
}

TEST_CASE("serial: resolving inferior elevation and -aVR contiguity", "[triage][serial]") {
  auto before = normal_ecg();
  set_st(before, {"II", "III", "aVF"}, 300);
  const auto now = normal_ecg();
  const auto c = compare_serial(before, now);
  CHECK(c.dynamic);
  CHECK(c.falling_leads == std::vector<std::string>{"II", "aVF", "III"});

  // I rising with aVR falling (−aVR rising) are contiguous.
  auto later = normal_ecg();
  set_st(later, "I", 120);
  set_st(later, "aVR", -120);
  const auto d = compare_serial(normal_ecg(), later);
  CHECK(d.dynamic);
  CHECK(d.rising_leads == std::vector<std::string>{"I", "-aVR"});
}

TEST_CASE("serial: attaching a dynamic change escalates a non-STEMI finding", "[triage][serial]") {
  auto now = normal_ecg();
  set_st(now, {"V2", "V3"}, 120);  // below the man's 0.2 mV threshold
  auto f = evaluate(now, patient(Sex::male, 60));
  REQUIRE_FALSE(f.stemi);
  const auto c = compare_serial(normal_ecg(), now);
  attach_serial(f, c);
  CHECK(f.route_to_human);
  CHECK(f.tier == Tier::urgent);
  CHECK(contains(f.explanation_en, "Dynamic ST change"));
  CHECK(contains(f.explanation_zh, "动态"));

  auto g = evaluate(normal_ecg(), patient(Sex::male, 60));
  attach_serial(g, compare_serial(normal_ecg(), normal_ecg()));
  CHECK(g.category == Category::normal);
  CHECK(g.tier == Tier::routine);
  CHECK(contains(g.explanation_en, "No dynamic ST change"));
}
