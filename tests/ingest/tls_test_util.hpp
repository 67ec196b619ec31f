// Test PKI with the OpenSSL APIs: a CA, certificates it signs, and a self-signed impostor — for
// mutual-TLS tests. Keys are EC P-256, certificates valid for a day.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "gc/tls.hpp"

namespace gc::test {

using PKey = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Cert = std::unique_ptr<X509, decltype(&X509_free)>;

struct Issued {
  PKey key{nullptr, EVP_PKEY_free};
  Cert cert{nullptr, X509_free};
};

inline void write_pem(const Issued& issued, const ingest::TlsFiles& files) {
  std::unique_ptr<FILE, decltype(&std::fclose)> k(std::fopen(files.private_key.c_str(), "wb"),
                                                  std::fclose);
  std::unique_ptr<FILE, decltype(&std::fclose)> c(std::fopen(files.certificate.c_str(), "wb"),
                                                  std::fclose);
  if (!k || !c ||
      PEM_write_PrivateKey(k.get(), issued.key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1 ||
      PEM_write_X509(c.get(), issued.cert.get()) != 1) {
    throw std::runtime_error("cannot write test PEM files");
  }
}

// A certificate for `common_name`, signed by `issuer` (self-signed when null); `ca` marks a CA.
inline Issued issue(const std::string& common_name, const Issued* issuer, bool ca) {
  Issued out;
  out.key.reset(EVP_EC_gen("P-256"));
  out.cert.reset(X509_new());
  if (!out.key || !out.cert) throw std::runtime_error("openssl allocation failed");
  X509* cert = out.cert.get();
  X509_set_version(cert, 2);
  unsigned char serial[8];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7F;
  std::unique_ptr<BIGNUM, decltype(&BN_free)> bn(BN_bin2bn(serial, sizeof serial, nullptr),
                                                 BN_free);
  BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert));
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
  X509_set_pubkey(cert, out.key.get());
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509* issuer_cert = issuer != nullptr ? issuer->cert.get() : cert;
  EVP_PKEY* issuer_key = issuer != nullptr ? issuer->key.get() : out.key.get();
  X509_set_issuer_name(cert, X509_get_subject_name(issuer_cert));
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer_cert, cert, nullptr, nullptr, 0);
  const std::pair<int, const char*> extensions[] = {
      {NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE"},
      {NID_key_usage, ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature"},
      {NID_ext_key_usage, ca ? "serverAuth,clientAuth" : "clientAuth"}};
  for (const auto& [nid, value] : extensions) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (ext == nullptr) throw std::runtime_error("cannot add a certificate extension");
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(cert, issuer_key, EVP_sha256()) == 0) {
    throw std::runtime_error("cannot sign the test certificate");
  }
  return out;
}

}  // namespace gc::test
