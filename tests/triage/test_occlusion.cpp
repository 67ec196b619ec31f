// Issue 12: the voltages are necessary, not sufficient. Each rule of occlusion.hpp, the Brugada
// type-1 criterion, the sex-unknown policy, "normal means normal" and the statement vocabulary,
// each with a case that the previous rules read differently.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>

#include "fixtures.hpp"
#include "gc/dsp.hpp"
#include "gc/record_input.hpp"

using namespace gc::triage;
using namespace gc::triage::test;

namespace {

// A man of 45 with 0.25 mV ST elevation in V2–V3 rising to 0.30 mV at J+60 into a 0.6 mV T wave:
// meets the voltage criteria (0.20 mV), too little T for the old early-repolarisation rule
// (ST/T 0.42 ≥ 0.25), so the voltage-only read called it an anteroseptal STEMI.
gc::dsp::Analysis anterior_ste(double st_uv = 250) {
  auto a = normal_ecg();
  for (const char* l : {"V2", "V3"}) {
    lead(a, l).st_j_uv = st_uv;
    lead(a, l).st_j60_uv = st_uv + 50;
    lead(a, l).t_amplitude_uv = 600;
  }
  return a;
}

std::set<std::string> codes(const Finding& f) {
  std::set<std::string> out;
  for (const auto& s : f.statements) out.insert(s.code);
  return out;
}

}  // namespace

TEST_CASE("occlusion: concave ST elevation without reciprocity → urgent normal-variant read",
          "[triage][occlusion]") {
  auto a = anterior_ste();
  set_concave(a, "V2", 0.30);
  set_concave(a, "V3", 0.22);
  const auto f = evaluate(a, patient(Sex::male, 45));
  CAPTURE(f.explanation_en);
  CHECK(f.category == Category::confounded);
  CHECK(has(f.confounders, "normal_variant"));
  CHECK_FALSE(f.stemi);
  CHECK(f.tier == Tier::urgent);  // never dropped: a human reads it now
  CHECK(f.route_to_human);
  CHECK(elevated_leads(f) == std::vector<std::string>{"V2", "V3"});
  CHECK(contains(f.explanation_en, "no reciprocal ST depression"));
  CHECK(contains(f.explanation_en, "concave ST segment V2, V3"));
  CHECK(contains(f.explanation_zh, "早复极"));
  const auto c = codes(f);
  CHECK(c.count("normal_variant"));
  CHECK(c.count("concave_st"));
  CHECK(c.count("no_reciprocal_std"));
}

TEST_CASE("occlusion: the same elevation with reciprocal inferior depression → critical STEMI",
          "[triage][occlusion]") {
  auto a = anterior_ste();
  set_concave(a, "V2", 0.30);
  set_concave(a, "V3", 0.22);
  set_st(a, {"II", "III", "aVF"}, -80);
  const auto f = evaluate(a, patient(Sex::male, 45));
  CAPTURE(f.explanation_en);
  CHECK(f.category == Category::stemi);
  CHECK(f.tier == Tier::critical);
  CHECK(codes(f).count("reciprocal_std"));
}

TEST_CASE("occlusion: concave elevation ≥ 1.75 × the criterion is beyond a normal variant",
          "[triage][occlusion]") {
  auto a = anterior_ste(360);  // 1.8 × 0.20 mV
  set_concave(a, "V2", 0.30);
  set_concave(a, "V3", 0.22);
  const auto f = evaluate(a, patient(Sex::male, 45));
  CHECK(f.tier == Tier::critical);
  CHECK(codes(f).count("ste_beyond_normal_range"));
  // 0.34 mV is below 1.75 × 0.20: the normal-variant read stands.
  auto b = anterior_ste(340);
  set_concave(b, "V2", 0.30);
  set_concave(b, "V3", 0.22);
  CHECK(evaluate(b, patient(Sex::male, 45)).tier == Tier::urgent);
}

