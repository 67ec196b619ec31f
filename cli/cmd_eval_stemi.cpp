// `greenchannel eval stemi`: STEMI triage accuracy on the labelled 12-lead dev records listed in
// DATA/MANIFEST.tsv (LUDB, PTB-XL, PTB, CinC 2021). Prints the confusion matrix, sensitivity,
// specificity, the false-"stemi" rate per label class and every miss and false alarm.
//
// Ground truth and scoring (documented choices):
// - Positive: a label_class token starting with "acute_STEMI" that is not a "candidate".
// - Candidates ("acute_STEMI_candidate_*", "acute_or_recent_MI_candidate_*": acute/recent MI whose
//   ST elevation is not confirmed by the source, e.g. PTB day-2 records) form their own group and
//   count in neither sensitivity nor specificity.
// - Negative: every other record with ≥ 12 leads; 2-lead Holter records (mitdb, qtdb, cpsc2021)
//   are skipped as not diagnostic.
// - A positive is detected when the category is stemi or stemi_equivalent (both reach a human at
//   once, critical/urgent).
// - Specificity is reported twice: "strict" counts only a "stemi" call (critical tier, cath-lab
//   pre-alert) as a false alarm; "any alert" also counts stemi_equivalent (urgent). Confounded,
//   abnormal, normal and poor_quality are not STEMI calls. For the confounder classes
//   (mimic_LBBB, mimic_paced) the report also gives how often the right reason was given.
// - Age/sex come from the WFDB header; PTB-XL headers have none, so they are taken from
//   ptbxl_database.csv (sex 0 = male, 1 = female) when present. Chest pain is not known: false.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "gc/dsp.hpp"
#include "gc/triage.hpp"
#include "gc/wfdb.hpp"
#include "record_input.hpp"

namespace gc::cli {

namespace fs = std::filesystem;

namespace {

struct Args {
  fs::path data = GC_ECG_DATA_DIR;
  bool verbose = false;  // one line per record
  bool help = false;
  std::optional<std::string> only;  // substring of relative_path
};

Args parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string s = argv[i];
    if ((s == "--data" || s == "--record") && i + 1 < argc) {
      const std::string v = argv[++i];
      if (s == "--data") {
        a.data = v;
      } else {
        a.only = v;
      }
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

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else if (c != '\r') {
      cur.push_back(c);
    }
  }
  out.push_back(cur);
  return out;
}

// RFC 4180-style CSV line splitting (quoted fields may contain commas and doubled quotes).
std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cur.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cur.push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.push_back(cur);
      cur.clear();
    } else if (c != '\r') {
      cur.push_back(c);
    }
  }
  out.push_back(cur);
  return out;
}

struct ManifestRow {
  std::string source, record_id, relative_path, label_class;
  int n_leads = 0;
};

std::vector<ManifestRow> read_manifest(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  std::string line;
  std::getline(in, line);
  const auto header = split(line, '\t');
  auto col = [&header, &path](const std::string& name) {
    auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end()) throw std::runtime_error(path.string() + ": no column " + name);
    return static_cast<std::size_t>(it - header.begin());
  };
  const auto c_source = col("source_name"), c_id = col("record_id"), c_path = col("relative_path"),
             c_leads = col("n_leads"), c_label = col("label_class");
  std::vector<ManifestRow> rows;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto f = split(line, '\t');
    if (f.size() < header.size()) continue;
    ManifestRow r;
    r.source = f[c_source];
    r.record_id = f[c_id];
    r.relative_path = f[c_path];
    r.label_class = f[c_label];
    try {
      r.n_leads = std::stoi(f[c_leads]);
    } catch (const std::exception&) {
      r.n_leads = 0;
    }
    rows.push_back(r);
  }
  return rows;
}

struct Demographics {
  std::optional<int> age_years;
  triage::Sex sex = triage::Sex::unknown;
};

