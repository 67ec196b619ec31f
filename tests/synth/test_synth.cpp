// Synthetic ECG generator: lead relations, beat timing, ST shifts measured the way a reader does
// (J + 60 ms against the PR segment), wide-QRS morphologies, disturbances, determinism.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <numbers>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "gc/synth.hpp"
#include "gc/wfdb.hpp"

using gc::synth::Spec;
using gc::synth::Synthesized;

namespace {

std::size_t index_of(const Synthesized& s, const std::string& lead) {
  const auto it = std::find(s.lead_names.begin(), s.lead_names.end(), lead);
  REQUIRE(it != s.lead_names.end());
  return static_cast<std::size_t>(it - s.lead_names.begin());
}

const std::vector<float>& lead(const Synthesized& s, const std::string& name) {
  return s.samples_uv[index_of(s, name)];
}

// ST deviation of one beat: value at J + offset minus the mean of the PR segment
// (QRS onset − 30 ms .. − 10 ms), as DESIGN.md §3 measures it.
double st_uv(const Synthesized& s, const std::string& name, std::size_t beat, double offset_ms) {
  const auto& x = lead(s, name);
  const double fs = s.sample_rate_hz;
  const auto onset = s.qrs_onset_samples.at(beat);
  const auto a = onset - static_cast<std::int64_t>(std::lround(0.030 * fs));
  const auto b = onset - static_cast<std::int64_t>(std::lround(0.010 * fs));
  double pr = 0;
  for (auto i = a; i <= b; ++i) pr += x.at(static_cast<std::size_t>(i));
  pr /= static_cast<double>(b - a + 1);
  const auto at =
      s.j_samples.at(beat) + static_cast<std::int64_t>(std::lround(offset_ms * 1e-3 * fs));
  return x.at(static_cast<std::size_t>(at)) - pr;
}

Spec clean_spec() {
  Spec s;
  s.noise_rms_uv = 0;
  return s;
}

// Amplitude of the `hz` component of x (least squares on sin/cos over whole periods).
double tone_amplitude(const std::vector<double>& x, double fs, double hz) {
  double c = 0;
  double si = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double ph = 2 * std::numbers::pi * hz * static_cast<double>(i) / fs;
    c += x[i] * std::cos(ph);
    si += x[i] * std::sin(ph);
  }
  return 2 * std::hypot(c, si) / static_cast<double>(x.size());
}

}  // namespace

TEST_CASE("lead names for 12 and 18 leads") {
  const auto l12 = gc::synth::lead_names(false);
  const auto l18 = gc::synth::lead_names(true);
  REQUIRE(l12.size() == 12);
  REQUIRE(l18.size() == 18);
  CHECK(l12.front() == "I");
  CHECK(l12.back() == "V6");
  CHECK(std::vector<std::string>(l18.begin() + 12, l18.end()) ==
        std::vector<std::string>{"V7", "V8", "V9", "V3R", "V4R", "V5R"});
}

TEST_CASE("limb-lead relations hold exactly with noise mains wander and consistent ST") {
  Spec spec;
  spec.noise_rms_uv = 25;
  spec.mains_uv = 60;
  spec.baseline_wander_uv = 150;
  spec.st_shift_uv = gc::synth::territory_st_uv("inferior", 200);
  spec.eighteen_lead = true;
  const auto s = gc::synth::generate(spec);
  const auto& i = lead(s, "I");
  const auto& ii = lead(s, "II");
  const auto& iii = lead(s, "III");
  const auto& avr = lead(s, "aVR");
  const auto& avl = lead(s, "aVL");
  const auto& avf = lead(s, "aVF");
  double worst = 0;
  for (std::size_t k = 0; k < i.size(); ++k) {
    worst = std::max<double>(worst, std::abs(iii[k] - (ii[k] - i[k])));
    worst = std::max<double>(worst, std::abs(avr[k] + (i[k] + ii[k]) / 2));
    worst = std::max<double>(worst, std::abs(avl[k] - (i[k] - ii[k] / 2)));
    worst = std::max<double>(worst, std::abs(avf[k] - (ii[k] - i[k] / 2)));
  }
  CHECK(worst < 0.01);  // µV: float rounding only
  // The integer samples are round(µV): relations hold to ±2 LSB.
  const auto& ai = s.samples_adu[index_of(s, "I")];
  const auto& aii = s.samples_adu[index_of(s, "II")];
  const auto& aiii = s.samples_adu[index_of(s, "III")];
  for (std::size_t k = 0; k < ai.size(); ++k) REQUIRE(std::abs(aiii[k] - (aii[k] - ai[k])) <= 2);
}

