// `greenchannel analyze --json` over every record in the shared PhysioNet dev set: the process
// succeeds, prints one JSON object with the contract's keys, sample indices inside the record,
// no NaN (JSON could not carry one), and a finding whose category is one of the six.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "gc/wfdb.hpp"

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

struct CommandResult {
  int status = -1;
  std::string out;
};

CommandResult run(const std::string& command) {
  CommandResult r;
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[65536];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) r.out.append(buffer, n);
  r.status = ::pclose(pipe);
  return r;
}

// The databases of the dev set, one test case each (so that each has its own time limit and ctest
// runs them side by side; under the sanitizers the whole set takes several minutes).
const char* const kDatabases[] = {"brugada-huca", "cinc2021", "cpsc2021", "ludb",
                                  "mitdb",        "ptbdb",    "ptbxl",    "qtdb"};

std::vector<fs::path> headers_under(const fs::path& root) {
  std::vector<fs::path> out;
  if (!fs::exists(root)) return out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file() && e.path().extension() == ".hea") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

void check_contract_on_database(const std::string& database, std::size_t min_records) {
  const auto headers = headers_under(fs::path(GC_ECG_DATA_DIR) / database);
  if (headers.empty()) {
    WARN("no " << database << " records under " GC_ECG_DATA_DIR " — skipped");
    return;
  }
  REQUIRE(headers.size() >= min_records);
  const std::set<std::string> categories = {"stemi",    "stemi_equivalent", "confounded",
                                            "abnormal", "normal",           "poor_quality"};
  for (const auto& hea : headers) {
    INFO(hea.string());
    const auto r = run(std::string(GC_CLI_PATH) + " analyze --json '" + hea.string() + "'");
    REQUIRE(r.status == 0);
    const json::value v = json::parse(r.out);
    const auto& o = v.as_object();
    const auto n_samples = gc::wfdb::read_header(hea).n_samples;
    CHECK(o.at("sample_rate_hz").to_number<double>() > 0);
    CHECK(!o.at("leads").as_array().empty());
    for (const auto& b : o.at("beats").as_array()) {
      const auto r_sample = b.at("r").as_int64();
      CHECK(r_sample >= 0);
      if (n_samples > 0) CHECK(r_sample < n_samples);
      for (const char* key : {"qrs_onset", "qrs_offset", "t_end"}) {
        if (!b.at(key).is_null()) CHECK(b.at(key).as_int64() >= 0);
      }
    }
    const auto& m = o.at("measurements").as_object();
    CHECK(m.contains("heart_rate_bpm"));
    CHECK(m.contains("qrs_duration_ms"));
    for (const auto& lead : m.at("per_lead").as_object()) {
      CHECK(lead.value().as_object().contains("st_j_uv"));
      CHECK(lead.value().as_object().contains("st_j60_uv"));
    }
    const auto& f = o.at("finding").as_object();
    CHECK(categories.count(std::string(f.at("category").as_string())) == 1);
    CHECK(f.at("stemi").is_bool());
    CHECK(f.at("explanation_en").as_string().size() > 0);
    CHECK(f.at("explanation_zh").as_string().size() > 0);
    CHECK(o.at("quality").as_object().at("ok").is_bool());
    // Fiducial agreement (issue 12 item 4): a non-negative spread in ms, or null.
    const auto& med = o.at("median_beat").as_object();
    for (const char* key : {"j_beat_spread_ms", "j_lead_spread_ms", "t_end_beat_spread_ms", "t_end_lead_spread_ms"}) {
      REQUIRE(med.contains(key));
      if (!med.at(key).is_null()) CHECK(med.at(key).to_number<double>() >= 0);
    }
  }
}

}  // namespace

// Every directory of the dev set that holds records is one of the databases below: a database
// added to ../shared/ecg-data without a test case here fails instead of going unchecked.
TEST_CASE("analyze --json contract: the test cases below cover every database of the dev set") {
  const fs::path root = GC_ECG_DATA_DIR;
  const auto headers = headers_under(root);
  if (headers.empty()) {
    WARN("no dev set at " GC_ECG_DATA_DIR " — skipped");
    return;
  }
  CHECK(headers.size() > 300);
  const std::set<std::string> covered(std::begin(kDatabases), std::end(kDatabases));
  for (const auto& hea : headers) {
    const auto database = fs::relative(hea, root).begin()->string();
    INFO(hea.string());
    CHECK(covered.count(database) == 1);
  }
}

TEST_CASE("analyze --json honours the contract on every Brugada-HUCA record") {
  check_contract_on_database("brugada-huca", 80);
}
TEST_CASE("analyze --json honours the contract on every CinC 2021 record") {
  check_contract_on_database("cinc2021", 50);
}
TEST_CASE("analyze --json honours the contract on every CPSC 2021 record") {
  check_contract_on_database("cpsc2021", 15);
}
TEST_CASE("analyze --json honours the contract on every LUDB record") {
  check_contract_on_database("ludb", 90);
}
TEST_CASE("analyze --json honours the contract on every MIT-BIH record") {
  check_contract_on_database("mitdb", 20);
}
TEST_CASE("analyze --json honours the contract on every PTB record") {
  check_contract_on_database("ptbdb", 1);
}
TEST_CASE("analyze --json honours the contract on every PTB-XL record") {
  check_contract_on_database("ptbxl", 100);
}
TEST_CASE("analyze --json honours the contract on every QTDB record") {
  check_contract_on_database("qtdb", 50);
}

TEST_CASE("LUDB 7 (acute anterior-lateral STEMI) raises an urgent or critical STEMI alert") {
  const fs::path hea = fs::path(GC_ECG_DATA_DIR) / "ludb" / "data" / "7.hea";
  if (!fs::exists(hea)) {
    WARN("LUDB not available — skipped");
    return;
  }
  const auto r = run(std::string(GC_CLI_PATH) + " analyze --json '" + hea.string() + "'");
  REQUIRE(r.status == 0);
  const auto f = json::parse(r.out).at("finding");
  const std::string category(f.at("category").as_string());
  CHECK((category == "stemi" || category == "stemi_equivalent"));
  CHECK(f.at("tier").as_string() != "routine");
  CHECK(f.at("route_to_human").as_bool());
}