// PTB-XL age/sex by ecg_id (the .hea files carry none).
std::map<std::string, Demographics> read_ptbxl_demographics(const fs::path& csv) {
  std::map<std::string, Demographics> out;
  std::ifstream in(csv);
  if (!in) return out;
  std::string line;
  std::getline(in, line);
  const auto header = split_csv(line);
  auto idx = [&header](const std::string& name) -> std::optional<std::size_t> {
    auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end()) return std::nullopt;
    return static_cast<std::size_t>(it - header.begin());
  };
  const auto c_id = idx("ecg_id"), c_age = idx("age"), c_sex = idx("sex");
  if (!c_id || !c_age || !c_sex) return out;
  while (std::getline(in, line)) {
    const auto f = split_csv(line);
    if (f.size() <= std::max({*c_id, *c_age, *c_sex})) continue;
    Demographics d;
    try {
      // PTB-XL encodes ages over 89 as 300 (de-identification): keep them as 90.
      const double age = std::stod(f[*c_age]);
      d.age_years = std::min(90, static_cast<int>(age));
    } catch (const std::exception&) {
    }
    if (f[*c_sex] == "0") d.sex = triage::Sex::male;
    if (f[*c_sex] == "1") d.sex = triage::Sex::female;
    out[f[*c_id]] = d;
  }
  return out;
}

enum class Group { positive, candidate, negative };

Group group_of(const std::string& label_class) {
  bool candidate = false;
  for (const auto& token : split(label_class, ';')) {
    if (token.find("candidate") != std::string::npos) {
      candidate = true;
    } else if (token.rfind("acute_STEMI", 0) == 0) {
      return Group::positive;
    }
  }
  return candidate ? Group::candidate : Group::negative;
}

struct Result {
  ManifestRow row;
  Group group = Group::negative;
  std::optional<triage::Finding> finding;  // nullopt when reading/analysis failed
  std::string error;
  std::string outcome() const {
    return finding ? std::string(triage::to_string(finding->category)) : std::string("error");
  }
  bool alert() const {
    return finding && (finding->category == triage::Category::stemi ||
                       finding->category == triage::Category::stemi_equivalent);
  }
  bool stemi() const { return finding && finding->category == triage::Category::stemi; }
};

const std::vector<std::string> kOutcomes = {"stemi",  "stemi_equivalent", "confounded", "abnormal",
                                            "normal", "poor_quality",     "error"};

std::string pct(int num, int den) {
  if (den == 0) return "n/a";
  std::ostringstream s;
  s << std::fixed << std::setprecision(1) << 100.0 * num / den << " % (" << num << "/" << den
    << ")";
  return s.str();
}

void print_finding_line(std::ostream& out, const Result& r) {
  out << "  " << r.row.relative_path << "  [" << r.row.label_class << "]  → " << r.outcome();
  if (r.finding) {
    if (!r.finding->confounders.empty()) {
      out << " (";
      for (std::size_t i = 0; i < r.finding->confounders.size(); ++i) {
        out << (i ? "," : "") << r.finding->confounders[i];
      }
      out << ")";
    }
    out << "\n      " << r.finding->explanation_en << "\n";
  } else {
    out << "\n      " << r.error << "\n";
  }
}

}  // namespace