TEST_CASE("R peaks follow the requested heart rate with mild variability") {
  for (const double bpm : {45.0, 72.0, 120.0}) {
    INFO(bpm);
    Spec spec = clean_spec();
    spec.heart_rate_bpm = bpm;
    spec.duration_s = 30;
    const auto s = gc::synth::generate(spec);
    REQUIRE(s.r_samples.size() >= 3);
    std::vector<double> rr_s;
    for (std::size_t k = 1; k < s.r_samples.size(); ++k) {
      rr_s.push_back(static_cast<double>(s.r_samples[k] - s.r_samples[k - 1]) / s.sample_rate_hz);
    }
    const double mean =
        std::accumulate(rr_s.begin(), rr_s.end(), 0.0) / static_cast<double>(rr_s.size());
    CHECK(60.0 / mean == Approx(bpm).epsilon(0.03));
    const auto [lo, hi] = std::minmax_element(rr_s.begin(), rr_s.end());
    CHECK(*hi > *lo);  // not a metronome
    CHECK(*lo > 0.88 * 60.0 / bpm);
    CHECK(*hi < 1.12 * 60.0 / bpm);
    // Each R is the maximum of lead II within ±40 ms, and the fiducials are ordered.
    const auto& ii = lead(s, "II");
    const auto w = static_cast<std::int64_t>(0.04 * s.sample_rate_hz);
    for (std::size_t k = 0; k < s.r_samples.size(); ++k) {
      const auto r = s.r_samples[k];
      if (r - w < 0 || r + w >= static_cast<std::int64_t>(ii.size())) continue;
      const auto peak = std::max_element(ii.begin() + r - w, ii.begin() + r + w + 1) - ii.begin();
      CHECK(std::abs(peak - r) <= 1);
      CHECK(s.qrs_onset_samples[k] < r);
      CHECK(s.j_samples[k] > r);
      CHECK(s.t_end_samples[k] > s.j_samples[k]);
    }
  }
}

TEST_CASE("normal beats have a 90 ms QRS and isoelectric ST") {
  const auto s = gc::synth::generate(clean_spec());
  REQUIRE(s.r_samples.size() >= 10);
  const double qrs_ms =
      1000.0 * static_cast<double>(s.j_samples[3] - s.qrs_onset_samples[3]) / s.sample_rate_hz;
  CHECK(qrs_ms == Approx(90).margin(12));
  for (const auto& name : s.lead_names) {
    INFO(name);
    CHECK(std::abs(st_uv(s, name, 3, 0)) < 25);
  }
}

