// ingest_bench — the load benchmark of the ingest server (`greenchannel bench ingest`); see
// gc/ingest_bench.hpp.
// The load benchmark of the ingest server. N simulated carts in ONE
// process (one Asio event loop, async TLS connections, no thread per cart) stream a 12-lead 500 Hz
// record in real time (200 ms chunks) to an in-process server with a fresh SQLite database
// (WAL, synchronous=FULL). Phases:
//  1. register N devices (PBKDF2 each, on all cores; setup, not measured);
//  2. cold hello storm: all N carts connect at once, TLS handshake + hello; every hello costs one
//     PBKDF2 (the server's credential cache is empty, as after a restart);
//  3. streaming: all N carts reconnect at once (warm storm: TLS + cached credential check), each
//     streams one study of --duration-s in real time, ends it with the CRC-32 and waits for the
//     StudyAck; ack latency = ChunkAck received − chunk handed to the socket, reported for every
//     chunk and, separately, for the steady state (all N carts streaming: from the last
//     StudyStarted to the first StudyEnd), the reconnect storm and the end-of-study burst;
//  4. verification: every study complete, every stored sample equal to the source bit for bit,
//     stored rows = chunks sent (none lost, none doubled);
//  5. the floor on this machine: (a) one TLS stream (AES-GCM) over loopback into a sink that
//     discards, (b) the same chunk rows into SQLite alone (synchronous=FULL) in group commits of
//     --floor-batch (default 1024, the server's max_chunks_per_commit). floor = 1 / (1/a + 1/b) wire bytes/s (both costs paid for every
//     byte); ratio = achieved wire bytes/s of stored chunks ÷ floor.
// With --saturate carts are not paced: each sends as fast as its window of unacknowledged chunks
// allows, which measures the server's maximum throughput against the floor.
#include "gc/ingest_bench.hpp"

#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <optional>
#include <random>
#include <sstream>
#include <thread>

#include <stdexcept>

#include "gc/cart_client.hpp"
#include "gc/framing.hpp"
#include "gc/ingest.hpp"
#include "gc/storage.hpp"
#include "gc/synth.hpp"
#include "gc/tls.hpp"
#include "gc/write_floor.hpp"

namespace gc::loadgen {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace fs = std::filesystem;
namespace pb = proto::pb;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

double thread_cpu_s() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double process_cpu_s() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

// VmRSS / VmHWM from /proc/self/status, in MiB.
double proc_status_mib(const std::string& key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) {
      std::istringstream fields(line.substr(key.size() + 1));
      double kib = 0;
      fields >> kib;
      return kib / 1024.0;
    }
  }
  return 0;
}

// Group commits in (before, after] slower than `bound_s` (a bucket bound of the histogram).
std::uint64_t slow_commits(const ingest::LatencyHistogram& before,
                           const ingest::LatencyHistogram& after, double bound_s) {
  std::uint64_t at_most_after = 0;
  std::uint64_t at_most_before = 0;
  for (std::size_t i = 0; i < after.upper_bounds_s.size(); ++i) {
    if (std::abs(after.upper_bounds_s[i] - bound_s) < 1e-9) {
      at_most_after = after.cumulative_counts[i];
      at_most_before = i < before.cumulative_counts.size() ? before.cumulative_counts[i] : 0;
    }
  }
  return (after.count - at_most_after) - (before.count - at_most_before);
}

double percentile(std::vector<float>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto i = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size()))) - 1;
  return sorted[std::min(i, sorted.size() - 1)];
}

void append_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

// The record every cart streams: a synthetic 12-lead 500 Hz ECG, integers as a cart's ADC gives.
struct Source {
  std::vector<std::string> leads;
  std::uint32_t rate_hz = 500;
  double resolution_nv = 1000;
  std::vector<std::vector<std::int32_t>> by_lead;
  std::vector<std::int32_t> interleaved;
  std::uint64_t per_lead = 0;
  std::uint64_t per_chunk = 0;  // samples per lead per chunk
  std::uint64_t n_chunks = 0;
  std::uint32_t crc = 0;
  // SampleChunk bodies without the study uid (sequence, first_sample_index, samples), one per
  // sequence; a cart's frame is its uid field + this, wrapped (protobuf fields may come in any
  // order, so the bytes are a valid SampleChunk).
  std::vector<std::string> chunk_tails;

  std::string chunk_frame(const std::string& uid, std::uint64_t sequence) const {
    std::string chunk;
    chunk.reserve(uid.size() + 4 + chunk_tails[sequence].size());
    chunk += static_cast<char>(0x0A);  // field 1 (study_uid), length-delimited
    append_varint(chunk, uid.size());
    chunk += uid;
    chunk += chunk_tails[sequence];
    std::string message;
    message.reserve(chunk.size() + 6);
    message += static_cast<char>(0x1A);  // CartMessage field 3 (chunk), length-delimited
    append_varint(message, chunk.size());
    message += chunk;
    std::string frame;
    frame.reserve(message.size() + 5);
    append_varint(frame, message.size());
    frame += message;
    return frame;
  }
};

