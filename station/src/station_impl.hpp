// Internals of the reading station shared by its source files: the state behind Station (stores,
// worker pool, live WebSocket clients, counters), the request/response types and the API error.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "gc/case_store.hpp"
#include "gc/connection_slots.hpp"
#include "gc/station.hpp"
#include "gc/station_store.hpp"
#include "gc/storage.hpp"

namespace gc::station::detail {

namespace http = boost::beast::http;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

// An error answer: {"error": message, "code": code} with this status.
struct ApiError {
  http::status status;
  std::string code;
  std::string message;
};

// The logged-in user behind a request.
struct Auth {
  std::string username;
  Role role = Role::cardiologist;
  std::string csrf_token;
  std::vector<std::uint8_t> token_sha256;
  std::int64_t expires_ms = 0;  // the earlier of the absolute and the idle expiry
  // An admin reset the password: until the user chooses a new one, only logout, /api/me and
  // /api/me/password answer (migration 0010).
  bool must_change_password = false;
};

// A live WebSocket client (one per connection); send() and close() are thread-safe.
class WsClient {
 public:
  virtual ~WsClient() = default;
  virtual void send(std::shared_ptr<const std::string> message) = 0;
  virtual void close() = 0;
};

// Anything to close on stop (HTTP sessions waiting for their next request).
class Closable {
 public:
  virtual ~Closable() = default;
  virtual void close() = 0;
};

// A connection's slot from accept to close, whatever protocol it ends up speaking. The stage that
// owns the socket (TLS handshake, HTTP session) says how to close it should the slot be reclaimed.
class ConnectionSlot : public ingest::SlotHolder {
 public:
  ConnectionSlot(ingest::ConnectionSlots& slots, std::atomic<std::size_t>& counter)
      : slots_(slots), counter_(counter) {
    ++counter_;
  }
  ~ConnectionSlot() override {
    slots_.release(*this);
    --counter_;
  }
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;

  void on_evict(std::function<void()> close) {
    std::lock_guard lock(mutex_);
    close_ = std::move(close);
  }
  void evict() override {
    std::function<void()> close;
    {
      std::lock_guard lock(mutex_);
      close.swap(close_);
    }
    if (close) close();
  }

 private:
  ingest::ConnectionSlots& slots_;
  std::atomic<std::size_t>& counter_;
  std::mutex mutex_;
  std::function<void()> close_;
};

// Password hashing and tokens (users.cpp).
inline constexpr int kPasswordIterations = 310'000;
inline constexpr std::size_t kSaltBytes = 16;
std::vector<std::uint8_t> random_bytes(std::size_t n);
std::string random_token();  // 256 bits, base64url
std::vector<std::uint8_t> sha256(std::string_view text);
std::vector<std::uint8_t> hash_password(std::string_view password,
                                        const std::vector<std::uint8_t>& salt, int iterations);
bool verify_password(const storage::UserRecord& user, std::string_view password);
// Spends the same time as a real verification (an unknown user answers like a wrong password).
void burn_password_time(std::string_view password);
bool equal_constant_time(std::string_view a, std::string_view b);

// The API's WorklistItem (api.cpp).
boost::json::object worklist_item_json(const storage::WorklistRow& row);

// One accepted connection, from its slot on: plain HTTP (server_plain.cpp) or the TLS handshake
// and then HTTPS (server_tls.cpp). Each file instantiates the sessions of sessions.hpp for one
// stream type.
void start_plain_session(boost::asio::ip::tcp::socket socket, std::shared_ptr<ConnectionSlot> slot,
                         const std::shared_ptr<Station::Impl>& station);
void start_tls_session(boost::asio::ip::tcp::socket socket, std::shared_ptr<ConnectionSlot> slot,
                       const std::shared_ptr<Station::Impl>& station);

}  // namespace gc::station::detail

