// Connection caps with reclamation (issue 16 #4): ConnectionSlots on its own, then the ingest
// listener — idle connections that never said hello give their slots to a real cart, per address
// and in total; only carts that are streaming keep theirs, and then a newcomer is refused.
#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "gc/cart_client.hpp"
#include "gc/connection_slots.hpp"
#include "ingest/ingest_test_util.hpp"

using namespace gc::test;
using gc::ingest::ConnectionSlots;
using gc::ingest::SlotTier;
using Clock = std::chrono::steady_clock;

namespace {

struct FakeHolder : gc::ingest::SlotHolder {
  explicit FakeHolder(ConnectionSlots& s) : slots(s) {}
  ~FakeHolder() override { slots.release(*this); }
  void evict() override { evicted = true; }
  ConnectionSlots& slots;
  bool evicted = false;
};

std::shared_ptr<FakeHolder> holder(ConnectionSlots& slots, SlotTier tier) {
  auto h = std::make_shared<FakeHolder>(slots);
  h->set_tier(tier);
  return h;
}

// A plain TCP connection to 127.0.0.1:port that never sends a byte.
int idle_connection(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  return fd;
}

// True when the server closed `fd` within `timeout` (EOF or reset).
bool closed_within(int fd, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
  char byte = 0;
  return ::recv(fd, &byte, 1, MSG_DONTWAIT) <= 0;
}

gc::ingest::CartStudy small_study(const std::string& uid) {
  gc::ingest::CartStudy study;
  study.study_uid = uid;
  study.leads = {"I", "II", "V1"};
  study.sample_rate_hz = 500;
  study.resolution_nv_per_lsb = 1000;
  study.samples.assign(3, std::vector<std::int32_t>(1000));
  for (std::size_t lead = 0; lead < 3; ++lead) {
    for (std::size_t k = 0; k < 1000; ++k) {
      study.samples[lead][k] = static_cast<std::int32_t>((lead * 131 + k * 17) % 900) - 450;
    }
  }
  study.acquired_at_unix_ms = gc::storage::now_unix_ms() - 60'000;
  return study;
}

}  // namespace

TEST_CASE("connection slots: the oldest of the lowest tier is reclaimed, working ones never",
          "[ingest][caps]") {
  ConnectionSlots slots({100, 3});
  auto idle_old = holder(slots, SlotTier::idle);
  auto unproven = holder(slots, SlotTier::unproven);
  auto working = holder(slots, SlotTier::working);
  REQUIRE(slots.admit("10.0.0.1", idle_old) == ConnectionSlots::Admission::admitted);
  REQUIRE(slots.admit("10.0.0.1", unproven) == ConnectionSlots::Admission::admitted);
  REQUIRE(slots.admit("10.0.0.1", working) == ConnectionSlots::Admission::admitted);
  // Another address is not affected by this one's cap.
  auto elsewhere = holder(slots, SlotTier::unproven);
  REQUIRE(slots.admit("10.0.0.2", elsewhere) == ConnectionSlots::Admission::admitted);

  auto fourth = holder(slots, SlotTier::unproven);
  CHECK(slots.admit("10.0.0.1", fourth) == ConnectionSlots::Admission::admitted);
  CHECK(unproven->evicted);  // not yet proven beats idle, although younger
  CHECK_FALSE(idle_old->evicted);
  fourth->set_tier(SlotTier::working);

  auto fifth = holder(slots, SlotTier::unproven);
  CHECK(slots.admit("10.0.0.1", fifth) == ConnectionSlots::Admission::admitted);
  CHECK(idle_old->evicted);
  fifth->set_tier(SlotTier::working);

  auto sixth = holder(slots, SlotTier::unproven);
  CHECK(slots.admit("10.0.0.1", sixth) == ConnectionSlots::Admission::refused_address_full);
  CHECK_FALSE(working->evicted);
  CHECK(slots.in_use("10.0.0.1") == 3);
  CHECK(slots.in_use() == 4);
  working.reset();  // closed: its slot is free again
  CHECK(slots.in_use("10.0.0.1") == 2);
  CHECK(slots.admit("10.0.0.1", sixth) == ConnectionSlots::Admission::admitted);
  CHECK(slots.reclaimed() == 2);
}

