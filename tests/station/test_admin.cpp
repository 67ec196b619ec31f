// The admin pages' API (issue 15): users (add, reset password, disable / re-enable, role,
// Chinese display name), the on-call roster set from the station, and the audit log. Admin
// only, checked on the server for every call; CSRF and validation as the other APIs; every
// change in the audit log with who and when.
#include <catch2/catch.hpp>

#include <set>

#include "gc/station_store.hpp"
#include "station_fixture.hpp"

using namespace gc::station::test;

namespace {

std::string code_of(const Reply& r) {
  return std::string(r.json().at("code").as_string());
}

std::vector<gc::storage::AuditRecord> rows_of(Fixture& fx, const std::string& action) {
  std::vector<gc::storage::AuditRecord> out;
  for (const auto& r : fx.audit()) {
    if (r.action == action) out.push_back(r);
  }
  return out;
}

json::object user_in(const Reply& list, const std::string& name) {
  const auto parsed = list.json();
  for (const auto& u : parsed.at("users").as_array()) {
    if (u.at("username").as_string() == name) return u.as_object();
  }
  FAIL("no user " << name << " in the list");
  return {};
}

constexpr std::int64_t kHourMs = 3'600'000;

}  // namespace

TEST_CASE("admin APIs: cardiologists and coordinators get 403 on every one, before any lookup",
          "[station][admin][roles]") {
  const auto backend = GC_BACKENDS;
  INFO(gc::storage::test::backend_name(backend));
  Fixture fx(true, nullptr, {}, backend);
  for (const std::string who : {"dr_li", "coord"}) {
    auto c = fx.client();
    REQUIRE(c.login(who).status == 200);
    const std::vector<std::pair<http::verb, std::string>> calls{
        {http::verb::get, "/api/users"},
        {http::verb::post, "/api/users"},
        {http::verb::post, "/api/users/dr_li"},
        {http::verb::post, "/api/users/nobody"},  // 403, not 404: no name is revealed
        {http::verb::post, "/api/users/dr_li/password"},
        {http::verb::post, "/api/roster"},
        {http::verb::get, "/api/audit"},
        {http::verb::get, "/api/audit?user=admin"},
        {http::verb::get, "/api/audit.csv"}};
    for (const auto& [verb, target] : calls) {
      INFO(who << " " << target);
      const auto r =
          c.request(verb, target,
                    R"({"username":"mallory","role":"admin","disabled":true,)"
                    R"("start":"2026-05-12 08:00","end":"2026-05-12 20:00","chain":["dr_li"]})");
      CHECK(r.status == 403);
      CHECK(code_of(r) == "forbidden");
    }
    // The roster is for everyone to read (who is on call); only admins set it.
    CHECK(c.get("/api/roster").status == 200);
  }
  const auto store = gc::storage::StationStore::open(fx.db());
  CHECK(!store->find_user("mallory"));
  CHECK(!store->find_user("dr_li")->disabled_ms);
  CHECK(rows_of(fx, "user_add").size() == 3);  // the fixture's three, nothing more
  CHECK(rows_of(fx, "roster_set").empty());
  // Without a login: 401, as everywhere.
  CHECK(fx.client().get("/api/users").status == 401);
}

