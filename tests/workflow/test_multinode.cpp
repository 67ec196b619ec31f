// Several nodes on one database (issue 14), on SQLite (two services on one file, as two processes
// would be) and on PostgreSQL: a transition or page stored by node A reaches node B's station
// and the cart connected to B within a second, each change once per node; escalation pages each
// level once although every node ticks, and each webhook is posted once; a page whose claiming
// node died is posted by another node when the claim's lease runs out; a case's new time node
// reaches the other node's case feed.
#include <atomic>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <thread>

#include "gc/alert_cart.hpp"
#include "gc/alert_service.hpp"
#include "gc/alert_store.hpp"
#include "gc/case_feed.hpp"
#include "gc/case_store.hpp"
#include "gc/storage.hpp"
#include "storage/storage_test_util.hpp"
#include "webhook_receiver.hpp"

using namespace gc::workflow;
namespace storage = gc::storage;
using storage::test::Backend;
using storage::test::backend_name;
using storage::test::TestDb;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::int64_t kMin = 60'000;

// What one node's channels received, with when.
struct Node {
  std::mutex mu;
  std::vector<std::pair<AlertChange, Clock::time_point>> station;
  std::vector<AlertChange> cart;
  bool cart_connected = false;

  AlertChannels channels() {
    AlertChannels ch;
    ch.to_station = [this](const AlertChange& c) {
      std::lock_guard lock(mu);
      station.emplace_back(c, Clock::now());
    };
    ch.to_cart = [this](const AlertChange& c) {
      std::lock_guard lock(mu);
      if (!cart_connected) return false;
      cart.push_back(c);
      return true;
    };
    return ch;
  }
  // When the station got the transition to `state` (nullopt: not yet).
  std::optional<Clock::time_point> saw(const std::string& state) {
    std::lock_guard lock(mu);
    for (const auto& [c, at] : station) {
      if (!c.page && c.transition.to_state == state) return at;
    }
    return std::nullopt;
  }
  std::map<std::int64_t, int> transition_counts() {
    std::lock_guard lock(mu);
    std::map<std::int64_t, int> n;
    for (const auto& [c, at] : station) {
      if (!c.page) ++n[c.transition.seq];
    }
    return n;
  }
  std::map<std::int64_t, int> page_counts() {
    std::lock_guard lock(mu);
    std::map<std::int64_t, int> n;
    for (const auto& [c, at] : station) {
      if (c.page) ++n[c.page->seq];
    }
    return n;
  }
};

struct Alerted {
  std::int64_t alert_id = 0;
  std::int64_t case_id = 0;
};

// One cart, one study in a case, one critical alert raised at raised_ms.
Alerted one_alert(const std::filesystem::path& location, UnixMs raised_ms) {
  auto store = storage::Store::open(location);
  store->add_device("clinic A", "cart-1");
  const auto study = store->begin_study(storage::test::make_header("cart-1", "study-1")).study_id;
  storage::AlertRecord a;
  a.study_id = study;
  a.tier = "critical";
  a.category = "stemi";
  a.summary_en = "Inferior STEMI";
  a.summary_zh = "下壁STEMI";
  a.raised_ms = raised_ms;
  Alerted out;
  out.alert_id = store->raise_alert(a);
  auto cases = storage::CaseStore::open(location);
  storage::CaseRecord c;
  c.patient_id = "p-1";
  c.device_id = "cart-1";
  c.clinic = "clinic A";
  c.opened_ms = raised_ms - 10 * kMin;
  out.case_id = cases->open_case(c).case_id;
  cases->link_study(out.case_id, study);
  return out;
}

template <typename Pred>
bool wait_for(Pred pred, std::chrono::milliseconds limit = std::chrono::milliseconds(5'000)) {
  const auto end = Clock::now() + limit;
  while (Clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return pred();
}

std::int64_t ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(b - a).count();
}

}  // namespace

