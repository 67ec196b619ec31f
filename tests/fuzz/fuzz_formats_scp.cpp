// libFuzzer target over the ECG file readers: the SCP-ECG decoder (sections, Huffman, differences,
// reference beat, CRCs). Built only with -DGC_FUZZ=ON and clang; run e.g.
//   build-fuzz/tests/fuzz/fuzz_formats_scp -max_total_time=300 tests/fuzz/corpus_formats_scp
// The same body runs over the seed corpus in the normal test suite (tests/formats).
#include <cstddef>
#include <cstdint>

#include "fuzz_formats_body.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  gc::fuzz::fuzz_formats_one(gc::fuzz::FormatsTarget::scp, data, size);
  return 0;
}
