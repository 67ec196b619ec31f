// libFuzzer target over the ECG file readers: the DICOM waveform reader (DCMTK parse, multiplex
// groups, channels). Built only with -DGC_FUZZ=ON and clang; run e.g.
//   build-fuzz/tests/fuzz/fuzz_formats_dicom -max_total_time=300 tests/fuzz/corpus_formats_dicom
// The same body runs over the seed corpus in the normal test suite (tests/formats).
#include <cstddef>
#include <cstdint>

#include "fuzz_formats_body.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  gc::fuzz::fuzz_formats_one(gc::fuzz::FormatsTarget::dicom, data, size);
  return 0;
}
