// Known-answer tests of dsp internals that carry speed shortcuts: the sorting-network median beat
// (against a plain per-sample sort), the paired Goertzel (against the single one and known tones)
// the single-precision isoelectric spline (a linear baseline through its knots is removed) and the
// vectorised block minimum/maximum (against the scalar comparisons it replaces).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <random>
#include <span>
#include <vector>

#include "../../dsp/src/beats_baseline.hpp"
#include "../../dsp/src/median_beat.hpp"
#include "../../dsp/src/min_max.hpp"
#include "../../dsp/src/quality_signal.hpp"
#include "../../dsp/src/select.hpp"

namespace {

using gc::dsp::detail::BeatWindow;

// Reference: per sample, the median of the beats that cover it (mean of the two middle values
// for an even count); samples no beat covers take the nearest covered value.
std::vector<float> reference_median(std::span<const float> x, const std::vector<std::int64_t>& fid,
                                    const BeatWindow& w) {
  const auto n = static_cast<std::int64_t>(x.size());
  std::vector<float> out(static_cast<std::size_t>(w.len()), 0.f);
  std::vector<bool> covered(out.size(), false);
  for (std::int64_t k = 0; k < w.len(); ++k) {
    std::vector<float> v;
    for (const auto f : fid) {
      const std::int64_t s = f - w.pre + k;
      if (s >= 0 && s < n) v.push_back(x[static_cast<std::size_t>(s)]);
    }
    if (v.empty()) continue;
    std::sort(v.begin(), v.end());
    const std::size_t m = v.size() / 2;
    out[static_cast<std::size_t>(k)] = v.size() % 2 ? v[m] : 0.5f * (v[m - 1] + v[m]);
    covered[static_cast<std::size_t>(k)] = true;
  }
  const auto first = std::find(covered.begin(), covered.end(), true) - covered.begin();
  const auto last = static_cast<std::ptrdiff_t>(covered.size()) - 1 -
                    (std::find(covered.rbegin(), covered.rend(), true) - covered.rbegin());
  for (std::ptrdiff_t k = 0; k < first; ++k) out[static_cast<std::size_t>(k)] = out[static_cast<std::size_t>(first)];
  for (auto k = static_cast<std::size_t>(last) + 1; k < out.size(); ++k) out[k] = out[static_cast<std::size_t>(last)];
  return out;
}

}  // namespace

TEST_CASE("median beat: sorting network and selection paths equal a per-sample sort", "[internals]") {
  std::mt19937 rng(7);
  std::normal_distribution<float> g(0.f, 300.f);
  const BeatWindow w{40, 60};
  for (const std::size_t nb : {1u, 2u, 3u, 7u, 8u, 12u, 13u, 31u, 32u, 33u, 40u}) {
    std::vector<float> lead(static_cast<std::size_t>(120 * (nb + 2)));
    for (auto& v : lead) v = g(rng);
    std::vector<std::int64_t> fid;
    // The first and last beats sit closer to the record's ends than the window reaches.
    for (std::size_t b = 0; b < nb; ++b) fid.push_back(10 + static_cast<std::int64_t>(b) * 120);
    fid.back() = static_cast<std::int64_t>(lead.size()) - 20;
    std::sort(fid.begin(), fid.end());
    const std::vector<std::span<const float>> leads{lead, lead};
    const auto got = gc::dsp::detail::median_beat(leads, fid, w);
    const auto want = reference_median(lead, fid, w);
    REQUIRE(got.size() == 2);
    for (std::size_t k = 0; k < want.size(); ++k) {
      INFO("beats " << nb << ", sample " << k);
      REQUIRE(got[0][k] == Approx(want[k]).margin(1e-3));
      REQUIRE(got[1][k] == Approx(want[k]).margin(1e-3));
    }
  }
}

TEST_CASE("tone amplitudes: the paired Goertzel equals two single ones and reads known tones", "[internals]") {
  for (const double fs : {250.0, 360.0, 500.0, 1000.0}) {
    std::vector<float> x(static_cast<std::size_t>(10 * fs));
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double t = static_cast<double>(i) / fs;
      x[i] = static_cast<float>(30.0 * std::sin(2 * std::numbers::pi * 50.0 * t + 0.3) +
                                10.0 * std::sin(2 * std::numbers::pi * 60.0 * t + 1.1) + 500.0);
    }
    const auto [a50, a60] = gc::dsp::detail::tone_amplitudes_uv(x, fs, 50.0, 60.0);
    INFO("fs " << fs);
    CHECK(a50 == Approx(gc::dsp::detail::tone_amplitude_uv(x, fs, 50.0)).epsilon(1e-12));
    CHECK(a60 == Approx(gc::dsp::detail::tone_amplitude_uv(x, fs, 60.0)).epsilon(1e-12));
    CHECK(a50 == Approx(30.0).margin(0.5));
    CHECK(a60 == Approx(10.0).margin(0.5));
  }
}

