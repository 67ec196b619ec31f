// beats_typing — beat classification for the median beat: clusters beats by multi-lead QRS
// morphology (correlation after lag alignment), marks premature and noisy beats and picks the
// dominant class (most frequent, normal-width, non-premature). Internal to gc_dsp.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace gc::dsp::detail {

struct BeatTypes {
  std::vector<int> cls;                    // class per beat; -1 = not classifiable (record edge)
  std::vector<std::uint8_t> dominant;      // member of the dominant class, not premature
  std::vector<std::uint8_t> premature;     // RR < 85 % of the local reference RR
  std::vector<std::uint8_t> noisy;         // noise outside the QRS far above the record's norm
  std::vector<std::int64_t> aligned_r;     // fiducial refined by cross-correlation with the template
  std::optional<int> dominant_class;
  int n_classes = 0;
};

// leads: filtered, analysable leads [n_leads][n_samples] µV (all the same length).
// r: detected R samples, strictly increasing.
BeatTypes type_beats(const std::vector<std::span<const float>>& leads, double fs_hz,
                     std::span<const std::int64_t> r);

// Local reference RR (samples) for each beat: median of the RR intervals around it.
std::vector<double> local_reference_rr(std::span<const std::int64_t> r);

}  // namespace gc::dsp::detail
