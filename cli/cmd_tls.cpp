// `greenchannel tls show|renew|new-ca`: the centre's CA and the server certificate it issues
// (gc/centre_pki.hpp). Parses the arguments and calls ingest; a running `serve` picks a renewed
// certificate up by itself (it watches the files; SIGHUP reloads at once).
#include <boost/program_options.hpp>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>

#include "commands.hpp"
#include "config_file.hpp"
#include "gc/centre_pki.hpp"
#include "paths.hpp"
#include "subcommand.hpp"

namespace po = boost::program_options;

namespace gc::cli {

namespace {

constexpr const char* kUsage =
    "usage: greenchannel tls <show|renew|new-ca> [--db PATH | --config FILE] [options]\n"
    "  show     the centre CA (the pin carts hold), the server certificate and its expiry\n"
    "  renew    issue a new server key and certificate signed by the same CA; a running serve\n"
    "           uses it for new connections within --tls-reload-s (or at once on SIGHUP);\n"
    "           carts change nothing. --switch-ca: sign it with the CA prepared by new-ca\n"
    "  new-ca   CA change, step 1: prepare the next CA and print its pin, to add to every cart\n"
    "           (cart --pin OLD,NEW) before `renew --switch-ca`\n"
    "The files are in DB-DIR/tls/ (serve's --db, also read from --config); run as the user\n"
    "serve runs as (the keys are mode 0600), e.g. sudo -u greenchannel greenchannel tls renew\n"
    "--config /etc/greenchannel/greenchannel.conf\n";

void print_certificate(const std::string& what, const ingest::CertificateInfo& c) {
  std::cout << what << ": SHA-256 " << c.fingerprint << "\n"
            << "  subject " << c.subject << "\n  issuer  " << c.issuer << "\n  valid until "
            << c.not_after;
  if (!c.names.empty()) {
    std::cout << "\n  names  ";
    for (const auto& n : c.names) std::cout << " " << n;
  }
  std::cout << "\n";
}

int run(const std::string& verb, int argc, char** argv) {
  std::string db = default_db_path().string();
  std::string names;
  std::string tls_dir;
  int days = 397;
  po::options_description desc("options");
  desc.add_options()("help,h", "show this help")(
      "db", po::value(&db)->default_value(db), "the server's SQLite database (its dir holds tls/)")(
      "config", po::value<std::string>(), "take --db and --tls-dir from serve's configuration file")(
      "tls-dir", po::value(&tls_dir),
      "the directory serve keeps them in (default DB-DIR/tls; needed with a PostgreSQL database)");
  if (verb == "renew") {
    desc.add_options()("names", po::value(&names),
                       "host names and IP addresses for the certificate, comma separated "
                       "(default: those of the current one)")(
        "days", po::value(&days)->default_value(days), "validity in days (1..3650)")(
        "switch-ca", "sign with the CA prepared by `tls new-ca`, which becomes the CA");
  }
  po::variables_map vm;
  if (auto rc = parse_options("tls", argc, argv, desc, nullptr, vm,
                              std::string("usage: greenchannel tls ") + verb + " [options]")) {
    return *rc;
  }
  try {
    if (vm.count("config") != 0U) {
      po::options_description from_config;
      from_config.add_options()("db", po::value<std::string>())("tls-dir", po::value<std::string>());
      po::variables_map file_vm;
      store_config_file(vm["config"].as<std::string>(), from_config, file_vm, true);
      if (vm["db"].defaulted() && file_vm.count("db") != 0U) db = file_vm["db"].as<std::string>();
      if (tls_dir.empty() && file_vm.count("tls-dir") != 0U) {
        tls_dir = file_vm["tls-dir"].as<std::string>();
      }
    }
  } catch (const po::error& e) {
    std::cerr << "greenchannel tls: " << e.what() << "\n";
    return 2;
  }
  const auto dir = tls_dir_for(db, tls_dir);
  if (!dir) {
    std::cerr << "greenchannel tls: " << kPostgresqlNeedsTlsDir << "\n";
    return 2;
  }
  const ingest::CentrePki pki{*dir};
  try {
    if (!std::filesystem::exists(pki.ca_certificate())) {
      std::cerr << "greenchannel tls: no centre CA in " << pki.dir.string()
                << " (serve creates it on its first start with --db " << db
                << "; a serve from before the CA is adopted at its next start)\n";
      return 1;
    }
    if (verb == "show") {
      print_certificate("centre CA " + pki.ca_certificate().string() + " (carts pin this)",
                        ingest::read_certificates(pki.ca_certificate()).front());
      const auto chain = ingest::read_certificates(pki.server().certificate);
      print_certificate("server certificate " + pki.server().certificate.string(), chain.front());
      if (chain.front().fingerprint ==
          ingest::read_certificates(pki.ca_certificate()).front().fingerprint) {
        std::cout << "  (the pre-CA certificate, now the CA: `tls renew` issues a server "
                     "certificate from it)\n";
      }
      if (std::filesystem::exists(pki.next_ca_certificate())) {
        print_certificate("next CA " + pki.next_ca_certificate().string() +
                              " (CA change under way: carts need this pin too)",
                          ingest::read_certificates(pki.next_ca_certificate()).front());
      }
      return 0;
    }
    if (verb == "new-ca") {
      const auto next = ingest::prepare_next_ca(pki);
      print_certificate("next CA " + pki.next_ca_certificate().string(), next);
      std::cout << "give every cart this pin as well as the current one (cart --pin CURRENT,"
                << next.fingerprint
                << "), then run `greenchannel tls renew --switch-ca`; afterwards carts may "
                   "drop the old pin\n";
      return 0;
    }
    // renew
    const auto chosen = ingest::parse_certificate_names(names);
    if (!names.empty() && chosen.empty()) throw std::invalid_argument("--names lists no name");
    if (vm.count("switch-ca") != 0U) {
      const auto ca = ingest::switch_to_next_ca(pki);
      print_certificate("centre CA is now " + pki.ca_certificate().string() +
                            " (the previous one is ca-previous.crt)",
                        ca);
    }
    const auto leaf = ingest::issue_server_certificate(pki, chosen, days);
    print_certificate("issued server certificate " + pki.server().certificate.string(), leaf);
    std::cout << "signed by the centre CA, SHA-256 "
              << ingest::read_certificates(pki.ca_certificate()).front().fingerprint
              << " (the pin carts keep); a running serve uses it for new connections within "
                 "its --tls-reload-s, or at once on SIGHUP (systemctl reload greenchannel)\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "greenchannel tls " << verb << ": " << e.what() << "\n";
    return 1;
  }
}

}  // namespace

int cmd_tls(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0 ||
      std::strcmp(argv[1], "help") == 0) {
    std::cout << kUsage;
    return argc < 2 ? 2 : 0;
  }
  const std::string verb = argv[1];
  if (verb == "show" || verb == "renew" || verb == "new-ca") return run(verb, argc - 1, argv + 1);
  std::cerr << "greenchannel tls: unknown subcommand '" << verb << "'\n" << kUsage;
  return 2;
}

}  // namespace gc::cli
