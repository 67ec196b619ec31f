// StationStore: the reading station's SQLite access (see gc/station_store.hpp).
#include "gc/station_store.hpp"

#include <mutex>

#include "companion.hpp"
#include "db.hpp"
#include "pg.hpp"

namespace gc::storage {

using Db = db::Connection;
using db::Query;
using db::Transaction;

namespace {

constexpr const char* kOpenStates = "('raised', 'acknowledged', 'confirmed', 'green_channel')";

// The case's effective FMC: the latest fmc node no other node supersedes (gc::workflow::resolve),
// corrected when the cart clock was; else the study's own FMC stamp.
constexpr const char* kFmcSql =
    "COALESCE((SELECT COALESCE(t.corrected_ms, t.raw_ms) FROM time_nodes t "
    "WHERE t.case_id = cs.case_id AND t.kind = 'fmc' AND NOT EXISTS (SELECT 1 FROM time_nodes x "
    "WHERE x.case_id = t.case_id AND x.supersedes = t.seq) ORDER BY t.seq DESC LIMIT 1), "
    "s.fmc_unix_ms)";

constexpr const char* kStudyColumns =
    "s.id, s.device_id, s.study_uid, s.sample_rate_hz, s.resolution_nv_per_lsb, "
    "s.derive_limb_leads, s.patient_id, s.age_years, s.sex, s.chest_pain, "
    "s.symptom_onset_unix_ms, s.symptom_onset_source, s.symptom_onset_clock, "
    "s.fmc_unix_ms, s.fmc_source, s.fmc_clock, s.acquired_at_unix_ms, s.acquired_at_source, "
    "s.acquired_at_clock, s.expected_samples_per_lead, s.complete, COALESCE(d.clinic, ''), "
    "cs.case_id";

std::optional<Stamp> read_stamp(const Query& q, int col) {
  if (q.is_null(col)) return std::nullopt;
  return Stamp{q.int64(col), q.text(col + 1), q.text(col + 2)};
}

std::optional<int> opt_int(const Query& q, int col) {
  if (q.is_null(col)) return std::nullopt;
  return static_cast<int>(q.int64(col));
}

UserRecord read_user(const Query& q) {
  UserRecord u;
  u.username = q.text(0);
  u.role = q.text(1);
  u.password_hash = q.blob(2);
  u.salt = q.blob(3);
  u.iterations = static_cast<int>(q.int64(4));
  u.created_ms = q.int64(5);
  u.disabled_ms = q.opt_int64(6);
  u.failed_logins = static_cast<int>(q.int64(7));
  u.locked_until_ms = q.opt_int64(8);
  u.display_name_zh = q.text(9);
  u.must_change_password = q.int64(10) != 0;
  u.contact = q.text(11);
  u.last_login_ms = q.opt_int64(12);
  return u;
}

constexpr const char* kUserColumns =
    "username, role, password_hash, salt, iterations, created_ms, disabled_ms, failed_logins, "
    "locked_until_ms, display_name_zh";
// What read_user reads: the stored columns, then the last login (the latest web session).
constexpr const char* kUserSelect =
    "username, role, password_hash, salt, iterations, created_ms, disabled_ms, failed_logins, "
    "locked_until_ms, display_name_zh, must_change_password, contact, (SELECT max(w.created_ms) FROM "
    "web_sessions w WHERE w.username = users.username)";

bool valid_role(const std::string& role) {
  return role == "cardiologist" || role == "coordinator" || role == "admin";
}

}  // namespace

namespace {

// At most 64 code points, no control characters; `what` names the field in the error.
void check_short_text(const std::string& text, const std::string& what) {
  std::size_t code_points = 0;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) throw Error("the " + what + " may not contain control characters");
    if ((c & 0xC0) != 0x80) ++code_points;
  }
  if (code_points > 64) throw Error("the " + what + " is longer than 64 characters");
}

}  // namespace

void check_display_name(const std::string& name) { check_short_text(name, "display name"); }

void check_contact(const std::string& contact) { check_short_text(contact, "contact"); }

struct StationStore::Impl {
  std::unique_ptr<Db> db;
  std::mutex mutex;
  bool has_transitions = false;  // migration 0004's alert_transitions is usable

