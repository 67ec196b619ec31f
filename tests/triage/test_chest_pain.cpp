// Chest pain without the ST-elevation criteria (triage/src/chest_pain_ischaemia.cpp,
// tier_policy.cpp): the ST-T changes of acute ischaemia (4th UDMI) or a finding already routed to a
// human make the read urgent; the same ECG without chest pain stays routine.
#include <catch2/catch.hpp>
#include <filesystem>
#include <set>

#include "fixtures.hpp"
#include "gc/dsp.hpp"
#include "gc/record_input.hpp"

using namespace gc::triage;
using namespace gc::triage::test;

namespace {

std::set<std::string> codes(const Finding& f) {
  std::set<std::string> out;
  for (const auto& s : f.statements) out.insert(s.code);
  return out;
}

const Statement* statement(const Finding& f, const std::string& code) {
  for (const auto& s : f.statements) {
    if (s.code == code) return &s;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("chest pain + horizontal ST depression in two contiguous leads → urgent, leads named",
          "[triage][tier][chest_pain]") {
  auto a = normal_ecg();
  set_st(a, {"II", "aVF"}, -80);  // 0.08 mV at J and at J+60: horizontal
  const auto without = evaluate(a, patient(Sex::male, 60, false));
  CHECK(without.category == Category::abnormal);
  CHECK(without.tier == Tier::routine);
  CHECK_FALSE(codes(without).count("chest_pain_ischaemia"));

  const auto with = evaluate(a, patient(Sex::male, 60, true));
  CAPTURE(with.explanation_en);
  CHECK(with.category == Category::abnormal);
  CHECK(with.tier == Tier::urgent);
  CHECK(with.route_to_human);
  const auto* s = statement(with, "chest_pain_ischaemia");
  REQUIRE(s);
  CHECK(s->scheme == "greenchannel");
  CHECK(s->leads == std::vector<std::string>{"II", "aVF"});
  CHECK(
      contains(with.explanation_en, "chest pain with ST-T changes of acute ischaemia in II, aVF"));
  CHECK(contains(with.explanation_zh, "胸痛伴 II、aVF 急性缺血性 ST-T 改变"));
}

TEST_CASE("chest pain: what is not the 4th UDMI's ischaemic ST-T change stays routine",
          "[triage][tier][chest_pain]") {
  // One lead only.
  auto one = normal_ecg();
  set_st(one, {"V5"}, -80);
  CHECK(evaluate(one, patient(Sex::male, 60, true)).tier == Tier::routine);

  // Upsloping: depressed at J, back near the PR level by J+60.
  auto up = normal_ecg();
  for (const char* l : {"V5", "V6"}) {
    lead(up, l).st_j_uv = -80;
    lead(up, l).st_j60_uv = -20;
  }
  CHECK(evaluate(up, patient(Sex::male, 60, true)).tier == Tier::routine);

  // T inversion in two contiguous leads, but with a dominant S (R/S < 1): not the definition's.
  auto rs = normal_ecg();
  for (const char* l : {"V1", "V2"}) lead(rs, l).t_amplitude_uv = -150;
  CHECK(evaluate(rs, patient(Sex::male, 60, true)).tier == Tier::routine);

  // In LVH the ST depression is strain (the definition excludes LVH).
  auto lvh = normal_ecg();
  set_qrs(lvh, "V1", 0, 200, -2500);
  set_qrs(lvh, "V5", 0, 2800, -200);
  set_st(lvh, {"V5", "V6"}, -100);
  const auto f = evaluate(lvh, patient(Sex::male, 60, true));
  CAPTURE(f.explanation_en);
  CHECK(codes(f).count("LVH"));
  CHECK_FALSE(codes(f).count("chest_pain_ischaemia"));
}

TEST_CASE("chest pain + T inversion > 0.1 mV in two contiguous leads with a dominant R → urgent",
          "[triage][tier][chest_pain]") {
  auto a = normal_ecg();
  lead(a, "V4").t_amplitude_uv = -150;
  lead(a, "V5").t_amplitude_uv = -120;
  CHECK(evaluate(a, patient(Sex::male, 60, false)).tier == Tier::routine);
  const auto f = evaluate(a, patient(Sex::male, 60, true));
  CHECK(f.tier == Tier::urgent);
  const auto* s = statement(f, "chest_pain_ischaemia");
  REQUIRE(s);
  CHECK(s->leads == std::vector<std::string>{"V4", "V5"});
  // A T wave of exactly −0.1 mV is not "more than 0.1 mV".
  auto edge = normal_ecg();
  lead(edge, "V4").t_amplitude_uv = -100;
  lead(edge, "V5").t_amplitude_uv = -100;
  CHECK_FALSE(codes(evaluate(edge, patient(Sex::male, 60, true))).count("chest_pain_ischaemia"));
}

TEST_CASE("chest pain + RBBB: V1–V3 are secondary ST-T, the other leads still count",
          "[triage][tier][chest_pain]") {
  auto a = normal_ecg();
  a.global.qrs_duration_ms = 150;
  set_qrs(a, "V1", 0, 600, -100);  // rSR′: dominant terminal R in V1
  set_qrs(a, "I", -50, 700, -400);
  set_qrs(a, "V6", -60, 900, -400);  // broad S in I and V6
  for (const char* l : {"V1", "V2"}) lead(a, l).t_amplitude_uv = -200;
  set_st(a, {"V1", "V2"}, -80);
  auto f = evaluate(a, patient(Sex::male, 60, true));
  CAPTURE(f.explanation_en);
  REQUIRE(codes(f).count("CRBBB"));
  CHECK_FALSE(codes(f).count("chest_pain_ischaemia"));

  set_st(a, {"II", "aVF"}, -80);
  f = evaluate(a, patient(Sex::male, 60, true));
  CAPTURE(f.explanation_en);
  const auto* s = statement(f, "chest_pain_ischaemia");
  REQUIRE(s);
  CHECK(s->leads == std::vector<std::string>{"II", "aVF"});
  CHECK(f.tier == Tier::urgent);
}

TEST_CASE("chest pain + a finding already routed to a human (anterior QS with ST↑) → urgent",
          "[triage][tier][chest_pain]") {
  const auto a = anterior_qs_small_ste();
  const auto without = evaluate(a, patient(Sex::male, 50, false));
  CHECK(without.route_to_human);
  CHECK(without.tier == Tier::routine);
  const auto with = evaluate(a, patient(Sex::male, 50, true));
  CHECK(with.category == Category::abnormal);
  CHECK(with.tier == Tier::urgent);
  CHECK(codes(with).count("chest_pain_human_read"));
  CHECK(contains(with.explanation_en, "chest pain: the findings above need an urgent human read"));
  // A normal ECG with chest pain stays normal and routine: nothing for a reader to act on.
  const auto normal = evaluate(normal_ecg(), patient(Sex::male, 50, true));
  CHECK(normal.category == Category::normal);
  CHECK(normal.tier == Tier::routine);
}

// LUDB 33 and 69 are acute anterolateral STEMIs below the voltage criteria (Q/QS waves, T
// inversion, a wide QRS): abnormal. With chest pain they must not wait in the routine queue.
TEST_CASE("chest pain: LUDB acute STEMIs read abnormal become urgent (LUDB 33, 69)",
          "[triage][tier][chest_pain][real]") {
  for (const char* rec : {"33", "69"}) {
    const std::filesystem::path hea =
        std::filesystem::path(GC_ECG_DATA_DIR) / "ludb" / "data" / (std::string(rec) + ".hea");
    if (!std::filesystem::exists(hea)) {
      WARN("no " << hea << " — skipped");
      return;
    }
    const auto a = gc::dsp::analyze(gc::eval::load_record(hea).block);
    INFO("LUDB " << rec);
    const auto as_shipped = evaluate(a, patient(Sex::unknown, std::nullopt, false));
    CHECK(as_shipped.category == Category::abnormal);
    CHECK(as_shipped.tier == Tier::routine);
    const auto f = evaluate(a, patient(Sex::unknown, std::nullopt, true));
    CAPTURE(f.explanation_en);
    CHECK(f.category == Category::abnormal);
    CHECK(f.tier == Tier::urgent);
    CHECK(f.route_to_human);
  }
}
