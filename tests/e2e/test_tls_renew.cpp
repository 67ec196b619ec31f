// Issue 16, must show 3: `greenchannel tls renew` while four carts stream. `serve` (a real
// process, TLS with the centre CA it created) picks the new certificate up by itself; the carts
// pin the CA and change nothing. They drop their connection now and then (--chaos, as a mobile
// link does) and reconnect: after the renewal they are presented the new certificate. Every
// study completes with every chunk stored once, bit for bit.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "e2e/e2e_util.hpp"
#include "gc/cart_client.hpp"
#include "gc/centre_pki.hpp"
#include "gc/storage.hpp"
#include "gc/synth.hpp"
#include "gc/tls.hpp"

namespace fs = std::filesystem;
using gc::test::ServeProcess;
using Clock = std::chrono::steady_clock;

TEST_CASE(
    "tls renew while four carts stream: no chunk lost or repeated, the carts reconnect to "
    "the new certificate unchanged",
    "[e2e][tls]") {
  const fs::path dir = fs::temp_directory_path() / ("gc-tls-renew-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path db = dir / "greenchannel.db";
  std::vector<gc::storage::NewDevice> devices;
  {
    auto store = gc::storage::Store::open(db);
    for (int i = 0; i < 4; ++i) {
      devices.push_back(store->add_device("renew clinic", "cart-renew-" + std::to_string(i)));
    }
  }
  ServeProcess serve(db, "127.0.0.1:0", {"-q", "--tls-reload-s", "0.2"}, /*tls=*/true);
  const gc::ingest::CentrePki pki{dir / "tls"};
  const std::string pin = gc::ingest::read_certificates(pki.ca_certificate()).front().fingerprint;
  const std::string first_leaf =
      gc::ingest::read_certificates(pki.server().certificate).front().fingerprint;
  REQUIRE(pin != first_leaf);

  // 3 s of 12 leads at 500 Hz per study, in real time in 100 ms chunks (30 chunks).
  gc::synth::Spec spec;
  spec.duration_s = 3;
  spec.seed = 16;
  const gc::synth::Synthesized source = gc::synth::generate(spec);

  struct CartLog {
    std::mutex mutex;
    std::vector<std::string> presented;  // server certificate of each handshake, in order
    std::vector<std::string> completed;
    std::vector<std::string> errors;
    std::set<std::string> presented_in_completed;  // certificates seen in completed studies
    int reconnects = 0;
  };
  std::vector<CartLog> logs(devices.size());
  std::atomic<bool> keep_streaming{true};
  std::vector<std::thread> carts;
  for (std::size_t c = 0; c < devices.size(); ++c) {
    carts.emplace_back([&, c] {
      gc::ingest::CartConfig config;
      config.port = static_cast<std::uint16_t>(serve.port());
      config.device_id = devices[c].device_id;
      config.secret = devices[c].secret;
      // The cart's whole TLS configuration, the same before and after the renewal: the CA pin.
      config.tls = gc::ingest::make_cart_tls_context("", pin);
      config.tls_verify_host_name = false;
      config.realtime = true;
      config.chunk_duration = std::chrono::milliseconds(100);
      config.io_timeout = std::chrono::milliseconds(3000);
      config.finding_timeout = std::chrono::milliseconds(200);  // findings are checked in the db
      config.reconnect_backoff = std::chrono::milliseconds(50);
      config.max_reconnects = 20;
      config.chaos_drop_probability = 0.06;  // a mobile link: a drop every ~17 frames
      config.chaos_seed = 1600 + c;
      CartLog& log = logs[c];
      std::vector<std::string> during_study;
      config.log = [&log, &during_study](std::string_view line) {
        const auto at = line.find("server certificate SHA-256 ");
        if (at == std::string_view::npos) return;
        const std::string fp(line.substr(at + 27, 95));
        std::lock_guard lock(log.mutex);
        log.presented.push_back(fp);
        during_study.push_back(fp);
      };
      gc::ingest::CartClient client(config);
      for (int n = 0; keep_streaming; ++n) {
        gc::ingest::CartStudy study;
        study.study_uid = "renew-" + std::to_string(c) + "-" + std::to_string(n);
        study.leads = source.lead_names;
        study.sample_rate_hz = 500;
        study.resolution_nv_per_lsb = source.resolution_uv_per_lsb * 1000.0;
        study.samples = source.samples_adu;
        study.acquired_at_unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count();
        try {
          const auto result = client.send_study(study);
          std::lock_guard lock(log.mutex);
          log.reconnects += result.reconnects;
          if (result.complete) {
            log.completed.push_back(study.study_uid);
            log.presented_in_completed.insert(during_study.begin(), during_study.end());
          } else {
            log.errors.push_back(study.study_uid + ": not complete: " + result.detail);
          }
          during_study.clear();
        } catch (const std::exception& e) {
          std::lock_guard lock(log.mutex);
          log.errors.push_back(study.study_uid + ": " + e.what());
          return;
        }
      }
    });
  }

  // Let every cart connect to the first certificate and get into its stream.
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  const auto renew =
      gc::test::run(std::string(GC_CLI_PATH) + " tls renew --db " + gc::test::quote(db.string()));
  INFO(renew.out);
  REQUIRE(renew.status == 0);
  const std::string new_leaf =
      gc::ingest::read_certificates(pki.server().certificate).front().fingerprint;
  REQUIRE(new_leaf != first_leaf);
  CHECK(gc::ingest::read_certificates(pki.ca_certificate()).front().fingerprint == pin);

  // Every cart completes a study over a connection that presented the new certificate.
  const auto renewed_at = Clock::now();
  auto all_moved = [&] {
    for (auto& log : logs) {
      std::lock_guard lock(log.mutex);
      if (log.presented_in_completed.count(new_leaf) == 0 || !log.errors.empty()) return false;
    }
    return true;
  };
  while (!all_moved() && Clock::now() - renewed_at < std::chrono::seconds(40)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const double moved_s = std::chrono::duration<double>(Clock::now() - renewed_at).count();
  keep_streaming = false;
  for (auto& t : carts) t.join();
  const std::string serve_log = serve.output();
  INFO(serve_log);
  CHECK(serve_log.find("server certificate reloaded") != std::string::npos);
  CHECK(serve_log.find(new_leaf) != std::string::npos);
  CHECK(serve.terminate(std::chrono::seconds(30)) == 0);

  auto store = gc::storage::Store::open(db);
  std::size_t studies = 0;
  int reconnects = 0;
  for (std::size_t c = 0; c < devices.size(); ++c) {
    INFO("cart " << c);
    auto& log = logs[c];
    for (const auto& e : log.errors) INFO("error: " << e);
    CHECK(log.errors.empty());
    // First the old certificate, then (after the renewal) the new one; nothing else.
    REQUIRE_FALSE(log.presented.empty());
    CHECK(log.presented.front() == first_leaf);
    CHECK(log.presented.back() == new_leaf);
    for (const auto& fp : log.presented) CHECK((fp == first_leaf || fp == new_leaf));
    CHECK(log.presented_in_completed.count(new_leaf) == 1);
    reconnects += log.reconnects;
    for (const auto& uid : log.completed) {
      INFO("study " << uid);
      const auto state = store->find_study(devices[c].device_id, uid);
      REQUIRE(state);
      CHECK(state->complete);
      // No chunk lost or stored twice: exactly the source's samples, in order, bit for bit.
      CHECK(state->received_samples_per_lead == source.samples_adu.front().size());
      CHECK(store->load_samples(state->study_id).samples == source.samples_adu);
      ++studies;
    }
    CHECK(store->open_studies(devices[c].device_id).empty());
  }
  INFO(studies << " studies, " << reconnects << " reconnects; every cart on the new certificate "
               << moved_s << " s after the renewal");
  CHECK(studies >= 8);
  CHECK(reconnects >= 4);
  CHECK(moved_s < 40);
  WARN("tls renew e2e: " << studies << " studies complete bit for bit, " << reconnects
                         << " reconnects, all 4 carts completed a study on the new certificate "
                         << moved_s << " s after `tls renew`");
  std::error_code ignored;
  fs::remove_all(dir, ignored);
}