TEST_CASE("two nodes: changes stored on one reach the other's station and cart within 1 s",
          "[workflow][multinode]") {
  const auto backend = GC_BACKENDS;
  INFO(backend_name(backend));
  TestDb db(backend);
  const UnixMs raised = storage::now_unix_ms();
  const auto alert = one_alert(db.location(), raised);

  Node a;
  Node b;
  b.cart_connected = true;  // the cart is connected to node B
  AlertServiceConfig cfg;
  cfg.db_path = db.location();
  cfg.follow_interval = std::chrono::milliseconds(250);  // serve's default
  AlertServiceConfig cfg_a = cfg;
  cfg_a.node_id = "node-a";
  AlertServiceConfig cfg_b = cfg;
  cfg_b.node_id = "node-b";
  AlertService node_a(cfg_a, a.channels());
  AlertService node_b(cfg_b, b.channels());
  node_a.set_roster({{raised - 3600'000, raised + 3600'000, {"dr_li", "dr_wang"}}}, "cli:admin");
  node_a.start();
  node_b.start();

  // Ingest on node A raised the alert: A's station at once, B's within a second; the primary's
  // page likewise.
  const auto raised_at = Clock::now();
  node_a.alert_raised(alert.alert_id);
  REQUIRE(wait_for([&] { return b.saw("raised").has_value(); }));
  CHECK(ms_between(raised_at, *b.saw("raised")) <= 1'000);
  REQUIRE(wait_for([&] { return b.page_counts().size() == 1; }));
  // The raise's AlertUpdate went to the cart on B (A has no connection to it).
  REQUIRE(wait_for([&] {
    std::lock_guard lock(b.mu);
    return !b.cart.empty();
  }));
  {
    std::lock_guard lock(b.mu);
    CHECK(b.cart[0].state == "raised");
    CHECK(b.cart[0].cart_outbox_id.has_value());
    CHECK(b.cart[0].case_id == std::optional<std::int64_t>(alert.case_id));
  }

  // A cardiologist on node B confirms with instructions: node A's station sees it within 1 s.
  const auto acked_at = Clock::now();
  node_b.apply(alert.alert_id, AlertState::acknowledged, "station:dr_li");
  node_b.apply(alert.alert_id, AlertState::confirmed, "station:dr_li", "", "阿司匹林300mg",
               "aspirin");
  REQUIRE(wait_for([&] { return a.saw("confirmed").has_value(); }));
  // The figures the README quotes (ctest -R 'two nodes: changes' -V).
  std::printf(
      "[%s] node A raise -> node B station %lld ms; node B confirm -> node A station %lld ms\n",
      backend_name(backend), static_cast<long long>(ms_between(raised_at, *b.saw("raised"))),
      static_cast<long long>(ms_between(acked_at, *a.saw("confirmed"))));
  CHECK(ms_between(acked_at, *a.saw("acknowledged")) <= 1'000);
  CHECK(ms_between(acked_at, *a.saw("confirmed")) <= 1'000);
  {
    std::lock_guard lock(a.mu);
    for (const auto& [c, at] : a.station) {
      if (!c.page && c.transition.to_state == "confirmed") {
        CHECK(c.alert_id == alert.alert_id);
        CHECK(c.state == "confirmed");
        CHECK(c.transition.actor == "station:dr_li");
        CHECK(c.instructions_zh == "阿司匹林300mg");  // read back from the cart update
      }
    }
  }

  // Give the followers a few more rounds, then: every change reached each station exactly once
  // (a node never repeats its own changes), and nothing was paged twice.
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  node_a.stop();
  node_b.stop();
  const auto stored = node_a.transitions(alert.alert_id);
  REQUIRE(stored.size() == 3);  // raised, acknowledged, confirmed
  for (Node* n : {&a, &b}) {
    const auto counts = n->transition_counts();
    CHECK(counts.size() == 3);
    for (const auto& t : stored) CHECK(counts.at(t.seq) == 1);
    const auto pages = n->page_counts();
    CHECK(pages.size() == 1);
    for (const auto& [seq, count] : pages) CHECK(count == 1);
  }
  CHECK(node_a.pages(alert.alert_id).size() == 1);
  {
    std::lock_guard lock(a.mu);
    CHECK(a.cart.empty());  // the cart is not on A
  }
}

TEST_CASE("two nodes ticking: each level paged once, each webhook posted once",
          "[workflow][multinode]") {
  const auto backend = GC_BACKENDS;
  INFO(backend_name(backend));
  TestDb db(backend);
  const UnixMs raised = 1778573100000;
  const auto alert = one_alert(db.location(), raised);
  gc::test::Receiver receiver({});
  std::atomic<UnixMs> now{raised};

  AlertServiceConfig cfg;
  cfg.db_path = db.location();
  cfg.clock = [&] { return now.load(); };
  cfg.tick = std::chrono::milliseconds(10);
  cfg.follow_interval = std::chrono::milliseconds(20);
  WebhookConfig hook;
  hook.url = receiver.url();
  hook.backoff_ms = {5};
  hook.timeout_ms = 2'000;
  cfg.webhook = hook;
  Node a;
  Node b;
  AlertServiceConfig cfg_a = cfg;
  cfg_a.node_id = "node-a";
  AlertServiceConfig cfg_b = cfg;
  cfg_b.node_id = "node-b";
  AlertService node_a(cfg_a, a.channels());
  AlertService node_b(cfg_b, b.channels());
  node_a.set_roster({{raised - 3600'000, raised + 3600'000, {"dr_li", "dr_wang", "dr_zhang"}}},
                    "cli:admin");
  node_a.start();
  node_b.start();
  node_a.alert_raised(alert.alert_id);
  // Nobody acknowledges: both nodes tick through the backup's and the third's deadlines.
  for (const UnixMs t : {raised + 5 * kMin, raised + 30 * kMin}) {
    now = t;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  REQUIRE(wait_for([&] { return receiver.bodies().size() >= 3; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // a duplicate would come now
  node_a.stop();
  node_b.stop();

  const auto pages = node_a.pages(alert.alert_id);
  REQUIRE(pages.size() == 3);
  std::map<std::string, int> posted;
  for (const auto& body : receiver.bodies()) {
    ++posted[std::string(boost::json::parse(body).at("page").at("who").as_string())];
  }
  CHECK(posted == std::map<std::string, int>{{"dr_li", 1}, {"dr_wang", 1}, {"dr_zhang", 1}});
  auto store = storage::AlertStore::open(db.location());
  for (const auto& p : pages) {
    INFO("level " << p.level);
    CHECK(p.webhook_status == "delivered");
    CHECK(store->deliveries(p.seq).size() == 1);
  }
  // Each station heard of each page once, whichever node paged it.
  for (Node* n : {&a, &b}) {
    const auto counts = n->page_counts();
    CHECK(counts.size() == 3);
    for (const auto& [seq, count] : counts) CHECK(count == 1);
  }
}

TEST_CASE("a page whose node died before posting it is posted by another node after the lease",
          "[workflow][multinode]") {
  const auto backend = GC_BACKENDS;
  INFO(backend_name(backend));
  TestDb db(backend);
  const UnixMs raised = 1778573100000;
  const auto alert = one_alert(db.location(), raised);
  gc::test::Receiver receiver({});
  std::atomic<UnixMs> now{raised};

  // Node "dead" recorded the primary's page and claimed its webhook for 1.5 s, then died.
  // (Leases run on the system clock; the escalation clock here is injected.)
  auto store = storage::AlertStore::open(db.location());
  const auto page_seq = store->record_page(
      {0, alert.alert_id, 0, "dr_li", "raised", raised, raised, "station,webhook", "pending"});
  REQUIRE(page_seq);
  const UnixMs claimed = storage::now_unix_ms();
  REQUIRE(store->claim_page_webhook(*page_seq, "dead", claimed, claimed + 1'500));
  // While its lease runs, nobody else may take it.
  CHECK_FALSE(store->claim_page_webhook(*page_seq, "other", claimed + 100, claimed + 10'000));

  AlertServiceConfig cfg;
  cfg.db_path = db.location();
  cfg.clock = [&] { return now.load(); };
  cfg.tick = std::chrono::milliseconds(10);
  cfg.node_id = "node-b";
  WebhookConfig hook;
  hook.url = receiver.url();
  hook.backoff_ms = {5};
  cfg.webhook = hook;
  Node b;
  AlertService node_b(cfg, b.channels());
  node_b.set_roster({{raised - 3600'000, raised + 3600'000, {"dr_li", "dr_wang"}}}, "cli:admin");
  now = raised + 10'000;  // the backup is not due yet
  node_b.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  if (storage::now_unix_ms() < claimed + 1'400) {
    CHECK(receiver.bodies().empty());  // the dead node's lease still runs
  }

  // The lease runs out: node B takes the page over and posts it, once.
  REQUIRE(wait_for([&] { return receiver.bodies().size() == 1; }));
  REQUIRE(wait_for([&] { return store->deliveries(*page_seq).size() == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  node_b.stop();
  CHECK(receiver.bodies().size() == 1);
  CHECK(store->deliveries(*page_seq).at(0).status == "delivered");
  // Delivered: no node can claim it any more.
  const UnixMs late = storage::now_unix_ms() + 99'000'000;
  CHECK_FALSE(store->claim_page_webhook(*page_seq, "late", late, late + 1'000));
}

TEST_CASE("two nodes: a time node recorded through one reaches the other's case feed within 1 s",
          "[workflow][multinode]") {
  const auto backend = GC_BACKENDS;
  INFO(backend_name(backend));
  TestDb db(backend);
  const auto alert = one_alert(db.location(), storage::now_unix_ms());
  std::mutex mu;
  std::vector<std::pair<std::int64_t, Clock::time_point>> seen;
  CaseFeed feed(db.location(), std::chrono::milliseconds(250), [&](std::int64_t case_id) {
    std::lock_guard lock(mu);
    seen.emplace_back(case_id, Clock::now());
  });
  feed.start();
  // Node A (its own CaseStore) records a door-in and a transfer flag.
  auto node_a = storage::CaseStore::open(db.location(), "node-a");
  const auto at = Clock::now();
  const UnixMs now = storage::now_unix_ms();
  node_a->append_node({0, alert.case_id, "door_in", now, std::nullopt, "station", "station:dr_li",
                       "server", now, std::nullopt, ""});
  node_a->append_flag({0, alert.case_id, "transfer", true, "station", "station:dr_li", now});
  REQUIRE(wait_for([&] {
    std::lock_guard lock(mu);
    return !seen.empty();
  }));
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  feed.stop();
  std::lock_guard lock(mu);
  CHECK(seen.front().first == alert.case_id);
  CHECK(ms_between(at, seen.front().second) <= 1'000);
  // Both rows came in one round or two: the case is named at most twice, never for old rows.
  CHECK(seen.size() <= 2);
  for (const auto& [case_id, when] : seen) CHECK(case_id == alert.case_id);
}

TEST_CASE("two nodes: a report signed through one reaches the other's feed within 1 s, once",
          "[workflow][multinode]") {
  const auto backend = GC_BACKENDS;
  INFO(backend_name(backend));
  TestDb db(backend);
  one_alert(db.location(), storage::now_unix_ms());
  auto node_a = storage::Store::open(db.location());
  const auto study = node_a->find_study("cart-1", "study-1");
  REQUIRE(study);
  // A report signed before the feed starts is not passed on (the page fetched it when it opened).
  storage::EventRecord old_report;
  old_report.study_id = study->study_id;
  old_report.kind = "diagnosis";
  old_report.at = storage::Stamp{storage::now_unix_ms(), "station:dr_wang", "server"};
  old_report.detail_json = R"({"text":"earlier"})";
  node_a->append_event(old_report);

  std::mutex mu;
  std::vector<std::pair<std::int64_t, std::int64_t>> reports;  // (study, seq)
  std::vector<Clock::time_point> when;
  std::vector<std::int64_t> cases;
  CaseFeed feed(
      db.location(), std::chrono::milliseconds(250),
      [&](std::int64_t case_id) {
        std::lock_guard lock(mu);
        cases.push_back(case_id);
      },
      {},
      [&](std::int64_t study_id, std::int64_t seq) {
        std::lock_guard lock(mu);
        reports.emplace_back(study_id, seq);
        when.push_back(Clock::now());
      });
  feed.start();
  // Node A stores an event of another kind, then dr_li's signed report.
  storage::EventRecord other;
  other.study_id = study->study_id;
  other.kind = "analysis_done";
  other.at = storage::Stamp{storage::now_unix_ms(), "server", "server"};
  node_a->append_event(other);
  const auto at = Clock::now();
  storage::EventRecord signed_report = old_report;
  signed_report.at = storage::Stamp{storage::now_unix_ms(), "station:dr_li", "server"};
  signed_report.detail_json = R"({"text":"anterior STEMI confirmed"})";
  const auto seq = node_a->append_event(signed_report);
  REQUIRE(wait_for([&] {
    std::lock_guard lock(mu);
    return !reports.empty();
  }));
  std::this_thread::sleep_for(std::chrono::milliseconds(700));  // a repeat would be here
  feed.stop();
  std::lock_guard lock(mu);
  REQUIRE(reports.size() == 1);
  CHECK(reports[0] == std::make_pair(study->study_id, seq));
  CHECK(ms_between(at, when[0]) <= 1'000);
  CHECK(cases.empty());  // no case timeline row was written
}

TEST_CASE("an alert stored by a node that died before recording its raise is raised by another",
          "[workflow][multinode]") {
  const auto backend = GC_BACKENDS;
  INFO(backend_name(backend));
  TestDb db(backend);
  std::atomic<UnixMs> now{storage::now_unix_ms()};
  // Ingest on the dead node stored the alert; its alert service never ran.
  const auto alert = one_alert(db.location(), now.load());

  AlertServiceConfig cfg;
  cfg.db_path = db.location();
  cfg.clock = [&] { return now.load(); };
  cfg.tick = std::chrono::milliseconds(10);
  Node a;
  Node b;
  b.cart_connected = true;
  AlertServiceConfig cfg_a = cfg;
  cfg_a.node_id = "node-a";
  AlertServiceConfig cfg_b = cfg;
  cfg_b.node_id = "node-b";
  AlertService node_a(cfg_a, a.channels());
  AlertService node_b(cfg_b, b.channels());
  node_a.set_roster({{now - 3600'000, now + 3600'000, {"dr_li", "dr_wang"}}}, "cli:admin");
  node_a.start();
  node_b.start();
  // Within the grace the storing node's own hook may still come: nobody adopts it.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(node_a.transitions(alert.alert_id).empty());
  CHECK(node_a.pages(alert.alert_id).size() == 1);  // paged all the same (critical)

  now = now + 6'000;  // past the grace: both nodes' ticks find it
  REQUIRE(wait_for([&] { return a.saw("raised") && b.saw("raised"); }));
  REQUIRE(wait_for([&] {
    std::lock_guard lock(b.mu);
    return !b.cart.empty();
  }));
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  node_a.stop();
  node_b.stop();
  const auto transitions = node_a.transitions(alert.alert_id);
  REQUIRE(transitions.size() == 1);  // one raise, though both nodes looked
  CHECK(transitions[0].to_state == "raised");
  for (Node* n : {&a, &b}) CHECK(n->transition_counts().at(transitions[0].seq) == 1);
  std::lock_guard lock(b.mu);
  CHECK(b.cart.size() == 1);
  CHECK(b.cart[0].state == "raised");
}
