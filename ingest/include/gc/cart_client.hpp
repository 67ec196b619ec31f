// cart_client — the cart side of protocol v1 (proto/README.md), as a real cart behaves: hello,
// then per study StudyStart, sample chunks (200 ms by default, optionally paced in real time) with
// a window of unacknowledged chunks kept for resending, StudyEnd with the CRC-32, then the StudyAck
// and the pushed Finding. On a dropped connection it reconnects and resumes from the server's
// next_sequence. Synchronous API (Asio underneath, every wait bounded by a timeout).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "gc/framing.hpp"

namespace boost::asio::ssl {
class context;
}

namespace gc::ingest {

// One server address as a cart is configured with it.
struct ServerAddress {
  std::string host;
  std::uint16_t port = 7800;
  std::string text() const;  // "host:port" ("[v6]:port")
};

// Parses "HOST:PORT[,HOST:PORT…]" (IPv6 as "[addr]:PORT"). Throws std::invalid_argument naming
// the entry that is not an address; duplicates are refused too.
std::vector<ServerAddress> parse_server_list(std::string_view text);

struct CartConfig {
  std::string host = "127.0.0.1";
  std::uint16_t port = 7800;
  // Further `serve` nodes of the same centre (one database behind them all). When the server in
  // use cannot be reached (refused, timed out, no hello ack) the next one is tried, in order and
  // round; the cart stays with the one that answered. Resuming a study on another node is the
  // ordinary resume from the server's next_sequence, so the exactly-once guarantees hold when the
  // nodes share one database.
  std::vector<ServerAddress> more_servers;
  // TLS (gc/tls.hpp: make_cart_tls_context). Null = plain TCP (loopback only).
  std::shared_ptr<boost::asio::ssl::context> tls;
  bool tls_verify_host_name = true;  // off when the certificate is pinned by fingerprint
  std::string device_id;
  std::string secret;
  std::string firmware = "greenchannel-cart-simulator/1";

  std::chrono::milliseconds chunk_duration{200};
  bool realtime = false;                // pace chunks as the samples would be acquired
  std::size_t max_unacked_chunks = 32;  // window; also what a cart must keep for resending

  std::chrono::milliseconds io_timeout{10'000};       // connect, hello, each ack
  std::chrono::milliseconds finding_timeout{60'000};  // after the StudyAck
  std::chrono::milliseconds ping_interval{20'000};    // while waiting, below the server's idle
  int max_reconnects = 5;  // in a row without any acknowledgement in between
  std::chrono::milliseconds reconnect_backoff{200};
  std::size_t max_frame_bytes = proto::kDefaultMaxFrameBytes;

  // Fault injection (tests, --chaos): after each frame sent, drop the connection with this
  // probability. Deterministic for a seed.
  double chaos_drop_probability = 0;
  std::uint64_t chaos_seed = 1;

  std::function<void(std::string_view line)> log;  // progress lines; empty = silent
};

// One study as the cart acquired it: integers exactly as they will be sent.
struct CartStudy {
  std::string study_uid;
  std::vector<std::string> leads;  // canonical names, channel order
  std::uint32_t sample_rate_hz = 0;
  double resolution_nv_per_lsb = 0;
  bool derive_limb_leads = false;
  std::vector<std::vector<std::int32_t>> samples;  // [lead][sample], all leads the same length

  std::string patient_id;
  std::optional<int> age_years;
  std::string sex;  // "M", "F" or ""
  bool chest_pain = false;
  std::optional<std::int64_t> symptom_onset_unix_ms;
  std::optional<std::int64_t> first_medical_contact_unix_ms;
  std::optional<std::int64_t> acquired_at_unix_ms;  // default: when sending starts

  // The file this study was read from and the device that wrote it (StudyStart.source); empty
  // format: none (a study the cart produced itself).
  struct Source {
    std::string format, file_name, manufacturer, model, serial_number, software;
  };
  std::optional<Source> source;
};

struct CartResult {
  std::string study_uid;
  std::uint64_t chunks = 0;
  std::uint64_t samples_per_lead = 0;
  std::uint32_t samples_crc32 = 0;
  std::uint64_t chunks_acked = 0;   // all below this were acknowledged as durable
  std::uint64_t chunks_resent = 0;  // after reconnects
  int reconnects = 0;
  std::string server;     // the address ("host:port") whose StudyAck completed the study
  bool complete = false;  // StudyAck.complete
  std::string detail;     // StudyAck.detail
  std::optional<proto::pb::Finding> finding;
  std::vector<proto::pb::Error> errors;  // non-fatal errors the server reported
  double ack_latency_p50_ms = 0;
  double ack_latency_p99_ms = 0;
  double ack_latency_max_ms = 0;
};

// A fatal error from the server (code set) or a connection that could not be (re)established.
class CartError : public std::runtime_error {
 public:
  CartError(const std::string& what, std::optional<proto::pb::Error::Code> code = std::nullopt,
            bool refused_hello = false)
      : std::runtime_error(what), code_(code), refused_hello_(refused_hello) {}
  std::optional<proto::pb::Error::Code> code() const { return code_; }
  // The server refused the device at the hello (credentials, version, connection limits), not a
  // study: a store-and-forward agent keeps the study and tries again later.
  bool refused_hello() const { return refused_hello_; }

 private:
  std::optional<proto::pb::Error::Code> code_;
  bool refused_hello_ = false;
};

class CartClient {
 public:
  explicit CartClient(CartConfig config);
  ~CartClient();
  CartClient(const CartClient&) = delete;
  CartClient& operator=(const CartClient&) = delete;

  // Connects (if needed) and streams one study to completion. Throws CartError on a fatal server
  // error other than a retryable one (INTERNAL, TIMEOUT), or when reconnects are exhausted.
  CartResult send_study(const CartStudy& study);

  // The HelloAck of the current connection (after the first send_study).
  std::optional<proto::pb::HelloAck> hello_ack() const;

  // Alert updates (proto AlertUpdate) the server pushes are collected whenever the client reads,
  // also while it waits for other frames; an update_id seen before is dropped. This waits up to
  // `timeout` for the next update of `study_uid` that `accept` takes (default: any): updates of
  // that study before it are consumed, others stay queued. It connects if needed (the server
  // sends undelivered updates right after the HelloAck), pings while idle, and reconnects when
  // the connection drops. nullopt on timeout; CartError as send_study.
  std::optional<proto::pb::AlertUpdate> wait_alert_update(
      const std::string& study_uid, std::chrono::milliseconds timeout,
      const std::function<bool(const proto::pb::AlertUpdate&)>& accept = {});
  // Every update received and not yet taken, in arrival order.
  std::vector<proto::pb::AlertUpdate> take_alert_updates();

  void close();

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Interleaves [lead][sample] into the protocol's order (s0[lead0..N-1], s1[...], ...).
std::vector<std::int32_t> interleave(const std::vector<std::vector<std::int32_t>>& by_lead);

}  // namespace gc::ingest
