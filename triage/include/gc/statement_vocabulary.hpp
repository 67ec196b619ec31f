// statement_vocabulary — the coded statements of the automatic read, for modules that let a
// physician write a report in the same vocabulary (the station's signed report). The words come
// from the read's own statement table (triage/src/statements.cpp): a statement a cardiologist
// signs reads exactly like the one the read emits.
//
// A reader's statement has leads but no measured value: a template's value clause is dropped —
// a parenthesis holding {value} goes whole ("ST elevation {leads} (max {value})" → "ST elevation
// V2, V3"), a bare {value} goes with its space ("QTc {value} outside 340–470 ms" → "QTc outside
// 340–470 ms"). The label of an entry is its text rendered with no leads. A few codes are the
// read's notes about its own measurement or policy (QRS duration, sampling rate, unknown sex):
// they keep their place in the vocabulary (an automatic statement may be kept as it is) but are
// not `addable` by hand.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gc::triage {

struct VocabularyEntry {
  std::string code;     // "STE_", "IMI", "reciprocal_std", …
  std::string scheme;   // "SCP-ECG" or "greenchannel"
  std::string text_en;  // rendered with no leads and no value
  std::string text_zh;
  bool takes_leads = false;  // the template names leads
  bool addable = true;       // a reader may add it by hand
};

// Every statement the read may emit, in the table's order.
const std::vector<VocabularyEntry>& vocabulary();
// nullptr when the code is unknown.
const VocabularyEntry* find_vocabulary_entry(std::string_view code);

// A statement as a reader states it: the code's words with these leads (canonical names, shown
// as the read shows them: "−aVR"), no value. nullopt for an unknown code.
struct ReaderStatement {
  std::string code;
  std::string scheme;
  std::vector<std::string> leads;
  std::string text_en;
  std::string text_zh;
};
std::optional<ReaderStatement> reader_statement(std::string_view code,
                                                const std::vector<std::string>& leads);

}  // namespace gc::triage
