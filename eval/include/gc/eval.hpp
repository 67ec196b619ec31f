// eval — accuracy of dsp and triage against the annotated PhysioNet databases (../shared/ecg-data,
// read in place): QRS detection (bxb-style, MIT-BIH), delineation (QTDB, LUDB), ST measurement with
// injected ST shifts (LUDB) and STEMI triage (the labelled 12-lead dev records and Brugada-HUCA).
// Each evaluation returns a value (run_*) and renders its table from it (print_*), so the CLI
// prints and the tests check the same figures. Figures, not policy: nothing here decides.
#pragma once

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "gc/dsp.hpp"
#include "gc/triage.hpp"

namespace gc::eval {

// --- Small statistics ---------------------------------------------------------------------------

// The q-quantile (0 ≤ q ≤ 1) with linear interpolation between order statistics; 0 when empty.
double quantile(std::vector<double> values, double q);

// Gross errors: of the measured beats, how many have |error| > the limit (strictly). Beats with no
// detected fiducial are counted apart as missing, never here.
struct GrossErrors {
  std::size_t measured = 0;
  std::size_t above = 0;
  double share() const {
    return measured ? static_cast<double>(above) / static_cast<double>(measured) : 0.0;
  }
};
GrossErrors gross_errors(std::span<const double> err_ms, double limit_ms);

// 95th percentile of |error| (same interpolation as quantile); 0 when empty.
double p95_abs_ms(std::span<const double> err_ms);

// A two-sided 95 % interval for a proportion, as fractions (0–1).
struct Interval {
  double lo = 0;
  double hi = 0;
};

// Wilson score interval for k successes in n independent trials (Wilson, JASA 1927; recommended
// over the normal approximation for small n and proportions near 0 or 1 by Brown, Cai & DasGupta,
// Stat Sci 2001). Used for per-record figures: alert rates, specificity. {0, 0} when n = 0.
Interval wilson_95(std::size_t k, std::size_t n);

// Percentile bootstrap over records for a pooled share of beats (Σ above / Σ measured). The beats
// of one record are not independent — a record's convention or morphology puts most of its beats
// off the same way — so whole records are resampled with replacement, never single beats. The
// interval says how far the pooled figure could move on another set of records of the same size
// from the same population. Deterministic: a fixed-seed std::mt19937_64 (its output is fixed by
// the C++ standard). {0, 0} when there are no records.
Interval record_bootstrap_95(std::span<const GrossErrors> per_record, int resamples = 2000,
                             std::uint64_t seed = 20261204);

// --- Delineation (QTDB .q1c, LUDB per-lead annotations) -----------------------------------------

// Issue 12's gross-error limits: a J point in the ST segment or QRS body, a T end on the U wave.
inline constexpr double kGrossOnsetMs = 40;
inline constexpr double kGrossJMs = 40;
inline constexpr double kGrossTEndMs = 80;

// Errors (detected − annotated, ms) of one fiducial.
struct ErrStats {
  std::vector<double> err_ms;
  int missing = 0;                // annotated, beat matched, no fiducial detected
  std::vector<double> record_sd;  // per-record SDs (filled by merge)
  // Beats per record, in err_ms order (filled by merge): each record's errors are a consecutive
  // run of err_ms, so the tails can be resampled by record.
  std::vector<std::size_t> record_beats;
  void add(const std::optional<std::int64_t>& annotated,
           const std::optional<std::int64_t>& detected, double sample_rate_hz);
  double mean() const;
  double sd() const;  // pooled over all beats
  // Average of the per-record SDs (the convention of much of the delineation literature, e.g.
  // Martínez et al. 2004): leaves out the between-record spread of the mean.
  double mean_record_sd() const;
  // The gross-error counts of each merged record (one entry per record, empty ones included);
  // a single unmerged ErrStats is one record.
  std::vector<GrossErrors> per_record_gross(double limit_ms) const;
  void merge(const ErrStats& other);
};

struct DelineationStats {
  ErrStats onset, offset, t_end;
  // LUDB beats against the latest T end another lead confirms (a diagnostic; see
  // AnnotatedBeat::t_end_confirmed): empty for QTDB.
  ErrStats t_end_confirmed;
  int annotated = 0, unmatched = 0, records = 0, failed = 0;
  void merge(const DelineationStats& other);
};

struct DelineationOptions {
  std::filesystem::path data;
  std::string db = "all";           // qtdb, ludb or all
  std::optional<std::string> only;  // one record name
};

struct RecordDelineation {
  std::string db, record;
  DelineationStats stats;
  dsp::MedianBeat agreement;  // the median beat's fiducial spreads (samples not kept)
  bool j_uncertain = false;   // analyze reported j_point_uncertain / t_end_uncertain
  bool t_end_uncertain = false;
};

struct NamedDelineation {
  std::string name;
  DelineationStats stats;
};

struct DelineationReport {
  DelineationOptions options;
  std::vector<NamedDelineation> databases;        // qtdb, ludb, then "all" when both
  std::vector<RecordDelineation> records;         // in the order scored
  std::vector<NamedDelineation> inter_annotator;  // .q2c vs .q1c, and the detector on those beats
  std::vector<std::string> errors;                // "file: what" for records that failed
};

DelineationReport run_delineation(const DelineationOptions& options);
void print_delineation(std::ostream& out, const DelineationReport& report, bool verbose);

// --- ST measurement with injected ST elevation (LUDB) -------------------------------------------

struct StOptions {
  std::filesystem::path data;
  std::optional<std::string> only;
  bool inject_at_detected_j = false;  // diagnostic: inject from the detector's own J point
};

struct StInjectedLead {
  std::string record, lead;
  double injected_uv = 0, delta_j_uv = 0, delta_j60_uv = 0, noisy_delta_j_uv = 0;
};

struct StReport {
  int records = 0, skipped = 0;
  std::vector<double> err_j_uv, err_j60_uv, noisy_err_j_uv, noisy_err_j60_uv;
  std::vector<double> other_uv, other_j_kept_uv, other_j_moved_uv;  // un-injected leads' |change|
  std::vector<StInjectedLead> injected;
  std::vector<std::string> errors;
};

StReport run_st(const StOptions& options);
void print_st(std::ostream& out, const StReport& report, bool verbose);

// --- QRS detection (bxb-style) -------------------------------------------------------------------

struct QrsCounts {
  std::int64_t tp = 0, fn = 0, fp = 0;
  std::vector<std::int64_t> fn_samples, fp_samples;
};

// One-to-one matching in time order: each reference beat takes the nearest unmatched detection
// within ±window_samples. Both inputs sorted.
QrsCounts match_beats(std::span<const std::int64_t> reference,
                      std::span<const std::int64_t> detected, std::int64_t window_samples);

struct QrsOptions {
  std::filesystem::path dir;         // database folder
  std::vector<std::string> records;  // empty: every record with annotations
  std::string annotator = "atr";
  double start_s = 300;
  double window_ms = 150;
};

struct QrsRecordResult {
  std::string name;
  std::size_t n_leads = 0;
  double sample_rate_hz = 0;
  QrsCounts counts;
  std::vector<char> fn_symbols;  // the reference symbol of each missed beat
};

struct QrsReport {
  QrsOptions options;
  std::vector<QrsRecordResult> records;
  QrsCounts total;
  double seconds_processed = 0, seconds_spent = 0;
  // A record that could not be read stops the evaluation (a partial total would pass for the
  // database's): the records before it are kept, the error is here and no total is printed.
  std::optional<std::string> failure;
};

// Throws std::invalid_argument when the folder or its annotated records are missing; an unreadable
// record ends the run with `failure` set.
QrsReport run_qrs(const QrsOptions& options);
void print_qrs(std::ostream& out, const QrsReport& report, bool verbose);

// --- STEMI triage (dev records + Brugada-HUCA)
// ----------------------------------------------------

// Age and sex that replace what a record gives, each only when set ("read every record as a man
// of 40"): issue 12 wants the Brugada-HUCA read both as shipped (no age/sex) and as its typical
// patient, so that false alarms go because of the read, not an unknown-age policy. chest_pain
// reads every record as if the cart had said "chest pain" (no record says it: the manifests do not
// know), which is what decides the tier of an abnormal read with ischaemic ST-T changes.
struct PatientOverride {
  std::optional<triage::Sex> sex;
  std::optional<int> age_years;
  bool chest_pain = false;
  bool empty() const { return !sex && !age_years && !chest_pain; }
  std::string label() const;  // "as shipped", "as M, 40 y", "as M, 40 y, with chest pain"
};
triage::PatientContext apply_override(triage::PatientContext patient, const PatientOverride& o);
// "M,40", "F", ",40", "U,25". Throws std::invalid_argument on anything else.
PatientOverride parse_patient_override(const std::string& text);
triage::Sex parse_sex_option(const std::string& text);  // M, F, U (unknown); throws otherwise
int parse_age_option(const std::string& text);          // whole years 0–130; throws otherwise
double parse_rate_option(const std::string& text);      // Hz, 50–2000; throws otherwise

struct ManifestRow {
  std::string source, record_id, relative_path, label_class, labels_verbatim;
  std::filesystem::path base_dir;  // relative_path is relative to this (the manifest's folder)
  bool dev_set = true;             // from DATA/MANIFEST.tsv (false: another population's manifest)
  int n_leads = 0;
};
// Both layouts: the dev set's (source_name, labels_source_verbatim) and the per-database one
// (source, labels_verbatim). CRLF line ends are accepted.
std::vector<ManifestRow> read_manifest(const std::filesystem::path& path, bool dev_set);

// Ground truth: positive = a label_class token starting "acute_STEMI" that is not a candidate;
// candidates (acute/recent MI whose ST elevation the source does not confirm) are their own group.
enum class Group { positive, candidate, negative };
Group group_of(const std::string& label_class);

struct StemiRecord {
  ManifestRow row;
  Group group = Group::negative;
  std::optional<triage::Finding> finding;  // nullopt when reading/analysis failed
  std::optional<double> qrs_duration_ms;   // as measured (the pacing check reads it)
  bool pacing_spikes = false;
  std::string error;
  std::string outcome() const;  // category name, or "error"
  bool alert() const;           // stemi or stemi_equivalent
  bool stemi() const;           // category stemi
  bool critical() const;        // tier critical: the cath-lab pre-alert
  bool has_confounder(const char* key) const;
};

// The classes a record is tallied under: its label_class tokens, plus for Brugada-HUCA's mixed
// other_abnormal one sub-class read from labels_verbatim (diagnosis without a basal pattern, or a
// basal pattern without the diagnosis).
std::vector<std::string> tally_classes(const ManifestRow& row);

struct ClassTally {
  int n = 0;
  int critical = 0;    // tier critical
  int stemi = 0;       // category stemi
  int equivalent = 0;  // category stemi_equivalent
  int urgent = 0;      // tier urgent: a human read now, no cath-lab pre-alert
  int normal = 0;      // category normal
  int brugada = 0;     // confounder "brugada" named
  int paced = 0;       // confounder "paced" named (read as ventricular pacing)
  int spikes = 0;      // dsp detected pacemaker spikes (whatever the read made of them)
  int errors = 0;      // unreadable record
  void add(const StemiRecord& r);
};

struct DatabaseTally {
  std::string source;
  ClassTally all;
  std::vector<std::pair<std::string, ClassTally>> per_class;  // sorted by class name
};
// Databases in the order they first appear.
std::vector<DatabaseTally> tally(std::span<const StemiRecord> records);

// Issue 12's headline figures.
struct StemiHeadline {
  int brugada_huca_n = 0, brugada_huca_critical = 0;
  int spontaneous_n = 0, spontaneous_brugada = 0;  // Brugada-HUCA mimic_Brugada, read as brugada
  int dev_negative_n = 0, dev_negative_critical = 0;
  int acute_n = 0, acute_normal = 0, acute_critical = 0;
  int acute_at_once = 0;  // tier critical or urgent: read by a human now, not in the routine queue
};
StemiHeadline headline(std::span<const StemiRecord> records);

struct StemiOptions {
  std::filesystem::path data;
  std::optional<std::string> only;         // substring of relative_path
  PatientOverride patient;                 // replaces every record's age/sex
  std::optional<PatientOverride> also_as;  // a second reading of every record
  bool chest_pain = false;                 // every reading (main and also_as) with chest pain
  // Every record resampled to this rate before it is analysed (gc/resample.hpp): how much of the
  // read depends on the rate the dev records were recorded at.
  std::optional<double> resample_hz;
};

struct StemiReading {
  PatientOverride patient;
  std::vector<StemiRecord> records;  // dev records first, then Brugada-HUCA
};

struct StemiReport {
  std::filesystem::path data;
  int skipped = 0;                     // dev records with < 12 leads
  double dev_seconds = 0;              // reading + analysis + triage of the dev records
  std::optional<double> resample_hz;   // as StemiOptions
  std::vector<StemiReading> readings;  // [0] the main reading, [1] --also-as
};

StemiReport run_stemi(const StemiOptions& options);
void print_stemi(std::ostream& out, const StemiReport& report, bool verbose);

// --- Semi-synthetic occlusion in young adults (issue 12) ----------------------------------------
// The other side of the Brugada-HUCA false-alarm figure: occlusion-pattern ST elevation injected
// into the same population's non-pathological baselines must still raise a critical alert, so
// that telling early repolarisation from occlusion does not silence STEMI in the young. Each
// territory's pattern (synth::territory_st_uv: its leads in their proportions, with the
// reciprocal depression where the pattern has it) is added to every beat with eval st's shape
// (rise over 20 ms before J, full from J to half-way to T end, taper to zero at T end), at
// multiples of the smallest peak that meets the criteria in two contiguous leads for the patient,
// and read as that patient (default: a man of 40, the database's typical patient).
struct InjectionOptions {
  std::filesystem::path data;             // DATA/brugada-huca/MANIFEST.tsv is read
  std::vector<double> factors = {1.0, 1.5};
  PatientOverride patient{triage::Sex::male, 40};
  std::vector<std::string> territories;   // empty: every 12-lead territory
};

struct InjectionCell {
  std::string territory;
  double factor = 0;
  double peak_uv = 0;  // the pattern's largest lead
  int n = 0, critical = 0, urgent = 0, routine = 0;
  std::vector<std::string> not_critical;  // "record: category (confounders)"
};

struct InjectionReport {
  int baselines = 0;  // records used (class normal, quality ok)
  int skipped = 0;    // class normal but not analysable as shipped
  PatientOverride patient;
  std::vector<InjectionCell> cells;
  std::vector<std::string> errors;
};

// Smallest peak (µV, 10 µV steps) at which `territory`'s pattern meets the criteria in two
// contiguous leads for `patient` (the pattern alone, no native ST).
double criterion_peak_uv(const std::string& territory, const triage::PatientContext& patient);

InjectionReport run_injection(const InjectionOptions& options);
void print_injection(std::ostream& out, const InjectionReport& report, bool verbose);

}  // namespace gc::eval
