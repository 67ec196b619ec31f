// AlertService: the alert lifecycle persisted (migration 0004) — transitions with actor, time and
// reason, the case timeline, escalation along the stored roster with an injected clock, restarts
// that do not re-page, webhook delivery with retries to a local receiver, and the cart outbox.
#include <sqlite3.h>

#include <atomic>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <mutex>
#include <thread>

#include "gc/alert_cart.hpp"
#include "gc/alert_service.hpp"
#include "gc/alert_store.hpp"
#include "gc/case_store.hpp"
#include "gc/station_store.hpp"
#include "gc/storage.hpp"
#include "storage/storage_test_util.hpp"
#include "webhook_receiver.hpp"

using namespace gc::workflow;
namespace storage = gc::storage;

namespace {

constexpr UnixMs kRaised = 1778573100000;  // 2026-05-12T16:05+08:00
constexpr std::int64_t kMin = 60'000;

// A database with one cart, one study in a case, and one critical alert raised at kRaised.
struct Fixture {
  storage::test::TempDir dir;
  std::int64_t study_id = 0;
  std::int64_t alert_id = 0;
  std::int64_t case_id = 0;
  std::atomic<UnixMs> now{kRaised};
  std::mutex mu;
  std::vector<AlertChange> station;
  std::vector<AlertChange> cart;

  explicit Fixture(const std::string& tier = "critical") {
    auto store = storage::Store::open(dir.db());
    store->add_device("clinic A", "cart-1");
    study_id = store->begin_study(storage::test::make_header("cart-1", "study-1")).study_id;
    storage::AlertRecord a;
    a.study_id = study_id;
    a.tier = tier;
    a.category = "stemi";
    a.summary_en = "Inferior STEMI";
    a.summary_zh = "下壁STEMI";
    a.raised_ms = kRaised;
    alert_id = store->raise_alert(a);
    auto cases = storage::CaseStore::open(dir.db());
    storage::CaseRecord c;
    c.patient_id = "p-1";
    c.device_id = "cart-1";
    c.clinic = "clinic A";
    c.opened_ms = kRaised - 10 * kMin;
    case_id = cases->open_case(c).case_id;
    cases->link_study(case_id, study_id);
  }

  AlertServiceConfig config() {
    AlertServiceConfig cfg;
    cfg.db_path = dir.db();
    cfg.clock = [this] { return now.load(); };
    cfg.tick = std::chrono::milliseconds(10);
    return cfg;
  }
  AlertChannels channels() {
    AlertChannels ch;
    ch.to_station = [this](const AlertChange& c) {
      std::lock_guard lock(mu);
      station.push_back(c);
    };
    ch.to_cart = [this](const AlertChange& c) {
      std::lock_guard lock(mu);
      cart.push_back(c);
      return false;  // offline: the outbox keeps it
    };
    return ch;
  }
  std::vector<AlertChange> station_pages() {
    std::lock_guard lock(mu);
    std::vector<AlertChange> out;
    for (const auto& c : station) {
      if (c.page) out.push_back(c);
    }
    return out;
  }
  void day_roster(AlertService& s) {
    s.set_roster({{kRaised - 8 * 3600'000, kRaised + 3600'000, {"dr_li", "dr_wang", "dr_zhang"}},
                  {kRaised + 3600'000, kRaised + 12 * 3600'000, {"dr_zhao", "dr_sun"}}},
                 "cli:admin");
  }
  std::string alert_state() {
    auto store = storage::Store::open(dir.db());
    return store->alerts_for_study(study_id).at(0).state;
  }
};

std::vector<std::string> levels_and_people(const std::vector<AlertPageRecord>& pages) {
  std::vector<std::string> out;
  for (const auto& p : pages) out.push_back(std::to_string(p.level) + ":" + p.who);
  return out;
}

std::string raw_exec_error(const std::filesystem::path& db, const std::string& sql) {
  sqlite3* h = nullptr;
  REQUIRE(sqlite3_open(db.string().c_str(), &h) == SQLITE_OK);
  char* err = nullptr;
  sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &err);
  std::string msg = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(h);
  return msg;
}

}  // namespace

