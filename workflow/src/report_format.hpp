// Helpers shared by the report renderers (internal to gc_workflow).
#pragma once

#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "gc/report.hpp"

namespace gc::workflow::detail {

// A report number as JSON and CSV print it: at most two decimals, no trailing zeros ("8.2",
// "90"). Values are already rounded by round2, so both formats show the same digits.
inline void append_number(std::string& out, double v) {
  if (!std::isfinite(v)) throw Error("report number is not finite");
  // Integer hundredths, written by hand (snprintf dominated large reports).
  long long h = std::llround(v * 100.0);
  if (h < 0) {
    out += '-';
    h = -h;
  }
  out += std::to_string(h / 100);
  const auto frac = static_cast<int>(h % 100);
  if (frac != 0) {
    out += '.';
    out += static_cast<char>('0' + frac / 10);
    if (frac % 10 != 0) out += static_cast<char>('0' + frac % 10);
  }
}

inline std::string number(double v) {
  std::string s;
  append_number(s, v);
  return s;
}

inline std::size_t node_index(NodeKind k) {
  return static_cast<std::size_t>(k);
}

// The headline interval of a table for charts: door → wire if the table has one, else the
// first rule ending at wire crossing, else the first rule.
inline std::size_t headline_rule(const RuleTable& table) {
  for (std::size_t i = 0; i < table.rules.size(); ++i) {
    if (table.rules[i].from == NodeKind::door_in && table.rules[i].to == NodeKind::wire_crossing)
      return i;
  }
  for (std::size_t i = 0; i < table.rules.size(); ++i) {
    if (table.rules[i].to == NodeKind::wire_crossing) return i;
  }
  return 0;
}

}  // namespace gc::workflow::detail
