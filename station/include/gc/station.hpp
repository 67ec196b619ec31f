// station — the on-call cardiology reading station, served by `greenchannel serve` itself:
// Boost.Beast HTTP + WebSocket (TLS as for ingest), the browser app embedded from station/web/,
// logins with slow salted password hashes, HttpOnly/Secure/SameSite session cookies, CSRF tokens,
// lock-out, an audit row for every view and action, the live worklist, the study viewer's data,
// alert actions (through workflow::AlertService), case timelines, reports, /healthz and /metrics.
// The HTTP API is specified in station/API.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "gc/alert_service.hpp"

namespace boost::asio::ssl {
class context;
}

namespace gc::storage {
class StationStore;
}

namespace gc::station {

struct StationConfig {
  std::string listen_address = "127.0.0.1";
  std::uint16_t port = 8443;  // 0 = ephemeral; Station::port() tells the bound one
  // TLS context (the ingest certificate). Null = plain HTTP, loopback only (--insecure).
  std::shared_ptr<boost::asio::ssl::context> tls;
  // Cookie "Secure" attribute; false only for plain loopback HTTP.
  bool secure_cookies = true;
  std::filesystem::path db_path;  // the server's SQLite database (own connections)

  std::chrono::minutes session_idle{30};
  std::chrono::minutes session_max{12 * 60};
  unsigned max_login_failures = 5;  // in a row, then the account is locked
  std::chrono::minutes lockout{15};
  std::size_t max_request_body_bytes = 1 << 20;
  // Connection caps (gc/connection_slots.hpp): at a full cap the slot of the oldest connection
  // that has not completed its TLS handshake or first request, then of an idle keep-alive one,
  // is reclaimed for the new connection; only requests being answered and live WebSockets keep
  // theirs (issue 16 #3).
  std::size_t max_connections = 1'000;
  std::size_t max_connections_per_address = 128;
  std::chrono::milliseconds handshake_timeout{10'000};  // TLS handshake
  std::chrono::milliseconds request_timeout{30'000};    // a connection's first request, in full
  // WebSocket: a {"type":"ping"} this often; at each one the client's login session is checked
  // again, so a logout, the absolute expiry or a disabled user also ends the live feed.
  std::chrono::milliseconds ws_ping_interval{20'000};
  std::string time_zone = "Asia/Shanghai";  // for reports and the UI

  // Extra Prometheus lines appended to /metrics (the ingest server's counters).
  std::function<std::string()> metrics_text;
  std::function<std::int64_t()> clock;  // unix ms; injectable for session-expiry tests
  std::function<void(std::string_view line)> log;
};

class Station {
 public:
  // The alert service must outlive the station.
  Station(boost::asio::io_context& io, StationConfig config, workflow::AlertService& alerts);
  ~Station();
  Station(const Station&) = delete;
  Station& operator=(const Station&) = delete;

  void start();  // binds (throws std::system_error when taken) and accepts
  std::uint16_t port() const;
  std::string url() const;  // "https://127.0.0.1:8443"
  void stop();              // closes the listener and every connection; thread-safe

  // Thread-safe: push to every live WebSocket client (worklist upsert, page, case change, a
  // report signed on the study, here or through another node).
  void publish(const workflow::AlertChange& change);
  void publish_case(std::int64_t case_id);
  void publish_report(std::int64_t study_id, std::int64_t event_seq);

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

// Users (table users, migration 0003): PBKDF2-HMAC-SHA256 with a random salt, ≥ 310,000
// iterations. Throws storage::Error on a duplicate name or a weak password (< 10 characters).
enum class Role { cardiologist, coordinator, admin };
std::string_view key(Role role);
std::optional<Role> parse_role(std::string_view key);
void add_user(const std::filesystem::path& db_path, const std::string& username, Role role,
              const std::string& password, const std::string& actor);
bool disable_user(const std::filesystem::path& db_path, const std::string& username,
                  const std::string& actor);
// Re-enables a disabled account (a disabled name could never be used again before: users are
// never deleted, so `add` refused it). false if there is no such user.
bool enable_user(const std::filesystem::path& db_path, const std::string& username,
                 const std::string& actor);

// A new generated password for the user (returned to be told to them once; only its hash is
// stored); their sessions end, a lock-out is lifted, and they must choose their own password at
// the next login (must_change_password). nullopt if there is no such user.
std::optional<std::string> reset_password(const std::filesystem::path& db_path,
                                          const std::string& username, const std::string& actor);

// The user-name and password rules of add_user; throw storage::Error with the reason.
void check_username(const std::string& username);
void check_password(const std::string& username, const std::string& password);
// A random password for an account an admin creates or resets (shown once, never stored):
// 16 characters from an alphabet without look-alikes (0/O, 1/l/I), ~90 bits.
std::string generate_password();

// Who may be on the on-call roster (issue 15): each name in each chain a known, enabled account.
// Returns the problems ("unknown user 'x'", "user 'y' is disabled"), empty when it may be set.
std::vector<std::string> roster_user_problems(storage::StationStore& users,
                                              const std::vector<workflow::Shift>& shifts);

}  // namespace gc::station
