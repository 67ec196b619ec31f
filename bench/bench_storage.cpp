// Storage write throughput: chunks/s for one commit per chunk vs group commit (many carts'
// chunks in one transaction), with WAL + synchronous=FULL on the real disk. A chunk is what a
// 12-lead 500 Hz cart sends every 200 ms: 100 samples × 12 leads = 1,200 int32s (4.8 kB), so
// one real-time cart needs 5 chunks/s.
//
// usage: bench_storage [--dir DIR] [--seconds S]   (default: system temp dir, 2 s per case)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

#include "gc/storage.hpp"

using namespace gc::storage;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kLeads = 12;
constexpr std::size_t kSamplesPerChunk = 100;
constexpr double kChunksPerCartPerS = 5.0;

struct Result {
  std::size_t chunks = 0;
  double seconds = 0;
  std::vector<double> commit_ms;
};

Chunk make_chunk(std::uint64_t seq, std::mt19937& rng) {
  Chunk c;
  c.sequence = seq;
  c.first_sample_index = seq * kSamplesPerChunk;
  c.samples.resize(kLeads * kSamplesPerChunk);
  std::uniform_int_distribution<std::int32_t> d(-5000, 5000);  // ECG-like µV range at 1 µV/LSB
  for (auto& v : c.samples) v = d(rng);
  return c;
}

// Streams chunks of `n_studies` studies round-robin, `batch` chunks per transaction.
Result run_case(const std::filesystem::path& dir, const std::string& name, std::size_t n_studies,
                std::size_t batch, double seconds, bool background_checkpoint) {
  const auto db = dir / (name + ".db");
  std::filesystem::remove(db);
  std::filesystem::remove(db.string() + "-wal");
  std::filesystem::remove(db.string() + "-shm");
  OpenOptions options;
  options.background_checkpoint = background_checkpoint;
  auto store = Store::open(db, options);
  const auto device = store->add_device("bench").device_id;
  std::vector<std::int64_t> ids;
  std::vector<std::uint64_t> next(n_studies, 0);
  for (std::size_t i = 0; i < n_studies; ++i) {
    StudyHeader h;
    h.device_id = device;
    h.study_uid = "bench-" + std::to_string(i);
    h.leads = {"I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"};
    h.sample_rate_hz = 500;
    h.resolution_nv_per_lsb = 1000;
    ids.push_back(store->begin_study(h).study_id);
  }
  std::mt19937 rng(42);
  // Pre-generated payloads, so the measurement is storage, not the random generator.
  std::vector<Chunk> pool;
  for (int i = 0; i < 64; ++i) pool.push_back(make_chunk(0, rng));

  Result r;
  std::size_t cursor = 0;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration<double>(seconds);
  while (Clock::now() < deadline) {
    std::vector<std::pair<std::int64_t, Chunk>> items;
    items.reserve(batch);
    for (std::size_t k = 0; k < batch; ++k, ++cursor) {
      const std::size_t s = cursor % n_studies;
      Chunk c = pool[cursor % pool.size()];
      c.sequence = next[s];
      c.first_sample_index = next[s] * kSamplesPerChunk;
      ++next[s];
      items.emplace_back(ids[s], std::move(c));
    }
    const auto t0 = Clock::now();
    if (batch == 1) {
      store->append_chunk(items[0].first, items[0].second);
    } else {
      for (const auto& o : store->append_chunks_each(items)) {
        if (o.status != ChunkOutcome::Status::stored) throw Error("bench: " + o.error);
      }
    }
    r.commit_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    r.chunks += batch;
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  store.reset();
  std::filesystem::remove(db);
  std::filesystem::remove(db.string() + "-wal");
  std::filesystem::remove(db.string() + "-shm");
  return r;
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  return v[i];
}

}  // namespace

int main(int argc, char** argv) {
  std::filesystem::path dir = std::filesystem::temp_directory_path();
  double seconds = 2.0;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
      dir = argv[++i];
    } else if (std::strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
      seconds = std::stod(argv[++i]);
    } else {
      std::cerr << "usage: bench_storage [--dir DIR] [--seconds S]\n";
      return 2;
    }
  }
  dir /= "gc-bench-storage-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  std::printf("storage write benchmark: 12-lead 500 Hz, 200 ms chunks (1200 int32 = 4800 B), "
              "WAL + synchronous=FULL, %s\n", dir.c_str());
  std::printf("%-28s %10s %12s %12s %10s %10s %10s\n", "case", "chunks/s", "rows/s", "MB/s",
              "carts", "commit p50", "p99 ms");
  struct Case {
    const char* name;
    std::size_t studies;
    std::size_t batch;
    bool background_checkpoint = true;
  };
  const Case cases[] = {{"single commit, 1 study", 1, 1},     {"single commit, 100 studies", 100, 1},
                        {"group of 10, 100 studies", 100, 10}, {"group of 100, 1000 studies", 1000, 100},
                        {"group of 500, 2000 studies", 2000, 500},
                        {"  same, checkpoint in commit", 2000, 500, false}};
  try {
    for (const auto& c : cases) {
      const auto r = run_case(dir, "bench", c.studies, c.batch, seconds, c.background_checkpoint);
      const double chunks_per_s = static_cast<double>(r.chunks) / r.seconds;
      // rows/s: time points (one sample of every lead) stored per second.
      const double rows_per_s = chunks_per_s * kSamplesPerChunk;
      const double mb_per_s = chunks_per_s * kLeads * kSamplesPerChunk * 4 / 1e6;
      std::printf("%-28s %10.0f %12.0f %12.2f %10.0f %10.2f %10.2f\n", c.name, chunks_per_s,
                  rows_per_s, mb_per_s, chunks_per_s / kChunksPerCartPerS,
                  percentile(r.commit_ms, 0.5), percentile(r.commit_ms, 0.99));
    }
  } catch (const std::exception& e) {
    std::cerr << "bench_storage: " << e.what() << "\n";
    std::filesystem::remove_all(dir);
    return 1;
  }
  // Credential checks: every hello pays PBKDF2 once per (device, secret) per server process;
  // later hellos hit the in-memory cache.
  {
    auto store = Store::open(dir / "cred.db");
    const auto dev = store->add_device("bench");
    auto time_verify = [&](int n) {
      const auto t0 = Clock::now();
      for (int i = 0; i < n; ++i) {
        if (!store->verify_device(dev.device_id, dev.secret)) throw Error("bench: verify failed");
      }
      return std::chrono::duration<double, std::milli>(Clock::now() - t0).count() / n;
    };
    const double first_ms = time_verify(1);
    const double cached_ms = time_verify(1000);
    const auto t0 = Clock::now();
    for (int i = 0; i < 5; ++i) store->verify_device(dev.device_id, dev.secret + "x");
    const double wrong_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count() / 5;
    std::printf("verify_device: first %.1f ms (PBKDF2), cached %.3f ms, wrong secret %.1f ms\n",
                first_ms, cached_ms, wrong_ms);
  }
  std::filesystem::remove_all(dir);
  std::printf("carts = real-time 12-lead carts sustainable at that rate (5 chunks/s each)\n");
  return 0;
}
