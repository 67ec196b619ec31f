// station-dev — runs the reading station alone (plain HTTP on loopback) over a database, for
// developing and testing the browser app before `greenchannel serve` carries it. With --demo it
// first seeds the database: a cart, three users (dr_li cardiologist, coord coordinator, admin
// admin; password from GC_USER_PASSWORD, else "demo-password-1"), a chest-pain case and studies of
// synthetic ECGs with their alerts; --raise-every-s N then raises a new alert every N seconds so
// the live channel has something to push. Not installed; the product is `greenchannel serve`.
#include <boost/asio.hpp>
#include <boost/json.hpp>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

#include "gc/alert_service.hpp"
#include "gc/case_store.hpp"
#include "gc/station.hpp"
#include "gc/station_store.hpp"
#include "gc/storage.hpp"
#include "gc/synth.hpp"

namespace {

namespace json = boost::json;
using namespace gc;

std::int64_t seed_study(storage::Store& store, const std::string& device, const std::string& uid,
                        const std::string& patient, std::int64_t at_ms,
                        std::map<std::string, double> st_uv, const std::string& tier,
                        const std::string& category, const std::string& summary_en,
                        const std::string& summary_zh) {
  synth::Spec spec;
  spec.st_shift_uv = std::move(st_uv);
  spec.seed = std::hash<std::string>{}(uid);
  const auto ecg = synth::generate(spec);
  const std::vector<std::string> leads{"I", "II", "V1", "V2", "V3", "V4", "V5", "V6"};
  storage::StudyHeader h;
  h.device_id = device;
  h.study_uid = uid;
  h.leads = leads;
  h.sample_rate_hz = 500;
  h.resolution_nv_per_lsb = ecg.resolution_uv_per_lsb * 1000.0;
  h.derive_limb_leads = true;
  h.patient_id = patient;
  h.age_years = 58;
  h.sex = std::string(1, 'M');
  h.chest_pain = true;
  h.first_medical_contact = storage::Stamp{at_ms - 8 * 60'000, "cart", "cart"};
  h.acquired_at = storage::Stamp{at_ms - 60'000, "cart", "cart"};
  const std::size_t n = ecg.samples_adu.front().size();
  h.expected_samples_per_lead = n;
  const auto study = store.begin_study(h);
  storage::Chunk chunk;
  for (std::size_t s = 0; s < n; ++s) {
    for (const auto& lead : leads) {
      const auto it = std::find(ecg.lead_names.begin(), ecg.lead_names.end(), lead);
      chunk.samples.push_back(ecg.samples_adu[static_cast<std::size_t>(it - ecg.lead_names.begin())][s]);
    }
  }
  store.append_chunk(study.study_id, chunk);
  store.complete_study(study.study_id, n, storage::samples_crc32(chunk.samples));
  json::object per_lead;
  for (std::size_t i = 0; i < ecg.lead_names.size(); ++i) {
    per_lead[ecg.lead_names[i]] = json::object{{"st_j_uv", ecg.st_j_uv[i]}, {"st_j60_uv", ecg.st_j_uv[i]}};
  }
  store.save_analysis(study.study_id, category, tier,
                      json::serialize(json::object{
                          {"measurements", json::object{{"per_lead", std::move(per_lead)}}},
                          {"finding", json::object{{"category", category},
                                                   {"explanation_en", summary_en},
                                                   {"explanation_zh", summary_zh}}}}));
  storage::AlertRecord alert;
  alert.study_id = study.study_id;
  alert.tier = tier;
  alert.category = category;
  alert.summary_en = summary_en;
  alert.summary_zh = summary_zh;
  alert.raised_ms = at_ms;
  return store.raise_alert(alert);
}

}  // namespace

int main(int argc, char** argv) {
  std::string db = "var/station-dev.db", listen = "127.0.0.1:8443";
  bool demo = false;
  int raise_every_s = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--db" && i + 1 < argc) {
      db = argv[++i];
    } else if (a == "--listen" && i + 1 < argc) {
      listen = argv[++i];
    } else if (a == "--demo") {
      demo = true;
    } else if (a == "--raise-every-s" && i + 1 < argc) {
      raise_every_s = std::atoi(argv[++i]);
    } else {
      std::cerr << "usage: station-dev [--db PATH] [--listen 127.0.0.1:8443] [--demo] "
                   "[--raise-every-s N]\n";
      return 2;
    }
  }
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) {
    std::cerr << "station-dev: --listen ADDRESS:PORT\n";
    return 2;
  }
  const std::filesystem::path db_path(db);
  if (db_path.has_parent_path()) std::filesystem::create_directories(db_path.parent_path());
  auto store = storage::Store::open(db_path);
  std::string device = "cart-dev";
  if (demo) {
    bool known = false;
    for (const auto& d : store->list_devices()) known = known || d.device_id == device;
    if (!known) {
      store->add_device("Shuangliu township clinic", device);
      const char* env = std::getenv("GC_USER_PASSWORD");
      const std::string password = env != nullptr ? env : "demo-password-1";
      station::add_user(db_path, "dr_li", station::Role::cardiologist, password, "station-dev");
      station::add_user(db_path, "coord", station::Role::coordinator, password, "station-dev");
      station::add_user(db_path, "admin", station::Role::admin, password, "station-dev");
      const auto now = storage::now_unix_ms();
      auto cases = storage::CaseStore::open(db_path, "station-dev");
      storage::CaseRecord c;
      c.patient_id = "P-0001";
      c.device_id = device;
      c.clinic = "Shuangliu township clinic";
      c.opened_ms = now - 30 * 60'000;
      const auto case_id = cases->open_case(c).case_id;
      for (const auto& [kind, at] : std::vector<std::pair<std::string, std::int64_t>>{
               {"symptom_onset", now - 90 * 60'000}, {"fmc", now - 30 * 60'000},
               {"first_ecg", now - 24 * 60'000}, {"ecg_transmitted", now - 23 * 60'000}}) {
        storage::TimeNodeRecord node;
        node.case_id = case_id;
        node.kind = kind;
        node.raw_ms = at;
        node.source = "cart";
        node.actor = device;
        node.clock = "cart";
        node.recorded_ms = now;
        cases->append_node(node);
      }
      seed_study(*store, device, "dev-prev", "P-0001", now - 26 * 60'000, {}, "routine", "normal",
                 "No acute ST changes", "未见急性 ST 改变");
      seed_study(
          *store, device, "dev-stemi", "P-0001", now - 23 * 60'000,
          {{"II", 250}, {"III", 300}, {"aVF", 280}, {"aVL", -150}, {"I", -50}}, "critical", "stemi",
          "Suspected inferior STEMI (II, III, aVF)", "疑似下壁 STEMI（II、III、aVF）");
      cases->link_study(case_id, store->find_study(device, "dev-stemi")->study_id);
      cases->link_study(case_id, store->find_study(device, "dev-prev")->study_id);
      seed_study(*store, device, "dev-poor", "P-0002", now - 5 * 60'000, {}, "urgent",
                 "poor_quality", "Poor signal quality: repeat the ECG", "信号质量差：请重新采集心电图");
      std::cout << "seeded demo data; users dr_li, coord, admin (password "
                << (env != nullptr ? "from GC_USER_PASSWORD" : "demo-password-1") << ")\n";
    }
  }

  boost::asio::io_context io;
  station::Station* live = nullptr;
  workflow::AlertServiceConfig acfg;
  acfg.db_path = db_path;
  acfg.log = [](std::string_view line) { std::cout << line << std::endl; };
  workflow::AlertChannels channels;
  channels.to_station = [&live](const workflow::AlertChange& c) {
    if (live != nullptr) live->publish(c);
  };
  channels.to_cart = [](const workflow::AlertChange&) { return false; };
  workflow::AlertService alerts(acfg, channels);

  station::StationConfig cfg;
  cfg.listen_address = listen.substr(0, colon);
  cfg.port = static_cast<std::uint16_t>(std::stoi(listen.substr(colon + 1)));
  cfg.secure_cookies = false;  // plain loopback HTTP
  cfg.db_path = db_path;
  cfg.log = [](std::string_view line) { std::cout << line << std::endl; };
  station::Station station(io, cfg, alerts);
  live = &station;
  station.start();
  alerts.start();
  std::cout << "station listening on " << station.url() << std::endl;

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  boost::asio::steady_timer raiser(io);
  signals.async_wait([&](const boost::system::error_code&, int) {
    raise_every_s = 0;
    raiser.cancel();
    station.stop();
  });
  int raised = 0;
  std::function<void()> schedule = [&] {
    if (raise_every_s <= 0) return;
    raiser.expires_after(std::chrono::seconds(raise_every_s));
    raiser.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      const auto uid = "dev-live-" + std::to_string(storage::now_unix_ms()) + "-" + std::to_string(++raised);
      const auto id = seed_study(*store, device, uid, "P-L" + std::to_string(raised),
                                 storage::now_unix_ms(), {{"V2", 300}, {"V3", 350}, {"V4", 250}},
                                 "critical", "stemi", "Suspected anterior STEMI (V2–V4)",
                                 "疑似前壁 STEMI（V2–V4）");
      alerts.alert_raised(id);
      schedule();
    });
  };
  if (demo) schedule();
  std::thread second([&io] { io.run(); });
  io.run();
  second.join();
  alerts.stop();
  return 0;
}
