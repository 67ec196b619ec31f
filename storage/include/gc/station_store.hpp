// station_store — what the reading station reads and writes (schema: migrations 0003_station.sql
// for users and web sessions; the worklist and study views read the ingest tables, the case
// tables of 0002 and, when present, the alert transitions of 0004). Records are plain values;
// password hashing, session policy and roles are the station module's (gc/station.hpp).
//
// StationStore opens its own SQLite connection to the same database file as Store (WAL, busy
// timeout, synchronous=FULL, foreign keys on); open() first runs Store's migrations. Thread-safe:
// calls are serialised by an internal mutex.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gc/storage.hpp"

namespace gc::storage {

struct UserRecord {
  std::string username;
  std::string role;  // cardiologist, coordinator, admin
  std::vector<std::uint8_t> password_hash;  // PBKDF2-HMAC-SHA256, 32 bytes
  std::vector<std::uint8_t> salt;
  int iterations = 0;
  UnixMs created_ms = 0;
  std::optional<UnixMs> disabled_ms;
  int failed_logins = 0;  // in a row
  std::optional<UnixMs> locked_until_ms;
  std::string display_name_zh;          // migration 0008; "" when none was set
  bool must_change_password = false;    // migration 0010: set by a reset, cleared by the owner
  // Migration 0011: how the doctor is reached when paged (a phone number or WeChat Work user
  // id; "" when none was set), carried in the alert webhook for the SMS / WeChat gateway.
  std::string contact;
  std::optional<UnixMs> last_login_ms;  // read only: the user's latest web session
};

// One administrative change to an account (the station's users page, the CLI); each field set
// is applied and audited, all in one transaction.
struct UserChange {
  std::optional<std::string> role;
  std::optional<bool> disabled;  // true: disable (and end its sessions); false: re-enable
  std::optional<std::string> display_name_zh;
  std::optional<std::string> contact;  // "" clears it
  // A new password hash: also clears a lock-out and the failure count and ends the sessions.
  std::optional<std::vector<std::uint8_t>> password_hash;
  std::vector<std::uint8_t> salt;
  int iterations = 0;
  // Whether the owner must choose a new password at the next login (an admin's reset sets it).
  std::optional<bool> must_change_password;
};

// The display-name rule: at most 64 characters (code points), no control characters. Throws
// Error with the reason; insert_user and change_user apply it too.
void check_display_name(const std::string& name);
// The contact rule: at most 64 characters, no control characters. Throws Error with the reason.
void check_contact(const std::string& contact);

enum class UserChangeResult {
  ok,
  not_found,
  last_admin,  // refused: no enabled admin would remain
};

// A page of the audit log, newest first. Filters are exact; an empty filter matches all.
struct AuditQuery {
  std::string user;    // rows whose actor is the user ("station:<user>", "cli:<user>" or bare)
  std::string action;  // e.g. user_add, view_study
  std::string target;  // e.g. a study id, a user name, a patient id searched for
  std::optional<UnixMs> from_ms;           // at_ms >= from_ms
  std::optional<UnixMs> to_ms;             // at_ms < to_ms
  std::optional<std::int64_t> before_seq;  // paging: rows older than this one
  std::size_t limit = 100;
};

struct WebSessionRecord {
  std::vector<std::uint8_t> token_sha256;  // the cookie's token is never stored
  std::string username;
  std::string csrf_token;
  UnixMs created_ms = 0;
  UnixMs last_seen_ms = 0;
  UnixMs expires_ms = 0;  // absolute
  std::optional<UnixMs> revoked_ms;
};

// One row of the live worklist: an alert with its study, case and acknowledgement.
struct WorklistRow {
  std::int64_t alert_id = 0;
  std::int64_t study_id = 0;
  std::optional<std::int64_t> case_id;
  std::string study_uid;
  std::string device_id;
  std::string clinic;  // the case's, else the cart's registration
  std::string patient_id;
  std::optional<int> age_years;
  std::string sex;
  bool chest_pain = false;
  std::string tier;
  std::string category;
  std::string state;
  std::string summary_en;
  std::string summary_zh;
  UnixMs raised_ms = 0;
  // The case's effective FMC (corrected cart time when available), else the study's.
  std::optional<UnixMs> fmc_ms;
  std::optional<std::string> acknowledged_by;  // first acknowledging transition (0004)
  std::optional<UnixMs> acknowledged_ms;
  UnixMs updated_ms = 0;  // latest transition, else raised_ms
};

struct WorklistQuery {
  bool open_only = true;  // raised, acknowledged, confirmed, green_channel
  std::optional<std::string> tier;
  std::optional<std::string> clinic;
  std::optional<UnixMs> raised_from_ms;  // raised_ms >= this
  std::optional<UnixMs> raised_to_ms;    // raised_ms < this
  std::size_t limit = 500;
};

// A study's identity for the viewer (the samples come from Store::load_samples).
struct StudyRow {
  std::int64_t study_id = 0;
  StudyHeader header;
  std::string clinic;  // the cart's registration
  bool complete = false;
  std::optional<std::int64_t> case_id;
  std::optional<UnixMs> fmc_ms;  // as in WorklistRow
};

class StationStore {
 public:
  static std::unique_ptr<StationStore> open(const std::filesystem::path& db_path);
  ~StationStore();
  StationStore(const StationStore&) = delete;
  StationStore& operator=(const StationStore&) = delete;

