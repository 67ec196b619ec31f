// WFDB header (.hea) parsing: record line, signal specification lines and comments, following the
// PhysioNet "header(5)" specification. Every rejection names the file and the 1-based line number.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "gc/wfdb.hpp"
#include "wfdb_detail.hpp"

namespace gc::wfdb {
namespace {

struct Token {
  std::string_view text;
  std::size_t begin = 0;  // position in the line, so the description can keep its inner spaces
};

std::vector<Token> tokenize(std::string_view line) {
  std::vector<Token> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i >= line.size()) break;
    const std::size_t start = i;
    while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    out.push_back({line.substr(start, i - start), start});
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

class LineError {
 public:
  LineError(const std::string& source, int line) : source_(source), line_(line) {}
  [[noreturn]] void fail(const std::string& what) const {
    throw Error(source_ + ":" + std::to_string(line_) + ": " + what);
  }

 private:
  const std::string& source_;
  int line_;
};

template <typename Int>
Int parse_int(std::string_view text, const LineError& at, const char* field) {
  Int value{};
  const char* first = text.data();
  const char* last = text.data() + text.size();
  if (!text.empty() && text.front() == '+') ++first;
  const auto [ptr, ec] = std::from_chars(first, last, value);
  if (ec != std::errc{} || ptr != last || first == last) {
    at.fail(std::string("invalid ") + field + " '" + std::string(text) + "'");
  }
  return value;
}

double parse_double(std::string_view text, const LineError& at, const char* field) {
  double value = 0;
  const char* first = text.data();
  const char* last = text.data() + text.size();
  if (!text.empty() && text.front() == '+') ++first;
  const auto [ptr, ec] = std::from_chars(first, last, value);
  if (ec != std::errc{} || ptr != last || first == last || !std::isfinite(value)) {
    at.fail(std::string("invalid ") + field + " '" + std::string(text) + "'");
  }
  return value;
}

// "250", "250/360" (counter frequency), "360(0)" (base counter value) → 250 / 360.
double parse_sample_rate(std::string_view token, const LineError& at) {
  const std::size_t cut = token.find_first_of("/(");
  const double fs = parse_double(token.substr(0, cut), at, "sampling frequency");
  if (fs <= 0) at.fail("sampling frequency must be positive, got '" + std::string(token) + "'");
  return fs;
}

// Format field: "16", "212", "16x1", "16+24", "16x1+24", "212:3" (skew, ignored here).
void parse_format(std::string_view token, SignalSpec& sig, const LineError& at) {
  std::size_t i = 0;
  while (i < token.size() && std::isdigit(static_cast<unsigned char>(token[i]))) ++i;
  sig.format = parse_int<int>(token.substr(0, i), at, "signal format");
  while (i < token.size()) {
    const char tag = token[i++];
    std::size_t j = i;
    while (j < token.size() &&
           (std::isdigit(static_cast<unsigned char>(token[j])) || token[j] == '-'))
      ++j;
    const std::string_view number = token.substr(i, j - i);
    switch (tag) {
      case 'x': {
        const int per_frame = parse_int<int>(number, at, "samples per frame");
        if (per_frame != 1) {
          at.fail("signal format '" + std::string(token) +
                  "': more than one sample per frame (multi-frequency records) is not supported");
        }
        break;
      }
      case ':':
        // Skew aligns signals recorded with a delay; our sources do not use it and a skew of a
        // few samples does not change a 10 s read, so it is accepted and ignored.
        (void)parse_int<int>(number, at, "skew");
        break;
      case '+':
        sig.byte_offset = parse_int<std::int64_t>(number, at, "byte offset");
        if (sig.byte_offset < 0) at.fail("negative byte offset in '" + std::string(token) + "'");
        break;
      default:
        at.fail("invalid signal format '" + std::string(token) + "'");
    }
    i = j;
  }
  if (sig.format != 16 && sig.format != 212) {
    at.fail("unsupported signal format " + std::to_string(sig.format) + " (supported: 16, 212)");
  }
}

// Gain field: "200", "1716(6)/mV", "1000.0(0)/mV", "2000", "37837.14(-178440)/mV".
struct GainField {
  double gain = 0;
  std::optional<std::int32_t> baseline;
  std::optional<std::string> units;
};

GainField parse_gain(std::string_view token, const LineError& at) {
  GainField out;
  std::string_view rest = token;
  if (const std::size_t slash = rest.find('/'); slash != std::string_view::npos) {
    out.units = std::string(rest.substr(slash + 1));
    if (out.units->empty()) at.fail("empty units in gain field '" + std::string(token) + "'");
    rest = rest.substr(0, slash);
  }
  if (const std::size_t open = rest.find('('); open != std::string_view::npos) {
    if (rest.back() != ')') at.fail("unbalanced '(' in gain field '" + std::string(token) + "'");
    out.baseline =
        parse_int<std::int32_t>(rest.substr(open + 1, rest.size() - open - 2), at, "baseline");
    rest = rest.substr(0, open);
  }
  out.gain = parse_double(rest, at, "ADC gain");
  if (out.gain < 0) at.fail("negative ADC gain '" + std::string(token) + "'");
  return out;
}

}  // namespace

namespace detail {

namespace {

// Finds "<key>: value" / "key: value" (case-insensitive, key not inside a longer word such as
// "Dosage") and returns the text after the colon and spaces.
std::optional<std::string_view> value_after_key(std::string_view comment, std::string_view key) {
  auto lower = [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  };
  for (std::size_t i = 0; i + key.size() <= comment.size(); ++i) {
    bool match = true;
    for (std::size_t k = 0; k < key.size() && match; ++k) match = lower(comment[i + k]) == key[k];
    if (!match) continue;
    if (i > 0 && std::isalpha(static_cast<unsigned char>(comment[i - 1]))) continue;
    std::size_t j = i + key.size();
    if (j < comment.size() && comment[j] == '>') ++j;
    while (j < comment.size() && comment[j] == ' ') ++j;
    if (j >= comment.size() || comment[j] != ':') continue;
    ++j;
    while (j < comment.size() && std::isspace(static_cast<unsigned char>(comment[j]))) ++j;
    return comment.substr(j);
  }
  return std::nullopt;
}

std::optional<int> plausible_age(std::string_view digits) {
  int age = 0;
  const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), age);
  if (ec != std::errc{} || ptr == digits.data()) return std::nullopt;
  // PTB-XL writes 300 for anonymised ages over 89 and MIT-BIH writes -1 for unknown: neither is
  // an age we may feed into age-dependent thresholds.
  if (age < 0 || age > 130) return std::nullopt;
  return age;
}

std::optional<char> sex_word(std::string_view text) {
  std::size_t n = 0;
  while (n < text.size() && std::isalpha(static_cast<unsigned char>(text[n]))) ++n;
  std::string word;
  for (std::size_t i = 0; i < n; ++i) {
    word += static_cast<char>(std::tolower(static_cast<unsigned char>(text[i])));
  }
  if (word == "m" || word == "male") return 'M';
  if (word == "f" || word == "female") return 'F';
  return std::nullopt;
}

}  // namespace

