// End to end through the real CLI: `greenchannel serve` as a child process on an ephemeral
// loopback port, a cart registered with `greenchannel device add`, a STEMI record streamed with
// `greenchannel cart`; the stored samples must equal the record's integers bit for bit and a
// critical alert must be raised; a truncated record fails clearly while the server keeps
// serving; SIGTERM stops the server with exit status 0.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "e2e/e2e_util.hpp"
#include "gc/case_store.hpp"
#include "gc/storage.hpp"
#include "gc/synth.hpp"
#include "gc/wfdb.hpp"

namespace fs = std::filesystem;
namespace json = boost::json;
using gc::test::CommandResult;
using gc::test::quote;
using gc::test::run;
using gc::test::ServeProcess;

namespace {

// A STEMI record: a sample from sample_ecgs/ if present, else a synthetic anterior STEMI
// written as WFDB into `dir`.
fs::path stemi_record(const fs::path& dir) {
  const fs::path samples = fs::path(GC_SOURCE_DIR) / "sample_ecgs";
  if (fs::is_directory(samples)) {
    std::vector<fs::path> candidates;
    for (const auto& entry : fs::directory_iterator(samples)) {
      const std::string name = entry.path().filename().string();
      if (entry.path().extension() == ".hea" && name.find("stemi") != std::string::npos &&
          name.find("anterior") != std::string::npos) {
        candidates.push_back(entry.path());
      }
    }
    if (!candidates.empty()) {
      std::sort(candidates.begin(), candidates.end());
      return candidates.front();
    }
  }
  gc::synth::Spec spec;
  spec.seed = 11;
  spec.age_years = 58;
  spec.sex = 'M';
  spec.st_shift_uv = {{"V1", 150}, {"V2", 350},  {"V3", 400},   {"V4", 300},
                      {"V5", 150}, {"II", -100}, {"III", -120}, {"aVF", -110}};
  const gc::synth::Synthesized s = gc::synth::generate(spec);
  gc::wfdb::Header header;
  header.record_name = "e2e_stemi_anterior";
  header.sample_rate_hz = s.sample_rate_hz;
  header.n_samples = static_cast<std::int64_t>(s.samples_adu.front().size());
  header.age_years = spec.age_years;
  header.sex = spec.sex;
  for (const auto& lead : s.lead_names) {
    gc::wfdb::SignalSpec sig;
    sig.file_name = header.record_name + ".dat";
    sig.format = 16;
    sig.adc_gain_per_mv = 1000.0 / s.resolution_uv_per_lsb;
    sig.units = "mV";
    sig.description = lead;
    header.signals.push_back(sig);
  }
  gc::wfdb::write_record(dir, header.record_name, header, s.samples_adu);
  return dir / (header.record_name + ".hea");
}

}  // namespace