int eval_stemi(int argc, char** argv) {
  const Args args = parse_args(argc, argv);
  if (args.help) {
    std::cout
        << "usage: greenchannel eval stemi [--data DIR] [--record SUBSTRING] [--verbose]\n"
           "Runs dsp::analyze + triage::evaluate over the 12-lead records of DIR/MANIFEST.tsv\n"
           "and prints the confusion matrix, sensitivity, specificity, the false-\"stemi\" rate\n"
           "per label class and every miss and false alarm.\n";
    return 0;
  }
  const auto rows = read_manifest(args.data / "MANIFEST.tsv");
  const auto ptbxl = read_ptbxl_demographics(args.data / "ptbxl" / "ptbxl_database.csv");

  std::vector<Result> results;
  int skipped = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (const auto& row : rows) {
    if (row.n_leads < 12) {
      ++skipped;
      continue;
    }
    if (args.only && row.relative_path.find(*args.only) == std::string::npos) continue;
    Result r;
    r.row = row;
    r.group = group_of(row.label_class);
    try {
      auto loaded = load_record(args.data / row.relative_path);
      auto patient = loaded.patient;
      if (row.source == "ptbxl") {
        if (auto it = ptbxl.find(row.record_id); it != ptbxl.end()) {
          if (!patient.age_years) patient.age_years = it->second.age_years;
          if (patient.sex == triage::Sex::unknown) patient.sex = it->second.sex;
        }
      }
      const auto analysis = dsp::analyze(loaded.block);
      r.finding = triage::evaluate(analysis, patient);
    } catch (const std::exception& e) {
      r.error = e.what();
    }
    if (args.verbose) {
      std::cout << std::left << std::setw(44) << row.relative_path << " " << std::setw(17)
                << r.outcome() << " " << row.label_class << "\n";
    }
    results.push_back(std::move(r));
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  // --- Confusion matrix ---------------------------------------------------------------------
  const std::vector<std::pair<Group, std::string>> groups = {{Group::positive, "acute STEMI"},
                                                             {Group::candidate, "candidates"},
                                                             {Group::negative, "others"}};
  std::cout << "STEMI triage on " << results.size() << " records of " << args.data.string() << " ("
            << skipped << " records with < 12 leads skipped) in " << std::fixed
            << std::setprecision(1) << seconds << " s\n\n";
  std::cout << std::left << std::setw(14) << "truth \\ call";
  for (const auto& o : kOutcomes) std::cout << std::right << std::setw(17) << o;
  std::cout << std::right << std::setw(8) << "total"
            << "\n";
  for (const auto& [g, name] : groups) {
    std::cout << std::left << std::setw(14) << name;
    int total = 0;
    for (const auto& o : kOutcomes) {
      int n = 0;
      for (const auto& r : results) n += (r.group == g && r.outcome() == o) ? 1 : 0;
      total += n;
      std::cout << std::right << std::setw(17) << n;
    }
    std::cout << std::right << std::setw(8) << total << "\n";
  }

  // --- Sensitivity / specificity ------------------------------------------------------------
  int pos = 0, tp = 0, cand = 0, cand_hit = 0, neg = 0, fp_any = 0, fp_strict = 0;
  for (const auto& r : results) {
    if (r.group == Group::positive) {
      ++pos;
      tp += r.alert() ? 1 : 0;
    } else if (r.group == Group::candidate) {
      ++cand;
      cand_hit += r.alert() ? 1 : 0;
    } else {
      ++neg;
      fp_any += r.alert() ? 1 : 0;
      fp_strict += r.stemi() ? 1 : 0;
    }
  }
  std::cout << "\nsensitivity (acute STEMI → stemi|stemi_equivalent): " << pct(tp, pos)
            << "   target ≥ 90 %\n";
  std::cout << "specificity, strict (no \"stemi\" call):             " << pct(neg - fp_strict, neg)
            << "   target ≥ 97 %\n";
  std::cout << "specificity, any alert (no stemi|stemi_equivalent): " << pct(neg - fp_any, neg)
            << "\n";
  std::cout << "candidates alerted (separate group):                " << pct(cand_hit, cand)
            << "\n";
  int pos_routed = 0, neg_routed = 0;
  for (const auto& r : results) {
    const bool routed = r.finding && r.finding->route_to_human;
    if (r.group == Group::positive && !r.alert()) pos_routed += routed ? 1 : 0;
    if (r.group == Group::negative && !r.alert()) neg_routed += routed ? 1 : 0;
  }
  std::cout << "missed acute STEMI still routed to a human read:    " << pct(pos_routed, pos - tp)
            << "\n";
  std::cout << "non-alerted others routed to a human read:          "
            << pct(neg_routed, neg - fp_any) << "\n";

  // --- Per label class ----------------------------------------------------------------------
  struct ClassStats {
    int n = 0, stemi = 0, equivalent = 0, confounded = 0, right_reason = 0, wide_qrs_reason = 0,
        poor = 0;
  };
  std::map<std::string, ClassStats> per_class;
  for (const auto& r : results) {
    if (r.group != Group::negative) continue;
    for (const auto& token : split(r.row.label_class, ';')) {
      auto& s = per_class[token];
      ++s.n;
      if (!r.finding) continue;
      const auto c = r.finding->category;
      s.stemi += c == triage::Category::stemi ? 1 : 0;
      s.equivalent += c == triage::Category::stemi_equivalent ? 1 : 0;
      s.confounded += c == triage::Category::confounded ? 1 : 0;
      s.poor += c == triage::Category::poor_quality ? 1 : 0;
      const auto& conf = r.finding->confounders;
      auto reason = [&conf](const char* k) {
        return std::find(conf.begin(), conf.end(), k) != conf.end();
      };
      if (c == triage::Category::confounded && ((token == "mimic_LBBB" && reason("lbbb")) ||
                                                (token == "mimic_paced" && reason("paced")))) {
        ++s.right_reason;
      }
      if (c == triage::Category::confounded &&
          (reason("lbbb") || reason("paced") || reason("ivcd"))) {
        ++s.wide_qrs_reason;
      }
    }
  }
  std::cout << "\nper label class (negatives; a record counts in each of its classes):\n";
  std::cout << std::left << std::setw(52) << "class" << std::right << std::setw(5) << "n"
            << std::setw(16) << "false stemi" << std::setw(12) << "equivalent" << std::setw(12)
            << "confounded" << std::setw(10) << "poor q."
            << "\n";
  for (const auto& [name, s] : per_class) {
    std::ostringstream fs;
    fs << s.stemi << " (" << std::fixed << std::setprecision(1)
       << (s.n ? 100.0 * s.stemi / s.n : 0.0) << " %)";
    std::cout << std::left << std::setw(52) << name << std::right << std::setw(5) << s.n
              << std::setw(16) << fs.str() << std::setw(12) << s.equivalent << std::setw(12)
              << s.confounded << std::setw(10) << s.poor << "\n";
  }
  for (const char* cls : {"mimic_LBBB", "mimic_paced"}) {
    const auto& s = per_class[cls];
    std::cout << cls << ": confounded with the exact reason " << pct(s.right_reason, s.n)
              << "; as a wide-QRS confounder (lbbb/paced/ivcd) " << pct(s.wide_qrs_reason, s.n)
              << "\n";
  }

  // --- Every miss and false alarm -------------------------------------------------------------
  std::cout << "\nmisses (acute STEMI not alerted):\n";
  for (const auto& r : results) {
    if (r.group == Group::positive && !r.alert()) print_finding_line(std::cout, r);
  }
  std::cout << "\nfalse alarms (stemi / stemi_equivalent on other records):\n";
  for (const auto& r : results) {
    if (r.group == Group::negative && r.alert()) print_finding_line(std::cout, r);
  }
  std::cout << "\ncandidates:\n";
  for (const auto& r : results) {
    if (r.group == Group::candidate) print_finding_line(std::cout, r);
  }
  std::cout << "\ndetected acute STEMI:\n";
  for (const auto& r : results) {
    if (r.group == Group::positive && r.alert()) print_finding_line(std::cout, r);
  }
  int errors = 0;
  for (const auto& r : results) errors += r.finding ? 0 : 1;
  if (errors) {
    std::cout << "\nerrors (" << errors << "):\n";
    for (const auto& r : results) {
      if (!r.finding) print_finding_line(std::cout, r);
    }
  }
  return 0;
}

}  // namespace gc::cli
