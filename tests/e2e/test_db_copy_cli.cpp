// `greenchannel db copy` as an operator runs it: a county's SQLite database into PostgreSQL (the
// summary line, exit 0), the same again refused (exit 1, destination left as it was), a usage
// error (exit 2), and the PostgreSQL copy back into a new SQLite file with the same samples.
#include <catch2/catch.hpp>

#include "e2e_util.hpp"
#include "gc/storage.hpp"
#include "pg_cluster.hpp"
#include "storage/storage_test_util.hpp"

using gc::storage::test::make_chunk;
using gc::storage::test::make_header;

TEST_CASE("db copy CLI: SQLite to PostgreSQL, a second copy refused, and back", "[e2e][db_copy]") {
  gc::storage::test::TempDir dir;
  const auto county = dir.path() / "county.db";
  std::int64_t study_id = 0;
  {
    auto store = gc::storage::Store::open(county);
    const auto device = store->add_device("石桥乡卫生院").device_id;
    study_id = store->begin_study(make_header(device, "cli-copy")).study_id;
    std::vector<std::int32_t> all;
    for (std::uint64_t seq = 0; seq < 3; ++seq) {
      const auto c = make_chunk(seq, 3, 500, 5);
      all.insert(all.end(), c.samples.begin(), c.samples.end());
      store->append_chunk(study_id, c);
    }
    store->complete_study(study_id, 1500, gc::storage::samples_crc32(all));
  }
  const std::string uri = gc::test::PgCluster::instance().create_database();
  const std::string cli = std::string(GC_CLI_PATH) + " db copy ";

  const auto first = gc::test::run(cli + "-q --from " + gc::test::quote(county.string()) +
                                   " --to " + gc::test::quote(uri) + " 2>&1");
  INFO(first.out);
  CHECK(first.status == 0);
  CHECK(first.out.find("every row compared equal; 1 studies' samples decoded equal on both sides "
                       "(4500 samples; 1 complete studies match their cart's CRC-32)") !=
        std::string::npos);
  CHECK(first.out.find("  chunks 3\n") != std::string::npos);
  CHECK(first.out.find("?host=") == std::string::npos);  // URIs named without their parameters

  const auto again = gc::test::run(cli + "-q --from " + gc::test::quote(county.string()) +
                                   " --to " + gc::test::quote(uri) + " 2>&1");
  INFO(again.out);
  CHECK(again.status == 1);
  CHECK(again.out.find("is not empty (table devices has rows)") != std::string::npos);

  const auto usage = gc::test::run(cli + "--from " + gc::test::quote(county.string()) + " 2>&1");
  CHECK(usage.status == 2);

  const auto back_file = dir.path() / "back" / "province-copy.db";
  const auto back = gc::test::run(cli + "-q --from " + gc::test::quote(uri) + " --to " +
                                  gc::test::quote(back_file.string()) + " 2>&1");
  INFO(back.out);
  CHECK(back.status == 0);
  const auto original = gc::storage::Store::open(county)->load_samples(study_id);
  const auto copied = gc::storage::Store::open(back_file)->load_samples(study_id);
  CHECK(copied.samples == original.samples);
  CHECK(copied.header.leads == original.header.leads);
}
