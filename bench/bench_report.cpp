// bench_report [N_CASES]: audit report over N synthetic cases (default 100,000; target < 2 s for
// aggregation plus all three renderings). Reports the time of each stage and cases/s.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>

#include "gc/case_synth.hpp"
#include "gc/report.hpp"

int main(int argc, char** argv) {
  using namespace gc::workflow;
  using Clock = std::chrono::steady_clock;
  const std::size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 100'000;
  const TimeZone tz;

  SynthCasesOptions so;
  so.from_ms = parse_instant("2026-01-01", tz);
  so.to_ms = parse_instant("2026-07-01", tz);  // half a year: several months to group
  so.n_cases = n;
  so.seed = 42;
  auto t0 = Clock::now();
  const auto cases = synth_cases(so);
  const double synth_s = std::chrono::duration<double>(Clock::now() - t0).count();

  ReportOptions o;
  o.from_ms = so.from_ms;
  o.to_ms = so.to_ms;
  o.generated_ms = so.to_ms;

  const std::clock_t cpu0 = std::clock();
  t0 = Clock::now();
  const Report r = build_report(cases, o);
  const auto t1 = Clock::now();
  const std::string json = to_json(r);
  const auto t2 = Clock::now();
  const std::string csv = to_csv(r);
  const auto t3 = Clock::now();
  const std::string html = to_html(r);
  const auto t4 = Clock::now();
  // CPU time as well: on a shared machine the wall clock includes other processes' turns.
  const double cpu_s = static_cast<double>(std::clock() - cpu0) / CLOCKS_PER_SEC;

  const auto secs = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
  const double total = secs(t0, t4);
  std::printf("cases: %zu (synthesis %.3f s, not counted)\n", r.cases.size(), synth_s);
  std::printf(
      "aggregate %.3f s, json %.3f s (%.1f MB), csv %.3f s (%.1f MB), html %.3f s (%.1f MB)\n",
      secs(t0, t1), secs(t1, t2), static_cast<double>(json.size()) / 1e6, secs(t2, t3),
      static_cast<double>(csv.size()) / 1e6, secs(t3, t4), static_cast<double>(html.size()) / 1e6);
  // `greenchannel report` renders one format per run: aggregation + that rendering.
  std::printf("one report (aggregate + one format): html %.3f s, csv %.3f s, json %.3f s\n",
              secs(t0, t1) + secs(t3, t4), secs(t0, t1) + secs(t2, t3), secs(t0, t2));
  std::printf("all three: %.3f s wall, %.3f s CPU, %.0f cases/s (target: 100,000 cases < 2 s)%s\n",
              total, cpu_s, static_cast<double>(r.cases.size()) / total,
              total < 2.0 || n != 100'000 ? "" : " — over target (check the machine's load)");
  return 0;
}
