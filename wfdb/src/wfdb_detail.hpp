// wfdb internals shared between the header parser and the record reader/writer (not public API).
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace gc::wfdb::detail {

// Age/sex from one header comment: "<age>: 51", "Age: 63", "age: 81", "Age: 47  Sex: M",
// "<sex>: F", "Sex: Female". Ages outside 0..130 (PTB-XL's 300, MIT's -1) are treated as unknown.
std::optional<int> age_from_comment(const std::string& comment);
std::optional<char> sex_from_comment(const std::string& comment);
// MIT-BIH style first comment "69 M 1085 1629 x1": (age if plausible, sex).
std::optional<std::pair<std::optional<int>, char>> mit_age_sex(const std::string& comment);

}  // namespace gc::wfdb::detail