TEST_CASE("users: add, log in, disable, refused, re-enable, role, display name, reset password",
          "[station][admin][users]") {
  const auto backend = GC_BACKENDS;
  INFO(gc::storage::test::backend_name(backend));
  Fixture fx(true, nullptr, {}, backend);
  auto admin = fx.client();
  REQUIRE(admin.login("admin").status == 200);

  // Add: the password is generated and shown once.
  const auto added = admin.post(
      "/api/users", R"({"username":"dr_wu","role":"cardiologist","display_name_zh":" 吴医生 "})");
  REQUIRE(added.status == 201);
  const auto added_json = added.json();
  const std::string password(added_json.at("password").as_string());
  CHECK(password.size() == 16);
  CHECK(added_json.at("user").at("display_name_zh").as_string() == "吴医生");
  CHECK(added_json.at("user").at("status").as_string() == "active");
  CHECK(added_json.at("user").at("last_login_ms").is_null());
  CHECK(added_json.at("user").at("must_change_password") == true);
  // The admin has seen it: the first login replaces it with the user's own.
  auto wu = fx.client();
  fx.now += 60'000;
  const auto first = wu.login("dr_wu", password);
  REQUIRE(first.status == 200);
  CHECK(first.json().at("must_change_password") == true);
  CHECK(wu.get("/api/worklist").status == 403);
  const std::string own = "Wu-Own-Password-2026";
  REQUIRE(wu.post("/api/me/password",
                  json::serialize(json::object{{"current", password}, {"new", own}}))
              .status == 200);
  CHECK(wu.get("/api/worklist").status == 200);

  auto list = admin.get("/api/users");
  REQUIRE(list.status == 200);
  // No password, hash or salt in the list: "password" only in the name of the flag of 0010.
  std::string listed = list.body;
  for (auto p = listed.find("\"must_change_password\""); p != std::string::npos;
       p = listed.find("\"must_change_password\"")) {
    listed.erase(p, 22);
  }
  CHECK(listed.find("password") == std::string::npos);
  CHECK(list.body.find(password) == std::string::npos);
  CHECK(list.body.find("salt") == std::string::npos);
  CHECK(list.body.find("hash") == std::string::npos);
  CHECK(user_in(list, "dr_wu").at("last_login_ms").as_int64() == fx.now.load());
  CHECK(user_in(list, "dr_wu").at("role").as_string() == "cardiologist");

  // Disable: the session ends at once, and the login is refused.
  fx.now += 60'000;
  const auto disabled = admin.post("/api/users/dr_wu", R"({"disabled":true})");
  REQUIRE(disabled.status == 200);
  CHECK(disabled.json().at("user").at("status").as_string() == "disabled");
  CHECK(wu.get("/api/worklist").status == 401);
  CHECK(fx.client().login("dr_wu", own).status == 401);
  // Adding the name again says it is disabled (the issue: "a disabled user can never be re-added").
  const auto again = admin.post("/api/users", R"({"username":"dr_wu","role":"cardiologist"})");
  CHECK(again.status == 409);
  CHECK(code_of(again) == "user_disabled");

  // Re-enable: the same account logs in again.
  fx.now += 60'000;
  const auto enabled = admin.post("/api/users/dr_wu", R"({"disabled":false})");
  REQUIRE(enabled.status == 200);
  CHECK(enabled.json().at("user").at("status").as_string() == "active");
  REQUIRE(wu.login("dr_wu", own).status == 200);

  // Role: a coordinator may no longer confirm; the old session is ended by the change.
  const auto role = admin.post("/api/users/dr_wu", R"({"role":"coordinator"})");
  REQUIRE(role.status == 200);
  CHECK(role.json().at("user").at("role").as_string() == "coordinator");
  CHECK(wu.get("/api/me").status == 401);
  REQUIRE(wu.login("dr_wu", own).status == 200);
  CHECK(wu.get("/api/me").json().at("role").as_string() == "coordinator");

  const auto name = admin.post("/api/users/dr_wu", R"({"display_name_zh":"吴主任"})");
  REQUIRE(name.status == 200);
  CHECK(name.json().at("user").at("display_name_zh").as_string() == "吴主任");

  // Contact: how a page reaches them (the webhook carries it); trimmed, checked, clearable.
  const auto contact = admin.post("/api/users/dr_wu", R"({"contact":" 13900001111 "})");
  REQUIRE(contact.status == 200);
  CHECK(contact.json().at("user").at("contact").as_string() == "13900001111");
  CHECK(user_in(admin.get("/api/users"), "dr_wu").at("contact").as_string() == "13900001111");
  // A control character is refused as in every field (bad_request), a long one by the rule.
  CHECK(admin.post("/api/users/dr_wu", R"({"contact":"139\u0007"})").status == 400);
  const auto long_contact =
      admin.post("/api/users/dr_wu", R"({"contact":")" + std::string(65, '1') + R"("})");
  CHECK(long_contact.status == 400);
  CHECK(code_of(long_contact) == "contact_invalid");
  CHECK(user_in(admin.get("/api/users"), "dr_wu").at("contact").as_string() == "13900001111");

  // Reset: a new generated password; the old one no longer works, sessions end, a lock-out is
  // lifted.
  for (int i = 0; i < 5; ++i) fx.client().login("dr_wu", "wrong password!");
  CHECK(user_in(admin.get("/api/users"), "dr_wu").at("status").as_string() == "locked");
  const auto reset = admin.post("/api/users/dr_wu/password");
  REQUIRE(reset.status == 200);
  const std::string fresh(reset.json().at("password").as_string());
  CHECK(fresh != password);
  CHECK(fresh != own);
  CHECK(reset.json().at("user").at("status").as_string() == "active");
  CHECK(wu.get("/api/me").status == 401);
  CHECK(fx.client().login("dr_wu", own).status == 401);
  const auto fresh_login = fx.client().login("dr_wu", fresh);
  REQUIRE(fresh_login.status == 200);
  CHECK(fresh_login.json().at("display_name_zh").as_string() == "吴主任");

  // Every change on the record, by whom, and never a password.
  for (const std::string action : {"user_add", "user_disable", "user_enable", "user_role",
                                   "user_display_name", "user_contact", "user_password_reset"}) {
    INFO(action);
    bool found = false;
    for (const auto& r : rows_of(fx, action)) {
      if (r.target == "dr_wu" && r.actor == "station:admin") found = true;
    }
    CHECK(found);
  }
  for (const auto& r : fx.audit()) {
    CHECK(r.detail.find(password) == std::string::npos);
    CHECK(r.detail.find(own) == std::string::npos);
    CHECK(r.detail.find(fresh) == std::string::npos);
  }
  const auto role_rows = rows_of(fx, "user_role");
  REQUIRE(role_rows.size() == 1);
  CHECK(role_rows[0].detail == "cardiologist→coordinator");
}

