// libFuzzer target over the cart agent's watch journal replay (`cart --watch`, agent/): the
// journal file's content as input. Built only with -DGC_FUZZ=ON and clang; run e.g.
//   build-fuzz/tests/fuzz/fuzz_journal -max_total_time=300 tests/fuzz/corpus_journal
// The same body runs over the seed corpus in the normal test suite (tests/agent).
#include <cstddef>
#include <cstdint>

#include "fuzz_journal_body.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  gc::fuzz::fuzz_journal_one(data, size);
  return 0;
}
