// The fuzzed behaviour of the ECG file readers (gc::formats), shared by the libFuzzer targets
// (fuzz_formats_*.cpp) and the corpus replay in the normal test suite (tests/formats).
//
// Each target calls one parser directly, so every input reaches it without the content
// detection in front: SCP-ECG (read_scp), DICOM (read_dicom, DCMTK), the XML formats (read_xml:
// aECG, MUSE, Sierra, CardioSoft by root element) and Philips XLI decompression (decode_xli;
// input [0] lead count, [1..2] samples per lead u16 LE, then the XLI bytes).
// Promises checked (a broken one traps so libFuzzer keeps the input): the only exception is
// gc::formats::Error; a result has one row of samples_per_lead counts per stored lead, the µV
// block holds the stored plus the derived leads, every µV value is finite, the rate is valid;
// binary formats never return more samples than their bytes can encode (≥ 1 bit per sample, or
// per block of decimated samples in SCP-ECG's bimodal compression); a
// device median beat, when kept, has one length and a valid rate.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <span>

#include "detail.hpp"
#include "gc/formats.hpp"

namespace gc::fuzz {

namespace formats_detail {

[[noreturn]] inline void broken(const char* promise) {
  std::fprintf(stderr, "broken promise: %s\n", promise);
  __builtin_trap();
}
inline void require(bool ok, const char* promise) {
  if (!ok) broken(promise);
}

inline void check_ecg(const formats::EcgFile& f, std::size_t input_bytes, bool binary,
                      bool scp = false) {
  require(!f.stored.empty(), "at least one stored lead");
  require(dsp::valid_sample_rate_hz(f.sample_rate_hz), "valid sample rate");
  require(f.samples_per_lead > 0, "samples per lead > 0");
  for (const auto& l : f.stored) {
    require(static_cast<std::int64_t>(l.counts.size()) == f.samples_per_lead, "stored row length");
    require(std::isfinite(l.uv_per_count) && std::isfinite(l.offset_uv), "finite scale");
  }
  require(f.block.lead_names.size() == f.stored.size() + f.derived_leads.size(),
          "block = stored + derived");
  require(f.block.samples_uv.size() == f.block.lead_names.size(), "one µV row per lead");
  for (const auto& row : f.block.samples_uv) {
    require(static_cast<std::int64_t>(row.size()) == f.samples_per_lead, "µV row length");
    for (const float v : row) require(std::isfinite(v), "finite µV");
  }
  if (f.device_median) {
    require(dsp::valid_sample_rate_hz(f.device_median->sample_rate_hz), "median: valid rate");
    for (const auto& l : f.device_median->leads) {
      require(l.counts.size() == f.device_median->leads.front().counts.size(),
              "median: one length");
      require(std::isfinite(l.uv_per_count) && std::isfinite(l.offset_uv), "median: finite scale");
    }
  }
  if (binary) {
    // SCP-ECG's bimodal compression stores one value per block of up to
    // kScpMaxDecimationFactor samples outside the QRS complexes.
    const double samples_per_bit =
        scp ? static_cast<double>(formats::detail::kScpMaxDecimationFactor) : 1.0;
    const auto total =
        static_cast<double>(f.samples_per_lead) * static_cast<double>(f.stored.size());
    require(total <= samples_per_bit * 8.0 * static_cast<double>(input_bytes),
            "no more samples than input bits (× the decimation factor for SCP-ECG)");
  }
}

}  // namespace formats_detail

enum class FormatsTarget { scp, dicom, xml, xli };

inline void fuzz_formats_one(FormatsTarget target, const std::uint8_t* data, std::size_t size) {
  using namespace formats_detail;
  const std::span<const std::uint8_t> bytes(data, size);
  try {
    switch (target) {
      case FormatsTarget::scp:
        check_ecg(formats::detail::read_scp(bytes), size, true, true);
        break;
      case FormatsTarget::dicom:
        check_ecg(formats::detail::read_dicom(bytes), size, true);
        break;
      case FormatsTarget::xml:
        check_ecg(formats::detail::read_xml(bytes), size, false);
        break;
      case FormatsTarget::xli: {
        if (size < 3) return;
        const std::size_t n_leads = data[0] % 17;
        const std::size_t n_samples = static_cast<std::size_t>(data[1] | (data[2] << 8));
        const auto leads = formats::detail::decode_xli(bytes.subspan(3), n_leads, n_samples, "XLI");
        require(leads.size() == n_leads, "XLI: the leads asked for");
        for (const auto& l : leads) require(l.size() == n_samples, "XLI: the samples asked for");
        break;
      }
    }
  } catch (const formats::Error&) {
    // the one expected failure: a clear reason for a bad file
  } catch (...) {
    broken("only gc::formats::Error escapes a reader");
  }
}

}  // namespace gc::fuzz
