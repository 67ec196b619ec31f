// The SQLite implementation of gc::storage::Store: one connection, serialised by a mutex,
// WAL + synchronous=FULL so a returned write survives power loss, schema from the embedded
// migrations.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include "companion.hpp"
#include "gc/backup.hpp"
#include "credentials.hpp"
#include "gc/storage.hpp"
#include "migrations.hpp"
#include "pg.hpp"
#include "samples_codec.hpp"
#include "sqlite.hpp"

namespace gc::storage {

namespace {

using Db = db::Connection;
using db::Query;
using db::Transaction;

constexpr std::uint64_t kMaxI64 = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
constexpr std::size_t kMaxDeviceIdChars = 64;
constexpr std::size_t kMaxStudyUidChars = 128;
constexpr int kMaxAgeYears = 150;

std::int64_t checked_i64(std::uint64_t v, const char* what) {
  if (v > kMaxI64) throw Error(std::string(what) + " " + std::to_string(v) + " is too large");
  return static_cast<std::int64_t>(v);
}

bool valid_device_id(const std::string& id) {
  if (id.empty() || id.size() > kMaxDeviceIdChars) return false;
  return std::all_of(id.begin(), id.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '-' || ch == '_' || ch == '.';
  });
}

void validate_header(const StudyHeader& h) {
  const std::string where = "study '" + h.study_uid + "': ";
  if (h.device_id.empty()) throw Error(where + "device id is empty");
  if (h.study_uid.empty() || h.study_uid.size() > kMaxStudyUidChars) {
    throw Error(where + "study UID must be 1.." + std::to_string(kMaxStudyUidChars) + " bytes");
  }
  if (h.leads.empty()) throw Error(where + "the lead list is empty");
  for (std::size_t i = 0; i < h.leads.size(); ++i) {
    if (h.leads[i].empty()) throw Error(where + "lead " + std::to_string(i) + " has no name");
    for (std::size_t j = 0; j < i; ++j) {
      if (h.leads[j] == h.leads[i]) throw Error(where + "lead " + h.leads[i] + " is listed twice");
    }
  }
  if (h.sample_rate_hz == 0) throw Error(where + "sample rate is zero");
  if (!std::isfinite(h.resolution_nv_per_lsb) || h.resolution_nv_per_lsb <= 0) {
    throw Error(where + "resolution must be a positive number of nV per LSB");
  }
  if (h.sex != "" && h.sex != "M" && h.sex != "F") {
    throw Error(where + "sex must be M, F or empty, not '" + h.sex + "'");
  }
  if (h.age_years && (*h.age_years < 0 || *h.age_years > kMaxAgeYears)) {
    throw Error(where + "age " + std::to_string(*h.age_years) + " years is not plausible");
  }
  checked_i64(h.expected_samples_per_lead, "expected samples per lead");
}

bool same_stamp(const std::optional<Stamp>& a, const std::optional<Stamp>& b) {
  if (a.has_value() != b.has_value()) return false;
  return !a || (a->unix_ms == b->unix_ms && a->source == b->source && a->clock == b->clock);
}

// The first field in which two headers differ, or empty if they are the same.
std::string header_difference(const StudyHeader& a, const StudyHeader& b) {
  if (a.leads != b.leads) return "leads";
  if (a.sample_rate_hz != b.sample_rate_hz) return "sample_rate_hz";
  if (a.resolution_nv_per_lsb != b.resolution_nv_per_lsb) return "resolution_nv_per_lsb";
  if (a.derive_limb_leads != b.derive_limb_leads) return "derive_limb_leads";
  if (a.patient_id != b.patient_id) return "patient_id";
  if (a.age_years != b.age_years) return "age_years";
  if (a.sex != b.sex) return "sex";
  if (a.chest_pain != b.chest_pain) return "chest_pain";
  if (!same_stamp(a.symptom_onset, b.symptom_onset)) return "symptom_onset";
  if (!same_stamp(a.first_medical_contact, b.first_medical_contact)) return "first_medical_contact";
  if (!same_stamp(a.acquired_at, b.acquired_at)) return "acquired_at";
  if (a.expected_samples_per_lead != b.expected_samples_per_lead) return "expected_samples_per_lead";
  if (a.source && b.source && *a.source != *b.source) return "source";
  return {};
}

void bind_stamp(Query& q, int index, const std::optional<Stamp>& s) {
  if (s) {
    q.bind(index, s->unix_ms).bind(index + 1, s->source).bind(index + 2, s->clock);
  } else {
    q.bind_null(index).bind_null(index + 1).bind_null(index + 2);
  }
}

std::optional<Stamp> read_stamp(const Query& q, int col) {
  if (q.is_null(col)) return std::nullopt;
  return Stamp{q.int64(col), q.text(col + 1), q.text(col + 2)};
}

const std::string kStudyColumns =
    "id, device_id, study_uid, sample_rate_hz, resolution_nv_per_lsb, derive_limb_leads, "
    "patient_id, age_years, sex, chest_pain, "
    "symptom_onset_unix_ms, symptom_onset_source, symptom_onset_clock, "
    "fmc_unix_ms, fmc_source, fmc_clock, "
    "acquired_at_unix_ms, acquired_at_source, acquired_at_clock, "
    "expected_samples_per_lead, next_sequence, complete, received_samples_per_lead, expired_ms";

StudyState read_study_row(const Query& q) {
  StudyState s;
  s.study_id = q.int64(0);
  StudyHeader& h = s.header;
  h.device_id = q.text(1);
  h.study_uid = q.text(2);
  h.sample_rate_hz = static_cast<std::uint32_t>(q.int64(3));
  h.resolution_nv_per_lsb = q.real(4);
  h.derive_limb_leads = q.int64(5) != 0;
  h.patient_id = q.text(6);
  if (!q.is_null(7)) h.age_years = static_cast<int>(q.int64(7));
  h.sex = q.text(8);
  h.chest_pain = q.int64(9) != 0;
  h.symptom_onset = read_stamp(q, 10);
  h.first_medical_contact = read_stamp(q, 13);
  h.acquired_at = read_stamp(q, 16);
  h.expected_samples_per_lead = static_cast<std::uint64_t>(q.int64(19));
  s.next_sequence = static_cast<std::uint64_t>(q.int64(20));
  s.complete = q.int64(21) != 0;
  s.received_samples_per_lead = static_cast<std::uint64_t>(q.int64(22));
  s.expired = !q.is_null(23);
  return s;
}

EventRecord read_event_row(const Query& q) {
  EventRecord e;
  e.seq = q.int64(0);
  e.study_id = q.opt_int64(1);
  e.kind = q.text(2);
  e.at = Stamp{q.int64(3), q.text(4), q.text(5)};
  e.corrected_unix_ms = q.opt_int64(6);
  e.recorded_ms = q.int64(7);
  e.actor = q.text(8);
  e.corrects_seq = q.opt_int64(9);
  e.detail_json = q.text(10);
  return e;
}

const std::string kEventColumns =
    "seq, study_id, kind, at_unix_ms, at_source, at_clock, corrected_unix_ms, recorded_ms, "
    "actor, corrects_seq, detail_json";

// Where a study stands while a batch of chunks is applied (written back once per batch).
struct Cursor {
  std::int64_t n_leads = 0;
  std::int64_t next_sequence = 0;
  std::int64_t received_samples_per_lead = 0;
  bool complete = false;
  bool dirty = false;
};

// Patient context and credential hashes: a new database is readable by its owner only (SQLite
// would use 0644; it gives the -wal and -shm files the database file's mode).
void create_private_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
  } else if (errno != EEXIST) {
    throw Error("cannot create " + path.string() + ": " + std::strerror(errno));
  }
}

