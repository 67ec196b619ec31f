// eval st: ST-measurement error with known ST elevations injected into LUDB records at the
// annotated J point, clean and with added noise; and how much the un-injected leads move.
#include <algorithm>
#include <cmath>
#include <iomanip>
#include <numbers>
#include <ostream>
#include <random>

#include "annotations.hpp"
#include "inject.hpp"
#include "gc/eval.hpp"
#include "gc/record_input.hpp"

namespace gc::eval {

namespace fs = std::filesystem;
using I64 = std::int64_t;

namespace {


void add_noise(dsp::SignalBlock& b, std::mt19937& rng) {
  std::normal_distribution<double> gauss(0.0, 1.0);
  std::uniform_real_distribution<double> phase(0.0, 2 * std::numbers::pi);
  const double fs_hz = b.sample_rate_hz;
  for (auto& x : b.samples_uv) {
    const double p50 = phase(rng), p03 = phase(rng);
    // EMG-like: white noise high-passed by a first difference (energy mostly above ~50 Hz),
    // scaled to 50 µV RMS (the first difference of unit white noise has variance 2).
    double prev = gauss(rng);
    for (std::size_t k = 0; k < x.size(); ++k) {
      const double t = static_cast<double>(k) / fs_hz;
      const double w = gauss(rng);
      const double emg = (w - prev) / std::sqrt(2.0) * 50.0;
      prev = w;
      x[k] += static_cast<float>(100.0 * std::sin(2 * std::numbers::pi * 50.0 * t + p50) + emg +
                                 1000.0 * std::sin(2 * std::numbers::pi * 0.3 * t + p03));
    }
  }
}

// This detector's global J point: the median beat's, relative to its R.
I64 j_rel(const dsp::MedianBeat& m) {
  return m.qrs_offset_samples ? *m.qrs_offset_samples - m.r_index_samples : 0;
}

}  // namespace

StReport run_st(const StOptions& options) {
  StReport report;
  for (const auto& hea : detail::headers_in(options.data / "ludb" / "data")) {
    if (options.only && hea.stem().string() != *options.only) continue;
    auto i_path = hea;
    i_path.replace_extension(".i");
    if (!fs::exists(i_path)) continue;
    try {
      const auto block = load_record(hea).block;
      const double fs_hz = block.sample_rate_hz;
      const auto ann = detail::ludb_beats(hea, fs_hz);
      const auto a0 = dsp::analyze(block);
      if (!a0.quality.ok || a0.median.length_samples == 0 || ann.empty()) {
        ++report.skipped;
        continue;
      }
      std::mt19937 rng(20261123u + static_cast<unsigned>(std::stoul(hea.stem().string())));
      std::uniform_real_distribution<double> amp_d(50.0, 400.0);
      std::uniform_int_distribution<int> count_d(2, 5);
      std::vector<std::size_t> order(block.samples_uv.size());
      for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
      std::shuffle(order.begin(), order.end(), rng);
      const auto n_inj = static_cast<std::size_t>(count_d(rng));
      std::vector<double> amp(block.samples_uv.size(), 0.0);
      for (std::size_t i = 0; i < n_inj && i < order.size(); ++i) amp[order[i]] = amp_d(rng);

      // Every detected beat gets the injection: annotated beats use their own J / T end; the
      // unannotated edge beats reuse the offsets of the nearest annotated beat.
      auto injected = block;
      for (const auto& b : a0.beats) {
        const detail::AnnotatedBeat* near = nullptr;
        for (const auto& x : ann) {
          if (!x.qrs_offset || !x.t_end) continue;
          if (!near || std::llabs(x.peak - b.r_sample) < std::llabs(near->peak - b.r_sample)) {
            near = &x;
          }
        }
        if (!near) continue;
        I64 j = *near->qrs_offset, te = *near->t_end;
        if (std::llabs(near->peak - b.r_sample) > static_cast<I64>(0.15 * fs_hz)) {
          j = b.r_sample + (j - near->peak);
          te = b.r_sample + (te - near->peak);
        }
        if (options.inject_at_detected_j) {
          // Diagnostic: the same injection placed at this detector's own J point (median beat's,
          // so the same for every beat), keeping the annotated T end.
          if (!a0.median.qrs_offset_samples) continue;
          j = b.r_sample + j_rel(a0.median);
          te = std::max(te, j + static_cast<I64>(0.1 * fs_hz));
        }
        for (std::size_t l = 0; l < amp.size(); ++l) {
          if (amp[l] > 0) inject_beat(injected.samples_uv[l], j, te, amp[l], fs_hz);
        }
      }
      const auto a1 = dsp::analyze(injected);
      auto noisy = injected;
      add_noise(noisy, rng);
      const auto a2 = dsp::analyze(noisy);
      ++report.records;
      // Did the injection move this detector's global J point?
      const bool j_moved = std::llabs(j_rel(a1.median) - j_rel(a0.median)) > 1;
      for (std::size_t l = 0; l < amp.size(); ++l) {
        const double dj = a1.per_lead[l].st_j_uv - a0.per_lead[l].st_j_uv;
        const double d60 = a1.per_lead[l].st_j60_uv - a0.per_lead[l].st_j60_uv;
        const double noisy_dj = a2.per_lead[l].st_j_uv - a0.per_lead[l].st_j_uv;
        if (amp[l] > 0) {
          report.err_j_uv.push_back(std::fabs(dj - amp[l]));
          report.err_j60_uv.push_back(std::fabs(d60 - amp[l]));
          report.noisy_err_j_uv.push_back(std::fabs(noisy_dj - amp[l]));
          report.noisy_err_j60_uv.push_back(
              std::fabs(a2.per_lead[l].st_j60_uv - a0.per_lead[l].st_j60_uv - amp[l]));
          report.injected.push_back(
              {hea.stem().string(), a0.lead_names[l], amp[l], dj, d60, noisy_dj});
        } else {
          report.other_uv.push_back(std::max(std::fabs(dj), std::fabs(d60)));
          (j_moved ? report.other_j_moved_uv : report.other_j_kept_uv)
              .push_back(report.other_uv.back());
        }
      }
    } catch (const std::exception& e) {
      report.errors.push_back(hea.string() + ": " + e.what());
      ++report.skipped;
    }
  }
  return report;
}

void print_st(std::ostream& out, const StReport& r, bool verbose) {
  if (verbose) {
    for (const auto& l : r.injected) {
      out << std::fixed << std::setprecision(0) << l.record << " " << l.lead << " inj "
          << l.injected_uv << "  dJ " << l.delta_j_uv << "  dJ60 " << l.delta_j60_uv
          << "  noisy dJ " << l.noisy_delta_j_uv << "\n";
    }
  }
  const auto q = [](const std::vector<double>& v, double p) { return quantile(v, p); };
  out << std::fixed << std::setprecision(1);
  out << "LUDB ST injection: " << r.records << " records, " << r.skipped
      << " skipped (quality not ok or no annotations), " << r.err_j_uv.size()
      << " injected leads\n";
  out << "  |error| at J      median " << q(r.err_j_uv, 0.5) << " µV  p95 " << q(r.err_j_uv, 0.95)
      << " µV\n";
  out << "  |error| at J+60   median " << q(r.err_j60_uv, 0.5) << " µV  p95 "
      << q(r.err_j60_uv, 0.95) << " µV\n";
  out << "  un-injected leads |change| median " << q(r.other_uv, 0.5) << " µV  p95 "
      << q(r.other_uv, 0.95) << " µV  max " << q(r.other_uv, 1.0) << " µV (n=" << r.other_uv.size()
      << ")\n";
  out << "    where the global J point stayed (±1 sample): median " << q(r.other_j_kept_uv, 0.5)
      << " µV  p95 " << q(r.other_j_kept_uv, 0.95) << " µV (n=" << r.other_j_kept_uv.size()
      << ")\n";
  out << "    where the injection moved it:              median " << q(r.other_j_moved_uv, 0.5)
      << " µV  p95 " << q(r.other_j_moved_uv, 0.95) << " µV (n=" << r.other_j_moved_uv.size()
      << ")\n";
  out << "  with noise: |error| at J median " << q(r.noisy_err_j_uv, 0.5) << " µV  p95 "
      << q(r.noisy_err_j_uv, 0.95) << " µV;  at J+60 median " << q(r.noisy_err_j60_uv, 0.5)
      << " µV  p95 " << q(r.noisy_err_j60_uv, 0.95) << " µV\n";
  out << "targets: median <= 20 µV, p95 <= 50 µV; un-injected <= 10 µV; noisy median <= 30 µV\n";
}

}  // namespace gc::eval