Source make_source(double duration_s, int chunk_ms) {
  synth::Spec spec;
  spec.sample_rate_hz = 500;
  spec.duration_s = duration_s;
  spec.seed = 2026;
  spec.st_shift_uv = {{"V2", 250}, {"V3", 300}};
  const synth::Synthesized s = synth::generate(spec);
  Source src;
  src.leads = s.lead_names;
  src.rate_hz = 500;
  src.resolution_nv = s.resolution_uv_per_lsb * 1000.0;
  src.by_lead = s.samples_adu;
  src.interleaved = ingest::interleave(src.by_lead);
  src.per_lead = src.by_lead.front().size();
  src.per_chunk = static_cast<std::uint64_t>(src.rate_hz) * static_cast<std::uint64_t>(chunk_ms) /
                  1000;
  src.n_chunks = (src.per_lead + src.per_chunk - 1) / src.per_chunk;
  src.crc = storage::samples_crc32(src.interleaved);
  const std::size_t n_leads = src.leads.size();
  for (std::uint64_t seq = 0; seq < src.n_chunks; ++seq) {
    pb::SampleChunk c;
    c.set_sequence(seq);
    const std::uint64_t first = seq * src.per_chunk;
    const std::uint64_t last = std::min(src.per_lead, first + src.per_chunk);
    c.set_first_sample_index(first);
    for (std::uint64_t k = first * n_leads; k < last * n_leads; ++k) {
      c.add_samples(src.interleaved[k]);
    }
    src.chunk_tails.push_back(c.SerializeAsString());
  }
  return src;
}

// --- the simulated carts ------------------------------------------------------------------

struct Totals {
  std::size_t carts = 0;
  std::size_t connected = 0;   // hello acknowledged
  std::size_t streaming = 0;   // now
  std::size_t peak_streaming = 0;
  std::size_t finished = 0;    // done or failed
  std::size_t completed = 0;   // StudyAck complete
  std::size_t failed = 0;
  std::uint64_t chunks_sent = 0;
  std::uint64_t chunks_acked = 0;
  std::uint64_t window_stalls = 0;  // a chunk was due but the window of unacked chunks was full
  std::uint64_t bytes_sent = 0;
  std::vector<float> ack_ms;
  std::vector<Clock::time_point> ack_sent_at;  // parallel to ack_ms (before it is sorted)
  // Steady state: every cart streaming (after the last one's StudyStarted) and none finished
  // (before the first StudyEnd); ramp-up (connection storm) and end-of-study are outside it.
  std::optional<Clock::time_point> all_streaming_at;
  std::optional<Clock::time_point> first_end_at;
  std::vector<float> hello_ms;  // connect start → HelloAck
  std::vector<std::string> errors;
  Clock::time_point first_chunk_sent{};
  Clock::time_point last_ack{};
  bool any_chunk = false;
};

struct Bench;

class SimCart : public std::enable_shared_from_this<SimCart> {
 public:
  enum class Mode { hello_only, stream };

  SimCart(asio::io_context& io, ssl::context& ctx, Bench& bench, std::size_t index, Mode mode);
  void start(tcp::endpoint endpoint);

 private:
  void fail(const std::string& why);
  void finish();
  void send(std::string frame);
  void do_write();
  void do_read();
  void on_message(const pb::ServerMessage& m);
  void pump();
  Clock::time_point due(std::uint64_t sequence) const;

  Bench& bench_;
  std::size_t index_;
  Mode mode_;
  ssl::stream<tcp::socket> stream_;
  asio::steady_timer timer_;
  proto::FrameDecoder decoder_{proto::kDefaultMaxFrameBytes};
  std::array<char, 8192> rbuf_{};
  std::deque<std::string> outq_;
  std::string wbuf_;
  bool writing_ = false;
  bool timer_armed_ = false;
  bool done_ = false;
  bool counted_streaming_ = false;
  Clock::time_point started_at_;
  Clock::time_point t0_;
  std::string uid_;
  std::uint64_t next_seq_ = 0;
  std::uint64_t acked_next_ = 0;
  std::vector<Clock::time_point> sent_at_;
  std::vector<bool> acked_;
  bool end_sent_ = false;
};

struct Bench {
  const Source& src;
  std::vector<storage::NewDevice> devices;
  Totals totals;
  bool saturate = false;
  std::chrono::milliseconds chunk_period{200};
  std::size_t window = 32;
  std::string run_tag;
};

SimCart::SimCart(asio::io_context& io, ssl::context& ctx, Bench& bench, std::size_t index,
                 Mode mode)
    : bench_(bench), index_(index), mode_(mode), stream_(io, ctx), timer_(io) {
  uid_ = "bench-" + bench_.run_tag + "-" + std::to_string(index_);
}

void SimCart::start(tcp::endpoint endpoint) {
  started_at_ = Clock::now();
  stream_.next_layer().async_connect(endpoint, [self = shared_from_this()](
                                                   const boost::system::error_code& ec) {
    if (ec) return self->fail("connect: " + ec.message());
    boost::system::error_code ignored;
    self->stream_.next_layer().set_option(tcp::no_delay(true), ignored);
    self->stream_.async_handshake(ssl::stream_base::client,
                                  [self](const boost::system::error_code& hec) {
                                    if (hec) return self->fail("TLS handshake: " + hec.message());
                                    pb::CartMessage m;
                                    pb::Hello* h = m.mutable_hello();
                                    const auto& dev = self->bench_.devices[self->index_];
                                    h->set_protocol_version(proto::kProtocolVersion);
                                    h->set_device_id(dev.device_id);
                                    h->set_credential(dev.secret);
                                    h->mutable_device_clock()->set_unix_ms(storage::now_unix_ms());
                                    h->mutable_device_clock()->set_clock("cart");
                                    h->set_firmware("greenchannel-bench/1");
                                    self->send(proto::encode_frame(m));
                                    self->do_read();
                                  });
  });
}