// A JSON string literal, escaped as SQLite's json_object escapes it.
std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

ChunkOutcome rejected(std::string why) {
  return ChunkOutcome{ChunkOutcome::Status::rejected, std::move(why)};
}

// The SQLite connection of a Store: WAL + synchronous=FULL (a returned write survives power
// loss), foreign keys on, the write lock waited for up to busy_timeout_ms.
std::unique_ptr<sqlite::Db> open_sqlite(const std::filesystem::path& path,
                                        const OpenOptions& options) {
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  create_private_file(path);
  auto db = std::make_unique<sqlite::Db>(path);
  sqlite3_busy_timeout(db->handle(), options.busy_timeout_ms);
  db->exec("PRAGMA foreign_keys = ON");
  if (db->pragma_text("PRAGMA foreign_keys") != "1") {
    throw Error("this SQLite build cannot enforce foreign keys");
  }
  const std::string mode = db->pragma_text("PRAGMA journal_mode = WAL");
  if (mode != "wal") throw Error("cannot switch to WAL journal mode (got '" + mode + "')");
  db->exec("PRAGMA synchronous = FULL");
  // After a checkpoint, shrink the WAL file back to this size instead of keeping its peak.
  db->exec("PRAGMA journal_size_limit = 67108864");
  if (options.background_checkpoint) {
    // The checkpointer thread copies the WAL into the database continuously, but while
    // commits keep coming it never catches up completely, so the WAL is never restarted and
    // grows (measured: to ~200 MB in 8 s at 2,000 carts), every fsync extending the file.
    // After a commit that leaves this many pages (16 MiB) the writer itself checkpoints
    // (PASSIVE): it copies only what the thread has not yet copied (≤ one interval), and the
    // next commit restarts the WAL from its beginning, so it is rewritten in place.
    db->exec("PRAGMA wal_autocheckpoint = 4096");
  }
  if (options.quick_check) {
    const std::string check = db->pragma_text("PRAGMA quick_check");
    if (check != "ok") throw Error("integrity check failed: " + check);
  }
  return db;
}

// The Store, written once over the database interface (db.hpp) for every backend. What only
// SQLite has (the WAL checkpointer, PRAGMAs) is behind db_->dialect().
class SqlStore final : public Store {
 public:
  // `sqlite_path`: the file, for the checkpointer's own connection (SQLite only).
  SqlStore(std::unique_ptr<Db> db, const OpenOptions& options, std::filesystem::path sqlite_path)
      : path_(std::move(sqlite_path)), options_(options), db_(std::move(db)) {
    detail::migrate(*db_, detail::migrations(db_->dialect()));
    cache_key_ = credentials::random_bytes(32);
    if (db_->dialect() == db::Dialect::sqlite && options.background_checkpoint) {
      checkpointer_ = std::thread([this] { checkpoint_loop(); });
    }
  }

  ~SqlStore() override {
    if (checkpointer_.joinable()) {
      {
        std::lock_guard lock(checkpoint_mu_);
        stopping_ = true;
      }
      checkpoint_cv_.notify_all();
      checkpointer_.join();
    }
  }

  int schema_version() override {
    std::lock_guard lock(mu_);
    return detail::schema_version(*db_);
  }

  // --- devices -----------------------------------------------------------------------------

  NewDevice add_device(const std::string& clinic, const std::string& device_id) override {
    if (clinic.empty()) throw Error("a device needs a clinic name");
    if (!device_id.empty() && !valid_device_id(device_id)) {
      throw Error("device id '" + device_id + "' must be 1.." + std::to_string(kMaxDeviceIdChars) +
                  " characters from A-Z a-z 0-9 . _ -");
    }
    NewDevice out;
    out.secret = credentials::base64url(credentials::random_bytes(credentials::kSecretBytes));
    const auto salt = credentials::random_bytes(credentials::kSaltBytes);
    // Slow on purpose: computed before taking the lock so chunk commits are not held up.
    const auto hash = credentials::pbkdf2_sha256(out.secret, salt, credentials::kPbkdf2Iterations);

    std::lock_guard lock(mu_);
    Transaction tx(*db_);
    if (device_id.empty()) {
      // 32 random bits: a clash is unlikely but checked; retry a few times rather than fail.
      for (int attempt = 0; attempt < 8 && out.device_id.empty(); ++attempt) {
        std::string candidate = "cart-" + credentials::hex(credentials::random_bytes(4));
        if (!device_exists_locked(candidate)) out.device_id = std::move(candidate);
      }
      if (out.device_id.empty()) throw Error("could not generate an unused device id");
    } else {
      if (device_exists_locked(device_id)) throw Error("device '" + device_id + "' already exists");
      out.device_id = device_id;
    }
    const UnixMs now = now_unix_ms();
    db_->query(
           "INSERT INTO devices (device_id, clinic, hash_algorithm, secret_hash, salt, iterations, "
           "created_ms) VALUES (?, ?, 'pbkdf2-hmac-sha256', ?, ?, ?, ?)")
        .bind(1, out.device_id)
        .bind(2, clinic)
        .bind_blob(3, hash)
        .bind_blob(4, salt)
        .bind(5, std::int64_t{credentials::kPbkdf2Iterations})
        .bind(6, now)
        .run();
    audit_locked(now, options_.audit_actor, "device_add", out.device_id, "clinic=" + clinic);
    tx.commit();
    return out;
  }

