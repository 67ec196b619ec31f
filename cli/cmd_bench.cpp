// `greenchannel bench ingest`: parses the options and runs the load benchmark of the ingest
// server (gc/ingest_bench.hpp, where the phases are described).
#include <boost/json.hpp>
#include <boost/program_options.hpp>
#include <iostream>
#include <stdexcept>
#include <string>
#include <string_view>

#include "commands.hpp"
#include "gc/ingest_bench.hpp"

namespace gc::cli {

namespace po = boost::program_options;

namespace {

int bench_ingest(int argc, char** argv) {
  std::size_t n_carts = 2000;
  double duration_s = 30;
  int chunk_ms = 200;
  unsigned server_threads = 0;
  std::size_t window = 32;
  double floor_s = 3;
  std::size_t floor_batch = 1024;
  std::string keep_dir;
  std::string db;
  po::options_description desc(
      "usage: greenchannel bench ingest [options]\n\n"
      "N simulated carts (one process, one event loop, async TLS) stream a 12-lead 500 Hz record\n"
      "in real time (200 ms chunks) to an in-process server with a fresh SQLite database\n"
      "(synchronous=FULL). Reports the cold hello storm (every hello pays PBKDF2), the warm\n"
      "reconnect storm, ack latency p50/p99/max, loss (stored rows vs sent, bit for bit), CPU,\n"
      "memory, bytes/s, and the TLS+SQLite floor: floor = 1/(1/tls + 1/sqlite) wire bytes/s with\n"
      "tls = one AES-GCM stream over loopback into a discarding sink and sqlite = the same chunk\n"
      "rows in group commits of --floor-batch; ratio = achieved / floor.\n\noptions");
  desc.add_options()("help,h", "show this help")(
      "carts", po::value(&n_carts)->default_value(2000), "simulated carts")(
      "duration-s", po::value(&duration_s)->default_value(30), "seconds of ECG each cart streams")(
      "chunk-ms", po::value(&chunk_ms)->default_value(200), "chunk duration")(
      "server-threads", po::value(&server_threads)->default_value(0),
      "server I/O threads (0 = hardware threads, as `serve`)")(
      "window", po::value(&window)->default_value(32), "unacknowledged chunks a cart may have")(
      "saturate", "do not pace carts in real time: each sends as fast as its window allows")(
      "floor-s", po::value(&floor_s)->default_value(3), "seconds per floor measurement")(
      "floor-batch", po::value(&floor_batch)->default_value(1024),
      "chunks per group commit in the SQLite floor (the server's max_chunks_per_commit)")(
      "keep", po::value(&keep_dir), "keep the database in this directory (default: temporary)")(
      "db", po::value(&db),
      "a PostgreSQL database (postgresql://user@host/dbname; password from PGPASSWORD or "
      "~/.pgpass) instead of a fresh SQLite file; the floor is then PostgreSQL's own")(
      "json", "print the figures as one JSON object as well");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(desc).run(), vm);
    if (vm.count("help") != 0U) {
      std::cout << desc << "\n";
      return 0;
    }
    po::notify(vm);
    if (n_carts < 1 || n_carts > 50'000) throw po::error("--carts must be 1..50000");
    if (duration_s < 1 || duration_s > 3600) throw po::error("--duration-s must be 1..3600");
    if (chunk_ms < 10 || chunk_ms > 10'000) throw po::error("--chunk-ms must be 10..10000");
    if (window < 1) throw po::error("--window must be at least 1");
  } catch (const po::error& e) {
    std::cerr << "greenchannel bench ingest: " << e.what() << "\n" << desc << "\n";
    return 2;
  }
  loadgen::IngestBenchOptions options;
  options.carts = n_carts;
  options.duration_s = duration_s;
  options.chunk_ms = chunk_ms;
  options.server_threads = server_threads;
  options.window = window;
  options.saturate = vm.count("saturate") != 0U;
  options.floor_s = floor_s;
  options.floor_batch = floor_batch;
  options.keep_dir = keep_dir;
  options.db = db;
  try {
    const auto result = loadgen::run_ingest_bench(options, std::cout);
    if (vm.count("json") != 0U) std::cout << boost::json::serialize(result.figures) << std::endl;
    return result.pass ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "greenchannel bench ingest: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace

int cmd_bench(int argc, char** argv) {
  if (argc >= 2 && std::string_view(argv[1]) == "ingest") {
    return bench_ingest(argc - 1, argv + 1);
  }
  std::cerr << "usage: greenchannel bench ingest [options]   (`bench ingest --help`)\n";
  return argc >= 2 && (std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h")
             ? 0
             : 2;
}

}  // namespace gc::cli
