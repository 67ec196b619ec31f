// The ingest server: listener, shared state, analysis scheduling (see gc/ingest.hpp).
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <set>
#include <thread>

#include <boost/json.hpp>

#include "server_impl.hpp"

namespace gc::ingest {

using detail::Session;

namespace {

// Analyses (seconds of CPU in a burst when many studies end together) run at a lower CPU
// priority than the network and storage threads, so chunk acks of carts still streaming do not
// wait for them on a small machine. Linux: nice applies per thread. Best effort.
void lower_analysis_thread_priority() {
  thread_local bool lowered = false;
  if (!lowered) {
    lowered = true;
    ::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), 10);
  }
}

}  // namespace

Server::Impl::Impl(asio::io_context& io_context, ServerConfig cfg, storage::Store& st)
    : io(io_context),
      config(std::move(cfg)),
      store(st),
      storage(st, config.max_chunks_per_commit, config.commit_delay),
      analysis_pool(std::max(1u, config.analysis_threads)),
      auth_pool(std::max(1u, std::thread::hardware_concurrency())),
      acceptor(asio::make_strand(io_context)),
      accept_retry(acceptor.get_executor()),
      revocation_timer(acceptor.get_executor()),
      slots(SlotLimits{std::max<std::size_t>(1, config.max_connections),
                       std::max<std::size_t>(1, config.max_connections_per_address)}) {}

void Server::Impl::log(const std::string& line) {
  if (!config.log) {
    return;
  }
  std::lock_guard lock(log_mutex);
  config.log(line);
}

void Server::Impl::fail(const boost::system::error_code& ec, std::string_view what) {
  // The expected ends of a connection are not news.
  if (ec == asio::error::operation_aborted || ec == asio::error::eof ||
      ec == asio::error::connection_reset) {
    return;
  }
  log(std::string(what) + ": " + ec.message());
}

void Server::Impl::start() {
  const tcp::endpoint endpoint(asio::ip::make_address(config.listen_address), config.port);
  acceptor.open(endpoint.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen(asio::socket_base::max_listen_connections);
  const tcp::endpoint bound = acceptor.local_endpoint();
  bound_port = bound.port();
  bound_address = bound.address().to_string() + ":" + std::to_string(bound.port());
  recover();
  do_accept();
  asio::post(acceptor.get_executor(), [self = shared_from_this()] { self->check_revocations(); });
}

void Server::Impl::check_revocations() {
  if (stopping) {
    return;
  }
  revocation_timer.expires_after(config.revocation_check_interval);
  revocation_timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || self->stopping) {
      return;
    }
    std::set<std::string> live;
    {
      std::lock_guard lock(self->sessions_mutex);
      for (const auto& [device, weak] : self->sessions_by_device) {
        if (const auto s = weak.lock(); s && s->live()) live.insert(device);
      }
    }
    if (live.empty()) {
      self->check_revocations();
      return;
    }
    // One indexed read per look, on the storage thread like every other Store call.
    self->storage.submit([self, live = std::move(live)](storage::Store& st) {
      std::vector<std::shared_ptr<Session>> cut;
      try {
        for (const auto& d : st.list_devices()) {
          if (!d.revoked || !live.contains(d.device_id)) continue;
          std::lock_guard lock(self->sessions_mutex);
          const auto [begin, end] = self->sessions_by_device.equal_range(d.device_id);
          for (auto it = begin; it != end; ++it) {
            if (auto s = it->second.lock()) cut.push_back(std::move(s));
          }
        }
      } catch (const std::exception& e) {
        self->log(std::string("revocation check failed: ") + e.what());
      }
      for (const auto& s : cut) s->revoked();
      asio::post(self->acceptor.get_executor(), [self] { self->check_revocations(); });
    });
  });
}

