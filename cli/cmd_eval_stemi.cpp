// `greenchannel eval stemi`: STEMI triage accuracy on the labelled 12-lead dev records listed in
// DATA/MANIFEST.tsv (LUDB, PTB-XL, PTB, CinC 2021), and on the Brugada-HUCA hard negatives listed
// in DATA/brugada-huca/MANIFEST.tsv. Prints the confusion matrix, sensitivity, specificity, the
// false-"stemi" rate per label class and every miss and false alarm of the dev records; then, per
// database and class, the critical alerts, STEMI / equivalent calls, `normal` reads, Brugada
// confounders and pacing reads, every acute STEMI as read, and the headline figures of issue 12.
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
// - A "critical alert" in the per-class tables is the tier (cath-lab pre-alert), whatever the
//   category: the tier is what wakes the team, so that is what the false-alarm target counts.
// - Age/sex come from the WFDB header; PTB-XL headers have none, so they are taken from
//   ptbxl_database.csv (sex 0 = male, 1 = female) when present. Chest pain is not known: false.
//   --sex / --age replace them for every record; --also-as reads every record a second time as
//   the given patient (the signal analysis is shared, only the triage is repeated).
// - Brugada-HUCA (none is an acute STEMI) never enters the dev confusion matrix: it is its own
//   population (young adults referred for suspected Brugada syndrome, 100 Hz, no age or sex).
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

// Age and sex that replace what the record gives (each only when set).
struct PatientOverride {
  std::optional<triage::Sex> sex;
  std::optional<int> age_years;
  bool empty() const { return !sex && !age_years; }
  std::string label() const {
    if (empty()) return "as shipped";
    std::string s = "as";
    if (sex)
      s += *sex == triage::Sex::male ? " M" : (*sex == triage::Sex::female ? " F" : " sex ?");
    if (sex && age_years) s += ",";
    if (age_years) s += " " + std::to_string(*age_years) + " y";
    return s;
  }
};

triage::PatientContext apply_override(triage::PatientContext patient, const PatientOverride& o) {
  if (o.sex) patient.sex = *o.sex;
  if (o.age_years) patient.age_years = *o.age_years;
  return patient;
}

triage::Sex parse_sex_option(const std::string& v) {
  if (v == "U" || v == "u" || v == "unknown") return triage::Sex::unknown;
  const auto s = triage::parse_sex(v);
  if (s == triage::Sex::unknown)
    throw std::invalid_argument("sex must be M, F or U, not '" + v + "'");
  return s;
}

int parse_age_option(const std::string& v) {
  std::size_t used = 0;
  const int age = std::stoi(v, &used);
  if (used != v.size() || age < 0 || age > 130) {
    throw std::invalid_argument("age must be whole years 0–130, not '" + v + "'");
  }
  return age;
}

// "M,40", "F", ",40": sex and/or age.
PatientOverride parse_patient_option(const std::string& v) {
  PatientOverride o;
  const auto comma = v.find(',');
  const std::string sex = v.substr(0, comma);
  if (!sex.empty()) o.sex = parse_sex_option(sex);
  if (comma != std::string::npos) o.age_years = parse_age_option(v.substr(comma + 1));
  if (o.empty()) throw std::invalid_argument("--also-as needs SEX,AGE (e.g. M,40)");
  return o;
}

struct Args {
  fs::path data = GC_ECG_DATA_DIR;
  bool verbose = false;  // one line per record
  bool help = false;
  std::optional<std::string> only;  // substring of relative_path
  PatientOverride patient;          // --sex / --age: replaces the record's age/sex
  std::optional<PatientOverride> also_as;
};

