// alerts — the alert lifecycle (raised → acknowledged → confirmed STEMI / rejected (with reason)
// → green channel opened → closed, each transition timestamped with its actor), the on-call
// roster, and the escalation schedule (no acknowledgement by the tier's deadline → page the
// backup, then the next in the chain). Pure computation: the server's timer asks
// `pages_due(now)` and delivers through its channels (station, cart, webhook.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gc/workflow.hpp"

namespace gc::workflow {

// The keys match storage::AlertRecord::state and ::tier.
enum class AlertState { raised, acknowledged, confirmed, rejected, green_channel, closed };
enum class AlertTier { critical, urgent, routine };
std::string_view key(AlertState s);
std::string_view key(AlertTier t);
std::optional<AlertState> parse_alert_state(std::string_view key);
std::optional<AlertTier> parse_alert_tier(std::string_view key);

struct AlertTransition {
  AlertState to = AlertState::acknowledged;
  UnixMs at_ms = 0;
  std::string actor;   // "station:dr_li", "server", …
  std::string reason;  // required for rejected; optional otherwise
};

class AlertLifecycle {
 public:
  AlertLifecycle(AlertTier tier, UnixMs raised_ms, std::string raised_by = "server");

  AlertTier tier() const { return tier_; }
  UnixMs raised_ms() const { return raised_ms_; }
  AlertState state() const;
  const std::vector<AlertTransition>& transitions() const { return transitions_; }
  // When it was first acknowledged (confirming or rejecting without an explicit
  // acknowledgement counts as one: the reader saw it).
  std::optional<UnixMs> acknowledged_ms() const;

  // Allowed: raised → acknowledged | confirmed | rejected | closed; acknowledged → confirmed |
  // rejected; confirmed → green_channel | closed; green_channel → closed; rejected → closed.
  // Throws Error on anything else, on a rejection without a reason, and on a time before the
  // previous transition (an audit trail does not go backwards).
  void apply(const AlertTransition& t);
  static bool allowed(AlertState from, AlertState to);

 private:
  AlertTier tier_;
  UnixMs raised_ms_;
  std::vector<AlertTransition> transitions_;  // the first is "raised"
};

// Acknowledgement deadline per tier and how many times to escalate. Routine alerts are not
// paged (they wait in the worklist).
struct EscalationPolicy {
  std::int64_t critical_ack_ms = 5 * 60'000;
  std::int64_t urgent_ack_ms = 15 * 60'000;
  std::optional<std::int64_t> routine_ack_ms;  // none: no paging
  std::size_t max_levels = 3;                  // primary, backup, then the head of department

  std::optional<std::int64_t> ack_deadline_ms(AlertTier tier) const;
};

// Who is on call: shifts [start, end) with an escalation chain (primary first).
struct Shift {
  UnixMs start_ms = 0;
  UnixMs end_ms = 0;
  std::vector<std::string> chain;  // e.g. {"dr_li", "dr_wang", "dr_zhang (head)"}
};

class Roster {
 public:
  void add(Shift shift);  // throws Error if it overlaps another shift or has an empty chain
  // The chain on call at t; empty when nobody is rostered (itself worth an alarm).
  std::vector<std::string> on_call(UnixMs t) const;

 private:
  std::vector<Shift> shifts_;
};

// The roster after adding `added` to `current` (issue 15: `roster set` for tomorrow used to
// replace the whole roster and so wiped today's shift). Each added shift takes over the time it
// covers — shifts already there are cut back or, when wholly covered, dropped — and every other
// shift is kept. Sorted by start. Throws Error (as Roster::add) for an empty chain, a shift that
// does not end after it starts, or added shifts overlapping each other.
std::vector<Shift> merge_shifts(const std::vector<Shift>& current, const std::vector<Shift>& added);

struct Page {
  UnixMs at_ms = 0;
  std::size_t level = 0;  // 0 = primary at raise, 1 = backup, …
  std::string who;
  std::string reason;
};

// Every page the alert calls for up to now_ms: the primary at raise time, then one more level
// at each deadline that passes without an acknowledgement. Deterministic, so a restarted server
// recomputes the same schedule; the caller delivers those it has not delivered yet.
std::vector<Page> pages_due(const AlertLifecycle& alert, const EscalationPolicy& policy,
                            const Roster& roster, UnixMs now_ms);

// When the next escalation would fire, if the alert is still unacknowledged (for timers).
std::optional<UnixMs> next_escalation_ms(const AlertLifecycle& alert,
                                         const EscalationPolicy& policy, const Roster& roster,
                                         UnixMs now_ms);

}  // namespace gc::workflow
