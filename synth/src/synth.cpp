// Synthetic ECG generator: a vectorcardiographic sum-of-Gaussians beat model projected onto lead
// vectors (see synth.hpp for the model and its conventions).
#include "gc/synth.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>

namespace gc::synth {
namespace {

struct Vec3 {
  double x = 0;  // patient's left
  double y = 0;  // inferior
  double z = 0;  // anterior
};

double dot(const Vec3& a, const Vec3& b) {
  return a.x * b.x + a.y * b.y + a.z * b.z;
}
Vec3 operator+(const Vec3& a, const Vec3& b) {
  return {a.x + b.x, a.y + b.y, a.z + b.z};
}
Vec3 operator-(const Vec3& a, const Vec3& b) {
  return {a.x - b.x, a.y - b.y, a.z - b.z};
}
Vec3 operator*(double k, const Vec3& a) {
  return {k * a.x, k * a.y, k * a.z};
}

// An asymmetric Gaussian bump of the heart vector (mV); times relative to the beat reference.
struct Wave {
  double center_s = 0;
  double sigma_left_s = 0.01;
  double sigma_right_s = 0.01;
  Vec3 amplitude_mv;
};

// The electrodes' view of the heart vector: unit direction times a gain that reflects how close
// the electrode sits to the heart (precordial leads V2–V4 see the largest voltages).
struct LeadVector {
  std::string name;
  Vec3 direction;
  bool derived = false;  // III, aVR, aVL, aVF: computed from I and II
};

Vec3 chest(double angle_deg, double gain) {
  const double a = angle_deg * std::numbers::pi / 180.0;
  // A small inferior component: the precordial electrodes sit slightly above the ventricles'
  // centre, so they see inferior forces a little (negatively); kept small on purpose.
  return gain * Vec3{std::cos(a), -0.05, std::sin(a)};
}

const Vec3 kLeadI{1.0, 0.0, 0.0};
const Vec3 kLeadII{0.5, std::sqrt(3.0) / 2.0, 0.0};

std::vector<LeadVector> lead_vectors(bool eighteen) {
  std::vector<LeadVector> v = {
      {"I", kLeadI, false},
      {"II", kLeadII, false},
      {"III", kLeadII - kLeadI, true},
      {"aVR", -0.5 * (kLeadI + kLeadII), true},
      {"aVL", kLeadI - 0.5 * kLeadII, true},
      {"aVF", kLeadII - 0.5 * kLeadI, true},
      // Horizontal-plane angles from the patient's left towards anterior.
      {"V1", chest(115, 1.0), false},
      {"V2", chest(90, 1.5), false},
      {"V3", chest(75, 1.5), false},
      {"V4", chest(60, 1.4), false},
      {"V5", chest(30, 1.2), false},
      {"V6", chest(0, 1.0), false},
  };
  if (eighteen) {
    // Posterior leads sit far from the heart (small voltages); right-sided leads mirror V3–V5.
    v.push_back({"V7", chest(-30, 0.7), false});
    v.push_back({"V8", chest(-60, 0.6), false});
    v.push_back({"V9", chest(-90, 0.5), false});
    v.push_back({"V3R", chest(105, 0.9), false});
    v.push_back({"V4R", chest(120, 0.8), false});
    v.push_back({"V5R", chest(150, 0.7), false});
  }
  return v;
}

// Deterministic streams: std::mt19937_64's output is fixed by the standard, unlike the standard
// distributions, so uniform and normal variates are derived here.
class Stream {
 public:
  explicit Stream(std::uint64_t seed) : engine_(seed) {}
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  double normal() {
    if (spare_) {
      const double v = *spare_;
      spare_.reset();
      return v;
    }
    double u1 = uniform();
    while (u1 <= 0) u1 = uniform();
    const double u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    spare_ = r * std::sin(2 * std::numbers::pi * u2);
    return r * std::cos(2 * std::numbers::pi * u2);
  }

