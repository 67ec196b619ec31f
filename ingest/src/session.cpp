// One cart connection: protocol v1 state machine on its own strand (see proto/README.md).
#include <algorithm>
#include <sstream>

#include <boost/json.hpp>

#include "server_impl.hpp"

namespace gc::ingest::detail {

namespace {

std::int64_t now_ms() {
  return storage::now_unix_ms();
}

std::optional<storage::Stamp> cart_stamp(bool present, const pb::Instant& instant) {
  if (!present) {
    return std::nullopt;
  }
  return storage::Stamp{instant.unix_ms(), "cart",
                        instant.clock().empty() ? "cart" : instant.clock()};
}

storage::StudyHeader header_of(const std::string& device_id, const pb::StudyStart& start) {
  storage::StudyHeader header;
  header.device_id = device_id;
  header.study_uid = start.study_uid();
  header.leads.assign(start.leads().begin(), start.leads().end());
  header.sample_rate_hz = start.sample_rate_hz();
  header.resolution_nv_per_lsb = start.resolution_nv_per_lsb();
  header.derive_limb_leads = start.derive_limb_leads();
  header.expected_samples_per_lead = start.expected_samples_per_lead();
  header.acquired_at = cart_stamp(start.has_acquired_at(), start.acquired_at());
  if (start.has_source()) {
    const pb::SourceFile& s = start.source();
    header.source = storage::StudySource{s.format(),        s.file_name(),     s.manufacturer(),
                                         s.model(),         s.serial_number(), s.software()};
  }
  if (start.has_patient()) {
    const pb::PatientContext& p = start.patient();
    header.patient_id = p.pseudonymous_id();
    if (p.age_years() > 0) {
      header.age_years = static_cast<int>(p.age_years());
    }
    header.sex = p.sex() == pb::SEX_MALE ? "M" : p.sex() == pb::SEX_FEMALE ? "F" : "";
    header.chest_pain = p.chest_pain();
    header.symptom_onset = cart_stamp(p.has_symptom_onset(), p.symptom_onset());
    header.first_medical_contact =
        cart_stamp(p.has_first_medical_contact(), p.first_medical_contact());
  }
  return header;
}

bool same_stamp(const std::optional<storage::Stamp>& a, const std::optional<storage::Stamp>& b) {
  return a.has_value() == b.has_value() &&
         (!a || (a->unix_ms == b->unix_ms && a->clock == b->clock));
}

// A resumed StudyStart must describe the same study (storage's begin_study is idempotent only
// for an identical header). Returns the first differing field, empty when identical.
std::string header_difference(const storage::StudyHeader& a, const storage::StudyHeader& b) {
  if (a.leads != b.leads) return "leads";
  if (a.sample_rate_hz != b.sample_rate_hz) return "sample_rate_hz";
  if (a.resolution_nv_per_lsb != b.resolution_nv_per_lsb) return "resolution_nv_per_lsb";
  if (a.derive_limb_leads != b.derive_limb_leads) return "derive_limb_leads";
  if (a.patient_id != b.patient_id) return "patient.pseudonymous_id";
  if (a.age_years != b.age_years) return "patient.age_years";
  if (a.sex != b.sex) return "patient.sex";
  if (a.chest_pain != b.chest_pain) return "patient.chest_pain";
  if (!same_stamp(a.symptom_onset, b.symptom_onset)) return "patient.symptom_onset";
  if (!same_stamp(a.first_medical_contact, b.first_medical_contact)) {
    return "patient.first_medical_contact";
  }
  if (!same_stamp(a.acquired_at, b.acquired_at)) return "acquired_at";
  if (a.expected_samples_per_lead != b.expected_samples_per_lead)
    return "expected_samples_per_lead";
  return {};
}

std::string detail_json(std::initializer_list<std::pair<std::string_view, boost::json::value>> kv) {
  boost::json::object o;
  for (const auto& [k, v] : kv) {
    o[k] = v;
  }
  return boost::json::serialize(o);
}

pb::ServerMessage error_message(pb::Error::Code code, const std::string& text,
                                const std::string& study_uid, bool fatal) {
  pb::ServerMessage m;
  pb::Error* e = m.mutable_error();
  e->set_code(code);
  e->set_message(text);
  e->set_fatal(fatal);
  e->set_study_uid(study_uid);
  return m;
}

}  // namespace

Session::Session(tcp::socket socket, std::shared_ptr<Server::Impl> server)
    : socket_(std::move(socket)),
      strand_(socket_.get_executor()),
      timer_(strand_),
      server_(std::move(server)),
      config_(server_->config),
      decoder_(server_->config.limits.max_frame_bytes),
      read_buffer_(std::max<std::size_t>(server_->config.read_buffer_bytes, 512)) {
  // The TLS stream (about 70 KiB of record buffers in Asio and OpenSSL) is created only once the
  // client sends its first byte (start()), so idle connections stay cheap until their deadline.
  boost::system::error_code ec;
  const tcp::endpoint endpoint = socket_.remote_endpoint(ec);
  if (!ec) {
    peer_address_ = endpoint.address().to_string();
    peer_ = peer_address_ + ":" + std::to_string(endpoint.port());
  } else {
    peer_address_ = peer_ = "unknown-peer";
  }
}

Session::~Session() {
  server_->slots.release(*this);
  if (counted_open_) {
    --server_->counters.sessions_open;
  }
}

std::string Session::who() const {
  return device_id_.empty() ? peer_ : device_id_ + "@" + peer_;
}

void Session::start() {
  asio::dispatch(strand_, [self = shared_from_this()] {
    self->counted_open_ = true;
    ++self->server_->counters.sessions_open;
    self->handshake_deadline_ = std::chrono::steady_clock::now() + self->config_.handshake_timeout;
    self->server_->log("connection from " + self->peer_);
    if (!self->config_.tls) {
      self->pump();
      return;
    }
    // The TLS handshake counts against the handshake deadline too.
    const std::uint64_t gen = ++self->deadline_gen_;
    self->timer_.expires_at(self->handshake_deadline_);
    self->timer_.async_wait([self, gen](const boost::system::error_code& ec) {
      if (!ec && gen == self->deadline_gen_) {
        self->close("no TLS handshake within the handshake deadline");
      }
    });
    self->socket_.async_wait(tcp::socket::wait_read, [self](const boost::system::error_code&
                                                                wait_ec) {
      if (self->state_ == State::closed) {
        return;
      }
      if (wait_ec) {
        self->close("connection lost before the TLS handshake: " + wait_ec.message());
        return;
      }
      self->tls_ =
          std::make_unique<asio::ssl::stream<tcp::socket&>>(self->socket_, *self->config_.tls);
      self->tls_->async_handshake(asio::ssl::stream_base::server,
                                [self](const boost::system::error_code& ec) {
                                  ++self->deadline_gen_;
                                  self->timer_.cancel();
                                  if (self->state_ == State::closed) {
                                    return;
                                  }
                                  if (ec) {
                                    ++self->server_->counters.tls_handshake_failures;
                                    self->close("TLS handshake failed: " + ec.message());
                                    return;
                                  }
                                  self->pump();
                                });
    });
  });
}

void Session::evict() {
  asio::post(strand_, [self = shared_from_this()] {
    if (self->state_ == State::closed) {
      return;
    }
    ++self->server_->counters.connections_reclaimed;
    // No error frame: an unauthenticated peer is owed nothing, and an idle cart reconnects
    // when it next has something to send.
    self->close(self->state_ == State::ready
                    ? "idle; its slot was reclaimed for a new connection"
                    : "not authenticated; its slot was reclaimed for a new connection");
  });
}

void Session::revoked() {
  asio::post(strand_, [self = shared_from_this()] {
    if (self->state_ == State::ready) {
      // Cut off at once (issue 16): what is stored stays, nothing more is accepted.
      self->reject(pb::Error::UNAUTHENTICATED,
                   "device '" + self->device_id_ + "' was revoked; connection closed");
    }
  });
}

void Session::update_slot_tier() {
  if (state_ != State::ready) {
    return;
  }
  const bool streaming = inflight_ > 0 || waiting_ || pending_end_ ||
                         std::any_of(studies_.begin(), studies_.end(),
                                     [](const auto& kv) { return !kv.second.complete; });
  set_tier(streaming ? SlotTier::working : SlotTier::idle);
}

void Session::refuse(pb::Error::Code code, const std::string& message) {
  asio::dispatch(strand_, [self = shared_from_this(), code, message] {
    if (self->config_.tls && !self->tls_) {
      // The error frame needs a TLS session: handshake first (bounded by the close deadline),
      // so the cart reads why and retries later instead of suspecting the certificate.
      self->tls_ =
          std::make_unique<asio::ssl::stream<tcp::socket&>>(self->socket_, *self->config_.tls);
      self->state_ = State::closing;
      self->arm_close_deadline();
      self->tls_->async_handshake(
          asio::ssl::stream_base::server,
          [self, code, message](const boost::system::error_code& ec) {
            if (self->state_ == State::closed) {
              return;
            }
            if (ec) {
              self->close("refused (" + message + "); TLS handshake failed: " + ec.message());
              return;
            }
            self->state_ = State::awaiting_hello;
            self->reject(code, message);
          });
      return;
    }
    self->reject(code, message);
  });
}

void Session::begin_shutdown() {
  asio::post(strand_, [self = shared_from_this()] {
    self->shutting_down_ = true;
    if (self->state_ != State::closed) {
      // A backstop: a cart that stopped reading must not hold the shutdown up.
      self->arm_close_deadline();
    }
    self->maybe_finish_shutdown();
  });
}

void Session::deliver_finding(pb::Finding finding) {
  asio::post(strand_, [self = shared_from_this(), finding = std::move(finding)] {
    if (self->state_ == State::ready) {
      pb::ServerMessage m;
      *m.mutable_finding() = finding;
      self->send(m);
    }
  });
}

void Session::deliver_alert_update(pb::AlertUpdate update) {
  asio::post(strand_, [self = shared_from_this(), update = std::move(update)] {
    if (self->state_ == State::ready) {
      self->send_alert_update(update);
    }
  });
}

void Session::send_alert_update(const pb::AlertUpdate& update) {
  const std::int64_t id = update.update_id();
  if (id != 0 && !alert_updates_sent_.insert(id).second) {
    return;  // a live push and the replay after hello raced: once is enough
  }
  pb::ServerMessage m;
  *m.mutable_alert_update() = update;
  if (id != 0) {
    alert_updates_queued_.push_back(id);
  }
  send(m);
  server_->log(who() + ": alert update " + update.study_uid() + " alert " +
               std::to_string(update.alert_id()) + " -> " + update.state());
}

void Session::replay_alert_updates() {
  if (!config_.pending_alert_updates) {
    return;
  }
  server_->storage.submit([self = shared_from_this(), device = device_id_](storage::Store&) {
    std::vector<pb::AlertUpdate> updates;
    try {
      updates = self->config_.pending_alert_updates(device);
    } catch (const std::exception& e) {
      self->server_->log(self->who() + ": reading the alert outbox failed: " + e.what());
      return;
    }
    if (updates.empty()) {
      return;
    }
    self->on_strand([self, updates = std::move(updates)] {
      if (self->state_ != State::ready) {
        return;  // still in the outbox: the next hello gets them
      }
      for (const auto& u : updates) {
        self->send_alert_update(u);
      }
    });
  });
}

// --- reading ---------------------------------------------------------------------------------

bool Session::may_process() const {
  // Backpressure: no new frame while a storage step is pending, too many chunks await their
  // commit, or the cart is not reading what we send.
  return (state_ == State::awaiting_hello || state_ == State::ready) && !shutting_down_ &&
         !waiting_ && inflight_ < config_.max_inflight_chunks &&
         outbound_.size() + writing_frames_ < config_.max_outbound_frames;
}

void Session::pump() {
  update_slot_tier();
  while (may_process()) {
    std::optional<std::string_view> body;
    try {
      body = decoder_.next_frame();
    } catch (const proto::ProtocolError& e) {
      reject(e.code(), e.what());
      return;
    }
    if (!body) {
      start_read();
      return;
    }
    ++server_->counters.frames_received;
    handle_frame(*body);
  }
  maybe_finish_shutdown();
}

void Session::start_read() {
  if (reading_ || !may_process()) {
    return;
  }
  reading_ = true;
  arm_read_deadline();
  with_stream([this](auto& stream) {
    stream.async_read_some(asio::buffer(read_buffer_),
                           [self = shared_from_this()](const boost::system::error_code& ec,
                                                       std::size_t n) { self->on_read(ec, n); });
  });
}

void Session::on_read(const boost::system::error_code& ec, std::size_t n) {
  reading_ = false;
  ++deadline_gen_;
  timer_.cancel();
  if (state_ == State::closed) {
    return;
  }
  if (ec) {
    server_->fail(ec, "read from " + who());
    close(ec == asio::error::eof ? "closed by the cart" : "read error: " + ec.message());
    return;
  }
  server_->counters.bytes_received += n;
  try {
    decoder_.feed(std::string_view(read_buffer_.data(), n));
  } catch (const proto::ProtocolError& e) {
    reject(e.code(), e.what());
    return;
  }
  pump();
}

void Session::handle_frame(std::string_view body) {
  pb::CartMessage message;
  try {
    message = proto::parse_cart_message(body);
    proto::validate(message, config_.limits);
  } catch (const proto::ProtocolError& e) {
    std::string uid;
    if (message.has_chunk()) {
      uid = message.chunk().study_uid();
    } else if (message.has_study_start()) {
      uid = message.study_start().study_uid();
    } else if (message.has_study_end()) {
      uid = message.study_end().study_uid();
    }
    reject(e.code(), e.what(), proto::is_valid_identifier(uid, 128) ? uid : std::string());
    return;
  }
  if (state_ == State::awaiting_hello) {
    if (!message.has_hello()) {
      reject(pb::Error::PROTOCOL_VIOLATION, "the first frame must be a hello");
      return;
    }
    on_hello(message.hello());
    return;
  }
  switch (message.body_case()) {
    case pb::CartMessage::kHello:
      reject(pb::Error::PROTOCOL_VIOLATION, "hello sent twice on one connection");
      return;
    case pb::CartMessage::kStudyStart:
      on_study_start(message.study_start());
      return;
    case pb::CartMessage::kChunk:
      on_chunk(message.chunk());
      return;
    case pb::CartMessage::kStudyEnd:
      on_study_end(message.study_end());
      return;
    case pb::CartMessage::kPing: {
      pb::ServerMessage pong;
      pong.mutable_pong()->mutable_server_clock()->set_unix_ms(now_ms());
      pong.mutable_pong()->mutable_server_clock()->set_clock("server");
      send(pong);
      return;
    }
    case pb::CartMessage::BODY_NOT_SET:
      break;
  }
  reject(pb::Error::PROTOCOL_VIOLATION, "empty message");
}

// --- hello -----------------------------------------------------------------------------------

void Session::on_hello(const pb::Hello& hello) {
  device_id_ = hello.device_id();
  state_ = State::authenticating;
  set_tier(SlotTier::proving);
  waiting_ = true;
  std::optional<std::int64_t> device_clock_ms;
  if (hello.has_device_clock()) {
    device_clock_ms = hello.device_clock().unix_ms();
  }
  // The Store is thread-safe and verify_device's PBKDF2 runs outside its lock: authenticate on
  // the auth pool so a burst of hellos never delays other carts' commits on the storage thread.
  // Failed hellos are throttled per device id — and per address only for ids that were never
  // registered (issue 16 #2): wrong secrets for one cart must not lock out the other carts of a
  // township clinic behind the same NAT address, while guessing ids from one address still
  // slows down. A throttled hello is refused before PBKDF2, so a flood costs no CPU.
  asio::post(server_->auth_pool, [self = shared_from_this(), device_id = hello.device_id(),
                                  credential = hello.credential(), device_clock_ms,
                                  guard = asio::make_work_guard(strand_)] {
    storage::Store& store = self->server_->store;
    bool ok = false;
    bool throttled = false;
    std::string throttle_key;
    std::vector<storage::StudyState> open;
    std::vector<std::string> expired;
    std::string error;
    try {
      throttle_key = store.device_exists(device_id) ? "device " + device_id
                                                    : "address " + self->peer_address_;
      throttled = self->server_->auth_blocked(throttle_key);
      if (!throttled) ok = store.verify_device(device_id, credential);
      if (ok) {
        const std::int64_t now = now_ms();
        expired = store.expire_open_studies(device_id,
                                            now - self->config_.open_study_expiry.count(), now);
        open = store.open_studies(device_id);
      }
    } catch (const std::exception& e) {
      error = e.what();
    }
    self->on_strand([self, ok, throttled, throttle_key, open = std::move(open),
                     expired = std::move(expired), error, device_clock_ms]() mutable {
      self->on_authenticated(ok, throttled, throttle_key, std::move(open), std::move(expired),
                             error, device_clock_ms);
    });
  });
}

void Session::on_authenticated(bool ok, bool throttled, const std::string& throttle_key,
                               std::vector<storage::StudyState> open,
                               std::vector<std::string> expired, const std::string& error,
                               std::optional<std::int64_t> device_clock_ms) {
  waiting_ = false;
  if (state_ != State::authenticating) {
    return;
  }
  if (!error.empty()) {
    server_->log(who() + ": storage error during authentication: " + error);
    reject(pb::Error::INTERNAL, "server storage error during authentication; retry later");
    return;
  }
  if (throttled) {
    ++server_->counters.auth_failures;
    reject(pb::Error::UNAUTHENTICATED,
           "too many failed authentications for this " +
               std::string(throttle_key.starts_with("device") ? "device" : "address") +
               "; retry later");
    return;
  }
  if (!ok) {
    ++server_->counters.auth_failures;
    server_->auth_failed(throttle_key);
    reject(pb::Error::UNAUTHENTICATED,
           "device '" + device_id_ + "' is unknown or revoked, or its credential is wrong");
    return;
  }
  state_ = State::ready;
  const std::int64_t server_now = now_ms();
  if (device_clock_ms) {
    clock_offset_ms_ = server_now - *device_clock_ms;
  }
  pb::ServerMessage m;
  pb::HelloAck* ack = m.mutable_hello_ack();
  ack->set_protocol_version(proto::kProtocolVersion);
  ack->mutable_server_clock()->set_unix_ms(server_now);
  ack->mutable_server_clock()->set_clock("server");
  ack->set_device_clock_offset_ms(clock_offset_ms_.value_or(0));
  ack->set_max_frame_bytes(static_cast<std::uint32_t>(config_.limits.max_frame_bytes));
  // Bounded lists: the HelloAck must fit a frame whatever a cart left behind (issue 16 #9).
  // Half the frame for the open studies (the newest), a little for the expired ones.
  constexpr std::size_t kMaxExpiredListed = 64;
  const std::size_t frame_budget = config_.limits.max_frame_bytes / 2;
  std::size_t listed = 0;
  std::size_t list_bytes = 0;
  const std::size_t first = open.size() > config_.max_open_studies_in_hello_ack
                                ? open.size() - config_.max_open_studies_in_hello_ack
                                : 0;
  std::size_t begin = open.size();
  while (begin > first) {
    const auto& study = open[begin - 1];
    const std::size_t bytes = study.header.study_uid.size() + 16;  // uid, sequence, tags
    if (list_bytes + bytes > frame_budget) break;
    list_bytes += bytes;
    --begin;
  }
  for (std::size_t i = begin; i < open.size(); ++i) {
    pb::OpenStudy* o = ack->add_open_studies();
    o->set_study_uid(open[i].header.study_uid);
    o->set_next_sequence(open[i].next_sequence);
    ++listed;
  }
  ack->set_open_studies_omitted(static_cast<std::uint32_t>(open.size() - listed));
  ack->set_studies_expired(static_cast<std::uint32_t>(expired.size()));
  for (std::size_t i = 0; i < expired.size() && i < kMaxExpiredListed; ++i) {
    ack->add_expired_study_uids(expired[i]);
  }
  server_->log(who() + ": authenticated (clock offset " +
               (clock_offset_ms_ ? std::to_string(*clock_offset_ms_) + " ms" : "unknown") + ", " +
               std::to_string(open.size()) + " open studies" +
               (expired.empty() ? "" : ", " + std::to_string(expired.size()) + " expired now") +
               ")");
  send(m);
  live_ = true;
  server_->register_device_session(device_id_, shared_from_this());
  replay_alert_updates();
  pump();
}

// --- studies ---------------------------------------------------------------------------------

void Session::on_study_start(const pb::StudyStart& start) {
  const std::string& uid = start.study_uid();
  if (!studies_.contains(uid)) {
    const auto open = std::count_if(studies_.begin(), studies_.end(),
                                    [](const auto& kv) { return !kv.second.complete; });
    if (static_cast<std::size_t>(open) >= config_.max_open_studies_per_session) {
      reject(pb::Error::LIMIT_EXCEEDED,
             "more than " + std::to_string(config_.max_open_studies_per_session) +
                 " open studies on one connection",
             uid);
      return;
    }
  }
  waiting_ = true;
  storage::StudyHeader header = header_of(device_id_, start);
  server_->storage.submit_batched([self = shared_from_this(), header = std::move(header),
                                   offset = clock_offset_ms_](storage::Store& store) {
    std::optional<storage::StudyState> state;
    std::string violation;
    bool expired = false;
    std::string error;
    bool created = false;
    try {
      const auto existing = store.find_study(header.device_id, header.study_uid);
      const std::string difference =
          existing ? header_difference(existing->header, header) : std::string();
      if (existing && existing->expired) {
        expired = true;
        violation = "study '" + header.study_uid +
                    "' expired (left open longer than the server keeps open studies) and cannot "
                    "be resumed; send the ECG again as a new study";
      } else if (!difference.empty()) {
        violation = "study_start." + difference + " differs from the stored study '" +
                    header.study_uid + "' (a resumed study must resend the same study_start)";
      } else if (existing) {
        state = existing;  // resume: nothing to write
      } else {
        state = store.begin_study(header);
        created = true;
        if (created) {
          // Cart times kept raw (with their clock) and corrected by the offset measured at hello.
          const auto event = [&](const char* kind, const std::optional<storage::Stamp>& at) {
            if (!at) {
              return;
            }
            storage::EventRecord e;
            e.study_id = state->study_id;
            e.kind = kind;
            e.at = *at;
            if (offset) {
              e.corrected_unix_ms = at->unix_ms + *offset;
            }
            e.recorded_ms = now_ms();
            e.actor = header.device_id;
            e.detail_json = detail_json(
                {{"study_uid", header.study_uid.c_str()}, {"device_id", header.device_id.c_str()}});
            store.append_event(e);
          };
          event("symptom_onset", header.symptom_onset);
          event("fmc", header.first_medical_contact);
          event("first_ecg", header.acquired_at);
          if (self->config_.on_study_created) {
            // After the commit (before the reply below): the hook's own connections (cases)
            // must see the study.
            StorageWorker::after_commit([self, &store, header, study_id = state->study_id,
                                         offset] {
              try {
                self->config_.on_study_created(store, header, study_id, offset);
              } catch (const std::exception& e) {
                self->server_->log("study " + header.study_uid +
                                   ": on_study_created hook: " + e.what());
              }
            });
          }
        }
      }
    } catch (const std::exception& e) {
      error = e.what();
    }
    self->on_strand([self, state, violation, expired, error, created, uid = header.study_uid,
                     n_leads = header.leads.size(), rate = header.sample_rate_hz] {
      self->waiting_ = false;
      if (self->state_ != State::ready) {
        self->maybe_finish_shutdown();
        return;
      }
      if (!violation.empty()) {
        self->reject(expired ? pb::Error::STUDY_EXPIRED : pb::Error::PROTOCOL_VIOLATION, violation, uid);
        return;
      }
      if (!state) {
        self->server_->log(self->who() + ": storage error starting study " + uid + ": " + error);
        self->reject(pb::Error::INTERNAL, "server storage error starting the study; retry later",
                     uid);
        return;
      }
      OpenStudy& study = self->studies_[uid];
      study.study_id = state->study_id;
      study.n_leads = n_leads;
      study.sample_rate_hz = rate;
      study.next_sequence = state->next_sequence;
      study.durable_next = state->next_sequence;
      study.complete = state->complete;
      // Where the stored part ends; the running CRC is only known when we see every chunk.
      study.next_first_sample = state->received_samples_per_lead;
      study.running_crc.reset();
      if (state->next_sequence == 0) {
        study.running_crc = 0;
      }
      self->server_->log(self->who() + ": study " + uid + (created ? " started" : " resumed") +
                         " (" + std::to_string(n_leads) + " leads, " + std::to_string(rate) +
                         " Hz, next chunk " + std::to_string(state->next_sequence) +
                         (state->complete ? ", already complete" : "") + ")");
      pb::ServerMessage m;
      pb::StudyStarted* started = m.mutable_study_started();
      started->set_study_uid(uid);
      started->set_next_sequence(state->next_sequence);
      started->set_complete(state->complete);
      self->send(m);
      self->pump();
    });
  });
}

void Session::on_chunk(const pb::SampleChunk& chunk) {
  const std::string& uid = chunk.study_uid();
  const auto it = studies_.find(uid);
  if (it == studies_.end()) {
    reject(pb::Error::PROTOCOL_VIOLATION,
           "chunk for study '" + uid + "' before its study_start on this connection", uid);
    return;
  }
  OpenStudy& study = it->second;
  const std::uint64_t sequence = chunk.sequence();
  if (study.complete) {
    if (sequence < study.durable_next) {
      // A late resend to a finished study: acknowledge again, store nothing.
      ++server_->counters.chunks_duplicate;
      pb::ServerMessage m;
      m.mutable_chunk_ack()->set_study_uid(uid);
      m.mutable_chunk_ack()->set_sequence(sequence);
      send(m);
      return;
    }
    reject(
        pb::Error::PROTOCOL_VIOLATION,
        "chunk " + std::to_string(sequence) + " for study '" + uid + "' which is already complete",
        uid);
    return;
  }
  try {
    proto::validate_chunk(chunk, study.n_leads, study.sample_rate_hz, config_.limits);
  } catch (const proto::ProtocolError& e) {
    reject(e.code(), e.what(), uid);
    return;
  }
  if (sequence < study.durable_next) {
    // A resend of a stored chunk: the store compares it with what it holds (same → duplicate,
    // acknowledged again; different → refused) and stores nothing.
    submit_chunk(study, chunk, {});
    return;
  }
  if (sequence < study.next_sequence) {
    return;  // a resend of a chunk whose commit is under way: its ack follows
  }
  if (sequence > study.next_sequence) {
    reject(pb::Error::PROTOCOL_VIOLATION,
           "chunk.sequence " + std::to_string(sequence) + " for study '" + uid + "' but " +
               std::to_string(study.next_sequence) +
               " was expected (send in order; resume from next_sequence)",
           uid);
    return;
  }
  const std::uint64_t per_lead = static_cast<std::uint64_t>(chunk.samples_size()) / study.n_leads;
  if (study.next_first_sample && chunk.first_sample_index() != *study.next_first_sample) {
    reject(pb::Error::PROTOCOL_VIOLATION,
           "chunk.first_sample_index " + std::to_string(chunk.first_sample_index()) +
               " for chunk " + std::to_string(sequence) + " but " +
               std::to_string(*study.next_first_sample) + " was expected",
           uid);
    return;
  }
  storage::Chunk row;
  row.samples.assign(chunk.samples().begin(), chunk.samples().end());
  if (study.running_crc) {
    study.running_crc = storage::samples_crc32(row.samples, *study.running_crc);
  }
  study.next_sequence = sequence + 1;
  study.next_first_sample = chunk.first_sample_index() + per_lead;
  submit_chunk(study, chunk, std::move(row));
}

void Session::submit_chunk(const OpenStudy& study, const pb::SampleChunk& chunk,
                           storage::Chunk row) {
  row.sequence = chunk.sequence();
  row.first_sample_index = chunk.first_sample_index();
  if (row.samples.empty()) {
    row.samples.assign(chunk.samples().begin(), chunk.samples().end());
  }
  ++inflight_;
  server_->storage.append(
      study.study_id, std::move(row),
      [self = shared_from_this(), uid = chunk.study_uid(), sequence = chunk.sequence()](
          std::optional<storage::AppendResult> result, std::string error, bool rejected) {
        self->on_strand([self, uid, sequence, result, error = std::move(error), rejected] {
          self->on_chunk_committed(uid, sequence, result, error, rejected);
        });
      });
}

void Session::on_chunk_committed(const std::string& uid, std::uint64_t sequence,
                                 std::optional<storage::AppendResult> result,
                                 const std::string& error, bool rejected) {
  --inflight_;
  if (state_ == State::closed) {
    return;
  }
  if (!result) {
    server_->log(who() + ": chunk " + std::to_string(sequence) + " of " + uid +
                 (rejected ? " refused by storage: " : " not stored (storage error): ") + error);
    if (state_ == State::ready) {
      if (rejected) {
        // The cart sent something inconsistent with what is stored (e.g. a resend whose samples
        // differ): resending will not help.
        reject(pb::Error::PROTOCOL_VIOLATION,
               "chunk " + std::to_string(sequence) + " refused: " + error, uid);
      } else {
        reject(pb::Error::INTERNAL,
               "chunk " + std::to_string(sequence) + " could not be stored; reconnect and resend",
               uid);
      }
    }
    maybe_finish_shutdown();
    return;
  }
  if (*result == storage::AppendResult::stored) {
    ++server_->counters.chunks_stored;
  } else {
    ++server_->counters.chunks_duplicate;
  }
  if (auto it = studies_.find(uid); it != studies_.end()) {
    it->second.durable_next = std::max(it->second.durable_next, sequence + 1);
  }
  if (state_ == State::ready) {
    pb::ServerMessage m;
    m.mutable_chunk_ack()->set_study_uid(uid);
    m.mutable_chunk_ack()->set_sequence(sequence);
    send(m);
  }
  if (pending_end_ && inflight_ == 0) {
    submit_study_end();
    return;
  }
  pump();
}

void Session::on_study_end(const pb::StudyEnd& end) {
  const std::string& uid = end.study_uid();
  const auto it = studies_.find(uid);
  if (it == studies_.end()) {
    reject(pb::Error::PROTOCOL_VIOLATION,
           "study_end for study '" + uid + "' before its study_start on this connection", uid);
    return;
  }
  OpenStudy& study = it->second;
  if (study.complete) {
    pb::ServerMessage m;
    m.mutable_study_ack()->set_study_uid(uid);
    m.mutable_study_ack()->set_complete(true);
    m.mutable_study_ack()->set_detail("already complete");
    send(m);
    resend_finding(uid, study.study_id);
    return;
  }
  if (end.total_chunks() != study.next_sequence) {
    reject(pb::Error::PROTOCOL_VIOLATION,
           "study_end.total_chunks " + std::to_string(end.total_chunks()) + " but " +
               std::to_string(study.next_sequence) + " chunks were received",
           uid);
    return;
  }
  pending_end_ = end;
  waiting_ = true;
  if (inflight_ == 0) {
    submit_study_end();
  }
}

void Session::submit_study_end() {
  const pb::StudyEnd end = *pending_end_;
  OpenStudy& study = studies_.at(end.study_uid());
  server_->storage.submit_batched([self = shared_from_this(), end, study_id = study.study_id,
                           known_crc = study.running_crc,
                           known_samples = study.next_first_sample](storage::Store& store) {
    std::string mismatch;
    std::string error;
    try {
      std::uint32_t crc = 0;
      std::uint64_t samples_per_lead = 0;
      if (known_crc && known_samples) {
        crc = *known_crc;
        samples_per_lead = *known_samples;
      } else {
        // Resumed study: this session did not see every chunk, so check what is stored.
        const storage::StudySamples stored = store.load_samples(study_id);
        samples_per_lead = stored.samples.empty() ? 0 : stored.samples.front().size();
        std::vector<std::int32_t> row(stored.samples.size());
        for (std::uint64_t k = 0; k < samples_per_lead; ++k) {
          for (std::size_t lead = 0; lead < stored.samples.size(); ++lead) {
            row[lead] = stored.samples[lead][k];
          }
          crc = storage::samples_crc32(row, crc);
        }
      }
      if (samples_per_lead != end.total_samples_per_lead()) {
        mismatch = "study_end.total_samples_per_lead " +
                   std::to_string(end.total_samples_per_lead()) + " but " +
                   std::to_string(samples_per_lead) + " samples per lead were received";
      } else if (crc != end.samples_crc32()) {
        std::ostringstream text;
        text << "study_end.samples_crc32 0x" << std::hex << end.samples_crc32()
             << " but the received samples give 0x" << crc;
        mismatch = text.str();
      } else {
        store.complete_study(study_id, samples_per_lead, crc);
        storage::EventRecord e;
        e.study_id = study_id;
        e.kind = "ecg_received";
        e.at = storage::Stamp{now_ms(), "server", "server"};
        e.recorded_ms = e.at.unix_ms;
        e.actor = "server";
        e.detail_json = detail_json(
            {{"study_uid", end.study_uid().c_str()}, {"samples_per_lead", samples_per_lead}});
        store.append_event(e);
      }
    } catch (const std::exception& e) {
      error = e.what();
    }
    self->on_strand([self, end, study_id, mismatch, error] {
      self->waiting_ = false;
      self->pending_end_.reset();
      const std::string& uid = end.study_uid();
      if (!error.empty()) {
        self->server_->log(self->who() + ": storage error completing " + uid + ": " + error);
        if (self->state_ == State::ready) {
          self->reject(pb::Error::INTERNAL, "server storage error completing the study", uid);
        }
        self->maybe_finish_shutdown();
        return;
      }
      if (!mismatch.empty()) {
        self->server_->log(self->who() + ": study " + uid + " rejected: " + mismatch);
        if (self->state_ == State::ready) {
          pb::ServerMessage ack;
          ack.mutable_study_ack()->set_study_uid(uid);
          ack.mutable_study_ack()->set_complete(false);
          ack.mutable_study_ack()->set_detail(mismatch);
          self->reject(pb::Error::CHECKSUM_MISMATCH, mismatch, uid, /*fatal=*/false);
          self->send(ack);
        }
        self->pump();
        return;
      }
      ++self->server_->counters.studies_completed;
      if (auto it = self->studies_.find(uid); it != self->studies_.end()) {
        it->second.complete = true;
      }
      self->server_->log(self->who() + ": study " + uid + " complete (" +
                         std::to_string(end.total_samples_per_lead()) +
                         " samples per lead, CRC-32 verified)");
      if (self->state_ == State::ready) {
        pb::ServerMessage ack;
        ack.mutable_study_ack()->set_study_uid(uid);
        ack.mutable_study_ack()->set_complete(true);
        ack.mutable_study_ack()->set_detail(std::to_string(end.total_samples_per_lead()) +
                                            " samples per lead stored, CRC-32 verified");
        self->send(ack);
      }
      self->server_->schedule_analysis(study_id, uid, self->weak_from_this());
      self->pump();
    });
  });
}

void Session::resend_finding(const std::string& uid, std::int64_t study_id) {
  server_->storage.submit([self = shared_from_this(), uid, study_id](storage::Store& store) {
    std::optional<std::string> json;
    try {
      json = store.analysis_json(study_id);
    } catch (const std::exception&) {
      json.reset();
    }
    if (!json) {
      // Completed but not analysed (e.g. the server stopped mid-analysis): analyse now.
      self->server_->schedule_analysis(study_id, uid, self->weak_from_this());
      return;
    }
    self->deliver_finding(finding_from_json(uid, *json));
  });
}

// --- writing ---------------------------------------------------------------------------------

void Session::send(const pb::ServerMessage& message) {
  if (state_ == State::closed) {
    return;
  }
  outbound_.push_back(proto::encode_frame(message));
  if (!writing_) {
    do_write();
  }
}

void Session::do_write() {
  // One writer; everything queued goes out in one write.
  write_buffer_.clear();
  for (const auto& frame : outbound_) {
    write_buffer_ += frame;
  }
  writing_frames_ = outbound_.size();
  outbound_.clear();
  alert_updates_writing_.insert(alert_updates_writing_.end(), alert_updates_queued_.begin(),
                                alert_updates_queued_.end());
  alert_updates_queued_.clear();
  writing_ = true;
  with_stream([this](auto& stream) {
    asio::async_write(stream, asio::buffer(write_buffer_),
                      [self = shared_from_this()](const boost::system::error_code& ec,
                                                  std::size_t) { self->on_write(ec); });
  });
}

void Session::on_write(const boost::system::error_code& ec) {
  writing_ = false;
  writing_frames_ = 0;
  std::vector<std::int64_t> written_updates;
  written_updates.swap(alert_updates_writing_);
  if (!ec && state_ != State::closed && !written_updates.empty() &&
      config_.alert_update_delivered) {
    // On the wire: not sent again at the next hello.
    server_->storage.submit([self = shared_from_this(),
                             ids = std::move(written_updates)](storage::Store&) {
      for (const std::int64_t id : ids) {
        try {
          self->config_.alert_update_delivered(id);
        } catch (const std::exception& e) {
          self->server_->log("alert update " + std::to_string(id) +
                             ": marking it delivered failed: " + e.what());
        }
      }
    });
  }
  if (state_ == State::closed) {
    return;
  }
  if (ec) {
    server_->fail(ec, "write to " + who());
    close("write error: " + ec.message());
    return;
  }
  if (!outbound_.empty()) {
    do_write();
    return;
  }
  if (state_ == State::closing) {
    close("after error");
    return;
  }
  pump();
}

// --- errors, deadlines, closing --------------------------------------------------------------

void Session::reject(pb::Error::Code code, const std::string& message, const std::string& study_uid,
                     bool fatal) {
  if (state_ == State::closing || state_ == State::closed) {
    return;
  }
  ++server_->counters.frames_rejected;
  ++server_->counters.rejected_by_code[static_cast<std::size_t>(code) %
                                       server_->counters.rejected_by_code.size()];
  server_->log(who() + ": error " + std::string(proto::code_name(code)) + ": " + message +
               (fatal ? " (closing)" : ""));
  send(error_message(code, message, study_uid, fatal));
  if (fatal) {
    state_ = State::closing;
    arm_close_deadline();
  }
}

void Session::arm_read_deadline() {
  const std::uint64_t gen = ++deadline_gen_;
  const auto now = std::chrono::steady_clock::now();
  // A partial frame in the decoder must be completed in time, whatever trickles in.
  if (decoder_.buffered_bytes() == 0) {
    partial_frame_since_.reset();
  } else if (!partial_frame_since_) {
    partial_frame_since_ = now;
  }
  enum class Why { handshake, idle, frame } why = Why::idle;
  auto deadline = now + config_.idle_timeout;
  if (state_ == State::awaiting_hello) {
    why = Why::handshake;
    deadline = handshake_deadline_;
  }
  if (partial_frame_since_ && *partial_frame_since_ + config_.frame_timeout < deadline) {
    why = Why::frame;
    deadline = *partial_frame_since_ + config_.frame_timeout;
  }
  timer_.expires_at(deadline);
  timer_.async_wait([self = shared_from_this(), gen, why](const boost::system::error_code& ec) {
    if (ec || gen != self->deadline_gen_ || !self->reading_) {
      return;
    }
    const auto ms = [](std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; };
    self->reject(pb::Error::TIMEOUT,
                 why == Why::handshake ? "no hello within " + ms(self->config_.handshake_timeout)
                 : why == Why::frame
                     ? "frame not completed within " + ms(self->config_.frame_timeout)
                     : "no data for " + ms(self->config_.idle_timeout));
  });
}

void Session::arm_close_deadline() {
  const std::uint64_t gen = ++deadline_gen_;
  timer_.expires_after(config_.close_timeout);
  timer_.async_wait([self = shared_from_this(), gen](const boost::system::error_code& ec) {
    if (ec || gen != self->deadline_gen_) {
      return;
    }
    self->close("the cart did not read the error frame in time");
  });
}

void Session::maybe_finish_shutdown() {
  if (!shutting_down_ || state_ == State::closed) {
    return;
  }
  if (!waiting_ && inflight_ == 0 && !writing_ && outbound_.empty()) {
    close("server shutting down");
  }
}

void Session::close(const std::string& reason) {
  if (state_ == State::closed) {
    return;
  }
  state_ = State::closed;
  live_ = false;
  server_->slots.release(*this);
  ++deadline_gen_;
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  timer_.cancel();
  server_->log(who() + ": connection closed (" + reason + ")");
}

}  // namespace gc::ingest::detail
