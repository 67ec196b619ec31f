// workflow — a STEMI case as an append-only list of time-node events (DESIGN.md §5), the
// effective timeline derived from them (corrections appended, never overwritten; cart clocks
// corrected by the offset measured at hello), order validation, and the versioned interval rule
// tables (China chest-pain centre, ESC, ACC/AHA) with per-case interval computation.
// Pure computation: no I/O, no SQLite (CaseStore in storage/ persists these values).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace gc::workflow {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// True when `text` holds nothing a reader can see: empty, or only ASCII white space, no-break
// spaces (U+00A0) and ideographic spaces (U+3000, what a Chinese input method types). A reason,
// a name or a note made of these says nothing and is refused where one is required.
bool is_blank(std::string_view text);

// Milliseconds since the Unix epoch, UTC.
using UnixMs = std::int64_t;

// ---------------------------------------------------------------------------------------------
// Time nodes. The string keys are stable (stored in the database, the CLI and reports): never
// rename one; add new kinds at the end.
enum class NodeKind {
  symptom_onset,                 // 发病
  call_for_help,                 // 呼叫120
  fmc,                           // 首次医疗接触
  first_ecg,                     // 首份心电图
  ecg_transmitted,               // 传输
  ecg_diagnosis,                 // 确诊
  dapt_loading,                  // 双抗给药
  cath_lab_activation_decision,  // 启动导管室 (green channel opened)
  ambulance_dispatch,            // 救护车出车
  door_out,                      // 转出 (door-out of the referring clinic)
  door_in,                       // 入门 (door-in of the PCI hospital)
  cath_lab_team_activated,       // 导管室激活
  cath_lab_arrival,              // 到达导管室
  arterial_puncture,             // 穿刺
  angiography_start,             // 造影开始
  wire_crossing,                 // 导丝通过
  procedure_end,                 // 手术结束
  thrombolysis_start,            // 溶栓开始
  thrombolysis_end,              // 溶栓结束
};
inline constexpr std::size_t kNodeKindCount = 19;

const std::array<NodeKind, kNodeKindCount>& all_node_kinds();
std::string_view key(NodeKind kind);       // "wire_crossing"
std::string_view label_zh(NodeKind kind);  // "导丝通过"
std::string_view label_en(NodeKind kind);  // "wire crossing"
std::optional<NodeKind> parse_node_kind(std::string_view key);

// Case flags (yes/no facts about the pathway), recorded as events like the nodes.
enum class CaseFlag { transfer, bypassed_ed, bypassed_ccu };
inline constexpr std::size_t kCaseFlagCount = 3;
std::string_view key(CaseFlag flag);
std::string_view label_zh(CaseFlag flag);
std::optional<CaseFlag> parse_case_flag(std::string_view key);

// ---------------------------------------------------------------------------------------------
// Events. Nothing is edited: a correction is a new event whose `supersedes` names the seq of
// the event it replaces.
struct TimeNodeEvent {
  std::int64_t seq = 0;  // append order within the case (database row id when stored)
  NodeKind kind = NodeKind::fmc;
  UnixMs raw_ms = 0;                   // as the source's clock said
  std::optional<UnixMs> corrected_ms;  // cart clock corrected by the hello offset (raw kept)
  std::string source;                  // "cart", "server", "station:<user>", "cli", "api"
  std::string actor;                   // who recorded it (user, device id, "server")
  std::string clock;                   // the clock that produced raw_ms: "cart", "server", ...
  UnixMs recorded_ms = 0;              // server clock when recorded
  std::optional<std::int64_t> supersedes;
  std::string note;  // why (required by the CLI for corrections)

  UnixMs effective_ms() const { return corrected_ms.value_or(raw_ms); }
};

struct FlagEvent {
  std::int64_t seq = 0;
  CaseFlag flag = CaseFlag::transfer;
  bool value = true;  // the latest event for a flag wins
  std::string source;
  std::string actor;
  UnixMs recorded_ms = 0;
};

