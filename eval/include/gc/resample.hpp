#pragma once
// Band-limited resampling of a whole record to another sample rate, for evaluation only: the
// held-out checks read carts at 100 Hz (Brugada-HUCA), 257 Hz (INCART), 500 Hz and 1000 Hz (PTB),
// so `eval stemi --resample-hz` reads the dev records at another rate to show how much of the
// read depends on the rate it was developed at. The analysis itself never resamples a record.
#include "gc/dsp.hpp"

namespace gc::eval {

// Windowed-sinc interpolation (Kaiser window, β = 8, 16 zero crossings of the low-pass each
// side) with the cut-off at 0.45 × the lower of the two rates, so a down-sampled record carries
// no alias and an up-sampled one no image. Samples beyond the record's ends repeat its first/last
// value. Output length: floor(n × out / in). Throws std::invalid_argument for a rate that is
// not positive and finite, or a block whose leads differ in length.
dsp::SignalBlock resample(const dsp::SignalBlock& in, double out_rate_hz);

}  // namespace gc::eval