TEST_CASE("users: validation, CSRF and unknown names", "[station][admin][users]") {
  const auto backend = GC_BACKENDS;
  INFO(gc::storage::test::backend_name(backend));
  Fixture fx(true, nullptr, {}, backend);
  auto admin = fx.client();
  REQUIRE(admin.login("admin").status == 200);
  const std::vector<std::pair<std::string, std::string>> bad_adds{
      {R"({"username":"bad name","role":"cardiologist"})", "bad_request"},
      {R"({"username":"","role":"cardiologist"})", "bad_request"},
      {R"({"username":"dr_x","role":"surgeon"})", "bad_request"},
      {R"({"username":"dr_x"})", "bad_request"},
      {R"({"username":"dr_x","role":"cardiologist","display_name_zh":"a\u0007b"})",
       "display_name_invalid"},
      {R"({"username":"dr_x","role":"cardiologist","display_name_zh":")" + std::string(65, 'x') +
           R"("})",
       "display_name_invalid"},
      {R"({"username":"dr_li","role":"cardiologist"})", "user_exists"},
      {R"([1,2])", "bad_request"}};
  for (const auto& [body, code] : bad_adds) {
    INFO(body);
    const auto r = admin.post("/api/users", body);
    CHECK(r.status == (code == "user_exists" ? 409U : 400U));
    CHECK(code_of(r) == code);
  }
  CHECK(!gc::storage::StationStore::open(fx.db())->find_user("dr_x"));
  CHECK(code_of(admin.post("/api/users/dr_li", "{}")) == "bad_request");
  CHECK(code_of(admin.post("/api/users/dr_li", R"({"disabled":"yes"})")) == "bad_request");
  CHECK(code_of(admin.post("/api/users/dr_li", R"({"role":"king"})")) == "bad_request");
  CHECK(admin.post("/api/users/nobody", R"({"disabled":true})").status == 404);
  CHECK(admin.post("/api/users/nobody/password").status == 404);
  CHECK(admin.post("/api/users/bad%20name", R"({"disabled":true})").status == 400);
  const auto no_csrf = admin.post("/api/users/dr_li", R"({"disabled":true})", false);
  CHECK(no_csrf.status == 403);
  CHECK(code_of(no_csrf) == "csrf");
  CHECK(!gc::storage::StationStore::open(fx.db())->find_user("dr_li")->disabled_ms);
  CHECK(admin.request(http::verb::delete_, "/api/users/dr_li").status == 405);
}

