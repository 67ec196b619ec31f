// The fault bar: `greenchannel serve` (a real process) is killed with SIGKILL at random
// points, 20 times, while four carts stream 12-lead studies in real time; it is restarted on the
// same database and port each time. Afterwards every study is complete, every stored sample equals
// the source bit for bit, no chunk is stored twice, and every completed study was analysed.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>

#include "e2e/e2e_util.hpp"
#include "e2e/streaming_carts.hpp"
#include "gc/cart_client.hpp"
#include "gc/storage.hpp"
#include "gc/synth.hpp"

namespace fs = std::filesystem;
using gc::test::ServeProcess;
using Clock = std::chrono::steady_clock;

TEST_CASE("twenty SIGKILLs while four carts stream: every study completes, bit for bit, once",
          "[e2e][crash]") {
  std::random_device rd;
  const auto seed = rd();
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  const fs::path dir = fs::temp_directory_path() /
                       ("gc-kill20-" + std::to_string(::getpid()) + "-" + std::to_string(seed));
  fs::create_directories(dir);
  const fs::path db = dir / "greenchannel.db";

  std::vector<gc::storage::NewDevice> devices;
  {
    auto store = gc::storage::Store::open(db);
    for (int i = 0; i < 4; ++i) {
      devices.push_back(store->add_device("kill clinic", "cart-kill20-" + std::to_string(i)));
    }
  }
  auto serve = std::make_unique<ServeProcess>(db, "127.0.0.1:0", std::vector<std::string>{"-q"});
  const int port = serve->port();

  // 4 s of 12 leads at 500 Hz per study, sent in real time in 100 ms chunks (40 chunks).
  gc::synth::Spec spec;
  spec.duration_s = 4;
  spec.seed = 3;
  const gc::synth::Synthesized source = gc::synth::generate(spec);

  std::atomic<bool> keep_streaming{true};
  std::vector<gc::test::StreamLog> logs(devices.size());
  std::vector<std::thread> carts;
  for (std::size_t c = 0; c < devices.size(); ++c) {
    carts.emplace_back([&, c] {
      gc::test::stream_until(
          gc::test::fault_cart_config(static_cast<std::uint16_t>(port), devices[c]),
          gc::test::fault_study(source.lead_names, source.samples_adu, source.resolution_uv_per_lsb),
          "kill20-" + std::to_string(c) + "-", keep_streaming, logs[c]);
    });
  }

  constexpr int kKills = 20;
  const auto started = Clock::now();
  for (int k = 0; k < kKills; ++k) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + rng() % 1700));
    serve->kill_hard();
    serve = std::make_unique<ServeProcess>(db, "127.0.0.1:" + std::to_string(port),
                                           std::vector<std::string>{"-q"});
  }
  keep_streaming = false;
  for (auto& t : carts) t.join();
  const double elapsed_s = std::chrono::duration<double>(Clock::now() - started).count();
  CHECK(serve->terminate(std::chrono::seconds(30)) == 0);

  gc::storage::OpenOptions options;
  auto store = gc::storage::Store::open(db, options);  // quick_check
  std::size_t studies = 0;
  int reconnects = 0;
  for (std::size_t c = 0; c < devices.size(); ++c) {
    INFO("cart " << c);
    studies += gc::test::check_stored_once(*store, devices[c].device_id, logs[c], source.samples_adu);
    reconnects += logs[c].reconnects;
  }
  INFO(studies << " studies, " << reconnects << " reconnects, " << kKills << " kills in "
               << elapsed_s << " s");
  CHECK(reconnects >= kKills);
  CHECK(elapsed_s < 90);
  std::error_code ignored;
  fs::remove_all(dir, ignored);
}
