// eval delineation: QRS onset, QRS offset (J point) and T end against the cardiologist
// annotations of QTDB (.q1c, first annotator) and LUDB (per-lead files), with the second QTDB
// annotator (.q2c) scored the same way as the human reference.
#include <cmath>
#include <iomanip>
#include <ostream>

#include "annotations.hpp"
#include "gc/eval.hpp"
#include "gc/record_input.hpp"

namespace gc::eval {

namespace fs = std::filesystem;
using I64 = std::int64_t;

void ErrStats::add(const std::optional<I64>& annotated, const std::optional<I64>& detected,
                   double sample_rate_hz) {
  if (!annotated) return;
  if (!detected) {
    ++missing;
    return;
  }
  err_ms.push_back(static_cast<double>(*detected - *annotated) * 1000.0 / sample_rate_hz);
}

double ErrStats::mean() const {
  double s = 0;
  for (const double e : err_ms) s += e;
  return err_ms.empty() ? 0 : s / static_cast<double>(err_ms.size());
}

double ErrStats::sd() const {
  if (err_ms.size() < 2) return 0;
  const double m = mean();
  double s = 0;
  for (const double e : err_ms) s += (e - m) * (e - m);
  return std::sqrt(s / static_cast<double>(err_ms.size() - 1));
}

double ErrStats::mean_record_sd() const {
  double s = 0;
  for (const double e : record_sd) s += e;
  return record_sd.empty() ? 0 : s / static_cast<double>(record_sd.size());
}

std::vector<GrossErrors> ErrStats::per_record_gross(double limit_ms) const {
  if (record_beats.empty()) return {gross_errors(err_ms, limit_ms)};
  std::vector<GrossErrors> out;
  const std::span<const double> all(err_ms);
  std::size_t at = 0;
  for (const std::size_t n : record_beats) {
    const std::size_t take = std::min(n, all.size() - at);  // merge keeps Σ n == err_ms.size()
    out.push_back(gross_errors(all.subspan(at, take), limit_ms));
    at += take;
  }
  return out;
}

// A one-record ErrStats has no record_sd yet: its own SD becomes one entry; merged totals carry
// their records' SDs along.
void ErrStats::merge(const ErrStats& o) {
  err_ms.insert(err_ms.end(), o.err_ms.begin(), o.err_ms.end());
  missing += o.missing;
  if (!o.record_beats.empty()) {
    record_beats.insert(record_beats.end(), o.record_beats.begin(), o.record_beats.end());
  } else {
    record_beats.push_back(o.err_ms.size());
  }
  if (!o.record_sd.empty()) {
    record_sd.insert(record_sd.end(), o.record_sd.begin(), o.record_sd.end());
  } else if (o.err_ms.size() >= 2) {
    record_sd.push_back(o.sd());
  }
}

void DelineationStats::merge(const DelineationStats& o) {
  onset.merge(o.onset);
  offset.merge(o.offset);
  t_end.merge(o.t_end);
  t_end_confirmed.merge(o.t_end_confirmed);
  annotated += o.annotated;
  unmatched += o.unmatched;
  records += o.records;
  failed += o.failed;
}

namespace {

// QTDB records annotated twice: the second cardiologist (.q2c) scored against the first exactly as
// the detector is, and the detector on the same beats — what "SD" can mean when two experts
// differ by that much.
std::vector<NamedDelineation> inter_annotator(const DelineationOptions& options,
                                              std::vector<std::string>& errors) {
  DelineationStats human, ours;
  for (const auto& hea : detail::headers_in(options.data / "qtdb")) {
    if (options.only && hea.stem().string() != *options.only) continue;
    auto q1 = hea, q2 = hea;
    q1.replace_extension(".q1c");
    q2.replace_extension(".q2c");
    if (!fs::exists(q1) || !fs::exists(q2)) continue;
    try {
      const auto block = load_record(hea).block;
      const auto first = detail::qtdb_beats(q1);
      dsp::Analysis second;
      second.sample_rate_hz = block.sample_rate_hz;
      for (const auto& b : detail::qtdb_beats(q2)) {
        dsp::Beat x;
        x.r_sample = b.peak;
        x.qrs_onset_sample = b.qrs_onset;
        x.qrs_offset_sample = b.qrs_offset;
        x.t_end_sample = b.t_end;
        second.beats.push_back(x);
      }
      // Only the beats both cardiologists annotated are compared, for both.
      std::vector<detail::AnnotatedBeat> both;
      for (const auto& b : first) {
        if (detail::match_beat(second.beats, b.peak, block.sample_rate_hz)) both.push_back(b);
      }
      DelineationStats h, o;
      detail::score(both, second, h);
      detail::score(both, dsp::analyze(block), o);
      h.records = o.records = 1;
      human.merge(h);
      ours.merge(o);
    } catch (const std::exception& e) {
      errors.push_back(hea.string() + ": " + e.what());
    }
  }
  if (human.records == 0) return {};
  return {{"qtdb second annotator (.q2c) vs first (.q1c)", human},
          {"this detector vs first (.q1c) on the same beats", ours}};
}

void print_stats(std::ostream& out, const std::string& name, const DelineationStats& s) {
  out << std::fixed << std::setprecision(1);
  out << name << ": " << s.records << " records (" << s.failed << " failed), " << s.annotated
      << " annotated beats, " << s.unmatched << " unmatched\n";
  const auto row = [&out](const char* what, const ErrStats& e) {
    out << "  " << std::left << std::setw(11) << what << std::right << " mean " << std::setw(6)
        << e.mean() << " ms  SD " << std::setw(6) << e.sd() << " ms  (n=" << e.err_ms.size()
        << ", missing " << e.missing << ")  mean within-record SD " << e.mean_record_sd()
        << " ms\n";
  };
  // The tails the mean and SD hide (issue 12): the share of measured beats off by more than the
  // limit, and the p95 of |error|.
  const auto tails = [&out](const ErrStats& e, double limit_ms) {
    const auto g = gross_errors(e.err_ms, limit_ms);
    out << "  " << std::setw(11) << ""
        << " |error| > " << std::setprecision(0) << limit_ms << " ms in " << std::setprecision(1)
        << std::setw(5) << 100.0 * g.share() << " % of beats (" << g.above << "/" << g.measured
        << ")  p95 |error| " << std::setw(6) << p95_abs_ms(e.err_ms) << " ms";
    // How far the share could move on other records like these (issue 12's figures are checked
    // again on held-out records): a bootstrap over records, since a record's beats err together.
    const auto records = e.per_record_gross(limit_ms);
    if (records.size() >= 2) {
      const auto ci = record_bootstrap_95(records);
      out << "  95 % CI over records " << 100.0 * ci.lo << "–" << 100.0 * ci.hi << " %";
    }
    out << "\n";
    // Beats whose fiducial analyze did not report (none found, or doubted: a T end the lead
    // groups disagree on is not reported). The share above leaves them out; this one counts
    // each of them as a gross error, so neither figure hides them.
    if (e.missing > 0) {
      const auto with = g.above + e.missing, of = g.measured + e.missing;
      out << "  " << std::setw(11) << ""
          << " not reported for " << e.missing
          << " beats; counting them as off by more: " << std::setw(5)
          << 100.0 * static_cast<double>(with) / static_cast<double>(of) << " % (" << with << "/"
          << of << ")\n";
    }
  };
  row("QRS onset", s.onset);
  tails(s.onset, kGrossOnsetMs);
  row("QRS offset", s.offset);
  tails(s.offset, kGrossJMs);
  row("T end", s.t_end);
  tails(s.t_end, kGrossTEndMs);
  // LUDB's reference T end is the latest over the leads, so one lead's T end annotated far after
  // all the others (on a flat lead) decides alone. The same beats against the latest T end that a
  // second lead confirms within 40 ms show how much of the tail that is; the figure above stays
  // the one to meet.
  if (const auto& c = s.t_end_confirmed; !c.err_ms.empty()) {
    const auto g = gross_errors(c.err_ms, kGrossTEndMs);
    out << "  " << std::setw(11) << ""
        << " LUDB beats against the latest T end a second lead confirms (within "
        << std::setprecision(0) << detail::kConfirmingLeadMs << " ms): > " << kGrossTEndMs
        << " ms in " << std::setprecision(1) << std::setw(5) << 100.0 * g.share() << " % ("
        << g.above << "/" << g.measured << "), p95 |error| " << p95_abs_ms(c.err_ms) << " ms\n";
  }
}

void print_record(std::ostream& out, const RecordDelineation& r) {
  const auto& rs = r.stats;
  out << std::fixed << std::setprecision(1) << r.db << " " << std::left << std::setw(8) << r.record
      << std::right << " n=" << rs.annotated << " um=" << rs.unmatched << "  on " << std::setw(6)
      << rs.onset.mean() << " ±" << std::setw(5) << rs.onset.sd() << "  off " << std::setw(6)
      << rs.offset.mean() << " ±" << std::setw(5) << rs.offset.sd() << "  tend " << std::setw(6)
      << rs.t_end.mean() << " ±" << std::setw(5) << rs.t_end.sd() << "  miss " << rs.onset.missing
      << "/" << rs.offset.missing << "/" << rs.t_end.missing;
  const auto gross = [](const ErrStats& e, double limit_ms) {
    return 100.0 * gross_errors(e.err_ms, limit_ms).share();
  };
  const auto ms = [](const std::optional<double>& v) { return v ? *v : -1.0; };
  out << "  gross J " << std::setw(5) << gross(rs.offset, kGrossJMs) << " % T " << std::setw(5)
      << gross(rs.t_end, kGrossTEndMs) << " %  spread J beat/lead " << ms(r.agreement.j_beat_spread_ms)
      << "/" << ms(r.agreement.j_lead_spread_ms) << " T " << ms(r.agreement.t_end_beat_spread_ms) << "/"
      << ms(r.agreement.t_end_lead_spread_ms) << "\n";
}

}  // namespace

DelineationReport run_delineation(const DelineationOptions& options) {
  DelineationReport report;
  report.options = options;
  DelineationStats total;
  for (const std::string db : {"qtdb", "ludb"}) {
    if (options.db != "all" && options.db != db) continue;
    const fs::path dir = db == "qtdb" ? options.data / "qtdb" : options.data / "ludb" / "data";
    DelineationStats st;
    for (const auto& hea : detail::headers_in(dir)) {
      if (options.only && hea.stem().string() != *options.only) continue;
      auto ann_path = hea;
      ann_path.replace_extension(db == "qtdb" ? ".q1c" : ".i");
      if (!fs::exists(ann_path)) continue;
      DelineationStats rs;
      dsp::MedianBeat agreement;
      bool j_uncertain = false, t_uncertain = false;
      try {
        const auto block = load_record(hea).block;
        const auto ann = db == "qtdb" ? detail::qtdb_beats(ann_path)
                                      : detail::ludb_beats(hea, block.sample_rate_hz);
        const auto analysis = dsp::analyze(block);
        detail::score(ann, analysis, rs);
        rs.records = 1;
        agreement = analysis.median;
        agreement.samples_uv.clear();
        for (const auto& p : analysis.quality.problems) {
          j_uncertain = j_uncertain || p.kind == "j_point_uncertain" || p.kind == "j_point_leads_disagree";
          t_uncertain = t_uncertain || p.kind == "t_end_uncertain";
        }
      } catch (const std::exception& e) {
        report.errors.push_back(hea.string() + ": " + e.what());
        rs.failed = 1;
      }
      report.records.push_back({db, hea.stem().string(), rs, std::move(agreement), j_uncertain, t_uncertain});
      st.merge(rs);
    }
    report.databases.push_back({db, st});
    total.merge(st);
  }
  if (options.db == "all") report.databases.push_back({"all", total});
  if (options.db != "ludb") report.inter_annotator = inter_annotator(options, report.errors);
  return report;
}

void print_delineation(std::ostream& out, const DelineationReport& report, bool verbose) {
  for (const auto& [name, stats] : report.databases) {
    if (verbose) {
      for (const auto& r : report.records) {
        if (r.db == name) print_record(out, r);
      }
    }
    print_stats(out, name, stats);
    // Fiducial agreement (issue 12 item 4): the records analyze flags, and the gross errors in them.
    std::size_t n_j = 0, n_t = 0, beats_j = 0, beats_t = 0, gross_j = 0, gross_t = 0;
    for (const auto& r : report.records) {
      if (name != "all" && r.db != name) continue;
      if (r.j_uncertain) {
        ++n_j;
        beats_j += r.stats.offset.err_ms.size();
        gross_j += gross_errors(r.stats.offset.err_ms, kGrossJMs).above;
      }
      if (r.t_end_uncertain) {
        ++n_t;
        beats_t += r.stats.t_end.err_ms.size();
        gross_t += gross_errors(r.stats.t_end.err_ms, kGrossTEndMs).above;
      }
    }
    out << "  flagged by analyze: j_point_uncertain / _leads_disagree in " << n_j << " records (" << gross_j << " of their "
        << beats_j << " beats J > 40 ms off), t_end_uncertain in " << n_t << " (" << gross_t << " of "
        << beats_t << " beats T end > 80 ms off)\n";
  }
  for (const auto& [name, stats] : report.inter_annotator) print_stats(out, name, stats);
  out << "targets: |mean| <= 3 ms QRS on/off; SD <= 6.5 (onset), 8 (J), 20 (T end) ms\n"
         "reference ecgpuwave on QTDB: -6.9 ± 15.3, -1.5 ± 16.0, -1.2 ± 52.3 ms\n";
  out << "issue 12: J > 40 ms off in <= 1.5 % of beats (QTDB and LUDB), T end > 80 ms in "
         "<= 5 %\n";
}

}  // namespace gc::eval
