// Issue 16, must show 4: the Debian package. Built with CPack from this build tree, then
//  1. unpacked into a throwaway root (dpkg-deb -x): its files, the unit as systemd-analyze reads
//     it, the packaged binary started with the packaged configuration (the test's paths given on
//     the command line, which overrides the file) on a database of the previous schema version,
//     and the packaged cart streams a study to it;
//  2. installed with dpkg into a throwaway copy-on-write root (tests/e2e/package_install.sh: an
//     overlay of this machine's root in a private mount namespace, so the maintainer scripts run
//     for real): user, data directory, conffile, serve run as the unit runs it, a study streamed,
//     an upgrade that keeps the admin's edit, remove and purge.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "e2e/e2e_util.hpp"
#include "gc/centre_pki.hpp"
#include "gc/storage.hpp"

namespace fs = std::filesystem;
using gc::test::quote;
using gc::test::run;
using gc::test::ServeProcess;

namespace {

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

// Builds the package once per test process, into `dir`; returns the .deb.
fs::path build_package(const fs::path& dir) {
  const fs::path build_dir = fs::path(GC_CLI_PATH).parent_path();
  const fs::path config = build_dir / "CPackConfig.cmake";
  REQUIRE(fs::exists(config));
  const auto built =
      run("cpack --config " + quote(config.string()) + " -B " + quote(dir.string()) + " 2>&1");
  INFO(built.out);
  REQUIRE(built.status == 0);
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".deb") return e.path();
  }
  FAIL("cpack wrote no .deb into " << dir);
  return {};
}

}  // namespace