TEST_CASE("connection slots: at the total cap the address holding the most gives one up",
          "[ingest][caps]") {
  ConnectionSlots slots({4, 10});
  std::vector<std::shared_ptr<FakeHolder>> flood;
  for (int i = 0; i < 3; ++i) {
    flood.push_back(holder(slots, SlotTier::unproven));
    REQUIRE(slots.admit("203.0.113.9", flood.back()) == ConnectionSlots::Admission::admitted);
  }
  auto cart = holder(slots, SlotTier::unproven);
  REQUIRE(slots.admit("198.51.100.1", cart) == ConnectionSlots::Admission::admitted);
  auto second_cart = holder(slots, SlotTier::unproven);
  CHECK(slots.admit("198.51.100.1", second_cart) == ConnectionSlots::Admission::admitted);
  CHECK(flood[0]->evicted);
  CHECK_FALSE(cart->evicted);
  CHECK(slots.in_use() == 4);
}

TEST_CASE("ingest: idle connections at the total cap give their slots to a cart",
          "[ingest][caps]") {
  gc::ingest::ServerConfig config;
  config.max_connections = 8;
  config.handshake_timeout = std::chrono::milliseconds(20'000);  // no help from the deadline
  TestServer server(config);
  const auto device = server.add_device("cart-capped");
  std::vector<int> idle;
  for (int i = 0; i < 8; ++i) idle.push_back(idle_connection(server.port()));
  for (int i = 0; i < 100 && server.server().stats().sessions_open < 8; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(server.server().stats().sessions_open == 8);

  gc::ingest::CartConfig cart;
  cart.port = server.port();
  cart.device_id = device.device_id;
  cart.secret = device.secret;
  cart.max_reconnects = 0;  // the first connection must get in
  cart.finding_timeout = std::chrono::milliseconds(20'000);
  const auto study = small_study("capped-1");
  const auto result = gc::ingest::CartClient(cart).send_study(study);
  CHECK(result.complete);
  CHECK(result.reconnects == 0);
  CHECK(closed_within(idle[0], std::chrono::milliseconds(2000)));  // the oldest went
  CHECK(server.server().stats().connections_reclaimed >= 1);
  CHECK(server.server().stats().connections_refused == 0);
  for (const int fd : idle) ::close(fd);
}

TEST_CASE(
    "ingest: one address holds at most its share; streaming carts keep theirs, a newcomer "
    "is refused",
    "[ingest][caps]") {
  gc::ingest::ServerConfig config;
  config.max_connections = 1000;
  config.max_connections_per_address = 4;
  config.handshake_timeout = std::chrono::milliseconds(20'000);
  TestServer server(config);
  const auto device = server.add_device("cart-nat");

  // Twelve idle connections from 127.0.0.1: the first eight are closed at once, long before
  // the handshake deadline, to keep four.
  std::vector<int> idle;
  for (int i = 0; i < 12; ++i) idle.push_back(idle_connection(server.port()));
  for (int i = 0; i < 8; ++i)
    CHECK(closed_within(idle[static_cast<std::size_t>(i)], std::chrono::milliseconds(2000)));
  CHECK_FALSE(closed_within(idle[11], std::chrono::milliseconds(100)));

  // Four carts streaming (a study open on each) take the address's four slots from the idle.
  std::vector<std::unique_ptr<RawClient>> streaming;
  for (int i = 0; i < 4; ++i) {
    streaming.push_back(std::make_unique<RawClient>(server.port()));
    auto& c = *streaming.back();
    c.send(hello(device.device_id, device.secret));
    REQUIRE(c.read_until([](const auto& m) { return m.has_hello_ack(); }));
    c.send(study_start("nat-" + std::to_string(i)));
    REQUIRE(c.read_until([](const auto& m) { return m.has_study_started(); }));
    c.send(chunk("nat-" + std::to_string(i), 0));
    REQUIRE(c.read_until([](const auto& m) { return m.has_chunk_ack(); }));
  }
  for (int i = 8; i < 12; ++i)
    CHECK(closed_within(idle[static_cast<std::size_t>(i)], std::chrono::milliseconds(2000)));
  RawClient newcomer(server.port());
  const auto error = newcomer.read_error();
  REQUIRE(error);
  CHECK(error->code() == gc::proto::pb::Error::LIMIT_EXCEEDED);
  // The streaming carts are untouched.
  for (int i = 0; i < 4; ++i) {
    streaming[static_cast<std::size_t>(i)]->send(chunk("nat-" + std::to_string(i), 1));
    CHECK(streaming[static_cast<std::size_t>(i)]->read_until(
        [](const auto& m) { return m.has_chunk_ack(); }));
  }
  for (const int fd : idle) ::close(fd);
}