  bool device_exists(const std::string& device_id) override {
    std::lock_guard lock(mu_);
    return device_exists_locked(device_id);
  }

  bool verify_device(const std::string& device_id, const std::string& secret) override {
    if (device_id.empty() || secret.empty()) return false;
    std::vector<std::uint8_t> hash;
    std::vector<std::uint8_t> salt;
    std::int64_t iterations = 0;
    {
      std::lock_guard lock(mu_);
      auto q = db_->query(
          "SELECT secret_hash, salt, iterations, revoked_ms FROM devices WHERE device_id = ?");
      q.bind(1, device_id);
      if (!q.step() || !q.is_null(3)) return false;  // unknown or revoked
      hash = q.blob(0);
      salt = q.blob(1);
      iterations = q.int64(2);
      // Cache hit: this exact secret already passed PBKDF2 against this exact stored hash
      // (a re-registered or revoked device has a different row, so the entry no longer applies).
      const auto it = verified_.find(device_id);
      if (it != verified_.end() && it->second.secret_hash == hash) {
        return credentials::equal_constant_time(credentials::hmac_sha256(cache_key_, secret),
                                                it->second.digest);
      }
    }
    if (iterations <= 0 || iterations > std::numeric_limits<int>::max()) return false;
    const auto derived = credentials::pbkdf2_sha256(secret, salt, static_cast<int>(iterations));
    if (!credentials::equal_constant_time(derived, hash)) return false;
    std::lock_guard lock(mu_);
    verified_[device_id] = Verified{hash, credentials::hmac_sha256(cache_key_, secret)};
    return true;
  }

  std::vector<DeviceInfo> list_devices() override {
    std::lock_guard lock(mu_);
    std::vector<DeviceInfo> out;
    auto q = db_->query(
        "SELECT device_id, clinic, created_ms, revoked_ms FROM devices ORDER BY created_ms, "
        "device_id");
    while (q.step()) {
      out.push_back(DeviceInfo{q.text(0), q.text(1), q.int64(2), !q.is_null(3)});
    }
    return out;
  }

  bool revoke_device(const std::string& device_id) override {
    std::lock_guard lock(mu_);
    Transaction tx(*db_);
    if (!device_exists_locked(device_id)) return false;
    const UnixMs now = now_unix_ms();
    db_->query("UPDATE devices SET revoked_ms = ? WHERE device_id = ? AND revoked_ms IS NULL")
        .bind(1, now)
        .bind(2, device_id)
        .run();
    if (db_->changes() == 1) {
      audit_locked(now, options_.audit_actor, "device_revoke", device_id, "");
    }
    tx.commit();
    verified_.erase(device_id);
    return true;
  }

  // --- studies -----------------------------------------------------------------------------

  StudyState begin_study(const StudyHeader& h) override {
    validate_header(h);
    std::lock_guard lock(mu_);
    Transaction tx(*db_);
    if (auto existing = find_study_locked(h.device_id, h.study_uid)) {
      const std::string diff = header_difference(existing->header, h);
      if (!diff.empty()) {
        throw Error("study '" + h.study_uid + "' of device '" + h.device_id +
                    "' already exists with a different " + diff);
      }
      return *existing;
    }
    {
      auto q = db_->query("SELECT revoked_ms FROM devices WHERE device_id = ?");
      q.bind(1, h.device_id);
      if (!q.step()) throw Error("unknown device '" + h.device_id + "'");
      if (!q.is_null(0)) throw Error("device '" + h.device_id + "' is revoked");
    }
    auto q = db_->query(
        "INSERT INTO studies (device_id, study_uid, n_leads, sample_rate_hz, "
        "resolution_nv_per_lsb, derive_limb_leads, patient_id, age_years, sex, chest_pain, "
        "symptom_onset_unix_ms, symptom_onset_source, symptom_onset_clock, "
        "fmc_unix_ms, fmc_source, fmc_clock, acquired_at_unix_ms, acquired_at_source, "
        "acquired_at_clock, expected_samples_per_lead, created_ms) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id");
    q.bind(1, h.device_id)
        .bind(2, h.study_uid)
        .bind(3, static_cast<std::int64_t>(h.leads.size()))
        .bind(4, std::int64_t{h.sample_rate_hz})
        .bind(5, h.resolution_nv_per_lsb)
        .bind(6, std::int64_t{h.derive_limb_leads ? 1 : 0})
        .bind(7, h.patient_id);
    if (h.age_years) {
      q.bind(8, std::int64_t{*h.age_years});
    } else {
      q.bind_null(8);
    }
    q.bind(9, h.sex).bind(10, std::int64_t{h.chest_pain ? 1 : 0});
    bind_stamp(q, 11, h.symptom_onset);
    bind_stamp(q, 14, h.first_medical_contact);
    bind_stamp(q, 17, h.acquired_at);
    q.bind(20, checked_i64(h.expected_samples_per_lead, "expected samples per lead"))
        .bind(21, now_unix_ms());
    const std::int64_t id = q.run_returning_id();
    if (h.source) {
      db_->query(
             "UPDATE studies SET source_format = ?, source_file = ?, source_manufacturer = ?, "
             "source_model = ?, source_serial = ?, source_software = ? WHERE id = ?")
          .bind(1, h.source->format)
          .bind(2, h.source->file_name)
          .bind(3, h.source->manufacturer)
          .bind(4, h.source->model)
          .bind(5, h.source->serial_number)
          .bind(6, h.source->software)
          .bind(7, id)
          .run();
    }
    for (std::size_t i = 0; i < h.leads.size(); ++i) {
      db_->query("INSERT INTO study_leads (study_id, position, lead) VALUES (?, ?, ?)")
          .bind(1, id)
          .bind(2, static_cast<std::int64_t>(i))
          .bind(3, h.leads[i])
          .run();
    }
    tx.commit();
    return *get_study_locked(id);
  }

