// `greenchannel case …`: open cases, record time nodes / flags / delay reasons (appended, never
// overwritten; corrections name what they correct), show a case's timeline and intervals, and
// fill a database with a synthetic demo month.
#include <algorithm>
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iomanip>
#include <iostream>
#include <optional>
#include <string>

#include "gc/case_io.hpp"
#include "gc/case_store.hpp"
#include "gc/case_synth.hpp"
#include "gc/workflow.hpp"
#include "paths.hpp"
#include "subcommand.hpp"
#include "workflow_commands.hpp"

namespace po = boost::program_options;

namespace gc::cli {

namespace {

using workflow::NodeKind;

constexpr const char* kUsage =
    "usage: greenchannel case <command> [options]\n"
    "  open --clinic NAME [--patient ID] [--device ID] [--at TIME] --by USER\n"
    "                                   open a case by hand; prints its id\n"
    "  event CASE_ID KIND --at TIME --by USER [--reason TEXT] [--corrects SEQ]\n"
    "                                   record a time node, e.g. wire_crossing --at "
    "2026-05-12T16:54+08:00;\n"
    "                                   a correction names the event it corrects (--corrects SEQ) "
    "and\n"
    "                                   needs --reason; nothing is overwritten\n"
    "  flag CASE_ID FLAG [--no] --by USER\n"
    "                                   transfer, bypassed_ed, bypassed_ccu (--no withdraws it)\n"
    "  delay CASE_ID --reason TEXT [--interval KEY] --by USER\n"
    "                                   record why an interval (e.g. d2w) was late\n"
    "  close CASE_ID --outcome stemi|not_stemi --by USER\n"
    "  show CASE_ID [--rules cn-cpc-2021] [--tz Asia/Shanghai]\n"
    "                                   every event (superseded ones marked), the effective "
    "timeline,\n"
    "                                   intervals and order problems\n"
    "  synth --month 2026-05 [--cases 60] [--seed 1]\n"
    "                                   store a synthetic demo month (transfers, lysis, late "
    "cases)\n"
    "Each accepts --db PATH (default: var/greenchannel.db), --tz ZONE (for --at and display;\n"
    "default Asia/Shanghai) and --help. Time nodes: symptom_onset call_for_help fmc first_ecg\n"
    "ecg_transmitted ecg_diagnosis dapt_loading cath_lab_activation_decision ambulance_dispatch\n"
    "door_out door_in cath_lab_team_activated cath_lab_arrival arterial_puncture "
    "angiography_start\n"
    "wire_crossing procedure_end thrombolysis_start thrombolysis_end.\n";

storage::UnixMs now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Common {
  std::string db;
  std::string tz_name;
  std::string by;
};

void add_common(po::options_description& desc, Common& c, bool needs_user) {
  desc.add_options()("help,h", "show this help")(
      "db", po::value(&c.db)->default_value(default_db_path().string()),
      "database: a SQLite file, or postgresql://user@host:port/dbname (password from PGPASSWORD or "
      "~/.pgpass)")("tz", po::value(&c.tz_name)->default_value("Asia/Shanghai"),
                    "time zone for --at and display");
  if (needs_user)
    desc.add_options()("by", po::value(&c.by)->required(), "who records it (user name)");
}

std::unique_ptr<storage::CaseStore> open_store(const Common& c) {
  return storage::CaseStore::open(c.db, "cli:" + (c.by.empty() ? std::string("report") : c.by));
}

workflow::Case load(storage::CaseStore& store, std::int64_t id) {
  const auto bundle = store.load_case(id);
  if (!bundle) throw std::runtime_error("no case " + std::to_string(id));
  return workflow::to_case(*bundle);
}

void print_problems(const workflow::Case& c) {
  for (const auto& v : workflow::resolve(c).violations) {
    std::cerr << "warning: case " << c.info.case_id << ": " << v.message << " [" << v.code << "]\n";
  }
}

int case_open(int argc, char** argv) {
  Common c;
  std::string clinic, patient, device, at;
  po::options_description desc("options");
  add_common(desc, c, true);
  desc.add_options()("clinic", po::value(&clinic)->required(), "clinic (or EMS station)")(
      "patient", po::value(&patient), "pseudonymous patient id")(
      "device", po::value(&device), "cart id")("at", po::value(&at), "opening time (default: now)");
  po::variables_map vm;
  if (auto rc = parse_options("case", argc, argv, desc, nullptr, vm,
                              "usage: greenchannel case open --clinic NAME --by USER"))
    return *rc;
  const auto tz = workflow::parse_time_zone(c.tz_name);
  auto store = open_store(c);
  storage::CaseRecord r;
  r.clinic = clinic;
  r.patient_id = patient;
  r.device_id = device;
  r.opened_ms = at.empty() ? now_ms() : workflow::parse_instant(at, tz);
  r.created_by = c.by;
  const auto opened = store->open_case(r);
  std::cout << opened.case_id << "\n";
  return 0;
}

int case_event(int argc, char** argv) {
  Common c;
  std::int64_t case_id = 0;
  std::string kind_text, at, reason, source;
  std::int64_t corrects = 0;
  po::options_description desc("options");
  add_common(desc, c, true);
  desc.add_options()("case", po::value(&case_id)->required(), "case id")(
      "kind", po::value(&kind_text)->required(), "time node kind")(
      "at", po::value(&at)->required(),
      "when: 2026-05-12T16:54+08:00, '2026-05-12 16:54' (in --tz)")(
      "reason", po::value(&reason), "note; required for a correction")(
      "corrects", po::value(&corrects), "seq of the event this corrects")(
      "source", po::value(&source)->default_value("cli"), "cli, api or station:<user>");
  po::positional_options_description pos;
  pos.add("case", 1).add("kind", 1);
  po::variables_map vm;
  if (auto rc =
          parse_options("case", argc, argv, desc, &pos, vm,
                        "usage: greenchannel case event CASE_ID KIND --at TIME --by USER [--reason "
                        "TEXT] [--corrects SEQ]")) {
    return *rc;
  }
  const auto kind = workflow::parse_node_kind(kind_text);
  if (!kind) {
    std::cerr << "greenchannel case event: unknown time node '" << kind_text << "'\n" << kUsage;
    return 2;
  }
  const auto tz = workflow::parse_time_zone(c.tz_name);
  auto store = open_store(c);
  const auto before = load(*store, case_id);
  workflow::TimeNodeEvent e;
  e.kind = *kind;
  e.raw_ms = workflow::parse_instant(at, tz);
  e.source = source;
  e.actor = c.by;
  e.clock = "manual";  // typed by a person: no device clock to correct
  e.recorded_ms = now_ms();
  e.note = reason;
  if (vm.count("corrects") != 0U) {
    if (reason.empty()) {
      std::cerr << "greenchannel case event: a correction needs --reason\n";
      return 2;
    }
    e.supersedes = corrects;
  } else {
    // Recording the same node twice is almost always a correction someone forgot to name.
    const auto t = workflow::resolve(before);
    if (const auto& existing = t.nodes[static_cast<std::size_t>(*kind)]) {
      std::cerr << "greenchannel case event: " << kind_text << " is already recorded for case "
                << case_id << " (seq " << existing->seq << ", "
                << workflow::format_local(existing->at_ms, tz) << "); to correct it add --corrects "
                << existing->seq << " --reason TEXT\n";
      return 1;
    }
  }
  const auto seq = store->append_node(workflow::to_record(case_id, e));
  std::cout << "case " << case_id << ": " << kind_text << " (" << workflow::label_zh(*kind)
            << ") at " << workflow::format_local(e.raw_ms, tz) << " recorded as seq " << seq
            << (e.supersedes ? " (corrects seq " + std::to_string(*e.supersedes) + ")"
                             : std::string())
            << "\n";
  print_problems(load(*store, case_id));
  return 0;
}

int case_flag(int argc, char** argv) {
  Common c;
  std::int64_t case_id = 0;
  std::string flag_text;
  po::options_description desc("options");
  add_common(desc, c, true);
  desc.add_options()("case", po::value(&case_id)->required(), "case id")(
      "flag", po::value(&flag_text)->required(), "transfer, bypassed_ed or bypassed_ccu")(
      "no", "withdraw the flag");
  po::positional_options_description pos;
  pos.add("case", 1).add("flag", 1);
  po::variables_map vm;
  if (auto rc = parse_options("case", argc, argv, desc, &pos, vm,
                              "usage: greenchannel case flag CASE_ID FLAG [--no] --by USER"))
    return *rc;
  const auto flag = workflow::parse_case_flag(flag_text);
  if (!flag) {
    std::cerr << "greenchannel case flag: unknown flag '" << flag_text << "'\n";
    return 2;
  }
  auto store = open_store(c);
  workflow::FlagEvent f;
  f.flag = *flag;
  f.value = vm.count("no") == 0U;
  f.source = "cli";
  f.actor = c.by;
  f.recorded_ms = now_ms();
  const auto seq = store->append_flag(workflow::to_record(case_id, f));
  std::cout << "case " << case_id << ": " << flag_text << " = " << (f.value ? "yes" : "no")
            << " (seq " << seq << ")\n";
  return 0;
}

int case_delay(int argc, char** argv) {
  Common c;
  std::int64_t case_id = 0;
  std::string reason, interval;
  po::options_description desc("options");
  add_common(desc, c, true);
  desc.add_options()("case", po::value(&case_id)->required(), "case id")(
      "reason", po::value(&reason)->required(), "why")("interval", po::value(&interval),
                                                       "rule key, e.g. d2w");
  po::positional_options_description pos;
  pos.add("case", 1);
  po::variables_map vm;
  if (auto rc = parse_options("case", argc, argv, desc, &pos, vm,
                              "usage: greenchannel case delay CASE_ID --reason TEXT --by USER"))
    return *rc;
  auto store = open_store(c);
  workflow::DelayReason r;
  r.interval_key = interval;
  r.reason = reason;
  r.actor = c.by;
  r.recorded_ms = now_ms();
  const auto seq = store->append_delay_reason(workflow::to_record(case_id, r));
  std::cout << "case " << case_id << ": delay reason recorded (seq " << seq << ")\n";
  return 0;
}

int case_close(int argc, char** argv) {
  Common c;
  std::int64_t case_id = 0;
  std::string outcome;
  po::options_description desc("options");
  add_common(desc, c, true);
  desc.add_options()("case", po::value(&case_id)->required(), "case id")(
      "outcome", po::value(&outcome)->required(), "stemi or not_stemi");
  po::positional_options_description pos;
  pos.add("case", 1);
  po::variables_map vm;
  if (auto rc = parse_options(
          "case", argc, argv, desc, &pos, vm,
          "usage: greenchannel case close CASE_ID --outcome stemi|not_stemi --by USER"))
    return *rc;
  if (!workflow::parse_outcome(outcome) || outcome == "pending") {
    std::cerr << "greenchannel case close: --outcome must be stemi or not_stemi\n";
    return 2;
  }
  auto store = open_store(c);
  store->set_state(case_id, "closed", outcome, "cli:" + c.by);
  std::cout << "case " << case_id << " closed (" << outcome << ")\n";
  return 0;
}

int case_show(int argc, char** argv) {
  Common c;
  std::int64_t case_id = 0;
  std::string rules;
  po::options_description desc("options");
  add_common(desc, c, false);
  desc.add_options()("case", po::value(&case_id)->required(), "case id")(
      "rules", po::value(&rules)->default_value("cn-cpc-2021"), "rule table version");
  po::positional_options_description pos;
  pos.add("case", 1);
  po::variables_map vm;
  if (auto rc = parse_options("case", argc, argv, desc, &pos, vm,
                              "usage: greenchannel case show CASE_ID"))
    return *rc;
  const auto tz = workflow::parse_time_zone(c.tz_name);
  const auto& table = workflow::rule_table(rules);
  auto store = open_store(c);
  const auto bundle = store->load_case(case_id);
  if (!bundle) {
    std::cerr << "greenchannel case show: no case " << case_id << "\n";
    return 1;
  }
  const auto kase = workflow::to_case(*bundle);
  const auto t = workflow::resolve(kase);
  const auto& i = kase.info;
  std::cout << "case " << i.case_id << "  clinic " << i.clinic << "  patient "
            << (i.patient_id.empty() ? "-" : i.patient_id) << "  cart "
            << (i.device_id.empty() ? "-" : i.device_id) << "\n  opened "
            << workflow::format_local(i.opened_ms, tz) << " (" << tz.name << ")  state " << i.state
            << "  outcome " << workflow::key(i.outcome) << "  pathway " << workflow::key(t.pathway);
  for (auto f : {workflow::CaseFlag::transfer, workflow::CaseFlag::bypassed_ed,
                 workflow::CaseFlag::bypassed_ccu}) {
    if (t.flag(f)) std::cout << "  [" << workflow::key(f) << "]";
  }
  std::cout << "\n  studies:";
  if (bundle->study_ids.empty()) std::cout << " none";
  for (auto s : bundle->study_ids) std::cout << " " << s;
  std::cout << "\n\nevents (all, as recorded):\n";
  std::vector<std::int64_t> superseded;
  for (const auto& e : kase.nodes) {
    if (e.supersedes) superseded.push_back(*e.supersedes);
  }
  for (const auto& e : kase.nodes) {
    const bool dead = std::find(superseded.begin(), superseded.end(), e.seq) != superseded.end();
    std::cout << "  " << std::setw(6) << e.seq << "  " << std::left << std::setw(29)
              << workflow::key(e.kind) << std::right << workflow::format_local(e.raw_ms, tz);
    if (e.corrected_ms)
      std::cout << " → " << workflow::format_local(*e.corrected_ms, tz) << " (clock corrected)";
    std::cout << "  " << e.source << (e.actor.empty() ? "" : " by " + e.actor) << " clock "
              << e.clock;
    if (e.supersedes) std::cout << "  corrects " << *e.supersedes;
    if (dead) std::cout << "  [superseded]";
    if (!e.note.empty()) std::cout << "  — " << e.note;
    std::cout << "\n";
  }
  std::cout << "\ntimeline:\n";
  // In time order (stable: same-minute nodes keep the clinical order of the kinds).
  std::vector<NodeKind> order;
  for (auto k : workflow::all_node_kinds()) {
    if (t.nodes[static_cast<std::size_t>(k)]) order.push_back(k);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](NodeKind a, NodeKind b) { return *t.at(a) < *t.at(b); });
  for (auto k : order) {
    const auto& n = *t.nodes[static_cast<std::size_t>(k)];
    std::cout << "  " << workflow::format_local(n.at_ms, tz) << "  " << workflow::label_zh(k) << " "
              << workflow::key(k) << (n.corrected ? "  (corrected)" : "")
              << (n.clock_corrected ? "  (cart clock corrected)" : "") << "\n";
  }
  std::cout << "\nintervals (" << table.version << "):\n";
  for (const auto& v : workflow::compute_intervals(table, t)) {
    if (!v.applicable) continue;
    std::cout << "  " << std::left << std::setw(18) << v.rule->key << std::right;
    if (v.minutes) {
      std::cout << std::fixed << std::setprecision(1) << std::setw(7) << *v.minutes << " min  "
                << (v.rule->case_strict ? "< " : "≤ ") << std::setprecision(0) << v.rule->target_min
                << "  " << (*v.compliant ? "met" : "MISSED");
    } else {
      std::cout << "      —      " << v.missing_reason();
    }
    std::cout << "  " << v.rule->name_zh << "\n";
  }
  if (!t.violations.empty()) {
    std::cout << "\nproblems:\n";
    for (const auto& v : t.violations) std::cout << "  " << v.code << ": " << v.message << "\n";
  }
  if (!kase.delay_reasons.empty()) {
    std::cout << "\ndelay reasons:\n";
    for (const auto& r : kase.delay_reasons) {
      std::cout << "  " << (r.interval_key.empty() ? "case" : r.interval_key) << ": " << r.reason
                << (r.actor.empty() ? "" : " (" + r.actor + ")") << "\n";
    }
  }
  return 0;
}

int case_synth(int argc, char** argv) {
  Common c;
  std::string month;
  std::size_t n_cases = 60;
  std::uint64_t seed = 1;
  po::options_description desc("options");
  add_common(desc, c, false);
  desc.add_options()("month", po::value(&month)->required(), "YYYY-MM")(
      "cases", po::value(&n_cases)->default_value(60), "number of cases")(
      "seed", po::value(&seed)->default_value(1), "same seed, same month");
  po::variables_map vm;
  if (auto rc = parse_options("case", argc, argv, desc, nullptr, vm,
                              "usage: greenchannel case synth --month 2026-05 [--cases 60]"))
    return *rc;
  const auto tz = workflow::parse_time_zone(c.tz_name);
  workflow::SynthCasesOptions so;
  so.from_ms = workflow::parse_instant(month + "-01", tz);
  so.to_ms = workflow::next_month_start(so.from_ms, tz);
  so.n_cases = n_cases;
  so.seed = seed;
  std::vector<storage::CaseBundle> bundles;
  for (const auto& k : workflow::synth_cases(so)) bundles.push_back(workflow::to_bundle(k));
  auto store = storage::CaseStore::open(c.db, "cli:case-synth");
  const auto ids = store->import_cases(bundles);
  std::cout << "stored " << ids.size() << " synthetic cases for " << month;
  if (!ids.empty()) std::cout << " (ids " << ids.front() << "–" << ids.back() << ")";
  std::cout << " in " << c.db << "\n";
  return 0;
}

}  // namespace

int cmd_case(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0 ||
      std::strcmp(argv[1], "help") == 0) {
    std::cout << kUsage;
    return argc < 2 ? 2 : 0;
  }
  const std::string sub = argv[1];
  if (sub == "open") return case_open(argc - 1, argv + 1);
  if (sub == "event") return case_event(argc - 1, argv + 1);
  if (sub == "flag") return case_flag(argc - 1, argv + 1);
  if (sub == "delay") return case_delay(argc - 1, argv + 1);
  if (sub == "close") return case_close(argc - 1, argv + 1);
  if (sub == "show") return case_show(argc - 1, argv + 1);
  if (sub == "synth") return case_synth(argc - 1, argv + 1);
  std::cerr << "greenchannel case: unknown subcommand '" << sub << "'\n" << kUsage;
  return 2;
}

}  // namespace gc::cli
