// Known-answer tests of the diagnostic filter: AHA 2007 impulse test, sine responses, ST step
// survival, mains removal and detection, edges, long records and odd inputs.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

#include "gc/dsp.hpp"

namespace {

using gc::dsp::filter_diagnostic;

std::vector<float> sine(double f_hz, double amp_uv, double fs, double seconds, double phase = 0) {
  std::vector<float> x(static_cast<std::size_t>(seconds * fs));
  for (std::size_t i = 0; i < x.size(); ++i) {
    x[i] = static_cast<float>(amp_uv * std::sin(2 * std::numbers::pi * f_hz * i / fs + phase));
  }
  return x;
}

double rms(const std::vector<float>& x, std::size_t a, std::size_t b) {
  double s = 0;
  for (std::size_t i = a; i < b; ++i) s += static_cast<double>(x[i]) * x[i];
  return std::sqrt(s / static_cast<double>(b - a));
}

// Gain in dB of the filter on a pure sine, measured away from the edges.
double sine_gain_db(double f_hz, double fs, std::optional<double> mains) {
  const double seconds = std::max(30.0, 20.0 / f_hz);
  const auto x = sine(f_hz, 1000, fs, seconds);
  const auto y = filter_diagnostic(x, fs, mains);
  const std::size_t a = x.size() / 4;
  const std::size_t b = x.size() - x.size() / 4;
  return 20 * std::log10(rms(y, a, b) / rms(x, a, b));
}

// A beat train with a known ST shift: flat PR segment at 0, Gaussian QRS, ST plateau of st_uv
// from J (R+50 ms) that tapers to 0 over the T wave; T wave 300 µV.
struct Train {
  std::vector<float> x;
  std::vector<std::size_t> r;
};

Train beat_train(double fs, double seconds, double rr_s, double st_uv) {
  Train t;
  t.x.assign(static_cast<std::size_t>(seconds * fs), 0.0f);
  for (double r_s = 0.5; r_s + 0.7 < seconds; r_s += rr_s) {
    const auto r = static_cast<std::size_t>(r_s * fs);
    t.r.push_back(r);
    for (std::size_t i = r - static_cast<std::size_t>(0.3 * fs); i < r + static_cast<std::size_t>(0.6 * fs); ++i) {
      const double dt = (static_cast<double>(i) - static_cast<double>(r)) / fs;
      double v = 1200 * std::exp(-0.5 * std::pow(dt / 0.012, 2));                 // R
      v -= 200 * std::exp(-0.5 * std::pow((dt - 0.03) / 0.008, 2));             // S
      v += 120 * std::exp(-0.5 * std::pow((dt + 0.18) / 0.025, 2));             // P
      v += 300 * std::exp(-0.5 * std::pow((dt - 0.30) / 0.045, 2));             // T
      // ST plateau: 0 before J, st_uv from J+10 ms to T peak, smooth ramps, 0 by T end (+0.42 s).
      auto smooth_step = [](double u) { return u <= 0 ? 0.0 : u >= 1 ? 1.0 : 0.5 - 0.5 * std::cos(std::numbers::pi * u); };
      v += st_uv * smooth_step((dt - 0.04) / 0.02) * (1 - smooth_step((dt - 0.30) / 0.12));
      t.x[i] += static_cast<float>(v);
    }
  }
  return t;
}

// ST (J+60 ms) relative to the PR level (R-70 ms), averaged over beats away from the edges.
double mean_st(const std::vector<float>& x, const std::vector<std::size_t>& r, double fs) {
  double s = 0;
  int n = 0;
  for (std::size_t k = 2; k + 2 < r.size(); ++k) {
    const auto pr = r[k] - static_cast<std::size_t>(0.07 * fs);
    const auto st = r[k] + static_cast<std::size_t>(0.11 * fs);
    s += x[st] - x[pr];
    ++n;
  }
  return s / n;
}

}  // namespace

