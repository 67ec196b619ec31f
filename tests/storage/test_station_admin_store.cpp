// The station store's admin operations on both backends (issue 15): a user's role, disabling and
// re-enabling, the Chinese display name, a new password (clears a lock-out, ends sessions), the
// last enabled admin kept, each change audited; the audit log paged newest first and filtered.
#include <catch2/catch.hpp>

#include "gc/station_store.hpp"
#include "storage_test_util.hpp"

using namespace gc::storage;
using gc::storage::test::backend_name;
using gc::storage::test::TestDb;

namespace {

UserRecord user_named(const std::string& name, const std::string& role) {
  UserRecord u;
  u.username = name;
  u.role = role;
  u.password_hash.assign(32, 0xab);
  u.salt.assign(16, 0x01);
  u.iterations = 310000;
  u.created_ms = 1000;
  return u;
}

}  // namespace

TEST_CASE("station store on both backends: user changes, last admin, audit pages",
          "[storage][backends][station]") {
  const auto backend = GC_BACKENDS;
  INFO(backend_name(backend));
  TestDb db(backend);
  auto station = StationStore::open(db.location());
  auto li = user_named("dr.li", "cardiologist");
  li.display_name_zh = "李医生";
  station->insert_user(li, "station:boss");
  station->insert_user(user_named("boss", "admin"), "cli:root");
  CHECK(station->find_user("dr.li")->display_name_zh == "李医生");
  CHECK_FALSE(station->find_user("dr.li")->last_login_ms.has_value());
  auto bad = user_named("dr.x", "surgeon");
  CHECK_THROWS_AS(station->insert_user(bad, "t"), Error);

  WebSessionRecord s;
  s.token_sha256.assign(32, 0x07);
  s.username = "dr.li";
  s.csrf_token = std::string(43, 'c');
  s.created_ms = 5000;
  s.last_seen_ms = 5000;
  s.expires_ms = 90000;
  station->insert_session(s);
  CHECK(station->find_user("dr.li")->last_login_ms == 5000);

  UserChange role;
  role.role = "coordinator";
  role.display_name_zh = "李主任";
  CHECK(station->change_user("dr.li", role, 6000, "station:boss") == UserChangeResult::ok);
  auto u = station->find_user("dr.li");
  CHECK(u->role == "coordinator");
  CHECK(u->display_name_zh == "李主任");
  CHECK(station->find_session(s.token_sha256)->revoked_ms == 6000);  // a role change ends sessions

  UserChange off;
  off.disabled = true;
  CHECK(station->change_user("dr.li", off, 7000, "station:boss") == UserChangeResult::ok);
  CHECK(station->find_user("dr.li")->disabled_ms == 7000);
  station->record_login_failure("dr.li", 7100, 1, 60'000);
  UserChange on;
  on.disabled = false;
  CHECK(station->change_user("dr.li", on, 8000, "station:boss") == UserChangeResult::ok);
  u = station->find_user("dr.li");
  CHECK_FALSE(u->disabled_ms.has_value());
  CHECK_FALSE(u->locked_until_ms.has_value());

  UserChange pw;
  pw.password_hash = std::vector<std::uint8_t>(32, 0xcd);
  pw.salt.assign(16, 0x02);
  pw.iterations = 400000;
  CHECK(station->change_user("dr.li", pw, 9000, "station:boss") == UserChangeResult::ok);
  u = station->find_user("dr.li");
  CHECK(u->password_hash == std::vector<std::uint8_t>(32, 0xcd));
  CHECK(u->iterations == 400000);

  CHECK(station->change_user("nobody", on, 9000, "t") == UserChangeResult::not_found);
  UserChange demote;
  demote.role = "cardiologist";
  CHECK(station->change_user("boss", demote, 9500, "t") == UserChangeResult::last_admin);
  CHECK(station->change_user("boss", off, 9500, "t") == UserChangeResult::last_admin);
  CHECK(station->find_user("boss")->role == "admin");
  UserChange long_name;
  long_name.display_name_zh = std::string(65 * 3, '\0');
  for (std::size_t i = 0; i < 65; ++i) long_name.display_name_zh->replace(i * 3, 3, "李");
  CHECK_THROWS_AS(station->change_user("dr.li", long_name, 9600, "t"), Error);
  // The contact (migration 0011): stored and read back on both backends; checked like a name.
  CHECK(station->find_user("dr.li")->contact.empty());
  UserChange bad_contact;
  bad_contact.contact = std::string("139\x07");
  CHECK_THROWS_AS(station->change_user("dr.li", bad_contact, 9600, "t"), Error);

  // The audit log: every change by whom; newest first, paged, filtered.
  std::vector<std::string> actions;
  AuditQuery all;
  all.limit = 100;
  for (const auto& r : station->audit_page(all)) actions.push_back(r.action);
  const std::vector<std::string> expected{
      "user_password_reset", "user_enable", "user_locked", "user_disable",
      "user_display_name",   "user_role",   "user_add",    "user_add"};
  CHECK(actions == expected);
  AuditQuery page;
  page.limit = 2;
  bool more = false;
  const auto first = station->audit_page(page, &more);
  REQUIRE(first.size() == 2);
  CHECK(more);
  page.before_seq = first.back().seq;
  const auto second = station->audit_page(page, &more);
  REQUIRE(second.size() == 2);
  CHECK(second.front().seq < first.back().seq);
  AuditQuery by_boss;
  by_boss.user = "boss";
  by_boss.from_ms = 7000;
  by_boss.to_ms = 9000;
  const auto mid = station->audit_page(by_boss);
  REQUIRE(mid.size() == 2);  // disable at 7000 and enable at 8000; not the reset at 9000
  CHECK(mid[0].action == "user_enable");
  CHECK(mid[0].actor == "station:boss");
  AuditQuery by_root;
  by_root.user = "root";
  by_root.action = "user_add";
  by_root.target = "boss";
  CHECK(station->audit_page(by_root).size() == 1);
}

TEST_CASE("station store on both backends: a reset forces a change; the owner's change keeps "
          "only its own session (migration 0010)",
          "[storage][backends][station]") {
  const auto backend = GC_BACKENDS;
  INFO(backend_name(backend));
  TestDb db(backend);
  auto station = StationStore::open(db.location());
  station->insert_user(user_named("dr.li", "cardiologist"), "cli:root");
  CHECK_FALSE(station->find_user("dr.li")->must_change_password);  // the default of 0010

  UserChange reset;
  reset.password_hash = std::vector<std::uint8_t>(32, 0xcd);
  reset.salt.assign(16, 0x02);
  reset.iterations = 310000;
  reset.must_change_password = true;
  CHECK(station->change_user("dr.li", reset, 2000, "station:boss") == UserChangeResult::ok);
  CHECK(station->find_user("dr.li")->must_change_password);

  const auto session = [&](std::uint8_t id) {
    WebSessionRecord s;
    s.token_sha256.assign(32, id);
    s.username = "dr.li";
    s.csrf_token = std::string(43, 'c');
    s.created_ms = 3000;
    s.last_seen_ms = 3000;
    s.expires_ms = 90000;
    station->insert_session(s);
    return s.token_sha256;
  };
  const auto mine = session(0x01);
  const auto other = session(0x02);
  station->record_login_failure("dr.li", 3500, 5, 60'000);
  const auto ended = station->change_own_password("dr.li", std::vector<std::uint8_t>(32, 0xee),
                                                  std::vector<std::uint8_t>(16, 0x03), 310000,
                                                  mine, 4000, "station:dr.li");
  REQUIRE(ended);
  CHECK(*ended == 1);
  const auto u = station->find_user("dr.li");
  CHECK_FALSE(u->must_change_password);
  CHECK(u->password_hash == std::vector<std::uint8_t>(32, 0xee));
  CHECK(u->failed_logins == 0);
  CHECK_FALSE(station->find_session(mine)->revoked_ms.has_value());
  CHECK(station->find_session(other)->revoked_ms == 4000);
  CHECK_FALSE(station->change_own_password("nobody", std::vector<std::uint8_t>(32, 0xee),
                                           std::vector<std::uint8_t>(16, 0x03), 310000, mine,
                                           4000, "t"));
  AuditQuery q;
  q.action = "password_change";
  const auto rows = station->audit_page(q);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].target == "dr.li");
  CHECK(rows[0].detail == "other_sessions_ended=1");
  q.action = "user_password_reset";
  CHECK(station->audit_page(q).at(0).detail == "must_change_password");
}

