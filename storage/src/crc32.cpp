// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, as zlib's crc32) and the wall clock.
#include <array>
#include <bit>
#include <chrono>

#include "gc/storage.hpp"
#include "samples_codec.hpp"

namespace gc::storage {

namespace {

// Slicing-by-4 tables: the server checks a CRC over every study it completes.
constexpr std::array<std::array<std::uint32_t, 256>, 4> make_tables() {
  std::array<std::array<std::uint32_t, 256>, 4> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1U) ? 0xEDB88320U ^ (c >> 1) : c >> 1;
    t[0][i] = c;
  }
  for (std::uint32_t i = 0; i < 256; ++i) {
    for (std::size_t s = 1; s < 4; ++s) t[s][i] = t[0][t[s - 1][i] & 0xFFU] ^ (t[s - 1][i] >> 8);
  }
  return t;
}

constexpr auto kTables = make_tables();

}  // namespace

namespace detail {

std::uint32_t crc32_bytes(std::span<const std::uint8_t> bytes, std::uint32_t crc) {
  // zlib convention: the running value is kept complemented, so crc32(crc32(0,a),b) == crc32(0,ab).
  std::uint32_t c = ~crc;
  std::size_t i = 0;
  const std::size_t n = bytes.size();
  for (; i + 4 <= n; i += 4) {
    c ^= std::uint32_t{bytes[i]} | (std::uint32_t{bytes[i + 1]} << 8) |
         (std::uint32_t{bytes[i + 2]} << 16) | (std::uint32_t{bytes[i + 3]} << 24);
    c = kTables[3][c & 0xFFU] ^ kTables[2][(c >> 8) & 0xFFU] ^ kTables[1][(c >> 16) & 0xFFU] ^
        kTables[0][c >> 24];
  }
  for (; i < n; ++i) c = kTables[0][(c ^ bytes[i]) & 0xFFU] ^ (c >> 8);
  return ~c;
}

}  // namespace detail

std::uint32_t samples_crc32(const std::vector<std::int32_t>& interleaved, std::uint32_t crc) {
  if constexpr (std::endian::native == std::endian::little) {
    // The in-memory int32s are already the little-endian bytes the checksum covers.
    return detail::crc32_bytes(
        std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(interleaved.data()),
                                      interleaved.size() * sizeof(std::int32_t)),
        crc);
  } else {
    const auto bytes = detail::encode_samples(interleaved);
    return detail::crc32_bytes(bytes, crc);
  }
}

UnixMs now_unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace gc::storage
