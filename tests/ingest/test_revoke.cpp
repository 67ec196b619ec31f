// `device revoke` cuts a streaming cart off at once (issue 16: the README promised it, but a
// session already streaming finished its study): its live sessions get UNAUTHENTICATED and are
// closed within the revocation interval, and nothing it sends afterwards is stored.
#include <catch2/catch.hpp>

#include <chrono>

#include "ingest/ingest_test_util.hpp"

using namespace gc::test;
using Clock = std::chrono::steady_clock;

TEST_CASE("revoking a cart closes its live sessions at once (SQLite, PostgreSQL)", "[ingest][revoke]") {
  const auto backend = GC_BACKENDS;
  INFO(gc::storage::test::backend_name(backend));
  gc::ingest::ServerConfig config;
  config.revocation_check_interval = std::chrono::milliseconds(200);
  TestServer server(config, {}, backend);
  const auto revoked = server.add_device("cart-stolen");
  const auto other = server.add_device("cart-honest");

  RawClient stolen(server.port(), 5000);
  stolen.send(hello(revoked.device_id, revoked.secret));
  REQUIRE(stolen.read_until([](const auto& m) { return m.has_hello_ack(); }));
  stolen.send(study_start("stolen-1"));
  REQUIRE(stolen.read_until([](const auto& m) { return m.has_study_started(); }));
  stolen.send(chunk("stolen-1", 0));
  REQUIRE(stolen.read_until([](const auto& m) { return m.has_chunk_ack(); }));

  RawClient honest(server.port(), 5000);
  honest.send(hello(other.device_id, other.secret));
  REQUIRE(honest.read_until([](const auto& m) { return m.has_hello_ack(); }));

  // As `greenchannel device revoke` does it: another connection to the same database.
  const auto revoked_at = Clock::now();
  REQUIRE(gc::storage::Store::open(server.db_path())->revoke_device(revoked.device_id));
  const auto error = stolen.read_error();
  REQUIRE(error);
  CHECK(error->code() == gc::proto::pb::Error::UNAUTHENTICATED);
  CHECK(error->fatal());
  CHECK(Clock::now() - revoked_at < std::chrono::seconds(2));
  CHECK(stolen.closed_by_server());
  const auto state = server.store().find_study(revoked.device_id, "stolen-1");
  REQUIRE(state);
  CHECK(state->next_sequence == 1);  // what was acknowledged stays; nothing after

  // The other cart of the clinic streams on.
  honest.send(study_start("honest-1"));
  CHECK(honest.read_until([](const auto& m) { return m.has_study_started(); }));
}
