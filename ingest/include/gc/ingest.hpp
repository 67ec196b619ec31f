// ingest — the server carts stream ECGs to (protocol v1, proto/README.md): one session per
// connection on its own strand, authentication against storage, frame limits and read deadlines,
// bounded outbound queues with backpressure, durable storage with group commit (acks only after
// the SQLite commit), and analysis (dsp + triage) on a separate thread pool whose finding is
// stored, alerted and pushed back to the cart. The cart side is in gc/cart_client.hpp.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "gc/framing.hpp"
#include "gc/storage.hpp"

namespace boost::asio::ssl {
class context;
}

namespace gc::ingest {

struct ServerConfig {
  std::string listen_address = "127.0.0.1";
  std::uint16_t port = 0;  // 0 = ephemeral; Server::port() tells the bound one
  // TLS (gc/tls.hpp: make_server_tls_context). Null = plain TCP, for loopback only.
  std::shared_ptr<boost::asio::ssl::context> tls;

  proto::Limits limits;  // frame size, leads, rates, chunk and study sizes
  std::chrono::milliseconds handshake_timeout{10'000};  // from accept to an accepted Hello
  std::chrono::milliseconds idle_timeout{60'000};       // silence while the server waits to read
  // Once a frame has begun it must be complete within this (slow-loris defence: trickling one
  // byte now and then does not keep a half frame alive).
  std::chrono::milliseconds frame_timeout{30'000};
  std::chrono::milliseconds close_timeout{5'000};  // to flush a fatal error before closing

  // Connection caps (gc/connection_slots.hpp): when one is reached, the slot of the oldest
  // connection that has not authenticated yet (then of an idle one) is reclaimed for the new one;
  // only when every slot streams is a new connection refused with LIMIT_EXCEEDED.
  std::size_t max_connections = 10'000;
  std::size_t max_connections_per_address = 256;
  std::size_t max_outbound_frames = 256;  // per session; above it the session stops reading
  std::size_t max_inflight_chunks = 64;   // per session, awaiting their commit
  std::size_t max_open_studies_per_session = 8;
  // A study left incomplete this long expires at its cart's next hello (stored, audited, named in
  // the HelloAck); its StudyStart is refused from then on (issue 16 #9).
  std::chrono::milliseconds open_study_expiry{24 * 3'600'000};
  // The HelloAck lists at most this many open studies (the newest), and never more than fits a
  // frame: ~8,000 abandoned studies made it exceed the frame limit for good.
  std::size_t max_open_studies_in_hello_ack = 256;
  std::size_t read_buffer_bytes = 4 * 1024;  // per connection: idle carts cost little

  // Group commit: chunks of all sessions that arrive while a commit runs go into the next one;
  // commit_delay waits a little longer to gather more (0 = adaptive only).
  std::size_t max_chunks_per_commit = 1024;
  std::chrono::microseconds commit_delay{0};

  unsigned analysis_threads = 1;

  // A revoked cart (`greenchannel device revoke`, possibly from another process) is cut off:
  // every live session of a revoked device is closed with UNAUTHENTICATED within this interval.
  std::chrono::milliseconds revocation_check_interval{1'000};

  // Authentication failures per peer address before it is refused without checking, per window.
  unsigned max_auth_failures = 5;
  std::chrono::seconds auth_failure_window{60};

  // Hooks for the workflow (cases, time nodes, paging). They run on the storage thread, where the
  // Store may be used; an exception is logged and does not affect the cart.
  // A study was created (not on resume). server_minus_device_ms: the clock offset measured at
  // hello (absent when the cart sent no clock).
  std::function<void(storage::Store&, const storage::StudyHeader&, std::int64_t study_id,
                     std::optional<std::int64_t> server_minus_device_ms)>
      on_study_created;
  // The alert of an analysed study was raised (once per study).
  std::function<void(storage::Store&, const storage::AlertRecord&, std::int64_t alert_id)>
      on_alert_raised;
  // Alert updates kept for carts (workflow::AlertService's cart outbox; gc/alert_cart.hpp has
  // pending_alert_updates). Run on the storage thread. pending_alert_updates: the cart's
  // undelivered updates, oldest first, each with its update_id; sent right after every HelloAck.
  // alert_update_delivered: an update (update_id != 0) was written to the cart's connection.
  std::function<std::vector<proto::pb::AlertUpdate>(const std::string& device_id)>
      pending_alert_updates;
  std::function<void(std::int64_t update_id)> alert_update_delivered;

  // One line per event (connection, study, finding, error). Called from several threads, one call
  // at a time. Empty = silent.
  std::function<void(std::string_view line)> log;
};

// A Prometheus-style histogram: cumulative_counts[i] = observations <= upper_bounds_s[i];
// count (the +Inf bucket) and sum_s cover every observation.
struct LatencyHistogram {
  std::vector<double> upper_bounds_s;
  std::vector<std::uint64_t> cumulative_counts;
  std::uint64_t count = 0;
  double sum_s = 0;
};

// Bucket upper bounds of the group-commit latency (one SQLite transaction with its fsync).
inline const std::vector<double>& commit_latency_buckets_s() {
  static const std::vector<double> buckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                           0.05,   0.1,   0.25,   0.5,   1.0,  2.5};
  return buckets;
}

// Counters for health and metrics endpoints; monotonic since start.
struct ServerStats {
  std::uint64_t connections_accepted = 0;
  std::uint64_t connections_refused = 0;
  std::uint64_t connections_reclaimed = 0;  // closed to make room for a new connection
  std::uint64_t sessions_open = 0;
  std::uint64_t frames_received = 0;
  std::uint64_t bytes_received = 0;
  std::uint64_t frames_rejected = 0;
  std::uint64_t auth_failures = 0;
  std::uint64_t chunks_stored = 0;
  std::uint64_t chunks_duplicate = 0;
  std::uint64_t commits = 0;
  std::uint64_t studies_completed = 0;
  std::uint64_t studies_analysed = 0;
  std::uint64_t tls_handshake_failures = 0;  // includes refused client certificates (mTLS)
  // Frames answered with an error frame, by pb::Error::Code name ("FRAME_TOO_LARGE"); every code
  // is present (0 when none), so the set of series is stable.
  std::map<std::string, std::uint64_t> frames_rejected_by_reason;
  LatencyHistogram commit_latency;  // per group commit, seconds
};

class Server {
 public:
  // The store must outlive the server. All store calls happen on the server's storage thread.
  Server(boost::asio::io_context& io, ServerConfig config, storage::Store& store);
  ~Server();  // finish()es
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens (throws std::system_error when the address is taken), then accepts.
  void start();
  std::uint16_t port() const;
  std::string address() const;  // "127.0.0.1:7800"

  // Stops accepting and asks every session to finish what is in flight (commits, acks) and close.
  // Thread-safe; returns at once. The io_context runs out of work when all sessions are closed.
  void stop();

  // After the io_context has stopped: waits for running analyses to be stored, stops the storage
  // and analysis threads. Idempotent. The caller checkpoints the store afterwards if it wants.
  void finish();

  ServerStats stats() const;

  // Sends an AlertUpdate to every authenticated connection of this cart. Thread-safe; returns
  // at once: true when at least one live connection took it (it is written shortly after), false
  // when the cart is not connected (the caller's outbox keeps it for the next hello). A
  // connection sends an update_id at most once.
  bool push_alert_update(const std::string& device_id, const proto::pb::AlertUpdate& update);

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace gc::ingest
