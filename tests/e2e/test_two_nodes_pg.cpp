// Two `greenchannel serve` processes on one PostgreSQL database (issue 14), as a province runs
// them behind a load balancer: a cart given both (`--server A,B`) streams a STEMI to node A; a
// cardiologist logged in to node B's reading station sees the alert on B's WebSocket within 1 s of
// its raise on A; both nodes run escalation and the pages (levels 0 and 1) are each stored once
// and posted to the webhook once; B's confirmation reaches the cart through node A; node A is
// killed, the cart fails over to B and receives the green channel opened there; B's /healthz
// still says it can serve. A report signed on node A's station reaches B's WebSocket within 1 s.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "e2e_util.hpp"
#include "gc/alert_store.hpp"
#include "gc/station.hpp"
#include "gc/storage.hpp"
#include "gc/synth.hpp"
#include "gc/wfdb.hpp"
#include "pg_cluster.hpp"
#include "station/station_fixture.hpp"
#include "workflow/webhook_receiver.hpp"

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using gc::station::test::Client;
using gc::test::station_port;

// The reading station's live channel as the browser opens it (session cookie, same origin).
struct WsLive {
  boost::asio::io_context io;
  websocket::stream<beast::tcp_stream> ws{io};

  void connect(std::uint16_t port, const std::string& cookie) {
    beast::get_lowest_layer(ws).connect(
        boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
    const std::string origin = "http://127.0.0.1:" + std::to_string(port);
    ws.set_option(websocket::stream_base::decorator([cookie, origin](websocket::request_type& req) {
      req.set(beast::http::field::cookie, "gc_session=" + cookie);
      req.set(beast::http::field::origin, origin);
    }));
    ws.handshake("127.0.0.1:" + std::to_string(port), "/ws");
  }
  json::object read(std::chrono::seconds timeout = std::chrono::seconds(10)) {
    beast::get_lowest_layer(ws).expires_after(timeout);
    beast::flat_buffer buffer;
    ws.read(buffer);
    return json::parse(beast::buffers_to_string(buffer.data())).as_object();
  }
};

fs::path write_stemi_record(const fs::path& dir) {
  gc::synth::Spec spec;
  spec.seed = 11;
  spec.age_years = 58;
  spec.sex = 'M';
  spec.st_shift_uv = {{"V1", 150}, {"V2", 350}, {"V3", 400}, {"V4", 300}, {"V5", 150}};
  const gc::synth::Synthesized s = gc::synth::generate(spec);
  gc::wfdb::Header header;
  header.record_name = "two_nodes_stemi";
  header.sample_rate_hz = s.sample_rate_hz;
  header.n_samples = static_cast<std::int64_t>(s.samples_adu.front().size());
  header.age_years = spec.age_years;
  header.sex = spec.sex;
  for (const auto& lead : s.lead_names) {
    gc::wfdb::SignalSpec sig;
    sig.file_name = header.record_name + ".dat";
    sig.format = 16;
    sig.adc_gain_per_mv = 1000.0 / s.resolution_uv_per_lsb;
    sig.units = "mV";
    sig.description = lead;
    header.signals.push_back(sig);
  }
  gc::wfdb::write_record(dir, header.record_name, header, s.samples_adu);
  return dir / (header.record_name + ".hea");
}

}  // namespace

