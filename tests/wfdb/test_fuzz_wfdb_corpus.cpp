// The fuzz_wfdb target's body over its checked-in seed corpus (tests/fuzz/corpus_wfdb), so every
// normal test run replays the seeds (and any crash reproducer added there) without libFuzzer.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "fuzz/fuzz_wfdb_body.hpp"
#include "fuzz/corpus_replay.hpp"

namespace fs = std::filesystem;

TEST_CASE("wfdb fuzz seed corpus replays without crashing") {
  CHECK(gc::fuzz::replay_corpus("corpus_wfdb", gc::fuzz::fuzz_wfdb_one) >= 10);
}

TEST_CASE("the two-lead wfdb seed parses to the record it was made from") {
  const fs::path seed = gc::fuzz::corpus_dir("corpus_wfdb") / "fmt16_two_leads";
  const std::string bytes = gc::fuzz::file_bytes(seed);
  REQUIRE(bytes.size() > 2);
  const std::size_t header_len =
      static_cast<unsigned char>(bytes[0]) | (static_cast<unsigned char>(bytes[1]) << 8);
  REQUIRE(bytes.size() == 2 + header_len + 40);  // 10 frames of two int16 samples
  const auto header = gc::wfdb::parse_header(std::string_view(bytes).substr(2, header_len));
  const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data()) + 2 + header_len;
  const auto rec =
      gc::wfdb::parse_record(header, {{"rec.dat", std::span<const std::uint8_t>(data, 40)}});
  CHECK(rec.header.age_years == 61);
  CHECK(rec.header.sex == 'F');
  REQUIRE(rec.samples_adu.size() == 2);
  CHECK(rec.samples_adu[0][4] == 300);
  CHECK(rec.samples_adu[1][9] == -32768);
  CHECK(rec.checksum_mismatches().empty());
  CHECK(rec.invalid_counts() == std::vector<std::int64_t>{0, 1});
}
