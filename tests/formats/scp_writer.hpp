// Writes SCP-ECG records for the tests (EN 1064), independently of the reader: CRC-CCITT, the
// default Huffman table, first/second differences, section 0's pointers, and bimodal compression
// (reference-beat subtraction, then decimation outside the protected zones).
#pragma once

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <vector>

namespace gc_test::scp {

using Bytes = std::vector<std::uint8_t>;

inline void put16(Bytes& b, std::size_t at, std::uint32_t v) {
  b[at] = static_cast<std::uint8_t>(v);
  b[at + 1] = static_cast<std::uint8_t>(v >> 8);
}
inline void put32(Bytes& b, std::size_t at, std::uint32_t v) {
  put16(b, at, v & 0xFFFF);
  put16(b, at + 2, v >> 16);
}
inline void app16(Bytes& b, std::uint32_t v) {
  b.push_back(static_cast<std::uint8_t>(v));
  b.push_back(static_cast<std::uint8_t>(v >> 8));
}
inline void app32(Bytes& b, std::uint32_t v) {
  app16(b, v & 0xFFFF);
  app16(b, v >> 16);
}

inline std::uint16_t crc_ccitt(const std::uint8_t* p, std::size_t n) {
  std::uint16_t crc = 0xFFFF;
  for (std::size_t i = 0; i < n; ++i) {
    crc ^= static_cast<std::uint16_t>(p[i] << 8);
    for (int k = 0; k < 8; ++k)
      crc = (crc & 0x8000) ? static_cast<std::uint16_t>((crc << 1) ^ 0x1021)
                           : static_cast<std::uint16_t>(crc << 1);
  }
  return crc;
}

struct BitWriter {
  Bytes bytes;
  int used = 8;
  void bit(int b) {
    if (used == 8) {
      bytes.push_back(0);
      used = 0;
    }
    if (b) bytes.back() = static_cast<std::uint8_t>(bytes.back() | (0x80 >> used));
    ++used;
  }
  void bits(std::uint32_t v, int n) {
    for (int i = n - 1; i >= 0; --i) bit((v >> i) & 1);
  }
};

// EN 1064 default Huffman table, written independently of the reader's table.
inline Bytes huffman_default(const std::vector<std::int32_t>& values) {
  BitWriter w;
  for (const auto v : values) {
    if (v == 0) {
      w.bit(0);
    } else if (std::abs(v) <= 8) {
      for (int i = 0; i < std::abs(v); ++i) w.bit(1);
      w.bit(0);
      w.bit(v < 0);
    } else if (v >= -128 && v <= 127) {
      w.bits(0b1111111110, 10);
      w.bits(static_cast<std::uint32_t>(v) & 0xFF, 8);
    } else {
      REQUIRE(v >= -32768);
      REQUIRE(v <= 32767);
      w.bits(0b1111111111, 10);
      w.bits(static_cast<std::uint32_t>(v) & 0xFFFF, 16);
    }
  }
  return w.bytes;
}

inline std::vector<std::int32_t> encode_differences(const std::vector<std::int32_t>& x, int diff) {
  std::vector<std::int32_t> d(x);
  if (diff == 1) {
    for (std::size_t i = d.size(); i-- > 1;) d[i] = x[i] - x[i - 1];
  } else if (diff == 2) {
    for (std::size_t i = d.size(); i-- > 2;) d[i] = x[i] - 2 * x[i - 1] + x[i - 2];
  }
  return d;
}

// A record from its sections' bodies (id, bytes after the 16-byte header): record header (6),
// section 0 (16 + 12 pointers × 10), then the sections in order; every CRC filled in.
inline Bytes assemble_scp_record(const std::vector<std::pair<int, Bytes>>& bodies,
                                 int section_version = 20) {
  // Layout: record header (6), section 0 (16 + 12 pointers × 10), then the others.
  const std::size_t s0_len = 16 + 12 * 10;
  std::vector<std::size_t> offsets;
  std::size_t off = 6 + s0_len;
  for (const auto& [id, body] : bodies) {
    offsets.push_back(off);
    off += 16 + body.size();
  }
  Bytes rec(off, 0);
  const auto header = [&](std::size_t at, int id, std::size_t len, bool scpecg) {
    put16(rec, at + 2, static_cast<std::uint32_t>(id));
    put32(rec, at + 4, static_cast<std::uint32_t>(len));
    rec[at + 8] = static_cast<std::uint8_t>(section_version);
    rec[at + 9] = static_cast<std::uint8_t>(section_version);
    if (scpecg) std::memcpy(&rec[at + 10], "SCPECG", 6);
  };
  header(6, 0, s0_len, true);
  for (int id = 0; id < 12; ++id) {
    const std::size_t p = 6 + 16 + static_cast<std::size_t>(id) * 10;
    put16(rec, p, static_cast<std::uint32_t>(id));
    if (id == 0) {
      put32(rec, p + 2, static_cast<std::uint32_t>(s0_len));
      put32(rec, p + 6, 7);
    }
    for (std::size_t k = 0; k < bodies.size(); ++k) {
      if (bodies[k].first == id) {
        put32(rec, p + 2, static_cast<std::uint32_t>(16 + bodies[k].second.size()));
        put32(rec, p + 6, static_cast<std::uint32_t>(offsets[k] + 1));
      }
    }
  }
  for (std::size_t k = 0; k < bodies.size(); ++k) {
    header(offsets[k], bodies[k].first, 16 + bodies[k].second.size(), false);
    std::memcpy(&rec[offsets[k] + 16], bodies[k].second.data(), bodies[k].second.size());
  }
  put32(rec, 2, static_cast<std::uint32_t>(rec.size()));
  // Section CRCs, then the record CRC over everything after it.
  put16(rec, 6, crc_ccitt(&rec[8], s0_len - 2));
  for (std::size_t k = 0; k < bodies.size(); ++k) {
    put16(rec, offsets[k], crc_ccitt(&rec[offsets[k] + 2], 16 + bodies[k].second.size() - 2));
  }
  put16(rec, 0, crc_ccitt(&rec[2], rec.size() - 2));
  return rec;
}

// Where section `id` starts in a record (0-based), from section 0's pointers; 0 when absent.
inline std::size_t section_offset(const Bytes& rec, int id) {
  for (std::size_t p = 6 + 16; p + 10 <= 6 + 16 + 12 * 10; p += 10) {
    if (rec[p] == id) {
      const std::size_t index = rec[p + 6] | (rec[p + 7] << 8) | (rec[p + 8] << 16);
      return index == 0 ? 0 : index - 1;
    }
  }
  return 0;
}

// After an edit inside the section at `section`: its CRC and the record's, recomputed.
inline void redo_crcs(Bytes& rec, std::size_t section) {
  const std::size_t len = rec[section + 4] | (rec[section + 5] << 8) | (rec[section + 6] << 16);
  put16(rec, section, crc_ccitt(&rec[section + 2], len - 2));
  put16(rec, 0, crc_ccitt(&rec[2], rec.size() - 2));
}

// --- Bimodal compression ------------------------------------------------------------------------

// One QRS of section 4, sample numbers 1-based: subtraction zone SB–SE around the fiducial (used
// when type is 0 and a reference beat is subtracted) and protected zone QB–QE.
struct QrsZone {
  int type = 0;
  std::int64_t sb = 0, fiducial = 0, se = 0;
  std::int64_t qb = 0, qe = 0;
};

struct BimodalSpec {
  std::vector<int> lead_codes;
  int avm_nv = 5000;         // rhythm (section 6) and, when subtracted, reference beat multiplier
  int interval_us = 2000;    // full rate (section 5)
  int factor = 4;            // section 6's interval = factor × interval_us
  int diff = 2;              // differences of the stored stream
  bool bimodal_flag = true;  // section 6 byte 6
  std::vector<QrsZone> qrs;
  // Reference beat per lead (counts of avm_nv), its fiducial 1-based; empty: no subtraction.
  std::vector<std::vector<std::int32_t>> reference;
  std::int64_t reference_fiducial = 0;
  bool with_section5 = true;
  int section4_version = 20;  // < 13: no protected-zone table, SB–SE are protected
};

// What the cart stores for one lead: the residual (signal minus the reference beat in type-0
// zones), then, outside the protected zones, one mean per block of `factor` samples and the
// stretch's last n mod factor samples as they are.
inline std::vector<std::int32_t> bimodal_stream(const BimodalSpec& spec,
                                                const std::vector<std::int32_t>& counts,
                                                std::size_t lead) {
  std::vector<std::int32_t> residual = counts;
  if (!spec.reference.empty()) {
    const auto& ref = spec.reference[lead];
    for (const auto& q : spec.qrs) {
      if (q.type != 0) continue;
      for (std::int64_t t = q.sb; t <= q.se; ++t) {
        const std::int64_t r = t - q.fiducial + spec.reference_fiducial;  // 1-based
        REQUIRE(r >= 1);
        REQUIRE(r <= static_cast<std::int64_t>(ref.size()));
        residual[static_cast<std::size_t>(t - 1)] -= ref[static_cast<std::size_t>(r - 1)];
      }
    }
  }
  const auto n = static_cast<std::int64_t>(counts.size());
  std::vector<bool> is_protected(counts.size(), false);
  for (const auto& q : spec.qrs) {
    const std::int64_t qb = spec.section4_version < 13 ? q.sb : q.qb;
    const std::int64_t qe = spec.section4_version < 13 ? q.se : q.qe;
    // Clipped to the lead: a test may declare a zone the reader must refuse.
    for (std::int64_t t = std::max<std::int64_t>(qb, 1); t <= std::min(qe, n); ++t)
      is_protected[static_cast<std::size_t>(t - 1)] = true;
  }
  std::vector<std::int32_t> stored;
  std::int64_t t = 1;
  while (t <= n) {
    if (is_protected[static_cast<std::size_t>(t - 1)]) {
      stored.push_back(residual[static_cast<std::size_t>(t - 1)]);
      ++t;
      continue;
    }
    std::int64_t b = t;
    while (b < n && !is_protected[static_cast<std::size_t>(b)]) ++b;  // b: last unprotected
    const std::int64_t len = b - t + 1;
    const std::int64_t blocks = len / spec.factor;
    for (std::int64_t k = 0; k < blocks; ++k) {
      double sum = 0;
      for (int j = 0; j < spec.factor; ++j)
        sum += residual[static_cast<std::size_t>(t - 1 + k * spec.factor + j)];
      stored.push_back(static_cast<std::int32_t>(std::lround(sum / spec.factor)));
    }
    for (std::int64_t u = t + blocks * spec.factor; u <= b; ++u)
      stored.push_back(residual[static_cast<std::size_t>(u - 1)]);
    t = b + 1;
  }
  return stored;
}

// A record with sections 0, 2 (default table), 3, 4, 5 and 6 holding `counts` (per lead, counts
// of avm_nv) bimodally compressed.
inline Bytes build_bimodal_scp(const BimodalSpec& spec,
                               const std::vector<std::vector<std::int32_t>>& counts) {
  std::vector<std::pair<int, Bytes>> bodies;
  bodies.push_back({2, {0x1F, 0x4E}});  // 19999: the default table
  const bool subtract = !spec.reference.empty();
  Bytes s3{static_cast<std::uint8_t>(spec.lead_codes.size()),
           static_cast<std::uint8_t>(subtract ? 0x05 : 0x04)};
  for (const int code : spec.lead_codes) {
    app32(s3, 1);
    app32(s3, static_cast<std::uint32_t>(counts[0].size()));
    s3.push_back(static_cast<std::uint8_t>(code));
  }
  bodies.push_back({3, s3});
  Bytes s4;
  const std::size_t ref_len = subtract ? spec.reference[0].size() : 0;
  app16(s4,
        static_cast<std::uint32_t>(ref_len * static_cast<std::size_t>(spec.interval_us) / 1000));
  app16(s4, static_cast<std::uint32_t>(spec.reference_fiducial));
  app16(s4, static_cast<std::uint32_t>(spec.qrs.size()));
  for (const auto& q : spec.qrs) {
    app16(s4, static_cast<std::uint32_t>(q.type));
    app32(s4, static_cast<std::uint32_t>(q.sb));
    app32(s4, static_cast<std::uint32_t>(q.fiducial));
    app32(s4, static_cast<std::uint32_t>(q.se));
  }
  if (spec.section4_version >= 13) {
    for (const auto& q : spec.qrs) {
      app32(s4, static_cast<std::uint32_t>(q.qb));
      app32(s4, static_cast<std::uint32_t>(q.qe));
    }
  }
  bodies.push_back({4, s4});
  if (spec.with_section5) {
    Bytes s5;
    app16(s5, static_cast<std::uint32_t>(spec.avm_nv));
    app16(s5, static_cast<std::uint32_t>(spec.interval_us));
    s5.push_back(static_cast<std::uint8_t>(spec.diff));
    s5.push_back(0);
    std::vector<Bytes> data;
    for (std::size_t l = 0; l < counts.size(); ++l) {
      // No reference beat: a flat one (section 5 still gives the full-rate interval).
      const auto ref = subtract ? spec.reference[l] : std::vector<std::int32_t>(1, 0);
      data.push_back(huffman_default(encode_differences(ref, spec.diff)));
    }
    for (const auto& d : data) app16(s5, static_cast<std::uint32_t>(d.size()));
    for (const auto& d : data) s5.insert(s5.end(), d.begin(), d.end());
    bodies.push_back({5, s5});
  }
  Bytes s6;
  app16(s6, static_cast<std::uint32_t>(spec.avm_nv));
  app16(s6, static_cast<std::uint32_t>(spec.interval_us * spec.factor));
  s6.push_back(static_cast<std::uint8_t>(spec.diff));
  s6.push_back(spec.bimodal_flag ? 1 : 0);
  std::vector<Bytes> data;
  for (std::size_t l = 0; l < counts.size(); ++l) {
    data.push_back(
        huffman_default(encode_differences(bimodal_stream(spec, counts[l], l), spec.diff)));
  }
  for (const auto& d : data) app16(s6, static_cast<std::uint32_t>(d.size()));
  for (const auto& d : data) s6.insert(s6.end(), d.begin(), d.end());
  bodies.push_back({6, s6});
  return assemble_scp_record(bodies, spec.section4_version);
}

}  // namespace gc_test::scp
