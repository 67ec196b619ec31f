// eval qrs: QRS detection accuracy against reference beat annotations, scored the way WFDB's bxb
// does for MIT-BIH: from 5:00 to the end, 150 ms match window, one-to-one matching, nothing scored
// inside ventricular flutter/fibrillation episodes ("(VFL" rhythm runs and '[' … ']'). Every
// record: filter_diagnostic on each lead, detect_qrs on all leads together.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ostream>
#include <set>
#include <stdexcept>

#include "gc/eval.hpp"
#include "gc/wfdb.hpp"

namespace gc::eval {

namespace fs = std::filesystem;

namespace {

struct Interval {
  std::int64_t begin = 0;  // inclusive
  std::int64_t end = 0;    // exclusive
};

// Ventricular flutter episodes: a rhythm annotation whose aux starts with "(VFL" runs until the
// next rhythm annotation; '[' … ']' marks flutter/fibrillation explicitly.
std::vector<Interval> excluded_intervals(const std::vector<wfdb::Annotation>& anns,
                                         std::int64_t n_samples) {
  std::vector<Interval> out;
  // Plain flags + indices: GCC 12 warns falsely (maybe-uninitialized) on optionals here.
  bool in_vfl = false;
  std::int64_t vfl_start = 0;
  bool in_bracket = false;
  std::int64_t bracket_start = 0;
  for (const auto& a : anns) {
    if (a.symbol == '+') {
      const bool is_vfl = a.aux.rfind("(VFL", 0) == 0;
      if (in_vfl && !is_vfl) {
        out.push_back({vfl_start, a.sample});
        in_vfl = false;
      }
      if (is_vfl && !in_vfl) {
        vfl_start = a.sample;
        in_vfl = true;
      }
    } else if (a.symbol == '[') {
      if (!in_bracket) bracket_start = a.sample;
      in_bracket = true;
    } else if (a.symbol == ']') {
      if (in_bracket) out.push_back({bracket_start, a.sample + 1});
      in_bracket = false;
    }
  }
  if (in_vfl) out.push_back({vfl_start, n_samples});
  if (in_bracket) out.push_back({bracket_start, n_samples});
  return out;
}

bool inside(const std::vector<Interval>& iv, std::int64_t s) {
  return std::any_of(iv.begin(), iv.end(),
                     [&](const Interval& i) { return s >= i.begin && s < i.end; });
}

std::string percent(std::int64_t num, std::int64_t den) {
  if (den == 0) return "  n/a ";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%6.2f",
                100.0 * static_cast<double>(num) / static_cast<double>(den));
  return buf;
}

std::string percent3(std::int64_t num, std::int64_t den) {
  if (den == 0) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f",
                100.0 * static_cast<double>(num) / static_cast<double>(den));
  return buf;
}

std::string clock_time(std::int64_t sample, double fs) {
  const double t = static_cast<double>(sample) / fs;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%d:%06.3f", static_cast<int>(t / 60), std::fmod(t, 60.0));
  return buf;
}

}  // namespace

QrsCounts match_beats(std::span<const std::int64_t> ref, std::span<const std::int64_t> det,
                      std::int64_t window) {
  QrsCounts c;
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

namespace {
void score_record(QrsReport& report, const std::string& name);
}  // namespace

QrsReport run_qrs(const QrsOptions& options) {
  QrsReport report;
  report.options = options;
  const fs::path& dir = options.dir;
  if (!fs::is_directory(dir)) {
    throw std::invalid_argument("no such database directory: \"" + dir.string() + "\"");
  }
  auto& records = report.options.records;
  if (records.empty()) {
    std::set<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) {
      if (e.path().extension() == "." + options.annotator &&
          fs::exists(fs::path(e.path()).replace_extension(".hea"))) {
        names.insert(e.path().stem().string());
      }
    }
    records.assign(names.begin(), names.end());
  }
  if (records.empty()) {
    throw std::invalid_argument("no records with ." + options.annotator + " annotations in \"" +
                                dir.string() + "\"");
  }
  for (const auto& name : records) {
    try {
      score_record(report, name);
    } catch (const std::exception& e) {
      report.failure = e.what();
      break;
    }
  }
  return report;
}