TEST_CASE("tone amplitudes over several leads: bit for bit what each lead gives alone",
          "[internals]") {
  std::mt19937 rng(5);
  std::normal_distribution<float> noise(0.f, 20.f);
  for (const double fs : {100.0, 257.0, 500.0, 1000.0}) {
    for (const std::size_t n_leads : {1u, 2u, 5u, 12u}) {
      std::vector<std::vector<float>> leads(n_leads,
                                            std::vector<float>(static_cast<std::size_t>(10 * fs)));
      for (std::size_t l = 0; l < n_leads; ++l) {
        for (std::size_t i = 0; i < leads[l].size(); ++i) {
          const double t = static_cast<double>(i) / fs;
          leads[l][i] = static_cast<float>(5.0 * static_cast<double>(l + 1) *
                                               std::sin(2 * std::numbers::pi * 50.0 * t) +
                                           100.0 * static_cast<double>(l)) +
                        noise(rng);
        }
      }
      std::vector<std::span<const float>> spans(leads.begin(), leads.end());
      const auto all = gc::dsp::detail::tone_amplitudes_uv(spans, fs, 50.0, 60.0);
      REQUIRE(all.size() == n_leads);
      for (std::size_t l = 0; l < n_leads; ++l) {
        INFO("fs " << fs << ", lead " << l << " of " << n_leads);
        const auto one = gc::dsp::detail::tone_amplitudes_uv(spans[l], fs, 50.0, 60.0);
        CHECK(all[l].first == one.first);
        CHECK(all[l].second == one.second);
      }
    }
  }
}

TEST_CASE("isoelectric spline: a linear baseline through the knots is removed exactly", "[internals]") {
  std::vector<float> x(5000);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = 200.0f + 0.3f * static_cast<float>(i);
  const std::vector<std::int64_t> knots{400, 1250, 2000, 2900, 3800, 4600};
  gc::dsp::detail::subtract_isoelectric_spline(x, knots, 5);
  // Between the end knots the natural spline through collinear points is that line; outside
  // them it is held flat, so the ramp remains there.
  for (std::int64_t i = 400; i <= 4600; ++i) REQUIRE(x[static_cast<std::size_t>(i)] == Approx(0.0).margin(0.05));
  CHECK(x[0] == Approx(-0.3 * 400).margin(0.05));
  CHECK(x[4999] == Approx(0.3 * 399).margin(0.05));
}

TEST_CASE("block min/max: the vector path gives what the scalar comparisons give", "[internals]") {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-5000.f, 5000.f);
  // Every length around the 8-wide steps and the 16-sample vector threshold, extremes anywhere.
  for (std::size_t n = 1; n <= 70; ++n) {
    for (int trial = 0; trial < 20; ++trial) {
      std::vector<float> x(n);
      for (auto& v : x) v = u(rng);
      if (trial % 5 == 1) x[rng() % n] = 1e30f;
      if (trial % 5 == 2) x[rng() % n] = -1e30f;
      if (trial % 5 == 3) std::fill(x.begin(), x.end(), 12.5f);
      float lo = x[0], hi = x[0];
      for (const float v : x) {
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
      }
      const auto [vlo, vhi] = gc::dsp::detail::min_max(x.data(), n);
      INFO("n = " << n << ", trial " << trial);
      CHECK(vlo == lo);
      CHECK(vhi == hi);
    }
  }
  // Signed zeros: the first extreme met is kept, as with the scalar comparisons.
  std::vector<float> z(40, 0.f);
  z[0] = -0.f;
  const auto [zlo, zhi] = gc::dsp::detail::min_max(z.data(), z.size());
  CHECK(std::signbit(zlo));
  CHECK(std::signbit(zhi));
}

TEST_CASE("kth_smallest: the order statistic std::nth_element gives, on every shape of input",
          "[internals]") {
  std::mt19937 rng(20261205);
  std::normal_distribution<float> noise(0.f, 50.f);
  std::uniform_int_distribution<int> few(0, 3);
  // Shapes: noise, heavy ties, all equal, sorted, reversed, organ pipe (a median-of-three
  // killer), and a lead off (zeros with a few beats).
  const auto make = [&](int shape, std::size_t n) {
    std::vector<float> v(n);
    for (std::size_t i = 0; i < n; ++i) {
      const auto fi = static_cast<float>(i);
      const auto fn = static_cast<float>(n);
      switch (shape) {
        case 0:
          v[i] = noise(rng);
          break;
        case 1:
          v[i] = static_cast<float>(few(rng));
          break;
        case 2:
          v[i] = 7.f;
          break;
        case 3:
          v[i] = fi;
          break;
        case 4:
          v[i] = fn - fi;
          break;
        case 5:
          v[i] = i < n / 2 ? fi : fn - fi;
          break;
        default:
          v[i] = i % 97 == 0 ? 1000.f : 0.f;
          break;
      }
    }
    return v;
  };
  for (int shape = 0; shape < 7; ++shape) {
    for (const std::size_t n : {1u, 2u, 3u, 16u, 17u, 63u, 250u, 1000u, 5000u}) {
      for (const std::size_t k : {std::size_t{0}, n / 10, n / 2, (n - 1) * 7 / 10, n - 1}) {
        const std::vector<float> v = make(shape, n);
        std::vector<float> ref = v, got = v;
        std::nth_element(ref.begin(), ref.begin() + static_cast<std::ptrdiff_t>(k), ref.end());
        INFO("shape " << shape << ", n " << n << ", k " << k);
        CHECK(gc::dsp::detail::kth_smallest(got.data(), n, k) == ref[k]);
      }
    }
  }
  // Non-finite values have no order; the selection still ends and returns one of the values.
  std::vector<float> bad(300, std::numeric_limits<float>::quiet_NaN());
  for (std::size_t i = 0; i < bad.size(); i += 3) bad[i] = static_cast<float>(i);
  const float r = gc::dsp::detail::kth_smallest(bad.data(), bad.size(), 150);
  CHECK((std::isnan(r) || (r >= 0.f && r < 300.f)));
}