  // Users. insert_user throws Error on a duplicate or invalid name; each change is audited.
  void insert_user(const UserRecord& user, const std::string& actor);
  std::optional<UserRecord> find_user(const std::string& username);
  std::vector<UserRecord> list_users();
  // true if the user exists (disabled now or already); revokes the user's sessions too.
  bool disable_user(const std::string& username, UnixMs at_ms, const std::string& actor);
  // Applies `change` (audited as user_role, user_disable, user_enable, user_display_name,
  // user_password_reset by `actor`). Refuses, changing nothing, what would leave no enabled admin
  // (disabling or demoting the last one). Throws Error for an invalid role or display name.
  UserChangeResult change_user(const std::string& username, const UserChange& change, UnixMs at_ms,
                               const std::string& actor);
  // A failed login: counts it; at `max_failures` in a row locks the account until
  // at_ms + lockout_ms (and restarts the count). With `audit_detail`, the login_failed audit row
  // is written in the same transaction (one commit, as an unknown user's refusal costs: the
  // answer's time must not tell which names exist). Returns the stored row after the change.
  std::optional<UserRecord> record_login_failure(const std::string& username, UnixMs at_ms,
                                                 int max_failures, std::int64_t lockout_ms,
                                                 const std::string& audit_detail = "");
  void record_login_success(const std::string& username);
  // The user's own new password (the caller verified the current one): stores the hash, clears
  // must_change_password, a lock-out and the failure count, and ends every other session of the
  // user (not `keep_session_sha256`, the one making the change), audited as password_change by
  // `actor`. Returns how many sessions it ended; nullopt for an unknown user.
  std::optional<std::size_t> change_own_password(
      const std::string& username, const std::vector<std::uint8_t>& password_hash,
      const std::vector<std::uint8_t>& salt, int iterations,
      const std::vector<std::uint8_t>& keep_session_sha256, UnixMs at_ms, const std::string& actor);

  // Web sessions.
  void insert_session(const WebSessionRecord& session);
  std::optional<WebSessionRecord> find_session(const std::vector<std::uint8_t>& token_sha256);
  void touch_session(const std::vector<std::uint8_t>& token_sha256, UnixMs last_seen_ms);
  void revoke_session(const std::vector<std::uint8_t>& token_sha256, UnixMs at_ms);
  std::size_t count_live_sessions(UnixMs now_ms, std::int64_t idle_ms);

  // Worklist and viewer.
  std::vector<WorklistRow> worklist(const WorklistQuery& query);
  std::optional<WorklistRow> worklist_row(std::int64_t alert_id);
  std::optional<StudyRow> study(std::int64_t study_id);
  // The patient's latest study acquired before this one (same non-empty patient id).
  std::optional<StudyRow> previous_study(std::int64_t study_id);
  // Open alerts (raised … green_channel) per tier, for /metrics.
  std::vector<std::pair<std::string, std::int64_t>> open_alerts_by_tier();

  // Append-only audit_log.
  std::int64_t append_audit(UnixMs at_ms, const std::string& actor, const std::string& action,
                            const std::string& target, const std::string& detail = {});
  std::vector<AuditRecord> audit_log(std::int64_t after_seq, std::size_t limit);
  // Newest first, at most query.limit rows; has_more tells whether older matching rows follow.
  std::vector<AuditRecord> audit_page(const AuditQuery& query, bool* has_more = nullptr);

  // A cheap query that fails when the database is unusable (for /healthz).
  bool healthy();

 private:
  struct Impl;
  explicit StationStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gc::storage
