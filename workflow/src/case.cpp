// Case events → effective timeline, and order validation.
#include <algorithm>
#include <bitset>
#include <cstdio>

#include "gc/workflow.hpp"

namespace gc::workflow {
namespace {

std::int64_t max_seq(const Case& c) {
  std::int64_t m = 0;
  for (const auto& e : c.nodes) m = std::max(m, e.seq);
  for (const auto& e : c.flags) m = std::max(m, e.seq);
  for (const auto& e : c.delay_reasons) m = std::max(m, e.seq);
  return m;
}

constexpr std::size_t idx(NodeKind k) {
  return static_cast<std::size_t>(k);
}

using NodeSet = std::bitset<kNodeKindCount>;

// The clinical order: (a, b) means a can never be after b. Only what is impossible is listed;
// e.g. DAPT may be given before or after the ECG diagnosis is confirmed, so it is only tied to FMC.
struct Order {
  std::array<NodeSet, kNodeKindCount> after;   // after[a]: nodes that must not precede a
  std::array<NodeSet, kNodeKindCount> before;  // before[b]: nodes that must precede b
};

const Order& clinical_order() {
  static const Order order = [] {
    using K = NodeKind;
    const std::pair<K, K> edges[] = {
        {K::symptom_onset, K::call_for_help},
        {K::symptom_onset, K::fmc},
        {K::call_for_help, K::ambulance_dispatch},
        {K::fmc, K::first_ecg},
        {K::first_ecg, K::ecg_transmitted},
        {K::first_ecg, K::ecg_diagnosis},
        {K::ecg_diagnosis, K::cath_lab_activation_decision},
        {K::ecg_diagnosis, K::thrombolysis_start},
        {K::fmc, K::dapt_loading},
        {K::cath_lab_activation_decision, K::cath_lab_team_activated},
        {K::fmc, K::door_out},
        {K::door_out, K::door_in},
        {K::fmc, K::door_in},
        {K::door_in, K::cath_lab_arrival},
        {K::cath_lab_arrival, K::arterial_puncture},
        {K::arterial_puncture, K::angiography_start},
        {K::angiography_start, K::wire_crossing},
        {K::wire_crossing, K::procedure_end},
        {K::first_ecg, K::wire_crossing},
        {K::fmc, K::thrombolysis_start},
        {K::thrombolysis_start, K::thrombolysis_end},
    };
    Order o;
    for (const auto& [a, b] : edges) o.after[idx(a)].set(idx(b));
    // Transitive closure (Warshall): door_in must precede wire even when the steps between are
    // not recorded.
    for (std::size_t k = 0; k < kNodeKindCount; ++k) {
      for (std::size_t i = 0; i < kNodeKindCount; ++i) {
        if (o.after[i].test(k)) o.after[i] |= o.after[k];
      }
    }
    for (std::size_t a = 0; a < kNodeKindCount; ++a) {
      for (std::size_t b = 0; b < kNodeKindCount; ++b) {
        if (o.after[a].test(b)) o.before[b].set(a);
      }
    }
    return o;
  }();
  return order;
}

}  // namespace

std::int64_t Case::append(TimeNodeEvent event) {
  if (event.seq == 0) event.seq = max_seq(*this) + 1;
  nodes.push_back(std::move(event));
  return nodes.back().seq;
}

std::int64_t Case::append(FlagEvent event) {
  if (event.seq == 0) event.seq = max_seq(*this) + 1;
  flags.push_back(std::move(event));
  return flags.back().seq;
}

std::int64_t Case::append(DelayReason reason) {
  if (reason.seq == 0) reason.seq = max_seq(*this) + 1;
  delay_reasons.push_back(std::move(reason));
  return delay_reasons.back().seq;
}

UnixMs correct_cart_time(UnixMs cart_raw_ms, std::int64_t cart_ahead_ms) {
  return cart_raw_ms - cart_ahead_ms;
}

TimeNodeEvent cart_node_event(NodeKind kind, UnixMs cart_raw_ms, std::int64_t cart_ahead_ms,
                              const std::string& device_id, UnixMs recorded_ms) {
  TimeNodeEvent e;
  e.kind = kind;
  e.raw_ms = cart_raw_ms;
  e.corrected_ms = correct_cart_time(cart_raw_ms, cart_ahead_ms);
  e.source = "cart";
  e.actor = device_id;
  e.clock = "cart";
  e.recorded_ms = recorded_ms;
  return e;
}

std::optional<UnixMs> Timeline::at(NodeKind kind) const {
  const auto& n = nodes[idx(kind)];
  if (!n) return std::nullopt;
  return n->at_ms;
}

bool Timeline::ambulance_borne() const {
  return nodes[idx(NodeKind::call_for_help)] || nodes[idx(NodeKind::ambulance_dispatch)] ||
         flag(CaseFlag::transfer) || nodes[idx(NodeKind::door_out)];
}

Timeline resolve(const Case& c) {
  Timeline t;
  // Which seqs are superseded (corrections are rare: most cases need no lookup at all).
  std::vector<std::int64_t> superseded;
  for (const auto& e : c.nodes) {
    if (!e.supersedes) continue;
    const auto it = std::find_if(c.nodes.begin(), c.nodes.end(),
                                 [&](const TimeNodeEvent& x) { return x.seq == *e.supersedes; });
    if (it == c.nodes.end()) {
      t.violations.push_back({"bad_supersedes",
                              "event " + std::to_string(e.seq) + " (" + std::string(key(e.kind)) +
                                  ") corrects event " + std::to_string(*e.supersedes) +
                                  ", which is not in this case",
                              e.kind, std::nullopt});
    } else if (it->kind != e.kind) {
      // Corrections stay within one kind (storage refuses others since issue 16 #6); one stored
      // before that is reported and does not remove the other kind's event.
      t.violations.push_back({"bad_supersedes",
                              "event " + std::to_string(e.seq) + " (" + std::string(key(e.kind)) +
                                  ") corrects event " + std::to_string(*e.supersedes) +
                                  " of kind " + std::string(key(it->kind)),
                              e.kind, it->kind});
      continue;
    }
    superseded.push_back(*e.supersedes);
  }
  std::sort(superseded.begin(), superseded.end());
  const auto is_superseded = [&](std::int64_t seq) {
    return !superseded.empty() && std::binary_search(superseded.begin(), superseded.end(), seq);
  };

  std::array<int, kNodeKindCount> live_count{};
  for (const auto& e : c.nodes) {
    if (is_superseded(e.seq)) continue;
    auto& slot = t.nodes[idx(e.kind)];
    ++live_count[idx(e.kind)];
    if (!slot || e.seq > slot->seq) {
      slot = EffectiveNode{e.effective_ms(), e.seq, e.supersedes.has_value(),
                           e.corrected_ms.has_value()};
    }
  }
  for (auto k : all_node_kinds()) {
    if (live_count[idx(k)] > 1) {
      t.violations.push_back({"duplicate",
                              std::string(key(k)) + " recorded " +
                                  std::to_string(live_count[idx(k)]) +
                                  " times without a correction; the latest is used",
                              k, std::nullopt});
    }
  }

  std::array<std::int64_t, kCaseFlagCount> flag_seq{};
  for (const auto& f : c.flags) {
    const auto i = static_cast<std::size_t>(f.flag);
    if (f.seq >= flag_seq[i]) {
      flag_seq[i] = f.seq;
      t.flags[i] = f.value;
    }
  }

  if (c.info.outcome == Outcome::not_stemi) {
    t.pathway = Pathway::not_stemi;
  } else if (t.nodes[idx(NodeKind::thrombolysis_start)]) {
    t.pathway = Pathway::lysis;
  } else if (t.flag(CaseFlag::transfer) || t.nodes[idx(NodeKind::door_out)]) {
    t.pathway = Pathway::transfer_pci;
  } else {
    t.pathway = Pathway::primary_pci;
  }

  auto order = order_violations(t);
  t.violations.insert(t.violations.end(), std::make_move_iterator(order.begin()),
                      std::make_move_iterator(order.end()));
  return t;
}

std::vector<Violation> order_violations(const Timeline& t) {
  const auto& order = clinical_order();
  NodeSet present;
  for (std::size_t i = 0; i < kNodeKindCount; ++i) present[i] = t.nodes[i].has_value();
  std::vector<Violation> out;
  for (std::size_t a = 0; a < kNodeKindCount; ++a) {
    if (!present[a]) continue;
    const NodeSet later = order.after[a] & present;
    if (later.none()) continue;
    for (std::size_t b = 0; b < kNodeKindCount; ++b) {
      if (!later.test(b) || t.nodes[b]->at_ms >= t.nodes[a]->at_ms) continue;
      // Report only adjacent pairs among the recorded nodes: if some recorded c lies between a
      // and b in the order, the a–c or c–b pair already carries the message.
      if ((order.after[a] & order.before[b] & present).any()) continue;
      const auto ka = all_node_kinds()[a];
      const auto kb = all_node_kinds()[b];
      const double minutes = static_cast<double>(t.nodes[a]->at_ms - t.nodes[b]->at_ms) / 60000.0;
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.1f", minutes);
      out.push_back({"order",
                     std::string(key(kb)) + " (" + std::string(label_zh(kb)) + ") is recorded " +
                         buf + " min before " + std::string(key(ka)) + " (" +
                         std::string(label_zh(ka)) + "), which must come first",
                     ka, kb});
    }
  }
  return out;
}

}  // namespace gc::workflow
