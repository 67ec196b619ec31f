// The centre's CA and the server certificates it issues (see gc/centre_pki.hpp).
#include "gc/centre_pki.hpp"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <ctime>
#include <stdexcept>

#include <boost/asio/ip/address.hpp>

namespace gc::ingest {

namespace fs = std::filesystem;

namespace {

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<FILE, FileCloser>;
using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Cert = std::unique_ptr<X509, decltype(&X509_free)>;

constexpr long kCaDays = 20 * 365;

File open_for_reading(const fs::path& path) {
  File f(std::fopen(path.c_str(), "rb"));
  if (!f) throw std::runtime_error("cannot open " + path.string());
  return f;
}

Cert read_certificate(const fs::path& path) {
  File f = open_for_reading(path);
  Cert cert(PEM_read_X509(f.get(), nullptr, nullptr, nullptr), X509_free);
  if (!cert) throw std::runtime_error(path.string() + ": not a PEM certificate");
  return cert;
}

Key read_key(const fs::path& path) {
  File f = open_for_reading(path);
  Key key(PEM_read_PrivateKey(f.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
  if (!key) throw std::runtime_error(path.string() + ": not a PEM private key");
  return key;
}

// Writes `text` to path.tmp (mode 0600 for keys, 0644 otherwise), syncs it and renames it over
// `path`, so a reader sees the whole old file or the whole new one.
void write_atomically(const fs::path& path, const std::string& text, bool secret) {
  const fs::path tmp = path.string() + ".tmp";
  const int fd =
      ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, secret ? 0600 : 0644);
  if (fd < 0) throw std::runtime_error("cannot write " + tmp.string());
  // An existing .tmp keeps its mode through O_CREAT; a key must be private whatever was there.
  if (::fchmod(fd, secret ? 0600 : 0644) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot set the mode of " + tmp.string());
  }
  // Run by root (sudo greenchannel tls renew) in the service's directory: the files stay the
  // directory owner's, or the service could no longer read its own key.
  struct stat dir_stat {};
  const fs::path parent = path.has_parent_path() ? path.parent_path() : fs::path(".");
  if (::geteuid() == 0 && ::stat(parent.c_str(), &dir_stat) == 0 && dir_stat.st_uid != 0 &&
      ::fchown(fd, dir_stat.st_uid, dir_stat.st_gid) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot give " + tmp.string() + " to the owner of " + parent.string());
  }
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) {
      ::close(fd);
      throw std::runtime_error("cannot write " + tmp.string());
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) throw std::runtime_error("cannot sync " + tmp.string());
  fs::rename(tmp, path);
}

std::string pem_of(X509* cert) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_X509(bio.get(), cert);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string pem_of(EVP_PKEY* key) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string utc_day() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

Key new_key() {
  Key key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  if (!key) throw std::runtime_error("cannot generate an EC P-256 key");
  return key;
}

void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) {
    throw std::runtime_error("cannot add the certificate extension " +
                             std::string(OBJ_nid2sn(nid)) + " = " + value);
  }
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// An unsigned certificate for `key` named `common_name`, issued by `issuer` (null: itself).
Cert make_certificate(EVP_PKEY* key, const std::string& common_name, long days, X509* issuer) {
  Cert cert(X509_new(), X509_free);
  if (!cert) throw std::runtime_error("cannot create a certificate");
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7F;  // positive
  std::unique_ptr<BIGNUM, decltype(&BN_free)> bn(BN_bin2bn(serial, sizeof serial, nullptr),
                                                 BN_free);
  BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get()));
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);  // carts with a clock a little behind
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), days * 24L * 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("greenchannel"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(cert.get(), issuer != nullptr ? X509_get_subject_name(issuer) : name);
  return cert;
}

void sign(X509* cert, EVP_PKEY* key) {
  if (X509_sign(cert, key, EVP_sha256()) == 0)
    throw std::runtime_error("cannot sign a certificate");
}

struct NewCa {
  Key key{nullptr, EVP_PKEY_free};
  Cert cert{nullptr, X509_free};
};

