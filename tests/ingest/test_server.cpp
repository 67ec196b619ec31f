// Ingest server on an ephemeral loopback port with a temporary database: authentication, hostile
// and out-of-order input, duplicates, checksums, resume, and the full path to a stored finding.
#include <catch2/catch.hpp>

#include <chrono>

#include "gc/cart_client.hpp"
#include "gc/synth.hpp"
#include "gc/tls.hpp"
#include "ingest/ingest_test_util.hpp"

using namespace gc::test;
using gc::ingest::CartClient;
using gc::ingest::CartConfig;
using gc::ingest::CartStudy;

namespace {

// Authenticates a raw client and returns after the HelloAck.
pb::HelloAck authenticate(RawClient& client, const gc::storage::NewDevice& device) {
  client.send(hello(device.device_id, device.secret));
  auto m = client.read();
  REQUIRE(m);
  REQUIRE(m->has_hello_ack());
  return m->hello_ack();
}

pb::StudyStarted start_study(RawClient& client, const std::string& uid) {
  client.send(study_start(uid));
  auto m = client.read_until(
      [](const pb::ServerMessage& s) { return s.has_study_started() || s.has_error(); });
  REQUIRE(m);
  REQUIRE(m->has_study_started());
  return m->study_started();
}

std::uint64_t read_ack(RawClient& client) {
  auto m = client.read_until(
      [](const pb::ServerMessage& s) { return s.has_chunk_ack() || s.has_error(); });
  REQUIRE(m);
  REQUIRE(m->has_chunk_ack());
  return m->chunk_ack().sequence();
}

CartStudy synthetic_study(const std::string& uid, std::map<std::string, double> st_shift_uv) {
  gc::synth::Spec spec;
  spec.seed = 7;
  spec.st_shift_uv = std::move(st_shift_uv);
  return cart_study(uid, spec);
}

CartConfig cart_config(std::uint16_t port, const gc::storage::NewDevice& device) {
  CartConfig config;
  config.port = port;
  config.device_id = device.device_id;
  config.secret = device.secret;
  config.io_timeout = std::chrono::milliseconds(5000);
  config.finding_timeout = std::chrono::milliseconds(60'000);
  config.reconnect_backoff = std::chrono::milliseconds(20);
  return config;
}

}  // namespace

TEST_CASE("wrong, unknown and revoked credentials get UNAUTHENTICATED and store nothing (SQLite, PostgreSQL)") {
  const auto backend = GC_BACKENDS;
  INFO(gc::storage::test::backend_name(backend));
  gc::ingest::ServerConfig config;
  config.max_auth_failures = 100;  // this test fails on purpose more often than the rate limit
  TestServer server(config, {}, backend);
  const auto device = server.add_device("cart-auth");
  const auto revoked = server.add_device("cart-revoked");
  REQUIRE(server.store().revoke_device(revoked.device_id));

  const std::vector<std::pair<std::string, std::string>> attempts = {
      {device.device_id, device.secret + "x"},  // wrong secret
      {"cart-nobody", "whatever"},              // unknown device
      {revoked.device_id, revoked.secret},      // revoked
  };
  for (const auto& [id, secret] : attempts) {
    RawClient client(server.port());
    // A hostile cart pipelines a study behind its hello: none of it may be stored.
    client.send_bytes(gc::proto::encode_frame(hello(id, secret)) +
                      gc::proto::encode_frame(study_start("sneaky-" + id)) +
                      gc::proto::encode_frame(chunk("sneaky-" + id, 0)));
    const auto error = client.read_error();
    REQUIRE(error);
    CHECK(error->code() == pb::Error::UNAUTHENTICATED);
    CHECK(error->fatal());
    CHECK(error->message().find(id) != std::string::npos);
    CHECK(client.closed_by_server());
    CHECK_FALSE(server.store().find_study(id, "sneaky-" + id));
  }
  // Missing credential is refused by validation before any lookup.
  RawClient client(server.port());
  client.send(hello(device.device_id, ""));
  const auto error = client.read_error();
  REQUIRE(error);
  CHECK(error->code() == pb::Error::UNAUTHENTICATED);
  CHECK(server.server().stats().chunks_stored == 0);
}

TEST_CASE("repeated authentication failures from one address are rate-limited") {
  gc::ingest::ServerConfig config;
  config.max_auth_failures = 2;
  TestServer server(config);
  const auto device = server.add_device("cart-rl");
  for (int i = 0; i < 2; ++i) {
    RawClient client(server.port());
    client.send(hello(device.device_id, "wrong"));
    REQUIRE(client.read_error());
  }
  RawClient client(server.port());
  client.send(hello(device.device_id, device.secret));  // even the right secret waits now
  const auto error = client.read_error();
  REQUIRE(error);
  CHECK(error->code() == pb::Error::UNAUTHENTICATED);
  CHECK(error->message().find("too many") != std::string::npos);
}

TEST_CASE("a wrong secret for one cart never locks out another cart at the same address") {
  // Issue 16 #2: five bad hellos from one township clinic's NAT address used to lock out every
  // cart behind it, right secrets included. Throttling is per device id, and per address only for
  // ids that were never registered.
  gc::ingest::ServerConfig config;
  config.max_auth_failures = 2;
  TestServer server(config);
  const auto a = server.add_device("cart-a");
  const auto b = server.add_device("cart-b");
  for (int i = 0; i < 3; ++i) {
    RawClient client(server.port());
    client.send(hello(a.device_id, "wrong"));
    REQUIRE(client.read_error());
  }
  {
    RawClient client(server.port());
    client.send(hello(a.device_id, a.secret));  // cart-a itself waits out its window
    const auto error = client.read_error();
    REQUIRE(error);
    CHECK(error->message().find("too many failed authentications for this device") != std::string::npos);
  }
  {
    RawClient client(server.port());
    authenticate(client, b);  // the other cart of the same clinic is not affected
  }
  // Guessing ids from one address is throttled by address — still not the registered carts.
  for (const char* id : {"cart-guess-1", "cart-guess-2"}) {
    RawClient client(server.port());
    client.send(hello(id, "x"));
    REQUIRE(client.read_error());
  }
  {
    RawClient client(server.port());
    client.send(hello("cart-guess-3", "x"));
    const auto error = client.read_error();
    REQUIRE(error);
    CHECK(error->message().find("for this address") != std::string::npos);
  }
  RawClient client(server.port());
  authenticate(client, b);
}

TEST_CASE("a malformed frame closes that session only — another cart keeps streaming (SQLite, PostgreSQL)") {
  const auto backend = GC_BACKENDS;
  INFO(gc::storage::test::backend_name(backend));
  TestServer server({}, {}, backend);
  const auto good_device = server.add_device("cart-good");
  const auto bad_device = server.add_device("cart-bad");

  RawClient good(server.port());
  authenticate(good, good_device);
  start_study(good, "good-1");
  good.send(chunk("good-1", 0));
  CHECK(read_ack(good) == 0);

  RawClient bad(server.port());
  authenticate(bad, bad_device);
  // A frame whose body is not a CartMessage (wire type 7).
  bad.send_bytes(std::string("\x03\x0F\xFF\xFF", 4));
  const auto error = bad.read_error();
  REQUIRE(error);
  CHECK(error->code() == pb::Error::MALFORMED_FRAME);
  CHECK(error->fatal());
  CHECK(bad.closed_by_server());

  for (std::uint64_t s = 1; s < 5; ++s) {
    good.send(chunk("good-1", s));
    CHECK(read_ack(good) == s);
  }
  good.send(study_end("good-1", 5, 500, crc_of_chunks("good-1", 5)));
  auto ack = good.read_until([](const pb::ServerMessage& m) { return m.has_study_ack(); });
  REQUIRE(ack);
  CHECK(ack->study_ack().complete());
  const auto state = server.store().find_study(good_device.device_id, "good-1");
  REQUIRE(state);
  CHECK(state->complete);
}

TEST_CASE("an oversized length prefix gets FRAME_TOO_LARGE before any body arrives") {
  gc::ingest::ServerConfig config;
  config.limits.max_frame_bytes = 64 * 1024;
  TestServer server(config);
  const auto device = server.add_device("cart-big");
  RawClient client(server.port());
  authenticate(client, device);
  client.send_bytes(std::string("\x80\x80\x80\x80\x08", 5));  // 2 GB announced, nothing behind
  const auto error = client.read_error();
  REQUIRE(error);
  CHECK(error->code() == pb::Error::FRAME_TOO_LARGE);
  CHECK(error->message().find("2147483648") != std::string::npos);
  CHECK(client.closed_by_server());
}

TEST_CASE("protocol order is enforced") {
  TestServer server;
  const auto device = server.add_device("cart-order");
  SECTION("the first frame must be a hello") {
    RawClient client(server.port());
    client.send(study_start("early"));
    const auto error = client.read_error();
    REQUIRE(error);
    CHECK(error->code() == pb::Error::PROTOCOL_VIOLATION);
    CHECK(error->message().find("hello") != std::string::npos);
  }
  SECTION("chunk before study start") {
    RawClient client(server.port());
    authenticate(client, device);
    client.send(chunk("never-started", 0));
    const auto error = client.read_error();
    REQUIRE(error);
    CHECK(error->code() == pb::Error::PROTOCOL_VIOLATION);
    CHECK(error->study_uid() == "never-started");
    CHECK(client.closed_by_server());
    CHECK_FALSE(server.store().find_study(device.device_id, "never-started"));
  }
  SECTION("a gap in the sequence") {
    RawClient client(server.port());
    authenticate(client, device);
    start_study(client, "gappy");
    client.send(chunk("gappy", 0));
    client.send(chunk("gappy", 2));
    const auto error = client.read_error();
    REQUIRE(error);
    CHECK(error->code() == pb::Error::PROTOCOL_VIOLATION);
    CHECK(error->message().find("expected") != std::string::npos);
  }
  SECTION("hello twice") {
    RawClient client(server.port());
    authenticate(client, device);
    client.send(hello(device.device_id, device.secret));
    const auto error = client.read_error();
    REQUIRE(error);
    CHECK(error->code() == pb::Error::PROTOCOL_VIOLATION);
  }
  SECTION("a chunk that is not a multiple of the lead count") {
    RawClient client(server.port());
    authenticate(client, device);
    start_study(client, "ragged");
    auto bad = chunk("ragged", 0);
    bad.mutable_chunk()->add_samples(1);
    client.send(bad);
    const auto error = client.read_error();
    REQUIRE(error);
    CHECK(error->code() == pb::Error::PROTOCOL_VIOLATION);
    CHECK(error->message().find("chunk.samples") != std::string::npos);
  }
  SECTION("a study announcing 10^9 samples") {
    RawClient client(server.port());
    authenticate(client, device);
    auto huge = study_start("huge");
    huge.mutable_study_start()->set_expected_samples_per_lead(1'000'000'000);
    client.send(huge);
    const auto error = client.read_error();
    REQUIRE(error);
    CHECK(error->code() == pb::Error::LIMIT_EXCEEDED);
  }
}

TEST_CASE("a resent chunk is acknowledged again and stored once (SQLite, PostgreSQL)") {
  const auto backend = GC_BACKENDS;
  INFO(gc::storage::test::backend_name(backend));
  TestServer server({}, {}, backend);
  const auto device = server.add_device("cart-dup");
  RawClient client(server.port());
  authenticate(client, device);
  start_study(client, "dup-1");
  client.send(chunk("dup-1", 0));
  CHECK(read_ack(client) == 0);
  client.send(chunk("dup-1", 1));
  CHECK(read_ack(client) == 1);
  client.send(chunk("dup-1", 1));  // resend
  CHECK(read_ack(client) == 1);
  client.send(chunk("dup-1", 0));  // resend of an older one
  CHECK(read_ack(client) == 0);
  client.send(chunk("dup-1", 2));
  CHECK(read_ack(client) == 2);
  client.send(study_end("dup-1", 3, 300, crc_of_chunks("dup-1", 3)));
  auto ack = client.read_until([](const pb::ServerMessage& m) { return m.has_study_ack(); });
  REQUIRE(ack);
  CHECK(ack->study_ack().complete());

  const auto state = server.store().find_study(device.device_id, "dup-1");
  REQUIRE(state);
  const auto stored = server.store().load_samples(state->study_id);
  REQUIRE(stored.samples.size() == 3);
  CHECK(stored.samples[0].size() == 300);  // not 500: the resends were not stored
  CHECK(server.server().stats().chunks_duplicate >= 2);
}

TEST_CASE("a checksum mismatch is reported and the study is not completed (SQLite, PostgreSQL)") {
  const auto backend = GC_BACKENDS;
  INFO(gc::storage::test::backend_name(backend));
  TestServer server({}, {}, backend);
  const auto device = server.add_device("cart-crc");
  RawClient client(server.port());
  authenticate(client, device);
  start_study(client, "crc-1");
  for (std::uint64_t s = 0; s < 2; ++s) {
    client.send(chunk("crc-1", s));
    CHECK(read_ack(client) == s);
  }
  client.send(study_end("crc-1", 2, 200, crc_of_chunks("crc-1", 2) ^ 1u));
  const auto error = client.read_error();
  REQUIRE(error);
  CHECK(error->code() == pb::Error::CHECKSUM_MISMATCH);
  CHECK(error->study_uid() == "crc-1");
  auto ack = client.read_until([](const pb::ServerMessage& m) { return m.has_study_ack(); });
  REQUIRE(ack);
  CHECK_FALSE(ack->study_ack().complete());
  const auto state = server.store().find_study(device.device_id, "crc-1");
  REQUIRE(state);
  CHECK_FALSE(state->complete);
}

TEST_CASE("resume after a disconnect: HelloAck tells where the study stands (SQLite, PostgreSQL)") {
  const auto backend = GC_BACKENDS;
  INFO(gc::storage::test::backend_name(backend));
  TestServer server({}, {}, backend);
  const auto device = server.add_device("cart-resume");
  {
    RawClient client(server.port());
    authenticate(client, device);
    start_study(client, "resume-1");
    for (std::uint64_t s = 0; s < 4; ++s) {
      client.send(chunk("resume-1", s));
      CHECK(read_ack(client) == s);
    }
  }  // connection dropped mid-study
  RawClient client(server.port());
  const pb::HelloAck ack = authenticate(client, device);
  REQUIRE(ack.open_studies_size() == 1);
  CHECK(ack.open_studies(0).study_uid() == "resume-1");
  CHECK(ack.open_studies(0).next_sequence() == 4);
  CHECK(start_study(client, "resume-1").next_sequence() == 4);
  client.send(chunk("resume-1", 3));  // an unacked-looking resend: re-acked, not stored
  CHECK(read_ack(client) == 3);
  for (std::uint64_t s = 4; s < 6; ++s) {
    client.send(chunk("resume-1", s));
    CHECK(read_ack(client) == s);
  }
  client.send(study_end("resume-1", 6, 600, crc_of_chunks("resume-1", 6)));
  auto study_ack = client.read_until([](const pb::ServerMessage& m) { return m.has_study_ack(); });
  REQUIRE(study_ack);
  CHECK(study_ack->study_ack().complete());
}

TEST_CASE("handshake deadline: a silent connection gets TIMEOUT") {
  gc::ingest::ServerConfig config;
  config.handshake_timeout = std::chrono::milliseconds(200);
  TestServer server(config);
  RawClient client(server.port());
  const auto started = std::chrono::steady_clock::now();
  const auto error = client.read_error();
  REQUIRE(error);
  CHECK(error->code() == pb::Error::TIMEOUT);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(3));
  CHECK(client.closed_by_server());
}

TEST_CASE("cart client streams a study — the finding is stored, alerted and pushed back (SQLite, PostgreSQL)") {
  const auto backend = GC_BACKENDS;
  INFO(gc::storage::test::backend_name(backend));
  TestServer server({}, {}, backend);
  const auto device = server.add_device("cart-full");
  CartClient cart(cart_config(server.port(), device));
  const CartStudy study = synthetic_study("full-1", {{"V2", 300}, {"V3", 350}, {"V4", 250}});
  const auto result = cart.send_study(study);
  CHECK(result.complete);
  CHECK(result.chunks == 50);  // 10 s in 200 ms chunks
  CHECK(result.chunks_acked == 50);
  REQUIRE(result.finding);
  CHECK_FALSE(result.finding->category().empty());
  CHECK_FALSE(result.finding->tier().empty());
  CHECK_FALSE(result.finding->explanation_en().empty());

  const auto state = server.store().find_study(device.device_id, "full-1");
  REQUIRE(state);
  CHECK(state->complete);
  const auto stored = server.store().load_samples(state->study_id);
  CHECK(stored.samples == study.samples);  // bit for bit
  const auto json = server.store().analysis_json(state->study_id);
  REQUIRE(json);
  CHECK(json->find("\"finding\"") != std::string::npos);
  const auto alerts = server.store().alerts_for_study(state->study_id);
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0].tier == result.finding->tier());
  CHECK(alerts[0].category == result.finding->category());
  std::vector<std::string> kinds;
  for (const auto& e : server.store().events_for_study(state->study_id)) kinds.push_back(e.kind);
  for (const char* kind : {"first_ecg", "ecg_received", "analysis_done", "alert_raised"}) {
    CHECK(std::find(kinds.begin(), kinds.end(), kind) != kinds.end());
  }
  // Sending the same study again (a cart that lost the finding) re-acks and re-pushes it from
  // the stored analysis, storing nothing new.
  CartClient again(cart_config(server.port(), device));
  const auto repeat = again.send_study(study);
  CHECK(repeat.complete);
  REQUIRE(repeat.finding);
  CHECK(repeat.finding->category() == result.finding->category());
  CHECK(repeat.finding->tier() == result.finding->tier());
  CHECK(repeat.finding->elevated_size() == result.finding->elevated_size());
  CHECK(server.store().alerts_for_study(state->study_id).size() == 1);
  CHECK(server.store().load_samples(state->study_id).samples == study.samples);
  // The cart's acquisition time is kept raw, with a corrected copy from the measured offset.
  for (const auto& e : server.store().events_for_study(state->study_id)) {
    if (e.kind == "first_ecg") {
      CHECK(e.at.source == "cart");
      CHECK(e.corrected_unix_ms.has_value());
    }
  }
}

