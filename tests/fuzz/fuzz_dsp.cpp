// libFuzzer target over the dsp entry points (analyze, filter_diagnostic, detect_mains_hz,
// detect_qrs) (issue 3 item 5). Built only with -DGC_FUZZ=ON and clang; run e.g.
//   build-fuzz/tests/fuzz/fuzz_dsp -max_total_time=300 tests/fuzz/corpus_dsp
// The same body runs over the seed corpus in the normal test suite (tests/dsp).
#include <cstddef>
#include <cstdint>

#include "fuzz_dsp_body.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  gc::fuzz::fuzz_dsp_one(data, size);
  return 0;
}
