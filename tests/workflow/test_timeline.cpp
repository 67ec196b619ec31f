// Time nodes, the effective timeline, corrections, clock offsets and order validation.
#include <catch2/catch.hpp>

#include "gc/case_synth.hpp"
#include "gc/workflow.hpp"

using namespace gc::workflow;

namespace {

const TimeZone kShanghai;

UnixMs at(const char* hhmm) {
  return parse_instant(std::string("2026-05-12T") + hhmm + "+08:00", kShanghai);
}

TimeNodeEvent ev(NodeKind k, UnixMs t, const std::string& source = "cli") {
  TimeNodeEvent e;
  e.kind = k;
  e.raw_ms = t;
  e.source = source;
  e.actor = "tester";
  e.clock = "server";
  e.recorded_ms = t;
  return e;
}

bool has_order_violation(const Timeline& t, NodeKind first, NodeKind second) {
  for (const auto& v : t.violations) {
    if (v.code == "order" && v.first == first && v.second == second) return true;
  }
  return false;
}

std::size_t count_code(const Timeline& t, const std::string& code) {
  std::size_t n = 0;
  for (const auto& v : t.violations) n += v.code == code;
  return n;
}

}  // namespace

TEST_CASE("node kinds have stable keys, Chinese labels and round-trip") {
  CHECK(all_node_kinds().size() == kNodeKindCount);
  for (auto k : all_node_kinds()) {
    INFO(key(k));
    CHECK(parse_node_kind(key(k)) == k);
    CHECK_FALSE(label_zh(k).empty());
  }
  CHECK(key(NodeKind::wire_crossing) == "wire_crossing");
  CHECK(label_zh(NodeKind::wire_crossing) == "导丝通过");
  CHECK(label_zh(NodeKind::door_in) == "入门");
  CHECK(label_zh(NodeKind::call_for_help) == "呼叫120");
  CHECK_FALSE(parse_node_kind("wire"));
  CHECK(parse_case_flag("bypassed_ed") == CaseFlag::bypassed_ed);
}

TEST_CASE("seed case: FMC→wire 49 min, door→wire 29 min") {
  const Case c = seed_case();
  const Timeline t = resolve(c);
  CHECK(t.violations.empty());
  CHECK(t.pathway == Pathway::transfer_pci);
  const auto& cn = rule_table("cn-cpc-2021");
  const auto values = compute_intervals(cn, t);
  const auto find = [&](const std::string& k) {
    for (const auto& v : values) {
      if (v.rule->key == k) return v;
    }
    FAIL("no rule " << k);
    return IntervalValue{};
  };
  const auto fmc2w = find("fmc2w");
  REQUIRE(fmc2w.minutes);
  CHECK(*fmc2w.minutes == Approx(49).margin(1e-9));
  CHECK(fmc2w.compliant == true);
  const auto d2w = find("d2w");
  REQUIRE(d2w.minutes);
  CHECK(*d2w.minutes == Approx(29).margin(1e-9));
  CHECK(d2w.compliant == true);
  const auto fmc2ecg = find("fmc2ecg");
  REQUIRE(fmc2ecg.minutes);
  CHECK(*fmc2ecg.minutes == Approx(0).margin(1e-9));
  const auto ecg2dx = find("ecg2dx");
  REQUIRE(ecg2dx.minutes);
  CHECK(*ecg2dx.minutes == Approx(3).margin(1e-9));
  // The door-out time was not recorded in the seed story: missing, with a reason, not zero.
  const auto dido = find("dido");
  CHECK(dido.applicable);
  CHECK_FALSE(dido.minutes);
  CHECK(dido.missing_reason() == "door_out not recorded");
}

TEST_CASE("corrections are appended and the latest non-superseded event is effective") {
  Case c = seed_case();
  const auto n_before = c.nodes.size();
  // Find the wire event and correct it twice (16:54 → 16:58 → 16:56).
  std::int64_t wire_seq = 0;
  for (const auto& e : c.nodes) {
    if (e.kind == NodeKind::wire_crossing) wire_seq = e.seq;
  }
  REQUIRE(wire_seq != 0);
  auto fix1 = ev(NodeKind::wire_crossing, at("16:58"));
  fix1.supersedes = wire_seq;
  const auto fix1_seq = c.append(fix1);
  auto fix2 = ev(NodeKind::wire_crossing, at("16:56"));
  fix2.supersedes = fix1_seq;
  const auto fix2_seq = c.append(fix2);
  CHECK(c.nodes.size() == n_before + 2);  // nothing overwritten

  const Timeline t = resolve(c);
  REQUIRE(t.nodes[static_cast<std::size_t>(NodeKind::wire_crossing)]);
  const auto& wire = *t.nodes[static_cast<std::size_t>(NodeKind::wire_crossing)];
  CHECK(wire.seq == fix2_seq);
  CHECK(wire.corrected);
  CHECK(wire.at_ms == at("16:56"));
  CHECK(count_code(t, "duplicate") == 0);
  const auto d2w = compute_interval(rule_table("cn-cpc-2021").rules[2], t);
  REQUIRE(d2w.rule->key == "d2w");
  CHECK(*d2w.minutes == Approx(31).margin(1e-9));

  // The original event is still there, unchanged.
  bool original_kept = false;
  for (const auto& e : c.nodes) original_kept |= e.seq == wire_seq && e.raw_ms == at("16:54");
  CHECK(original_kept);
}

