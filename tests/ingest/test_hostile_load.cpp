// Hostile load: 5,000 idle connections held open against a TLS server while a well-behaved cart
// streams; garbage and truncated frames. Each idle connection must be closed at the handshake
// deadline, memory must stay bounded, and the cart must lose nothing with ack p99 < 100 ms
// (400 ms under AddressSanitizer; see kAckP99LimitMs).
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <future>
#include <sstream>

#include "gc/cart_client.hpp"
#include "gc/synth.hpp"
#include "gc/tls.hpp"
#include "ingest/ingest_test_util.hpp"

using namespace gc::test;
using Clock = std::chrono::steady_clock;

namespace {

// The cart's ack p99 while 5,000 idle connections wait: 100 ms is the promise, measured in the
// Release build. Under AddressSanitizer (the CI's second pass, which checks memory safety, not
// latency) every handshake and allocation runs several times slower on the same two cores, next
// to another test: p99 220 ms was seen there once (2026-12-05). The bound there is 400 ms, still
// a fifth of the 2 s handshake deadline: the cart is served during the flood, not starved until
// the idle connections are closed.
#if defined(__SANITIZE_ADDRESS__)
constexpr double kAckP99LimitMs = 400;
#else
constexpr double kAckP99LimitMs = 100;
#endif

double rss_mib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      std::istringstream fields(line.substr(6));
      double kib = 0;
      fields >> kib;
      return kib / 1024.0;
    }
  }
  return 0;
}

// A plain TCP connection to 127.0.0.1:port that never sends a byte. -1 on failure.
int idle_connection(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

gc::ingest::CartStudy twelve_lead_study(const std::string& uid, double seconds) {
  gc::synth::Spec spec;
  spec.seed = 5;
  spec.duration_s = seconds;
  const auto s = gc::synth::generate(spec);
  gc::ingest::CartStudy study;
  study.study_uid = uid;
  study.leads = s.lead_names;
  study.sample_rate_hz = static_cast<std::uint32_t>(s.sample_rate_hz);
  study.resolution_nv_per_lsb = s.resolution_uv_per_lsb * 1000.0;
  study.samples = s.samples_adu;
  study.acquired_at_unix_ms = 1'795'000'000'000;
  return study;
}

}  // namespace