  std::optional<StudyState> find_study(const std::string& device_id,
                                       const std::string& study_uid) override {
    std::lock_guard lock(mu_);
    return find_study_locked(device_id, study_uid);
  }

  std::optional<StudyState> get_study(std::int64_t study_id) override {
    std::lock_guard lock(mu_);
    return get_study_locked(study_id);
  }

  std::vector<StudyState> open_studies(const std::string& device_id) override {
    std::lock_guard lock(mu_);
    std::vector<std::int64_t> ids;
    {
      auto q = db_->query(
          "SELECT id FROM studies WHERE device_id = ? AND complete = 0 AND expired_ms IS NULL "
          "ORDER BY id");
      q.bind(1, device_id);
      while (q.step()) ids.push_back(q.int64(0));
    }
    std::vector<StudyState> out;
    for (const auto id : ids) out.push_back(*get_study_locked(id));
    return out;
  }

  std::vector<std::string> expire_open_studies(const std::string& device_id,
                                               UnixMs created_before_ms, UnixMs now_ms) override {
    std::lock_guard lock(mu_);
    Transaction tx(*db_);
    struct Expiring {
      std::int64_t id;
      std::string uid;
      std::string detail_json;
    };
    std::vector<Expiring> expiring;
    {
      auto q = db_->query(
          "SELECT id, study_uid, device_id, created_ms, next_sequence, "
          "received_samples_per_lead FROM studies "
          "WHERE device_id = ? AND complete = 0 AND expired_ms IS NULL AND created_ms < ? "
          "ORDER BY id");
      q.bind(1, device_id).bind(2, created_before_ms);
      while (q.step()) {
        // Built here rather than by SQL: JSON functions differ between the backends.
        const std::string detail = "{\"study_uid\":" + json_string(q.text(1)) +
                                   ",\"device_id\":" + json_string(q.text(2)) +
                                   ",\"created_ms\":" + std::to_string(q.int64(3)) +
                                   ",\"chunks_stored\":" + std::to_string(q.int64(4)) +
                                   ",\"samples_per_lead_stored\":" + std::to_string(q.int64(5)) +
                                   "}";
        expiring.push_back(Expiring{q.int64(0), q.text(1), detail});
      }
    }
    std::vector<std::string> uids;
    for (const auto& e : expiring) {
      db_->query("UPDATE studies SET expired_ms = ? WHERE id = ?")
          .bind(1, now_ms)
          .bind(2, e.id)
          .run();
      EventRecord event;
      event.study_id = e.id;
      event.kind = "study_expired";
      event.at = Stamp{now_ms, "server", "server"};
      event.recorded_ms = now_ms;
      event.actor = "server";
      event.detail_json = e.detail_json;
      detail::append_event_row(*db_, event);
      uids.push_back(e.uid);
    }
    tx.commit();
    return uids;
  }

  // --- chunks ------------------------------------------------------------------------------

  AppendResult append_chunk(std::int64_t study_id, const Chunk& chunk) override {
    return append_chunks({{study_id, chunk}}).front();
  }

  std::vector<AppendResult> append_chunks(
      const std::vector<std::pair<std::int64_t, Chunk>>& chunks) override {
    const auto outcomes = append_batch(chunks, /*all_or_nothing=*/true);
    std::vector<AppendResult> out;
    out.reserve(outcomes.size());
    for (const auto& o : outcomes) {
      out.push_back(o.status == ChunkOutcome::Status::stored ? AppendResult::stored
                                                              : AppendResult::duplicate);
    }
    return out;
  }

  std::vector<ChunkOutcome> append_chunks_each(
      const std::vector<std::pair<std::int64_t, Chunk>>& chunks) override {
    return append_batch(chunks, /*all_or_nothing=*/false);
  }

  void complete_study(std::int64_t study_id, std::uint64_t total_samples_per_lead,
                      std::uint32_t samples_crc32) override {
    std::lock_guard lock(mu_);
    Transaction tx(*db_);
    const std::string where = "study " + std::to_string(study_id) + ": ";
    std::int64_t next_sequence = 0;
    std::int64_t received = 0;
    {
      auto q = db_->query(
          "SELECT next_sequence, received_samples_per_lead, complete, total_samples_per_lead, "
          "samples_crc32 FROM studies WHERE id = ?");
      q.bind(1, study_id);
      if (!q.step()) throw Error(where + "no such study");
      next_sequence = q.int64(0);
      received = q.int64(1);
      if (q.int64(2) != 0) {
        // Idempotent for a resent study end; a different claim about a closed study is an error.
        if (static_cast<std::uint64_t>(q.int64(3)) == total_samples_per_lead &&
            static_cast<std::uint32_t>(q.int64(4)) == samples_crc32) {
          return;
        }
        throw Error(where + "already complete with a different sample count or checksum");
      }
    }
    if (total_samples_per_lead != static_cast<std::uint64_t>(received)) {
      throw Error(where + "the study end announces " + std::to_string(total_samples_per_lead) +
                  " samples per lead but " + std::to_string(received) + " are stored");
    }
    // Recompute over what is actually stored: the checksum covers the stored bytes, not the
    // bookkeeping columns.
    std::uint32_t crc = 0;
    std::int64_t expected_sequence = 0;
    std::int64_t expected_first = 0;
    {
      auto q = db_->query(
          "SELECT sequence, first_sample_index, n_samples_per_lead, samples, encoding, "
          "(SELECT n_leads FROM studies WHERE id = chunks.study_id) FROM chunks "
          "WHERE study_id = ? ORDER BY sequence");
      q.bind(1, study_id);
      std::vector<std::int32_t> decoded;
      while (q.step()) {
        if (q.int64(0) != expected_sequence || q.int64(1) != expected_first) {
          throw Error(where + "stored chunks are not contiguous at chunk " +
                      std::to_string(expected_sequence));
        }
        const std::string encoding = q.text(4);
        if (encoding == detail::kEncodingInt32Le) {
          crc = detail::crc32_bytes(q.blob_view(3), crc);
        } else {
          // The checksum covers the samples as int32 little-endian, whatever the storage form.
          const auto n_leads = static_cast<std::size_t>(q.int64(5));
          decoded.clear();
          if (!detail::decode_stored(encoding, q.blob_view(3),
                                     static_cast<std::size_t>(q.int64(2)) * n_leads, n_leads,
                                     decoded)) {
            throw Error(where + "stored chunk " + std::to_string(expected_sequence) +
                        " cannot be decoded (" + encoding + "; database damaged?)");
          }
          crc = storage::samples_crc32(decoded, crc);
        }
        ++expected_sequence;
        expected_first += q.int64(2);
      }
    }
    if (expected_sequence != next_sequence || expected_first != received) {
      throw Error(where + "stored chunks disagree with the study's bookkeeping");
    }
    if (crc != samples_crc32) {
      throw Error(where + "checksum mismatch: the study end says CRC-32 " +
                  std::to_string(samples_crc32) + " but the stored samples give " +
                  std::to_string(crc));
    }
    db_->query(
           "UPDATE studies SET complete = 1, total_samples_per_lead = ?, samples_crc32 = ?, "
           "completed_ms = ? WHERE id = ?")
        .bind(1, static_cast<std::int64_t>(total_samples_per_lead))
        .bind(2, std::int64_t{samples_crc32})
        .bind(3, now_unix_ms())
        .bind(4, study_id)
        .run();
    tx.commit();
  }

