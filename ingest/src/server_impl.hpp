// Internals of the ingest server: shared state (Server::Impl) and the per-connection Session.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include "analysis.hpp"
#include "gc/connection_slots.hpp"
#include "gc/framing.hpp"
#include "gc/ingest.hpp"
#include "storage_worker.hpp"

namespace gc::ingest {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
namespace pb = proto::pb;

namespace detail {
class Session;
}

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  Impl(asio::io_context& io, ServerConfig config, storage::Store& store);

  void log(const std::string& line);
  // Logs an I/O error unless it is an expected one (operation aborted, peer closed).
  void fail(const boost::system::error_code& ec, std::string_view what);

  void start();
  void stop();
  void finish();
  void do_accept();
  void recover();
  // Closes the live sessions of carts revoked since the last look; re-arms itself.
  void check_revocations();

  // Authentication failure rate limiting, per peer address.
  // Failed-authentication throttle, keyed "device ID" or "address A" (Session::on_hello).
  bool auth_blocked(const std::string& key);
  void auth_failed(const std::string& key);

  // Analysis of a completed study: runs once per study even if several sessions ask; every
  // listener still connected gets the finding. The finding is stored either way.
  void schedule_analysis(std::int64_t study_id, const std::string& study_uid,
                         std::weak_ptr<detail::Session> listener);
  void analysis_finished(std::int64_t study_id, const pb::Finding& finding);

  asio::io_context& io;
  const ServerConfig config;
  storage::Store& store;
  detail::StorageWorker storage;
  asio::thread_pool analysis_pool;
  asio::thread_pool auth_pool;  // PBKDF2 credential checks
  tcp::acceptor acceptor;
  asio::steady_timer accept_retry;  // back-off after a failed accept
  asio::steady_timer revocation_timer;  // on the acceptor's strand
  std::atomic<std::uint16_t> bound_port{0};
  std::string bound_address;
  std::atomic<bool> stopping{false};
  bool finished = false;
  std::mutex finish_mutex;

  std::mutex log_mutex;

  ConnectionSlots slots;  // the connection caps, per address and in total

  std::mutex sessions_mutex;
  std::vector<std::weak_ptr<detail::Session>> sessions;  // every session, for stop()
  // Authenticated sessions by device (for alert pushes); guarded by sessions_mutex.
  std::multimap<std::string, std::weak_ptr<detail::Session>> sessions_by_device;
  void register_device_session(const std::string& device_id,
                               const std::shared_ptr<detail::Session>& session);
  bool push_alert_update(const std::string& device_id, const pb::AlertUpdate& update);

  std::mutex analysis_mutex;
  std::condition_variable analysis_idle;
  std::map<std::int64_t, std::vector<std::weak_ptr<detail::Session>>> analysing;

  struct AuthFailures {
    unsigned count = 0;
    std::chrono::steady_clock::time_point window_start;
  };
  std::mutex auth_mutex;
  std::map<std::string, AuthFailures> auth_failures;

  struct Counters {
    std::atomic<std::uint64_t> connections_accepted{0}, connections_refused{0},
        connections_reclaimed{0}, sessions_open{0}, frames_received{0}, bytes_received{0},
        frames_rejected{0}, auth_failures{0}, chunks_stored{0}, chunks_duplicate{0},
        studies_completed{0}, studies_analysed{0}, tls_handshake_failures{0};
    std::array<std::atomic<std::uint64_t>, 16> rejected_by_code{};  // indexed by pb::Error::Code
  } counters;
};

