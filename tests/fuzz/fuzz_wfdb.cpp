// libFuzzer target over the WFDB reader's in-memory parsers (header, signal bytes, annotations)
// (issue 3 item 5). Built only with -DGC_FUZZ=ON and clang; run e.g.
//   build-fuzz/tests/fuzz/fuzz_wfdb -max_total_time=300 tests/fuzz/corpus_wfdb
// The same body runs over the seed corpus in the normal test suite (tests/wfdb).
#include <cstddef>
#include <cstdint>

#include "fuzz_wfdb_body.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  gc::fuzz::fuzz_wfdb_one(data, size);
  return 0;
}
