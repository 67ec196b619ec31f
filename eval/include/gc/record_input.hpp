// record_input — a WFDB record turned into what analysis needs: canonical lead names, µV samples
// and the patient context from the header comments. The evaluations, `analyze` and the cart
// simulator all read records this one way, so a figure measured here is what a user gets.
#pragma once

#include <filesystem>

#include "gc/dsp.hpp"
#include "gc/triage.hpp"
#include "gc/wfdb.hpp"

namespace gc::eval {

struct LoadedRecord {
  wfdb::Record record;
  dsp::SignalBlock block;          // canonical lead names where known
  triage::PatientContext patient;  // age/sex from the header when present
};

// Throws wfdb::Error (naming the file) on unreadable or malformed input.
LoadedRecord load_record(const std::filesystem::path& hea_path);

// Accepts "rec", "rec.hea" or "rec.dat"/"rec.mat" and returns the header path.
std::filesystem::path header_path_for(const std::filesystem::path& given);

}  // namespace gc::eval
