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

// The alert notification body: {"event", "alert_id", "case_id", "tier", "state", "summary_zh",
// "summary_en", "at" (ISO in tz), "page": {"who", "level", "reason"}}.
std::string alert_notification_json(std::int64_t alert_id, std::optional<std::int64_t> case_id,
                                    const AlertLifecycle& alert, const std::string& summary_zh,
                                    const std::string& summary_en, const Page& page,
                                    const TimeZone& tz);

}  // namespace gc::workflow
