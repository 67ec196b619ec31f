// tls — TLS for the cart protocol (Asio SSL over OpenSSL, TLS 1.2+): SHA-256 fingerprints for
// pinning, the contexts for server and cart, and the server certificate's reload while it serves.
// The certificates `serve` makes (the centre's CA and the server certificate it issues) are in
// gc/centre_pki.hpp.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace gc::ingest {

struct TlsFiles {
  std::filesystem::path certificate;  // PEM
  std::filesystem::path private_key;  // PEM, mode 0600
};

// Creates `files` (key + self-signed certificate for localhost / 127.0.0.1, valid 10 years) unless
// both exist. Returns true when it created them. Throws std::runtime_error naming the file. The
// certificate of versions before the centre CA; `serve` now uses gc/centre_pki.hpp, tests and the
// benchmark still use this one.
bool ensure_server_certificate(const TlsFiles& files);

// "AB:CD:..." — SHA-256 over the DER certificate, as `openssl x509 -fingerprint -sha256` prints.
// For a chain file, the first certificate's.
std::string certificate_fingerprint_sha256(const std::filesystem::path& certificate_pem);
std::string certificate_fingerprint_sha256(X509* certificate);

// Server context: TLS 1.2+, the given certificate (chain) and key. With `client_ca_file` (PEM)
// set, mutual TLS: every client must present a certificate signed by that CA (verify_peer |
// verify_fail_if_no_peer_cert), else its handshake fails and nothing it sends is read.
// Every handshake takes the certificate and key current at its start (an SSL_CTX certificate
// callback), so reload_server_certificate replaces them for new connections while connections
// already up keep theirs; the ingest listener and the reading station share the context.
std::shared_ptr<boost::asio::ssl::context> make_server_tls_context(
    const TlsFiles& files, const std::string& client_ca_file = {});

// Reads `files` and, when the key matches the certificate, makes them the context's pair for
// every later handshake; returns the new certificate's fingerprint. Throws std::runtime_error
// (the previous pair stays in use) when a file cannot be read or the key does not match.
std::string reload_server_certificate(boost::asio::ssl::context& server_context,
                                      const TlsFiles& files);

// Watches a server context's files: polls their modification time and size every `interval` and
// reloads when they change (`greenchannel tls renew` replaces them); reload_now() is for SIGHUP.
// A pair caught half-written (new key, old certificate) is retried at the next poll and only
// reported when it stays so. Runs on `io` (any of its threads; its state is under a mutex); stop()
// before the io_context is to run out of work.
class CertificateWatcher {
 public:
  CertificateWatcher(boost::asio::io_context& io,
                     std::shared_ptr<boost::asio::ssl::context> server_context, TlsFiles files,
                     std::chrono::milliseconds interval, std::function<void(std::string_view)> log);
  void start();
  void stop();
  void reload_now();

 private:
  struct Stamp {
    std::filesystem::file_time_type certificate_mtime, key_mtime;
    std::uintmax_t certificate_size = 0, key_size = 0;
    bool operator==(const Stamp&) const = default;
  };
  Stamp stamp() const;
  void poll();
  bool try_reload(bool report_failure);  // with mutex_ held

  boost::asio::steady_timer timer_;
  std::shared_ptr<boost::asio::ssl::context> context_;
  TlsFiles files_;
  std::chrono::milliseconds interval_;
  std::function<void(std::string_view)> log_;
  std::mutex mutex_;  // poll (timer) and reload_now (SIGHUP) may run on different io threads
  std::optional<Stamp> loaded_;  // the files as last loaded
  std::optional<Stamp> failed_;  // the files as they were when a reload last failed
  bool failure_reported_ = false;
  bool stopped_ = false;
};

// Cart context: TLS 1.2+, the server verified by `ca_file` (PEM) if given, by pinned SHA-256
// fingerprints if given, else by the system's trust store. A pin is the fingerprint of a
// certificate the server presents: its CA's (what `serve` prints; survives `tls renew`) or, as
// before the centre CA, the server certificate's own. The server is accepted when its chain
// verifies up to a pinned certificate (signatures, validity dates, CA flags); two pins cover a CA
// change. With `client` set (certificate + key, PEM), the cart presents that certificate.
std::shared_ptr<boost::asio::ssl::context> make_cart_tls_context(
    const std::string& ca_file, const std::vector<std::string>& pins,
    const std::optional<TlsFiles>& client = std::nullopt);
// The same with the pins as one text: comma or space separated (one pin is the common case).
std::shared_ptr<boost::asio::ssl::context> make_cart_tls_context(
    const std::string& ca_file, const std::string& pinned_sha256,
    const std::optional<TlsFiles>& client = std::nullopt);

// "AB:CD:…,ef01…" → normalised pins (64 hex digits each). Throws std::invalid_argument naming a
// pin that is not a SHA-256 fingerprint.
std::vector<std::string> parse_pins(const std::string& text);

// Normalises a fingerprint for comparison: hex digits only, upper case.
std::string normalize_fingerprint(const std::string& text);

}  // namespace gc::ingest
