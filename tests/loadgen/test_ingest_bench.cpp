// The ingest load benchmark as a library: a small run (a few carts, a few seconds) must stream,
// store and verify every study, and report the figures `bench ingest --json` prints.
#include <catch2/catch.hpp>

#include <sstream>
#include <stdexcept>

#include "gc/ingest_bench.hpp"

using gc::loadgen::IngestBenchOptions;
using gc::loadgen::run_ingest_bench;

TEST_CASE("ingest bench: 8 carts stream 2 s each, every study stored once and equal to the source",
          "[loadgen]") {
  IngestBenchOptions o;
  o.carts = 8;
  o.duration_s = 2;
  o.floor_s = 0.5;
  o.floor_batch = 64;
  std::ostringstream out;
  const auto r = run_ingest_bench(o, out);
  INFO(out.str());
  CHECK(r.pass);
  CHECK(r.lost == 0);
  CHECK(r.doubled == 0);
  CHECK(r.studies_exact == 8);
  CHECK(r.figures.at("chunks_stored").as_uint64() == 8 * 10);  // 2 s in 200 ms chunks
  CHECK(r.figures.at("chunks_acked").as_uint64() == 8 * 10);
  CHECK(r.figures.at("studies_complete").as_uint64() == 8);
  CHECK(r.figures.at("floor_bytes_per_s").as_double() > 0);
  CHECK(r.ack_p99_ms > 0);
  CHECK(out.str().find("8/8 studies equal the source bit for bit") != std::string::npos);
}

TEST_CASE("ingest bench: options out of range are refused before anything runs", "[loadgen]") {
  std::ostringstream out;
  IngestBenchOptions o;
  o.carts = 0;
  CHECK_THROWS_AS(run_ingest_bench(o, out), std::invalid_argument);
  o = IngestBenchOptions{};
  o.chunk_ms = 5;
  CHECK_THROWS_AS(run_ingest_bench(o, out), std::invalid_argument);
  o = IngestBenchOptions{};
  o.window = 0;
  CHECK_THROWS_AS(run_ingest_bench(o, out), std::invalid_argument);
  CHECK(out.str().empty());
}
