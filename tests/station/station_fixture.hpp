// Test fixture for the reading station: a temporary database seeded through storage::Store and
// CaseStore (a cart, studies of synthetic ECGs, alerts, a case), the real AlertService, the real
// Station on an ephemeral loopback port with an injected clock, and a small Beast HTTP/WebSocket
// client that keeps the session cookie and CSRF token like the browser app does.
#pragma once

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

#include <atomic>
#include <filesystem>
#include <map>
#include <optional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <unistd.h>

#include "gc/alert_service.hpp"
#include "gc/case_store.hpp"
#include "gc/station.hpp"
#include "gc/station_store.hpp"
#include "gc/storage.hpp"
#include "gc/synth.hpp"
#include "storage/storage_test_util.hpp"

namespace gc::station::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;
using tcp = asio::ip::tcp;

inline constexpr std::int64_t kStartMs = 1'778'573'000'000;  // 2026-05-12, UTC
inline constexpr const char* kPassword = "correct horse battery";

class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("gc-station-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()) + "-" +
             std::to_string(counter++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::filesystem::path db() const { return path_ / "greenchannel.db"; }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct Reply {
  unsigned status = 0;
  std::map<std::string, std::string> headers;  // lower-case names; Set-Cookie joined by "\n"
  std::string body;

  json::value json() const { return json::parse(body); }
  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// One request per connection; keeps the session cookie and the CSRF token it was given.
class Client {
 public:
  explicit Client(std::uint16_t port) : port_(port) {}

  Reply request(http::verb method, const std::string& target, const std::string& body = {},
                bool with_csrf = true, const std::string& content_type = "application/json") {
    asio::io_context io;
    beast::tcp_stream stream(io);
    stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1:" + std::to_string(port_));
    if (!cookie_.empty()) req.set(http::field::cookie, "gc_session=" + cookie_);
    if (with_csrf && !csrf_.empty()) req.set("X-CSRF-Token", csrf_);
    if (!body.empty()) req.set(http::field::content_type, content_type);
    req.body() = body;
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(256u << 20);
    http::read(stream, buffer, parser);
    const auto& res = parser.get();
    Reply reply;
    reply.status = res.result_int();
    for (const auto& f : res) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      auto& slot = reply.headers[name];
      if (!slot.empty()) slot.push_back('\n');
      slot.append(f.value().data(), f.value().size());
    }
    reply.body = res.body();
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    return reply;
  }

  Reply get(const std::string& target) { return request(http::verb::get, target); }
  Reply post(const std::string& target, const std::string& body = {}, bool with_csrf = true) {
    return request(http::verb::post, target, body, with_csrf);
  }

  Reply login(const std::string& username, const std::string& password = kPassword) {
    auto reply = post("/api/login",
                      json::serialize(json::object{{"username", username}, {"password", password}}),
                      false);
    if (reply.status == 200) {
      const auto set_cookie = reply.header("set-cookie");
      const auto start = set_cookie.find("gc_session=");
      const auto end = set_cookie.find(';', start);
      cookie_ = set_cookie.substr(start + 11, end - start - 11);
      csrf_ = std::string(reply.json().at("csrf_token").as_string());
    }
    return reply;
  }

  const std::string& cookie() const { return cookie_; }
  void set_cookie(std::string cookie) { cookie_ = std::move(cookie); }
  std::string& csrf() { return csrf_; }
  std::uint16_t port() const { return port_; }

 private:
  std::uint16_t port_;
  std::string cookie_;
  std::string csrf_;
};

struct Seeded {
  std::int64_t study_id = 0;
  std::int64_t alert_id = 0;
};

class Fixture {
 public:
  // backend: where the database lives — a SQLite file in `dir`, or a fresh database in the test
  // binary's throwaway PostgreSQL cluster (tests/pg_cluster.hpp).
  explicit Fixture(bool with_users = true, std::shared_ptr<asio::ssl::context> tls = nullptr,
                   const std::function<void(StationConfig&)>& tweak = {},
                   storage::test::Backend backend = storage::test::Backend::sqlite) {
    if (backend == storage::test::Backend::postgresql) pg.emplace(backend);
    store = storage::Store::open(db());
    device_id = store->add_device("Clinic A", "cart-a").device_id;
    cases = storage::CaseStore::open(db(), "test");

    workflow::AlertServiceConfig acfg;
    acfg.db_path = db();
    acfg.clock = [this] { return now.load(); };
    workflow::AlertChannels channels;
    channels.to_station = [this](const workflow::AlertChange& c) {
      if (station) station->publish(c);
    };
    channels.to_cart = [](const workflow::AlertChange&) { return false; };
    alerts = std::make_unique<workflow::AlertService>(acfg, channels);

    if (with_users) {
      add_user(db(), "dr_li", Role::cardiologist, kPassword, "test");
      add_user(db(), "coord", Role::coordinator, kPassword, "test");
      add_user(db(), "admin", Role::admin, kPassword, "test");
    }

    StationConfig cfg;
    cfg.listen_address = "127.0.0.1";
    cfg.port = 0;
    cfg.secure_cookies = true;
    cfg.tls = std::move(tls);
    cfg.db_path = db();
    cfg.clock = [this] { return now.load(); };
    cfg.metrics_text = [] { return std::string("greenchannel_test_extra_total 7\n"); };
    cfg.max_request_body_bytes = 64 * 1024;
    if (tweak) tweak(cfg);
    station = std::make_unique<Station>(io, cfg, *alerts);
    station->start();
    thread = std::thread([this] { io.run(); });
  }

  ~Fixture() {
    station->stop();
    guard.reset();
    thread.join();
    station.reset();
  }

  Client client() const { return Client(station->port()); }

  // A 10 s synthetic ECG stored as a cart sends it (8 channels, limb leads derived), completed,
  // analysed and alerted; linked to a case with an FMC node.
  Seeded seed(const std::string& uid, const std::string& patient_id, const std::string& tier,
              std::int64_t raised_ms, std::optional<std::int64_t> case_id = std::nullopt,
              std::map<std::string, double> st_shift_uv = {}) {
    synth::Spec spec;
    spec.duration_s = 10;
    spec.st_shift_uv = std::move(st_shift_uv);
    spec.seed = std::hash<std::string>{}(uid);
    const auto ecg = synth::generate(spec);
    const std::vector<std::string> leads{"I", "II", "V1", "V2", "V3", "V4", "V5", "V6"};
    storage::StudyHeader h;
    h.device_id = device_id;
    h.study_uid = uid;
    h.leads = leads;
    h.sample_rate_hz = 500;
    h.resolution_nv_per_lsb = ecg.resolution_uv_per_lsb * 1000.0;
    h.derive_limb_leads = true;
    h.patient_id = patient_id;
    h.age_years = 61;
    h.sex = std::string(1, 'M');
    h.chest_pain = true;
    h.first_medical_contact = storage::Stamp{raised_ms - 600'000, "cart", "cart"};
    h.acquired_at = storage::Stamp{raised_ms - 60'000, "cart", "cart"};
    const std::size_t n = ecg.samples_adu.front().size();
    h.expected_samples_per_lead = n;
    const auto study = store->begin_study(h);
    storage::Chunk chunk;
    chunk.sequence = 0;
    chunk.first_sample_index = 0;
    for (std::size_t s = 0; s < n; ++s) {
      for (const auto& lead : leads) {
        const auto it = std::find(ecg.lead_names.begin(), ecg.lead_names.end(), lead);
        chunk.samples.push_back(
            ecg.samples_adu[static_cast<std::size_t>(it - ecg.lead_names.begin())][s]);
      }
    }
    store->append_chunk(study.study_id, chunk);
    store->complete_study(study.study_id, n, storage::samples_crc32(chunk.samples));
    json::object per_lead;
    for (std::size_t i = 0; i < ecg.lead_names.size(); ++i) {
      per_lead[ecg.lead_names[i]] =
          json::object{{"st_j_uv", ecg.st_j_uv[i]}, {"st_j60_uv", ecg.st_j_uv[i]}};
    }
    store->save_analysis(study.study_id, "stemi", tier,
                         json::serialize(json::object{
                             {"measurements", json::object{{"per_lead", std::move(per_lead)}}},
                             {"finding", json::object{{"category", "stemi"}}}}));
    storage::AlertRecord alert;
    alert.study_id = study.study_id;
    alert.tier = tier;
    alert.category = "stemi";
    alert.summary_en = "Suspected STEMI " + uid;
    alert.summary_zh = "疑似 STEMI " + uid;
    alert.raised_ms = raised_ms;
    const auto alert_id = store->raise_alert(alert);
    if (case_id) cases->link_study(*case_id, study.study_id);
    return Seeded{study.study_id, alert_id};
  }

  std::int64_t open_case(const std::string& patient_id, std::int64_t fmc_ms) {
    storage::CaseRecord c;
    c.patient_id = patient_id;
    c.device_id = device_id;
    c.clinic = "Clinic A";
    c.opened_ms = fmc_ms;
    const auto id = cases->open_case(c).case_id;
    storage::TimeNodeRecord fmc;
    fmc.case_id = id;
    fmc.kind = "fmc";
    fmc.raw_ms = fmc_ms + 5'000;  // the cart's clock runs 5 s ahead …
    fmc.corrected_ms = fmc_ms;    // … corrected at hello
    fmc.source = "cart";
    fmc.actor = device_id;
    fmc.clock = "cart";
    fmc.recorded_ms = fmc_ms;
    cases->append_node(fmc);
    return id;
  }

  // Audit rows by action (actor, target) written so far.
  std::vector<storage::AuditRecord> audit() {
    return storage::StationStore::open(db())->audit_log(0, 100'000);
  }

  TempDir dir;
  std::optional<storage::test::TestDb> pg;
  // The database as the stores take it: the SQLite file, or the PostgreSQL URI.
  std::filesystem::path db() const { return pg ? pg->location() : dir.db(); }
  std::atomic<std::int64_t> now{kStartMs};
  std::unique_ptr<storage::Store> store;
  std::unique_ptr<storage::CaseStore> cases;
  std::string device_id;
  std::unique_ptr<workflow::AlertService> alerts;
  asio::io_context io;
  std::unique_ptr<asio::executor_work_guard<asio::io_context::executor_type>> guard =
      std::make_unique<asio::executor_work_guard<asio::io_context::executor_type>>(
          io.get_executor());
  std::unique_ptr<Station> station;
  std::thread thread;
};

}  // namespace gc::station::test
