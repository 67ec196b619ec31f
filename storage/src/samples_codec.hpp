// How samples are stored: int32 two's complement, 4 bytes little-endian each, in the order
// received (interleaved by sample) — the same bytes the protocol's CRC-32 covers.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace gc::storage::detail {

inline std::vector<std::uint8_t> encode_samples(const std::vector<std::int32_t>& samples) {
  std::vector<std::uint8_t> out(samples.size() * 4);
  if constexpr (std::endian::native == std::endian::little) {
    if (!samples.empty()) std::memcpy(out.data(), samples.data(), out.size());
  } else {
    for (std::size_t i = 0; i < samples.size(); ++i) {
      const auto u = static_cast<std::uint32_t>(samples[i]);
      out[4 * i] = static_cast<std::uint8_t>(u);
      out[4 * i + 1] = static_cast<std::uint8_t>(u >> 8);
      out[4 * i + 2] = static_cast<std::uint8_t>(u >> 16);
      out[4 * i + 3] = static_cast<std::uint8_t>(u >> 24);
    }
  }
  return out;
}

inline std::int32_t decode_sample(const std::uint8_t* p) {
  const std::uint32_t u = std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) |
                          (std::uint32_t{p[2]} << 16) | (std::uint32_t{p[3]} << 24);
  return static_cast<std::int32_t>(u);  // two's complement (guaranteed since C++20)
}

std::uint32_t crc32_bytes(std::span<const std::uint8_t> bytes, std::uint32_t crc);

}  // namespace gc::storage::detail
