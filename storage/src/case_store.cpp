// CaseStore: SQLite persistence of green-channel cases (migration 0002_workflow.sql).
#include "gc/case_store.hpp"

#include <unordered_map>

#include "companion.hpp"
#include "db.hpp"

namespace gc::storage {

using Db = db::Connection;
using db::Query;
using db::Transaction;

struct CaseStore::Impl {
  std::unique_ptr<Db> db;
  std::string audit_actor;

  void audit(const std::string& actor, const std::string& action, const std::string& target,
             const std::string& detail) {
    detail::append_audit_row(*db, now_unix_ms(), actor.empty() ? audit_actor : actor, action,
                             target, detail);
  }

  bool case_exists(std::int64_t id) {
    auto q = db->query("SELECT 1 FROM cases WHERE id = ?");
    q.bind(1, id);
    return q.step();
  }

  void require_case(std::int64_t id) {
    if (!case_exists(id)) throw Error("no case " + std::to_string(id));
  }

  static constexpr const char* kCaseColumns =
      "id, patient_id, device_id, clinic, opened_ms, state, outcome, created_by";

  static CaseRecord read_case(const Query& q) {
    return CaseRecord{q.int64(0), q.text(1), q.text(2), q.text(3),
                      q.int64(4), q.text(5), q.text(6), q.text(7)};
  }

  std::int64_t insert_case(const CaseRecord& c) {
    return db
        ->query(
            "INSERT INTO cases (patient_id, device_id, clinic, opened_ms, state, outcome, "
            "created_by) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id")
        .bind(1, c.patient_id)
        .bind(2, c.device_id)
        .bind(3, c.clinic)
        .bind(4, c.opened_ms)
        .bind(5, c.state)
        .bind(6, c.outcome)
        .bind(7, c.created_by)
        .run_returning_id();
  }

  std::int64_t insert_node(const TimeNodeRecord& n) {
    if (n.kind.empty()) throw Error("time node without a kind");
    // Every time node, from every entry path, is checked against the server's clock when it is
    // recorded (issue 16 #1): a year-10000 or pre-1970 time, stored append-only, would break the
    // case's timeline and its month's audit report for good.
    for (const auto& [what, at] : {std::pair<const char*, std::optional<UnixMs>>{"time", n.raw_ms},
                                   {"corrected time", n.corrected_ms}}) {
      if (!at) continue;
      if (const auto why = implausible_time(at.value(), n.recorded_ms)) {
        throw Error(n.kind + " " + what + " " + *why);
      }
    }
    // A correction replaces an earlier event of the same kind in the same case (issue 16 #6): a
    // wire_crossing "correcting" a door_in would silently remove the door-in time from every
    // interval. Checked here, where every entry path (station, CLI, cart, import) writes.
    if (n.supersedes) {
      auto q = db->query("SELECT case_id, kind FROM time_nodes WHERE seq = ?");
      q.bind(1, *n.supersedes);
      if (!q.step() || q.int64(0) != n.case_id) {
        throw Error("time node " + std::to_string(*n.supersedes) + " is not in case " +
                    std::to_string(n.case_id) + ": nothing to correct");
      }
      if (q.text(1) != n.kind) {
        throw Error("a correction must be of the same kind: time node " +
                    std::to_string(*n.supersedes) + " is " + q.text(1) + ", not " + n.kind);
      }
    }
    return db
        ->query(
            "INSERT INTO time_nodes (case_id, kind, raw_ms, corrected_ms, source, actor, clock, "
            "recorded_ms, supersedes, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq")
        .bind(1, n.case_id)
        .bind(2, n.kind)
        .bind(3, n.raw_ms)
        .bind(4, n.corrected_ms)
        .bind(5, n.source)
        .bind(6, n.actor)
        .bind(7, n.clock)
        .bind(8, n.recorded_ms)
        .bind(9, n.supersedes)
        .bind(10, n.note)
        .run_returning_id();
  }

  std::int64_t insert_flag(const CaseFlagRecord& f) {
    return db
        ->query(
            "INSERT INTO case_flags (case_id, flag, value, source, actor, recorded_ms) "
            "VALUES (?, ?, ?, ?, ?, ?) RETURNING seq")
        .bind(1, f.case_id)
        .bind(2, f.flag)
        .bind(3, std::int64_t{f.value ? 1 : 0})
        .bind(4, f.source)
        .bind(5, f.actor)
        .bind(6, f.recorded_ms)
        .run_returning_id();
  }

