// Issue 14's fault bar as the issue states it, with the station and escalation watched during the
// kills: two `serve` nodes on one PostgreSQL database; three carts given both (`--server A,B`)
// stream 12-lead STEMIs in real time, each on a new connection (A first); node A is SIGKILLed ten
// times at random moments and restarted on its port while a cardiologist is logged in on node B's
// reading station. Afterwards every study is complete, bit for bit, each with one critical alert;
// B's WebSocket showed every alert within 1 s of its raise being recorded (by A, by B, or — when A
// died between storing an alert and recording its raise — by the node that adopted it); no one
// acknowledged, so each alert paged the primary and then the roster's backup, each level stored
// once and posted to the webhook, although both nodes run escalation and A kept dying.
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <random>
#include <regex>
#include <set>
#include <thread>

#include "e2e_util.hpp"
#include "gc/alert_store.hpp"
#include "gc/cart_client.hpp"
#include "gc/station.hpp"
#include "gc/storage.hpp"
#include "gc/synth.hpp"
#include "pg_cluster.hpp"
#include "station/station_fixture.hpp"
#include "streaming_carts.hpp"
#include "workflow/webhook_receiver.hpp"

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using gc::station::test::Client;
using gc::test::ServeProcess;
using gc::test::station_port;
using Clock = std::chrono::steady_clock;

// What B's WebSocket showed: when each alert first appeared as raised, and the pages per level.
struct Seen {
  std::mutex mutex;
  std::map<std::int64_t, std::int64_t> raised_seen_ms;         // alert → first seen (ms)
  std::map<std::pair<std::int64_t, std::int64_t>, int> pages;  // (alert, level) → messages
  std::string error;
};

}  // namespace

