// The cart side of protocol v1 (see gc/cart_client.hpp). Synchronous on the outside; inside,
// each wait is an async operation run on a private io_context for at most its timeout (the Asio
// "blocking client with timeouts" pattern), so nothing can hang forever.
#include "gc/cart_client.hpp"

#include <algorithm>
#include <array>
#include <deque>
#include <set>
#include <random>
#include <thread>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include "gc/storage.hpp"
#include "gc/tls.hpp"

namespace gc::ingest {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
namespace pb = proto::pb;
using Clock = std::chrono::steady_clock;

namespace {

// The connection dropped or stalled: reconnect and resume.
struct ConnectionLost : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::int64_t now_ms() {
  return storage::now_unix_ms();
}

bool retryable(pb::Error::Code code) {
  return code == pb::Error::INTERNAL || code == pb::Error::TIMEOUT;
}

}  // namespace

std::string ServerAddress::text() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::vector<ServerAddress> parse_server_list(std::string_view text) {
  std::vector<ServerAddress> out;
  std::size_t start = 0;
  for (;;) {
    const auto comma = text.find(',', start);
    const std::string item(text.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    const auto bad = [&item](const std::string& why) {
      return std::invalid_argument("'" + item + "' is not HOST:PORT (" + why + ")");
    };
    ServerAddress a;
    std::string port_text;
    if (!item.empty() && item.front() == '[') {
      const auto close = item.find("]:");
      if (close == std::string::npos) throw bad("an IPv6 address is written [addr]:port");
      a.host = item.substr(1, close - 1);
      port_text = item.substr(close + 2);
    } else {
      const auto colon = item.rfind(':');
      if (colon == std::string::npos) throw bad("no port");
      a.host = item.substr(0, colon);
      port_text = item.substr(colon + 1);
      if (a.host.find(':') != std::string::npos)
        throw bad("an IPv6 address is written [addr]:port");
    }
    if (a.host.empty()) throw bad("no host");
    if (port_text.empty() || port_text.size() > 5 ||
        port_text.find_first_not_of("0123456789") != std::string::npos) {
      throw bad("the port is a number 1–65535");
    }
    const int port = std::stoi(port_text);
    if (port < 1 || port > 65535) throw bad("the port is a number 1–65535");
    a.port = static_cast<std::uint16_t>(port);
    for (const auto& seen : out) {
      if (seen.host == a.host && seen.port == a.port) throw bad("listed twice");
    }
    out.push_back(std::move(a));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

std::vector<std::int32_t> interleave(const std::vector<std::vector<std::int32_t>>& by_lead) {
  if (by_lead.empty()) {
    return {};
  }
  const std::size_t n = by_lead.front().size();
  for (const auto& lead : by_lead) {
    if (lead.size() != n) {
      throw std::invalid_argument("leads have different lengths");
    }
  }
  std::vector<std::int32_t> out;
  out.reserve(n * by_lead.size());
  for (std::size_t k = 0; k < n; ++k) {
    for (const auto& lead : by_lead) {
      out.push_back(lead[k]);
    }
  }
  return out;
}

class CartClient::Impl {
 public:
  explicit Impl(CartConfig config) : config_(std::move(config)), chaos_(config_.chaos_seed) {
    servers_.push_back({config_.host, config_.port});
    servers_.insert(servers_.end(), config_.more_servers.begin(), config_.more_servers.end());
  }

  CartResult send_study(const CartStudy& study);
  std::optional<pb::HelloAck> hello_ack() const { return hello_ack_; }
  std::optional<pb::AlertUpdate> wait_alert_update(
      const std::string& study_uid, std::chrono::milliseconds timeout,
      const std::function<bool(const pb::AlertUpdate&)>& accept);
  std::vector<pb::AlertUpdate> take_alert_updates() {
    std::vector<pb::AlertUpdate> out(alert_updates_.begin(), alert_updates_.end());
    alert_updates_.clear();
    return out;
  }
  void close() {
    tls_.reset();
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    connected_ = false;
  }

 private:
  void log(const std::string& line) {
    if (config_.log) {
      config_.log(line);
    }
  }
  void run_for(Clock::duration timeout, bool close_on_timeout);
  // Connects to the server in use, or to the next one that answers (CartConfig::more_servers).
  void connect();
  void connect_to(const ServerAddress& server);
  void write(const google::protobuf::MessageLite& message);
  std::optional<pb::ServerMessage> read(Clock::duration timeout);
  // Handles messages every state may see; returns true when consumed.
  bool handle_common(const pb::ServerMessage& m, CartResult& result);
  void maybe_chaos();

  CartConfig config_;
  std::vector<ServerAddress> servers_;  // config_.host:port first, then more_servers
  std::size_t current_ = 0;             // the one in use (or tried first on reconnect)
  template <class F>
  void with_stream(F&& f) {
    if (tls_) {
      f(*tls_);
    } else {
      f(socket_);
    }
  }

  asio::io_context io_;
  tcp::socket socket_{io_};
  std::unique_ptr<asio::ssl::stream<tcp::socket&>> tls_;
  bool connected_ = false;
  std::optional<proto::FrameDecoder> decoder_;
  std::array<char, 16 * 1024> buffer_{};
  std::optional<pb::HelloAck> hello_ack_;
  std::map<std::string, pb::Finding> findings_;  // pushed findings by study uid
  std::deque<pb::AlertUpdate> alert_updates_;    // pushed, not yet taken
  std::set<std::int64_t> alert_update_ids_;      // every update_id seen
  std::mt19937_64 chaos_;
  std::int64_t last_send_ms_ = 0;
  std::string server_certificate_;  // fingerprint of the certificate the server presented
};

void CartClient::Impl::run_for(Clock::duration timeout, bool close_on_timeout) {
  io_.restart();
  io_.run_for(timeout);
  if (!io_.stopped()) {
    // Timed out: cancel (or close) and let the aborted handler run.
    boost::system::error_code ignored;
    if (close_on_timeout) {
      socket_.close(ignored);
      connected_ = false;
    } else {
      socket_.cancel(ignored);
    }
    io_.run();
  }
}

void CartClient::Impl::connect() {
  if (servers_.size() == 1) {
    connect_to(servers_.front());
    return;
  }
  std::string failures;
  for (std::size_t i = 0; i < servers_.size(); ++i) {
    const std::size_t k = (current_ + i) % servers_.size();
    try {
      connect_to(servers_[k]);
      if (k != current_) log("failed over to " + servers_[k].text());
      current_ = k;
      return;
    } catch (const ConnectionLost& lost) {
      failures += (failures.empty() ? "" : "; ") + servers_[k].text() + ": " + lost.what();
    }
  }
  throw ConnectionLost("no server reachable (" + failures + ")");
}

void CartClient::Impl::connect_to(const ServerAddress& server) {
  close();
  decoder_.emplace(config_.max_frame_bytes);
  tcp::resolver resolver(io_);
  boost::system::error_code ec;
  const auto endpoints = resolver.resolve(server.host, std::to_string(server.port), ec);
  if (ec) {
    throw ConnectionLost("cannot resolve " + server.host + ": " + ec.message());
  }
  ec = asio::error::would_block;
  asio::async_connect(
      socket_, endpoints,
      [&](const boost::system::error_code& result, const tcp::endpoint&) { ec = result; });
  run_for(config_.io_timeout, true);
  if (ec) {
    throw ConnectionLost("cannot connect to " + server.text() + ": " +
                         (ec == asio::error::would_block ? "timed out" : ec.message()));
  }
  socket_.set_option(tcp::no_delay(true));
  if (config_.tls) {
    tls_ = std::make_unique<asio::ssl::stream<tcp::socket&>>(socket_, *config_.tls);
    if (config_.tls_verify_host_name) {
      tls_->set_verify_callback(asio::ssl::host_name_verification(server.host));
    }
    SSL_set_tlsext_host_name(tls_->native_handle(), server.host.c_str());
    ec = asio::error::would_block;
    tls_->async_handshake(asio::ssl::stream_base::client,
                          [&](const boost::system::error_code& result) { ec = result; });
    run_for(config_.io_timeout, true);
    if (ec) {
      const std::string why =
          ec == asio::error::would_block ? std::string("timed out") : ec.message();
      close();
      // A server that cannot be verified is not retried: that would not change.
      if (ec != asio::error::would_block && ec.category() == asio::error::get_ssl_category()) {
        throw CartError("TLS handshake with " + server.host + " failed: " + why);
      }
      throw ConnectionLost("TLS handshake failed: " + why);
    }
    // Said in the "connected" line: which certificate the server presented (it may have been
    // renewed since the last connection; the pin is its CA's and has not changed).
    if (X509* peer = SSL_get1_peer_certificate(tls_->native_handle())) {
      server_certificate_ = certificate_fingerprint_sha256(peer);
      X509_free(peer);
    }
  }
  connected_ = true;

  pb::CartMessage hello_message;
  pb::Hello* hello = hello_message.mutable_hello();
  hello->set_protocol_version(proto::kProtocolVersion);
  hello->set_device_id(config_.device_id);
  hello->set_credential(config_.secret);
  hello->mutable_device_clock()->set_unix_ms(now_ms());
  hello->mutable_device_clock()->set_clock("cart");
  hello->set_firmware(config_.firmware);
  write(hello_message);

  const auto deadline = Clock::now() + config_.io_timeout;
  while (Clock::now() < deadline) {
    auto m = read(deadline - Clock::now());
    if (!m) {
      break;
    }
    if (m->has_error()) {
      const pb::Error& e = m->error();
      if (retryable(e.code())) {
        throw ConnectionLost("server error at hello: " + e.message());
      }
      throw CartError("server refused the hello: " + std::string(proto::code_name(e.code())) +
                          ": " + e.message(),
                      e.code(), true);
    }
    if (m->has_hello_ack()) {
      hello_ack_ = m->hello_ack();
      log("connected to " + server.text() +
          (tls_ ? " (TLS, server certificate SHA-256 " + server_certificate_ + "; " : " (") +
          "clock offset " + std::to_string(hello_ack_->device_clock_offset_ms()) + " ms, " +
          std::to_string(hello_ack_->open_studies_size()) + " open studies)");
      return;
    }
  }
  throw ConnectionLost("no hello ack within the timeout");
}

void CartClient::Impl::write(const google::protobuf::MessageLite& message) {
  if (!connected_) {
    throw ConnectionLost("not connected");
  }
  const std::string frame = proto::encode_frame(message);
  boost::system::error_code ec = asio::error::would_block;
  with_stream([&](auto& stream) {
    asio::async_write(stream, asio::buffer(frame),
                      [&](const boost::system::error_code& result, std::size_t) { ec = result; });
  });
  run_for(config_.io_timeout, true);
  if (ec) {
    connected_ = false;
    throw ConnectionLost("write failed: " + (ec == asio::error::would_block
                                                 ? std::string("timed out")
                                                 : ec.message()));
  }
  last_send_ms_ = now_ms();
}

std::optional<pb::ServerMessage> CartClient::Impl::read(Clock::duration timeout) {
  for (;;) {
    if (auto body = decoder_->next_frame()) {
      return proto::parse_server_message(*body);
    }
    if (!connected_) {
      throw ConnectionLost("not connected");
    }
    if (timeout <= Clock::duration::zero()) {
      return std::nullopt;
    }
    boost::system::error_code ec = asio::error::would_block;
    std::size_t n = 0;
    with_stream([&](auto& stream) {
      stream.async_read_some(asio::buffer(buffer_),
                             [&](const boost::system::error_code& result, std::size_t bytes) {
                               ec = result;
                               n = bytes;
                             });
    });
    const auto started = Clock::now();
    run_for(timeout, false);
    if (ec == asio::error::operation_aborted || ec == asio::error::would_block) {
      return std::nullopt;  // timed out; the connection stays usable
    }
    if (ec) {
      connected_ = false;
      throw ConnectionLost(ec == asio::error::eof ? "server closed the connection"
                                                  : "read failed: " + ec.message());
    }
    decoder_->feed(std::string_view(buffer_.data(), n));
    timeout -= Clock::now() - started;
  }
}

void CartClient::Impl::maybe_chaos() {
  if (config_.chaos_drop_probability <= 0) {
    return;
  }
  if (std::uniform_real_distribution<double>(0, 1)(chaos_) < config_.chaos_drop_probability) {
    log("chaos: dropping the connection");
    close();
    throw ConnectionLost("chaos drop");
  }
}

bool CartClient::Impl::handle_common(const pb::ServerMessage& m, CartResult& result) {
  if (m.has_finding()) {
    findings_[m.finding().study_uid()] = m.finding();
    return true;
  }
  if (m.has_alert_update()) {
    const pb::AlertUpdate& u = m.alert_update();
    if (u.update_id() == 0 || alert_update_ids_.insert(u.update_id()).second) {
      alert_updates_.push_back(u);
    }
    return true;
  }
  if (m.has_pong() || m.has_hello_ack()) {
    return true;
  }
  if (m.has_error()) {
    const pb::Error& e = m.error();
    if (!e.fatal()) {
      result.errors.push_back(e);
      log("server error " + std::string(proto::code_name(e.code())) + ": " + e.message());
      return true;
    }
    if (retryable(e.code())) {
      close();
      throw ConnectionLost("server error " + std::string(proto::code_name(e.code())) + ": " +
                           e.message());
    }
    close();
    throw CartError(std::string(proto::code_name(e.code())) + ": " + e.message(), e.code());
  }
  return false;
}

CartResult CartClient::Impl::send_study(const CartStudy& study) {
  if (study.leads.empty() || study.samples.size() != study.leads.size()) {
    throw std::invalid_argument("study " + study.study_uid + ": lead names and sample rows differ");
  }
  const std::vector<std::int32_t> all = interleave(study.samples);
  const std::size_t n_leads = study.leads.size();
  const std::uint64_t n_per_lead = study.samples.front().size();
  const std::uint64_t per_chunk = std::max<std::uint64_t>(
      1, static_cast<std::uint64_t>(study.sample_rate_hz) *
             static_cast<std::uint64_t>(config_.chunk_duration.count()) / 1000);
  const std::uint64_t n_chunks = (n_per_lead + per_chunk - 1) / per_chunk;

  CartResult result;
  result.study_uid = study.study_uid;
  result.chunks = n_chunks;
  result.samples_per_lead = n_per_lead;
  result.samples_crc32 = storage::samples_crc32(all);

  pb::CartMessage start_message;
  pb::StudyStart* start = start_message.mutable_study_start();
  start->set_study_uid(study.study_uid);
  for (const auto& lead : study.leads) {
    start->add_leads(lead);
  }
  start->set_sample_rate_hz(study.sample_rate_hz);
  start->set_resolution_nv_per_lsb(study.resolution_nv_per_lsb);
  start->set_derive_limb_leads(study.derive_limb_leads);
  if (study.source) {
    auto* s = start->mutable_source();
    s->set_format(study.source->format);
    s->set_file_name(study.source->file_name);
    s->set_manufacturer(study.source->manufacturer);
    s->set_model(study.source->model);
    s->set_serial_number(study.source->serial_number);
    s->set_software(study.source->software);
  }
  start->set_expected_samples_per_lead(n_per_lead);
  const auto set_instant = [](pb::Instant* instant, std::int64_t ms) {
    instant->set_unix_ms(ms);
    instant->set_clock("cart");
  };
  set_instant(start->mutable_acquired_at(), study.acquired_at_unix_ms.value_or(now_ms()));
  pb::PatientContext* patient = start->mutable_patient();
  patient->set_pseudonymous_id(study.patient_id);
  patient->set_age_years(static_cast<std::uint32_t>(std::max(0, study.age_years.value_or(0))));
  patient->set_sex(study.sex == "M"   ? pb::SEX_MALE
                   : study.sex == "F" ? pb::SEX_FEMALE
                                      : pb::SEX_UNKNOWN);
  patient->set_chest_pain(study.chest_pain);
  if (study.symptom_onset_unix_ms) {
    set_instant(patient->mutable_symptom_onset(), *study.symptom_onset_unix_ms);
  }
  if (study.first_medical_contact_unix_ms) {
    set_instant(patient->mutable_first_medical_contact(), *study.first_medical_contact_unix_ms);
  }

  const auto chunk_message = [&](std::uint64_t sequence) {
    pb::CartMessage m;
    pb::SampleChunk* chunk = m.mutable_chunk();
    chunk->set_study_uid(study.study_uid);
    chunk->set_sequence(sequence);
    const std::uint64_t first = sequence * per_chunk;
    const std::uint64_t last = std::min(n_per_lead, first + per_chunk);
    chunk->set_first_sample_index(first);
    chunk->mutable_samples()->Reserve(static_cast<int>((last - first) * n_leads));
    for (std::uint64_t k = first * n_leads; k < last * n_leads; ++k) {
      chunk->add_samples(all[k]);
    }
    return m;
  };

  std::uint64_t acked_next = 0;  // every chunk below is durable on the server
  std::uint64_t next_to_send = 0;
  std::uint64_t highest_sent = 0;  // one past the highest chunk ever sent
  std::vector<std::optional<Clock::time_point>> sent_at(n_chunks);
  std::vector<double> latencies_ms;
  const Clock::time_point stream_start = Clock::now();
  // Reconnects in a row without progress; any acknowledgement resets it, so a link that keeps
  // dropping but moves the study forward is never given up on.
  int failures = 0;

  for (;;) {
    try {
      if (!connected_) {
        connect();
      }
      write(start_message);
      maybe_chaos();
      // Wait for StudyStarted: where the server stands on this study.
      std::optional<pb::StudyStarted> started;
      const auto start_deadline = Clock::now() + config_.io_timeout;
      while (!started) {
        auto m = read(start_deadline - Clock::now());
        if (!m) {
          throw ConnectionLost("no reply to study_start");
        }
        if (m->has_study_started() && m->study_started().study_uid() == study.study_uid) {
          started = m->study_started();
        } else if (!handle_common(*m, result)) {
          // acks of an earlier connection's chunks are harmless here
        }
      }
      acked_next =
          std::max<std::uint64_t>(acked_next, std::min(started->next_sequence(), n_chunks));
      if (next_to_send > acked_next) {
        result.chunks_resent += next_to_send - acked_next;
      }
      next_to_send = acked_next;
      if (started->complete()) {
        acked_next = next_to_send = n_chunks;
      }

      // Stream with a window of unacknowledged chunks.
      auto last_progress = Clock::now();
      while (acked_next < n_chunks) {
        while (next_to_send < n_chunks && next_to_send - acked_next < config_.max_unacked_chunks) {
          if (config_.realtime && next_to_send >= highest_sent) {
            // A chunk can only be sent once its last sample has been acquired.
            const auto due = stream_start + config_.chunk_duration * (next_to_send + 1);
            if (Clock::now() < due) {
              break;
            }
          }
          write(chunk_message(next_to_send));
          sent_at[next_to_send] = Clock::now();
          ++next_to_send;
          highest_sent = std::max(highest_sent, next_to_send);
          maybe_chaos();
        }
        Clock::duration wait = config_.io_timeout;
        if (config_.realtime && next_to_send < n_chunks &&
            next_to_send - acked_next < config_.max_unacked_chunks) {
          const auto due = stream_start + config_.chunk_duration * (next_to_send + 1);
          wait = std::max<Clock::duration>(due - Clock::now(), std::chrono::milliseconds(1));
        }
        auto m = read(wait);
        if (!m) {
          if (acked_next < next_to_send && Clock::now() - last_progress > config_.io_timeout) {
            throw ConnectionLost("no ack within the timeout");
          }
          continue;
        }
        last_progress = Clock::now();
        if (m->has_chunk_ack() && m->chunk_ack().study_uid() == study.study_uid) {
          const std::uint64_t through = std::min(m->chunk_ack().sequence() + 1, n_chunks);
          for (std::uint64_t s = acked_next; s < through; ++s) {
            if (sent_at[s]) {
              latencies_ms.push_back(
                  std::chrono::duration<double, std::milli>(Clock::now() - *sent_at[s]).count());
              sent_at[s].reset();
            }
          }
          if (through > acked_next) {
            failures = 0;
          }
          acked_next = std::max(acked_next, through);
        } else if (!handle_common(*m, result)) {
          // StudyStarted repeats, acks for other studies: nothing to do.
        }
      }

      // End of study: the checksum lets the server verify what it stored.
      pb::CartMessage end_message;
      pb::StudyEnd* end = end_message.mutable_study_end();
      end->set_study_uid(study.study_uid);
      end->set_total_chunks(n_chunks);
      end->set_total_samples_per_lead(n_per_lead);
      end->set_samples_crc32(result.samples_crc32);
      write(end_message);
      maybe_chaos();
      std::optional<pb::StudyAck> ack;
      const auto ack_deadline = Clock::now() + config_.io_timeout;
      while (!ack) {
        auto m = read(ack_deadline - Clock::now());
        if (!m) {
          throw ConnectionLost("no study ack within the timeout");
        }
        if (m->has_study_ack() && m->study_ack().study_uid() == study.study_uid) {
          ack = m->study_ack();
        } else {
          handle_common(*m, result);
        }
      }
      failures = 0;
      result.complete = ack->complete();
      result.server = servers_[current_].text();
      result.detail = ack->detail();
      result.chunks_acked = acked_next;
      if (!result.complete) {
        break;  // the server will not analyse an unverified study
      }
      // The finding follows once the analysis ran.
      const auto finding_deadline = Clock::now() + config_.finding_timeout;
      while (!findings_.contains(study.study_uid) && Clock::now() < finding_deadline) {
        if (now_ms() - last_send_ms_ > config_.ping_interval.count()) {
          pb::CartMessage ping;
          ping.mutable_ping()->mutable_device_clock()->set_unix_ms(now_ms());
          ping.mutable_ping()->mutable_device_clock()->set_clock("cart");
          write(ping);
        }
        auto m =
            read(std::min<Clock::duration>(finding_deadline - Clock::now(), config_.ping_interval));
        if (m) {
          handle_common(*m, result);
        }
      }
      if (auto it = findings_.find(study.study_uid); it != findings_.end()) {
        result.finding = it->second;
        findings_.erase(it);
      }
      break;
    } catch (const ConnectionLost& lost) {
      if (failures >= config_.max_reconnects) {
        throw CartError("study " + study.study_uid + ": giving up after " +
                        std::to_string(failures) + " reconnects without progress: " + lost.what());
      }
      ++failures;
      ++result.reconnects;
      log("connection lost (" + std::string(lost.what()) + "); reconnecting");
      close();
      std::this_thread::sleep_for(config_.reconnect_backoff * failures);
      // Everything not acknowledged is resent after StudyStarted tells where the server stands;
      // a study that was already ended is ended again (the server re-acks and re-pushes).
    }
  }
  if (!latencies_ms.empty()) {
    std::sort(latencies_ms.begin(), latencies_ms.end());
    result.ack_latency_p50_ms = latencies_ms[latencies_ms.size() / 2];
    result.ack_latency_p99_ms = latencies_ms[(latencies_ms.size() * 99 + 99) / 100 - 1];
    result.ack_latency_max_ms = latencies_ms.back();
  }
  return result;
}

std::optional<pb::AlertUpdate> CartClient::Impl::wait_alert_update(
    const std::string& study_uid, std::chrono::milliseconds timeout,
    const std::function<bool(const pb::AlertUpdate&)>& accept) {
  const auto deadline = Clock::now() + timeout;
  int failures = 0;
  CartResult scratch;  // non-fatal errors while waiting are logged by handle_common
  for (;;) {
    for (auto it = alert_updates_.begin(); it != alert_updates_.end();) {
      if (it->study_uid() != study_uid) {
        ++it;
        continue;
      }
      if (!accept || accept(*it)) {
        pb::AlertUpdate found = std::move(*it);
        alert_updates_.erase(it);
        return found;
      }
      it = alert_updates_.erase(it);
    }
    const auto now = Clock::now();
    if (now >= deadline) {
      return std::nullopt;
    }
    try {
      if (!connected_) {
        connect();
      }
      if (now_ms() - last_send_ms_ > config_.ping_interval.count()) {
        pb::CartMessage ping;
        ping.mutable_ping()->mutable_device_clock()->set_unix_ms(now_ms());
        ping.mutable_ping()->mutable_device_clock()->set_clock("cart");
        write(ping);
      }
      auto m = read(std::min<Clock::duration>(deadline - Clock::now(), config_.ping_interval));
      if (m) {
        failures = 0;
        handle_common(*m, scratch);
      }
    } catch (const ConnectionLost& lost) {
      if (failures >= config_.max_reconnects) {
        throw CartError("waiting for alert updates: giving up after " + std::to_string(failures) +
                        " reconnects: " + lost.what());
      }
      ++failures;
      log("connection lost (" + std::string(lost.what()) + "); reconnecting");
      close();
      const auto backoff = std::chrono::duration_cast<Clock::duration>(
          config_.reconnect_backoff * failures);
      std::this_thread::sleep_for(
          std::min<Clock::duration>(backoff, std::max<Clock::duration>(
                                                 deadline - Clock::now(), Clock::duration::zero())));
    }
  }
}

CartClient::CartClient(CartConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}

CartClient::~CartClient() = default;

CartResult CartClient::send_study(const CartStudy& study) {
  return impl_->send_study(study);
}

std::optional<pb::HelloAck> CartClient::hello_ack() const {
  return impl_->hello_ack();
}

void CartClient::close() {
  impl_->close();
}

std::optional<pb::AlertUpdate> CartClient::wait_alert_update(
    const std::string& study_uid, std::chrono::milliseconds timeout,
    const std::function<bool(const pb::AlertUpdate&)>& accept) {
  return impl_->wait_alert_update(study_uid, timeout, accept);
}

std::vector<pb::AlertUpdate> CartClient::take_alert_updates() {
  return impl_->take_alert_updates();
}

}  // namespace gc::ingest