  std::int64_t audit(UnixMs at_ms, const std::string& actor, const std::string& action,
                     const std::string& target, const std::string& detail) {
    return detail::append_audit_row(*db, at_ms, actor, action, target, detail);
  }

  std::string worklist_sql(const std::string& where) const {
    std::string ack_by = "NULL", ack_ms = "NULL", updated = "a.raised_ms";
    if (has_transitions) {
      const std::string first_ack =
          " FROM alert_transitions tr WHERE tr.alert_id = a.id AND tr.to_state IN "
          "('acknowledged', 'confirmed', 'rejected') ORDER BY tr.seq LIMIT 1)";
      ack_by = "(SELECT tr.actor" + first_ack;
      ack_ms = "(SELECT tr.at_ms" + first_ack;
      // The larger of two non-NULL values: SQLite's scalar max(), PostgreSQL's GREATEST.
      updated = std::string(db->dialect() == db::Dialect::sqlite ? "MAX" : "GREATEST") +
                "(a.raised_ms, COALESCE((SELECT MAX(tr.at_ms) FROM alert_transitions tr WHERE "
                "tr.alert_id = a.id), 0))";
    }
    return "SELECT a.id, a.study_id, cs.case_id, s.study_uid, s.device_id, "
           "COALESCE(c.clinic, d.clinic, ''), s.patient_id, s.age_years, s.sex, s.chest_pain, "
           "a.tier, a.category, a.state, a.summary_en, a.summary_zh, a.raised_ms, " +
           std::string(kFmcSql) + ", " + ack_by + ", " + ack_ms + ", " + updated +
           " FROM alerts a JOIN studies s ON s.id = a.study_id "
           "LEFT JOIN devices d ON d.device_id = s.device_id "
           "LEFT JOIN case_studies cs ON cs.study_id = a.study_id "
           "LEFT JOIN cases c ON c.id = cs.case_id " +
           where;
  }

  static WorklistRow read_row(const Query& q) {
    WorklistRow r;
    r.alert_id = q.int64(0);
    r.study_id = q.int64(1);
    r.case_id = q.opt_int64(2);
    r.study_uid = q.text(3);
    r.device_id = q.text(4);
    r.clinic = q.text(5);
    r.patient_id = q.text(6);
    r.age_years = opt_int(q, 7);
    r.sex = q.text(8);
    r.chest_pain = q.int64(9) != 0;
    r.tier = q.text(10);
    r.category = q.text(11);
    r.state = q.text(12);
    r.summary_en = q.text(13);
    r.summary_zh = q.text(14);
    r.raised_ms = q.int64(15);
    r.fmc_ms = q.opt_int64(16);
    r.acknowledged_by = q.opt_text(17);
    r.acknowledged_ms = q.opt_int64(18);
    r.updated_ms = q.int64(19);
    return r;
  }

  std::optional<StudyRow> study_locked(std::int64_t study_id) {
    auto q = db->query(std::string("SELECT ") + kStudyColumns + ", " + kFmcSql +
                       " FROM studies s LEFT JOIN devices d ON d.device_id = s.device_id "
                       "LEFT JOIN case_studies cs ON cs.study_id = s.id WHERE s.id = ?");
    q.bind(1, study_id);
    if (!q.step()) return std::nullopt;
    StudyRow row;
    row.study_id = q.int64(0);
    auto& h = row.header;
    h.device_id = q.text(1);
    h.study_uid = q.text(2);
    h.sample_rate_hz = static_cast<std::uint32_t>(q.int64(3));
    h.resolution_nv_per_lsb = q.real(4);
    h.derive_limb_leads = q.int64(5) != 0;
    h.patient_id = q.text(6);
    h.age_years = opt_int(q, 7);
    h.sex = q.text(8);
    h.chest_pain = q.int64(9) != 0;
    h.symptom_onset = read_stamp(q, 10);
    h.first_medical_contact = read_stamp(q, 13);
    h.acquired_at = read_stamp(q, 16);
    h.expected_samples_per_lead = static_cast<std::uint64_t>(q.int64(19));
    row.complete = q.int64(20) != 0;
    row.clinic = q.text(21);
    row.case_id = q.opt_int64(22);
    row.fmc_ms = q.opt_int64(23);
    h.source = detail::read_study_source(*db, study_id);
    auto leads = db->query("SELECT lead FROM study_leads WHERE study_id = ? ORDER BY position");
    leads.bind(1, study_id);
    while (leads.step()) h.leads.push_back(leads.text(0));
    return row;
  }
};