TEST_CASE(
    "two nodes on PostgreSQL, node A SIGKILLed ten times: B's station sees every alert within "
    "1 s, every backup paged once, every study once, bit for bit",
    "[e2e][crash][multinode][postgresql]") {
  std::random_device rd;
  const auto seed = rd();
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  const std::string uri = gc::test::PgCluster::instance().create_database();
  std::vector<gc::storage::NewDevice> devices;
  {
    auto store = gc::storage::Store::open(uri);
    for (int i = 0; i < 3; ++i) {
      devices.push_back(
          store->add_device("kill clinic", "cart-storm-station-" + std::to_string(i)));
    }
    const auto now = gc::storage::now_unix_ms();
    gc::storage::AlertStore::open(uri)->set_roster(
        {{now - 3600'000, now + 3600'000, {"dr_li", "dr_wang"}}}, "cli:admin");
    gc::station::add_user(uri, "dr_li", gc::station::Role::cardiologist,
                          gc::station::test::kPassword, "cli:admin");
  }
  gc::test::Receiver webhook({});
  // The backup is paged 3 s after the raise when no one acknowledges.
  auto args = [&](const std::string& node) {
    return std::vector<std::string>{"-q",          "--ack-critical-min", "0.05", "--alert-webhook",
                                    webhook.url(), "--node-id",          node};
  };
  auto node_a = std::make_unique<ServeProcess>(fs::path(uri), "127.0.0.1:0", args("A"));
  ServeProcess node_b(fs::path(uri), "127.0.0.1:0", args("B"));
  const int port_a = node_a->port();

  // dr_li on node B's station, live, for the whole storm.
  Client doctor(static_cast<std::uint16_t>(station_port(node_b)));
  REQUIRE(doctor.login("dr_li").status == 200);
  Seen seen;
  std::atomic<bool> watching{true};
  boost::asio::io_context ws_io;
  websocket::stream<beast::tcp_stream> ws{ws_io};
  beast::get_lowest_layer(ws).connect(
      boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), doctor.port()));
  const std::string origin = "http://127.0.0.1:" + std::to_string(doctor.port());
  const std::string cookie = doctor.cookie();
  ws.set_option(websocket::stream_base::decorator([&](websocket::request_type& req) {
    req.set(beast::http::field::cookie, "gc_session=" + cookie);
    req.set(beast::http::field::origin, origin);
  }));
  ws.handshake("127.0.0.1:" + std::to_string(doctor.port()), "/ws");
  std::thread watcher([&] {
    try {
      while (watching) {
        beast::get_lowest_layer(ws).expires_after(std::chrono::seconds(2));
        beast::flat_buffer buffer;
        beast::error_code ec;
        ws.read(buffer, ec);
        if (ec == beast::error::timeout) continue;  // the stream closes on a timeout
        if (ec) throw beast::system_error(ec);
        const auto msg = json::parse(beast::buffers_to_string(buffer.data())).as_object();
        const auto now = gc::storage::now_unix_ms();
        std::lock_guard lock(seen.mutex);
        if (msg.at("type").as_string() == "alert") {
          const auto& item = msg.at("item").as_object();
          seen.raised_seen_ms.emplace(item.at("alert_id").as_int64(), now);
        } else if (msg.at("type").as_string() == "page") {
          ++seen.pages[{msg.at("alert_id").as_int64(), msg.at("level").as_int64()}];
        }
      }
    } catch (const std::exception& e) {
      std::lock_guard lock(seen.mutex);
      if (watching) seen.error = e.what();
    }
  });

  // 4 s anterior STEMIs (a man of 58), 12 leads at 500 Hz, in real time in 100 ms chunks.
  gc::synth::Spec spec;
  spec.duration_s = 4;
  spec.seed = 11;
  spec.age_years = 58;
  spec.sex = 'M';
  spec.st_shift_uv = {{"V1", 150}, {"V2", 350}, {"V3", 400}, {"V4", 300}, {"V5", 150}};
  const gc::synth::Synthesized source = gc::synth::generate(spec);

  std::atomic<bool> keep_streaming{true};
  std::vector<gc::test::StreamLog> logs(devices.size());
  std::vector<std::thread> carts;
  for (std::size_t c = 0; c < devices.size(); ++c) {
    carts.emplace_back([&, c] {
      auto config = gc::test::fault_cart_config(static_cast<std::uint16_t>(port_a), devices[c]);
      config.more_servers = {{"127.0.0.1", static_cast<std::uint16_t>(node_b.port())}};
      auto study = gc::test::fault_study(source.lead_names, source.samples_adu,
                                         source.resolution_uv_per_lsb);
      study.age_years = 58;
      study.sex = "M";
      study.chest_pain = true;
      study.acquired_at_unix_ms = gc::storage::now_unix_ms();
      // A new connection for each ECG, as a cart sends one when it is taken: A first when it is
      // up, so A's deaths keep cutting studies off mid-stream.
      gc::test::stream_until(config, study, "storm-station-" + std::to_string(c) + "-",
                             keep_streaming, logs[c], /*connection_per_study=*/true);
    });
  }

  // What A's /metrics says now: cart connections open and chunks stored since it started
  // (nothing when A does not answer yet).
  struct OnA {
    int sessions = 0;
    std::int64_t chunks = -1;
  };
  auto metrics_of_a = [&] {
    OnA on_a;
    std::smatch port;
    const std::string out = node_a->output();
    if (!std::regex_search(out, port, std::regex(R"(station on https?://127\.0\.0\.1:(\d+))"))) {
      return on_a;  // not up yet
    }
    try {
      Client metrics_client(static_cast<std::uint16_t>(std::stoi(port[1].str())));
      const auto reply = metrics_client.request(beast::http::verb::get, "/metrics");
      std::smatch m;
      if (std::regex_search(reply.body, m, std::regex(R"(\ngreenchannel_sessions_open (\d+))"))) {
        on_a.sessions = std::stoi(m[1].str());
      }
      if (std::regex_search(reply.body, m,
                            std::regex(R"(\ngreenchannel_chunks_stored_total (\d+))"))) {
        on_a.chunks = std::stoll(m[1].str());
      }
    } catch (const std::exception&) {
    }
    return on_a;
  };
  // A cart is streaming to A: a connection open and chunks stored during the last 300 ms (a
  // connection alone may still be in its hello, where a cut sends the cart to B before it
  // started the study, without a reconnect).
  auto streaming_to_a = [&] {
    const auto before = metrics_of_a();
    if (before.sessions == 0 || before.chunks < 0) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const auto after = metrics_of_a();
    return after.sessions > 0 && after.chunks > before.chunks;
  };
  constexpr int kKills = 10;
  int kills_mid_stream = 0;
  const auto started = Clock::now();
  for (int k = 0; k < kKills; ++k) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + rng() % 1700));
    // A kill at a random moment, but one that cuts a cart off mid-study: wait (≤ 15 s) until a
    // cart is streaming to A. Under load the carts may all be on B for a while (they went there
    // while A restarted and stay until their study is done); a kill then would test nothing.
    bool streaming = false;
    for (const auto until = Clock::now() + std::chrono::seconds(15);
         !(streaming = streaming_to_a()) && Clock::now() < until;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (streaming) ++kills_mid_stream;
    node_a->kill_hard();
    node_a = std::make_unique<ServeProcess>(fs::path(uri), "127.0.0.1:" + std::to_string(port_a),
                                            args("A"));
  }
  keep_streaming = false;
  for (auto& t : carts) t.join();
  const double elapsed_s = std::chrono::duration<double>(Clock::now() - started).count();

  // Every alert's backup page: 3 s after its raise, or after the webhook claim's lease (18 s)
  // when A held the claim and died.
  auto store = gc::storage::Store::open(uri);
  auto alerts = gc::storage::AlertStore::open(uri);
  std::vector<std::int64_t> alert_ids;
  for (std::size_t c = 0; c < devices.size(); ++c) {
    for (const auto& uid : logs[c].completed) {
      if (const auto st = store->find_study(devices[c].device_id, uid)) {
        for (const auto& a : store->alerts_for_study(st->study_id)) alert_ids.push_back(a.alert_id);
      }
    }
  }
  auto posted = [&] {
    std::map<std::pair<std::int64_t, std::int64_t>, int> out;  // (alert, level) → posts
    for (const auto& body : webhook.bodies()) {
      const auto doc = json::parse(body).as_object();
      ++out[{doc.at("alert_id").as_int64(), doc.at("page").as_object().at("level").as_int64()}];
    }
    return out;
  };
  for (const auto until = Clock::now() + std::chrono::seconds(40); Clock::now() < until;) {
    const auto p = posted();
    bool all = true;
    for (const auto id : alert_ids) all = all && p.count({id, 1}) != 0;
    if (all) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1'500));  // a duplicate would be here
  watching = false;
  watcher.join();
  CHECK(seen.error.empty());
  CHECK(node_a->terminate(std::chrono::seconds(30)) == 0);
  {
    // B stops cleanly and soon, though the station client above no longer answers (its
    // WebSocket is still open and the close handshake is never completed).
    const auto t0 = Clock::now();
    CHECK(node_b.terminate(std::chrono::seconds(30)) == 0);
    CHECK(std::chrono::duration<double>(Clock::now() - t0).count() < 10);
  }

  std::size_t studies = 0;
  int reconnects = 0;
  std::int64_t worst_latency_ms = 0;
  int adopted = 0;
  const auto p = posted();
  for (std::size_t c = 0; c < devices.size(); ++c) {
    INFO("cart " << c);
    studies +=
        gc::test::check_stored_once(*store, devices[c].device_id, logs[c], source.samples_adu);
    reconnects += logs[c].reconnects;
    for (const auto& uid : logs[c].completed) {
      INFO("study " << uid);
      const auto state = store->find_study(devices[c].device_id, uid);
      REQUIRE(state);
      const auto study_alerts = store->alerts_for_study(state->study_id);
      REQUIRE(study_alerts.size() == 1);
      const auto& alert = study_alerts[0];
      CHECK(alert.tier == "critical");
      // The raise, recorded once; B's station showed it within 1 s of that record.
      std::int64_t raise_recorded_ms = 0;
      int raises = 0;
      for (const auto& t : alerts->transitions(alert.alert_id)) {
        if (t.to_state == "raised") {
          ++raises;
          raise_recorded_ms = t.at_ms;
        }
      }
      CHECK(raises == 1);
      if (raise_recorded_ms - alert.raised_ms > 2'000) ++adopted;
      {
        std::lock_guard lock(seen.mutex);
        const auto it = seen.raised_seen_ms.find(alert.alert_id);
        REQUIRE(it != seen.raised_seen_ms.end());
        const auto latency_ms = it->second - std::max(raise_recorded_ms, alert.raised_ms);
        CHECK(latency_ms <= 1'000);
        worst_latency_ms = std::max(worst_latency_ms, latency_ms);
        // The primary and the backup paged, each level once (stored), posted to the webhook,
        // and shown on B's station at most once.
        const auto pages = alerts->pages(alert.alert_id);
        std::set<std::int64_t> levels;
        for (const auto& pg : pages) CHECK(levels.insert(pg.level).second);
        CHECK(levels.count(0) == 1);
        CHECK(levels.count(1) == 1);
        for (const auto level : levels) {
          INFO("level " << level);
          const auto post = p.find({alert.alert_id, level});
          REQUIRE(post != p.end());
          CHECK(post->second == 1);
          CHECK(seen.pages[{alert.alert_id, level}] <= 1);
        }
      }
    }
  }
  std::printf(
      "node A killed %d times: %zu STEMI studies complete bit for bit, %d reconnects, B's station "
      "saw every alert within %lld ms of its raise (%d raised late by adoption), every level "
      "paged once, in %.1f s (%d kills with a cart streaming to A)\n",
      kKills, studies, reconnects, static_cast<long long>(worst_latency_ms), adopted, elapsed_s,
      kills_mid_stream);
  // Each kill cut off a study streaming to A (its cart reconnected, to B or to the new A).
  CHECK(kills_mid_stream >= kKills - 2);
  CHECK(reconnects >= kills_mid_stream / 2);
}
