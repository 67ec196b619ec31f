// libFuzzer target over frame decoding and cart message validation (issue 5). Built only with
// -DGC_FUZZ=ON and clang; run e.g.
//   build-fuzz/tests/fuzz/fuzz_frames -max_total_time=600 tests/fuzz/corpus
// The same body runs over the seed corpus in the normal test suite (tests/proto).
#include <cstddef>
#include <cstdint>

#include "fuzz_frames_body.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  gc::fuzz::fuzz_frames_one(data, size);
  return 0;
}