TEST_CASE("occlusion: a straight ST segment outside Smith's domain supports occlusion",
          "[triage][occlusion]") {
  auto a = normal_ecg();
  set_st(a, {"I", "aVL", "V5", "V6"}, 150);  // flat → straight (fixtures.hpp)
  auto f = evaluate(a, patient(Sex::male, 60));
  CHECK(f.tier == Tier::critical);
  CHECK(codes(f).count("straight_st"));
  // The same elevation curving up into its T waves: no evidence beyond the voltage.
  for (const char* l : {"I", "aVL", "V5", "V6"}) set_concave(a, l, 0.2);
  f = evaluate(a, patient(Sex::male, 60));
  CHECK(f.tier == Tier::urgent);
  CHECK(has(f.confounders, "normal_variant"));
}

TEST_CASE("occlusion: Smith's formula decides in its domain when the ST is not concave",
          "[triage][occlusion]") {
  // Straight anterior ST elevation, big QRS, tall R in V4 and a short QTc: score < 18.2.
  auto a = anterior_ste();
  set_st(a, "V2", 250);
  set_st(a, "V3", 250);
  a.global.qtc_ms = 370;
  set_qrs(a, "V2", 0, 900, -1800);
  set_qrs(a, "V4", 0, 2200, -300);
  auto f = evaluate(a, patient(Sex::male, 45));
  CAPTURE(f.explanation_en);
  CHECK(f.tier == Tier::urgent);
  CHECK(codes(f).count("smith_early_repolarization"));
  // Long QTc, small QRS: score ≥ 18.2 → critical.
  a.global.qtc_ms = 460;
  set_qrs(a, "V2", 0, 300, -700);
  set_qrs(a, "V4", 0, 500, -300);
  f = evaluate(a, patient(Sex::male, 45));
  CHECK(f.tier == Tier::critical);
  CHECK(codes(f).count("smith_lad_occlusion"));
}

TEST_CASE("occlusion: elevation in posterior or right-sided leads stays critical",
          "[triage][occlusion]") {
  auto a = normal_ecg(true);
  set_st(a, {"V3R", "V4R"}, 80);
  for (const char* l : {"V3R", "V4R"}) set_concave(a, l, 0.3);
  const auto f = evaluate(a, patient(Sex::male, 60));
  CHECK(f.tier == Tier::critical);
  CHECK(codes(f).count("ste_extra_leads"));
}

TEST_CASE("sex unknown: the women's V2–V3 threshold routes to a human, a man's may page",
          "[triage][occlusion][threshold]") {
  auto a = anterior_ste(170);
  set_st(a, {"II", "III", "aVF"}, -80);  // occlusion supported by reciprocity
  auto f = evaluate(a, patient(Sex::unknown, std::nullopt));
  CHECK(f.category == Category::stemi);
  CHECK(f.tier == Tier::urgent);
  CHECK(codes(f).count("thresholds_sex_unknown"));
  CHECK(evaluate(a, patient(Sex::female, 60)).tier == Tier::critical);
  auto b = anterior_ste(250);
  set_st(b, {"II", "III", "aVF"}, -80);
  CHECK(evaluate(b, patient(Sex::unknown, std::nullopt)).tier == Tier::critical);
}

TEST_CASE("Brugada type 1: coved ST from a high take-off into a negative T", "[triage][brugada]") {
  auto a = normal_ecg();
  // V1: the QRS ends on a 0.35 mV r′ (no S after it), the ST is still 0.15 mV up at J and falls
  // to 0.02 mV by J+60 into a negative T — coved. The old rule wanted ≥ 0.2 mV at J itself.
  set_qrs(a, "V1", -300, 350, 0);
  lead(a, "V1").st_j_uv = 150;
  lead(a, "V1").st_j60_uv = 20;
  lead(a, "V1").t_amplitude_uv = -200;
  const auto f = evaluate(a, patient(Sex::male, 30));
  CAPTURE(f.explanation_en);
  CHECK(f.category == Category::confounded);
  CHECK(has(f.confounders, "brugada"));
  CHECK(codes(f).count("brugada_type1"));

  // RBBB's tall terminal R′ returns to baseline before J: not Brugada.
  auto r = normal_ecg();
  r.global.qrs_duration_ms = 130;
  set_qrs(r, "V1", 0, 700, 0);
  lead(r, "V1").st_j_uv = 20;
  lead(r, "V1").st_j60_uv = -50;
  lead(r, "V1").t_amplitude_uv = -200;
  CHECK_FALSE(has(evaluate(r, patient(Sex::male, 30)).confounders, "brugada"));
}

