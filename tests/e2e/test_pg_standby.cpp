// The README's PostgreSQL standby recipe, run (tests/e2e/pg_standby_failover.sh): a primary and a
// streaming-replication standby made with pg_basebackup -R; `serve` on a libpq multi-host URI
// with target_session_attrs=read-write streams a STEMI; the primary is killed (immediate stop)
// and /healthz answers 503; the standby is promoted and /healthz answers 200 again without
// restarting serve; the next study is stored on the new primary beside the first.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>

#include "e2e_util.hpp"

namespace fs = std::filesystem;
using gc::test::quote;
using gc::test::run;

TEST_CASE(
    "PostgreSQL primary killed, standby promoted: serve on a multi-host URI answers 503, then 200 "
    "and stores the next study on the new primary, without a restart",
    "[e2e][postgresql][standby]") {
  const fs::path work = fs::temp_directory_path() / ("gc-standby-" + std::to_string(::getpid()));
  const auto result =
      run(quote((fs::path(GC_SOURCE_DIR) / "tests/e2e/pg_standby_failover.sh").string()) + " " +
          quote(GC_CLI_PATH) + " " +
          quote((fs::path(GC_SOURCE_DIR) / "sample_ecgs/stemi_anterior.hea").string()) + " " +
          quote(work.string()) + " 2>&1");
  INFO(result.out);
  CHECK(result.status == 0);
  for (const char* step : {"OK standby streaming from the primary", "OK a study stored through the primary",
                           "OK primary killed: healthz 503", "OK standby promoted: healthz 200",
                           "OK a study stored through the promoted standby; both studies there",
                           "OK serve stopped cleanly"}) {
    CHECK(result.out.find(step) != std::string::npos);
  }
  std::error_code ignored;
  fs::remove_all(work, ignored);
}