void SimCart::fail(const std::string& why) {
  if (done_) return;
  Totals& t = bench_.totals;
  ++t.failed;
  if (t.errors.size() < 20) t.errors.push_back("cart " + std::to_string(index_) + ": " + why);
  finish();
}

void SimCart::finish() {
  if (done_) return;
  done_ = true;
  Totals& t = bench_.totals;
  ++t.finished;
  if (counted_streaming_) --t.streaming;
  timer_.cancel();
  boost::system::error_code ignored;
  stream_.next_layer().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.next_layer().close(ignored);
}

void SimCart::send(std::string frame) {
  bench_.totals.bytes_sent += frame.size();
  outq_.push_back(std::move(frame));
  if (!writing_) do_write();
}

void SimCart::do_write() {
  if (done_ || outq_.empty()) return;
  wbuf_.clear();
  for (auto& f : outq_) wbuf_ += f;
  outq_.clear();
  writing_ = true;
  asio::async_write(stream_, asio::buffer(wbuf_),
                    [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                      self->writing_ = false;
                      if (self->done_) return;
                      if (ec) return self->fail("write: " + ec.message());
                      if (!self->outq_.empty()) self->do_write();
                    });
}

void SimCart::do_read() {
  stream_.async_read_some(
      asio::buffer(rbuf_),
      [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
        if (self->done_) return;
        if (ec) return self->fail("read: " + ec.message());
        try {
          self->decoder_.feed(std::string_view(self->rbuf_.data(), n));
          while (auto body = self->decoder_.next_frame()) {
            self->on_message(proto::parse_server_message(*body));
            if (self->done_) return;
          }
        } catch (const std::exception& e) {
          return self->fail(std::string("bad frame from server: ") + e.what());
        }
        self->do_read();
      });
}

Clock::time_point SimCart::due(std::uint64_t sequence) const {
  return t0_ + bench_.chunk_period * static_cast<std::int64_t>(sequence + 1);
}

void SimCart::on_message(const pb::ServerMessage& m) {
  Totals& t = bench_.totals;
  const Source& src = bench_.src;
  if (m.has_error()) {
    if (m.error().fatal()) {
      return fail("server error " + std::string(proto::code_name(m.error().code())) + ": " +
                  m.error().message());
    }
    return;
  }
  if (m.has_hello_ack()) {
    ++t.connected;
    t.hello_ms.push_back(static_cast<float>(seconds_since(started_at_) * 1000.0));
    if (mode_ == Mode::hello_only) {
      return finish();
    }
    pb::CartMessage start;
    pb::StudyStart* s = start.mutable_study_start();
    s->set_study_uid(uid_);
    for (const auto& lead : src.leads) s->add_leads(lead);
    s->set_sample_rate_hz(src.rate_hz);
    s->set_resolution_nv_per_lsb(src.resolution_nv);
    s->set_expected_samples_per_lead(src.per_lead);
    s->mutable_acquired_at()->set_unix_ms(storage::now_unix_ms());
    s->mutable_acquired_at()->set_clock("cart");
    send(proto::encode_frame(start));
    return;
  }
  if (m.has_study_started()) {
    sent_at_.assign(src.n_chunks, Clock::time_point{});
    acked_.assign(src.n_chunks, false);
    // Spread the carts' chunk instants evenly over one period, as independent carts would be.
    const auto phase = bench_.chunk_period * static_cast<std::int64_t>(index_) /
                       static_cast<std::int64_t>(std::max<std::size_t>(1, t.carts));
    t0_ = Clock::now() + phase;
    counted_streaming_ = true;
    ++t.streaming;
    t.peak_streaming = std::max(t.peak_streaming, t.streaming);
    if (t.streaming == t.carts && !t.all_streaming_at) t.all_streaming_at = Clock::now();
    pump();
    return;
  }
  if (m.has_chunk_ack()) {
    const std::uint64_t seq = m.chunk_ack().sequence();
    if (seq < acked_.size() && !acked_[seq] && seq < next_seq_) {
      acked_[seq] = true;
      ++t.chunks_acked;
      const auto now = Clock::now();
      t.ack_ms.push_back(
          static_cast<float>(std::chrono::duration<double, std::milli>(now - sent_at_[seq]).count()));
      t.ack_sent_at.push_back(sent_at_[seq]);
      t.last_ack = now;
      while (acked_next_ < acked_.size() && acked_[acked_next_]) ++acked_next_;
      pump();
    }
    return;
  }
  if (m.has_study_ack()) {
    if (m.study_ack().complete()) {
      ++t.completed;
    } else {
      return fail("study not complete: " + m.study_ack().detail());
    }
    return finish();
  }
}