 private:
  std::mt19937_64 engine_;
  std::optional<double> spare_;
};

std::uint64_t mix(std::uint64_t seed, const std::string& what) {
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a of the stream name
  for (const char c : what) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  std::uint64_t z = seed ^ h;  // splitmix64 finaliser
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

struct BeatShape {
  std::vector<Wave> qrs;  // ventricular depolarisation
  Wave p;
  Vec3 t_mv;  // T-wave vector
  double t_sigma_left_s = 0.06;
  double t_sigma_right_s = 0.04;
  Vec3 st_mv;                    // intrinsic (discordant) ST vector of wide beats
  std::optional<Vec3> spike_mv;  // pacing spike
};

BeatShape shape_for(const Spec& spec) {
  BeatShape b;
  if (spec.lbbb || spec.paced) {
    // Wide beats: the left ventricle depolarises late and slowly from the right, so the QRS is a
    // broad leftward-posterior pair of bumps (notched broad R in I, aVL, V5–V6; QS in V1–V3) with
    // ST-T opposite to it (discordant).
    if (spec.paced) {
      // Right-ventricular apical pacing: LBBB-like with a superior axis.
      b.qrs = {{-0.022, 0.0175, 0.0175, {0.70, -0.55, -0.50}},
               {0.022, 0.0175, 0.0175, {0.85, -0.75, -0.80}}};
      b.t_mv = {-0.25, 0.30, 0.30};
      b.spike_mv = Vec3{0.8, -1.6, 0.9};  // ~2 mV unipolar spike
    } else {
      b.qrs = {{-0.022, 0.0175, 0.0175, {0.85, 0.15, -0.55}},
               {0.022, 0.0175, 0.0175, {1.00, -0.05, -0.85}}};
      b.t_mv = {-0.30, -0.05, 0.30};
    }
    // Secondary (discordant) ST: opposite to the net QRS vector and proportional to it, so the
    // ST/S ratio stays ~0.1–0.16 in every lead — an uncomplicated LBBB/paced rhythm, below the
    // Smith-modified Sgarbossa cut-off of 0.25.
    Vec3 net;
    for (const auto& w : b.qrs) net = net + w.amplitude_mv;
    b.st_mv = -0.09 * net;
    b.t_sigma_left_s = 0.07;
    b.t_sigma_right_s = 0.045;
  } else {
    b.qrs = {
        {-0.022, 0.007, 0.007, {-0.12, 0.02, 0.22}},   // septal q (left-to-right, anterior)
        {0.000, 0.010, 0.010, {1.00, 0.95, 0.35}},     // R
        {0.022, 0.008, 0.008, {-0.20, -0.10, -0.85}},  // terminal S (posterior-basal)
    };
    b.t_mv = {0.22, 0.18, 0.22};
  }
  b.p = {0, 0.02, 0.02, {0.08, 0.13, 0.02}};
  return b;
}

// Adds a Gaussian bump (peak value 1 × amplitude) to the three heart-vector arrays.
void add_wave(std::array<std::vector<double>, 3>& d, double fs, double center_s, double sl,
              double sr, const Vec3& amp) {
  const auto n = static_cast<std::int64_t>(d[0].size());
  const auto first =
      std::max<std::int64_t>(0, static_cast<std::int64_t>(std::floor((center_s - 5 * sl) * fs)));
  const auto last =
      std::min<std::int64_t>(n - 1, static_cast<std::int64_t>(std::ceil((center_s + 5 * sr) * fs)));
  for (std::int64_t i = first; i <= last; ++i) {
    const double t = static_cast<double>(i) / fs - center_s;
    const double s = t < 0 ? sl : sr;
    const double g = std::exp(-0.5 * t * t / (s * s));
    d[0][static_cast<std::size_t>(i)] += g * amp.x;
    d[1][static_cast<std::size_t>(i)] += g * amp.y;
    d[2][static_cast<std::size_t>(i)] += g * amp.z;
  }
}

double smoothstep(double x) {
  x = std::clamp(x, 0.0, 1.0);
  return x * x * (3 - 2 * x);
}

void check_lead_names(const std::vector<std::string>& names, const std::string& lead,
                      const char* what) {
  if (std::find(names.begin(), names.end(), lead) == names.end()) {
    throw std::invalid_argument(std::string(what) + ": unknown lead '" + lead +
                                "' for this lead set (V7-V9 and V3R-V5R need the 18-lead set)");
  }
}

}  // namespace

std::vector<std::string> lead_names(bool eighteen_lead) {
  std::vector<std::string> out;
  for (const auto& l : lead_vectors(eighteen_lead)) out.push_back(l.name);
  return out;
}

std::map<std::string, double> limb_st_consistent(double lead_i_uv, double lead_ii_uv) {
  return {{"I", lead_i_uv},
          {"II", lead_ii_uv},
          {"III", lead_ii_uv - lead_i_uv},
          {"aVR", -(lead_i_uv + lead_ii_uv) / 2},
          {"aVL", lead_i_uv - lead_ii_uv / 2},
          {"aVF", lead_ii_uv - lead_i_uv / 2}};
}

std::vector<std::string> territory_names() {
  return {"septal",       "anteroseptal", "anterior",    "extensive_anterior", "lateral",
          "high_lateral", "inferior",     "inferior_rv", "posterior",          "right_ventricle"};
}

std::map<std::string, double> territory_st_uv(const std::string& territory, double e) {
  std::map<std::string, double> st;
  auto limb = [&](double i_frac, double ii_frac) {
    for (const auto& [k, v] : limb_st_consistent(i_frac * e, ii_frac * e)) st[k] = v;
  };
  if (territory == "septal") {
    st = {{"V1", e}, {"V2", e}, {"V3", 0.3 * e}};
  } else if (territory == "anteroseptal") {
    st = {{"V1", 0.7 * e}, {"V2", e}, {"V3", e}, {"V4", 0.8 * e}};
  } else if (territory == "anterior") {
    st = {{"V2", 0.8 * e}, {"V3", e}, {"V4", e}, {"V5", 0.4 * e}};
  } else if (territory == "extensive_anterior") {
    // LAD occlusion proximal to the first diagonal: V1–V6 and I/aVL up, inferior leads down.
    st = {{"V1", 0.6 * e}, {"V2", e}, {"V3", e}, {"V4", 0.9 * e}, {"V5", 0.7 * e}, {"V6", 0.5 * e}};
    limb(0.6, -0.3);
  } else if (territory == "lateral") {
    st = {{"V4", 0.3 * e}, {"V5", e}, {"V6", e}};
    limb(0.8, 0.0);
  } else if (territory == "high_lateral") {
    limb(0.8, -0.2);
  } else if (territory == "inferior" || territory == "inferior_rv") {
    // RCA pattern: III > II, reciprocal depression in I and aVL.
    limb(-0.3, 0.7);
    if (territory == "inferior_rv") {
      st["V1"] = 0.25 * e;
      st["V3R"] = 0.4 * e;
      st["V4R"] = 0.5 * e;
      st["V5R"] = 0.4 * e;
    }
  } else if (territory == "posterior") {
    // Posterior leads are far from the heart: modest elevation, larger mirror depression V1–V3.
    st = {{"V7", 0.9 * e},  {"V8", e},        {"V9", e},       {"V1", -1.0 * e},
          {"V2", -1.5 * e}, {"V3", -1.2 * e}, {"V4", -0.5 * e}};
  } else if (territory == "right_ventricle") {
    st = {{"V1", 0.4 * e}, {"V3R", 0.7 * e}, {"V4R", e}, {"V5R", 0.8 * e}};
  } else {
    throw std::invalid_argument("unknown territory '" + territory + "'");
  }
  return st;
}

Synthesized generate(const Spec& spec) {
  if (!(spec.sample_rate_hz >= 50 && spec.sample_rate_hz <= 20000)) {
    throw std::invalid_argument("sample rate must be within 50..20000 Hz");
  }
  if (!(spec.duration_s > 0 && spec.duration_s <= 3600)) {
    throw std::invalid_argument("duration must be within (0, 3600] s");
  }
  if (!(spec.heart_rate_bpm >= 20 && spec.heart_rate_bpm <= 250)) {
    throw std::invalid_argument("heart rate must be within 20..250 bpm");
  }
  if (!(spec.resolution_uv_per_lsb > 0)) throw std::invalid_argument("resolution must be > 0");
  if (!(spec.mains_hz > 0 && spec.mains_hz < spec.sample_rate_hz / 2)) {
    throw std::invalid_argument("mains frequency must be within (0, sample rate / 2)");
  }
  if (spec.noise_rms_uv < 0 || spec.mains_uv < 0 || spec.baseline_wander_uv < 0) {
    throw std::invalid_argument("noise, mains and wander amplitudes must be >= 0");
  }
  const auto leads = lead_vectors(spec.eighteen_lead);
  const auto names = lead_names(spec.eighteen_lead);
  for (const auto& [lead, uv] : spec.st_shift_uv) {
    check_lead_names(names, lead, "st_shift_uv");
    if (!std::isfinite(uv)) throw std::invalid_argument("st_shift_uv: non-finite value");
  }
  for (const auto& lead : spec.leads_off) check_lead_names(names, lead, "leads_off");

  const double fs = spec.sample_rate_hz;
  const auto n = static_cast<std::size_t>(std::llround(spec.duration_s * fs));
  const BeatShape shape = shape_for(spec);

  Synthesized out;
  out.sample_rate_hz = fs;
  out.lead_names = names;
  out.resolution_uv_per_lsb = spec.resolution_uv_per_lsb;

  std::array<std::vector<double>, 3> dipole;
  for (auto& a : dipole) a.assign(n, 0.0);
  std::vector<double> plateau(n, 0.0);

  // QRS extent of the template: ±3 σ around the outermost bumps (the bumps are < 1.2 % there).
  double qrs_onset_rel = 0;
  double j_rel = 0;
  for (const auto& w : shape.qrs) {
    qrs_onset_rel = std::min(qrs_onset_rel, w.center_s - 3 * w.sigma_left_s);
    j_rel = std::max(j_rel, w.center_s + 3 * w.sigma_right_s);
  }

  // Beat times: sinus rhythm with respiratory modulation (0.25 Hz) and a little beat-to-beat
  // jitter.
  Stream rr_stream(mix(spec.seed, "rr"));
  const double rr0_s = 60.0 / spec.heart_rate_bpm;
  const double resp_phase = 2 * std::numbers::pi * rr_stream.uniform();
  double r_s = 0.40 + 0.1 * rr0_s * rr_stream.uniform();
  double rr_s = rr0_s;
  auto to_index = [&](double t) { return static_cast<std::int64_t>(std::llround(t * fs)); };
  const auto n_i = static_cast<std::int64_t>(n);
  while (r_s + qrs_onset_rel - 0.25 < spec.duration_s) {
    // QT follows the preceding RR (Bazett, QTc 400 ms), lengthened by the extra QRS width of
    // wide beats (depolarisation takes longer; repolarisation does not start earlier).
    const double qt_s = 0.40 * std::sqrt(rr_s) + std::max(0.0, (j_rel - qrs_onset_rel) - 0.09);
    const double onset_s = r_s + qrs_onset_rel;
    const double j_s = r_s + j_rel;
    const double t_peak_s = onset_s + qt_s - 2.5 * shape.t_sigma_right_s;
    const double t_end_s = t_peak_s + 2.5 * shape.t_sigma_right_s;

    add_wave(dipole, fs, onset_s - 0.12, shape.p.sigma_left_s, shape.p.sigma_right_s,
             shape.p.amplitude_mv);
    for (const auto& w : shape.qrs) {
      add_wave(dipole, fs, r_s + w.center_s, w.sigma_left_s, w.sigma_right_s, w.amplitude_mv);
    }
    add_wave(dipole, fs, t_peak_s, shape.t_sigma_left_s, shape.t_sigma_right_s, shape.t_mv);

    // ST plateau: rises over the last 20 ms of the QRS, holds to min(J + 80 ms, T peak), then
    // tapers into the T wave so that the elevation merges with T as in acute injury.
    const double hold_end_s = std::max(j_s + 0.005, std::min(j_s + 0.080, t_peak_s));
    const double fade_end_s = std::max(hold_end_s + 0.02, t_end_s);
    for (std::int64_t i = std::max<std::int64_t>(0, to_index(j_s - 0.025));
         i < std::min<std::int64_t>(n_i, to_index(fade_end_s) + 1); ++i) {
      const double t = static_cast<double>(i) / fs;
      double p = 0;
      if (t < j_s) {
        p = smoothstep((t - (j_s - 0.020)) / 0.020);
      } else if (t <= hold_end_s) {
        p = 1;
      } else {
        p = 0.5 * (1 + std::cos(std::numbers::pi * (t - hold_end_s) / (fade_end_s - hold_end_s)));
      }
      plateau[static_cast<std::size_t>(i)] = std::max(plateau[static_cast<std::size_t>(i)], p);
    }

    if (shape.spike_mv) {
      // Pacing spike ~0.5 ms just before the QRS: at least one sample at full amplitude.
      const double spike_s = onset_s - 0.002;
      const auto first = to_index(spike_s);
      const auto len = std::max<std::int64_t>(1, std::llround(0.0005 * fs));
      for (std::int64_t i = first; i < first + len; ++i) {
        if (i < 0 || i >= n_i) continue;
        dipole[0][static_cast<std::size_t>(i)] += shape.spike_mv->x;
        dipole[1][static_cast<std::size_t>(i)] += shape.spike_mv->y;
        dipole[2][static_cast<std::size_t>(i)] += shape.spike_mv->z;
      }
      if (first >= 0 && first < n_i) out.pace_spike_samples.push_back(first);
    }
    // Intrinsic discordant ST of wide beats rides on the same plateau (added below).
    const auto r_i = to_index(r_s);
    if (r_i >= 0 && r_i < n_i) {
      out.r_samples.push_back(r_i);
      out.qrs_onset_samples.push_back(to_index(onset_s));
      out.j_samples.push_back(to_index(j_s));
      out.t_end_samples.push_back(to_index(t_end_s));
    }

    const double resp = 0.025 * std::sin(2 * std::numbers::pi * 0.25 * r_s + resp_phase);
    const double jitter = std::clamp(0.008 * rr_stream.normal(), -0.03, 0.03);
    rr_s = rr0_s * (1 + resp + jitter);
    r_s += rr_s;
  }
  for (std::size_t i = 0; i < n; ++i) {
    dipole[0][i] += shape.st_mv.x * plateau[i];
    dipole[1][i] += shape.st_mv.y * plateau[i];
    dipole[2][i] += shape.st_mv.z * plateau[i];
  }

  // Independent leads (I, II, chest) first: morphology + noise + mains + wander, in µV.
  std::vector<std::vector<double>> base(leads.size());  // everything except the requested ST
  auto disturb = [&](std::vector<double>& x, const std::string& lead) {
    Stream s(mix(spec.seed, "noise/" + lead));
    const double mains_phase = 2 * std::numbers::pi * s.uniform();
    const double wander_phase = 2 * std::numbers::pi * s.uniform();
    // Mains pick-up differs between electrodes; keep its amplitude within ±30 % of the spec.
    const double mains_amp = spec.mains_uv * (0.7 + 0.6 * s.uniform());
    for (std::size_t i = 0; i < n; ++i) {
      const double t = static_cast<double>(i) / fs;
      x[i] += spec.noise_rms_uv * s.normal() +
              mains_amp * std::sin(2 * std::numbers::pi * spec.mains_hz * t + mains_phase) +
              spec.baseline_wander_uv * std::sin(2 * std::numbers::pi * 0.3 * t + wander_phase);
    }
  };
  for (std::size_t l = 0; l < leads.size(); ++l) {
    if (leads[l].derived) continue;
    auto& x = base[l];
    x.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      x[i] = 1000.0 * (leads[l].direction.x * dipole[0][i] + leads[l].direction.y * dipole[1][i] +
                       leads[l].direction.z * dipole[2][i]);
    }
    disturb(x, leads[l].name);
  }
  // Derived limb leads from I and II, exactly as an 8-channel cart computes them.
  const auto& lead_i = base[0];
  const auto& lead_ii = base[1];
  for (std::size_t l = 2; l < 6; ++l) {
    auto& x = base[l];
    x.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      const double a = lead_i[i];
      const double b = lead_ii[i];
      switch (l) {
        case 2:
          x[i] = b - a;
          break;
        case 3:
          x[i] = -(a + b) / 2;
          break;
        case 4:
          x[i] = a - b / 2;
          break;
        default:
          x[i] = b - a / 2;
          break;
      }
    }
  }