namespace {

void score_record(QrsReport& report, const std::string& name) {
  const auto& options = report.options;
  const fs::path& dir = options.dir;
  const auto record = wfdb::read_record(dir / (name + ".hea"));
  const double fs_hz = record.header.sample_rate_hz;
  const auto uv = record.to_microvolts();
  if (uv.empty() || uv[0].empty()) return;
  const auto n = static_cast<std::int64_t>(uv[0].size());
  const auto anns = wfdb::read_annotations(dir / (name + "." + options.annotator));

  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::vector<float>> filtered;
  filtered.reserve(uv.size());
  for (const auto& lead : uv) {
    filtered.push_back(dsp::filter_diagnostic(lead, fs_hz, std::nullopt));
  }
  const auto det_all = dsp::detect_qrs(filtered, fs_hz);
  const auto t1 = std::chrono::steady_clock::now();
  report.seconds_spent += std::chrono::duration<double>(t1 - t0).count();
  report.seconds_processed += static_cast<double>(n) / fs_hz;

  const auto excluded = excluded_intervals(anns, n);
  const auto start = static_cast<std::int64_t>(std::llround(options.start_s * fs_hz));
  std::vector<std::int64_t> ref;
  for (const auto& a : anns) {
    if (wfdb::is_beat_symbol(a.symbol) && a.sample >= start && a.sample < n &&
        !inside(excluded, a.sample)) {
      ref.push_back(a.sample);
    }
  }
  std::sort(ref.begin(), ref.end());
  std::vector<std::int64_t> det;
  for (const auto d : det_all) {
    if (d >= start && !inside(excluded, d)) det.push_back(d);
  }
  const auto window = static_cast<std::int64_t>(std::llround(options.window_ms * 1e-3 * fs_hz));
  QrsRecordResult r;
  r.name = name;
  r.n_leads = uv.size();
  r.sample_rate_hz = fs_hz;
  r.counts = match_beats(ref, det, window);
  // The symbol shown for a miss: the first annotation at that sample.
  for (const auto s : r.counts.fn_samples) {
    const auto it = std::find_if(anns.begin(), anns.end(),
                                 [&](const wfdb::Annotation& a) { return a.sample == s; });
    r.fn_symbols.push_back(it != anns.end() ? it->symbol : '?');
  }
  report.total.tp += r.counts.tp;
  report.total.fn += r.counts.fn;
  report.total.fp += r.counts.fp;
  report.records.push_back(std::move(r));
}

}  // namespace

void print_qrs(std::ostream& out, const QrsReport& report, bool verbose) {
  const auto& o = report.options;
  out << "QRS detection vs ." << o.annotator << " in " << o.dir.string() << " (from " << o.start_s
      << " s, window " << o.window_ms << " ms)\n";
  out << "record      leads   fs      TP     FN     FP      Se%     +P%\n";
  for (const auto& r : report.records) {
    const auto& c = r.counts;
    char line[160];
    std::snprintf(line, sizeof line, "%-10s %5zu %5.0f %7lld %6lld %6lld  %s  %s\n", r.name.c_str(),
                  r.n_leads, r.sample_rate_hz, static_cast<long long>(c.tp),
                  static_cast<long long>(c.fn), static_cast<long long>(c.fp),
                  percent(c.tp, c.tp + c.fn).c_str(), percent(c.tp, c.tp + c.fp).c_str());
    out << line;
    if (verbose) {
      for (std::size_t i = 0; i < c.fn_samples.size(); ++i) {
        const auto s = c.fn_samples[i];
        out << "    FN " << clock_time(s, r.sample_rate_hz) << " (" << s << ") " << r.fn_symbols[i]
            << "\n";
      }
      for (const auto s : c.fp_samples) {
        out << "    FP " << clock_time(s, r.sample_rate_hz) << " (" << s << ")\n";
      }
    }
  }
  if (report.failure) return;
  const auto& t = report.total;
  char line[200];
  std::snprintf(line, sizeof line, "%-10s %5s %5s %7lld %6lld %6lld  %s  %s\n", "gross", "", "",
                static_cast<long long>(t.tp), static_cast<long long>(t.fn),
                static_cast<long long>(t.fp), percent(t.tp, t.tp + t.fn).c_str(),
                percent(t.tp, t.tp + t.fp).c_str());
  out << line;
  out << "gross sensitivity " << percent3(t.tp, t.tp + t.fn) << " %, positive predictivity "
      << percent3(t.tp, t.tp + t.fp) << " % over " << report.records.size() << " records ("
      << t.tp + t.fn << " reference beats)\n";
  std::snprintf(line, sizeof line, "filter+detect: %.1f s of signal in %.2f s (%.0fx real time)\n",
                report.seconds_processed, report.seconds_spent,
                report.seconds_processed / std::max(report.seconds_spent, 1e-9));
  out << line;
}

}  // namespace gc::eval
