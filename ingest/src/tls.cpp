// Certificates and TLS contexts (see gc/tls.hpp).
#include "gc/tls.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <mutex>
#include <stdexcept>

#include <boost/asio/ssl/verify_context.hpp>

namespace gc::ingest {

namespace ssl = boost::asio::ssl;

namespace {

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<FILE, FileCloser>;

File open_file(const std::filesystem::path& path, const char* mode) {
  File f(std::fopen(path.c_str(), mode));
  if (!f) {
    throw std::runtime_error("cannot open " + path.string());
  }
  return f;
}

std::string fingerprint_of(X509* cert) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (X509_digest(cert, EVP_sha256(), digest, &length) != 1) {
    throw std::runtime_error("cannot compute the certificate fingerprint");
  }
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    if (i > 0) out += ':';
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 0x0F];
  }
  return out;
}

}  // namespace

std::string normalize_fingerprint(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (std::isxdigit(static_cast<unsigned char>(c))) {
      out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
  }
  return out;
}

bool ensure_server_certificate(const TlsFiles& files) {
  if (std::filesystem::exists(files.certificate) && std::filesystem::exists(files.private_key)) {
    return false;
  }
  for (const auto& p : {files.certificate, files.private_key}) {
    if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path());
  }
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  if (!key) throw std::runtime_error("cannot generate the server key");
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  if (!cert) throw std::runtime_error("cannot create the server certificate");
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7F;  // positive
  std::unique_ptr<BIGNUM, decltype(&BN_free)> bn(BN_bin2bn(serial, sizeof serial, nullptr),
                                                 BN_free);
  BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get()));
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 10L * 365 * 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("greenchannel"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("greenchannel ingest"), -1, -1,
                             0);
  X509_set_issuer_name(cert.get(), name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  for (const auto& [nid, value] : {std::pair{NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1"},
                                   std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (ext == nullptr) throw std::runtime_error("cannot add a certificate extension");
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    throw std::runtime_error("cannot sign the server certificate");
  }
  {
    // The key file is created private before anything is written into it.
    const auto old_mask = ::umask(077);
    File f = open_file(files.private_key, "wb");
    ::umask(old_mask);
    if (PEM_write_PrivateKey(f.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
      throw std::runtime_error("cannot write " + files.private_key.string());
    }
  }
  File f = open_file(files.certificate, "wb");
  if (PEM_write_X509(f.get(), cert.get()) != 1) {
    throw std::runtime_error("cannot write " + files.certificate.string());
  }
  return true;
}

std::string certificate_fingerprint_sha256(X509* certificate) {
  return fingerprint_of(certificate);
}

std::string certificate_fingerprint_sha256(const std::filesystem::path& certificate_pem) {
  File f = open_file(certificate_pem, "rb");
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      PEM_read_X509(f.get(), nullptr, nullptr, nullptr), X509_free);
  if (!cert) throw std::runtime_error(certificate_pem.string() + ": not a PEM certificate");
  return fingerprint_of(cert.get());
}

namespace {

// TLS 1.2 suites: forward-secret ECDHE with an AEAD cipher only — no CBC, no SHA-1 MACs (issue 16:
// ECDHE-ECDSA-AES128-SHA was still offered). TLS 1.3's suites are all AEAD and stay as OpenSSL
// sets them.
constexpr const char* kTls12Ciphers = "ECDHE+AESGCM:ECDHE+CHACHA20";

void aead_only(ssl::context& ctx) {
  if (SSL_CTX_set_cipher_list(ctx.native_handle(), kTls12Ciphers) != 1) {
    throw std::runtime_error("TLS: OpenSSL accepts none of the ciphers " + std::string(kTls12Ciphers));
  }
}

}  // namespace

namespace {

// The pair a server context presents, read from its files.
struct ServerPair {
  std::unique_ptr<X509, decltype(&X509_free)> leaf{nullptr, X509_free};
  std::unique_ptr<STACK_OF(X509), void (*)(STACK_OF(X509)*)> chain{
      nullptr, [](STACK_OF(X509) * s) { sk_X509_pop_free(s, X509_free); }};
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key{nullptr, EVP_PKEY_free};
};

std::shared_ptr<const ServerPair> read_server_pair(const TlsFiles& files) {
  auto pair = std::make_shared<ServerPair>();
  {
    File f = open_file(files.certificate, "rb");
    pair->leaf.reset(PEM_read_X509(f.get(), nullptr, nullptr, nullptr));
    if (!pair->leaf) throw std::runtime_error(files.certificate.string() + ": no PEM certificate");
    pair->chain.reset(sk_X509_new_null());
    while (X509* next = PEM_read_X509(f.get(), nullptr, nullptr, nullptr)) {
      sk_X509_push(pair->chain.get(), next);
    }
  }
  {
    File f = open_file(files.private_key, "rb");
    pair->key.reset(PEM_read_PrivateKey(f.get(), nullptr, nullptr, nullptr));
    if (!pair->key) throw std::runtime_error(files.private_key.string() + ": no PEM private key");
  }
  ERR_clear_error();  // the end of the chain file leaves a "no start line" behind
  if (X509_check_private_key(pair->leaf.get(), pair->key.get()) != 1) {
    ERR_clear_error();
    throw std::runtime_error(files.private_key.string() + " does not belong to " +
                             files.certificate.string());
  }
  return pair;
}

// Held by the SSL_CTX (ex_data, freed with it): the pair new handshakes take.
struct ReloadableCertificate {
  std::mutex mutex;
  std::shared_ptr<const ServerPair> current;
};

int reloadable_index() {
  static const int index = SSL_CTX_get_ex_new_index(
      0, nullptr, nullptr, nullptr, [](void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
        delete static_cast<ReloadableCertificate*>(ptr);
      });
  return index;
}

ReloadableCertificate* reloadable_of(SSL_CTX* ctx) {
  return static_cast<ReloadableCertificate*>(SSL_CTX_get_ex_data(ctx, reloadable_index()));
}

// Called by OpenSSL in each server handshake after the ClientHello, before the cipher is chosen.
int use_current_certificate(SSL* ssl, void* arg) {
  auto* state = static_cast<ReloadableCertificate*>(arg);
  std::shared_ptr<const ServerPair> pair;
  {
    std::lock_guard lock(state->mutex);
    pair = state->current;
  }
  if (!pair) return 1;  // the context's own certificate
  return SSL_use_cert_and_key(ssl, pair->leaf.get(), pair->key.get(), pair->chain.get(), 1) == 1
             ? 1
             : 0;
}

}  // namespace

std::shared_ptr<ssl::context> make_server_tls_context(const TlsFiles& files,
                                                      const std::string& client_ca_file) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                   ssl::context::single_dh_use);
  aead_only(*ctx);
  ctx->use_certificate_chain_file(files.certificate.string());
  ctx->use_private_key_file(files.private_key.string(), ssl::context::pem);
  auto* state = new ReloadableCertificate;
  if (SSL_CTX_set_ex_data(ctx->native_handle(), reloadable_index(), state) != 1) {
    delete state;
    throw std::runtime_error("TLS: cannot attach the reloadable certificate");
  }
  state->current = read_server_pair(files);
  SSL_CTX_set_cert_cb(ctx->native_handle(), use_current_certificate, state);
  if (!client_ca_file.empty()) {
    ctx->load_verify_file(client_ca_file);
    // Tell clients which CA to present a certificate from.
    if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(client_ca_file.c_str())) {
      SSL_CTX_set_client_CA_list(ctx->native_handle(), names);
    }
    ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  }
  return ctx;
}