TEST_CASE("station store on both backends: a doctor's contact is stored, audited and cleared",
          "[storage][station]") {
  const auto backend = GC_BACKENDS;
  INFO(backend_name(backend));
  TestDb db(backend);
  auto station = StationStore::open(db.location());
  UserRecord wang;
  wang.username = "dr_wang";
  wang.role = "cardiologist";
  wang.password_hash.assign(32, 0x01);
  wang.salt.assign(16, 0x02);
  wang.iterations = 310000;
  wang.created_ms = 1000;
  wang.contact = "wangwei";  // a WeChat Work user id, given when the account is made
  station->insert_user(wang, "cli:admin");
  CHECK(station->find_user("dr_wang")->contact == "wangwei");
  UserChange phone;
  phone.contact = "+86 139 0000 1111";
  CHECK(station->change_user("dr_wang", phone, 2000, "station:boss") == UserChangeResult::ok);
  CHECK(station->find_user("dr_wang")->contact == "+86 139 0000 1111");
  UserChange clear;
  clear.contact = "";
  CHECK(station->change_user("dr_wang", clear, 3000, "station:boss") == UserChangeResult::ok);
  CHECK(station->find_user("dr_wang")->contact.empty());
  AuditQuery q;
  q.action = "user_contact";
  const auto rows = station->audit_page(q);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].detail.empty());  // newest first: cleared
  CHECK(rows[1].detail == "+86 139 0000 1111");
  CHECK(rows[1].actor == "station:boss");
  UserRecord bad = wang;
  bad.username = "dr_bad";
  bad.contact = std::string(65, '1');
  CHECK_THROWS_AS(station->insert_user(bad, "t"), Error);
}