TEST_CASE("alert service: transitions are persisted with actor, time and reason") {
  Fixture fx;
  AlertService service(fx.config(), fx.channels());
  service.alert_raised(fx.alert_id);

  fx.now = kRaised + 2 * kMin;
  const auto ack = service.apply(fx.alert_id, AlertState::acknowledged, "station:dr_li");
  CHECK(ack.state == "acknowledged");
  CHECK(ack.transition.at_ms == kRaised + 2 * kMin);
  CHECK(fx.alert_state() == "acknowledged");

  fx.now = kRaised + 4 * kMin;
  const auto confirmed =
      service.apply(fx.alert_id, AlertState::confirmed, "station:dr_li", "", "嚼服阿司匹林300mg",
                    "chew aspirin 300 mg, transfer for primary PCI");
  CHECK(confirmed.instructions_en == "chew aspirin 300 mg, transfer for primary PCI");
  CHECK(confirmed.case_id == fx.case_id);
  fx.now = kRaised + 6 * kMin;
  service.apply(fx.alert_id, AlertState::green_channel, "station:dr_wang");
  fx.now = kRaised + 90 * kMin;
  service.apply(fx.alert_id, AlertState::closed, "cli:coordinator", "patient in cath lab");
  CHECK(fx.alert_state() == "closed");

  const auto rows = service.transitions(fx.alert_id);
  REQUIRE(rows.size() == 5);
  CHECK(rows[0].to_state == "raised");
  CHECK(rows[0].from_state.empty());
  CHECK(rows[0].actor == "server");
  CHECK(rows[0].at_ms == kRaised);
  CHECK(rows[1].from_state == "raised");
  CHECK(rows[1].to_state == "acknowledged");
  CHECK(rows[1].actor == "station:dr_li");
  CHECK(rows[2].to_state == "confirmed");
  CHECK(rows[2].at_ms == kRaised + 4 * kMin);
  CHECK(rows[2].note.find("aspirin") != std::string::npos);
  CHECK(rows[3].to_state == "green_channel");
  CHECK(rows[3].actor == "station:dr_wang");
  CHECK(rows[4].to_state == "closed");
  CHECK(rows[4].reason == "patient in cath lab");
  CHECK(rows[4].at_ms == kRaised + 90 * kMin);
  for (std::size_t i = 1; i < rows.size(); ++i) CHECK(rows[i].seq > rows[i - 1].seq);

  // The case: outcome stemi, diagnosis and cath-lab decision by the station, server clock.
  auto cases = storage::CaseStore::open(fx.dir.db());
  const auto bundle = cases->load_case(fx.case_id);
  REQUIRE(bundle);
  CHECK(bundle->info.outcome == "stemi");
  REQUIRE(bundle->nodes.size() == 2);
  CHECK(bundle->nodes[0].kind == "ecg_diagnosis");
  CHECK(bundle->nodes[0].raw_ms == kRaised + 4 * kMin);
  CHECK(bundle->nodes[0].source == "station");
  CHECK(bundle->nodes[0].actor == "station:dr_li");
  CHECK(bundle->nodes[0].clock == "server");
  CHECK(bundle->nodes[1].kind == "cath_lab_activation_decision");
  CHECK(bundle->nodes[1].raw_ms == kRaised + 6 * kMin);
  CHECK(bundle->nodes[1].actor == "station:dr_wang");

  // The study's event timeline names each transition.
  auto store = storage::Store::open(fx.dir.db());
  std::vector<std::string> kinds;
  for (const auto& e : store->events_for_study(fx.study_id)) kinds.push_back(e.kind);
  CHECK(kinds == std::vector<std::string>{"alert_acknowledged", "alert_confirmed",
                                          "alert_green_channel", "alert_closed"});

  // The audit rows cannot be changed.
  CHECK(
      raw_exec_error(fx.dir.db(), "UPDATE alert_transitions SET actor = 'x'").find("append-only") !=
      std::string::npos);
  CHECK(raw_exec_error(fx.dir.db(), "DELETE FROM alert_transitions").find("append-only") !=
        std::string::npos);
}

