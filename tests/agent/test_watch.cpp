// The export-folder agent against an in-process server: a file still being written is sent once
// it is whole, a corrupt file is rejected with its reason, a renamed copy is not resent, a file
// replaced under the same name is a new ECG, a restart resends nothing, and a file claimed while
// the server was down is sent after the restart, once.
#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "gc/alert_cart.hpp"
#include "gc/alert_service.hpp"
#include "gc/watch.hpp"
#include "gc/watch_journal.hpp"
#include "gc/wfdb.hpp"
#include "ingest/ingest_test_util.hpp"

namespace fs = std::filesystem;
using gc::agent::WatchEvent;
using Kind = gc::agent::WatchEvent::Kind;
using namespace std::chrono_literals;

namespace {

struct Seen {
  Kind kind;
  std::string file;
  std::string study_uid;
  std::string message;
  bool complete = false;
  std::string state;         // alert_update
  std::string instructions;  // alert_update, English
};

// run_watch on a thread, its events collected.
class Agent {
 public:
  Agent(const fs::path& dir, std::uint16_t port, const gc::storage::NewDevice& device) {
    gc::agent::WatchConfig config;
    config.dir = dir;
    config.poll_interval = 100ms;
    config.settle = 500ms;
    config.retry_initial = 200ms;
    config.retry_max = 400ms;
    gc::ingest::CartConfig cart;
    cart.port = port;
    cart.device_id = device.device_id;
    cart.secret = device.secret;
    cart.io_timeout = 2s;
    cart.finding_timeout = 5s;
    cart.max_reconnects = 1;
    cart.reconnect_backoff = 50ms;
    thread_ = std::thread([this, config, cart] {
      try {
        gc::agent::run_watch(config, cart, stop_, [this](const WatchEvent& e) {
          std::lock_guard lock(mutex_);
          events_.push_back({e.kind, e.file, e.study_uid, e.message,
                             e.result != nullptr && e.result->complete,
                             e.update != nullptr ? e.update->state() : "",
                             e.update != nullptr ? e.update->instructions_en() : ""});
        });
      } catch (const std::exception& e) {
        std::lock_guard lock(mutex_);
        error_ = e.what();
      }
    });
  }
  ~Agent() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::vector<Seen> events(Kind kind) {
    std::lock_guard lock(mutex_);
    std::vector<Seen> out;
    for (const auto& e : events_) {
      if (e.kind == kind) out.push_back(e);
    }
    return out;
  }
  bool wait_for(Kind kind, std::size_t count, std::chrono::milliseconds timeout = 20s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (events(kind).size() >= count) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }
  std::string error() {
    std::lock_guard lock(mutex_);
    return error_;
  }

