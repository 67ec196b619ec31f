// Certificates and TLS contexts (see gc/tls.hpp).
#include "gc/tls.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cctype>
#include <cstdio>
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

std::shared_ptr<ssl::context> make_server_tls_context(const TlsFiles& files,
                                                      const std::string& client_ca_file) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                   ssl::context::single_dh_use);
  aead_only(*ctx);
  ctx->use_certificate_chain_file(files.certificate.string());
  ctx->use_private_key_file(files.private_key.string(), ssl::context::pem);
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

std::shared_ptr<ssl::context> make_cart_tls_context(const std::string& ca_file,
                                                    const std::string& pinned_sha256,
                                                    const std::optional<TlsFiles>& client) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  aead_only(*ctx);
  ctx->set_verify_mode(ssl::verify_peer);
  if (!pinned_sha256.empty()) {
    // Pinning: the server's own certificate must have this fingerprint; nothing else counts.
    const std::string pin = normalize_fingerprint(pinned_sha256);
    ctx->set_verify_callback([pin](bool, ssl::verify_context& vc) {
      X509_STORE_CTX* store = vc.native_handle();
      if (X509_STORE_CTX_get_error_depth(store) > 0) {
        return true;  // the leaf decides
      }
      X509* cert = X509_STORE_CTX_get_current_cert(store);
      return cert != nullptr && normalize_fingerprint(fingerprint_of(cert)) == pin;
    });
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

}  // namespace gc::ingest
