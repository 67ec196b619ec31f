// Node kinds, flags and outcomes: stable keys and labels.
#include <algorithm>

#include "gc/workflow.hpp"

namespace gc::workflow {
namespace {

struct NodeNames {
  NodeKind kind;
  std::string_view key;
  std::string_view zh;
  std::string_view en;
};

// Chinese labels follow the 中国胸痛中心 data-platform field names.
constexpr std::array<NodeNames, kNodeKindCount> kNodes = {{
    {NodeKind::symptom_onset, "symptom_onset", "发病", "symptom onset"},
    {NodeKind::call_for_help, "call_for_help", "呼叫120", "call for help"},
    {NodeKind::fmc, "fmc", "首次医疗接触", "first medical contact"},
    {NodeKind::first_ecg, "first_ecg", "首份心电图", "first ECG"},
    {NodeKind::ecg_transmitted, "ecg_transmitted", "传输", "ECG transmitted"},
    {NodeKind::ecg_diagnosis, "ecg_diagnosis", "确诊", "ECG diagnosis"},
    {NodeKind::dapt_loading, "dapt_loading", "双抗给药", "DAPT loading"},
    {NodeKind::cath_lab_activation_decision, "cath_lab_activation_decision", "启动导管室",
     "cath lab activation decision"},
    {NodeKind::ambulance_dispatch, "ambulance_dispatch", "救护车出车", "ambulance dispatch"},
    {NodeKind::door_out, "door_out", "转出", "door-out (referring clinic)"},
    {NodeKind::door_in, "door_in", "入门", "door-in"},
    {NodeKind::cath_lab_team_activated, "cath_lab_team_activated", "导管室激活",
     "cath lab team activated"},
    {NodeKind::cath_lab_arrival, "cath_lab_arrival", "到达导管室", "cath lab arrival"},
    {NodeKind::arterial_puncture, "arterial_puncture", "穿刺", "arterial puncture"},
    {NodeKind::angiography_start, "angiography_start", "造影开始", "angiography start"},
    {NodeKind::wire_crossing, "wire_crossing", "导丝通过", "wire crossing"},
    {NodeKind::procedure_end, "procedure_end", "手术结束", "procedure end"},
    {NodeKind::thrombolysis_start, "thrombolysis_start", "溶栓开始", "thrombolysis start"},
    {NodeKind::thrombolysis_end, "thrombolysis_end", "溶栓结束", "thrombolysis end"},
}};

const NodeNames& names(NodeKind k) {
  const auto i = static_cast<std::size_t>(k);
  if (i >= kNodes.size() || kNodes[i].kind != k) throw Error("invalid node kind");
  return kNodes[i];
}

}  // namespace

const std::array<NodeKind, kNodeKindCount>& all_node_kinds() {
  static const std::array<NodeKind, kNodeKindCount> all = [] {
    std::array<NodeKind, kNodeKindCount> a{};
    for (std::size_t i = 0; i < kNodes.size(); ++i) a[i] = kNodes[i].kind;
    return a;
  }();
  return all;
}

std::string_view key(NodeKind kind) {
  return names(kind).key;
}
std::string_view label_zh(NodeKind kind) {
  return names(kind).zh;
}
std::string_view label_en(NodeKind kind) {
  return names(kind).en;
}

std::optional<NodeKind> parse_node_kind(std::string_view k) {
  for (const auto& n : kNodes) {
    if (n.key == k) return n.kind;
  }
  return std::nullopt;
}

std::string_view key(CaseFlag flag) {
  switch (flag) {
    case CaseFlag::transfer:
      return "transfer";
    case CaseFlag::bypassed_ed:
      return "bypassed_ed";
    case CaseFlag::bypassed_ccu:
      return "bypassed_ccu";
  }
  throw Error("invalid case flag");
}

std::string_view label_zh(CaseFlag flag) {
  switch (flag) {
    case CaseFlag::transfer:
      return "转诊";
    case CaseFlag::bypassed_ed:
      return "绕行急诊";
    case CaseFlag::bypassed_ccu:
      return "绕行CCU";
  }
  throw Error("invalid case flag");
}

std::optional<CaseFlag> parse_case_flag(std::string_view k) {
  for (auto f : {CaseFlag::transfer, CaseFlag::bypassed_ed, CaseFlag::bypassed_ccu}) {
    if (key(f) == k) return f;
  }
  return std::nullopt;
}

std::string_view key(Outcome outcome) {
  switch (outcome) {
    case Outcome::pending:
      return "pending";
    case Outcome::stemi:
      return "stemi";
    case Outcome::not_stemi:
      return "not_stemi";
  }
  throw Error("invalid outcome");
}

std::optional<Outcome> parse_outcome(std::string_view k) {
  for (auto o : {Outcome::pending, Outcome::stemi, Outcome::not_stemi}) {
    if (key(o) == k) return o;
  }
  return std::nullopt;
}

std::string_view key(Pathway pathway) {
  switch (pathway) {
    case Pathway::primary_pci:
      return "primary_pci";
    case Pathway::transfer_pci:
      return "transfer_pci";
    case Pathway::lysis:
      return "lysis";
    case Pathway::not_stemi:
      return "not_stemi";
  }
  throw Error("invalid pathway");
}

std::string_view key(RatioCheck check) {
  switch (check) {
    case RatioCheck::remote_ecg_transmission:
      return "remote_ecg_transmission";
    case RatioCheck::bypass_ed:
      return "bypass_ed";
  }
  throw Error("invalid ratio check");
}

}  // namespace gc::workflow
