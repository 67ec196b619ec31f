// The reading station's HTTP API (station/API.md) and static files. Runs on the worker pool: each
// call may query SQLite, hash a password or analyse an ECG. Errors travel as ApiError and
// become {"error","code"} answers; every view of patient data and every action is audited.
#include <boost/asio/post.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <map>
#include <set>

#include "gc/alerts.hpp"
#include "gc/case_io.hpp"
#include "gc/derive.hpp"
#include "gc/dsp.hpp"
#include "gc/export.hpp"
#include "gc/report.hpp"
#include "gc/statement_vocabulary.hpp"
#include "gc/workflow.hpp"
#include "station_impl.hpp"
#include "web_assets.hpp"

namespace gc::station {

namespace json = boost::json;
using detail::ApiError;
using detail::Auth;
using detail::Request;
using detail::Response;
namespace http = detail::http;

namespace {

constexpr const char* kCookieName = "gc_session";
constexpr const char* kAppCsp =
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'";
// The audit report is self-contained HTML with an inline stylesheet and inline SVG, no script.
constexpr const char* kReportCsp =
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'";
constexpr std::int64_t kTouchEveryMs = 1'000;

[[noreturn]] void fail(http::status status, std::string code, std::string message) {
  throw ApiError{status, std::move(code), std::move(message)};
}

json::value opt(const std::optional<std::int64_t>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}
json::value opt(const std::optional<int>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}
json::value opt(const std::optional<double>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}
json::value opt(const std::optional<bool>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}
json::value opt(const std::optional<std::string>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}

// "/api/studies/12/samples" → {"api", "studies", "12", "samples"}.
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    const auto end = path.find('/', i);
    parts.push_back(path.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i));
    if (end == std::string_view::npos) break;
    i = end;
  }
  return parts;
}

std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%') {
      int v = 0;
      const auto r = i + 2 < text.size()
                         ? std::from_chars(text.data() + i + 1, text.data() + i + 3, v, 16)
                         : std::from_chars_result{text.data() + i, std::errc::invalid_argument};
      if (r.ec != std::errc() || r.ptr != text.data() + i + 3) {
        fail(http::status::bad_request, "bad_request", "malformed percent-encoding");
      }
      out += static_cast<char>(v);
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::map<std::string, std::string> parse_query(std::string_view target) {
  std::map<std::string, std::string> out;
  const auto q = target.find('?');
  if (q == std::string_view::npos) return out;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const auto pair = rest.substr(0, amp);
    const auto eq = pair.find('=');
    if (!pair.empty()) {
      out[percent_decode(pair.substr(0, eq))] =
          eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return out;
}

std::int64_t parse_id(std::string_view text, const char* what) {
  std::int64_t v = 0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size() || v <= 0) {
    fail(http::status::bad_request, "bad_request", std::string("bad ") + what + " id");
  }
  return v;
}

std::optional<std::string> cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const auto semi = header.find(';');
    auto part = header.substr(0, semi);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    const auto eq = part.find('=');
    if (eq != std::string_view::npos && part.substr(0, eq) == name) {
      return std::string(part.substr(eq + 1));
    }
    if (semi == std::string_view::npos) break;
    header = header.substr(semi + 1);
  }
  return std::nullopt;
}

json::object parse_body(const Request& req, bool required) {
  if (req.body().empty()) {
    if (required) fail(http::status::bad_request, "bad_request", "a JSON body is required");
    return {};
  }
  boost::system::error_code ec;
  auto value = json::parse(req.body(), ec);
  if (ec || !value.is_object()) {
    fail(http::status::bad_request, "bad_request", "the body must be a JSON object");
  }
  return std::move(value.as_object());
}

std::string string_field(const json::object& body, std::string_view name, bool required,
                         std::size_t max_size = 4096) {
  const auto* v = body.if_contains(name);
  if (v == nullptr || v->is_null()) {
    if (required) fail(http::status::bad_request, "bad_request", std::string(name) + " is required");
    return {};
  }
  if (!v->is_string()) fail(http::status::bad_request, "bad_request", std::string(name) + " must be a string");
  const auto& s = v->as_string();
  if (s.size() > max_size) fail(http::status::bad_request, "bad_request", std::string(name) + " is too long");
  return std::string(s);
}

std::optional<std::int64_t> int_field(const json::object& body, std::string_view name) {
  const auto* v = body.if_contains(name);
  if (v == nullptr || v->is_null()) return std::nullopt;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    return static_cast<std::int64_t>(v->as_uint64());
  }
  fail(http::status::bad_request, "bad_request", std::string(name) + " must be an integer");
}

json::array strings(const std::vector<std::string>& v) {
  json::array out;
  for (const auto& s : v) out.emplace_back(s);
  return out;
}

json::object transition_json(const workflow::AlertTransitionRecord& t) {
  return json::object{{"seq", t.seq},       {"from", t.from_state}, {"to", t.to_state},
                      {"at_ms", t.at_ms},   {"actor", t.actor},     {"reason", t.reason},
                      {"note", t.note}};
}

json::object page_json(const workflow::AlertPageRecord& p) {
  return json::object{{"seq", p.seq},
                      {"level", p.level},
                      {"who", p.who},
                      {"due_ms", p.due_ms},
                      {"sent_ms", p.sent_ms},
                      {"channels", p.channels},
                      {"webhook_status", p.webhook_status}};
}

// Integers → µV plus the derived limb leads when the cart asked for derivation (DESIGN §2).
dsp::SignalBlock to_signal_block(const storage::StudySamples& study) {
  const auto& h = study.header;
  return dsp::block_from_counts(study.samples, h.leads, h.sample_rate_hz,
                                h.resolution_nv_per_lsb, h.derive_limb_leads);
}

json::array rounded_rows(const std::vector<std::vector<float>>& rows) {
  json::array out;
  out.reserve(rows.size());
  for (const auto& row : rows) {
    json::array r;
    r.reserve(row.size());
    for (const float v : row) {
      r.emplace_back(std::isfinite(v) ? static_cast<std::int64_t>(std::lround(v)) : 0);
    }
    out.emplace_back(std::move(r));
  }
  return out;
}

Response make_response(http::status status, std::string body, std::string_view content_type) {
  Response res{status, 11};
  res.set(http::field::content_type, content_type);
  res.body() = std::move(body);
  return res;
}

Response json_response(http::status status, const json::value& body) {
  return make_response(status, json::serialize(body), "application/json; charset=utf-8");
}

std::optional<workflow::AlertState> action_state(std::string_view action) {
  using S = workflow::AlertState;
  if (action == "acknowledge") return S::acknowledged;
  if (action == "confirm") return S::confirmed;
  if (action == "reject") return S::rejected;
  if (action == "green_channel") return S::green_channel;
  if (action == "close") return S::closed;
  return std::nullopt;
}

// Who may take which action (API.md "Roles").
bool may(Role role, workflow::AlertState to) {
  using S = workflow::AlertState;
  switch (role) {
    case Role::cardiologist:
      return true;
    case Role::coordinator:
      return to != S::confirmed && to != S::rejected;
    case Role::admin:
      return false;
  }
  return false;
}

// The report CSV for a spreadsheet (station download, `lang=zh|en`): a UTF-8 byte-order mark,
// without which Excel on a Chinese Windows reads the file as GBK, and in Chinese the column
// headers of each section translated. The data rows and the "# section" markers are unchanged,
// so the same parser reads both languages.
std::string spreadsheet_csv(std::string csv, const workflow::Report& report, bool chinese) {
  static const std::map<std::string, std::string, std::less<>> fixed{
      {"case_id", "病例号"},
      {"patient_id", "患者编号"},
      {"clinic", "诊所"},
      {"device_id", "设备"},
      {"pathway", "救治路径"},
      {"outcome", "结局"},
      {"compliant", "全部达标"},
      {"transfer", "转运"},
      {"bypassed_ed", "绕行急诊"},
      {"bypassed_ccu", "绕行CCU"},
      {"violations", "时间顺序异常"},
      {"delay_reasons", "延误原因"},
      {"section", "分组"},
      {"label", "名称"},
      {"rule", "指标"},
      {"n_cases", "病例数"},
      {"n_applicable", "适用例数"},
      {"n_measured", "有记录例数"},
      {"n_compliant", "达标例数"},
      {"pct_compliant", "达标率(%)"},
      {"mean_min", "均值(分钟)"},
      {"median_min", "中位数(分钟)"},
      {"min_min", "最短(分钟)"},
      {"max_min", "最长(分钟)"},
      {"target_min", "目标(分钟)"},
      {"mean_target_met", "均值达标"},
      {"pct_target_met", "达标率达到目标"},
      {"check", "核查项"},
      {"value", "数值"},
      {"comparison", "比较"},
      {"threshold", "阈值"},
      {"passed", "通过"},
      {"detail", "详情"},
      {"description_en", "说明(英文)"},
      {"description_zh", "说明(中文)"}};
  const auto translate = [&](std::string_view column) -> std::string {
    if (const auto it = fixed.find(column); it != fixed.end()) return it->second;
    if (const auto kind = workflow::parse_node_kind(std::string(column))) {
      return std::string(workflow::label_zh(*kind));
    }
    if (report.table != nullptr) {
      for (const auto& r : report.table->rules) {
        if (column == r.key + "_min") return r.name_zh + "(分钟)";
        if (column == r.key + "_met") return r.name_zh + "达标";
      }
    }
    return std::string(column);
  };
  std::string out = "\xEF\xBB\xBF";
  out.reserve(csv.size() + 1024);
  bool header_next = true;  // the first line, and the line after each "# section" marker
  std::size_t pos = 0;
  while (pos < csv.size()) {
    auto end = csv.find("\r\n", pos);
    if (end == std::string::npos) end = csv.size();
    const std::string_view line(csv.data() + pos, end - pos);
    if (chinese && header_next && !line.empty() && line.front() != '#') {
      std::size_t c = 0;
      while (c <= line.size()) {
        auto comma = line.find(',', c);
        if (comma == std::string_view::npos) comma = line.size();
        if (c != 0) out += ',';
        out += translate(line.substr(c, comma - c));
        c = comma + 1;
      }
      header_next = false;
    } else {
      out += line;
      if (!line.empty() && line.front() == '#') header_next = true;
    }
    if (end < csv.size()) out += "\r\n";
    pos = end + 2;
  }
  return out;
}

}  // namespace

