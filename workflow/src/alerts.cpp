// Alert lifecycle, roster and escalation schedule.
#include "gc/alerts.hpp"

#include <algorithm>

namespace gc::workflow {

std::string_view key(AlertState s) {
  switch (s) {
    case AlertState::raised:
      return "raised";
    case AlertState::acknowledged:
      return "acknowledged";
    case AlertState::confirmed:
      return "confirmed";
    case AlertState::rejected:
      return "rejected";
    case AlertState::green_channel:
      return "green_channel";
    case AlertState::closed:
      return "closed";
  }
  throw Error("invalid alert state");
}

std::string_view key(AlertTier t) {
  switch (t) {
    case AlertTier::critical:
      return "critical";
    case AlertTier::urgent:
      return "urgent";
    case AlertTier::routine:
      return "routine";
  }
  throw Error("invalid alert tier");
}

std::optional<AlertState> parse_alert_state(std::string_view k) {
  for (auto s : {AlertState::raised, AlertState::acknowledged, AlertState::confirmed,
                 AlertState::rejected, AlertState::green_channel, AlertState::closed}) {
    if (key(s) == k) return s;
  }
  return std::nullopt;
}

std::optional<AlertTier> parse_alert_tier(std::string_view k) {
  for (auto t : {AlertTier::critical, AlertTier::urgent, AlertTier::routine}) {
    if (key(t) == k) return t;
  }
  return std::nullopt;
}

AlertLifecycle::AlertLifecycle(AlertTier tier, UnixMs raised_ms, std::string raised_by)
    : tier_(tier), raised_ms_(raised_ms) {
  transitions_.push_back({AlertState::raised, raised_ms, std::move(raised_by), ""});
}

AlertState AlertLifecycle::state() const {
  return transitions_.back().to;
}

std::optional<UnixMs> AlertLifecycle::acknowledged_ms() const {
  for (const auto& t : transitions_) {
    if (t.to != AlertState::raised && t.to != AlertState::closed) return t.at_ms;
    // Closing an unread alert (e.g. the study was withdrawn) is not an acknowledgement.
  }
  return std::nullopt;
}

bool AlertLifecycle::allowed(AlertState from, AlertState to) {
  using S = AlertState;
  switch (from) {
    case S::raised:
      return to == S::acknowledged || to == S::confirmed || to == S::rejected || to == S::closed;
    case S::acknowledged:
      return to == S::confirmed || to == S::rejected;
    case S::confirmed:
      return to == S::green_channel || to == S::closed;
    case S::green_channel:
      return to == S::closed;
    case S::rejected:
      return to == S::closed;
    case S::closed:
      return false;
  }
  return false;
}

bool is_blank(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
      ++i;
    } else if (text.substr(i, 2) == "\xC2\xA0") {
      i += 2;
    } else if (text.substr(i, 3) == "\xE3\x80\x80") {
      i += 3;
    } else {
      return false;
    }
  }
  return true;
}

void AlertLifecycle::apply(const AlertTransition& t) {
  const auto from = state();
  if (!allowed(from, t.to)) {
    throw Error("alert cannot go from " + std::string(key(from)) + " to " + std::string(key(t.to)));
  }
  if (t.to == AlertState::rejected && is_blank(t.reason)) throw Error("a rejection needs a reason");
  if (t.actor.empty()) throw Error("an alert transition needs an actor");
  if (t.at_ms < transitions_.back().at_ms) {
    throw Error("alert transition at " + std::to_string(t.at_ms) + " is before the previous one");
  }
  transitions_.push_back(t);
}

std::optional<std::int64_t> EscalationPolicy::ack_deadline_ms(AlertTier tier) const {
  switch (tier) {
    case AlertTier::critical:
      return critical_ack_ms;
    case AlertTier::urgent:
      return urgent_ack_ms;
    case AlertTier::routine:
      return routine_ack_ms;
  }
  return std::nullopt;
}