namespace detail {

class Session : public SlotHolder, public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<Server::Impl> server);
  ~Session() override;

  void start();
  // Its slot was reclaimed for a newer connection (ConnectionSlots): closes. Thread-safe.
  void evict() override;
  const std::string& peer_address() const { return peer_address_; }
  // Refuses the connection with a fatal error frame (e.g. connection cap reached).
  void refuse(pb::Error::Code code, const std::string& message);
  // Stop reading, finish in-flight commits and acks, then close. Thread-safe.
  void begin_shutdown();
  // The cart's credential was revoked: a fatal UNAUTHENTICATED error, then close. Thread-safe.
  void revoked();
  // Pushes a finding to the cart if still connected. Thread-safe.
  void deliver_finding(pb::Finding finding);
  // Pushes an alert update if the session is authenticated (each update_id once). Thread-safe.
  void deliver_alert_update(pb::AlertUpdate update);
  // Authenticated and not closed (racy by nature: a hint for push_alert_update's answer).
  bool live() const { return live_; }

 private:
  enum class State { awaiting_hello, authenticating, ready, closing, closed };

  struct OpenStudy {
    std::int64_t study_id = 0;
    std::size_t n_leads = 0;
    std::uint32_t sample_rate_hz = 0;
    std::uint64_t next_sequence = 0;                 // the next new chunk expected from the cart
    std::uint64_t durable_next = 0;                  // every chunk below is committed
    std::optional<std::uint64_t> next_first_sample;  // known once a chunk was seen this session
    std::optional<std::uint32_t> running_crc;        // known when this session saw every chunk
    bool complete = false;
  };

  // Reading and frame handling.
  void pump();
  bool may_process() const;
  void update_slot_tier();  // idle or working, once authenticated
  void start_read();
  void on_read(const boost::system::error_code& ec, std::size_t n);
  void handle_frame(std::string_view body);
  void on_hello(const pb::Hello& hello);
  void on_authenticated(bool ok, bool throttled, const std::string& throttle_key,
                        std::vector<storage::StudyState> open, std::vector<std::string> expired,
                        const std::string& error, std::optional<std::int64_t> device_clock_ms);
  void on_study_start(const pb::StudyStart& start);
  void on_chunk(const pb::SampleChunk& chunk);
  // `row` may already hold the chunk's samples (copied once); empty = copy them from `chunk`.
  void submit_chunk(const OpenStudy& study, const pb::SampleChunk& chunk, storage::Chunk row);
  void on_chunk_committed(const std::string& uid, std::uint64_t sequence,
                          std::optional<storage::AppendResult> result, const std::string& error,
                          bool rejected);
  void on_study_end(const pb::StudyEnd& end);
  void submit_study_end();
  void resend_finding(const std::string& uid, std::int64_t study_id);
  // Alert updates: sent once per update_id; reported delivered once their write completed.
  void send_alert_update(const pb::AlertUpdate& update);
  void replay_alert_updates();

  // Writing.
  void send(const pb::ServerMessage& message);
  void do_write();
  void on_write(const boost::system::error_code& ec);

  // Errors, deadlines, closing.
  void reject(pb::Error::Code code, const std::string& message, const std::string& study_uid = {},
              bool fatal = true);
  void arm_read_deadline();
  void arm_close_deadline();
  void maybe_finish_shutdown();
  void close(const std::string& reason);
  std::string who() const;

  // Runs `f` on this session's strand later, keeping the io_context busy until it has run, so a
  // storage completion is never dropped because the session had no socket operation pending.
  // Called inside a storage batch, the post waits until the batch has committed (so a reply
  // never announces something that is not yet durable) and is dropped if it fails.
  template <class F>
  void on_strand(F&& f) {
    auto guard = asio::make_work_guard(strand_);
    auto job = [self = shared_from_this(), f = std::forward<F>(f),
                guard = std::move(guard)]() mutable { f(); };
    StorageWorker::after_commit([strand = strand_, job = std::move(job)]() mutable {
      asio::post(strand, std::move(job));
    });
  }

  // Runs f(stream) on the TLS stream when there is one, else on the plain socket.
  template <class F>
  void with_stream(F&& f) {
    if (tls_) {
      f(*tls_);
    } else {
      f(socket_);
    }
  }

  tcp::socket socket_;  // the lowest layer, also under TLS
  std::unique_ptr<asio::ssl::stream<tcp::socket&>> tls_;
  asio::any_io_executor strand_;
  asio::steady_timer timer_;
  std::shared_ptr<Server::Impl> server_;
  const ServerConfig& config_;
  proto::FrameDecoder decoder_;
  std::vector<char> read_buffer_;
  std::string peer_;          // "address:port"
  std::string peer_address_;  // for rate limiting

  State state_ = State::awaiting_hello;
  bool shutting_down_ = false;
  bool reading_ = false;
  bool waiting_ = false;  // a storage step this session must see before the next frame
  std::size_t inflight_ = 0;
  std::uint64_t deadline_gen_ = 0;
  std::chrono::steady_clock::time_point handshake_deadline_;
  std::optional<std::chrono::steady_clock::time_point> partial_frame_since_;

  std::deque<std::string> outbound_;
  std::string write_buffer_;
  std::size_t writing_frames_ = 0;
  bool writing_ = false;

  std::string device_id_;
  std::optional<std::int64_t> clock_offset_ms_;  // server − device
  std::map<std::string, OpenStudy> studies_;
  std::optional<pb::StudyEnd> pending_end_;
  bool counted_open_ = false;

  std::atomic<bool> live_{false};
  std::set<std::int64_t> alert_updates_sent_;
  std::vector<std::int64_t> alert_updates_queued_;   // in outbound_
  std::vector<std::int64_t> alert_updates_writing_;  // in write_buffer_
};

}  // namespace detail
}  // namespace gc::ingest
