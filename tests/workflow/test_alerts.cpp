// Alert lifecycle, escalation (no acknowledgement → backup paged at the deadline) and webhook
// delivery with retries against a local HTTP receiver.
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <deque>
#include <mutex>
#include <thread>

#include "gc/alerts.hpp"
#include "gc/webhook.hpp"
#include "webhook_receiver.hpp"

using namespace gc::workflow;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using gc::test::Receiver;

namespace {

constexpr UnixMs kRaised = 1778573100000;  // 2026-05-12T16:05+08:00
constexpr std::int64_t kMin = 60'000;

Roster day_roster() {
  Roster r;
  r.add({kRaised - 8 * 3600'000, kRaised + 3600'000, {"dr_li", "dr_wang", "dr_zhang"}});
  r.add({kRaised + 3600'000, kRaised + 12 * 3600'000, {"dr_zhao", "dr_sun"}});
  return r;
}

}  // namespace

TEST_CASE("alert lifecycle: allowed transitions, reasons, actors, time order") {
  AlertLifecycle a(AlertTier::critical, kRaised);
  CHECK(a.state() == AlertState::raised);
  CHECK_FALSE(a.acknowledged_ms());
  a.apply({AlertState::acknowledged, kRaised + 2 * kMin, "station:dr_li", ""});
  CHECK(*a.acknowledged_ms() == kRaised + 2 * kMin);
  CHECK_THROWS_AS(a.apply({AlertState::green_channel, kRaised + 3 * kMin, "station:dr_li", ""}),
                  Error);
  CHECK_THROWS_AS(a.apply({AlertState::rejected, kRaised + 3 * kMin, "station:dr_li", ""}),
                  Error);  // no reason
  CHECK_THROWS_AS(a.apply({AlertState::confirmed, kRaised + kMin, "station:dr_li", ""}),
                  Error);  // back in time
  CHECK_THROWS_AS(a.apply({AlertState::confirmed, kRaised + 3 * kMin, "", ""}), Error);  // no actor
  a.apply({AlertState::confirmed, kRaised + 3 * kMin, "station:dr_li", ""});
  a.apply({AlertState::green_channel, kRaised + 3 * kMin, "station:dr_li", ""});
  a.apply({AlertState::closed, kRaised + 50 * kMin, "station:dr_li", "wire crossed"});
  CHECK(a.state() == AlertState::closed);
  CHECK(a.transitions().size() == 5);
  CHECK_THROWS_AS(a.apply({AlertState::acknowledged, kRaised + 51 * kMin, "x", ""}), Error);

  AlertLifecycle r(AlertTier::urgent, kRaised);
  r.apply({AlertState::rejected, kRaised + kMin, "station:dr_wang",
           "early repolarisation, old ECG identical"});
  CHECK(*r.acknowledged_ms() == kRaised + kMin);  // rejecting means it was read
  for (auto s : {AlertState::raised, AlertState::acknowledged, AlertState::confirmed,
                 AlertState::rejected, AlertState::green_channel, AlertState::closed}) {
    CHECK(parse_alert_state(key(s)) == s);
  }
}

TEST_CASE("escalation: no acknowledgement → backup paged at the deadline") {
  const EscalationPolicy policy;  // critical: 5 min
  const Roster roster = day_roster();
  AlertLifecycle a(AlertTier::critical, kRaised);

  auto pages = pages_due(a, policy, roster, kRaised);
  REQUIRE(pages.size() == 1);
  CHECK(pages[0].who == "dr_li");
  CHECK(pages[0].at_ms == kRaised);
  CHECK(next_escalation_ms(a, policy, roster, kRaised) == kRaised + 5 * kMin);

  // One millisecond before the deadline: still only the primary.
  CHECK(pages_due(a, policy, roster, kRaised + 5 * kMin - 1).size() == 1);
  pages = pages_due(a, policy, roster, kRaised + 5 * kMin);
  REQUIRE(pages.size() == 2);
  CHECK(pages[1].who == "dr_wang");
  CHECK(pages[1].level == 1);
  CHECK(pages[1].at_ms == kRaised + 5 * kMin);
  // Still nobody at 10 min: the third in the chain.
  pages = pages_due(a, policy, roster, kRaised + 10 * kMin);
  REQUIRE(pages.size() == 3);
  CHECK(pages[2].who == "dr_zhang");
  CHECK(pages_due(a, policy, roster, kRaised + 60 * kMin).size() == 3);  // max_levels
  CHECK_FALSE(next_escalation_ms(a, policy, roster, kRaised + 10 * kMin));
}