  StudySamples load_samples(std::int64_t study_id) override {
    std::lock_guard lock(mu_);
    const auto state = get_study_locked(study_id);
    if (!state) throw Error("study " + std::to_string(study_id) + ": no such study");
    StudySamples out;
    out.header = state->header;
    const std::size_t n_leads = state->header.leads.size();
    out.samples.assign(n_leads, {});
    for (auto& lead : out.samples) lead.reserve(state->received_samples_per_lead);
    auto q = db_->query(
        "SELECT sequence, first_sample_index, n_samples_per_lead, samples, encoding FROM chunks "
        "WHERE study_id = ? ORDER BY sequence");
    q.bind(1, study_id);
    std::int64_t expected_sequence = 0;
    std::uint64_t expected_first = 0;
    std::vector<std::int32_t> decoded;
    while (q.step()) {
      const auto n = static_cast<std::uint64_t>(q.int64(2));
      decoded.clear();
      if (q.int64(0) != expected_sequence ||
          static_cast<std::uint64_t>(q.int64(1)) != expected_first ||
          !detail::decode_stored(q.text(4), q.blob_view(3), n * n_leads, n_leads, decoded)) {
        throw Error("study " + std::to_string(study_id) + ": stored chunk " +
                    std::to_string(q.int64(0)) + " is inconsistent (database damaged?)");
      }
      const std::int32_t* p = decoded.data();
      for (std::uint64_t s = 0; s < n; ++s) {
        for (std::size_t lead = 0; lead < n_leads; ++lead, ++p) {
          out.samples[lead].push_back(*p);
        }
      }
      ++expected_sequence;
      expected_first += n;
    }
    return out;
  }

  // --- analyses, alerts, events, audit -------------------------------------------------------

  std::int64_t save_analysis(std::int64_t study_id, const std::string& category,
                             const std::string& tier, const std::string& json) override {
    std::lock_guard lock(mu_);
    Transaction tx(*db_);
    const auto id = db_->query(
                           "INSERT INTO analyses (study_id, created_ms, category, tier, json) "
                           "VALUES (?, ?, ?, ?, ?) RETURNING id")
                        .bind(1, study_id)
                        .bind(2, now_unix_ms())
                        .bind(3, category)
                        .bind(4, tier)
                        .bind(5, json)
                        .run_returning_id();
    tx.commit();
    return id;
  }

  std::optional<std::string> analysis_json(std::int64_t study_id) override {
    std::lock_guard lock(mu_);
    auto q = db_->query("SELECT json FROM analyses WHERE study_id = ? ORDER BY id DESC LIMIT 1");
    q.bind(1, study_id);
    if (!q.step()) return std::nullopt;
    return q.text(0);
  }

  std::int64_t raise_alert(const AlertRecord& a) override {
    std::lock_guard lock(mu_);
    Transaction tx(*db_);
    const auto id = insert_alert_locked(a);
    tx.commit();
    return id;
  }

  std::optional<std::int64_t> raise_alert_once(const AlertRecord& a) override {
    std::lock_guard lock(mu_);
    Transaction tx(*db_);
    if (db_->dialect() == db::Dialect::postgresql) {
      // Held to the end of the transaction: another node's check waits here and then sees the
      // alert this one commits (READ COMMITTED takes a new snapshot for each statement). SQLite
      // has one writer at a time, so its write transaction already serialises the check.
      auto lock_row = db_->query("SELECT id FROM studies WHERE id = ? FOR UPDATE");
      lock_row.bind(1, a.study_id);
      if (!lock_row.step()) throw Error("study " + std::to_string(a.study_id) + " does not exist");
    }
    auto existing = db_->query("SELECT 1 FROM alerts WHERE study_id = ? LIMIT 1");
    existing.bind(1, a.study_id);
    if (existing.step()) return std::nullopt;
    const auto id = insert_alert_locked(a);
    tx.commit();
    return id;
  }

  std::int64_t insert_alert_locked(const AlertRecord& a) {
    // raised_ms 0 / empty state: the caller left them to the store (now, "raised").
    const auto id =
        db_->query(
               "INSERT INTO alerts (study_id, tier, category, summary_en, summary_zh, state, "
               "raised_ms) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id")
            .bind(1, a.study_id)
            .bind(2, a.tier)
            .bind(3, a.category)
            .bind(4, a.summary_en)
            .bind(5, a.summary_zh)
            .bind(6, a.state.empty() ? std::string("raised") : a.state)
            .bind(7, a.raised_ms != 0 ? a.raised_ms : now_unix_ms())
            .run_returning_id();
    return id;
  }