TEST_CASE("an admin cannot disable or demote themselves, and the last admin stays",
          "[station][admin][users]") {
  const auto backend = GC_BACKENDS;
  INFO(gc::storage::test::backend_name(backend));
  Fixture fx(true, nullptr, {}, backend);
  auto admin = fx.client();
  REQUIRE(admin.login("admin").status == 200);
  const auto self = admin.post("/api/users/admin", R"({"disabled":true})");
  CHECK(self.status == 409);
  CHECK(code_of(self) == "self");
  CHECK(code_of(admin.post("/api/users/admin", R"({"role":"cardiologist"})")) == "self");
  CHECK(code_of(admin.post("/api/users/admin/password")) == "self");
  // Their own display name is fine.
  CHECK(admin.post("/api/users/admin", R"({"display_name_zh":"管理员"})").status == 200);

  // A second admin may not remove the first when it is the last one; with two, one may go.
  const auto added = admin.post("/api/users", R"({"username":"admin2","role":"admin"})");
  REQUIRE(added.status == 201);
  auto admin2 = fx.client();
  const std::string given(added.json().at("password").as_string());
  REQUIRE(admin2.login("admin2", given).status == 200);
  REQUIRE(admin2.post("/api/me/password",
                      json::serialize(json::object{{"current", given}, {"new", "Admin2-Own-2026"}}))
              .status == 200);  // a generated password is replaced at the first login
  REQUIRE(admin2.post("/api/users/admin", R"({"role":"coordinator"})").status == 200);
  // Now admin2 is the only admin: admin (a coordinator now) may do nothing here, and nobody
  // can take admin2's role away through the store either.
  REQUIRE(admin.login("admin").status == 200);
  CHECK(admin.get("/api/users").status == 403);
  const auto store = gc::storage::StationStore::open(fx.db());
  gc::storage::UserChange demote;
  demote.role = "cardiologist";
  CHECK(store->change_user("admin2", demote, kStartMs, "test") ==
        gc::storage::UserChangeResult::last_admin);
  gc::storage::UserChange disable;
  disable.disabled = true;
  CHECK(store->change_user("admin2", disable, kStartMs, "test") ==
        gc::storage::UserChangeResult::last_admin);
  CHECK(store->find_user("admin2")->role == "admin");
  CHECK(!store->find_user("admin2")->disabled_ms);
}

TEST_CASE(
    "roster from the station: a shift for tomorrow keeps today's, unknown and disabled "
    "users are refused",
    "[station][admin][roster]") {
  const auto backend = GC_BACKENDS;
  INFO(gc::storage::test::backend_name(backend));
  Fixture fx(true, nullptr, {}, backend);  // now: 2026-05-12 08:03 UTC = 16:03 in Shanghai
  auto admin = fx.client();
  REQUIRE(admin.login("admin").status == 200);
  REQUIRE(admin.post("/api/users", R"({"username":"dr_wang","role":"cardiologist"})").status ==
          201);

  const auto today = admin.post(
      "/api/roster",
      R"({"start":"2026-05-12T08:00","end":"2026-05-13 08:00","chain":["dr_li","dr_wang"]})");
  REQUIRE(today.status == 200);
  const auto today_json = today.json();
  REQUIRE(today_json.at("on_call_now").as_array().size() == 2);
  CHECK(today_json.at("on_call_now").at(0).at("username").as_string() == "dr_li");

  const auto tomorrow =
      admin.post("/api/roster",
                 R"({"start":"2026-05-13 08:00","end":"2026-05-14 08:00","chain":["dr_wang"]})");
  REQUIRE(tomorrow.status == 200);
  const auto shifts = tomorrow.json().at("shifts").as_array();
  REQUIRE(shifts.size() == 2);  // today's is still there
  CHECK(shifts.at(0).at("now").as_bool());
  CHECK(shifts.at(0).at("chain").at(0).at("username").as_string() == "dr_li");
  CHECK(shifts.at(1).at("chain").at(0).at("username").as_string() == "dr_wang");
  CHECK(fx.alerts->roster().on_call(fx.now.load()) == std::vector<std::string>{"dr_li", "dr_wang"});

  // Refused, nothing changed: unknown user, disabled user, empty chain, end before start, over.
  REQUIRE(admin.post("/api/users/dr_wang", R"({"disabled":true})").status == 200);
  const std::vector<std::pair<std::string, std::string>> bad{
      {R"({"start":"2026-05-14 08:00","end":"2026-05-15 08:00","chain":["dr_nobody"]})",
       "roster_user"},
      {R"({"start":"2026-05-14 08:00","end":"2026-05-15 08:00","chain":["dr_wang"]})",
       "roster_user"},
      {R"({"start":"2026-05-14 08:00","end":"2026-05-15 08:00","chain":[]})", "bad_request"},
      {R"({"start":"2026-05-14 08:00","end":"2026-05-15 08:00","chain":["dr_li","dr_li"]})",
       "bad_request"},
      {R"({"start":"2026-05-15 08:00","end":"2026-05-14 08:00","chain":["dr_li"]})", "shift_times"},
      {R"({"start":"2026-05-01 08:00","end":"2026-05-02 08:00","chain":["dr_li"]})", "shift_over"},
      {R"({"start":"tomorrow","end":"2026-05-15 08:00","chain":["dr_li"]})", "bad_request"},
      {R"({"start":"2026-05-14 08:00","end":"2026-05-24 08:00","chain":["dr_li"]})",
       "shift_too_long"}};
  for (const auto& [body, code] : bad) {
    INFO(body);
    const auto r = admin.post("/api/roster", body);
    CHECK(r.status == 400);
    CHECK(code_of(r) == code);
  }
  CHECK(fx.alerts->roster_shifts().size() == 2);
  const auto sets = rows_of(fx, "roster_set");
  REQUIRE(sets.size() == 2);
  CHECK(sets[1].actor == "station:admin");
  // The disabled doctor is shown as such on the roster they are still on.
  const auto view = admin.get("/api/roster").json();
  CHECK(!view.at("shifts").at(1).at("chain").at(0).at("enabled").as_bool());
}

