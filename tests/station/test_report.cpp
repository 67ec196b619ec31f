// Issue 15: the cardiologist's signed report as coded statements (the automatic read confirmed as
// it is, or amended) plus free text, append-only with the signer and the server's time. Both
// backends.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <functional>

#include "station_fixture.hpp"

using namespace gc::station::test;

namespace {

std::string code_of(const Reply& r) {
  return std::string(r.json().at("code").as_string());
}

// The automatic read of an anterior STEMI as the analysis contract stores it.
void store_read(Fixture& fx, std::int64_t study_id) {
  const json::array statements{
      json::object{{"code", "STE_"},
                   {"scheme", "SCP-ECG"},
                   {"leads", json::array{"V2", "V3", "V4"}},
                   {"values", json::object{{"st_uv", 350}}},
                   {"text_en", "ST elevation V2, V3, V4 (max 0.35 mV (3.5 mm))"},
                   {"text_zh", "V2、V3、V4 ST 段抬高（最大 0.35 mV (3.5 mm)）"}},
      json::object{{"code", "AMI"},
                   {"scheme", "SCP-ECG"},
                   {"leads", json::array{"V2", "V3", "V4"}},
                   {"values", json::object{}},
                   {"text_en", "acute anterior myocardial infarction (STEMI) V2, V3, V4"},
                   {"text_zh", "急性前壁心肌梗死（STEMI）V2、V3、V4"}}};
  fx.store->save_analysis(
      study_id, "stemi", "critical",
      json::serialize(json::object{
          {"finding", json::object{{"category", "stemi"}, {"statements", statements}}}}));
}

// The text of a PDF (poppler's pdftotext), or nullopt where it is not installed.
std::optional<std::string> pdf_text(const std::filesystem::path& dir, const std::string& pdf) {
  const auto path = dir / "report.pdf";
  {
    std::ofstream out(path, std::ios::binary);
    out << pdf;
  }
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(
      ::popen(("pdftotext -layout '" + path.string() + "' - 2>/dev/null").c_str(), "r"), ::pclose);
  if (!pipe) return std::nullopt;
  std::string text;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe.get())) > 0;) text.append(buf, n);
  if (::pclose(pipe.release()) != 0) return std::nullopt;
  return text;
}

// The live channel of a logged-in client: the next message of `type` (others skipped).
json::object next_message(std::uint16_t port, const std::string& cookie, const std::string& type,
                          const std::function<void()>& after_hello) {
  asio::io_context io;
  websocket::stream<beast::tcp_stream> ws{io};
  beast::get_lowest_layer(ws).connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  ws.set_option(websocket::stream_base::decorator([cookie](websocket::request_type& req) {
    req.set(http::field::cookie, "gc_session=" + cookie);
  }));
  ws.handshake("127.0.0.1:" + std::to_string(port), "/ws");
  for (bool hello = false;;) {
    beast::get_lowest_layer(ws).expires_after(std::chrono::seconds(10));
    beast::flat_buffer buffer;
    ws.read(buffer);
    auto msg = json::parse(beast::buffers_to_string(buffer.data())).as_object();
    if (!hello && msg.at("type") == "hello") {
      hello = true;
      after_hello();
    } else if (msg.at("type").as_string() == type) {
      return msg;
    }
  }
}

std::vector<std::string> codes_of(const json::value& report) {
  std::vector<std::string> out;
  for (const auto& s : report.at("statements").as_array()) {
    out.emplace_back(s.at("code").as_string());
  }
  return out;
}

}  // namespace

