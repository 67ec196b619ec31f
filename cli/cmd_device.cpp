// `greenchannel device add|list|revoke`: register carts and manage their credentials. The secret
// is printed once at registration; only a salted PBKDF2 hash is stored.
#include <boost/json.hpp>
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>

#include "commands.hpp"
#include "gc/framing.hpp"
#include "gc/storage.hpp"
#include "paths.hpp"
#include "subcommand.hpp"

namespace po = boost::program_options;

namespace gc::cli {

namespace {

constexpr const char* kUsage =
    "usage: greenchannel device <add|list|revoke> [options]\n"
    "  add --clinic NAME [--id ID]   register a cart; prints its id and secret once\n"
    "  list                          list registered carts\n"
    "  revoke ID                     revoke a cart's credential (it can no longer connect)\n"
    "Each accepts --db PATH (default: var/greenchannel.db) and --help.\n";

storage::OpenOptions cli_open_options() {
  storage::OpenOptions o;
  o.audit_actor = cli_actor();
  return o;
}

int device_add(int argc, char** argv) {
  std::string clinic;
  std::string id;
  std::string db;
  po::options_description desc("options");
  desc.add_options()("help,h", "show this help")("clinic", po::value(&clinic)->required(),
                                                 "clinic the cart belongs to")(
      "id", po::value(&id), "device id (default: cart-<8 random hex digits>)")(
      "db", po::value(&db)->default_value(default_db_path().string()),
      "database: a SQLite file, or postgresql://user@host:port/dbname (password from PGPASSWORD or "
      "~/.pgpass)")("json", "print {\"device_id\", \"secret\"} as JSON (for scripts)");
  po::variables_map vm;
  if (auto rc =
          parse_options("device", argc, argv, desc, nullptr, vm,
                        "usage: greenchannel device add --clinic NAME [--id ID] [--db PATH]")) {
    return *rc;
  }
  auto store = storage::Store::open(db, cli_open_options());
  // A clinic's name is shown on every station and in every report: invalid UTF-8 (a GBK
  // terminal) would make the worklist JSON invalid for everyone (issue 16 #5).
  if (const auto why = proto::text_problem(clinic)) {
    std::cerr << "greenchannel device add: --clinic: " << *why << "\n";
    return 2;
  }
  if (clinic.find_first_not_of(" \t") == std::string::npos) {
    std::cerr << "greenchannel device add: --clinic: empty\n";
    return 2;
  }
  const auto dev = store->add_device(clinic, id);
  const char* note =
      "Configure the cart with this device id and secret now: the secret is shown only once\n"
      "(only a salted hash is stored). If it is lost, revoke this cart and add it again.\n";
  if (vm.count("json") != 0U) {
    std::cout << boost::json::serialize(
                     boost::json::object{{"device_id", dev.device_id}, {"secret", dev.secret}})
              << "\n";
    std::cerr << note;
  } else {
    std::cout << "device_id: " << dev.device_id << "\n"
              << "secret:    " << dev.secret << "\n"
              << note;
  }
  return 0;
}

int device_list(int argc, char** argv) {
  std::string db;
  po::options_description desc("options");
  desc.add_options()("help,h", "show this help")(
      "db", po::value(&db)->default_value(default_db_path().string()),
      "database: a SQLite file, or postgresql://user@host:port/dbname (password from PGPASSWORD or "
      "~/.pgpass)")("json", "print a JSON array");
  po::variables_map vm;
  if (auto rc = parse_options("device", argc, argv, desc, nullptr, vm,
                              "usage: greenchannel device list [--db PATH]")) {
    return *rc;
  }
  require_existing_db(db);
  auto store = storage::Store::open(db, cli_open_options());
  const auto devices = store->list_devices();
  if (vm.count("json") != 0U) {
    boost::json::array out;
    for (const auto& d : devices) {
      out.push_back(boost::json::object{{"device_id", d.device_id},
                                        {"clinic", d.clinic},
                                        {"created_ms", d.created_ms},
                                        {"revoked", d.revoked}});
    }
    std::cout << boost::json::serialize(out) << "\n";
    return 0;
  }
  if (devices.empty()) {
    std::cout << "no devices registered (greenchannel device add --clinic NAME)\n";
    return 0;
  }
  std::size_t id_width = std::strlen("DEVICE ID");
  std::size_t clinic_width = std::strlen("CLINIC");
  for (const auto& d : devices) {
    id_width = std::max(id_width, d.device_id.size());
    clinic_width = std::max(clinic_width, d.clinic.size());
  }
  auto pad = [](const std::string& s, std::size_t w) { return s + std::string(w - s.size(), ' '); };
  std::cout << pad("DEVICE ID", id_width) << "  " << pad("CLINIC", clinic_width)
            << "  CREATED (UTC)         STATUS\n";
  for (const auto& d : devices) {
    std::cout << pad(d.device_id, id_width) << "  " << pad(d.clinic, clinic_width) << "  "
              << utc_text(d.created_ms) << "  " << (d.revoked ? "revoked" : "active") << "\n";
  }
  return 0;
}

int device_revoke(int argc, char** argv) {
  std::string id;
  std::string db;
  po::options_description desc("options");
  desc.add_options()("help,h", "show this help")("id", po::value(&id)->required(), "device id")(
      "db", po::value(&db)->default_value(default_db_path().string()),
      "database: a SQLite file, or postgresql://user@host:port/dbname (password from PGPASSWORD or "
      "~/.pgpass)");
  po::positional_options_description pos;
  pos.add("id", 1);
  po::variables_map vm;
  if (auto rc = parse_options("device", argc, argv, desc, &pos, vm,
                              "usage: greenchannel device revoke ID [--db PATH]")) {
    return *rc;
  }
  require_existing_db(db);
  auto store = storage::Store::open(db, cli_open_options());
  if (!store->revoke_device(id)) {
    std::cerr << "greenchannel device revoke: no device '" << id << "' in " << db << "\n";
    return 1;
  }
  std::cout << "revoked " << id << ": it can no longer connect\n";
  return 0;
}

}  // namespace

int cmd_device(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0 ||
      std::strcmp(argv[1], "help") == 0) {
    std::cout << kUsage;
    return argc < 2 ? 2 : 0;
  }
  const std::string sub = argv[1];
  // Each subcommand sees argv[0] = its own name, like the top-level dispatcher does.
  if (sub == "add") return device_add(argc - 1, argv + 1);
  if (sub == "list") return device_list(argc - 1, argv + 1);
  if (sub == "revoke") return device_revoke(argc - 1, argv + 1);
  std::cerr << "greenchannel device: unknown subcommand '" << sub << "'\n" << kUsage;
  return 2;
}

}  // namespace gc::cli
