// Issue 15: the user's own password change (the current one checked, the creation rules, the other
// sessions ended), and the change forced after an admin's reset (every other call refused with
// 403 password_change_required until then). Both backends.
#include <catch2/catch.hpp>

#include "station_fixture.hpp"

using namespace gc::station::test;

namespace {

std::string code_of(const Reply& r) {
  return std::string(r.json().at("code").as_string());
}

// The HTTP status of a WebSocket upgrade with this session (101 = accepted).
unsigned ws_upgrade_status(std::uint16_t port, const std::string& cookie) {
  asio::io_context io;
  websocket::stream<beast::tcp_stream> ws(io);
  beast::get_lowest_layer(ws).connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  ws.set_option(websocket::stream_base::decorator([&](websocket::request_type& req) {
    req.set(http::field::cookie, "gc_session=" + cookie);
  }));
  websocket::response_type res;
  beast::error_code ec;
  ws.handshake(res, "127.0.0.1:" + std::to_string(port), "/ws", ec);
  return res.result_int();
}

}  // namespace

TEST_CASE("own password: wrong current 403, weak 400, success ends the other sessions",
          "[station][password]") {
  const auto backend = GC_BACKENDS;
  INFO(gc::storage::test::backend_name(backend));
  Fixture fx(true, nullptr, {}, backend);
  auto here = fx.client();
  auto elsewhere = fx.client();
  REQUIRE(here.login("dr_li").status == 200);
  REQUIRE(elsewhere.login("dr_li").status == 200);
  const auto change = [&](const std::string& current, const std::string& fresh) {
    return here.post("/api/me/password",
                     json::serialize(json::object{{"current", current}, {"new", fresh}}));
  };
  const std::string fresh = "Ventricle-7-Lead-2026";

  const auto wrong = change("not my password", fresh);
  CHECK(wrong.status == 403);
  CHECK(code_of(wrong) == "wrong_password");
  for (const std::string& weak : std::vector<std::string>{"short", "dr_li", kPassword}) {
    INFO(weak);
    const auto r = change(kPassword, weak);
    CHECK(r.status == 400);
    CHECK(code_of(r) == "weak_password");
  }
  CHECK(here.post("/api/me/password", R"({"current":"x"})").status == 400);
  CHECK(here.post("/api/me/password",
                  json::serialize(json::object{{"current", kPassword}, {"new", fresh}}), false)
            .status == 403);  // CSRF as every POST

  const auto ok = change(kPassword, fresh);
  REQUIRE(ok.status == 200);
  CHECK(ok.json().at("must_change_password") == false);
  CHECK(here.get("/api/worklist").status == 200);        // this session stays
  CHECK(elsewhere.get("/api/worklist").status == 401);   // the others end
  CHECK(fx.client().login("dr_li").status == 401);       // the old password is gone
  CHECK(fx.client().login("dr_li", fresh).status == 200);

  bool audited = false, refused = false;
  for (const auto& r : fx.audit()) {
    if (r.action == "password_change" && r.actor == "station:dr_li" && r.target == "dr_li") {
      audited = r.detail == "other_sessions_ended=1";
      CHECK(r.detail.find(fresh) == std::string::npos);
    }
    if (r.action == "password_change_refused" && r.detail == "wrong current password") refused = true;
  }
  CHECK(audited);
  CHECK(refused);

  // Guessing the current password from an open session meets the login lock-out.
  for (int i = 0; i < 5; ++i) CHECK(change("guess " + std::to_string(i), "Another-Strong-1").status == 403);
  const auto locked = change(fresh, "Another-Strong-1");
  CHECK(locked.status == 403);
  CHECK(code_of(locked) == "locked");
}

TEST_CASE("forced change: after an admin's reset only logout, me and the change answer",
          "[station][password]") {
  const auto backend = GC_BACKENDS;
  INFO(gc::storage::test::backend_name(backend));
  Fixture fx(true, nullptr, {}, backend);
  const auto s = fx.seed("uid-p1", "p-p1", "critical", kStartMs);
  auto admin = fx.client();
  REQUIRE(admin.login("admin").status == 200);
  const auto reset = admin.post("/api/users/dr_li/password");
  REQUIRE(reset.status == 200);
  CHECK(reset.json().at("user").at("must_change_password") == true);
  const std::string given(reset.json().at("password").as_string());

  auto doc = fx.client();
  const auto login = doc.login("dr_li", given);
  REQUIRE(login.status == 200);
  CHECK(login.json().at("must_change_password") == true);
  for (const std::string& target : std::vector<std::string>{
           "/api/worklist", "/api/studies/" + std::to_string(s.study_id), "/api/roster",
           "/api/statements", "/api/alerts/" + std::to_string(s.alert_id)}) {
    INFO(target);
    const auto r = doc.get(target);
    CHECK(r.status == 403);
    CHECK(code_of(r) == "password_change_required");
  }
  CHECK(doc.post("/api/alerts/" + std::to_string(s.alert_id) + "/acknowledge").status == 403);
  CHECK(ws_upgrade_status(doc.port(), doc.cookie()) == 403);  // no live feed either
  const auto me = doc.get("/api/me");
  REQUIRE(me.status == 200);
  CHECK(me.json().at("must_change_password") == true);

  const std::string mine = "Sinus-Rhythm-Again-42";
  const auto changed = doc.post(
      "/api/me/password", json::serialize(json::object{{"current", given}, {"new", mine}}));
  REQUIRE(changed.status == 200);
  CHECK(changed.json().at("must_change_password") == false);
  CHECK(doc.get("/api/worklist").status == 200);
  CHECK(ws_upgrade_status(doc.port(), doc.cookie()) == 101);
  CHECK(doc.get("/api/me").json().at("must_change_password") == false);
  const auto again = fx.client().login("dr_li", mine);
  REQUIRE(again.status == 200);
  CHECK(again.json().at("must_change_password") == false);

  // The CLI's reset forces the change too.
  REQUIRE(gc::station::reset_password(fx.db(), "coord", "cli:root"));
  CHECK(gc::storage::StationStore::open(fx.db())->find_user("coord")->must_change_password);
  // Logout works while the change is pending.
  auto coord = fx.client();
  const auto coord_pw = gc::station::reset_password(fx.db(), "coord", "cli:root");
  REQUIRE(coord_pw);
  REQUIRE(coord.login("coord", *coord_pw).status == 200);
  CHECK(coord.post("/api/logout").status == 204);
}
