// `greenchannel cart`: a cart simulator. Reads WFDB records and streams each to a server exactly as
// a real cart would (protocol v1: hello, study start, 200 ms chunks, study end with CRC-32), then
// prints what the server acknowledged and the finding it pushed back.
//
// Samples: the file's integers as gc/cart_study.hpp sends them (one resolution per study, the mode
// printed for every record: nothing is changed silently).
//
// `greenchannel cart --watch DIR`: the store-and-forward agent of a cart's export folder
// (gc/watch.hpp); this file only parses its options and prints its events.
#include <array>
#include <atomic>
#include <boost/json.hpp>
#include <boost/program_options.hpp>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <optional>
#include <sstream>

#include "commands.hpp"
#include "gc/cart_client.hpp"
#include "gc/cart_study.hpp"
#include "gc/dsp.hpp"
#include "gc/tls.hpp"
#include "gc/triage.hpp"
#include "gc/watch.hpp"
#include "gc/wfdb.hpp"
#include "gc/workflow.hpp"
#include "record_input.hpp"

namespace gc::cli {

namespace po = boost::program_options;
namespace json = boost::json;
namespace pb = proto::pb;

namespace {

std::string format_number(double value) {
  std::ostringstream out;
  out << std::setprecision(10) << value;
  return out.str();
}

json::array lead_st_json(const google::protobuf::RepeatedPtrField<pb::LeadST>& leads) {
  json::array out;
  for (const auto& l : leads) {
    out.push_back(json::object{{"lead", l.lead()},
                               {"st_j_uv", l.st_j_uv()},
                               {"st_late_uv", l.st_late_uv()},
                               {"threshold_uv", l.threshold_uv()}});
  }
  return out;
}

json::object finding_json(const pb::Finding& f) {
  json::array territories;
  for (const auto& t : f.territories()) territories.emplace_back(t);
  json::array confounders;
  for (const auto& c : f.confounders()) confounders.emplace_back(c);
  json::array notes;
  for (const auto& n : f.notes()) notes.emplace_back(n);
  return json::object{{"category", f.category()},
                      {"tier", f.tier()},
                      {"stemi", f.stemi()},
                      {"territories", std::move(territories)},
                      {"elevated", lead_st_json(f.elevated())},
                      {"depressed", lead_st_json(f.depressed())},
                      {"confounders", std::move(confounders)},
                      {"route_to_human", f.route_to_human()},
                      {"repeat_ecg", f.repeat_ecg()},
                      {"notes", std::move(notes)},
                      {"explanation_en", f.explanation_en()},
                      {"explanation_zh", f.explanation_zh()}};
}

json::object result_json(const std::string& record, const agent::ConvertedStudy& converted,
                         const ingest::CartResult& result) {
  const ingest::CartStudy& study = converted.study;
  json::object o{{"record", record},
                 {"study_uid", result.study_uid},
                 {"complete", result.complete},
                 {"detail", result.detail},
                 {"chunks", result.chunks},
                 {"chunks_acked", result.chunks_acked},
                 {"chunks_resent", result.chunks_resent},
                 {"reconnects", result.reconnects},
                 {"samples_per_lead", result.samples_per_lead},
                 {"samples_crc32", result.samples_crc32},
                 {"resolution_nv_per_lsb", study.resolution_nv_per_lsb},
                 {"samples_mode", converted.mode},
                 {"samples_exact", converted.exact},
                 {"ack_latency_p50_ms", result.ack_latency_p50_ms},
                 {"ack_latency_max_ms", result.ack_latency_max_ms}};
  o["finding"] = result.finding ? json::value(finding_json(*result.finding)) : json::value(nullptr);
  return o;
}

void print_lead_st(const char* arrow, const pb::LeadST& l, bool with_threshold) {
  std::cout << "    ST" << arrow << " " << std::left << std::setw(4) << l.lead() << std::right
            << std::showpos << std::fixed << std::setprecision(1) << std::setw(6)
            << l.st_j_uv() / 100.0 << " mm" << std::noshowpos << "  (" << std::setprecision(0)
            << l.st_j_uv() << " µV at J, " << l.st_late_uv() << " µV late";
  if (with_threshold) std::cout << "; threshold " << l.threshold_uv() << " µV";
  std::cout << ")\n";
}

void print_text(const std::string& record, const agent::ConvertedStudy& converted,
                const ingest::CartResult& r) {
  const auto& s = converted.study;
  std::cout << record << " → study " << r.study_uid << "\n"
            << "  sent " << s.leads.size() << " leads × " << r.samples_per_lead << " samples at "
            << s.sample_rate_hz << " Hz in " << r.chunks << " chunks, "
            << format_number(s.resolution_nv_per_lsb) << " nV/step (" << converted.mode << ")\n"
            << "  acknowledged " << r.chunks_acked << "/" << r.chunks << " chunks as durable"
            << "; resent " << r.chunks_resent << ", reconnects " << r.reconnects << std::fixed
            << std::setprecision(1) << "; ack latency p50 " << r.ack_latency_p50_ms << " ms, max "
            << r.ack_latency_max_ms << " ms\n"
            << "  study " << (r.complete ? "complete" : "NOT complete") << ": " << r.detail << "\n";
  for (const auto& e : r.errors) {
    std::cout << "  server error " << proto::code_name(e.code()) << ": " << e.message() << "\n";
  }
  if (!r.finding) {
    if (r.complete) std::cout << "  no finding received within the timeout\n";
    return;
  }
  const pb::Finding& f = *r.finding;
  std::cout << "  finding: " << f.category() << " — alert tier " << f.tier()
            << (f.stemi() ? " — STEMI" : "") << "\n";
  if (f.territories_size() > 0) {
    std::cout << "    territories:";
    for (const auto& t : f.territories()) {
      std::cout << " " << triage::territory_name_en(t) << " (" << triage::territory_name_zh(t)
                << ")";
    }
    std::cout << "\n";
  }
  for (const auto& l : f.elevated()) print_lead_st("↑", l, true);
  for (const auto& l : f.depressed()) print_lead_st("↓", l, false);
  if (f.confounders_size() > 0) {
    std::cout << "    confounders:";
    for (const auto& c : f.confounders()) std::cout << " " << c;
    std::cout << "\n";
  }
  for (const auto& n : f.notes()) std::cout << "    note: " << n << "\n";
  std::cout << "    EN: " << f.explanation_en() << "\n    中文: " << f.explanation_zh() << "\n";
  if (f.route_to_human()) std::cout << "    → routed to the on-call cardiologist\n";
  if (f.repeat_ecg()) std::cout << "    → repeat the ECG now\n";
}

// One line (or JSON object) per AlertUpdate; `file` names the watched file it is about, if any.
void print_alert_update(const pb::AlertUpdate& u, bool as_json, const std::string& file) {
  const std::string at = workflow::format_iso(u.at().unix_ms(), workflow::TimeZone{});
  if (as_json) {
    json::object o{{"event", "alert_update"},
                   {"study_uid", u.study_uid()},
                   {"alert_id", u.alert_id()},
                   {"state", u.state()},
                   {"tier", u.tier()},
                   {"by", u.actor()},
                   {"at", at},
                   {"at_unix_ms", u.at().unix_ms()},
                   {"reason", u.reason()},
                   {"instructions_zh", u.instructions_zh()},
                   {"instructions_en", u.instructions_en()},
                   {"case_id", u.case_id()},
                   {"update_id", u.update_id()}};
    if (!file.empty()) o["file"] = file;
    std::cout << json::serialize(o) << std::endl;
    return;
  }
  std::cout << "alert-update " << u.study_uid();
  if (!file.empty()) std::cout << " file=" << std::quoted(file);
  std::cout << " state=" << u.state() << " by=" << u.actor() << " at=" << at << " tier=" << u.tier()
            << " alert=" << u.alert_id();
  if (u.case_id() != 0) std::cout << " case=" << u.case_id();
  if (!u.reason().empty()) std::cout << " reason=" << std::quoted(u.reason());
  if (!u.instructions_zh().empty()) std::cout << " zh=" << std::quoted(u.instructions_zh());
  if (!u.instructions_en().empty()) std::cout << " en=" << std::quoted(u.instructions_en());
  std::cout << std::endl;
}

// --wait-confirmation: one line (or JSON object) per AlertUpdate of the study until the alert
// reaches green_channel, rejected or closed, or the time runs out. Returns whether it did.
bool wait_for_alert_updates(ingest::CartClient& client, const std::string& study_uid,
                            double seconds, bool as_json) {
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
  std::string state;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left <= std::chrono::milliseconds::zero()) break;
    const auto u = client.wait_alert_update(study_uid, left);
    if (!u) break;
    state = u->state();
    print_alert_update(*u, as_json, "");
    if (state == "green_channel" || state == "rejected" || state == "closed") return true;
  }
  if (as_json) {
    std::cout << json::serialize(json::object{
                     {"event", "alert_wait_timeout"}, {"study_uid", study_uid}, {"state", state}})
              << std::endl;
  } else {
    std::cout << "alert-wait " << study_uid << " timed out"
              << (state.empty() ? std::string(" (no update)") : " in state " + state) << std::endl;
  }
  return false;
}

