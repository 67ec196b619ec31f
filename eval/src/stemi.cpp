// eval stemi: STEMI triage accuracy on the labelled 12-lead dev records listed in DATA/MANIFEST.tsv
// (LUDB, PTB-XL, PTB, CinC 2021), and on the Brugada-HUCA hard negatives listed in
// DATA/brugada-huca/MANIFEST.tsv (12 leads, 100 Hz, 12 s, no age or sex).
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
//   ptbxl_database.csv (sex 0 = male, 1 = female) when present. Chest pain is not known: false,
//   unless --chest-pain reads every record as a chest-pain patient's (an abnormal read with
//   ischaemic ST-T changes is then urgent: the urgent column shows what that costs per class).
//   A PatientOverride replaces them for every record; a second reading repeats only the triage
//   (the signal analysis does not depend on the patient).
// - Brugada-HUCA (none is an acute STEMI) never enters the dev confusion matrix: it is its own
//   population (young adults referred for suspected Brugada syndrome).
#include <algorithm>
#include <chrono>
#include <exception>
#include <fstream>
#include <iomanip>
#include <map>
#include <ostream>
#include <sstream>
#include <stdexcept>

#include "gc/eval.hpp"
#include "gc/record_input.hpp"
#include "gc/resample.hpp"

namespace gc::eval {

namespace fs = std::filesystem;

namespace {

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

const std::vector<std::string> kOutcomes = {"stemi",  "stemi_equivalent", "confounded", "abnormal",
                                            "normal", "poor_quality",     "error"};

std::string pct(int num, int den) {
  if (den == 0) return "n/a";
  std::ostringstream s;
  s << std::fixed << std::setprecision(1) << 100.0 * num / den << " % (" << num << "/" << den
    << ")";
  return s.str();
}

// The Wilson 95 % interval of num/den as printed: "95 % CI 0.2–6.5 %". The headline figures are
// checked again on held-out records; the interval says how far a figure on this many records could
// be from the rate on the population they come from.
std::string ci_text(int num, int den) {
  const auto ci = wilson_95(static_cast<std::size_t>(num), static_cast<std::size_t>(den));
  std::ostringstream s;
  s << std::fixed << std::setprecision(1) << "95 % CI " << 100.0 * ci.lo << "–" << 100.0 * ci.hi
    << " %";
  return s.str();
}

// pct() and its interval: "1.2 % (1/83; 95 % CI 0.2–6.5 %)".
std::string pct_ci(int num, int den) {
  if (den == 0) return "n/a";
  std::ostringstream s;
  s << std::fixed << std::setprecision(1) << 100.0 * num / den << " % (" << num << "/" << den
    << "; " << ci_text(num, den) << ")";
  return s.str();
}

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

// What a class means, for the table (Brugada-HUCA's own words, README of the data copy).
std::string class_gloss(const std::string& source, const std::string& label) {
  if (source != "brugada_huca") return "";
  if (label == "mimic_Brugada") return "spontaneous Brugada pattern";
  if (label == "other_abnormal") return "Brugada by drug test / pattern w/o diagnosis";
  if (label == "normal") return "non-pathological baseline";
  return "";
}

}  // namespace

// --- Patient override ---------------------------------------------------------------------------

std::string PatientOverride::label() const {
  std::string s = "as";
  if (sex) s += *sex == triage::Sex::male ? " M" : (*sex == triage::Sex::female ? " F" : " sex unknown");
  if (sex && age_years) s += ",";
  if (age_years) s += " " + std::to_string(*age_years) + " y";
  if (!sex && !age_years) s += " shipped";
  if (chest_pain) s += ", with chest pain";
  return s;
}

triage::PatientContext apply_override(triage::PatientContext patient, const PatientOverride& o) {
  if (o.sex) patient.sex = *o.sex;
  if (o.age_years) patient.age_years = *o.age_years;
  if (o.chest_pain) patient.chest_pain = true;
  return patient;
}

triage::Sex parse_sex_option(const std::string& v) {
  if (v == "U" || v == "u" || v == "unknown") return triage::Sex::unknown;
  const auto s = triage::parse_sex(v);
  if (s == triage::Sex::unknown) {
    throw std::invalid_argument("sex must be M, F or U, not '" + v + "'");
  }
  return s;
}

namespace {
// The whole of `v` read by `parse` (std::stoi, std::stod), or nullopt.
template <typename T, typename Parse>
std::optional<T> parse_whole(const std::string& v, Parse parse) {
  std::size_t used = 0;
  try {
    const T x = parse(v, &used);
    if (used == v.size()) return x;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}
}  // namespace

int parse_age_option(const std::string& v) {
  const auto age = parse_whole<int>(
      v, [](const std::string& s, std::size_t* used) { return std::stoi(s, used); });
  if (!age || *age < 0 || *age > 130) {
    throw std::invalid_argument("age must be whole years 0–130, not '" + v + "'");
  }
  return *age;
}

double parse_rate_option(const std::string& v) {
  const auto hz = parse_whole<double>(
      v, [](const std::string& s, std::size_t* used) { return std::stod(s, used); });
  if (!hz || !(*hz >= 50 && *hz <= 2000)) {
    throw std::invalid_argument("a sample rate must be 50–2000 Hz, not '" + v + "'");
  }
  return *hz;
}

PatientOverride parse_patient_override(const std::string& v) {
  PatientOverride o;
  const auto comma = v.find(',');
  const std::string sex = v.substr(0, comma);
  if (!sex.empty()) o.sex = parse_sex_option(sex);
  if (comma != std::string::npos) o.age_years = parse_age_option(v.substr(comma + 1));
  if (o.empty()) throw std::invalid_argument("a patient is SEX,AGE (e.g. M,40), not '" + v + "'");
  return o;
}

// --- Manifests and ground truth -----------------------------------------------------------------

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

std::string StemiRecord::outcome() const {
  return finding ? std::string(triage::to_string(finding->category)) : std::string("error");
}
bool StemiRecord::alert() const {
  return finding && (finding->category == triage::Category::stemi ||
                     finding->category == triage::Category::stemi_equivalent);
}
bool StemiRecord::stemi() const {
  return finding && finding->category == triage::Category::stemi;
}
bool StemiRecord::critical() const {
  return finding && finding->tier == triage::Tier::critical;
}
bool StemiRecord::has_confounder(const char* key) const {
  return finding && std::find(finding->confounders.begin(), finding->confounders.end(), key) !=
                        finding->confounders.end();
}

// --- Tallies ------------------------------------------------------------------------------------

// Brugada-HUCA's other_abnormal mixes two groups (metadata: brugada = the diagnosis,
// basal_pattern = a type-1 pattern on this ECG); the sub-class names sort right after it.
std::vector<std::string> tally_classes(const ManifestRow& row) {
  auto classes = split(row.label_class, ';');
  if (row.source == "brugada_huca" && row.label_class == "other_abnormal") {
    const auto brugada = verbatim_int(row.labels_verbatim, "brugada");
    const auto basal = verbatim_int(row.labels_verbatim, "basal_pattern");
    if (brugada && basal) {
      if (*brugada >= 1 && *basal == 0) {
        classes.emplace_back("other_abnormal: Brugada syndrome, no basal pattern");
      }
      if (*brugada == 0 && *basal == 1) {
        classes.emplace_back("other_abnormal: basal pattern, no Brugada diagnosis");
      }
    }
  }
  return classes;
}

void ClassTally::add(const StemiRecord& r) {
  ++n;
  spikes += r.pacing_spikes ? 1 : 0;
  if (!r.finding) {
    ++errors;
    return;
  }
  const auto c = r.finding->category;
  critical += r.critical() ? 1 : 0;
  urgent += r.finding->tier == triage::Tier::urgent ? 1 : 0;
  stemi += c == triage::Category::stemi ? 1 : 0;
  equivalent += c == triage::Category::stemi_equivalent ? 1 : 0;
  normal += c == triage::Category::normal ? 1 : 0;
  brugada += r.has_confounder("brugada") ? 1 : 0;
  paced += r.has_confounder("paced") ? 1 : 0;
}

std::vector<DatabaseTally> tally(std::span<const StemiRecord> records) {
  std::vector<DatabaseTally> out;
  std::vector<std::map<std::string, ClassTally>> per_class;
  for (const auto& r : records) {
    auto it = std::find_if(out.begin(), out.end(),
                           [&r](const DatabaseTally& d) { return d.source == r.row.source; });
    if (it == out.end()) {
      out.push_back({r.row.source, {}, {}});
      per_class.emplace_back();
      it = out.end() - 1;
    }
    it->all.add(r);
    auto& classes = per_class[static_cast<std::size_t>(it - out.begin())];
    for (const auto& cls : tally_classes(r.row)) classes[cls].add(r);
  }
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i].per_class.assign(per_class[i].begin(), per_class[i].end());
  }
  return out;
}

