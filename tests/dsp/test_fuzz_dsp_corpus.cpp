// The fuzz_dsp target's body over its checked-in seed corpus (tests/fuzz/corpus_dsp), so every
// normal test run replays the seeds (all-zero, saturated, one lead off, NaN/Inf, huge values, 1 s,
// odd and invalid rates, synthetic ECGs; and any crash reproducer added there) without libFuzzer.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "fuzz/fuzz_dsp_body.hpp"
#include "fuzz/corpus_replay.hpp"

namespace fs = std::filesystem;

TEST_CASE("dsp fuzz seed corpus replays without crashing") {
  CHECK(gc::fuzz::replay_corpus("corpus_dsp", gc::fuzz::fuzz_dsp_one) >= 15);
}

TEST_CASE("the synthetic 12-lead dsp seed decodes to a 10 s record analysed with beats") {
  // Guards the seed layout: if fuzz_dsp_body.hpp's decoding changes, this seed must still reach
  // past QRS detection, or the corpus stops exercising the measurement code.
  const fs::path seed = gc::fuzz::corpus_dir("corpus_dsp") / "synth_12lead_500hz_10s";
  const std::string bytes = gc::fuzz::file_bytes(seed);
  const auto input =
      gc::fuzz::decode_dsp_input(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  CHECK(input.block.sample_rate_hz == 500);
  REQUIRE(input.block.samples_uv.size() == 12);
  CHECK(input.block.lead_names[6] == "V1");
  CHECK(input.block.samples_uv[0].size() == 5000u);
  const auto a = gc::dsp::analyze(input.block, input.options);
  CHECK(a.beats.size() >= 10);  // 72 bpm for 10 s
  REQUIRE(a.global.heart_rate_bpm);
  CHECK(*a.global.heart_rate_bpm == Approx(72).margin(3));
  CHECK(a.median.n_beats_used > 0);
}

TEST_CASE("detect_mains_hz on an empty or sub-hertz lead reports no mains") {
  // Regression (found by fuzz_dsp): below 0.125 Hz, or on an empty lead at under 0.5 Hz, the 4 s
  // analysis segment rounds to 0 samples and the segment count divided by zero.
  const std::vector<float> empty;
  CHECK_FALSE(gc::dsp::detect_mains_hz(empty, 1e-3));
  CHECK_FALSE(gc::dsp::detect_mains_hz(empty, 0.25));
  const std::vector<float> six(6, 100.f);
  CHECK_FALSE(gc::dsp::detect_mains_hz(six, 0.1));
  CHECK_FALSE(gc::dsp::detect_mains_hz(std::vector<std::vector<float>>{six, six}, 0.1));
}
