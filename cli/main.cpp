// greenchannel — remote ECG triage. Git-style subcommands; `greenchannel help` lists them.
#include <cstring>
#include <exception>
#include <iostream>
#include <string_view>

#include "commands.hpp"
#include "gc/dsp.hpp"
#include "workflow_commands.hpp"

namespace {

struct Command {
  std::string_view name;
  int (*run)(int, char**);
  std::string_view summary;
};

constexpr Command kCommands[] = {
    {"serve", gc::cli::cmd_serve, "run the server: ingest for carts, the reading station, alerts"},
    {"cart", gc::cli::cmd_cart, "simulate a cart: stream records to a server"},
    {"device", gc::cli::cmd_device, "register, list and revoke carts"},
    {"roster", gc::cli::cmd_roster, "on-call roster that alerts escalate along: set, show"},
    {"user", gc::cli::cmd_user, "reading-station accounts: add, list, disable"},
    {"db", gc::cli::cmd_db, "database backup (online, verified) and restore"},
    {"tls", gc::cli::cmd_tls, "the centre CA and server certificate: show, renew, new-ca"},
    {"analyze", gc::cli::cmd_analyze, "analyse a WFDB record offline (--json for the contract)"},
    {"convert", gc::cli::cmd_convert, "write an ECG as WFDB, HL7 aECG, DICOM or a printable PDF"},
    {"synth", gc::cli::cmd_synth, "generate synthetic ECG records"},
    {"bench", gc::cli::cmd_bench, "load benchmarks (bench ingest: thousands of TLS carts)"},
    {"eval", gc::cli::cmd_eval, "measure accuracy on the annotated databases"},
    {"case", gc::cli::cmd_case, "chest-pain cases: time nodes, flags, delay reasons"},
    {"report", gc::cli::cmd_report, "audit report of time-node intervals (html, csv, json)"},
};

void usage(std::ostream& out) {
  out << "usage: greenchannel <command> [options]\n\ncommands:\n";
  for (const auto& c : kCommands) {
    out << "  " << c.name << std::string(10 - c.name.size(), ' ') << c.summary << "\n";
  }
  out << "\n`greenchannel <command> --help` describes each command.\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "help") == 0 || std::strcmp(argv[1], "--help") == 0 ||
      std::strcmp(argv[1], "-h") == 0) {
    usage(std::cout);
    return argc < 2 ? 2 : 0;
  }
  if (std::strcmp(argv[1], "--version") == 0) {
    std::cout << "greenchannel " << GC_VERSION << "\n";
    return 0;
  }
  // serve, analyze and eval run many analyses; each reuses the last one's heap (gc/dsp.hpp).
  gc::dsp::keep_heap_between_analyses();
  const std::string_view name = argv[1];
  for (const auto& c : kCommands) {
    if (c.name == name) {
      try {
        return c.run(argc - 1, argv + 1);
      } catch (const std::exception& e) {
        std::cerr << "greenchannel " << name << ": error: " << e.what() << "\n";
        return 1;
      }
    }
  }
  std::cerr << "greenchannel: unknown command '" << name << "'\n";
  usage(std::cerr);
  return 2;
}
