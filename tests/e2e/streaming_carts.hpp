// Carts that stream study after study through a fault (SIGKILL storms, failover between nodes or
// through a load balancer), and the checks afterwards: every study complete, stored bit for bit,
// each chunk once, analysed with one alert, nothing left open.
#pragma once

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "gc/cart_client.hpp"
#include "gc/storage.hpp"

namespace gc::test {

struct StreamLog {
  std::vector<std::string> completed;  // study uids acknowledged complete
  std::vector<std::string> errors;
  int reconnects = 0;
};

// The cart settings the fault tests share: real time in 100 ms chunks, findings not waited for
// (they are checked in the database), quick and persistent reconnection (40 in a row without
// progress survives several kills back to back).
inline ingest::CartConfig fault_cart_config(std::uint16_t port, const storage::NewDevice& device) {
  ingest::CartConfig config;
  config.port = port;
  config.device_id = device.device_id;
  config.secret = device.secret;
  config.realtime = true;
  config.chunk_duration = std::chrono::milliseconds(100);
  config.io_timeout = std::chrono::milliseconds(2000);
  config.finding_timeout = std::chrono::milliseconds(200);
  config.reconnect_backoff = std::chrono::milliseconds(50);
  config.max_reconnects = 40;
  return config;
}

// Sends `study` again and again as PREFIX-0, PREFIX-1, … (acquired at its time + N ms) until
// `keep_going` is false. One connection for them all, or a new one for each study (a cart that
// sends each ECG when it is taken: the first server of its list first). An exception ends the
// stream and is logged as an error.
inline void stream_until(const ingest::CartConfig& config, ingest::CartStudy study,
                         const std::string& uid_prefix, const std::atomic<bool>& keep_going,
                         StreamLog& log, bool connection_per_study = false) {
  const std::int64_t acquired_ms = study.acquired_at_unix_ms.value_or(1'795'000'000'000);
  std::unique_ptr<ingest::CartClient> client;
  for (int n = 0; keep_going; ++n) {
    if (!client || connection_per_study) client = std::make_unique<ingest::CartClient>(config);
    study.study_uid = uid_prefix + std::to_string(n);
    study.acquired_at_unix_ms = acquired_ms + n;
    try {
      const auto result = client->send_study(study);
      log.reconnects += result.reconnects;
      if (result.complete) {
        log.completed.push_back(study.study_uid);
      } else {
        log.errors.push_back(study.study_uid + ": not complete: " + result.detail);
      }
    } catch (const std::exception& e) {
      log.errors.push_back(study.study_uid + ": " + e.what());
      return;
    }
  }
}

// A 12-lead study of `samples` (µV at `resolution_uv_per_lsb`, 500 Hz) as the fault tests send it.
inline ingest::CartStudy fault_study(const std::vector<std::string>& leads,
                                     const std::vector<std::vector<std::int32_t>>& samples,
                                     double resolution_uv_per_lsb) {
  ingest::CartStudy study;
  study.leads = leads;
  study.sample_rate_hz = 500;
  study.resolution_nv_per_lsb = resolution_uv_per_lsb * 1000.0;
  study.samples = samples;
  return study;
}

// After the fault, for one cart: no errors, at least `min_completed` studies, each complete and
// stored bit for bit as `source` (a chunk stored twice would add 50 samples per lead or shift every
// later one), analysed, with one alert; nothing beyond them left open. Returns the studies checked.
inline std::size_t check_stored_once(storage::Store& store, const std::string& device_id,
                                     const StreamLog& log,
                                     const std::vector<std::vector<std::int32_t>>& source,
                                     std::size_t min_completed = 2) {
  std::string errors;
  for (const auto& e : log.errors) errors += e + "\n";
  INFO("errors:\n" << errors);
  CHECK(log.errors.empty());
  CHECK(log.completed.size() >= min_completed);
  std::size_t studies = 0;
  for (const auto& uid : log.completed) {
    INFO("study " << uid);
    const auto state = store.find_study(device_id, uid);
    REQUIRE(state);
    CHECK(state->complete);
    CHECK(state->received_samples_per_lead == source.front().size());
    CHECK(store.load_samples(state->study_id).samples == source);  // bit for bit
    CHECK(store.analysis_json(state->study_id).has_value());
    CHECK(store.alerts_for_study(state->study_id).size() == 1);
    ++studies;
  }
  CHECK(store.open_studies(device_id).empty());
  return studies;
}

}  // namespace gc::test
