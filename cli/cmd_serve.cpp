// `greenchannel serve`: the ingest daemon. Listens for carts (protocol v1, proto/README.md),
// stores what they send in SQLite, analyses each completed study and raises its alert. The first
// line on stdout is "listening on ADDRESS:PORT" (scripts and tests read the port from it); then
// one line per event. SIGINT/SIGTERM: stop accepting, finish in-flight commits and acks,
// checkpoint the WAL, exit 0.
#include <boost/asio.hpp>
#include <boost/program_options.hpp>
#include <chrono>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <thread>
#include <unordered_map>

#include <sqlite3.h>

#include "commands.hpp"
#include "config_file.hpp"
#include "gc/alert_cart.hpp"
#include "gc/alert_service.hpp"
#include "gc/case_feed.hpp"
#include "gc/case_ingest.hpp"
#include "gc/case_store.hpp"
#include "gc/centre_pki.hpp"
#include "gc/ingest.hpp"
#include "gc/ingest_metrics.hpp"
#include "gc/station.hpp"
#include "gc/station_store.hpp"
#include "gc/storage.hpp"
#include "gc/tls.hpp"
#include "paths.hpp"

namespace gc::cli {

namespace po = boost::program_options;
namespace asio = boost::asio;

namespace {

std::string utc_now_text() {
  const auto now = std::chrono::system_clock::now();
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms % 1000));
  return out;
}

// "127.0.0.1:7800" → (address, port). Throws po::error on malformed input.
std::pair<std::string, std::uint16_t> parse_listen(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    throw po::error("--listen must be ADDRESS:PORT, got '" + text + "'");
  }
  std::string address = text.substr(0, colon);
  if (address.size() > 2 && address.front() == '[' && address.back() == ']') {
    address = address.substr(1, address.size() - 2);
  }
  const std::string port_text = text.substr(colon + 1);
  std::size_t used = 0;
  unsigned long port = 0;
  try {
    port = std::stoul(port_text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != port_text.size() || port > 65535) {
    throw po::error("--listen port must be 0..65535, got '" + port_text + "'");
  }
  return {address, static_cast<std::uint16_t>(port)};
}

}  // namespace

