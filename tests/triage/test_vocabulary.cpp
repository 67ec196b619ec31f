// The statement vocabulary for readers (gc/statement_vocabulary.hpp): every code of the read's
// table is there, rendered without a value; leads are filled in as the read shows them.
#include <catch2/catch.hpp>

#include "gc/statement_vocabulary.hpp"
#include "gc/triage.hpp"

using namespace gc::triage;

TEST_CASE("reader vocabulary: every code of the read, no placeholder left", "[triage][vocabulary]") {
  REQUIRE(vocabulary().size() == statement_vocabulary().size());
  for (const auto& e : vocabulary()) {
    INFO(e.code);
    CHECK(!e.text_en.empty());
    CHECK(!e.text_zh.empty());
    CHECK(e.text_en.find('{') == std::string::npos);
    CHECK(e.text_zh.find('{') == std::string::npos);
    CHECK(e.text_en.find("()") == std::string::npos);
    CHECK(e.text_en.find("  ") == std::string::npos);
    CHECK(e.text_en.back() != ' ');
  }
  REQUIRE(find_vocabulary_entry("STE_") != nullptr);
  CHECK(find_vocabulary_entry("STE_")->takes_leads);
  CHECK_FALSE(find_vocabulary_entry("NORM")->takes_leads);
  CHECK_FALSE(find_vocabulary_entry("wide_qrs")->addable);
  CHECK(find_vocabulary_entry("IMI")->addable);
  CHECK(find_vocabulary_entry("NOPE") == nullptr);
}

TEST_CASE("reader statement: leads filled in, the value clause dropped", "[triage][vocabulary]") {
  const auto ste = reader_statement("STE_", {"V2", "V3", "V4"});
  REQUIRE(ste);
  CHECK(ste->text_en == "ST elevation V2, V3, V4");
  CHECK(ste->text_zh == "V2、V3、V4 ST 段抬高");
  CHECK(ste->scheme == "SCP-ECG");
  const auto imi = reader_statement("IMI", {"II", "III", "aVF"});
  CHECK(imi->text_en == "acute inferior myocardial infarction (STEMI) II, III, aVF");
  const auto recip = reader_statement("reciprocal_std", {"-aVR"});
  CHECK(recip->text_en == "reciprocal ST↓ −aVR");
  CHECK(reader_statement("qtc_out_of_range", {})->text_en == "QTc outside 340–470 ms");
  CHECK(reader_statement("smith_lad_occlusion", {})->text_en == "Smith LAD-occlusion score ≥ 18.2");
  CHECK(reader_statement("CLBBB", {})->text_zh == "完全性左束支传导阻滞");
  CHECK_FALSE(reader_statement("NOPE", {}));
}
