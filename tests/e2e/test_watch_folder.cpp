// Issue 13, acceptance 4: `greenchannel cart --watch` (a real process) on a cart's export folder
// while `greenchannel serve` is SIGKILLed and restarted twice (and the agent itself once). Fifty
// files of mixed formats are dropped in: WFDB records made from sample_ecgs/, copies of the real
// carts' files in GC_ECG_FORMATS_DIR (when present), files written slowly in pieces, a renamed copy
// and two corrupt files. Every good file must arrive exactly once, bit for bit; the corrupt ones
// must sit in rejected/ with their reasons.
#include <sqlite3.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include "e2e/e2e_util.hpp"
#include "gc/formats.hpp"
#include "gc/storage.hpp"
#include "gc/wfdb.hpp"

namespace fs = std::filesystem;
namespace json = boost::json;
using gc::test::ServeProcess;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// `greenchannel cart --watch` as a child process; its JSON lines are collected on a thread.
class AgentProcess {
 public:
  explicit AgentProcess(std::vector<std::string> args) {
    args.insert(args.begin(), {GC_CLI_PATH, "cart"});
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::dup2(fds[1], STDOUT_FILENO);
      ::execv(GC_CLI_PATH, argv.data());
      std::_Exit(127);
    }
    ::close(fds[1]);
    out_ = ::fdopen(fds[0], "r");
    REQUIRE(out_ != nullptr);
    reader_ = std::thread([this] {
      char buffer[65536];
      while (std::fgets(buffer, sizeof buffer, out_) != nullptr) {
        try {
          json::value v = json::parse(buffer);
          if (v.is_object()) {
            std::lock_guard lock(mutex_);
            events_.push_back(v.as_object());
          }
        } catch (const std::exception&) {
        }
      }
    });
  }
  ~AgentProcess() {
    if (pid_ > 0) kill_hard();
    if (reader_.joinable()) reader_.join();
    if (out_ != nullptr) std::fclose(out_);
  }
  // SIGKILL; every line it printed before is collected when this returns.
  void kill_hard() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
    if (reader_.joinable()) reader_.join();
  }
  int terminate(std::chrono::seconds timeout) {
    REQUIRE(::kill(pid_, SIGTERM) == 0);
    const auto deadline = Clock::now() + timeout;
    int status = 0;
    while (Clock::now() < deadline) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        if (reader_.joinable()) reader_.join();
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(20ms);
    }
    return -1;
  }
  std::vector<json::object> events(std::string_view kind) {
    std::lock_guard lock(mutex_);
    std::vector<json::object> out;
    for (const auto& e : events_) {
      if (e.at("event").as_string() == kind) out.push_back(e);
    }
    return out;
  }
  // The kind of the last event printed ("" before any).
  std::string last_event() {
    std::lock_guard lock(mutex_);
    return events_.empty() ? "" : std::string(events_.back().at("event").as_string());
  }

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
  std::thread reader_;
  std::mutex mutex_;
  std::vector<json::object> events_;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void spit(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary) << bytes;
}

// One ECG dropped into the folder: its files (the first names it) and how to read it back.
struct Item {
  std::vector<std::string> files;  // in the staging folder, moved into the watched folder
  bool good = true;
  bool copy_of_another = false;  // same bytes as an earlier item under another name
  bool slow = false;             // written into the watched folder in pieces
};

// The file's samples in µV per stored lead, read independently of the agent.
std::vector<std::vector<double>> file_microvolts(const fs::path& path) {
  std::vector<std::vector<double>> out;
  if (path.extension() == ".hea") {
    const auto rec = gc::wfdb::read_record(path);
    for (std::size_t i = 0; i < rec.samples_adu.size(); ++i) {
      const auto& s = rec.header.signals[i];
      std::vector<double> lead;
      for (const auto v : rec.samples_adu[i]) {
        lead.push_back(static_cast<double>(v - s.baseline_adu) / s.adc_gain_per_mv *
                       gc::wfdb::microvolts_per_unit(s.units));
      }
      out.push_back(std::move(lead));
    }
    return out;
  }
  const auto ecg = gc::formats::read_ecg_file(path);
  for (const auto& l : ecg.stored) {
    std::vector<double> lead;
    for (const auto c : l.counts) lead.push_back(l.offset_uv + c * l.uv_per_count);
    out.push_back(std::move(lead));
  }
  return out;
}

