// Analyses, alerts and the append-only timeline / audit tables.
#include <catch2/catch.hpp>
#include <atomic>
#include <chrono>
#include <optional>
#include <thread>

#include "storage_test_util.hpp"

using namespace gc::storage;
using Catch::Matchers::Contains;
using gc::storage::test::backend_name;
using gc::storage::test::make_header;
using gc::storage::test::TestDb;

namespace {

// Executes SQL on a separate connection; returns the database's error message, or "" on success.
std::string raw_exec(const TestDb& db, const std::string& sql) {
  try {
    db.raw()->exec(sql);
    return "";
  } catch (const Error& e) {
    return e.what();
  }
}

}  // namespace

TEST_CASE("events: appended, read back in order, corrections append", "[storage][events]") {
  const auto backend = GC_BACKENDS;
  INFO(backend_name(backend));
  TestDb db(backend);
  auto store = Store::open(db.location());
  const auto dev = store->add_device("Clinic A").device_id;
  const auto study = store->begin_study(make_header(dev, "e-1")).study_id;

  EventRecord fmc;
  fmc.study_id = study;
  fmc.kind = "fmc";
  fmc.at = Stamp{1'778'573'100'000, "cart", "cart"};
  fmc.corrected_unix_ms = 1'778'573'102'500;
  fmc.actor = dev;
  fmc.detail_json = R"({"offset_ms":2500})";
  const auto before_ms = now_unix_ms();
  const auto seq1 = store->append_event(fmc);

  EventRecord fix = fmc;
  fix.at = Stamp{1'778'573'040'000, "station:dr.wang", "server"};
  fix.corrected_unix_ms.reset();
  fix.actor = "dr.wang";
  fix.corrects_seq = seq1;
  fix.detail_json.clear();
  const auto seq2 = store->append_event(fix);
  CHECK(seq2 > seq1);

  EventRecord global;  // not tied to a study
  global.kind = "server_start";
  global.at = Stamp{now_unix_ms(), "server", "server"};
  store->append_event(global);

  const auto events = store->events_for_study(study);
  REQUIRE(events.size() == 2);
  CHECK(events[0].seq == seq1);
  CHECK(events[0].kind == "fmc");
  CHECK(events[0].at.unix_ms == 1'778'573'100'000);
  CHECK(events[0].at.clock == "cart");
  CHECK(events[0].corrected_unix_ms == std::optional<UnixMs>(1'778'573'102'500));
  CHECK(events[0].detail_json == R"({"offset_ms":2500})");
  CHECK(events[0].recorded_ms >= before_ms);
  CHECK(events[1].corrects_seq == std::optional<std::int64_t>(seq1));
  CHECK(events[1].detail_json == "{}");
  CHECK(events[1].actor == "dr.wang");
  CHECK(store->events_after(seq1, 10).size() == 2);
  CHECK(store->events_after(0, 1).size() == 1);

  EventRecord bad = fmc;
  bad.detail_json = "{not json";
  CHECK_THROWS_AS(store->append_event(bad), Error);
  bad = fmc;
  bad.corrects_seq = 999999;  // must name an existing event
  CHECK_THROWS_AS(store->append_event(bad), Error);
}

TEST_CASE("events, audit log and stored chunks cannot be updated or deleted", "[storage][events]") {
  const auto backend = GC_BACKENDS;
  INFO(backend_name(backend));
  TestDb db(backend);
  {
    auto store = Store::open(db.location());
    const auto dev = store->add_device("Clinic A").device_id;
    const auto study = store->begin_study(make_header(dev, "e-2")).study_id;
    store->append_chunk(study, gc::storage::test::make_chunk(0, 3, 10));
    EventRecord e;
    e.study_id = study;
    e.kind = "ecg_received";
    e.at = Stamp{now_unix_ms(), "server", "server"};
    store->append_event(e);
  }
  CHECK_THAT(raw_exec(db, "UPDATE events SET kind = 'x'"), Contains("events are append-only"));
  CHECK_THAT(raw_exec(db, "DELETE FROM events"), Contains("events are append-only"));
  CHECK_THAT(raw_exec(db, "UPDATE audit_log SET actor = 'x'"),
             Contains("audit_log is append-only"));
  CHECK_THAT(raw_exec(db, "DELETE FROM audit_log"), Contains("audit_log is append-only"));
  CHECK_THAT(raw_exec(db, "UPDATE chunks SET samples = samples"), Contains("chunks are immutable"));
  CHECK_THAT(raw_exec(db, "DELETE FROM chunks"), Contains("chunks are immutable"));
  if (backend == gc::storage::test::Backend::postgresql) {
    // PostgreSQL's TRUNCATE skips row triggers: refused by statement triggers.
    CHECK_THAT(raw_exec(db, "TRUNCATE events"), Contains("events are append-only"));
    CHECK_THAT(raw_exec(db, "TRUNCATE chunks"), Contains("chunks are immutable"));
    CHECK_THAT(raw_exec(db, "TRUNCATE audit_log"), Contains("audit_log is append-only"));
  }
  auto store = Store::open(db.location());
  CHECK(store->events_after(0, 10).size() == 1);
}

