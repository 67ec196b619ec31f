// The fuzzed behaviour of the WFDB reader's in-memory entry points (parse_header, parse_record,
// parse_annotations), shared by the libFuzzer target (fuzz_wfdb.cpp) and the corpus replay in
// the normal test suite (tests/wfdb/test_fuzz_wfdb_corpus.cpp).
//
// Input layout: [0..1] header length L (u16, little-endian; capped to the bytes present),
// [2..L+1] header text, the rest: the bytes of every data file the header names (one buffer for
// all names) and, separately, an annotation file.
// Promises checked (a broken one traps so libFuzzer keeps the input): the only exception is
// gc::wfdb::Error; a record never holds more samples than the data bytes can encode (nothing is
// allocated from a header's word alone); every sample is in its format's range; µV values are
// finite or refused with Error; annotations are no more than the 16-bit words present.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gc/wfdb.hpp"

namespace gc::fuzz {

namespace wfdb_detail {

// Names the broken promise on stderr, then traps (libFuzzer keeps the input; a test run aborts).
[[noreturn]] inline void broken(const char* promise) {
  std::fprintf(stderr, "broken promise: %s\n", promise);
  __builtin_trap();
}
inline void require(bool ok, const char* promise) {
  if (!ok) broken(promise);
}

inline void check_record(const wfdb::Record& rec, std::size_t data_bytes) {
  const auto& h = rec.header;
  require(rec.samples_adu.size() == h.signals.size(), "parse_record: one row per signal");
  std::vector<std::string> files;
  for (std::size_t s = 0; s < h.signals.size(); ++s) {
    const auto& row = rec.samples_adu[s];
    require(static_cast<std::int64_t>(row.size()) == h.n_samples, "parse_record: row length");
    const auto& sig = h.signals[s];
    const std::int32_t lo = sig.format == 16 ? -32768 : -2048;
    const std::int32_t hi = sig.format == 16 ? 32767 : 2047;
    for (const auto v : row) require(v >= lo && v <= hi, "parse_record: sample in format range");
    if (std::find(files.begin(), files.end(), sig.file_name) == files.end()) {
      files.push_back(sig.file_name);
    }
  }
  // Each file holds at most data_bytes / (bytes per sample ≥ 1.5) values, so the rows of all
  // signals together hold no more values than the bytes given.
  std::size_t total = 0;
  for (const auto& row : rec.samples_adu) total += row.size();
  require(total <= files.size() * data_bytes, "parse_record: no samples beyond the bytes given");

  require(rec.invalid_counts().size() == h.signals.size(), "invalid_counts: one per signal");
  (void)rec.checksum_mismatches();
  try {
    const auto uv = rec.to_microvolts();
    require(uv.size() == h.signals.size(), "to_microvolts: one row per signal");
    for (const auto& row : uv) {
      for (const float v : row) require(std::isfinite(v), "to_microvolts: finite");
    }
  } catch (const wfdb::Error&) {
    // Non-voltage units or a gain that leaves the float range: refused by name.
  }
}

}  // namespace wfdb_detail

inline void fuzz_wfdb_one(const std::uint8_t* data, std::size_t size) {
  using namespace wfdb_detail;
  if (size < 2) return;
  const std::size_t header_len = std::min<std::size_t>(data[0] | (data[1] << 8), size - 2);
  const std::string_view header_text(reinterpret_cast<const char*>(data + 2), header_len);
  const std::span<const std::uint8_t> rest(data + 2 + header_len, size - 2 - header_len);

  try {
    wfdb::Header header = wfdb::parse_header(header_text, "fuzz.hea");
    require(header.n_samples >= 0, "parse_header: length >= 0");
    require(header.sample_rate_hz > 0 && std::isfinite(header.sample_rate_hz),
            "parse_header: positive finite rate");
    for (const auto& sig : header.signals) {
      require(sig.format == 16 || sig.format == 212, "parse_header: supported format");
      require(sig.byte_offset >= 0, "parse_header: offset >= 0");
      require(sig.adc_gain_per_mv > 0 && std::isfinite(sig.adc_gain_per_mv),
              "parse_header: positive finite gain");
    }
    wfdb::DataFiles files;
    for (const auto& sig : header.signals) files.emplace(sig.file_name, rest);
    check_record(wfdb::parse_record(std::move(header), files), rest.size());
  } catch (const wfdb::Error&) {
    // A clear refusal is the expected outcome for most inputs.
  } catch (...) {
    broken("wfdb: an exception other than wfdb::Error");
  }

  try {
    const auto annotations = wfdb::parse_annotations(rest, "fuzz.atr");
    require(annotations.size() <= rest.size() / 2, "parse_annotations: one per word at most");
    for (const auto& a : annotations) {
      require(a.code >= 0 && a.code <= 49, "parse_annotations: code in range");
      (void)wfdb::is_beat_symbol(a.symbol);
    }
  } catch (const wfdb::Error&) {
  } catch (...) {
    broken("parse_annotations: an exception other than wfdb::Error");
  }
}

}  // namespace gc::fuzz