TEST_CASE("serve + device add + cart: a STEMI arrives bit for bit and raises a critical alert") {
  std::random_device rd;
  const fs::path dir = fs::temp_directory_path() /
                       ("gc-e2e-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  fs::create_directories(dir);
  const fs::path db = dir / "var" / "greenchannel.db";
  const std::string cli = GC_CLI_PATH;

  ServeProcess serve(db);
  REQUIRE(serve.port() > 0);

  const auto added = run(quote(cli) + " device add --clinic 'E2E clinic' --id cart-e2e --db " +
                         quote(db.string()) + " --json");
  REQUIRE(added.status == 0);
  const json::object device = json::parse(added.out).as_object();
  const std::string device_id(device.at("device_id").as_string());
  const std::string secret(device.at("secret").as_string());
  CHECK(device_id == "cart-e2e");

  const fs::path record = stemi_record(dir);
  INFO("record " << record);
  const std::string cart = quote(cli) + " cart --server 127.0.0.1:" + std::to_string(serve.port()) +
                           " --device " + quote(device_id) + " --secret " + quote(secret) +
                           " --chest-pain --onset -90m --fmc -30m --json --quiet --insecure ";
  const auto sent_at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();

  // Clinical times that cannot be right are refused on the cart, naming the option.
  for (const auto& [args, says] : std::vector<std::pair<std::string, std::string>>{
           {"--onset -10m --fmc -30m", "--onset is after --fmc"},
           {"--fmc 2099-01-01T00:00Z", "--fmc is in the future"},
           {"--onset yesterday", "--onset 'yesterday'"},
           {"--fmc -20000m", "more than 7 days ago"}}) {
    const auto bad =
        run(quote(cli) + " cart --server 127.0.0.1:" + std::to_string(serve.port()) +
            " --device x --secret y --insecure " + args + " " + quote(record.string()) + " 2>&1");
    INFO(args << " → " << bad.out);
    CHECK(bad.status == 2);
    CHECK(bad.out.find(says) != std::string::npos);
  }

  // A truncated record fails clearly on the cart side; the server is not affected.
  {
    const fs::path truncated_dir = dir / "truncated";
    fs::create_directories(truncated_dir);
    const auto header = gc::wfdb::read_header(record);
    const fs::path dat = record.parent_path() / header.signals.front().file_name;
    fs::copy_file(record, truncated_dir / record.filename());
    const auto dat_size = fs::file_size(dat);
    fs::copy_file(dat, truncated_dir / dat.filename());
    fs::resize_file(truncated_dir / dat.filename(), dat_size / 3);
    const auto broken = run(cart + quote((truncated_dir / record.filename()).string()) + " 2>&1");
    CHECK(broken.status != 0);
    CHECK(broken.out.find(record.stem().string()) != std::string::npos);  // names the file
    CHECK(serve.alive());
  }

  const auto streamed = run(cart + quote(record.string()));
  REQUIRE(streamed.status == 0);
  const json::object result = json::parse(streamed.out).as_object();
  CHECK(result.at("complete").as_bool());
  CHECK(result.at("samples_exact").as_bool());
  REQUIRE(result.at("finding").is_object());
  const json::object& finding = result.at("finding").as_object();
  INFO("finding " << json::serialize(finding));
  CHECK(finding.at("category").as_string() == "stemi");
  CHECK(finding.at("tier").as_string() == "critical");
  CHECK(finding.at("stemi").as_bool());
  const std::string study_uid(result.at("study_uid").as_string());

  // The database, read by a second connection while the server runs (WAL).
  {
    gc::storage::OpenOptions options;
    options.quick_check = false;
    auto store = gc::storage::Store::open(db, options);
    const auto state = store->find_study(device_id, study_uid);
    REQUIRE(state);
    CHECK(state->complete);
    const auto stored = store->load_samples(state->study_id);
    const gc::wfdb::Record source = gc::wfdb::read_record(record);
    REQUIRE(stored.samples.size() == source.samples_adu.size());
    for (std::size_t lead = 0; lead < source.samples_adu.size(); ++lead) {
      std::vector<std::int32_t> expected = source.samples_adu[lead];
      for (auto& v : expected) v -= source.header.signals[lead].baseline_adu;  // 0 for these
      INFO("lead " << stored.header.leads[lead]);
      CHECK(stored.samples[lead] == expected);
    }
    // Onset and first medical contact as the cart gave them (-90 / -30 minutes), on its clock.
    REQUIRE(stored.header.symptom_onset);
    REQUIRE(stored.header.first_medical_contact);
    CHECK(std::llabs(stored.header.symptom_onset->unix_ms - (sent_at_ms - 90 * 60'000)) < 120'000);
    CHECK(std::llabs(stored.header.first_medical_contact->unix_ms - (sent_at_ms - 30 * 60'000)) <
          120'000);
    CHECK(stored.header.first_medical_contact->clock == "cart");
    CHECK(stored.header.resolution_nv_per_lsb ==
          Approx(1.0e6 / source.header.signals.front().adc_gain_per_mv).epsilon(1e-12));
    const auto alerts = store->alerts_for_study(state->study_id);
    REQUIRE(alerts.size() == 1);
    CHECK(alerts.front().tier == "critical");
    CHECK(alerts.front().category == "stemi");
    REQUIRE(store->analysis_json(state->study_id));

    // serve's workflow hook: the study opened a chest-pain case with its first time nodes.
    auto cases = gc::storage::CaseStore::open(db, "e2e");
    const auto case_id = cases->case_of_study(state->study_id);
    REQUIRE(case_id);
    const auto bundle = cases->load_case(*case_id);
    REQUIRE(bundle);
    CHECK(bundle->info.clinic == "E2E clinic");
    std::vector<std::string> kinds;
    for (const auto& node : bundle->nodes) kinds.push_back(node.kind);
    INFO("nodes recorded");
    CHECK(std::find(kinds.begin(), kinds.end(), "first_ecg") != kinds.end());
    CHECK(std::find(kinds.begin(), kinds.end(), "ecg_transmitted") != kinds.end());
  }

  CHECK(serve.terminate(std::chrono::seconds(20)) == 0);
  const std::string log = serve.output();
  CHECK(log.find("connection from") != std::string::npos);
  CHECK(log.find("finding " + study_uid + ": stemi") != std::string::npos);
  CHECK(log.find("stopped cleanly") != std::string::npos);

  std::error_code ignored;
  fs::remove_all(dir, ignored);
}

TEST_CASE(
    "server killed with SIGKILL mid-stream: carts resume, every sample stored once, bit for bit") {
  std::random_device rd;
  const fs::path dir = fs::temp_directory_path() /
                       ("gc-e2e-kill-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  fs::create_directories(dir);
  const fs::path db = dir / "greenchannel.db";
  const std::string cli = GC_CLI_PATH;
  const fs::path record = stemi_record(dir);

  auto serve = std::make_unique<ServeProcess>(db);
  const int port = serve->port();
  const auto added = run(quote(cli) + " device add --clinic kill --id cart-kill --db " +
                         quote(db.string()) + " --json");
  REQUIRE(added.status == 0);
  const json::object device = json::parse(added.out).as_object();
  const std::string secret(device.at("secret").as_string());

  // Three carts stream in real time (100 ms chunks, 10 s each) as separate processes.
  constexpr int kCarts = 3;
  std::vector<std::thread> carts;
  std::vector<CommandResult> results(kCarts);
  for (int i = 0; i < kCarts; ++i) {
    carts.emplace_back([&, i] {
      results[i] = run(
          quote(cli) + " cart --server 127.0.0.1:" + std::to_string(port) +
          " --device cart-kill --secret " + quote(secret) +
          " --insecure --realtime --chunk-ms 100 --timeout-s 3 --json --quiet --study-uid kill-" +
          std::to_string(i) + " " + quote(record.string()));
    });
  }
  // Kill the server hard twice at uneven points and restart it on the same port.
  std::mt19937 rng(rd());
  for (int k = 0; k < 2; ++k) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500 + rng() % 2000));
    serve->kill_hard();
    serve = std::make_unique<ServeProcess>(db, "127.0.0.1:" + std::to_string(port));
  }
  for (auto& t : carts) t.join();

  const gc::wfdb::Record source = gc::wfdb::read_record(record);
  gc::storage::OpenOptions options;
  options.quick_check = false;
  auto store = gc::storage::Store::open(db, options);
  for (int i = 0; i < kCarts; ++i) {
    INFO("cart " << i << " output " << results[i].out);
    CHECK(results[i].status == 0);
    const auto state = store->find_study("cart-kill", "kill-" + std::to_string(i));
    REQUIRE(state);
    CHECK(state->complete);
    const auto stored = store->load_samples(state->study_id);
    REQUIRE(stored.samples.size() == source.samples_adu.size());
    for (std::size_t lead = 0; lead < stored.samples.size(); ++lead) {
      CHECK(stored.samples[lead] == source.samples_adu[lead]);  // none lost, none doubled
    }
    CHECK(store->analysis_json(state->study_id).has_value());
    CHECK(store->alerts_for_study(state->study_id).size() == 1);
  }
  CHECK(serve->terminate(std::chrono::seconds(20)) == 0);
  std::error_code ignored;
  fs::remove_all(dir, ignored);
}

TEST_CASE("device add refuses a clinic name that is not clean UTF-8 (issue 16 #5)") {
  std::random_device rd;
  const fs::path dir = fs::temp_directory_path() /
                       ("gc-e2e-utf8-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  fs::create_directories(dir);
  const fs::path db = dir / "greenchannel.db";
  const std::string cli = GC_CLI_PATH;
  // "石桥" typed on a GBK terminal: not UTF-8; then a bidi override; then a clean name.
  const auto gbk =
      run(quote(cli) + " device add --clinic \"$(printf '\\312\\257\\307\\305')\" --db " +
          quote(db.string()) + " 2>/dev/null");
  CHECK(gbk.status == 2);
  const auto bidi =
      run(quote(cli) + " device add --clinic \"$(printf 'clinic\\342\\200\\256')\" --db " +
          quote(db.string()) + " 2>/dev/null");
  CHECK(bidi.status == 2);
  const auto ok = run(quote(cli) + " device add --clinic '石桥乡卫生院' --db " +
                      quote(db.string()) + " --json");
  CHECK(ok.status == 0);
  const auto list = run(quote(cli) + " device list --db " + quote(db.string()) + " --json");
  REQUIRE(list.status == 0);
  CHECK(json::parse(list.out).as_array().size() == 1);
  fs::remove_all(dir);
}