TEST_CASE("Brugada-like: ST elevation V1–V2 that decays from the J point is not paged as a STEMI",
          "[triage][brugada]") {
  // V1 and V2 elevated at J, falling back by J+60 (V1 loses 0.8 of 1.4 mm): the decaying tail of
  // the terminal QRS, below the type-1 voltages (no 2 mm take-off in V1). With inferior ST
  // depression the occlusion rules alone would call a critical septal STEMI.
  auto a = normal_ecg();
  lead(a, "V1").st_j_uv = 140;
  lead(a, "V1").st_j60_uv = 60;
  lead(a, "V2").st_j_uv = 280;
  lead(a, "V2").st_j60_uv = 220;
  lead(a, "V2").t_amplitude_uv = 300;
  set_st(a, {"II", "III", "aVF"}, -60);
  const auto f = evaluate(a, patient(Sex::male, 40));
  CAPTURE(f.explanation_en);
  CHECK(f.category == Category::confounded);
  CHECK(has(f.confounders, "brugada_like"));
  CHECK_FALSE(has(f.confounders, "brugada"));  // type 1 is not claimed
  CHECK(f.tier == Tier::urgent);               // never dropped: a human reads it now
  CHECK(f.route_to_human);
  CHECK(codes(f).count("brugada_like_st"));
  CHECK(contains(f.explanation_zh, "Brugada"));

  // An injury current on the same baseline lifts the whole plateau: the ST keeps most of its
  // J-point elevation at J+60 (V1 loses 0.8 of 3.4 mm) — still a critical STEMI.
  auto occl = a;
  for (const char* l : {"V1", "V2"}) {
    lead(occl, l).st_j_uv += 200;
    lead(occl, l).st_j60_uv += 200;
  }
  const auto g = evaluate(occl, patient(Sex::male, 40));
  CAPTURE(g.explanation_en);
  CHECK(g.category == Category::stemi);
  CHECK(g.tier == Tier::critical);

  // Elevation reaching V4 is not confined to the right precordial leads: the rule does not apply.
  auto wide = a;
  lead(wide, "V3").st_j_uv = 260;
  lead(wide, "V3").st_j60_uv = 280;
  lead(wide, "V4").st_j_uv = 220;
  lead(wide, "V4").st_j60_uv = 260;
  CHECK_FALSE(has(evaluate(wide, patient(Sex::male, 40)).confounders, "brugada_like"));

  // An ST that rises in V2 (the upsloping ST of occlusion or early repolarisation) is not it.
  auto rising = a;
  lead(rising, "V2").st_j60_uv = 320;
  CHECK_FALSE(has(evaluate(rising, patient(Sex::male, 40)).confounders, "brugada_like"));
}

TEST_CASE("Brugada-like: a real spontaneous-pattern ECG at 100 Hz (Brugada-HUCA 188981)",
          "[triage][brugada][real]") {
  const std::filesystem::path hea =
      std::filesystem::path(GC_ECG_DATA_DIR) / "brugada-huca" / "188981.hea";
  if (!std::filesystem::exists(hea)) {
    WARN("no " << hea << " — skipped");
    return;
  }
  const auto a = gc::dsp::analyze(gc::eval::load_record(hea).block);
  // Read both as shipped (no age/sex in the database) and as its typical patient.
  for (const auto& p : {patient(Sex::unknown, std::nullopt), patient(Sex::male, 40)}) {
    const auto f = evaluate(a, p);
    CAPTURE(f.explanation_en);
    CHECK(f.tier != Tier::critical);
    CHECK(f.route_to_human);
    CHECK(has(f.confounders, "brugada_like"));
  }
}