NewCa make_ca() {
  NewCa ca;
  ca.key = new_key();
  // A random suffix tells one centre's CA (or the next one) from another in any listing.
  unsigned char id[3];
  RAND_bytes(id, sizeof id);
  char suffix[8];
  std::snprintf(suffix, sizeof suffix, "%02X%02X%02X", id[0], id[1], id[2]);
  ca.cert = make_certificate(ca.key.get(), "greenchannel centre CA " + utc_day() + " " + suffix,
                             kCaDays, nullptr);
  add_extension(ca.cert.get(), ca.cert.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
  add_extension(ca.cert.get(), ca.cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  add_extension(ca.cert.get(), ca.cert.get(), NID_subject_key_identifier, "hash");
  sign(ca.cert.get(), ca.key.get());
  return ca;
}

void write_ca(const NewCa& ca, const fs::path& key_path, const fs::path& cert_path) {
  write_atomically(key_path, pem_of(ca.key.get()), true);
  write_atomically(cert_path, pem_of(ca.cert.get()), false);
}

std::string name_text(X509_NAME* name) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::vector<std::string> alt_names(X509* cert) {
  std::vector<std::string> out;
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names, i);
    if (n->type == GEN_DNS) {
      const ASN1_STRING* s = n->d.dNSName;
      out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                       static_cast<std::size_t>(ASN1_STRING_length(s)));
    } else if (n->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* s = n->d.iPAddress;
      const unsigned char* bytes = ASN1_STRING_get0_data(s);
      if (ASN1_STRING_length(s) == 4) {
        boost::asio::ip::address_v4::bytes_type b;
        std::copy(bytes, bytes + 4, b.begin());
        out.push_back(boost::asio::ip::address_v4(b).to_string());
      } else if (ASN1_STRING_length(s) == 16) {
        boost::asio::ip::address_v6::bytes_type b;
        std::copy(bytes, bytes + 16, b.begin());
        out.push_back(boost::asio::ip::address_v6(b).to_string());
      }
    }
  }
  GENERAL_NAMES_free(names);
  return out;
}

CertificateInfo describe(X509* cert) {
  CertificateInfo info;
  info.fingerprint = certificate_fingerprint_sha256(cert);
  info.subject = name_text(X509_get_subject_name(cert));
  info.issuer = name_text(X509_get_issuer_name(cert));
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) == 1) {
    info.not_after_unix_s = static_cast<std::int64_t>(timegm(&tm));
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    info.not_after = buf;
  }
  info.is_ca = X509_check_ca(cert) > 0;
  info.self_signed = X509_check_issued(cert, cert) == X509_V_OK;
  info.names = alt_names(cert);
  return info;
}

std::string san_value(const std::vector<std::string>& names) {
  std::string value;
  for (const auto& n : names) {
    boost::system::error_code ec;
    boost::asio::ip::make_address(n, ec);
    if (!value.empty()) value += ',';
    value += (ec ? "DNS:" : "IP:") + n;
  }
  return value;
}

}  // namespace

