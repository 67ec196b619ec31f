// Open studies expire (issue 16 #9): a study left open longer than the server keeps it is marked
// expired at the cart's next hello — stored, with a study_expired event, named in the HelloAck —
// and cannot be resumed; and a HelloAck never outgrows the frame limit, however many studies a
// cart abandoned (~8,000 made it exceed 1 MiB, and the cart could never reconnect).
#include <catch2/catch.hpp>

#include <chrono>

#include "ingest/ingest_test_util.hpp"

using namespace gc::test;

namespace {

gc::storage::StudyHeader abandoned(const std::string& device_id, const std::string& uid) {
  gc::storage::StudyHeader h;
  h.device_id = device_id;
  h.study_uid = uid;
  h.leads = {"I", "II", "V1"};
  h.sample_rate_hz = 500;
  h.resolution_nv_per_lsb = 1000;
  return h;
}

}  // namespace

TEST_CASE("an open study expires after the configured time: stored, audited, the cart told (SQLite, PostgreSQL)",
          "[ingest][expiry]") {
  const auto backend = GC_BACKENDS;
  INFO(gc::storage::test::backend_name(backend));
  gc::ingest::ServerConfig config;
  config.open_study_expiry = std::chrono::milliseconds(300);
  TestServer server(config, {}, backend);
  const auto device = server.add_device("cart-forgetful");
  {
    RawClient c(server.port());
    c.send(hello(device.device_id, device.secret));
    REQUIRE(c.read_until([](const auto& m) { return m.has_hello_ack(); }));
    c.send(study_start("left-open-1"));
    REQUIRE(c.read_until([](const auto& m) { return m.has_study_started(); }));
    c.send(chunk("left-open-1", 0));
    REQUIRE(c.read_until([](const auto& m) { return m.has_chunk_ack(); }));
  }  // the cart went away and never finished
  std::this_thread::sleep_for(std::chrono::milliseconds(400));

  RawClient c(server.port());
  c.send(hello(device.device_id, device.secret));
  const auto ack = c.read_until([](const auto& m) { return m.has_hello_ack(); });
  REQUIRE(ack);
  CHECK(ack->hello_ack().open_studies_size() == 0);
  REQUIRE(ack->hello_ack().expired_study_uids_size() == 1);
  CHECK(ack->hello_ack().expired_study_uids(0) == "left-open-1");
  CHECK(ack->hello_ack().studies_expired() == 1);

  const auto state = server.store().find_study(device.device_id, "left-open-1");
  REQUIRE(state);
  CHECK(state->expired);
  CHECK_FALSE(state->complete);
  CHECK(state->next_sequence == 1);  // what arrived is kept
  bool audited = false;
  for (const auto& e : server.store().events_after(0, 1000)) {
    if (e.kind == "study_expired" && e.study_id == state->study_id) {
      audited = e.detail_json.find("\"chunks_stored\":1") != std::string::npos;
    }
  }
  CHECK(audited);

  // It cannot be resumed; a new study from the same cart is fine.
  c.send(study_start("left-open-1"));
  const auto error = c.read_error();
  REQUIRE(error);
  CHECK(error->code() == gc::proto::pb::Error::STUDY_EXPIRED);
  CHECK(error->message().find("expired") != std::string::npos);
  RawClient again(server.port());
  again.send(hello(device.device_id, device.secret));
  const auto second = again.read_until([](const auto& m) { return m.has_hello_ack(); });
  REQUIRE(second);
  CHECK(second->hello_ack().expired_study_uids_size() == 0);  // told once
  again.send(study_start("fresh-1"));
  CHECK(again.read_until([](const auto& m) { return m.has_study_started(); }));
}

TEST_CASE("a HelloAck fits the frame limit however many studies are open (SQLite, PostgreSQL)", "[ingest][expiry]") {
  const auto backend = GC_BACKENDS;
  INFO(gc::storage::test::backend_name(backend));
  gc::ingest::ServerConfig config;
  config.limits.max_frame_bytes = 8192;
  TestServer server(config, {}, backend);
  const auto device = server.add_device("cart-hoarder");
  for (int i = 0; i < 600; ++i) {
    server.store().begin_study(abandoned(
        device.device_id, "abandoned-study-with-a-long-uid-" + std::to_string(10000 + i)));
  }
  RawClient c(server.port());
  c.send(hello(device.device_id, device.secret));
  const auto ack = c.read_until([](const auto& m) { return m.has_hello_ack(); });
  REQUIRE(ack);  // before: a frame over the limit, refused by the cart's decoder
  const auto& h = ack->hello_ack();
  CHECK(gc::proto::encode_frame(*ack).size() <= 8192);
  CHECK(h.open_studies_size() > 0);
  CHECK(h.open_studies_size() + h.open_studies_omitted() == 600);
  // The newest are the ones listed.
  CHECK(h.open_studies(h.open_studies_size() - 1).study_uid() ==
        "abandoned-study-with-a-long-uid-10599");
}