  out.samples_uv.resize(leads.size());
  out.samples_adu.resize(leads.size());
  out.st_j_uv.resize(leads.size());
  for (std::size_t l = 0; l < leads.size(); ++l) {
    const auto it = spec.st_shift_uv.find(leads[l].name);
    const double st_uv = it == spec.st_shift_uv.end() ? 0.0 : it->second;
    out.st_j_uv[l] = st_uv + 1000.0 * dot(leads[l].direction, shape.st_mv);
    auto& uv = out.samples_uv[l];
    uv.resize(n);
    const bool off = std::find(spec.leads_off.begin(), spec.leads_off.end(), leads[l].name) !=
                     spec.leads_off.end();
    if (off) {
      // Electrode off: the amplifier input is clamped; only a trace of amplifier noise remains.
      Stream s(mix(spec.seed, "off/" + leads[l].name));
      for (std::size_t i = 0; i < n; ++i) uv[i] = static_cast<float>(2.0 * s.normal());
      out.st_j_uv[l] = 0;
    } else {
      for (std::size_t i = 0; i < n; ++i) {
        uv[i] = static_cast<float>(base[l][i] + st_uv * plateau[i]);
      }
    }
    auto& adu = out.samples_adu[l];
    adu.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      adu[i] = static_cast<std::int32_t>(std::lround(uv[i] / spec.resolution_uv_per_lsb));
    }
  }
  return out;
}