TEST_CASE("filter: AHA 2007 impulse test (3 mV x 100 ms pulse)", "[filter]") {
  for (const double fs : {250.0, 360.0, 500.0, 1000.0}) {
    std::vector<float> x(static_cast<std::size_t>(20 * fs), 0.0f);
    const auto start = static_cast<std::size_t>(10 * fs);
    const auto end = start + static_cast<std::size_t>(0.1 * fs);
    for (std::size_t i = start; i < end; ++i) x[i] = 3000;
    for (const std::optional<double> mains : {std::optional<double>(), std::optional<double>(50.0)}) {
      const auto y = filter_diagnostic(x, fs, mains);
      // From 40 ms after the trailing edge (the 150 Hz low-pass edge transient has settled).
      const auto from = end + static_cast<std::size_t>(0.04 * fs);
      double max_disp = 0;
      double max_slope = 0;
      const auto step = static_cast<std::size_t>(0.02 * fs);  // slope over 20 ms
      for (std::size_t i = from; i + step < y.size(); ++i) {
        max_disp = std::max(max_disp, std::abs(static_cast<double>(y[i])));
        max_slope = std::max(max_slope, std::abs(static_cast<double>(y[i + step] - y[i])) / 0.02);
      }
      INFO("fs " << fs << " displacement " << max_disp << " uV, slope " << max_slope << " uV/s");
      CHECK(max_disp <= 100.0);
      CHECK(max_slope <= 300.0);
      // The pulse itself passes nearly unchanged.
      CHECK(y[(start + end) / 2] == Approx(3000).margin(100));
    }
  }
}

TEST_CASE("filter: sine responses 0.67 Hz and 1-40 Hz", "[filter]") {
  for (const double fs : {250.0, 360.0, 500.0, 1000.0}) {
    INFO("fs " << fs);
    CHECK(sine_gain_db(0.67, fs, 50.0) >= -0.9);
    for (const double f : {1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 40.0}) {
      INFO("f " << f);
      CHECK(std::abs(sine_gain_db(f, fs, 50.0)) <= 0.5);
      CHECK(std::abs(sine_gain_db(f, fs, 60.0)) <= 0.5);
      CHECK(std::abs(sine_gain_db(f, fs, std::nullopt)) <= 0.5);
    }
  }
  // Upper end: flat to 150 Hz and beyond (no low-pass), except at the notched mains harmonics.
  CHECK(sine_gain_db(120.0, 500, std::nullopt) == Approx(0).margin(0.1));
  CHECK(sine_gain_db(150.0, 500, std::nullopt) == Approx(0).margin(0.1));
  CHECK(sine_gain_db(150.0, 500, 60.0) == Approx(0).margin(0.1));
  CHECK(sine_gain_db(150.0, 500, 50.0) < -40);
  CHECK(sine_gain_db(52.0, 500, 50.0) == Approx(0).margin(0.1));
  // Drift well below the corner is removed (the AHA pulse test bounds how sharp the corner can be).
  CHECK(sine_gain_db(0.05, 500, std::nullopt) < -15);
  CHECK(sine_gain_db(0.02, 500, std::nullopt) < -30);
}

TEST_CASE("filter: a known ST shift survives within ±10 µV", "[filter]") {
  for (const double fs : {360.0, 500.0}) {
    for (const double rr : {0.6, 1.0, 1.5}) {
      for (const double st : {-200.0, 100.0, 300.0}) {
        const Train t = beat_train(fs, 30, rr, st);
        const double before = mean_st(t.x, t.r, fs);
        REQUIRE(before == Approx(st).margin(1.0));  // the construction puts it there
        for (const std::optional<double> mains : {std::optional<double>(), std::optional<double>(50.0)}) {
          const auto y = filter_diagnostic(t.x, fs, mains);
          INFO("fs " << fs << " rr " << rr << " st " << st);
          CHECK(mean_st(y, t.r, fs) == Approx(before).margin(10.0));
        }
      }
    }
  }
}

