// cart_study — a record (WFDB) or a cart's ECG file (DICOM, aECG, SCP-ECG, vendor XML) turned into
// the study a cart sends: integers with ONE resolution per study (nV per step), as a real cart's
// ADC has. From the file we send:
//  - the file's integers unchanged when all leads share one gain and a zero baseline (the usual
//    case, and every record greenchannel synth writes): resolution = 1e6 / gain nV per step;
//  - (adu − baseline) when the baseline is not zero: an exact integer shift, same physical values;
//  - when leads have different gains (LUDB does this), (adu − baseline) × L / gain with L the
//    least common multiple of the integer gains: exact, resolution = 1e6 / L nV — if that fits
//    in 32 bits;
//  - otherwise physical values rounded to a fine step (1 nV or the finest that fits), which
//    changes each sample by at most half a step, far below any ECG resolution — and `mode` says so.
// Nothing is changed silently: `mode` tells the user how the integers relate to the file's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "gc/cart_client.hpp"
#include "gc/formats.hpp"
#include "gc/wfdb.hpp"

namespace gc::agent {

struct ConvertedStudy {
  ingest::CartStudy study;  // leads, rate, resolution, samples, age/sex, derive_limb_leads
  std::string mode;         // how the integers relate to the file's, for the user
  bool exact = true;
};

// Throws std::runtime_error naming `where` (a lead that is not an ECG lead, a rate that is not
// whole Hz, unsupported units). The study UID and patient context other than age/sex are left to
// the caller.
ConvertedStudy study_from_record(const wfdb::Record& record, const std::string& where);

// A cart's ECG file: its stored leads; when the file stores only the 8 independent channels the
// server derives III, aVR, aVL, aVF (derive_limb_leads). Throws formats::Error or
// std::runtime_error naming `where`.
ConvertedStudy study_from_ecg_file(const formats::EcgFile& ecg, const std::string& where);

// "YYYY-MM-DDTHH:MM:SS[.fff]" with `zone` "+08:00"/"-05:00"/"Z" → Unix ms; an empty zone is the
// local time of this machine (the agent runs beside the cart). nullopt when not a valid time.
std::optional<std::int64_t> parse_acquired_at_unix_ms(const std::string& iso,
                                                      const std::string& zone);

// [A-Za-z0-9._-] kept, anything else '_', at most max_chars; "record" when nothing is left.
std::string sanitize_uid_part(const std::string& text, std::size_t max_chars);

}  // namespace gc::agent
