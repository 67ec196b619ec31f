// tls — TLS for the cart protocol (Asio SSL over OpenSSL, TLS 1.2+): the server's certificate
// (created on first start when none is configured: an EC P-256 key and a self-signed
// certificate), its SHA-256 fingerprint for pinning, and the contexts for server and cart.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/ssl/context.hpp>

namespace gc::ingest {

struct TlsFiles {
  std::filesystem::path certificate;  // PEM
  std::filesystem::path private_key;  // PEM, mode 0600
};

// Creates `files` (key + self-signed certificate for localhost / 127.0.0.1, valid 10 years) unless
// both exist. Returns true when it created them. Throws std::runtime_error naming the file.
bool ensure_server_certificate(const TlsFiles& files);

// "AB:CD:..." — SHA-256 over the DER certificate, as `openssl x509 -fingerprint -sha256` prints.
std::string certificate_fingerprint_sha256(const std::filesystem::path& certificate_pem);

// Server context: TLS 1.2+, the given certificate and key. With `client_ca_file` (PEM) set, mutual
// TLS: every client must present a certificate signed by that CA (verify_peer |
// verify_fail_if_no_peer_cert), else its handshake fails and nothing it sends is read.
std::shared_ptr<boost::asio::ssl::context> make_server_tls_context(
    const TlsFiles& files, const std::string& client_ca_file = {});

// Cart context: TLS 1.2+, the server verified by `ca_file` (PEM) if given, by the pinned SHA-256
// fingerprint if given (colons and case ignored), else by the system's trust store. With
// `client` set (certificate + key, PEM), the cart presents that certificate (mutual TLS).
std::shared_ptr<boost::asio::ssl::context> make_cart_tls_context(
    const std::string& ca_file, const std::string& pinned_sha256,
    const std::optional<TlsFiles>& client = std::nullopt);

// Normalises a fingerprint for comparison: hex digits only, upper case.
std::string normalize_fingerprint(const std::string& text);

}  // namespace gc::ingest
