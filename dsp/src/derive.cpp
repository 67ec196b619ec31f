#include "gc/derive.hpp"

#include <algorithm>
#include <stdexcept>

namespace gc::dsp {

SignalBlock derive_limb_leads(const SignalBlock& block) {
  auto find = [&](std::string_view name) -> const std::vector<float>* {
    for (std::size_t i = 0; i < block.lead_names.size(); ++i) {
      if (block.lead_names[i] == name) return &block.samples_uv.at(i);
    }
    return nullptr;
  };
  const auto* lead_i = find("I");
  const auto* lead_ii = find("II");
  if (lead_i == nullptr || lead_ii == nullptr) {
    throw std::invalid_argument("derive_limb_leads: leads I and II are required");
  }
  if (lead_i->size() != lead_ii->size()) {
    throw std::invalid_argument("derive_limb_leads: leads I and II differ in length");
  }
  const std::size_t n = lead_i->size();
  SignalBlock out;
  out.sample_rate_hz = block.sample_rate_hz;
  auto emit = [&](const std::string& name, auto formula) {
    if (const auto* measured = find(name)) {
      out.lead_names.push_back(name);
      out.samples_uv.push_back(*measured);
      return;
    }
    std::vector<float> v(n);
    for (std::size_t k = 0; k < n; ++k) v[k] = formula((*lead_i)[k], (*lead_ii)[k]);
    out.lead_names.push_back(name);
    out.samples_uv.push_back(std::move(v));
  };
  emit("I", [](float i, float) { return i; });
  emit("II", [](float, float ii) { return ii; });
  emit("III", [](float i, float ii) { return ii - i; });
  emit("aVR", [](float i, float ii) { return -(i + ii) / 2.0f; });
  emit("aVL", [](float i, float ii) { return i - ii / 2.0f; });
  emit("aVF", [](float i, float ii) { return ii - i / 2.0f; });
  const std::vector<std::string> limb = {"I", "II", "III", "aVR", "aVL", "aVF"};
  for (std::size_t i = 0; i < block.lead_names.size(); ++i) {
    if (std::find(limb.begin(), limb.end(), block.lead_names[i]) != limb.end()) continue;
    out.lead_names.push_back(block.lead_names[i]);
    out.samples_uv.push_back(block.samples_uv[i]);
  }
  return out;
}

SignalBlock block_from_counts(const std::vector<std::vector<std::int32_t>>& counts,
                              const std::vector<std::string>& lead_names, double sample_rate_hz,
                              double resolution_nv_per_lsb, bool derive_limbs) {
  if (counts.size() != lead_names.size()) {
    throw std::invalid_argument("stored study has " + std::to_string(counts.size()) +
                                " sample rows for " + std::to_string(lead_names.size()) + " leads");
  }
  const double uv_per_lsb = resolution_nv_per_lsb / 1000.0;
  SignalBlock block;
  block.sample_rate_hz = sample_rate_hz;
  block.lead_names = lead_names;
  block.samples_uv.resize(counts.size());
  for (std::size_t lead = 0; lead < counts.size(); ++lead) {
    auto& out = block.samples_uv[lead];
    out.reserve(counts[lead].size());
    for (const std::int32_t value : counts[lead]) {
      out.push_back(static_cast<float>(static_cast<double>(value) * uv_per_lsb));
    }
  }
  return derive_limbs ? derive_limb_leads(block) : block;
}

}  // namespace gc::dsp
