// Interval rule tables: contents against DESIGN.md §5, and every rule's computation at and
// around its target, its pathway filter and its missing-node reasons.
#include <catch2/catch.hpp>

#include "gc/workflow.hpp"

using namespace gc::workflow;

namespace {

constexpr UnixMs kT0 = 1778576040000;  // 2026-05-12T16:54+08:00
constexpr std::int64_t kMin = 60'000;

Pathway first_pathway(unsigned mask) {
  for (auto p : {Pathway::primary_pci, Pathway::transfer_pci, Pathway::lysis, Pathway::not_stemi}) {
    if (applies(mask, p)) return p;
  }
  FAIL("rule applies to no pathway");
  return Pathway::primary_pci;
}

Timeline timeline(Pathway p, NodeKind from, UnixMs from_ms, NodeKind to, UnixMs to_ms) {
  Timeline t;
  t.pathway = p;
  t.nodes[static_cast<std::size_t>(from)] = EffectiveNode{from_ms, 1, false, false};
  t.nodes[static_cast<std::size_t>(to)] = EffectiveNode{to_ms, 2, false, false};
  return t;
}

const IntervalRule& find(const RuleTable& t, const std::string& key) {
  for (const auto& r : t.rules) {
    if (r.key == key) return r;
  }
  throw std::runtime_error("no rule " + key + " in " + t.version);
}

struct Expect {
  const char* key;
  NodeKind from;
  NodeKind to;
  double target_min;
  bool strict;
};

}  // namespace

TEST_CASE("rule tables: versions and targets as in DESIGN.md §5") {
  CHECK_THROWS_AS(rule_table("cn-2019"), Error);
  using K = NodeKind;
  const std::vector<std::pair<const char*, std::vector<Expect>>> expected = {
      {"cn-cpc-2021",
       {{"fmc2ecg", K::fmc, K::first_ecg, 10, false},
        {"ecg2dx", K::first_ecg, K::ecg_diagnosis, 10, false},
        {"d2w", K::door_in, K::wire_crossing, 90, false},
        {"cath_activation", K::cath_lab_activation_decision, K::cath_lab_team_activated, 30, true},
        {"fmc2w", K::fmc, K::wire_crossing, 120, false},
        {"dido", K::fmc, K::door_out, 30, false},
        {"d2n", K::door_in, K::thrombolysis_start, 30, false}}},
      {"esc-2023",
       {{"dx2w_pci_centre", K::ecg_diagnosis, K::wire_crossing, 60, false},
        {"dx2w_transfer", K::ecg_diagnosis, K::wire_crossing, 90, false},
        {"dx2lysis", K::ecg_diagnosis, K::thrombolysis_start, 10, false}}},
      {"acc-aha-2013",
       {{"fmc2d_direct", K::fmc, K::wire_crossing, 90, false},
        {"fmc2d_transfer", K::fmc, K::wire_crossing, 120, false},
        {"d2b", K::door_in, K::wire_crossing, 90, false},
        {"d2n", K::door_in, K::thrombolysis_start, 30, false}}},
  };
  for (const auto& [version, rules] : expected) {
    const auto& table = rule_table(version);
    CHECK(table.version == version);
    for (const auto& e : rules) {
      INFO(version << " " << e.key);
      const auto& r = find(table, e.key);
      CHECK(r.from == e.from);
      CHECK(r.to == e.to);
      CHECK(r.target_min == e.target_min);
      CHECK(r.case_strict == e.strict);
    }
  }
  const auto& cn = rule_table("cn-cpc-2021");
  CHECK(find(cn, "fmc2ecg").mean_target);
  CHECK(find(cn, "fmc2ecg").mean_strict);  // monthly mean < 10
  CHECK(find(cn, "fmc2ecg").min_compliant_pct == 75);
  CHECK(find(cn, "d2w").min_compliant_pct == 75);
  CHECK(find(cn, "ecg2dx").mean_target);
  CHECK_FALSE(find(cn, "ecg2dx").min_compliant_pct);
  REQUIRE(cn.ratios.size() == 2);
  CHECK(cn.ratios[0].min_pct == 30);
  CHECK(cn.ratios[1].min_pct == 30);
  CHECK(applies(find(rule_table("esc-2023"), "dx2w_transfer").pathways, Pathway::transfer_pci));
  CHECK_FALSE(
      applies(find(rule_table("esc-2023"), "dx2w_transfer").pathways, Pathway::primary_pci));
}