void SimCart::pump() {
  if (done_) return;
  Totals& t = bench_.totals;
  const Source& src = bench_.src;
  while (next_seq_ < src.n_chunks) {
    const auto now = Clock::now();
    if (!bench_.saturate && now < due(next_seq_)) break;
    if (next_seq_ - acked_next_ >= bench_.window) {
      if (!bench_.saturate) ++t.window_stalls;
      return;  // an ack will pump again
    }
    sent_at_[next_seq_] = now;
    if (!t.any_chunk) {
      t.any_chunk = true;
      t.first_chunk_sent = now;
    }
    ++t.chunks_sent;
    send(src.chunk_frame(uid_, next_seq_));
    ++next_seq_;
  }
  if (next_seq_ < src.n_chunks) {
    if (!timer_armed_) {
      timer_armed_ = true;
      timer_.expires_at(due(next_seq_));
      timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
        self->timer_armed_ = false;
        if (!ec) self->pump();
      });
    }
    return;
  }
  if (!end_sent_ && acked_next_ == src.n_chunks) {
    end_sent_ = true;
    pb::CartMessage end;
    pb::StudyEnd* e = end.mutable_study_end();
    e->set_study_uid(uid_);
    e->set_total_chunks(src.n_chunks);
    e->set_total_samples_per_lead(src.per_lead);
    e->set_samples_crc32(src.crc);
    send(proto::encode_frame(end));
    if (!t.first_end_at) t.first_end_at = Clock::now();
    if (counted_streaming_) {
      counted_streaming_ = false;
      --t.streaming;
    }
  }
}

// Runs N carts of `mode` on one thread until all have finished (or the deadline passes).
// Returns the client thread's CPU seconds.
double run_carts(Bench& bench, ssl::context& ctx, tcp::endpoint endpoint, SimCart::Mode mode,
                 std::size_t n, std::chrono::seconds deadline) {
  asio::io_context io(1);
  double cpu = 0;
  std::thread client([&] {
    const double cpu0 = thread_cpu_s();
    for (std::size_t i = 0; i < n; ++i) {
      std::make_shared<SimCart>(io, ctx, bench, i, mode)->start(endpoint);
    }
    io.run_for(deadline);
    cpu = thread_cpu_s() - cpu0;
  });
  client.join();
  return cpu;
}

// --- the floor -------------------------------------------------------------------------------

struct TlsFloor {
  double bytes_per_s = 0;
  std::string cipher;
};

// One TLS stream over loopback: a writer sends the chunk frames as fast as it can, a reader
// decrypts and discards them. Each end on its own thread, as client and server are in the run.
TlsFloor measure_tls_floor(const ingest::TlsFiles& files, const std::string& fingerprint,
                           const Source& src, double seconds) {
  auto server_ctx = ingest::make_server_tls_context(files);
  auto client_ctx = ingest::make_cart_tls_context("", fingerprint);
  asio::io_context sio;
  tcp::acceptor acceptor(sio, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto endpoint = acceptor.local_endpoint();
  std::atomic<std::uint64_t> received{0};
  Clock::time_point first_byte{};
  Clock::time_point last_byte{};
  std::thread reader([&] {
    ssl::stream<tcp::socket> s(sio, *server_ctx);
    acceptor.accept(s.next_layer());
    s.handshake(ssl::stream_base::server);
    std::vector<char> buf(64 * 1024);
    boost::system::error_code ec;
    bool first = true;
    for (;;) {
      const std::size_t n = s.read_some(asio::buffer(buf), ec);
      if (ec) break;
      if (first) {
        first_byte = Clock::now();
        first = false;
      }
      received += n;
      last_byte = Clock::now();
    }
  });
  TlsFloor out;
  {
    asio::io_context cio;
    ssl::stream<tcp::socket> c(cio, *client_ctx);
    c.next_layer().connect(endpoint);
    c.next_layer().set_option(tcp::no_delay(true));
    c.handshake(ssl::stream_base::client);
    out.cipher = SSL_get_cipher_name(c.native_handle());
    std::string batch;  // a cart's frames go out a few at a time; write 16 per call
    for (std::uint64_t seq = 0; seq < std::min<std::uint64_t>(16, src.n_chunks); ++seq) {
      batch += src.chunk_frame("bench-floor-0000", seq);
    }
    const auto start = Clock::now();
    while (seconds_since(start) < seconds) {
      asio::write(c, asio::buffer(batch));
    }
    boost::system::error_code ignored;
    c.next_layer().shutdown(tcp::socket::shutdown_send, ignored);
    reader.join();
  }
  const double elapsed = std::chrono::duration<double>(last_byte - first_byte).count();
  out.bytes_per_s = elapsed > 0 ? static_cast<double>(received.load()) / elapsed : 0;
  return out;
}

// The same chunk rows into SQLite alone (synchronous=FULL, WAL) in group commits of `batch`.
double measure_sqlite_floor_chunks_per_s(const fs::path& dir, const Source& src, std::size_t batch,
                                         double seconds) {
  const fs::path db = dir / "floor.db";
  storage::OpenOptions options;
  options.quick_check = false;
  auto store = storage::Store::open(db, options);
  const auto device = store->add_device("bench floor", "bench-floor");
  constexpr std::size_t kStudies = 256;
  std::vector<std::int64_t> ids;
  for (std::size_t i = 0; i < kStudies; ++i) {
    storage::StudyHeader h;
    h.device_id = device.device_id;
    h.study_uid = "floor-" + std::to_string(i);
    h.leads = src.leads;
    h.sample_rate_hz = src.rate_hz;
    h.resolution_nv_per_lsb = src.resolution_nv;
    ids.push_back(store->begin_study(h).study_id);
  }
  std::vector<storage::Chunk> chunks(src.n_chunks);
  const std::size_t n_leads = src.leads.size();
  for (std::uint64_t seq = 0; seq < src.n_chunks; ++seq) {
    chunks[seq].sequence = seq;
    chunks[seq].first_sample_index = seq * src.per_chunk;
    const std::uint64_t first = seq * src.per_chunk;
    const std::uint64_t last = std::min(src.per_lead, first + src.per_chunk);
    chunks[seq].samples.assign(src.interleaved.begin() + static_cast<std::ptrdiff_t>(first * n_leads),
                               src.interleaved.begin() + static_cast<std::ptrdiff_t>(last * n_leads));
  }
  std::vector<std::uint64_t> next(kStudies, 0);
  std::size_t cursor = 0;
  std::uint64_t stored = 0;
  const auto start = Clock::now();
  while (seconds_since(start) < seconds) {
    std::vector<std::pair<std::int64_t, storage::Chunk>> rows;
    rows.reserve(batch);
    for (std::size_t i = 0; i < batch; ++i) {
      const std::size_t study = cursor++ % kStudies;
      if (next[study] >= src.n_chunks) continue;  // that study is full
      rows.emplace_back(ids[study], chunks[next[study]++]);
    }
    if (rows.empty()) break;
    stored += store->append_chunks_each(rows).size();
  }
  return static_cast<double>(stored) / seconds_since(start);
}

// --- registration -------------------------------------------------------------------------

std::vector<storage::NewDevice> register_devices(storage::Store& store, std::size_t n,
                                                 const std::string& tag) {
  std::vector<storage::NewDevice> out(n);
  std::atomic<std::size_t> next{0};
  std::vector<std::thread> workers;
  const unsigned n_threads = std::max(1u, std::thread::hardware_concurrency());
  for (unsigned w = 0; w < n_threads; ++w) {
    workers.emplace_back([&] {
      for (std::size_t i = next++; i < n; i = next++) {
        std::ostringstream id;
        id << "bench-" << tag << "-" << std::setw(5) << std::setfill('0') << i;
        out[i] = store.add_device("bench clinic", id.str());
      }
    });
  }
  for (auto& w : workers) w.join();
  return out;
}

}  // namespace

