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

#include "commands.hpp"
#include "gc/case_ingest.hpp"
#include "gc/case_store.hpp"
#include "gc/ingest.hpp"
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
  double idle_timeout_s = 60;
  double handshake_timeout_s = 10;
  std::int64_t commit_delay_us = 0;
  std::string tls_cert;
  std::string tls_key;
  po::options_description desc(
      "usage: greenchannel serve [options]\n\n"
      "Runs the ingest daemon: carts connect, authenticate and stream ECGs (protocol v1);\n"
      "every acknowledged chunk is durable in SQLite; each completed study is analysed and its\n"
      "alert raised. Prints \"listening on ADDRESS:PORT\" first, then one line per event.\n"
      "SIGINT/SIGTERM stop it cleanly (in-flight commits finish, WAL checkpointed, exit 0).\n"
      "With --tls the server uses TLS 1.2+ (a key and self-signed certificate are created next to\n"
      "the database on first start; carts pin the printed SHA-256 fingerprint). Plain TCP is\n"
      "only allowed on loopback addresses.\n\noptions");
  desc.add_options()("help,h", "show this help")(
      "listen", po::value(&listen)->default_value("127.0.0.1:7800"),
      "address:port to listen on (port 0 = any free port)")(
      "db", po::value(&db)->default_value(default_db_path().string()), "SQLite database")(
      "threads", po::value(&threads)->default_value(0), "I/O threads (0 = hardware threads)")(
      "analysis-threads", po::value(&analysis_threads)->default_value(1),
      "threads for ECG analysis")(
      "max-frame-bytes", po::value(&max_frame_bytes)->default_value(proto::kDefaultMaxFrameBytes),
      "largest frame accepted from a cart")(
      "max-connections", po::value(&max_connections)->default_value(10'000),
      "connections beyond this are refused with an error frame")(
      "idle-timeout-s", po::value(&idle_timeout_s)->default_value(60),
      "close a cart that sends nothing for this long")(
      "handshake-timeout-s", po::value(&handshake_timeout_s)->default_value(10),
      "close a connection that sends no valid hello within this time")(
      "commit-delay-us", po::value(&commit_delay_us)->default_value(0),
      "group commit: wait this long to gather more chunks per transaction (0 = adaptive only)")(
      "tls", "serve TLS 1.2+ (certificate created on first start unless given)")(
      "insecure",
      "plain TCP (loopback only); today's default, named so scripts stay valid when "
      "TLS becomes the default")("tls-cert", po::value(&tls_cert),
                                 "PEM certificate (chain) for --tls")(
      "tls-key", po::value(&tls_key), "PEM private key for --tls")(
      "quiet,q", "log nothing but the listening line and errors");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(desc).run(), vm);
    if (vm.count("help") != 0U) {
      std::cout << desc << "\n";
      return 0;
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
    const bool tls_requested = vm.count("tls") != 0U || !tls_cert.empty() || !tls_key.empty();
    if (tls_requested && vm.count("insecure") != 0U) {
      std::cerr << "greenchannel serve: --insecure contradicts --tls\n";
      return 2;
    }
    if (!address.is_loopback() && !tls_requested) {
      std::cerr << "greenchannel serve: refusing to serve plain TCP on the non-loopback address "
                << config.listen_address << " (use --tls)\n";
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
  config.max_connections = max_connections;
  config.analysis_threads = std::max(1u, analysis_threads);
  config.idle_timeout = std::chrono::milliseconds(static_cast<std::int64_t>(idle_timeout_s * 1000));
  config.handshake_timeout =
      std::chrono::milliseconds(static_cast<std::int64_t>(handshake_timeout_s * 1000));
  const bool quiet = vm.count("quiet") != 0U;
  config.log = [quiet](std::string_view line) {
    if (quiet) {
      return;
    }
    std::cout << utc_now_text() << " " << line << std::endl;
  };

  const std::filesystem::path db_path(db);
  if (db_path.has_parent_path()) {
    std::filesystem::create_directories(db_path.parent_path());
  }
  std::string tls_line;
  if (vm.count("tls") != 0U || !tls_cert.empty() || !tls_key.empty()) {
    if (tls_cert.empty() != tls_key.empty()) {
      std::cerr << "greenchannel serve: --tls-cert and --tls-key go together\n";
      return 2;
    }
    const std::filesystem::path tls_dir =
        (db_path.has_parent_path() ? db_path.parent_path() : std::filesystem::path(".")) / "tls";
    const ingest::TlsFiles files{
        tls_cert.empty() ? tls_dir / "server.crt" : std::filesystem::path(tls_cert),
        tls_key.empty() ? tls_dir / "server.key" : std::filesystem::path(tls_key)};
    const bool created = tls_cert.empty() && ingest::ensure_server_certificate(files);
    config.tls = ingest::make_server_tls_context(files);
    tls_line = "tls: certificate " + files.certificate.string() + (created ? " (created)" : "") +
               ", SHA-256 fingerprint " + ingest::certificate_fingerprint_sha256(files.certificate);
  }
  storage::OpenOptions open_options;
  open_options.audit_actor = "serve";
  auto store = storage::Store::open(db_path, open_options);

  // Workflow: every new study joins (or opens) its patient's chest-pain case and records the
  // time nodes the cart sent (symptom onset, FMC, first ECG) plus "ECG transmitted". Runs on the
  // storage thread; a failure is logged by the server and never affects the cart.
  auto cases = storage::CaseStore::open(db_path, "serve");
  config.on_study_created = [&cases](storage::Store& st, const storage::StudyHeader& header,
                                     std::int64_t study_id,
                                     std::optional<std::int64_t> server_minus_device_ms) {
    std::string clinic;
    for (const auto& d : st.list_devices()) {
      if (d.device_id == header.device_id) clinic = d.clinic;
    }
    std::optional<std::int64_t> cart_ahead_ms;
    if (server_minus_device_ms) cart_ahead_ms = -*server_minus_device_ms;
    workflow::record_study_arrival(*cases, header, study_id, clinic, cart_ahead_ms,
                                   storage::now_unix_ms());
  };

  asio::io_context io;
  ingest::Server server(io, config, *store);
  server.start();
  std::cout << "listening on " << server.address() << (config.tls ? " (TLS)" : "") << std::endl;
  if (!tls_line.empty()) {
    std::cout << utc_now_text() << " " << tls_line << std::endl;
  }
  if (!quiet) {
    std::cout << utc_now_text() << " database " << db_path.string() << " (schema version "
              << store->schema_version() << ")" << std::endl;
  }

  asio::signal_set signals(io, SIGINT, SIGTERM);
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
  server.finish();
  store->checkpoint();
  const ingest::ServerStats stats = server.stats();
  std::cout << utc_now_text() << " stopped cleanly: " << stats.connections_accepted
            << " connections, " << stats.chunks_stored << " chunks stored in " << stats.commits
            << " commits, " << stats.studies_completed << " studies completed, "
            << stats.studies_analysed << " analysed" << std::endl;
  return 0;
}

}  // namespace gc::cli