TEST_CASE("an uncorrected duplicate and a dangling correction are reported") {
  Case c = seed_case();
  c.append(ev(NodeKind::door_in, at("16:27")));
  auto bad = ev(NodeKind::fmc, at("16:04"));
  bad.supersedes = 999;
  c.append(bad);
  const Timeline t = resolve(c);
  CHECK(count_code(t, "duplicate") == 2);  // door_in twice, fmc twice (999 supersedes nothing)
  CHECK(count_code(t, "bad_supersedes") == 1);
  CHECK(*t.at(NodeKind::door_in) == at("16:27"));  // latest recorded wins, and it is flagged
}

TEST_CASE("cart clock offset measured at hello corrects cart times and the raw time is kept") {
  // The cart clock runs 3 min 20 s fast: its 16:08:20 is the server's 16:05:00.
  const std::int64_t cart_ahead_ms = 200'000;
  const UnixMs cart_raw = at("16:08") + 20'000;
  CHECK(correct_cart_time(cart_raw, cart_ahead_ms) == at("16:05"));
  const auto e =
      cart_node_event(NodeKind::first_ecg, cart_raw, cart_ahead_ms, "cart-7", at("16:05"));
  CHECK(e.raw_ms == cart_raw);
  REQUIRE(e.corrected_ms);
  CHECK(*e.corrected_ms == at("16:05"));
  CHECK(e.effective_ms() == at("16:05"));
  CHECK(e.source == "cart");

  Case c;
  c.append(ev(NodeKind::fmc, at("16:03")));
  c.append(e);
  const Timeline t = resolve(c);
  CHECK(t.violations.empty());
  const auto& node = *t.nodes[static_cast<std::size_t>(NodeKind::first_ecg)];
  CHECK(node.clock_corrected);
  CHECK(node.at_ms == at("16:05"));
  // A slow cart clock (behind) moves times forward.
  CHECK(correct_cart_time(at("16:00"), -60'000) == at("16:01"));
}

TEST_CASE("impossible orders are flagged, not rejected") {
  SECTION("wire before door") {
    Case c;
    c.append(ev(NodeKind::door_in, at("16:25")));
    c.append(ev(NodeKind::wire_crossing, at("16:20")));
    const Timeline t = resolve(c);
    CHECK(has_order_violation(t, NodeKind::door_in, NodeKind::wire_crossing));
    CHECK(t.at(NodeKind::wire_crossing) == at("16:20"));  // kept as recorded
    const auto d2w = compute_interval(rule_table("cn-cpc-2021").rules[2], t);
    CHECK_FALSE(d2w.minutes);
    CHECK(d2w.missing_reason() == "wire_crossing is before door_in (order violation)");
  }
  SECTION("door before FMC") {
    Case c;
    c.append(ev(NodeKind::fmc, at("16:30")));
    c.append(ev(NodeKind::door_in, at("16:25")));
    CHECK(has_order_violation(resolve(c), NodeKind::fmc, NodeKind::door_in));
  }
  SECTION("angiography before puncture") {
    Case c;
    c.append(ev(NodeKind::arterial_puncture, at("16:40")));
    c.append(ev(NodeKind::angiography_start, at("16:35")));
    CHECK(
        has_order_violation(resolve(c), NodeKind::arterial_puncture, NodeKind::angiography_start));
  }
  SECTION("diagnosis before first ECG") {
    Case c;
    c.append(ev(NodeKind::first_ecg, at("16:10")));
    c.append(ev(NodeKind::ecg_diagnosis, at("16:08")));
    const Timeline t = resolve(c);
    REQUIRE(t.violations.size() == 1);
    CHECK(has_order_violation(t, NodeKind::first_ecg, NodeKind::ecg_diagnosis));
    CHECK(t.violations[0].message.find("ecg_diagnosis") == 0);
  }
  SECTION("one wrong entry in a full timeline names its neighbours, not every node") {
    Case c = seed_case();
    std::int64_t wire_seq = 0;
    for (const auto& e : c.nodes) {
      if (e.kind == NodeKind::wire_crossing) wire_seq = e.seq;
    }
    auto typo = ev(NodeKind::wire_crossing, at("14:54"));  // two hours early
    typo.supersedes = wire_seq;
    c.append(typo);
    const Timeline t = resolve(c);
    // Before angiography (which follows door and cath lab) and before the first ECG (a separate
    // branch of the order): two messages instead of five.
    CHECK(count_code(t, "order") == 2);
    CHECK(has_order_violation(t, NodeKind::angiography_start, NodeKind::wire_crossing));
    CHECK(has_order_violation(t, NodeKind::first_ecg, NodeKind::wire_crossing));
  }
  SECTION("a correct timeline has none") {
    CHECK(resolve(seed_case()).violations.empty());
  }
}

TEST_CASE("flags: the latest event wins and sets the pathway") {
  Case c = seed_case();
  CHECK(resolve(c).pathway == Pathway::transfer_pci);
  FlagEvent undo;
  undo.flag = CaseFlag::transfer;
  undo.value = false;
  c.append(undo);
  CHECK(resolve(c).pathway == Pathway::primary_pci);
  c.append(ev(NodeKind::thrombolysis_start, at("16:20")));
  CHECK(resolve(c).pathway == Pathway::lysis);
  c.info.outcome = Outcome::not_stemi;
  CHECK(resolve(c).pathway == Pathway::not_stemi);
}

TEST_CASE("time zones: fixed offsets, parsing and formatting") {
  CHECK(parse_time_zone("Asia/Shanghai").offset_min == 480);
  CHECK(parse_time_zone("UTC").offset_min == 0);
  CHECK(parse_time_zone("+05:30").offset_min == 330);
  CHECK(parse_time_zone("-03:00").offset_min == -180);
  CHECK_THROWS_AS(parse_time_zone("Europe/Berlin"), Error);

  // 2026-05-12T16:54+08:00 = 08:54Z = 1778576040000 ms.
  const UnixMs t = parse_instant("2026-05-12T16:54+08:00", kShanghai);
  CHECK(t == 1778576040000);
  CHECK(parse_instant("2026-05-12T08:54:00Z", kShanghai) == t);
  CHECK(parse_instant("2026-05-12 16:54", kShanghai) == t);
  CHECK(parse_instant("2026-05-12", kShanghai) == t - (16 * 60 + 54) * 60'000);
  CHECK(format_local(t, kShanghai) == "2026-05-12 16:54");
  CHECK(format_local(t, parse_time_zone("UTC")) == "2026-05-12 08:54");
  CHECK(format_iso(t, kShanghai) == "2026-05-12T16:54:00+08:00");
  CHECK(local_month(parse_instant("2026-05-31T23:30+08:00", kShanghai), kShanghai) == "2026-05");
  CHECK(local_month(parse_instant("2026-05-31T23:30+08:00", kShanghai), parse_time_zone("UTC")) ==
        "2026-05");
  CHECK(local_month(parse_instant("2026-06-01T00:30+08:00", kShanghai), kShanghai) == "2026-06");
  CHECK(local_month(parse_instant("2026-06-01T00:30+08:00", kShanghai), parse_time_zone("UTC")) ==
        "2026-05");
  CHECK(next_month_start(t, kShanghai) == parse_instant("2026-06-01", kShanghai));
  CHECK(next_month_start(parse_instant("2026-12-15", kShanghai), kShanghai) ==
        parse_instant("2027-01-01", kShanghai));
  CHECK_THROWS_AS(parse_instant("2026-02-30", kShanghai), Error);
  CHECK_THROWS_AS(parse_instant("2026-05-12T25:00", kShanghai), Error);
  CHECK_THROWS_AS(parse_instant("12/05/2026", kShanghai), Error);
  CHECK_THROWS_AS(parse_instant("2026-05-12T16:54+08", kShanghai), Error);
}

TEST_CASE("a stored correction of another kind does not remove that kind's event (issue 16 #6)") {
  Case c = seed_case();
  const auto door = *resolve(c).at(NodeKind::door_in);
  std::int64_t door_seq = 0;
  for (const auto& e : c.nodes) {
    if (e.kind == NodeKind::door_in) door_seq = e.seq;
  }
  REQUIRE(door_seq != 0);
  auto wrong = ev(NodeKind::wire_crossing, at("16:58"));
  wrong.supersedes = door_seq;  // as stored before storage refused it
  c.append(wrong);
  const Timeline t = resolve(c);
  CHECK(count_code(t, "bad_supersedes") == 1);
  REQUIRE(t.at(NodeKind::door_in));
  CHECK(*t.at(NodeKind::door_in) == door);
}
