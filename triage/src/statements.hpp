// triage internals — the statement vocabulary: every code a rule may emit, with its scheme and the
// words a clinician reads (English and Chinese), in one table (statements.cpp). Rules never build
// these words themselves; they emit a code with its leads and values and the text comes from here.
//
// Schemes: "SCP-ECG" — the statement codes PTB-XL uses (ptbxl/scp_statements.csv: NORM, STE_,
// STD_, IMI, ASMI, CLBBB, …); "greenchannel" — the project's own codes, only where SCP-ECG has none
// (the evidence for and against occlusion, the normal-variant conclusion, policy notes).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gc/triage.hpp"

namespace gc::triage::detail {

// How a statement's main value is printed: µV as "0.25 mV (2.5 mm)", a ratio or a score with
// two/one decimals, or not at all.
enum class ValueKind { none, uv, ratio, score, ms, hz };

struct StatementText {
  std::string_view code;
  std::string_view scheme;
  ValueKind kind;
  // Templates: {leads} is replaced by the leads ("V2, V3" / "V2、V3"), {value} by the value.
  std::string_view en;
  std::string_view zh;
};

// The whole vocabulary (for tests and documentation).
const std::vector<StatementText>& statement_table();
// nullptr when the code is unknown.
const StatementText* find_statement(std::string_view code);

// A statement with its text rendered from the table. Throws std::logic_error on a code that is not
// in the table (a rule emitting an unknown code is a programming error, caught by the tests).
Statement make_statement(std::string_view code, std::vector<std::string> leads = {},
                         std::optional<double> value = std::nullopt,
                         std::map<std::string, double> values = {});

}  // namespace gc::triage::detail