 private:
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::vector<Seen> events_;
  std::string error_;
  std::thread thread_;
};

// Store + ingest server + alert service on one database, wired as `serve` wires them (as in
// tests/ingest/test_alert_push.cpp), so the cardiologist's decisions reach the cart.
class AlertHarness {
 public:
  AlertHarness() : dir_(gc::test::unique_temp_dir("gc-watch-alerts")) {
    store_ = gc::storage::Store::open(dir_ / "test.db");
    gc::workflow::AlertServiceConfig alert_config;
    alert_config.db_path = dir_ / "test.db";
    gc::workflow::AlertChannels channels;
    channels.to_cart = [this](const gc::workflow::AlertChange& change) {
      return server_->push_alert_update(change.device_id, gc::workflow::to_alert_update(change));
    };
    alerts_ = std::make_unique<gc::workflow::AlertService>(alert_config, channels);
    gc::ingest::ServerConfig config;
    config.on_alert_raised = [this](gc::storage::Store&, const gc::storage::AlertRecord&,
                                    std::int64_t alert_id) { alerts_->alert_raised(alert_id); };
    config.pending_alert_updates = [this](const std::string& device_id) {
      return gc::workflow::pending_alert_updates(*alerts_, device_id);
    };
    config.alert_update_delivered = [this](std::int64_t id) { alerts_->cart_update_delivered(id); };
    server_ = std::make_unique<gc::ingest::Server>(io_, config, *store_);
    server_->start();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~AlertHarness() {
    server_->stop();
    thread_.join();
    server_->finish();
    server_.reset();
    alerts_.reset();
    store_.reset();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  gc::storage::Store& store() { return *store_; }
  std::uint16_t port() const { return server_->port(); }
  gc::workflow::AlertService& alerts() { return *alerts_; }
  std::int64_t alert_of(const std::string& device_id, const std::string& uid) {
    const auto study = store_->find_study(device_id, uid);
    REQUIRE(study);
    const auto alerts = store_->alerts_for_study(study->study_id);
    REQUIRE(alerts.size() == 1);
    return alerts[0].alert_id;
  }

 private:
  fs::path dir_;
  std::unique_ptr<gc::storage::Store> store_;
  boost::asio::io_context io_;
  std::unique_ptr<gc::workflow::AlertService> alerts_;
  std::unique_ptr<gc::ingest::Server> server_;
  std::thread thread_;
};

void copy_record(const std::string& name, const fs::path& dir) {
  const fs::path src = fs::path(GC_SOURCE_DIR) / "sample_ecgs";
  fs::copy_file(src / (name + ".dat"), dir / (name + ".dat"));
  fs::copy_file(src / (name + ".hea"), dir / (name + ".hea"));
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The stored study equals the record's integers bit for bit.
void check_stored(gc::test::TestServer& server, const std::string& device, const std::string& uid,
                  const fs::path& hea) {
  const auto state = server.store().find_study(device, uid);
  REQUIRE(state);
  CHECK(state->complete);
  const auto record = gc::wfdb::read_record(hea);
  CHECK(server.store().load_samples(state->study_id).samples == record.samples_adu);
}

}  // namespace

TEST_CASE("watch: whole files once, corrupt ones rejected, copies and restarts resend nothing",
          "[agent][watch]") {
  gc::test::TestServer server;
  const auto device = server.add_device("cart-watch");
  const fs::path dir = gc::test::unique_temp_dir("gc-watch");

  // A record whose data file is still being written when the agent starts.
  const fs::path src = fs::path(GC_SOURCE_DIR) / "sample_ecgs";
  fs::copy_file(src / "stemi_anterior.hea", dir / "stemi_anterior.hea");
  const std::string data = slurp(src / "stemi_anterior.dat");
  std::ofstream slow(dir / "stemi_anterior.dat", std::ios::binary);
  // A file no reader takes, and one that is not a whole WFDB header.
  std::ofstream(dir / "export_0001.xml") << "<?xml version=\"1.0\"?>\n<PatientList/>\n";
  std::ofstream(dir / "broken.hea") << "broken 12 500 5000\nbroken.dat 16 1000(0)/mV\n";
  copy_record("normal_sinus", dir);

  auto agent = std::make_unique<Agent>(dir, server.port(), device);
  const std::size_t piece = data.size() / 5;
  for (std::size_t i = 0; i < 5; ++i) {  // 5 pieces, 200 ms apart: never still for 500 ms
    slow.write(data.data() + i * piece,
               static_cast<std::streamsize>(i == 4 ? data.size() - 4 * piece : piece));
    slow.flush();
    std::this_thread::sleep_for(200ms);
    for (const auto& s : agent->events(Kind::sending)) CHECK(s.file != "stemi_anterior.hea");
    CHECK(agent->events(Kind::rejected).size() <= 2);
  }
  slow.close();
  REQUIRE(agent->wait_for(Kind::sent, 2));
  REQUIRE(agent->wait_for(Kind::rejected, 2));
  INFO(agent->error());
  auto sent = agent->events(Kind::sent);
  REQUIRE(sent.size() == 2);
  std::map<std::string, std::string> uid_of;
  for (const auto& s : sent) {
    CHECK(s.complete);
    uid_of[s.file] = s.study_uid;
  }
  REQUIRE(uid_of.contains("stemi_anterior.hea"));
  REQUIRE(uid_of.contains("normal_sinus.hea"));
  check_stored(server, device.device_id, uid_of["stemi_anterior.hea"], dir / "stemi_anterior.hea");
  check_stored(server, device.device_id, uid_of["normal_sinus.hea"], dir / "normal_sinus.hea");
  // The stored study says which file it came from (issue 13: source format and device).
  {
    const auto state = server.store().find_study(device.device_id, uid_of["normal_sinus.hea"]);
    REQUIRE(state);
    REQUIRE(state->header.source);
    CHECK(state->header.source->format == "WFDB");
    CHECK(state->header.source->file_name == "normal_sinus.hea");
  }

  // Rejected: moved with a one-line reason naming the file.
  CHECK_FALSE(fs::exists(dir / "export_0001.xml"));
  REQUIRE(fs::exists(dir / "rejected" / "export_0001.xml"));
  const std::string why = slurp(dir / "rejected" / "export_0001.xml.error.txt");
  CHECK(why.rfind("export_0001.xml: ", 0) == 0);
  CHECK(why.find("unsupported format") != std::string::npos);
  CHECK(std::count(why.begin(), why.end(), '\n') == 1);
  CHECK(fs::exists(dir / "rejected" / "broken.hea"));
  CHECK(slurp(dir / "rejected" / "broken.hea.error.txt").rfind("broken.hea", 0) == 0);
  // Sent files stay where they are.
  CHECK(fs::exists(dir / "normal_sinus.hea"));

  // A renamed copy (same bytes) is recognised; a file replaced under the same name is new.
  fs::copy_file(dir / "normal_sinus.hea", dir / "normal_sinus_copy.hea");
  {
    gc::wfdb::Record other = gc::wfdb::read_record(src / "lbbb_confounder.hea");
    other.header.record_name = "stemi_anterior";
    fs::remove(dir / "stemi_anterior.hea");
    fs::remove(dir / "stemi_anterior.dat");
    gc::wfdb::write_record(dir, "stemi_anterior", other.header, other.samples_adu);
  }
  REQUIRE(agent->wait_for(Kind::duplicate, 1));
  CHECK(agent->events(Kind::duplicate).front().file == "normal_sinus_copy.hea");
  CHECK(agent->events(Kind::duplicate).front().study_uid == uid_of["normal_sinus.hea"]);
  REQUIRE(agent->wait_for(Kind::sent, 3));
  const auto replaced = agent->events(Kind::sent).back();
  CHECK(replaced.file == "stemi_anterior.hea");
  CHECK(replaced.study_uid != uid_of["stemi_anterior.hea"]);
  check_stored(server, device.device_id, replaced.study_uid, dir / "stemi_anterior.hea");
  agent->stop();
  CHECK(agent->error().empty());

  // A restart on the same folder sends nothing again.
  agent = std::make_unique<Agent>(dir, server.port(), device);
  std::this_thread::sleep_for(1500ms);
  CHECK(agent->events(Kind::sending).empty());
  CHECK(agent->events(Kind::rejected).empty());
  CHECK(agent->error().empty());
  agent->stop();
  std::error_code ignored;
  fs::remove_all(dir, ignored);
}

TEST_CASE("watch: a file claimed while the server is down is sent after a restart, once",
          "[agent][watch]") {
  gc::test::TestServer server;
  const auto device = server.add_device("cart-watch-down");
  const fs::path dir = gc::test::unique_temp_dir("gc-watch-down");
  copy_record("stemi_inferior_rv", dir);

  // A port nothing listens on: the agent claims the file, cannot send it, backs off.
  std::uint16_t closed_port = 0;
  {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor probe(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    closed_port = probe.local_endpoint().port();
  }
  auto agent = std::make_unique<Agent>(dir, closed_port, device);
  REQUIRE(agent->wait_for(Kind::server_unavailable, 2));
  const auto down = agent->events(Kind::server_unavailable);
  CHECK(down.front().message.find("cannot connect") != std::string::npos);
  CHECK(agent->events(Kind::sent).empty());
  agent->stop();
  CHECK(slurp(dir / ".greenchannel" / "journal.jsonl").find("\"claimed\"") != std::string::npos);

  agent = std::make_unique<Agent>(dir, server.port(), device);
  REQUIRE(agent->wait_for(Kind::sent, 1));
  std::this_thread::sleep_for(600ms);
  const auto sent = agent->events(Kind::sent);
  REQUIRE(sent.size() == 1);
  CHECK(sent.front().study_uid.rfind("sha256:", 0) == 0);
  check_stored(server, device.device_id, sent.front().study_uid, dir / "stemi_inferior_rv.hea");
  agent->stop();
  std::error_code ignored;
  fs::remove_all(dir, ignored);
}

TEST_CASE(
    "watch: the cardiologist's updates of a sent file are reported as they come, also "
    "those decided while the agent was stopped",
    "[agent][watch]") {
  AlertHarness h;
  const auto device = h.store().add_device("clinic", "cart-watch-alerts");
  const fs::path dir = gc::test::unique_temp_dir("gc-watch-alerts-dir");
  copy_record("stemi_anterior", dir);
  auto agent = std::make_unique<Agent>(dir, h.port(), device);
  REQUIRE(agent->wait_for(Kind::sent, 1));
  const std::string uid = agent->events(Kind::sent).front().study_uid;
  const std::int64_t alert_id = h.alert_of(device.device_id, uid);
  REQUIRE(agent->wait_for(Kind::alert_update, 1));  // raised
  CHECK(agent->events(Kind::alert_update).front().state == "raised");
  h.alerts().apply(alert_id, gc::workflow::AlertState::confirmed, "station:dr_li", "",
                   "立即转运行急诊PCI", "transfer now for primary PCI");
  REQUIRE(agent->wait_for(Kind::alert_update, 2));
  const auto confirmed = agent->events(Kind::alert_update).back();
  CHECK(confirmed.state == "confirmed");
  CHECK(confirmed.file == "stemi_anterior.hea");
  CHECK(confirmed.study_uid == uid);
  CHECK(confirmed.instructions == "transfer now for primary PCI");
  agent->stop();

  // Decided while the agent was stopped: told when it starts again (it has sent studies, so it
  // connects and listens even with nothing new to send).
  h.alerts().apply(alert_id, gc::workflow::AlertState::green_channel, "station:dr_li");
  agent = std::make_unique<Agent>(dir, h.port(), device);
  REQUIRE(agent->wait_for(Kind::alert_update, 1));
  CHECK(agent->events(Kind::alert_update).front().state == "green_channel");
  CHECK(agent->events(Kind::alert_update).front().file == "stemi_anterior.hea");
  CHECK(agent->events(Kind::sending).empty());
  agent->stop();
  std::error_code ignored;
  fs::remove_all(dir, ignored);
}

// Issue 16 #9 meets issue 13: a study left open past the server's expiry (a long outage in the
// middle of a send) is refused with STUDY_EXPIRED; the agent sends the same ECG again as a new
// study ("…-r2") instead of moving a good ECG to rejected/.
TEST_CASE("watch: a study that expired on the server is sent again under a new uid, never rejected",
          "[agent][watch][expiry]") {
  CHECK(gc::agent::next_study_uid("sha256:ab") == "sha256:ab-r2");
  CHECK(gc::agent::next_study_uid("sha256:ab-r2") == "sha256:ab-r3");
  CHECK(gc::agent::next_study_uid("sha256:ab-r9") == "sha256:ab-r10");

  gc::test::TestServer server;
  const auto device = server.add_device("cart-watch-expired");
  const fs::path dir = gc::test::unique_temp_dir("gc-watch-expired");
  copy_record("normal_sinus", dir);
  // The uid the agent gives this content: sha256 over each member's size line and bytes.
  std::string all;
  for (const char* member : {"normal_sinus.hea", "normal_sinus.dat"}) {
    const std::string bytes = slurp(dir / member);
    all += std::to_string(bytes.size()) + '\n' + bytes;
  }
  const std::string uid = gc::agent::study_uid_for_sha256(gc::agent::sha256_hex(
      std::span(reinterpret_cast<const std::uint8_t*>(all.data()), all.size())));
  // An earlier, interrupted send of it that the server has since expired.
  gc::storage::StudyHeader stale;
  stale.device_id = device.device_id;
  stale.study_uid = uid;
  stale.leads = {"I", "II"};
  stale.sample_rate_hz = 500;
  stale.resolution_nv_per_lsb = 1000;
  server.store().begin_study(stale);
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  REQUIRE(server.store().expire_open_studies(device.device_id, now_ms + 1000, now_ms) ==
          std::vector<std::string>{uid});

  auto agent = std::make_unique<Agent>(dir, server.port(), device);
  REQUIRE(agent->wait_for(Kind::sent, 1));
  INFO(agent->error());
  const auto sent = agent->events(Kind::sent);
  REQUIRE(sent.size() == 1);
  CHECK(sent.front().study_uid == uid + "-r2");
  CHECK(sent.front().complete);
  check_stored(server, device.device_id, uid + "-r2", dir / "normal_sinus.hea");
  CHECK(agent->events(Kind::rejected).empty());
  bool said = false;
  for (const auto& e : agent->events(Kind::progress)) said = said || e.message.find("expired") != std::string::npos;
  CHECK(said);
  agent->stop();
  // A restart knows the new uid: nothing is sent again.
  agent = std::make_unique<Agent>(dir, server.port(), device);
  std::this_thread::sleep_for(1500ms);
  CHECK(agent->events(Kind::sending).empty());
  agent->stop();
  std::error_code ignored;
  fs::remove_all(dir, ignored);
}
