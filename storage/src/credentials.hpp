// Device credentials: random secrets and their slow salted hashes (PBKDF2-HMAC-SHA256 via
// OpenSSL), compared in constant time. Private to the storage module.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gc::storage::credentials {

// OWASP (2023) recommends ≥ 600,000 for PBKDF2-HMAC-SHA256 with human passwords; our secrets
// are 256-bit random, so the hash only has to resist a stolen database, and every hello pays it.
// The count is stored per device, so it can be raised later without invalidating carts.
inline constexpr int kPbkdf2Iterations = 100'000;
inline constexpr std::size_t kSaltBytes = 16;
inline constexpr std::size_t kHashBytes = 32;
inline constexpr std::size_t kSecretBytes = 32;

std::vector<std::uint8_t> random_bytes(std::size_t n);
std::string base64url(std::span<const std::uint8_t> bytes);  // unpadded
std::string hex(std::span<const std::uint8_t> bytes);
std::vector<std::uint8_t> pbkdf2_sha256(std::string_view secret, std::span<const std::uint8_t> salt,
                                        int iterations);
// HMAC-SHA256(key, message): a fast keyed digest for the in-memory verification cache.
std::vector<std::uint8_t> hmac_sha256(std::span<const std::uint8_t> key, std::string_view message);
bool equal_constant_time(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);

}  // namespace gc::storage::credentials
