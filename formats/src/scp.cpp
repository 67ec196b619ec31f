// SCP-ECG (EN 1064 / ISO 11073-91064, versions 1.x–3.0): our own decoder from the standard.
// The record: CRC + length, then sections located through section 0's pointers. We use 0
// (pointers), 1 (patient/device tags), 2 (Huffman tables), 3 (lead definition), 4 (QRS
// locations for reference-beat subtraction and bimodal compression's protected zones), 5
// (reference beat, and the full-rate sample interval of bimodally compressed rhythm data) and 6
// (rhythm data); sections 7–11 (measurements, interpretive statements) are the device's own and
// are skipped, but their CRCs are still checked. Every CRC is checked: a mismatch is an error
// naming the section (the sample data cannot be verified otherwise, so we do not guess).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <numeric>

#include "detail.hpp"

namespace gc::formats::detail {

namespace {

[[noreturn]] void fail(const std::string& why) {
  throw Error("SCP-ECG: " + why);
}

// Fuzz builds (libFuzzer's convention) let a wrong CRC through, so that the decoder behind the
// checks is fuzzed too; every other build refuses it.
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
constexpr bool kCrcMismatchIsError = false;
#else
constexpr bool kCrcMismatchIsError = true;
#endif

std::uint16_t crc_ccitt(std::span<const std::uint8_t> bytes) {
  std::uint16_t crc = 0xFFFF;
  for (const auto b : bytes) {
    crc ^= static_cast<std::uint16_t>(b << 8);
    for (int k = 0; k < 8; ++k) {
      crc = (crc & 0x8000) ? static_cast<std::uint16_t>((crc << 1) ^ 0x1021)
                           : static_cast<std::uint16_t>(crc << 1);
    }
  }
  return crc;
}

std::string hex16(std::uint16_t v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%04x", v);
  return buf;
}

// Bounded little-endian reads inside one section.
struct View {
  std::span<const std::uint8_t> bytes;
  std::string name;
  void need(std::size_t off, std::size_t n) const {
    if (off > bytes.size() || n > bytes.size() - off) {
      fail(name + " truncated (needs " + std::to_string(off + n) + " bytes, holds " +
           std::to_string(bytes.size()) + ")");
    }
  }
  std::uint8_t u8(std::size_t off) const {
    need(off, 1);
    return bytes[off];
  }
  std::uint16_t u16(std::size_t off) const {
    need(off, 2);
    return static_cast<std::uint16_t>(bytes[off] | (bytes[off + 1] << 8));
  }
  std::int16_t i16(std::size_t off) const { return static_cast<std::int16_t>(u16(off)); }
  std::uint32_t u32(std::size_t off) const {
    need(off, 4);
    return static_cast<std::uint32_t>(bytes[off]) |
           (static_cast<std::uint32_t>(bytes[off + 1]) << 8) |
           (static_cast<std::uint32_t>(bytes[off + 2]) << 16) |
           (static_cast<std::uint32_t>(bytes[off + 3]) << 24);
  }
};

struct Section {
  int version = 0;
  View body;  // after the 16-byte section header
};

// One Huffman code: `prefix_bits` bits of `code` (MSB first) select it; when total > prefix the
// next (total − prefix) bits are the value itself (two's complement). mode 0 switches table.
struct HuffCode {
  int prefix_bits = 0;
  int total_bits = 0;
  int mode = 1;
  int value = 0;
  std::uint32_t code = 0;
};
using HuffTable = std::vector<HuffCode>;

HuffTable default_table() {
  // EN 1064 default table: 0 → "0", ±n (n = 1..8) → n ones then 0 then sign bit; "1111111110" + 8
  // bits and "1111111111" + 16 bits carry the value as an integer.
  HuffTable t;
  t.push_back({1, 1, 1, 0, 0b0});
  for (int n = 1; n <= 8; ++n) {
    const int len = n + 2;
    const std::uint32_t ones = ((1u << n) - 1) << 2;  // n ones, then "0", then sign
    t.push_back({len, len, 1, n, ones});
    t.push_back({len, len, 1, -n, ones | 1u});
  }
  // The ±8 codes are 10 bits ("111111110x"); the escapes are 10-bit "1111111110"/"1111111111" —
  // with n = 8 above the codes are 1111111100 and 1111111101, so the escapes do not collide.
  t.push_back({10, 18, 1, 0, 0b1111111110});
  t.push_back({10, 26, 1, 0, 0b1111111111});
  return t;
}

class BitReader {
 public:
  explicit BitReader(std::span<const std::uint8_t> b) : bytes_(b) {}
  bool has(std::size_t n) const { return pos_ + n <= bytes_.size() * 8; }
  std::uint32_t peek(int n) const {  // n ≤ 32, caller checked has(n)
    std::uint32_t v = 0;
    for (int i = 0; i < n; ++i) {
      const std::size_t p = pos_ + static_cast<std::size_t>(i);
      v = (v << 1) | ((bytes_[p >> 3] >> (7 - (p & 7))) & 1u);
    }
    return v;
  }
  void skip(int n) { pos_ += static_cast<std::size_t>(n); }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t pos_ = 0;
};

// Decodes up to n_samples values from a lead's Huffman stream.
std::vector<std::int32_t> huffman_decode(std::span<const std::uint8_t> data,
                                         const std::vector<HuffTable>& tables,
                                         std::int64_t n_samples, const std::string& what) {
  std::vector<std::int32_t> out;
  out.reserve(static_cast<std::size_t>(n_samples));
  BitReader bits(data);
  std::size_t table = 0;
  while (static_cast<std::int64_t>(out.size()) < n_samples) {
    const HuffCode* match = nullptr;
    for (const auto& c : tables[table]) {
      if (bits.has(static_cast<std::size_t>(c.prefix_bits)) && bits.peek(c.prefix_bits) == c.code) {
        match = &c;
        break;
      }
    }
    if (!match) {
      fail(what + ": Huffman data end after " + std::to_string(out.size()) + " of " +
           std::to_string(n_samples) + " samples");
    }
    bits.skip(match->prefix_bits);
    if (match->mode == 0) {
      const int next = match->value - 1;  // tables are numbered from 1
      if (next < 0 || static_cast<std::size_t>(next) >= tables.size()) {
        fail(what + ": Huffman switch to missing table " + std::to_string(match->value));
      }
      table = static_cast<std::size_t>(next);
      continue;
    }
    if (match->total_bits > match->prefix_bits) {
      const int n = match->total_bits - match->prefix_bits;
      if (n > 32 || !bits.has(static_cast<std::size_t>(n)))
        fail(what + ": truncated Huffman value");
      const std::uint32_t raw = bits.peek(n);
      bits.skip(n);
      std::int64_t v = raw;
      if (n < 64 && (raw >> (n - 1)) & 1u) v -= (std::int64_t{1} << n);  // two's complement
      out.push_back(static_cast<std::int32_t>(v));
    } else {
      out.push_back(match->value);
    }
  }
  return out;
}

// Undoes first or second differences (EN 1064 §5.9/§5.10) in place.
void undo_differences(std::vector<std::int32_t>& x, int order, const std::string& what) {
  if (order == 0) return;
  // 64-bit accumulation: a corrupt stream must not overflow; values must stay in int32.
  std::vector<std::int64_t> y(x.begin(), x.end());
  if (order == 1) {
    for (std::size_t i = 1; i < y.size(); ++i) y[i] += y[i - 1];
  } else if (order == 2) {
    for (std::size_t i = 2; i < y.size(); ++i) y[i] += 2 * y[i - 1] - y[i - 2];
  } else {
    fail(what + ": unknown difference encoding " + std::to_string(order));
  }
  for (std::size_t i = 0; i < y.size(); ++i) {
    if (y[i] > INT32_MAX || y[i] < INT32_MIN) fail(what + ": sample values overflow");
    x[i] = static_cast<std::int32_t>(y[i]);
  }
}

std::string c_string(const View& v, std::size_t& off, std::size_t end) {
  std::string s;
  while (off < end && v.bytes[off] != 0) s.push_back(static_cast<char>(v.bytes[off++]));
  if (off < end) ++off;  // the terminating NUL
  return trim(s);
}

std::string manufacturer_from_code(int code) {
  static const std::map<int, std::string> kNames{{1, "Burdick"},
                                                 {2, "Cambridge"},
                                                 {3, "Compumed"},
                                                 {4, "Datamed"},
                                                 {5, "Fukuda"},
                                                 {6, "Hewlett-Packard"},
                                                 {7, "Marquette"},
                                                 {8, "Mortara"},
                                                 {9, "Nihon Kohden"},
                                                 {10, "Okin"},
                                                 {11, "Quinton"},
                                                 {12, "Siemens"},
                                                 {13, "Spacelabs"},
                                                 {14, "Telemed"},
                                                 {15, "Hellige"},
                                                 {16, "ESA-OTE"},
                                                 {17, "Schiller"},
                                                 {18, "Picker-Schwarzer"},
                                                 {19, "Elettronica-Trentina"},
                                                 {20, "Zwönitz"}};
  const auto it = kNames.find(code);
  return it == kNames.end() ? std::string() : it->second;
}

void read_tags(const View& v, Source& src) {
  std::size_t off = 0;
  std::string date, time;
  while (off + 3 <= v.bytes.size()) {
    const int tag = v.u8(off);
    const std::size_t len = v.u16(off + 1);
    if (tag == 255) break;
    const std::size_t start = off + 3;
    v.need(start, len);
    const View val{v.bytes.subspan(start, len), v.name + " tag " + std::to_string(tag)};
    const auto text = [&] {
      std::string s(reinterpret_cast<const char*>(val.bytes.data()), val.bytes.size());
      s = s.substr(0, s.find('\0'));
      return trim(s);
    };
    switch (tag) {
      case 2:
        src.patient_id = text();
        break;
      case 4:
        if (len >= 3) {
          const int age = val.u16(0);
          const int unit = val.u8(2);
          if (unit == 1 || unit == 0)
            src.age_years = age;  // 0 = unspecified: years by convention
          else if (unit == 2)
            src.age_years = age / 12;
        }
        break;
      case 8:
        if (len >= 1) {
          if (val.u8(0) == 1)
            src.sex = 'M';
          else if (val.u8(0) == 2)
            src.sex = 'F';
        }
        break;
      case 14:
        if (len >= 36) {
          char model[7] = {};
          for (int i = 0; i < 6; ++i)
            model[i] = static_cast<char>(val.u8(8 + static_cast<std::size_t>(i)));
          src.model = trim(model);
          const std::size_t rev_len = val.u8(35);
          std::size_t p = 36 + rev_len;
          if (p <= len) {
            src.serial = c_string(val, p, len);
            src.software = c_string(val, p, len);
            c_string(val, p, len);  // SCP implementation software (the writer, not the cart)
            src.manufacturer = c_string(val, p, len);
          }
          if (src.manufacturer.empty()) src.manufacturer = manufacturer_from_code(val.u8(7));
        }
        break;
      case 25:
        if (len >= 4) {
          char buf[16];
          std::snprintf(buf, sizeof buf, "%04u-%02u-%02u", val.u16(0), val.u8(2), val.u8(3));
          date = buf;
        }
        break;
      case 26:
        if (len >= 3) {
          char buf[16];
          std::snprintf(buf, sizeof buf, "%02u:%02u:%02u", val.u8(0), val.u8(1), val.u8(2));
          time = buf;
        }
        break;
      case 34:
        if (len >= 2 && val.i16(0) != 0x7FFF) {
          const int minutes = val.i16(0);
          char buf[16];
          std::snprintf(buf, sizeof buf, "%c%02d:%02d", minutes < 0 ? '-' : '+',
                        std::abs(minutes) / 60, std::abs(minutes) % 60);
          src.acquired_zone = buf;
        }
        break;
      default:
        break;
    }
    off = start + len;
  }
  if (!date.empty()) src.acquired_at = time.empty() ? date : date + "T" + time;
}

std::vector<HuffTable> read_huffman(const Section* s2) {
  std::vector<HuffTable> tables;
  if (!s2) return tables;  // no section 2: samples are stored as 16-bit integers
  const View& v = s2->body;
  const int n_tables = v.u16(0);
  if (n_tables == 19999) return {default_table()};
  std::size_t off = 2;
  for (int t = 0; t < n_tables; ++t) {
    const int n_codes = v.u16(off);
    off += 2;
    v.need(off, static_cast<std::size_t>(n_codes) * 9);  // checked before reserving
    HuffTable table;
    for (int c = 0; c < n_codes; ++c) {
      HuffCode h;
      h.prefix_bits = v.u8(off);
      h.total_bits = v.u8(off + 1);
      h.mode = v.u8(off + 2);
      h.value = v.i16(off + 3);
      const std::uint32_t stored = v.u32(off + 5);
      off += 9;
      if (h.prefix_bits < 1 || h.prefix_bits > 32 || h.total_bits < h.prefix_bits ||
          h.total_bits - h.prefix_bits > 32) {
        fail("section 2: Huffman code with " + std::to_string(h.prefix_bits) + "/" +
             std::to_string(h.total_bits) + " bits");
      }
      // The base code is stored with its first transmitted bit in bit 0; we compare MSB-first.
      std::uint32_t code = 0;
      for (int b = 0; b < h.prefix_bits; ++b) code = (code << 1) | ((stored >> b) & 1u);
      h.code = code;
      table.push_back(h);
    }
    tables.push_back(std::move(table));
  }
  if (tables.empty()) fail("section 2 holds no Huffman table");
  return tables;
}

// Per-lead sample streams of section 5 or 6: byte counts after a fixed prefix, then the data.
std::vector<std::vector<std::int32_t>> read_leads(const View& v, std::size_t prefix,
                                                  std::size_t n_leads,
                                                  const std::vector<HuffTable>& tables,
                                                  const std::vector<std::int64_t>& n_samples) {
  std::vector<std::vector<std::int32_t>> leads;
  std::size_t off = prefix + 2 * n_leads;
  v.need(prefix, 2 * n_leads);
  for (std::size_t l = 0; l < n_leads; ++l) {
    const std::size_t n_bytes = v.u16(prefix + 2 * l);
    v.need(off, n_bytes);
    const auto data = v.bytes.subspan(off, n_bytes);
    off += n_bytes;
    const std::string what = v.name + " lead " + std::to_string(l + 1);
    if (tables.empty()) {
      if (static_cast<std::int64_t>(n_bytes / 2) < n_samples[l]) {
        fail(what + ": " + std::to_string(n_bytes) + " bytes for " + std::to_string(n_samples[l]) +
             " 16-bit samples");
      }
      std::vector<std::int32_t> x(static_cast<std::size_t>(n_samples[l]));
      for (std::size_t i = 0; i < x.size(); ++i) {
        x[i] = static_cast<std::int16_t>(data[2 * i] | (data[2 * i + 1] << 8));
      }
      leads.push_back(std::move(x));
    } else {
      // A Huffman code is ≥ 1 bit: more samples than bits is a corrupt declaration.
      if (n_samples[l] > static_cast<std::int64_t>(n_bytes) * 8) {
        fail(what + ": " + std::to_string(n_samples[l]) + " samples declared in " +
             std::to_string(n_bytes) + " bytes");
      }
      leads.push_back(huffman_decode(data, tables, n_samples[l], what));
    }
  }
  return leads;
}

// Bimodal compression (EN 1064 section 6 byte 6): outside the protected zones of section 4 (the
// QRS complexes) the rhythm data are stored decimated by `factor` (section 6's sample interval
// over section 5's); inside them, and for the n mod factor samples left at the end of each
// unprotected stretch, at the full rate. The layout of one lead, in sample numbers (1-based).
struct ProtectedZone {
  std::int64_t first = 0;  // QB
  std::int64_t last = 0;   // QE, inclusive
};

struct BimodalLayout {
  std::int64_t factor = 1;
  std::vector<ProtectedZone> zones;  // ascending, disjoint
};

// Calls piece(first, last, decimated) for each stretch of [start, end] in order: protected zones
// and the n mod factor trailing samples of an unprotected stretch are full-rate (decimated =
// false); the rest of an unprotected stretch is blocks of `factor` samples, one value each.
template <class F>
void for_each_piece(const BimodalLayout& layout, std::int64_t start, std::int64_t end, F&& piece) {
  std::int64_t next = start;
  const auto unprotected = [&](std::int64_t a, std::int64_t b) {
    if (b < a) return;
    const std::int64_t n = b - a + 1;
    const std::int64_t blocks_samples = n / layout.factor * layout.factor;
    if (blocks_samples > 0) piece(a, a + blocks_samples - 1, true);
    if (blocks_samples < n) piece(a + blocks_samples, b, false);
  };
  for (const auto& z : layout.zones) {
    if (z.first > end) break;  // a zone past the end of a shorter lead
    unprotected(next, z.first - 1);
    piece(z.first, std::min(z.last, end), false);
    next = z.last + 1;
  }
  unprotected(next, end);
}

// How many values the file stores for a lead of samples [start, end].
std::int64_t bimodal_stored_samples(const BimodalLayout& layout, std::int64_t start,
                                    std::int64_t end) {
  std::int64_t n = 0;
  for_each_piece(layout, start, end, [&](std::int64_t a, std::int64_t b, bool decimated) {
    n += decimated ? (b - a + 1) / layout.factor : b - a + 1;
  });
  return n;
}

// Stored values → full-rate samples [start, end]. Full-rate values are kept exactly; a decimated
// value stands for its block and is placed at the block's centre; every other sample is the
// straight line between the nearest values on either side (held flat before the first and after
// the last). The reference decoder of OpenECG (Cervesato & De Odorico) interpolates alike and
// then smooths with a 3-point mean; we do not, so that no sample the file holds exactly changes.
std::vector<std::int32_t> bimodal_expand(const BimodalLayout& layout, std::int64_t start,
                                         std::int64_t end,
                                         const std::vector<std::int32_t>& stored) {
  struct Anchor {
    double position;
    double value;
  };
  std::vector<Anchor> anchors;
  anchors.reserve(stored.size());
  std::size_t k = 0;
  for_each_piece(layout, start, end, [&](std::int64_t a, std::int64_t b, bool decimated) {
    if (decimated) {
      for (std::int64_t block = a; block <= b; block += layout.factor) {
        const double centre =
            static_cast<double>(block) + static_cast<double>(layout.factor - 1) / 2;
        anchors.push_back({centre, static_cast<double>(stored[k++])});
      }
    } else {
      for (std::int64_t t = a; t <= b; ++t)
        anchors.push_back({static_cast<double>(t), static_cast<double>(stored[k++])});
    }
  });
  std::vector<std::int32_t> out(static_cast<std::size_t>(end - start + 1));
  std::size_t i = 0;  // anchors[i] is the last anchor at or before t (or the first one)
  for (std::int64_t t = start; t <= end; ++t) {
    const double x = static_cast<double>(t);
    while (i + 1 < anchors.size() && anchors[i + 1].position <= x) ++i;
    const Anchor& lo = anchors[i];
    double v = lo.value;
    if (i + 1 < anchors.size() && x > lo.position) {
      const Anchor& hi = anchors[i + 1];
      v = lo.value + (hi.value - lo.value) * (x - lo.position) / (hi.position - lo.position);
    }
    out[static_cast<std::size_t>(t - start)] = static_cast<std::int32_t>(std::lround(v));
  }
  return out;
}

}  // namespace

bool looks_like_scp(std::span<const std::uint8_t> b, std::size_t file_size) {
  if (file_size == 0) file_size = b.size();
  // Record header: CRC (2), length (4); section 0 follows with id 0 and, from v1.3 on, the
  // reserved bytes "SCPECG".
  if (b.size() < 22) return false;
  const bool id0 = b[8] == 0 && b[9] == 0;
  const std::string_view tag(reinterpret_cast<const char*>(b.data()) + 16, 6);
  const std::uint32_t declared =
      static_cast<std::uint32_t>(b[2]) | (static_cast<std::uint32_t>(b[3]) << 8) |
      (static_cast<std::uint32_t>(b[4]) << 16) | (static_cast<std::uint32_t>(b[5]) << 24);
  // Before v1.3 the tag may be absent: then the declared record length must fit the bytes and
  // section 0's length lie inside it (some writers pad the file after the record).
  const std::uint32_t s0_len =
      static_cast<std::uint32_t>(b[10]) | (static_cast<std::uint32_t>(b[11]) << 8) |
      (static_cast<std::uint32_t>(b[12]) << 16) | (static_cast<std::uint32_t>(b[13]) << 24);
  const bool plausible =
      declared >= 22 && declared <= file_size && s0_len >= 16 + 10 && s0_len <= declared - 6;
  return id0 && (tag == "SCPECG" || plausible);
}

EcgFile read_scp(std::span<const std::uint8_t> bytes) {
  const View file{bytes, "record"};
  const std::uint32_t total = file.u32(2);
  if (total > bytes.size()) {
    fail("record declares " + std::to_string(total) + " bytes, file holds " +
         std::to_string(bytes.size()) + " (truncated)");
  }
  if (total < 6 + 16) fail("record length " + std::to_string(total) + " too small");
  const auto record = bytes.subspan(0, total);
  const std::uint16_t crc_stored = file.u16(0);
  const std::uint16_t crc_computed = crc_ccitt(record.subspan(2));
  if (crc_stored != crc_computed && kCrcMismatchIsError) {
    fail("record CRC mismatch (stored " + hex16(crc_stored) + ", computed " + hex16(crc_computed) +
         ")");
  }

  const View rec{record, "record"};
  const auto section_at = [&](std::size_t offset, int expect_id) {
    const std::string name = "section " + std::to_string(expect_id);
    rec.need(offset, 16);
    const int id = rec.u16(offset + 2);
    const std::uint32_t len = rec.u32(offset + 4);
    if (id != expect_id) fail(name + ": header says section " + std::to_string(id));
    if (len < 16 || len > total - offset) {
      fail(name + ": length " + std::to_string(len) + " outside the record");
    }
    const auto whole = record.subspan(offset, len);
    const std::uint16_t stored = rec.u16(offset);
    const std::uint16_t computed = crc_ccitt(whole.subspan(2));
    if (stored != computed && kCrcMismatchIsError) {
      fail(name + " CRC mismatch (stored " + hex16(stored) + ", computed " + hex16(computed) + ")");
    }
    return Section{rec.u8(offset + 8), View{whole.subspan(16), name}};
  };

  const Section s0 = section_at(6, 0);
  std::map<int, Section> sections;
  for (std::size_t off = 0; off + 10 <= s0.body.bytes.size(); off += 10) {
    const int id = s0.body.u16(off);
    const std::uint32_t len = s0.body.u32(off + 2);
    const std::uint32_t index = s0.body.u32(off + 6);
    if (id == 0 || len == 0 || index == 0) continue;
    if (id > 11) continue;  // manufacturer-specific sections: not ours to read
    if (sections.count(id)) fail("section 0 points to section " + std::to_string(id) + " twice");
    sections.emplace(id, section_at(index - 1, id));
  }
  const auto get = [&](int id) -> const Section* {
    const auto it = sections.find(id);
    return it == sections.end() ? nullptr : &it->second;
  };

  Source src;
  src.format = Format::scp_ecg;
  {
    const int v = s0.version;
    src.format_version = std::to_string(v / 10) + "." + std::to_string(v % 10);
  }
  if (const auto* s1 = get(1)) read_tags(s1->body, src);

  const Section* s3 = get(3);
  const Section* s6 = get(6);
  if (!s3) fail("no section 3 (lead definition)");
  if (!s6) fail("no section 6 (rhythm data)");
  const View& v3 = s3->body;
  const std::size_t n_leads = v3.u8(0);
  const int flags = v3.u8(1);
  const bool ref_subtracted = (flags & 1) != 0;
  if (n_leads == 0) fail("section 3 defines no leads");
  // Checked before anything is decoded: up to 255 declared leads of up to kMaxSamplesPerLead
  // samples each would otherwise be decompressed first and refused afterwards.
  if (n_leads > kMaxLeads) {
    fail("section 3 defines " + std::to_string(n_leads) + " leads (limit " + std::to_string(kMaxLeads) + ")");
  }
  v3.need(2, n_leads * 9);
  std::vector<std::string> names;
  std::vector<std::int64_t> n_samples;
  std::int64_t first_start = -1;
  std::int64_t last_end = 0;  // the last sample of the longest lead
  for (std::size_t l = 0; l < n_leads; ++l) {
    const std::int64_t start = v3.u32(2 + 9 * l);
    const std::int64_t end = v3.u32(2 + 9 * l + 4);
    const int code = v3.u8(2 + 9 * l + 8);
    if (start < 1 || end < start || end - start + 1 > kMaxSamplesPerLead) {
      fail("section 3: lead " + std::to_string(l + 1) + " spans samples " + std::to_string(start) +
           "–" + std::to_string(end));
    }
    if (first_start < 0) first_start = start;
    if (start != first_start) {
      fail("section 3: leads start at different samples (not simultaneously recorded)");
    }
    names.push_back(lead_name_from_code(code).value_or("SCP lead " + std::to_string(code)));
    n_samples.push_back(end - start + 1);
    last_end = std::max(last_end, end);
  }

  const auto tables = read_huffman(get(2));
  const View& v6 = s6->body;
  const int avm6_nv = v6.u16(0);
  const int interval6_us = v6.u16(2);
  const int diff6 = v6.u8(4);
  const bool bimodal_flag = v6.u8(5) != 0;
  if (avm6_nv == 0) fail("section 6: amplitude value multiplier is 0");
  if (interval6_us == 0) fail("section 6: sample interval is 0");

  // The full-rate sample interval is section 6's unless the rhythm data are decimated (bimodal
  // compression): then it is section 5's, the reference beat's.
  int interval_us = interval6_us;
  std::optional<BimodalLayout> bimodal;
  std::string bimodal_note;
  {
    const Section* s5 = get(5);
    const int interval5_us = s5 ? s5->body.u16(2) : 0;
    // Some writers decimate a reference-subtracted rhythm without setting the flag: section 6's
    // interval is then a multiple of section 5's and the two cannot be added otherwise.
    const bool unflagged = !bimodal_flag && ref_subtracted && interval5_us > 0 &&
                           interval6_us > interval5_us && interval6_us % interval5_us == 0;
    if (bimodal_flag || unflagged) {
      const std::string feature = "unsupported SCP-ECG feature: bimodal compression (section 6) ";
      if (!s5) fail(feature + "without section 5, whose sample interval is the full rate");
      if (interval5_us == 0) fail("section 5: sample interval is 0");
      if (interval6_us % interval5_us != 0) {
        fail(feature + "with section 6's sample interval " + std::to_string(interval6_us) +
             " µs not a whole multiple of section 5's " + std::to_string(interval5_us) + " µs");
      }
      interval_us = interval5_us;
      BimodalLayout layout;
      layout.factor = interval6_us / interval5_us;
      // Each stored value may stand for `factor` samples: the cap bounds the memory a small file
      // can ask for (a factor of 4 already turns 500 Hz into 125 Hz).
      if (layout.factor > kScpMaxDecimationFactor) {
        fail(feature + "with a decimation factor of " + std::to_string(layout.factor) +
             " (section 6 " + std::to_string(interval6_us) + " µs over section 5 " +
             std::to_string(interval5_us) + " µs; we accept up to " +
             std::to_string(kScpMaxDecimationFactor) + ")");
      }
      if (layout.factor > 1) {
        const Section* s4 = get(4);
        if (!s4) fail(feature + "without section 4, which locates the protected zones");
        const View& v4 = s4->body;
        const std::size_t n_qrs = v4.u16(4);
        v4.need(6, n_qrs * 14);
        // From v1.3 on a table of protected zones (QB, QE) follows the subtraction zones; before
        // it the subtraction zones (SB, SE) are the protected ones.
        const bool own_table = s4->version >= 13;
        if (own_table) v4.need(6 + n_qrs * 14, n_qrs * 8);
        std::int64_t previous_last = first_start - 1;
        for (std::size_t q = 0; q < n_qrs; ++q) {
          ProtectedZone z;
          if (own_table) {
            z.first = v4.u32(6 + n_qrs * 14 + 8 * q);
            z.last = v4.u32(6 + n_qrs * 14 + 8 * q + 4);
          } else {
            z.first = v4.u32(6 + 14 * q + 2);
            z.last = v4.u32(6 + 14 * q + 10);
          }
          if (z.first <= previous_last || z.last < z.first || z.last > last_end) {
            fail("section 4: protected zone " + std::to_string(q + 1) + " (samples " +
                 std::to_string(z.first) + "–" + std::to_string(z.last) +
                 ") overlaps the previous one or lies outside the leads' samples " +
                 std::to_string(first_start) + "–" + std::to_string(last_end));
          }
          previous_last = z.last;
          layout.zones.push_back(z);
        }
        if (unflagged) {
          bimodal_note = "section 6 is decimated (sample interval " + std::to_string(interval6_us) +
                         " µs, section 5's " + std::to_string(interval5_us) +
                         " µs) without the bimodal flag: decoded as bimodal compression";
        }
        bimodal = std::move(layout);
      }
    }
  }
  std::vector<std::int64_t> stored_samples = n_samples;
  if (bimodal) {
    for (std::size_t l = 0; l < n_leads; ++l) {
      stored_samples[l] =
          bimodal_stored_samples(*bimodal, first_start, first_start + n_samples[l] - 1);
    }
  }
  auto rhythm = read_leads(v6, 6, n_leads, tables, stored_samples);
  for (std::size_t l = 0; l < n_leads; ++l) {
    // Differences are taken along the stored values, decimated ones included.
    undo_differences(rhythm[l], diff6, "section 6 lead " + std::to_string(l + 1));
    if (bimodal) {
      rhythm[l] = bimodal_expand(*bimodal, first_start, first_start + n_samples[l] - 1, rhythm[l]);
    }
  }

  // The reference beat (section 5, its length and fiducial from section 4): added back where it
  // was subtracted, and kept as the device's median beat either way.
  struct Reference {
    int avm_nv = 0;
    int interval_us = 0;
    std::int64_t length = 0;
    std::int64_t fiducial = 0;  // 1-based sample of the fiducial inside the beat
    std::vector<std::vector<std::int32_t>> leads;
  };
  const auto decode_reference = [&]() {
    const View& v5 = get(5)->body;
    const View& v4 = get(4)->body;
    Reference ref;
    ref.avm_nv = v5.u16(0);
    ref.interval_us = v5.u16(2);
    const int diff5 = v5.u8(4);
    if (ref.avm_nv == 0) fail("section 5: amplitude value multiplier is 0");
    if (ref.interval_us == 0) fail("section 5: sample interval is 0");
    // Section 4 gives the reference beat's length in milliseconds, its fiducial as a sample.
    const std::int64_t length_ms = v4.u16(0);
    ref.length = (length_ms * 1000 + ref.interval_us / 2) / ref.interval_us;
    ref.fiducial = v4.u16(2);
    std::vector<std::int64_t> ref_n(n_leads, ref.length);
    ref.leads = read_leads(v5, 6, n_leads, tables, ref_n);
    for (std::size_t l = 0; l < n_leads; ++l) {
      undo_differences(ref.leads[l], diff5, "section 5 lead " + std::to_string(l + 1));
    }
    return ref;
  };
  std::optional<Reference> reference;
  std::string reference_problem;
  if (get(4) && get(5)) {
    try {
      reference = decode_reference();
    } catch (const Error& e) {
      if (ref_subtracted) throw;
      reference_problem = e.what();
    }
  }

  // Counts in units of g nV, g dividing both multipliers, so reference beat and residual add
  // exactly in integers.
  std::int64_t unit_nv = avm6_nv;
  if (ref_subtracted) {
    if (!reference) fail("reference beat subtraction flagged but section 4 or 5 missing");
    if (reference->interval_us != interval_us) {
      fail("section 5 sample interval " + std::to_string(reference->interval_us) +
           " µs differs from section 6 " + std::to_string(interval6_us) + " µs");
    }
    const View& v4 = get(4)->body;
    const std::size_t n_qrs = v4.u16(4);
    unit_nv = std::gcd(reference->avm_nv, avm6_nv);
    const std::int64_t k6 = avm6_nv / unit_nv;
    const std::int64_t k5 = reference->avm_nv / unit_nv;
    v4.need(6, n_qrs * 14);
    for (std::size_t l = 0; l < n_leads; ++l) {
      const auto& ref = reference->leads[l];
      std::vector<std::int64_t> sum(rhythm[l].begin(), rhythm[l].end());
      for (auto& s : sum) s *= k6;
      for (std::size_t q = 0; q < n_qrs; ++q) {
        const std::size_t o = 6 + 14 * q;
        if (v4.u16(o) != 0) continue;  // only beats of the reference type were subtracted
        const std::int64_t sb = v4.u32(o + 2);
        const std::int64_t fc = v4.u32(o + 6);
        const std::int64_t se = v4.u32(o + 10);
        // The zone as far as it lies within the lead and the reference beat (r = t − fc +
        // fiducial from 1 to its length); clipped first, since SB–SE may span 2^32 samples.
        const std::int64_t first = std::max({sb, first_start, fc - reference->fiducial + 1});
        const std::int64_t last =
            std::min({se, first_start + static_cast<std::int64_t>(sum.size()) - 1,
                      fc - reference->fiducial + reference->length});
        for (std::int64_t t = first; t <= last; ++t) {
          const std::int64_t r = t - fc + reference->fiducial;  // 1-based index into the beat
          sum[static_cast<std::size_t>(t - first_start)] +=
              k5 * ref[static_cast<std::size_t>(r - 1)];
        }
      }
      for (std::size_t i = 0; i < sum.size(); ++i) {
        if (sum[i] > INT32_MAX || sum[i] < INT32_MIN)
          fail("lead " + names[l] + ": sample values overflow");
        rhythm[l][i] = static_cast<std::int32_t>(sum[i]);
      }
    }
  }

  std::vector<StoredLead> leads;
  for (std::size_t l = 0; l < n_leads; ++l) {
    leads.push_back({names[l], std::move(rhythm[l]), static_cast<double>(unit_nv) / 1000.0, 0.0});
  }
  EcgFile out = assemble(std::move(src), 1e6 / interval_us, std::move(leads), "SCP-ECG");
  if (!bimodal_note.empty()) out.warnings.push_back(bimodal_note);
  if (reference && reference->length > 0) {
    DeviceMedian median;
    median.sample_rate_hz = 1e6 / reference->interval_us;
    for (std::size_t l = 0; l < n_leads; ++l) {
      median.leads.push_back(
          {out.stored[l].name, std::move(reference->leads[l]), reference->avm_nv / 1000.0, 0.0});
    }
    keep_device_median(out, std::move(median), "SCP-ECG");
  } else if (!reference_problem.empty()) {
    out.warnings.push_back("device median beat not kept: " + reference_problem);
  }
  return out;
}

}  // namespace gc::formats::detail
