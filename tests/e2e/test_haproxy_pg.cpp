// The README's load-balancer example, run as written (issue 14): HAProxy (Debian `haproxy`) with
// the README's configuration — only the addresses and ports substituted — in front of two TLS
// `serve` nodes on one PostgreSQL database that share one centre CA (--tls-dir). Three carts
// know only the balancer's address and stream 12-lead studies in real time; node A is SIGKILLed
// mid-stream. Every study completes, bit for bit, each chunk once; the carts on A reconnect
// through the balancer and resume on B; the station's /healthz through the balancer answers 200
// again within seconds (HAProxy's health check took A out of the rotation).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <catch2/catch.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "e2e_util.hpp"
#include "streaming_carts.hpp"
#include "gc/cart_client.hpp"
#include "gc/centre_pki.hpp"
#include "gc/storage.hpp"
#include "gc/synth.hpp"
#include "gc/tls.hpp"
#include "pg_cluster.hpp"
#include "station/station_fixture.hpp"

namespace {

namespace fs = std::filesystem;
using gc::test::ServeProcess;
using gc::test::station_port;
using Clock = std::chrono::steady_clock;

const fs::path kHaproxy = "/usr/sbin/haproxy";

// The fenced block after the README's "haproxy-example" marker.
std::string readme_haproxy_example() {
  std::ifstream in(fs::path(GC_SOURCE_DIR) / "README.md");
  std::stringstream all;
  all << in.rdbuf();
  const std::string text = all.str();
  const auto marker = text.find("<!-- haproxy-example");
  REQUIRE(marker != std::string::npos);
  const auto open = text.find("```\n", marker);
  REQUIRE(open != std::string::npos);
  const auto close = text.find("\n```", open + 4);
  REQUIRE(close != std::string::npos);
  return text.substr(open + 4, close - open - 4 + 1);
}

struct NodePorts {
  int ingest = 0;
  int station = 0;
};

// The README's example with loopback addresses: node-a is 10.0.0.11, node-b 10.0.0.12, the
// balancer binds :7800 and :8443.
std::string render(std::string config, const NodePorts& a, const NodePorts& b, int ingest_front,
                   int station_front) {
  std::istringstream lines(config);
  std::string out;
  for (std::string line; std::getline(lines, line);) {
    auto sub = [&line](const std::string& from, const std::string& to) {
      for (auto p = line.find(from); p != std::string::npos; p = line.find(from, p + to.size())) {
        line.replace(p, from.size(), to);
      }
    };
    for (const auto& [ip, node] : {std::pair{"10.0.0.11", a}, std::pair{"10.0.0.12", b}}) {
      if (line.find(ip) == std::string::npos) continue;
      sub(std::string(ip) + ":7800", "127.0.0.1:" + std::to_string(node.ingest));
      sub(std::string(ip) + ":8443", "127.0.0.1:" + std::to_string(node.station));
      sub("port 8443", "port " + std::to_string(node.station));
    }
    sub("bind :7800", "bind 127.0.0.1:" + std::to_string(ingest_front));
    sub("bind :8443", "bind 127.0.0.1:" + std::to_string(station_front));
    out += line + "\n";
  }
  return out;
}

int free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

// The HTTP status of GET https://127.0.0.1:PORT/healthz (curl; 0 when no answer).
int healthz(int port) {
  const std::string cmd = "curl -sk -o /dev/null -w '%{http_code}' --max-time 2 https://127.0.0.1:" +
                          std::to_string(port) + "/healthz 2>/dev/null";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return 0;
  char buf[16] = {0};
  const auto n = std::fread(buf, 1, sizeof buf - 1, p);
  ::pclose(p);
  return n > 0 ? std::atoi(buf) : 0;
}

// HAProxy in the foreground for the test's lifetime.
class Haproxy {
 public:
  explicit Haproxy(const fs::path& config, const fs::path& log) {
    const std::string program = kHaproxy.string(), cfg = config.string();
    std::vector<std::string> args = {program, "-db", "-f", cfg};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const std::string log_path = log.string();
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (fd >= 0) {
        ::dup2(fd, STDOUT_FILENO);
        ::dup2(fd, STDERR_FILENO);
      }
      ::execv(argv[0], argv.data());
      std::_Exit(127);
    }
  }
  ~Haproxy() {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  bool alive() { return ::waitpid(pid_, nullptr, WNOHANG) == 0; }

 private:
  pid_t pid_ = -1;
};

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE(
    "HAProxy in front of two serve nodes on PostgreSQL, the README's example: a node SIGKILLed "
    "mid-stream, carts resume through the balancer, every study once, bit for bit",
    "[e2e][multinode][postgresql][haproxy]") {
  if (!fs::exists(kHaproxy)) {
    FAIL("HAProxy is not installed (" << kHaproxy.string()
                                      << "); ./scripts/test installs it: apt-get install haproxy");
  }
  gc::station::test::TempDir dir;
  const std::string uri = gc::test::PgCluster::instance().create_database();
  std::vector<gc::storage::NewDevice> devices;
  {
    auto store = gc::storage::Store::open(uri);
    for (int i = 0; i < 3; ++i) {
      devices.push_back(store->add_device("haproxy clinic", "cart-haproxy-" + std::to_string(i)));
    }
  }
  // One centre CA for both nodes: the same --tls-dir (on real machines, a copy of it).
  const std::string tls_dir = (dir.path() / "tls").string();
  auto node = [&](const std::string& id) {
    return std::make_unique<ServeProcess>(
        fs::path(uri), "127.0.0.1:0",
        std::vector<std::string>{"-q", "--tls-dir", tls_dir, "--node-id", id}, /*tls=*/true);
  };
  auto node_a = node("A");
  auto node_b = node("B");
  const NodePorts a{node_a->port(), station_port(*node_a)};
  const NodePorts b{node_b->port(), station_port(*node_b)};
  const std::string pin =
      gc::ingest::read_certificates(gc::ingest::CentrePki{tls_dir}.ca_certificate())
          .front()
          .fingerprint;

  const int ingest_front = free_port(), station_front = free_port();
  const fs::path config = dir.path() / "haproxy.cfg";
  std::ofstream(config) << render(readme_haproxy_example(), a, b, ingest_front, station_front);
  INFO("haproxy.cfg:\n" << read_file(config));
  const fs::path check_log = dir.path() / "haproxy-check.log";
  REQUIRE(std::system((kHaproxy.string() + " -c -f " + config.string() + " > " +
                       check_log.string() + " 2>&1")
                          .c_str()) == 0);
  const fs::path log = dir.path() / "haproxy.log";
  Haproxy haproxy(config, log);
  INFO("haproxy output:\n" << read_file(log));
  // Both nodes in the rotation: the station answers through the balancer, and the health checks
  // (rise 2 × inter 1 s) have passed.
  auto wait_healthy = [&](std::chrono::seconds limit) {
    const auto until = Clock::now() + limit;
    int ok_in_a_row = 0;
    while (Clock::now() < until && ok_in_a_row < 5) {
      ok_in_a_row = healthz(station_front) == 200 ? ok_in_a_row + 1 : 0;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return ok_in_a_row >= 5;
  };
  REQUIRE(wait_healthy(std::chrono::seconds(15)));
  std::this_thread::sleep_for(std::chrono::milliseconds(2'500));
  REQUIRE(haproxy.alive());

  // 3 s of 12 leads at 500 Hz per study, in real time in 100 ms chunks.
  gc::synth::Spec spec;
  spec.duration_s = 3;
  spec.seed = 21;
  const gc::synth::Synthesized source = gc::synth::generate(spec);
  std::atomic<bool> keep_streaming{true};
  std::vector<gc::test::StreamLog> logs(devices.size());
  std::vector<std::thread> carts;
  for (std::size_t c = 0; c < devices.size(); ++c) {
    carts.emplace_back([&, c] {
      // The balancer's address only, TLS pinned to the centre CA.
      auto config = gc::test::fault_cart_config(static_cast<std::uint16_t>(ingest_front), devices[c]);
      config.tls = gc::ingest::make_cart_tls_context("", pin);
      config.tls_verify_host_name = false;
      config.io_timeout = std::chrono::milliseconds(3000);
      config.reconnect_backoff = std::chrono::milliseconds(200);
      gc::test::stream_until(
          config,
          gc::test::fault_study(source.lead_names, source.samples_adu, source.resolution_uv_per_lsb),
          "haproxy-" + std::to_string(c) + "-", keep_streaming, logs[c]);
    });
  }

  // Node A dies mid-study (1.5 s into the second round of studies).
  std::this_thread::sleep_for(std::chrono::milliseconds(4'500));
  node_a->kill_hard();
  const auto killed = Clock::now();
  const bool station_back = wait_healthy(std::chrono::seconds(15));
  const double station_back_s = std::chrono::duration<double>(Clock::now() - killed).count();
  std::this_thread::sleep_for(std::chrono::milliseconds(5'000));
  keep_streaming = false;
  for (auto& t : carts) t.join();
  CHECK(station_back);
  CHECK(haproxy.alive());
  CHECK(node_b->terminate(std::chrono::seconds(30)) == 0);

  auto store = gc::storage::Store::open(uri);
  int reconnects = 0;
  std::size_t studies = 0;
  for (std::size_t c = 0; c < devices.size(); ++c) {
    INFO("cart " << c);
    studies += gc::test::check_stored_once(*store, devices[c].device_id, logs[c],
                                           source.samples_adu, /*min_completed=*/3);
    reconnects += logs[c].reconnects;
  }
  // leastconn spreads three carts over both nodes: at least one was on A when it died.
  CHECK(reconnects >= 1);
  std::printf(
      "haproxy in front of two nodes: %zu studies complete bit for bit, %d reconnects; the "
      "station answered through the balancer again %.1f s after node A was killed\n",
      studies, reconnects, station_back_s);
}

TEST_CASE("serve and tls with a PostgreSQL database: the centre CA lives in --tls-dir, never in a "
          "directory made from the URI",
          "[e2e][postgresql][tls]") {
  gc::station::test::TempDir dir;
  const std::string uri = gc::test::PgCluster::instance().create_database();
  const std::string cli = GC_CLI_PATH;
  auto run = [&](const std::string& args) {
    const std::string cmd = "cd '" + dir.path().string() + "' && '" + cli + "' " + args +
                            " > out.txt 2>&1";
    const int status = std::system(cmd.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  };
  CHECK(run("serve --db '" + uri + "' --listen 127.0.0.1:0 --station-listen off") == 2);
  const std::string said = read_file(dir.path() / "out.txt");
  CHECK_THAT(said, Catch::Matchers::Contains("--tls-dir"));
  CHECK(run("tls show --db '" + uri + "'") == 2);
  CHECK_THAT(read_file(dir.path() / "out.txt"), Catch::Matchers::Contains("--tls-dir"));
  // Nothing was created from the URI's text ("postgresql:" and what follows).
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    CAPTURE(entry.path().filename().string());
    CHECK(entry.path().filename() == "out.txt");
  }
  // With --tls-dir, serve creates the CA there and `tls show` finds it.
  {
    ServeProcess node(fs::path(uri), "127.0.0.1:0",
                      {"-q", "--tls-dir", (dir.path() / "centre-tls").string()}, /*tls=*/true);
    CHECK(fs::exists(gc::ingest::CentrePki{dir.path() / "centre-tls"}.ca_certificate()));
    station_port(node);  // started (SIGTERM handled from here on)
    CHECK(node.terminate(std::chrono::seconds(30)) == 0);
  }
  CHECK(run("tls show --db '" + uri + "' --tls-dir centre-tls") == 0);
  CHECK_THAT(read_file(dir.path() / "out.txt"), Catch::Matchers::Contains("carts pin this"));
}
