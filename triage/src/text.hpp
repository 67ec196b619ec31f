// triage internals: small formatting helpers for the English/Chinese rationale (values in mV with
// two decimals plus paper millimetres, 1 mm = 100 µV; lead lists).
#pragma once

#include <cmath>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace gc::triage::detail {

// "0.35 mV (3.5 mm)"; the sign is dropped — callers say ↑ or ↓.
inline std::string format_mv(double uv) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f mV (%.1f mm)", std::fabs(uv) / 1000.0,
                std::fabs(uv) / 100.0);
  return buf;
}

// Lead name for display: the derived −aVR uses a real minus sign.
inline std::string display_lead(std::string_view lead) {
  if (lead == "-aVR") return "−aVR";
  return std::string(lead);
}

inline std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += sep;
    out += items[i];
  }
  return out;
}

}  // namespace gc::triage::detail
