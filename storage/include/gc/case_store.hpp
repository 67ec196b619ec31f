// case_store — durable green-channel cases (schema: storage/migrations/0002_workflow.sql):
// cases, the studies they group, and their append-only time nodes, flags and delay reasons.
// Records are plain strings and integers; the workflow module (gc/workflow.hpp, gc/case_io.hpp)
// gives them meaning (node kinds, effective timeline, intervals) — storage does not depend on it.
//
// CaseStore opens its own SQLite connection to the same database file as Store (WAL, busy
// timeout, synchronous=FULL, foreign keys on); open() first runs Store's migrations. One
// CaseStore is not thread-safe: use one per thread (they share the file safely).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gc/storage.hpp"

namespace gc::storage {

struct CaseRecord {
  std::int64_t case_id = 0;
  std::string patient_id;
  std::string device_id;  // '' for cases opened by hand
  std::string clinic;
  UnixMs opened_ms = 0;
  std::string state = "open";       // open, closed
  std::string outcome = "pending";  // pending, stemi, not_stemi
  std::string created_by;
};

struct TimeNodeRecord {
  std::int64_t seq = 0;  // assigned on append
  std::int64_t case_id = 0;
  std::string kind;  // a gc::workflow node key
  UnixMs raw_ms = 0;
  std::optional<UnixMs> corrected_ms;
  std::string source;
  std::string actor;
  std::string clock;
  UnixMs recorded_ms = 0;
  std::optional<std::int64_t> supersedes;
  std::string note;
};

struct CaseFlagRecord {
  std::int64_t seq = 0;
  std::int64_t case_id = 0;
  std::string flag;  // transfer, bypassed_ed, bypassed_ccu
  bool value = true;
  std::string source;
  std::string actor;
  UnixMs recorded_ms = 0;
};

struct DelayReasonRecord {
  std::int64_t seq = 0;
  std::int64_t case_id = 0;
  std::string interval_key;  // '' = the case as a whole
  std::string reason;
  std::string actor;
  UnixMs recorded_ms = 0;
};

// Everything stored about one case.
struct CaseBundle {
  CaseRecord info;
  std::vector<TimeNodeRecord> nodes;  // seq order
  std::vector<CaseFlagRecord> flags;
  std::vector<DelayReasonRecord> delay_reasons;
  std::vector<std::int64_t> study_ids;
};

class CaseStore {
 public:
  // Opens the database (creating and migrating it through Store::open if needed).
  static std::unique_ptr<CaseStore> open(const std::filesystem::path& db_path,
                                         const std::string& audit_actor = "greenchannel");
  ~CaseStore();
  CaseStore(const CaseStore&) = delete;
  CaseStore& operator=(const CaseStore&) = delete;

  // A new case (state open, outcome pending); returns it with its id.
  CaseRecord open_case(const CaseRecord& c);
  // The open case of this cart and patient opened within `window_ms` before at_ms (the latest
  // one), else a new one opened at at_ms. An empty patient id never joins: without an id two
  // patients on one cart would be merged. `opened` tells which happened.
  CaseRecord find_or_open_case(const std::string& device_id, const std::string& patient_id,
                               const std::string& clinic, UnixMs at_ms, bool* opened = nullptr,
                               std::int64_t window_ms = 6 * 3600 * 1000);
  std::optional<CaseRecord> get_case(std::int64_t case_id);
  // Changes state/outcome (the only mutable columns) and writes the change to audit_log.
  void set_state(std::int64_t case_id, const std::string& state, const std::string& outcome,
                 const std::string& actor);

  // Append-only rows; each returns its seq. Durable when it returns. Throws Error for an
  // unknown case or a correction naming a node of another case.
  std::int64_t append_node(const TimeNodeRecord& node);
  std::int64_t append_flag(const CaseFlagRecord& flag);
  std::int64_t append_delay_reason(const DelayReasonRecord& reason);
  void link_study(std::int64_t case_id, std::int64_t study_id);
  std::optional<std::int64_t> case_of_study(std::int64_t study_id);

  std::optional<CaseBundle> load_case(std::int64_t case_id);
  // Cases opened in [from_ms − margin, to_ms + margin) (the report filters exactly by FMC),
  // optionally of one clinic, in id order.
  std::vector<CaseBundle> load_cases(UnixMs from_ms, UnixMs to_ms,
                                     const std::optional<std::string>& clinic = std::nullopt,
                                     std::int64_t margin_ms = 24 * 3600 * 1000);
  // The change feed between nodes (several serve on one database): rows appended to case
  // timelines with seq > after_seq, as (seq, case_id), oldest first, at most `limit`; and the
  // highest seq now (0 when empty).
  enum class Timeline { time_nodes, case_flags, delay_reasons };
  std::vector<std::pair<std::int64_t, std::int64_t>> timeline_rows_after(Timeline table,
                                                                         std::int64_t after_seq,
                                                                         std::size_t limit);
  std::int64_t last_timeline_seq(Timeline table);

  // Bulk import (demo data): all cases and their rows in one transaction.
  std::vector<std::int64_t> import_cases(const std::vector<CaseBundle>& cases);

 private:
  struct Impl;
  explicit CaseStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gc::storage
