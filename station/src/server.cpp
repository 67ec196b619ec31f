// The reading station's listener and facade: accept with a connection cap, then hand the socket
// to a plain or TLS session (server_plain.cpp / server_tls.cpp over the templates of
// sessions.hpp); login queueing and the broadcast to every live WebSocket client. Requests are
// answered on the worker pool (SQLite, PBKDF2 and ECG analysis never run on an I/O thread) and
// written back on the session's strand.
#include <boost/asio.hpp>

#include <chrono>

#include "station_impl.hpp"

namespace gc::station {

namespace asio = boost::asio;
namespace json = boost::json;
using tcp = asio::ip::tcp;

// ---------------------------------------------------------------------------------------------
Station::Impl::Impl(asio::io_context& io_context, StationConfig cfg,
                    workflow::AlertService& alert_service)
    : io(io_context),
      config(std::move(cfg)),
      alerts(alert_service),
      acceptor(asio::make_strand(io_context)),
      slots(ingest::SlotLimits{std::max<std::size_t>(1, config.max_connections),
                               std::max<std::size_t>(1, config.max_connections_per_address)}) {
  if (!config.clock) config.clock = [] { return storage::now_unix_ms(); };
  db = storage::StationStore::open(config.db_path);
  storage::OpenOptions options;
  options.quick_check = false;
  options.background_checkpoint = false;
  options.audit_actor = "station";
  store = storage::Store::open(config.db_path, options);
  cases = storage::CaseStore::open(config.db_path, "station");
  started_ms = now_ms();
}

std::int64_t Station::Impl::now_ms() const { return config.clock(); }

void Station::Impl::log(std::string_view line) const {
  if (config.log) config.log(line);
}

void Station::Impl::start() {
  const tcp::endpoint endpoint(asio::ip::make_address(config.listen_address), config.port);
  acceptor.open(endpoint.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen(asio::socket_base::max_listen_connections);
  bound = acceptor.local_endpoint();
  do_accept();
}

void Station::Impl::do_accept() {
  acceptor.async_accept(
      asio::make_strand(io), [self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
        if (ec) {
          if (ec == asio::error::operation_aborted || self->stopped) return;
          self->log("station: accept: " + ec.message());
          return self->do_accept();
        }
        if (self->stopped) return;
        boost::system::error_code address_ec;
        const auto peer = socket.remote_endpoint(address_ec);
        const std::string address = address_ec ? "unknown-peer" : peer.address().to_string();
        auto slot = std::make_shared<detail::ConnectionSlot>(self->slots, self->connections_open);
        // A full cap reclaims the slot of a connection still in its handshake or idle between
        // requests before it refuses this one (issue 16 #3).
        if (self->slots.admit(address, slot) != ingest::ConnectionSlots::Admission::admitted) {
          ++self->connections_refused;
          boost::system::error_code ignored;
          socket.close(ignored);
          return self->do_accept();
        }
        ++self->connections_accepted;
        if (self->config.tls) {
          detail::start_tls_session(std::move(socket), std::move(slot), self);
        } else {
          detail::start_plain_session(std::move(socket), std::move(slot), self);
        }
        self->do_accept();
      });
}

void Station::Impl::stop() {
  if (stopped.exchange(true)) return;
  asio::post(acceptor.get_executor(), [self = shared_from_this()] {
    boost::system::error_code ignored;
    self->acceptor.close(ignored);
  });
  std::vector<std::shared_ptr<detail::WsClient>> ws;
  std::vector<std::shared_ptr<detail::Closable>> sessions;
  {
    std::lock_guard lock(clients_mutex);
    for (auto& w : ws_clients) {
      if (auto c = w.lock()) ws.push_back(std::move(c));
    }
    for (auto& w : http_sessions) {
      if (auto c = w.lock()) sessions.push_back(std::move(c));
    }
  }
  for (auto& c : ws) c->close();
  for (auto& s : sessions) s->close();
}

bool Station::Impl::enter_login_queue(const std::string& address) {
  std::lock_guard lock(login_mutex);
  unsigned& mine = logins_queued_by_address[address];
  if (logins_queued >= kMaxLoginsQueued || mine >= kMaxLoginsQueuedPerAddress) {
    if (mine == 0) logins_queued_by_address.erase(address);
    return false;
  }
  ++mine;
  ++logins_queued;
  return true;
}

void Station::Impl::leave_login_queue(const std::string& address) {
  std::lock_guard lock(login_mutex);
  --logins_queued;
  if (const auto it = logins_queued_by_address.find(address);
      it != logins_queued_by_address.end() && --it->second == 0) {
    logins_queued_by_address.erase(it);
  }
}

void Station::Impl::add_client(const std::shared_ptr<detail::WsClient>& client) {
  std::lock_guard lock(clients_mutex);
  std::erase_if(ws_clients, [](const auto& w) { return w.expired(); });
  ws_clients.push_back(client);
}

void Station::Impl::broadcast(const std::string& message) {
  auto shared = std::make_shared<const std::string>(message);
  std::vector<std::shared_ptr<detail::WsClient>> live;
  {
    std::lock_guard lock(clients_mutex);
    std::erase_if(ws_clients, [](const auto& w) { return w.expired(); });
    for (auto& w : ws_clients) {
      if (auto c = w.lock()) live.push_back(std::move(c));
    }
  }
  ++messages_published;
  for (auto& c : live) c->send(shared);
}

json::object Station::Impl::hello_message() const {
  return json::object{{"type", "hello"}, {"server_ms", now_ms()}};
}

// ---------------------------------------------------------------------------------------------
Station::Station(asio::io_context& io, StationConfig config, workflow::AlertService& alerts)
    : impl_(std::make_shared<Impl>(io, std::move(config), alerts)) {}

Station::~Station() {
  impl_->stop();
  // Queued work finishes (it only posts back to the I/O threads); none runs after this.
  impl_->work.join();
  impl_->login_work.join();
}

void Station::start() { impl_->start(); }

std::uint16_t Station::port() const { return impl_->bound.port(); }

std::string Station::url() const {
  const auto address = impl_->bound.address();
  const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return std::string(impl_->config.tls ? "https://" : "http://") + host + ":" +
         std::to_string(port());
}

void Station::stop() { impl_->stop(); }

void Station::publish(const workflow::AlertChange& change) {
  asio::post(impl_->publish_strand, [impl = impl_, change] {
    try {
      if (const auto row = impl->db->worklist_row(change.alert_id)) {
        impl->broadcast(json::serialize(
            json::object{{"type", "alert"}, {"item", detail::worklist_item_json(*row)}}));
      }
      if (change.page) {
        impl->broadcast(json::serialize(json::object{{"type", "page"},
                                                     {"alert_id", change.alert_id},
                                                     {"level", change.page->level},
                                                     {"who", change.page->who},
                                                     {"at_ms", change.page->sent_ms != 0
                                                                   ? change.page->sent_ms
                                                                   : change.page->due_ms}}));
      }
    } catch (const std::exception& e) {
      impl->log(std::string("station: publish: ") + e.what());
    }
  });
}

void Station::publish_case(std::int64_t case_id) {
  asio::post(impl_->publish_strand, [impl = impl_, case_id] {
    impl->broadcast(json::serialize(json::object{{"type", "case"}, {"case_id", case_id}}));
  });
}

void Station::publish_report(std::int64_t study_id, std::int64_t event_seq) {
  asio::post(impl_->publish_strand, [impl = impl_, study_id, event_seq] {
    impl->broadcast(json::serialize(
        json::object{{"type", "report"}, {"study_id", study_id}, {"event_seq", event_seq}}));
  });
}

}  // namespace gc::station
