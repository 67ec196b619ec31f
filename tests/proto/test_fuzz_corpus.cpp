// The fuzz target's body over the checked-in seed corpus (tests/fuzz/corpus), so every normal
// test run replays the seeds (and any crash reproducer added there) without libFuzzer.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "fuzz/fuzz_frames_body.hpp"

namespace fs = std::filesystem;

TEST_CASE("fuzz seed corpus replays without crashing") {
  const fs::path corpus = fs::path(GC_SOURCE_DIR) / "tests" / "fuzz" / "corpus";
  REQUIRE(fs::is_directory(corpus));
  int files = 0;
  for (const auto& entry : fs::directory_iterator(corpus)) {
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    INFO(entry.path().filename().string());
    CHECK_NOTHROW(gc::fuzz::fuzz_frames_one(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                            bytes.size()));
    ++files;
  }
  CHECK(files >= 5);
}

TEST_CASE("the session seed holds five valid frames") {
  const fs::path seed = fs::path(GC_SOURCE_DIR) / "tests" / "fuzz" / "corpus" / "session";
  std::ifstream in(seed, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
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
