// How samples are stored. Two lossless encodings of a chunk's interleaved int32 samples
// (storage/migrations/0005_chunk_encoding.sql):
//  - int32le: int32 two's complement, 4 bytes little-endian each, in the order received
//    (interleaved by sample) — the same bytes the protocol's CRC-32 covers. Rows before 0005.
//  - delta-zigzag-varint: same order; per lead the chunk's first sample, then the difference from
//    the previous sample of that lead, both modulo 2^32 (so INT32_MIN/MAX round-trip), zigzag
//    mapped, unsigned LEB128 (1..5 bytes). New rows.
// Decoding is strict: a blob that does not hold exactly the expected count is an error.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace gc::storage::detail {

inline constexpr std::string_view kEncodingInt32Le = "int32le";
inline constexpr std::string_view kEncodingDeltaVarint = "delta-zigzag-varint";

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

// delta-zigzag-varint of `samples` (interleaved, n_leads per sample instant) into `out`
// (cleared first; its capacity is reused).
inline void encode_delta_varint(std::span<const std::int32_t> samples, std::size_t n_leads,
                                std::vector<std::uint8_t>& out) {
  out.clear();
  out.reserve(samples.size() * 2);
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const std::uint32_t cur = static_cast<std::uint32_t>(samples[i]);
    const std::uint32_t prev = i >= n_leads ? static_cast<std::uint32_t>(samples[i - n_leads]) : 0;
    const auto d = static_cast<std::int32_t>(cur - prev);  // modulo 2^32
    std::uint32_t z = (static_cast<std::uint32_t>(d) << 1) ^ static_cast<std::uint32_t>(d >> 31);
    while (z >= 0x80) {
      out.push_back(static_cast<std::uint8_t>(z | 0x80));
      z >>= 7;
    }
    out.push_back(static_cast<std::uint8_t>(z));
  }
}

// Decodes exactly `count` samples (interleaved, n_leads per instant) from `bytes`, appending
// them to `out`. false when the blob is malformed (truncated, overlong, trailing bytes).
inline bool decode_delta_varint(std::span<const std::uint8_t> bytes, std::size_t count,
                                std::size_t n_leads, std::vector<std::int32_t>& out) {
  if (n_leads == 0) return count == 0 && bytes.empty();
  const std::size_t base = out.size();
  out.reserve(base + count);
  std::size_t pos = 0;
  for (std::size_t i = 0; i < count; ++i) {
    std::uint32_t z = 0;
    int shift = 0;
    for (;;) {
      if (pos >= bytes.size() || shift > 28) return false;
      const std::uint8_t b = bytes[pos++];
      if (shift == 28 && (b & 0xF0) != 0) return false;  // more than 32 bits
      z |= static_cast<std::uint32_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) break;
      shift += 7;
    }
    const std::uint32_t d = (z >> 1) ^ (0u - (z & 1u));
    const std::uint32_t prev = i >= n_leads ? static_cast<std::uint32_t>(out[base + i - n_leads]) : 0;
    out.push_back(static_cast<std::int32_t>(prev + d));
  }
  return pos == bytes.size();
}

// Decodes a stored blob of either encoding, appending `count` samples to `out`; false for an
// unknown encoding or a malformed blob.
inline bool decode_stored(std::string_view encoding, std::span<const std::uint8_t> bytes,
                          std::size_t count, std::size_t n_leads, std::vector<std::int32_t>& out) {
  if (encoding == kEncodingDeltaVarint) return decode_delta_varint(bytes, count, n_leads, out);
  if (encoding == kEncodingInt32Le) {
    if (bytes.size() != count * 4) return false;
    out.reserve(out.size() + count);
    for (std::size_t i = 0; i < count; ++i) out.push_back(decode_sample(bytes.data() + 4 * i));
    return true;
  }
  return false;
}

std::uint32_t crc32_bytes(std::span<const std::uint8_t> bytes, std::uint32_t crc);

}  // namespace gc::storage::detail
