// triage internals — the sentences of the read (explanation_en / explanation_zh, notes, culprit
// hints). Rules never spell words: they name a phrase and give its values, and the English and
// Chinese come from one table (phrases.cpp), beside the coded statements' table (statements.cpp).
// A phrase's {name} placeholders are filled from the arguments; an argument is the same in both
// languages (a number, one lead) or differs (lead lists: "V1, V2" / "V1、V2"; nested phrases).
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gc::triage::detail {

// One piece of the read in both languages.
struct Words {
  std::string en, zh;
  bool empty() const { return en.empty() && zh.empty(); }
};

// A phrase argument.
struct Arg {
  std::string en, zh;
  Arg(const char* both) : en(both), zh(both) {}  // NOLINT: implicit on purpose
  Arg(std::string both) : en(both), zh(std::move(both)) {}  // NOLINT
  Arg(Words w) : en(std::move(w.en)), zh(std::move(w.zh)) {}  // NOLINT
  Arg(std::string en_text, std::string zh_text) : en(std::move(en_text)), zh(std::move(zh_text)) {}

  // Leads as displayed ("−aVR" with a real minus): "V1, V2" / "V1、V2".
  static Arg leads(const std::vector<std::string>& leads);
  // "0.35 mV (3.5 mm)"; the sign is dropped (the phrase says ↑ or ↓).
  static Arg mv(double uv);
  // "128 ms".
  static Arg ms(double ms);
  // A plain number with `decimals` decimals ("0.42", "17.3").
  static Arg number(double value, int decimals);
  static Arg count(std::size_t n);
};

using Args = std::initializer_list<std::pair<std::string_view, Arg>>;

// The phrase `key` with its placeholders filled. Throws std::logic_error on an unknown key, a
// placeholder without an argument or an argument the phrase does not use (programming errors,
// caught by the tests, which render every row).
Words say(std::string_view key, Args args = {});

// Items of one read joined as clauses: "a; b" / "a；b".
Words join_clauses(const std::vector<Words>& items);
// Items named in a list: "a, b" / "a、b".
Words join_list(const std::vector<Words>& items);
// `more` after `to` as a further clause ("; " / "；"); just `more` when `to` is empty.
void append_clause(Words& to, const Words& more);
// `more` after `to` as a further sentence (" " / "；").
void append_sentence(Words& to, const Words& more);

// The table, for the tests: every row's key, English and Chinese template.
struct PhraseText {
  std::string_view key, en, zh;
};
const std::vector<PhraseText>& phrase_table();
// The placeholder names of a template, in order of first appearance.
std::vector<std::string> placeholders(std::string_view tmpl);

}  // namespace gc::triage::detail
