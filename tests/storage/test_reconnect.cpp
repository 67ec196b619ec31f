// PostgreSQL connections the server drops (restart, failover, an administrator's
// pg_terminate_backend) are opened again before the next statement: a store does not stay broken
// after the database comes back, and StationStore::healthy (the station's /healthz) says whether
// the database can be reached now — false while it cannot, true again once it can.
#include <catch2/catch.hpp>

#include "gc/station_store.hpp"
#include "storage_test_util.hpp"

using namespace gc::storage;
using gc::storage::test::Backend;
using gc::storage::test::make_header;
using gc::storage::test::TestDb;

namespace {

// Ends every other session on the test's database, as a server restart would.
void terminate_others(db::Connection& admin) {
  admin.exec(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
      "current_database() AND pid <> pg_backend_pid()");
}

}  // namespace

TEST_CASE("postgresql: a dropped connection is opened again and healthy() follows the database",
          "[storage][backends][reconnect]") {
  TestDb db(Backend::postgresql);
  auto store = Store::open(db.location());
  auto station = StationStore::open(db.location());
  const auto device = store->add_device("Clinic A").device_id;
  CHECK(station->healthy());

  auto admin = db.raw();
  terminate_others(*admin);
  // /healthz right after the restart: the lost connection is noticed and replaced at once.
  CHECK(station->healthy());
  // The store's next statement meets the lost connection and fails (its caller sees it; nothing
  // is re-sent behind its back); the one after runs on a new connection.
  bool failed_once = false;
  try {
    store->begin_study(make_header(device, "after-restart"));
  } catch (const Error&) {
    failed_once = true;
  }
  const auto state = store->begin_study(make_header(device, "after-restart"));
  CHECK(state.study_id > 0);
  CHECK(store->find_study(device, "after-restart").has_value());
  INFO("first statement after the restart failed: " << failed_once);

  // Prepared statements were prepared again on the new session (same SQL, new server names).
  for (int i = 0; i < 3; ++i) CHECK(store->list_devices().size() == 1);

  // A database that is gone for good: healthy() is false (the station answers 503).
  admin.reset();
  {
    // Dropping needs a connection to another database of the cluster.
    std::string uri = db.location().string();
    const auto slash = uri.find('/', uri.find("://") + 3);
    const auto q = uri.find('?', slash);
    const std::string name = uri.substr(slash + 1, q - slash - 1);
    auto other = pg::connect(uri.substr(0, slash + 1) + "postgres" + uri.substr(q));
    other->exec("DROP DATABASE \"" + name + "\" WITH (FORCE)");
  }
  CHECK_FALSE(station->healthy());
}
