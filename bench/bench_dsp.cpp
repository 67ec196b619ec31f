// bench_dsp: speed of the dsp front end on real records, one thread.
//   * filter_diagnostic on every lead + detect_qrs   (the parts the QRS evaluation runs)
//   * full dsp::analyze                              (filter → beats → median → fiducials → measures)
// Like greenchannel, it keeps the heap between analyses (gc::dsp::keep_heap_between_analyses);
// `--default-heap` measures with glibc's default trimming instead, as a program embedding dsp
// without that call runs.
//   * the floor: a plain FFTW r2c + c2r pass (float, planned with FFTW_MEASURE beforehand) over the
//     same samples, one transform of the record length per lead
// Records (from GC_ECG_DATA_DIR, or --data DIR): ludb/data/1 (10 s, 12 leads, 500 Hz) and a 30 min
// 2-lead 360 Hz MIT-BIH record (mitdb/100 when present, else the first mitdb record found).
// Reports medians over many runs of wall-clock and thread CPU time, records/s and samples/s.
// `--profile N` runs only dsp::analyze on the 10 s record, N times, for a profiler
// (`perf record -g bench_dsp --profile 3000`).
#include <fftw3.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "gc/dsp.hpp"
#include "gc/wfdb.hpp"

namespace {

namespace fs = std::filesystem;

double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) * 1e-6;
}

struct Timing {
  double wall_ms = 0;  // median wall-clock time
  double cpu_ms = 0;   // median thread CPU time (less sensitive to other load on the machine)
};

double median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