  std::vector<AlertRecord> alerts_for_study(std::int64_t study_id) override {
    std::lock_guard lock(mu_);
    std::vector<AlertRecord> out;
    auto q = db_->query(
        "SELECT id, study_id, tier, category, summary_en, summary_zh, state, raised_ms "
        "FROM alerts WHERE study_id = ? ORDER BY id");
    q.bind(1, study_id);
    while (q.step()) {
      out.push_back(AlertRecord{q.int64(0), q.int64(1), q.text(2), q.text(3), q.text(4),
                                q.text(5), q.text(6), q.int64(7)});
    }
    return out;
  }

  std::int64_t append_event(const EventRecord& e) override {
    if (e.kind.empty()) throw Error("an event needs a kind");
    std::lock_guard lock(mu_);
    Transaction tx(*db_);
    const auto seq = detail::append_event_row(*db_, e);
    tx.commit();
    return seq;
  }

  std::vector<EventRecord> events_for_study(std::int64_t study_id) override {
    std::lock_guard lock(mu_);
    std::vector<EventRecord> out;
    auto q = db_->query("SELECT " + kEventColumns + " FROM events WHERE study_id = ? ORDER BY seq");
    q.bind(1, study_id);
    while (q.step()) out.push_back(read_event_row(q));
    return out;
  }

  std::vector<EventRecord> events_after(std::int64_t after_seq, std::size_t limit) override {
    std::lock_guard lock(mu_);
    std::vector<EventRecord> out;
    auto q = db_->query("SELECT " + kEventColumns + " FROM events WHERE seq > ? ORDER BY seq LIMIT ?");
    q.bind(1, after_seq).bind(2, static_cast<std::int64_t>(std::min<std::size_t>(limit, kMaxI64)));
    while (q.step()) out.push_back(read_event_row(q));
    return out;
  }

  std::int64_t last_event_seq() override {
    std::lock_guard lock(mu_);
    auto q = db_->query("SELECT COALESCE(MAX(seq), 0) FROM events");
    return q.step() ? q.int64(0) : 0;
  }

  std::int64_t append_audit(const std::string& actor, const std::string& action,
                            const std::string& target, const std::string& detail) override {
    std::lock_guard lock(mu_);
    Transaction tx(*db_);
    const auto seq = audit_locked(now_unix_ms(), actor, action, target, detail);
    tx.commit();
    return seq;
  }

  std::vector<AuditRecord> audit_log(std::int64_t after_seq, std::size_t limit) override {
    std::lock_guard lock(mu_);
    std::vector<AuditRecord> out;
    auto q = db_->query(
        "SELECT seq, at_ms, actor, action, target, detail FROM audit_log WHERE seq > ? "
        "ORDER BY seq LIMIT ?");
    q.bind(1, after_seq).bind(2, static_cast<std::int64_t>(std::min<std::size_t>(limit, kMaxI64)));
    while (q.step()) {
      out.push_back(
          AuditRecord{q.int64(0), q.int64(1), q.text(2), q.text(3), q.text(4), q.text(5)});
    }
    return out;
  }

  void write_batch(const std::function<void()>& body) override {
    std::lock_guard lock(mu_);
    if (db_->in_batch()) {
      body();  // already inside a batch: part of it
      return;
    }
    Transaction tx(*db_);
    db_->set_in_batch(true);
    try {
      body();
    } catch (...) {
      db_->set_in_batch(false);
      throw;  // tx rolls back
    }
    db_->set_in_batch(false);
    tx.commit();
  }

  void checkpoint() override {
    std::lock_guard lock(mu_);
    // PostgreSQL checkpoints on its own; a committed write is already in its WAL.
    if (db_->dialect() != db::Dialect::sqlite) return;
    static_cast<sqlite::Db&>(*db_).pragma_text("PRAGMA wal_checkpoint(TRUNCATE)");
  }

 private:
  struct Verified {
    std::vector<std::uint8_t> secret_hash;  // the stored hash this secret was checked against
    std::vector<std::uint8_t> digest;       // HMAC(cache_key_, secret)
  };

  bool device_exists_locked(const std::string& device_id) {
    auto q = db_->query("SELECT 1 FROM devices WHERE device_id = ?");
    q.bind(1, device_id);
    return q.step();
  }

  std::int64_t audit_locked(UnixMs at_ms, const std::string& actor, const std::string& action,
                            const std::string& target, const std::string& detail) {
    return detail::append_audit_row(*db_, at_ms, actor, action, target, detail);
  }

  std::optional<StudyState> get_study_locked(std::int64_t study_id) {
    std::optional<StudyState> s;
    {
      auto q = db_->query("SELECT " + kStudyColumns + " FROM studies WHERE id = ?");
      q.bind(1, study_id);
      if (!q.step()) return std::nullopt;
      s = read_study_row(q);
    }
    auto q = db_->query("SELECT lead FROM study_leads WHERE study_id = ? ORDER BY position");
    q.bind(1, study_id);
    while (q.step()) s->header.leads.push_back(q.text(0));
    s->header.source = detail::read_study_source(*db_, study_id);
    return s;
  }

  std::optional<StudyState> find_study_locked(const std::string& device_id,
                                              const std::string& study_uid) {
    std::int64_t id = 0;
    {
      auto q = db_->query("SELECT id FROM studies WHERE device_id = ? AND study_uid = ?");
      q.bind(1, device_id).bind(2, study_uid);
      if (!q.step()) return std::nullopt;
      id = q.int64(0);
    }
    return get_study_locked(id);
  }

  // One transaction for the whole batch. Validation problems reject the item (or, when
  // all_or_nothing, abort the batch with an Error); database failures always abort the batch.
  // A chunk validated for this batch, written with the batch's other new chunks at its end.
  struct PendingChunk {
    std::int64_t study_id = 0;
    std::int64_t sequence = 0;
    std::int64_t first = 0;
    std::int64_t n_per_lead = 0;
    std::vector<std::uint8_t> blob;
    const std::vector<std::int32_t>* samples = nullptr;  // the caller's, alive during the batch
  };
  struct PendingChunks {
    std::vector<PendingChunk> rows;
    std::map<std::pair<std::int64_t, std::int64_t>, std::size_t> at;  // (study, sequence) → row
  };