TEST_CASE("signed report: confirm the read, amend it with coded statements, corrections append",
          "[station][report]") {
  const auto backend = GC_BACKENDS;
  INFO(gc::storage::test::backend_name(backend));
  Fixture fx(true, nullptr, {}, backend);
  const auto s = fx.seed("uid-r1", "p-r1", "critical", kStartMs);
  store_read(fx, s.study_id);
  const auto base = "/api/studies/" + std::to_string(s.study_id);
  {
    const auto store = gc::storage::StationStore::open(fx.db());
    gc::storage::UserChange name;
    name.display_name_zh = "李医生";
    REQUIRE(store->change_user("dr_li", name, kStartMs, "test") ==
            gc::storage::UserChangeResult::ok);
  }
  auto doc = fx.client();
  REQUIRE(doc.login("dr_li").status == 200);

  // The vocabulary the report is written in: every code of the read, words in both languages.
  const auto vocab = doc.get("/api/statements");
  REQUIRE(vocab.status == 200);
  const auto vocab_json = vocab.json();
  const auto& entries = vocab_json.at("statements").as_array();
  CHECK(entries.size() > 40);
  bool has_imi = false;
  for (const auto& e : entries) {
    if (e.at("code") == "IMI") has_imi = e.at("text_zh").as_string().find("下壁") != std::string::npos;
  }
  CHECK(has_imi);

  // Confirmed as it is: the read's statements, words and values kept.
  fx.now += 60'000;
  const auto confirmed = doc.post(base + "/diagnosis", R"({"basis":"confirmed"})");
  REQUIRE(confirmed.status == 201);
  const auto first = confirmed.json().at("report");
  CHECK(first.at("basis") == "confirmed");
  CHECK(codes_of(first) == std::vector<std::string>{"STE_", "AMI"});
  CHECK(first.at("statements").at(0).at("text_en") == "ST elevation V2, V3, V4 (max 0.35 mV (3.5 mm))");
  CHECK(first.at("statements").at(0).at("from_read") == true);
  CHECK(first.at("signer") == "dr_li");
  CHECK(first.at("signer_display_name") == "李医生");
  CHECK(first.at("signed_ms").as_int64() == kStartMs + 60'000);  // the server's clock
  CHECK(first.at("current") == true);

  // "Confirmed" with statements that are not the read's is refused: that is an amendment.
  const auto mismatch = doc.post(
      base + "/diagnosis",
      R"({"basis":"confirmed","statements":[{"code":"STE_","leads":["V2","V3","V4"]}]})");
  CHECK(mismatch.status == 400);
  CHECK(code_of(mismatch) == "basis_mismatch");

  // Amended: one statement of the read kept (its leads in another order), one added from the
  // vocabulary with leads, free text; a client's own words for a statement are not taken.
  fx.now += 60'000;
  const auto amended = doc.post(base + "/diagnosis", R"({"basis":"amended",
      "statements":[{"code":"STE_","leads":["V4","V2","V3"]},
                    {"code":"reciprocal_std","leads":["III","aVF"],"text_en":"forged"},
                    {"code":"ALMI","leads":["V1","V2","V3","V4","V5","V6","I","aVL"]}],
      "text":"LAD occlusion likely; activate the cath lab 建议启动导管室"})");
  REQUIRE(amended.status == 201);
  const auto second = amended.json().at("report");
  CHECK(second.at("basis") == "amended");
  CHECK(codes_of(second) == std::vector<std::string>{"STE_", "reciprocal_std", "ALMI"});
  CHECK(second.at("statements").at(0).at("from_read") == true);
  CHECK(second.at("statements").at(1).at("from_read") == false);
  CHECK(second.at("statements").at(1).at("text_en") == "reciprocal ST↓ III, aVF");
  CHECK(second.at("statements").at(1).at("text_zh") == "对应导联 III、aVF ST 段压低");
  CHECK(second.at("text") == "LAD occlusion likely; activate the cath lab 建议启动导管室");
  CHECK(second.at("corrects_seq") == first.at("event_seq"));
  // Leads in the order of the printed ECG, whatever order they were given in.
  CHECK(second.at("statements").at(2).at("leads") ==
        json::array{"I", "aVL", "V1", "V2", "V3", "V4", "V5", "V6"});
  CHECK(second.at("statements").at(2).at("text_en") ==
        "acute extensive anterior / anterolateral myocardial infarction (STEMI) I, aVL, V1, V2, V3, "
        "V4, V5, V6");

  // The study shows every report, newest first; the earlier one superseded, not changed.
  const auto study = doc.get(base).json();
  const auto& reports = study.at("reports").as_array();
  REQUIRE(reports.size() == 2);
  CHECK(reports[0].at("event_seq") == second.at("event_seq"));
  CHECK(reports[0].at("current") == true);
  CHECK(reports[1].at("current") == false);
  CHECK(reports[1].at("superseded_by") == second.at("event_seq"));
  CHECK(reports[1].at("basis") == "confirmed");
  const auto listed = doc.get(base + "/diagnosis");
  REQUIRE(listed.status == 200);
  CHECK(listed.json().at("reports").as_array().size() == 2);

  // The PDF prints the current report: its statements in both languages and the signer.
  {
    const auto pdf = doc.get(base + "/export.pdf");
    REQUIRE(pdf.status == 200);
    const auto text = pdf_text(fx.dir.path(), pdf.body);
    if (text) {
      INFO(*text);
      CHECK(text->find("李医生 (dr_li)") != std::string::npos);
      CHECK(text->find("Amended 修改后诊断") != std::string::npos);
      CHECK(text->find("ST elevation V2, V3, V4") != std::string::npos);
    } else {
      WARN("pdftotext not available: the PDF's text is not checked");
    }
  }

  // An old client's free text still works (an amended report without statements); every
  // station showing the study hears of it on the live channel.
  fx.now += 60'000;
  Reply old_client;
  auto watcher = fx.client();
  REQUIRE(watcher.login("coord").status == 200);
  const auto pushed = next_message(fx.station->port(), watcher.cookie(), "report", [&] {
    old_client = doc.post(base + "/diagnosis", R"({"text":"anterior STEMI"})");
  });
  REQUIRE(old_client.status == 201);
  CHECK(pushed.at("study_id").as_int64() == s.study_id);
  CHECK(pushed.at("event_seq") == old_client.json().at("event_seq"));
  CHECK(old_client.json().at("report").at("basis") == "amended");
  CHECK(old_client.json().at("report").at("statements").as_array().empty());

  CHECK(doc.get(base + "/export.pdf").status == 200);  // a free-text report prints too

  // Audited, with the basis.
  std::size_t signed_rows = 0;
  for (const auto& r : fx.audit()) {
    if (r.action == "diagnosis" && r.actor == "station:dr_li" &&
        r.target == std::to_string(s.study_id)) {
      ++signed_rows;
    }
  }
  CHECK(signed_rows == 3);
}

