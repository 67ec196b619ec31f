// Carts fail over (issue 14 item 3): `--server A,B,…` lists the `serve` nodes of one centre; when
// the one in use cannot be reached the cart tries the next, and a study interrupted on one node
// resumes on another from that node's next_sequence — every chunk stored once, bit for bit, when
// the nodes share one database.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "gc/cart_client.hpp"
#include "gc/synth.hpp"
#include "ingest/ingest_test_util.hpp"

using namespace gc::test;
using gc::ingest::CartClient;
using gc::ingest::CartConfig;
using gc::ingest::CartStudy;
using gc::ingest::parse_server_list;

namespace {

CartStudy synthetic_study(const std::string& uid, double duration_s) {
  gc::synth::Spec spec;
  spec.seed = 11;
  spec.duration_s = duration_s;
  return cart_study(uid, spec);
}

// A port on loopback where nothing listens (bound, then released).
std::uint16_t closed_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
  const auto port = probe.local_endpoint().port();
  probe.close();
  return port;
}

// A second ingest node on an existing database file (a second Store, its own I/O thread).
class SecondNode {
 public:
  explicit SecondNode(const fs::path& db) {
    store_ = gc::storage::Store::open(db);
    server_ = std::make_unique<gc::ingest::Server>(io_, gc::ingest::ServerConfig{}, *store_);
    server_->start();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~SecondNode() {
    server_->stop();
    thread_.join();
    server_->finish();
  }
  std::uint16_t port() const { return server_->port(); }

 private:
  std::unique_ptr<gc::storage::Store> store_;
  asio::io_context io_;
  std::unique_ptr<gc::ingest::Server> server_;
  std::thread thread_;
};

}  // namespace

TEST_CASE("failover: --server lists are parsed strictly", "[ingest][failover]") {
  const auto one = parse_server_list("ecg.example.cn:7800");
  REQUIRE(one.size() == 1);
  CHECK(one[0].host == "ecg.example.cn");
  CHECK(one[0].port == 7800);
  const auto three = parse_server_list("10.0.0.1:7800,10.0.0.2:7801,[fd00::3]:7800");
  REQUIRE(three.size() == 3);
  CHECK(three[1].text() == "10.0.0.2:7801");
  CHECK(three[2].host == "fd00::3");
  CHECK(three[2].text() == "[fd00::3]:7800");
  for (const char* bad : {"", "host", "host:", ":7800", "host:0", "host:65536", "host:78x0",
                          "a:1,,b:2", "a:1,", "fd00::3:7800", "[fd00::3]7800", "a:1,a:1"}) {
    INFO(bad);
    CHECK_THROWS_AS(parse_server_list(bad), std::invalid_argument);
  }
  try {
    parse_server_list("10.0.0.1:7800,10.0.0.2");
    FAIL("accepted an entry without a port");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()).find("'10.0.0.2'") != std::string::npos);  // names the entry
  }
}

TEST_CASE("failover: a cart whose first server is down sends to the next", "[ingest][failover]") {
  TestServer b;
  const auto device = b.add_device();
  CartConfig config;
  config.port = closed_port();
  config.more_servers = {{"127.0.0.1", b.port()}};
  config.device_id = device.device_id;
  config.secret = device.secret;
  config.io_timeout = std::chrono::milliseconds(3000);
  config.reconnect_backoff = std::chrono::milliseconds(20);
  CartClient cart(config);
  const auto study = synthetic_study("uid-failover-1", 4);
  const auto result = cart.send_study(study);
  CHECK(result.complete);
  CHECK(result.server == "127.0.0.1:" + std::to_string(b.port()));
  const auto stored = b.store().find_study(device.device_id, study.study_uid);
  REQUIRE(stored);
  CHECK(b.store().load_samples(stored->study_id).samples == study.samples);

  // Every server down: a clear error naming each address, not a hang.
  CartConfig none = config;
  none.more_servers = {{"127.0.0.1", closed_port()}};
  none.max_reconnects = 1;
  CartClient lost(none);
  try {
    lost.send_study(synthetic_study("uid-failover-2", 1));
    FAIL("sent with no server up");
  } catch (const gc::ingest::CartError& e) {
    const std::string what = e.what();
    CHECK(what.find("no server reachable") != std::string::npos);
    CHECK(what.find("127.0.0.1:" + std::to_string(none.port)) != std::string::npos);
  }
}

TEST_CASE(
    "failover: two nodes on one database — node A stops mid-study, the cart resumes on B "
    "(SQLite, PostgreSQL)",
    "[ingest][failover]") {
  const auto backend = GC_BACKENDS;
  INFO(gc::storage::test::backend_name(backend));
  auto a = std::make_unique<TestServer>(gc::ingest::ServerConfig{}, nullptr, backend);
  const auto db = a->db_path();
  const auto device = a->add_device();
  SecondNode b(db);
  const std::uint16_t a_port = a->port();

  CartConfig config;
  config.port = a_port;
  config.more_servers = {{"127.0.0.1", b.port()}};
  config.device_id = device.device_id;
  config.secret = device.secret;
  config.chunk_duration = std::chrono::milliseconds(100);
  config.realtime = true;  // 6 s of samples take 6 s to send: node A stops while they flow
  config.io_timeout = std::chrono::milliseconds(3000);
  config.reconnect_backoff = std::chrono::milliseconds(20);
  const auto study = synthetic_study("uid-failover-3", 6);

  std::atomic<bool> done{false};
  gc::ingest::CartResult result;
  std::thread sender([&] {
    CartClient cart(config);
    result = cart.send_study(study);
    done = true;
  });
  // Stop node A once it has stored part of the study (bounded wait).
  auto observer = gc::storage::Store::open(db);
  bool partial = false;
  for (int i = 0; i < 400 && !partial; ++i) {
    if (const auto s = observer->find_study(device.device_id, study.study_uid)) {
      partial = observer->load_samples(s->study_id).samples.at(0).size() >= 1000;
    }
    if (!partial) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(partial);
  a->stop();
  sender.join();
  REQUIRE(done);
  CHECK(result.complete);
  CHECK(result.reconnects >= 1);
  CHECK(result.server == "127.0.0.1:" + std::to_string(b.port()));
  CHECK(result.chunks_resent < 32);  // only the unacknowledged window, not the study again
  const auto stored = observer->find_study(device.device_id, study.study_uid);
  REQUIRE(stored);
  CHECK(observer->load_samples(stored->study_id).samples == study.samples);  // each chunk once
  a.reset();
}
