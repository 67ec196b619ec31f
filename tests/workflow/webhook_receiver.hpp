// A one-thread local HTTP receiver for webhook tests (shared by test_alerts.cpp and
// test_alert_service.cpp).
#pragma once

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace gc::test {

// A one-thread HTTP receiver answering each request with the next programmed status
// (or never answering, for timeouts). Records the bodies it received.
class Receiver {
  using tcp = boost::asio::ip::tcp;

 public:
  explicit Receiver(std::deque<int> statuses, bool hang = false)
      : acceptor_(ioc_, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)),
        statuses_(std::move(statuses)),
        hang_(hang) {
    thread_ = std::thread([this] { run(); });
  }
  ~Receiver() {
    stop_ = true;
    // Wake a blocked accept.
    boost::beast::error_code ec;
    tcp::socket s(ioc_);
    s.connect(acceptor_.local_endpoint(), ec);
    thread_.join();
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/hook";
  }
  std::vector<std::string> bodies() {
    std::lock_guard lock(mu_);
    return bodies_;
  }

 private:
  void run() {
    while (!stop_) {
      tcp::socket sock(ioc_);
      boost::beast::error_code ec;
      acceptor_.accept(sock, ec);
      if (ec || stop_) return;
      boost::beast::flat_buffer buf;
      boost::beast::http::request<boost::beast::http::string_body> req;
      boost::beast::http::read(sock, buf, req, ec);
      if (ec) continue;
      {
        std::lock_guard lock(mu_);
        bodies_.push_back(req.body());
      }
      if (hang_) {
        // Hold the connection without answering until the client gives up.
        std::this_thread::sleep_for(std::chrono::milliseconds(400));
        continue;
      }
      int status = 200;
      if (!statuses_.empty()) {
        status = statuses_.front();
        statuses_.pop_front();
      }
      boost::beast::http::response<boost::beast::http::string_body> res{
          static_cast<boost::beast::http::status>(status), 11};
      res.body() = "{}";
      res.prepare_payload();
      boost::beast::http::write(sock, res, ec);
      sock.shutdown(tcp::socket::shutdown_both, ec);
    }
  }

  boost::asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::deque<int> statuses_;
  bool hang_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<std::string> bodies_;
  std::thread thread_;
};

}  // namespace gc::test