StationStore::StationStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
StationStore::~StationStore() = default;

std::unique_ptr<StationStore> StationStore::open(const std::filesystem::path& db_path) {
  OpenOptions options;
  options.quick_check = false;
  options.background_checkpoint = false;
  options.audit_actor = "station";
  auto impl = std::make_unique<Impl>();
  impl->db = detail::open_companion(db_path, options, "web_sessions", "0003");
  try {
    impl->has_transitions = impl->db->has_table("alert_transitions");
  } catch (const Error& e) {
    throw Error("database " + describe_database(db_path) + ": " + e.what());
  }
  return std::unique_ptr<StationStore>(new StationStore(std::move(impl)));
}

void StationStore::insert_user(const UserRecord& user, const std::string& actor) {
  std::lock_guard lock(impl_->mutex);
  auto& db = *impl_->db;
  Transaction tx(db);
  {
    auto q = db.query("SELECT 1 FROM users WHERE username = ?");
    q.bind(1, user.username);
    if (q.step()) throw Error("user '" + user.username + "' already exists");
  }
  if (!valid_role(user.role)) throw Error("unknown role '" + user.role + "'");
  check_display_name(user.display_name_zh);
  check_contact(user.contact);
  db.query(std::string("INSERT INTO users (") + kUserColumns +
           ", must_change_password, contact, hash_algorithm) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
           "?, ?, ?, 'pbkdf2-hmac-sha256')")
      .bind(1, user.username)
      .bind(2, user.role)
      .bind_blob(3, user.password_hash)
      .bind_blob(4, user.salt)
      .bind(5, std::int64_t{user.iterations})
      .bind(6, user.created_ms)
      .bind(7, user.disabled_ms)
      .bind(8, std::int64_t{user.failed_logins})
      .bind(9, user.locked_until_ms)
      .bind(10, user.display_name_zh)
      .bind(11, std::int64_t{user.must_change_password ? 1 : 0})
      .bind(12, user.contact)
      .run();
  impl_->audit(
      user.created_ms, actor, "user_add", user.username,
      "role=" + user.role +
          (user.display_name_zh.empty() ? "" : " display_name_zh=" + user.display_name_zh) +
          (user.must_change_password ? " must_change_password" : ""));
  tx.commit();
}

std::optional<UserRecord> StationStore::find_user(const std::string& username) {
  std::lock_guard lock(impl_->mutex);
  auto q =
      impl_->db->query(std::string("SELECT ") + kUserSelect + " FROM users WHERE username = ?");
  q.bind(1, username);
  if (!q.step()) return std::nullopt;
  return read_user(q);
}

std::vector<UserRecord> StationStore::list_users() {
  std::lock_guard lock(impl_->mutex);
  auto q = impl_->db->query(std::string("SELECT ") + kUserSelect + " FROM users ORDER BY username");
  std::vector<UserRecord> out;
  while (q.step()) out.push_back(read_user(q));
  return out;
}

bool StationStore::disable_user(const std::string& username, UnixMs at_ms,
                                const std::string& actor) {
  std::lock_guard lock(impl_->mutex);
  auto& db = *impl_->db;
  Transaction tx(db);
  {
    auto q = db.query("SELECT 1 FROM users WHERE username = ?");
    q.bind(1, username);
    if (!q.step()) return false;
  }
  db.query("UPDATE users SET disabled_ms = ? WHERE username = ? AND disabled_ms IS NULL")
      .bind(1, at_ms)
      .bind(2, username)
      .run();
  db.query("UPDATE web_sessions SET revoked_ms = ? WHERE username = ? AND revoked_ms IS NULL")
      .bind(1, at_ms)
      .bind(2, username)
      .run();
  impl_->audit(at_ms, actor, "user_disable", username, "");
  tx.commit();
  return true;
}