TEST_CASE("audit log: newest first, paged, filtered by user, action, target and dates",
          "[station][admin][audit]") {
  const auto backend = GC_BACKENDS;
  INFO(gc::storage::test::backend_name(backend));
  Fixture fx(true, nullptr, {}, backend);
  const auto s = fx.seed("uid-a", "p-a", "critical", kStartMs);
  auto admin = fx.client();
  auto doc = fx.client();
  REQUIRE(admin.login("admin").status == 200);
  REQUIRE(doc.login("dr_li").status == 200);
  for (int i = 0; i < 5; ++i) {
    fx.now += 1'000;
    REQUIRE(doc.get("/api/studies/" + std::to_string(s.study_id)).status == 200);
  }
  fx.now += 2 * 24 * kHourMs;  // two days later (both log in again after the idle expiry)
  REQUIRE(doc.login("dr_li").status == 200);
  REQUIRE(admin.login("admin").status == 200);
  REQUIRE(doc.get("/api/worklist").status == 200);
  REQUIRE(admin.post("/api/users/dr_li", R"({"display_name_zh":"李医生"})").status == 200);

  const auto all = admin.get("/api/audit?limit=3");
  REQUIRE(all.status == 200);
  const auto page1 = all.json();
  const auto& items = page1.at("items").as_array();
  REQUIRE(items.size() == 3);
  CHECK(items.at(0).at("seq").as_int64() > items.at(1).at("seq").as_int64());
  CHECK(items.at(0).at("action").as_string() == "user_display_name");
  CHECK(page1.at("has_more").as_bool());
  const auto before = page1.at("next_before").as_int64();
  const auto page2 = admin.get("/api/audit?limit=3&before=" + std::to_string(before)).json();
  CHECK(page2.at("items").at(0).at("seq").as_int64() < before);

  const auto by_doc = admin.get("/api/audit?user=dr_li&action=view_study&limit=500").json();
  CHECK(by_doc.at("items").as_array().size() == 5);
  CHECK(!by_doc.at("has_more").as_bool());
  for (const auto& r : by_doc.at("items").as_array()) {
    CHECK(r.at("actor").as_string() == "station:dr_li");
    CHECK(r.at("target").as_string() == std::to_string(s.study_id));
  }
  CHECK(admin.get("/api/audit?target=dr_li&action=user_display_name")
            .json()
            .at("items")
            .as_array()
            .size() == 1);
  // Dates in the centre's zone, `to` inclusive: the study views were on 2026-05-12.
  const auto day1 =
      admin.get("/api/audit?user=dr_li&from=2026-05-12&to=2026-05-12&limit=500").json();
  CHECK(day1.at("items").as_array().size() >= 5);
  for (const auto& r : day1.at("items").as_array())
    CHECK(r.at("action").as_string() != "view_worklist");
  const auto day3 = admin.get("/api/audit?user=dr_li&from=2026-05-14&limit=500").json();
  REQUIRE(!day3.at("items").as_array().empty());
  for (const auto& r : day3.at("items").as_array())
    CHECK(r.at("action").as_string() != "view_study");

  for (const std::string q :
       {"from=2026-5-1", "to=yesterday", "limit=0", "limit=501", "before=-1", "before=x"}) {
    INFO(q);
    CHECK(admin.get("/api/audit?" + q).status == 400);
  }
  // Reading the audit log is on the record too.
  CHECK(!rows_of(fx, "view_audit").empty());

  // The export: every matching row, a byte-order mark and Chinese headers for Excel, and text
  // from users that looks like a formula defused.
  REQUIRE(admin.post("/api/users/coord", R"j({"display_name_zh":"=HYPERLINK(\"x\")"})j").status ==
          200);
  const auto csv = admin.get("/api/audit.csv?user=dr_li&action=view_study&lang=zh");
  REQUIRE(csv.status == 200);
  CHECK(csv.header("content-type").starts_with("text/csv"));
  CHECK(csv.header("content-disposition").find("attachment") != std::string::npos);
  CHECK(csv.body.starts_with("\xEF\xBB\xBF序号,时间,操作者,操作,对象,详情\r\n"));
  std::size_t lines = 0;
  for (std::size_t at = 0; (at = csv.body.find("\r\n", at)) != std::string::npos; at += 2) ++lines;
  CHECK(lines == 1 + 5);
  CHECK(csv.body.find(",station:dr_li,view_study," + std::to_string(s.study_id) + ",") !=
        std::string::npos);
  const auto named = admin.get("/api/audit.csv?action=user_display_name&target=coord&lang=en");
  REQUIRE(named.status == 200);
  CHECK(named.body.starts_with("\xEF\xBB\xBFseq,time,actor,action,target,detail\r\n"));
  CHECK(named.body.find(R"j(,"'=HYPERLINK(""x"")")j") != std::string::npos);
  CHECK(!rows_of(fx, "export_audit").empty());
  CHECK(admin.get("/api/audit.csv?lang=fr").status == 400);
}

TEST_CASE("worklist by date: alerts raised on the given days (centre's zone, both included)",
          "[station][worklist]") {
  const auto backend = GC_BACKENDS;
  INFO(gc::storage::test::backend_name(backend));
  Fixture fx(true, nullptr, {}, backend);                                      // kStartMs: 2026-05-12 16:03 in Shanghai
  fx.seed("uid-d1", "p-1", "critical", kStartMs);  // 05-12
  fx.seed("uid-d2", "p-2", "urgent", kStartMs + 24 * kHourMs);   // 05-13
  fx.seed("uid-d3", "p-3", "critical", kStartMs + 8 * kHourMs);  // 05-13 00:03 Shanghai
  fx.now += 2 * 24 * kHourMs;
  auto doc = fx.client();
  REQUIRE(doc.login("dr_li").status == 200);
  const auto uids = [&](const std::string& query) {
    const auto r = doc.get("/api/worklist?scope=all&" + query);
    REQUIRE(r.status == 200);
    std::set<std::string> out;
    const auto parsed = r.json();
    for (const auto& it : parsed.at("items").as_array())
      out.insert(std::string(it.at("study_uid").as_string()));
    return out;
  };
  CHECK(uids("from=2026-05-12&to=2026-05-12") == std::set<std::string>{"uid-d1"});
  CHECK(uids("from=2026-05-13") == std::set<std::string>{"uid-d2", "uid-d3"});
  CHECK(uids("to=2026-05-12") == std::set<std::string>{"uid-d1"});
  CHECK(uids("from=2026-05-13&tier=critical") == std::set<std::string>{"uid-d3"});
  CHECK(uids("from=2026-05-13&patient=P-2") == std::set<std::string>{"uid-d2"});
  CHECK(doc.get("/api/worklist?from=12-05-2026").status == 400);
}
