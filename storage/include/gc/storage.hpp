// storage — the durable record of everything greenchannel receives and decides. SQLite (WAL,
// synchronous=FULL, foreign keys on), schema as versioned SQL migrations in storage/migrations/.
// Samples are stored exactly as received (integers + resolution); events and audit rows are
// append-only. The interface is narrow so that another backend (PostgreSQL) can implement it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
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
};

struct StudyState {
  std::int64_t study_id = 0;  // database key
  StudyHeader header;
  std::uint64_t next_sequence = 0;  // all chunks below are stored
  bool complete = false;
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
  std::string detail_json;
};

// Result of appending a chunk: stored now, or a duplicate of a stored one (idempotent resend).
enum class AppendResult { stored, duplicate };

class Store {
 public:
  // Opens (creating if needed) the database, applies pending migrations, refuses a database
  // newer than this build. Throws Error with a clear message.
  static std::unique_ptr<Store> open(const std::filesystem::path& db_path);
  virtual ~Store() = default;

  virtual int schema_version() = 0;

  // Devices (carts).
  virtual NewDevice add_device(const std::string& clinic, const std::string& device_id = "") = 0;
  virtual bool verify_device(const std::string& device_id, const std::string& secret) = 0;
  virtual std::vector<DeviceInfo> list_devices() = 0;
  virtual bool revoke_device(const std::string& device_id) = 0;

  // Studies and samples. begin_study is idempotent for the same (device, uid) and header; a
  // different header for an existing uid throws.
  virtual StudyState begin_study(const StudyHeader& header) = 0;
  virtual std::optional<StudyState> find_study(const std::string& device_id,
                                               const std::string& study_uid) = 0;
  virtual std::vector<StudyState> open_studies(const std::string& device_id) = 0;
  // Durable when it returns (the transaction commits with synchronous=FULL). A chunk whose
  // sequence is already stored is a duplicate (not stored again). Chunks must arrive in order:
  // a sequence above next_sequence throws.
  virtual AppendResult append_chunk(std::int64_t study_id, const Chunk& chunk) = 0;
  // Several chunks (possibly of several studies) in one transaction (group commit).
  virtual std::vector<AppendResult> append_chunks(
      const std::vector<std::pair<std::int64_t, Chunk>>& chunks) = 0;
  virtual void complete_study(std::int64_t study_id, std::uint64_t total_samples_per_lead,
                              std::uint32_t samples_crc32) = 0;
  virtual StudySamples load_samples(std::int64_t study_id) = 0;

  // Analyses, alerts, events.
  virtual std::int64_t save_analysis(std::int64_t study_id, const std::string& category,
                                     const std::string& tier, const std::string& json) = 0;
  virtual std::optional<std::string> analysis_json(std::int64_t study_id) = 0;
  virtual std::int64_t raise_alert(const AlertRecord& alert) = 0;
  virtual std::vector<AlertRecord> alerts_for_study(std::int64_t study_id) = 0;
  virtual std::int64_t append_event(const EventRecord& event) = 0;
  virtual std::vector<EventRecord> events_for_study(std::int64_t study_id) = 0;

  // Flushes the WAL into the main database file (used on clean shutdown).
  virtual void checkpoint() = 0;
};

// CRC-32 (IEEE) over int32 samples as 4-byte little-endian values, the protocol's checksum.
std::uint32_t samples_crc32(const std::vector<std::int32_t>& interleaved, std::uint32_t crc = 0);

UnixMs now_unix_ms();

}  // namespace gc::storage