  // Statements are sent in groups of these sizes (largest first), so a batch of any size takes
  // few round trips and few distinct prepared statements (a round trip per row is what a
  // database server makes expensive; SQLite pays little either way).
  static constexpr std::size_t kGroupSizes[] = {256, 64, 16, 4, 1};

  // The cursors (studies' bookkeeping) of every study in the batch, in groups of IN (...).
  void load_cursors(const std::vector<std::pair<std::int64_t, Chunk>>& chunks,
                    std::unordered_map<std::int64_t, Cursor>& cursors) {
    std::vector<std::int64_t> ids;
    {
      std::set<std::int64_t> seen;
      for (const auto& [id, chunk] : chunks) {
        if (seen.insert(id).second) ids.push_back(id);
      }
    }
    std::size_t done = 0;
    while (done < ids.size()) {
      std::size_t k = 1;
      for (const std::size_t g : kGroupSizes) {
        if (ids.size() - done >= g) {
          k = g;
          break;
        }
      }
      std::string sql =
          "SELECT id, n_leads, next_sequence, received_samples_per_lead, complete FROM studies "
          "WHERE id IN (";
      for (std::size_t i = 0; i < k; ++i) sql += i == 0 ? "?" : ", ?";
      sql += ")";
      auto q = db_->query(sql);
      for (std::size_t i = 0; i < k; ++i) q.bind(static_cast<int>(i + 1), ids[done + i]);
      while (q.step()) {
        cursors.emplace(q.int64(0), Cursor{q.int64(1), q.int64(2), q.int64(3), q.int64(4) != 0});
      }
      done += k;
    }
  }

  void insert_pending(const PendingChunks& pending, UnixMs now) {
    std::size_t done = 0;
    const auto& rows = pending.rows;
    while (done < rows.size()) {
      std::size_t k = 1;
      for (const std::size_t g : kGroupSizes) {
        if (rows.size() - done >= g) {
          k = g;
          break;
        }
      }
      std::string sql =
          "INSERT INTO chunks (study_id, sequence, first_sample_index, n_samples_per_lead, "
          "samples, received_ms, encoding) VALUES ";
      for (std::size_t i = 0; i < k; ++i) sql += i == 0 ? "(?, ?, ?, ?, ?, ?, ?)" : ", (?, ?, ?, ?, ?, ?, ?)";
      auto q = db_->query(sql);
      for (std::size_t i = 0; i < k; ++i) {
        const PendingChunk& r = rows[done + i];
        const int p = static_cast<int>(7 * i);
        q.bind(p + 1, r.study_id)
            .bind(p + 2, r.sequence)
            .bind(p + 3, r.first)
            .bind(p + 4, r.n_per_lead)
            .bind_blob(p + 5, r.blob)
            .bind(p + 6, now)
            .bind(p + 7, detail::kEncodingDeltaVarint);
      }
      q.run();
      done += k;
    }
  }

  void update_cursors(const std::unordered_map<std::int64_t, Cursor>& cursors) {
    std::vector<std::pair<std::int64_t, const Cursor*>> dirty;
    for (const auto& [study_id, c] : cursors) {
      if (c.dirty) dirty.emplace_back(study_id, &c);
    }
    if (db_->dialect() != db::Dialect::postgresql) {
      for (const auto& [study_id, c] : dirty) {
        db_->query(
               "UPDATE studies SET next_sequence = ?, received_samples_per_lead = ? WHERE id = ?")
            .bind(1, c->next_sequence)
            .bind(2, c->received_samples_per_lead)
            .bind(3, study_id)
            .run();
      }
      return;
    }
    // PostgreSQL: one UPDATE ... FROM (VALUES ...) per group.
    std::size_t done = 0;
    while (done < dirty.size()) {
      std::size_t k = 1;
      for (const std::size_t g : kGroupSizes) {
        if (dirty.size() - done >= g) {
          k = g;
          break;
        }
      }
      std::string sql =
          "UPDATE studies AS s SET next_sequence = v.ns, received_samples_per_lead = v.rs FROM "
          "(VALUES ";
      for (std::size_t i = 0; i < k; ++i) {
        sql += i == 0 ? "" : ", ";
        sql += "(CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT))";
      }
      sql += ") AS v(id, ns, rs) WHERE s.id = v.id";
      auto q = db_->query(sql);
      for (std::size_t i = 0; i < k; ++i) {
        const int p = static_cast<int>(3 * i);
        q.bind(p + 1, dirty[done + i].first)
            .bind(p + 2, dirty[done + i].second->next_sequence)
            .bind(p + 3, dirty[done + i].second->received_samples_per_lead);
      }
      q.run();
      done += k;
    }
  }

  // One transaction for the whole batch. Validation problems reject the item (or, when
  // all_or_nothing, abort the batch with an Error); database failures always abort the batch.
  // Round trips: the batch's studies are read, its new chunks inserted and its studies updated
  // in groups (load_cursors, insert_pending, update_cursors), not one statement per chunk.
  std::vector<ChunkOutcome> append_batch(
      const std::vector<std::pair<std::int64_t, Chunk>>& chunks, bool all_or_nothing) {
    std::vector<ChunkOutcome> out;
    out.reserve(chunks.size());
    if (chunks.empty()) return out;
    std::lock_guard lock(mu_);
    Transaction tx(*db_);
    std::unordered_map<std::int64_t, Cursor> cursors;
    load_cursors(chunks, cursors);
    PendingChunks pending;
    pending.rows.reserve(chunks.size());
    for (const auto& [study_id, chunk] : chunks) {
      out.push_back(append_one(cursors, pending, study_id, chunk));
      if (all_or_nothing && out.back().status == ChunkOutcome::Status::rejected) {
        throw Error("study " + std::to_string(study_id) + ", chunk " +
                    std::to_string(chunk.sequence) + ": " + out.back().error);
      }
    }
    insert_pending(pending, now_unix_ms());
    update_cursors(cursors);
    tx.commit();
    return out;
  }