TEST_CASE("cart client survives random connection drops — every sample stored exactly once (SQLite, PostgreSQL)") {
  const auto backend = GC_BACKENDS;
  INFO(gc::storage::test::backend_name(backend));
  TestServer server({}, {}, backend);
  const auto device = server.add_device("cart-chaos");
  CartConfig config = cart_config(server.port(), device);
  config.chaos_drop_probability = 0.08;
  config.chaos_seed = 42;
  config.max_reconnects = 100;
  CartClient cart(config);
  const CartStudy study = synthetic_study("chaos-1", {});
  const auto result = cart.send_study(study);
  CHECK(result.complete);
  CHECK(result.reconnects > 0);
  const auto state = server.store().find_study(device.device_id, "chaos-1");
  REQUIRE(state);
  CHECK(state->complete);
  CHECK(server.store().load_samples(state->study_id).samples == study.samples);
}

TEST_CASE("an 8-channel study gets III, aVR, aVL, aVF derived for analysis (SQLite, PostgreSQL)") {
  const auto backend = GC_BACKENDS;
  INFO(gc::storage::test::backend_name(backend));
  TestServer server({}, {}, backend);
  const auto device = server.add_device("cart-eight");
  CartStudy study = synthetic_study("eight-1", {});
  CartStudy eight = study;
  eight.leads.clear();
  eight.samples.clear();
  for (std::size_t i = 0; i < study.leads.size(); ++i) {
    const auto& l = study.leads[i];
    if (l == "III" || l == "aVR" || l == "aVL" || l == "aVF") continue;
    eight.leads.push_back(l);
    eight.samples.push_back(study.samples[i]);
  }
  eight.derive_limb_leads = true;
  REQUIRE(eight.leads.size() == 8);
  CartClient cart(cart_config(server.port(), device));
  const auto result = cart.send_study(eight);
  CHECK(result.complete);
  REQUIRE(result.finding);
  const auto state = server.store().find_study(device.device_id, "eight-1");
  REQUIRE(state);
  const auto json = server.store().analysis_json(state->study_id);
  REQUIRE(json);
  CHECK(json->find("\"aVF\"") != std::string::npos);  // analysed with the derived leads
  CHECK(server.store().load_samples(state->study_id).samples.size() == 8);  // stored as sent
}

