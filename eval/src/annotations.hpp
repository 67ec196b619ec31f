// Reference annotations of the delineation databases, shared by eval delineation and eval st:
// QTDB .q1c/.q2c (one global set of fiducials per beat) and LUDB per-lead files, plus the nearest-
// beat matching both evaluations score with.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <vector>

#include "gc/dsp.hpp"
#include "gc/eval.hpp"
#include "gc/wfdb.hpp"

namespace gc::eval::detail {

struct AnnotatedBeat {
  std::int64_t peak = 0;
  std::optional<std::int64_t> qrs_onset, qrs_offset, t_end;
  // LUDB only: the latest T end that another lead's annotation confirms, within
  // kConfirmingLeadMs — a diagnostic reference beside t_end, which one lead's T end placed far
  // after every other lead's (on a flat lead: LUDB 29, 55, 61) decides alone.
  std::optional<std::int64_t> t_end_confirmed;
};
inline constexpr double kConfirmingLeadMs = 40;

// QTDB .q1c: the T end is the ')' after the 't' that follows the beat (before the next beat).
std::vector<AnnotatedBeat> qtdb_beats(const std::filesystem::path& q1c);

// LUDB: a beat's global fiducials are the earliest QRS onset, the latest QRS offset and the
// latest T end over the leads that annotated it (and t_end_confirmed, above).
std::vector<AnnotatedBeat> ludb_beats(const std::filesystem::path& hea, double sample_rate_hz);

// The .hea files of a folder, numeric names in numeric order, others after in text order.
std::vector<std::filesystem::path> headers_in(const std::filesystem::path& dir);

// Nearest detected beat within 150 ms of the annotated QRS peak (beats sorted by r_sample).
const dsp::Beat* match_beat(const std::vector<dsp::Beat>& detected, std::int64_t peak,
                            double sample_rate_hz);

// Scores every annotated beat against its matched detected beat.
void score(const std::vector<AnnotatedBeat>& annotated, const dsp::Analysis& analysis,
           DelineationStats& stats);

}  // namespace gc::eval::detail