namespace detail {

json::object worklist_item_json(const storage::WorklistRow& r) {
  return json::object{{"alert_id", r.alert_id},
                      {"study_id", r.study_id},
                      {"case_id", opt(r.case_id)},
                      {"study_uid", r.study_uid},
                      {"device_id", r.device_id},
                      {"clinic", r.clinic},
                      {"patient_id", r.patient_id},
                      {"age_years", opt(r.age_years)},
                      {"sex", r.sex},
                      {"chest_pain", r.chest_pain},
                      {"tier", r.tier},
                      {"category", r.category},
                      {"state", r.state},
                      {"summary_en", r.summary_en},
                      {"summary_zh", r.summary_zh},
                      {"raised_ms", r.raised_ms},
                      {"fmc_ms", opt(r.fmc_ms)},
                      {"acknowledged_by", opt(r.acknowledged_by)},
                      {"acknowledged_ms", opt(r.acknowledged_ms)},
                      {"updated_ms", r.updated_ms}};
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// The API proper, one member per endpoint group; `Api` lives for one request.
namespace {

class Api {
 public:
  Api(Station::Impl& s, const Request& req) : s_(s), req_(req) {
    const std::string_view target(req.target().data(), req.target().size());
    path_ = std::string(target.substr(0, target.find('?')));
    query_ = parse_query(target);
  }

  Response run() {
    const auto parts = split_path(path_);
    const auto method = req_.method();
    const bool get = method == http::verb::get || method == http::verb::head;
    const bool post = method == http::verb::post;
    const auto only = [&](bool ok) {
      if (!ok) fail(http::status::method_not_allowed, "method_not_allowed", "method not allowed");
    };

    if (path_ == "/healthz") return only(get), healthz();
    if (path_ == "/metrics") return only(get), metrics();
    if (parts.empty() || path_ == "/index.html") return only(get), static_file("index.html");
    if (parts[0] == "assets") {
      only(get);
      // "/assets" and "/assets/" name no file (the substring below used to throw → 500, issue 16 #8).
      constexpr std::string_view prefix = "/assets/";
      const std::string_view path = path_;
      if (!path.starts_with(prefix) || path.size() == prefix.size()) {
        fail(http::status::not_found, "not_found", "no such asset");
      }
      return static_file(path.substr(prefix.size()));
    }
    if (parts[0] != "api") fail(http::status::not_found, "not_found", "no such page");
    if (parts.size() == 2 && parts[1] == "login") return only(post), login();

    const Auth auth = s_.authenticate(req_);
    if (post) check_csrf(auth);
    if (parts.size() == 2 && parts[1] == "logout") return only(post), logout(auth);
    if (parts.size() == 2 && parts[1] == "me") return only(get), me(auth, http::status::ok);
    if (parts.size() == 3 && parts[1] == "me" && parts[2] == "password") {
      return only(post), change_own_password(auth);
    }
    // A password an admin reset is replaced by its owner before anything else is served.
    if (auth.must_change_password) {
      fail(http::status::forbidden, "password_change_required",
           "your password was reset: choose a new one first (POST /api/me/password)");
    }
    if (parts.size() == 2 && parts[1] == "worklist") return only(get), worklist(auth);
    if (parts.size() == 2 && parts[1] == "report") return only(get), report(auth);
    if (parts.size() == 2 && parts[1] == "statements") return only(get), statements();
    if (parts.size() >= 3 && parts[1] == "studies") {
      const auto id = parse_id(parts[2], "study");
      if (parts.size() == 3) return only(get), study(auth, id);
      if (parts.size() == 4 && parts[3] == "samples") return only(get), samples(auth, id);
      if (parts.size() == 4 && parts[3] == "diagnosis") {
        return get ? reports(auth, id) : (only(post), diagnosis(auth, id));
      }
      if (parts.size() == 4 && parts[3].starts_with("export.")) {
        return only(get), export_study(auth, id, parts[3].substr(7));
      }
    }
    if (parts.size() >= 3 && parts[1] == "alerts") {
      const auto id = parse_id(parts[2], "alert");
      if (parts.size() == 3) return only(get), alert(auth, id);
      if (parts.size() == 4) return only(post), alert_action(auth, id, parts[3]);
    }
    if (parts.size() >= 2 && parts[1] == "users") {
      // Admin only, checked before anything else (no 404 tells a cardiologist which names exist).
      require_role(auth, {Role::admin});
      if (parts.size() == 2) return get ? users(auth) : (only(post), add_user(auth));
      if (parts.size() == 3) return only(post), change_user(auth, user_name(parts[2]));
      if (parts.size() == 4 && parts[3] == "password") {
        return only(post), reset_password(auth, user_name(parts[2]));
      }
    }
    if (parts.size() == 2 && parts[1] == "roster")
      return get ? roster(auth) : (only(post), set_shift(auth));
    if (parts.size() == 2 && parts[1] == "audit") return only(get), audit_log(auth, false);
    if (parts.size() == 2 && parts[1] == "audit.csv") return only(get), audit_log(auth, true);
    if (parts.size() >= 3 && parts[1] == "cases") {
      const auto id = parse_id(parts[2], "case");
      if (parts.size() == 3) return only(get), case_view(auth, id);
      if (parts.size() == 4 && parts[3] == "nodes") return only(post), add_node(auth, id);
    }
    fail(http::status::not_found, "not_found", "no such endpoint");
  }

 private:
  std::string actor(const Auth& a) const { return "station:" + a.username; }
  void audit(const Auth& a, const std::string& action, const std::string& target,
             const std::string& detail = {}) {
    s_.db->append_audit(s_.now_ms(), actor(a), action, target, detail);
  }

  void check_csrf(const Auth& auth) {
    const auto header = req_["X-CSRF-Token"];
    if (header.empty() ||
        !detail::equal_constant_time(std::string_view(header.data(), header.size()),
                                     auth.csrf_token)) {
      fail(http::status::forbidden, "csrf", "missing or wrong X-CSRF-Token");
    }
  }

  static void require_role(const Auth& a, std::initializer_list<Role> allowed) {
    if (std::find(allowed.begin(), allowed.end(), a.role) == allowed.end()) {
      fail(http::status::forbidden, "forbidden",
           "the role " + std::string(key(a.role)) + " may not do this");
    }
  }

  // A day "YYYY-MM-DD" in the centre's zone from the query: its first instant, or with
  // `next_day` the first instant of the day after (an inclusive end). nullopt when absent.
  std::optional<std::int64_t> day_param(const char* name, bool next_day) {
    const auto it = query_.find(name);
    if (it == query_.end() || it->second.empty()) return std::nullopt;
    const auto& text = it->second;
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') {
      fail(http::status::bad_request, "bad_request", std::string(name) + " must be YYYY-MM-DD");
    }
    try {
      const auto tz = workflow::parse_time_zone(s_.config.time_zone);
      const auto start = workflow::parse_instant(text, tz);
      if (!next_day) return start;
      // 36 h on lands inside the next day whatever a DST change does; its midnight ends this one.
      return workflow::parse_instant(
          workflow::format_local(start + 36 * 3'600'000LL, tz).substr(0, 10), tz);
    } catch (const workflow::Error& e) {
      fail(http::status::bad_request, "bad_request", std::string(name) + ": " + e.what());
    }
  }

  // --- static files ----------------------------------------------------------------------
  Response static_file(std::string_view path) {
    const auto& assets = detail::web_assets();
    const auto find = [&](std::string_view p) -> const detail::WebAsset* {
      for (const auto& a : assets) {
        if (a.path == p) return &a;
      }
      return nullptr;
    };
    const detail::WebAsset* asset = find(path);
    if (asset == nullptr) asset = find("assets/" + std::string(path));
    if (asset == nullptr || path.find("..") != std::string_view::npos) {
      fail(http::status::not_found, "not_found", "no such file");
    }
    auto res = make_response(http::status::ok, std::string(asset->bytes), asset->content_type);
    res.set(http::field::cache_control, "no-cache");
    return res;
  }

  // --- health and metrics ------------------------------------------------------------------
  Response healthz() {
    const bool ok = s_.db->healthy();
    const auto uptime_s = (s_.now_ms() - s_.started_ms) / 1000;
    return json_response(ok ? http::status::ok : http::status::service_unavailable,
                         json::object{{"status", ok ? "ok" : "error"},
                                      {"db", ok ? "ok" : "error"},
                                      {"uptime_s", uptime_s}});
  }

  Response metrics() {
    std::string out;
    const auto metric = [&](const char* name, const char* type, const char* help,
                            const std::string& samples) {
      out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" +
             samples;
    };
    const auto line = [](const std::string& name, auto value) {
      return name + " " + std::to_string(value) + "\n";
    };
    metric("greenchannel_station_ws_clients", "gauge", "Live WebSocket clients of the station.",
           line("greenchannel_station_ws_clients", s_.ws_open.load()));
    std::map<std::string, std::int64_t> open{{"critical", 0}, {"urgent", 0}, {"routine", 0}};
    for (const auto& [tier, n] : s_.db->open_alerts_by_tier()) open[tier] = n;
    std::string tiers;
    for (const auto& [tier, n] : open) {
      tiers += line("greenchannel_alerts_open{tier=\"" + tier + "\"}", n);
    }
    metric("greenchannel_alerts_open", "gauge",
           "Open alerts (raised, acknowledged, confirmed, green channel) by tier.", tiers);
    metric("greenchannel_station_connections_open", "gauge", "Open station connections.",
           line("greenchannel_station_connections_open", s_.connections_open.load()));
    metric("greenchannel_station_connections_accepted_total", "counter",
           "Station connections accepted.",
           line("greenchannel_station_connections_accepted_total", s_.connections_accepted.load()));
    metric("greenchannel_station_connections_refused_total", "counter",
           "Station connections refused at the connection cap.",
           line("greenchannel_station_connections_refused_total", s_.connections_refused.load()));
    metric("greenchannel_station_http_responses_total", "counter",
           "Station HTTP responses by status class.",
           line("greenchannel_station_http_responses_total{class=\"2xx\"}", s_.requests_2xx.load()) +
               line("greenchannel_station_http_responses_total{class=\"3xx\"}", s_.requests_3xx.load()) +
               line("greenchannel_station_http_responses_total{class=\"4xx\"}", s_.requests_4xx.load()) +
               line("greenchannel_station_http_responses_total{class=\"5xx\"}", s_.requests_5xx.load()));
    metric("greenchannel_station_logins_total", "counter", "Station login attempts by result.",
           line("greenchannel_station_logins_total{result=\"ok\"}", s_.logins_ok.load()) +
               line("greenchannel_station_logins_total{result=\"bad_credentials\"}",
                    s_.logins_failed.load()) +
               line("greenchannel_station_logins_total{result=\"locked\"}", s_.logins_locked.load()));
    const auto idle_ms = std::chrono::duration_cast<std::chrono::milliseconds>(s_.config.session_idle).count();
    metric("greenchannel_station_web_sessions_open", "gauge", "Live station login sessions.",
           line("greenchannel_station_web_sessions_open", s_.db->count_live_sessions(s_.now_ms(), idle_ms)));
    metric("greenchannel_station_ws_messages_published_total", "counter",
           "Messages published to the station's WebSocket clients.",
           line("greenchannel_station_ws_messages_published_total", s_.messages_published.load()));
    metric("greenchannel_station_ws_clients_dropped_total", "counter",
           "WebSocket clients dropped because they could not keep up.",
           line("greenchannel_station_ws_clients_dropped_total", s_.ws_dropped.load()));
    if (s_.config.metrics_text) {
      auto extra = s_.config.metrics_text();
      if (!extra.empty() && extra.back() != '\n') extra += '\n';
      out += extra;
    }
    return make_response(http::status::ok, std::move(out), "text/plain; version=0.0.4; charset=utf-8");
  }

  // --- authentication ----------------------------------------------------------------------
  Response login() {
    const auto content_type = req_[http::field::content_type];
    if (content_type.substr(0, 16) != "application/json") {
      fail(http::status::bad_request, "bad_request", "Content-Type must be application/json");
    }
    const auto body = parse_body(req_, true);
    const auto username = string_field(body, "username", true, 64);
    const auto password = string_field(body, "password", true, 1024);
    const auto now = s_.now_ms();
    const auto user = s_.db->find_user(username);
    // Unknown user, wrong password, locked or disabled account: one answer, and the same PBKDF2
    // work before it, so neither the status, the body nor the time tells which names exist
    // (issue 16: only real accounts answered 423, and locked ones in 4 ms instead of ~100 ms).
    const auto refuse = [&] {
      fail(http::status::unauthorized, "bad_credentials",
           "wrong user name or password, or the account is locked after repeated failures; "
           "try again later");
    };
    if (!user) {
      detail::burn_password_time(password);
      ++s_.logins_failed;
      s_.db->append_audit(now, "station", "login_failed", username, "unknown user");
      refuse();
    }
    const bool password_ok = detail::verify_password(*user, password);
    if (user->locked_until_ms && *user->locked_until_ms > now) {
      ++s_.logins_locked;
      s_.db->append_audit(now, "station", "login_refused", username, "locked");
      refuse();
    }
    if (!password_ok || user->disabled_ms) {
      ++s_.logins_failed;
      const auto lockout_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(s_.config.lockout).count();
      // One commit, as for an unknown user: the time must not tell which names exist.
      s_.db->record_login_failure(username, now, static_cast<int>(s_.config.max_login_failures),
                                  lockout_ms, user->disabled_ms ? "disabled" : "wrong password");
      refuse();
    }
    s_.db->record_login_success(username);
    const auto role = parse_role(user->role);
    if (!role) fail(http::status::internal_server_error, "internal", "stored role unknown");
    const std::string token = detail::random_token();
    storage::WebSessionRecord session;
    session.token_sha256 = detail::sha256(token);
    session.username = username;
    session.csrf_token = detail::random_token();
    session.created_ms = now;
    session.last_seen_ms = now;
    session.expires_ms =
        now + std::chrono::duration_cast<std::chrono::milliseconds>(s_.config.session_max).count();
    s_.db->insert_session(session);
    s_.db->append_audit(now, "station:" + username, "login", username, "");
    ++s_.logins_ok;
    Auth auth{username, *role, session.csrf_token, session.token_sha256, session.expires_ms};
    auth.expires_ms = std::min(session.expires_ms, now + idle_ms());
    auth.must_change_password = user->must_change_password;
    auto res = me(auth, http::status::ok);
    std::string cookie = std::string(kCookieName) + "=" + token + "; HttpOnly; SameSite=Strict; Path=/";
    if (s_.config.secure_cookies) cookie += "; Secure";
    res.set(http::field::set_cookie, cookie);
    return res;
  }

  std::int64_t idle_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(s_.config.session_idle).count();
  }

  Response logout(const Auth& auth) {
    s_.db->revoke_session(auth.token_sha256, s_.now_ms());
    audit(auth, "logout", auth.username);
    auto res = make_response(http::status::no_content, "", "text/plain");
    std::string cookie = std::string(kCookieName) + "=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0";
    if (s_.config.secure_cookies) cookie += "; Secure";
    res.set(http::field::set_cookie, cookie);
    return res;
  }

  Response me(const Auth& auth, http::status status) {
    const auto user = s_.db->find_user(auth.username);
    return json_response(status,
                         json::object{{"username", auth.username},
                                      {"display_name_zh", user ? user->display_name_zh : ""},
                                      {"role", key(auth.role)},
                                      {"csrf_token", auth.csrf_token},
                                      {"expires_ms", auth.expires_ms},
                                      {"tz", s_.config.time_zone},
                                      {"must_change_password", auth.must_change_password}});
  }

  // {"current","new"}: the user's own new password. The current one is checked with the same
  // PBKDF2 work as a login and a wrong one counts toward the same lock-out, so a session left
  // open cannot be used to guess it. The new one follows the rules of user creation. Every other
  // session of the user ends (a stolen cookie dies with the old password); this one stays.
  Response change_own_password(const Auth& auth) {
    const auto body = parse_body(req_, true);
    const auto current = string_field(body, "current", true, 1024);
    const auto fresh = string_field(body, "new", true, 1024);
    try {
      check_password(auth.username, fresh);
    } catch (const storage::Error& e) {
      fail(http::status::bad_request, "weak_password", e.what());
    }
    if (fresh == current) {
      fail(http::status::bad_request, "weak_password",
           "the new password must differ from the current one");
    }
    const auto now = s_.now_ms();
    const auto user = require_user(auth.username);
    if (user.locked_until_ms && *user.locked_until_ms > now) {
      detail::burn_password_time(current);
      audit(auth, "password_change_refused", auth.username, "locked");
      fail(http::status::forbidden, "locked",
           "too many wrong passwords in a row: try again in a few minutes");
    }
    if (!detail::verify_password(user, current)) {
      const auto lockout_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(s_.config.lockout).count();
      s_.db->record_login_failure(auth.username, now,
                                  static_cast<int>(s_.config.max_login_failures), lockout_ms);
      audit(auth, "password_change_refused", auth.username, "wrong current password");
      fail(http::status::forbidden, "wrong_password", "the current password is wrong");
    }
    const auto salt = detail::random_bytes(detail::kSaltBytes);
    const auto hash = detail::hash_password(fresh, salt, detail::kPasswordIterations);
    const auto ended = s_.db->change_own_password(auth.username, hash, salt,
                                                  detail::kPasswordIterations, auth.token_sha256,
                                                  now, actor(auth));
    if (!ended) fail(http::status::not_found, "not_found", "no user " + auth.username);
    Auth changed = auth;
    changed.must_change_password = false;
    return me(changed, http::status::ok);
  }

  // --- worklist ----------------------------------------------------------------------------
  Response worklist(const Auth& auth) {
    storage::WorklistQuery q;
    if (const auto it = query_.find("scope"); it != query_.end()) {
      if (it->second == "all") {
        q.open_only = false;
      } else if (it->second != "open") {
        fail(http::status::bad_request, "bad_request", "scope must be open or all");
      }
    }
    if (const auto it = query_.find("tier"); it != query_.end() && !it->second.empty()) {
      if (!workflow::parse_alert_tier(it->second)) {
        fail(http::status::bad_request, "bad_request", "tier must be critical, urgent or routine");
      }
      q.tier = it->second;
    }
    if (const auto it = query_.find("clinic"); it != query_.end() && !it->second.empty()) {
      q.clinic = it->second;
    }
    // Alerts raised on these days (centre's zone, both included).
    q.raised_from_ms = day_param("from", false);
    q.raised_to_ms = day_param("to", true);
    const auto count_param = [&](std::string_view name, std::size_t lo, std::size_t hi,
                                 std::size_t fallback) {
      const auto it = query_.find(std::string(name));
      if (it == query_.end()) return fallback;
      std::size_t value = 0;
      const auto& t = it->second;
      const auto r = std::from_chars(t.data(), t.data() + t.size(), value);
      if (r.ec != std::errc() || r.ptr != t.data() + t.size() || value < lo || value > hi) {
        fail(http::status::bad_request, "bad_request",
             std::string(name) + " must be " + std::to_string(lo) + ".." + std::to_string(hi));
      }
      return value;
    };
    const auto limit = count_param("limit", 1, 5000, q.limit);
    const auto offset = count_param("offset", 0, 10'000'000, 0);
    std::string patient;
    if (const auto it = query_.find("patient"); it != query_.end()) patient = it->second;
    // Pages through everything (issue 15: no silent cap). One row more than the page says
    // whether more follow; a patient search reads every row of the scope and filters (by
    // patient id, case-insensitive substring), so its total is exact.
    q.limit = patient.empty() ? offset + limit + 1 : std::numeric_limits<std::size_t>::max() / 2;
    auto rows = s_.db->worklist(q);
    if (!patient.empty()) {
      const auto lower = [](std::string v) {
        std::transform(v.begin(), v.end(), v.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        return v;
      };
      const auto needle = lower(patient);
      std::erase_if(rows, [&](const storage::WorklistRow& r) {
        return lower(r.patient_id).find(needle) == std::string::npos;
      });
    }
    const bool has_more = rows.size() > offset + limit;
    json::array items;
    for (std::size_t i = offset; i < rows.size() && i < offset + limit; ++i) {
      items.emplace_back(detail::worklist_item_json(rows[i]));
    }
    json::object out{{"items", nullptr},
                     {"server_ms", s_.now_ms()},
                     {"offset", offset},
                     {"limit", limit},
                     {"has_more", has_more}};
    if (!patient.empty()) out["total"] = rows.size();
    audit(auth, patient.empty() ? "view_worklist" : "search_patient",
          patient.empty() ? (q.open_only ? "open" : "all") : patient,
          "items=" + std::to_string(items.size()) + " offset=" + std::to_string(offset));
    out["items"] = std::move(items);
    return json_response(http::status::ok, out);
  }

  // --- studies -----------------------------------------------------------------------------
  storage::StudyRow require_study(std::int64_t id) {
    auto row = s_.db->study(id);
    if (!row) fail(http::status::not_found, "not_found", "no study " + std::to_string(id));
    return std::move(*row);
  }

  std::shared_ptr<const json::value> median_of(const storage::StudyRow& row) {
    {
      std::lock_guard lock(s_.median_mutex);
      if (const auto it = s_.median_cache.find(row.study_id); it != s_.median_cache.end()) {
        return it->second;
      }
    }
    json::value median = nullptr;
    try {
      const auto samples = s_.store->load_samples(row.study_id);
      const auto block = to_signal_block(samples);
      if (!block.samples_uv.empty() && !block.samples_uv.front().empty()) {
        const auto analysis = dsp::analyze(block);
        const auto& m = analysis.median;
        if (m.length_samples > 0 && !m.samples_uv.empty()) {
          median = json::object{{"sample_rate_hz", analysis.sample_rate_hz},
                                {"r_index_samples", m.r_index_samples},
                                {"leads", strings(analysis.lead_names)},
                                {"samples_uv", rounded_rows(m.samples_uv)},
                                {"qrs_onset_samples", opt(m.qrs_onset_samples)},
                                {"j_point_samples", opt(m.qrs_offset_samples)},
                                {"t_end_samples", opt(m.t_end_samples)},
                                {"p_onset_samples", opt(m.p_onset_samples)},
                                {"n_beats_used", m.n_beats_used}};
        }
      }
    } catch (const std::exception& e) {
      s_.log("station: median beat of study " + std::to_string(row.study_id) + ": " + e.what());
    }
    auto shared = std::make_shared<const json::value>(std::move(median));
    if (row.complete) {
      std::lock_guard lock(s_.median_mutex);
      if (s_.median_cache.size() >= 32) s_.median_cache.erase(s_.median_cache.begin());
      s_.median_cache[row.study_id] = shared;
    }
    return shared;
  }

  static json::object study_json(const storage::StudyRow& row) {
    const auto& h = row.header;
    return json::object{
        {"study_id", row.study_id},
        {"study_uid", h.study_uid},
        {"device_id", h.device_id},
        {"clinic", row.clinic},
        {"patient_id", h.patient_id},
        {"age_years", opt(h.age_years)},
        {"sex", h.sex},
        {"chest_pain", h.chest_pain},
        {"sample_rate_hz", h.sample_rate_hz},
        {"leads", strings(h.leads)},
        {"derive_limb_leads", h.derive_limb_leads},
        {"acquired_ms", h.acquired_at ? json::value(h.acquired_at->unix_ms) : json::value(nullptr)},
        {"fmc_ms", opt(row.fmc_ms)},
        {"complete", row.complete},
        {"source", source_json(h.source)}};
  }

  // The file the study was read from by a cart agent (issue 13), or null.
  static json::value source_json(const std::optional<storage::StudySource>& s) {
    if (!s) return nullptr;
    return json::object{{"format", s->format},           {"file", s->file_name},
                        {"manufacturer", s->manufacturer}, {"model", s->model},
                        {"serial_number", s->serial_number}, {"software", s->software}};
  }

  Response study(const Auth& auth, std::int64_t id) {
    const auto row = require_study(id);
    json::value analysis = nullptr;
    if (const auto text = s_.store->analysis_json(id)) {
      boost::system::error_code ec;
      analysis = json::parse(*text, ec);
      if (ec) analysis = nullptr;
    }
    json::array alerts;
    for (const auto& a : s_.store->alerts_for_study(id)) {
      // The transitions are what the clinic was told (each one reaches the cart, the
      // green-channel instructions in its note), so the station shows them on the study.
      json::array transitions;
      for (const auto& t : s_.alerts.transitions(a.alert_id)) {
        transitions.emplace_back(transition_json(t));
      }
      alerts.emplace_back(json::object{{"alert_id", a.alert_id},
                                       {"tier", a.tier},
                                       {"category", a.category},
                                       {"state", a.state},
                                       {"summary_en", a.summary_en},
                                       {"summary_zh", a.summary_zh},
                                       {"raised_ms", a.raised_ms},
                                       {"transitions", std::move(transitions)}});
    }
    json::value previous = nullptr;
    if (const auto prev = s_.db->previous_study(id)) {
      json::object st;
      if (const auto text = s_.store->analysis_json(prev->study_id)) {
        boost::system::error_code ec;
        const auto parsed = json::parse(*text, ec);
        const json::value* per_lead = nullptr;
        if (!ec && parsed.is_object()) {
          if (const auto* m = parsed.as_object().if_contains("measurements"); m && m->is_object()) {
            per_lead = m->as_object().if_contains("per_lead");
          }
        }
        if (per_lead != nullptr && per_lead->is_object()) {
          for (const auto& [lead, v] : per_lead->as_object()) {
            if (!v.is_object()) continue;
            const auto& o = v.as_object();
            const auto field = [&](std::string_view name) -> json::value {
              const auto* f = o.if_contains(name);
              return f ? *f : json::value(nullptr);
            };
            st[lead] = json::object{{"st_j_uv", field("st_j_uv")}, {"st_late_uv", field("st_j60_uv")}};
          }
        }
      }
      previous = json::object{
          {"study_id", prev->study_id},
          {"acquired_ms", prev->header.acquired_at ? json::value(prev->header.acquired_at->unix_ms)
                                                   : json::value(nullptr)},
          {"st", std::move(st)}};
    }
    const auto median = median_of(row);
    audit(auth, "view_study", std::to_string(id));
    return json_response(http::status::ok, json::object{{"study", study_json(row)},
                                                        {"analysis", std::move(analysis)},
                                                        {"median", *median},
                                                        {"alerts", std::move(alerts)},
                                                        {"case_id", opt(row.case_id)},
                                                        {"previous", std::move(previous)},
                                                        {"reports", reports_json(id)}});
  }

  Response samples(const Auth& auth, std::int64_t id) {
    const auto row = require_study(id);
    const auto stored = s_.store->load_samples(id);
    const auto block = to_signal_block(stored);
    json::array derived;
    for (const auto& lead : block.lead_names) {
      if (std::find(stored.header.leads.begin(), stored.header.leads.end(), lead) ==
          stored.header.leads.end()) {
        derived.emplace_back(lead);
      }
    }
    audit(auth, "view_samples", std::to_string(id));
    return json_response(http::status::ok,
                         json::object{{"leads", strings(block.lead_names)},
                                      {"sample_rate_hz", row.header.sample_rate_hz},
                                      {"resolution_nv_per_lsb", row.header.resolution_nv_per_lsb},
                                      {"derived", std::move(derived)},
                                      {"samples_uv", rounded_rows(block.samples_uv)}});
  }

  // The stored study as a printable PDF (with the automatic read and the latest diagnosis as the
  // confirmed read), an HL7 aECG or a DICOM ECG: the stored counts with their resolution, the
  // limb leads derived as the viewer shows them.
  Response export_study(const Auth& auth, std::int64_t id, std::string_view ext) {
    std::string content_type;
    if (ext == "pdf") {
      content_type = "application/pdf";
    } else if (ext == "xml") {
      content_type = "application/xml";  // HL7 aECG
    } else if (ext == "dcm") {
      content_type = "application/dicom";
    } else {
      fail(http::status::not_found, "not_found", "export formats: pdf, xml, dcm");
    }
    const auto row = require_study(id);
    const auto stored = s_.store->load_samples(id);
    const auto& h = stored.header;
    if (stored.samples.empty() || stored.samples.front().empty()) {
      fail(http::status::conflict, "no_samples", "study " + std::to_string(id) + " has no samples");
    }
    const auto tz = workflow::parse_time_zone(s_.config.time_zone);
    exporter::Recording rec;
    rec.source_format = "greenchannel study " + h.study_uid + " (" + row.clinic + ")";
    auto& ecg = rec.ecg;
    ecg.sample_rate_hz = h.sample_rate_hz;
    ecg.samples_per_lead = static_cast<std::int64_t>(stored.samples.front().size());
    ecg.block = to_signal_block(stored);
    for (std::size_t i = 0; i < h.leads.size() && i < stored.samples.size(); ++i) {
      formats::StoredLead lead;
      lead.name = dsp::canonical_lead_name(h.leads[i]).value_or(h.leads[i]);
      lead.counts = stored.samples[i];
      lead.uv_per_count = h.resolution_nv_per_lsb / 1000.0;
      ecg.stored.push_back(std::move(lead));
    }
    for (const auto& name : ecg.block.lead_names) {
      if (std::find(h.leads.begin(), h.leads.end(), name) == h.leads.end()) {
        ecg.derived_leads.push_back(name);
      }
    }
    ecg.source.patient_id = h.patient_id;
    ecg.source.age_years = h.age_years;
    if (h.sex == "M" || h.sex == "F") ecg.source.sex = h.sex[0];
    ecg.source.serial = h.device_id;
    if (h.acquired_at) {
      const auto iso = workflow::format_iso(h.acquired_at->unix_ms, tz);  // "…T16:54:00+08:00"
      ecg.source.acquired_at = iso.substr(0, 19);
      ecg.source.acquired_zone = iso.size() > 19 ? iso.substr(19) : "";
    }

    const auto suffix = std::to_string(std::random_device{}());
    const auto path = std::filesystem::temp_directory_path() /
                      ("gc-export-" + std::to_string(id) + "-" + suffix + "." + std::string(ext));
    struct Remove {
      std::filesystem::path p;
      ~Remove() {
        std::error_code ec;
        std::filesystem::remove(p, ec);
      }
    } remove{path};
    try {
      if (ext == "pdf") {
        exporter::PdfContent content;
        content.automatic = exporter::automatic_read(rec, &content.automatic_unavailable_reason);
        const auto signed_reports = reports_json(id);
        if (!signed_reports.empty()) {
          content.confirmed = confirmed_read(signed_reports.front().as_object(), tz);
        }
        exporter::write_pdf(rec, content, path);
      } else if (ext == "xml") {
        exporter::write_aecg(rec, path);
      } else {
        exporter::write_dicom(rec, path);
      }
    } catch (const exporter::Error& e) {
      fail(http::status::unprocessable_entity, "export_failed", e.what());
    }
    std::ifstream in(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    audit(auth, "export_study", std::to_string(id), "format=" + std::string(ext));
    auto res = make_response(http::status::ok, std::move(bytes), content_type);
    res.set(http::field::content_disposition, "attachment; filename=\"study-" +
                                                  std::to_string(id) + "." + std::string(ext) +
                                                  "\"");
    return res;
  }

  // --- signed reports (issue 15) ------------------------------------------------------------
  // A report is a `diagnosis` event, append-only: its detail holds the coded statements (with
  // their words as signed), the free text, the basis (the automatic read confirmed as it is, or
  // amended), the signer's name and display name; its time is the server's clock. A correction is
  // a newer report (corrects_seq names the one it replaces); the newest is the current one.

  static json::value vocabulary_json() {
    json::array out;
    for (const auto& e : triage::vocabulary()) {
      out.emplace_back(json::object{{"code", e.code},
                                    {"scheme", e.scheme},
                                    {"text_en", e.text_en},
                                    {"text_zh", e.text_zh},
                                    {"takes_leads", e.takes_leads},
                                    {"addable", e.addable}});
    }
    return json::object{{"statements", std::move(out)}};
  }

  // The statement vocabulary (no patient data: not audited).
  Response statements() { return json_response(http::status::ok, vocabulary_json()); }

  // The automatic read's coded statements (the stored analysis contract's finding.statements).
  json::array read_statements(std::int64_t id, bool* has_read) {
    *has_read = false;
    const auto text = s_.store->analysis_json(id);
    if (!text) return {};
    boost::system::error_code ec;
    const auto parsed = json::parse(*text, ec);
    if (ec || !parsed.is_object()) return {};
    const auto* finding = parsed.as_object().if_contains("finding");
    if (finding == nullptr || !finding->is_object()) return {};
    *has_read = true;
    const auto* list = finding->as_object().if_contains("statements");
    return list != nullptr && list->is_array() ? list->as_array() : json::array{};
  }

  // "code|lead,lead" with the leads sorted: two statements say the same thing.
  static std::string statement_key(const json::object& st) {
    std::vector<std::string> leads;
    if (const auto* l = st.if_contains("leads"); l && l->is_array()) {
      for (const auto& v : l->as_array()) {
        if (v.is_string()) leads.emplace_back(v.as_string());
      }
    }
    std::sort(leads.begin(), leads.end());
    std::string key = st.contains("code") && st.at("code").is_string()
                          ? std::string(st.at("code").as_string())
                          : std::string();
    key += '|';
    for (const auto& l : leads) key += l + ",";
    return key;
  }

  static std::vector<std::string> statement_leads(const json::object& st, const std::string& code) {
    std::vector<std::string> out;
    const auto* v = st.if_contains("leads");
    if (v == nullptr || v->is_null()) return out;
    if (!v->is_array() || v->as_array().size() > 18) {
      fail(http::status::bad_request, "bad_request",
           "statement " + code + ": leads must be a list of at most 18 lead names");
    }
    for (const auto& l : v->as_array()) {
      if (!l.is_string()) {
        fail(http::status::bad_request, "bad_request", "statement " + code + ": a lead is not a name");
      }
      const std::string_view name = l.as_string();
      std::optional<std::string> canonical;
      if (name == "-aVR" || name == "−aVR") {
        canonical = "-aVR";
      } else {
        canonical = dsp::canonical_lead_name(name);
      }
      if (!canonical) {
        fail(http::status::bad_request, "bad_request",
             "statement " + code + ": unknown lead '" + std::string(name.substr(0, 16)) + "'");
      }
      if (std::find(out.begin(), out.end(), *canonical) == out.end()) out.push_back(*canonical);
    }
    // In the order of the printed ECG, as the read lists them.
    static constexpr std::array<std::string_view, 19> kOrder{
        "I",  "II", "III", "aVR", "-aVR", "aVL", "aVF", "V1",  "V2", "V3",
        "V4", "V5", "V6",  "V7",  "V8",   "V9",  "V3R", "V4R", "V5R"};
    const auto rank = [](const std::string& lead) {
      return std::find(kOrder.begin(), kOrder.end(), lead) - kOrder.begin();
    };
    std::stable_sort(out.begin(), out.end(),
                     [&](const std::string& a, const std::string& b) { return rank(a) < rank(b); });
    return out;
  }

  // One statement of a request as it will be signed: the automatic read's own statement when the
  // read has this code with these leads (its words and measured values kept), else the
  // vocabulary's words for the leads given.
  static json::object signed_statement(const json::value& given, const json::array& read) {
    if (!given.is_object()) {
      fail(http::status::bad_request, "bad_request", "each statement is an object {code, leads?}");
    }
    const auto& o = given.as_object();
    const auto code = string_field(o, "code", true, 64);
    const auto* entry = triage::find_vocabulary_entry(code);
    if (entry == nullptr) {
      fail(http::status::bad_request, "unknown_statement",
           "unknown statement code '" + code + "' (GET /api/statements lists the vocabulary)");
    }
    const auto leads = statement_leads(o, code);
    if (!leads.empty() && !entry->takes_leads) {
      fail(http::status::bad_request, "bad_request", "statement " + code + " takes no leads");
    }
    json::object wanted{{"code", code}, {"leads", strings(leads)}};
    const auto key = statement_key(wanted);
    for (const auto& r : read) {
      if (!r.is_object() || statement_key(r.as_object()) != key) continue;
      auto kept = r.as_object();
      kept["from_read"] = true;
      return kept;
    }
    if (!entry->addable) {
      fail(http::status::bad_request, "bad_request",
           "statement " + code + " is a note of the automatic read about its own measurement: "
           "it can only be kept as the read states it");
    }
    const auto st = triage::reader_statement(code, leads);
    return json::object{{"code", st->code},       {"scheme", st->scheme},
                        {"leads", strings(leads)}, {"values", json::object{}},
                        {"text_en", st->text_en}, {"text_zh", st->text_zh},
                        {"from_read", false}};
  }

  // {"statements"?: [{code, leads?}], "text"?, "basis"?: "confirmed"|"amended"}; an old client's
  // {"text"} alone is an amended report without statements.
  Response diagnosis(const Auth& auth, std::int64_t id) {
    require_role(auth, {Role::cardiologist});
    const auto row = require_study(id);
    const auto body = parse_body(req_, true);
    auto text = string_field(body, "text", false, 8192);
    if (workflow::is_blank(text)) text.clear();
    auto basis = string_field(body, "basis", false, 16);
    if (basis.empty()) basis = "amended";
    if (basis != "confirmed" && basis != "amended") {
      fail(http::status::bad_request, "bad_request", "basis must be confirmed or amended");
    }
    bool has_read = false;
    const auto read = read_statements(id, &has_read);
    json::array statements;
    std::set<std::string> seen;
    const auto* given = body.if_contains("statements");
    if (given != nullptr && !given->is_null()) {
      if (!given->is_array() || given->as_array().size() > 64) {
        fail(http::status::bad_request, "bad_request", "statements must be a list of at most 64");
      }
      for (const auto& g : given->as_array()) {
        auto st = signed_statement(g, read);
        if (!seen.insert(statement_key(st)).second) {
          fail(http::status::bad_request, "bad_request",
               "statement " + std::string(st.at("code").as_string()) + " is listed twice");
        }
        statements.emplace_back(std::move(st));
      }
    } else if (basis == "confirmed") {
      for (const auto& r : read) {
        if (!r.is_object()) continue;
        auto kept = r.as_object();
        kept["from_read"] = true;
        seen.insert(statement_key(kept));
        statements.emplace_back(std::move(kept));
      }
    }
    if (basis == "confirmed") {
      if (!has_read) {
        fail(http::status::conflict, "no_automatic_read",
             "study " + std::to_string(id) + " has no automatic read to confirm");
      }
      std::set<std::string> read_keys;
      for (const auto& r : read) {
        if (r.is_object()) read_keys.insert(statement_key(r.as_object()));
      }
      if (read_keys != seen) {
        fail(http::status::bad_request, "basis_mismatch",
             "a confirmed read keeps every statement of the automatic read unchanged; sign an "
             "amended report to change them");
      }
    }
    if (statements.empty() && text.empty()) {
      fail(http::status::bad_request, "bad_request", "a report needs statements or text");
    }
    const auto user = s_.db->find_user(auth.username);
    const auto now = s_.now_ms();
    const auto previous = s_.store->events_for_study(id);
    storage::EventRecord event;
    event.study_id = id;
    event.kind = "diagnosis";
    event.at = storage::Stamp{now, actor(auth), "server"};
    event.actor = actor(auth);
    for (auto it = previous.rbegin(); it != previous.rend(); ++it) {
      if (it->kind == "diagnosis") {
        event.corrects_seq = it->seq;
        break;
      }
    }
    const auto n_statements = statements.size();
    event.detail_json = json::serialize(
        json::object{{"text", text},
                     {"basis", basis},
                     {"statements", std::move(statements)},
                     {"signer", auth.username},
                     {"signer_display_name", user ? user->display_name_zh : std::string()},
                     {"signed_ms", now}});
    const auto seq = s_.store->append_event(event);
    // Every station showing the study lists the new report at once.
    boost::asio::post(s_.publish_strand, [impl = s_.shared_from_this(), id, seq] {
      impl->broadcast(
          json::serialize(json::object{{"type", "report"}, {"study_id", id}, {"event_seq", seq}}));
    });
    audit(auth, "diagnosis", std::to_string(id),
          "event_seq=" + std::to_string(seq) + " basis=" + basis +
              " statements=" + std::to_string(n_statements) +
              (event.corrects_seq ? " corrects=" + std::to_string(*event.corrects_seq) : ""));
    auto all = reports_json(id);
    json::value report = nullptr;
    for (const auto& r : all) {
      if (r.as_object().at("event_seq").as_int64() == seq) report = r;
    }
    return json_response(http::status::created,
                         json::object{{"event_seq", seq}, {"report", std::move(report)}});
  }

  // The signed reports of a study, newest (current) first; earlier ones marked superseded.
  json::array reports_json(std::int64_t id) {
    json::array out;
    for (const auto& e : s_.store->events_for_study(id)) {
      if (e.kind != "diagnosis") continue;
      boost::system::error_code ec;
      const auto parsed = json::parse(e.detail_json.empty() ? "{}" : e.detail_json, ec);
      const json::object detail = !ec && parsed.is_object() ? parsed.as_object() : json::object{};
      const auto text_of = [&](std::string_view name, std::string fallback = {}) {
        const auto* v = detail.if_contains(name);
        return v != nullptr && v->is_string() ? std::string(v->as_string()) : fallback;
      };
      std::string by = e.actor;
      if (by.starts_with("station:")) by = by.substr(8);
      const auto* list = detail.if_contains("statements");
      out.emplace_back(json::object{
          {"event_seq", e.seq},
          {"signed_ms", e.at.unix_ms},
          {"signer", text_of("signer", by)},
          {"signer_display_name", text_of("signer_display_name")},
          {"basis", text_of("basis", "amended")},  // a free-text diagnosis of an older client
          {"statements", list != nullptr && list->is_array() ? *list : json::array{}},
          {"text", text_of("text")},
          {"corrects_seq", opt(e.corrects_seq)},
          {"current", false},
          {"superseded_by", nullptr}});
    }
    std::reverse(out.begin(), out.end());
    for (std::size_t i = 0; i < out.size(); ++i) {
      auto& r = out[i].as_object();
      r["current"] = i == 0;
      if (i > 0) r["superseded_by"] = out[i - 1].as_object().at("event_seq");
    }
    return out;
  }

  Response reports(const Auth& auth, std::int64_t id) {
    require_study(id);
    auto out = reports_json(id);
    audit(auth, "view_reports", std::to_string(id));
    return json_response(http::status::ok, json::object{{"reports", std::move(out)}});
  }

  // The current report as the PDF prints it: the statements in both languages, then the text.
  static exporter::ConfirmedRead confirmed_read(const json::object& report,
                                               const workflow::TimeZone& tz) {
    const auto str = [&](std::string_view name) {
      const auto* v = report.if_contains(name);
      return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
    };
    std::string coded;
    for (const auto& st : report.at("statements").as_array()) {
      if (!st.is_object()) continue;
      const auto& o = st.as_object();
      const auto word = [&](const char* name) {
        const auto* v = o.if_contains(name);
        return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
      };
      coded += (coded.empty() ? "" : "; ") + word("text_en") + " / " + word("text_zh");
    }
    // A free-text report of an older client prints as it was written.
    std::string text = str("basis") == "confirmed" ? "Automatic read confirmed as is 确认自动分析无误."
                       : coded.empty()             ? ""
                                                   : "Amended 修改后诊断:";
    if (!coded.empty()) text += " " + coded + ".";
    if (!str("text").empty()) text += (text.empty() ? "" : " ") + str("text");
    const auto display = str("signer_display_name");
    const auto by = display.empty() ? str("signer") : display + " (" + str("signer") + ")";
    return exporter::ConfirmedRead{text, by,
                                   workflow::format_iso(report.at("signed_ms").as_int64(), tz)};
  }

  // --- alerts ------------------------------------------------------------------------------
  Response alert(const Auth& auth, std::int64_t id) {
    const auto row = s_.db->worklist_row(id);
    if (!row) fail(http::status::not_found, "not_found", "no alert " + std::to_string(id));
    json::array transitions, pages;
    for (const auto& t : s_.alerts.transitions(id)) transitions.emplace_back(transition_json(t));
    for (const auto& p : s_.alerts.pages(id)) pages.emplace_back(page_json(p));
    audit(auth, "view_alert", std::to_string(id));
    return json_response(http::status::ok, json::object{{"item", detail::worklist_item_json(*row)},
                                                        {"transitions", std::move(transitions)},
                                                        {"pages", std::move(pages)}});
  }

  Response alert_action(const Auth& auth, std::int64_t id, std::string_view action) {
    const auto to = action_state(action);
    if (!to) fail(http::status::not_found, "not_found", "no such alert action");
    if (!may(auth.role, *to)) {
      fail(http::status::forbidden, "forbidden",
           "the role " + std::string(key(auth.role)) + " may not " + std::string(action));
    }
    const auto current = s_.db->worklist_row(id);
    if (!current) fail(http::status::not_found, "not_found", "no alert " + std::to_string(id));
    const auto body = parse_body(req_, false);
    const auto reason = string_field(body, "reason", false);
    if (*to == workflow::AlertState::rejected && workflow::is_blank(reason)) {
      fail(http::status::bad_request, "reason_required", "a rejection needs a reason");
    }
    // Closing a suspected STEMI ends its alarm and its escalation: the reason goes on the record.
    if (*to == workflow::AlertState::closed && current->tier == "critical" &&
        workflow::is_blank(reason)) {
      fail(http::status::bad_request, "reason_required", "closing a critical alert needs a reason");
    }
    const auto instructions_zh = string_field(body, "instructions_zh", false);
    const auto instructions_en = string_field(body, "instructions_en", false);
    workflow::AlertChange change;
    try {
      change = s_.alerts.apply(id, *to, actor(auth), reason, instructions_zh, instructions_en);
    } catch (const workflow::Error& e) {
      fail(http::status::conflict, "conflict", e.what());
    }
    audit(auth, "alert_" + std::string(action), std::to_string(id),
          change.transition.from_state + "→" + change.transition.to_state +
              (reason.empty() ? "" : " reason: " + reason));
    const auto row = s_.db->worklist_row(id);
    return json_response(http::status::ok,
                         json::object{{"item", row ? json::value(detail::worklist_item_json(*row))
                                                   : json::value(nullptr)},
                                      {"transition", transition_json(change.transition)}});
  }

  // --- cases -------------------------------------------------------------------------------
  Response case_view(const Auth& auth, std::int64_t id) {
    std::optional<storage::CaseBundle> bundle;
    {
      std::lock_guard lock(s_.cases_mutex);
      bundle = s_.cases->load_case(id);
    }
    if (!bundle) fail(http::status::not_found, "not_found", "no case " + std::to_string(id));
    const auto c = workflow::to_case(*bundle);
    const auto timeline = workflow::resolve(c);

    std::set<std::int64_t> superseded;
    for (const auto& n : bundle->nodes) {
      if (n.supersedes) superseded.insert(*n.supersedes);
    }
    json::array nodes;
    for (const auto& n : bundle->nodes) {
      const auto kind = workflow::parse_node_kind(n.kind);
      nodes.emplace_back(json::object{
          {"seq", n.seq},
          {"kind", n.kind},
          {"label_zh", kind ? std::string(workflow::label_zh(*kind)) : n.kind},
          {"label_en", kind ? std::string(workflow::label_en(*kind)) : n.kind},
          {"raw_ms", n.raw_ms},
          {"corrected_ms", opt(n.corrected_ms)},
          {"effective_ms", n.corrected_ms.value_or(n.raw_ms)},
          {"source", n.source},
          {"actor", n.actor},
          {"clock", n.clock},
          {"recorded_ms", n.recorded_ms},
          {"supersedes", opt(n.supersedes)},
          {"note", n.note},
          {"superseded", superseded.count(n.seq) != 0}});
    }
    json::array intervals;
    for (const auto& v : workflow::compute_intervals(workflow::rule_table("cn-cpc-2021"), timeline)) {
      if (!v.applicable || v.rule == nullptr) continue;
      intervals.emplace_back(json::object{{"key", v.rule->key},
                                          {"label_zh", v.rule->name_zh},
                                          {"label_en", v.rule->name_en},
                                          {"minutes", opt(v.minutes)},
                                          {"target_min", v.rule->target_min},
                                          {"met", opt(v.compliant)},
                                          {"missing", v.missing_reason()}});
    }
    json::array violations;
    for (const auto& v : timeline.violations) violations.emplace_back(v.message);
    json::array studies, alerts;
    for (const auto sid : bundle->study_ids) {
      studies.emplace_back(sid);
      for (const auto& a : s_.store->alerts_for_study(sid)) {
        json::array transitions;
        for (const auto& t : s_.alerts.transitions(a.alert_id)) transitions.emplace_back(transition_json(t));
        alerts.emplace_back(json::object{{"alert_id", a.alert_id},
                                         {"study_id", sid},
                                         {"state", a.state},
                                         {"tier", a.tier},
                                         {"transitions", std::move(transitions)}});
      }
    }
    const auto& info = bundle->info;
    audit(auth, "view_case", std::to_string(id));
    return json_response(
        http::status::ok,
        json::object{{"case", json::object{{"case_id", info.case_id},
                                           {"patient_id", info.patient_id},
                                           {"device_id", info.device_id},
                                           {"clinic", info.clinic},
                                           {"opened_ms", info.opened_ms},
                                           {"state", info.state},
                                           {"outcome", info.outcome},
                                           {"pathway", workflow::key(timeline.pathway)}}},
                     {"nodes", std::move(nodes)},
                     {"intervals", std::move(intervals)},
                     {"violations", std::move(violations)},
                     {"studies", std::move(studies)},
                     {"alerts", std::move(alerts)}});
  }

  Response add_node(const Auth& auth, std::int64_t id) {
    require_role(auth, {Role::cardiologist, Role::coordinator});
    const auto body = parse_body(req_, true);
    const auto kind_text = string_field(body, "kind", true, 64);
    const auto kind = workflow::parse_node_kind(kind_text);
    if (!kind) fail(http::status::bad_request, "bad_request", "unknown time node kind " + kind_text);
    const auto at_ms = int_field(body, "at_ms");
    const auto supersedes = int_field(body, "supersedes");
    const auto note = string_field(body, "note", false, 1024);
    const auto now = s_.now_ms();
    storage::TimeNodeRecord node;
    node.case_id = id;
    node.kind = kind_text;
    node.raw_ms = at_ms.value_or(now);
    node.source = "station";
    node.actor = auth.username;
    node.clock = at_ms ? "station" : "server";
    node.recorded_ms = now;
    node.supersedes = supersedes;
    node.note = note;
    std::int64_t seq = 0;
    {
      std::lock_guard lock(s_.cases_mutex);
      if (!s_.cases->get_case(id)) fail(http::status::not_found, "not_found", "no case " + std::to_string(id));
      try {
        seq = s_.cases->append_node(node);
      } catch (const storage::Error& e) {
        fail(http::status::bad_request, "bad_request", e.what());
      }
    }
    audit(auth, "record_node", std::to_string(id),
          kind_text + " seq=" + std::to_string(seq) +
              (supersedes ? " supersedes=" + std::to_string(*supersedes) : ""));
    boost::asio::post(s_.publish_strand, [impl = s_.shared_from_this(), id] {
      impl->broadcast(json::serialize(json::object{{"type", "case"}, {"case_id", id}}));
    });
    return json_response(http::status::created, json::object{{"seq", seq}});
  }

  // --- users (admin) -----------------------------------------------------------------------
  static std::string user_name(std::string_view text) {
    std::string name(text);
    try {
      check_username(name);
    } catch (const storage::Error& e) {
      fail(http::status::bad_request, "bad_request", e.what());
    }
    return name;
  }

  json::object user_json(const storage::UserRecord& u) const {
    const auto now = s_.now_ms();
    const bool locked = u.locked_until_ms && *u.locked_until_ms > now;
    return json::object{{"username", u.username},
                        {"display_name_zh", u.display_name_zh},
                        {"role", u.role},
                        {"status", u.disabled_ms ? "disabled"
                                   : locked      ? "locked"
                                                 : "active"},
                        {"created_ms", u.created_ms},
                        {"disabled_ms", opt(u.disabled_ms)},
                        {"locked_until_ms", locked ? opt(u.locked_until_ms) : json::value(nullptr)},
                        {"last_login_ms", opt(u.last_login_ms)},
                        {"must_change_password", u.must_change_password},
                        {"contact", u.contact}};
  }

  storage::UserRecord require_user(const std::string& name) {
    auto u = s_.db->find_user(name);
    if (!u) fail(http::status::not_found, "not_found", "no user " + name);
    return std::move(*u);
  }

  static std::string role_field(const json::object& body, bool required) {
    const auto text = string_field(body, "role", required, 32);
    if (!text.empty() && !parse_role(text)) {
      fail(http::status::bad_request, "bad_request",
           "role must be cardiologist, coordinator or admin");
    }
    return text;
  }

  // A short text field of an account, trimmed of spaces and tabs and checked by `check` (the
  // store's rule); a violation is 400 with `code`.
  static std::string account_text_field(const json::object& body, const char* key,
                                        void (*check)(const std::string&), const char* code) {
    auto text = string_field(body, key, false, 256);
    const auto b = text.find_first_not_of(" \t");
    text = b == std::string::npos ? std::string()
                                  : text.substr(b, text.find_last_not_of(" \t") - b + 1);
    try {
      check(text);
    } catch (const storage::Error& e) {
      fail(http::status::bad_request, code, e.what());
    }
    return text;
  }

  static std::string display_name_field(const json::object& body) {
    return account_text_field(body, "display_name_zh", storage::check_display_name,
                              "display_name_invalid");
  }

  // How the doctor is reached when paged: a phone number or WeChat Work user id ("" clears it).
  static std::string contact_field(const json::object& body) {
    return account_text_field(body, "contact", storage::check_contact, "contact_invalid");
  }

  Response users(const Auth& auth) {
    json::array out;
    for (const auto& u : s_.db->list_users()) out.emplace_back(user_json(u));
    audit(auth, "view_users", "", "n=" + std::to_string(out.size()));
    return json_response(http::status::ok, json::object{{"users", std::move(out)}});
  }

  // The password is generated here and shown once in the answer: an admin never picks (or
  // reuses) one, and it is at least as strong as the rules ask (see generate_password).
  Response add_user(const Auth& auth) {
    const auto body = parse_body(req_, true);
    const auto username = user_name(string_field(body, "username", true, 64));
    const auto role = role_field(body, true);
    const auto display_name = display_name_field(body);
    if (const auto existing = s_.db->find_user(username)) {
      fail(http::status::conflict, existing->disabled_ms ? "user_disabled" : "user_exists",
           existing->disabled_ms ? "user " + username + " exists and is disabled: re-enable it"
                                 : "user " + username + " already exists");
    }
    const auto password = generate_password();
    storage::UserRecord user;
    user.username = username;
    user.role = role;
    user.display_name_zh = display_name;
    user.salt = detail::random_bytes(detail::kSaltBytes);
    user.iterations = detail::kPasswordIterations;
    user.password_hash = detail::hash_password(password, user.salt, user.iterations);
    user.created_ms = s_.now_ms();
    // The admin has seen this password: the new user replaces it at the first login, as after a
    // reset.
    user.must_change_password = true;
    try {
      s_.db->insert_user(user, actor(auth));
    } catch (const storage::Error&) {
      // A name taken between the check and the insert; anything else is a 500 (logged).
      if (s_.db->find_user(username))
        fail(http::status::conflict, "user_exists", "user " + username + " already exists");
      throw;
    }
    return json_response(
        http::status::created,
        json::object{{"user", user_json(require_user(username))}, {"password", password}});
  }

  // {"role"?, "disabled"?, "display_name_zh"?, "contact"?}: each given field is changed and audited.
  Response change_user(const Auth& auth, const std::string& username) {
    const auto body = parse_body(req_, true);
    storage::UserChange change;
    if (body.contains("role")) change.role = role_field(body, true);
    if (const auto* d = body.if_contains("disabled")) {
      if (!d->is_bool())
        fail(http::status::bad_request, "bad_request", "disabled must be true or false");
      change.disabled = d->as_bool();
    }
    if (body.contains("display_name_zh")) change.display_name_zh = display_name_field(body);
    if (body.contains("contact")) change.contact = contact_field(body);
    if (!change.role && !change.disabled && !change.display_name_zh && !change.contact) {
      fail(http::status::bad_request, "bad_request",
           "nothing to change (role, disabled, display_name_zh, contact)");
    }
    const auto before = require_user(username);
    // An admin who disabled or demoted themselves would lock themselves out mid-change.
    if (username == auth.username &&
        ((change.disabled && *change.disabled) || (change.role && *change.role != before.role))) {
      fail(http::status::conflict, "self",
           "you cannot disable your own account or change your own role");
    }
    const auto result = s_.db->change_user(username, change, s_.now_ms(), actor(auth));
    if (result == storage::UserChangeResult::not_found) {
      fail(http::status::not_found, "not_found", "no user " + username);
    }
    if (result == storage::UserChangeResult::last_admin) {
      fail(http::status::conflict, "last_admin", "at least one enabled admin must remain");
    }
    return json_response(http::status::ok,
                         json::object{{"user", user_json(require_user(username))}});
  }

  Response reset_password(const Auth& auth, const std::string& username) {
    require_user(username);
    if (username == auth.username) {
      fail(http::status::conflict, "self", "another admin resets your password");
    }
    const auto password = generate_password();
    storage::UserChange change;
    change.salt = detail::random_bytes(detail::kSaltBytes);
    change.iterations = detail::kPasswordIterations;
    change.password_hash = detail::hash_password(password, change.salt, change.iterations);
    change.must_change_password = true;  // the owner replaces it at the next login
    if (s_.db->change_user(username, change, s_.now_ms(), actor(auth)) !=
        storage::UserChangeResult::ok) {
      fail(http::status::not_found, "not_found", "no user " + username);
    }
    return json_response(http::status::ok, json::object{{"user", user_json(require_user(username))},
                                                        {"password", password}});
  }

  // --- roster ------------------------------------------------------------------------------
  json::object roster_json() {
    const auto now = s_.now_ms();
    std::map<std::string, std::optional<storage::UserRecord>> people;
    const auto person = [&](const std::string& name) -> json::object {
      auto it = people.find(name);
      if (it == people.end()) it = people.emplace(name, s_.db->find_user(name)).first;
      const auto& u = it->second;
      return json::object{{"username", name},
                          {"display_name_zh", u ? u->display_name_zh : std::string()},
                          {"contact", u ? u->contact : std::string()},  // whoever is on call
                          {"known", u.has_value()},
                          {"enabled", u && !u->disabled_ms}};
    };
    json::array shifts, now_chain;
    // From a day ago on: the shift in force and what comes; older ones stay in the database.
    for (const auto& sh : s_.alerts.roster_shifts()) {
      if (sh.end_ms <= now - 24 * 3'600'000LL) continue;
      json::array chain;
      for (const auto& n : sh.chain) chain.emplace_back(person(n));
      const bool current = now >= sh.start_ms && now < sh.end_ms;
      if (current) now_chain = chain;
      shifts.emplace_back(json::object{{"start_ms", sh.start_ms},
                                       {"end_ms", sh.end_ms},
                                       {"chain", std::move(chain)},
                                       {"now", current}});
    }
    return json::object{{"shifts", std::move(shifts)},
                        {"on_call_now", std::move(now_chain)},
                        {"server_ms", now},
                        {"tz", s_.config.time_zone}};
  }

  Response roster(const Auth& auth) {
    audit(auth, "view_roster", "");
    return json_response(http::status::ok, roster_json());
  }

  // {"start","end" (local time in the centre's zone, "2026-05-12 08:00") or "start_ms","end_ms";
  //  "chain": [user...]}: one shift added to the roster in force; it takes over the time it
  // covers and leaves every other shift as it was (issue 15).
  Response set_shift(const Auth& auth) {
    require_role(auth, {Role::admin});
    const auto body = parse_body(req_, true);
    const auto tz = workflow::parse_time_zone(s_.config.time_zone);
    const auto instant = [&](const char* text_name, const char* ms_name) -> std::int64_t {
      if (const auto ms = int_field(body, ms_name)) return *ms;
      const auto text = string_field(body, text_name, true, 64);
      std::string local = text;
      if (local.size() == 16 && local[10] == 'T') local[10] = ' ';  // <input type=datetime-local>
      try {
        return workflow::parse_instant(local, tz);
      } catch (const workflow::Error& e) {
        fail(http::status::bad_request, "bad_request", std::string(text_name) + ": " + e.what());
      }
    };
    workflow::Shift shift;
    shift.start_ms = instant("start", "start_ms");
    shift.end_ms = instant("end", "end_ms");
    const auto* chain = body.if_contains("chain");
    if (chain == nullptr || !chain->is_array() || chain->as_array().empty() ||
        chain->as_array().size() > 10) {
      fail(http::status::bad_request, "bad_request", "chain must list 1 to 10 user names");
    }
    for (const auto& v : chain->as_array()) {
      if (!v.is_string())
        fail(http::status::bad_request, "bad_request", "chain must list user names");
      const std::string name(v.as_string());
      if (std::find(shift.chain.begin(), shift.chain.end(), name) != shift.chain.end()) {
        fail(http::status::bad_request, "bad_request", "user " + name + " is twice in the chain");
      }
      shift.chain.push_back(user_name(name));
    }
    if (shift.end_ms <= shift.start_ms) {
      fail(http::status::bad_request, "shift_times", "a shift must end after it starts");
    }
    if (shift.end_ms - shift.start_ms > 7 * 24 * 3'600'000LL) {
      fail(http::status::bad_request, "shift_too_long", "a shift lasts at most 7 days");
    }
    if (shift.end_ms <= s_.now_ms()) {
      fail(http::status::bad_request, "shift_over", "the shift is over already");
    }
    if (const auto problems = roster_user_problems(*s_.db, {shift}); !problems.empty()) {
      std::string message;
      for (const auto& p : problems) message += (message.empty() ? "" : "; ") + p;
      fail(http::status::bad_request, "roster_user", message);
    }
    {
      std::lock_guard lock(s_.roster_mutex);
      try {
        s_.alerts.set_roster(workflow::merge_shifts(s_.alerts.roster_shifts(), {shift}),
                             actor(auth));
      } catch (const workflow::Error& e) {
        fail(http::status::bad_request, "bad_request", e.what());
      }
    }
    return json_response(http::status::ok, roster_json());
  }

  // --- audit log (admin) -------------------------------------------------------------------
  // JSON pages for the screen, or (csv) every matching row for a spreadsheet.
  Response audit_log(const Auth& auth, bool csv) {
    require_role(auth, {Role::admin});
    storage::AuditQuery q;
    const auto param = [&](const char* name) {
      const auto it = query_.find(name);
      return it == query_.end() ? std::string() : it->second;
    };
    q.user = param("user");
    q.action = param("action");
    q.target = param("target");
    if (q.user.size() > 64 || q.action.size() > 64 || q.target.size() > 256) {
      fail(http::status::bad_request, "bad_request", "filter too long");
    }
    q.from_ms = day_param("from", false);
    q.to_ms = day_param("to", true);  // inclusive
    const auto number = [&](const char* name, std::int64_t lo,
                            std::int64_t hi) -> std::optional<std::int64_t> {
      const auto text = param(name);
      if (text.empty()) return std::nullopt;
      std::int64_t v = 0;
      const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
      if (r.ec != std::errc() || r.ptr != text.data() + text.size() || v < lo || v > hi) {
        fail(http::status::bad_request, "bad_request",
             std::string(name) + " must be " + std::to_string(lo) + ".." + std::to_string(hi));
      }
      return v;
    };
    q.before_seq = number("before", 1, std::numeric_limits<std::int64_t>::max());
    q.limit = static_cast<std::size_t>(number("limit", 1, 500).value_or(100));
    if (csv) return audit_csv(auth, q, param("lang"), param("from") + " " + param("to"));
    bool has_more = false;
    const auto rows = s_.db->audit_page(q, &has_more);
    json::array items;
    for (const auto& r : rows) {
      items.emplace_back(json::object{{"seq", r.seq},
                                      {"at_ms", r.at_ms},
                                      {"actor", r.actor},
                                      {"action", r.action},
                                      {"target", r.target},
                                      {"detail", r.detail}});
    }
    // Reading the audit log is itself on the record (after the query: it does not list itself).
    audit(auth, "view_audit", q.user.empty() ? "" : q.user,
          "action=" + q.action + " target=" + q.target + " from=" + param("from") +
              " to=" + param("to"));
    return json_response(
        http::status::ok,
        json::object{{"items", std::move(items)},
                     {"has_more", has_more},
                     {"next_before", has_more && !rows.empty() ? json::value(rows.back().seq)
                                                               : json::value(nullptr)}});
  }

  // A spreadsheet cell: quoted when it holds a comma, quote or line break; a leading = + - @
  // (or tab / CR) is defused with an apostrophe so Excel never runs text from the log as a
  // formula (names, reasons and searches typed by users end up in it).
  static std::string csv_cell(const std::string& v) {
    std::string text = v;
    if (!text.empty() &&
        std::string_view("=+-@\t\r").find(text.front()) != std::string_view::npos) {
      text.insert(text.begin(), '\'');
    }
    if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
    std::string out = "\"";
    for (const char c : text) {
      if (c == '"') out += '"';
      out += c;
    }
    return out + "\"";
  }

  Response audit_csv(const Auth& auth, storage::AuditQuery q, const std::string& lang,
                     const std::string& days) {
    if (!lang.empty() && lang != "zh" && lang != "en") {
      fail(http::status::bad_request, "bad_request", "lang must be zh or en");
    }
    constexpr std::size_t kMaxRows = 100'000;
    const auto tz = workflow::parse_time_zone(s_.config.time_zone);
    // A UTF-8 byte-order mark: Excel on a Chinese Windows otherwise reads the file as GBK.
    std::string out = "\xEF\xBB\xBF";
    out += lang == "zh" ? "序号,时间,操作者,操作,对象,详情\r\n"
                        : "seq,time,actor,action,target,detail\r\n";
    q.limit = 500;
    std::size_t n = 0;
    bool more = true;
    while (more && n < kMaxRows) {
      const auto rows = s_.db->audit_page(q, &more);
      for (const auto& r : rows) {
        out += std::to_string(r.seq) + "," + workflow::format_iso(r.at_ms, tz) + "," +
               csv_cell(r.actor) + "," + csv_cell(r.action) + "," + csv_cell(r.target) + "," +
               csv_cell(r.detail) + "\r\n";
      }
      n += rows.size();
      if (rows.empty()) break;
      q.before_seq = rows.back().seq;
    }
    if (more) out += "# truncated at " + std::to_string(n) + " rows: narrow the filter\r\n";
    audit(auth, "export_audit", q.user,
          "rows=" + std::to_string(n) + " action=" + q.action + " target=" + q.target +
              " days=" + days);
    auto res = make_response(http::status::ok, std::move(out), "text/csv; charset=utf-8");
    res.set(http::field::content_disposition, "attachment; filename=\"greenchannel-audit.csv\"");
    return res;
  }

  // --- reports -----------------------------------------------------------------------------
  Response report(const Auth& auth) {
    const auto month_it = query_.find("month");
    if (month_it == query_.end() || month_it->second.size() != 7 || month_it->second[4] != '-') {
      fail(http::status::bad_request, "bad_request", "month=YYYY-MM is required");
    }
    const auto& month = month_it->second;
    std::string format = "html";
    if (const auto it = query_.find("format"); it != query_.end()) format = it->second;
    if (format != "html" && format != "json" && format != "csv") {
      fail(http::status::bad_request, "bad_request", "format must be html, json or csv");
    }
    workflow::ReportOptions o;
    try {
      o.tz = workflow::parse_time_zone(s_.config.time_zone);
      o.from_ms = workflow::parse_instant(month + "-01", o.tz);
    } catch (const workflow::Error& e) {
      fail(http::status::bad_request, "bad_request", e.what());
    }
    o.to_ms = workflow::next_month_start(o.from_ms, o.tz);
    o.generated_ms = s_.now_ms();
    if (const auto it = query_.find("clinic"); it != query_.end() && !it->second.empty()) {
      o.clinic = it->second;
    }
    std::vector<workflow::Case> cases;
    {
      std::lock_guard lock(s_.cases_mutex);
      for (const auto& b : s_.cases->load_cases(o.from_ms, o.to_ms, o.clinic)) {
        cases.push_back(workflow::to_case(b));
      }
    }
    const auto built = workflow::build_report(cases, o);
    audit(auth, "view_report", month + (o.clinic ? " " + *o.clinic : ""), "format=" + format);
    if (format == "json") {
      return make_response(http::status::ok, workflow::to_json(built), "application/json; charset=utf-8");
    }
    if (format == "csv") {
      auto csv = workflow::to_csv(built);
      if (const auto it = query_.find("lang"); it != query_.end()) {
        if (it->second != "zh" && it->second != "en") {
          fail(http::status::bad_request, "bad_request", "lang must be zh or en");
        }
        csv = spreadsheet_csv(std::move(csv), built, it->second == "zh");
      }
      auto res = make_response(http::status::ok, std::move(csv), "text/csv; charset=utf-8");
      res.set(http::field::content_disposition,
              "attachment; filename=\"greenchannel-report-" + month + ".csv\"");
      return res;
    }
    auto res = make_response(http::status::ok, workflow::to_html(built), "text/html; charset=utf-8");
    res.set("Content-Security-Policy", kReportCsp);
    return res;
  }

  Station::Impl& s_;
  const Request& req_;
  std::string path_;
  std::map<std::string, std::string> query_;
};

}  // namespace

Auth Station::Impl::authenticate(const Request& req) {
  const auto header = req[http::field::cookie];
  const auto token = cookie_value(std::string_view(header.data(), header.size()), kCookieName);
  if (!token || token->empty()) {
    fail(http::status::unauthorized, "login_required", "log in first");
  }
  const auto hash = detail::sha256(*token);
  const auto session = db->find_session(hash);
  if (!session || session->revoked_ms) {
    fail(http::status::unauthorized, "login_required", "log in first");
  }
  const auto now = now_ms();
  const auto idle = std::chrono::duration_cast<std::chrono::milliseconds>(config.session_idle).count();
  if (now >= session->expires_ms || now >= session->last_seen_ms + idle) {
    db->revoke_session(hash, now);
    db->append_audit(now, "station:" + session->username, "session_expired", session->username,
                     now >= session->expires_ms ? "absolute" : "idle");
    fail(http::status::unauthorized, "session_expired", "the session has expired; log in again");
  }
  const auto user = db->find_user(session->username);
  const auto role = user ? parse_role(user->role) : std::nullopt;
  if (!user || user->disabled_ms || !role) {
    db->revoke_session(hash, now);
    fail(http::status::unauthorized, "login_required", "log in first");
  }
  if (now - session->last_seen_ms >= kTouchEveryMs) db->touch_session(hash, now);
  return Auth{session->username,
              *role,
              session->csrf_token,
              hash,
              std::min(session->expires_ms, now + idle),
              user->must_change_password};
}

bool Station::Impl::session_valid(const std::vector<std::uint8_t>& token_sha256) {
  const auto session = db->find_session(token_sha256);
  if (!session || session->revoked_ms) return false;
  // Not the idle rule: an alarm screen left open must keep ringing (any request from it needs a
  // fresh login once idle), but a logout, the absolute expiry or a disabled user end the feed.
  if (now_ms() >= session->expires_ms) return false;
  const auto user = db->find_user(session->username);
  return user && !user->disabled_ms;
}

Response Station::Impl::handle(const Request& req) {
  Response res;
  try {
    res = Api(*this, req).run();
  } catch (const ApiError& e) {
    res = json_response(e.status, json::object{{"error", e.message}, {"code", e.code}});
  } catch (const std::exception& e) {
    log(std::string("station: ") + std::string(req.method_string()) + " " +
        std::string(req.target()) + ": " + e.what());
    res = json_response(http::status::internal_server_error,
                        json::object{{"error", "internal error"}, {"code", "internal"}});
  }
  const auto code = static_cast<unsigned>(res.result_int());
  (code >= 500 ? requests_5xx : code >= 400 ? requests_4xx : code >= 300 ? requests_3xx : requests_2xx)++;
  res.version(req.version());
  res.keep_alive(req.keep_alive());
  res.set(http::field::server, "greenchannel-station");
  if (res["Content-Security-Policy"].empty()) {
    res.set("Content-Security-Policy", kAppCsp);
  }
  res.set("X-Content-Type-Options", "nosniff");
  res.set("X-Frame-Options", "DENY");
  res.set("Referrer-Policy", "no-referrer");
  if (config.tls) res.set(http::field::strict_transport_security, "max-age=31536000");
  if (res[http::field::cache_control].empty()) res.set(http::field::cache_control, "no-store");
  if (req.method() == http::verb::head) {
    res.content_length(res.body().size());
    res.body().clear();
  } else {
    res.prepare_payload();
  }
  return res;
}

}  // namespace gc::station
