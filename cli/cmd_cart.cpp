// `greenchannel cart`: a cart simulator. Reads WFDB records and streams each to a server exactly as
// a real cart would (protocol v1: hello, study start, 200 ms chunks, study end with CRC-32), then
// prints what the server acknowledged and the finding it pushed back.
//
// Samples: the protocol carries integers with ONE resolution per study (nV per step), as a real
// cart's ADC has. From a WFDB record we send:
//  - the file's integers unchanged when all leads share one gain and a zero baseline (the usual
//    case, and every record greenchannel synth writes): resolution = 1e6 / gain nV per step;
//  - (adu − baseline) when the baseline is not zero: an exact integer shift, same physical values;
//  - when leads have different gains (LUDB does this), (adu − baseline) × L / gain with L the
//    least common multiple of the integer gains: exact, resolution = 1e6 / L nV — if that fits
//    in 32 bits;
//  - otherwise physical values rounded to a fine step (1 nV or the finest that fits), which
//    changes each sample by at most half a step, far below any ECG resolution — and we say so.
// Nothing is changed silently: the mode is printed for every record.
#include <boost/json.hpp>
#include <boost/program_options.hpp>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <limits>
#include <numeric>
#include <sstream>

#include "commands.hpp"
#include "gc/cart_client.hpp"
#include "gc/dsp.hpp"
#include "gc/tls.hpp"
#include "gc/triage.hpp"
#include "gc/wfdb.hpp"
#include "gc/workflow.hpp"
#include "record_input.hpp"

