// Synthetic cases: plausible delays per step (log-normal around typical values for a county
// chest-pain network), with a share of late steps that carry a delay reason. Demo data only.
#include "gc/case_synth.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>

namespace gc::workflow {
namespace {

constexpr std::int64_t kMin = 60'000;

// Distributions written out so the same seed gives the same month on every standard library
// (std::normal_distribution's algorithm is implementation-defined; mt19937_64's output is not).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : gen_(seed) {}
  double uniform() { return static_cast<double>(gen_() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  bool chance(double p) { return uniform() < p; }
  double normal() {
    const double u1 = std::max(uniform(), 1e-300);
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }
  // Log-normal minutes with the given median and spread (sigma of the log).
  double lognormal(double median_min, double sigma) {
    return median_min * std::exp(sigma * normal());
  }
  std::size_t index(std::size_t n) {
    return static_cast<std::size_t>(uniform() * static_cast<double>(n)) % n;
  }

 private:
  std::mt19937_64 gen_;
};

std::int64_t minutes(double m) {
  return static_cast<std::int64_t>(std::llround(m * 60.0)) * 1000;
}

struct Builder {
  Case& c;
  UnixMs recorded_ms;

  std::int64_t node(NodeKind k, UnixMs at, const std::string& source, const std::string& actor,
                    const std::string& clock) {
    TimeNodeEvent e;
    e.kind = k;
    e.raw_ms = at;
    e.source = source;
    e.actor = actor;
    e.clock = clock;
    e.recorded_ms = std::max(at, recorded_ms);
    return c.append(std::move(e));
  }
  void cart(NodeKind k, UnixMs true_ms, std::int64_t cart_ahead_ms) {
    // The cart's clock said true + ahead; the server corrects it back.
    auto e = cart_node_event(k, true_ms + cart_ahead_ms, cart_ahead_ms, c.info.device_id, true_ms);
    c.append(std::move(e));
  }
  void flag(CaseFlag f, const std::string& actor) {
    FlagEvent e;
    e.flag = f;
    e.value = true;
    e.source = "station:" + actor;
    e.actor = actor;
    e.recorded_ms = recorded_ms;
    c.append(std::move(e));
  }
  void reason(const std::string& text, const std::string& actor) {
    DelayReason r;
    r.reason = text;
    r.actor = actor;
    r.recorded_ms = recorded_ms;
    c.append(std::move(r));
  }
};

bool night(UnixMs t) {
  // Beijing time hour: the demo network is in China.
  const auto hour = ((t / kMin + 8 * 60) / 60) % 24;
  return hour >= 22 || hour < 7;
}

}  // namespace

std::vector<Case> synth_cases(const SynthCasesOptions& o) {
  if (o.to_ms <= o.from_ms) throw Error("synth_cases: empty period");
  if (o.clinics.empty()) throw Error("synth_cases: no clinics");
  Rng rng(o.seed);
  std::vector<Case> out;
  out.reserve(o.n_cases);
  const std::string cardiologists[] = {"dr_li", "dr_wang", "dr_zhang"};
  const std::string nurses[] = {"nurse_chen", "nurse_liu"};
  for (std::size_t i = 0; i < o.n_cases; ++i) {
    Case c;
    const std::size_t ci = rng.index(o.clinics.size());
    c.info.case_id = o.first_case_id + static_cast<std::int64_t>(i);
    c.info.clinic = o.clinics[ci];
    c.info.device_id = "cart-" + std::to_string(ci + 1);
    c.info.patient_id = "P" + std::to_string(100000 + (o.seed * 7919 + i * 104729) % 900000);
    const auto fmc =
        o.from_ms +
        static_cast<UnixMs>(rng.uniform() * static_cast<double>(o.to_ms - o.from_ms - kMin));
    c.info.opened_ms = fmc;
    c.info.state = "closed";
    Builder b{c, fmc};
    const std::string& doc = cardiologists[rng.index(3)];
    const std::string& nurse = nurses[rng.index(2)];
    const std::int64_t cart_ahead = minutes(rng.uniform(-1.5, 1.5));  // drifting cart clock

    // The last clinic in the list is treated as the EMS (120) cart: direct to the PCI hospital.
    const bool ems = ci + 1 == o.clinics.size() && o.clinics.size() > 1;
    const double u = rng.uniform();
    const bool not_stemi = u < 0.08;
    const bool lysis = !not_stemi && !ems && u < 0.18;
    const bool transfer = !not_stemi && !lysis && !ems;
    c.info.outcome = not_stemi ? Outcome::not_stemi : Outcome::stemi;

    const UnixMs onset = fmc - minutes(rng.uniform(30, 300));
    b.node(NodeKind::symptom_onset, onset, "cart", c.info.device_id, "patient-reported");
    if (ems) {
      const UnixMs call = fmc - minutes(rng.uniform(12, 30));
      b.node(NodeKind::call_for_help, call, "api", "120-dispatch", "server");
      b.node(NodeKind::ambulance_dispatch, call + minutes(rng.uniform(1, 4)), "api", "120-dispatch",
             "server");
    }
    b.cart(NodeKind::fmc, fmc, cart_ahead);
    bool late_ecg = rng.chance(0.12);
    const UnixMs ecg =
        fmc + minutes(late_ecg ? rng.uniform(11, 25) : std::min(9.5, rng.lognormal(4, 0.5)));
    b.cart(NodeKind::first_ecg, ecg, cart_ahead);
    if (late_ecg)
      b.reason(
          "首份心电图延迟：患者先在门诊排队 ECG delayed: patient queued at the outpatient desk",
          nurse);
    const bool transmitted = rng.chance(0.85);
    UnixMs read_from = ecg;
    if (transmitted) {
      read_from = ecg + minutes(rng.uniform(0.2, 1.0));
      b.node(NodeKind::ecg_transmitted, read_from, "server", "ingest", "server");
    }
    const UnixMs dx = read_from + minutes(rng.chance(0.1) ? rng.uniform(11, 20)
                                                          : std::min(9.5, rng.lognormal(3, 0.5)));
    b.node(NodeKind::ecg_diagnosis, dx, "station:" + doc, doc, "server");
    if (not_stemi) {
      out.push_back(std::move(c));
      continue;
    }
    b.node(NodeKind::dapt_loading, dx + minutes(rng.uniform(2, 9)), "station:" + doc, doc,
           "server");

    if (lysis) {
      const UnixMs needle =
          dx + minutes(rng.chance(0.2) ? rng.uniform(20, 45) : rng.uniform(6, 18));
      b.node(NodeKind::thrombolysis_start, needle, "cli", nurse, "server");
      b.node(NodeKind::thrombolysis_end, needle + minutes(rng.uniform(25, 35)), "cli", nurse,
             "server");
      if (needle - fmc > 30 * kMin) b.reason("溶栓前知情同意耗时 consent for lysis took long", doc);
      out.push_back(std::move(c));
      continue;
    }

    const UnixMs activation = dx + minutes(rng.uniform(0.5, 3));
    b.node(NodeKind::cath_lab_activation_decision, activation, "station:" + doc, doc, "server");
    UnixMs door;
    if (transfer) {
      b.flag(CaseFlag::transfer, doc);
      const bool slow_out = rng.chance(0.15);
      const UnixMs out_ms = std::max(
          activation, fmc + minutes(slow_out ? rng.uniform(32, 60) : rng.lognormal(20, 0.25)));
      if (slow_out) b.reason("等待救护车 waiting for the ambulance", nurse);
      b.node(NodeKind::door_out, out_ms, "cli", nurse, "server");
      door = out_ms + minutes(rng.uniform(15, 45));  // road to the county PCI hospital
    } else {
      door = fmc + minutes(rng.uniform(12, 30));
    }
    const bool night_shift = night(activation);
    const bool slow_team = rng.chance(0.1);
    const UnixMs team = activation + minutes(night_shift ? rng.uniform(20, 40)
                                                         : (slow_team ? rng.uniform(31, 45)
                                                                      : rng.lognormal(15, 0.3)));
    if (night_shift)
      b.reason("夜间导管室团队到院 night-time cath lab team call-in", doc);
    else if (slow_team)
      b.reason("导管室正在进行择期手术 cath lab busy with an elective case", doc);
    // Correction demo: a few door times are first entered wrongly and corrected by a new event.
    if (rng.chance(0.04)) {
      const auto wrong =
          b.node(NodeKind::door_in, door + minutes(60), "station:" + nurse, nurse, "server");
      TimeNodeEvent fix;
      fix.kind = NodeKind::door_in;
      fix.raw_ms = door;
      fix.source = "station:" + nurse;
      fix.actor = nurse;
      fix.clock = "server";
      fix.recorded_ms = door + minutes(90);
      fix.supersedes = wrong;
      fix.note = "entered an hour late by mistake";
      c.append(std::move(fix));
    } else {
      b.node(NodeKind::door_in, door, "station:" + nurse, nurse, "server");
    }
    b.node(NodeKind::cath_lab_team_activated, team, "station:" + nurse, nurse, "server");
    const bool bypass = rng.chance(0.6);
    if (bypass) {
      b.flag(CaseFlag::bypassed_ed, doc);
      if (rng.chance(0.9)) b.flag(CaseFlag::bypassed_ccu, doc);
    }
    UnixMs arrival =
        std::max(door + minutes(bypass ? rng.uniform(2, 7) : rng.uniform(15, 40)), team);
    if (rng.chance(0.08)) {
      arrival += minutes(rng.uniform(45, 90));
      b.reason("家属犹豫，签署知情同意延迟 family hesitated to sign consent", doc);
    }
    b.node(NodeKind::cath_lab_arrival, arrival, "station:" + nurse, nurse, "server");
    const UnixMs puncture = arrival + minutes(rng.uniform(4, 10));
    const UnixMs angio = puncture + minutes(rng.uniform(3, 8));
    UnixMs wire = angio + minutes(rng.lognormal(10, 0.4));
    if (rng.chance(0.03)) wire = angio - minutes(rng.uniform(2, 6));  // an unnoticed typo: flagged
    b.node(NodeKind::arterial_puncture, puncture, "cli", doc, "server");
    b.node(NodeKind::angiography_start, angio, "cli", doc, "server");
    b.node(NodeKind::wire_crossing, wire, "cli", doc, "server");
    b.node(NodeKind::procedure_end, std::max(wire, angio) + minutes(rng.uniform(20, 50)), "cli",
           doc, "server");
    out.push_back(std::move(c));
  }
  return out;
}

Case seed_case(std::int64_t case_id) {
  const TimeZone tz;  // Asia/Shanghai
  const auto at = [&](const char* hhmm) {
    return parse_instant(std::string("2026-05-12T") + hhmm, tz);
  };
  Case c;
  c.info.case_id = case_id;
  c.info.patient_id = "P-seed";
  c.info.device_id = "cart-shiqiao-01";
  c.info.clinic = "石桥乡卫生院";
  c.info.opened_ms = at("16:05");
  c.info.outcome = Outcome::stemi;
  Builder b{c, at("16:05")};
  b.node(NodeKind::fmc, at("16:05"), "cart", c.info.device_id, "cart");
  b.node(NodeKind::first_ecg, at("16:05"), "cart", c.info.device_id, "cart");
  b.node(NodeKind::ecg_transmitted, at("16:05"), "server", "ingest", "server");
  b.node(NodeKind::ecg_diagnosis, at("16:08"), "station:dr_li", "dr_li", "server");
  b.node(NodeKind::cath_lab_activation_decision, at("16:08"), "station:dr_li", "dr_li", "server");
  b.flag(CaseFlag::transfer, "dr_li");
  b.node(NodeKind::door_in, at("16:25"), "station:nurse_chen", "nurse_chen", "server");
  b.node(NodeKind::cath_lab_arrival, at("16:30"), "station:nurse_chen", "nurse_chen", "server");
  b.node(NodeKind::angiography_start, at("16:41"), "cli", "dr_li", "server");
  b.node(NodeKind::wire_crossing, at("16:54"), "cli", "dr_li", "server");
  return c;
}

}  // namespace gc::workflow