TEST_CASE("graceful stop: acknowledged chunks are durable and the server stops") {
  auto server = std::make_unique<TestServer>();
  const auto device = server->add_device("cart-stop");
  RawClient client(server->port());
  authenticate(client, device);
  start_study(client, "stop-1");
  for (std::uint64_t s = 0; s < 3; ++s) client.send(chunk("stop-1", s));
  for (std::uint64_t s = 0; s < 3; ++s) CHECK(read_ack(client) == s);
  server->stop();  // returns once every session closed and the workers drained
  CHECK(client.closed_by_server());
  const auto state = server->store().find_study(device.device_id, "stop-1");
  REQUIRE(state);
  CHECK(state->next_sequence == 3);
}

TEST_CASE("a resumed study_start that differs from the stored study is refused, naming the field (SQLite, PostgreSQL)") {
  const auto backend = GC_BACKENDS;
  INFO(gc::storage::test::backend_name(backend));
  TestServer server({}, {}, backend);
  const auto device = server.add_device("cart-differ");
  {
    RawClient client(server.port());
    authenticate(client, device);
    start_study(client, "differ-1");
  }
  RawClient client(server.port());
  authenticate(client, device);
  auto changed = study_start("differ-1");
  changed.mutable_study_start()->set_sample_rate_hz(250);
  client.send(changed);
  const auto error = client.read_error();
  REQUIRE(error);
  CHECK(error->code() == pb::Error::PROTOCOL_VIOLATION);
  CHECK(error->message().find("sample_rate_hz") != std::string::npos);
  const auto state = server.store().find_study(device.device_id, "differ-1");
  REQUIRE(state);
  CHECK(state->header.sample_rate_hz == 500);
}

