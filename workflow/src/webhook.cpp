// Webhook delivery: HTTP/1.1 JSON POST with a per-attempt deadline and a backoff schedule.
#include "gc/webhook.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <thread>

namespace gc::workflow {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

ParsedUrl parse_http_url(const std::string& url) {
  const std::string scheme = "http://";
  if (url.rfind("https://", 0) == 0) throw Error("webhook: https:// is not supported yet: " + url);
  if (url.rfind(scheme, 0) != 0) throw Error("webhook: URL must start with http://: " + url);
  const auto rest = url.substr(scheme.size());
  const auto slash = rest.find('/');
  const auto authority = rest.substr(0, slash);
  ParsedUrl p;
  p.target = slash == std::string::npos ? "/" : rest.substr(slash);
  const auto colon = authority.rfind(':');
  if (colon == std::string::npos) {
    p.host = authority;
    p.port = "80";
  } else {
    p.host = authority.substr(0, colon);
    p.port = authority.substr(colon + 1);
    if (p.port.empty() || p.port.find_first_not_of("0123456789") != std::string::npos) {
      throw Error("webhook: bad port in " + url);
    }
  }
  if (p.host.empty()) throw Error("webhook: no host in " + url);
  return p;
}

namespace {

// One attempt: returns the HTTP status, or throws beast::system_error / Error on failure.
int post_once(const ParsedUrl& u, const WebhookConfig& c, const std::string& body) {
  asio::io_context ioc;
  tcp::resolver resolver(ioc);
  beast::tcp_stream stream(ioc);
  const auto deadline = std::chrono::milliseconds(c.timeout_ms);
  stream.expires_after(deadline);

  beast::error_code ec;
  int status = 0;
  // Asynchronous operations run to completion on this thread so that the stream's deadline
  // applies to connect, write and read alike.
  resolver.async_resolve(
      u.host, u.port, [&](beast::error_code rec, tcp::resolver::results_type results) {
        if (rec) {
          ec = rec;
          return;
        }
        stream.async_connect(results, [&](beast::error_code cec, const tcp::endpoint&) {
          if (cec) {
            ec = cec;
            return;
          }
          auto req =
              std::make_shared<http::request<http::string_body>>(http::verb::post, u.target, 11);
          req->set(http::field::host, u.host + ":" + u.port);
          req->set(http::field::user_agent, c.user_agent);
          req->set(http::field::content_type, "application/json; charset=utf-8");
          req->body() = body;
          req->prepare_payload();
          http::async_write(stream, *req, [&, req](beast::error_code wec, std::size_t) {
            if (wec) {
              ec = wec;
              return;
            }
            auto buffer = std::make_shared<beast::flat_buffer>();
            auto res = std::make_shared<http::response<http::string_body>>();
            http::async_read(stream, *buffer, *res,
                             [&, buffer, res](beast::error_code rdec, std::size_t) {
                               if (rdec) {
                                 ec = rdec;
                                 return;
                               }
                               status = static_cast<int>(res->result_int());
                               beast::error_code ignored;
                               stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
                             });
          });
        });
      });
  ioc.run();
  if (ec) throw beast::system_error(ec);
  return status;
}

}  // namespace

WebhookResult post_json(const WebhookConfig& config, const std::string& json_body,
                        const std::function<void(std::chrono::milliseconds)>& sleep) {
  const auto url = parse_http_url(config.url);
  const auto wait =
      sleep ? sleep : [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  WebhookResult result;
  const std::size_t n_attempts = 1 + config.backoff_ms.size();
  for (std::size_t i = 0; i < n_attempts; ++i) {
    WebhookAttempt a;
    a.attempt = i + 1;
    if (i > 0) {
      a.waited_ms = config.backoff_ms[i - 1];
      wait(std::chrono::milliseconds(a.waited_ms));
    }
    bool retry = true;
    try {
      const int status = post_once(url, config, json_body);
      a.http_status = status;
      if (status >= 200 && status < 300) {
        result.delivered = true;
        retry = false;
      } else {
        a.error = "HTTP " + std::to_string(status);
        // 429 and 5xx are the gateway's temporary trouble; other answers will not change.
        retry = status == 429 || status >= 500;
      }
    } catch (const beast::system_error& e) {
      a.error = e.code() == beast::error::timeout ? "timeout" : e.code().message();
    }
    result.attempts.push_back(std::move(a));
    if (!retry) break;
  }
  return result;
}

std::string alert_notification_json(std::int64_t alert_id, std::optional<std::int64_t> case_id,
                                    const AlertLifecycle& alert, const std::string& summary_zh,
                                    const std::string& summary_en, const Page& page,
                                    const TimeZone& tz) {
  boost::json::object o;
  o["event"] = "alert_page";
  o["alert_id"] = alert_id;
  if (case_id) {
    o["case_id"] = *case_id;
  } else {
    o["case_id"] = nullptr;
  }
  o["tier"] = std::string(key(alert.tier()));
  o["state"] = std::string(key(alert.state()));
  o["summary_zh"] = summary_zh;
  o["summary_en"] = summary_en;
  o["raised_at"] = format_iso(alert.raised_ms(), tz);
  o["at"] = format_iso(page.at_ms, tz);
  o["page"] =
      boost::json::object{{"who", page.who}, {"level", page.level}, {"reason", page.reason}};
  return boost::json::serialize(o);
}

}  // namespace gc::workflow