std::vector<std::string> device_study_uids(const fs::path& db, const std::string& device) {
  sqlite3* handle = nullptr;
  REQUIRE(sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(handle, "SELECT study_uid FROM studies WHERE device_id = ?", -1, &stmt,
                             nullptr) == SQLITE_OK);
  sqlite3_bind_text(stmt, 1, device.c_str(), -1, SQLITE_TRANSIENT);
  std::vector<std::string> out;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(handle);
  return out;
}

}  // namespace

TEST_CASE("cart --watch: 50 files while serve is SIGKILLed twice: each good file once, bit for bit",
          "[e2e][watch][crash]") {
  const auto started = Clock::now();
  std::random_device rd;
  const fs::path dir = fs::temp_directory_path() /
                       ("gc-watch-e2e-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  const fs::path staging = dir / "staging";
  const fs::path watched = dir / "export";
  fs::create_directories(staging);
  fs::create_directories(watched);
  const fs::path db = dir / "greenchannel.db";
  gc::storage::NewDevice device;
  {
    auto store = gc::storage::Store::open(db);
    device = store->add_device("watch clinic", "cart-watch-e2e");
  }

  // --- The 50 files, written at test time into a staging folder.
  constexpr std::size_t kItems = 50;
  std::vector<Item> items;
  const fs::path formats_dir = GC_ECG_FORMATS_DIR;
  const bool have_formats = fs::is_directory(formats_dir);
  if (!have_formats) {
    WARN("no " << formats_dir << ": only WFDB records (real carts' files skipped)");
  } else {
    // Each real file once, and text-XML ones also as further exports (a trailing comment makes
    // each copy another file with the same ECG).
    const std::vector<std::string> real = {"dicom/ECGToolkit_Example.dcm",
                                           "aecg/Example aECG.xml",
                                           "scp/Example.scp",
                                           "sierra/129DYPRG.XML",
                                           "sierra/3191723_ZZDEMOPTONLY_1-04_orig.xml",
                                           "muse/BRAVEHEART_example1.xml",
                                           "other/ECGVisualizer_example1.xml"};
    for (const auto& r : real) {
      const std::string name = "real_" + fs::path(r).filename().string();
      fs::copy_file(formats_dir / r, staging / name);
      items.push_back({{name}});
    }
    const std::vector<std::string> ascii_xml = {"aecg/Example aECG.xml", "sierra/129DYPRG.XML",
                                                "muse/BRAVEHEART_example1.xml",
                                                "other/ECGVisualizer_example1.xml"};
    for (int copy = 1; copy <= 3; ++copy) {
      for (const auto& r : ascii_xml) {
        const std::string name =
            "export" + std::to_string(copy) + "_" + fs::path(r).filename().string();
        spit(staging / name,
             slurp(formats_dir / r) + "\n<!-- export " + std::to_string(copy) + " -->\n");
        items.push_back({{name}});
      }
    }
    // A renamed copy of a file sent already: the same ECG, not sent again.
    fs::copy_file(formats_dir / "scp/Example.scp", staging / "renamed_copy.scp");
    items.push_back({{"renamed_copy.scp"}, true, true});
    // Written slowly in pieces while the agent watches.
    spit(staging / "slow_Example aECG.xml",
         slurp(formats_dir / "aecg/Example aECG.xml") + "\n<!-- slow -->\n");
    items.push_back({{"slow_Example aECG.xml"}, true, false, true});
    // Corrupt: a truncated SCP-ECG file.
    const std::string scp = slurp(formats_dir / "scp/Example.scp");
    spit(staging / "corrupt_truncated.scp", scp.substr(0, scp.size() / 2));
    items.push_back({{"corrupt_truncated.scp"}, false});
  }
  {
    // Corrupt: bytes no cart writes.
    std::mt19937 rng(7);
    std::string noise(4096, '\0');
    for (auto& c : noise) c = static_cast<char>(rng());
    spit(staging / "corrupt_noise.ecg", noise);
    items.push_back({{"corrupt_noise.ecg"}, false});
  }
  if (!have_formats) {
    spit(staging / "corrupt_header.hea", "corrupt_header 12 500 5000\nnot a signal line\n");
    items.push_back({{"corrupt_header.hea"}, false});
  }
  // WFDB records: the sample ECGs, each variant shifted by a different number of samples.
  const std::vector<std::string> samples = {"normal_sinus",      "stemi_anterior",
                                            "stemi_inferior_rv", "stemi_posterior",
                                            "lbbb_confounder",   "noisy_lead_off"};
  for (int k = 0; items.size() < kItems; ++k) {
    const std::string base = samples[static_cast<std::size_t>(k) % samples.size()];
    const auto rec =
        gc::wfdb::read_record(fs::path(GC_SOURCE_DIR) / "sample_ecgs" / (base + ".hea"));
    auto shifted = rec.samples_adu;
    for (auto& lead : shifted) {
      std::rotate(lead.begin(), lead.begin() + (k * 37 + 1) % lead.size(), lead.end());
    }
    std::string name = "w";  // (not "w" + to_string(k): a GCC 12 -Wrestrict false positive)
    name += std::to_string(k);
    name += "_" + base;
    auto header = rec.header;
    header.record_name = name;
    gc::wfdb::write_record(staging, name, header, shifted);
    const bool slow = k == 3;  // its data file arrives in pieces after its header
    items.push_back({{name + ".hea", name + ".dat"}, true, false, slow});
  }
  REQUIRE(items.size() == kItems);

  // --- Serve and the agent.
  auto serve = std::make_unique<ServeProcess>(db, "127.0.0.1:0", std::vector<std::string>{"-q"});
  const int port = serve->port();
  const std::vector<std::string> agent_args = {"--watch",
                                               watched.string(),
                                               "--insecure",
                                               "--server",
                                               "127.0.0.1:" + std::to_string(port),
                                               "--device",
                                               device.device_id,
                                               "--secret",
                                               device.secret,
                                               "--poll-ms",
                                               "150",
                                               "--settle-ms",
                                               "1000",
                                               "--retry-max-s",
                                               "1",
                                               "--timeout-s",
                                               "2",
                                               "--finding-timeout-s",
                                               "3",
                                               "--json",
                                               "-q"};
  auto agent = std::make_unique<AgentProcess>(agent_args);

  std::set<std::string> sent_files;  // across both agent processes
  std::vector<json::object> all_sent, all_rejected, all_duplicates;
  std::size_t outages_seen = 0;  // server_unavailable events: the agent backed off
  const auto harvest = [&] {
    for (const auto& e : agent->events("sent")) {
      all_sent.push_back(e);
      sent_files.insert(std::string(e.at("file").as_string()));
    }
    for (const auto& e : agent->events("rejected")) all_rejected.push_back(e);
    for (const auto& e : agent->events("duplicate")) all_duplicates.push_back(e);
    outages_seen += agent->events("server_unavailable").size();
  };
  const auto sent_now = [&] {
    std::set<std::string> files = sent_files;
    for (const auto& e : agent->events("sent")) files.insert(std::string(e.at("file").as_string()));
    return files.size();
  };
  const auto wait_sent = [&](std::size_t n, std::chrono::seconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (sent_now() < n && Clock::now() < deadline) std::this_thread::sleep_for(50ms);
    return sent_now() >= n;
  };
  const auto drop = [&](std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to && i < items.size(); ++i) {
      if (items[i].slow) continue;
      // Data files before the header, each renamed in (the cart's export is atomic per file).
      for (auto it = items[i].files.rbegin(); it != items[i].files.rend(); ++it) {
        fs::rename(staging / *it, watched / *it);
      }
    }
  };
  std::vector<std::thread> writers;
  const auto write_slowly = [&] {
    for (auto& item : items) {
      if (!item.slow) continue;
      writers.emplace_back([&, files = item.files] {
        if (files.size() == 2) fs::copy_file(staging / files[0], watched / files[0]);
        const std::string& name = files.back();
        const std::string bytes = slurp(staging / name);
        std::ofstream out(watched / name, std::ios::binary);
        const std::size_t pieces = 12;
        for (std::size_t p = 0; p < pieces; ++p) {
          const std::size_t from = bytes.size() * p / pieces;
          const std::size_t to = bytes.size() * (p + 1) / pieces;
          out.write(bytes.data() + from, static_cast<std::streamsize>(to - from));
          out.flush();
          std::this_thread::sleep_for(250ms);  // never still for the 1 s settle interval
        }
      });
    }
  };

  // Batch 1 with the server up.
  drop(0, 18);
  REQUIRE(wait_sent(5, 20s));
  // Kill 1: batch 2 and the slow writers arrive while the server is down.
  serve->kill_hard();
  drop(18, 34);
  write_slowly();
  std::this_thread::sleep_for(2s);
  serve = std::make_unique<ServeProcess>(db, "127.0.0.1:" + std::to_string(port),
                                         std::vector<std::string>{"-q"});
  REQUIRE(wait_sent(16, 20s));
  // The agent itself is killed mid-study (right after it announced a send) and restarted.
  const auto send_deadline = Clock::now() + 5s;
  while (agent->last_event() != "sending" && Clock::now() < send_deadline) {
    std::this_thread::sleep_for(1ms);
  }
  agent->kill_hard();
  harvest();
  std::size_t claimed_unsent_at_kill = 0;  // the restarted agent must finish these, once
  {
    std::set<std::string> claimed, sent;
    std::ifstream journal(watched / ".greenchannel" / "journal.jsonl");
    for (std::string line; std::getline(journal, line);) {
      const auto o = json::parse(line).as_object();
      if (o.at("event").as_string() == "claimed")
        claimed.insert(std::string(o.at("sha256").as_string()));
      if (o.at("event").as_string() == "sent") sent.insert(std::string(o.at("sha256").as_string()));
    }
    for (const auto& c : claimed) claimed_unsent_at_kill += sent.contains(c) ? 0 : 1;
  }
  agent = std::make_unique<AgentProcess>(agent_args);
  std::this_thread::sleep_for(700ms);
  // Kill 2: the last batch (and the corrupt files) while the server is down.
  serve->kill_hard();
  drop(34, kItems);
  std::this_thread::sleep_for(2s);
  serve = std::make_unique<ServeProcess>(db, "127.0.0.1:" + std::to_string(port),
                                         std::vector<std::string>{"-q"});
  for (auto& w : writers) w.join();

  std::set<std::string> good_names;
  std::set<std::string> corrupt_names;
  for (const auto& item : items) {
    if (!item.good) {
      corrupt_names.insert(item.files.front());
    } else if (!item.copy_of_another) {
      good_names.insert(item.files.front());
    }
  }
  const bool all_sent_in_time = wait_sent(good_names.size(), 30s);
  const auto settle_deadline = Clock::now() + 5s;
  while (agent->events("rejected").size() + all_rejected.size() < corrupt_names.size() &&
         Clock::now() < settle_deadline) {
    std::this_thread::sleep_for(50ms);
  }
  std::this_thread::sleep_for(500ms);  // anything sent twice would show now
  CHECK(agent->terminate(10s) == 0);
  harvest();
  CHECK(serve->terminate(30s) == 0);
  const double wall_s = std::chrono::duration<double>(Clock::now() - started).count();
  CHECK(all_sent_in_time);
  CHECK(outages_seen >= 1);  // files were waiting while the server was down
  CHECK(claimed_unsent_at_kill >= 1);  // the agent's kill left work for its restart

  // --- Every good file arrived, exactly once, bit for bit.
  std::map<std::string, std::string> uid_of;
  for (const auto& e : all_sent) {
    CHECK(e.at("complete").as_bool());
    const std::string file(e.at("file").as_string());
    const std::string uid(e.at("study_uid").as_string());
    if (uid_of.contains(file))
      CHECK(uid_of[file] == uid);  // re-acknowledged after the agent's kill
    uid_of[file] = uid;
  }
  std::set<std::string> sent_names;
  for (const auto& [file, uid] : uid_of) sent_names.insert(file);
  CHECK(sent_names == good_names);
  const auto uids = device_study_uids(db, device.device_id);
  const std::set<std::string> distinct_uids(uids.begin(), uids.end());
  CHECK(uids.size() == good_names.size());  // no ECG stored twice, none missing
  CHECK(distinct_uids.size() == uids.size());

  auto store = gc::storage::Store::open(db);
  std::size_t bit_exact = 0;
  for (const auto& name : good_names) {
    INFO("file " << name);
    REQUIRE(uid_of.contains(name));
    const auto state = store->find_study(device.device_id, uid_of[name]);
    REQUIRE(state);
    CHECK(state->complete);
    // The study records the file it came from and its format (issue 13).
    REQUIRE(state->header.source);
    CHECK(state->header.source->file_name == name);
    CHECK_FALSE(state->header.source->format.empty());
    if (name.ends_with(".hea")) CHECK(state->header.source->format == "WFDB");
    if (name.ends_with(".dcm")) CHECK(state->header.source->format == "DICOM");
    const auto stored = store->load_samples(state->study_id);
    const auto expected = file_microvolts(watched / name);
    REQUIRE(stored.samples.size() == expected.size());
    const double uv_per_step = stored.header.resolution_nv_per_lsb / 1000.0;
    bool exact = true;
    for (std::size_t l = 0; l < expected.size(); ++l) {
      REQUIRE(stored.samples[l].size() == expected[l].size());
      for (std::size_t k = 0; k < expected[l].size(); ++k) {
        // Exact conversions (the mode every one of these files takes): equal to rounding error.
        const double got = stored.samples[l][k] * uv_per_step;
        if (std::abs(got - expected[l][k]) > 1e-6 * (1 + std::abs(expected[l][k]))) exact = false;
      }
    }
    CHECK(exact);
    bit_exact += exact ? 1 : 0;
    CHECK(state->received_samples_per_lead == expected.front().size());  // no chunk twice
  }

  // --- The corrupt files sit in rejected/ with their reasons; the copy was not resent.
  std::set<std::string> rejected_names;
  for (const auto& e : all_rejected) rejected_names.insert(std::string(e.at("file").as_string()));
  CHECK(rejected_names == corrupt_names);
  std::string reasons;
  for (const auto& name : corrupt_names) {
    INFO("corrupt " << name);
    CHECK_FALSE(fs::exists(watched / name));
    CHECK(fs::exists(watched / "rejected" / name));
    const std::string why = slurp(watched / "rejected" / (name + ".error.txt"));
    CHECK(why.rfind(name + ":", 0) == 0);  // "NAME: reason" (or "NAME:LINE: reason")
    CHECK(std::count(why.begin(), why.end(), '\n') == 1);
    CHECK(why.size() > name.size() + 10);
    reasons += why;
  }
  std::size_t rejected_dir_files = 0;
  for (const auto& entry : fs::directory_iterator(watched / "rejected")) {
    (void)entry;
    ++rejected_dir_files;
  }
  CHECK(rejected_dir_files == 2 * corrupt_names.size());
  for (const auto& item : items) {
    if (!item.copy_of_another) continue;
    CHECK_FALSE(uid_of.contains(item.files.front()));
    CHECK(std::any_of(all_duplicates.begin(), all_duplicates.end(), [&](const auto& e) {
      return e.at("file").as_string() == item.files.front();
    }));
  }
  std::size_t resends = all_sent.size() - uid_of.size();
  WARN("cart --watch e2e: " << items.size() << " files dropped, " << good_names.size() << " good, "
                            << uid_of.size() << " sent, " << uids.size() << " studies stored ("
                            << bit_exact << " bit for bit), " << resends
                            << " receipts repeated after the agent's kill, "
                            << all_duplicates.size() << " copies not resent, "
                            << claimed_unsent_at_kill
                            << " claimed and unsent when the agent was killed, " << outages_seen
                            << " outages waited out, " << rejected_names.size() << " rejected:\n"
                            << reasons << "wall " << wall_s << " s");
  CHECK(wall_s < 60);
  std::error_code ignored;
  fs::remove_all(dir, ignored);
}