int cmd_serve(int argc, char** argv) {
  std::string listen;
  std::string db;
  unsigned threads = 0;
  unsigned analysis_threads = 1;
  std::size_t max_frame_bytes = proto::kDefaultMaxFrameBytes;
  std::size_t max_connections = 10'000;
  std::size_t max_connections_per_address = 256;
  double idle_timeout_s = 60;
  double handshake_timeout_s = 10;
  double open_study_expiry_h = 24;
  std::int64_t commit_delay_us = 0;
  std::string tls_cert;
  std::string tls_key;
  std::string client_ca;
  std::string config_file;
  std::string tls_names = "localhost,127.0.0.1";
  double tls_reload_s = 2;
  std::string upgrade_backup_dir;
  std::string tls_dir;
  bool tls_flag = false;
  bool insecure = false;
  bool quiet = false;
  po::options_description desc(
      "usage: greenchannel serve [options]\n\n"
      "Runs the server: carts connect, authenticate and stream ECGs (protocol v1);\n"
      "every acknowledged chunk is durable in SQLite; each completed study is analysed and its\n"
      "alert raised, escalated along the on-call roster and shown on the reading station\n"
      "(--station-listen: HTTPS + WebSocket for the cardiologists' browsers, /healthz, /metrics).\n"
      "Prints \"listening on ADDRESS:PORT\" first, then one line per event.\n"
      "SIGINT/SIGTERM stop it cleanly (in-flight commits finish, WAL checkpointed, exit 0).\n"
      "TLS 1.2+ by default: on first start a private CA for the centre and a server certificate\n"
      "issued by it are created in DB-DIR/tls/ or --tls-dir (or one is given with\n"
      "--tls-cert/--tls-key; with a PostgreSQL database --tls-dir or --tls-cert is needed); the\n"
      "CA's SHA-256 fingerprint is printed and carts pin it (cart --pin), so `greenchannel tls\n"
      "renew` can replace the server certificate: serve reloads it for new connections when its\n"
      "files change (polled every --tls-reload-s) or on SIGHUP. With --client-ca, carts must\n"
      "also present a certificate signed by that CA (mutual TLS). Plain TCP only with\n"
      "--insecure, and only on loopback addresses.\n"
      "Every option can be set in a file (--config; `name = value` lines, # comments, e.g.\n"
      "/etc/greenchannel/greenchannel.conf); the command line wins over the file.\n\noptions");
  desc.add_options()("help,h", "show this help")(
      "config", po::value(&config_file),
      "read options from this file (`listen = 0.0.0.0:7800`, one per line); command-line options "
      "override it")("listen", po::value(&listen)->default_value("127.0.0.1:7800"),
                     "address:port to listen on (port 0 = any free port)")(
      "db", po::value(&db)->default_value(default_db_path().string()),
      "database: a SQLite file, or postgresql://user@host:port/dbname (password from PGPASSWORD or "
      "~/.pgpass)")("threads", po::value(&threads)->default_value(0),
                    "I/O threads (0 = hardware threads)")(
      "analysis-threads", po::value(&analysis_threads)->default_value(1),
      "threads for ECG analysis")(
      "max-frame-bytes", po::value(&max_frame_bytes)->default_value(proto::kDefaultMaxFrameBytes),
      "largest frame accepted from a cart")(
      "max-connections", po::value(&max_connections)->default_value(10'000),
      "cart connections in all; at the cap the oldest connection that has not authenticated "
      "(then an idle one) is closed to make room, and only when all stream is one refused")(
      "max-connections-per-address", po::value(&max_connections_per_address)->default_value(256),
      "cart connections from one IP address (a clinic's NAT), reclaimed the same way")(
      "idle-timeout-s", po::value(&idle_timeout_s)->default_value(60),
      "close a cart that sends nothing for this long")(
      "handshake-timeout-s", po::value(&handshake_timeout_s)->default_value(10),
      "close a connection that sends no valid hello within this time")(
      "open-study-expiry-h", po::value(&open_study_expiry_h)->default_value(24),
      "a study a cart left incomplete this long expires at its next hello (stored, audited, "
      "the cart told in the HelloAck) and can no longer be resumed")(
      "commit-delay-us", po::value(&commit_delay_us)->default_value(0),
      "group commit: wait this long to gather more chunks per transaction (0 = adaptive only)")(
      "tls", po::bool_switch(&tls_flag), "TLS (the default; accepted for older scripts)")(
      "insecure", po::bool_switch(&insecure), "plain TCP instead of TLS (loopback addresses only)")(
      "tls-names", po::value(&tls_names)->default_value(tls_names),
      "host names and IP addresses carts and browsers use for this server, comma separated: "
      "put in the first server certificate (later: `tls renew --names`)")(
      "tls-dir", po::value(&tls_dir),
      "directory of the centre CA and server certificate (default DB-DIR/tls; required with a "
      "PostgreSQL database unless --tls-cert is given: the same directory, copied, on every node)")(
      "tls-reload-s", po::value(&tls_reload_s)->default_value(2),
      "how often the certificate files are checked for a renewal (SIGHUP reloads at once)")(
      "tls-cert", po::value(&tls_cert),
      "PEM certificate (chain) to serve instead of the centre CA's; reloaded when it changes")(
      "tls-key", po::value(&tls_key), "PEM private key that goes with --tls-cert")(
      "client-ca", po::value(&client_ca),
      "mutual TLS: require a client certificate signed by this CA (PEM)")(
      "upgrade-backup-dir", po::value(&upgrade_backup_dir),
      "before a new version migrates the database, it is backed up here (default DB-DIR/backups)")(
      "quiet,q", po::bool_switch(&quiet), "log nothing but the listening line and errors");
  // The reading station and the alert runtime (escalation, webhook).
  std::string station_listen;
  std::string alert_webhook;
  std::string station_url;
  double ack_critical_min = 5;
  double ack_urgent_min = 15;
  double session_idle_min = 30;
  std::size_t station_max_connections = 1'000;
  std::size_t station_max_connections_per_address = 128;
  double station_handshake_timeout_s = 10;
  std::string time_zone;
  std::string node_id;
  po::options_description station_desc("reading station and alerts");
  station_desc.add_options()(
      "station-listen", po::value(&station_listen)->default_value("127.0.0.1:8443"),
      "address:port of the reading station (HTTPS + WebSocket, /healthz, /metrics); "
      "'off' disables it")("alert-webhook", po::value(&alert_webhook),
                           "POST every page as JSON to this http:// URL (SMS / WeChat Work "
                           "gateway), with retries and backoff")(
      "station-url", po::value(&station_url),
      "the reading station's address as the doctors reach it (https://host:port): webhook "
      "notifications carry a link to the study")(
      "ack-critical-min", po::value(&ack_critical_min)->default_value(5),
      "page the next on-call doctor when a critical alert is not acknowledged within this")(
      "ack-urgent-min", po::value(&ack_urgent_min)->default_value(15),
      "the same for urgent alerts (routine alerts wait in the worklist)")(
      "node-id", po::value(&node_id),
      "this node's name when several serve share one database (who holds a page's webhook "
      "claim); default HOSTNAME/PID/RANDOM")(
      "session-idle-min", po::value(&session_idle_min)->default_value(30),
      "station logins expire after this long without a request")(
      "station-max-connections", po::value(&station_max_connections)->default_value(1'000),
      "station connections in all; at the cap the oldest one still in its TLS handshake or "
      "first request (then one idle between requests) is closed to make room")(
      "station-max-connections-per-address",
      po::value(&station_max_connections_per_address)->default_value(128),
      "station connections from one IP address, reclaimed the same way")(
      "station-handshake-timeout-s", po::value(&station_handshake_timeout_s)->default_value(10),
      "close a station connection whose TLS handshake takes longer")(
      "time-zone", po::value(&time_zone)->default_value("Asia/Shanghai"),
      "the centre's time zone for the station, reports and notifications");
  desc.add(station_desc);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(desc).run(), vm);
    if (vm.count("help") != 0U) {
      std::cout << desc << "\n";
      return 0;
    }
    if (vm.count("config") != 0U) {
      store_config_file(vm["config"].as<std::string>(), desc, vm);
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "greenchannel serve: " << e.what() << "\n" << desc << "\n";
    return 2;
  }

  ingest::ServerConfig config;
  try {
    std::tie(config.listen_address, config.port) = parse_listen(listen);
    const auto address = asio::ip::make_address(config.listen_address);
    const bool tls_named = tls_flag || !tls_cert.empty() || !tls_key.empty() || !client_ca.empty();
    if (tls_named && insecure) {
      std::cerr << "greenchannel serve: --insecure contradicts --tls/--tls-cert/--tls-key/"
                   "--client-ca\n";
      return 2;
    }
    if (!address.is_loopback() && insecure) {
      std::cerr << "greenchannel serve: refusing to serve plain TCP on the non-loopback address "
                << config.listen_address << " (drop --insecure to serve TLS)\n";
      return 2;
    }
  } catch (const std::exception& e) {
    std::cerr << "greenchannel serve: " << e.what() << "\n";
    return 2;
  }
  if (max_frame_bytes < 1024 || max_frame_bytes > (std::size_t{64} << 20)) {
    std::cerr << "greenchannel serve: --max-frame-bytes must be 1024..67108864\n";
    return 2;
  }
  config.limits.max_frame_bytes = max_frame_bytes;
  config.commit_delay =
      std::chrono::microseconds(std::clamp<std::int64_t>(commit_delay_us, 0, 100'000));
  if (max_connections == 0 || max_connections_per_address == 0 || station_max_connections == 0 ||
      station_max_connections_per_address == 0 || !(handshake_timeout_s > 0) ||
      !(station_handshake_timeout_s > 0) || !(open_study_expiry_h > 0)) {
    std::cerr << "greenchannel serve: connection limits, handshake timeouts and "
                 "--open-study-expiry-h must be positive\n";
    return 2;
  }
  config.open_study_expiry =
      std::chrono::milliseconds(std::llround(std::min(open_study_expiry_h, 1e6) * 3'600'000));
  config.max_connections = max_connections;
  config.max_connections_per_address = max_connections_per_address;
  config.analysis_threads = std::max(1u, analysis_threads);
  config.idle_timeout = std::chrono::milliseconds(static_cast<std::int64_t>(idle_timeout_s * 1000));
  config.handshake_timeout =
      std::chrono::milliseconds(static_cast<std::int64_t>(handshake_timeout_s * 1000));
  config.log = [quiet](std::string_view line) {
    if (quiet) {
      return;
    }
    std::cout << utc_now_text() << " " << line << std::endl;
  };

  const std::filesystem::path db_path(db);
  try {
    create_database_dir(db);
  } catch (const std::exception& e) {
    std::cerr << "greenchannel serve: " << e.what() << "\n";
    return 1;
  }
  std::vector<std::string> start_lines;  // TLS and backup lines, printed after "listening on"
  std::optional<ingest::TlsFiles> served_tls_files;
  if (!insecure) {
    if (tls_cert.empty() != tls_key.empty()) {
      std::cerr << "greenchannel serve: --tls-cert and --tls-key go together\n";
      return 2;
    }
    if (!(tls_reload_s >= 0.1 && tls_reload_s <= 3600)) {
      std::cerr << "greenchannel serve: --tls-reload-s must be 0.1..3600\n";
      return 2;
    }
    try {
      if (tls_cert.empty()) {
        const auto dir = tls_dir_for(db, tls_dir);
        if (!dir) {
          std::cerr << "greenchannel serve: " << kPostgresqlNeedsTlsDir << "\n";
          return 2;
        }
        const ingest::CentrePki pki{*dir};
        const auto setup =
            ingest::ensure_centre_pki(pki, ingest::parse_certificate_names(tls_names));
        served_tls_files = pki.server();
        const auto ca = ingest::read_certificates(pki.ca_certificate()).front();
        // One "SHA-256 fingerprint" per line, the CA's first: scripts take the first as the pin.
        start_lines.push_back("tls: centre CA " + pki.ca_certificate().string() +
                              (setup.created_ca ? " (created)"
                               : setup.adopted_legacy
                                   ? " (the certificate carts pinned before, now the CA)"
                                   : "") +
                              ", SHA-256 fingerprint " + ca.fingerprint +
                              " (carts pin this: cart --pin), valid until " + ca.not_after);
        const auto leaf = ingest::read_certificates(pki.server().certificate).front();
        start_lines.push_back("tls: server certificate " + pki.server().certificate.string() +
                              (setup.issued_server ? " (issued)" : "") + ", SHA-256 " +
                              leaf.fingerprint + ", valid until " + leaf.not_after +
                              (setup.presenting_legacy
                                   ? "; still the pre-CA certificate: `greenchannel tls renew` "
                                     "switches to one issued by the CA once every cart runs "
                                     "software that accepts a CA pin (README, Security)"
                                   : ""));
        const auto days_left =
            (leaf.not_after_unix_s - std::chrono::duration_cast<std::chrono::seconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count()) /
            86'400;
        if (days_left < 30) {
          std::cerr << "greenchannel serve: warning: the server certificate expires in "
                    << days_left << " days (" << leaf.not_after
                    << "): run `greenchannel tls renew`\n";
        }
      } else {
        served_tls_files = ingest::TlsFiles{tls_cert, tls_key};
        start_lines.push_back(
            "tls: certificate " + tls_cert + ", SHA-256 fingerprint " +
            ingest::certificate_fingerprint_sha256(std::filesystem::path(tls_cert)));
      }
      config.tls = ingest::make_server_tls_context(*served_tls_files, client_ca);
    } catch (const std::exception& e) {
      std::cerr << "greenchannel serve: TLS: " << e.what() << "\n";
      return 1;
    }
    if (!client_ca.empty()) {
      start_lines.push_back("tls: client certificates required (CA " + client_ca + ")");
    }
  }
  storage::OpenOptions open_options;
  open_options.audit_actor = "serve";
  // A database written by an older version is backed up before this one migrates it (README,
  // Operations: upgrade and roll back); the line is printed after "listening on", which scripts
  // read first.
  open_options.upgrade_backup_dir = upgrade_backup_dir;
  open_options.on_upgrade_backup = [&start_lines](const std::string& line) { start_lines.push_back(line); };
  auto store = storage::Store::open(db_path, open_options);

  // Set once the reading station is listening; the hooks below tell it about cases and alerts.
  station::Station* station_ptr = nullptr;

  // Workflow: every new study joins (or opens) its patient's chest-pain case and records the
  // time nodes the cart sent (symptom onset, FMC, first ECG) plus "ECG transmitted". Runs on the
  // storage thread; a failure is logged by the server and never affects the cart. A cart's clinic
  // never changes, so it is looked up once per cart, not once per study.
  auto cases = storage::CaseStore::open(db_path, "serve");
  config.on_study_created =
      [&cases, &station_ptr, clinics = std::unordered_map<std::string, std::string>{}](
          storage::Store& st, const storage::StudyHeader& header, std::int64_t study_id,
          std::optional<std::int64_t> server_minus_device_ms) mutable {
        auto clinic = clinics.find(header.device_id);
        if (clinic == clinics.end()) {
          for (const auto& d : st.list_devices()) clinics.emplace(d.device_id, d.clinic);
          clinic = clinics.try_emplace(header.device_id).first;
        }
        std::optional<std::int64_t> cart_ahead_ms;
        if (server_minus_device_ms) cart_ahead_ms = -*server_minus_device_ms;
        const auto arrival = workflow::record_study_arrival(
            *cases, header, study_id, clinic->second, cart_ahead_ms, storage::now_unix_ms());
        for (const auto& why : arrival.implausible) {
          std::cerr << "serve: study " << header.study_uid << ": time node not recorded: " << why
                    << "\n";
        }
        if (station_ptr != nullptr) station_ptr->publish_case(arrival.case_id);
      };

  // Alerts: every transition persisted with its actor; unacknowledged alerts escalate along the
  // on-call roster (`greenchannel roster`); pages go to the station and the webhook; every change
  // goes to the cart (live, or at its next hello from the outbox).
  workflow::AlertServiceConfig alert_config;
  alert_config.db_path = db_path;
  alert_config.policy.critical_ack_ms = static_cast<std::int64_t>(ack_critical_min * 60'000);
  alert_config.policy.urgent_ack_ms = static_cast<std::int64_t>(ack_urgent_min * 60'000);
  try {
    alert_config.tz = workflow::parse_time_zone(time_zone);
    if (!alert_webhook.empty()) {
      workflow::parse_http_url(alert_webhook);  // refuse a bad URL now, not at the first page
      alert_config.webhook = workflow::WebhookConfig{};
      alert_config.webhook->url = alert_webhook;
    }
    if (!station_url.empty()) alert_config.station_url = workflow::normalise_station_url(station_url);
  } catch (const std::exception& e) {
    std::cerr << "greenchannel serve: " << e.what() << "\n";
    return 2;
  }
  if (!(ack_critical_min > 0) || !(ack_urgent_min > 0) || !(session_idle_min > 0)) {
    std::cerr << "greenchannel serve: --ack-critical-min, --ack-urgent-min and "
                 "--session-idle-min must be positive\n";
    return 2;
  }
  alert_config.log = config.log;
  alert_config.node_id = node_id;
  ingest::Server* server_ptr = nullptr;
  workflow::AlertChannels channels;
  channels.to_cart = [&server_ptr](const workflow::AlertChange& change) {
    return server_ptr != nullptr &&
           server_ptr->push_alert_update(change.device_id, workflow::to_alert_update(change));
  };
  channels.to_station = [&station_ptr](const workflow::AlertChange& change) {
    if (station_ptr != nullptr) station_ptr->publish(change);
  };
  workflow::AlertService alerts(alert_config, channels);
  config.on_alert_raised = [&alerts](storage::Store&, const storage::AlertRecord&,
                                     std::int64_t alert_id) { alerts.alert_raised(alert_id); };
  config.pending_alert_updates = [&alerts](const std::string& device_id) {
    return workflow::pending_alert_updates(alerts, device_id);
  };
  config.alert_update_delivered = [&alerts](std::int64_t update_id) {
    alerts.cart_update_delivered(update_id);
  };
  asio::io_context io;
  // Registered before anything is announced: a SIGTERM/SIGHUP while serve is still starting is
  // queued and handled once the handlers wait (below), instead of killing the process.
  asio::signal_set signals(io, SIGINT, SIGTERM);
  asio::signal_set hangups(io, SIGHUP);
  ingest::Server server(io, config, *store);
  server.start();
  server_ptr = &server;
  std::cout << "listening on " << server.address() << (config.tls ? " (TLS)" : "") << std::endl;
  for (const auto& line : start_lines) {
    std::cout << utc_now_text() << " " << line << std::endl;
  }
  // Renewed certificates are taken for new handshakes without a restart (ingest and station).
  std::unique_ptr<ingest::CertificateWatcher> certificate_watcher;
  if (config.tls) {
    certificate_watcher = std::make_unique<ingest::CertificateWatcher>(
        io, config.tls, *served_tls_files,
        std::chrono::milliseconds(std::llround(tls_reload_s * 1000)),
        [](std::string_view line) { std::cout << utc_now_text() << " " << line << std::endl; });
    certificate_watcher->start();
  }

  std::unique_ptr<station::Station> station;
  if (station_listen != "off") {
    station::StationConfig sc;
    try {
      std::tie(sc.listen_address, sc.port) = parse_listen(station_listen);
      if (!config.tls && !asio::ip::make_address(sc.listen_address).is_loopback()) {
        std::cerr << "greenchannel serve: refusing to serve the station over plain HTTP on "
                  << sc.listen_address << " (drop --insecure)\n";
        return 2;
      }
    } catch (const std::exception& e) {
      std::cerr << "greenchannel serve: --station-listen: " << e.what() << "\n";
      return 2;
    }
    sc.tls = config.tls;
    sc.secure_cookies = config.tls != nullptr;
    sc.db_path = db_path;
    sc.session_idle =
        std::chrono::minutes(std::max<std::int64_t>(1, std::llround(session_idle_min)));
    sc.time_zone = time_zone;
    sc.max_connections = station_max_connections;
    sc.max_connections_per_address = station_max_connections_per_address;
    sc.handshake_timeout =
        std::chrono::milliseconds(std::llround(station_handshake_timeout_s * 1000));
    sc.metrics_text = [&server, &served_tls_files] {
      std::string text = ingest::prometheus_text(server.stats());
      // For an alert well before carts would refuse an expired certificate.
      if (served_tls_files) {
        try {
          const auto leaf = ingest::read_certificates(served_tls_files->certificate).front();
          text +=
              "# HELP greenchannel_tls_certificate_expiry_timestamp_seconds When the server "
              "certificate expires (Unix time); renew with `greenchannel tls renew`.\n"
              "# TYPE greenchannel_tls_certificate_expiry_timestamp_seconds gauge\n"
              "greenchannel_tls_certificate_expiry_timestamp_seconds " +
              std::to_string(leaf.not_after_unix_s) + "\n";
        } catch (const std::exception&) {
          // Unreadable mid-renewal: the gauge is left out of this scrape.
        }
      }
      return text;
    };
    sc.log = config.log;
    station = std::make_unique<station::Station>(io, sc, alerts);
    station->start();
    station_ptr = station.get();
    std::cout << utc_now_text() << " station on " << station->url() << std::endl;
    if (storage::StationStore::open(db_path)->list_users().empty()) {
      std::cout << utc_now_text()
                << " station: no accounts yet — add one with `greenchannel user add NAME "
                   "--role cardiologist --password-stdin --db "
                << db_path.string() << "`" << std::endl;
    }
  }
  alerts.start();
  // Case timelines changed and reports signed through other nodes (several serve on one
  // database) reach this station's live feed too; the alert changes come through the alert
  // service.
  std::unique_ptr<workflow::CaseFeed> case_feed;
  if (station) {
    case_feed = std::make_unique<workflow::CaseFeed>(
        db_path, std::chrono::milliseconds(250),
        [&station_ptr](std::int64_t case_id) {
          if (station_ptr != nullptr) station_ptr->publish_case(case_id);
        },
        config.log,
        [&station_ptr](std::int64_t study_id, std::int64_t event_seq) {
          if (station_ptr != nullptr) station_ptr->publish_report(study_id, event_seq);
        });
    case_feed->start();
  }
  if (!quiet) {
    std::cout << utc_now_text() << " database " << storage::describe_database(db_path)
              << " (schema version " << store->schema_version() << "), node " << alerts.node_id()
              << std::endl;
  }

  // SIGHUP (systemctl reload greenchannel): reload the certificate now.
  std::function<void()> wait_hangup = [&] {
    hangups.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      if (certificate_watcher) {
        certificate_watcher->reload_now();
      } else {
        std::cout << utc_now_text() << " SIGHUP: nothing to reload (plain TCP)" << std::endl;
      }
      wait_hangup();
    });
  };
  wait_hangup();
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) {
      return;
    }
    // Back to the default disposition: a second signal ends the process at once (acknowledged
    // data is durable; carts resend anything unacknowledged). No pending wait is left, so the
    // io_context runs out of work once the sessions have finished.
    boost::system::error_code ignored;
    signals.clear(ignored);
    std::cout << utc_now_text() << " received " << (signal == SIGINT ? "SIGINT" : "SIGTERM")
              << ": stopping (send it again to stop at once)" << std::endl;
    if (station) station->stop();
    if (certificate_watcher) certificate_watcher->stop();
    hangups.cancel();
    server.stop();
  });

  const unsigned n_threads =
      threads != 0 ? threads : std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> pool;
  for (unsigned i = 1; i < n_threads; ++i) {
    pool.emplace_back([&io] { io.run(); });
  }
  io.run();
  for (auto& t : pool) {
    t.join();
  }
  server.finish();  // the last analyses may still raise alerts (the station object lives on)
  if (case_feed) case_feed->stop();
  alerts.stop();
  store->checkpoint();
  const ingest::ServerStats stats = server.stats();
  std::cout << utc_now_text() << " stopped cleanly: " << stats.connections_accepted
            << " connections, " << stats.chunks_stored << " chunks stored in " << stats.commits
            << " commits, " << stats.studies_completed << " studies completed, "
            << stats.studies_analysed << " analysed" << std::endl;
  return 0;
}

}  // namespace gc::cli
