// Replays the checked-in seed corpora of the ECG file readers' fuzz targets (and any crash
// reproducer added to them) through the same body, without libFuzzer.
#include <catch2/catch.hpp>

#include "fuzz/corpus_replay.hpp"
#include "fuzz/fuzz_formats_body.hpp"

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
