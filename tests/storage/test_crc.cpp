// CRC-32 known answers (reference values from zlib's crc32).
#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>

#include "gc/storage.hpp"

using gc::storage::samples_crc32;

TEST_CASE("samples_crc32 matches zlib's crc32 over little-endian int32s", "[storage][crc]") {
  // The ASCII bytes "12345678" read as two little-endian int32s; zlib.crc32(b"12345678").
  CHECK(samples_crc32({875770417, 943142453}) == 0x9AE0DAAFU);
  // Extremes and negatives: zlib.crc32(struct.pack('<6i', 1, -1, -2**31, 2**31-1, 0, -123456)).
  const std::vector<std::int32_t> v{1, -1, std::numeric_limits<std::int32_t>::min(),
                                    std::numeric_limits<std::int32_t>::max(), 0, -123456};
  CHECK(samples_crc32(v) == 0x55552A26U);
  CHECK(samples_crc32({}) == 0U);
}

TEST_CASE("samples_crc32 chains like zlib (crc of a then b == crc of ab)", "[storage][crc]") {
  std::vector<std::int32_t> a;
  std::vector<std::int32_t> b;
  for (int i = 0; i < 1001; ++i) a.push_back(i * 7919 - 3000000);
  for (int i = 0; i < 333; ++i) b.push_back(-i * 104729);
  std::vector<std::int32_t> ab = a;
  ab.insert(ab.end(), b.begin(), b.end());
  CHECK(samples_crc32(b, samples_crc32(a)) == samples_crc32(ab));
  // A single changed sample changes the checksum.
  auto changed = ab;
  changed[500] += 1;
  CHECK(samples_crc32(changed) != samples_crc32(ab));
}