// One line that says how the record was made, so a reader of the .hea knows the truth.
std::string describe(const Spec& spec) {
  std::ostringstream s;
  s << "synth: rate_bpm=" << spec.heart_rate_bpm << " duration_s=" << spec.duration_s
    << " fs_hz=" << spec.sample_rate_hz << " leads=" << (spec.eighteen_lead ? 18 : 12) << " st_uv=";
  if (spec.st_shift_uv.empty()) s << "none";
  bool first = true;
  for (const auto& lead : lead_names(spec.eighteen_lead)) {
    const auto it = spec.st_shift_uv.find(lead);
    if (it == spec.st_shift_uv.end()) continue;
    s << (first ? "" : ",") << lead << ":" << (it->second >= 0 ? "+" : "")
      << std::lround(it->second);
    first = false;
  }
  s << " lbbb=" << (spec.lbbb ? "yes" : "no") << " paced=" << (spec.paced ? "yes" : "no")
    << " noise_uv=" << spec.noise_rms_uv << " mains_uv=" << spec.mains_uv << "@" << spec.mains_hz
    << "Hz wander_uv=" << spec.baseline_wander_uv << " leads_off=";
  if (spec.leads_off.empty()) s << "none";
  for (std::size_t i = 0; i < spec.leads_off.size(); ++i) s << (i ? "," : "") << spec.leads_off[i];
  s << " seed=" << spec.seed;
  return s.str();
}

