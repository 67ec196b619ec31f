// `greenchannel report`: the chest-pain-centre audit for a period (HTML, CSV or JSON) from the
// database, or from a synthetic demo month (--demo-month) without any database.
#include <boost/program_options.hpp>
#include <chrono>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>

#include "gc/case_io.hpp"
#include "gc/case_store.hpp"
#include "gc/case_synth.hpp"
#include "gc/report.hpp"
#include "paths.hpp"
#include "workflow_commands.hpp"

namespace po = boost::program_options;

namespace gc::cli {

namespace {

constexpr const char* kUsage =
    "usage: greenchannel report --from DATE --to DATE [--clinic NAME] [--format html|csv|json]\n"
    "                           [--out FILE] [--tz Asia/Shanghai] [--rules cn-cpc-2021] [--db "
    "PATH]\n"
    "       greenchannel report --demo-month 2026-05 [--demo-cases 60] [--seed 1] [options above]\n"
    "\n"
    "Audit report of green-channel cases whose first medical contact (else case opening) lies in\n"
    "[--from, --to): per-case intervals, monthly means/medians, % compliant per target, clinics,\n"
    "outliers with delay reasons, accreditation checks. DATE is 2026-05-01 (midnight in --tz) or "
    "a\n"
    "full time (2026-05-01T00:00+08:00). --demo-month reports on a synthetic month instead of the\n"
    "database (nothing is written; `greenchannel case synth` stores one). Time zones: "
    "Asia/Shanghai\n"
    "(default), UTC or a fixed offset such as +08:00 (a built-in fixed-offset table; no DST "
    "zones).\n"
    "Rule tables: cn-cpc-2021 (default), esc-2023, acc-aha-2013.\n";

storage::UnixMs now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

int cmd_report(int argc, char** argv) {
  std::string from_text, to_text, clinic, format, out_path, tz_name, rules, db, demo_month, centre;
  std::size_t demo_cases = 60;
  std::uint64_t seed = 1;
  po::options_description desc("options");
  desc.add_options()("help,h", "show this help")("from", po::value(&from_text),
                                                 "period start (inclusive)")(
      "to", po::value(&to_text), "period end (exclusive)")("clinic", po::value(&clinic),
                                                           "only this clinic")(
      "format", po::value(&format)->default_value("html"), "html, csv or json")(
      "out", po::value(&out_path)->default_value("-"), "output file (- for stdout)")(
      "tz", po::value(&tz_name)->default_value("Asia/Shanghai"), "display time zone")(
      "rules", po::value(&rules)->default_value("cn-cpc-2021"), "rule table version")(
      "db", po::value(&db)->default_value(default_db_path().string()),
      "database: a SQLite file, or postgresql://user@host:port/dbname (password from PGPASSWORD or "
      "~/.pgpass)")("centre", po::value(&centre)->default_value("greenchannel chest pain centre"),
                    "centre name shown")(
      "demo-month", po::value(&demo_month),
      "report on a synthetic month YYYY-MM instead of the database")(
      "demo-cases", po::value(&demo_cases)->default_value(60), "cases in the demo month")(
      "seed", po::value(&seed)->default_value(1), "demo seed (same seed, same month)");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(desc).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "greenchannel report: " << e.what() << "\n\n" << kUsage << "\n" << desc;
    return 2;
  }
  if (vm.count("help") != 0U) {
    std::cout << kUsage << "\n" << desc;
    return 0;
  }
  if (format != "html" && format != "csv" && format != "json") {
    std::cerr << "greenchannel report: --format must be html, csv or json\n";
    return 2;
  }

  workflow::ReportOptions o;
  o.tz = workflow::parse_time_zone(tz_name);
  o.rules_version = rules;
  workflow::rule_table(rules);  // fail early on an unknown version
  o.centre_name = centre;
  o.generated_ms = now_ms();
  if (!clinic.empty()) o.clinic = clinic;

  std::vector<workflow::Case> cases;
  if (!demo_month.empty()) {
    const auto start = workflow::parse_instant(demo_month + "-01", o.tz);
    o.from_ms = from_text.empty() ? start : workflow::parse_instant(from_text, o.tz);
    o.to_ms = to_text.empty() ? workflow::next_month_start(start, o.tz)
                              : workflow::parse_instant(to_text, o.tz);
    workflow::SynthCasesOptions so;
    so.from_ms = start;
    so.to_ms = workflow::next_month_start(start, o.tz);
    so.n_cases = demo_cases;
    so.seed = seed;
    cases = workflow::synth_cases(so);
  } else {
    if (from_text.empty() || to_text.empty()) {
      std::cerr << "greenchannel report: --from and --to are required (or --demo-month)\n\n"
                << kUsage;
      return 2;
    }
    o.from_ms = workflow::parse_instant(from_text, o.tz);
    o.to_ms = workflow::parse_instant(to_text, o.tz);
    auto store = storage::CaseStore::open(db, "cli:report");
    for (const auto& b : store->load_cases(o.from_ms, o.to_ms, o.clinic))
      cases.push_back(workflow::to_case(b));
  }

  const auto report = workflow::build_report(cases, o);
  const std::string text = format == "html"  ? workflow::to_html(report)
                           : format == "csv" ? workflow::to_csv(report)
                                             : workflow::to_json(report);
  if (out_path == "-") {
    std::cout << text;
  } else {
    std::ofstream out(out_path, std::ios::binary);
    if (!out) throw std::runtime_error("cannot write " + out_path);
    out << text;
    out.close();
    if (!out) throw std::runtime_error("error writing " + out_path);
    std::size_t failed = 0, passed = 0;
    for (const auto& c : report.checks) {
      if (c.passed == true) ++passed;
      if (c.passed == false) ++failed;
    }
    std::cerr << "wrote " << out_path << ": " << report.cases.size() << " cases, "
              << report.outliers.size() << " outliers, checks " << passed << " passed / " << failed
              << " failed, " << report.n_violations << " order problems\n";
  }
  return 0;
}

}  // namespace gc::cli