UserChangeResult StationStore::change_user(const std::string& username, const UserChange& change,
                                           UnixMs at_ms, const std::string& actor) {
  if (change.role && !valid_role(*change.role)) throw Error("unknown role '" + *change.role + "'");
  if (change.display_name_zh) check_display_name(*change.display_name_zh);
  if (change.contact) check_contact(*change.contact);
  std::lock_guard lock(impl_->mutex);
  auto& db = *impl_->db;
  Transaction tx(db);
  const auto enabled_admins = [&] {
    auto q = db.query("SELECT count(*) FROM users WHERE role = 'admin' AND disabled_ms IS NULL");
    q.step();
    return q.int64(0);
  };
  const auto admins_before = enabled_admins();
  std::string old_role;
  bool was_disabled = false;
  {
    auto q = db.query("SELECT role, disabled_ms FROM users WHERE username = ?");
    q.bind(1, username);
    if (!q.step()) return UserChangeResult::not_found;
    old_role = q.text(0);
    was_disabled = !q.is_null(1);
  }
  const auto end_sessions = [&] {
    db.query("UPDATE web_sessions SET revoked_ms = ? WHERE username = ? AND revoked_ms IS NULL")
        .bind(1, at_ms)
        .bind(2, username)
        .run();
  };
  if (change.role && *change.role != old_role) {
    db.query("UPDATE users SET role = ? WHERE username = ?")
        .bind(1, *change.role)
        .bind(2, username)
        .run();
    // A session carries no role of its own (each request reads the user's), but a demoted admin
    // logs in again rather than keep a page built for the old role.
    end_sessions();
    impl_->audit(at_ms, actor, "user_role", username, old_role + "→" + *change.role);
  }
  if (change.disabled && *change.disabled != was_disabled) {
    if (*change.disabled) {
      db.query("UPDATE users SET disabled_ms = ? WHERE username = ?")
          .bind(1, at_ms)
          .bind(2, username)
          .run();
      end_sessions();
      impl_->audit(at_ms, actor, "user_disable", username, "");
    } else {
      // Re-enabled with a clean slate: no lock-out carried over from before.
      db.query(
            "UPDATE users SET disabled_ms = NULL, failed_logins = 0, locked_until_ms = NULL "
            "WHERE username = ?")
          .bind(1, username)
          .run();
      impl_->audit(at_ms, actor, "user_enable", username, "");
    }
  }
  if (change.display_name_zh) {
    db.query("UPDATE users SET display_name_zh = ? WHERE username = ?")
        .bind(1, *change.display_name_zh)
        .bind(2, username)
        .run();
    impl_->audit(at_ms, actor, "user_display_name", username, *change.display_name_zh);
  }
  if (change.contact) {
    db.query("UPDATE users SET contact = ? WHERE username = ?")
        .bind(1, *change.contact)
        .bind(2, username)
        .run();
    impl_->audit(at_ms, actor, "user_contact", username, *change.contact);
  }
  if (change.password_hash) {
    db.query(
          "UPDATE users SET password_hash = ?, salt = ?, iterations = ?, failed_logins = 0, "
          "locked_until_ms = NULL WHERE username = ?")
        .bind_blob(1, *change.password_hash)
        .bind_blob(2, change.salt)
        .bind(3, std::int64_t{change.iterations})
        .bind(4, username)
        .run();
    end_sessions();
    // Never the password; whether its owner must replace it at the next login.
    impl_->audit(at_ms, actor, "user_password_reset", username,
                 change.must_change_password.value_or(false) ? "must_change_password" : "");
  }
  if (change.must_change_password) {
    db.query("UPDATE users SET must_change_password = ? WHERE username = ?")
        .bind(1, std::int64_t{*change.must_change_password ? 1 : 0})
        .bind(2, username)
        .run();
  }
  // Only a change that takes the last enabled admin away (a database with no admin yet, set up
  // from the CLI, may still change its other users).
  if (admins_before > 0 && enabled_admins() == 0)
    return UserChangeResult::last_admin;  // rolled back
  tx.commit();
  return UserChangeResult::ok;
}

