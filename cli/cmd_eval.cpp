// `greenchannel eval <what>`: accuracy figures against the annotated PhysioNet databases. Only
// argument parsing lives here; the evaluations and their tables are the gc_eval library.
#include <cstring>
#include <iostream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "commands.hpp"
#include "gc/eval.hpp"

namespace gc::cli {

namespace fs = std::filesystem;

namespace {

// Options of eval delineation and eval st.
struct DspArgs {
  fs::path data = GC_ECG_DATA_DIR;
  std::string db = "all";
  bool verbose = false;
  bool inject_at_detected = false;  // eval st: inject from the detector's own J point
  bool help = false;
  std::optional<std::string> only;
};

DspArgs parse_dsp_args(int argc, char** argv) {
  DspArgs a;
  for (int i = 1; i < argc; ++i) {
    const std::string s = argv[i];
    if ((s == "--data" || s == "--db" || s == "--record") && i + 1 < argc) {
      const std::string v = argv[++i];
      if (s == "--data") {
        a.data = v;
      } else if (s == "--db") {
        a.db = v;
      } else {
        a.only = v;
      }
    } else if (s == "--at-detected-j") {
      a.inject_at_detected = true;
    } else if (s == "--verbose" || s == "-v") {
      a.verbose = true;
    } else if (s == "--help" || s == "-h") {
      a.help = true;
    } else {
      throw std::invalid_argument("unknown option '" + s + "'");
    }
  }
  return a;
}

void print_errors(const std::vector<std::string>& errors) {
  for (const auto& e : errors) std::cerr << e << "\n";
}

int eval_delineation(int argc, char** argv) {
  DspArgs args;
  try {
    args = parse_dsp_args(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "greenchannel eval delineation: " << e.what() << "\n";
    return 2;
  }
  if (args.help) {
    std::cout
        << "usage: greenchannel eval delineation [--data DIR] [--db qtdb|ludb|all] [--verbose]\n"
           "Scores QRS onset, QRS offset (J point) and T end per annotated beat (nearest\n"
           "detected beat within 150 ms): QTDB .q1c (first annotator) and LUDB per-lead\n"
           "annotations (earliest onset / latest offset / latest T end across leads).\n"
           "Errors are detected − annotated, in ms; SD is pooled over all beats, and the\n"
           "mean of the per-record SDs is printed beside it. Where QTDB has a second\n"
           "cardiologist's annotation (.q2c), that annotator is scored against the first\n"
           "the same way, with this detector on the same beats, as the human reference.\n"
           "Below each fiducial: the share of measured beats with |error| > 40 ms (QRS onset,\n"
           "QRS offset) or > 80 ms (T end), and the 95th percentile of |error|. LUDB's T\n"
           "end is also scored against the latest T end a second lead confirms within 40 ms\n"
           "(a diagnostic: one lead's T end annotated far after the others decides the\n"
           "latest-lead reference alone).\n";
    return 0;
  }
  const auto report = eval::run_delineation({args.data, args.db, args.only});
  print_errors(report.errors);
  eval::print_delineation(std::cout, report, args.verbose);
  return 0;
}

int eval_st(int argc, char** argv) {
  DspArgs args;
  try {
    args = parse_dsp_args(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "greenchannel eval st: " << e.what() << "\n";
    return 2;
  }
  if (args.help) {
    std::cout
        << "usage: greenchannel eval st [--data DIR] [--record NAME] [--at-detected-j] "
           "[--verbose]\n"
           "Injects known ST elevations (50–400 µV, 2–5 random leads, seeded) into LUDB records\n"
           "from the annotated J point tapering to zero at the annotated T end; reports the\n"
           "error of the measured change in st_j_uv / st_j60_uv, the movement of the\n"
           "un-injected leads, and the same with added noise (50 Hz 100 µV, 50 µV RMS EMG,\n"
           "0.3 Hz 1 mV wander).\n"
           "--at-detected-j: a diagnostic — inject from this detector's own J point instead of\n"
           "the annotated one, to separate ST measurement from J-point disagreement.\n";
    return 0;
  }
  const auto report = eval::run_st({args.data, args.only, args.inject_at_detected});
  print_errors(report.errors);
  eval::print_st(std::cout, report, args.verbose);
  return 0;
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

int eval_qrs(int argc, char** argv) {
  const char* usage =
      "usage: greenchannel eval qrs [--data DIR] [--db mitdb|qtdb|cpsc2021|DIR] [--records "
      "A,B,...]\n"
      "                             [--start-s 300] [--window-ms 150] [--annotator atr] "
      "[--verbose]\n"
      "QRS detection vs reference beat annotations (bxb-style: one-to-one matching within the\n"
      "window, scored from --start-s to the end, ventricular flutter episodes excluded).\n"
      "Defaults: --data " GC_ECG_DATA_DIR " --db mitdb, all records with annotations.\n";
  fs::path data = GC_ECG_DATA_DIR;
  std::string db = "mitdb";
  eval::QrsOptions options;
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
      options.records = split_list(value());
    } else if (a == "--start-s") {
      options.start_s = std::stod(value());
    } else if (a == "--window-ms") {
      options.window_ms = std::stod(value());
    } else if (a == "--annotator") {
      options.annotator = value();
    } else if (a == "--verbose" || a == "-v") {
      verbose = true;
    } else {
      std::cerr << "eval qrs: unknown option '" << a << "'\n" << usage;
      return 2;
    }
  }
  options.dir = fs::path(db).is_absolute() ? fs::path(db) : data / db;
  eval::QrsReport report;
  try {
    report = eval::run_qrs(options);
  } catch (const std::invalid_argument& e) {
    std::cerr << "eval qrs: " << e.what() << "\n";
    return 2;
  }
  eval::print_qrs(std::cout, report, verbose);
  if (report.failure) {
    std::cerr << "greenchannel eval: error: " << *report.failure << "\n";
    return 1;
  }
  return 0;
}

int eval_stemi(int argc, char** argv) {
  eval::StemiOptions options;
  options.data = GC_ECG_DATA_DIR;
  bool verbose = false;
  for (int i = 1; i < argc; ++i) {
    const std::string s = argv[i];
    if ((s == "--data" || s == "--record" || s == "--sex" || s == "--age" || s == "--also-as" ||
         s == "--resample-hz") &&
        i + 1 < argc) {
      const std::string v = argv[++i];
      if (s == "--resample-hz") {
        options.resample_hz = eval::parse_rate_option(v);
      } else if (s == "--data") {
        options.data = v;
      } else if (s == "--record") {
        options.only = v;
      } else if (s == "--sex") {
        options.patient.sex = eval::parse_sex_option(v);
      } else if (s == "--age") {
        options.patient.age_years = eval::parse_age_option(v);
      } else {
        options.also_as = eval::parse_patient_override(v);
      }
    } else if (s == "--chest-pain") {
      options.chest_pain = true;
    } else if (s == "--verbose" || s == "-v") {
      verbose = true;
    } else if (s == "--help" || s == "-h") {
      std::cout
          << "usage: greenchannel eval stemi [--data DIR] [--record SUBSTRING] [--verbose]\n"
             "                               [--sex M|F|U] [--age YEARS] [--also-as SEX,AGE]\n"
             "                               [--chest-pain] [--resample-hz HZ]\n"
             "Runs dsp::analyze + triage::evaluate over the 12-lead records of DIR/MANIFEST.tsv\n"
             "and prints the confusion matrix, sensitivity, specificity, the false-\"stemi\" "
             "rate\n"
             "per label class and every miss and false alarm. Then, with DIR/brugada-huca too:\n"
             "per database and class the critical alerts, stemi / equivalent calls, normal "
             "reads,\n"
             "Brugada and pacing confounders; every acute STEMI as read; the issue-12 headline.\n"
             "--sex / --age read every record as that patient instead of the age/sex it gives.\n"
             "--also-as SEX,AGE (e.g. M,40) repeats the per-class tables and the headline with\n"
             "every record read as that patient.\n"
             "--chest-pain reads every record (both readings) as a chest-pain patient's: the\n"
             "urgent column then shows what the chest-pain tier costs and catches per class.\n"
             "--resample-hz HZ reads every record resampled to HZ (50-2000; band-limited): how\n"
             "much of the read depends on the rate the records were made at.\n";
      return 0;
    } else {
      throw std::invalid_argument("unknown option '" + s + "'");
    }
  }
  eval::print_stemi(std::cout, eval::run_stemi(options), verbose);
  return 0;
}

int eval_inject(int argc, char** argv) {
  eval::InjectionOptions options;
  options.data = GC_ECG_DATA_DIR;
  bool verbose = false;
  for (int i = 1; i < argc; ++i) {
    const std::string s = argv[i];
    if ((s == "--data" || s == "--factors" || s == "--as" || s == "--territories") && i + 1 < argc) {
      const std::string v = argv[++i];
      if (s == "--data") {
        options.data = v;
      } else if (s == "--as") {
        options.patient = eval::parse_patient_override(v);
      } else if (s == "--territories") {
        options.territories = split_list(v);
      } else {
        options.factors.clear();
        for (const auto& f : split_list(v)) {
          std::size_t used = 0;
          double x = 0;
          try {
            x = std::stod(f, &used);
          } catch (const std::exception&) {
            used = 0;
          }
          if (used != f.size() || !(x > 0 && x <= 10)) {
            throw std::invalid_argument("--factors: '" + f + "' is not a number in (0, 10]");
          }
          options.factors.push_back(x);
        }
      }
    } else if (s == "--verbose" || s == "-v") {
      verbose = true;
    } else if (s == "--help" || s == "-h") {
      std::cout
          << "usage: greenchannel eval inject [--data DIR] [--factors 1,1.5] [--as M,40]\n"
             "                                [--territories septal,anterior,...] [--verbose]\n"
             "Adds each territory's occlusion pattern of ST elevation (with its reciprocal\n"
             "depression where the pattern has it) to every beat of the Brugada-HUCA\n"
             "non-pathological baselines — young adults, whose normal variants the read must\n"
             "tell from occlusion — at multiples of the smallest peak meeting the criteria in\n"
             "two contiguous leads, and counts the critical alerts (read as --as, default M,40).\n"
             "--verbose lists every injected record that did not raise a critical alert.\n";
      return 0;
    } else {
      throw std::invalid_argument("unknown option '" + s + "'");
    }
  }
  const auto report = eval::run_injection(options);
  print_errors(report.errors);
  eval::print_injection(std::cout, report, verbose);
  return report.baselines > 0 ? 0 : 1;
}

}  // namespace

int cmd_eval(int argc, char** argv) {
  const char* usage =
      "usage: greenchannel eval <qrs|delineation|st|stemi|inject> [options]\n"
      "  qrs          QRS detection vs MIT-BIH .atr (bxb-style, from 5:00, 150 ms window)\n"
      "  delineation  QRS onset / J point / T end vs QTDB .q1c and LUDB annotations\n"
      "  st           ST measurement error with injected ST shifts on LUDB\n"
      "  stemi        STEMI triage confusion matrix on the labelled records\n"
      "  inject       occlusion-pattern ST elevation injected into young adults' baselines\n"
      "Each accepts --data DIR (default: ../shared/ecg-data) and --help.\n";
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    std::cout << usage;
    return argc < 2 ? 2 : 0;
  }
  const std::string what = argv[1];
  if (what == "qrs") return eval_qrs(argc - 1, argv + 1);
  if (what == "delineation") return eval_delineation(argc - 1, argv + 1);
  if (what == "st") return eval_st(argc - 1, argv + 1);
  if (what == "stemi") return eval_stemi(argc - 1, argv + 1);
  if (what == "inject") return eval_inject(argc - 1, argv + 1);
  std::cerr << "greenchannel eval: unknown evaluation '" << what << "'\n" << usage;
  return 2;
}

}  // namespace gc::cli