std::vector<std::string> parse_certificate_names(const std::string& text) {
  std::vector<std::string> names;
  std::string current;
  auto flush = [&] {
    if (current.empty()) return;
    boost::system::error_code ec;
    boost::asio::ip::make_address(current, ec);
    if (ec) {
      const bool dns_chars =
          current.size() <= 253 &&
          current.find_first_not_of(
              "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") ==
              std::string::npos &&
          current.front() != '.' && current.front() != '-' &&
          current.find("..") == std::string::npos;
      if (!dns_chars) {
        throw std::invalid_argument("'" + current +
                                    "' is neither an IP address nor a DNS name (letters, digits, "
                                    "'-' and '.')");
      }
    }
    names.push_back(current);
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
  return names;
}

std::vector<CertificateInfo> read_certificates(const fs::path& pem) {
  File f = open_for_reading(pem);
  std::vector<CertificateInfo> out;
  while (X509* cert = PEM_read_X509(f.get(), nullptr, nullptr, nullptr)) {
    out.push_back(describe(cert));
    X509_free(cert);
  }
  ERR_clear_error();
  if (out.empty()) throw std::runtime_error(pem.string() + ": no PEM certificate");
  return out;
}

PkiSetup ensure_centre_pki(const CentrePki& pki, const std::vector<std::string>& names) {
  PkiSetup setup;
  fs::create_directories(pki.dir);
  const TlsFiles server = pki.server();
  const bool have_ca = fs::exists(pki.ca_certificate()) && fs::exists(pki.ca_key());
  const bool have_server = fs::exists(server.certificate) && fs::exists(server.private_key);
  if (!have_ca && have_server) {
    // Before the CA: one self-signed certificate (CA:TRUE), the one carts pinned. It becomes the
    // CA, and stays the presented certificate until `tls renew`.
    const Cert legacy = read_certificate(server.certificate);
    if (X509_check_ca(legacy.get()) <= 0 ||
        X509_check_issued(legacy.get(), legacy.get()) != X509_V_OK) {
      throw std::runtime_error(
          server.certificate.string() +
          " is not a self-signed CA certificate, so it cannot become the centre's CA; move " +
          pki.dir.string() +
          " away to start a new CA (carts then need the new pin), or pass "
          "--tls-cert/--tls-key to serve that certificate as it is");
    }
    const Key key = read_key(server.private_key);
    if (X509_check_private_key(legacy.get(), key.get()) != 1) {
      ERR_clear_error();
      throw std::runtime_error(server.private_key.string() + " does not belong to " +
                               server.certificate.string());
    }
    write_atomically(pki.ca_key(), pem_of(key.get()), true);
    write_atomically(pki.ca_certificate(), pem_of(legacy.get()), false);
    setup.adopted_legacy = true;
  } else if (!have_ca) {
    write_ca(make_ca(), pki.ca_key(), pki.ca_certificate());
    setup.created_ca = true;
  }
  if (!have_server) {
    issue_server_certificate(
        pki, names.empty() ? parse_certificate_names("localhost,127.0.0.1") : names);
    setup.issued_server = true;
  }
  // Still the adopted certificate: the presented one is the CA itself.
  setup.presenting_legacy = certificate_fingerprint_sha256(server.certificate) ==
                            certificate_fingerprint_sha256(pki.ca_certificate());
  return setup;
}

CertificateInfo issue_server_certificate(const CentrePki& pki,
                                         const std::vector<std::string>& names, int days) {
  if (days < 1 || days > 3650) throw std::invalid_argument("validity must be 1..3650 days");
  const Cert ca = read_certificate(pki.ca_certificate());
  const Key ca_key = read_key(pki.ca_key());
  if (X509_check_private_key(ca.get(), ca_key.get()) != 1) {
    ERR_clear_error();
    throw std::runtime_error(pki.ca_key().string() + " does not belong to " +
                             pki.ca_certificate().string());
  }
  std::vector<std::string> leaf_names = names;
  const TlsFiles server = pki.server();
  if (leaf_names.empty() && fs::exists(server.certificate)) {
    leaf_names = alt_names(read_certificate(server.certificate).get());
  }
  if (leaf_names.empty()) leaf_names = parse_certificate_names("localhost,127.0.0.1");

  const Key key = new_key();
  Cert leaf = make_certificate(key.get(), "greenchannel server", days, ca.get());
  add_extension(leaf.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_extension(leaf.get(), ca.get(), NID_key_usage, "critical,digitalSignature");
  add_extension(leaf.get(), ca.get(), NID_ext_key_usage, "serverAuth");
  add_extension(leaf.get(), ca.get(), NID_subject_alt_name, san_value(leaf_names));
  add_extension(leaf.get(), ca.get(), NID_subject_key_identifier, "hash");
  // The adopted pre-CA certificate has no key identifier to point at; the issuer name does.
  if (X509_get_ext_by_NID(ca.get(), NID_subject_key_identifier, -1) >= 0) {
    add_extension(leaf.get(), ca.get(), NID_authority_key_identifier, "keyid:always");
  }
  sign(leaf.get(), ca_key.get());
  // Key first, certificate (with the CA after it, for carts pinning the CA) last: a `serve` that
  // reads in between finds a key that does not match the old certificate and waits.
  write_atomically(server.private_key, pem_of(key.get()), true);
  write_atomically(server.certificate, pem_of(leaf.get()) + pem_of(ca.get()), false);
  return describe(leaf.get());
}

CertificateInfo prepare_next_ca(const CentrePki& pki) {
  if (fs::exists(pki.next_ca_certificate()) || fs::exists(pki.next_ca_key())) {
    throw std::runtime_error(pki.next_ca_certificate().string() +
                             " exists already: a CA change is under way (finish it with "
                             "`tls renew --switch-ca`, or delete ca-next.* to start again)");
  }
  const NewCa next = make_ca();
  write_ca(next, pki.next_ca_key(), pki.next_ca_certificate());
  return describe(next.cert.get());
}

CertificateInfo switch_to_next_ca(const CentrePki& pki) {
  if (!fs::exists(pki.next_ca_certificate()) || !fs::exists(pki.next_ca_key())) {
    throw std::runtime_error("no next CA in " + pki.dir.string() +
                             ": `greenchannel tls new-ca` first, then give every cart its pin");
  }
  const Cert next = read_certificate(pki.next_ca_certificate());
  const Key next_key = read_key(pki.next_ca_key());
  if (X509_check_private_key(next.get(), next_key.get()) != 1) {
    ERR_clear_error();
    throw std::runtime_error(pki.next_ca_key().string() + " does not belong to " +
                             pki.next_ca_certificate().string());
  }
  fs::rename(pki.ca_key(), pki.dir / "ca-previous.key");
  fs::rename(pki.ca_certificate(), pki.dir / "ca-previous.crt");
  fs::rename(pki.next_ca_key(), pki.ca_key());
  fs::rename(pki.next_ca_certificate(), pki.ca_certificate());
  return describe(next.get());
}

}  // namespace gc::ingest