  std::int64_t insert_reason(const DelayReasonRecord& r) {
    return db
        ->query(
            "INSERT INTO delay_reasons (case_id, interval_key, reason, actor, recorded_ms) "
            "VALUES (?, ?, ?, ?, ?) RETURNING seq")
        .bind(1, r.case_id)
        .bind(2, r.interval_key)
        .bind(3, r.reason)
        .bind(4, r.actor)
        .bind(5, r.recorded_ms)
        .run_returning_id();
  }

  // Fills the rows of the bundles (keyed by case id) with one query per table.
  void load_rows(std::vector<CaseBundle>& bundles, const std::string& case_filter_sql,
                 const std::vector<std::int64_t>& binds_int,
                 const std::optional<std::string>& clinic) {
    std::unordered_map<std::int64_t, CaseBundle*> by_id;
    by_id.reserve(bundles.size());
    for (auto& b : bundles) by_id.emplace(b.info.case_id, &b);
    const auto bind_all = [&](Query& q) {
      int i = 1;
      for (auto v : binds_int) q.bind(i++, v);
      if (clinic) q.bind(i, *clinic);
    };
    {
      auto q = db->query(
          "SELECT seq, case_id, kind, raw_ms, corrected_ms, source, actor, clock, "
          "recorded_ms, supersedes, note FROM time_nodes WHERE case_id IN (" +
          case_filter_sql + ") ORDER BY seq");
      bind_all(q);
      while (q.step()) {
        const auto it = by_id.find(q.int64(1));
        if (it == by_id.end()) continue;
        it->second->nodes.push_back(TimeNodeRecord{q.int64(0), q.int64(1), q.text(2), q.int64(3),
                                                   q.opt_int64(4), q.text(5), q.text(6), q.text(7),
                                                   q.int64(8), q.opt_int64(9), q.text(10)});
      }
    }
    {
      auto q = db->query(
          "SELECT seq, case_id, flag, value, source, actor, recorded_ms FROM case_flags "
          "WHERE case_id IN (" +
          case_filter_sql + ") ORDER BY seq");
      bind_all(q);
      while (q.step()) {
        const auto it = by_id.find(q.int64(1));
        if (it == by_id.end()) continue;
        it->second->flags.push_back(CaseFlagRecord{
            q.int64(0), q.int64(1), q.text(2), q.int64(3) != 0, q.text(4), q.text(5), q.int64(6)});
      }
    }
    {
      auto q = db->query(
          "SELECT seq, case_id, interval_key, reason, actor, recorded_ms FROM delay_reasons "
          "WHERE case_id IN (" +
          case_filter_sql + ") ORDER BY seq");
      bind_all(q);
      while (q.step()) {
        const auto it = by_id.find(q.int64(1));
        if (it == by_id.end()) continue;
        it->second->delay_reasons.push_back(
            DelayReasonRecord{q.int64(0), q.int64(1), q.text(2), q.text(3), q.text(4), q.int64(5)});
      }
    }
    {
      auto q = db->query("SELECT case_id, study_id FROM case_studies WHERE case_id IN (" +
                         case_filter_sql + ") ORDER BY study_id");
      bind_all(q);
      while (q.step()) {
        const auto it = by_id.find(q.int64(0));
        if (it != by_id.end()) it->second->study_ids.push_back(q.int64(1));
      }
    }
  }
};

CaseStore::CaseStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CaseStore::~CaseStore() = default;

std::unique_ptr<CaseStore> CaseStore::open(const std::filesystem::path& db_path,
                                           const std::string& audit_actor) {
  // The integrity check is Store's business at serve start.
  OpenOptions options;
  options.quick_check = false;
  options.audit_actor = audit_actor;
  auto impl = std::make_unique<Impl>();
  impl->audit_actor = audit_actor;
  impl->db = detail::open_companion(db_path, options, "time_nodes", "0002");
  return std::unique_ptr<CaseStore>(new CaseStore(std::move(impl)));
}

CaseRecord CaseStore::open_case(const CaseRecord& c) {
  Transaction tx(*impl_->db);
  CaseRecord out = c;
  out.case_id = impl_->insert_case(c);
  impl_->audit(c.created_by, "case_open", std::to_string(out.case_id),
               "clinic=" + c.clinic + " device=" + c.device_id + " patient=" + c.patient_id);
  tx.commit();
  return out;
}

CaseRecord CaseStore::find_or_open_case(const std::string& device_id, const std::string& patient_id,
                                        const std::string& clinic, UnixMs at_ms, bool* opened,
                                        std::int64_t window_ms) {
  Transaction tx(*impl_->db);  // find and open atomically: two ECGs at once make one case
  if (!patient_id.empty()) {
    auto q = impl_->db->query(
        std::string("SELECT ") + Impl::kCaseColumns +
        " FROM cases WHERE device_id = ? AND patient_id = ? AND state = 'open' "
        "AND opened_ms > ? AND opened_ms <= ? ORDER BY opened_ms DESC, id DESC LIMIT 1");
    q.bind(1, device_id).bind(2, patient_id).bind(3, at_ms - window_ms).bind(4, at_ms);
    if (q.step()) {
      auto found = Impl::read_case(q);
      if (opened != nullptr) *opened = false;
      return found;  // nothing written: the transaction rolls back harmlessly
    }
  }
  CaseRecord c;
  c.patient_id = patient_id;
  c.device_id = device_id;
  c.clinic = clinic;
  c.opened_ms = at_ms;
  c.created_by = device_id;
  c.case_id = impl_->insert_case(c);
  impl_->audit(device_id, "case_open", std::to_string(c.case_id),
               "clinic=" + clinic + " patient=" + patient_id);
  tx.commit();
  if (opened != nullptr) *opened = true;
  return c;
}

std::optional<CaseRecord> CaseStore::get_case(std::int64_t case_id) {
  auto q =
      impl_->db->query(std::string("SELECT ") + Impl::kCaseColumns + " FROM cases WHERE id = ?");
  q.bind(1, case_id);
  if (!q.step()) return std::nullopt;
  return Impl::read_case(q);
}

void CaseStore::set_state(std::int64_t case_id, const std::string& state,
                          const std::string& outcome, const std::string& actor) {
  Transaction tx(*impl_->db);
  impl_->require_case(case_id);
  impl_->db->query("UPDATE cases SET state = ?, outcome = ? WHERE id = ?")
      .bind(1, state)
      .bind(2, outcome)
      .bind(3, case_id)
      .run();
  impl_->audit(actor, "case_state", std::to_string(case_id),
               "state=" + state + " outcome=" + outcome);
  tx.commit();
}

std::int64_t CaseStore::append_node(const TimeNodeRecord& node) {
  Transaction tx(*impl_->db);
  impl_->require_case(node.case_id);
  const auto seq = impl_->insert_node(node);
  tx.commit();
  return seq;
}

std::int64_t CaseStore::append_flag(const CaseFlagRecord& flag) {
  Transaction tx(*impl_->db);
  impl_->require_case(flag.case_id);
  const auto seq = impl_->insert_flag(flag);
  tx.commit();
  return seq;
}

std::int64_t CaseStore::append_delay_reason(const DelayReasonRecord& reason) {
  Transaction tx(*impl_->db);
  impl_->require_case(reason.case_id);
  const auto seq = impl_->insert_reason(reason);
  tx.commit();
  return seq;
}

void CaseStore::link_study(std::int64_t case_id, std::int64_t study_id) {
  Transaction tx(*impl_->db);
  impl_->require_case(case_id);
  {
    auto q = impl_->db->query("SELECT case_id FROM case_studies WHERE study_id = ?");
    q.bind(1, study_id);
    if (q.step()) {
      if (q.int64(0) == case_id) return;  // idempotent
      throw Error("study " + std::to_string(study_id) + " already belongs to case " +
                  std::to_string(q.int64(0)));
    }
  }
  impl_->db->query("INSERT INTO case_studies (case_id, study_id, linked_ms) VALUES (?, ?, ?)")
      .bind(1, case_id)
      .bind(2, study_id)
      .bind(3, now_unix_ms())
      .run();
  tx.commit();
}

namespace {

const char* timeline_table(CaseStore::Timeline t) {
  switch (t) {
    case CaseStore::Timeline::time_nodes:
      return "time_nodes";
    case CaseStore::Timeline::case_flags:
      return "case_flags";
    case CaseStore::Timeline::delay_reasons:
      return "delay_reasons";
  }
  return "time_nodes";
}

}  // namespace

std::vector<std::pair<std::int64_t, std::int64_t>> CaseStore::timeline_rows_after(
    Timeline table, std::int64_t after_seq, std::size_t limit) {
  auto q = impl_->db->query(std::string("SELECT seq, case_id FROM ") + timeline_table(table) +
                            " WHERE seq > ? ORDER BY seq LIMIT ?");
  q.bind(1, after_seq).bind(2, static_cast<std::int64_t>(limit));
  std::vector<std::pair<std::int64_t, std::int64_t>> out;
  while (q.step()) out.emplace_back(q.int64(0), q.int64(1));
  return out;
}

std::int64_t CaseStore::last_timeline_seq(Timeline table) {
  auto q =
      impl_->db->query(std::string("SELECT coalesce(max(seq), 0) FROM ") + timeline_table(table));
  q.step();
  return q.int64(0);
}

std::optional<std::int64_t> CaseStore::case_of_study(std::int64_t study_id) {
  auto q = impl_->db->query("SELECT case_id FROM case_studies WHERE study_id = ?");
  q.bind(1, study_id);
  if (!q.step()) return std::nullopt;
  return q.int64(0);
}

std::optional<CaseBundle> CaseStore::load_case(std::int64_t case_id) {
  auto info = get_case(case_id);
  if (!info) return std::nullopt;
  std::vector<CaseBundle> one(1);
  one[0].info = std::move(*info);
  impl_->load_rows(one, "?", {case_id}, std::nullopt);
  return std::move(one[0]);
}

std::vector<CaseBundle> CaseStore::load_cases(UnixMs from_ms, UnixMs to_ms,
                                              const std::optional<std::string>& clinic,
                                              std::int64_t margin_ms) {
  const std::string filter =
      std::string("SELECT id FROM cases WHERE opened_ms >= ? AND opened_ms < ?") +
      (clinic ? " AND clinic = ?" : "");
  const std::vector<std::int64_t> binds = {from_ms - margin_ms, to_ms + margin_ms};
  std::vector<CaseBundle> out;
  {
    auto q = impl_->db->query(std::string("SELECT ") + Impl::kCaseColumns +
                              " FROM cases WHERE id IN (" + filter + ") ORDER BY id");
    q.bind(1, binds[0]).bind(2, binds[1]);
    if (clinic) q.bind(3, *clinic);
    while (q.step()) out.push_back(CaseBundle{Impl::read_case(q), {}, {}, {}, {}});
  }
  impl_->load_rows(out, filter, binds, clinic);
  return out;
}

std::vector<std::int64_t> CaseStore::import_cases(const std::vector<CaseBundle>& cases) {
  Transaction tx(*impl_->db);
  std::vector<std::int64_t> ids;
  ids.reserve(cases.size());
  for (const auto& b : cases) {
    const auto id = impl_->insert_case(b.info);
    ids.push_back(id);
    // Corrections in the bundle name the bundle's own seqs: map them to the stored ones.
    std::unordered_map<std::int64_t, std::int64_t> seq_map;
    for (auto n : b.nodes) {
      n.case_id = id;
      if (n.supersedes) {
        const auto it = seq_map.find(*n.supersedes);
        if (it == seq_map.end()) throw Error("import: correction of an unknown node");
        n.supersedes = it->second;
      }
      seq_map[n.seq] = impl_->insert_node(n);
    }
    for (auto f : b.flags) {
      f.case_id = id;
      impl_->insert_flag(f);
    }
    for (auto r : b.delay_reasons) {
      r.case_id = id;
      impl_->insert_reason(r);
    }
  }
  impl_->audit("", "case_import", std::to_string(cases.size()) + " cases", "");
  tx.commit();
  return ids;
}

}  // namespace gc::storage
