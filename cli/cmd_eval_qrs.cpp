// `greenchannel eval qrs`: QRS detection accuracy against reference beat annotations, scored the
// way WFDB's bxb does for MIT-BIH: from 5:00 to the end, 150 ms match window, one-to-one matching,
// nothing scored inside ventricular flutter/fibrillation episodes ("(VFL" rhythm runs and '[' … ']').
// Every record: filter_diagnostic on each lead, detect_qrs on all leads together.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "gc/dsp.hpp"
#include "gc/wfdb.hpp"

namespace gc::cli {
namespace {

namespace fs = std::filesystem;

struct Interval {
  std::int64_t begin = 0;  // inclusive
  std::int64_t end = 0;    // exclusive
};

// Ventricular flutter episodes: a rhythm annotation whose aux starts with "(VFL" runs until the
// next rhythm annotation; '[' … ']' marks flutter/fibrillation explicitly.
std::vector<Interval> excluded_intervals(const std::vector<wfdb::Annotation>& anns,
                                         std::int64_t n_samples) {
  std::vector<Interval> out;
  std::optional<std::int64_t> vfl_start;
  // A plain flag + index: GCC 12 warns falsely (maybe-uninitialized) on an optional here.
  bool in_bracket = false;
  std::int64_t bracket_start = 0;
  for (const auto& a : anns) {
    if (a.symbol == '+') {
      const bool is_vfl = a.aux.rfind("(VFL", 0) == 0;
      if (vfl_start && !is_vfl) {
        out.push_back({*vfl_start, a.sample});
        vfl_start.reset();
      }
      if (is_vfl && !vfl_start) vfl_start = a.sample;
    } else if (a.symbol == '[') {
      if (!in_bracket) bracket_start = a.sample;
      in_bracket = true;
    } else if (a.symbol == ']') {
      if (in_bracket) out.push_back({bracket_start, a.sample + 1});
      in_bracket = false;
    }
  }
  if (vfl_start) out.push_back({*vfl_start, n_samples});
  if (in_bracket) out.push_back({bracket_start, n_samples});
  return out;
}

bool inside(const std::vector<Interval>& iv, std::int64_t s) {
  return std::any_of(iv.begin(), iv.end(), [&](const Interval& i) { return s >= i.begin && s < i.end; });
}

struct Counts {
  std::int64_t tp = 0, fn = 0, fp = 0;
  std::vector<std::int64_t> fn_samples, fp_samples;
};

// One-to-one matching in time order: each reference beat takes the nearest unmatched detection
// within the window.
Counts match(const std::vector<std::int64_t>& ref, const std::vector<std::int64_t>& det,
             std::int64_t window) {
  Counts c;
  std::vector<bool> used(det.size(), false);
  std::size_t lo = 0;
  for (const auto r : ref) {
    while (lo < det.size() && det[lo] < r - window) ++lo;
    std::optional<std::size_t> best;
    for (std::size_t j = lo; j < det.size() && det[j] <= r + window; ++j) {
      if (used[j]) continue;
      if (!best || std::abs(det[j] - r) < std::abs(det[*best] - r)) best = j;
    }
    if (best) {
      used[*best] = true;
      ++c.tp;
    } else {
      ++c.fn;
      c.fn_samples.push_back(r);
    }
  }
  for (std::size_t j = 0; j < det.size(); ++j) {
    if (!used[j]) {
      ++c.fp;
      c.fp_samples.push_back(det[j]);
    }
  }
  return c;
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

std::string percent(std::int64_t num, std::int64_t den) {
  if (den == 0) return "  n/a ";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%6.2f", 100.0 * static_cast<double>(num) / static_cast<double>(den));
  return buf;
}

std::string percent3(std::int64_t num, std::int64_t den) {
  if (den == 0) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", 100.0 * static_cast<double>(num) / static_cast<double>(den));
  return buf;
}

std::string clock_time(std::int64_t sample, double fs) {
  const double t = static_cast<double>(sample) / fs;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%d:%06.3f", static_cast<int>(t / 60), std::fmod(t, 60.0));
  return buf;
}

}  // namespace

int eval_qrs(int argc, char** argv) {
  const char* usage =
      "usage: greenchannel eval qrs [--data DIR] [--db mitdb|qtdb|cpsc2021|DIR] [--records A,B,...]\n"
      "                             [--start-s 300] [--window-ms 150] [--annotator atr] [--verbose]\n"
      "QRS detection vs reference beat annotations (bxb-style: one-to-one matching within the\n"
      "window, scored from --start-s to the end, ventricular flutter episodes excluded).\n"
      "Defaults: --data " GC_ECG_DATA_DIR " --db mitdb, all records with annotations.\n";
  fs::path data = GC_ECG_DATA_DIR;
  std::string db = "mitdb";
  std::string annotator = "atr";
  std::vector<std::string> records;
  double start_s = 300;
  double window_ms = 150;
  bool verbose = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument("missing value for " + a);
      return argv[++i];
    };
    if (a == "--help" || a == "-h") {
      std::cout << usage;
      return 0;
    } else if (a == "--data") {
      data = value();
    } else if (a == "--db") {
      db = value();
    } else if (a == "--records") {
      records = split_list(value());
    } else if (a == "--start-s") {
      start_s = std::stod(value());
    } else if (a == "--window-ms") {
      window_ms = std::stod(value());
    } else if (a == "--annotator") {
      annotator = value();
    } else if (a == "--verbose" || a == "-v") {
      verbose = true;
    } else {
      std::cerr << "eval qrs: unknown option '" << a << "'\n" << usage;
      return 2;
    }
  }
  const fs::path dir = fs::path(db).is_absolute() ? fs::path(db) : data / db;
  if (!fs::is_directory(dir)) {
    std::cerr << "eval qrs: no such database directory: " << dir << "\n";
    return 2;
  }
  if (records.empty()) {
    std::set<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) {
      if (e.path().extension() == "." + annotator &&
          fs::exists(fs::path(e.path()).replace_extension(".hea"))) {
        names.insert(e.path().stem().string());
      }
    }
    records.assign(names.begin(), names.end());
  }
  if (records.empty()) {
    std::cerr << "eval qrs: no records with ." << annotator << " annotations in " << dir << "\n";
    return 2;
  }

  std::cout << "QRS detection vs ." << annotator << " in " << dir.string() << " (from "
            << start_s << " s, window " << window_ms << " ms)\n";
  std::cout << "record      leads   fs      TP     FN     FP      Se%     +P%\n";
  Counts total;
  double seconds_processed = 0;
  double seconds_spent = 0;
  int n_records = 0;
  for (const auto& name : records) {
    const auto record = wfdb::read_record(dir / (name + ".hea"));
    const double fs_hz = record.header.sample_rate_hz;
    const auto uv = record.to_microvolts();
    if (uv.empty() || uv[0].empty()) continue;
    const auto n = static_cast<std::int64_t>(uv[0].size());
    const auto anns = wfdb::read_annotations(dir / (name + "." + annotator));

    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::vector<float>> filtered;
    filtered.reserve(uv.size());
    for (const auto& lead : uv) filtered.push_back(dsp::filter_diagnostic(lead, fs_hz, std::nullopt));
    const auto det_all = dsp::detect_qrs(filtered, fs_hz);
    const auto t1 = std::chrono::steady_clock::now();
    seconds_spent += std::chrono::duration<double>(t1 - t0).count();
    seconds_processed += static_cast<double>(n) / fs_hz;

    const auto excluded = excluded_intervals(anns, n);
    const auto start = static_cast<std::int64_t>(std::llround(start_s * fs_hz));
    std::vector<std::int64_t> ref;
    for (const auto& a : anns) {
      if (wfdb::is_beat_symbol(a.symbol) && a.sample >= start && a.sample < n && !inside(excluded, a.sample)) {
        ref.push_back(a.sample);
      }
    }
    std::sort(ref.begin(), ref.end());
    std::vector<std::int64_t> det;
    for (const auto d : det_all) {
      if (d >= start && !inside(excluded, d)) det.push_back(d);
    }
    const auto window = static_cast<std::int64_t>(std::llround(window_ms * 1e-3 * fs_hz));
    const Counts c = match(ref, det, window);
    total.tp += c.tp;
    total.fn += c.fn;
    total.fp += c.fp;
    ++n_records;
    char line[160];
    std::snprintf(line, sizeof line, "%-10s %5zu %5.0f %7lld %6lld %6lld  %s  %s\n", name.c_str(),
                  uv.size(), fs_hz, static_cast<long long>(c.tp), static_cast<long long>(c.fn),
                  static_cast<long long>(c.fp), percent(c.tp, c.tp + c.fn).c_str(),
                  percent(c.tp, c.tp + c.fp).c_str());
    std::cout << line;
    if (verbose) {
      for (const auto s : c.fn_samples) {
        const auto it = std::find_if(anns.begin(), anns.end(), [&](const wfdb::Annotation& a) { return a.sample == s; });
        std::cout << "    FN " << clock_time(s, fs_hz) << " (" << s << ") "
                  << (it != anns.end() ? it->symbol : '?') << "\n";
      }
      for (const auto s : c.fp_samples) std::cout << "    FP " << clock_time(s, fs_hz) << " (" << s << ")\n";
    }
  }
  char line[200];
  std::snprintf(line, sizeof line, "%-10s %5s %5s %7lld %6lld %6lld  %s  %s\n", "gross", "", "",
                static_cast<long long>(total.tp), static_cast<long long>(total.fn),
                static_cast<long long>(total.fp), percent(total.tp, total.tp + total.fn).c_str(),
                percent(total.tp, total.tp + total.fp).c_str());
  std::cout << line;
  std::cout << "gross sensitivity " << percent3(total.tp, total.tp + total.fn)
            << " %, positive predictivity " << percent3(total.tp, total.tp + total.fp) << " % over "
            << n_records << " records (" << total.tp + total.fn << " reference beats)\n";
  std::snprintf(line, sizeof line, "filter+detect: %.1f s of signal in %.2f s (%.0fx real time)\n",
                seconds_processed, seconds_spent, seconds_processed / std::max(seconds_spent, 1e-9));
  std::cout << line;
  return 0;
}

}  // namespace gc::cli