TEST_CASE("ST shift measured at J+60 ms against the PR segment equals the request") {
  Spec shifted = clean_spec();
  shifted.eighteen_lead = true;
  shifted.st_shift_uv = {{"V2", 300}, {"V3", 250}, {"V4", -150}, {"V4R", 80}, {"V8", 60}};
  for (const auto& [k, v] : gc::synth::limb_st_consistent(120, -80)) shifted.st_shift_uv[k] = v;
  Spec reference = shifted;
  reference.st_shift_uv.clear();
  const auto a = gc::synth::generate(shifted);
  const auto b = gc::synth::generate(reference);
  REQUIRE(a.r_samples == b.r_samples);
  for (const auto& [name, requested] : shifted.st_shift_uv) {
    for (const std::size_t beat : {std::size_t{2}, std::size_t{5}}) {
      INFO(name << " beat " << beat);
      // The difference removes the lead's own (small) T-wave upslope at J+60.
      CHECK(st_uv(a, name, beat, 60) - st_uv(b, name, beat, 60) == Approx(requested).margin(5));
      CHECK(st_uv(a, name, beat, 0) - st_uv(b, name, beat, 0) == Approx(requested).margin(5));
    }
    CHECK(a.st_j_uv[index_of(a, name)] == Approx(requested));
  }
  // Leads without a request are untouched.
  CHECK(lead(a, "V6") == lead(b, "V6"));
  // Absolute ST at J+60 on the clean shifted record: the request plus the normal T upslope of
  // the lead (V2's T wave starts rising early, as in real recordings: < 80 µV).
  CHECK(st_uv(a, "V2", 4, 60) >= 300);
  CHECK(st_uv(a, "V2", 4, 60) < 380);
}

TEST_CASE("territory patterns inferior extensive anterior and posterior") {
  const auto inf = gc::synth::territory_st_uv("inferior_rv", 250);
  CHECK(inf.at("III") > inf.at("II"));
  CHECK(inf.at("II") >= 100);
  CHECK(inf.at("aVF") >= 100);
  CHECK(inf.at("I") < 0);
  CHECK(inf.at("aVL") < 0);
  CHECK(inf.at("V4R") >= 100);
  CHECK(inf.at("III") == Approx(inf.at("II") - inf.at("I")));
  CHECK(inf.at("aVF") == Approx(inf.at("II") - inf.at("I") / 2));

  const auto ant = gc::synth::territory_st_uv("extensive_anterior", 330);
  for (const char* l : {"V1", "V2", "V3", "V4", "V5", "V6", "I", "aVL"}) {
    INFO(l);
    CHECK(ant.at(l) >= 150);
  }
  for (const char* l : {"II", "III", "aVF"}) CHECK(ant.at(l) < 0);

  const auto post = gc::synth::territory_st_uv("posterior", 100);
  for (const char* l : {"V7", "V8", "V9"}) CHECK(post.at(l) >= 80);
  for (const char* l : {"V1", "V2", "V3"}) CHECK(post.at(l) <= -100);
  CHECK_THROWS_AS(gc::synth::territory_st_uv("apical", 100), std::invalid_argument);
}

TEST_CASE("LBBB has wide QRS with QS in V1-V3 and discordant ST") {
  Spec spec = clean_spec();
  spec.lbbb = true;
  const auto s = gc::synth::generate(spec);
  const double qrs_ms =
      1000.0 * static_cast<double>(s.j_samples[2] - s.qrs_onset_samples[2]) / s.sample_rate_hz;
  CHECK(qrs_ms >= 140);
  CHECK(qrs_ms <= 180);
  auto extreme = [&](const std::string& name, bool want_max) {
    const auto& x = lead(s, name);
    // Up to 25 ms before J: the discordant ST already rises over the last 20 ms of the QRS.
    const auto a = x.begin() + s.qrs_onset_samples[2];
    const auto b = x.begin() + s.j_samples[2] - static_cast<std::int64_t>(0.025 * s.sample_rate_hz);
    return want_max ? *std::max_element(a, b) : *std::min_element(a, b);
  };
  for (const char* l : {"V1", "V2", "V3"}) {
    INFO(l);
    CHECK(extreme(l, false) < -700);        // deep QS
    CHECK(extreme(l, true) < 100);          // no real R
    CHECK(s.st_j_uv[index_of(s, l)] > 80);  // discordant ST elevation
    CHECK(st_uv(s, l, 2, 60) > 80);
  }
  for (const char* l : {"I", "aVL", "V6"}) {
    INFO(l);
    CHECK(extreme(l, true) > 600);
    CHECK(s.st_j_uv[index_of(s, l)] < 0);
    CHECK(st_uv(s, l, 2, 60) < 0);
  }
}