// The committed sample set: one record per situation the demo must show.
std::vector<SampleRecord> sample_set() {
  std::vector<SampleRecord> cases;
  {
    Spec s;
    s.heart_rate_bpm = 72;
    s.age_years = 55;
    s.sex = 'M';
    s.seed = 101;
    cases.push_back({"normal_sinus", s, "expected: normal sinus rhythm, no STEMI"});
  }
  {
    Spec s;
    s.heart_rate_bpm = 88;
    s.age_years = 63;
    s.sex = 'M';
    s.seed = 102;
    s.st_shift_uv = territory_st_uv("extensive_anterior", 330);
    cases.push_back({"stemi_anterior", s,
                     "expected: STEMI, extensive anterior + high lateral (V1-V6, I, aVL), "
                     "reciprocal ST depression II, III, aVF"});
  }
  {
    Spec s;
    s.heart_rate_bpm = 58;
    s.age_years = 71;
    s.sex = 'F';
    s.seed = 103;
    s.eighteen_lead = true;
    s.st_shift_uv = territory_st_uv("inferior_rv", 250);
    cases.push_back({"stemi_inferior_rv", s,
                     "expected: STEMI, inferior (II, III, aVF; III > II) with right ventricle "
                     "(V4R), reciprocal ST depression I, aVL"});
  }
  {
    Spec s;
    s.heart_rate_bpm = 76;
    s.age_years = 58;
    s.sex = 'M';
    s.seed = 104;
    s.eighteen_lead = true;
    s.st_shift_uv = territory_st_uv("posterior", 100);
    cases.push_back({"stemi_posterior", s,
                     "expected: STEMI, posterior (V7-V9 >= 0.05 mV) with ST depression V1-V3"});
  }
  {
    Spec s;
    s.heart_rate_bpm = 80;
    s.age_years = 74;
    s.sex = 'F';
    s.seed = 105;
    s.lbbb = true;
    cases.push_back({"lbbb_confounder", s,
                     "expected: confounded (LBBB, QRS ~150 ms, discordant ST elevation V1-V3): "
                     "route to a cardiologist, STEMI criteria do not apply"});
  }
  {
    Spec s;
    s.heart_rate_bpm = 95;
    s.age_years = 66;
    s.sex = 'M';
    s.seed = 106;
    s.noise_rms_uv = 120;
    s.mains_uv = 150;
    s.baseline_wander_uv = 400;
    s.leads_off = {"V3", "V4"};
    cases.push_back({"noisy_lead_off", s,
                     "expected: poor quality (heavy EMG noise, mains, wander; V3 and V4 off): "
                     "repeat the ECG"});
  }
  return cases;
}

}  // namespace gc::synth
