// The CLI reads records the way the evaluations do (gc/record_input.hpp in the eval module).
#pragma once

#include "gc/record_input.hpp"

namespace gc::cli {

using eval::header_path_for;
using eval::load_record;
using eval::LoadedRecord;

}  // namespace gc::cli