void Server::Impl::recover() {
  // Crash recovery: a study acknowledged as complete whose analysis never got stored (the server
  // died in between) is analysed now, without waiting for its cart to come back.
  storage.submit([self = shared_from_this()](storage::Store& st) {
    std::set<std::int64_t> received;
    std::set<std::int64_t> analysed;
    try {
      std::int64_t after = 0;
      for (;;) {
        const auto events = st.events_after(after, 10'000);
        if (events.empty()) {
          break;
        }
        for (const auto& e : events) {
          after = std::max(after, e.seq);
          if (!e.study_id) {
            continue;
          }
          if (e.kind == "ecg_received") {
            received.insert(*e.study_id);
          } else if (e.kind == "analysis_done") {
            analysed.insert(*e.study_id);
          }
        }
      }
      std::vector<std::pair<std::int64_t, std::string>> pending;
      for (const std::int64_t id : received) {
        if (analysed.contains(id) || st.analysis_json(id)) {
          continue;
        }
        const auto state = st.get_study(id);
        if (state && state->complete) {
          pending.emplace_back(id, state->header.study_uid);
        }
      }
      if (!pending.empty()) {
        self->log("recovery: " + std::to_string(pending.size()) +
                  " completed studies were never analysed; analysing them now");
      }
      for (const auto& [id, uid] : pending) {
        self->schedule_analysis(id, uid, {});
      }
    } catch (const std::exception& e) {
      self->log(std::string("recovery scan failed: ") + e.what());
    }
  });
}

void Server::Impl::do_accept() {
  acceptor.async_accept(asio::make_strand(io), [self = shared_from_this()](
                                                   const boost::system::error_code& ec,
                                                   tcp::socket socket) {
    if (ec) {
      self->fail(ec, "accept");
      if (ec == asio::error::operation_aborted || self->stopping) {
        return;
      }
      // E.g. out of file descriptors: back off instead of spinning on a failing accept.
      self->accept_retry.expires_after(std::chrono::milliseconds(100));
      self->accept_retry.async_wait([self](const boost::system::error_code& wait_ec) {
        if (!wait_ec && !self->stopping) {
          self->do_accept();
        }
      });
      return;
    } else {
      ++self->counters.connections_accepted;
      auto session = std::make_shared<Session>(std::move(socket), self);
      {
        std::lock_guard lock(self->sessions_mutex);
        std::erase_if(self->sessions, [](const auto& w) { return w.expired(); });
        self->sessions.push_back(session);
      }
      if (self->stopping) {
        // Accepted just as the server began to stop: it would never be told to finish.
        ++self->counters.connections_refused;
        session->refuse(pb::Error::INTERNAL, "server shutting down; retry later");
      } else {
        // A full cap reclaims the slot of a connection that has not authenticated (or is idle)
        // before it refuses this one (issue 16 #4).
        switch (self->slots.admit(session->peer_address(), session)) {
          case ConnectionSlots::Admission::admitted:
            session->start();
            break;
          case ConnectionSlots::Admission::refused_address_full:
            ++self->counters.connections_refused;
            session->refuse(pb::Error::LIMIT_EXCEEDED,
                            "every connection slot of this address is streaming; retry later");
            break;
          case ConnectionSlots::Admission::refused_full:
            ++self->counters.connections_refused;
            session->refuse(pb::Error::LIMIT_EXCEEDED,
                            "server at its connection limit; retry later");
            break;
        }
      }
    }
    if (!self->stopping) {
      self->do_accept();
    }
  });
}

void Server::Impl::stop() {
  stopping = true;
  asio::post(acceptor.get_executor(), [self = shared_from_this()] {
    boost::system::error_code ignored;
    self->acceptor.close(ignored);
    self->accept_retry.cancel();
    self->revocation_timer.cancel();
  });
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(sessions_mutex);
    for (const auto& w : sessions) {
      if (auto s = w.lock()) {
        live.push_back(std::move(s));
      }
    }
  }
  log("shutting down: no new connections; finishing " + std::to_string(live.size()) + " sessions");
  for (const auto& s : live) {
    s->begin_shutdown();
  }
}

void Server::Impl::finish() {
  std::lock_guard finish_lock(finish_mutex);
  if (finished) {
    return;
  }
  finished = true;
  {
    // Analyses need the storage thread (load, then save): wait while it still runs.
    std::unique_lock lock(analysis_mutex);
    analysis_idle.wait(lock, [&] { return analysing.empty(); });
  }
  analysis_pool.join();
  auth_pool.join();
  storage.stop();
}