Args parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string s = argv[i];
    if ((s == "--data" || s == "--record" || s == "--sex" || s == "--age" || s == "--also-as") &&
        i + 1 < argc) {
      const std::string v = argv[++i];
      if (s == "--data") {
        a.data = v;
      } else if (s == "--record") {
        a.only = v;
      } else if (s == "--sex") {
        a.patient.sex = parse_sex_option(v);
      } else if (s == "--age") {
        a.patient.age_years = parse_age_option(v);
      } else {
        a.also_as = parse_patient_option(v);
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
  std::string source, record_id, relative_path, label_class, labels_verbatim;
  fs::path base_dir;    // relative_path is relative to this (the manifest's folder)
  bool dev_set = true;  // from DATA/MANIFEST.tsv (false: a separate population's manifest)
  int n_leads = 0;
};

// Both manifest layouts: the dev set's (source_name, labels_source_verbatim) and the newer
// per-database one (source, labels_verbatim).
std::vector<ManifestRow> read_manifest(const fs::path& path, bool dev_set) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  std::string line;
  std::getline(in, line);
  const auto header = split(line, '\t');
  auto find_col =
      [&header](std::initializer_list<const char*> names) -> std::optional<std::size_t> {
    for (const char* name : names) {
      auto it = std::find(header.begin(), header.end(), name);
      if (it != header.end()) return static_cast<std::size_t>(it - header.begin());
    }
    return std::nullopt;
  };
  auto col = [&find_col, &path](std::initializer_list<const char*> names) {
    const auto c = find_col(names);
    if (!c) throw std::runtime_error(path.string() + ": no column " + *names.begin());
    return *c;
  };
  const auto c_source = col({"source_name", "source"}), c_id = col({"record_id"}),
             c_path = col({"relative_path"}), c_leads = col({"n_leads"}),
             c_label = col({"label_class"});
  const auto c_verbatim = find_col({"labels_source_verbatim", "labels_verbatim"});
  std::vector<ManifestRow> rows;
  while (std::getline(in, line)) {
    if (line.empty() || line == "\r") continue;
    const auto f = split(line, '\t');
    if (f.size() < header.size()) continue;
    ManifestRow r;
    r.source = f[c_source];
    r.record_id = f[c_id];
    r.relative_path = f[c_path];
    r.label_class = f[c_label];
    if (c_verbatim) r.labels_verbatim = f[*c_verbatim];
    r.base_dir = path.parent_path();
    r.dev_set = dev_set;
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
  std::optional<double> qrs_duration_ms;   // as measured (the pacing check reads it)
  bool pacing_spikes = false;
  std::string error;
  std::string outcome() const {
    return finding ? std::string(triage::to_string(finding->category)) : std::string("error");
  }
  bool alert() const {
    return finding && (finding->category == triage::Category::stemi ||
                       finding->category == triage::Category::stemi_equivalent);
  }
  bool stemi() const { return finding && finding->category == triage::Category::stemi; }
  bool critical() const { return finding && finding->tier == triage::Tier::critical; }
  bool has_confounder(const char* key) const {
    return finding && std::find(finding->confounders.begin(), finding->confounders.end(), key) !=
                          finding->confounders.end();
  }
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

// The dev-set report of issue 4 (confusion matrix, per-class false stemi, misses and alarms),
// unchanged so that its figures stay comparable from one change to the next.
void print_dev_report(const std::vector<Result>& results, const fs::path& data, int skipped,
                      double seconds) {
  // --- Confusion matrix ---------------------------------------------------------------------
  const std::vector<std::pair<Group, std::string>> groups = {{Group::positive, "acute STEMI"},
                                                             {Group::candidate, "candidates"},
                                                             {Group::negative, "others"}};
  std::cout << "STEMI triage on " << results.size() << " records of " << data.string() << " ("
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
}

// --- Per database and class (issue 12) ----------------------------------------------------------

// The integer after "key=" in a labels_verbatim text ("brugada=1; basal_pattern=0"), if any.
std::optional<int> verbatim_int(const std::string& verbatim, const std::string& key) {
  const auto at = verbatim.find(key + "=");
  if (at == std::string::npos) return std::nullopt;
  try {
    return std::stoi(verbatim.substr(at + key.size() + 1));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// The classes a record is tallied under: its label_class tokens. Brugada-HUCA's other_abnormal
// mixes two different groups (MANIFEST metadata: brugada = diagnosis, basal_pattern = type-1
// pattern on this ECG), so it also gets one of two sub-classes read from labels_verbatim.
std::vector<std::string> tally_classes(const ManifestRow& row) {
  auto classes = split(row.label_class, ';');
  if (row.source == "brugada_huca" && row.label_class == "other_abnormal") {
    const auto brugada = verbatim_int(row.labels_verbatim, "brugada");
    const auto basal = verbatim_int(row.labels_verbatim, "basal_pattern");
    if (brugada && basal) {
      if (*brugada >= 1 && *basal == 0)
        classes.emplace_back("other_abnormal: Brugada syndrome, no basal pattern");
      if (*brugada == 0 && *basal == 1)
        classes.emplace_back("other_abnormal: basal pattern, no Brugada diagnosis");
    }
  }
  return classes;
}

// What a class means, for the table (Brugada-HUCA's own words, README of the data copy).
std::string class_gloss(const std::string& source, const std::string& label) {
  if (source != "brugada_huca") return "";
  if (label == "mimic_Brugada") return "spontaneous Brugada pattern";
  if (label == "other_abnormal") return "Brugada by drug test / pattern w/o diagnosis";
  if (label == "normal") return "non-pathological baseline";
  return "";
}

struct ClassTally {
  int n = 0;
  int critical = 0;    // tier critical: the cath-lab pre-alert
  int stemi = 0;       // category stemi
  int equivalent = 0;  // category stemi_equivalent
  int normal = 0;      // category normal
  int brugada = 0;     // confounder "brugada" named
  int paced = 0;       // confounder "paced" named (read as ventricular pacing)
  int errors = 0;      // unreadable record
  void add(const Result& r) {
    ++n;
    if (!r.finding) {
      ++errors;
      return;
    }
    const auto c = r.finding->category;
    critical += r.critical() ? 1 : 0;
    stemi += c == triage::Category::stemi ? 1 : 0;
    equivalent += c == triage::Category::stemi_equivalent ? 1 : 0;
    normal += c == triage::Category::normal ? 1 : 0;
    brugada += r.has_confounder("brugada") ? 1 : 0;
    paced += r.has_confounder("paced") ? 1 : 0;
  }
};

// Databases in manifest order, each with its classes (sorted) and an "(all)" total.
struct DatabaseTally {
  std::string source;
  ClassTally all;
  std::map<std::string, ClassTally> per_class;
};

std::vector<DatabaseTally> tally(const std::vector<Result>& results) {
  std::vector<DatabaseTally> out;
  for (const auto& r : results) {
    auto it = std::find_if(out.begin(), out.end(),
                           [&r](const DatabaseTally& d) { return d.source == r.row.source; });
    if (it == out.end()) {
      out.push_back({r.row.source, {}, {}});
      it = out.end() - 1;
    }
    it->all.add(r);
    for (const auto& cls : tally_classes(r.row)) it->per_class[cls].add(r);
  }
  return out;
}

void print_tally_row(const std::string& source, const std::string& cls, const std::string& gloss,
                     const ClassTally& t) {
  std::ostringstream crit;
  crit << t.critical << " (" << std::fixed << std::setprecision(1)
       << (t.n ? 100.0 * t.critical / t.n : 0.0) << " %)";
  std::string name = cls;
  if (!gloss.empty()) name += " (" + gloss + ")";
  std::cout << std::left << std::setw(13) << source << std::setw(62) << name << std::right
            << std::setw(5) << t.n << std::setw(14) << crit.str() << std::setw(7) << t.stemi
            << std::setw(7) << t.equivalent << std::setw(8) << t.normal << std::setw(9) << t.brugada
            << std::setw(7) << t.paced;
  if (t.errors) std::cout << "  (" << t.errors << " unreadable)";
  std::cout << "\n";
}

void print_tally(const std::vector<DatabaseTally>& dbs) {
  std::cout << "per database and class (a record counts in each of its classes; critical = tier "
               "critical, the cath-lab pre-alert;\n  stemi / equiv. = category stemi / "
               "stemi_equivalent; brugada / paced = that confounder named):\n";
  std::cout << std::left << std::setw(13) << "database" << std::setw(62) << "class" << std::right
            << std::setw(5) << "n" << std::setw(14) << "critical" << std::setw(7) << "stemi"
            << std::setw(7) << "equiv." << std::setw(8) << "normal" << std::setw(9) << "brugada"
            << std::setw(7) << "paced"
            << "\n";
  for (const auto& d : dbs) {
    print_tally_row(d.source, "(all)", "", d.all);
    for (const auto& [cls, t] : d.per_class) {
      print_tally_row("", cls, class_gloss(d.source, cls), t);
    }
  }
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + v[i];
  return s.empty() ? "-" : s;
}

std::string lead_st_list(const std::vector<triage::LeadST>& leads) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(0);
  for (std::size_t i = 0; i < leads.size(); ++i) {
    s << (i ? ", " : "") << leads[i].lead << " " << std::showpos << leads[i].st_j_uv << "/"
      << leads[i].st_late_uv << std::noshowpos;
  }
  return leads.empty() ? "-" : s.str();
}

// Every acute STEMI as read: what the clinician would see, and the measurements behind it.
void print_acute_table(const std::vector<Result>& results) {
  std::cout << "\nevery acute STEMI (label acute_STEMI*, not candidate) as read "
               "(ST at J / J+60 in µV):\n";
  for (const auto& r : results) {
    if (r.group != Group::positive) continue;
    std::cout << "  " << r.row.relative_path << "  [" << r.row.label_class << "]\n";
    if (!r.finding) {
      std::cout << "      error: " << r.error << "\n";
      continue;
    }
    const auto& f = *r.finding;
    std::cout << "      category " << triage::to_string(f.category) << ", tier "
              << triage::to_string(f.tier) << (f.route_to_human ? ", routed to a human" : "")
              << "; territories " << join(f.territories, ",") << "\n";
    std::cout << "      elevated " << lead_st_list(f.elevated) << "; depressed "
              << lead_st_list(f.depressed) << "\n";
    std::cout << "      confounders " << join(f.confounders, ",") << "; equivalents "
              << join(f.equivalents, ",") << "; QRS ";
    if (r.qrs_duration_ms) {
      std::cout << std::fixed << std::setprecision(0) << *r.qrs_duration_ms << " ms";
    } else {
      std::cout << "n/a";
    }
    std::cout << (r.pacing_spikes ? ", pacing spikes" : "") << "\n";
    for (const auto& n : f.notes) std::cout << "      note: " << n << "\n";
    std::cout << "      read: " << f.explanation_en << "\n";
  }
}

// Records read as ventricular pacing outside the paced classes: each one a STEMI that would be
// routed as routine if it happened on such an ECG.
void print_paced_reads(const std::vector<Result>& results) {
  std::cout << "\nread as ventricular pacing (confounder paced) outside the mimic_paced class:\n";
  int n = 0;
  for (const auto& r : results) {
    if (!r.has_confounder("paced") || r.row.label_class.find("mimic_paced") != std::string::npos) {
      continue;
    }
    ++n;
    std::cout << "  " << r.row.source << " " << r.row.relative_path << "  [" << r.row.label_class
              << "]  QRS ";
    if (r.qrs_duration_ms) {
      std::cout << std::fixed << std::setprecision(0) << *r.qrs_duration_ms << " ms";
    } else {
      std::cout << "n/a";
    }
    std::cout << (r.pacing_spikes ? ", spikes detected" : "") << "\n";
  }
  if (n == 0) std::cout << "  none\n";
}

// The figures issue 12 asks for, one line each with its target.
void print_headline(const std::vector<Result>& results) {
  int bh_n = 0, bh_critical = 0, spont_n = 0, spont_brugada = 0;
  int dev_neg = 0, dev_neg_critical = 0, acute = 0, acute_normal = 0, acute_critical = 0;
  for (const auto& r : results) {
    if (r.row.source == "brugada_huca") {
      ++bh_n;
      bh_critical += r.critical() ? 1 : 0;
      if (r.row.label_class == "mimic_Brugada") {
        ++spont_n;
        spont_brugada += r.has_confounder("brugada") ? 1 : 0;
      }
    } else if (r.row.dev_set && r.group == Group::negative) {
      ++dev_neg;
      dev_neg_critical += r.critical() ? 1 : 0;
    } else if (r.row.dev_set && r.group == Group::positive) {
      ++acute;
      acute_critical += r.critical() ? 1 : 0;
      acute_normal += r.finding && r.finding->category == triage::Category::normal ? 1 : 0;
    }
  }
  std::cout << "\nheadline (issue 12):\n";
  std::cout << "  brugada-huca critical alerts:                        " << pct(bh_critical, bh_n)
            << "   target ≤ 5 %\n";
  std::cout << "  brugada-huca spontaneous pattern read as brugada:    " << spont_brugada << " of "
            << spont_n << "   target ≥ 6 of 8\n";
  std::cout << "  dev (PTB-XL/LUDB/CinC/PTB) specificity, critical:    "
            << pct(dev_neg - dev_neg_critical, dev_neg) << "   target ≥ 98 %\n";
  std::cout << "  dev acute STEMI read normal:                         " << acute_normal << " of "
            << acute << "   target 0\n";
  std::cout << "  dev acute STEMI raising a critical alert:            "
            << pct(acute_critical, acute) << "\n";
  // At 100 Hz some Brugada-HUCA records read as paced with a "50 ms" QRS (issue 12): a STEMI on
  // such an ECG would be routed as routine, so the count is watched per database.
  std::cout << "  read as ventricular pacing outside mimic_paced:    ";
  for (const auto& d : tally(results)) {
    int paced = d.all.paced;
    for (const auto& [cls, t] : d.per_class) paced -= cls == "mimic_paced" ? t.paced : 0;
    std::cout << " " << d.source << " " << paced << "/" << d.all.n;
  }
  std::cout << "   target 0\n";
}

}  // namespace

int eval_stemi(int argc, char** argv) {
  const Args args = parse_args(argc, argv);
  if (args.help) {
    std::cout
        << "usage: greenchannel eval stemi [--data DIR] [--record SUBSTRING] [--verbose]\n"
           "                               [--sex M|F|U] [--age YEARS] [--also-as SEX,AGE]\n"
           "Runs dsp::analyze + triage::evaluate over the 12-lead records of DIR/MANIFEST.tsv\n"
           "and prints the confusion matrix, sensitivity, specificity, the false-\"stemi\" rate\n"
           "per label class and every miss and false alarm. Then, with DIR/brugada-huca too:\n"
           "per database and class the critical alerts, stemi / equivalent calls, normal reads,\n"
           "Brugada and pacing confounders; every acute STEMI as read; the issue-12 headline.\n"
           "--sex / --age read every record as that patient instead of the age/sex it gives.\n"
           "--also-as SEX,AGE (e.g. M,40) repeats the per-class tables and the headline with\n"
           "every record read as that patient.\n";
    return 0;
  }
  auto rows = read_manifest(args.data / "MANIFEST.tsv", true);
  if (const auto bh = args.data / "brugada-huca" / "MANIFEST.tsv"; fs::exists(bh)) {
    const auto more = read_manifest(bh, false);
    rows.insert(rows.end(), more.begin(), more.end());
  }
  const auto ptbxl = read_ptbxl_demographics(args.data / "ptbxl" / "ptbxl_database.csv");

  std::vector<PatientOverride> readings = {args.patient};
  if (args.also_as) readings.push_back(*args.also_as);
  std::vector<std::vector<Result>> per_reading(readings.size());
  int skipped = 0;
  double dev_seconds = 0;
  for (const auto& row : rows) {
    if (row.n_leads < 12) {
      skipped += row.dev_set ? 1 : 0;
      continue;
    }
    if (args.only && row.relative_path.find(*args.only) == std::string::npos) continue;
    const auto t0 = std::chrono::steady_clock::now();
    Result base;
    base.row = row;
    base.group = group_of(row.label_class);
    std::optional<dsp::Analysis> analysis;
    triage::PatientContext patient;
    try {
      auto loaded = load_record(row.base_dir / row.relative_path);
      patient = loaded.patient;
      if (row.source == "ptbxl") {
        if (auto it = ptbxl.find(row.record_id); it != ptbxl.end()) {
          if (!patient.age_years) patient.age_years = it->second.age_years;
          if (patient.sex == triage::Sex::unknown) patient.sex = it->second.sex;
        }
      }
      analysis = dsp::analyze(loaded.block);
      base.qrs_duration_ms = analysis->global.qrs_duration_ms;
      base.pacing_spikes = analysis->global.pacing_spikes;
    } catch (const std::exception& e) {
      base.error = e.what();
    }
    for (std::size_t k = 0; k < readings.size(); ++k) {
      Result r = base;
      if (analysis) {
        try {
          r.finding = triage::evaluate(*analysis, apply_override(patient, readings[k]));
        } catch (const std::exception& e) {
          r.error = e.what();
        }
      }
      if (args.verbose && k == 0) {
        std::cout << std::left << std::setw(44) << row.relative_path << " " << std::setw(17)
                  << r.outcome() << " " << row.label_class << "\n";
      }
      per_reading[k].push_back(std::move(r));
    }
    if (row.dev_set) {
      dev_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
  }

  std::vector<Result> dev;
  for (const auto& r : per_reading[0]) {
    if (r.row.dev_set) dev.push_back(r);
  }
  if (!args.patient.empty()) {
    std::cout << "every record read " << args.patient.label() << " (--sex/--age)\n";
  }
  print_dev_report(dev, args.data, skipped, dev_seconds);

  for (std::size_t k = 0; k < readings.size(); ++k) {
    std::cout << "\n=== issue 12: every record read " << readings[k].label() << " ===\n";
    print_tally(tally(per_reading[k]));
    print_acute_table(per_reading[k]);
    print_paced_reads(per_reading[k]);
    print_headline(per_reading[k]);
  }
  return 0;
}

}  // namespace gc::cli