TEST_CASE("normal means normal: what is outside normal limits is named", "[triage][normal]") {
  CHECK(evaluate(normal_ecg(), patient(Sex::male, 50)).category == Category::normal);
  CHECK(codes(evaluate(normal_ecg(), patient(Sex::male, 50))).count("NORM"));

  auto a = normal_ecg();
  set_st(a, {"II", "aVF"}, 60);  // 0.06 mV in two contiguous leads, below the criteria
  auto f = evaluate(a, patient(Sex::male, 50));
  CHECK(f.category == Category::abnormal);
  CHECK(codes(f).count("st_deviation"));

  auto t = normal_ecg();
  lead(t, "V5").t_amplitude_uv = -150;
  lead(t, "V6").t_amplitude_uv = -120;
  f = evaluate(t, patient(Sex::male, 50));
  CHECK(f.category == Category::abnormal);
  CHECK(contains(f.explanation_en, "inverted T waves V5, V6"));

  auto iii = normal_ecg();  // a negative T in III alone is normal
  lead(iii, "III").t_amplitude_uv = -150;
  CHECK(evaluate(iii, patient(Sex::male, 50)).category == Category::normal);

  auto q = normal_ecg();
  a.global.qtc_ms = 420;
  q.global.qtc_ms = 505;
  f = evaluate(q, patient(Sex::female, 50));
  CHECK(f.category == Category::abnormal);
  CHECK(codes(f).count("qtc_out_of_range"));

  // A QT the analysis could not measure (T end doubted) is named, not passed as normal.
  auto unmeasured = normal_ecg();
  unmeasured.global.qt_ms.reset();
  unmeasured.global.qtc_ms.reset();
  f = evaluate(unmeasured, patient(Sex::male, 50));
  CHECK(f.category == Category::abnormal);
  CHECK(f.tier == Tier::routine);
  CHECK(codes(f).count("qt_not_measured"));
  CHECK_FALSE(codes(f).count("NORM"));
  CHECK(contains(f.explanation_en, "QT not measured (T end uncertain): measure QT by hand"));
  CHECK(contains(f.explanation_zh, "QT 未能测量"));
}

TEST_CASE("pacing not assessable at a low sample rate is stated in the read", "[triage][pacing]") {
  auto a = normal_ecg();
  a.sample_rate_hz = 100;
  a.global.pacing_assessable = false;
  const auto f = evaluate(a, patient(Sex::male, 50));
  bool said = false;
  for (const auto& n : f.notes) said = said || contains(n, "250 Hz");
  CHECK(said);
  CHECK(codes(f).count("pacing_not_assessable"));
}

TEST_CASE("statement vocabulary: every code unique, with English and Chinese text",
          "[triage][statements]") {
  std::set<std::string> seen;
  for (const auto& row : statement_vocabulary()) {
    CAPTURE(row.code);
    CHECK(seen.insert(row.code).second);
    CHECK_FALSE(row.text_en.empty());
    CHECK_FALSE(row.text_zh.empty());
    CHECK((row.scheme == "SCP-ECG" || row.scheme == "greenchannel"));
  }
  // The SCP-ECG codes are PTB-XL's (scp_statements.csv, first column), when the data is here.
  const auto csv = std::filesystem::path(GC_ECG_DATA_DIR) / "ptbxl" / "scp_statements.csv";
  if (!std::filesystem::exists(csv)) {
    WARN("PTB-XL scp_statements.csv not available at " << csv.string());
    return;
  }
  std::set<std::string> scp;
  std::ifstream in(csv);
  for (std::string line; std::getline(in, line);) scp.insert(line.substr(0, line.find(',')));
  for (const auto& row : statement_vocabulary()) {
    if (row.scheme == "SCP-ECG") {
      CAPTURE(row.code);
      CHECK(scp.count(row.code));
    }
  }
}

TEST_CASE("every statement of a read has its text from the table", "[triage][statements]") {
  std::vector<Finding> findings;
  auto a = anterior_ste();
  set_concave(a, "V2", 0.3);
  findings.push_back(evaluate(a, patient(Sex::male, 45)));
  set_st(a, {"II", "III", "aVF"}, -80);
  findings.push_back(evaluate(a, patient(Sex::unknown, std::nullopt)));
  findings.push_back(evaluate(normal_ecg(), patient(Sex::female, 70)));
  std::set<std::string> vocabulary;
  for (const auto& row : statement_vocabulary()) vocabulary.insert(row.code);
  for (const auto& f : findings) {
    CHECK_FALSE(f.statements.empty());
    for (const auto& s : f.statements) {
      CAPTURE(s.code, s.text_en);
      CHECK(vocabulary.count(s.code));
      CHECK_FALSE(s.text_en.empty());
      CHECK_FALSE(s.text_zh.empty());
      CHECK(s.text_en.find('{') == std::string::npos);
    }
  }
}
