// `greenchannel cart --wait-confirmation`: the real CLI streams a record to an in-process ingest
// server wired to an AlertService (as serve wires it), stays connected after the finding and
// prints each AlertUpdate — the raise, the station's confirmation, the green channel — then
// exits when the alert reaches green_channel.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <unistd.h>
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gc/alert_cart.hpp"
#include "gc/alert_service.hpp"
#include "gc/alert_store.hpp"
#include "gc/ingest.hpp"
#include "gc/storage.hpp"
#include "gc/synth.hpp"
#include "gc/wfdb.hpp"

namespace fs = std::filesystem;

namespace {

fs::path temp_dir() {
  std::random_device rd;
  const fs::path dir = fs::temp_directory_path() /
                       ("gc-e2e-alerts-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  fs::create_directories(dir);
  return dir;
}

fs::path write_stemi_record(const fs::path& dir) {
  gc::synth::Spec spec;
  spec.seed = 11;
  spec.age_years = 58;
  spec.sex = 'M';
  spec.st_shift_uv = {{"V1", 150}, {"V2", 350}, {"V3", 400}, {"V4", 300}, {"V5", 150}};
  const gc::synth::Synthesized s = gc::synth::generate(spec);
  gc::wfdb::Header header;
  header.record_name = "alerts_stemi";
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

struct CommandResult {
  int status = -1;
  std::string out;
};

CommandResult run(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer{};
  std::size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
    result.out.append(buffer.data(), n);
  }
  const int status = ::pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace

TEST_CASE("cart --wait-confirmation prints each alert update until the green channel opens") {
  const fs::path dir = temp_dir();
  const fs::path db = dir / "gc.db";
  const fs::path record = write_stemi_record(dir);
  auto store = gc::storage::Store::open(db);
  const auto device = store->add_device("clinic", "cart-wait");

  gc::workflow::AlertServiceConfig alert_config;
  alert_config.db_path = db;
  std::unique_ptr<gc::ingest::Server> server;
  gc::workflow::AlertChannels channels;
  channels.to_cart = [&server](const gc::workflow::AlertChange& change) {
    return server->push_alert_update(change.device_id, gc::workflow::to_alert_update(change));
  };
  gc::workflow::AlertService alerts(alert_config, channels);
  gc::ingest::ServerConfig config;
  config.on_alert_raised = [&alerts](gc::storage::Store&, const gc::storage::AlertRecord&,
                                     std::int64_t alert_id) { alerts.alert_raised(alert_id); };
  config.pending_alert_updates = [&alerts](const std::string& device_id) {
    return gc::workflow::pending_alert_updates(alerts, device_id);
  };
  config.alert_update_delivered = [&alerts](std::int64_t id) { alerts.cart_update_delivered(id); };
  boost::asio::io_context io;
  server = std::make_unique<gc::ingest::Server>(io, config, *store);
  server->start();
  std::thread io_thread([&io] { io.run(); });

  const std::string uid = "wait-1";
  CommandResult text;
  std::thread cart([&] {
    text = run(std::string(GC_CLI_PATH) +
               " cart --insecure -q --server 127.0.0.1:" + std::to_string(server->port()) +
               " --device " + device.device_id + " --secret " + device.secret + " --study-uid " +
               uid + " --wait-confirmation 20 '" + record.string() + "'");
  });

  // The station's side: once the cart has its raise update, confirm and open the green channel.
  auto outbox = gc::storage::AlertStore::open(db);
  std::int64_t alert_id = 0;
  for (int i = 0; i < 2000 && alert_id == 0; ++i) {
    if (const auto study = store->find_study(device.device_id, uid)) {
      const auto list = store->alerts_for_study(study->study_id);
      if (!list.empty()) {
        const auto rows = outbox->cart_updates_for_alert(list[0].alert_id);
        if (!rows.empty() && rows[0].delivered_ms) alert_id = list[0].alert_id;
      }
    }
    if (alert_id == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(alert_id != 0);
  alerts.apply(alert_id, gc::workflow::AlertState::confirmed, "station:dr_li", "",
               "阿司匹林300mg嚼服", "chew aspirin 300 mg");
  alerts.apply(alert_id, gc::workflow::AlertState::green_channel, "station:dr_li");
  cart.join();

  server->stop();
  io_thread.join();
  server->finish();
  // The server's timers belong to `io`, declared after it: destroy the server first (and stop
  // the alert service, whose cart channel points at it).
  alerts.stop();
  server.reset();

  INFO(text.out);
  CHECK(text.status == 0);
  std::vector<std::string> updates;
  std::istringstream lines(text.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("alert-update ", 0) == 0) updates.push_back(line);
  }
  REQUIRE(updates.size() == 3);
  CHECK(updates[0].find("alert-update wait-1 state=raised by=server") == 0);
  CHECK(updates[1].find("state=confirmed by=station:dr_li") != std::string::npos);
  CHECK(updates[1].find("en=\"chew aspirin 300 mg\"") != std::string::npos);
  CHECK(updates[2].find("state=green_channel by=station:dr_li") != std::string::npos);
  CHECK(updates[2].find("alert=" + std::to_string(alert_id)) != std::string::npos);
  std::error_code ignored;
  fs::remove_all(dir, ignored);
}
