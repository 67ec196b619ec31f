// The versioned interval rule tables and per-case interval computation. A table is never edited
// once reports were submitted against it: add a new version instead.
#include <algorithm>

#include "gc/workflow.hpp"

namespace gc::workflow {
namespace {

using K = NodeKind;
constexpr unsigned kPrimary = 1u << 0;
constexpr unsigned kTransfer = 1u << 1;
constexpr unsigned kLysis = 1u << 2;

IntervalRule rule(std::string key, std::string en, std::string zh, K from, K to, double target,
                  unsigned pathways) {
  IntervalRule r;
  r.key = std::move(key);
  r.name_en = std::move(en);
  r.name_zh = std::move(zh);
  r.from = from;
  r.to = to;
  r.target_min = target;
  r.pathways = pathways;
  return r;
}

RuleTable china_2021() {
  RuleTable t;
  t.version = "cn-cpc-2021";
  t.title = "China Chest Pain Center accreditation (中国胸痛中心认证标准)";

  auto fmc2ecg = rule("fmc2ecg", "FMC → first ECG", "首次医疗接触至首份心电图", K::fmc,
                      K::first_ecg, 10, kAllPathways);
  fmc2ecg.mean_target = true;
  fmc2ecg.mean_strict = true;  // monthly mean < 10 min
  fmc2ecg.min_compliant_pct = 75;

  auto ecg2dx = rule("ecg2dx", "first ECG → diagnosis", "首份心电图至确诊", K::first_ecg,
                     K::ecg_diagnosis, 10, kAllPathways);
  ecg2dx.mean_target = true;

  auto d2w = rule("d2w", "door → wire (D2W)", "入门至导丝通过", K::door_in, K::wire_crossing, 90,
                  kPrimary | kTransfer);
  d2w.mean_target = true;
  d2w.min_compliant_pct = 75;
  d2w.note = "aim < 60 min";

  auto activation =
      rule("cath_activation", "cath lab activation", "导管室激活时间",
           K::cath_lab_activation_decision, K::cath_lab_team_activated, 30, kPrimary | kTransfer);
  activation.case_strict = true;
  activation.mean_target = true;
  activation.mean_strict = true;

  auto fmc2w = rule("fmc2w", "FMC → wire", "首次医疗接触至导丝通过", K::fmc, K::wire_crossing, 120,
                    kPrimary | kTransfer);
  fmc2w.mean_target = true;

  auto dido = rule("dido", "door-in-door-out (referring clinic)", "DIDO（转出医院入门至转出）",
                   K::fmc, K::door_out, 30, kTransfer);
  dido.mean_target = true;
  dido.note = "the FMC at the referring clinic is its door-in";

  auto d2n =
      rule("d2n", "door → needle", "入门至溶栓", K::door_in, K::thrombolysis_start, 30, kLysis);
  d2n.from_fallback = K::fmc;
  d2n.mean_target = true;
  d2n.note = "lysis where the patient presented: the FMC is the door";

  t.rules = {fmc2ecg, ecg2dx, d2w, activation, fmc2w, dido, d2n};
  t.ratios = {{RatioCheck::remote_ecg_transmission, 30}, {RatioCheck::bypass_ed, 30}};
  return t;
}

RuleTable esc_2023() {
  RuleTable t;
  t.version = "esc-2023";
  t.title = "ESC 2023 ACS guidelines";
  auto fmc2dx = rule("fmc2dx", "FMC → ECG diagnosis", "首次医疗接触至确诊", K::fmc,
                     K::ecg_diagnosis, 10, kStemiPathways);
  auto pci_centre =
      rule("dx2w_pci_centre", "diagnosis → wire (PCI centre)", "确诊至导丝通过（PCI医院）",
           K::ecg_diagnosis, K::wire_crossing, 60, kPrimary);
  auto transfer = rule("dx2w_transfer", "diagnosis → wire (transfer)", "确诊至导丝通过（转诊）",
                       K::ecg_diagnosis, K::wire_crossing, 90, kTransfer);
  auto lysis = rule("dx2lysis", "diagnosis → lysis bolus", "确诊至溶栓", K::ecg_diagnosis,
                    K::thrombolysis_start, 10, kLysis);
  t.rules = {fmc2dx, pci_centre, transfer, lysis};
  return t;
}

RuleTable acc_aha_2013() {
  RuleTable t;
  t.version = "acc-aha-2013";
  t.title = "ACCF/AHA 2013 STEMI guideline";
  auto direct = rule("fmc2d_direct", "FMC → device (direct)", "首次医疗接触至器械（直接）", K::fmc,
                     K::wire_crossing, 90, kPrimary);
  auto transfer = rule("fmc2d_transfer", "FMC → device (transfer)", "首次医疗接触至器械（转诊）",
                       K::fmc, K::wire_crossing, 120, kTransfer);
  auto d2b =
      rule("d2b", "door → balloon", "入门至球囊", K::door_in, K::wire_crossing, 90, kPrimary);
  auto d2n =
      rule("d2n", "door → needle", "入门至溶栓", K::door_in, K::thrombolysis_start, 30, kLysis);
  d2n.from_fallback = K::fmc;
  auto dido = rule("dido", "door-in-door-out", "DIDO", K::fmc, K::door_out, 30, kTransfer);
  dido.note = "the FMC at the referring clinic is its door-in";
  t.rules = {direct, transfer, d2b, d2n, dido};
  return t;
}

std::string pathway_names(unsigned mask) {
  std::string s;
  for (auto p : {Pathway::primary_pci, Pathway::transfer_pci, Pathway::lysis, Pathway::not_stemi}) {
    if (!applies(mask, p)) continue;
    if (!s.empty()) s += "/";
    s += key(p);
  }
  return s;
}

}  // namespace

const std::vector<RuleTable>& rule_tables() {
  static const std::vector<RuleTable> tables = {china_2021(), esc_2023(), acc_aha_2013()};
  return tables;
}

const RuleTable& rule_table(std::string_view version) {
  for (const auto& t : rule_tables()) {
    if (t.version == version) return t;
  }
  std::string known;
  for (const auto& t : rule_tables()) known += (known.empty() ? "" : ", ") + t.version;
  throw Error("unknown rule table '" + std::string(version) + "' (known: " + known + ")");
}

IntervalValue compute_interval(const IntervalRule& r, const Timeline& t) {
  using Missing = IntervalValue::Missing;
  IntervalValue v;
  v.rule = &r;
  v.pathway = t.pathway;
  v.applicable = applies(r.pathways, t.pathway);
  if (!v.applicable) {
    v.missing = Missing::not_applicable;
    return v;
  }
  auto from = t.at(r.from);
  if (!from && r.from_fallback) from = t.at(*r.from_fallback);
  const auto to = t.at(r.to);
  if (!from || !to) {
    v.missing = !from && !to ? Missing::both_not_recorded
                : !from      ? Missing::from_not_recorded
                             : Missing::to_not_recorded;
    return v;
  }
  if (*to < *from) {
    // Never report a negative interval as "fast": the order violation is listed on the case.
    v.missing = Missing::reversed;
    return v;
  }
  v.minutes = static_cast<double>(*to - *from) / 60000.0;
  v.compliant = r.case_strict ? *v.minutes < r.target_min : *v.minutes <= r.target_min;
  return v;
}

std::string IntervalValue::missing_reason() const {
  if (missing == Missing::none || rule == nullptr) return "";
  const auto& r = *rule;
  std::string from(key(r.from));
  if (r.from_fallback) from += " (or " + std::string(key(*r.from_fallback)) + ")";
  switch (missing) {
    case Missing::none:
      return "";
    case Missing::not_applicable:
      return "applies to " + pathway_names(r.pathways) + ", case is " + std::string(key(pathway));
    case Missing::from_not_recorded:
      return from + " not recorded";
    case Missing::to_not_recorded:
      return std::string(key(r.to)) + " not recorded";
    case Missing::both_not_recorded:
      return from + " and " + std::string(key(r.to)) + " not recorded";
    case Missing::reversed:
      return std::string(key(r.to)) + " is before " + std::string(key(r.from)) +
             " (order violation)";
  }
  return "";
}

std::vector<IntervalValue> compute_intervals(const RuleTable& table, const Timeline& t) {
  std::vector<IntervalValue> out;
  out.reserve(table.rules.size());
  for (const auto& r : table.rules) out.push_back(compute_interval(r, t));
  return out;
}

}  // namespace gc::workflow
