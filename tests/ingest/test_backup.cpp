// Issue 16, acceptance 5: `db backup` while carts stream, then `db restore` into a new directory:
// every chunk acknowledged before the backup began is in it (bit for bit), the rest arrived after
// it; PRAGMA integrity_check is ok; the restored database opens and serves. On both backends: a
// PostgreSQL database is backed up to a SQLite file (one snapshot, verified) and restored into a
// new PostgreSQL database (issue 14).
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <future>

#include "gc/backup.hpp"
#include "ingest/ingest_test_util.hpp"
#include "pg_cluster.hpp"

using namespace gc::test;

TEST_CASE("backup while carts stream, restore into a new directory", "[ingest][backup]") {
  const auto backend = GC_BACKENDS;
  INFO(gc::storage::test::backend_name(backend));
  TestServer server({}, {}, backend);
  constexpr int kCarts = 4;
  std::vector<gc::storage::NewDevice> devices;
  for (int i = 0; i < kCarts; ++i)
    devices.push_back(server.add_device("cart-b" + std::to_string(i)));

  std::atomic<bool> stop{false};
  std::array<std::atomic<std::uint64_t>, kCarts> acked{};
  std::vector<std::future<void>> carts;
  for (int i = 0; i < kCarts; ++i) {
    carts.push_back(std::async(std::launch::async, [&, i] {
      RawClient c(server.port());
      c.send(hello(devices[static_cast<std::size_t>(i)].device_id,
                   devices[static_cast<std::size_t>(i)].secret));
      REQUIRE(c.read_until([](const auto& m) { return m.has_hello_ack(); }));
      const std::string uid = "backup-" + std::to_string(i);
      c.send(study_start(uid));
      REQUIRE(c.read_until([](const auto& m) { return m.has_study_started(); }));
      for (std::uint64_t seq = 0; !stop || seq < 20; ++seq) {
        c.send(chunk(uid, seq));
        REQUIRE(c.read_until([](const auto& m) { return m.has_chunk_ack(); }));
        acked[static_cast<std::size_t>(i)] = seq + 1;
      }
    }));
  }
  // Every cart is streaming when the backup begins.
  for (int i = 0; i < kCarts; ++i) {
    while (acked[static_cast<std::size_t>(i)] < 5) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  std::array<std::uint64_t, kCarts> before{};
  for (int i = 0; i < kCarts; ++i)
    before[static_cast<std::size_t>(i)] = acked[static_cast<std::size_t>(i)];
  const fs::path dir = unique_temp_dir("gc-backup");
  const auto report = gc::storage::backup_database(server.db_path(), dir / "backup.db");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // more arrive after it
  stop = true;
  for (auto& c : carts) c.get();
  CHECK(report.schema_version == gc::storage::Store::latest_schema_version());
  // Never over an existing file.
  CHECK_THROWS_AS(gc::storage::backup_database(server.db_path(), dir / "backup.db"),
                  gc::storage::Error);

  const fs::path restored_db =
      backend == TestServer::Backend::postgresql
          ? fs::path(gc::test::PgCluster::instance().create_database())
          : dir / "restored" / "var" / "greenchannel.db";
  gc::storage::restore_database(dir / "backup.db", restored_db);
  CHECK_THROWS_AS(gc::storage::restore_database(dir / "backup.db", restored_db),
                  gc::storage::Error);
  auto restored = gc::storage::Store::open(restored_db);
  std::uint64_t in_backup_total = 0;
  std::uint64_t after_total = 0;
  for (int i = 0; i < kCarts; ++i) {
    const auto& device = devices[static_cast<std::size_t>(i)];
    const std::string uid = "backup-" + std::to_string(i);
    const auto state = restored->find_study(device.device_id, uid);
    REQUIRE(state);
    const auto live = server.store().find_study(device.device_id, uid);
    REQUIRE(live);
    // Every chunk acknowledged before the backup began is in it; what it lacks came after.
    CHECK(state->next_sequence >= before[static_cast<std::size_t>(i)]);
    CHECK(state->next_sequence <= live->next_sequence);
    in_backup_total += state->next_sequence;
    after_total += live->next_sequence - state->next_sequence;
    // Bit for bit: the chunks in the backup are those the cart sent.
    std::vector<std::int32_t> sent;
    for (std::uint64_t seq = 0; seq < state->next_sequence; ++seq) {
      const auto m = chunk(uid, seq);
      sent.insert(sent.end(), m.chunk().samples().begin(), m.chunk().samples().end());
    }
    const auto samples = restored->load_samples(state->study_id).samples;
    std::vector<std::int32_t> stored;
    for (std::size_t k = 0; !samples.empty() && k < samples.front().size(); ++k) {
      for (const auto& lead : samples) stored.push_back(lead[k]);
    }
    CHECK(stored == sent);
  }
  INFO(in_backup_total << " chunks in the backup, " << after_total << " arrived after it");
  CHECK(after_total > 0);
  // The restored database is a working one: a cart authenticates against it.
  CHECK(restored->verify_device(devices[0].device_id, devices[0].secret));
  std::error_code ignored;
  fs::remove_all(dir, ignored);
}
