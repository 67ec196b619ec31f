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

std::string normalise_station_url(const std::string& url) {
  const bool https = url.rfind("https://", 0) == 0, http_ = url.rfind("http://", 0) == 0;
  if (!https && !http_) throw Error("--station-url must start with https:// or http://: " + url);
  if (url.size() > 200) throw Error("--station-url is longer than 200 bytes");
  for (const char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '"' || c == '<' || c == '>' || c == '\\') {
      throw Error("--station-url contains a space, a control character or one of \" < > \\");
    }
  }
  std::string out = url;
  while (!out.empty() && out.back() == '/') out.pop_back();
  const std::size_t host_at = https ? 8 : 7;
  if (out.size() <= host_at || out[host_at] == '/' || out[host_at] == ':') {
    throw Error("--station-url has no host: " + url);
  }
  return out;
}

std::string station_study_link(const std::string& station_url, std::int64_t study_id,
                               std::int64_t alert_id) {
  if (station_url.empty()) return "";
  std::string base = station_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/#/study/" + std::to_string(study_id) + "?alert=" + std::to_string(alert_id);
}

namespace {

// "16:05" on the notification's clock (the date is the page's, or given in full when it differs).
std::string clock_text(UnixMs t, UnixMs page_at, const TimeZone& tz) {
  const std::string iso = format_iso(t, tz), page_iso = format_iso(page_at, tz);
  if (iso.size() < 16) return iso;
  if (iso.substr(0, 10) != page_iso.substr(0, 10)) return iso.substr(0, 10) + " " + iso.substr(11, 5);
  return iso.substr(11, 5);
}

}  // namespace

std::string alert_notification_json(const AlertNotice& n, const AlertLifecycle& alert,
                                    const Page& page, const TimeZone& tz) {
  const auto iso_or_null = [&tz](const std::optional<UnixMs>& t) -> boost::json::value {
    if (!t) return nullptr;
    return boost::json::value(format_iso(*t, tz));
  };
  boost::json::object o;
  o["event"] = "alert_page";
  o["alert_id"] = n.alert_id;
  if (n.case_id) {
    o["case_id"] = *n.case_id;
  } else {
    o["case_id"] = nullptr;
  }
  o["study_id"] = n.study_id;
  o["study_uid"] = n.study_uid;
  o["tier"] = std::string(key(alert.tier()));
  o["state"] = std::string(key(alert.state()));
  o["clinic"] = n.clinic;
  o["device_id"] = n.device_id;
  boost::json::object patient;
  if (n.age_years) {
    patient["age_years"] = *n.age_years;
  } else {
    patient["age_years"] = nullptr;
  }
  if (n.sex == "M" || n.sex == "F") {
    patient["sex"] = n.sex;
  } else {
    patient["sex"] = nullptr;
  }
  o["patient"] = std::move(patient);
  o["ecg_at"] = iso_or_null(n.ecg_ms);
  o["fmc_at"] = iso_or_null(n.fmc_ms);
  o["summary_zh"] = n.summary_zh;
  o["summary_en"] = n.summary_en;
  o["raised_at"] = format_iso(alert.raised_ms(), tz);
  o["at"] = format_iso(page.at_ms, tz);
  const std::string link = station_study_link(n.station_url, n.study_id, n.alert_id);
  if (link.empty()) {
    o["link"] = nullptr;
  } else {
    o["link"] = link;
  }
  const auto text_or_null = [](const std::string& t) {
    return t.empty() ? boost::json::value(nullptr) : boost::json::value(t);
  };
  o["page"] = boost::json::object{{"who", page.who},
                                  {"name_zh", text_or_null(n.who_name_zh)},
                                  {"contact", text_or_null(n.who_contact)},
                                  {"level", page.level},
                                  {"reason", page.reason}};

  // One line each for an SMS / WeChat Work text, from the same fields.
  const auto tier = alert.tier();
  std::string zh = tier == AlertTier::critical ? "【危急】" : tier == AlertTier::urgent ? "【紧急】" : "【常规】";
  std::string en = tier == AlertTier::critical ? "[CRITICAL] " : tier == AlertTier::urgent ? "[URGENT] " : "[ROUTINE] ";
  zh += n.summary_zh;
  en += n.summary_en;
  if (!n.clinic.empty()) {
    zh += "｜" + n.clinic;
    en += " | " + n.clinic;
  }
  if (n.sex == "M" || n.sex == "F" || n.age_years) {
    zh += "｜";
    en += " | ";
    if (n.sex == "M" || n.sex == "F") {
      zh += n.sex == "M" ? "男" : "女";
      en += n.sex;
    }
    if (n.age_years) {
      zh += (n.sex.empty() ? "" : " ") + std::to_string(*n.age_years) + "岁";
      en += (n.sex.empty() ? "" : " ") + std::to_string(*n.age_years) + " y";
    }
  }
  if (n.ecg_ms) {
    zh += "｜心电图 " + clock_text(*n.ecg_ms, page.at_ms, tz);
    en += " | ECG " + clock_text(*n.ecg_ms, page.at_ms, tz);
  }
  if (n.fmc_ms) {
    zh += "｜FMC " + clock_text(*n.fmc_ms, page.at_ms, tz);
    en += " | FMC " + clock_text(*n.fmc_ms, page.at_ms, tz);
  }
  const std::string level = std::to_string(page.level);
  if (!page.who.empty()) {
    zh += "｜第" + level + "级呼叫 " + page.who;
    en += " | page level " + level + ": " + page.who;
  } else {
    zh += "｜第" + level + "级呼叫：无人值班";
    en += " | page level " + level + ": nobody on call";
  }
  if (!link.empty()) {
    zh += "｜" + link;
    en += " | " + link;
  }
  o["text_zh"] = zh;
  o["text_en"] = en;
  return boost::json::serialize(o);
}

}  // namespace gc::workflow