// A recorded reason for a delay, optionally tied to one interval rule key ("d2w").
struct DelayReason {
  std::int64_t seq = 0;
  std::string interval_key;  // empty: applies to the case as a whole
  std::string reason;
  std::string actor;
  UnixMs recorded_ms = 0;
};

// Cart clocks drift: at hello the server measures cart_ahead_ms = cart clock − server clock.
// The corrected instant is raw − cart_ahead_ms; both are kept on the event.
UnixMs correct_cart_time(UnixMs cart_raw_ms, std::int64_t cart_ahead_ms);
TimeNodeEvent cart_node_event(NodeKind kind, UnixMs cart_raw_ms, std::int64_t cart_ahead_ms,
                              const std::string& device_id, UnixMs recorded_ms);

enum class Outcome { pending, stemi, not_stemi };
std::string_view key(Outcome outcome);
std::optional<Outcome> parse_outcome(std::string_view key);

struct CaseInfo {
  std::int64_t case_id = 0;
  std::string patient_id;  // pseudonymous
  std::string device_id;   // the cart that opened it (may be empty for manual cases)
  std::string clinic;
  UnixMs opened_ms = 0;
  std::string state = "open";  // open, closed
  Outcome outcome = Outcome::pending;
};

// A case is its events; everything else is derived.
struct Case {
  CaseInfo info;
  std::vector<TimeNodeEvent> nodes;
  std::vector<FlagEvent> flags;
  std::vector<DelayReason> delay_reasons;

  // Appends with the next seq (max of all seqs in the case + 1) when event.seq is 0; returns it.
  std::int64_t append(TimeNodeEvent event);
  std::int64_t append(FlagEvent event);
  std::int64_t append(DelayReason reason);
};

// ---------------------------------------------------------------------------------------------
// The effective timeline.
enum class Pathway { primary_pci, transfer_pci, lysis, not_stemi };
std::string_view key(Pathway pathway);

struct EffectiveNode {
  UnixMs at_ms = 0;              // corrected if the source clock was corrected
  std::int64_t seq = 0;          // the event that gives it
  bool corrected = false;        // it supersedes an earlier event
  bool clock_corrected = false;  // a cart time corrected by the hello offset
};

// A problem found in the events: recorded, shown, never silently fixed.
struct Violation {
  std::string code;  // "order", "duplicate", "bad_supersedes"
  std::string message;
  std::optional<NodeKind> first;   // for "order": must come first …
  std::optional<NodeKind> second;  // … but is after this one
};

struct Timeline {
  std::array<std::optional<EffectiveNode>, kNodeKindCount> nodes;
  std::array<bool, kCaseFlagCount> flags{};
  Pathway pathway = Pathway::primary_pci;
  std::vector<Violation> violations;

  std::optional<UnixMs> at(NodeKind kind) const;
  bool flag(CaseFlag f) const { return flags[static_cast<std::size_t>(f)]; }
  // Arrived by ambulance: EMS called/dispatched, or transferred from a referring clinic.
  bool ambulance_borne() const;
};

// Effective time of each node = the latest (highest seq) event of that kind not superseded by
// another. Pathway: not_stemi by outcome, lysis if thrombolysis started, transfer if flagged or a
// door-out is recorded, else primary PCI.
Timeline resolve(const Case& c);

// Impossible orders among the effective nodes (wire before door, door before FMC, angiography
// before puncture, diagnosis before first ECG, …). One violation per adjacent pair of the order
// restricted to the nodes present, so one wrong entry yields one or two messages, not ten.
std::vector<Violation> order_violations(const Timeline& t);

// ---------------------------------------------------------------------------------------------
// Interval rules.
enum class PathwayMask : unsigned {
  primary_pci = 1u << 0,
  transfer_pci = 1u << 1,
  lysis = 1u << 2,
  not_stemi = 1u << 3,
};
inline constexpr unsigned kPciPathways = 1u | 2u;
inline constexpr unsigned kStemiPathways = 1u | 2u | 4u;
inline constexpr unsigned kAllPathways = 15u;
inline bool applies(unsigned mask, Pathway p) {
  return (mask >> static_cast<unsigned>(p)) & 1u;
}