namespace gc::cli {

namespace po = boost::program_options;
namespace json = boost::json;
namespace pb = proto::pb;

namespace {

struct Converted {
  ingest::CartStudy study;
  std::string mode;  // how the integers relate to the file's, for the user
  bool exact = true;
};

double nv_per_unit(const std::string& units, const std::string& where) {
  if (units.empty() || units == "mV") return 1.0e6;
  if (units == "uV" || units == "µV") return 1.0e3;
  if (units == "V") return 1.0e9;
  throw std::runtime_error(where + ": unsupported physical units '" + units + "'");
}

std::string format_number(double value) {
  std::ostringstream out;
  out << std::setprecision(10) << value;
  return out.str();
}

Converted convert(const wfdb::Record& record, const std::string& where) {
  const auto& signals = record.header.signals;
  if (signals.empty()) throw std::runtime_error(where + ": no signals");
  Converted out;
  ingest::CartStudy& study = out.study;
  const double rate = record.header.sample_rate_hz;
  if (std::abs(rate - std::round(rate)) > 1e-9) {
    throw std::runtime_error(where + ": sample rate " + format_number(rate) +
                             " Hz is not an integer (the protocol sends whole Hz)");
  }
  study.sample_rate_hz = static_cast<std::uint32_t>(std::lround(rate));

  std::vector<double> resolution_nv(signals.size());
  std::vector<double> gains(signals.size());
  bool all_baselines_zero = true;
  for (std::size_t i = 0; i < signals.size(); ++i) {
    const auto& s = signals[i];
    const auto lead = dsp::canonical_lead_name(s.description);
    if (!lead) {
      throw std::runtime_error(where + ": signal " + std::to_string(i) + " ('" + s.description +
                               "') is not a known ECG lead; the protocol sends canonical lead "
                               "names only");
    }
    study.leads.push_back(*lead);
    gains[i] = s.adc_gain_per_mv;
    if (!(gains[i] > 0)) throw std::runtime_error(where + ": signal " + *lead + " has gain 0");
    resolution_nv[i] = nv_per_unit(s.units, where) / gains[i];
    all_baselines_zero = all_baselines_zero && s.baseline_adu == 0;
  }
  const auto& adu = record.samples_adu;
  std::int64_t max_abs = 0;
  for (std::size_t i = 0; i < adu.size(); ++i) {
    for (const std::int32_t v : adu[i]) {
      max_abs =
          std::max<std::int64_t>(max_abs, std::abs(std::int64_t{v} - signals[i].baseline_adu));
    }
  }
  const bool same_resolution =
      std::all_of(resolution_nv.begin(), resolution_nv.end(), [&](double r) {
        return std::abs(r - resolution_nv.front()) <= 1e-12 * resolution_nv.front();
      });
  study.samples.resize(adu.size());

  if (same_resolution) {
    study.resolution_nv_per_lsb = resolution_nv.front();
    for (std::size_t i = 0; i < adu.size(); ++i) {
      study.samples[i].reserve(adu[i].size());
      for (const std::int32_t v : adu[i]) {
        study.samples[i].push_back(static_cast<std::int32_t>(v - signals[i].baseline_adu));
      }
    }
    out.mode = all_baselines_zero
                   ? "integers as stored in the file"
                   : "integers as stored minus each lead's baseline (exact; same physical values)";
    return out;
  }

  // Different gains: exact common resolution through the LCM of integer gains, if it fits.
  const double units = resolution_nv.front() * gains.front();
  const bool same_units = std::all_of(signals.begin(), signals.end(), [&](const auto& s) {
    return nv_per_unit(s.units, where) == units;
  });
  const bool integer_gains = std::all_of(
      gains.begin(), gains.end(), [](double g) { return std::abs(g - std::round(g)) < 1e-9; });
  if (same_units && integer_gains) {
    std::int64_t lcm = 1;
    bool fits = true;
    for (const double g : gains) {
      lcm = std::lcm(lcm, static_cast<std::int64_t>(std::llround(g)));
      if (lcm > std::numeric_limits<std::int32_t>::max()) {
        fits = false;
        break;
      }
    }
    if (fits) {
      std::int64_t max_factor = 0;
      for (const double g : gains) {
        max_factor = std::max(max_factor, lcm / static_cast<std::int64_t>(std::llround(g)));
      }
      fits = max_abs * max_factor <= std::numeric_limits<std::int32_t>::max();
    }
    if (fits) {
      study.resolution_nv_per_lsb = units / static_cast<double>(lcm);
      for (std::size_t i = 0; i < adu.size(); ++i) {
        const std::int64_t factor = lcm / static_cast<std::int64_t>(std::llround(gains[i]));
        study.samples[i].reserve(adu[i].size());
        for (const std::int32_t v : adu[i]) {
          study.samples[i].push_back(
              static_cast<std::int32_t>((std::int64_t{v} - signals[i].baseline_adu) * factor));
        }
      }
      out.mode = "leads have different gains: integers rescaled exactly to a common " +
                 format_number(study.resolution_nv_per_lsb) + " nV step (× lcm of gains / gain)";
      return out;
    }
  }

  // Last resort: physical values on a fine common step; say exactly how much they may move.
  double max_nv = 0;
  for (std::size_t i = 0; i < adu.size(); ++i) {
    max_nv = std::max(max_nv, static_cast<double>(max_abs) * resolution_nv[i]);
  }
  double step = 1.0;
  while (max_nv / step > std::numeric_limits<std::int32_t>::max() * 0.5) step *= 10;
  study.resolution_nv_per_lsb = step;
  for (std::size_t i = 0; i < adu.size(); ++i) {
    study.samples[i].reserve(adu[i].size());
    for (const std::int32_t v : adu[i]) {
      const double nv =
          static_cast<double>(std::int64_t{v} - signals[i].baseline_adu) * resolution_nv[i];
      study.samples[i].push_back(static_cast<std::int32_t>(std::llround(nv / step)));
    }
  }
  out.exact = false;
  out.mode = "leads have different gains with no exact common step: physical values sent on a " +
             format_number(step) + " nV step (each sample moved by at most " +
             format_number(step / 2) + " nV; the file's integers are not what is stored)";
  return out;
}

std::string sanitize_uid_part(const std::string& text, std::size_t max_chars) {
  std::string out;
  for (const char c : text) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    out += ok ? c : '_';
    if (out.size() >= max_chars) break;
  }
  return out.empty() ? "record" : out;
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

void print_lead_st(const char* arrow, const pb::LeadST& l, bool with_threshold) {
  std::cout << "    ST" << arrow << " " << std::left << std::setw(4) << l.lead() << std::right
            << std::showpos << std::fixed << std::setprecision(1) << std::setw(6)
            << l.st_j_uv() / 100.0 << " mm" << std::noshowpos << "  (" << std::setprecision(0)
            << l.st_j_uv() << " µV at J, " << l.st_late_uv() << " µV late";
  if (with_threshold) std::cout << "; threshold " << l.threshold_uv() << " µV";
  std::cout << ")\n";
}

void print_text(const std::string& record, const Converted& converted,
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
    const std::string at = workflow::format_iso(u->at().unix_ms(), workflow::TimeZone{});
    if (as_json) {
      std::cout << json::serialize(json::object{{"event", "alert_update"},
                                                {"study_uid", u->study_uid()},
                                                {"alert_id", u->alert_id()},
                                                {"state", u->state()},
                                                {"tier", u->tier()},
                                                {"by", u->actor()},
                                                {"at", at},
                                                {"at_unix_ms", u->at().unix_ms()},
                                                {"reason", u->reason()},
                                                {"instructions_zh", u->instructions_zh()},
                                                {"instructions_en", u->instructions_en()},
                                                {"case_id", u->case_id()},
                                                {"update_id", u->update_id()}})
                << std::endl;
    } else {
      std::cout << "alert-update " << u->study_uid() << " state=" << u->state()
                << " by=" << u->actor() << " at=" << at << " tier=" << u->tier()
                << " alert=" << u->alert_id();
      if (u->case_id() != 0) std::cout << " case=" << u->case_id();
      if (!u->reason().empty()) std::cout << " reason=" << std::quoted(u->reason());
      if (!u->instructions_zh().empty()) std::cout << " zh=" << std::quoted(u->instructions_zh());
      if (!u->instructions_en().empty()) std::cout << " en=" << std::quoted(u->instructions_en());
      std::cout << std::endl;
    }
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

}  // namespace

int cmd_cart(int argc, char** argv) {
  std::string server;
  ingest::CartConfig config;
  std::string patient;
  std::string sex;
  std::string study_uid;
  int age = 0;
  int chunk_ms = 200;
  double timeout_s = 10;
  double finding_timeout_s = 60;
  double wait_confirmation_s = 0;
  double chaos = 0;
  std::string ca_file;
  std::string fingerprint;
  std::string client_cert;
  std::string client_key;
  po::options_description desc(
      "usage: greenchannel cart --server HOST:PORT --device ID --secret S [options] "
      "RECORD...\n\n"
      "Streams WFDB records or ECG files (DICOM, HL7 aECG, SCP-ECG, GE MUSE, Philips Sierra, GE\n"
      "CardioSoft; chosen by content) to a greenchannel server as a cart would (protocol v1) and\n"
      "prints the acknowledgements and the finding. Age and sex come from the record unless given\n"
      "here.\n"
      "Unacknowledged chunks are kept and resent after a reconnect.\n\noptions");
  desc.add_options()("help,h", "show this help")(
      "server", po::value(&server)->default_value("127.0.0.1:7800"), "server HOST:PORT")(
      "device", po::value(&config.device_id)->required(), "device id (from `device add`)")(
      "secret", po::value(&config.secret),
      "device secret (from `device add`); default: $GC_CART_SECRET (keeps it out of `ps`)")(
      "age", po::value(&age), "patient age in years")("sex", po::value(&sex), "M or F")(
      "chest-pain", "the patient has chest pain")("patient", po::value(&patient),
                                                  "pseudonymous patient id")(
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
      "fingerprint", po::value(&fingerprint),
      "verify the server by its certificate's SHA-256 fingerprint (as `serve` prints it)")(
      "ca", po::value(&ca_file),
      "verify the server with this CA (PEM); without --ca or --fingerprint the system's trust "
      "store is used")("cert", po::value(&client_cert),
                       "client certificate (PEM) for a server that requires mutual TLS")(
      "key", po::value(&client_key), "private key (PEM) of --cert")(
      "insecure", "plain TCP without TLS (only for a server on loopback started with --insecure)")(
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
    if (vm.count("record") == 0U) throw po::error("no record given");
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
    if (chunk_ms < 10 || chunk_ms > 10'000) throw po::error("--chunk-ms must be 10..10000");
    if (chaos < 0 || chaos >= 1) throw po::error("--chaos must be in [0, 1)");
    if (!(wait_confirmation_s >= 0 && wait_confirmation_s <= 86'400)) {
      throw po::error("--wait-confirmation must be 0..86400 seconds");
    }
  } catch (const po::error& e) {
    std::cerr << "greenchannel cart: " << e.what() << "\n" << desc << "\n";
    return 2;
  }
  const auto records = vm["record"].as<std::vector<std::string>>();
  if (!study_uid.empty() && records.size() != 1) {
    std::cerr << "greenchannel cart: --study-uid needs exactly one record\n";
    return 2;
  }
  const auto colon = server.rfind(':');
  if (colon == std::string::npos) {
    std::cerr << "greenchannel cart: --server must be HOST:PORT\n";
    return 2;
  }
  config.host = server.substr(0, colon);
  try {
    const int port = std::stoi(server.substr(colon + 1));
    if (port <= 0 || port > 65535) throw std::out_of_range("port");
    config.port = static_cast<std::uint16_t>(port);
  } catch (const std::exception&) {
    std::cerr << "greenchannel cart: bad port in --server '" << server << "'\n";
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

  const bool insecure = vm.count("insecure") != 0U;
  if (insecure && (vm.count("tls") != 0U || !fingerprint.empty() || !ca_file.empty() ||
                   !client_cert.empty() || !client_key.empty())) {
    std::cerr
        << "greenchannel cart: --insecure contradicts --tls/--fingerprint/--ca/--cert/--key\n";
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
      config.tls = ingest::make_cart_tls_context(ca_file, fingerprint, client);
    } catch (const std::exception& e) {
      std::cerr << "greenchannel cart: TLS setup: " << e.what() << "\n";
      return 2;
    }
    config.tls_verify_host_name = fingerprint.empty();
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
      Converted converted = convert(record, hea.string());
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
      study.patient_id = patient;
      const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
      study.study_uid = !study_uid.empty() ? study_uid
                                           : sanitize_uid_part(config.device_id, 40) + ":" +
                                                 sanitize_uid_part(hea.stem().string(), 60) + ":" +
                                                 std::to_string(now_ms);
      if (!converted.exact) {
        std::cerr << "greenchannel cart: note: " << hea.string() << ": " << converted.mode << "\n";
      }
      const ingest::CartResult result = client.send_study(study);
      if (as_json) {
        json::object o{{"record", hea.string()},
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
        o["finding"] =
            result.finding ? json::value(finding_json(*result.finding)) : json::value(nullptr);
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