TEST_CASE("every rule: value, target boundary, pathway filter, missing nodes") {
  for (const auto& table : rule_tables()) {
    for (const auto& rule : table.rules) {
      INFO(table.version << " " << rule.key);
      const Pathway p = first_pathway(rule.pathways);

      // Known answer: 17.5 min apart.
      const auto v =
          compute_interval(rule, timeline(p, rule.from, kT0, rule.to, kT0 + 17 * kMin + 30'000));
      CHECK(v.applicable);
      REQUIRE(v.minutes);
      CHECK(*v.minutes == Approx(17.5).margin(1e-9));
      CHECK(v.rule == &rule);

      // Exactly at the target: compliant for "≤", not for "<".
      const auto at_target =
          compute_interval(rule, timeline(p, rule.from, kT0, rule.to,
                                          kT0 + static_cast<std::int64_t>(rule.target_min) * kMin));
      REQUIRE(at_target.compliant);
      CHECK(*at_target.compliant == !rule.case_strict);
      // One second over: never compliant. One minute under: always.
      const auto over = compute_interval(
          rule, timeline(p, rule.from, kT0, rule.to,
                         kT0 + static_cast<std::int64_t>(rule.target_min) * kMin + 1000));
      CHECK(over.compliant == false);
      const auto under = compute_interval(
          rule, timeline(p, rule.from, kT0, rule.to,
                         kT0 + static_cast<std::int64_t>(rule.target_min - 1) * kMin));
      CHECK(under.compliant == true);

      // Missing end node: no value, a reason naming it.
      Timeline missing;
      missing.pathway = p;
      missing.nodes[static_cast<std::size_t>(rule.from)] = EffectiveNode{kT0, 1, false, false};
      const auto m = compute_interval(rule, missing);
      CHECK_FALSE(m.minutes);
      CHECK_FALSE(m.compliant);
      CHECK(m.missing_reason() == std::string(key(rule.to)) + " not recorded");

      // Reversed order: no (negative) value.
      const auto reversed =
          compute_interval(rule, timeline(p, rule.from, kT0, rule.to, kT0 - kMin));
      CHECK_FALSE(reversed.minutes);

      // A pathway the rule does not cover: not applicable.
      for (auto other :
           {Pathway::primary_pci, Pathway::transfer_pci, Pathway::lysis, Pathway::not_stemi}) {
        if (applies(rule.pathways, other)) continue;
        const auto na =
            compute_interval(rule, timeline(other, rule.from, kT0, rule.to, kT0 + kMin));
        CHECK_FALSE(na.applicable);
        CHECK_FALSE(na.minutes);
      }
    }
  }
}

TEST_CASE("door→needle falls back to FMC for lysis where the patient presented") {
  const auto& d2n = find(rule_table("cn-cpc-2021"), "d2n");
  Timeline t =
      timeline(Pathway::lysis, NodeKind::fmc, kT0, NodeKind::thrombolysis_start, kT0 + 24 * kMin);
  auto v = compute_interval(d2n, t);
  REQUIRE(v.minutes);
  CHECK(*v.minutes == Approx(24).margin(1e-9));
  CHECK(v.compliant == true);
  // With a door-in recorded, the door is used.
  t.nodes[static_cast<std::size_t>(NodeKind::door_in)] =
      EffectiveNode{kT0 + 10 * kMin, 3, false, false};
  v = compute_interval(d2n, t);
  CHECK(*v.minutes == Approx(14).margin(1e-9));
  // Neither: the reason names both.
  Timeline none;
  none.pathway = Pathway::lysis;
  none.nodes[static_cast<std::size_t>(NodeKind::thrombolysis_start)] =
      EffectiveNode{kT0, 1, false, false};
  CHECK(compute_interval(d2n, none).missing_reason() == "door_in (or fmc) not recorded");
}

TEST_CASE("ESC and ACC/AHA split the same clock by pathway") {
  // Diagnosis 16:08, wire 16:54 (46 min), FMC 16:05 (49 min to wire).
  Timeline t;
  t.nodes[static_cast<std::size_t>(NodeKind::fmc)] =
      EffectiveNode{kT0 - 49 * kMin, 1, false, false};
  t.nodes[static_cast<std::size_t>(NodeKind::ecg_diagnosis)] =
      EffectiveNode{kT0 - 46 * kMin, 2, false, false};
  t.nodes[static_cast<std::size_t>(NodeKind::wire_crossing)] = EffectiveNode{kT0, 3, false, false};
  const auto& esc = rule_table("esc-2023");
  const auto& acc = rule_table("acc-aha-2013");
  t.pathway = Pathway::primary_pci;
  CHECK(*compute_interval(find(esc, "dx2w_pci_centre"), t).minutes == Approx(46).margin(1e-9));
  CHECK_FALSE(compute_interval(find(esc, "dx2w_transfer"), t).applicable);
  CHECK(*compute_interval(find(acc, "fmc2d_direct"), t).minutes == Approx(49).margin(1e-9));
  t.pathway = Pathway::transfer_pci;
  CHECK_FALSE(compute_interval(find(esc, "dx2w_pci_centre"), t).applicable);
  CHECK(compute_interval(find(esc, "dx2w_transfer"), t).compliant == true);
  CHECK(compute_interval(find(acc, "fmc2d_transfer"), t).compliant == true);
  CHECK_FALSE(compute_interval(find(acc, "fmc2d_direct"), t).applicable);
}
