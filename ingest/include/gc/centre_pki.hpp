// centre_pki — the centre's private certificate authority and the server certificate it issues,
// so a certificate can be renewed without touching a cart: carts pin the CA (SHA-256 of its
// certificate), and `greenchannel tls renew` issues a new server key and certificate signed by
// the same CA while `serve` runs (it reloads them for new handshakes, gc/tls.hpp).
//
// Files in the TLS directory (DB-DIR/tls/ for `serve`), keys mode 0600:
//   ca.key, ca.crt            the CA (EC P-256, 20 years); what carts pin
//   server.key, server.crt    the server's key and its certificate followed by the CA's (chain)
//   ca-next.key, ca-next.crt  a CA prepared for a CA change (`tls new-ca`), not yet in use
//   ca-previous.*             the CA a change replaced, kept for the record
//
// A directory from before the CA (server.crt self-signed with CA:TRUE, the certificate carts
// pinned) is adopted: that certificate becomes the CA, unchanged, so the pin every cart holds
// stays valid, and it is still presented as the server certificate until the first `tls renew`.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "gc/tls.hpp"

namespace gc::ingest {

struct CentrePki {
  std::filesystem::path dir;

  std::filesystem::path ca_certificate() const { return dir / "ca.crt"; }
  std::filesystem::path ca_key() const { return dir / "ca.key"; }
  std::filesystem::path next_ca_certificate() const { return dir / "ca-next.crt"; }
  std::filesystem::path next_ca_key() const { return dir / "ca-next.key"; }
  TlsFiles server() const { return {dir / "server.crt", dir / "server.key"}; }
};

// What one certificate says, for logs and `tls show`.
struct CertificateInfo {
  std::string fingerprint;  // "AB:CD:…", SHA-256 over the DER certificate
  std::string subject;      // one line, e.g. "O=greenchannel, CN=greenchannel server"
  std::string issuer;
  std::int64_t not_after_unix_s = 0;
  std::string not_after;  // 2027-12-03T12:00:00Z
  bool is_ca = false;
  bool self_signed = false;
  std::vector<std::string> names;  // subjectAltName DNS names and IP addresses
};

// Every certificate of a PEM file, in file order (a chain: the leaf first). Throws
// std::runtime_error naming the file when it cannot be read or holds no certificate.
std::vector<CertificateInfo> read_certificates(const std::filesystem::path& pem);

struct PkiSetup {
  bool created_ca = false;      // a new CA was made (first start)
  bool issued_server = false;   // a server certificate was issued from the CA
  bool adopted_legacy = false;  // the self-signed certificate of an older version became the CA
  // True while the server still presents the adopted self-signed certificate (until `tls renew`).
  bool presenting_legacy = false;
};

// `serve` at start: makes the CA and issues the server certificate for `names` (DNS names and IP
// addresses) when the directory is new, adopts a pre-CA directory, and otherwise leaves
// everything as it is. Throws std::runtime_error naming the file on any failure.
PkiSetup ensure_centre_pki(const CentrePki& pki, const std::vector<std::string>& names);

// Issues a new server key and certificate signed by the CA, valid `days` days, for `names`
// (empty: the names of the current server certificate, else localhost and 127.0.0.1). The key is
// written first and the certificate last, each to a temporary file renamed into place, so a
// reader sees the old pair or the new one (a running `serve` checks that key and certificate
// match before it switches). Returns the new certificate's description.
CertificateInfo issue_server_certificate(const CentrePki& pki,
                                         const std::vector<std::string>& names = {},
                                         int days = 397);

// CA change, step 1: creates ca-next.{key,crt} (refuses when one exists) and returns it; carts
// add its fingerprint as a second pin. Step 2, switch_to_next_ca: ca.* become ca-previous.*, the
// next CA becomes the CA; then issue_server_certificate signs the new server certificate with it.
CertificateInfo prepare_next_ca(const CentrePki& pki);
CertificateInfo switch_to_next_ca(const CentrePki& pki);

// "localhost,127.0.0.1 ecg.example.org" → each name checked (a DNS name of letters, digits, '-',
// '.', or an IP address). Throws std::invalid_argument naming the bad one.
std::vector<std::string> parse_certificate_names(const std::string& text);

}  // namespace gc::ingest