TEST_CASE(
    "Debian package: built by CPack, unpacked into a throwaway root, serve starts with the "
    "packaged configuration and a cart streams a study to it",
    "[e2e][package]") {
  const fs::path dir = fs::temp_directory_path() / ("gc-package-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "out");
  const fs::path deb = build_package(dir / "out");

  // What the package says about itself.
  const auto control = run("dpkg-deb -f " + quote(deb.string()) + " Package Depends 2>&1");
  INFO(control.out);
  CHECK(control.out.find("Package: greenchannel") != std::string::npos);
  CHECK(control.out.find("adduser") != std::string::npos);
  CHECK(control.out.find("procps") != std::string::npos);  // /bin/kill for ExecReload
  CHECK(control.out.find("libc6") != std::string::npos);  // dpkg-shlibdeps ran
  const fs::path meta = dir / "DEBIAN";
  REQUIRE(run("dpkg-deb -e " + quote(deb.string()) + " " + quote(meta.string())).status == 0);
  CHECK(read_text(meta / "conffiles").find("/etc/greenchannel/greenchannel.conf") !=
        std::string::npos);
  const std::string postinst = read_text(meta / "postinst");
  CHECK(postinst.find("adduser --system") != std::string::npos);
  for (const char* script : {"postinst", "prerm", "postrm"}) {
    INFO(script);
    CHECK(mode_of(meta / script) == 0755);
    CHECK(run("sh -n " + quote((meta / script).string())).status == 0);
  }

  // The throwaway root.
  const fs::path root = dir / "root";
  REQUIRE(run("dpkg-deb -x " + quote(deb.string()) + " " + quote(root.string())).status == 0);
  const fs::path bin = root / "usr/bin/greenchannel";
  const fs::path conf = root / "etc/greenchannel/greenchannel.conf";
  const fs::path unit = root / "lib/systemd/system/greenchannel.service";
  REQUIRE(fs::exists(bin));
  REQUIRE(fs::exists(conf));
  REQUIRE(fs::exists(unit));
  CHECK(fs::exists(root / "usr/share/doc/greenchannel/copyright"));
  CHECK(fs::exists(root / "usr/share/man/man1/greenchannel.1.gz"));
  const std::string unit_text = read_text(unit);
  for (const char* line :
       {"User=greenchannel",
        "ExecStart=/usr/bin/greenchannel serve --config "
        "/etc/greenchannel/greenchannel.conf",
        "ProtectSystem=strict", "ReadWritePaths=/var/lib/greenchannel", "NoNewPrivileges=yes",
        "PrivateTmp=yes", "ProtectHome=yes", "CapabilityBoundingSet=\n", "StandardOutput=journal",
        "ExecReload=/bin/kill -HUP $MAINPID"}) {
    CHECK(unit_text.find(line) != std::string::npos);
  }
  // The unit as systemd reads it. The throwaway root gets what a Debian system around the package
  // has and the unit refers to: the system's targets (default dependencies, WantedBy) and
  // /bin/kill (ExecReload); the binary it starts is the package's.
  fs::create_directories(root / "usr/lib/systemd/system");
  fs::create_directories(root / "bin");
  for (const auto& e : fs::directory_iterator("/lib/systemd/system")) {
    if (e.path().extension() == ".target" && !e.is_symlink()) {
      fs::copy_file(e.path(), root / "usr/lib/systemd/system" / e.path().filename(),
                    fs::copy_options::skip_existing);
    }
  }
  fs::copy_file("/bin/kill", root / "bin/kill", fs::copy_options::skip_existing);
  const auto verify = run("systemd-analyze verify --root=" + quote(root.string()) + " " +
                          quote(unit.string()) + " 2>&1");
  INFO("systemd-analyze verify: " << verify.out);
  CHECK(verify.status == 0);
  CHECK(verify.out.empty());  // no complaint at all

  // Every serve option can be set in the packaged file (shown there, set or commented out).
  const auto help = run(quote(bin.string()) + " serve --help");
  const std::string conf_text = read_text(conf);
  std::set<std::string> options;
  {
    // Option lines: "  --listen arg (=…)" or "  -q [ --quiet ]".
    std::istringstream lines(help.out);
    const std::regex option_re(R"(^  (-[a-z] \[ )?--([a-z][a-z0-9-]+))");
    std::smatch om;
    for (std::string line; std::getline(lines, line);) {
      if (std::regex_search(line, om, option_re)) options.insert(om[2].str());
    }
  }
  options.erase("help");
  options.erase("config");
  CHECK(options.size() >= 25);
  for (const auto& o : options) {
    INFO("serve option " << o);
    CHECK(std::regex_search(conf_text, std::regex("(^|\n)(# )?" + o + " = ")));
  }

  // The data directory holds a database of the previous schema version (the release before):
  // serve must back it up before it migrates.
  const fs::path data = root / "var/lib/greenchannel";
  fs::create_directories(data);
  const fs::path db = data / "greenchannel.db";
  {
    std::vector<fs::path> migrations;
    for (const auto& e : fs::directory_iterator(fs::path(GC_SOURCE_DIR) / "storage/migrations")) {
      if (e.is_regular_file() && e.path().extension() == ".sql")
        migrations.push_back(e.path());  // SQLite's; postgresql/ beside them
    }
    std::sort(migrations.begin(), migrations.end());
    REQUIRE(static_cast<int>(migrations.size()) == gc::storage::Store::latest_schema_version());
    std::string sql;
    for (std::size_t i = 0; i + 1 < migrations.size(); ++i) {
      sql += read_text(migrations[i]) + "\n";
    }
    sql += "PRAGMA user_version = " + std::to_string(migrations.size() - 1) + ";\n";
    std::ofstream(dir / "previous.sql") << sql;
    REQUIRE(run("sqlite3 " + quote(db.string()) + " < " + quote((dir / "previous.sql").string()))
                .status == 0);
  }

  // serve with the packaged configuration; ServeProcess gives --listen 127.0.0.1:0, --db and
  // --station-listen on the command line, overriding the file's 0.0.0.0 ports and /var/lib path.
  std::string device;
  std::string study_uid;
  {
    ServeProcess serve(db, "127.0.0.1:0", {"--config", conf.string()}, /*tls=*/true, bin.string());
    // The first lines: the migration backup, the CA pin.
    std::string out;
    std::smatch pin_match;
    for (int i = 0; i < 100; ++i) {
      out = serve.output();
      if (std::regex_search(out, pin_match, std::regex(R"(SHA-256 fingerprint ([0-9A-F:]{95}))")) &&
          out.find("station on") != std::string::npos) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    INFO(out);
    REQUIRE(!pin_match.empty());
    const std::string pin = pin_match[1].str();
    CHECK(out.find("centre CA") != std::string::npos);
    CHECK(out.find("before migrating") != std::string::npos);
    CHECK(mode_of(data / "tls/ca.key") == 0600);
    CHECK(mode_of(data / "tls/server.key") == 0600);
    std::vector<fs::path> backups;
    for (const auto& e : fs::directory_iterator(data / "backups")) backups.push_back(e.path());
    REQUIRE(backups.size() == 1);
    CHECK(backups[0].filename().string().find(
              "schema" + std::to_string(gc::storage::Store::latest_schema_version() - 1)) !=
          std::string::npos);

    // The admin's view of the pin, through a configuration file naming the database.
    std::ofstream(dir / "admin.conf")
        << "# serve's file\ndb = " << db.string() << "\nlisten = 127.0.0.1:7800\n";
    const auto show =
        run(quote(bin.string()) + " tls show --config " + quote((dir / "admin.conf").string()));
    CHECK(show.status == 0);
    CHECK(show.out.find("centre CA") != std::string::npos);
    CHECK(show.out.find(pin) != std::string::npos);

    // A cart, registered with the packaged binary while the service runs.
    const auto added = run(quote(bin.string()) + " device add --clinic 'package clinic' --db " +
                           quote(db.string()) + " --json");
    INFO(added.out);
    std::smatch m;
    REQUIRE(added.status == 0);
    REQUIRE(std::regex_search(added.out, m,
                              std::regex(R"re("device_id":"([^"]+)","secret":"([^"]+)")re")));
    device = m[1].str();
    const std::string secret = m[2].str();

    // Monitoring: /metrics (no login) says when the server certificate expires.
    std::smatch station_match;
    REQUIRE(std::regex_search(out, station_match,
                              std::regex(R"(station on https://127\.0\.0\.1:(\d+))")));
    const auto metrics = run("curl -sk https://127.0.0.1:" + station_match[1].str() + "/metrics");
    const auto leaf = gc::ingest::read_certificates(data / "tls/server.crt").front();
    CHECK(metrics.out.find("greenchannel_tls_certificate_expiry_timestamp_seconds " +
                           std::to_string(leaf.not_after_unix_s)) != std::string::npos);
    CHECK(metrics.out.find("greenchannel_connections_accepted_total") != std::string::npos);

    const auto cart =
        run("GC_CART_SECRET=" + quote(secret) + " " + quote(bin.string()) +
            " cart --server 127.0.0.1:" + std::to_string(serve.port()) + " --device " +
            quote(device) + " --pin " + pin + " --json -q " +
            quote((fs::path(GC_SOURCE_DIR) / "sample_ecgs/stemi_anterior.hea").string()));
    INFO("cart: " << cart.out);
    CHECK(cart.status == 0);
    CHECK(cart.out.find("\"complete\":true") != std::string::npos);
    std::smatch cart_match;
    REQUIRE(std::regex_search(cart.out, cart_match, std::regex(R"re("study_uid":"([^"]+)")re")));
    study_uid = cart_match[1].str();
    CHECK(serve.terminate(std::chrono::seconds(30)) == 0);
  }
  auto store = gc::storage::Store::open(db);
  CHECK(store->schema_version() == gc::storage::Store::latest_schema_version());
  const auto study = store->find_study(device, study_uid);
  REQUIRE(study);
  CHECK(study->complete);
  CHECK(store->analysis_json(study->study_id).has_value());
  CHECK(store->open_studies(device).empty());

  // The configuration file is checked: an unknown option stops serve with the file's name.
  std::ofstream(dir / "bad.conf") << "listen = 127.0.0.1:0\nlisten-on = 1\n";
  const auto bad =
      run(quote(bin.string()) + " serve --config " + quote((dir / "bad.conf").string()) + " --db " +
          quote((dir / "bad.db").string()) + " 2>&1");
  CHECK(bad.status == 2);
  CHECK(bad.out.find("bad.conf") != std::string::npos);
  CHECK(bad.out.find("listen-on") != std::string::npos);

  std::error_code ignored;
  fs::remove_all(dir, ignored);
}

TEST_CASE(
    "Debian package: installed with dpkg into a throwaway root, the service user serves a study, "
    "then upgraded, removed and purged",
    "[e2e][package]") {
  if (::geteuid() != 0) {
    // Mount namespaces, overlayfs and chroot need root; CI and ./scripts/test on a fresh machine
    // run as root. Said loudly rather than passed silently.
    WARN("not root: the dpkg install into a throwaway root was not run");
    return;
  }
  const fs::path dir = fs::temp_directory_path() / ("gc-package-install-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "out");
  const fs::path deb = build_package(dir / "out");
  const auto installed =
      run(quote((fs::path(GC_SOURCE_DIR) / "tests/e2e/package_install.sh").string()) + " " +
          quote(deb.string()) + " " +
          quote((fs::path(GC_SOURCE_DIR) / "sample_ecgs/stemi_anterior.hea").string()) + " " +
          quote((dir / "cow").string()) + " 2>&1");
  INFO(installed.out);
  if (installed.status == 77) {
    // Inside a chroot "/" is not a mount point, so no private mount namespace can be made there
    // (the script says why): said loudly rather than passed silently.
    WARN("the dpkg install into a throwaway root was not run: " << installed.out);
    std::error_code ignored;
    fs::remove_all(dir, ignored);
    return;
  }
  CHECK(installed.status == 0);
  for (const char* step :
       {"OK installed: install ok installed", "OK user: greenchannel:/var/lib/greenchannel:",
        "OK data directory: greenchannel:greenchannel:750",
        "OK conffile: /etc/greenchannel/greenchannel.conf", "as user greenchannel",
        "OK a study streamed to the installed service", "OK serve stopped cleanly",
        "OK installed again: the configuration edit kept", "OK removed: the binary gone, the data kept",
        "OK purged: the configuration gone, the data and the user kept"}) {
    CHECK(installed.out.find(step) != std::string::npos);
  }
  // Nothing of it reached this machine.
  CHECK_FALSE(fs::exists("/var/lib/greenchannel"));
  CHECK(run("getent passwd greenchannel").status != 0);
  std::error_code ignored;
  fs::remove_all(dir, ignored);
}