TEST_CASE("five thousand idle connections: closed at the handshake deadline, memory bounded, a streaming "
          "cart loses nothing") {
  constexpr int kIdle = 5000;
  rlimit lim{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &lim) == 0);
  const rlim_t needed = 2 * kIdle + 512;  // both ends live in this process
  if (lim.rlim_cur < needed) {
    lim.rlim_cur = std::min(needed, lim.rlim_max);
    ::setrlimit(RLIMIT_NOFILE, &lim);
    ::getrlimit(RLIMIT_NOFILE, &lim);
  }
  REQUIRE(lim.rlim_cur >= needed);

  const fs::path dir = unique_temp_dir("gc-idle-tls");
  const gc::ingest::TlsFiles files{dir / "server.crt", dir / "server.key"};
  gc::ingest::ensure_server_certificate(files);
  gc::ingest::ServerConfig config;
  config.tls = gc::ingest::make_server_tls_context(files);
  config.handshake_timeout = std::chrono::milliseconds(2000);
  config.max_connections = kIdle + 100;
  config.max_connections_per_address = kIdle + 100;  // this test is about the deadline
  TestServer server(config);
  const auto device = server.add_device("cart-steady");

  // The well-behaved cart: 12 leads, 10 s in real time, 100 ms chunks, over TLS.
  gc::ingest::CartConfig cart_config;
  cart_config.port = server.port();
  cart_config.device_id = device.device_id;
  cart_config.secret = device.secret;
  cart_config.tls = gc::ingest::make_cart_tls_context(
      "", gc::ingest::certificate_fingerprint_sha256(files.certificate));
  cart_config.tls_verify_host_name = false;
  cart_config.realtime = true;
  cart_config.chunk_duration = std::chrono::milliseconds(100);
  cart_config.finding_timeout = std::chrono::milliseconds(20'000);
  const auto study = twelve_lead_study("steady-1", 10);
  auto cart = std::async(std::launch::async, [&] {
    gc::ingest::CartClient client(cart_config);
    return client.send_study(study);
  });

  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the cart is streaming
  const double rss_before = rss_mib();
  std::vector<int> fds;
  fds.reserve(kIdle);
  const auto flood_start = Clock::now();
  for (int i = 0; i < kIdle; ++i) {
    const int fd = idle_connection(server.port());
    REQUIRE(fd >= 0);
    fds.push_back(fd);
  }
  const auto flood_done = Clock::now();
  // Wait until the server has accepted them all (its accept loop may lag the kernel's queue).
  std::size_t peak_sessions = 0;
  for (int i = 0; i < 100; ++i) {
    peak_sessions = std::max<std::size_t>(peak_sessions, server.server().stats().sessions_open);
    if (peak_sessions >= kIdle) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const double rss_peak = rss_mib();
  CHECK(peak_sessions >= kIdle);
  CHECK(server.server().stats().connections_accepted >= kIdle);

  // Every idle connection is closed by the server (EOF) at the handshake deadline.
  std::size_t closed = 0;
  std::size_t closed_early = 0;
  const auto give_up = Clock::now() + std::chrono::seconds(15);
  std::vector<pollfd> pending;
  for (const int fd : fds) pending.push_back(pollfd{fd, POLLIN, 0});
  while (!pending.empty() && Clock::now() < give_up) {
    REQUIRE(::poll(pending.data(), pending.size(), 200) >= 0);
    std::vector<pollfd> still;
    for (const auto& p : pending) {
      if ((p.revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
        still.push_back(pollfd{p.fd, POLLIN, 0});
        continue;
      }
      char buffer[256];
      const ssize_t n = ::recv(p.fd, buffer, sizeof buffer, 0);
      if (n > 0) {  // nothing is expected before the close; keep waiting for EOF
        still.push_back(pollfd{p.fd, POLLIN, 0});
        continue;
      }
      ++closed;
      if (Clock::now() < flood_start + config.handshake_timeout - std::chrono::milliseconds(50)) {
        ++closed_early;
      }
    }
    pending.swap(still);
  }
  const double close_s = std::chrono::duration<double>(Clock::now() - flood_done).count();
  for (const int fd : fds) ::close(fd);
  CHECK(closed == static_cast<std::size_t>(kIdle));
  CHECK(closed_early == 0);
  CHECK(close_s < 10);

  const auto result = cart.get();
  INFO("idle flood: RSS " << rss_before << " → " << rss_peak << " MiB; all closed "
                          << close_s << " s after the last connect; cart ack p50 "
                          << result.ack_latency_p50_ms << " ms, p99 " << result.ack_latency_p99_ms
                          << " ms, max " << result.ack_latency_max_ms << " ms");
  // Bounded memory: an idle (pre-handshake) TLS connection costs well under 16 KiB here.
  CHECK(rss_peak - rss_before < kIdle * 16.0 / 1024.0);
  CHECK(result.complete);
  CHECK(result.chunks_acked == result.chunks);
  CHECK(result.reconnects == 0);
  CHECK(result.ack_latency_p99_ms < kAckP99LimitMs);
  const auto state = server.store().find_study(device.device_id, "steady-1");
  REQUIRE(state);
  CHECK(state->complete);
  CHECK(server.store().load_samples(state->study_id).samples == study.samples);
  // The sessions are gone.
  for (int i = 0; i < 100 && server.server().stats().sessions_open > 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(server.server().stats().sessions_open <= 1);  // at most the cart, awaiting its finding
  std::error_code ignored;
  fs::remove_all(dir, ignored);
}

TEST_CASE("garbage bytes and truncated frames: a clear error or deadline, nothing stored") {
  gc::ingest::ServerConfig config;
  config.frame_timeout = std::chrono::milliseconds(400);
  TestServer server(config);
  const auto device = server.add_device("cart-hostile");

  SECTION("random garbage instead of a hello") {
    std::mt19937 rng(99);
    std::string garbage(4096, '\0');
    for (auto& c : garbage) c = static_cast<char>(rng());
    garbage[0] = '\xff';  // a length prefix that never ends, or is too long
    RawClient client(server.port());
    client.send_bytes(garbage);
    const auto error = client.read_error();
    REQUIRE(error);
    INFO("error " << gc::proto::code_name(error->code()) << ": " << error->message());
    // Depending on the bytes: a malformed or oversized length prefix, an unparsable body, or a
    // frame that never completes (cut off at the frame deadline).
    CHECK((error->code() == pb::Error::MALFORMED_FRAME ||
           error->code() == pb::Error::FRAME_TOO_LARGE || error->code() == pb::Error::TIMEOUT));
    CHECK(error->fatal());
    CHECK(client.closed_by_server());
  }
  SECTION("a truncated chunk frame, then silence: TIMEOUT at the frame deadline") {
    RawClient client(server.port());
    client.send(hello(device.device_id, device.secret));
    REQUIRE(client.read_until([](const pb::ServerMessage& m) { return m.has_hello_ack(); }));
    client.send(study_start("trunc-1"));
    REQUIRE(client.read_until([](const pb::ServerMessage& m) { return m.has_study_started(); }));
    const std::string frame = gc::proto::encode_frame(chunk("trunc-1", 0));
    client.send_bytes(frame.substr(0, frame.size() / 2));
    const auto started = Clock::now();
    const auto error = client.read_error();
    REQUIRE(error);
    CHECK(error->code() == pb::Error::TIMEOUT);
    CHECK(error->message().find("frame not completed") != std::string::npos);
    CHECK(Clock::now() - started < std::chrono::seconds(3));
    CHECK(client.closed_by_server());
    const auto state = server.store().find_study(device.device_id, "trunc-1");
    REQUIRE(state);
    CHECK(state->next_sequence == 0);  // the half chunk is not stored
  }
  SECTION("a truncated chunk frame, then the cart hangs up: nothing stored") {
    {
      RawClient client(server.port());
      client.send(hello(device.device_id, device.secret));
      REQUIRE(client.read_until([](const pb::ServerMessage& m) { return m.has_hello_ack(); }));
      client.send(study_start("trunc-2"));
      REQUIRE(client.read_until([](const pb::ServerMessage& m) { return m.has_study_started(); }));
      const std::string frame = gc::proto::encode_frame(chunk("trunc-2", 0));
      client.send_bytes(frame.substr(0, frame.size() - 1));
    }  // closed
    for (int i = 0; i < 50 && server.server().stats().sessions_open > 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    CHECK(server.server().stats().sessions_open == 0);
    const auto state = server.store().find_study(device.device_id, "trunc-2");
    REQUIRE(state);
    CHECK(state->next_sequence == 0);
    CHECK(server.server().stats().chunks_stored == 0);
  }
}