struct IntervalRule {
  std::string key;  // stable within a table: "fmc2ecg", "d2w", …
  std::string name_en;
  std::string name_zh;
  NodeKind from = NodeKind::fmc;
  // Used when `from` is missing (e.g. door→needle at the clinic where the patient presented:
  // its door is the FMC).
  std::optional<NodeKind> from_fallback;
  NodeKind to = NodeKind::wire_crossing;
  double target_min = 0;
  bool case_strict = false;  // per case: value < target (else ≤)
  unsigned pathways = kAllPathways;
  bool mean_target = false;                 // the monthly mean must meet the target
  bool mean_strict = false;                 // monthly mean < target (else ≤)
  std::optional<double> min_compliant_pct;  // ≥ this % of cases must meet the per-case target
  std::string note;
};

// Ratio checks beyond intervals (China accreditation).
enum class RatioCheck {
  remote_ecg_transmission,  // ≥ x % of ambulance-borne STEMI with an ECG transmitted before door-in
  bypass_ed,                // ≥ x % of ambulance-borne PCI STEMI bypassing the ED
};
std::string_view key(RatioCheck check);

struct RatioRequirement {
  RatioCheck check = RatioCheck::bypass_ed;
  double min_pct = 30;
};

struct RuleTable {
  std::string version;  // "cn-cpc-2021", "esc-2023", "acc-aha-2013"
  std::string title;
  std::vector<IntervalRule> rules;
  std::vector<RatioRequirement> ratios;
};

const std::vector<RuleTable>& rule_tables();
const RuleTable& rule_table(std::string_view version);  // throws Error naming the known versions

struct IntervalValue {
  // Why there is no value; the message is built on demand (reports over 100,000 cases should
  // not build a string per case and rule).
  enum class Missing {
    none,
    not_applicable,
    from_not_recorded,
    to_not_recorded,
    both_not_recorded,
    reversed
  };

  const IntervalRule* rule = nullptr;  // points into the rule table (static lifetime)
  bool applicable = false;             // the rule applies to this case's pathway
  Pathway pathway = Pathway::primary_pci;
  std::optional<double> minutes;  // measured value
  Missing missing = Missing::none;
  std::optional<bool> compliant;  // minutes within the per-case target

  // "door_in not recorded", "wire_crossing is before door_in (order violation)", … ("" if none).
  std::string missing_reason() const;
};

IntervalValue compute_interval(const IntervalRule& rule, const Timeline& t);
std::vector<IntervalValue> compute_intervals(const RuleTable& table, const Timeline& t);

// ---------------------------------------------------------------------------------------------
// Time zones: libstdc++ 12 lacks std::chrono::tzdb, so a fixed-offset table: "Asia/Shanghai"
// (and the other China zone names, +08:00, no DST since 1991), "UTC"/"Etc/UTC"/"Z", and explicit
// "+HH:MM" / "-HH:MM" offsets. Zones with DST are refused rather than guessed.
struct TimeZone {
  std::string name = "Asia/Shanghai";
  int offset_min = 8 * 60;
};
TimeZone parse_time_zone(std::string_view name);  // throws Error

// "2026-05-12 16:54" in the zone (seconds shown only when not zero).
std::string format_local(UnixMs t, const TimeZone& tz);
// "2026-05-12T16:54:00+08:00"
std::string format_iso(UnixMs t, const TimeZone& tz);
// The same, appended to `out` (no temporary strings; used by the report renderers).
void append_local(std::string& out, UnixMs t, const TimeZone& tz);
void append_iso(std::string& out, UnixMs t, const TimeZone& tz);
// "2026-05" of the instant in the zone.
std::string local_month(UnixMs t, const TimeZone& tz);
// Parses "2026-05-12T16:54+08:00", "…T16:54:30Z", "2026-05-12 16:54" (then in `tz`) and
// "2026-05-12" (midnight in `tz`). Throws Error on anything else.
UnixMs parse_instant(std::string_view text, const TimeZone& tz);
// Midnight of the first day of the month after the one containing t (in tz).
UnixMs next_month_start(UnixMs t, const TimeZone& tz);

}  // namespace gc::workflow