std::optional<std::size_t> StationStore::change_own_password(
    const std::string& username, const std::vector<std::uint8_t>& password_hash,
    const std::vector<std::uint8_t>& salt, int iterations,
    const std::vector<std::uint8_t>& keep_session_sha256, UnixMs at_ms, const std::string& actor) {
  std::lock_guard lock(impl_->mutex);
  auto& db = *impl_->db;
  Transaction tx(db);
  db.query(
        "UPDATE users SET password_hash = ?, salt = ?, iterations = ?, failed_logins = 0, "
        "locked_until_ms = NULL, must_change_password = 0 WHERE username = ?")
      .bind_blob(1, password_hash)
      .bind_blob(2, salt)
      .bind(3, std::int64_t{iterations})
      .bind(4, username)
      .run();
  if (db.changes() == 0) return std::nullopt;
  db.query(
        "UPDATE web_sessions SET revoked_ms = ? WHERE username = ? AND revoked_ms IS NULL AND "
        "token_sha256 <> ?")
      .bind(1, at_ms)
      .bind(2, username)
      .bind_blob(3, keep_session_sha256)
      .run();
  const auto ended = static_cast<std::size_t>(db.changes());
  impl_->audit(at_ms, actor, "password_change", username,
               "other_sessions_ended=" + std::to_string(ended));  // never the password
  tx.commit();
  return ended;
}

std::optional<UserRecord> StationStore::record_login_failure(const std::string& username,
                                                             UnixMs at_ms, int max_failures,
                                                             std::int64_t lockout_ms,
                                                             const std::string& audit_detail) {
  std::lock_guard lock(impl_->mutex);
  auto& db = *impl_->db;
  Transaction tx(db);
  db.query("UPDATE users SET failed_logins = failed_logins + 1 WHERE username = ?")
      .bind(1, username)
      .run();
  if (db.changes() == 0) return std::nullopt;
  db.query(
        "UPDATE users SET failed_logins = 0, locked_until_ms = ? WHERE username = ? AND "
        "failed_logins >= ?")
      .bind(1, at_ms + lockout_ms)
      .bind(2, username)
      .bind(3, std::int64_t{max_failures})
      .run();
  if (db.changes() > 0) {
    impl_->audit(at_ms, "station", "user_locked", username,
                 std::to_string(max_failures) + " failed logins in a row");
  }
  if (!audit_detail.empty()) impl_->audit(at_ms, "station", "login_failed", username, audit_detail);
  auto q = db.query(std::string("SELECT ") + kUserSelect + " FROM users WHERE username = ?");
  q.bind(1, username);
  std::optional<UserRecord> out;
  if (q.step()) out = read_user(q);
  tx.commit();
  return out;
}

void StationStore::record_login_success(const std::string& username) {
  std::lock_guard lock(impl_->mutex);
  impl_->db->query("UPDATE users SET failed_logins = 0 WHERE username = ? AND failed_logins <> 0")
      .bind(1, username)
      .run();
}

