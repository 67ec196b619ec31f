// AlertStore: persistence of the alert lifecycle (migration 0004_alerts.sql), SQLite or
// PostgreSQL.
#include "gc/alert_store.hpp"

#include <cstdio>
#include <mutex>

#include "companion.hpp"
#include "db.hpp"

namespace gc::storage {

using Db = db::Connection;
using db::Query;
using db::Transaction;

namespace {

// A JSON string literal (names in a roster chain).
std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

constexpr const char* kContextSql =
    "SELECT a.id, a.study_id, a.tier, a.category, a.summary_en, a.summary_zh, a.state, "
    "a.raised_ms, s.device_id, s.study_uid, cs.case_id, d.clinic, s.age_years, s.sex, "
    "s.fmc_unix_ms, s.acquired_at_unix_ms "
    "FROM alerts a JOIN studies s ON s.id = a.study_id "
    "JOIN devices d ON d.device_id = s.device_id "
    "LEFT JOIN case_studies cs ON cs.study_id = a.study_id ";

AlertContext read_context(const Query& q) {
  AlertContext c;
  c.alert = AlertRecord{q.int64(0), q.int64(1), q.text(2), q.text(3),
                        q.text(4),  q.text(5),  q.text(6), q.int64(7)};
  c.device_id = q.text(8);
  c.study_uid = q.text(9);
  c.case_id = q.opt_int64(10);
  c.clinic = q.text(11);
  c.age_years = q.opt_int64(12);
  c.sex = q.text(13);
  c.fmc_unix_ms = q.opt_int64(14);
  c.acquired_at_unix_ms = q.opt_int64(15);
  return c;
}

constexpr const char* kPageSql =
    "SELECT p.seq, p.alert_id, p.level, p.who, p.reason, p.due_ms, p.sent_ms, p.channels, "
    "coalesce((SELECT d.status FROM alert_page_deliveries d WHERE d.page_seq = p.seq "
    "          AND d.channel = 'webhook' ORDER BY d.seq DESC LIMIT 1), p.webhook_status) "
    "FROM alert_pages p ";

AlertPageRow read_page(const Query& q) {
  return AlertPageRow{q.int64(0), q.int64(1), q.int64(2), q.text(3), q.text(4),
                      q.int64(5), q.int64(6), q.text(7),  q.text(8)};
}

constexpr const char* kOutboxSql =
    "SELECT id, device_id, study_uid, alert_id, transition_seq, payload, created_ms, "
    "delivered_ms FROM cart_outbox ";

CartOutboxRow read_outbox(const Query& q) {
  const auto bytes = q.blob_view(5);
  return CartOutboxRow{q.int64(0), q.text(1),     q.text(2),
                       q.int64(3), q.int64(4),    std::string(bytes.begin(), bytes.end()),
                       q.int64(6), q.opt_int64(7)};
}

}  // namespace

struct AlertStore::Impl {
  std::mutex mutex;
  std::unique_ptr<Db> db;
  std::string audit_actor;