std::optional<int> age_from_comment(const std::string& comment) {
  const auto value = value_after_key(comment, "age");
  if (!value) return std::nullopt;
  return plausible_age(*value);
}

std::optional<char> sex_from_comment(const std::string& comment) {
  const auto value = value_after_key(comment, "sex");
  if (!value) return std::nullopt;
  return sex_word(*value);
}

std::optional<std::pair<std::optional<int>, char>> mit_age_sex(const std::string& comment) {
  // MIT-BIH / QT style first comment: "69 M 1085 1629 x1" (age, sex, then recording details).
  const auto tokens = tokenize(comment);
  if (tokens.size() < 2 || (tokens[1].text != "M" && tokens[1].text != "F")) return std::nullopt;
  std::string_view age_text = tokens[0].text;
  int age = 0;
  const auto [ptr, ec] = std::from_chars(age_text.data(), age_text.data() + age_text.size(), age);
  if (ec != std::errc{} || ptr != age_text.data() + age_text.size()) return std::nullopt;
  return std::make_pair(plausible_age(age_text), tokens[1].text[0]);
}

}  // namespace detail

Header read_header(const std::filesystem::path& hea_path) {
  std::ifstream in(hea_path, std::ios::binary);
  if (!in) throw Error(hea_path.string() + ": cannot open header file");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parse_header(buffer.str(), hea_path.string());
}

