// eval inject: occlusion-pattern ST elevation injected into Brugada-HUCA baselines (see eval.hpp).
#include <algorithm>
#include <iomanip>
#include <map>
#include <ostream>

#include "gc/eval.hpp"
#include "gc/record_input.hpp"
#include "gc/synth.hpp"
#include "inject.hpp"

namespace gc::eval {

namespace fs = std::filesystem;

namespace {

// The 12-lead territories (posterior and right-ventricular patterns need 18 leads).
const std::vector<std::string>& twelve_lead_territories() {
  static const std::vector<std::string> t = {"septal",  "anteroseptal", "anterior",
                                             "extensive_anterior", "lateral", "high_lateral",
                                             "inferior"};
  return t;
}

bool meets_in_two_contiguous(const std::map<std::string, double>& st_uv,
                             const triage::PatientContext& patient) {
  static const std::vector<std::vector<std::string>> chains = {
      {"aVL", "I", "-aVR", "II", "aVF", "III"}, {"V1", "V2", "V3", "V4", "V5", "V6"}};
  auto meets = [&](const std::string& lead) {
    const bool minus_avr = lead == "-aVR";
    const auto it = st_uv.find(minus_avr ? "aVR" : lead);
    if (it == st_uv.end()) return false;
    const double v = minus_avr ? -it->second : it->second;
    return v >= triage::ste_threshold_uv(lead, patient);
  };
  for (const auto& chain : chains) {
    for (std::size_t i = 0; i + 1 < chain.size(); ++i) {
      if (meets(chain[i]) && meets(chain[i + 1])) return true;
    }
  }
  return false;
}

}  // namespace

double criterion_peak_uv(const std::string& territory, const triage::PatientContext& patient) {
  for (double e = 10; e <= 2000; e += 10) {
    if (meets_in_two_contiguous(synth::territory_st_uv(territory, e), patient)) return e;
  }
  return 2000;
}

InjectionReport run_injection(const InjectionOptions& options) {
  InjectionReport report;
  report.patient = options.patient;
  const auto territories = options.territories.empty() ? twelve_lead_territories() : options.territories;
  const auto manifest = options.data / "brugada-huca" / "MANIFEST.tsv";
  if (!fs::exists(manifest)) {
    report.errors.push_back(manifest.string() + ": not found");
    return report;
  }
  const triage::PatientContext reader = apply_override({}, options.patient);
  std::map<std::pair<std::string, double>, InjectionCell> cells;
  for (const auto& t : territories) {
    for (const double f : options.factors) {
      auto& c = cells[{t, f}];
      c.territory = t;
      c.factor = f;
      c.peak_uv = f * criterion_peak_uv(t, reader);
    }
  }
  for (const auto& row : read_manifest(manifest, false)) {
    if (row.label_class != "normal") continue;
    LoadedRecord rec;
    try {
      rec = load_record(row.base_dir / row.relative_path);
    } catch (const std::exception& e) {
      report.errors.push_back(e.what());
      continue;
    }
    const auto base = dsp::analyze(rec.block);
    if (!base.quality.ok) {
      ++report.skipped;
      continue;
    }
    ++report.baselines;
    const double fs_hz = rec.block.sample_rate_hz;
    for (auto& [key, cell] : cells) {
      const auto pattern = synth::territory_st_uv(cell.territory, cell.peak_uv);
      auto block = rec.block;
      for (std::size_t l = 0; l < block.lead_names.size(); ++l) {
        const auto it = pattern.find(block.lead_names[l]);
        if (it == pattern.end() || it->second == 0) continue;
        for (const auto& beat : base.beats) {
          if (!beat.qrs_offset_sample || !beat.t_end_sample || *beat.t_end_sample <= *beat.qrs_offset_sample)
            continue;
          inject_beat(block.samples_uv[l], *beat.qrs_offset_sample, *beat.t_end_sample, it->second, fs_hz);
        }
      }
      const auto f = triage::evaluate(dsp::analyze(block), reader);
      ++cell.n;
      if (f.tier == triage::Tier::critical) {
        ++cell.critical;
      } else {
        (f.tier == triage::Tier::urgent ? cell.urgent : cell.routine) += 1;
        std::string why(triage::to_string(f.category));
        for (const auto& c : f.confounders) why += " " + c;
        why += " — " + f.explanation_en;
        cell.not_critical.push_back(row.record_id + ": " + why);
      }
    }
  }
  for (auto& [key, cell] : cells) report.cells.push_back(std::move(cell));
  // Territory order as given, factors ascending.
  std::stable_sort(report.cells.begin(), report.cells.end(), [&](const auto& a, const auto& b) {
    const auto ia = std::find(territories.begin(), territories.end(), a.territory);
    const auto ib = std::find(territories.begin(), territories.end(), b.territory);
    return ia != ib ? ia < ib : a.factor < b.factor;
  });
  return report;
}

void print_injection(std::ostream& out, const InjectionReport& report, bool verbose) {
  out << "occlusion-pattern ST elevation injected into " << report.baselines
      << " Brugada-HUCA non-pathological baselines (" << report.skipped
      << " not analysable as shipped, skipped), read " << report.patient.label() << "\n";
  // Each cell's critical share carries its Wilson 95 % interval: n is the number of baselines
  // (46), so a cell's share is known to ±10–15 points at best.
  out << "territory            × criterion  peak µV     n   critical  (95 % CI)       urgent  "
         "routine\n";
  int n = 0, critical = 0;
  for (const auto& c : report.cells) {
    out << std::left << std::setw(20) << c.territory << std::right << std::setw(11) << std::fixed
        << std::setprecision(2) << c.factor << std::setw(9) << std::setprecision(0) << c.peak_uv
        << std::setw(6) << c.n << std::setw(6) << c.critical << " (" << std::setw(5)
        << std::setprecision(1) << (c.n ? 100.0 * c.critical / c.n : 0.0) << " %";
    const auto ci = wilson_95(static_cast<std::size_t>(c.critical), static_cast<std::size_t>(c.n));
    out << ", " << std::setprecision(0) << std::setw(3) << 100.0 * ci.lo << "–" << std::setw(3)
        << 100.0 * ci.hi << " %)" << std::setw(8) << c.urgent << std::setw(9) << c.routine << "\n";
    n += c.n;
    critical += c.critical;
    if (verbose) {
      for (const auto& m : c.not_critical) out << "    not critical: " << m << "\n";
    }
  }
  out << "all: " << critical << " of " << n << " critical (" << std::fixed << std::setprecision(1)
      << (n ? 100.0 * critical / n : 0.0) << " %)\n";
}

}  // namespace gc::eval