// --watch: prints the agent's events (text, or one JSON object per line with --json).
void print_watch_event(const agent::WatchEvent& e, bool as_json, bool quiet) {
  using Kind = agent::WatchEvent::Kind;
  if (e.kind == Kind::alert_update) {
    print_alert_update(*e.update, as_json, e.file);
    return;
  }
  if (e.kind == Kind::progress) {
    if (!quiet) std::cerr << "cart: " << e.file << ": " << e.message << "\n";
    return;
  }
  if (as_json) {
    static constexpr std::array kNames = {
        "waiting",  "duplicate", "rejected",           "sending",
        "progress", "sent",      "server_unavailable", "alert_update"};
    json::object o{{"event", kNames[static_cast<std::size_t>(e.kind)]}, {"file", e.file}};
    if (!e.study_uid.empty()) o["study_uid"] = e.study_uid;
    if (e.kind == Kind::sent) {
      o["format"] = e.message;
      for (const auto& kv : result_json(e.file, *e.study, *e.result)) o[kv.key()] = kv.value();
    } else if (e.kind == Kind::sending) {
      o["format"] = e.message;
      o["samples_mode"] = e.study->mode;
    } else if (e.kind == Kind::server_unavailable) {
      o["reason"] = e.message;
      o["retry_in_ms"] = e.retry_in.count();
      o["waiting_to_send"] = e.waiting_to_send;
    } else {
      o[e.kind == Kind::rejected ? "reason" : "detail"] = e.message;
    }
    std::cout << json::serialize(o) << std::endl;
    return;
  }
  switch (e.kind) {
    case Kind::waiting:
    case Kind::duplicate:
      std::cout << "watch: " << e.file << ": " << e.message << std::endl;
      break;
    case Kind::rejected:
      std::cout << "watch: " << e.file << ": rejected (moved to rejected/): " << e.message
                << std::endl;
      break;
    case Kind::sending:
      std::cout << "watch: " << e.file << ": sending as study " << e.study_uid << " (" << e.message
                << ")" << std::endl;
      break;
    case Kind::sent:
      print_text(e.file, *e.study, *e.result);
      std::cout << std::flush;
      break;
    case Kind::server_unavailable:
      std::cout << "watch: server unavailable (" << e.message << "); " << e.waiting_to_send
                << " file(s) waiting; retrying in " << std::fixed << std::setprecision(1)
                << static_cast<double>(e.retry_in.count()) / 1000.0 << " s" << std::endl;
      break;
    case Kind::progress:
    case Kind::alert_update:
      break;
  }
}

