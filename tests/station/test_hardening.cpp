// Issue 16 on the station's network side: per-address connection caps with idle slots reclaimed,
// 431 for oversized headers, the WebSocket Origin checked with its scheme, and logins that tell
// nothing about which accounts exist and cannot starve the worklist.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <future>

#include "station/station_fixture.hpp"

using namespace gc::station::test;
using gc::station::Role;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// True when the peer closed the socket within `timeout`.
bool closed_within(tcp::socket& socket, std::chrono::milliseconds timeout) {
  socket.non_blocking(true);
  const auto until = Clock::now() + timeout;
  while (Clock::now() < until) {
    char byte = 0;
    beast::error_code ec;
    socket.read_some(asio::buffer(&byte, 1), ec);
    if (ec && ec != asio::error::would_block) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

}  // namespace

TEST_CASE(
    "one address holds at most its share of station connections; a doctor behind it still "
    "gets in",
    "[station][limits]") {
  Fixture fx(true, nullptr, [](gc::station::StationConfig& cfg) {
    cfg.max_connections = 1000;
    cfg.max_connections_per_address = 4;
  });
  asio::io_context io;
  std::vector<std::unique_ptr<tcp::socket>> idle;
  for (int i = 0; i < 10; ++i) {
    idle.push_back(std::make_unique<tcp::socket>(io));
    idle.back()->connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), fx.station->port()));
  }
  // The six oldest are closed at once (not after the 30 s request deadline).
  for (int i = 0; i < 6; ++i)
    CHECK(closed_within(*idle[static_cast<std::size_t>(i)], std::chrono::milliseconds(2000)));
  CHECK_FALSE(closed_within(*idle[9], std::chrono::milliseconds(100)));
  auto doc = fx.client();
  REQUIRE(doc.login("dr_li").status == 200);
  CHECK(doc.get("/api/worklist").status == 200);
}

TEST_CASE("oversized request headers are answered 431", "[station][limits]") {
  Fixture fx;
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), fx.station->port()));
  http::request<http::string_body> req{http::verb::get, "/healthz", 11};
  req.set(http::field::host, "127.0.0.1");
  req.set("X-Padding", std::string(32 * 1024, 'a'));
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  CHECK(res.result_int() == 431);
  CHECK(json::parse(res.body()).at("code").as_string() == "headers_too_large");
}

namespace {

// A WebSocket upgrade with this Origin; the HTTP status the station answered (101 = accepted).
unsigned ws_upgrade_status(std::uint16_t port, const std::string& cookie,
                           const std::string& origin) {
  asio::io_context io;
  websocket::stream<beast::tcp_stream> ws(io);
  beast::get_lowest_layer(ws).connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  ws.set_option(websocket::stream_base::decorator([&](websocket::request_type& req) {
    req.set(http::field::cookie, "gc_session=" + cookie);
    req.set(http::field::origin, origin);
  }));
  websocket::response_type res;
  beast::error_code ec;
  ws.handshake(res, "127.0.0.1:" + std::to_string(port), "/ws", ec);
  return res.result_int();
}

}  // namespace

TEST_CASE("the WebSocket Origin must match with its scheme", "[station][ws]") {
  Fixture fx;  // plain HTTP on loopback: the station's origin is http://host
  auto doc = fx.client();
  REQUIRE(doc.login("dr_li").status == 200);
  const std::string host = "127.0.0.1:" + std::to_string(fx.station->port());
  CHECK(ws_upgrade_status(fx.station->port(), doc.cookie(), "http://" + host) == 101);
  CHECK(ws_upgrade_status(fx.station->port(), doc.cookie(), "https://" + host) == 403);
  CHECK(ws_upgrade_status(fx.station->port(), doc.cookie(), "ws://" + host) == 403);
  CHECK(ws_upgrade_status(fx.station->port(), doc.cookie(), host) == 403);
}

TEST_CASE("unknown user, wrong password and locked account: one answer at one cost",
          "[station][auth]") {
  Fixture fx;
  auto c = fx.client();
  for (int i = 0; i < 5; ++i) REQUIRE(c.login("coord", "wrong password").status == 401);
  // Interleaved rounds, the fastest of each kind: a busy machine only adds time, and a burst of
  // load then slows one round of all three rather than one kind's whole batch (separate batches,
  // even the fastest of 5, failed on a 2-core machine shared with a build). Four rounds keep
  // dr_li below the 5 failures that would lock the account.
  Reply unknown, wrong, locked;
  double unknown_s = 1e9, wrong_s = 1e9, locked_s = 1e9;
  const auto timed = [&](const std::string& user, const std::string& password, Reply& reply,
                         double& fastest_s) {
    const auto start = Clock::now();
    reply = c.login(user, password);
    fastest_s = std::min(fastest_s, seconds_since(start));
  };
  for (int round = 0; round < 4; ++round) {
    timed("nobody", "wrong password", unknown, unknown_s);
    timed("dr_li", "wrong password", wrong, wrong_s);
    timed("coord", kPassword, locked, locked_s);  // right password, locked account
  }
  CHECK(unknown.status == 401);
  CHECK(wrong.status == 401);
  CHECK(locked.status == 401);
  CHECK(unknown.body == wrong.body);
  CHECK(locked.body == wrong.body);
  // The same PBKDF2 work for each (a locked account answered in 4 ms instead of ~100 ms).
  INFO("unknown " << unknown_s << " s, wrong " << wrong_s << " s, locked " << locked_s << " s");
  CHECK(locked_s > 0.6 * wrong_s);
  CHECK(unknown_s > 0.6 * wrong_s);
}

TEST_CASE("a burst of bogus logins does not slow the worklist", "[station][auth]") {
  Fixture fx;
  fx.seed("uid-burst", "p1", "critical", kStartMs);
  auto doc = fx.client();
  REQUIRE(doc.login("dr_li").status == 200);
  std::atomic<bool> done{false};
  std::atomic<int> refused_busy{0};
  std::vector<std::future<void>> attackers;
  for (int t = 0; t < 16; ++t) {
    attackers.push_back(std::async(std::launch::async, [&, t] {
      auto bogus = fx.client();
      while (!done) {
        const auto r =
            bogus.login(t % 2 == 0 ? "nobody" + std::to_string(t) : "dr_li", "not the password");
        if (r.status == 429) {
          ++refused_busy;
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
      }
    }));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  double worst_s = 0;
  for (int i = 0; i < 20; ++i) {
    const auto start = Clock::now();
    CHECK(doc.get("/api/worklist").status == 200);
    worst_s = std::max(worst_s, seconds_since(start));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  done = true;
  for (auto& a : attackers) a.get();
  INFO("worst worklist latency under 16 bogus logins: " << worst_s << " s");
  CHECK(worst_s < 0.4);  // 0.7–1.35 s before (issue 16 #7)
  CHECK(refused_busy > 0);
  // dr_li's failures locked the account meanwhile; another user still logs in.
  CHECK(fx.client().login("admin").status == 200);
}