Header parse_header(std::string_view text, const std::string& source) {
  Header header;
  bool have_record_line = false;
  int n_signals = 0;
  int line_no = 0;
  int record_line_no = 0;
  std::size_t pos = 0;

  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const LineError at(source, line_no);
    const std::string_view trimmed = trim(line);
    if (trimmed.empty()) continue;
    if (trimmed.front() == '#') {
      std::string comment(trim(trimmed.substr(1)));
      if (!header.age_years) header.age_years = detail::age_from_comment(comment);
      if (!header.sex) header.sex = detail::sex_from_comment(comment);
      if (header.comments.empty() && !header.age_years && !header.sex) {
        if (const auto mit = detail::mit_age_sex(comment)) {
          header.age_years = mit->first;
          header.sex = mit->second;
        }
      }
      header.comments.push_back(std::move(comment));
      continue;
    }
    const auto tokens = tokenize(line);
    if (!have_record_line) {
      have_record_line = true;
      record_line_no = line_no;
      std::string_view name = tokens[0].text;
      if (name.find('/') != std::string_view::npos) {
        at.fail("multi-segment record '" + std::string(name) + "' is not supported");
      }
      header.record_name = std::string(name);
      if (tokens.size() < 2) at.fail("record line lacks the number of signals");
      n_signals = parse_int<int>(tokens[1].text, at, "number of signals");
      if (n_signals < 0) at.fail("negative number of signals");
      if (tokens.size() >= 3) header.sample_rate_hz = parse_sample_rate(tokens[2].text, at);
      if (tokens.size() >= 4) {
        header.n_samples = parse_int<std::int64_t>(tokens[3].text, at, "number of samples");
        if (header.n_samples < 0) at.fail("negative number of samples");
      }
      // Base time and date (tokens 5, 6) are informational and not needed for analysis.
      continue;
    }
    if (static_cast<int>(header.signals.size()) >= n_signals) {
      at.fail("unexpected line after " + std::to_string(n_signals) + " signal lines: '" +
              std::string(trimmed) + "'");
    }
    SignalSpec sig;
    sig.file_name = std::string(tokens[0].text);
    if (tokens.size() < 2) at.fail("signal line lacks the format field");
    parse_format(tokens[1].text, sig, at);
    sig.adc_resolution_bits = sig.format == 212 ? 12 : 16;
    GainField gain;
    if (tokens.size() >= 3) gain = parse_gain(tokens[2].text, at);
    if (tokens.size() >= 4) {
      sig.adc_resolution_bits = parse_int<int>(tokens[3].text, at, "ADC resolution");
      if (sig.adc_resolution_bits < 0 || sig.adc_resolution_bits > 32) {
        at.fail("ADC resolution out of range: '" + std::string(tokens[3].text) + "'");
      }
    }
    if (tokens.size() >= 5) sig.adc_zero = parse_int<std::int32_t>(tokens[4].text, at, "ADC zero");
    if (tokens.size() >= 6) {
      sig.initial_value = parse_int<std::int32_t>(tokens[5].text, at, "initial value");
    }
    if (tokens.size() >= 7) sig.checksum = parse_int<std::int32_t>(tokens[6].text, at, "checksum");
    if (tokens.size() >= 8) (void)parse_int<std::int64_t>(tokens[7].text, at, "block size");
    if (tokens.size() >= 9) sig.description = std::string(trim(line.substr(tokens[8].begin)));
    // WFDB: a gain of 0 means "uncalibrated"; the library then uses the default 200 adu/mV.
    sig.adc_gain_per_mv = gain.gain > 0 ? gain.gain : 200.0;
    sig.baseline_adu = gain.baseline.value_or(sig.adc_zero);
    if (gain.units) sig.units = *gain.units;
    header.signals.push_back(std::move(sig));
  }
  if (!have_record_line) throw Error(source + ": no record line (empty header)");
  if (static_cast<int>(header.signals.size()) != n_signals) {
    throw Error(source + ":" + std::to_string(record_line_no) + ": record line declares " +
                std::to_string(n_signals) + " signals but " +
                std::to_string(header.signals.size()) + " signal lines follow");
  }
  return header;
}

}  // namespace gc::wfdb
