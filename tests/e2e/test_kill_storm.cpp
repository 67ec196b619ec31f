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
  struct CartLog {
    std::vector<std::string> completed;  // study uids acknowledged complete
    std::vector<std::string> errors;
    int reconnects = 0;
  };
  std::vector<CartLog> logs(devices.size());
  std::vector<std::thread> carts;
  for (std::size_t c = 0; c < devices.size(); ++c) {
    carts.emplace_back([&, c] {
      gc::ingest::CartConfig config;
      config.port = static_cast<std::uint16_t>(port);
      config.device_id = devices[c].device_id;
      config.secret = devices[c].secret;
      config.realtime = true;
      config.chunk_duration = std::chrono::milliseconds(100);
      config.io_timeout = std::chrono::milliseconds(2000);
      config.finding_timeout = std::chrono::milliseconds(200);  // findings are checked in the db
      config.reconnect_backoff = std::chrono::milliseconds(50);
      config.max_reconnects = 40;  // in a row without progress: survives several kills back to back
      gc::ingest::CartClient client(config);
      for (int n = 0; keep_streaming; ++n) {
        gc::ingest::CartStudy study;
        study.study_uid = "kill20-" + std::to_string(c) + "-" + std::to_string(n);
        study.leads = source.lead_names;
        study.sample_rate_hz = 500;
        study.resolution_nv_per_lsb = source.resolution_uv_per_lsb * 1000.0;
        study.samples = source.samples_adu;
        study.acquired_at_unix_ms = 1'795'000'000'000 + n;
        try {
          const auto result = client.send_study(study);
          logs[c].reconnects += result.reconnects;
          if (result.complete) {
            logs[c].completed.push_back(study.study_uid);
          } else {
            logs[c].errors.push_back(study.study_uid + ": not complete: " + result.detail);
          }
        } catch (const std::exception& e) {
          logs[c].errors.push_back(study.study_uid + ": " + e.what());
          return;
        }
      }
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
    for (const auto& e : logs[c].errors) INFO("error: " << e);
    CHECK(logs[c].errors.empty());
    CHECK(logs[c].completed.size() >= 2);
    reconnects += logs[c].reconnects;
    for (const auto& uid : logs[c].completed) {
      INFO("study " << uid);
      const auto state = store->find_study(devices[c].device_id, uid);
      REQUIRE(state);
      CHECK(state->complete);
      // No chunk stored twice: the stored samples per lead are exactly the source's count
      // (a doubled chunk would add 50 per lead or shift every later sample).
      CHECK(state->received_samples_per_lead == source.samples_adu.front().size());
      const auto stored = store->load_samples(state->study_id);
      CHECK(stored.samples == source.samples_adu);  // bit for bit
      CHECK(store->analysis_json(state->study_id).has_value());
      CHECK(store->alerts_for_study(state->study_id).size() == 1);
      ++studies;
    }
    // Nothing beyond the completed studies is left open (the last one finished before we stopped).
    CHECK(store->open_studies(devices[c].device_id).empty());
  }
  INFO(studies << " studies, " << reconnects << " reconnects, " << kKills << " kills in "
               << elapsed_s << " s");
  CHECK(reconnects >= kKills);
  CHECK(elapsed_s < 90);
  std::error_code ignored;
  fs::remove_all(dir, ignored);
}
