// Internals shared by the writers: the leads as a 16-bit format stores them, atomic file
// replacement and number formatting.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "gc/export.hpp"

namespace gc::exporter::detail {

// One lead ready to write: µV = counts × uv_per_count (no offset).
struct OutLead {
  std::string name;
  std::vector<std::int32_t> counts;
  double uv_per_count = 1;
};

// The stored leads with their offset folded into the counts (a whole number of counts; the
// fraction, < 1 count, is the only change) and, when `int16` and a lead's counts leave the
// int16 range, requantised to k × the scale (k the smallest whole factor that fits).
std::vector<OutLead> out_leads(const formats::EcgFile& ecg, bool int16);

// Writes through `write(temp_path)` to a temporary file in out's folder, then renames it to
// `out`; the temporary is removed on failure.
void write_atomically(const std::filesystem::path& out,
                      const std::function<void(const std::filesystem::path&)>& write);

// Shortest text that reads back as the same double ("2.5", "0.58275058275058275").
std::string exact_number(double v);
// A DICOM DS value (≤ 16 characters), as close as 16 characters allow.
std::string ds_number(double v);

// The id the exports print and write instead of the file's patient id: "PSN-" and the first 12
// hex digits of its SHA-256 ("" for none), so no export carries the clinic's own identifier.
std::string pseudonymous_id(const std::string& id);

// "2002-11-22T09:10:00" → "20021122091000" (digits only, at most 14); "" stays "".
std::string compact_datetime(const std::string& iso);

}  // namespace gc::exporter::detail