bool Server::Impl::auth_blocked(const std::string& address) {
  std::lock_guard lock(auth_mutex);
  const auto it = auth_failures.find(address);
  if (it == auth_failures.end()) {
    return false;
  }
  if (std::chrono::steady_clock::now() - it->second.window_start > config.auth_failure_window) {
    auth_failures.erase(it);
    return false;
  }
  return it->second.count >= config.max_auth_failures;
}

void Server::Impl::auth_failed(const std::string& address) {
  std::lock_guard lock(auth_mutex);
  const auto now = std::chrono::steady_clock::now();
  if (auth_failures.size() > 10'000) {
    std::erase_if(auth_failures, [&](const auto& kv) {
      return now - kv.second.window_start > config.auth_failure_window;
    });
  }
  AuthFailures& f = auth_failures[address];
  if (f.count == 0 || now - f.window_start > config.auth_failure_window) {
    f.count = 0;
    f.window_start = now;
  }
  ++f.count;
}

void Server::Impl::schedule_analysis(std::int64_t study_id, const std::string& study_uid,
                                     std::weak_ptr<Session> listener) {
  {
    std::lock_guard lock(analysis_mutex);
    auto [it, inserted] = analysing.try_emplace(study_id);
    it->second.push_back(std::move(listener));
    if (!inserted) {
      return;  // already running; this listener gets the same finding
    }
  }
  storage.submit_batched([self = shared_from_this(), study_id, study_uid](storage::Store& st) {
    auto samples = std::make_shared<std::optional<storage::StudySamples>>();
    std::string error;
    try {
      *samples = st.load_samples(study_id);
    } catch (const std::exception& e) {
      error = e.what();
    }
    // Analysis never runs on I/O or storage threads.
    detail::StorageWorker::after_commit([self, study_id, study_uid, samples, error] {
      asio::post(self->analysis_pool, [self, study_id, study_uid, samples = std::move(*samples),
                                       error]() mutable {
        lower_analysis_thread_priority();
        detail::AnalysisOutcome outcome;
        if (samples) {
          outcome = detail::analyse_study(*samples);
        } else {
          storage::StudyHeader header;
          header.study_uid = study_uid;
          outcome = detail::failed_analysis(header, "stored samples could not be read: " + error);
        }
        self->storage.submit_batched([self, study_id,
                                      outcome = std::move(outcome)](storage::Store& st) {
          try {
            // The alert goes first and at most once per study: if the server dies between these
            // writes, the re-analysis after a reconnect finds the alert and does not repeat it,
            // whereas the other order could lose the alert of a STEMI for good.
            // Another node may analyse the same study at the same time (the cart failed over
            // while this node was still analysing): raise_alert_once decides between them.
            storage::AlertRecord alert;
            alert.study_id = study_id;
            alert.tier = outcome.tier;
            alert.category = outcome.category;
            alert.summary_en = outcome.finding.explanation_en();
            alert.summary_zh = outcome.finding.explanation_zh();
            alert.state = "raised";
            alert.raised_ms = storage::now_unix_ms();
            if (const auto raised_id = st.raise_alert_once(alert)) {
              const std::int64_t alert_id = *raised_id;
              storage::EventRecord raised;
              raised.study_id = study_id;
              raised.kind = "alert_raised";
              raised.at = storage::Stamp{alert.raised_ms, "server", "server"};
              raised.recorded_ms = raised.at.unix_ms;
              raised.actor = "server";
              raised.detail_json = boost::json::serialize(boost::json::object{
                  {"alert_id", alert_id}, {"tier", outcome.tier}, {"category", outcome.category}});
              st.append_event(raised);
              if (self->config.on_alert_raised) {
                // After the commit: the hook's own connection must see the alert.
                detail::StorageWorker::after_commit(
                    [self, &st, alert, alert_id, uid = outcome.finding.study_uid()] {
                      try {
                        self->config.on_alert_raised(st, alert, alert_id);
                      } catch (const std::exception& e) {
                        self->log("study " + uid + ": on_alert_raised hook: " + e.what());
                      }
                    });
              }
            }
            st.save_analysis(study_id, outcome.category, outcome.tier, outcome.json);
            storage::EventRecord done;
            done.study_id = study_id;
            done.kind = "analysis_done";
            done.at = storage::Stamp{storage::now_unix_ms(), "server", "server"};
            done.recorded_ms = done.at.unix_ms;
            done.actor = "server";
            done.detail_json =
                boost::json::serialize(boost::json::object{{"category", outcome.category},
                                                           {"tier", outcome.tier},
                                                           {"analysed", outcome.analysed}});
            st.append_event(done);
          } catch (const std::exception& e) {
            self->log("study " + outcome.finding.study_uid() +
                      ": storing the analysis failed: " + e.what());
          }
          detail::StorageWorker::after_commit([self, study_id, finding = outcome.finding] {
            self->analysis_finished(study_id, finding);
          });
        });
      });
    });
  });
}