TEST_CASE("paced beats have a 2 mV spike before every wide QRS") {
  Spec spec = clean_spec();
  spec.paced = true;
  const auto s = gc::synth::generate(spec);
  REQUIRE(!s.pace_spike_samples.empty());
  CHECK(s.pace_spike_samples.size() >= s.r_samples.size());
  for (std::size_t k = 0; k < s.r_samples.size(); ++k) {
    const auto spike =
        std::find_if(s.pace_spike_samples.begin(), s.pace_spike_samples.end(), [&](std::int64_t p) {
          return p <= s.qrs_onset_samples[k] && p > s.qrs_onset_samples[k] - 10;
        });
    REQUIRE(spike != s.pace_spike_samples.end());
    const auto p = static_cast<std::size_t>(*spike);
    // The spike is a one-sample pulse; its largest projection is ~2 mV, at least 0.5 mV in II.
    double largest_uv = 0;
    for (const auto& x : s.samples_uv) {
      largest_uv = std::max<double>(largest_uv,
                                    std::min(std::abs(x[p] - x[p - 1]), std::abs(x[p + 1] - x[p])));
    }
    CHECK(largest_uv > 1500);
    CHECK(largest_uv < 2500);
    const auto& ii = lead(s, "II");
    CHECK(std::abs(ii[p] - ii[p - 1]) > 500);
  }
  const double qrs_ms =
      1000.0 * static_cast<double>(s.j_samples[1] - s.qrs_onset_samples[1]) / s.sample_rate_hz;
  CHECK(qrs_ms >= 140);
}

TEST_CASE("disturbances noise mains wander and leads off") {
  Spec clean = clean_spec();
  Spec noisy = clean;
  noisy.noise_rms_uv = 40;
  Spec mains = clean;
  mains.mains_uv = 100;
  Spec wander = clean;
  wander.baseline_wander_uv = 300;
  Spec off = clean;
  off.leads_off = {"V3", "aVL"};
  const auto c = gc::synth::generate(clean);
  const auto n = gc::synth::generate(noisy);
  const auto m = gc::synth::generate(mains);
  const auto w = gc::synth::generate(wander);
  const auto o = gc::synth::generate(off);
  auto diff = [](const std::vector<float>& a, const std::vector<float>& b) {
    std::vector<double> d(a.size());
    for (std::size_t i = 0; i < a.size(); ++i) d[i] = a[i] - b[i];
    return d;
  };
  const auto dn = diff(lead(n, "V1"), lead(c, "V1"));
  double ss = 0;
  for (const double v : dn) ss += v * v;
  CHECK(std::sqrt(ss / static_cast<double>(dn.size())) == Approx(40).epsilon(0.05));

  const auto dm = diff(lead(m, "V5"), lead(c, "V5"));
  const double a50 = tone_amplitude(dm, c.sample_rate_hz, 50);
  CHECK(a50 >= 70);
  CHECK(a50 <= 130);
  CHECK(tone_amplitude(dm, c.sample_rate_hz, 60) < 1);

  const auto dw = diff(lead(w, "V2"), lead(c, "V2"));
  CHECK(tone_amplitude(dw, c.sample_rate_hz, 0.3) == Approx(300).epsilon(0.02));

  for (const char* l : {"V3", "aVL"}) {
    INFO(l);
    const auto& x = lead(o, l);
    double sum2 = 0;
    for (const float v : x) sum2 += static_cast<double>(v) * v;
    CHECK(std::sqrt(sum2 / static_cast<double>(x.size())) < 5);
    CHECK(o.st_j_uv[index_of(o, l)] == 0);
  }
  CHECK(lead(o, "V2") == lead(c, "V2"));
}