TEST_CASE("escalation: acknowledged in time → no backup page; routine → no paging") {
  const EscalationPolicy policy;
  const Roster roster = day_roster();
  AlertLifecycle a(AlertTier::critical, kRaised);
  a.apply({AlertState::acknowledged, kRaised + 4 * kMin, "station:dr_li", ""});
  CHECK(pages_due(a, policy, roster, kRaised + 30 * kMin).size() == 1);
  CHECK_FALSE(next_escalation_ms(a, policy, roster, kRaised + 4 * kMin));

  // Acknowledged after the backup was paged: the backup page stands, no third.
  AlertLifecycle late(AlertTier::critical, kRaised);
  late.apply({AlertState::acknowledged, kRaised + 7 * kMin, "station:dr_wang", ""});
  CHECK(pages_due(late, policy, roster, kRaised + 30 * kMin).size() == 2);

  // Urgent: 15 min deadline.
  AlertLifecycle urgent(AlertTier::urgent, kRaised);
  CHECK(pages_due(urgent, policy, roster, kRaised + 14 * kMin).size() == 1);
  CHECK(pages_due(urgent, policy, roster, kRaised + 15 * kMin).size() == 2);

  AlertLifecycle routine(AlertTier::routine, kRaised);
  CHECK(pages_due(routine, policy, roster, kRaised + 120 * kMin).empty());
}

TEST_CASE("escalation follows the roster at the time of each page") {
  const EscalationPolicy policy;
  const Roster roster = day_roster();
  // Raised 3 min before the shift change at kRaised + 60 min.
  AlertLifecycle a(AlertTier::critical, kRaised + 57 * kMin);
  const auto pages = pages_due(a, policy, roster, kRaised + 70 * kMin);
  REQUIRE(pages.size() == 3);
  CHECK(pages[0].who == "dr_li");   // old shift's primary at raise
  CHECK(pages[1].who == "dr_sun");  // new shift's backup at the deadline
  CHECK(pages[2].who == "dr_sun");  // a two-person chain re-pages its last
  Roster empty;
  const auto nobody = pages_due(a, policy, empty, kRaised + 57 * kMin);
  REQUIRE(nobody.size() == 1);
  CHECK(nobody[0].who.empty());
  CHECK(nobody[0].reason == "nobody on call");
  Roster bad;
  bad.add({0, 100, {"a"}});
  CHECK_THROWS_AS(bad.add({50, 150, {"b"}}), Error);
}

TEST_CASE("webhook: retries 5xx with the backoff schedule, then delivers") {
  Receiver rx({503, 500, 200});
  WebhookConfig c;
  c.url = rx.url();
  c.backoff_ms = {100, 200, 400};
  std::vector<std::int64_t> waits;
  const auto sleeper = [&](std::chrono::milliseconds d) { waits.push_back(d.count()); };

  const AlertLifecycle alert(AlertTier::critical, kRaised);
  const Page page{kRaised + 5 * kMin, 1, "dr_wang", "not acknowledged within 5 min"};
  AlertNotice notice;
  notice.alert_id = 7;
  notice.case_id = 3;
  notice.summary_zh = "疑似STEMI：下壁";
  notice.summary_en = "suspected STEMI: inferior";
  const auto body = alert_notification_json(notice, alert, page, TimeZone{});
  const auto r = post_json(c, body, sleeper);
  CHECK(r.delivered);
  REQUIRE(r.attempts.size() == 3);
  CHECK(r.attempts[0].http_status == 503);
  CHECK(r.attempts[1].http_status == 500);
  CHECK(r.attempts[2].http_status == 200);
  CHECK(waits == std::vector<std::int64_t>{100, 200});
  const auto bodies = rx.bodies();
  REQUIRE(bodies.size() == 3);
  const auto j = boost::json::parse(bodies[2]);
  CHECK(j.at("alert_id").as_int64() == 7);
  CHECK(j.at("page").at("who").as_string() == "dr_wang");
  CHECK(j.at("summary_zh").as_string() == "疑似STEMI：下壁");
  CHECK(j.at("at").as_string() == "2026-05-12T16:10:00+08:00");
}

