// gc::eval::resample (the band-limited resampling behind `eval stemi --resample-hz`): gain,
// phase and length on tones whose values are known, alias rejection, and the arguments it refuses.
// And what the resampled reads showed: a sharp R apex is not a pacemaker stimulus (two real
// records that the one-lead stimulus test read as paced once resampled).
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <numbers>

#include "gc/eval.hpp"
#include "gc/record_input.hpp"
#include "gc/resample.hpp"

using namespace gc;
namespace fs = std::filesystem;

namespace {

dsp::SignalBlock tone_block(double fs_hz, double seconds, double tone_hz, double amp_uv,
                            double dc_uv) {
  dsp::SignalBlock b;
  b.sample_rate_hz = fs_hz;
  b.lead_names = {"I", "II"};
  const auto n = static_cast<std::size_t>(std::llround(fs_hz * seconds));
  b.samples_uv.assign(2, std::vector<float>(n));
  for (std::size_t i = 0; i < n; ++i) {
    const double t_s = static_cast<double>(i) / fs_hz;
    b.samples_uv[0][i] =
        static_cast<float>(dc_uv + amp_uv * std::sin(2 * std::numbers::pi * tone_hz * t_s));
    b.samples_uv[1][i] = static_cast<float>(-dc_uv);
  }
  return b;
}

// Largest |out − expected| over the samples at least `margin_s` from either end.
double max_interior_error_uv(const dsp::SignalBlock& out, double tone_hz, double amp_uv,
                             double dc_uv, double margin_s) {
  double worst = 0;
  const auto& x = out.samples_uv[0];
  for (std::size_t k = 0; k < x.size(); ++k) {
    const double t_s = static_cast<double>(k) / out.sample_rate_hz;
    if (t_s < margin_s || t_s > static_cast<double>(x.size()) / out.sample_rate_hz - margin_s)
      continue;
    const double want = dc_uv + amp_uv * std::sin(2 * std::numbers::pi * tone_hz * t_s);
    worst = std::max(worst, std::abs(x[k] - want));
  }
  return worst;
}

}  // namespace

TEST_CASE("resample: a tone in the pass band keeps its amplitude, phase and baseline",
          "[eval][resample]") {
  SECTION("500 → 100 Hz") {
    const auto out = eval::resample(tone_block(500, 10, 10, 1000, 300), 100);
    CHECK(out.sample_rate_hz == 100);
    CHECK(out.lead_names == std::vector<std::string>{"I", "II"});
    REQUIRE(out.samples_uv.size() == 2);
    CHECK(out.samples_uv[0].size() == 1000);
    CHECK(max_interior_error_uv(out, 10, 1000, 300, 0.2) < 5);  // 0.5 % of the tone
    for (const float v : out.samples_uv[1])
      REQUIRE(v == Approx(-300).margin(1e-3));  // DC, ends too
  }
  SECTION("100 → 500 Hz") {
    const auto out = eval::resample(tone_block(100, 10, 5, 1000, 0), 500);
    CHECK(out.samples_uv[0].size() == 5000);
    CHECK(max_interior_error_uv(out, 5, 1000, 0, 0.2) < 5);
  }
  SECTION("500 → 257 Hz (INCART's rate; not a whole ratio)") {
    const auto out = eval::resample(tone_block(500, 10, 20, 1000, 0), 257);
    CHECK(out.samples_uv[0].size() == 2570);
    CHECK(max_interior_error_uv(out, 20, 1000, 0, 0.2) < 5);
  }
}

TEST_CASE("resample: a tone above the new rate's band does not fold back into it",
          "[eval][resample]") {
  // 70 Hz at 500 Hz read at 100 Hz would alias to 30 Hz, in the QRS band.
  const auto out = eval::resample(tone_block(500, 10, 70, 1000, 0), 100);
  double worst = 0;
  for (std::size_t k = 20; k + 20 < out.samples_uv[0].size(); ++k) {
    worst = std::max(worst, static_cast<double>(std::abs(out.samples_uv[0][k])));
  }
  CHECK(worst < 1);  // below −60 dB of the 1000 µV tone
}

TEST_CASE("resample and --resample-hz refuse what they cannot do", "[eval][resample]") {
  const auto b = tone_block(500, 1, 10, 100, 0);
  CHECK_THROWS_AS(eval::resample(b, 0), std::invalid_argument);
  CHECK_THROWS_AS(eval::resample(b, -100), std::invalid_argument);
  CHECK_THROWS_AS(eval::resample(b, std::nan("")), std::invalid_argument);
  auto ragged = b;
  ragged.samples_uv[1].pop_back();
  CHECK_THROWS_AS(eval::resample(ragged, 100), std::invalid_argument);
  dsp::SignalBlock empty;
  empty.sample_rate_hz = 500;
  CHECK(eval::resample(empty, 100).samples_uv.empty());

  CHECK(eval::parse_rate_option("257") == 257);
  CHECK(eval::parse_rate_option("1000") == 1000);
  for (const char* bad : {"", "abc", "250x", "10", "5000", "nan", "-250"}) {
    INFO(bad);
    CHECK_THROWS_AS(eval::parse_rate_option(bad), std::invalid_argument);
  }
}

// Found with `eval stemi --resample-hz`: read with the one-lead stimulus test, PTB-XL 00029 (a
// normal ECG) was "ventricular pacing, QRS 46 ms" once a 225 Hz low-pass had touched it (500 Hz
// → 500 Hz), and LUDB 75 at 250 Hz. Their sharp R apex is one lead's; a stimulus reaches them all.
// A paced record is still read as paced at its own rate.
TEST_CASE("resampled real records: a sharp R apex is not read as a pacemaker stimulus",
          "[eval][resample][pacing][data]") {
  const fs::path data = GC_ECG_DATA_DIR;
  const fs::path normal = data / "ptbxl/records500/00000/00029_hr.hea";
  const fs::path lvh = data / "ludb/data/75.hea";
  const fs::path paced = data / "ptbxl/records500/00000/00143_hr.hea";
  if (!fs::exists(normal) || !fs::exists(lvh) || !fs::exists(paced)) {
    WARN("PTB-XL / LUDB records not under " GC_ECG_DATA_DIR " — skipped");
    return;
  }
  CHECK_FALSE(
      dsp::analyze(eval::resample(eval::load_record(normal).block, 500)).global.pacing_spikes);
  CHECK_FALSE(dsp::analyze(eval::resample(eval::load_record(lvh).block, 250)).global.pacing_spikes);
  CHECK(dsp::analyze(eval::load_record(paced).block).global.pacing_spikes);
}