std::atomic<bool> g_watch_stop{false};

extern "C" void on_watch_signal(int) {
  g_watch_stop = true;
}

// A clinical time given on the command line: "-25m" / "-2h" (that long before now, handy for a
// simulated cart) or an instant as `case event --at` takes it ("2026-05-12T16:05+08:00",
// "2026-05-12 16:05" in --tz).
std::int64_t parse_when(const std::string& option, const std::string& text,
                        const workflow::TimeZone& tz, std::int64_t now_ms) {
  if (text.size() >= 3 && text[0] == '-' && (text.back() == 'm' || text.back() == 'h') &&
      text.find_first_not_of("0123456789", 1) == text.size() - 1 && text.size() <= 7) {
    const std::int64_t n = std::stoll(text.substr(1, text.size() - 2));
    return now_ms - n * (text.back() == 'h' ? 3'600'000 : 60'000);
  }
  try {
    return workflow::parse_instant(text, tz);
  } catch (const std::exception& e) {
    throw po::error("--" + option + " '" + text + "': " + e.what() +
                    " (or -25m / -2h: that long before now)");
  }
}

}  // namespace

int cmd_cart(int argc, char** argv) {
  std::string server;
  ingest::CartConfig config;
  std::string patient;
  std::string sex;
  std::string study_uid;
  std::string onset_text, fmc_text, tz_name;
  std::optional<std::int64_t> onset_ms, fmc_ms;
  int age = 0;
  int chunk_ms = 200;
  double timeout_s = 10;
  double finding_timeout_s = 60;
  double wait_confirmation_s = 0;
  double chaos = 0;
  std::string ca_file;
  std::vector<std::string> pin_args;
  std::vector<std::string> fingerprint_args;  // --fingerprint, the older name of --pin
  std::string client_cert;
  std::string client_key;
  agent::WatchConfig watch;
  std::string watch_dir;
  std::string state_dir;
  int poll_ms = 1000;
  int settle_ms = 2000;
  double retry_max_s = 60;
  po::options_description desc(
      "usage: greenchannel cart --server HOST:PORT --device ID --secret S [options] "
      "RECORD...\n"
      "       greenchannel cart --server HOST:PORT --device ID --secret S [options] --watch DIR\n\n"
      "Streams WFDB records or ECG files (DICOM, HL7 aECG, SCP-ECG, GE MUSE, Philips Sierra, GE\n"
      "CardioSoft; chosen by content) to a greenchannel server as a cart would (protocol v1) and\n"
      "prints the acknowledgements and the finding. Age and sex come from the record unless given\n"
      "here.\n"
      "Unacknowledged chunks are kept and resent after a reconnect.\n\n"
      "With --watch DIR it runs as the store-and-forward agent of a cart's export folder: every "
      "new\n"
      "ECG file in DIR is sent exactly once (journal in DIR/.greenchannel or --state), once it "
      "has\n"
      "stopped changing; unreadable files go to DIR/rejected/ with NAME.error.txt; sent files "
      "stay;\n"
      "the server's receipts, reads and the cardiologist's updates are printed as they come.\n"
      "SIGINT/SIGTERM stop it between files.\n\noptions");
  desc.add_options()("help,h", "show this help")(
      "server", po::value(&server)->default_value("127.0.0.1:7800"),
      "server HOST:PORT, or several nodes of one centre HOST:PORT,HOST:PORT,… (tried in turn when "
      "one cannot be reached)")("device", po::value(&config.device_id)->required(),
                                "device id (from `device add`)")(
      "secret", po::value(&config.secret),
      "device secret (from `device add`); default: $GC_CART_SECRET (keeps it out of `ps`)")(
      "age", po::value(&age), "patient age in years")("sex", po::value(&sex), "M or F")(
      "chest-pain", "the patient has chest pain")("patient", po::value(&patient),
                                                  "pseudonymous patient id")(
      "onset", po::value(&onset_text),
      "symptom onset: 2026-05-12T15:20+08:00, '2026-05-12 15:20' (in --tz) or -90m (before now)")(
      "fmc", po::value(&fmc_text),
      "first medical contact (the clinic saw the patient), same forms as --onset")(
      "tz", po::value(&tz_name)->default_value("Asia/Shanghai"),
      "time zone of --onset/--fmc given without an offset")(
      "study-uid", po::value(&study_uid), "study UID (one record only; default: generated)")(
      "eight-channel", "send only I, II and chest leads; the server derives III, aVR, aVL, aVF")(
      "realtime", "pace chunks at the rate the samples would be acquired")(
      "chunk-ms", po::value(&chunk_ms)->default_value(200), "chunk duration")(
      "timeout-s", po::value(&timeout_s)->default_value(10), "connect/ack timeout")(
      "finding-timeout-s", po::value(&finding_timeout_s)->default_value(60),
      "how long to wait for the finding")(
      "wait-confirmation", po::value(&wait_confirmation_s)->default_value(0),
      "after the finding, stay connected up to SECONDS and print each alert update (one line, or\n"
      "JSON with --json) until green_channel, rejected or closed; exit 1 if none is reached")(
      "chaos", po::value(&chaos)->default_value(0),
      "probability of dropping the connection after each frame (fault testing)")(
      "tls", "TLS 1.2+ (the default; accepted for older scripts)")(
      "pin", po::value(&pin_args)->composing(),
      "verify the server by the SHA-256 fingerprint of its centre CA (as `serve` and `tls show` "
      "print it) or, as before the CA, of its own certificate; repeat it or give a comma list to "
      "accept two CAs while the centre changes its CA")("fingerprint",
                                                        po::value(&fingerprint_args)->composing(),
                                                        "the same as --pin (older scripts)")(
      "ca", po::value(&ca_file),
      "verify the server with this CA (PEM) and its host name; without --ca or --pin the "
      "system's trust store is used")(
      "cert", po::value(&client_cert),
      "client certificate (PEM) for a server that requires mutual TLS")(
      "key", po::value(&client_key), "private key (PEM) of --cert")(
      "insecure", "plain TCP without TLS (only for a server on loopback started with --insecure)")(
      "watch", po::value(&watch_dir), "DIR: send every new ECG file that appears in DIR, once")(
      "state", po::value(&state_dir), "--watch: journal folder (default DIR/.greenchannel)")(
      "poll-ms", po::value(&poll_ms)->default_value(1000), "--watch: how often DIR is listed")(
      "settle-ms", po::value(&settle_ms)->default_value(2000),
      "--watch: a file is read once unchanged (size, mtime) this long")(
      "retry-max-s", po::value(&retry_max_s)->default_value(60),
      "--watch: longest wait between attempts while the server is unavailable")(
      "json", "print one JSON object per record (JSON lines)")("quiet,q", "no progress lines")(
      "record", po::value<std::vector<std::string>>(), "record header(s) or ECG file(s)");
  po::positional_options_description pos;
  pos.add("record", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(desc).positional(pos).run(), vm);
    if (vm.count("help") != 0U) {
      std::cout << desc << "\n";
      return 0;
    }
    po::notify(vm);
    if (!watch_dir.empty()) {
      if (vm.count("record") != 0U) throw po::error("--watch takes no RECORD arguments");
      for (const char* o : {"study-uid", "wait-confirmation", "eight-channel", "age", "sex",
                            "patient", "chest-pain", "realtime", "onset", "fmc"}) {
        if (!vm[o].defaulted() && vm.count(o) != 0U) {
          throw po::error(std::string("--") + o +
                          " does not apply to --watch (each file says who and what it is)");
        }
      }
      if (poll_ms < 50 || poll_ms > 600'000) throw po::error("--poll-ms must be 50..600000");
      if (settle_ms < 0 || settle_ms > 3'600'000) throw po::error("--settle-ms must be 0..3600000");
      if (!(retry_max_s >= 0.1 && retry_max_s <= 86'400)) {
        throw po::error("--retry-max-s must be 0.1..86400");
      }
    } else if (vm.count("record") == 0U) {
      throw po::error("no record given");
    }
    if (config.secret.empty()) {
      const char* env = std::getenv("GC_CART_SECRET");
      if (env == nullptr || *env == '\0')
        throw po::error("--secret or $GC_CART_SECRET is required");
      config.secret = env;
    }
    if (!study_uid.empty() && !proto::is_valid_identifier(study_uid, 128)) {
      throw po::error("--study-uid must be 1..128 characters of [A-Za-z0-9._:-]");
    }
    if (!sex.empty() && sex != "M" && sex != "F") throw po::error("--sex must be M or F");
    if (vm.count("age") && (age < 0 || age > 130)) throw po::error("--age must be 0..130");
    {
      const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
      std::optional<workflow::TimeZone> tz;
      try {
        tz = workflow::parse_time_zone(tz_name);
      } catch (const std::exception& e) {
        throw po::error("--tz '" + tz_name + "': " + e.what());
      }
      if (!onset_text.empty()) onset_ms = parse_when("onset", onset_text, *tz, now);
      if (!fmc_text.empty()) fmc_ms = parse_when("fmc", fmc_text, *tz, now);
      // The ECG is recorded now: a contact or onset in the future, or more than a week ago, is a
      // typing error (the server refuses implausible times too, naming them).
      constexpr std::int64_t kSlackMs = 5 * 60'000, kWeekMs = 7 * 86'400'000LL;
      for (const auto& [name, t] : {std::pair{"onset", onset_ms}, std::pair{"fmc", fmc_ms}}) {
        if (t && *t > now + kSlackMs)
          throw po::error(std::string("--") + name + " is in the future");
        if (t && *t < now - kWeekMs)
          throw po::error(std::string("--") + name + " is more than 7 days ago");
      }
      if (onset_ms && fmc_ms && *onset_ms > *fmc_ms) {
        throw po::error("--onset is after --fmc (symptoms start before the first medical contact)");
      }
    }
    if (chunk_ms < 10 || chunk_ms > 10'000) throw po::error("--chunk-ms must be 10..10000");
    if (chaos < 0 || chaos >= 1) throw po::error("--chaos must be in [0, 1)");
    if (!(wait_confirmation_s >= 0 && wait_confirmation_s <= 86'400)) {
      throw po::error("--wait-confirmation must be 0..86400 seconds");
    }
  } catch (const po::error& e) {
    std::cerr << "greenchannel cart: " << e.what() << "\n" << desc << "\n";
    return 2;
  }
  const auto records = vm.count("record") != 0U ? vm["record"].as<std::vector<std::string>>()
                                                : std::vector<std::string>{};
  if (!study_uid.empty() && records.size() != 1) {
    std::cerr << "greenchannel cart: --study-uid needs exactly one record\n";
    return 2;
  }
  try {
    auto servers = ingest::parse_server_list(server);
    config.host = servers.front().host;
    config.port = servers.front().port;
    config.more_servers.assign(servers.begin() + 1, servers.end());
  } catch (const std::invalid_argument& e) {
    std::cerr << "greenchannel cart: --server: " << e.what() << "\n";
    return 2;
  }
  const bool as_json = vm.count("json") != 0U;
  const bool quiet = vm.count("quiet") != 0U;
  config.chunk_duration = std::chrono::milliseconds(chunk_ms);
  config.realtime = vm.count("realtime") != 0U;
  config.io_timeout = std::chrono::milliseconds(static_cast<std::int64_t>(timeout_s * 1000));
  config.finding_timeout =
      std::chrono::milliseconds(static_cast<std::int64_t>(finding_timeout_s * 1000));
  config.chaos_drop_probability = chaos;
  config.chaos_seed =
      static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  if (!quiet) {
    config.log = [](std::string_view line) { std::cerr << "cart: " << line << "\n"; };
  }

  std::vector<std::string> pins;
  try {
    pin_args.insert(pin_args.end(), fingerprint_args.begin(), fingerprint_args.end());
    for (const auto& p : pin_args) {
      for (auto& pin : ingest::parse_pins(p)) pins.push_back(std::move(pin));
    }
  } catch (const std::invalid_argument& e) {
    std::cerr << "greenchannel cart: --pin: " << e.what() << "\n";
    return 2;
  }
  const bool insecure = vm.count("insecure") != 0U;
  if (!pins.empty() && !ca_file.empty()) {
    std::cerr << "greenchannel cart: give --pin or --ca, not both\n";
    return 2;
  }
  if (insecure && (vm.count("tls") != 0U || !pins.empty() || !ca_file.empty() ||
                   !client_cert.empty() || !client_key.empty())) {
    std::cerr << "greenchannel cart: --insecure contradicts --tls/--pin/--ca/--cert/--key\n";
    return 2;
  }
  if (client_cert.empty() != client_key.empty()) {
    std::cerr << "greenchannel cart: --cert and --key go together\n";
    return 2;
  }
  if (!insecure) {
    std::optional<ingest::TlsFiles> client;
    if (!client_cert.empty()) client = ingest::TlsFiles{client_cert, client_key};
    try {
      config.tls = ingest::make_cart_tls_context(ca_file, pins, client);
    } catch (const std::exception& e) {
      std::cerr << "greenchannel cart: TLS setup: " << e.what() << "\n";
      return 2;
    }
    // A pinned CA is the centre's own, issuing only its server certificates: the pin is the
    // check, and carts often reach the server by an address the certificate does not name.
    config.tls_verify_host_name = pins.empty();
  }
  if (!watch_dir.empty()) {
    watch.dir = watch_dir;
    watch.state_dir = state_dir;
    watch.poll_interval = std::chrono::milliseconds(poll_ms);
    watch.settle = std::chrono::milliseconds(settle_ms);
    watch.retry_max = std::chrono::milliseconds(static_cast<std::int64_t>(retry_max_s * 1000));
    watch.retry_initial = std::min(watch.retry_initial, watch.retry_max);
    // The agent backs off itself between attempts; the client only rides out short drops.
    config.max_reconnects = 3;
    std::signal(SIGINT, on_watch_signal);
    std::signal(SIGTERM, on_watch_signal);
    try {
      const auto summary = agent::run_watch(
          watch, config, g_watch_stop,
          [&](const agent::WatchEvent& e) { print_watch_event(e, as_json, quiet); });
      std::cerr << "greenchannel cart: stopped watching " << watch_dir << ": " << summary.sent
                << " sent, " << summary.duplicates << " copies not resent, " << summary.rejected
                << " rejected this run\n";
      return 0;
    } catch (const std::exception& e) {
      std::cerr << "greenchannel cart: --watch " << watch_dir << ": " << e.what() << "\n";
      return 1;
    }
  }
  ingest::CartClient client(config);
  int status = 0;
  for (const auto& given : records) {
    // A cart's ECG file (DICOM, aECG, SCP-ECG, vendor XML; by content) or a WFDB record; `hea`
    // names the input in messages and in the study UID.
    const bool ecg_file = is_ecg_file(given);
    const auto hea = ecg_file ? std::filesystem::path(given) : header_path_for(given);
    try {
      bool file_derives_limbs = false;
      wfdb::Record record;
      if (ecg_file) {
        const auto ecg = formats::read_ecg_file(hea);
        record = as_wfdb_record(ecg, hea.string());
        file_derives_limbs = !ecg.derived_leads.empty();  // 8 stored channels: the server derives
      } else {
        record = wfdb::read_record(hea);
      }
      agent::ConvertedStudy converted = agent::study_from_record(record, hea.string());
      ingest::CartStudy& study = converted.study;
      study.derive_limb_leads = study.derive_limb_leads || file_derives_limbs;
      if (vm.count("eight-channel")) {
        // Drop the derivable limb leads, as an 8-channel cart never acquires them.
        ingest::CartStudy eight = study;
        eight.leads.clear();
        eight.samples.clear();
        for (std::size_t i = 0; i < study.leads.size(); ++i) {
          const auto& l = study.leads[i];
          if (l == "III" || l == "aVR" || l == "aVL" || l == "aVF") continue;
          eight.leads.push_back(l);
          eight.samples.push_back(study.samples[i]);
        }
        eight.derive_limb_leads = true;
        study = std::move(eight);
      }
      study.age_years = vm.count("age") ? std::optional<int>(age) : record.header.age_years;
      study.sex = !sex.empty()        ? sex
                  : record.header.sex ? std::string(1, *record.header.sex)
                                      : std::string();
      study.chest_pain = vm.count("chest-pain") != 0U;
      study.symptom_onset_unix_ms = onset_ms;
      study.first_medical_contact_unix_ms = fmc_ms;
      study.patient_id = patient;
      const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
      study.study_uid = !study_uid.empty() ? study_uid
                                           : agent::sanitize_uid_part(config.device_id, 40) + ":" +
                                                 agent::sanitize_uid_part(hea.stem().string(), 60) +
                                                 ":" + std::to_string(now_ms);
      if (!converted.exact) {
        std::cerr << "greenchannel cart: note: " << hea.string() << ": " << converted.mode << "\n";
      }
      const ingest::CartResult result = client.send_study(study);
      if (as_json) {
        const json::object o = result_json(hea.string(), converted, result);
        std::cout << json::serialize(o) << std::endl;
      } else {
        print_text(hea.string(), converted, result);
      }
      if (!result.complete || !result.finding) status = 1;
      if (wait_confirmation_s > 0 && result.complete &&
          !wait_for_alert_updates(client, result.study_uid, wait_confirmation_s, as_json)) {
        status = 1;
      }
    } catch (const ingest::CartError& e) {
      std::cerr << "greenchannel cart: " << hea.string() << ": " << e.what() << "\n";
      status = 1;
      if (e.code()) break;  // refused by the server (e.g. credentials): the rest would be too
    } catch (const formats::Error& e) {
      std::cerr << "greenchannel cart: " << e.what() << "\n";  // already names the file
      status = 1;
    } catch (const std::exception& e) {
      std::cerr << "greenchannel cart: " << hea.string() << ": " << e.what() << "\n";
      status = 1;
    }
  }
  return status;
}

}  // namespace gc::cli