Timing time_runs(const std::function<void()>& run, int runs) {
  run();  // warm-up: plans, caches, first-touch allocations
  std::vector<double> wall, cpu;
  for (int i = 0; i < runs; ++i) {
    const double c0 = thread_cpu_ms();
    const auto t0 = std::chrono::steady_clock::now();
    run();
    const auto t1 = std::chrono::steady_clock::now();
    cpu.push_back(thread_cpu_ms() - c0);
    wall.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  return {median(wall), median(cpu)};
}

void report(const char* what, const Timing& t, double samples) {
  std::printf("  %-32s wall %9.3f ms  cpu %9.3f ms  %8.1f records/s  %7.2f Msamples/s (cpu)\n", what,
              t.wall_ms, t.cpu_ms, 1000.0 / t.cpu_ms, samples / (t.cpu_ms * 1e3));
}

gc::dsp::SignalBlock load_block(const fs::path& hea) {
  const auto rec = gc::wfdb::read_record(hea);
  gc::dsp::SignalBlock block;
  block.sample_rate_hz = rec.header.sample_rate_hz;
  block.samples_uv = rec.to_microvolts();
  for (const auto& s : rec.header.signals) {
    block.lead_names.push_back(gc::dsp::canonical_lead_name(s.description).value_or(s.description));
  }
  return block;
}

int bench_record(const fs::path& hea, int runs) {
  const gc::dsp::SignalBlock block = load_block(hea);
  const double fs_hz = block.sample_rate_hz;
  const auto n_leads = block.samples_uv.size();
  const auto n = block.samples_uv.empty() ? 0 : block.samples_uv[0].size();
  const double samples = static_cast<double>(n_leads * n);
  std::printf("%s: %zu leads x %zu samples at %.0f Hz (%.1f s), %d runs\n", hea.string().c_str(), n_leads,
              n, fs_hz, static_cast<double>(n) / fs_hz, runs);

  // Floor: FFTW r2c + c2r of each lead, float, plan measured outside the timing.
  float* in = fftwf_alloc_real(n);
  fftwf_complex* spec = fftwf_alloc_complex(n / 2 + 1);
  const fftwf_plan fwd = fftwf_plan_dft_r2c_1d(static_cast<int>(n), in, spec, FFTW_MEASURE);
  const fftwf_plan inv = fftwf_plan_dft_c2r_1d(static_cast<int>(n), spec, in, FFTW_MEASURE);
  const Timing floor_t = time_runs(
      [&] {
        for (const auto& lead : block.samples_uv) {
          std::memcpy(in, lead.data(), n * sizeof(float));
          fftwf_execute(fwd);
          fftwf_execute(inv);
        }
      },
      runs);
  fftwf_destroy_plan(fwd);
  fftwf_destroy_plan(inv);
  fftwf_free(in);
  fftwf_free(spec);

  std::size_t beats = 0;
  const Timing filter_t = time_runs(
      [&] {
        for (const auto& lead : block.samples_uv) {
          const auto y = gc::dsp::filter_diagnostic(lead, fs_hz, std::nullopt);
          beats += y.size() > 0 ? 1 : 0;
        }
      },
      runs);
  const Timing detect_t = time_runs(
      [&] {
        std::vector<std::vector<float>> filtered;
        filtered.reserve(n_leads);
        for (const auto& lead : block.samples_uv) {
          filtered.push_back(gc::dsp::filter_diagnostic(lead, fs_hz, std::nullopt));
        }
        beats = gc::dsp::detect_qrs(filtered, fs_hz).size();
      },
      runs);
  std::size_t analysed_beats = 0;
  const Timing analyze_t = time_runs(
      [&] { analysed_beats = gc::dsp::analyze(block).beats.size(); }, runs);

  report("FFTW r2c+c2r floor (float)", floor_t, samples);
  report("filter_diagnostic (all leads)", filter_t, samples);
  report("filter + detect_qrs", detect_t, samples);
  report("dsp::analyze (full)", analyze_t, samples);
  std::printf("  beats: detect_qrs %zu, analyze %zu; full analysis = %.1fx the FFT floor (cpu)\n\n",
              beats, analysed_beats, analyze_t.cpu_ms / floor_t.cpu_ms);
  return 0;
}

// dsp::analyze alone, `runs` times (the FFT plans are made on the first run).
int profile_analyze(const fs::path& hea, int runs) {
  const gc::dsp::SignalBlock block = load_block(hea);
  std::size_t beats = 0;
  const Timing t = time_runs([&] { beats += gc::dsp::analyze(block).beats.size(); }, runs);
  report("dsp::analyze (full)", t, static_cast<double>(block.samples_uv.size() *
                                                       block.samples_uv.at(0).size()));
  return beats > 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  fs::path data = GC_ECG_DATA_DIR;
  int runs_short = 300;
  int runs_long = 15;
  int profile_runs = 0;
  bool default_heap = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--data" && i + 1 < argc) {
      data = argv[++i];
    } else if (a == "--runs" && i + 2 < argc) {
      runs_short = std::stoi(argv[++i]);
      runs_long = std::stoi(argv[++i]);
    } else if (a == "--default-heap") {
      default_heap = true;
    } else if (a == "--profile" && i + 1 < argc) {
      profile_runs = std::stoi(argv[++i]);
    } else {
      std::cerr << "usage: bench_dsp [--data DIR] [--runs SHORT LONG] [--profile N] [--default-heap]\n";
      return 2;
    }
  }
  if (!default_heap) gc::dsp::keep_heap_between_analyses();
  const fs::path ludb = data / "ludb" / "data" / "1.hea";
  if (profile_runs > 0) return profile_analyze(ludb, profile_runs);
  fs::path mit = data / "mitdb" / "100.hea";
  if (!fs::exists(mit)) {
    std::vector<fs::path> heas;
    for (const auto& e : fs::directory_iterator(data / "mitdb")) {
      if (e.path().extension() == ".hea") heas.push_back(e.path());
    }
    std::sort(heas.begin(), heas.end());
    if (heas.empty()) {
      std::cerr << "bench_dsp: no MIT-BIH records under " << data << "\n";
      return 1;
    }
    mit = heas.front();
  }
  std::printf("bench_dsp (one thread; medians of wall-clock and thread CPU time; %s)\n\n",
              default_heap ? "glibc's default heap trimming"
                           : "heap kept between analyses, as greenchannel runs");
  bench_record(ludb, runs_short);
  bench_record(mit, runs_long);
  return 0;
}