TEST_CASE("slow loris: a frame trickled byte by byte is cut off at the frame deadline") {
  gc::ingest::ServerConfig config;
  config.frame_timeout = std::chrono::milliseconds(300);
  config.idle_timeout = std::chrono::milliseconds(10'000);
  TestServer server(config);
  const auto device = server.add_device("cart-loris");
  RawClient client(server.port());
  authenticate(client, device);
  const std::string frame = gc::proto::encode_frame(study_start("loris"));
  const auto started = std::chrono::steady_clock::now();
  bool cut_off = false;
  for (std::size_t i = 0; i + 1 < frame.size(); ++i) {
    try {
      client.send_bytes(frame.substr(i, 1));  // each byte well inside the idle timeout
    } catch (const std::exception&) {
      cut_off = true;  // the server closed: writes fail
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (std::chrono::steady_clock::now() - started > std::chrono::seconds(2)) break;
  }
  const auto error = client.read_error();
  REQUIRE(error);
  CHECK(error->code() == pb::Error::TIMEOUT);
  CHECK(error->message().find("frame") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(3));
  (void)cut_off;
}

TEST_CASE("many carts at once: group commit batches their chunks, nothing lost or doubled (SQLite, PostgreSQL)") {
  const auto backend = GC_BACKENDS;
  INFO(gc::storage::test::backend_name(backend));
  TestServer server({}, {}, backend);
  constexpr int kCarts = 24;
  constexpr std::uint64_t kChunks = 20;
  std::vector<gc::storage::NewDevice> devices;
  for (int i = 0; i < kCarts; ++i)
    devices.push_back(server.add_device("cart-many-" + std::to_string(i)));
  std::vector<std::thread> carts;
  std::atomic<int> completed{0};
  for (int i = 0; i < kCarts; ++i) {
    carts.emplace_back([&, i] {
      RawClient client(server.port());
      client.send(hello(devices[i].device_id, devices[i].secret));
      if (!client.read_until([](const pb::ServerMessage& m) { return m.has_hello_ack(); })) return;
      const std::string uid = "many-" + std::to_string(i);
      client.send(study_start(uid));
      if (!client.read_until([](const pb::ServerMessage& m) { return m.has_study_started(); }))
        return;
      // Pipelined: all chunks at once, then the acks.
      std::string burst;
      for (std::uint64_t s = 0; s < kChunks; ++s) burst += gc::proto::encode_frame(chunk(uid, s));
      client.send_bytes(burst);
      std::uint64_t acked = 0;
      while (acked < kChunks) {
        auto m = client.read_until(
            [](const pb::ServerMessage& x) { return x.has_chunk_ack() || x.has_error(); });
        if (!m || m->has_error()) return;
        acked = std::max(acked, m->chunk_ack().sequence() + 1);
      }
      client.send(study_end(uid, kChunks, kChunks * 100, crc_of_chunks(uid, kChunks)));
      auto ack = client.read_until([](const pb::ServerMessage& m) { return m.has_study_ack(); });
      if (ack && ack->study_ack().complete()) ++completed;
    });
  }
  for (auto& t : carts) t.join();
  CHECK(completed == kCarts);
  for (int i = 0; i < kCarts; ++i) {
    const auto state = server.store().find_study(devices[i].device_id, "many-" + std::to_string(i));
    REQUIRE(state);
    CHECK(state->complete);
    CHECK(server.store().load_samples(state->study_id).samples[0].size() == kChunks * 100);
  }
  const auto stats = server.server().stats();
  CHECK(stats.chunks_stored == kCarts * kChunks);
  CHECK(stats.chunks_duplicate == 0);
  // Grouped: fewer transactions than chunks (each transaction commits several carts' chunks).
  CHECK(stats.commits < stats.chunks_stored);
}

TEST_CASE(
    "beyond the connection cap, when every cart streams, a cart is refused with "
    "LIMIT_EXCEEDED") {
  gc::ingest::ServerConfig config;
  config.max_connections = 2;
  TestServer server(config);
  const auto device = server.add_device("cart-cap");
  // Streaming (a study open): these keep their slots. Idle ones would give them up
  // (test_connection_caps.cpp).
  RawClient a(server.port());
  authenticate(a, device);
  a.send(study_start("cap-a"));
  REQUIRE(a.read_until([](const pb::ServerMessage& m) { return m.has_study_started(); }));
  RawClient b(server.port());
  authenticate(b, device);
  b.send(study_start("cap-b"));
  REQUIRE(b.read_until([](const pb::ServerMessage& m) { return m.has_study_started(); }));
  RawClient c(server.port());
  const auto error = c.read_error();
  REQUIRE(error);
  CHECK(error->code() == pb::Error::LIMIT_EXCEEDED);
  CHECK(c.closed_by_server());
  // The admitted carts are unaffected.
  pb::CartMessage ping;
  ping.mutable_ping();
  a.send(ping);
  auto pong = a.read();
  REQUIRE(pong);
  CHECK(pong->has_pong());
}

TEST_CASE("crash recovery: a completed study that was never analysed is analysed at start (SQLite, PostgreSQL)") {
  const auto backend = GC_BACKENDS;
  INFO(gc::storage::test::backend_name(backend));
  std::int64_t study_id = 0;
  const auto prepare = [&](gc::storage::Store& store) {
    // What a server that died right after the StudyAck leaves behind.
    store.add_device("recovery clinic", "cart-recover");
    const CartStudy study = synthetic_study("recover-1", {{"V2", 300}, {"V3", 300}});
    gc::storage::StudyHeader header;
    header.device_id = "cart-recover";
    header.study_uid = study.study_uid;
    header.leads = study.leads;
    header.sample_rate_hz = study.sample_rate_hz;
    header.resolution_nv_per_lsb = study.resolution_nv_per_lsb;
    header.age_years = 60;
    header.sex = "M";
    study_id = store.begin_study(header).study_id;
    gc::storage::Chunk chunk;
    chunk.samples = gc::ingest::interleave(study.samples);
    REQUIRE(store.append_chunk(study_id, chunk) == gc::storage::AppendResult::stored);
    store.complete_study(study_id, study.samples.front().size(),
                         gc::storage::samples_crc32(chunk.samples));
    gc::storage::EventRecord received;
    received.study_id = study_id;
    received.kind = "ecg_received";
    received.at = {gc::storage::now_unix_ms(), "server", "server"};
    received.recorded_ms = received.at.unix_ms;
    store.append_event(received);
  };
  TestServer server({}, prepare, backend);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!server.store().analysis_json(study_id) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  REQUIRE(server.store().analysis_json(study_id));
  // The analysis and the alert are two writes; give the second a moment.
  while (server.store().alerts_for_study(study_id).empty() &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(server.store().alerts_for_study(study_id).size() == 1);
}

TEST_CASE("a resend whose samples differ from the stored chunk is refused (SQLite, PostgreSQL)") {
  const auto backend = GC_BACKENDS;
  INFO(gc::storage::test::backend_name(backend));
  TestServer server({}, {}, backend);
  const auto device = server.add_device("cart-conflict");
  RawClient client(server.port());
  authenticate(client, device);
  start_study(client, "conflict-1");
  client.send(chunk("conflict-1", 0));
  CHECK(read_ack(client) == 0);
  auto altered = chunk("conflict-1", 0);
  altered.mutable_chunk()->set_samples(5, altered.chunk().samples(5) + 1);
  client.send(altered);
  const auto error = client.read_error();
  REQUIRE(error);
  CHECK(error->code() == pb::Error::PROTOCOL_VIOLATION);
  CHECK(error->message().find("chunk 0") != std::string::npos);
  const auto state = server.store().find_study(device.device_id, "conflict-1");
  REQUIRE(state);
  const auto stored = server.store().load_samples(state->study_id);
  const auto original = chunk("conflict-1", 0);
  CHECK(stored.samples[2][1] == original.chunk().samples(5));  // sample 1 of lead 2 unchanged
}

TEST_CASE(
    "TLS: a cart pinning the server's fingerprint streams; a wrong pin or plain TCP gets nothing") {
  const fs::path tls_dir = unique_temp_dir("gc-tls");
  const gc::ingest::TlsFiles files{tls_dir / "server.crt", tls_dir / "server.key"};
  REQUIRE(gc::ingest::ensure_server_certificate(files));
  CHECK_FALSE(gc::ingest::ensure_server_certificate(files));  // kept on the next start
  CHECK((fs::status(files.private_key).permissions() & fs::perms::others_read) == fs::perms::none);
  const std::string fingerprint = gc::ingest::certificate_fingerprint_sha256(files.certificate);
  CHECK(gc::ingest::normalize_fingerprint(fingerprint).size() == 64);

  gc::ingest::ServerConfig config;
  config.tls = gc::ingest::make_server_tls_context(files);
  config.handshake_timeout = std::chrono::milliseconds(2000);
  TestServer server(config);
  const auto device = server.add_device("cart-tls");

  CartConfig cart_cfg = cart_config(server.port(), device);
  cart_cfg.tls = gc::ingest::make_cart_tls_context("", fingerprint);
  cart_cfg.tls_verify_host_name = false;
  CartClient cart(cart_cfg);
  const CartStudy study = synthetic_study("tls-1", {});
  const auto result = cart.send_study(study);
  CHECK(result.complete);
  CHECK(result.finding.has_value());
  const auto state = server.store().find_study(device.device_id, "tls-1");
  REQUIRE(state);
  CHECK(server.store().load_samples(state->study_id).samples == study.samples);

  // Verified by the CA file (the self-signed certificate) and the host name 127.0.0.1.
  CartConfig ca_cfg = cart_config(server.port(), device);
  ca_cfg.tls = gc::ingest::make_cart_tls_context(files.certificate.string(), "");
  CHECK(CartClient(ca_cfg).send_study(synthetic_study("tls-2", {})).complete);

  CartConfig wrong = cart_config(server.port(), device);
  wrong.tls = gc::ingest::make_cart_tls_context("", std::string(64, 'A'));
  wrong.tls_verify_host_name = false;
  CHECK_THROWS_AS(CartClient(wrong).send_study(synthetic_study("tls-wrong", {})),
                  gc::ingest::CartError);
  CHECK_FALSE(server.store().find_study(device.device_id, "tls-wrong"));

  // A plain-TCP cart gets no protocol at all: the TLS handshake fails and the server closes.
  RawClient plain(server.port());
  plain.send(hello(device.device_id, device.secret));
  CHECK_FALSE(plain.read());
  std::error_code ignored;
  fs::remove_all(tls_dir, ignored);
}

TEST_CASE("workflow hooks: study created once (not on resume), alert raised once (SQLite, PostgreSQL)") {
  const auto backend = GC_BACKENDS;
  INFO(gc::storage::test::backend_name(backend));
  std::atomic<int> created{0};
  std::atomic<int> alerted{0};
  std::optional<std::int64_t> offset;
  gc::ingest::ServerConfig config;
  config.on_study_created = [&](gc::storage::Store& store, const gc::storage::StudyHeader& header,
                                std::int64_t study_id, std::optional<std::int64_t> off) {
    CHECK(store.get_study(study_id)->header.study_uid == header.study_uid);
    offset = off;
    ++created;
  };
  config.on_alert_raised = [&](gc::storage::Store&, const gc::storage::AlertRecord& alert,
                               std::int64_t alert_id) {
    CHECK(alert_id > 0);
    CHECK_FALSE(alert.tier.empty());
    ++alerted;
  };
  TestServer server(config, {}, backend);
  const auto device = server.add_device("cart-hooks");
  const CartStudy study = synthetic_study("hooks-1", {});
  CHECK(CartClient(cart_config(server.port(), device)).send_study(study).complete);
  CHECK(CartClient(cart_config(server.port(), device)).send_study(study).complete);  // again
  CHECK(created == 1);
  CHECK(alerted == 1);
  REQUIRE(offset.has_value());
  CHECK(std::abs(*offset) < 60'000);  // same machine: the measured clock offset is small
}
