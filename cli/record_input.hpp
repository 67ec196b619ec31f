// The CLI reads records the way the evaluations do (gc/record_input.hpp in the eval module).
#pragma once

#include "gc/record_input.hpp"

namespace gc::cli {

using eval::as_wfdb_record;
using eval::header_path_for;
using eval::is_ecg_file;
using eval::load_record;
using eval::LoadedRecord;
using eval::RecordSource;

}  // namespace gc::cli