void Server::Impl::analysis_finished(std::int64_t study_id, const pb::Finding& finding) {
  std::vector<std::weak_ptr<Session>> listeners;
  {
    std::lock_guard lock(analysis_mutex);
    if (auto it = analysing.find(study_id); it != analysing.end()) {
      listeners = std::move(it->second);
      analysing.erase(it);
    }
  }
  analysis_idle.notify_all();
  ++counters.studies_analysed;
  std::string territories;
  for (const auto& t : finding.territories()) {
    territories += (territories.empty() ? "" : ",") + t;
  }
  log("finding " + finding.study_uid() + ": " + finding.category() + ", tier " + finding.tier() +
      (territories.empty() ? "" : ", territories " + territories));
  for (const auto& w : listeners) {
    if (auto session = w.lock()) {
      session->deliver_finding(finding);
    }
  }
}

void Server::Impl::register_device_session(const std::string& device_id,
                                           const std::shared_ptr<Session>& session) {
  std::lock_guard lock(sessions_mutex);
  std::erase_if(sessions_by_device, [](const auto& kv) { return kv.second.expired(); });
  sessions_by_device.emplace(device_id, session);
}

bool Server::Impl::push_alert_update(const std::string& device_id,
                                     const pb::AlertUpdate& update) {
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(sessions_mutex);
    const auto [begin, end] = sessions_by_device.equal_range(device_id);
    for (auto it = begin; it != end; ++it) {
      if (auto s = it->second.lock(); s && s->live()) {
        live.push_back(std::move(s));
      }
    }
  }
  for (const auto& s : live) {
    s->deliver_alert_update(update);
  }
  return !live.empty();
}

// --- Server ------------------------------------------------------------------------------------

Server::Server(boost::asio::io_context& io, ServerConfig config, storage::Store& store)
    : impl_(std::make_shared<Impl>(io, std::move(config), store)) {}

Server::~Server() {
  finish();
}

void Server::start() {
  impl_->start();
}

std::uint16_t Server::port() const {
  return impl_->bound_port;
}

std::string Server::address() const {
  return impl_->bound_address;
}

void Server::stop() {
  impl_->stop();
}

void Server::finish() {
  impl_->finish();
}

bool Server::push_alert_update(const std::string& device_id, const pb::AlertUpdate& update) {
  return impl_->push_alert_update(device_id, update);
}

ServerStats Server::stats() const {
  const auto& c = impl_->counters;
  ServerStats s;
  s.connections_accepted = c.connections_accepted;
  s.connections_refused = c.connections_refused;
  s.connections_reclaimed = c.connections_reclaimed;
  s.sessions_open = c.sessions_open;
  s.frames_received = c.frames_received;
  s.bytes_received = c.bytes_received;
  s.frames_rejected = c.frames_rejected;
  s.auth_failures = c.auth_failures;
  s.chunks_stored = c.chunks_stored;
  s.chunks_duplicate = c.chunks_duplicate;
  s.commits = impl_->storage.commits();
  s.studies_completed = c.studies_completed;
  s.studies_analysed = c.studies_analysed;
  s.tls_handshake_failures = c.tls_handshake_failures;
  for (int code = pb::Error::Code_MIN; code <= pb::Error::Code_MAX; ++code) {
    if (!pb::Error::Code_IsValid(code) || code == pb::Error::UNSPECIFIED) {
      continue;
    }
    s.frames_rejected_by_reason[std::string(
        proto::code_name(static_cast<pb::Error::Code>(code)))] =
        c.rejected_by_code[static_cast<std::size_t>(code) % c.rejected_by_code.size()];
  }
  s.commit_latency = impl_->storage.commit_latency();
  return s;
}

}  // namespace gc::ingest
