// Station users: roles, slow salted password hashes (PBKDF2-HMAC-SHA256 through OpenSSL),
// random session tokens, and the add/disable operations the CLI uses.
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <climits>
#include <set>

#include "station_impl.hpp"

namespace gc::station {

namespace detail {

std::vector<std::uint8_t> random_bytes(std::size_t n) {
  std::vector<std::uint8_t> out(n);
  if (n > static_cast<std::size_t>(INT_MAX) || RAND_bytes(out.data(), static_cast<int>(n)) != 1) {
    throw storage::Error("OpenSSL RAND_bytes failed: no secure randomness available");
  }
  return out;
}

std::string random_token() {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  // 33 bytes → 44 base64url characters without padding; 256 bits of them are the token's
  // strength (the extra byte only rounds the length).
  const auto bytes = random_bytes(33);
  std::string out;
  out.reserve(44);
  for (std::size_t i = 0; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8) |
                            bytes[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  return out;
}

std::vector<std::uint8_t> sha256(std::string_view text) {
  std::vector<std::uint8_t> out(SHA256_DIGEST_LENGTH);
  unsigned int len = 0;
  if (EVP_Digest(text.data(), text.size(), out.data(), &len, EVP_sha256(), nullptr) != 1 ||
      len != out.size()) {
    throw storage::Error("OpenSSL SHA-256 failed");
  }
  return out;
}

std::vector<std::uint8_t> hash_password(std::string_view password,
                                        const std::vector<std::uint8_t>& salt, int iterations) {
  std::vector<std::uint8_t> out(32);
  if (password.size() > static_cast<std::size_t>(INT_MAX) || iterations <= 0 ||
      PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt.data(),
                        static_cast<int>(salt.size()), iterations, EVP_sha256(),
                        static_cast<int>(out.size()), out.data()) != 1) {
    throw storage::Error("OpenSSL PKCS5_PBKDF2_HMAC failed");
  }
  return out;
}

bool verify_password(const storage::UserRecord& user, std::string_view password) {
  const auto computed = hash_password(password, user.salt, user.iterations);
  return computed.size() == user.password_hash.size() &&
         CRYPTO_memcmp(computed.data(), user.password_hash.data(), computed.size()) == 0;
}

void burn_password_time(std::string_view password) {
  static const std::vector<std::uint8_t> salt(kSaltBytes, 0x5a);
  (void)hash_password(password, salt, kPasswordIterations);
}

bool equal_constant_time(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace detail

std::string_view key(Role role) {
  switch (role) {
    case Role::cardiologist:
      return "cardiologist";
    case Role::coordinator:
      return "coordinator";
    case Role::admin:
      return "admin";
  }
  return "admin";
}

std::optional<Role> parse_role(std::string_view text) {
  for (const Role r : {Role::cardiologist, Role::coordinator, Role::admin}) {
    if (key(r) == text) return r;
  }
  return std::nullopt;
}

void check_username(const std::string& username) {
  if (username.empty() || username.size() > 64 ||
      username.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") !=
          std::string::npos) {
    throw storage::Error("user name must be 1–64 characters of A–Z a–z 0–9 . _ -");
  }
}

void check_password(const std::string& username, const std::string& password) {
  if (password.size() < 10) throw storage::Error("password too short (at least 10 characters)");
  if (password == username) throw storage::Error("password must differ from the user name");
}

std::string generate_password() {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";  // 57 symbols
  std::string out;
  while (out.size() < 16) {
    // Rejection sampling: bytes ≥ 228 (4 × 57) would bias the first symbols.
    for (const auto b : detail::random_bytes(32)) {
      if (b >= 4 * kAlphabet.size()) continue;
      out += kAlphabet[b % kAlphabet.size()];
      if (out.size() == 16) break;
    }
  }
  return out;
}

std::vector<std::string> roster_user_problems(storage::StationStore& users,
                                              const std::vector<workflow::Shift>& shifts) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& shift : shifts) {
    for (const auto& name : shift.chain) {
      if (!seen.insert(name).second) continue;
      const auto user = users.find_user(name);
      if (!user) {
        out.push_back("unknown user '" + name + "'");
      } else if (user->disabled_ms) {
        out.push_back("user '" + name + "' is disabled");
      }
    }
  }
  return out;
}

bool enable_user(const std::filesystem::path& db_path, const std::string& username,
                 const std::string& actor) {
  auto store = storage::StationStore::open(db_path);
  storage::UserChange change;
  change.disabled = false;
  return store->change_user(username, change, storage::now_unix_ms(), actor) ==
         storage::UserChangeResult::ok;
}

std::optional<std::string> reset_password(const std::filesystem::path& db_path,
                                          const std::string& username, const std::string& actor) {
  const auto password = generate_password();
  storage::UserChange change;
  change.salt = detail::random_bytes(detail::kSaltBytes);
  change.iterations = detail::kPasswordIterations;
  change.password_hash = detail::hash_password(password, change.salt, change.iterations);
  change.must_change_password = true;
  auto store = storage::StationStore::open(db_path);
  if (store->change_user(username, change, storage::now_unix_ms(), actor) !=
      storage::UserChangeResult::ok) {
    return std::nullopt;
  }
  return password;
}

void add_user(const std::filesystem::path& db_path, const std::string& username, Role role,
              const std::string& password, const std::string& actor) {
  check_username(username);
  check_password(username, password);
  auto store = storage::StationStore::open(db_path);
  if (const auto existing = store->find_user(username)) {
    throw storage::Error("user '" + username + "' already exists" +
                         (existing->disabled_ms ? " (disabled: re-enable it with `greenchannel "
                                                  "user enable " +
                                                      username + "`)"
                                                : std::string()));
  }
  storage::UserRecord user;
  user.username = username;
  user.role = std::string(key(role));
  user.salt = detail::random_bytes(detail::kSaltBytes);
  user.iterations = detail::kPasswordIterations;
  user.password_hash = detail::hash_password(password, user.salt, user.iterations);
  user.created_ms = storage::now_unix_ms();
  store->insert_user(user, actor);
}

bool disable_user(const std::filesystem::path& db_path, const std::string& username,
                  const std::string& actor) {
  auto store = storage::StationStore::open(db_path);
  return store->disable_user(username, storage::now_unix_ms(), actor);
}

}  // namespace gc::station