namespace gc::station {

struct Station::Impl : std::enable_shared_from_this<Station::Impl> {
  Impl(boost::asio::io_context& io, StationConfig config, workflow::AlertService& alerts);

  boost::asio::io_context& io;
  StationConfig config;
  workflow::AlertService& alerts;
  std::unique_ptr<storage::StationStore> db;
  std::unique_ptr<storage::Store> store;  // studies, samples, analyses, events
  std::mutex cases_mutex;                  // CaseStore is one-thread-at-a-time
  std::unique_ptr<storage::CaseStore> cases;
  // Blocking work (SQLite, PBKDF2, ECG analysis) runs here, never on the I/O threads.
  boost::asio::thread_pool work{2};
  // Logins (PBKDF2, ~0.1 s of CPU each) have their own thread and a bounded queue, so a burst of
  // bogus logins waits behind itself, not in front of the worklist (issue 16 #7).
  boost::asio::thread_pool login_work{1};
  static constexpr unsigned kMaxLoginsQueued = 16;
  static constexpr unsigned kMaxLoginsQueuedPerAddress = 2;
  std::mutex login_mutex;
  unsigned logins_queued = 0;
  std::map<std::string, unsigned> logins_queued_by_address;
  // Takes a place in the login queue for `address`; false when full (the caller answers 429).
  bool enter_login_queue(const std::string& address);
  void leave_login_queue(const std::string& address);
  // Live-channel messages are built (read from the database) and sent in publish order, so a
  // client never sees an older state after a newer one.
  boost::asio::strand<boost::asio::thread_pool::executor_type> publish_strand{work.get_executor()};
  boost::asio::ip::tcp::acceptor acceptor;  // on its own strand (stop() closes it from any thread)
  boost::asio::ip::tcp::endpoint bound;     // set by start()
  std::int64_t started_ms = 0;
  std::atomic<bool> stopped{false};
  ingest::ConnectionSlots slots;  // the connection caps, per address and in total

  std::mutex clients_mutex;
  std::vector<std::weak_ptr<detail::WsClient>> ws_clients;
  std::vector<std::weak_ptr<detail::Closable>> http_sessions;

  // Counters for /metrics.
  std::atomic<std::size_t> connections_open{0};
  std::atomic<std::uint64_t> connections_accepted{0};
  std::atomic<std::uint64_t> connections_refused{0};
  std::atomic<std::uint64_t> connections_reclaimed{0};
  std::atomic<std::size_t> ws_open{0};
  std::atomic<std::uint64_t> ws_dropped{0};
  std::atomic<std::uint64_t> requests_2xx{0}, requests_3xx{0}, requests_4xx{0}, requests_5xx{0};
  std::atomic<std::uint64_t> logins_ok{0}, logins_failed{0}, logins_locked{0};
  std::atomic<std::uint64_t> messages_published{0};

  // Setting a shift reads the roster in force, merges and writes it back: one at a time.
  std::mutex roster_mutex;

  // Median beats of complete studies (a stored study never changes), a few at a time.
  std::mutex median_mutex;
  std::map<std::int64_t, std::shared_ptr<const boost::json::value>> median_cache;

  std::int64_t now_ms() const;
  void log(std::string_view line) const;

  // The whole HTTP API and the static files (api.cpp). Runs on the worker pool.
  detail::Response handle(const detail::Request& request);
  // For the WebSocket upgrade (and every API call): the session cookie's user, else ApiError.
  detail::Auth authenticate(const detail::Request& request);
  // Whether the login session behind an open WebSocket may keep its feed: not revoked, not past
  // its absolute expiry, user not disabled (the idle rule applies to requests only).
  bool session_valid(const std::vector<std::uint8_t>& token_sha256);

  // Live channel.
  void add_client(const std::shared_ptr<detail::WsClient>& client);
  void broadcast(const std::string& message);
  boost::json::object hello_message() const;

  // Server (server.cpp).
  void start();
  void do_accept();
  void stop();
};

}  // namespace gc::station
