// `greenchannel roster …`: the on-call roster that alert escalation pages along (issue 6). `set`
// adds shifts to the roster in force — each takes over the time it covers, every other shift is
// kept (issue 15: setting tomorrow used to wipe today) — or with --replace replaces it all;
// every name must be a known, enabled station user. Each change is a new version (the previous
// ones stay in the database for the audit). `show` prints the roster and who is on call now.
#include <boost/json.hpp>
#include <boost/program_options.hpp>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "gc/alert_service.hpp"
#include "gc/station.hpp"
#include "gc/station_store.hpp"
#include "gc/storage.hpp"
#include "gc/workflow.hpp"
#include "paths.hpp"
#include "subcommand.hpp"

namespace po = boost::program_options;

namespace gc::cli {

namespace {

constexpr const char* kUsage =
    "usage: greenchannel roster <command> [options]\n"
    "  set --shift 'START/END:dr_li,dr_wang,dr_zhang' [--shift ...] --by USER [--replace]\n"
    "                                   add shifts: each [START, END) pages its chain in order\n"
    "                                   (primary, backup, then the next) and takes over the time\n"
    "                                   it covers; other shifts are kept (--replace: the given\n"
    "                                   shifts become the whole roster); times as\n"
    "                                   2026-05-12T08:00+08:00 or '2026-05-12 08:00' (in --tz);\n"
    "                                   names: known, enabled station users (`greenchannel user`)\n"
    "  show [--json]                    the roster in force and who is on call now\n"
    "Each accepts --db PATH (default: var/greenchannel.db), --tz ZONE (default Asia/Shanghai)\n"
    "and --help. Shifts may not overlap; a time nobody covers pages nobody (and says so).\n";

struct Common {
  std::string db;
  std::string tz_name;
};

void add_common(po::options_description& desc, Common& c) {
  desc.add_options()("help,h", "show this help")(
      "db", po::value(&c.db)->default_value(default_db_path().string()),
      "database: a SQLite file, or postgresql://user@host:port/dbname (password from PGPASSWORD or "
      "~/.pgpass)")("tz", po::value(&c.tz_name)->default_value("Asia/Shanghai"),
                    "time zone for times");
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

// "START/END:a,b,c" → a shift. The chain follows the last ':' (times may contain ':').
workflow::Shift parse_shift(const std::string& spec, const workflow::TimeZone& tz) {
  const auto slash = spec.find('/');
  const auto colon = spec.rfind(':');
  if (slash == std::string::npos || colon == std::string::npos || colon < slash) {
    throw std::runtime_error("--shift '" + spec + "': expected START/END:name,name,...");
  }
  workflow::Shift shift;
  try {
    shift.start_ms = workflow::parse_instant(trim(spec.substr(0, slash)), tz);
    shift.end_ms = workflow::parse_instant(trim(spec.substr(slash + 1, colon - slash - 1)), tz);
  } catch (const workflow::Error& e) {
    throw std::runtime_error("--shift '" + spec + "': " + e.what());
  }
  std::string names = spec.substr(colon + 1);
  std::size_t pos = 0;
  while (pos <= names.size()) {
    const auto comma = names.find(',', pos);
    const std::string name =
        trim(names.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos));
    if (name.empty()) throw std::runtime_error("--shift '" + spec + "': empty name in the chain");
    shift.chain.push_back(name);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return shift;
}

std::unique_ptr<workflow::AlertService> open_service(const Common& c) {
  workflow::AlertServiceConfig cfg;
  cfg.db_path = c.db;
  return std::make_unique<workflow::AlertService>(cfg, workflow::AlertChannels{});
}

int roster_set(int argc, char** argv) {
  Common c;
  std::vector<std::string> specs;
  std::string by;
  po::options_description desc("options");
  add_common(desc, c);
  desc.add_options()("shift", po::value(&specs)->required(),
                     "START/END:primary,backup,... (repeat for each shift)")(
      "by", po::value(&by)->required(), "who sets it (user name)")(
      "replace", "the given shifts replace the whole roster (default: added to it)");
  po::variables_map vm;
  if (auto rc = parse_options("roster", argc, argv, desc, nullptr, vm, kUsage)) return *rc;
  const auto tz = workflow::parse_time_zone(c.tz_name);
  std::vector<workflow::Shift> shifts;
  for (const auto& spec : specs) shifts.push_back(parse_shift(spec, tz));
  {
    auto users = storage::StationStore::open(c.db);
    if (const auto problems = station::roster_user_problems(*users, shifts); !problems.empty()) {
      std::string message;
      for (const auto& p : problems) message += (message.empty() ? "" : "; ") + p;
      throw std::runtime_error(message + " (nothing changed)");
    }
  }
  auto service = open_service(c);
  const bool replace = vm.count("replace") != 0U;
  const auto roster = replace ? shifts : workflow::merge_shifts(service->roster_shifts(), shifts);
  service->set_roster(roster, "cli:" + by);
  std::cout << "roster set: " << shifts.size() << " shift(s) "
            << (replace ? "replaced" : "added to") << " the roster (" << roster.size()
            << " in all)\n";
  return 0;
}

int roster_show(int argc, char** argv) {
  Common c;
  po::options_description desc("options");
  add_common(desc, c);
  desc.add_options()("json", "print JSON");
  po::variables_map vm;
  if (auto rc = parse_options("roster", argc, argv, desc, nullptr, vm, kUsage)) return *rc;
  const auto tz = workflow::parse_time_zone(c.tz_name);
  auto service = open_service(c);
  const auto shifts = service->roster_shifts();
  const auto now = storage::now_unix_ms();
  const auto on_call = service->roster().on_call(now);
  if (vm.count("json") != 0U) {
    boost::json::array out;
    for (const auto& s : shifts) {
      boost::json::array chain;
      for (const auto& n : s.chain) chain.emplace_back(n);
      out.push_back(boost::json::object{{"start", workflow::format_iso(s.start_ms, tz)},
                                        {"end", workflow::format_iso(s.end_ms, tz)},
                                        {"start_ms", s.start_ms},
                                        {"end_ms", s.end_ms},
                                        {"chain", std::move(chain)}});
    }
    boost::json::array now_chain;
    for (const auto& n : on_call) now_chain.emplace_back(n);
    std::cout << boost::json::serialize(
                     boost::json::object{{"shifts", std::move(out)}, {"on_call_now", now_chain}})
              << "\n";
    return 0;
  }
  if (shifts.empty()) {
    std::cout << "no roster: alerts page nobody (set one with `greenchannel roster set`)\n";
    return 0;
  }
  for (const auto& s : shifts) {
    std::cout << workflow::format_local(s.start_ms, tz) << " – "
              << workflow::format_local(s.end_ms, tz) << "  ";
    for (std::size_t i = 0; i < s.chain.size(); ++i) std::cout << (i ? " → " : "") << s.chain[i];
    std::cout << (now >= s.start_ms && now < s.end_ms ? "   (now)" : "") << "\n";
  }
  if (on_call.empty()) std::cout << "nobody is on call now\n";
  return 0;
}

}  // namespace

int cmd_roster(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  const std::string sub = argv[1];
  try {
    if (sub == "set") return roster_set(argc - 1, argv + 1);
    if (sub == "show") return roster_show(argc - 1, argv + 1);
    if (sub == "help" || sub == "--help" || sub == "-h") {
      std::cout << kUsage;
      return 0;
    }
  } catch (const std::exception& e) {
    std::cerr << "greenchannel roster " << sub << ": " << e.what() << "\n";
    return 1;
  }
  std::cerr << "greenchannel roster: unknown command '" << sub << "'\n" << kUsage;
  return 2;
}

}  // namespace gc::cli
