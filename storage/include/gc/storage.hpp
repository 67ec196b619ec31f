// storage — the durable record of everything greenchannel receives and decides. SQLite (WAL,
// synchronous=FULL, foreign keys on) by default, or PostgreSQL when opened with a postgresql://
// URI (synchronous_commit=on); the schema as versioned SQL migrations per dialect in
// storage/migrations/ and storage/migrations/postgresql/. Samples are stored exactly as received
// (integers + resolution); events and audit rows are append-only, enforced by the database. The
// stores are written once over a small database interface (storage/src/db.hpp).
//
// Thread-safety: every Store method may be called from any thread; the SQLite implementation
// serialises them with an internal mutex (one connection per Store). The slow part of
// verify_device (PBKDF2) runs outside that mutex so a hello does not stall chunk commits.
// Several processes may open the same database (WAL + busy timeout), e.g. `greenchannel device
// add` while `serve` runs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace gc::storage {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Milliseconds since the Unix epoch, UTC.
using UnixMs = std::int64_t;

// A timestamp that keeps where it came from: "cart", "server", "station:<user>", "cli", ...
struct Stamp {
  UnixMs unix_ms = 0;
  std::string source;
  std::string clock;  // the clock that produced it ("cart", "server"); corrected times say so
};

struct DeviceInfo {
  std::string device_id;
  std::string clinic;
  UnixMs created_ms = 0;
  bool revoked = false;
};

struct NewDevice {
  std::string device_id;
  std::string secret;  // shown once; only a salted PBKDF2 hash is stored
};

// Where a study came from when a cart agent read it from a file (issue 13): as the file states it.
struct StudySource {
  std::string format;     // "DICOM", "HL7 aECG", "SCP-ECG", "GE MUSE XML", …, "WFDB"
  std::string file_name;  // the file's name in the cart's export folder (no directory)
  std::string manufacturer;
  std::string model;
  std::string serial_number;
  std::string software;
  bool operator==(const StudySource&) const = default;
};

struct StudyHeader {
  std::string device_id;
  std::string study_uid;
  std::vector<std::string> leads;
  std::uint32_t sample_rate_hz = 0;
  double resolution_nv_per_lsb = 0;
  bool derive_limb_leads = false;
  std::string patient_id;
  std::optional<int> age_years;
  std::string sex;  // "M", "F" or ""
  bool chest_pain = false;
  std::optional<Stamp> symptom_onset;
  std::optional<Stamp> first_medical_contact;
  std::optional<Stamp> acquired_at;
  std::uint64_t expected_samples_per_lead = 0;
  std::optional<StudySource> source;  // nullopt: streamed by a cart speaking the protocol itself
};

struct StudyState {
  std::int64_t study_id = 0;  // database key
  StudyHeader header;
  std::uint64_t next_sequence = 0;  // all chunks below are stored
  bool complete = false;
  // Samples per lead stored so far: the first_sample_index the next chunk must carry.
  std::uint64_t received_samples_per_lead = 0;
  bool expired = false;  // left open too long (expire_open_studies): never resumed
};

struct Chunk {
  std::uint64_t sequence = 0;
  std::uint64_t first_sample_index = 0;
  std::vector<std::int32_t> samples;  // interleaved by sample: n_leads × n
};

// All of a study's samples, de-interleaved: [lead][sample], integers exactly as received.
struct StudySamples {
  StudyHeader header;
  std::vector<std::vector<std::int32_t>> samples;
};

struct AlertRecord {
  std::int64_t alert_id = 0;
  std::int64_t study_id = 0;
  std::string tier;       // critical, urgent, routine
  std::string category;   // stemi, ...
  std::string summary_en;
  std::string summary_zh;
  std::string state;      // raised, acknowledged, confirmed, rejected, green_channel, closed
  UnixMs raised_ms = 0;
};

struct EventRecord {
  std::int64_t seq = 0;
  std::optional<std::int64_t> study_id;
  std::string kind;       // e.g. ecg_received, ecg_transmitted, analysis_done, alert_raised, fmc
  Stamp at;               // when it happened, by its source's clock
  std::optional<UnixMs> corrected_unix_ms;  // cart times corrected by the measured offset
  UnixMs recorded_ms = 0;                   // server clock when recorded
  std::string detail_json;  // a JSON object; empty means {}
  std::string actor;        // who recorded it (user, device id, "server"); may be empty
  // A correction names the event it corrects; the corrected event is never changed.
  std::optional<std::int64_t> corrects_seq;
};

struct AuditRecord {
  std::int64_t seq = 0;
  UnixMs at_ms = 0;
  std::string actor;   // "cli:<user>", "serve", "station:<user>"
  std::string action;  // device_add, device_revoke, ...
  std::string target;  // what it acted on, e.g. a device id
  std::string detail;
};