TEST_CASE("filter: mains interference is detected and removed", "[filter]") {
  for (const double mains : {50.0, 60.0}) {
    const double fs = 500;
    const Train t = beat_train(fs, 20, 0.8, 0);
    const auto hum = sine(mains, 100, fs, 20, 0.3);
    std::vector<float> noisy(t.x.size());
    for (std::size_t i = 0; i < noisy.size(); ++i) noisy[i] = t.x[i] + hum[i];
    REQUIRE(gc::dsp::detect_mains_hz(noisy, fs) == mains);
    CHECK_FALSE(gc::dsp::detect_mains_hz(t.x, fs).has_value());
    const auto clean_f = filter_diagnostic(t.x, fs, mains);
    const auto noisy_auto = filter_diagnostic(noisy, fs, std::nullopt);
    const auto noisy_given = filter_diagnostic(noisy, fs, mains);
    std::vector<float> diff_auto(noisy.size()), diff_given(noisy.size());
    for (std::size_t i = 0; i < noisy.size(); ++i) {
      diff_auto[i] = noisy_auto[i] - clean_f[i];
      diff_given[i] = noisy_given[i] - clean_f[i];
    }
    const auto a = static_cast<std::size_t>(2 * fs);
    const auto b = noisy.size() - a;
    INFO("mains " << mains);
    CHECK(rms(diff_auto, a, b) < 3.0);  // from 70.7 µV RMS of hum
    CHECK(rms(diff_given, a, b) < 3.0);
    // The notch leaves the ST level alone (ringing after QRS is tiny).
    CHECK(mean_st(noisy_given, t.r, fs) == Approx(mean_st(clean_f, t.r, fs)).margin(5.0));
  }
  // Multi-lead vote.
  const auto hum = sine(50, 80, 500, 10);
  std::vector<std::vector<float>> leads(3, hum);
  CHECK(gc::dsp::detect_mains_hz(leads, 500) == 50.0);
}

TEST_CASE("filter: edges, offsets, long records and odd inputs", "[filter]") {
  const double fs = 500;
  // Large DC offset plus a ramp: mirrored edges keep the output bounded near both ends.
  std::vector<float> x(static_cast<std::size_t>(10 * fs));
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = 5000.0f + 0.2f * static_cast<float>(i);
  auto y = filter_diagnostic(x, fs, 50.0);
  REQUIRE(y.size() == x.size());
  for (const float v : y) REQUIRE(std::isfinite(v));
  const float peak = *std::max_element(y.begin(), y.end(), [](float p, float q) { return std::abs(p) < std::abs(q); });
  CHECK(std::abs(peak) < 1000.0f);  // the ramp spans 1000 µV; no blow-up at the edges

  // Long record (blocks with overlap): a 10 Hz sine keeps its amplitude everywhere, including at
  // block joins, with no steps.
  const auto long_x = sine(10, 500, 360, 1800);
  const auto long_y = filter_diagnostic(long_x, 360, std::nullopt);
  REQUIRE(long_y.size() == long_x.size());
  double worst = 0;
  for (std::size_t i = 360 * 5; i + 360 * 5 < long_x.size(); ++i) {
    worst = std::max(worst, std::abs(static_cast<double>(long_y[i] - long_x[i])));
  }
  CHECK(worst < 5.0);

  // Odd inputs: empty, one sample, all zero, 1 s, non-finite samples.
  CHECK(filter_diagnostic(std::vector<float>{}, fs, std::nullopt).empty());
  CHECK(filter_diagnostic(std::vector<float>{42.0f}, fs, std::nullopt).size() == 1);
  const auto zeros = filter_diagnostic(std::vector<float>(500, 0.0f), fs, std::nullopt);
  CHECK(std::all_of(zeros.begin(), zeros.end(), [](float v) { return v == 0.0f; }));
  auto with_nan = sine(5, 300, fs, 1);
  with_nan[100] = std::numeric_limits<float>::quiet_NaN();
  with_nan[200] = std::numeric_limits<float>::infinity();
  const auto y_nan = filter_diagnostic(with_nan, fs, std::nullopt);
  CHECK(std::all_of(y_nan.begin(), y_nan.end(), [](float v) { return std::isfinite(v); }));
  CHECK_THROWS_AS(filter_diagnostic(with_nan, 0, std::nullopt), std::invalid_argument);
}