TEST_CASE("webhook: the payload carries what an SMS / WeChat Work gateway needs") {
  const AlertLifecycle alert(AlertTier::critical, kRaised);
  const Page page{kRaised + 5 * kMin, 1, "dr_wang", "not acknowledged within 5 min"};
  AlertNotice n;
  n.alert_id = 7;
  n.case_id = 3;
  n.study_id = 42;
  n.study_uid = "cart-1:ecg-0001";
  n.device_id = "cart-1";
  n.clinic = "张家镇卫生院";
  n.age_years = 58;
  n.sex = "M";
  n.ecg_ms = kRaised - 3 * kMin;
  n.fmc_ms = kRaised - 15 * kMin;
  n.summary_zh = "疑似STEMI：下壁";
  n.summary_en = "suspected STEMI: inferior";
  n.station_url = normalise_station_url("https://ecg.hospital.example:8443/");
  const auto j = boost::json::parse(alert_notification_json(n, alert, page, TimeZone{})).as_object();
  // Every earlier key is kept.
  for (const char* k : {"event", "alert_id", "case_id", "tier", "state", "summary_zh", "summary_en",
                        "raised_at", "at", "page"}) {
    CHECK(j.contains(k));
  }
  CHECK(j.at("tier").as_string() == "critical");
  CHECK(j.at("study_id").as_int64() == 42);
  CHECK(j.at("study_uid").as_string() == "cart-1:ecg-0001");
  CHECK(j.at("clinic").as_string() == "张家镇卫生院");
  CHECK(j.at("patient").at("age_years").as_int64() == 58);
  CHECK(j.at("patient").at("sex").as_string() == "M");
  CHECK(j.at("ecg_at").as_string() == "2026-05-12T16:02:00+08:00");
  CHECK(j.at("fmc_at").as_string() == "2026-05-12T15:50:00+08:00");
  CHECK(j.at("link").as_string() == "https://ecg.hospital.example:8443/#/study/42?alert=7");
  CHECK(j.at("text_zh").as_string() ==
        "【危急】疑似STEMI：下壁｜张家镇卫生院｜男 58岁｜心电图 16:02｜FMC 15:50｜第1级呼叫 "
        "dr_wang｜https://ecg.hospital.example:8443/#/study/42?alert=7");
  CHECK(j.at("text_en").as_string() ==
        "[CRITICAL] suspected STEMI: inferior | 张家镇卫生院 | M 58 y | ECG 16:02 | FMC 15:50 | "
        "page level 1: dr_wang | https://ecg.hospital.example:8443/#/study/42?alert=7");
  // The patient id never leaves the hospital in a notification.
  CHECK_FALSE(j.contains("patient_id"));

  // Unknown patient details and no station URL: nulls, and the text says only what is known.
  AlertNotice bare;
  bare.alert_id = 8;
  bare.study_id = 43;
  bare.summary_zh = "疑似STEMI";
  bare.summary_en = "suspected STEMI";
  const Page nobody{kRaised, 0, "", "nobody on call"};
  const auto b = boost::json::parse(alert_notification_json(bare, alert, nobody, TimeZone{})).as_object();
  CHECK(b.at("link").is_null());
  CHECK(b.at("patient").at("age_years").is_null());
  CHECK(b.at("patient").at("sex").is_null());
  CHECK(b.at("fmc_at").is_null());
  CHECK(b.at("case_id").is_null());
  CHECK(b.at("page").at("contact").is_null());  // nobody on call, nobody to reach
  CHECK(b.at("page").at("name_zh").is_null());
  CHECK(b.at("text_zh").as_string() == "【危急】疑似STEMI｜第0级呼叫：无人值班");

  // Station addresses are checked.
  CHECK(normalise_station_url("http://10.0.0.5:8443") == "http://10.0.0.5:8443");
  CHECK_THROWS_AS(normalise_station_url("ecg.hospital.example"), Error);
  CHECK_THROWS_AS(normalise_station_url("https://"), Error);
  CHECK_THROWS_AS(normalise_station_url("https://host/a b"), Error);
  CHECK_THROWS_AS(normalise_station_url("https://host/\"<script>"), Error);
}

