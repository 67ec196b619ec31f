// The reading station's connection sessions (Boost.Beast, after the advanced server example):
// one HTTP session per connection on its own strand (keep-alive, body limit, read deadlines),
// the /ws upgrade into a WebSocket session with a bounded write queue. Templates over the
// stream type, instantiated once for plain TCP (server_plain.cpp) and once for TLS
// (server_tls.cpp): each instantiation is a heavy compile, so each has its own translation
// unit and the two build in parallel. Included only by those two files.
#pragma once

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <chrono>
#include <deque>

#include "station_impl.hpp"

namespace gc::station::sessions {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using detail::Request;
using detail::Response;


constexpr auto kKeepAliveIdle = std::chrono::seconds(60);   // between requests
constexpr auto kWriteTimeout = std::chrono::seconds(30);
// How long a closing WebSocket waits for the browser's close frame (serve's stop, a revoked
// session).
constexpr auto kCloseHandshakeTimeout = std::chrono::seconds(2);
constexpr std::size_t kMaxQueuedMessages = 256;
constexpr std::size_t kMaxQueuedBytes = 8u << 20;
constexpr std::size_t kMaxClientMessageBytes = 4096;
constexpr std::size_t kMaxHeaderBytes = 16 * 1024;

// Expected ends of a connection are not worth a log line.
inline bool expected_close(const beast::error_code& ec) {
  return ec == asio::error::operation_aborted || ec == asio::error::eof ||
         ec == http::error::end_of_stream || ec == asio::error::connection_reset ||
         ec == websocket::error::closed || ec == beast::error::timeout ||
         ec == asio::ssl::error::stream_truncated || ec == asio::error::broken_pipe;
}

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

inline std::string target_path(const Request& req) {
  const std::string_view t(req.target().data(), req.target().size());
  return std::string(t.substr(0, t.find('?')));
}

// ---------------------------------------------------------------------------------------------
template <class Stream>
class WsSession : public detail::WsClient,
                  public std::enable_shared_from_this<WsSession<Stream>> {
 public:
  WsSession(Stream&& stream, std::shared_ptr<detail::ConnectionSlot> slot,
            std::shared_ptr<Station::Impl> station, std::vector<std::uint8_t> token_sha256)
      : ws_(std::move(stream)), slot_(std::move(slot)), station_(std::move(station)),
        token_sha256_(std::move(token_sha256)), ping_timer_(ws_.get_executor()) {
    ++station_->ws_open;
  }
  ~WsSession() override { --station_->ws_open; }

  void run(Request request) {
    beast::get_lowest_layer(ws_).expires_never();
    auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::server);
    timeouts.idle_timeout = std::chrono::seconds(60);  // websocket pings keep live clients
    ws_.set_option(timeouts);
    ws_.read_message_max(kMaxClientMessageBytes);
    ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
      res.set(http::field::server, "greenchannel-station");
    }));
    ws_.text(true);
    ws_.async_accept(request, beast::bind_front_handler(&WsSession::on_accept,
                                                        this->shared_from_this()));
  }

  void send(std::shared_ptr<const std::string> message) override {
    asio::post(ws_.get_executor(), [self = this->shared_from_this(), message] {
      self->enqueue(message);
    });
  }

  void close() override {
    asio::post(ws_.get_executor(), [self = this->shared_from_this()] {
      if (self->closed_) return;
      self->closed_ = true;
      self->ping_timer_.cancel();
      // A browser that no longer answers (a phone asleep, a dropped network) must not hold the
      // server's stop for the suggested 30 s close handshake.
      websocket::stream_base::timeout timeouts;
      self->ws_.get_option(timeouts);
      timeouts.handshake_timeout = kCloseHandshakeTimeout;
      self->ws_.set_option(timeouts);
      self->ws_.async_close(websocket::close_code::going_away,
                            [self](const beast::error_code&) {});
    });
  }

 private:
  void on_accept(beast::error_code ec) {
    if (ec) return;
    station_->add_client(this->shared_from_this());
    enqueue(std::make_shared<const std::string>(json::serialize(station_->hello_message())));
    schedule_ping();
    do_read();
  }

  void schedule_ping() {
    ping_timer_.expires_after(station_->config.ws_ping_interval);
    ping_timer_.async_wait([self = this->shared_from_this()](const beast::error_code& ec) {
      if (ec || self->closed_) return;
      // The session check reads the database: on the worker pool, answer on the strand.
      asio::post(self->station_->work, [self] {
        bool valid = false;
        try {
          valid = self->station_->session_valid(self->token_sha256_);
        } catch (const std::exception& e) {
          self->station_->log(std::string("station: WebSocket session check: ") + e.what());
          valid = true;  // a database hiccup is not a logout
        }
        asio::post(self->ws_.get_executor(), [self, valid] {
          if (self->closed_) return;
          if (!valid) {
            self->closed_ = true;
            self->ws_.async_close(websocket::close_reason(websocket::close_code::policy_error,
                                                          "session ended"),
                                  [self](const beast::error_code&) {});
            return;
          }
          self->enqueue(std::make_shared<const std::string>(json::serialize(
              json::object{{"type", "ping"}, {"server_ms", self->station_->now_ms()}})));
          self->schedule_ping();
        });
      });
    });
  }

  void do_read() {
    ws_.async_read(buffer_, beast::bind_front_handler(&WsSession::on_read,
                                                      this->shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec) {
      closed_ = true;
      ping_timer_.cancel();
      return;
    }
    buffer_.consume(buffer_.size());  // nothing from the client is needed ({"type":"pong"})
    do_read();
  }

  void enqueue(const std::shared_ptr<const std::string>& message) {
    if (closed_) return;
    if (queue_.size() >= kMaxQueuedMessages || queued_bytes_ + message->size() > kMaxQueuedBytes) {
      // A client that cannot keep up is dropped (it refetches the worklist when it reconnects)
      // rather than letting the queue grow or the publisher wait.
      ++station_->ws_dropped;
      closed_ = true;
      ping_timer_.cancel();
      beast::error_code ignored;
      beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
      beast::get_lowest_layer(ws_).close();
      station_->log("station: dropped a WebSocket client that could not keep up");
      return;
    }
    queued_bytes_ += message->size();
    queue_.push_back(message);
    if (queue_.size() == 1) do_write();
  }

  void do_write() {
    ws_.async_write(asio::buffer(*queue_.front()),
                    beast::bind_front_handler(&WsSession::on_write, this->shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    if (ec) {
      closed_ = true;
      ping_timer_.cancel();
      return;
    }
    queued_bytes_ -= queue_.front()->size();
    queue_.pop_front();
    if (!queue_.empty() && !closed_) do_write();
  }

  websocket::stream<Stream> ws_;
  std::shared_ptr<detail::ConnectionSlot> slot_;
  std::shared_ptr<Station::Impl> station_;
  std::vector<std::uint8_t> token_sha256_;
  asio::steady_timer ping_timer_;
  beast::flat_buffer buffer_;
  std::deque<std::shared_ptr<const std::string>> queue_;
  std::size_t queued_bytes_ = 0;
  bool closed_ = false;
};

// ---------------------------------------------------------------------------------------------
template <class Stream>
class HttpSession : public detail::Closable,
                    public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  HttpSession(Stream&& stream, std::shared_ptr<detail::ConnectionSlot> slot,
              std::shared_ptr<Station::Impl> station)
      : stream_(std::move(stream)),
        executor_(stream_.get_executor()),
        slot_(std::move(slot)),
        station_(std::move(station)) {
    beast::error_code ec;
    const auto peer = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
    peer_address_ = ec ? "unknown-peer" : peer.address().to_string();
  }

  void run() {
    slot_->on_evict([weak = this->weak_from_this()] {
      if (const auto self = weak.lock()) self->evict();
    });
    do_read();
  }

  void close() override {
    // executor_, not stream_'s: the stream may have moved into a WebSocket session.
    asio::post(executor_, [self = this->shared_from_this()] {
      self->stopping_ = true;
      // A session waiting for its next request closes now; one being answered closes after.
      if (self->reading_ && !self->upgraded_) beast::get_lowest_layer(self->stream_).cancel();
    });
  }

  // The slot was reclaimed (ConnectionSlots): a connection waiting for a request is closed at
  // once, without a TLS close_notify exchange an idle peer could draw out; one being answered
  // closes after its response.
  void evict() {
    asio::post(executor_, [self = this->shared_from_this()] {
      ++self->station_->connections_reclaimed;
      self->stopping_ = true;
      if (self->reading_ && !self->upgraded_) {
        self->evicted_ = true;
        beast::error_code ignored;
        beast::get_lowest_layer(self->stream_)
            .socket()
            .shutdown(tcp::socket::shutdown_both, ignored);
        beast::get_lowest_layer(self->stream_).close();
      }
    });
  }

 private:
  void do_read() {
    if (stopping_ || station_->stopped) return do_close();
    parser_.emplace();
    parser_->body_limit(station_->config.max_request_body_bytes);
    parser_->header_limit(kMaxHeaderBytes);
    beast::get_lowest_layer(stream_).expires_after(
        first_ ? std::chrono::steady_clock::duration(station_->config.request_timeout)
               : kKeepAliveIdle);
    // Before its first request a connection has proved nothing; between requests it is idle.
    slot_->set_tier(first_ ? ingest::SlotTier::unproven : ingest::SlotTier::idle);
    first_ = false;
    reading_ = true;
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&HttpSession::on_read, this->shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    reading_ = false;
    if (evicted_) return;  // closed: its slot went to a newer connection
    if (ec == http::error::body_limit) {
      return write(error_response(http::status::payload_too_large, "too_large",
                                  "request body too large"),
                   false);
    }
    if (ec == http::error::header_limit) {
      // Said, not just hung up on (issue 16): the client learns why.
      return write(error_response(http::status::request_header_fields_too_large,
                                  "headers_too_large", "request headers too large"),
                   false);
    }
    if (ec) {
      if (!expected_close(ec)) station_->log("station: read: " + ec.message());
      return do_close();
    }
    // A request to answer: this slot is not reclaimed until the response is written. (A
    // connection that failed or ended above stays reclaimable while it closes.)
    slot_->set_tier(ingest::SlotTier::working);
    Request request = parser_->release();
    beast::get_lowest_layer(stream_).expires_never();
    if (websocket::is_upgrade(request)) return upgrade(std::move(request));
    if (request.method() == http::verb::post && target_path(request) == "/api/login") {
      return login(std::move(request));
    }
    asio::post(station_->work, [self = this->shared_from_this(), request = std::move(request)] {
      Response response = self->station_->handle(request);
      asio::post(self->executor_,
                 [self, response = std::move(response)]() mutable {
                   const bool keep = response.keep_alive();
                   self->write(std::move(response), keep);
                 });
    });
  }

  // A login waits in its own bounded queue (Station::Impl::login_work); beyond it, 429 at once,
  // whoever the user is — nothing is hashed, nothing is told about the account.
  void login(Request request) {
    if (!station_->enter_login_queue(peer_address_)) {
      auto res = error_response(http::status::too_many_requests, "too_many_requests",
                                "too many login attempts in progress; try again shortly");
      res.set(http::field::retry_after, "1");
      return write(std::move(res), false);
    }
    asio::post(station_->login_work,
               [self = this->shared_from_this(), request = std::move(request)] {
                 Response response = self->station_->handle(request);
                 self->station_->leave_login_queue(self->peer_address_);
                 asio::post(self->executor_, [self, response = std::move(response)]() mutable {
                   const bool keep = response.keep_alive();
                   self->write(std::move(response), keep);
                 });
               });
  }

  void upgrade(Request request) {
    if (target_path(request) != "/ws") {
      return write(error_response(http::status::not_found, "not_found", "no such endpoint"), false);
    }
    asio::post(station_->work, [self = this->shared_from_this(), request = std::move(request)] {
      std::optional<detail::ApiError> error;
      std::vector<std::uint8_t> token_sha256;
      try {
        const auto auth = self->station_->authenticate(request);
        token_sha256 = auth.token_sha256;
        // No live feed (worklist items carry patient data) before a reset password is replaced.
        if (auth.must_change_password) {
          error = detail::ApiError{http::status::forbidden, "password_change_required",
                                   "choose a new password first"};
        }
        // Cross-site WebSocket hijacking: a browser always sends Origin; it must be this
        // station, scheme included (http://host is another origin than https://host: issue 16).
        const auto origin = request[http::field::origin];
        const auto host = request[http::field::host];
        if (!origin.empty()) {
          const std::string expected =
              std::string(self->station_->config.tls ? "https://" : "http://") + std::string(host);
          if (host.empty() || origin != expected) {
            error = detail::ApiError{http::status::forbidden, "forbidden", "cross-origin WebSocket"};
          }
        }
      } catch (const detail::ApiError& e) {
        error = e;
      } catch (const std::exception& e) {
        error = detail::ApiError{http::status::internal_server_error, "internal", e.what()};
      }
      asio::post(self->executor_, [self, request = std::move(request), error,
                                                token_sha256 = std::move(token_sha256)] {
        if (error) {
          return self->write(self->error_response(error->status, error->code, error->message),
                             false);
        }
        self->upgraded_ = true;
        self->slot_->set_tier(ingest::SlotTier::working);  // a live feed keeps its slot
        std::make_shared<WsSession<Stream>>(std::move(self->stream_), self->slot_, self->station_,
                                            token_sha256)
            ->run(std::move(request));
      });
    });
  }

  Response error_response(http::status status, const std::string& code,
                          const std::string& message) {
    Response res{status, 11};
    res.set(http::field::content_type, "application/json; charset=utf-8");
    res.set(http::field::cache_control, "no-store");
    res.set("X-Content-Type-Options", "nosniff");
    res.body() = json::serialize(json::object{{"error", message}, {"code", code}});
    res.keep_alive(false);
    res.prepare_payload();
    if (status >= http::status::internal_server_error) {
      ++station_->requests_5xx;
    } else {
      ++station_->requests_4xx;
    }
    return res;
  }

  void write(Response response, bool keep_alive) {
    response_ = std::make_shared<Response>(std::move(response));
    beast::get_lowest_layer(stream_).expires_after(kWriteTimeout);
    http::async_write(stream_, *response_,
                      [self = this->shared_from_this(), keep_alive](beast::error_code ec,
                                                                    std::size_t) {
                        self->response_.reset();
                        if (ec) return self->do_close();
                        if (!keep_alive) return self->do_close();
                        self->do_read();
                      });
  }

  void do_close() {
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(5));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
        beast::get_lowest_layer(self->stream_).close();
      });
    } else {
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
  }

  Stream stream_;
  asio::any_io_executor executor_;  // the connection's strand
  std::shared_ptr<detail::ConnectionSlot> slot_;
  std::shared_ptr<Station::Impl> station_;
  std::string peer_address_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<Response> response_;
  bool first_ = true;
  bool reading_ = false;
  bool stopping_ = false;
  bool upgraded_ = false;
  bool evicted_ = false;
};

template <class Stream>
void start_http(Stream&& stream, std::shared_ptr<detail::ConnectionSlot> slot,
                const std::shared_ptr<Station::Impl>& station) {
  auto session =
      std::make_shared<HttpSession<Stream>>(std::move(stream), std::move(slot), station);
  {
    std::lock_guard lock(station->clients_mutex);
    auto& list = station->http_sessions;
    std::erase_if(list, [](const auto& w) { return w.expired(); });
    list.push_back(session);
  }
  session->run();
}

}  // namespace gc::station::sessions