void Roster::add(Shift shift) {
  if (shift.chain.empty()) throw Error("a shift needs at least one person on call");
  if (shift.end_ms <= shift.start_ms) throw Error("a shift must end after it starts");
  for (const auto& s : shifts_) {
    if (shift.start_ms < s.end_ms && s.start_ms < shift.end_ms) throw Error("overlapping shifts");
  }
  shifts_.push_back(std::move(shift));
}

std::vector<std::string> Roster::on_call(UnixMs t) const {
  for (const auto& s : shifts_) {
    if (t >= s.start_ms && t < s.end_ms) return s.chain;
  }
  return {};
}

std::vector<Shift> merge_shifts(const std::vector<Shift>& current,
                                const std::vector<Shift>& added) {
  Roster check;
  for (const auto& a : added) check.add(a);  // throws on empty chains, bad times, overlaps
  std::vector<Shift> out;
  for (const auto& e : current) {
    std::vector<Shift> pieces{e};
    for (const auto& a : added) {
      std::vector<Shift> next;
      for (const auto& p : pieces) {
        if (a.end_ms <= p.start_ms || p.end_ms <= a.start_ms) {
          next.push_back(p);
          continue;
        }
        if (p.start_ms < a.start_ms) next.push_back(Shift{p.start_ms, a.start_ms, p.chain});
        if (a.end_ms < p.end_ms) next.push_back(Shift{a.end_ms, p.end_ms, p.chain});
      }
      pieces = std::move(next);
    }
    out.insert(out.end(), pieces.begin(), pieces.end());
  }
  out.insert(out.end(), added.begin(), added.end());
  std::sort(out.begin(), out.end(),
            [](const Shift& a, const Shift& b) { return a.start_ms < b.start_ms; });
  return out;
}

namespace {

// Escalation times: level 0 at raise, level k at raise + k × deadline (while unacknowledged).
UnixMs level_time(const AlertLifecycle& a, std::int64_t deadline_ms, std::size_t level) {
  return a.raised_ms() + static_cast<std::int64_t>(level) * deadline_ms;
}

}  // namespace

std::vector<Page> pages_due(const AlertLifecycle& alert, const EscalationPolicy& policy,
                            const Roster& roster, UnixMs now_ms) {
  std::vector<Page> pages;
  const auto deadline = policy.ack_deadline_ms(alert.tier());
  if (!deadline) return pages;
  const auto acked = alert.acknowledged_ms();
  // A closed alert stops escalating from its closing time.
  std::optional<UnixMs> closed;
  if (alert.state() == AlertState::closed) closed = alert.transitions().back().at_ms;
  for (std::size_t level = 0; level < policy.max_levels; ++level) {
    const UnixMs at = level_time(alert, *deadline, level);
    if (at > now_ms) break;
    // Escalation fires at the deadline only if nobody acknowledged before it.
    if (level > 0 && acked && *acked <= at) break;
    if (closed && *closed <= at) break;
    // The roster at the time of the page: a shift change mid-alert pages the new shift.
    const auto chain = roster.on_call(at);
    Page p;
    p.at_ms = at;
    p.level = level;
    if (chain.empty()) {
      p.who = "";
      p.reason = "nobody on call";
    } else {
      p.who = chain[std::min(level, chain.size() - 1)];
      p.reason = level == 0 ? std::string(key(alert.tier())) + " alert raised"
                            : "not acknowledged within " +
                                  std::to_string(*deadline / 60'000 * level) + " min";
    }
    pages.push_back(std::move(p));
  }
  return pages;
}

std::optional<UnixMs> next_escalation_ms(const AlertLifecycle& alert,
                                         const EscalationPolicy& policy,
                                         const Roster& /*roster: who is paged, not when*/,
                                         UnixMs now_ms) {
  const auto deadline = policy.ack_deadline_ms(alert.tier());
  if (!deadline || alert.acknowledged_ms() || alert.state() == AlertState::closed)
    return std::nullopt;
  for (std::size_t level = 1; level < policy.max_levels; ++level) {
    const UnixMs at = level_time(alert, *deadline, level);
    if (at > now_ms) return at;
  }
  return std::nullopt;
}

}  // namespace gc::workflow
