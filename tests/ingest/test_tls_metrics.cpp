// TLS (server certificate pinning, mutual TLS with a client CA), the Prometheus metrics text, and
// a hello replayed after revocation.
#include <catch2/catch.hpp>

#include <chrono>
#include <regex>
#include <sstream>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>

#include "gc/cart_client.hpp"
#include "gc/ingest_metrics.hpp"
#include "gc/tls.hpp"
#include "ingest/ingest_test_util.hpp"
#include "ingest/tls_test_util.hpp"

using namespace gc::test;
using gc::ingest::CartClient;
using gc::ingest::CartConfig;
using gc::ingest::CartError;
using gc::ingest::CartStudy;
using gc::ingest::TlsFiles;

namespace {

// Three leads, 2 s at 500 Hz: ten 200 ms chunks with deterministic values.
CartStudy small_study(const std::string& uid) {
  CartStudy study;
  study.study_uid = uid;
  study.leads = {"I", "II", "V1"};
  study.sample_rate_hz = 500;
  study.resolution_nv_per_lsb = 1000;
  study.samples.assign(3, std::vector<std::int32_t>(1000));
  for (std::size_t lead = 0; lead < 3; ++lead) {
    for (std::size_t k = 0; k < 1000; ++k) {
      study.samples[lead][k] = static_cast<std::int32_t>((k * 37 + lead * 101) % 2001) - 1000;
    }
  }
  study.acquired_at_unix_ms = 1'795'000'000'000;
  return study;
}

CartConfig tls_cart(std::uint16_t port, const gc::storage::NewDevice& device,
                    std::shared_ptr<boost::asio::ssl::context> tls) {
  CartConfig config;
  config.port = port;
  config.device_id = device.device_id;
  config.secret = device.secret;
  config.tls = std::move(tls);
  config.tls_verify_host_name = false;  // pinned by fingerprint
  config.io_timeout = std::chrono::milliseconds(3000);
  config.finding_timeout = std::chrono::milliseconds(20'000);
  config.reconnect_backoff = std::chrono::milliseconds(10);
  config.max_reconnects = 1;
  return config;
}

struct Pki {
  fs::path dir = unique_temp_dir("gc-tls");
  TlsFiles server{dir / "server.crt", dir / "server.key"};
  TlsFiles ca{dir / "ca.crt", dir / "ca.key"};
  TlsFiles client{dir / "client.crt", dir / "client.key"};
  TlsFiles impostor{dir / "impostor.crt", dir / "impostor.key"};
  std::string fingerprint;

  Pki() {
    REQUIRE(gc::ingest::ensure_server_certificate(server));
    fingerprint = gc::ingest::certificate_fingerprint_sha256(server.certificate);
    const Issued ca_issued = issue("greenchannel test client CA", nullptr, true);
    write_pem(ca_issued, ca);
    write_pem(issue("cart-signed", &ca_issued, false), client);
    write_pem(issue("cart-impostor", nullptr, false), impostor);  // self-signed
  }
  ~Pki() {
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  }
};

}  // namespace

TEST_CASE("TLS: a cart pinning the server fingerprint streams; a wrong pin refuses the server") {
  Pki pki;
  gc::ingest::ServerConfig config;
  config.tls = gc::ingest::make_server_tls_context(pki.server);
  TestServer server(config);
  const auto device = server.add_device("cart-tls");

  CartClient good(
      tls_cart(server.port(), device, gc::ingest::make_cart_tls_context("", pki.fingerprint)));
  const auto result = good.send_study(small_study("tls-1"));
  CHECK(result.complete);
  CHECK(result.chunks_acked == 10);

  std::string wrong = pki.fingerprint;
  wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
  CartClient bad(tls_cart(server.port(), device, gc::ingest::make_cart_tls_context("", wrong)));
  CHECK_THROWS_AS(bad.send_study(small_study("tls-2")), CartError);
  CHECK_FALSE(server.store().find_study(device.device_id, "tls-2"));

  // A plain-TCP cart cannot talk to a TLS server either.
  CartClient plain(tls_cart(server.port(), device, nullptr));
  CHECK_THROWS_AS(plain.send_study(small_study("tls-3")), CartError);
  CHECK_FALSE(server.store().find_study(device.device_id, "tls-3"));
}

namespace {

// Handshake with the server as a client limited to TLS 1.2 and `ciphers`; true when it completes.
bool tls12_handshake_with(unsigned short port, const char* ciphers) {
  boost::asio::io_context io;
  boost::asio::ssl::context ctx(boost::asio::ssl::context::tls_client);
  SSL_CTX_set_max_proto_version(ctx.native_handle(), TLS1_2_VERSION);
  REQUIRE(SSL_CTX_set_cipher_list(ctx.native_handle(), ciphers) == 1);
  ctx.set_verify_mode(boost::asio::ssl::verify_none);
  boost::asio::ssl::stream<boost::asio::ip::tcp::socket> stream(io, ctx);
  stream.next_layer().connect({boost::asio::ip::make_address("127.0.0.1"), port});
  boost::system::error_code ec;
  stream.handshake(boost::asio::ssl::stream_base::client, ec);
  return !ec;
}

}  // namespace

TEST_CASE("TLS 1.2 offers AEAD suites only: CBC and SHA-1 MAC suites are refused") {
  Pki pki;
  gc::ingest::ServerConfig config;
  config.tls = gc::ingest::make_server_tls_context(pki.server);
  TestServer server(config);
  CHECK_FALSE(tls12_handshake_with(server.port(),
                                   "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:"
                                   "ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA:AES128-SHA"));
  CHECK(tls12_handshake_with(server.port(),
                             "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                             "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"));
}

TEST_CASE("mutual TLS: a CA-signed client certificate is accepted, unsigned and missing refused") {
  Pki pki;
  gc::ingest::ServerConfig config;
  config.tls = gc::ingest::make_server_tls_context(pki.server, pki.ca.certificate.string());
  TestServer server(config);
  const auto device = server.add_device("cart-mtls");

  SECTION("signed by the configured CA") {
    CartClient cart(tls_cart(server.port(), device,
                             gc::ingest::make_cart_tls_context("", pki.fingerprint, pki.client)));
    const auto result = cart.send_study(small_study("mtls-signed"));
    CHECK(result.complete);
    CHECK(result.chunks_acked == 10);
    const auto state = server.store().find_study(device.device_id, "mtls-signed");
    REQUIRE(state);
    CHECK(server.store().load_samples(state->study_id).samples ==
          small_study("mtls-signed").samples);
    CHECK(server.server().stats().tls_handshake_failures == 0);
  }
  SECTION("self-signed (not from the CA)") {
    CartClient cart(tls_cart(server.port(), device,
                             gc::ingest::make_cart_tls_context("", pki.fingerprint, pki.impostor)));
    CHECK_THROWS_AS(cart.send_study(small_study("mtls-impostor")), CartError);
    CHECK_FALSE(server.store().find_study(device.device_id, "mtls-impostor"));
    const auto stats = server.server().stats();
    CHECK(stats.tls_handshake_failures >= 1);
    CHECK(stats.frames_received == 0);  // not even the hello was read
    CHECK(stats.chunks_stored == 0);
  }
  SECTION("no client certificate") {
    CartClient cart(
        tls_cart(server.port(), device, gc::ingest::make_cart_tls_context("", pki.fingerprint)));
    CHECK_THROWS_AS(cart.send_study(small_study("mtls-none")), CartError);
    CHECK_FALSE(server.store().find_study(device.device_id, "mtls-none"));
    const auto stats = server.server().stats();
    CHECK(stats.tls_handshake_failures >= 1);
    CHECK(stats.frames_received == 0);
    CHECK(stats.chunks_stored == 0);
  }
}

TEST_CASE("prometheus_text renders every counter, rejections by reason and a cumulative histogram") {
  gc::ingest::ServerStats s;
  s.connections_accepted = 12;
  s.sessions_open = 3;
  s.frames_received = 400;
  s.bytes_received = 123456;
  s.auth_failures = 2;
  s.chunks_stored = 380;
  s.commits = 5;
  s.studies_analysed = 4;
  s.frames_rejected_by_reason = {{"FRAME_TOO_LARGE", 1}, {"TIMEOUT", 0}};
  s.commit_latency.upper_bounds_s = {0.001, 0.01, 0.1};
  s.commit_latency.cumulative_counts = {1, 4, 4};
  s.commit_latency.count = 5;
  s.commit_latency.sum_s = 0.75;
  const std::string text = gc::ingest::prometheus_text(s);
  INFO(text);
  for (const char* line : {
           "greenchannel_connections_accepted_total 12\n",
           "greenchannel_sessions_open 3\n",
           "greenchannel_frames_received_total 400\n",
           "greenchannel_bytes_received_total 123456\n",
           "greenchannel_auth_failures_total 2\n",
           "greenchannel_chunks_stored_total 380\n",
           "greenchannel_studies_analysed_total 4\n",
           "greenchannel_frames_rejected_total{reason=\"FRAME_TOO_LARGE\"} 1\n",
           "greenchannel_frames_rejected_total{reason=\"TIMEOUT\"} 0\n",
           "# TYPE greenchannel_commit_latency_seconds histogram\n",
           "greenchannel_commit_latency_seconds_bucket{le=\"0.001\"} 1\n",
           "greenchannel_commit_latency_seconds_bucket{le=\"0.01\"} 4\n",
           "greenchannel_commit_latency_seconds_bucket{le=\"0.1\"} 4\n",
           "greenchannel_commit_latency_seconds_bucket{le=\"+Inf\"} 5\n",
           "greenchannel_commit_latency_seconds_sum 0.75\n",
           "greenchannel_commit_latency_seconds_count 5\n",
           "# TYPE greenchannel_sessions_open gauge\n",
           "# TYPE greenchannel_connections_accepted_total counter\n",
       }) {
    CHECK(text.find(line) != std::string::npos);
  }
  // Every line is a comment or `name{labels} value` (text format 0.0.4), each metric typed once.
  const std::regex sample(R"(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_]+="[^"]*"\})? [-+0-9.eInf]+$)");
  std::istringstream lines(text);
  std::string line;
  int types = 0;
  while (std::getline(lines, line)) {
    if (line.rfind("# TYPE ", 0) == 0) {
      ++types;
      continue;
    }
    if (line.rfind("# HELP ", 0) == 0) continue;
    CHECK(std::regex_match(line, sample));
  }
  CHECK(types == 15);
  CHECK(text.back() == '\n');
}

TEST_CASE("live stats: commits feed the latency histogram, rejections are counted by reason") {
  TestServer server;
  const auto device = server.add_device("cart-metrics");
  {
    RawClient client(server.port());
    client.send(hello(device.device_id, device.secret));
    REQUIRE(client.read_until([](const pb::ServerMessage& m) { return m.has_hello_ack(); }));
    client.send(study_start("metrics-1"));
    REQUIRE(client.read_until([](const pb::ServerMessage& m) { return m.has_study_started(); }));
    for (std::uint64_t s = 0; s < 3; ++s) client.send(chunk("metrics-1", s));
    for (int i = 0; i < 3; ++i) {
      REQUIRE(client.read_until([](const pb::ServerMessage& m) { return m.has_chunk_ack(); }));
    }
  }
  {
    RawClient client(server.port());
    client.send_bytes(std::string("\xff\xff\xff\xff\x07", 5));  // a 2 GB length prefix
    const auto error = client.read_error();
    REQUIRE(error);
    CHECK(error->code() == pb::Error::FRAME_TOO_LARGE);
  }
  const auto stats = server.server().stats();
  CHECK(stats.chunks_stored == 3);
  CHECK(stats.frames_rejected_by_reason.at("FRAME_TOO_LARGE") == 1);
  CHECK(stats.frames_rejected_by_reason.at("UNAUTHENTICATED") == 0);
  CHECK(stats.frames_rejected_by_reason.size() == 10);  // every code but UNSPECIFIED (STUDY_EXPIRED included)
  CHECK(stats.commit_latency.count == stats.commits);
  CHECK(stats.commit_latency.count >= 1);
  CHECK(stats.commit_latency.cumulative_counts.back() <= stats.commit_latency.count);
  CHECK(stats.commit_latency.sum_s > 0);
  const std::string text = gc::ingest::prometheus_text(stats);
  CHECK(text.find("greenchannel_frames_rejected_total{reason=\"FRAME_TOO_LARGE\"} 1\n") !=
        std::string::npos);
  CHECK(text.find("greenchannel_chunks_stored_total 3\n") != std::string::npos);
}

TEST_CASE("a hello captured from a good session and replayed after revocation stores nothing") {
  TestServer server;
  const auto device = server.add_device("cart-replay");
  const std::string captured = gc::proto::encode_frame(hello(device.device_id, device.secret));
  {
    // The genuine session: authenticates (the credential is now in the verification cache).
    RawClient client(server.port());
    client.send_bytes(captured);
    REQUIRE(client.read_until([](const pb::ServerMessage& m) { return m.has_hello_ack(); }));
  }
  REQUIRE(server.store().revoke_device(device.device_id));
  const auto before = server.server().stats();
  RawClient replay(server.port());
  replay.send_bytes(captured + gc::proto::encode_frame(study_start("replayed-1")) +
                    gc::proto::encode_frame(chunk("replayed-1", 0)));
  const auto error = replay.read_error();
  REQUIRE(error);
  CHECK(error->code() == pb::Error::UNAUTHENTICATED);
  CHECK(error->fatal());
  CHECK(replay.closed_by_server());
  CHECK_FALSE(server.store().find_study(device.device_id, "replayed-1"));
  const auto after = server.server().stats();
  CHECK(after.chunks_stored == before.chunks_stored);
  CHECK(after.auth_failures == before.auth_failures + 1);
}
