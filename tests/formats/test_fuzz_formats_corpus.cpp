// Replays the checked-in seed corpora of the ECG file readers' fuzz targets (and any crash
// reproducer added to them) through the same body, without libFuzzer.
#include <catch2/catch.hpp>

#include "fuzz/corpus_replay.hpp"
#include "fuzz/fuzz_formats_body.hpp"
#include "gc/formats.hpp"

using gc::fuzz::FormatsTarget;

TEST_CASE("fuzz seed corpora of the ECG file readers replay cleanly", "[formats][fuzz]") {
  const std::pair<const char*, FormatsTarget> corpora[] = {
      {"corpus_formats_scp", FormatsTarget::scp},
      {"corpus_formats_dicom", FormatsTarget::dicom},
      {"corpus_formats_xml", FormatsTarget::xml},
      {"corpus_formats_xli", FormatsTarget::xli}};
  for (const auto& [corpus, target] : corpora) {
    INFO(corpus);
    const int n =
        gc::fuzz::replay_corpus(corpus, [t = target](const std::uint8_t* d, std::size_t s) {
          gc::fuzz::fuzz_formats_one(t, d, s);
        });
    CHECK(n >= 3);
  }
}

// The bimodal seeds must be valid records, so that the fuzzer starts inside the bimodal decoder
// rather than at its first error.
TEST_CASE("the bimodal SCP-ECG seeds read as whole records", "[formats][fuzz][bimodal]") {
  int n = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(gc::fuzz::corpus_dir("corpus_formats_scp"))) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("bimodal_", 0) != 0) continue;
    INFO(name);
    const std::string bytes = gc::fuzz::file_bytes(entry.path());
    const auto f = gc::formats::read_ecg(std::span<const std::uint8_t>(
        reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
    CHECK(f.samples_per_lead == 300);
    CHECK(f.sample_rate_hz == Approx(500));
    CHECK(f.warnings.empty());
    ++n;
  }
  CHECK(n == 3);
}
