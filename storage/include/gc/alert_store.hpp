// alert_store — durable alert lifecycle (schema: storage/migrations/0004_alerts.sql): append-only
// transitions (alerts.state kept in step in the same transaction, together with the case effects
// and the cart outbox row), pages and their deliveries, the versioned on-call roster, and the
// cart outbox. Plain strings and integers: gc/alert_service.hpp (workflow) gives them meaning.
//
// AlertStore opens its own SQLite connection to the same file as Store (WAL, busy timeout,
// synchronous=FULL, foreign keys on); open() first runs Store's migrations. Thread-safe: calls
// are serialised by an internal mutex.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gc/case_store.hpp"
#include "gc/storage.hpp"

namespace gc::storage {

struct AlertTransitionRow {
  std::int64_t seq = 0;
  std::int64_t alert_id = 0;
  std::string from_state;  // '' for the raise
  std::string to_state;
  UnixMs at_ms = 0;
  std::string actor;
  std::string reason;
  std::string note;
};

struct AlertPageRow {
  std::int64_t seq = 0;
  std::int64_t alert_id = 0;
  std::int64_t level = 0;
  std::string who;  // '' = nobody on call
  std::string reason;
  UnixMs due_ms = 0;
  UnixMs sent_ms = 0;
  std::string channels;
  // '' (no webhook), 'pending' (no outcome yet), or the latest delivery's status
  // ('delivered', 'failed: …').
  std::string webhook_status;
};

struct AlertPageDeliveryRow {
  std::int64_t seq = 0;
  std::int64_t page_seq = 0;
  std::string channel;  // "webhook"
  std::string status;   // "delivered" or "failed: …"
  std::int64_t attempts = 0;
  UnixMs at_ms = 0;
};

struct OncallShiftRow {
  UnixMs start_ms = 0;
  UnixMs end_ms = 0;
  std::vector<std::string> chain;  // primary first
};

struct CartOutboxRow {
  std::int64_t id = 0;
  std::string device_id;
  std::string study_uid;
  std::int64_t alert_id = 0;
  std::int64_t transition_seq = 0;
  std::string payload;  // serialized proto AlertUpdate (bytes)
  UnixMs created_ms = 0;
  std::optional<UnixMs> delivered_ms;
};

// An alert with what the lifecycle needs around it.
struct AlertContext {
  AlertRecord alert;
  std::string device_id;  // the cart that sent the study
  std::string study_uid;
  std::optional<std::int64_t> case_id;  // the study's case, if it joined one
  // What a notification says about the study (the cart's clinic and the patient as the cart sent
  // them; times on the server clock as stored).
  std::string clinic;
  std::optional<std::int64_t> age_years;
  std::string sex;  // "M", "F" or "" (unknown)
  std::optional<std::int64_t> fmc_unix_ms;
  std::optional<std::int64_t> acquired_at_unix_ms;
};

// Everything one transition writes, in one transaction.
struct TransitionWrite {
  AlertTransitionRow transition;  // seq ignored
  // alerts.state must still be transition.from_state (another process may have moved it): else
  // Error "changed concurrently" and nothing is written. For the raise, from_state is '' and
  // alerts.state is not checked (it is 'raised' already).
  // Case effects (case_id set): a new outcome ('' = unchanged) and time nodes.
  std::optional<std::int64_t> case_id;
  std::string case_outcome;
  std::vector<TimeNodeRecord> nodes;  // case_id filled in
  std::optional<EventRecord> event;   // on the study's timeline (recorded_ms set here)
  // The cart's AlertUpdate (device_id empty: none).
  std::string cart_device_id;
  std::string cart_study_uid;
  std::string cart_payload;
};

struct TransitionWritten {
  std::int64_t transition_seq = 0;
  std::optional<std::int64_t> outbox_id;
  std::vector<std::int64_t> node_seqs;
};

class AlertStore {
 public:
  // Opens the database (creating and migrating it through Store::open if needed).
  static std::unique_ptr<AlertStore> open(const std::filesystem::path& db_path,
                                          const std::string& audit_actor = "greenchannel");
  ~AlertStore();
  AlertStore(const AlertStore&) = delete;
  AlertStore& operator=(const AlertStore&) = delete;

  std::optional<AlertContext> alert_context(std::int64_t alert_id);
  // Alerts in `state` raised at or after since_ms, oldest first.
  std::vector<AlertContext> alerts_in_state(const std::string& state, UnixMs since_ms);

  // Alerts raised in [since_ms, raised_before_ms) still in state raised whose raise was never
  // recorded as a transition (the node that stored the alert died before its alert service ran),
  // oldest first.
  std::vector<AlertContext> alerts_missing_raise(UnixMs since_ms, UnixMs raised_before_ms);

  // Throws Error (nothing written) for an unknown alert or a concurrent change (see above).
  TransitionWritten record_transition(const TransitionWrite& write);
  std::vector<AlertTransitionRow> transitions(std::int64_t alert_id);

  // Appends a page unless this (alert, level) was paged already: then returns nullopt.
  std::optional<std::int64_t> record_page(const AlertPageRow& page);
  std::vector<AlertPageRow> pages(std::int64_t alert_id);
  std::int64_t record_delivery(const AlertPageDeliveryRow& delivery);
  std::vector<AlertPageDeliveryRow> deliveries(std::int64_t page_seq);
  // Pages whose webhook was pending and has no outcome (e.g. the server stopped mid-retry).
  std::vector<AlertPageRow> pages_awaiting_webhook();

  // The roster in force (the latest version); set_roster appends a version (audit_log too).
  std::vector<OncallShiftRow> roster();
  void set_roster(const std::vector<OncallShiftRow>& shifts, const std::string& set_by);

  // Webhook claims (migration 0009): several nodes may find the same page awaiting its webhook;
  // only the node holding the claim posts it. claim_page_webhook takes the claim when nobody
  // holds it, or its lease ran out before now_ms, and the page has no webhook outcome yet;
  // false otherwise. renew_page_webhook extends the lease only while `node` still holds it
  // (false: another node took it over, stop posting).
  bool claim_page_webhook(std::int64_t page_seq, const std::string& node, UnixMs now_ms,
                          UnixMs lease_until_ms);
  bool renew_page_webhook(std::int64_t page_seq, const std::string& node, UnixMs lease_until_ms);
  // Gives a claim up (a clean stop before the post finished): any node may take it at once.
  void release_page_webhook(std::int64_t page_seq, const std::string& node);

  // The change feed between nodes: transitions and pages with seq > after_seq, oldest first, at
  // most `limit`; and the highest seq of each now (0 when empty).
  std::vector<AlertTransitionRow> transitions_after(std::int64_t after_seq, std::size_t limit);
  std::vector<AlertPageRow> pages_after(std::int64_t after_seq, std::size_t limit);
  std::int64_t last_transition_seq();
  std::int64_t last_page_seq();
  // The cart outbox row a transition wrote (nullopt: none, e.g. no cart).
  std::optional<CartOutboxRow> cart_update_for_transition(std::int64_t transition_seq);

  // Undelivered outbox rows of a cart, oldest first.
  std::vector<CartOutboxRow> pending_cart_updates(const std::string& device_id);
  std::vector<CartOutboxRow> cart_updates_for_alert(std::int64_t alert_id);
  // Sets delivered_ms once; false when already delivered (or unknown).
  bool mark_cart_update_delivered(std::int64_t outbox_id, UnixMs delivered_ms);

 private:
  struct Impl;
  explicit AlertStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gc::storage