std::string reload_server_certificate(ssl::context& server_context, const TlsFiles& files) {
  ReloadableCertificate* state = reloadable_of(server_context.native_handle());
  if (state == nullptr) {
    throw std::runtime_error("TLS: this context was not made by make_server_tls_context");
  }
  auto pair = read_server_pair(files);
  std::string fingerprint = fingerprint_of(pair->leaf.get());
  std::lock_guard lock(state->mutex);
  state->current = std::move(pair);
  return fingerprint;
}

CertificateWatcher::CertificateWatcher(boost::asio::io_context& io,
                                       std::shared_ptr<ssl::context> server_context, TlsFiles files,
                                       std::chrono::milliseconds interval,
                                       std::function<void(std::string_view)> log)
    : timer_(io),
      context_(std::move(server_context)),
      files_(std::move(files)),
      interval_(interval),
      log_(std::move(log)) {}

CertificateWatcher::Stamp CertificateWatcher::stamp() const {
  Stamp s;
  std::error_code ec;
  s.certificate_mtime = std::filesystem::last_write_time(files_.certificate, ec);
  s.certificate_size = std::filesystem::file_size(files_.certificate, ec);
  s.key_mtime = std::filesystem::last_write_time(files_.private_key, ec);
  s.key_size = std::filesystem::file_size(files_.private_key, ec);
  return s;
}

void CertificateWatcher::start() {
  std::lock_guard lock(mutex_);
  loaded_ = stamp();  // make_server_tls_context has just read them
  stopped_ = false;
  timer_.expires_after(interval_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) poll();
  });
}

void CertificateWatcher::stop() {
  std::lock_guard lock(mutex_);
  stopped_ = true;
  timer_.cancel();
}

void CertificateWatcher::poll() {
  std::lock_guard lock(mutex_);
  if (stopped_) return;
  const Stamp now = stamp();
  if (!loaded_ || now != *loaded_) {
    // Reported only when the same files failed at the previous poll too (not a half-done renew).
    try_reload(failed_ && *failed_ == now);
  }
  timer_.expires_after(interval_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) poll();
  });
}

void CertificateWatcher::reload_now() {
  std::lock_guard lock(mutex_);
  try_reload(true);
}

bool CertificateWatcher::try_reload(bool report_failure) {
  const Stamp before = stamp();
  try {
    const std::string fingerprint = reload_server_certificate(*context_, files_);
    loaded_ = before;
    failed_.reset();
    failure_reported_ = false;
    if (log_) {
      log_("tls: server certificate reloaded from " + files_.certificate.string() + ", SHA-256 " +
           fingerprint + " (for new connections)");
    }
    return true;
  } catch (const std::exception& e) {
    const bool already = failed_ && *failed_ == before && failure_reported_;
    failed_ = before;
    if (report_failure && !already) {
      failure_reported_ = true;
      if (log_) {
        log_(std::string("tls: server certificate not reloaded, the previous one stays in use: ") +
             e.what());
      }
    }
    return false;
  }
}