TEST_CASE("signed report: unknown codes, bad leads, empty reports and other roles refused",
          "[station][report]") {
  const auto backend = GC_BACKENDS;
  INFO(gc::storage::test::backend_name(backend));
  Fixture fx(true, nullptr, {}, backend);
  const auto s = fx.seed("uid-r2", "p-r2", "critical", kStartMs);
  const auto bare = fx.seed("uid-r3", "p-r3", "urgent", kStartMs);  // its read has no statements
  store_read(fx, s.study_id);
  const auto base = "/api/studies/" + std::to_string(s.study_id);
  auto doc = fx.client();
  REQUIRE(doc.login("dr_li").status == 200);

  const auto unknown = doc.post(base + "/diagnosis", R"({"statements":[{"code":"XYZ"}]})");
  CHECK(unknown.status == 400);
  CHECK(code_of(unknown) == "unknown_statement");
  CHECK(unknown.json().at("error").as_string().find("XYZ") != std::string::npos);
  const auto bad_lead =
      doc.post(base + "/diagnosis", R"({"statements":[{"code":"STE_","leads":["V13"]}]})");
  CHECK(bad_lead.status == 400);
  CHECK(bad_lead.json().at("error").as_string().find("V13") != std::string::npos);
  CHECK(doc.post(base + "/diagnosis", R"({"statements":[{"code":"NORM","leads":["V1"]}]})")
            .status == 400);  // NORM names no leads
  CHECK(doc.post(base + "/diagnosis", R"({"statements":[{"code":"wide_qrs"}]})").status ==
        400);  // the read's own note, not added by hand
  CHECK(doc.post(base + "/diagnosis",
                 R"({"statements":[{"code":"IMI","leads":["II"]},{"code":"IMI","leads":["II"]}]})")
            .status == 400);
  CHECK(doc.post(base + "/diagnosis", R"({"statements":[],"text":"  "})").status == 400);
  CHECK(doc.post(base + "/diagnosis", R"({"basis":"maybe","text":"x"})").status == 400);
  // A read without statements confirmed with nothing to say is no report.
  CHECK(doc.post("/api/studies/" + std::to_string(bare.study_id) + "/diagnosis",
                 R"({"basis":"confirmed"})")
            .status == 400);

  for (const std::string who : {"coord", "admin"}) {
    auto c = fx.client();
    REQUIRE(c.login(who).status == 200);
    const auto r = c.post(base + "/diagnosis", R"({"basis":"confirmed"})");
    CHECK(r.status == 403);
    CHECK(code_of(r) == "forbidden");
  }
  CHECK(doc.get(base).json().at("reports").as_array().empty());  // nothing was signed
}