TEST_CASE("alert service: disallowed transitions throw and write nothing") {
  Fixture fx;
  AlertService service(fx.config(), fx.channels());
  service.alert_raised(fx.alert_id);
  fx.now = kRaised + kMin;
  CHECK_THROWS_AS(service.apply(fx.alert_id, AlertState::green_channel, "station:dr_li"), Error);
  CHECK_THROWS_WITH(service.apply(fx.alert_id, AlertState::rejected, "station:dr_li"),
                    Catch::Contains("reason"));
  CHECK_THROWS_WITH(service.apply(fx.alert_id + 100, AlertState::acknowledged, "station:dr_li"),
                    Catch::Contains("no alert"));
  CHECK_THROWS_AS(service.apply(fx.alert_id, AlertState::acknowledged, ""), Error);
  CHECK(service.transitions(fx.alert_id).size() == 1);
  CHECK(fx.alert_state() == "raised");

  service.apply(fx.alert_id, AlertState::rejected, "station:dr_li", "early repolarisation");
  CHECK_THROWS_AS(service.apply(fx.alert_id, AlertState::confirmed, "station:dr_li"), Error);
  CHECK(fx.alert_state() == "rejected");
  auto cases = storage::CaseStore::open(fx.dir.db());
  const auto bundle = cases->load_case(fx.case_id);
  CHECK(bundle->info.outcome == "not_stemi");
  CHECK(bundle->nodes.empty());
  const auto rows = service.transitions(fx.alert_id);
  REQUIRE(rows.size() == 2);
  CHECK(rows[1].reason == "early repolarisation");
}

TEST_CASE("alert service: no acknowledgement pages the backup at the deadline") {
  Fixture fx;
  AlertService service(fx.config(), fx.channels());
  fx.day_roster(service);
  service.alert_raised(fx.alert_id);  // primary paged at once
  CHECK(levels_and_people(service.pages(fx.alert_id)) == std::vector<std::string>{"0:dr_li"});

  fx.now = kRaised + 5 * kMin - 1;
  service.tick();
  CHECK(service.pages(fx.alert_id).size() == 1);

  fx.now = kRaised + 5 * kMin;
  service.tick();
  service.tick();  // idempotent
  const auto pages = service.pages(fx.alert_id);
  CHECK(levels_and_people(pages) == std::vector<std::string>{"0:dr_li", "1:dr_wang"});
  CHECK(pages[1].due_ms == kRaised + 5 * kMin);
  CHECK(pages[1].sent_ms == kRaised + 5 * kMin);
  CHECK(pages[1].channels == "station");
  CHECK(pages[1].webhook_status.empty());

  fx.now = kRaised + 30 * kMin;
  service.tick();
  CHECK(levels_and_people(service.pages(fx.alert_id)) ==
        std::vector<std::string>{"0:dr_li", "1:dr_wang", "2:dr_zhang"});
  // Each page reached the station once.
  const auto station = fx.station_pages();
  REQUIRE(station.size() == 3);
  CHECK(station[1].page->who == "dr_wang");
  CHECK(station[1].state == "raised");
  CHECK(station[1].alert_id == fx.alert_id);
}

TEST_CASE("alert service: an acknowledgement stops the escalation") {
  Fixture fx;
  AlertService service(fx.config(), fx.channels());
  fx.day_roster(service);
  service.alert_raised(fx.alert_id);
  fx.now = kRaised + 2 * kMin;
  service.apply(fx.alert_id, AlertState::acknowledged, "station:dr_li");
  for (const auto t : {5, 10, 20}) {
    fx.now = kRaised + t * kMin;
    service.tick();
  }
  CHECK(levels_and_people(service.pages(fx.alert_id)) == std::vector<std::string>{"0:dr_li"});
}

TEST_CASE("alert service: routine alerts are not paged and nobody on call is recorded") {
  Fixture routine("routine");
  AlertService quiet(routine.config(), routine.channels());
  routine.day_roster(quiet);
  quiet.alert_raised(routine.alert_id);
  routine.now = kRaised + 60 * kMin;
  quiet.tick();
  CHECK(quiet.pages(routine.alert_id).empty());

  Fixture empty;
  AlertService service(empty.config(), empty.channels());  // no roster at all
  service.alert_raised(empty.alert_id);
  const auto pages = service.pages(empty.alert_id);
  REQUIRE(pages.size() == 1);
  CHECK(pages[0].who.empty());
}