std::vector<std::string> parse_pins(const std::string& text) {
  std::vector<std::string> pins;
  std::string current;
  auto flush = [&] {
    if (current.empty()) return;
    const std::string pin = normalize_fingerprint(current);
    // Every character must be a hex digit or a colon: "AB:CD" is fine, a typo is not dropped.
    const bool only_hex_and_colons =
        current.find_first_not_of("0123456789abcdefABCDEF:") == std::string::npos;
    if (pin.size() != 64 || !only_hex_and_colons) {
      throw std::invalid_argument("pin '" + current +
                                  "' is not a SHA-256 fingerprint (64 hex digits, colons allowed)");
    }
    pins.push_back(pin);
    current.clear();
  };
  for (const char c : text) {
    if (c == ',' || std::isspace(static_cast<unsigned char>(c))) {
      flush();
    } else {
      current += c;
    }
  }
  flush();
  return pins;
}

namespace {

// Held by a cart's SSL_CTX (ex_data): the fingerprints it accepts.
struct Pins {
  std::vector<std::string> normalised;
};

int pins_index() {
  static const int index = SSL_CTX_get_ex_new_index(
      0, nullptr, nullptr, nullptr,
      [](void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) { delete static_cast<Pins*>(ptr); });
  return index;
}

// Replaces OpenSSL's chain verification for a pinning cart: the presented chain (leaf and the
// certificates the server sent) must verify up to a certificate whose fingerprint is pinned,
// that certificate taken as the only trust anchor.
int verify_against_pins(X509_STORE_CTX* store_ctx, void* arg) {
  const auto* pins = static_cast<const Pins*>(arg);
  X509* leaf = X509_STORE_CTX_get0_cert(store_ctx);
  STACK_OF(X509)* presented = X509_STORE_CTX_get0_untrusted(store_ctx);
  std::vector<X509*> candidates{leaf};
  for (int i = 0; presented != nullptr && i < sk_X509_num(presented); ++i) {
    candidates.push_back(sk_X509_value(presented, i));
  }
  int last_error = X509_V_ERR_CERT_UNTRUSTED;
  for (X509* candidate : candidates) {
    if (candidate == nullptr) continue;
    const std::string fingerprint = normalize_fingerprint(fingerprint_of(candidate));
    if (std::find(pins->normalised.begin(), pins->normalised.end(), fingerprint) ==
        pins->normalised.end()) {
      continue;
    }
    std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> anchor(X509_STORE_new(),
                                                                   X509_STORE_free);
    std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> check(X509_STORE_CTX_new(),
                                                                          X509_STORE_CTX_free);
    if (!anchor || !check || X509_STORE_add_cert(anchor.get(), candidate) != 1 ||
        X509_STORE_CTX_init(check.get(), anchor.get(), leaf, presented) != 1) {
      continue;
    }
    // A pinned server certificate (older carts) is its own anchor; a pinned CA signs the leaf.
    X509_STORE_CTX_set_flags(check.get(), X509_V_FLAG_PARTIAL_CHAIN);
    X509_STORE_CTX_set_default(check.get(), "ssl_server");
    if (X509_verify_cert(check.get()) == 1) {
      X509_STORE_CTX_set_error(store_ctx, X509_V_OK);
      return 1;
    }
    last_error = X509_STORE_CTX_get_error(check.get());
  }
  X509_STORE_CTX_set_error(store_ctx, last_error);
  return 0;
}

}  // namespace

std::shared_ptr<ssl::context> make_cart_tls_context(const std::string& ca_file,
                                                    const std::vector<std::string>& pins,
                                                    const std::optional<TlsFiles>& client) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  aead_only(*ctx);
  ctx->set_verify_mode(ssl::verify_peer);
  if (!pins.empty()) {
    auto* held = new Pins;
    for (const auto& p : pins) held->normalised.push_back(normalize_fingerprint(p));
    if (SSL_CTX_set_ex_data(ctx->native_handle(), pins_index(), held) != 1) {
      delete held;
      throw std::runtime_error("TLS: cannot attach the pins");
    }
    SSL_CTX_set_cert_verify_callback(ctx->native_handle(), verify_against_pins, held);
  } else if (!ca_file.empty()) {
    ctx->load_verify_file(ca_file);
  } else {
    ctx->set_default_verify_paths();
  }
  if (client) {
    ctx->use_certificate_chain_file(client->certificate.string());
    ctx->use_private_key_file(client->private_key.string(), ssl::context::pem);
  }
  return ctx;
}

std::shared_ptr<ssl::context> make_cart_tls_context(const std::string& ca_file,
                                                    const std::string& pinned_sha256,
                                                    const std::optional<TlsFiles>& client) {
  return make_cart_tls_context(ca_file, parse_pins(pinned_sha256), client);
}

}  // namespace gc::ingest
