// The sentences of the read come from one table (triage/src/phrases.cpp): every phrase has English
// and Chinese with the same placeholders, rendering checks its arguments, and no rule file spells
// Chinese words of its own (the words live in the tables, apart from the logic).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "../../triage/src/phrases.hpp"

using namespace gc::triage::detail;

namespace {

// True when `s` holds a CJK ideograph (U+4E00–U+9FFF: UTF-8 lead bytes 0xE4–0xE9).
bool has_cjk(const std::string& s) {
  for (std::size_t i = 0; i + 2 < s.size(); ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b >= 0xE4 && b <= 0xE9) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("phrase table: every phrase in English and Chinese with the same placeholders",
          "[triage][phrases]") {
  // Phrases that are the same in both languages (a lead and a value; a bare comparison).
  const std::set<std::string> language_neutral = {"lead_st", "tqrs_not_acute"};
  std::set<std::string> keys;
  for (const auto& row : phrase_table()) {
    const std::string key(row.key);
    CAPTURE(key, row.en, row.zh);
    CHECK(keys.insert(key).second);
    CHECK_FALSE(row.en.empty());
    CHECK_FALSE(row.zh.empty());
    CHECK_FALSE(has_cjk(std::string(row.en)));
    if (!language_neutral.count(key)) CHECK(has_cjk(std::string(row.zh)));
    auto en = placeholders(row.en);
    auto zh = placeholders(row.zh);
    CHECK(std::set<std::string>(en.begin(), en.end()) == std::set<std::string>(zh.begin(), zh.end()));
    // Rendered with every placeholder given, nothing of the template syntax is left.
    std::vector<std::pair<std::string_view, Arg>> storage;
    for (const auto& name : en) storage.emplace_back(name, Arg("X", "甲"));
    Words w;
    switch (storage.size()) {
      case 0: w = say(key); break;
      case 1: w = say(key, {storage[0]}); break;
      case 2: w = say(key, {storage[0], storage[1]}); break;
      case 3: w = say(key, {storage[0], storage[1], storage[2]}); break;
      case 4: w = say(key, {storage[0], storage[1], storage[2], storage[3]}); break;
      case 5: w = say(key, {storage[0], storage[1], storage[2], storage[3], storage[4]}); break;
      default: FAIL("a phrase with more than 5 placeholders: extend this test");
    }
    CHECK(w.en.find('{') == std::string::npos);
    CHECK(w.zh.find('{') == std::string::npos);
    if (!en.empty()) {
      CHECK(w.en.find('X') != std::string::npos);
      CHECK(w.zh.find("甲") != std::string::npos);
    }
  }
}

TEST_CASE("phrases: arguments are checked and lead lists follow each language",
          "[triage][phrases]") {
  const auto w = say("isolated_ste", {{"leads", Arg::leads({"V2", "-aVR"})}});
  CHECK(w.en == "ST↑ in V2, −aVR without a contiguous lead");
  CHECK(w.zh == "V2、−aVR ST 段抬高，但无相邻导联");
  CHECK(say("wide_qrs", {{"qrs", Arg::ms(131.6)}}).en == "wide QRS 132 ms");
  CHECK(say("lead_st", {{"lead", "V3"}, {"st", Arg::mv(-250)}}).en == "V3 0.25 mV (2.5 mm)");
  CHECK_THROWS_AS(say("no such phrase"), std::logic_error);
  CHECK_THROWS_AS(say("isolated_ste"), std::logic_error);  // {leads} missing
  CHECK_THROWS_AS(say("normal_read", {{"leads", "V1"}}), std::logic_error);  // not used

  Words read = join_clauses({say("lvh_voltage"), say("atrial_pacing")});
  CHECK(read.en == "LVH voltage criteria; pacing spikes with narrow QRS (atrial pacing): ST "
                   "criteria apply");
  CHECK(read.zh == "左心室高电压；起搏信号、QRS 不宽（心房起搏），STEMI 标准适用");
  Words empty;
  append_clause(empty, say("lvh_voltage"));
  CHECK(empty.en == "LVH voltage criteria");
}

TEST_CASE("the rule files spell no words of their own: Chinese text only in the tables",
          "[triage][phrases]") {
  // The tables: statements (coded statements), phrases (sentences), read_text (confounder and
  // quality-problem names), names (territories). Every other file is logic.
  const std::set<std::string> tables = {"statements.cpp", "phrases.cpp", "read_text.cpp",
                                        "names.cpp"};
  const auto dir = std::filesystem::path(GC_SOURCE_DIR) / "triage" / "src";
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const auto name = entry.path().filename().string();
    if (tables.count(name)) continue;
    ++files;
    std::ifstream in(entry.path());
    int line_no = 0;
    for (std::string line; std::getline(in, line);) {
      ++line_no;
      const auto comment = line.find("//");
      const std::string code = comment == std::string::npos ? line : line.substr(0, comment);
      CAPTURE(name, line_no, line);
      CHECK_FALSE(has_cjk(code));
    }
  }
  CHECK(files >= 12);
}