// Result of appending a chunk: stored now, or a duplicate of a stored one (idempotent resend).
enum class AppendResult { stored, duplicate };

// Per-chunk outcome of a group commit: a rejected chunk (gap, conflicting resend, wrong size,
// unknown or completed study) is not stored and does not prevent the others from being stored.
struct ChunkOutcome {
  enum class Status { stored, duplicate, rejected };
  Status status = Status::rejected;
  std::string error;  // why it was rejected; empty otherwise
};

struct OpenOptions {
  // PRAGMA quick_check on open (O(database size); skip only for short-lived tools).
  bool quick_check = true;
  // How long a writer waits for another process's write lock before failing.
  int busy_timeout_ms = 5000;
  // Copy the WAL into the database from a background thread (own connection) instead of inside
  // whichever commit crosses SQLite's auto-checkpoint threshold: keeps commit latency flat.
  bool background_checkpoint = true;
  // Written to the audit log for device changes made through this Store.
  std::string audit_actor = "greenchannel";
  // A SQLite database an older version wrote is copied (backup_before_upgrade, gc/backup.hpp)
  // before its migrations run, into upgrade_backup_dir (empty: DB-DIR/backups); without a copy
  // it is not migrated. on_upgrade_backup receives the line describing the copy (default: the
  // standard error stream).
  bool backup_before_upgrade = true;
  std::filesystem::path upgrade_backup_dir;
  std::function<void(const std::string&)> on_upgrade_backup;
};

class Store {
 public:
  // Opens (creating if needed) the database, applies pending migrations, refuses a database
  // newer than this build. Throws Error with a clear message. `db_path` is a SQLite file or a
  // PostgreSQL URI (postgresql://user@host:port/dbname; the password from PGPASSWORD or
  // ~/.pgpass, never the URI; sslmode as the URI says). PostgreSQL ignores the SQLite-only
  // options (quick_check, busy_timeout_ms, background_checkpoint).
  static std::unique_ptr<Store> open(const std::filesystem::path& db_path);
  static std::unique_ptr<Store> open(const std::filesystem::path& db_path,
                                     const OpenOptions& options);
  // The schema version this build creates and understands.
  static int latest_schema_version();
  virtual ~Store() = default;

  virtual int schema_version() = 0;

  // Devices (carts).
  // An empty device_id generates "cart-" + 8 random hex digits; an existing id throws. The
  // secret is 32 random bytes, base64url (43 characters); only PBKDF2-HMAC-SHA256 (random 16-byte
  // salt, 100,000 iterations, count stored per device) is kept.
  virtual NewDevice add_device(const std::string& clinic, const std::string& device_id = "") = 0;
  // false for an unknown or revoked device or a wrong secret. The first success per device and
  // secret costs one PBKDF2 (tens of ms); later calls in the same process hit an in-memory cache
  // keyed to the stored hash, so a revocation or re-registration (even by another process) is
  // seen at once.
  virtual bool verify_device(const std::string& device_id, const std::string& secret) = 0;
  virtual std::vector<DeviceInfo> list_devices() = 0;
  // true if a device with this id was ever registered (revoked or not): one indexed lookup, no
  // PBKDF2 — lets ingest key its authentication throttle by device rather than by address.
  virtual bool device_exists(const std::string& device_id) = 0;
  // true if the device exists (it is revoked now, or already was); false if unknown.
  virtual bool revoke_device(const std::string& device_id) = 0;

  // Studies and samples. begin_study is idempotent for the same (device, uid) and header; a
  // different header for an existing uid throws.
  virtual StudyState begin_study(const StudyHeader& header) = 0;
  virtual std::optional<StudyState> find_study(const std::string& device_id,
                                               const std::string& study_uid) = 0;
  // Incomplete, not expired studies, oldest first.
  virtual std::vector<StudyState> open_studies(const std::string& device_id) = 0;
  // The cart's open studies begun before `created_before_ms` expire now (one transaction, a
  // "study_expired" event each, by the server's clock `now_ms`). Returns their uids, oldest first.
  virtual std::vector<std::string> expire_open_studies(const std::string& device_id,
                                                       UnixMs created_before_ms, UnixMs now_ms) = 0;
  // Durable when it returns (the transaction commits with synchronous=FULL). A chunk whose
  // sequence is already stored is a duplicate (not stored again) if it is byte-identical to the
  // stored one, else it throws ("conflicting resend"). Chunks must arrive in order: a sequence
  // above next_sequence throws ("gap"). Also refused: no samples, a count that is not a multiple
  // of the study's lead count, first_sample_index != received_samples_per_lead, a completed
  // study, an unknown study. expected_samples_per_lead is informational (not enforced here:
  // per-study limits are the ingest server's).
  virtual AppendResult append_chunk(std::int64_t study_id, const Chunk& chunk) = 0;
  // Several chunks (possibly of several studies) in one transaction (group commit).
  // All or nothing: if any chunk would be rejected, throws Error naming it and stores none.
  virtual std::vector<AppendResult> append_chunks(
      const std::vector<std::pair<std::int64_t, Chunk>>& chunks) = 0;
  // Group commit for the ingest server: one transaction, one outcome per chunk (in order);
  // rejected chunks are skipped, the others are durable when it returns. Throws Error only
  // when the database itself fails (then nothing of the batch is stored).
  virtual std::vector<ChunkOutcome> append_chunks_each(
      const std::vector<std::pair<std::int64_t, Chunk>>& chunks);
  virtual std::optional<StudyState> get_study(std::int64_t study_id);
  // Recomputes the CRC over the stored bytes and checks the announced count against what is
  // stored; on mismatch throws and the study stays open (resumable). Idempotent for a resent
  // identical study end.
  virtual void complete_study(std::int64_t study_id, std::uint64_t total_samples_per_lead,
                              std::uint32_t samples_crc32) = 0;
  virtual StudySamples load_samples(std::int64_t study_id) = 0;

