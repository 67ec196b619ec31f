// record_input — a record turned into what analysis needs: canonical lead names, µV samples and the
// patient context from the record. Takes WFDB records and every ECG file format gc::formats reads
// (DICOM, HL7 aECG, SCP-ECG, GE MUSE, Philips Sierra, GE CardioSoft), chosen by the file's content.
// The evaluations, `analyze` and the cart agent all read records this one way, so a figure
// measured here is what a user gets.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "gc/dsp.hpp"
#include "gc/formats.hpp"
#include "gc/triage.hpp"
#include "gc/wfdb.hpp"

namespace gc::eval {

// Where a loaded record came from, for `analyze --json`'s "source" object.
struct RecordSource {
  std::string format;  // "WFDB" or gc::formats::to_string
  std::string file;
  std::string manufacturer, model, serial, software;
  std::string acquired_at;  // ISO 8601 as the file gives it, with its zone when stated
  std::int64_t samples_per_lead = 0;
  std::vector<std::string> stored_leads;
  std::vector<std::string> derived_leads;
};

struct LoadedRecord {
  wfdb::Record record;             // WFDB input only (empty for other formats)
  dsp::SignalBlock block;          // canonical lead names where known
  triage::PatientContext patient;  // age/sex from the record when present
  RecordSource source;
};

// Throws wfdb::Error or formats::Error (naming the file) on unreadable or malformed input.
LoadedRecord load_record(const std::filesystem::path& given);

// Accepts "rec", "rec.hea" or "rec.dat"/"rec.mat" and returns the header path.
std::filesystem::path header_path_for(const std::filesystem::path& given);

// The stored leads of an ECG file as a WFDB record (units µV, gain = counts per µV, baseline =
// the offset in counts), so code written for WFDB records (the cart agent) takes it unchanged.
// formats::Error when a lead's offset is not a whole number of counts.
wfdb::Record as_wfdb_record(const formats::EcgFile& ecg, const std::string& name);

// True when `given` is an ECG file of a non-WFDB format (judged by content, not extension).
bool is_ecg_file(const std::filesystem::path& given);

}  // namespace gc::eval