TEST_CASE("deterministic by seed and adu equals rounded uV over resolution") {
  Spec spec;
  spec.seed = 42;
  spec.noise_rms_uv = 30;
  spec.st_shift_uv = {{"V2", 200}};
  const auto a = gc::synth::generate(spec);
  const auto b = gc::synth::generate(spec);
  CHECK(a.samples_adu == b.samples_adu);
  CHECK(a.r_samples == b.r_samples);
  spec.seed = 43;
  const auto c = gc::synth::generate(spec);
  CHECK(a.samples_adu != c.samples_adu);

  Spec coarse = spec;
  coarse.resolution_uv_per_lsb = 4.88;
  const auto d = gc::synth::generate(coarse);
  const auto& uv = d.samples_uv[7];
  for (std::size_t i = 0; i < uv.size(); i += 97) {
    CHECK(d.samples_adu[7][i] == std::lround(uv[i] / 4.88));
  }
  CHECK(a.samples_uv[0].size() == 5000);
}

TEST_CASE("impossible specs are refused") {
  Spec s;
  s.st_shift_uv = {{"V4R", 100}};  // not in a 12-lead record
  CHECK_THROWS_AS(gc::synth::generate(s), std::invalid_argument);
  Spec r;
  r.heart_rate_bpm = 0;
  CHECK_THROWS_AS(gc::synth::generate(r), std::invalid_argument);
  Spec o;
  o.leads_off = {"X1"};
  CHECK_THROWS_AS(gc::synth::generate(o), std::invalid_argument);
  Spec f;
  f.sample_rate_hz = 10;
  CHECK_THROWS_AS(gc::synth::generate(f), std::invalid_argument);
}

TEST_CASE("committed sample_ecgs equal what synth --samples generates") {
  const std::filesystem::path dir = std::filesystem::path(GC_SOURCE_DIR) / "sample_ecgs";
  const auto set = gc::synth::sample_set();
  REQUIRE(set.size() == 6);
  for (const auto& sample : set) {
    INFO(sample.name);
    const auto rec = gc::wfdb::read_record(dir / (sample.name + ".hea"));
    const auto fresh = gc::synth::generate(sample.spec);
    REQUIRE(rec.samples_adu.size() == fresh.samples_adu.size());
    for (std::size_t l = 0; l < fresh.samples_adu.size(); ++l) {
      INFO(fresh.lead_names[l]);
      CHECK(rec.header.signals[l].description == fresh.lead_names[l]);
      CHECK(rec.header.signals[l].adc_gain_per_mv == 1000);
      REQUIRE(rec.samples_adu[l].size() == fresh.samples_adu[l].size());
      // ±1 LSB: libm rounding may differ between toolchains; the records must not drift further.
      std::int32_t worst = 0;
      for (std::size_t i = 0; i < fresh.samples_adu[l].size(); ++i) {
        worst = std::max(worst, std::abs(rec.samples_adu[l][i] - fresh.samples_adu[l][i]));
      }
      CHECK(worst <= 1);
    }
    CHECK(rec.header.sample_rate_hz == 500);
    CHECK(rec.header.n_samples == 5000);
    CHECK(rec.header.age_years == sample.spec.age_years);
    CHECK(rec.header.sex == sample.spec.sex);
    CHECK(std::find(rec.header.comments.begin(), rec.header.comments.end(),
                    gc::synth::describe(sample.spec)) != rec.header.comments.end());
    CHECK(std::find(rec.header.comments.begin(), rec.header.comments.end(), sample.expected) !=
          rec.header.comments.end());
  }
  // The two STEMI 18-lead records really are 18-lead, and the seed case has the anterior pattern.
  const auto inf = gc::synth::generate(set[2].spec);
  CHECK(inf.lead_names.size() == 18);
  const auto ant = set[1].spec.st_shift_uv;
  CHECK(ant.at("V2") >= 200);
  CHECK(ant.at("aVL") >= 200);
  CHECK(ant.at("III") <= -100);
}
