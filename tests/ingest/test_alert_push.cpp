// Alert updates to carts: a connected cart receives the AlertUpdates of its study's alert (pushed
// after its finding); a cart that was offline receives them right after its next HelloAck, once.
// Wired as `serve` wires it: ServerConfig hooks ↔ workflow::AlertService.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <optional>
#include <thread>

#include "gc/alert_cart.hpp"
#include "gc/alert_service.hpp"
#include "gc/alert_store.hpp"
#include "gc/cart_client.hpp"
#include "gc/synth.hpp"
#include "ingest/ingest_test_util.hpp"

using namespace gc::test;
using gc::ingest::CartClient;
using gc::ingest::CartConfig;
using gc::ingest::CartStudy;
using gc::workflow::AlertService;
using gc::workflow::AlertState;

namespace {

// Store + ingest server + alert service on one database, the server on a background thread.
class AlertHarness {
 public:
  explicit AlertHarness(gc::storage::test::Backend backend)
      : dir_(unique_temp_dir("gc-alert-push")) {
    if (backend == gc::storage::test::Backend::postgresql) pg_db_.emplace(backend);
    store_ = gc::storage::Store::open(db());
    gc::workflow::AlertServiceConfig alert_config;
    alert_config.db_path = db();
    gc::workflow::AlertChannels channels;
    channels.to_cart = [this](const gc::workflow::AlertChange& change) {
      return server_->push_alert_update(change.device_id, gc::workflow::to_alert_update(change));
    };
    alerts_ = std::make_unique<AlertService>(alert_config, channels);

    gc::ingest::ServerConfig config;
    config.on_alert_raised = [this](gc::storage::Store&, const gc::storage::AlertRecord&,
                                    std::int64_t alert_id) { alerts_->alert_raised(alert_id); };
    config.pending_alert_updates = [this](const std::string& device_id) {
      return gc::workflow::pending_alert_updates(*alerts_, device_id);
    };
    config.alert_update_delivered = [this](std::int64_t id) { alerts_->cart_update_delivered(id); };
    server_ = std::make_unique<gc::ingest::Server>(io_, config, *store_);
    server_->start();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~AlertHarness() {
    server_->stop();
    thread_.join();
    server_->finish();
    server_.reset();
    alerts_.reset();
    store_.reset();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  // The SQLite file, or the PostgreSQL URI of a fresh database in the test cluster.
  fs::path db() const { return pg_db_ ? pg_db_->location() : dir_ / "test.db"; }
  gc::storage::Store& store() { return *store_; }
  gc::ingest::Server& server() { return *server_; }
  AlertService& alerts() { return *alerts_; }

  std::int64_t alert_of(const std::string& device_id, const std::string& uid) {
    const auto study = store_->find_study(device_id, uid);
    REQUIRE(study);
    const auto alerts = store_->alerts_for_study(study->study_id);
    REQUIRE(alerts.size() == 1);
    return alerts[0].alert_id;
  }
  // Waits (bounded) until every outbox row of the alert is marked delivered.
  bool all_delivered(std::int64_t alert_id) {
    auto outbox = gc::storage::AlertStore::open(db());
    for (int i = 0; i < 300; ++i) {
      const auto rows = outbox->cart_updates_for_alert(alert_id);
      if (!rows.empty() &&
          std::all_of(rows.begin(), rows.end(), [](const auto& r) { return r.delivered_ms; })) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  // Waits (bounded) until the server has no open session.
  bool sessions_closed() {
    for (int i = 0; i < 300; ++i) {
      if (server_->stats().sessions_open == 0) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

 private:
  fs::path dir_;
  std::optional<gc::storage::test::TestDb> pg_db_;
  std::unique_ptr<gc::storage::Store> store_;
  asio::io_context io_;
  std::unique_ptr<AlertService> alerts_;
  std::unique_ptr<gc::ingest::Server> server_;
  std::thread thread_;
};

CartStudy synthetic_study(const std::string& uid) {
  gc::synth::Spec spec;
  spec.seed = 7;
  spec.st_shift_uv = {{"II", 250}, {"III", 300}, {"aVF", 250}};
  return cart_study(uid, spec);
}

CartConfig cart_config(std::uint16_t port, const gc::storage::NewDevice& device) {
  CartConfig config;
  config.port = port;
  config.device_id = device.device_id;
  config.secret = device.secret;
  config.io_timeout = std::chrono::milliseconds(5000);
  config.reconnect_backoff = std::chrono::milliseconds(20);
  return config;
}

constexpr std::chrono::milliseconds kWait{5000};

}  // namespace

TEST_CASE(
    "a connected cart receives the AlertUpdates of its alert after its finding (SQLite, "
    "PostgreSQL)") {
  const auto backend = GC_BACKENDS;
  INFO(gc::storage::test::backend_name(backend));
  AlertHarness h(backend);
  const auto device = h.store().add_device("clinic", "cart-live");
  CartClient cart(cart_config(h.server().port(), device));
  const auto result = cart.send_study(synthetic_study("live-1"));
  REQUIRE(result.complete);
  REQUIRE(result.finding);
  const std::int64_t alert_id = h.alert_of(device.device_id, "live-1");

  const auto raised = cart.wait_alert_update("live-1", kWait);
  REQUIRE(raised);
  CHECK(raised->state() == "raised");
  CHECK(raised->alert_id() == alert_id);
  CHECK(raised->tier() == result.finding->tier());

  h.alerts().apply(alert_id, AlertState::confirmed, "station:dr_li", "", "立即转运行急诊PCI",
                   "transfer now for primary PCI");
  const auto confirmed = cart.wait_alert_update("live-1", kWait);
  REQUIRE(confirmed);
  CHECK(confirmed->state() == "confirmed");
  CHECK(confirmed->actor() == "station:dr_li");
  CHECK(confirmed->instructions_en() == "transfer now for primary PCI");
  CHECK(confirmed->instructions_zh() == "立即转运行急诊PCI");
  CHECK(confirmed->at().clock() == "server");
  CHECK(confirmed->update_id() > raised->update_id());

  h.alerts().apply(alert_id, AlertState::green_channel, "station:dr_li");
  const auto open = cart.wait_alert_update(
      "live-1", kWait, [](const auto& u) { return u.state() == "green_channel"; });
  REQUIRE(open);
  CHECK(h.all_delivered(alert_id));
  CHECK_FALSE(cart.wait_alert_update("live-1", std::chrono::milliseconds(200)));
}

TEST_CASE(
    "an offline cart receives its AlertUpdate after reconnecting, exactly once (SQLite, "
    "PostgreSQL)") {
  const auto backend = GC_BACKENDS;
  INFO(gc::storage::test::backend_name(backend));
  AlertHarness h(backend);
  const auto device = h.store().add_device("clinic", "cart-offline");
  std::int64_t alert_id = 0;
  {
    CartClient cart(cart_config(h.server().port(), device));
    REQUIRE(cart.send_study(synthetic_study("off-1")).complete);
    alert_id = h.alert_of(device.device_id, "off-1");
    REQUIRE(cart.wait_alert_update("off-1", kWait));  // the raise
    REQUIRE(h.all_delivered(alert_id));
    cart.close();
  }
  REQUIRE(h.sessions_closed());

  h.alerts().apply(alert_id, AlertState::rejected, "station:dr_wang", "early repolarisation");
  REQUIRE(gc::workflow::pending_alert_updates(h.alerts(), device.device_id).size() == 1);

  {
    CartClient cart(cart_config(h.server().port(), device));  // connects and says hello
    const auto update = cart.wait_alert_update("off-1", kWait);
    REQUIRE(update);
    CHECK(update->state() == "rejected");
    CHECK(update->reason() == "early repolarisation");
    CHECK(update->actor() == "station:dr_wang");
    CHECK_FALSE(cart.wait_alert_update("off-1", std::chrono::milliseconds(300)));
    CHECK(h.all_delivered(alert_id));
    cart.close();
  }
  REQUIRE(h.sessions_closed());
  CHECK(gc::workflow::pending_alert_updates(h.alerts(), device.device_id).empty());
  CartClient again(cart_config(h.server().port(), device));
  CHECK_FALSE(again.wait_alert_update("off-1", std::chrono::milliseconds(300)));
  CHECK(again.take_alert_updates().empty());
}