  ChunkOutcome append_one(std::unordered_map<std::int64_t, Cursor>& cursors,
                          PendingChunks& pending, std::int64_t study_id, const Chunk& chunk) {
    const auto it = cursors.find(study_id);
    if (it == cursors.end()) return rejected("no such study");
    Cursor& c = it->second;
    const std::string seq_text = std::to_string(chunk.sequence);
    if (chunk.sequence > kMaxI64 || chunk.first_sample_index > kMaxI64) {
      return rejected("sequence or first sample index out of range");
    }
    if (chunk.samples.empty()) return rejected("chunk " + seq_text + " has no samples");
    const auto n_leads = static_cast<std::size_t>(c.n_leads);
    if (chunk.samples.size() % n_leads != 0) {
      return rejected("chunk " + seq_text + " has " + std::to_string(chunk.samples.size()) +
                      " samples, not a multiple of the study's " + std::to_string(n_leads) +
                      " leads");
    }
    const auto n_per_lead = static_cast<std::int64_t>(chunk.samples.size() / n_leads);
    const auto sequence = static_cast<std::int64_t>(chunk.sequence);
    const auto first = static_cast<std::int64_t>(chunk.first_sample_index);
    if (sequence < c.next_sequence) {
      // A resend: acceptable only if it is the very chunk we stored (compared as samples, so a
      // row stored in another encoding compares too) — or accepted earlier in this batch.
      if (const auto p = pending.at.find({study_id, sequence}); p != pending.at.end()) {
        const PendingChunk& row = pending.rows[p->second];
        if (row.first == first && row.n_per_lead == n_per_lead && *row.samples == chunk.samples) {
          return ChunkOutcome{ChunkOutcome::Status::duplicate, {}};
        }
        return rejected("conflicting resend of chunk " + seq_text +
                        ": it differs from the chunk already stored");
      }
      auto q = db_->query(
          "SELECT first_sample_index, samples, encoding, n_samples_per_lead FROM chunks "
          "WHERE study_id = ? AND sequence = ?");
      q.bind(1, study_id).bind(2, sequence);
      if (!q.step()) {
        throw Error("study " + std::to_string(study_id) + ": chunk " + seq_text +
                    " is below next_sequence but missing (database damaged?)");
      }
      std::vector<std::int32_t>& stored = decode_scratch_;
      stored.clear();
      if (q.int64(0) == first && q.int64(3) == n_per_lead &&
          detail::decode_stored(q.text(2), q.blob_view(1), chunk.samples.size(), n_leads,
                                stored) &&
          stored == chunk.samples) {
        return ChunkOutcome{ChunkOutcome::Status::duplicate, {}};
      }
      return rejected("conflicting resend of chunk " + seq_text +
                      ": it differs from the chunk already stored");
    }
    if (c.complete) return rejected("the study is complete; chunk " + seq_text + " is past its end");
    if (sequence > c.next_sequence) {
      return rejected("chunk " + seq_text + " arrived but chunk " +
                      std::to_string(c.next_sequence) + " is next (gap)");
    }
    if (first != c.received_samples_per_lead) {
      return rejected("chunk " + seq_text + " starts at sample " + std::to_string(first) + " but " +
                      std::to_string(c.received_samples_per_lead) +
                      " samples per lead are stored");
    }
    PendingChunk row;
    row.study_id = study_id;
    row.sequence = sequence;
    row.first = first;
    row.n_per_lead = n_per_lead;
    row.samples = &chunk.samples;
    detail::encode_delta_varint(chunk.samples, n_leads, row.blob);
    pending.at.emplace(std::make_pair(study_id, sequence), pending.rows.size());
    pending.rows.push_back(std::move(row));
    ++c.next_sequence;
    c.received_samples_per_lead += n_per_lead;
    c.dirty = true;
    return ChunkOutcome{ChunkOutcome::Status::stored, {}};
  }

  std::filesystem::path path_;
  OpenOptions options_;
  // Recursive: write_batch holds it while body() calls other methods on the same thread.
  std::recursive_mutex mu_;
  std::unique_ptr<Db> db_;
  std::vector<std::uint8_t> cache_key_;
  // Reused per resend check (under mu_).
  std::vector<std::int32_t> decode_scratch_;
  std::unordered_map<std::string, Verified> verified_;

  // Background WAL checkpoints on a second connection. PASSIVE never blocks the writer; SQLite
  // restarts the WAL from its beginning at the next commit once everything is copied. A failed
  // checkpoint loses nothing (the WAL still holds the data), so it is retried on the next tick.
  void checkpoint_loop() {
    std::unique_ptr<sqlite::Db> conn;
    std::unique_lock lock(checkpoint_mu_);
    while (!stopping_) {
      checkpoint_cv_.wait_for(lock, kCheckpointInterval, [this] { return stopping_; });
      if (stopping_) break;
      lock.unlock();
      try {
        if (!conn) {
          conn = std::make_unique<sqlite::Db>(path_);
          sqlite3_busy_timeout(conn->handle(), 100);
        }
        conn->pragma_text("PRAGMA wal_checkpoint(PASSIVE)");
      } catch (const Error&) {
        conn.reset();
      }
      lock.lock();
    }
  }

  static constexpr std::chrono::milliseconds kCheckpointInterval{50};
  std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_cv_;
  bool stopping_ = false;
  std::thread checkpointer_;  // last member: started after, and joined before, the others die
};

}  // namespace

std::unique_ptr<Store> Store::open(const std::filesystem::path& db_path) {
  return open(db_path, OpenOptions{});
}

std::unique_ptr<Store> Store::open(const std::filesystem::path& db_path,
                                   const OpenOptions& options) {
  const std::string where = describe_database(db_path);
  try {
    if (is_postgresql_uri(db_path.string())) {
      return std::make_unique<SqlStore>(pg::connect(db_path.string()), options,
                                        std::filesystem::path());
    }
    if (options.backup_before_upgrade) {
      if (const auto copy = backup_before_upgrade(db_path, options.upgrade_backup_dir)) {
        if (options.on_upgrade_backup) {
          options.on_upgrade_backup(copy->describe());
        } else {
          std::clog << "greenchannel: " << copy->describe() << "\n";
        }
      }
    }
    return std::make_unique<SqlStore>(open_sqlite(db_path, options), options, db_path);
  } catch (const Error& e) {
    throw Error("database " + where + ": " + e.what());
  } catch (const std::filesystem::filesystem_error& e) {
    throw Error("database " + where + ": " + e.what());
  }
}

int Store::latest_schema_version() { return static_cast<int>(detail::migrations().size()); }

}  // namespace gc::storage