IngestBenchResult run_ingest_bench(const IngestBenchOptions& o, std::ostream& out) {
  if (o.carts < 1 || o.carts > 50'000) throw std::invalid_argument("carts must be 1..50000");
  if (o.duration_s < 1 || o.duration_s > 3600) throw std::invalid_argument("duration must be 1..3600 s");
  if (o.chunk_ms < 10 || o.chunk_ms > 10'000) throw std::invalid_argument("chunk must be 10..10000 ms");
  if (o.window < 1) throw std::invalid_argument("window must be at least 1");
  IngestBenchResult result;
  const bool postgresql = !o.db.empty();
  if (postgresql && !storage::is_postgresql_uri(o.db)) {
    throw std::invalid_argument("--db takes a postgresql:// URI (SQLite: a fresh file is made)");
  }

  // Each cart holds two sockets' worth of descriptors in this process (its own and the server's).
  rlimit lim{};
  ::getrlimit(RLIMIT_NOFILE, &lim);
  const rlim_t needed = static_cast<rlim_t>(o.carts) * 2 + 256;
  if (lim.rlim_cur < needed) {
    lim.rlim_cur = std::min(needed, lim.rlim_max);
    ::setrlimit(RLIMIT_NOFILE, &lim);
    ::getrlimit(RLIMIT_NOFILE, &lim);
    if (lim.rlim_cur < needed) {
      throw std::runtime_error(std::to_string(o.carts) + " carts need " + std::to_string(needed) +
                               " file descriptors; the hard limit is " + std::to_string(lim.rlim_max));
    }
  }

  std::random_device rd;
  const std::string tag = std::to_string(rd() % 100000);
  const fs::path dir = o.keep_dir.empty() ? fs::temp_directory_path() / ("gc-bench-ingest-" + tag)
                                        : fs::path(o.keep_dir);
  fs::create_directories(dir);
  out << "bench ingest: " << o.carts << " carts, " << o.duration_s << " s of 12-lead 500 Hz each, "
            << o.chunk_ms << " ms chunks, " << (o.saturate ? "saturating (not paced)" : "real time")
            << ", TLS, database "
            << (postgresql ? o.db + " (synchronous_commit on)"
                           : (dir / "bench.db").string() + " (WAL, synchronous=FULL)")
            << std::endl;

  const Source src = make_source(o.duration_s, o.chunk_ms);
  const double frame_bytes = static_cast<double>(src.chunk_frame("bench-00000-0000", 0).size());
  out << "  record: " << src.leads.size() << " leads × " << src.per_lead << " samples, "
            << src.n_chunks << " chunks of " << src.per_chunk << " samples/lead, ~" << frame_bytes
            << " bytes per chunk frame" << std::endl;

  storage::OpenOptions open_options;
  open_options.quick_check = false;
  open_options.audit_actor = "bench";
  auto store = storage::Store::open(postgresql ? fs::path(o.db) : dir / "bench.db", open_options);
  Bench bench{src, {}, {}, o.saturate, std::chrono::milliseconds(o.chunk_ms), o.window, tag};
  {
    const auto t = Clock::now();
    bench.devices = register_devices(*store, o.carts, tag);
    out << "  registered " << o.carts << " devices in " << std::fixed << std::setprecision(1)
              << seconds_since(t) << " s (PBKDF2-SHA256 100,000 iterations each, all cores)"
              << std::endl;
  }

  const ingest::TlsFiles tls_files{dir / "tls" / "server.crt", dir / "tls" / "server.key"};
  ingest::ensure_server_certificate(tls_files);
  const std::string fingerprint = ingest::certificate_fingerprint_sha256(tls_files.certificate);
  auto client_ctx = ingest::make_cart_tls_context("", fingerprint);

  ingest::ServerConfig config;
  config.tls = ingest::make_server_tls_context(tls_files);
  config.max_connections = o.carts + 64;
  config.max_connections_per_address = o.carts + 64;  // every simulated cart is on loopback
  config.handshake_timeout = std::chrono::seconds(30);
  asio::io_context server_io;
  ingest::Server server(server_io, config, *store);
  server.start();
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), server.port());
  auto server_work = asio::make_work_guard(server_io);
  const unsigned n_server_threads =
      o.server_threads != 0 ? o.server_threads : std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> server_pool;
  for (unsigned i = 0; i < n_server_threads; ++i) {
    server_pool.emplace_back([&server_io] { server_io.run(); });
  }

  // Phase 2: the cold hello storm.
  Totals cold;
  double cold_s = 0;
  {
    bench.totals = Totals{};
    bench.totals.carts = o.carts;
    const auto t = Clock::now();
    run_carts(bench, *client_ctx, endpoint, SimCart::Mode::hello_only, o.carts,
              std::chrono::seconds(600));
    cold_s = seconds_since(t);
    cold = std::move(bench.totals);
    std::sort(cold.hello_ms.begin(), cold.hello_ms.end());
    out << "  cold hello storm (after a restart: every hello pays PBKDF2 on the auth threads): "
              << cold.connected << "/" << o.carts << " authenticated in " << std::setprecision(1)
              << cold_s << " s (" << std::setprecision(0)
              << static_cast<double>(cold.connected) / std::max(cold_s, 1e-9)
              << " hellos/s); hello latency p50 " << std::setprecision(1)
              << percentile(cold.hello_ms, 0.5) / 1000 << " s, max "
              << (cold.hello_ms.empty() ? 0 : cold.hello_ms.back() / 1000) << " s" << std::endl;
    for (const auto& e : cold.errors) out << "    " << e << std::endl;
  }

  // Phase 3: streaming. Everyone reconnects at once (warm: credential cache hit).
  const ingest::ServerStats before = server.stats();
  const double cpu0 = process_cpu_s();
  const auto stream_start = Clock::now();
  bench.totals = Totals{};
  bench.totals.carts = o.carts;
  const auto stream_deadline =
      std::chrono::seconds(static_cast<std::int64_t>(o.saturate ? 600 : o.duration_s + 300));
  const double client_cpu =
      run_carts(bench, *client_ctx, endpoint, SimCart::Mode::stream, o.carts, stream_deadline);
  const double stream_wall_s = seconds_since(stream_start);
  const double process_cpu = process_cpu_s() - cpu0;
  const double rss_mib = proc_status_mib("VmRSS");
  const double hwm_mib = proc_status_mib("VmHWM");
  const ingest::ServerStats after = server.stats();
  Totals& run = bench.totals;
  std::sort(run.hello_ms.begin(), run.hello_ms.end());
  std::vector<float> steady_ms;
  std::vector<float> ramp_ms;  // sent before every cart was streaming (the reconnect storm)
  std::vector<float> tail_ms;  // sent after the first cart ended its study (end-of-study burst)
  double steady_window_s = 0;
  if (run.all_streaming_at && run.first_end_at && *run.first_end_at > *run.all_streaming_at) {
    steady_window_s =
        std::chrono::duration<double>(*run.first_end_at - *run.all_streaming_at).count();
    for (std::size_t i = 0; i < run.ack_ms.size(); ++i) {
      if (run.ack_sent_at[i] < *run.all_streaming_at) {
        ramp_ms.push_back(run.ack_ms[i]);
      } else if (run.ack_sent_at[i] < *run.first_end_at) {
        steady_ms.push_back(run.ack_ms[i]);
      } else {
        tail_ms.push_back(run.ack_ms[i]);
      }
    }
  }
  // Ack p99 per 5 s of the run (by send time): shows where in the run the tail is.
  std::vector<std::vector<float>> by_window;
  if (run.any_chunk) {
    for (std::size_t i = 0; i < run.ack_ms.size(); ++i) {
      const auto w = static_cast<std::size_t>(
          std::max(0.0, std::chrono::duration<double>(run.ack_sent_at[i] - run.first_chunk_sent)
                            .count()) /
          5.0);
      if (by_window.size() <= w) by_window.resize(w + 1);
      by_window[w].push_back(run.ack_ms[i]);
    }
  }
  std::ostringstream windows_text;
  windows_text << std::fixed << std::setprecision(0);
  for (std::size_t w = 0; w < by_window.size(); ++w) {
    std::sort(by_window[w].begin(), by_window[w].end());
    windows_text << (w == 0 ? "" : ", ") << w * 5 << "-" << (w + 1) * 5 << " s: "
                 << percentile(by_window[w], 0.99);
  }
  std::sort(steady_ms.begin(), steady_ms.end());
  std::sort(ramp_ms.begin(), ramp_ms.end());
  std::sort(tail_ms.begin(), tail_ms.end());
  std::sort(run.ack_ms.begin(), run.ack_ms.end());

  // Stop the server cleanly (the analyses of the completed studies finish first).
  server.stop();
  server_work.reset();
  for (auto& t : server_pool) t.join();
  server.finish();

  // Phase 4: verification against the source.
  std::uint64_t stored_chunks = 0;
  std::uint64_t stored_sample_bytes = 0;
  std::size_t studies_complete = 0;
  std::size_t studies_exact = 0;
  std::size_t studies_missing = 0;
  std::uint64_t doubled = 0;
  for (std::size_t i = 0; i < o.carts; ++i) {
    const auto state =
        store->find_study(bench.devices[i].device_id, "bench-" + tag + "-" + std::to_string(i));
    if (!state) {
      ++studies_missing;
      continue;
    }
    stored_chunks += state->next_sequence;
    if (state->received_samples_per_lead > state->next_sequence * src.per_chunk) ++doubled;
    if (state->complete) ++studies_complete;
    const auto samples = store->load_samples(state->study_id);
    for (const auto& lead : samples.samples) stored_sample_bytes += lead.size() * 4;
    if (samples.samples == src.by_lead) ++studies_exact;
  }
  const std::uint64_t lost = run.chunks_acked > stored_chunks ? run.chunks_acked - stored_chunks : 0;

  // Phase 5: the floor.
  const double window_s = run.any_chunk ? std::chrono::duration<double>(run.last_ack -
                                                                         run.first_chunk_sent)
                                              .count()
                                        : 0;
  const std::uint64_t chunks_in_run = after.chunks_stored - before.chunks_stored;
  const std::uint64_t commits_in_run = after.commits - before.commits;
  const double mean_batch =
      commits_in_run > 0 ? static_cast<double>(chunks_in_run) / static_cast<double>(commits_in_run)
                         : 1;
  const double achieved_chunks_per_s =
      window_s > 0 ? static_cast<double>(chunks_in_run) / window_s : 0;
  const double achieved_bytes_per_s = achieved_chunks_per_s * frame_bytes;
  const TlsFloor tls = measure_tls_floor(tls_files, fingerprint, src, o.floor_s);
  // The database floor: SQLite through the Store alone; PostgreSQL straight into the engine
  // (multi-row INSERTs, gc/write_floor.hpp), the same rows and commit size.
  double sqlite_chunks_per_s = 0;
  if (postgresql) {
    std::vector<std::vector<std::int32_t>> rows;
    const std::size_t n_leads = src.leads.size();
    for (std::uint64_t seq = 0; seq < src.n_chunks; ++seq) {
      const std::uint64_t first = seq * src.per_chunk;
      const std::uint64_t last = std::min(src.per_lead, first + src.per_chunk);
      rows.emplace_back(src.interleaved.begin() + static_cast<std::ptrdiff_t>(first * n_leads),
                        src.interleaved.begin() + static_cast<std::ptrdiff_t>(last * n_leads));
    }
    sqlite_chunks_per_s =
        storage::measure_postgresql_write_floor(o.db, n_leads, rows, o.floor_batch, o.floor_s)
            .rows_per_s();
  } else {
    sqlite_chunks_per_s = measure_sqlite_floor_chunks_per_s(dir, src, o.floor_batch, o.floor_s);
  }
  const double sqlite_bytes_per_s = sqlite_chunks_per_s * frame_bytes;
  const double floor_bytes_per_s =
      tls.bytes_per_s > 0 && sqlite_bytes_per_s > 0
          ? 1.0 / (1.0 / tls.bytes_per_s + 1.0 / sqlite_bytes_per_s)
          : 0;
  const double ratio = floor_bytes_per_s > 0 ? achieved_bytes_per_s / floor_bytes_per_s : 0;

  const double p50 = percentile(run.ack_ms, 0.5);
  const double p99 = percentile(run.ack_ms, 0.99);
  const double max_ms = run.ack_ms.empty() ? 0 : run.ack_ms.back();
  out << std::setprecision(1) << "  warm reconnect storm (credential cache hit): "
            << run.connected << "/" << o.carts << " connected; hello latency p50 "
            << percentile(run.hello_ms, 0.5) << " ms, p99 " << percentile(run.hello_ms, 0.99)
            << " ms, max " << (run.hello_ms.empty() ? 0 : run.hello_ms.back()) << " ms\n"
            << "  streaming: peak " << run.peak_streaming << " carts streaming at once; "
            << run.completed << " studies complete, " << run.failed << " carts failed; wall "
            << stream_wall_s << " s\n"
            << "  chunks: sent " << run.chunks_sent << ", acked " << run.chunks_acked << ", stored "
            << stored_chunks << " (" << std::setprecision(0) << mean_batch
            << " chunks per group commit on average, " << commits_in_run << " commits)"
            << "; window stalls " << run.window_stalls << "\n"
            << std::setprecision(1) << (postgresql ? "  group commit (PostgreSQL transaction, synchronous_commit on): mean " : "  group commit (SQLite transaction incl. fsync): mean ")
            << 1000.0 * (after.commit_latency.sum_s - before.commit_latency.sum_s) /
                   static_cast<double>(std::max<std::uint64_t>(1, commits_in_run))
            << " ms\n"
            << "  ack latency, every chunk (incl. the reconnect storm and the end-of-study burst): p50 "
            << p50 << " ms, p99 " << p99 << " ms, max " << max_ms << " ms\n"
            << "  ack latency, steady state (all " << o.carts
            << " carts streaming: from the last StudyStarted to the first StudyEnd, "
            << steady_window_s << " s, " << steady_ms.size() << " chunks): p50 "
            << percentile(steady_ms, 0.5) << " ms, p99 " << percentile(steady_ms, 0.99)
            << " ms, max " << (steady_ms.empty() ? 0 : steady_ms.back()) << " ms\n"
            << "    outside it: during the reconnect storm " << ramp_ms.size() << " chunks, p99 "
            << percentile(ramp_ms, 0.99) << " ms, max " << (ramp_ms.empty() ? 0 : ramp_ms.back())
            << " ms; after the first study end " << tail_ms.size() << " chunks, p99 "
            << percentile(tail_ms, 0.99) << " ms, max " << (tail_ms.empty() ? 0 : tail_ms.back())
            << " ms\n"
            << "  ack p99 (ms) by 5 s of the run: " << windows_text.str() << "\n"
            << "  group commits slower than 25 / 50 / 100 ms: "
            << slow_commits(before.commit_latency, after.commit_latency, 0.025) << " / "
            << slow_commits(before.commit_latency, after.commit_latency, 0.05) << " / "
            << slow_commits(before.commit_latency, after.commit_latency, 0.1) << "\n"
            << "  loss: " << lost << " acknowledged chunks missing, " << doubled
            << " studies with a chunk stored twice, " << studies_missing << " studies missing; "
            << studies_exact << "/" << o.carts << " studies equal the source bit for bit ("
            << studies_complete << " complete, " << stored_sample_bytes / (1024 * 1024)
            << " MiB of samples)\n"
            << "  CPU: " << process_cpu << " s in " << stream_wall_s << " s ("
            << std::setprecision(0) << 100 * process_cpu / std::max(stream_wall_s, 1e-9)
            << " % of one core; the carts' event loop " << std::setprecision(1) << client_cpu
            << " s, server ≈ " << process_cpu - client_cpu << " s); RSS " << rss_mib
            << " MiB (peak " << hwm_mib << " MiB, carts and server together)\n"
            << "  throughput: " << std::setprecision(0) << achieved_chunks_per_s
            << " chunks/s stored = " << std::setprecision(2) << achieved_bytes_per_s / 1e6
            << " MB/s of chunk frames (" << static_cast<double>(run.bytes_sent) /
                                                std::max(window_s, 1e-9) / 1e6
            << " MB/s sent incl. control frames)\n"
            << std::setprecision(1) << "  floor: TLS one stream (" << tls.cipher << ") "
            << tls.bytes_per_s / 1e6
            << (postgresql ? " MB/s; PostgreSQL alone (multi-row INSERT, synchronous_commit on), "
                             "commits of "
                           : " MB/s; SQLite synchronous=FULL, group commits of ")
            << o.floor_batch << ": "
            << sqlite_chunks_per_s << " chunks/s = " << std::setprecision(1)
            << sqlite_bytes_per_s / 1e6 << " MB/s; floor = 1/(1/tls + 1/database) = "
            << floor_bytes_per_s / 1e6 << " MB/s\n"
            << std::setprecision(3) << "  achieved / floor = " << ratio
            << (o.saturate ? "" : " (real time: achieved is the offered load, not the maximum)")
            << std::endl;
  const bool pass = lost == 0 && doubled == 0 && studies_exact == o.carts && run.failed == 0;
  result.figures = boost::json::object{
      {"carts", o.carts},
      {"duration_s", o.duration_s},
      {"saturate", o.saturate},
      {"cold_storm_s", cold_s},
      {"cold_storm_authenticated", cold.connected},
      {"warm_hello_p99_ms", percentile(run.hello_ms, 0.99)},
      {"peak_streaming", run.peak_streaming},
      {"studies_complete", studies_complete},
      {"studies_exact", studies_exact},
      {"chunks_sent", run.chunks_sent},
      {"chunks_acked", run.chunks_acked},
      {"chunks_stored", stored_chunks},
      {"lost", lost},
      {"doubled", doubled},
      {"ack_p50_ms", p50},
      {"ack_p99_ms", p99},
      {"ack_max_ms", max_ms},
      {"steady_window_s", steady_window_s},
      {"steady_chunks", steady_ms.size()},
      {"steady_ack_p50_ms", percentile(steady_ms, 0.5)},
      {"steady_ack_p99_ms", percentile(steady_ms, 0.99)},
      {"steady_ack_max_ms", steady_ms.empty() ? 0.0 : static_cast<double>(steady_ms.back())},
      {"ramp_chunks", ramp_ms.size()},
      {"ramp_ack_p99_ms", percentile(ramp_ms, 0.99)},
      {"end_chunks", tail_ms.size()},
      {"end_ack_p99_ms", percentile(tail_ms, 0.99)},
      {"cold_storm_hellos_per_s", static_cast<double>(cold.connected) / std::max(cold_s, 1e-9)},
      {"cpu_s", process_cpu},
      {"client_cpu_s", client_cpu},
      {"rss_mib", rss_mib},
      {"achieved_bytes_per_s", achieved_bytes_per_s},
      {"tls_floor_bytes_per_s", tls.bytes_per_s},
      {postgresql ? "postgresql_floor_bytes_per_s" : "sqlite_floor_bytes_per_s", sqlite_bytes_per_s},
      {"database", postgresql ? "postgresql" : "sqlite"},
      {"floor_bytes_per_s", floor_bytes_per_s},
      {"ratio", ratio},
      {"pass", pass}};
  result.pass = pass;
  result.lost = lost;
  result.doubled = doubled;
  result.studies_exact = studies_exact;
  result.ack_p99_ms = p99;
  store.reset();
  if (o.keep_dir.empty()) {
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  }
  return result;
}

}  // namespace gc::loadgen