TEST_CASE("alert service: a restart does not page again") {
  Fixture fx;
  {
    AlertService first(fx.config(), fx.channels());
    fx.day_roster(first);
    first.alert_raised(fx.alert_id);
    fx.now = kRaised + 5 * kMin;
    first.tick();
    CHECK(first.pages(fx.alert_id).size() == 2);
  }
  const std::size_t paged_before = fx.station_pages().size();
  fx.now = kRaised + 6 * kMin;
  AlertService second(fx.config(), fx.channels());
  second.alert_raised(fx.alert_id);  // a repeated hook does not raise or page twice
  second.start();                    // the timer ticks at once, then every 10 ms
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(fx.station_pages().size() == paged_before);
  CHECK(second.pages(fx.alert_id).size() == 2);
  CHECK(second.transitions(fx.alert_id).size() == 1);

  // The next level still fires on time, from the timer thread.
  fx.now = kRaised + 10 * kMin;
  for (int i = 0; i < 200 && second.pages(fx.alert_id).size() < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  second.stop();
  CHECK(levels_and_people(second.pages(fx.alert_id)) ==
        std::vector<std::string>{"0:dr_li", "1:dr_wang", "2:dr_zhang"});
  CHECK(fx.station_pages().size() == paged_before + 1);
}

TEST_CASE("alert service: the webhook is retried on a worker thread and its result recorded") {
  gc::test::Receiver receiver({503, 200});
  Fixture fx;
  auto cfg = fx.config();
  WebhookConfig hook;
  hook.url = receiver.url();
  hook.backoff_ms = {5, 5};
  hook.timeout_ms = 2'000;
  cfg.webhook = hook;
  {
    // The on-call doctor as the users page has them: the gateway sends to this contact.
    gc::storage::UserRecord li;
    li.username = "dr_li";
    li.role = "cardiologist";
    li.display_name_zh = "李医生";
    li.contact = "13800138000";
    li.password_hash = std::vector<std::uint8_t>(32, 1);
    li.salt = std::vector<std::uint8_t>(16, 2);
    li.iterations = 310'000;
    li.created_ms = kRaised;
    gc::storage::StationStore::open(cfg.db_path)->insert_user(li, "test");
  }
  AlertService service(cfg, fx.channels());
  fx.day_roster(service);
  service.start();
  service.alert_raised(fx.alert_id);
  std::vector<AlertPageRecord> pages;
  for (int i = 0; i < 500; ++i) {
    pages = service.pages(fx.alert_id);
    if (!pages.empty() && pages[0].webhook_status != "pending") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  service.stop();
  REQUIRE(pages.size() == 1);
  CHECK(pages[0].channels == "station,webhook");
  CHECK(pages[0].webhook_status == "delivered");
  const auto bodies = receiver.bodies();
  REQUIRE(bodies.size() == 2);  // 503, then 200
  const auto body = boost::json::parse(bodies[1]).as_object();
  CHECK(body.at("alert_id").as_int64() == fx.alert_id);
  CHECK(body.at("case_id").as_int64() == fx.case_id);
  CHECK(body.at("page").as_object().at("who").as_string() == "dr_li");
  CHECK(body.at("page").as_object().at("name_zh").as_string() == "李医生");
  CHECK(body.at("page").as_object().at("contact").as_string() == "13800138000");
  // What the gateway needs, read from the stored study and its cart.
  CHECK(body.at("clinic").as_string() == "clinic A");
  CHECK(body.at("device_id").as_string() == "cart-1");
  CHECK(body.at("study_uid").as_string() == "study-1");
  CHECK(body.at("study_id").as_int64() == fx.study_id);
  CHECK(body.at("link").is_null());  // no --station-url in this configuration
  CHECK(std::string(body.at("text_zh").as_string()).find("clinic A") != std::string::npos);
  auto store = storage::AlertStore::open(fx.dir.db());
  const auto deliveries = store->deliveries(pages[0].seq);
  REQUIRE(deliveries.size() == 1);
  CHECK(deliveries[0].attempts == 2);
  CHECK(deliveries[0].status == "delivered");
}

TEST_CASE("alert service: a webhook that keeps failing is recorded as failed") {
  gc::test::Receiver receiver({500, 500, 500});
  Fixture fx;
  auto cfg = fx.config();
  WebhookConfig hook;
  hook.url = receiver.url();
  hook.backoff_ms = {1, 1};
  cfg.webhook = hook;
  AlertService service(cfg, fx.channels());
  fx.day_roster(service);
  service.start();
  service.alert_raised(fx.alert_id);
  std::vector<AlertPageRecord> pages;
  for (int i = 0; i < 500; ++i) {
    pages = service.pages(fx.alert_id);
    if (!pages.empty() && pages[0].webhook_status != "pending") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  service.stop();
  REQUIRE(pages.size() == 1);
  CHECK(pages[0].webhook_status.rfind("failed", 0) == 0);
  CHECK(receiver.bodies().size() == 3);
}

TEST_CASE("alert service: cart updates wait in the outbox until delivered, once") {
  Fixture fx;
  AlertService service(fx.config(), fx.channels());
  service.alert_raised(fx.alert_id);
  fx.now = kRaised + kMin;
  service.apply(fx.alert_id, AlertState::confirmed, "station:dr_li", "", "转运", "transfer now");
  {
    std::lock_guard lock(fx.mu);
    REQUIRE(fx.cart.size() == 2);  // the raise and the confirmation
    CHECK(fx.cart[1].device_id == "cart-1");
    CHECK(fx.cart[1].cart_outbox_id.has_value());
    const auto u = to_alert_update(fx.cart[1]);
    CHECK(u.study_uid() == "study-1");
    CHECK(u.state() == "confirmed");
    CHECK(u.actor() == "station:dr_li");
    CHECK(u.at().unix_ms() == kRaised + kMin);
    CHECK(u.at().clock() == "server");
    CHECK(u.instructions_en() == "transfer now");
    CHECK(u.case_id() == fx.case_id);
    CHECK(u.update_id() == *fx.cart[1].cart_outbox_id);
  }
  auto pending = pending_alert_updates(service, "cart-1");
  REQUIRE(pending.size() == 2);
  CHECK(pending[0].state() == "raised");
  CHECK(pending[1].state() == "confirmed");
  CHECK(pending[1].instructions_zh() == "转运");
  CHECK(pending_alert_updates(service, "cart-2").empty());

  service.cart_update_delivered(pending[0].update_id());
  service.cart_update_delivered(pending[0].update_id());  // a second report changes nothing
  pending = pending_alert_updates(service, "cart-1");
  REQUIRE(pending.size() == 1);
  CHECK(pending[0].state() == "confirmed");
  CHECK(raw_exec_error(fx.dir.db(), "UPDATE cart_outbox SET payload = x'00'").find("immutable") !=
        std::string::npos);
}

TEST_CASE("alert service: the roster is validated, versioned and read back") {
  Fixture fx;
  AlertService service(fx.config(), fx.channels());
  CHECK(service.roster_shifts().empty());
  fx.day_roster(service);
  auto shifts = service.roster_shifts();
  REQUIRE(shifts.size() == 2);
  CHECK(shifts[0].chain == std::vector<std::string>{"dr_li", "dr_wang", "dr_zhang"});
  CHECK(shifts[1].start_ms == kRaised + 3600'000);
  CHECK(service.roster().on_call(kRaised + 2 * 3600'000) ==
        std::vector<std::string>{"dr_zhao", "dr_sun"});

  CHECK_THROWS_AS(service.set_roster({{0, 100, {"a"}}, {50, 150, {"b"}}}, "cli:admin"), Error);
  CHECK_THROWS_AS(service.set_roster({{0, 100, {}}}, "cli:admin"), Error);
  CHECK(service.roster_shifts().size() == 2);  // unchanged

  service.set_roster({{0, 100, {"dr \"q\""}}}, "cli:admin");
  shifts = service.roster_shifts();
  REQUIRE(shifts.size() == 1);
  CHECK(shifts[0].chain == std::vector<std::string>{"dr \"q\""});
}
