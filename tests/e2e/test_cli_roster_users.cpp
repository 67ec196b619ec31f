// `greenchannel roster set` and `greenchannel user` as an admin uses them (issue 15): a shift for
// tomorrow keeps today's, unknown and disabled users are refused, and a disabled user is
// re-enabled (before, a disabled name could never be used again).
#include <random>

#include "e2e_util.hpp"

using namespace gc::test;

namespace {

fs::path fresh_dir() {
  const auto dir = fs::temp_directory_path() / ("gc-e2e-roster-" + std::to_string(::getpid()) +
                                                "-" + std::to_string(std::random_device{}()));
  fs::create_directories(dir);
  return dir;
}

std::string cli() {
  return quote(GC_CLI_PATH);
}

}  // namespace

TEST_CASE("cli: roster set adds a shift, refuses unknown and disabled users, user enable") {
  const auto dir = fresh_dir();
  const auto db = quote((dir / "gc.db").string());
  for (const std::string name : {"dr.li", "dr.wang"}) {
    REQUIRE(run("GC_USER_PASSWORD='long enough pw' " + cli() + " user add " + name +
                " --role cardiologist --db " + db)
                .status == 0);
  }
  const auto set = [&](const std::string& shift, const std::string& extra = {}) {
    return run(cli() + " roster set --tz +08:00 --by admin --db " + db + " --shift '" + shift +
               "' " + extra + " 2>&1");
  };
  const auto show = [&] { return run(cli() + " roster show --tz +08:00 --db " + db).out; };

  REQUIRE(set("2026-05-12 08:00/2026-05-13 08:00:dr.li,dr.wang").status == 0);
  const auto added = set("2026-05-13 08:00/2026-05-14 08:00:dr.wang");
  REQUIRE(added.status == 0);
  CHECK(added.out.find("2 in all") != std::string::npos);
  auto text = show();
  CHECK(text.find("2026-05-12 08:00") != std::string::npos);  // today's shift is still there
  CHECK(text.find("2026-05-13 08:00") != std::string::npos);

  const auto unknown = set("2026-05-14 08:00/2026-05-15 08:00:dr.nobody");
  CHECK(unknown.status != 0);
  CHECK(unknown.out.find("unknown user 'dr.nobody'") != std::string::npos);
  REQUIRE(run(cli() + " user disable dr.wang --db " + db).status == 0);
  const auto disabled = set("2026-05-14 08:00/2026-05-15 08:00:dr.li,dr.wang");
  CHECK(disabled.status != 0);
  CHECK(disabled.out.find("user 'dr.wang' is disabled") != std::string::npos);
  CHECK(show() == text);  // nothing changed

  // Adding the disabled name again says how to get it back; enable does.
  const auto again = run("GC_USER_PASSWORD='long enough pw' " + cli() +
                         " user add dr.wang --role cardiologist --db " + db + " 2>&1");
  CHECK(again.status != 0);
  CHECK(again.out.find("user enable dr.wang") != std::string::npos);
  REQUIRE(run(cli() + " user enable dr.wang --db " + db).status == 0);
  CHECK(set("2026-05-14 08:00/2026-05-15 08:00:dr.li,dr.wang").status == 0);

  // set and reset-password, as on the users page.
  REQUIRE(run(cli() + " user set dr.li --role coordinator --display-name-zh 李医生 --db " + db)
              .status == 0);
  const auto listed = run(cli() + " user list --json --db " + db);
  CHECK(listed.out.find(R"("username":"dr.li","role":"coordinator")") != std::string::npos);
  CHECK(listed.out.find(R"("display_name_zh":"李医生")") != std::string::npos);
  CHECK(run(cli() + " user set dr.li --role king --db " + db + " 2>&1").status != 0);
  CHECK(run(cli() + " user set dr.nobody --role admin --db " + db + " 2>&1").status != 0);
  const auto reset = run(cli() + " user reset-password dr.li --db " + db);
  REQUIRE(reset.status == 0);
  CHECK(reset.out.find("shown once") != std::string::npos);
  CHECK(reset.out.size() > 16);
  // The owner must choose a new password at the next login (migration 0010).
  CHECK(run(cli() + " user list --json --db " + db)
            .out.find(R"("username":"dr.li")") != std::string::npos);
  CHECK(run(cli() + " user list --json --db " + db).out.find(R"("must_change_password":true)") !=
        std::string::npos);

  // --replace: the given shifts become the whole roster.
  REQUIRE(set("2026-05-20 08:00/2026-05-21 08:00:dr.li", "--replace").status == 0);
  text = show();
  CHECK(text.find("2026-05-12 08:00") == std::string::npos);
  CHECK(text.find("2026-05-20 08:00") != std::string::npos);
  fs::remove_all(dir);
}
