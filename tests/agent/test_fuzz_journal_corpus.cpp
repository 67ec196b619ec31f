// Replays the checked-in seed corpus of the watch journal's fuzz target (and any crash reproducer
// added to it) through the same body, without libFuzzer.
#include <catch2/catch.hpp>

#include "fuzz/corpus_replay.hpp"
#include "fuzz/fuzz_journal_body.hpp"

TEST_CASE("fuzz seed corpus of the watch journal replays cleanly", "[agent][journal][fuzz]") {
  const int n = gc::fuzz::replay_corpus("corpus_journal", [](const std::uint8_t* d, std::size_t s) {
    gc::fuzz::fuzz_journal_one(d, s);
  });
  CHECK(n >= 5);
}