StemiHeadline headline(std::span<const StemiRecord> records) {
  StemiHeadline h;
  for (const auto& r : records) {
    if (r.row.source == "brugada_huca") {
      ++h.brugada_huca_n;
      h.brugada_huca_critical += r.critical() ? 1 : 0;
      if (r.row.label_class == "mimic_Brugada") {
        ++h.spontaneous_n;
        h.spontaneous_brugada += r.has_confounder("brugada") ? 1 : 0;
      }
    } else if (r.row.dev_set && r.group == Group::negative) {
      ++h.dev_negative_n;
      h.dev_negative_critical += r.critical() ? 1 : 0;
    } else if (r.row.dev_set && r.group == Group::positive) {
      ++h.acute_n;
      h.acute_critical += r.critical() ? 1 : 0;
      h.acute_at_once += r.finding && r.finding->tier != triage::Tier::routine ? 1 : 0;
      h.acute_normal += r.finding && r.finding->category == triage::Category::normal ? 1 : 0;
    }
  }
  return h;
}

// --- Rendering ----------------------------------------------------------------------------------

namespace {

void print_finding_line(std::ostream& out, const StemiRecord& r) {
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
void print_dev_report(std::ostream& out, std::span<const StemiRecord> results, const fs::path& data,
                      int skipped, double seconds) {
  // --- Confusion matrix ---------------------------------------------------------------------
  const std::vector<std::pair<Group, std::string>> groups = {{Group::positive, "acute STEMI"},
                                                             {Group::candidate, "candidates"},
                                                             {Group::negative, "others"}};
  out << "STEMI triage on " << results.size() << " records of " << data.string() << " (" << skipped
      << " records with < 12 leads skipped) in " << std::fixed << std::setprecision(1) << seconds
      << " s\n\n";
  out << std::left << std::setw(14) << "truth \\ call";
  for (const auto& o : kOutcomes) out << std::right << std::setw(17) << o;
  out << std::right << std::setw(8) << "total"
      << "\n";
  for (const auto& [g, name] : groups) {
    out << std::left << std::setw(14) << name;
    int total = 0;
    for (const auto& o : kOutcomes) {
      int n = 0;
      for (const auto& r : results) n += (r.group == g && r.outcome() == o) ? 1 : 0;
      total += n;
      out << std::right << std::setw(17) << n;
    }
    out << std::right << std::setw(8) << total << "\n";
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
  out << "\nsensitivity (acute STEMI → stemi|stemi_equivalent): " << pct(tp, pos)
      << "   target ≥ 90 %\n";
  out << "specificity, strict (no \"stemi\" call):             " << pct(neg - fp_strict, neg)
      << "   target ≥ 97 %\n";
  out << "specificity, any alert (no stemi|stemi_equivalent): " << pct(neg - fp_any, neg) << "\n";
  out << "candidates alerted (separate group):                " << pct(cand_hit, cand) << "\n";
  int pos_routed = 0, neg_routed = 0;
  for (const auto& r : results) {
    const bool routed = r.finding && r.finding->route_to_human;
    if (r.group == Group::positive && !r.alert()) pos_routed += routed ? 1 : 0;
    if (r.group == Group::negative && !r.alert()) neg_routed += routed ? 1 : 0;
  }
  out << "missed acute STEMI still routed to a human read:    " << pct(pos_routed, pos - tp)
      << "\n";
  out << "non-alerted others routed to a human read:          " << pct(neg_routed, neg - fp_any)
      << "\n";

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
  out << "\nper label class (negatives; a record counts in each of its classes):\n";
  out << std::left << std::setw(52) << "class" << std::right << std::setw(5) << "n" << std::setw(16)
      << "false stemi" << std::setw(12) << "equivalent" << std::setw(12) << "confounded"
      << std::setw(10) << "poor q."
      << "\n";
  for (const auto& [name, s] : per_class) {
    std::ostringstream fs;
    fs << s.stemi << " (" << std::fixed << std::setprecision(1)
       << (s.n ? 100.0 * s.stemi / s.n : 0.0) << " %)";
    out << std::left << std::setw(52) << name << std::right << std::setw(5) << s.n << std::setw(16)
        << fs.str() << std::setw(12) << s.equivalent << std::setw(12) << s.confounded
        << std::setw(10) << s.poor << "\n";
  }
  for (const char* cls : {"mimic_LBBB", "mimic_paced"}) {
    const auto& s = per_class[cls];
    out << cls << ": confounded with the exact reason " << pct(s.right_reason, s.n)
        << "; as a wide-QRS confounder (lbbb/paced/ivcd) " << pct(s.wide_qrs_reason, s.n) << "\n";
  }

  // --- Every miss and false alarm -------------------------------------------------------------
  out << "\nmisses (acute STEMI not alerted):\n";
  for (const auto& r : results) {
    if (r.group == Group::positive && !r.alert()) print_finding_line(out, r);
  }
  out << "\nfalse alarms (stemi / stemi_equivalent on other records):\n";
  for (const auto& r : results) {
    if (r.group == Group::negative && r.alert()) print_finding_line(out, r);
  }
  out << "\ncandidates:\n";
  for (const auto& r : results) {
    if (r.group == Group::candidate) print_finding_line(out, r);
  }
  out << "\ndetected acute STEMI:\n";
  for (const auto& r : results) {
    if (r.group == Group::positive && r.alert()) print_finding_line(out, r);
  }
  int errors = 0;
  for (const auto& r : results) errors += r.finding ? 0 : 1;
  if (errors) {
    out << "\nerrors (" << errors << "):\n";
    for (const auto& r : results) {
      if (!r.finding) print_finding_line(out, r);
    }
  }
}

// --- Per database and class (issue 12) ----------------------------------------------------------

void print_tally_row(std::ostream& out, const std::string& source, const std::string& cls,
                     const std::string& gloss, const ClassTally& t) {
  std::ostringstream crit;
  crit << t.critical << " (" << std::fixed << std::setprecision(1)
       << (t.n ? 100.0 * t.critical / t.n : 0.0) << " %)";
  std::string name = cls;
  if (!gloss.empty()) name += " (" + gloss + ")";
  out << std::left << std::setw(13) << source << std::setw(62) << name << std::right << std::setw(5)
      << t.n << std::setw(14) << crit.str() << std::setw(8) << t.urgent << std::setw(7) << t.stemi
      << std::setw(7) << t.equivalent << std::setw(8) << t.normal << std::setw(9) << t.brugada
      << std::setw(7) << t.paced << std::setw(8) << t.spikes;
  if (t.errors) out << "  (" << t.errors << " unreadable)";
  out << "\n";
}

void print_tally(std::ostream& out, const std::vector<DatabaseTally>& dbs) {
  out << "per database and class (a record counts in each of its classes; critical = tier "
         "critical, the cath-lab pre-alert;\n  urgent = tier urgent, a human read now; stemi / "
         "equiv. = category stemi / "
         "stemi_equivalent; brugada / paced = that confounder named; spikes = pacemaker spikes "
         "detected):\n";
  out << std::left << std::setw(13) << "database" << std::setw(62) << "class" << std::right
      << std::setw(5) << "n" << std::setw(14) << "critical" << std::setw(8) << "urgent"
      << std::setw(7) << "stemi" << std::setw(7) << "equiv." << std::setw(8) << "normal"
      << std::setw(9) << "brugada" << std::setw(7) << "paced" << std::setw(8) << "spikes"
      << "\n";
  for (const auto& d : dbs) {
    print_tally_row(out, d.source, "(all)", "", d.all);
    for (const auto& [cls, t] : d.per_class) {
      print_tally_row(out, "", cls, class_gloss(d.source, cls), t);
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
void print_acute_table(std::ostream& out, std::span<const StemiRecord> results) {
  out << "\nevery acute STEMI (label acute_STEMI*, not candidate) as read "
         "(ST at J / J+60 in µV):\n";
  for (const auto& r : results) {
    if (r.group != Group::positive) continue;
    out << "  " << r.row.relative_path << "  [" << r.row.label_class << "]\n";
    if (!r.finding) {
      out << "      error: " << r.error << "\n";
      continue;
    }
    const auto& f = *r.finding;
    out << "      category " << triage::to_string(f.category) << ", tier "
        << triage::to_string(f.tier) << (f.route_to_human ? ", routed to a human" : "")
        << "; territories " << join(f.territories, ",") << "\n";
    out << "      elevated " << lead_st_list(f.elevated) << "; depressed "
        << lead_st_list(f.depressed) << "\n";
    out << "      confounders " << join(f.confounders, ",") << "; equivalents "
        << join(f.equivalents, ",") << "; QRS ";
    if (r.qrs_duration_ms) {
      out << std::fixed << std::setprecision(0) << *r.qrs_duration_ms << " ms";
    } else {
      out << "n/a";
    }
    out << (r.pacing_spikes ? ", pacing spikes" : "") << "\n";
    for (const auto& n : f.notes) out << "      note: " << n << "\n";
    out << "      read: " << f.explanation_en << "\n";
  }
}

// Brugada-HUCA one line a record, where a rule change shows first: the spontaneous-pattern records
// (should read as confounder brugada) and every critical alert (should be none).
void print_brugada_reads(std::ostream& out, std::span<const StemiRecord> results) {
  out << "\nbrugada-huca: the spontaneous-pattern records and every critical alert, as read "
         "(ST at J / J+60 in µV):\n";
  int n = 0;
  for (const auto& r : results) {
    if (r.row.source != "brugada_huca" || (r.row.label_class != "mimic_Brugada" && !r.critical())) {
      continue;
    }
    ++n;
    out << "  " << std::left << std::setw(12) << r.row.relative_path << std::setw(15)
        << r.row.label_class << std::right;
    if (!r.finding) {
      out << "error: " << r.error << "\n";
      continue;
    }
    const auto& f = *r.finding;
    out << triage::to_string(f.category) << "/" << triage::to_string(f.tier) << "  ST↑ "
        << lead_st_list(f.elevated) << "  confounders " << join(f.confounders, ",") << "\n";
  }
  if (n == 0) out << "  none\n";
}

// Records read as ventricular pacing, or with pacemaker spikes detected, outside the paced class:
// each one a STEMI that would be routed as routine if it happened on such an ECG.
void print_paced_reads(std::ostream& out, std::span<const StemiRecord> results) {
  out << "\nread as ventricular pacing (confounder paced) or with pacing spikes detected, outside "
         "the mimic_paced class:\n";
  int n = 0;
  for (const auto& r : results) {
    if ((!r.has_confounder("paced") && !r.pacing_spikes) ||
        r.row.label_class.find("mimic_paced") != std::string::npos) {
      continue;
    }
    ++n;
    out << "  " << r.row.source << " " << r.row.relative_path << "  [" << r.row.label_class
        << "]  QRS ";
    if (r.qrs_duration_ms) {
      out << std::fixed << std::setprecision(0) << *r.qrs_duration_ms << " ms";
    } else {
      out << "n/a";
    }
    out << (r.pacing_spikes ? ", spikes detected" : "")
        << (r.has_confounder("paced") ? ", read as paced" : "") << "\n";
  }
  if (n == 0) out << "  none\n";
}

// The figures issue 12 asks for, one line each with its target.
void print_headline(std::ostream& out, std::span<const StemiRecord> results) {
  const auto h = headline(results);
  out << "\nheadline (issue 12):\n";
  out << "  brugada-huca critical alerts:                        "
      << pct_ci(h.brugada_huca_critical, h.brugada_huca_n) << "   target ≤ 5 %\n";
  out << "  brugada-huca spontaneous pattern read as brugada:    " << h.spontaneous_brugada
      << " of " << h.spontaneous_n;
  if (h.spontaneous_n > 0) out << " (" << ci_text(h.spontaneous_brugada, h.spontaneous_n) << ")";
  out << "   target ≥ 6 of 8\n";
  out << "  dev (PTB-XL/LUDB/CinC/PTB) specificity, critical:    "
      << pct_ci(h.dev_negative_n - h.dev_negative_critical, h.dev_negative_n)
      << "   target ≥ 98 %\n";
  out << "  dev acute STEMI read normal:                         " << h.acute_normal << " of "
      << h.acute_n << "   target 0\n";
  out << "  dev acute STEMI raising a critical alert:            "
      << pct_ci(h.acute_critical, h.acute_n) << "\n";
  out << "  dev acute STEMI read now (critical or urgent tier):  "
      << pct_ci(h.acute_at_once, h.acute_n) << "\n";
  // At 100 Hz some Brugada-HUCA records read as paced with a "50 ms" QRS (issue 12): a STEMI on
  // such an ECG would be routed as routine, so the count is watched per database.
  out << "  read as ventricular pacing outside mimic_paced:    ";
  for (const auto& d : tally(results)) {
    int paced = d.all.paced;
    for (const auto& [cls, t] : d.per_class) paced -= cls == "mimic_paced" ? t.paced : 0;
    out << " " << d.source << " " << paced << "/" << d.all.n;
  }
  out << "   target 0\n";
  out << "  pacing spikes detected outside mimic_paced:        ";
  for (const auto& d : tally(results)) {
    int spikes = d.all.spikes;
    for (const auto& [cls, t] : d.per_class) spikes -= cls == "mimic_paced" ? t.spikes : 0;
    out << " " << d.source << " " << spikes << "/" << d.all.n;
  }
  out << "   target 0\n";
}

}  // namespace

// --- Running and printing -----------------------------------------------------------------------

StemiReport run_stemi(const StemiOptions& options) {
  auto rows = read_manifest(options.data / "MANIFEST.tsv", true);
  if (const auto bh = options.data / "brugada-huca" / "MANIFEST.tsv"; fs::exists(bh)) {
    const auto more = read_manifest(bh, false);
    rows.insert(rows.end(), more.begin(), more.end());
  }
  const auto ptbxl = read_ptbxl_demographics(options.data / "ptbxl" / "ptbxl_database.csv");

  StemiReport report;
  report.data = options.data;
  report.resample_hz = options.resample_hz;
  report.readings.push_back({options.patient, {}});
  if (options.also_as) report.readings.push_back({*options.also_as, {}});
  for (auto& reading : report.readings) reading.patient.chest_pain |= options.chest_pain;
  for (const auto& row : rows) {
    if (row.n_leads < 12) {
      report.skipped += row.dev_set ? 1 : 0;
      continue;
    }
    if (options.only && row.relative_path.find(*options.only) == std::string::npos) continue;
    const auto t0 = std::chrono::steady_clock::now();
    StemiRecord base;
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
      if (options.resample_hz) loaded.block = resample(loaded.block, *options.resample_hz);
      analysis = dsp::analyze(loaded.block);
      base.qrs_duration_ms = analysis->global.qrs_duration_ms;
      base.pacing_spikes = analysis->global.pacing_spikes;
    } catch (const std::exception& e) {
      base.error = e.what();
    }
    for (auto& reading : report.readings) {
      StemiRecord r = base;
      if (analysis) {
        try {
          r.finding = triage::evaluate(*analysis, apply_override(patient, reading.patient));
        } catch (const std::exception& e) {
          r.error = e.what();
        }
      }
      reading.records.push_back(std::move(r));
    }
    if (row.dev_set) {
      report.dev_seconds +=
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
  }
  return report;
}

void print_stemi(std::ostream& out, const StemiReport& report, bool verbose) {
  const auto& main = report.readings.front();
  if (verbose) {
    for (const auto& r : main.records) {
      out << std::left << std::setw(44) << r.row.relative_path << " " << std::setw(17)
          << r.outcome() << " " << r.row.label_class << "\n";
    }
  }
  std::vector<StemiRecord> dev;
  for (const auto& r : main.records) {
    if (r.row.dev_set) dev.push_back(r);
  }
  if (report.resample_hz) {
    out << "every record resampled to " << *report.resample_hz
        << " Hz before it is analysed (--resample-hz)\n";
  }
  if (!main.patient.empty()) {
    out << "every record read " << main.patient.label() << " (--sex/--age/--chest-pain)\n";
  }
  print_dev_report(out, dev, report.data, report.skipped, report.dev_seconds);

  for (const auto& reading : report.readings) {
    out << "\n=== issue 12: every record read " << reading.patient.label() << " ===\n";
    print_tally(out, tally(reading.records));
    print_acute_table(out, reading.records);
    print_brugada_reads(out, reading.records);
    print_paced_reads(out, reading.records);
    print_headline(out, reading.records);
  }
}

}  // namespace gc::eval