TEST_CASE("webhook: gives up after the schedule; a 4xx is not retried") {
  {
    Receiver rx({500, 500, 500});
    WebhookConfig c;
    c.url = rx.url();
    c.backoff_ms = {10, 10};
    const auto r = post_json(c, "{}", [](std::chrono::milliseconds) {});
    CHECK_FALSE(r.delivered);
    CHECK(r.attempts.size() == 3);
    CHECK(r.attempts.back().error == "HTTP 500");
  }
  {
    Receiver rx({400});
    WebhookConfig c;
    c.url = rx.url();
    const auto r = post_json(c, "{}", [](std::chrono::milliseconds) {});
    CHECK_FALSE(r.delivered);
    CHECK(r.attempts.size() == 1);
    CHECK(r.attempts[0].http_status == 400);
  }
}

TEST_CASE("webhook: a receiver that never answers times out and is retried") {
  Receiver rx({}, /*hang=*/true);
  WebhookConfig c;
  c.url = rx.url();
  c.timeout_ms = 150;
  c.backoff_ms = {1};
  const auto r = post_json(c, "{}", [](std::chrono::milliseconds) {});
  CHECK_FALSE(r.delivered);
  REQUIRE(r.attempts.size() == 2);
  CHECK(r.attempts[0].error == "timeout");
  CHECK_FALSE(r.attempts[0].http_status);
}

TEST_CASE("webhook: URLs") {
  const auto u = parse_http_url("http://10.0.0.5:8080/sms/send?x=1");
  CHECK(u.host == "10.0.0.5");
  CHECK(u.port == "8080");
  CHECK(u.target == "/sms/send?x=1");
  CHECK(parse_http_url("http://gateway").target == "/");
  CHECK(parse_http_url("http://gateway").port == "80");
  CHECK_THROWS_AS(parse_http_url("https://gateway/x"), Error);
  CHECK_THROWS_AS(parse_http_url("ftp://gateway/x"), Error);
  CHECK_THROWS_AS(parse_http_url("http://gateway:abc/"), Error);
  // Nothing listening: a transport error on every attempt, not an exception.
  WebhookConfig c;
  c.url = "http://127.0.0.1:1/none";
  c.backoff_ms = {1};
  const auto r = post_json(c, "{}", [](std::chrono::milliseconds) {});
  CHECK_FALSE(r.delivered);
  CHECK(r.attempts.size() == 2);
  CHECK_FALSE(r.attempts[0].error.empty());
}

TEST_CASE("a rejection reason of only white space is refused (issue 16 #11)") {
  CHECK(gc::workflow::is_blank(""));
  CHECK(gc::workflow::is_blank(" \t\r\n"));
  CHECK(gc::workflow::is_blank("\xC2\xA0\xE3\x80\x80 "));  // no-break and ideographic spaces
  CHECK_FALSE(gc::workflow::is_blank(" x "));
  CHECK_FALSE(gc::workflow::is_blank("早复极"));
  AlertLifecycle r(AlertTier::urgent, kRaised);
  CHECK_THROWS_AS(r.apply({AlertState::rejected, kRaised + kMin, "station:dr_wang", "   "}), Error);
  CHECK_THROWS_AS(r.apply({AlertState::rejected, kRaised + kMin, "station:dr_wang", "\xE3\x80\x80"}),
                  Error);
  CHECK(r.state() == AlertState::raised);
}