  void audit(const std::string& actor, const std::string& action, const std::string& target,
             const std::string& detail) {
    detail::append_audit_row(*db, now_unix_ms(), actor.empty() ? audit_actor : actor, action,
                             target, detail);
  }
};

AlertStore::AlertStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AlertStore::~AlertStore() = default;

std::unique_ptr<AlertStore> AlertStore::open(const std::filesystem::path& db_path,
                                             const std::string& audit_actor) {
  OpenOptions options;
  options.quick_check = false;
  options.audit_actor = audit_actor;
  auto impl = std::make_unique<Impl>();
  impl->audit_actor = audit_actor;
  impl->db = detail::open_companion(db_path, options, "alert_transitions", "0004");
  return std::unique_ptr<AlertStore>(new AlertStore(std::move(impl)));
}

std::optional<AlertContext> AlertStore::alert_context(std::int64_t alert_id) {
  std::lock_guard lock(impl_->mutex);
  auto q = impl_->db->query(std::string(kContextSql) + "WHERE a.id = ?");
  q.bind(1, alert_id);
  if (!q.step()) return std::nullopt;
  return read_context(q);
}

std::vector<AlertContext> AlertStore::alerts_in_state(const std::string& state, UnixMs since_ms) {
  std::lock_guard lock(impl_->mutex);
  auto q = impl_->db->query(std::string(kContextSql) +
                            "WHERE a.state = ? AND a.raised_ms >= ? ORDER BY a.raised_ms, a.id");
  q.bind(1, state).bind(2, since_ms);
  std::vector<AlertContext> out;
  while (q.step()) out.push_back(read_context(q));
  return out;
}

std::vector<AlertContext> AlertStore::alerts_missing_raise(UnixMs since_ms,
                                                           UnixMs raised_before_ms) {
  std::lock_guard lock(impl_->mutex);
  auto q = impl_->db->query(std::string(kContextSql) +
                            "WHERE a.state = 'raised' AND a.raised_ms >= ? AND a.raised_ms < ? "
                            "AND NOT EXISTS (SELECT 1 FROM alert_transitions t WHERE t.alert_id = "
                            "a.id AND t.to_state = 'raised') ORDER BY a.raised_ms, a.id");
  q.bind(1, since_ms).bind(2, raised_before_ms);
  std::vector<AlertContext> out;
  while (q.step()) out.push_back(read_context(q));
  return out;
}

TransitionWritten AlertStore::record_transition(const TransitionWrite& w) {
  std::lock_guard lock(impl_->mutex);
  Db& db = *impl_->db;
  Transaction tx(db);
  const auto& t = w.transition;
  {
    auto q = db.query("SELECT state FROM alerts WHERE id = ?");
    q.bind(1, t.alert_id);
    if (!q.step()) throw Error("no alert " + std::to_string(t.alert_id));
    if (!t.from_state.empty() && q.text(0) != t.from_state) {
      throw Error("alert " + std::to_string(t.alert_id) + " changed concurrently: it is " +
                  q.text(0) + ", not " + t.from_state);
    }
  }
  TransitionWritten out;
  out.transition_seq =
      db.query(
            "INSERT INTO alert_transitions (alert_id, from_state, to_state, at_ms, actor, reason, "
            "note) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING seq")
          .bind(1, t.alert_id)
          .bind(2, t.from_state)
          .bind(3, t.to_state)
          .bind(4, t.at_ms)
          .bind(5, t.actor)
          .bind(6, t.reason)
          .bind(7, t.note)
          .run_returning_id();
  if (!t.from_state.empty()) {
    db.query("UPDATE alerts SET state = ? WHERE id = ?")
        .bind(1, t.to_state)
        .bind(2, t.alert_id)
        .run();
  }
  if (w.case_id) {
    if (!w.case_outcome.empty()) {
      db.query("UPDATE cases SET outcome = ? WHERE id = ?")
          .bind(1, w.case_outcome)
          .bind(2, *w.case_id)
          .run();
      if (db.changes() != 1) throw Error("no case " + std::to_string(*w.case_id));
      impl_->audit(t.actor, "case_outcome", std::to_string(*w.case_id),
                   "outcome=" + w.case_outcome + " alert=" + std::to_string(t.alert_id) +
                       " transition=" + std::to_string(out.transition_seq));
    }
    for (const auto& n : w.nodes) {
      out.node_seqs.push_back(db.query("INSERT INTO time_nodes (case_id, kind, raw_ms, "
                                       "corrected_ms, source, actor, clock, "
                                       "recorded_ms, supersedes, note) VALUES (?, ?, ?, ?, ?, ?, "
                                       "?, ?, ?, ?) RETURNING seq")
                                  .bind(1, *w.case_id)
                                  .bind(2, n.kind)
                                  .bind(3, n.raw_ms)
                                  .bind(4, n.corrected_ms)
                                  .bind(5, n.source)
                                  .bind(6, n.actor)
                                  .bind(7, n.clock)
                                  .bind(8, n.recorded_ms)
                                  .bind(9, n.supersedes)
                                  .bind(10, n.note)
                                  .run_returning_id());
    }
  }
  if (w.event) {
    const auto& e = *w.event;
    detail::append_event_row(db, e);
  }
  if (!w.cart_device_id.empty()) {
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(w.cart_payload.data());
    out.outbox_id =
        db.query(
              "INSERT INTO cart_outbox (device_id, study_uid, alert_id, transition_seq, payload, "
              "created_ms) VALUES (?, ?, ?, ?, ?, ?) RETURNING id")
            .bind(1, w.cart_device_id)
            .bind(2, w.cart_study_uid)
            .bind(3, t.alert_id)
            .bind(4, out.transition_seq)
            .bind_blob(5, std::span<const std::uint8_t>(bytes, w.cart_payload.size()))
            .bind(6, now_unix_ms())
            .run_returning_id();
  }
  tx.commit();
  return out;
}

std::vector<AlertTransitionRow> AlertStore::transitions(std::int64_t alert_id) {
  std::lock_guard lock(impl_->mutex);
  auto q = impl_->db->query(
      "SELECT seq, alert_id, from_state, to_state, at_ms, actor, reason, note "
      "FROM alert_transitions WHERE alert_id = ? ORDER BY seq");
  q.bind(1, alert_id);
  std::vector<AlertTransitionRow> out;
  while (q.step()) {
    out.push_back(AlertTransitionRow{q.int64(0), q.int64(1), q.text(2), q.text(3), q.int64(4),
                                     q.text(5), q.text(6), q.text(7)});
  }
  return out;
}

std::optional<std::int64_t> AlertStore::record_page(const AlertPageRow& p) {
  std::lock_guard lock(impl_->mutex);
  Db& db = *impl_->db;
  auto q = db.query(
      "INSERT INTO alert_pages (alert_id, level, who, reason, due_ms, sent_ms, channels, "
      "webhook_status) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (alert_id, level) DO NOTHING "
      "RETURNING seq");
  q.bind(1, p.alert_id)
      .bind(2, p.level)
      .bind(3, p.who)
      .bind(4, p.reason)
      .bind(5, p.due_ms)
      .bind(6, p.sent_ms)
      .bind(7, p.channels)
      .bind(8, p.webhook_status);
  // A conflict (this level already paged) inserts nothing and returns no row.
  if (!q.step()) return std::nullopt;
  const std::int64_t seq = q.int64(0);
  q.run();
  return seq;
}

std::vector<AlertPageRow> AlertStore::pages(std::int64_t alert_id) {
  std::lock_guard lock(impl_->mutex);
  auto q = impl_->db->query(std::string(kPageSql) + "WHERE p.alert_id = ? ORDER BY p.level");
  q.bind(1, alert_id);
  std::vector<AlertPageRow> out;
  while (q.step()) out.push_back(read_page(q));
  return out;
}

std::int64_t AlertStore::record_delivery(const AlertPageDeliveryRow& d) {
  std::lock_guard lock(impl_->mutex);
  return impl_->db
      ->query(
          "INSERT INTO alert_page_deliveries (page_seq, channel, status, attempts, at_ms) "
          "VALUES (?, ?, ?, ?, ?) RETURNING seq")
      .bind(1, d.page_seq)
      .bind(2, d.channel)
      .bind(3, d.status)
      .bind(4, d.attempts)
      .bind(5, d.at_ms)
      .run_returning_id();
}

std::vector<AlertPageDeliveryRow> AlertStore::deliveries(std::int64_t page_seq) {
  std::lock_guard lock(impl_->mutex);
  auto q = impl_->db->query(
      "SELECT seq, page_seq, channel, status, attempts, at_ms FROM alert_page_deliveries "
      "WHERE page_seq = ? ORDER BY seq");
  q.bind(1, page_seq);
  std::vector<AlertPageDeliveryRow> out;
  while (q.step()) {
    out.push_back(
        AlertPageDeliveryRow{q.int64(0), q.int64(1), q.text(2), q.text(3), q.int64(4), q.int64(5)});
  }
  return out;
}

std::vector<AlertPageRow> AlertStore::pages_awaiting_webhook() {
  std::lock_guard lock(impl_->mutex);
  auto q = impl_->db->query(std::string(kPageSql) +
                            "WHERE p.webhook_status = 'pending' AND NOT EXISTS (SELECT 1 FROM "
                            "alert_page_deliveries d WHERE d.page_seq = p.seq AND d.channel = "
                            "'webhook') ORDER BY p.seq");
  std::vector<AlertPageRow> out;
  while (q.step()) out.push_back(read_page(q));
  return out;
}

bool AlertStore::claim_page_webhook(std::int64_t page_seq, const std::string& node, UnixMs now_ms,
                                    UnixMs lease_until_ms) {
  std::lock_guard lock(impl_->mutex);
  // One statement, atomic on both backends: a new claim, or the take-over of an expired one
  // (the row is locked by the upsert, so two nodes cannot both take it over).
  impl_->db
      ->query(
          "INSERT INTO alert_page_claims (page_seq, node, claimed_ms, lease_until_ms) "
          "SELECT ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM alert_page_deliveries d WHERE "
          "d.page_seq = ? AND d.channel = 'webhook') "
          "ON CONFLICT (page_seq) DO UPDATE SET node = excluded.node, claimed_ms = "
          "excluded.claimed_ms, lease_until_ms = excluded.lease_until_ms "
          "WHERE alert_page_claims.lease_until_ms < excluded.claimed_ms")
      .bind(1, page_seq)
      .bind(2, node)
      .bind(3, now_ms)
      .bind(4, lease_until_ms)
      .bind(5, page_seq)
      .run();
  return impl_->db->changes() == 1;
}

bool AlertStore::renew_page_webhook(std::int64_t page_seq, const std::string& node,
                                    UnixMs lease_until_ms) {
  std::lock_guard lock(impl_->mutex);
  impl_->db
      ->query("UPDATE alert_page_claims SET lease_until_ms = ? WHERE page_seq = ? AND node = ?")
      .bind(1, lease_until_ms)
      .bind(2, page_seq)
      .bind(3, node)
      .run();
  return impl_->db->changes() == 1;
}

void AlertStore::release_page_webhook(std::int64_t page_seq, const std::string& node) {
  std::lock_guard lock(impl_->mutex);
  impl_->db
      ->query("UPDATE alert_page_claims SET lease_until_ms = 0 WHERE page_seq = ? AND node = ?")
      .bind(1, page_seq)
      .bind(2, node)
      .run();
}

std::vector<AlertTransitionRow> AlertStore::transitions_after(std::int64_t after_seq,
                                                              std::size_t limit) {
  std::lock_guard lock(impl_->mutex);
  auto q = impl_->db->query(
      "SELECT seq, alert_id, from_state, to_state, at_ms, actor, reason, note "
      "FROM alert_transitions WHERE seq > ? ORDER BY seq LIMIT ?");
  q.bind(1, after_seq).bind(2, static_cast<std::int64_t>(limit));
  std::vector<AlertTransitionRow> out;
  while (q.step()) {
    out.push_back(AlertTransitionRow{q.int64(0), q.int64(1), q.text(2), q.text(3), q.int64(4),
                                     q.text(5), q.text(6), q.text(7)});
  }
  return out;
}

std::vector<AlertPageRow> AlertStore::pages_after(std::int64_t after_seq, std::size_t limit) {
  std::lock_guard lock(impl_->mutex);
  auto q = impl_->db->query(std::string(kPageSql) + "WHERE p.seq > ? ORDER BY p.seq LIMIT ?");
  q.bind(1, after_seq).bind(2, static_cast<std::int64_t>(limit));
  std::vector<AlertPageRow> out;
  while (q.step()) out.push_back(read_page(q));
  return out;
}

std::int64_t AlertStore::last_transition_seq() {
  std::lock_guard lock(impl_->mutex);
  auto q = impl_->db->query("SELECT coalesce(max(seq), 0) FROM alert_transitions");
  q.step();
  return q.int64(0);
}

std::int64_t AlertStore::last_page_seq() {
  std::lock_guard lock(impl_->mutex);
  auto q = impl_->db->query("SELECT coalesce(max(seq), 0) FROM alert_pages");
  q.step();
  return q.int64(0);
}

std::optional<CartOutboxRow> AlertStore::cart_update_for_transition(std::int64_t transition_seq) {
  std::lock_guard lock(impl_->mutex);
  auto q = impl_->db->query(std::string(kOutboxSql) + "WHERE transition_seq = ? ORDER BY id");
  q.bind(1, transition_seq);
  if (!q.step()) return std::nullopt;
  return read_outbox(q);
}

std::vector<OncallShiftRow> AlertStore::roster() {
  std::lock_guard lock(impl_->mutex);
  // The chain is a JSON array of names; the two dialects spell "its elements, in order"
  // differently.
  const bool sqlite = impl_->db->dialect() == db::Dialect::sqlite;
  auto q = impl_->db->query(
      std::string("SELECT s.position, s.start_ms, s.end_ms, j.value FROM oncall_shifts s, ") +
      (sqlite ? "json_each(s.chain) j "
              : "jsonb_array_elements_text(s.chain::jsonb) WITH ORDINALITY AS j(value, key) ") +
      "WHERE s.version = (SELECT max(version) FROM oncall_roster_versions) "
      "ORDER BY s.position, j.key");
  std::vector<OncallShiftRow> out;
  std::int64_t position = -1;
  while (q.step()) {
    if (q.int64(0) != position) {
      position = q.int64(0);
      out.push_back(OncallShiftRow{q.int64(1), q.int64(2), {}});
    }
    out.back().chain.push_back(q.text(3));
  }
  return out;
}

void AlertStore::set_roster(const std::vector<OncallShiftRow>& shifts, const std::string& set_by) {
  std::lock_guard lock(impl_->mutex);
  Db& db = *impl_->db;
  Transaction tx(db);
  const UnixMs now = now_unix_ms();
  const std::int64_t version =
      db.query(
            "INSERT INTO oncall_roster_versions (set_ms, set_by) VALUES (?, ?) RETURNING version")
          .bind(1, now)
          .bind(2, set_by.empty() ? impl_->audit_actor : set_by)
          .run_returning_id();
  std::string detail;
  std::int64_t position = 0;
  for (const auto& s : shifts) {
    std::string chain = "[";
    for (std::size_t i = 0; i < s.chain.size(); ++i) {
      if (i > 0) chain += ',';
      chain += json_string(s.chain[i]);
    }
    chain += "]";
    db.query(
          "INSERT INTO oncall_shifts (version, position, start_ms, end_ms, chain) "
          "VALUES (?, ?, ?, ?, ?)")
        .bind(1, version)
        .bind(2, position++)
        .bind(3, s.start_ms)
        .bind(4, s.end_ms)
        .bind(5, chain)
        .run();
    if (!detail.empty()) detail += ' ';
    detail += std::to_string(s.start_ms);
    detail += '/';
    detail += std::to_string(s.end_ms);
    detail += ':';
    detail += chain;
  }
  impl_->audit(set_by, "roster_set", "version " + std::to_string(version), detail);
  tx.commit();
}

std::vector<CartOutboxRow> AlertStore::pending_cart_updates(const std::string& device_id) {
  std::lock_guard lock(impl_->mutex);
  auto q = impl_->db->query(std::string(kOutboxSql) +
                            "WHERE device_id = ? AND delivered_ms IS NULL ORDER BY id");
  q.bind(1, device_id);
  std::vector<CartOutboxRow> out;
  while (q.step()) out.push_back(read_outbox(q));
  return out;
}

std::vector<CartOutboxRow> AlertStore::cart_updates_for_alert(std::int64_t alert_id) {
  std::lock_guard lock(impl_->mutex);
  auto q = impl_->db->query(std::string(kOutboxSql) + "WHERE alert_id = ? ORDER BY id");
  q.bind(1, alert_id);
  std::vector<CartOutboxRow> out;
  while (q.step()) out.push_back(read_outbox(q));
  return out;
}

bool AlertStore::mark_cart_update_delivered(std::int64_t outbox_id, UnixMs delivered_ms) {
  std::lock_guard lock(impl_->mutex);
  impl_->db->query("UPDATE cart_outbox SET delivered_ms = ? WHERE id = ? AND delivered_ms IS NULL")
      .bind(1, delivered_ms)
      .bind(2, outbox_id)
      .run();
  return impl_->db->changes() == 1;
}

}  // namespace gc::storage
