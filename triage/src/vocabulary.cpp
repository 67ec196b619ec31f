// The statement vocabulary for readers (gc/statement_vocabulary.hpp): the read's statement table
// rendered without measured values.
#include "gc/statement_vocabulary.hpp"

#include <algorithm>
#include <array>

#include "statements.hpp"
#include "text.hpp"

namespace gc::triage {

namespace {

// The read's notes about its own measurements and policy: meaningless without the read's value.
constexpr std::array<std::string_view, 4> kNotAddable{
    "wide_qrs", "short_qrs", "thresholds_sex_unknown", "pacing_not_assessable"};

// Drops the value clause of a template (see the header) and fills {leads}.
std::string render(std::string_view tmpl, const std::string& leads) {
  std::string out(tmpl);
  for (const auto& [open, close] : {std::pair<std::string_view, std::string_view>{"(", ")"},
                                    std::pair<std::string_view, std::string_view>{"（", "）"}}) {
    for (auto v = out.find("{value}"); v != std::string::npos; v = out.find("{value}", v)) {
      const auto a = out.rfind(open, v);
      const auto b = out.find(close, v);
      if (a == std::string::npos || b == std::string::npos ||
          out.find(close, a) < v) {  // not inside a parenthesis of this kind
        v += 7;
        continue;
      }
      auto from = a;
      while (from > 0 && out[from - 1] == ' ') --from;
      out.erase(from, b + close.size() - from);
      v = from;
    }
  }
  for (auto v = out.find("{value}"); v != std::string::npos; v = out.find("{value}")) {
    auto len = std::string_view("{value}").size();
    if (v + len < out.size() && out[v + len] == ' ') ++len;
    out.erase(v, len);
  }
  for (auto p = out.find("{leads}"); p != std::string::npos;
       p = out.find("{leads}", p + leads.size())) {
    out.replace(p, 7, leads);
  }
  // An empty {leads} or a dropped value leaves a double space or a space before punctuation.
  for (auto p = out.find("  "); p != std::string::npos; p = out.find("  ")) out.erase(p, 1);
  for (const std::string_view punct : {" :", " ：", " ,", " )"}) {
    for (auto p = out.find(punct); p != std::string::npos; p = out.find(punct)) out.erase(p, 1);
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  while (!out.empty() && out.front() == ' ') out.erase(0, 1);
  return out;
}

}  // namespace

const std::vector<VocabularyEntry>& vocabulary() {
  static const std::vector<VocabularyEntry> rows = [] {
    std::vector<VocabularyEntry> out;
    for (const auto& r : detail::statement_table()) {
      VocabularyEntry e;
      e.code = std::string(r.code);
      e.scheme = std::string(r.scheme);
      e.text_en = render(r.en, "");
      e.text_zh = render(r.zh, "");
      e.takes_leads = r.en.find("{leads}") != std::string_view::npos;
      e.addable = std::find(kNotAddable.begin(), kNotAddable.end(), r.code) == kNotAddable.end();
      out.push_back(std::move(e));
    }
    return out;
  }();
  return rows;
}

const VocabularyEntry* find_vocabulary_entry(std::string_view code) {
  for (const auto& e : vocabulary()) {
    if (e.code == code) return &e;
  }
  return nullptr;
}

std::optional<ReaderStatement> reader_statement(std::string_view code,
                                                const std::vector<std::string>& leads) {
  const auto* row = detail::find_statement(code);
  if (row == nullptr) return std::nullopt;
  std::vector<std::string> shown;
  for (const auto& l : leads) shown.push_back(detail::display_lead(l));
  return ReaderStatement{std::string(row->code), std::string(row->scheme), leads,
                         render(row->en, detail::join(shown, ", ")),
                         render(row->zh, detail::join(shown, "、"))};
}

}  // namespace gc::triage
