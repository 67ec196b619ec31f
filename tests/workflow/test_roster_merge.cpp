// Adding shifts to the roster in force (issue 15): `roster set` for tomorrow used to replace the
// whole roster and so wiped today's shift. merge_shifts keeps every shift the new one does not
// cover and cuts back the ones it overlaps.
#include <catch2/catch.hpp>

#include "gc/alerts.hpp"

using namespace gc::workflow;

namespace {
constexpr std::int64_t H = 3'600'000;
}

TEST_CASE("roster: setting tomorrow's shift keeps today's") {
  const std::vector<Shift> today{{0, 24 * H, {"dr_li", "dr_wang"}}};
  const auto merged = merge_shifts(today, {{24 * H, 48 * H, {"dr_zhao"}}});
  REQUIRE(merged.size() == 2);
  CHECK(merged[0].start_ms == 0);
  CHECK(merged[0].end_ms == 24 * H);
  CHECK(merged[0].chain == std::vector<std::string>{"dr_li", "dr_wang"});
  CHECK(merged[1].chain == std::vector<std::string>{"dr_zhao"});
  Roster r;
  for (const auto& s : merged) r.add(s);
  CHECK(r.on_call(12 * H) == std::vector<std::string>{"dr_li", "dr_wang"});
  CHECK(r.on_call(30 * H) == std::vector<std::string>{"dr_zhao"});
}

TEST_CASE("roster: a new shift takes over only the time it covers") {
  const std::vector<Shift> current{{0, 24 * H, {"a"}}, {24 * H, 48 * H, {"b"}}};
  // 20:00 on day 1 to 08:00 on day 2: the end of a's shift and the start of b's.
  const auto merged = merge_shifts(current, {{20 * H, 32 * H, {"c"}}});
  REQUIRE(merged.size() == 3);
  CHECK((merged[0].start_ms == 0 && merged[0].end_ms == 20 * H && merged[0].chain[0] == "a"));
  CHECK((merged[1].start_ms == 20 * H && merged[1].end_ms == 32 * H && merged[1].chain[0] == "c"));
  CHECK((merged[2].start_ms == 32 * H && merged[2].end_ms == 48 * H && merged[2].chain[0] == "b"));
  // Inside one shift: that shift is split around it.
  const auto split = merge_shifts({{0, 24 * H, {"a"}}}, {{8 * H, 12 * H, {"d"}}});
  REQUIRE(split.size() == 3);
  CHECK((split[0].end_ms == 8 * H && split[1].chain[0] == "d" && split[2].start_ms == 12 * H &&
         split[2].chain[0] == "a"));
  // Covering one wholly: it is replaced.
  const auto replaced = merge_shifts({{0, 24 * H, {"a"}}}, {{0, 24 * H, {"e"}}});
  REQUIRE(replaced.size() == 1);
  CHECK(replaced[0].chain[0] == "e");
}

TEST_CASE("roster: invalid added shifts are refused") {
  CHECK_THROWS_AS(merge_shifts({}, {{0, H, {}}}), Error);
  CHECK_THROWS_AS(merge_shifts({}, {{H, H, {"a"}}}), Error);
  CHECK_THROWS_AS(merge_shifts({}, {{0, 2 * H, {"a"}}, {H, 3 * H, {"b"}}}), Error);
}
