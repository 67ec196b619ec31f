// alert_service — the running alert lifecycle: persists every transition (append-only, with actor,
// time and reason), keeps alerts.state in step, opens the green channel on the case timeline,
// escalates unacknowledged alerts along the on-call roster at the tier's deadline, and delivers
// each notification through its channels: the reading station (live), the cart (AlertUpdate
// frame), and an outbound webhook (JSON POST with retries, on a worker thread).
//
// Thread-safe. Owns its own SQLite connections (WAL: they share the file with the ingest Store
// and the station) and one timer thread for escalations. Pure-computation rules live in
// gc/alerts.hpp; this is their runtime.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gc/alerts.hpp"
#include "gc/webhook.hpp"
#include "gc/workflow.hpp"

namespace gc::workflow {

// One stored transition (table alert_transitions, migration 0004).
struct AlertTransitionRecord {
  std::int64_t seq = 0;
  std::int64_t alert_id = 0;
  std::string from_state;
  std::string to_state;  // a key(AlertState)
  UnixMs at_ms = 0;
  std::string actor;   // "server", "station:dr_li", "cli:…"
  std::string reason;  // required for rejected
  std::string note;    // e.g. instructions sent to the cart with a confirmation
};

// One page (escalation level) and how it was delivered (table alert_pages).
struct AlertPageRecord {
  std::int64_t seq = 0;
  std::int64_t alert_id = 0;
  std::size_t level = 0;  // 0 = primary at raise, 1 = backup, …
  std::string who;
  UnixMs due_ms = 0;
  UnixMs sent_ms = 0;
  std::string channels;  // "station,webhook"
  std::string webhook_status;  // "", "delivered", "failed: …"
};

// What changed, for the live channels (station WebSocket, cart push).
struct AlertChange {
  std::int64_t alert_id = 0;
  std::int64_t study_id = 0;
  std::optional<std::int64_t> case_id;
  std::string device_id;
  std::string study_uid;
  std::string tier;
  std::string category;
  std::string state;  // the new state
  AlertTransitionRecord transition;  // the stored row (the raise is a row too: from_state '')
  std::optional<AlertPageRecord> page;  // set when this change is a page
  std::string instructions_zh;  // to the clinic, e.g. loading dose and transfer
  std::string instructions_en;
  // The cart_outbox row holding this change's AlertUpdate (transitions only, not pages): the
  // AlertUpdate's update_id. See gc/alert_cart.hpp for the frame.
  std::optional<std::int64_t> cart_outbox_id;
};

struct AlertChannels {
  // Called on the service's thread or the caller's; must not block long.
  std::function<void(const AlertChange&)> to_station;
  // Push to the cart that sent the study (ingest::Server::push_alert_update). Returns whether a
  // live session took it; undelivered updates are kept and sent at the cart's next hello.
  std::function<bool(const AlertChange&)> to_cart;
};

struct AlertServiceConfig {
  std::filesystem::path db_path;
  EscalationPolicy policy;
  std::optional<WebhookConfig> webhook;  // none: no outbound webhook
  TimeZone tz;                           // for notification texts
  // The reading station's address as the doctors reach it (https://host:port), for the deep
  // link in webhook notifications; "" = no link.
  std::string station_url;
  std::chrono::milliseconds tick{1'000};  // how often escalations are checked
  std::function<UnixMs()> clock;          // injectable for tests; default system clock
  std::function<void(std::string_view)> log;
  // Alerts raised longer ago than this are not paged any more (an old database brought back
  // does not page everyone for last month's alerts).
  std::chrono::hours page_horizon{24};

  // Several `serve` nodes on one database (issue 14). Every node runs the escalation tick; a page
  // is recorded once (the database refuses a second row for the same level) and its webhook is
  // posted by the node that holds the page's claim, a lease renewed between retries: when the
  // lease runs out (that node died or hung) another node's tick takes the claim over and posts
  // the page. Leases are by the system clock (not `clock`, which tests move in jumps), so the
  // nodes' clocks must agree (NTP) to well within the lease.
  std::string node_id;                         // empty: "<hostname>/<pid>/<random>"
  std::chrono::milliseconds webhook_lease{0};  // 0: longest backoff + timeout + 5 s
  // How often the node reads the transitions and pages other nodes (or other processes, e.g. a
  // CLI) stored, and passes them to its own channels: its station's live feed and the carts
  // connected to it. 0 turns it off.
  std::chrono::milliseconds follow_interval{250};
};

class AlertService {
 public:
  AlertService(AlertServiceConfig config, AlertChannels channels);
  ~AlertService();  // stop()s
  AlertService(const AlertService&) = delete;
  AlertService& operator=(const AlertService&) = delete;

  // Starts the escalation timer; re-derives pending pages of open alerts after a restart.
  void start();
  void stop();

  // Ingest raised an alert (already stored): notify the station, page the on-call chain.
  void alert_raised(std::int64_t alert_id);

  // A reader's action. Throws workflow::Error when the transition is not allowed (see
  // AlertLifecycle::allowed), a rejection has no reason, or the alert is unknown. Confirming
  // sets the case outcome to stemi and records ecg_diagnosis; opening the green channel records
  // cath_lab_activation_decision on the case timeline; rejecting sets not_stemi. Each is pushed
  // to the station and the cart.
  AlertChange apply(std::int64_t alert_id, AlertState to, const std::string& actor,
                    const std::string& reason = {}, const std::string& instructions_zh = {},
                    const std::string& instructions_en = {});

  std::vector<AlertTransitionRecord> transitions(std::int64_t alert_id);
  std::vector<AlertPageRecord> pages(std::int64_t alert_id);

  // Escalation: runs one tick now (tests call it with an injected clock).
  void tick();

  // Reads the transitions and pages stored since the last call that this service did not write
  // itself and passes each to the channels (station; cart when its update is still
  // undelivered). start() runs it every follow_interval; tests may call it directly. The first
  // call after construction starts from the rows stored when the service was constructed.
  void follow();
  const std::string& node_id() const;

  // The on-call roster (table oncall_shifts): replaced atomically, persisted.
  // Throws Error for overlapping shifts or an empty chain (nothing is stored then).
  void set_roster(const std::vector<Shift>& shifts);
  void set_roster(const std::vector<Shift>& shifts, const std::string& actor);
  Roster roster();
  std::vector<Shift> roster_shifts();

  // The cart outbox (ingest::ServerConfig hooks, via gc/alert_cart.hpp): AlertUpdates not yet
  // written to their cart, oldest first, as (outbox id, serialized AlertUpdate without its
  // update_id); and marking one delivered (idempotent).
  std::vector<std::pair<std::int64_t, std::string>> pending_cart_updates(
      const std::string& device_id);
  void cart_update_delivered(std::int64_t outbox_id);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gc::workflow