  // Analyses, alerts, events.
  virtual std::int64_t save_analysis(std::int64_t study_id, const std::string& category,
                                     const std::string& tier, const std::string& json) = 0;
  virtual std::optional<std::string> analysis_json(std::int64_t study_id) = 0;
  // raised_ms 0 means "now" and an empty state means "raised".
  virtual std::int64_t raise_alert(const AlertRecord& alert) = 0;
  // The study's first alert, or nothing when it already has one: the check and the insert are
  // one step across every node on the database (on PostgreSQL the study's row is locked first,
  // so two nodes analysing the same study after a failover raise one alert between them).
  virtual std::optional<std::int64_t> raise_alert_once(const AlertRecord& alert) = 0;
  virtual std::vector<AlertRecord> alerts_for_study(std::int64_t study_id) = 0;
  // recorded_ms is set by the store (server clock); the caller's value is ignored.
  virtual std::int64_t append_event(const EventRecord& event) = 0;
  virtual std::vector<EventRecord> events_for_study(std::int64_t study_id) = 0;
  // Events with seq > after_seq, oldest first (live feeds, reports); at most `limit`.
  virtual std::vector<EventRecord> events_after(std::int64_t after_seq, std::size_t limit);
  // The newest event's seq (0 when there is none): where a live feed starts.
  virtual std::int64_t last_event_seq();

  // Append-only audit log (who changed what).
  virtual std::int64_t append_audit(const std::string& actor, const std::string& action,
                                    const std::string& target, const std::string& detail);
  virtual std::vector<AuditRecord> audit_log(std::int64_t after_seq, std::size_t limit);

  // Runs body() with every write it makes through this Store in ONE transaction (one fsync for
  // many small writes: the ingest server's group commit of chunks, study starts and ends).
  // Nothing body writes is durable before write_batch returns; if it throws, nothing body wrote
  // is stored. A Store method that throws inside body undoes only its own writes. Other threads'
  // calls on this Store wait until the batch ends. body must not use other connections to the
  // same database (they would wait for this transaction's write lock). The default runs body()
  // without grouping (each write commits on its own).
  virtual void write_batch(const std::function<void()>& body);

  // Flushes the WAL into the main database file (used on clean shutdown). A checkpoint that
  // another connection's open read blocks is not an error (SQLite finishes it later).
  virtual void checkpoint() = 0;
};

// CRC-32 (IEEE) over int32 samples as 4-byte little-endian values, the protocol's checksum.
std::uint32_t samples_crc32(const std::vector<std::int32_t>& interleaved, std::uint32_t crc = 0);

UnixMs now_unix_ms();

// true for a PostgreSQL connection URI ("postgresql://…" or "postgres://…"). Store::open and the
// other stores' open() take either a SQLite file path or such a URI (passed as the path).
bool is_postgresql_uri(const std::string& db);

// A database named for messages and logs: the file path, or the URI without any password (nor
// its query parameters).
std::string describe_database(const std::filesystem::path& db);

// A time that can have happened for a record made at `reference_ms` (the server's clock when it was
// recorded): not more than kMaxPastMs before it (a case is documented within the year) nor more
// than kMaxFutureMs after it (clock skew). nullopt when plausible, else why — with the value as an
// ISO date, e.g. "10000-01-01T00:00:00Z is after 2026-12-04T06:00:00Z (1 day after recording)".
inline constexpr UnixMs kMaxPastMs = 366LL * 24 * 3600 * 1000;
inline constexpr UnixMs kMaxFutureMs = 24LL * 3600 * 1000;
std::optional<std::string> implausible_time(UnixMs at_ms, UnixMs reference_ms);

}  // namespace gc::storage