TEST_CASE(
    "two serve nodes on one PostgreSQL: alert on B's station within 1 s, pages once, "
    "confirmation through A, failover to B",
    "[e2e][multinode][postgresql]") {
  gc::station::test::TempDir dir;
  const std::string uri = gc::test::PgCluster::instance().create_database();
  const fs::path record = write_stemi_record(dir.path());
  gc::storage::NewDevice device;
  {
    auto store = gc::storage::Store::open(uri);
    device = store->add_device("城关镇卫生院", "cart-two-nodes");
    const auto now = gc::storage::now_unix_ms();
    gc::storage::AlertStore::open(uri)->set_roster(
        {{now - 3600'000, now + 3600'000, {"dr_li", "dr_wang"}}}, "cli:admin");
    gc::station::add_user(uri, "dr_li", gc::station::Role::cardiologist,
                          gc::station::test::kPassword, "cli:admin");
    gc::station::add_user(uri, "dr_wang", gc::station::Role::cardiologist,
                          gc::station::test::kPassword, "cli:admin");
  }
  gc::test::Receiver webhook({});
  // Escalation after 3 s without acknowledgement, so the backup's page comes within the test.
  const std::vector<std::string> common = {"--ack-critical-min", "0.05", "--alert-webhook",
                                           webhook.url()};
  auto args = [&](const std::string& node) {
    auto a = common;
    a.insert(a.end(), {"--node-id", node});
    return a;
  };
  auto node_a = std::make_unique<gc::test::ServeProcess>(fs::path(uri), "127.0.0.1:0", args("A"));
  gc::test::ServeProcess node_b(fs::path(uri), "127.0.0.1:0", args("B"));

  // dr_li on node B's reading station, live.
  Client doctor(static_cast<std::uint16_t>(station_port(node_b)));
  REQUIRE(doctor.login("dr_li").status == 200);
  WsLive live;
  live.connect(doctor.port(), doctor.cookie());
  REQUIRE(std::string(live.read().at("type").as_string()) == "hello");

  // The cart streams to A (listed first) and waits for the alert's updates.
  const std::string servers =
      "127.0.0.1:" + std::to_string(node_a->port()) + ",127.0.0.1:" + std::to_string(node_b.port());
  gc::test::CommandResult cart;
  std::thread cart_thread([&] {
    cart = gc::test::run(std::string(GC_CLI_PATH) + " cart --insecure -q --server " + servers +
                         " --device " + device.device_id + " --secret " + device.secret +
                         " --study-uid two-nodes-1 --wait-confirmation 90 " +
                         gc::test::quote(record.string()));
  });

  // B's WebSocket: the alert raised on A.
  std::int64_t alert_id = 0;
  std::int64_t study_id = 0;
  std::int64_t raised_ms = 0;
  std::int64_t seen_on_b_ms = 0;
  while (alert_id == 0) {
    const auto msg = live.read(std::chrono::seconds(60));
    if (msg.at("type").as_string() != "alert") continue;
    const auto& item = msg.at("item").as_object();
    if (item.at("state").as_string() != "raised") continue;
    seen_on_b_ms = gc::storage::now_unix_ms();
    alert_id = item.at("alert_id").as_int64();
    study_id = item.at("study_id").as_int64();
    raised_ms = item.at("raised_ms").as_int64();
    CHECK(item.at("tier").as_string() == "critical");
    CHECK(item.at("device_id").as_string() == device.device_id);
  }
  std::printf(
      "two nodes on PostgreSQL: alert raised on A at %lld, on B's WebSocket %lld ms later\n",
      static_cast<long long>(raised_ms), static_cast<long long>(seen_on_b_ms - raised_ms));
  CHECK(seen_on_b_ms - raised_ms <= 1'000);

  // Pages: the primary at once, the backup 3 s later — both nodes tick, each level once.
  auto alerts = gc::storage::AlertStore::open(uri);
  std::map<std::int64_t, int> pages_on_b;  // level → page messages on B's WebSocket
  for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
       pages_on_b.count(1) == 0 && std::chrono::steady_clock::now() < until;) {
    const auto msg = live.read(std::chrono::seconds(30));
    if (msg.at("type").as_string() == "page" && msg.at("alert_id").as_int64() == alert_id) {
      ++pages_on_b[msg.at("level").as_int64()];
    }
  }
  REQUIRE(pages_on_b.count(1) == 1);

  // B's cardiologist acknowledges and confirms with instructions for the clinic; the cart is
  // connected to A, which passes B's change on to it.
  const auto act = [&](const std::string& action, const std::string& body = {}) {
    const auto reply = doctor.post("/api/alerts/" + std::to_string(alert_id) + "/" + action, body);
    INFO(action << ": " << reply.body);
    REQUIRE(reply.status / 100 == 2);
  };
  act("acknowledge");
  act("confirm");
  bool confirm_delivered = false;
  for (int i = 0; i < 1000 && !confirm_delivered; ++i) {
    for (const auto& row : alerts->cart_updates_for_alert(alert_id)) {
      const auto t = alerts->transitions(alert_id);
      for (const auto& tr : t) {
        if (tr.seq == row.transition_seq && tr.to_state == "confirmed" && row.delivered_ms) {
          confirm_delivered = true;
        }
      }
    }
    if (!confirm_delivered) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(confirm_delivered);  // by node A: the cart had no connection to B yet

  // dr_wang, on node A's station, signs the report; dr_li's study page on B lists it at once.
  {
    Client colleague(static_cast<std::uint16_t>(station_port(*node_a)));
    REQUIRE(colleague.login("dr_wang").status == 200);
    const auto signed_at_ms = gc::storage::now_unix_ms();
    const auto reply = colleague.post("/api/studies/" + std::to_string(study_id) + "/diagnosis",
                                      R"({"basis":"confirmed","text":"急诊PCI"})");
    INFO(reply.body);
    REQUIRE(reply.status == 201);
    const auto seq = reply.json().at("event_seq").as_int64();
    std::int64_t seen_ms = 0;
    while (seen_ms == 0) {
      const auto msg = live.read(std::chrono::seconds(10));
      if (msg.at("type").as_string() == "report" && msg.at("event_seq").as_int64() == seq) {
        CHECK(msg.at("study_id").as_int64() == study_id);
        seen_ms = gc::storage::now_unix_ms();
      }
    }
    std::printf("a report signed on A reached B's WebSocket %lld ms later\n",
                static_cast<long long>(seen_ms - signed_at_ms));
    CHECK(seen_ms - signed_at_ms <= 1'000);
    // B lists it, signed by dr_wang.
    const auto listed = doctor.get("/api/studies/" + std::to_string(study_id) + "/diagnosis");
    REQUIRE(listed.status == 200);
    CHECK(listed.json().at("reports").as_array().at(0).at("signer").as_string() == "dr_wang");
  }

  // Node A dies. The cart fails over to B; B opens the green channel; the cart gets it and ends.
  node_a->kill_hard();
  node_a.reset();
  act("green_channel",
      json::serialize(json::object{{"instructions_zh", "阿司匹林300mg嚼服，转运"},
                                   {"instructions_en", "aspirin 300 mg, transfer"}}));
  cart_thread.join();
  INFO(cart.out);
  CHECK(cart.status == 0);
  std::vector<std::string> states;
  std::istringstream lines(cart.out);
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_search(line, m, std::regex(R"(^alert-update two-nodes-1 state=(\w+))"))) {
      states.push_back(m[1].str());
    }
  }
  CHECK(states == std::vector<std::string>{"raised", "acknowledged", "confirmed", "green_channel"});

  // Every page stored once per level and posted once, though both nodes ran escalation.
  std::this_thread::sleep_for(std::chrono::milliseconds(1'500));  // a duplicate would be here
  const auto pages = alerts->pages(alert_id);
  REQUIRE(pages.size() >= 2);
  std::map<std::int64_t, int> posted;  // level → webhook posts
  for (const auto& body : webhook.bodies()) {
    const auto doc = json::parse(body).as_object();
    if (doc.at("alert_id").as_int64() == alert_id) {
      ++posted[doc.at("page").as_object().at("level").as_int64()];
    }
  }
  for (const auto& p : pages) {
    INFO("level " << p.level);
    CHECK(posted[p.level] == 1);
    CHECK(pages_on_b[p.level] <= 1);
  }
  CHECK(posted.size() == pages.size());
  CHECK(node_b.alive());
  // What a load balancer asks: node B can serve (its database answers).
  const auto health = doctor.get("/healthz");
  CHECK(health.status == 200);
  CHECK(health.json().at("db").as_string() == "ok");
}
