// Replaying a checked-in fuzz seed corpus in the normal test suite (no libFuzzer): every file in
// tests/fuzz/<corpus>/ goes through the target's body, so each ordinary test run exercises the
// seeds and any crash reproducer added to them.
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace gc::fuzz {

inline std::filesystem::path corpus_dir(const char* corpus) {
  return std::filesystem::path(GC_SOURCE_DIR) / "tests" / "fuzz" / corpus;
}

inline std::string file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Calls one(data, size) for every seed file, each under CHECK_NOTHROW; returns the file count.
template <class One>
int replay_corpus(const char* corpus, One&& one) {
  const auto dir = corpus_dir(corpus);
  REQUIRE(std::filesystem::is_directory(dir));
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string bytes = file_bytes(entry.path());
    INFO(entry.path().filename().string());
    CHECK_NOTHROW(one(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
    ++files;
  }
  return files;
}

}  // namespace gc::fuzz
