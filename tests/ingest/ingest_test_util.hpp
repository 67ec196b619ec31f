// Test helpers for the ingest server: a server on an ephemeral loopback port with a temporary
// database, and a raw protocol client for hostile and out-of-order input.
#pragma once

#include <sys/socket.h>
#include <sys/time.h>

#include <atomic>
#include <boost/asio.hpp>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gc/cart_client.hpp"
#include "gc/framing.hpp"
#include "gc/ingest.hpp"
#include "gc/storage.hpp"
#include "gc/synth.hpp"
#include "storage/storage_test_util.hpp"

namespace gc::test {

namespace asio = boost::asio;
namespace pb = proto::pb;
namespace fs = std::filesystem;

inline fs::path unique_temp_dir(const std::string& prefix) {
  std::random_device rd;
  const fs::path dir = fs::temp_directory_path() /
                       (prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  fs::create_directories(dir);
  return dir;
}

// A synthetic 12-lead study as a cart sends it (synth's integers exactly): a man of 60 with chest
// pain, acquired at a fixed time (a real cart's acquisition time does not change on a resend).
inline ingest::CartStudy cart_study(const std::string& uid, const synth::Spec& spec) {
  const synth::Synthesized s = synth::generate(spec);
  ingest::CartStudy study;
  study.study_uid = uid;
  study.leads = s.lead_names;
  study.sample_rate_hz = static_cast<std::uint32_t>(s.sample_rate_hz);
  study.resolution_nv_per_lsb = s.resolution_uv_per_lsb * 1000.0;
  study.samples = s.samples_adu;
  study.age_years = 60;
  study.sex = "M";
  study.chest_pain = true;
  study.acquired_at_unix_ms = 1'795'000'000'000;
  return study;
}

// A server on 127.0.0.1:<ephemeral> with a fresh database, run on one background thread. The
// database is a SQLite file in a temporary directory, or (Backend::postgresql) a fresh database
// in the test binary's throwaway PostgreSQL cluster (tests/pg_cluster.hpp): the cases that hold
// the exactly-once guarantees run on both (`TestServer server({}, {}, GC_BACKENDS)`).
class TestServer {
 public:
  using Backend = storage::test::Backend;
  explicit TestServer(ingest::ServerConfig config = {},
                      const std::function<void(storage::Store&)>& before_start = {},
                      Backend backend = Backend::sqlite)
      : dir_(unique_temp_dir("gc-ingest")) {
    if (backend == Backend::postgresql) pg_db_.emplace(backend);
    store_ = storage::Store::open(db_path());
    if (before_start) before_start(*store_);
    config.log = [this](std::string_view line) {
      std::lock_guard lock(log_mutex_);
      log_.emplace_back(line);
    };
    server_ = std::make_unique<ingest::Server>(io_, config, *store_);
    server_->start();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~TestServer() {
    stop();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  void stop() {
    if (!server_) return;
    server_->stop();
    thread_.join();
    server_->finish();
    server_.reset();
  }
  std::uint16_t port() const { return server_->port(); }
  storage::Store& store() { return *store_; }
  // The database as Store::open takes it: the SQLite file, or the PostgreSQL URI.
  fs::path db_path() const { return pg_db_ ? pg_db_->location() : dir_ / "test.db"; }
  ingest::Server& server() { return *server_; }
  std::vector<std::string> log() {
    std::lock_guard lock(log_mutex_);
    return log_;
  }
  // A registered device: {id, secret}.
  storage::NewDevice add_device(const std::string& id = "") {
    return store_->add_device("test clinic", id);
  }

 private:
  fs::path dir_;
  std::optional<storage::test::TestDb> pg_db_;
  std::unique_ptr<storage::Store> store_;
  asio::io_context io_;
  std::unique_ptr<ingest::Server> server_;
  std::thread thread_;
  std::mutex log_mutex_;
  std::vector<std::string> log_;
};

// A blocking client speaking raw frames, with a receive timeout so a test never hangs.
class RawClient {
 public:
  explicit RawClient(std::uint16_t port, int receive_timeout_ms = 5000) : socket_(io_) {
    socket_.connect({asio::ip::make_address("127.0.0.1"), port});
    timeval tv{};
    tv.tv_sec = receive_timeout_ms / 1000;
    tv.tv_usec = (receive_timeout_ms % 1000) * 1000;
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }

  void send_bytes(const std::string& bytes) { asio::write(socket_, asio::buffer(bytes)); }
  void send(const pb::CartMessage& m) { send_bytes(proto::encode_frame(m)); }

  // The next message, or nullopt when the server closed the connection (or the timeout hit).
  std::optional<pb::ServerMessage> read() {
    for (;;) {
      if (auto body = decoder_.next_frame()) return proto::parse_server_message(*body);
      char buffer[8192];
      boost::system::error_code ec;
      const std::size_t n = socket_.read_some(asio::buffer(buffer), ec);
      if (ec) {
        closed_ = ec == asio::error::eof || ec == asio::error::connection_reset;
        return std::nullopt;
      }
      decoder_.feed(std::string_view(buffer, n));
    }
  }
  // Reads until a message satisfying `pred` (skipping others); nullopt on close.
  template <class Pred>
  std::optional<pb::ServerMessage> read_until(Pred pred) {
    while (auto m = read()) {
      if (pred(*m)) return m;
    }
    return std::nullopt;
  }
  std::optional<pb::Error> read_error() {
    auto m = read_until([](const pb::ServerMessage& s) { return s.has_error(); });
    if (!m) return std::nullopt;
    return m->error();
  }
  // True when the server closed the connection (reads EOF after draining what it sent).
  bool closed_by_server() {
    while (read()) {
    }
    return closed_;
  }

 private:
  asio::io_context io_;
  asio::ip::tcp::socket socket_;
  proto::FrameDecoder decoder_;
  bool closed_ = false;
};

inline pb::CartMessage hello(const std::string& device, const std::string& secret) {
  pb::CartMessage m;
  auto* h = m.mutable_hello();
  h->set_protocol_version(1);
  h->set_device_id(device);
  h->set_credential(secret);
  h->mutable_device_clock()->set_unix_ms(storage::now_unix_ms() - 1500);
  h->mutable_device_clock()->set_clock("cart");
  return m;
}

inline pb::CartMessage study_start(const std::string& uid, int n_leads = 3,
                                   std::uint32_t rate = 500) {
  static const char* kLeads[] = {"I", "II", "V1", "V2", "V3", "V4", "V5", "V6"};
  pb::CartMessage m;
  auto* s = m.mutable_study_start();
  s->set_study_uid(uid);
  for (int i = 0; i < n_leads; ++i) s->add_leads(kLeads[i]);
  s->set_sample_rate_hz(rate);
  s->set_resolution_nv_per_lsb(1000);
  s->mutable_acquired_at()->set_unix_ms(1'795'000'000'000);  // fixed: resends must match
  s->mutable_acquired_at()->set_clock("cart");
  return m;
}

// Chunk `sequence` of `per_lead` samples per lead with deterministic values.
inline pb::CartMessage chunk(const std::string& uid, std::uint64_t sequence, int n_leads = 3,
                             int per_lead = 100) {
  pb::CartMessage m;
  auto* c = m.mutable_chunk();
  c->set_study_uid(uid);
  c->set_sequence(sequence);
  c->set_first_sample_index(sequence * static_cast<std::uint64_t>(per_lead));
  for (int k = 0; k < per_lead * n_leads; ++k) {
    c->add_samples(
        static_cast<std::int32_t>((sequence * 7919 + static_cast<std::uint64_t>(k) * 31) % 4001) -
        2000);
  }
  return m;
}

inline std::uint32_t crc_of_chunks(const std::string& uid, std::uint64_t n_chunks, int n_leads = 3,
                                   int per_lead = 100) {
  std::uint32_t crc = 0;
  for (std::uint64_t s = 0; s < n_chunks; ++s) {
    const auto m = chunk(uid, s, n_leads, per_lead);
    const std::vector<std::int32_t> v(m.chunk().samples().begin(), m.chunk().samples().end());
    crc = storage::samples_crc32(v, crc);
  }
  return crc;
}

inline pb::CartMessage study_end(const std::string& uid, std::uint64_t n_chunks,
                                 std::uint64_t per_lead_total, std::uint32_t crc) {
  pb::CartMessage m;
  auto* e = m.mutable_study_end();
  e->set_study_uid(uid);
  e->set_total_chunks(n_chunks);
  e->set_total_samples_per_lead(per_lead_total);
  e->set_samples_crc32(crc);
  return m;
}

}  // namespace gc::test
