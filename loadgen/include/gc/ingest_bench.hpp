// ingest_bench — the load benchmark of the ingest server, as a library (`greenchannel bench
// ingest` only parses its options): N simulated carts in one process (one Asio event loop, async
// TLS) stream a 12-lead 500 Hz record in real time to an in-process server with a fresh SQLite
// database, then every stored study is compared with the source bit for bit and the run is set
// against this machine's floor (one TLS stream; the same chunk rows into SQLite alone). Details
// of the phases in src/ingest_bench.cpp.
#pragma once

#include <boost/json/object.hpp>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <ostream>
#include <string>

namespace gc::loadgen {

struct IngestBenchOptions {
  std::size_t carts = 2000;
  double duration_s = 30;          // of ECG each cart streams
  int chunk_ms = 200;              // chunk duration
  unsigned server_threads = 0;     // 0 = hardware threads, as `serve`
  std::size_t window = 32;         // unacknowledged chunks a cart may have
  bool saturate = false;           // do not pace carts in real time
  double floor_s = 3;              // seconds per floor measurement
  std::size_t floor_batch = 1024;  // chunks per group commit in the SQLite floor
  std::filesystem::path keep_dir;  // keep the database here ("" = a temporary directory, removed)
  // A PostgreSQL database (postgresql:// URI) instead of a fresh SQLite file: its studies are
  // kept (under this run's device ids); the floor is then PostgreSQL's own (gc/write_floor.hpp).
  std::string db;
};

struct IngestBenchResult {
  bool pass = false;  // nothing lost or doubled, every study equal to the source, no cart failed
  std::uint64_t lost = 0;
  std::uint64_t doubled = 0;
  std::size_t studies_exact = 0;
  double ack_p99_ms = 0;
  boost::json::object figures;  // every figure printed, as `bench ingest --json` gives it
};

// Runs the benchmark, writing its progress and figures to `out`. Throws std::invalid_argument on
// options out of range and std::runtime_error when the machine cannot run it (file descriptors).
IngestBenchResult run_ingest_bench(const IngestBenchOptions& options, std::ostream& out);

}  // namespace gc::loadgen
