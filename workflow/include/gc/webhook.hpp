// webhook — outbound notification as a JSON POST (for SMS or WeChat Work gateways) with retries
// and backoff. Blocking (Boost.Beast over plain TCP): run it on a worker thread, never on an
// ingest strand. https:// is not supported yet (gateways sit on the hospital LAN); the URL
// parser refuses it clearly.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "gc/alerts.hpp"

namespace gc::workflow {

struct WebhookConfig {
  std::string url;  // http://host[:port]/path
  // Waits before retries 1, 2, …: the attempt count is 1 + backoff_ms.size().
  std::vector<std::int64_t> backoff_ms = {1'000, 2'000, 4'000, 8'000};
  std::int64_t timeout_ms = 5'000;  // per attempt: connect + send + response
  std::string user_agent = "greenchannel-webhook/1";
};

struct WebhookAttempt {
  std::size_t attempt = 0;         // 1-based
  std::optional<int> http_status;  // absent when the request did not complete
  std::string error;               // transport error or "HTTP 503"
  std::int64_t waited_ms = 0;      // backoff before this attempt
};

struct WebhookResult {
  bool delivered = false;
  std::vector<WebhookAttempt> attempts;
};

struct ParsedUrl {
  std::string host;
  std::string port;
  std::string target;
};
ParsedUrl parse_http_url(const std::string& url);  // throws Error

// Retries on transport errors, timeouts, 5xx and 429; stops on other 4xx (the gateway refuses
// the message: retrying cannot help) and on 2xx. `sleep` is injectable so tests do not wait.
WebhookResult post_json(const WebhookConfig& config, const std::string& json_body,
                        const std::function<void(std::chrono::milliseconds)>& sleep = {});

// What a gateway (SMS, WeChat Work) needs to tell the paged doctor about an alert without
// opening anything: the study, its clinic, the patient as the cart sent them (age and sex only:
// the patient id stays inside the hospital), the times, and a deep link to the study on the
// reading station.
struct AlertNotice {
  std::int64_t alert_id = 0;
  std::optional<std::int64_t> case_id;
  std::int64_t study_id = 0;
  std::string study_uid;
  std::string device_id;
  std::string clinic;
  std::optional<std::int64_t> age_years;
  std::string sex;  // "M", "F" or "" (unknown)
  std::optional<UnixMs> fmc_ms;
  std::optional<UnixMs> ecg_ms;  // acquisition
  std::string summary_zh;
  std::string summary_en;
  // The station's address as the doctors reach it (serve --station-url), "" = no link.
  std::string station_url;
  // The paged doctor as the users page has them: Chinese display name and contact (a phone
  // number or WeChat Work user id; "" when none was set) — whom the gateway sends to.
  std::string who_name_zh;
  std::string who_contact;
};

// Checks a station address for the deep links: http:// or https://, a host, no spaces or
// control characters, at most 200 bytes; returns it without trailing slashes. Throws Error.
std::string normalise_station_url(const std::string& url);

// The deep link to an alert's study on the station: URL/#/study/ID?alert=ID ("" without a URL).
std::string station_study_link(const std::string& station_url, std::int64_t study_id,
                               std::int64_t alert_id);

// The alert notification body (a JSON object; README "Alerts and escalation" lists the keys):
// "event" "alert_page", "alert_id", "case_id", "study_id", "study_uid", "tier", "state",
// "clinic", "device_id", "patient" {"age_years", "sex"}, "ecg_at", "fmc_at", "raised_at", "at"
// (ISO 8601 in tz; null when unknown), "summary_zh", "summary_en", "link" (null without a
// station URL), "page" {"who", "name_zh", "contact", "level", "reason"} (name_zh and contact
// null when not set), and "text_zh" / "text_en": one line a gateway
// can send as it is ("【危急】疑似STEMI：下壁｜张家镇卫生院｜男 58岁｜心电图 16:05｜FMC 15:53｜
// 第1级呼叫 dr_wang｜https://…").
std::string alert_notification_json(const AlertNotice& notice, const AlertLifecycle& alert,
                                    const Page& page, const TimeZone& tz);

}  // namespace gc::workflow
