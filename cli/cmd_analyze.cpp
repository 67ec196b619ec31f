// `greenchannel analyze RECORD [--json]`: offline analysis of a WFDB record or a cart's ECG file
// (DICOM, HL7 aECG, SCP-ECG, GE MUSE, Philips Sierra, GE CardioSoft) — the same dsp + triage path
// the server runs on a streamed study.
#include <boost/program_options.hpp>
#include <cstdio>
#include <iomanip>
#include <iostream>

#include "commands.hpp"
#include "gc/analysis_json.hpp"
#include "record_input.hpp"

namespace gc::cli {
namespace po = boost::program_options;

namespace {

boost::json::object source_json(const RecordSource& s) {
  boost::json::array stored, derived;
  for (const auto& l : s.stored_leads) stored.emplace_back(l);
  for (const auto& l : s.derived_leads) derived.emplace_back(l);
  return {{"format", s.format},
          {"file", s.file},
          {"manufacturer", s.manufacturer},
          {"model", s.model},
          {"serial", s.serial},
          {"software", s.software},
          {"acquired_at", s.acquired_at},
          {"samples_per_lead", s.samples_per_lead},
          {"stored_leads", std::move(stored)},
          {"derived_leads", std::move(derived)}};
}

void print_text(const std::string& record, const dsp::Analysis& a, const triage::Finding& f) {
  std::cout << record << ": " << triage::to_string(f.category) << " (tier "
            << triage::to_string(f.tier) << ")\n";
  if (!f.territories.empty()) {
    std::cout << "  territories:";
    for (const auto& t : f.territories) {
      std::cout << " " << triage::territory_name_en(t) << " (" << triage::territory_name_zh(t)
                << ")";
    }
    std::cout << "\n";
  }
  for (const auto& l : f.elevated) {
    std::cout << "  ST↑ " << std::left << std::setw(4) << l.lead << std::right << std::fixed
              << std::setprecision(1) << std::setw(6) << l.st_j_uv / 100.0 << " mm  ("
              << std::setprecision(0) << l.st_j_uv << " µV at J, " << l.st_late_uv
              << " µV late; threshold " << l.threshold_uv << " µV)\n";
  }
  for (const auto& l : f.depressed) {
    std::cout << "  ST↓ " << std::left << std::setw(4) << l.lead << std::right << std::fixed
              << std::setprecision(1) << std::setw(6) << l.st_j_uv / 100.0 << " mm  ("
              << std::setprecision(0) << l.st_j_uv << " µV)\n";
  }
  if (!f.confounders.empty()) {
    std::cout << "  confounders:";
    for (const auto& c : f.confounders) std::cout << " " << c;
    std::cout << "\n";
  }
  if (a.global.heart_rate_bpm) {
    std::cout << "  HR " << std::fixed << std::setprecision(0) << *a.global.heart_rate_bpm
              << " bpm";
    if (a.global.qrs_duration_ms) std::cout << ", QRS " << *a.global.qrs_duration_ms << " ms";
    if (a.global.qtc_ms) std::cout << ", QTc " << *a.global.qtc_ms << " ms";
    std::cout << "; " << a.beats.size() << " beats, median of " << a.median.n_beats_used << "\n";
  }
  for (const auto& p : a.quality.problems) {
    std::cout << "  quality: " << (p.lead.empty() ? "record" : p.lead) << " " << p.kind
              << (p.detail.empty() ? "" : " — " + p.detail) << "\n";
  }
  std::cout << "  EN: " << f.explanation_en << "\n  中文: " << f.explanation_zh << "\n";
  if (f.route_to_human) std::cout << "  → routed to the on-call cardiologist\n";
  if (f.repeat_ecg) std::cout << "  → clinic asked to repeat the ECG\n";
}

}  // namespace

int cmd_analyze(int argc, char** argv) {
  po::options_description opts(
      "usage: greenchannel analyze RECORD [options]\n\n"
      "Analyses a WFDB record (formats 16/212) or an ECG file (DICOM waveform, HL7 aECG,\n"
      "SCP-ECG, GE MUSE XML, Philips Sierra XML, GE CardioSoft XML; chosen by content) offline\n"
      "and prints the automatic read. Age and sex come from the record unless given here.\n\n"
      "options");
  opts.add_options()("help,h", "show this help")("json", "print the analyze --json contract")(
      "pretty", "indent the JSON")("sex", po::value<std::string>(), "M or F")(
      "age", po::value<int>(), "age in years")("chest-pain", "the patient has chest pain")(
      "mains-hz", po::value<double>(), "50 or 60 (default: auto-detect)")(
      "record", po::value<std::vector<std::string>>(), "record header(s) or ECG file(s)");
  po::positional_options_description pos;
  pos.add("record", -1);
  po::variables_map vm;
  po::store(po::command_line_parser(argc, argv).options(opts).positional(pos).run(), vm);
  po::notify(vm);
  if (vm.count("help") || !vm.count("record")) {
    std::cout << opts << "\n";
    return vm.count("help") ? 0 : 2;
  }
  int status = 0;
  for (const auto& rec : vm["record"].as<std::vector<std::string>>()) {
    try {
      auto loaded = load_record(rec);
      if (vm.count("sex")) loaded.patient.sex = triage::parse_sex(vm["sex"].as<std::string>());
      if (vm.count("age")) loaded.patient.age_years = vm["age"].as<int>();
      if (vm.count("chest-pain")) loaded.patient.chest_pain = true;
      dsp::AnalysisOptions options;
      if (vm.count("mains-hz")) options.mains_hz = vm["mains-hz"].as<double>();
      const auto analysis = dsp::analyze(loaded.block, options);
      const auto finding = triage::evaluate(analysis, loaded.patient);
      if (vm.count("json")) {
        auto obj = triage::to_json_object(analysis, finding);
        obj["source"] = source_json(loaded.source);
        std::cout << triage::to_json_text(obj, vm.count("pretty") > 0);
        if (!vm.count("pretty")) std::cout << "\n";
      } else {
        print_text(rec, analysis, finding);
      }
    } catch (const std::exception& e) {
      std::cerr << "greenchannel analyze: " << e.what() << "\n";
      status = 1;
    }
  }
  return status;
}

}  // namespace gc::cli