TEST_CASE("analyses and alerts", "[storage][events]") {
  const auto backend = GC_BACKENDS;
  INFO(backend_name(backend));
  TestDb db(backend);
  auto store = Store::open(db.location());
  const auto dev = store->add_device("Clinic A").device_id;
  const auto study = store->begin_study(make_header(dev, "a-1")).study_id;
  CHECK_FALSE(store->analysis_json(study).has_value());
  store->save_analysis(study, "normal", "routine", R"({"v":1})");
  store->save_analysis(study, "stemi", "critical", R"({"v":2})");
  CHECK(store->analysis_json(study) == std::optional<std::string>(R"({"v":2})"));
  CHECK_THROWS_AS(store->save_analysis(study + 100, "stemi", "critical", "{}"), Error);

  AlertRecord a;
  a.study_id = study;
  a.tier = "critical";
  a.category = "stemi";
  a.summary_en = "Acute anterior STEMI";
  a.summary_zh = "急性前壁ST段抬高型心肌梗死";
  const auto before_ms = now_unix_ms();
  const auto alert_id = store->raise_alert(a);
  const auto alerts = store->alerts_for_study(study);
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0].alert_id == alert_id);
  CHECK(alerts[0].state == "raised");
  CHECK(alerts[0].raised_ms >= before_ms);
  CHECK(alerts[0].summary_zh == a.summary_zh);
}

TEST_CASE("two nodes analysing one study raise one alert between them", "[storage][events]") {
  // After a failover both nodes may analyse the same study; each stores its read in a write
  // batch. raise_alert_once decides between them, also while the first batch is still open.
  const auto backend = GC_BACKENDS;
  INFO(backend_name(backend));
  TestDb db(backend);
  auto node_a = Store::open(db.location());
  auto node_b = Store::open(db.location());
  const auto dev = node_a->add_device("Clinic A").device_id;

  AlertRecord a;
  a.tier = "critical";
  a.category = "stemi";
  a.summary_en = "Acute anterior STEMI";
  a.summary_zh = "急性前壁ST段抬高型心肌梗死";

  {
    // A's batch has raised the alert and not committed yet when B tries.
    a.study_id = node_a->begin_study(make_header(dev, "held")).study_id;
    std::atomic<bool> raised_in_a{false};
    std::optional<std::int64_t> from_a;
    std::optional<std::int64_t> from_b;
    std::thread t_a([&] {
      node_a->write_batch([&] {
        from_a = node_a->raise_alert_once(a);
        raised_in_a = true;
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
      });
    });
    while (!raised_in_a) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    node_b->write_batch([&] { from_b = node_b->raise_alert_once(a); });
    t_a.join();
    CHECK(from_a.has_value());
    CHECK_FALSE(from_b.has_value());
    const auto alerts = node_b->alerts_for_study(a.study_id);
    REQUIRE(alerts.size() == 1);
    CHECK(alerts[0].alert_id == *from_a);
  }
  for (int round = 0; round < 20; ++round) {
    // Both at once, no head start.
    a.study_id = node_a->begin_study(make_header(dev, "race-" + std::to_string(round))).study_id;
    std::optional<std::int64_t> from_a;
    std::optional<std::int64_t> from_b;
    std::thread t_a([&] { node_a->write_batch([&] { from_a = node_a->raise_alert_once(a); }); });
    node_b->write_batch([&] { from_b = node_b->raise_alert_once(a); });
    t_a.join();
    INFO("round " << round);
    CHECK(from_a.has_value() != from_b.has_value());
    CHECK(node_a->alerts_for_study(a.study_id).size() == 1);
  }
  // A study that already has an alert (from raise_alert or an earlier analysis) gets no second.
  CHECK_FALSE(node_a->raise_alert_once(a).has_value());
  a.study_id += 1000;
  CHECK_THROWS_AS(node_a->raise_alert_once(a), Error);
}