void StationStore::insert_session(const WebSessionRecord& s) {
  std::lock_guard lock(impl_->mutex);
  impl_->db
      ->query(
          "INSERT INTO web_sessions (token_sha256, username, csrf_token, created_ms, "
          "last_seen_ms, expires_ms, revoked_ms) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .bind_blob(1, s.token_sha256)
      .bind(2, s.username)
      .bind(3, s.csrf_token)
      .bind(4, s.created_ms)
      .bind(5, s.last_seen_ms)
      .bind(6, s.expires_ms)
      .bind(7, s.revoked_ms)
      .run();
}

std::optional<WebSessionRecord> StationStore::find_session(
    const std::vector<std::uint8_t>& token_sha256) {
  std::lock_guard lock(impl_->mutex);
  auto q = impl_->db->query(
      "SELECT token_sha256, username, csrf_token, created_ms, last_seen_ms, expires_ms, "
      "revoked_ms FROM web_sessions WHERE token_sha256 = ?");
  q.bind_blob(1, token_sha256);
  if (!q.step()) return std::nullopt;
  return WebSessionRecord{q.blob(0),  q.text(1),  q.text(2),       q.int64(3),
                          q.int64(4), q.int64(5), q.opt_int64(6)};
}

void StationStore::touch_session(const std::vector<std::uint8_t>& token_sha256,
                                 UnixMs last_seen_ms) {
  std::lock_guard lock(impl_->mutex);
  impl_->db
      ->query(
          "UPDATE web_sessions SET last_seen_ms = ? WHERE token_sha256 = ? AND last_seen_ms < ?")
      .bind(1, last_seen_ms)
      .bind_blob(2, token_sha256)
      .bind(3, last_seen_ms)
      .run();
}

void StationStore::revoke_session(const std::vector<std::uint8_t>& token_sha256, UnixMs at_ms) {
  std::lock_guard lock(impl_->mutex);
  impl_->db
      ->query("UPDATE web_sessions SET revoked_ms = ? WHERE token_sha256 = ? AND revoked_ms IS NULL")
      .bind(1, at_ms)
      .bind_blob(2, token_sha256)
      .run();
}

std::size_t StationStore::count_live_sessions(UnixMs now_ms, std::int64_t idle_ms) {
  std::lock_guard lock(impl_->mutex);
  auto q = impl_->db->query(
      "SELECT count(*) FROM web_sessions WHERE revoked_ms IS NULL AND expires_ms > ? AND "
      "last_seen_ms + ? > ?");
  q.bind(1, now_ms).bind(2, idle_ms).bind(3, now_ms);
  q.step();
  return static_cast<std::size_t>(q.int64(0));
}

std::vector<WorklistRow> StationStore::worklist(const WorklistQuery& query) {
  std::lock_guard lock(impl_->mutex);
  std::string where = "WHERE 1 = 1";  // a boolean: PostgreSQL refuses a bare 1
  if (query.open_only) where += std::string(" AND a.state IN ") + kOpenStates;
  if (query.tier) where += " AND a.tier = ?";
  if (query.clinic) where += " AND COALESCE(c.clinic, d.clinic, '') = ?";
  if (query.raised_from_ms) where += " AND a.raised_ms >= ?";
  if (query.raised_to_ms) where += " AND a.raised_ms < ?";
  where +=
      " ORDER BY (a.state = 'raised') DESC, CASE a.tier WHEN 'critical' THEN 0 WHEN 'urgent' "
      "THEN 1 WHEN 'routine' THEN 2 ELSE 3 END, a.raised_ms DESC, a.id DESC LIMIT ?";
  auto q = impl_->db->query(impl_->worklist_sql(where));
  int i = 1;
  if (query.tier) q.bind(i++, *query.tier);
  if (query.clinic) q.bind(i++, *query.clinic);
  if (query.raised_from_ms) q.bind(i++, *query.raised_from_ms);
  if (query.raised_to_ms) q.bind(i++, *query.raised_to_ms);
  q.bind(i, static_cast<std::int64_t>(query.limit));
  std::vector<WorklistRow> out;
  while (q.step()) out.push_back(Impl::read_row(q));
  return out;
}

std::optional<WorklistRow> StationStore::worklist_row(std::int64_t alert_id) {
  std::lock_guard lock(impl_->mutex);
  auto q = impl_->db->query(impl_->worklist_sql("WHERE a.id = ?"));
  q.bind(1, alert_id);
  if (!q.step()) return std::nullopt;
  return Impl::read_row(q);
}

std::optional<StudyRow> StationStore::study(std::int64_t study_id) {
  std::lock_guard lock(impl_->mutex);
  return impl_->study_locked(study_id);
}

std::optional<StudyRow> StationStore::previous_study(std::int64_t study_id) {
  std::lock_guard lock(impl_->mutex);
  std::optional<std::int64_t> previous_id;
  {
    auto q = impl_->db->query(
        "SELECT p.id FROM studies s JOIN studies p ON p.patient_id = s.patient_id "
        "WHERE s.id = ? AND s.patient_id <> '' AND p.id <> s.id AND "
        "(COALESCE(p.acquired_at_unix_ms, p.created_ms), p.id) < "
        "(COALESCE(s.acquired_at_unix_ms, s.created_ms), s.id) "
        "ORDER BY COALESCE(p.acquired_at_unix_ms, p.created_ms) DESC, p.id DESC LIMIT 1");
    q.bind(1, study_id);
    if (q.step()) previous_id = q.int64(0);
  }
  if (!previous_id) return std::nullopt;
  return impl_->study_locked(*previous_id);
}

std::vector<std::pair<std::string, std::int64_t>> StationStore::open_alerts_by_tier() {
  std::lock_guard lock(impl_->mutex);
  auto q = impl_->db->query(std::string("SELECT tier, count(*) FROM alerts WHERE state IN ") +
                            kOpenStates + " GROUP BY tier ORDER BY tier");
  std::vector<std::pair<std::string, std::int64_t>> out;
  while (q.step()) out.emplace_back(q.text(0), q.int64(1));
  return out;
}

std::int64_t StationStore::append_audit(UnixMs at_ms, const std::string& actor,
                                        const std::string& action, const std::string& target,
                                        const std::string& detail) {
  std::lock_guard lock(impl_->mutex);
  return impl_->audit(at_ms, actor, action, target, detail);
}

std::vector<AuditRecord> StationStore::audit_log(std::int64_t after_seq, std::size_t limit) {
  std::lock_guard lock(impl_->mutex);
  auto q = impl_->db->query(
      "SELECT seq, at_ms, actor, action, target, detail FROM audit_log WHERE seq > ? "
      "ORDER BY seq LIMIT ?");
  q.bind(1, after_seq).bind(2, static_cast<std::int64_t>(limit));
  std::vector<AuditRecord> out;
  while (q.step()) {
    out.push_back(AuditRecord{q.int64(0), q.int64(1), q.text(2), q.text(3), q.text(4), q.text(5)});
  }
  return out;
}

std::vector<AuditRecord> StationStore::audit_page(const AuditQuery& query, bool* has_more) {
  std::lock_guard lock(impl_->mutex);
  std::string sql = "SELECT seq, at_ms, actor, action, target, detail FROM audit_log WHERE 1 = 1";
  if (!query.user.empty()) sql += " AND actor IN (?, ?, ?)";
  if (!query.action.empty()) sql += " AND action = ?";
  if (!query.target.empty()) sql += " AND target = ?";
  if (query.from_ms) sql += " AND at_ms >= ?";
  if (query.to_ms) sql += " AND at_ms < ?";
  if (query.before_seq) sql += " AND seq < ?";
  sql += " ORDER BY seq DESC LIMIT ?";
  auto q = impl_->db->query(sql);
  int i = 1;
  const std::string station_actor = "station:" + query.user, cli_actor = "cli:" + query.user;
  if (!query.user.empty()) {
    q.bind(i++, query.user);
    q.bind(i++, station_actor);
    q.bind(i++, cli_actor);
  }
  if (!query.action.empty()) q.bind(i++, query.action);
  if (!query.target.empty()) q.bind(i++, query.target);
  if (query.from_ms) q.bind(i++, *query.from_ms);
  if (query.to_ms) q.bind(i++, *query.to_ms);
  if (query.before_seq) q.bind(i++, *query.before_seq);
  q.bind(i, static_cast<std::int64_t>(query.limit + 1));
  std::vector<AuditRecord> out;
  while (q.step()) {
    out.push_back(AuditRecord{q.int64(0), q.int64(1), q.text(2), q.text(3), q.text(4), q.text(5)});
  }
  const bool more = out.size() > query.limit;
  if (more) out.pop_back();
  if (has_more != nullptr) *has_more = more;
  return out;
}

bool StationStore::healthy() {
  std::lock_guard lock(impl_->mutex);
  // Twice: a PostgreSQL connection the server dropped fails its first statement and is opened
  // again before the next (pg.cpp), so a database that is back answers the second.
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      auto q = impl_->db->query("SELECT count(*) FROM schema_migrations");
      return q.step() && q.int64(0) != 0;
    } catch (const Error&) {
    }
  }
  return false;
}

}  // namespace gc::storage
