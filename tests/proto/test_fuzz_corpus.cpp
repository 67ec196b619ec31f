// The fuzz target's body over the checked-in seed corpus (tests/fuzz/corpus), so every normal
// test run replays the seeds (and any crash reproducer added there) without libFuzzer.
#include <catch2/catch.hpp>

#include <filesystem>

#include "fuzz/fuzz_frames_body.hpp"
#include "fuzz/corpus_replay.hpp"

namespace fs = std::filesystem;

TEST_CASE("fuzz seed corpus replays without crashing") {
  CHECK(gc::fuzz::replay_corpus("corpus", gc::fuzz::fuzz_frames_one) >= 5);
}

TEST_CASE("the session seed holds five valid frames") {
  const fs::path seed = gc::fuzz::corpus_dir("corpus") / "session";
  const std::string bytes = gc::fuzz::file_bytes(seed);
  REQUIRE(bytes.size() > 1);
  gc::proto::FrameDecoder decoder;
  decoder.feed(std::string_view(bytes).substr(1));  // first byte: the fuzzer's read-size selector
  int frames = 0;
  while (auto body = decoder.next_frame()) {
    CHECK_NOTHROW(gc::proto::validate(gc::proto::parse_cart_message(*body), gc::proto::Limits{}));
    ++frames;
  }
  CHECK(frames == 5);
}
