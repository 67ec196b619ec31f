// case_io — converts between workflow values (gc/workflow.hpp) and the stored records of
// gc/case_store.hpp, validating node kinds, flags and outcomes on the way in (storage keeps
// strings so that it does not depend on this module).
#pragma once

#include "gc/case_store.hpp"
#include "gc/workflow.hpp"

namespace gc::workflow {

// Throws Error naming the case and the value when a stored kind/flag/outcome is unknown.
Case to_case(const storage::CaseBundle& bundle);
CaseInfo to_case_info(const storage::CaseRecord& record);
storage::CaseRecord to_record(const CaseInfo& info);
storage::TimeNodeRecord to_record(std::int64_t case_id, const TimeNodeEvent& event);
storage::CaseFlagRecord to_record(std::int64_t case_id, const FlagEvent& event);
storage::DelayReasonRecord to_record(std::int64_t case_id, const DelayReason& reason);
// The whole case (for import); seqs are the case's own and are remapped on import.
storage::CaseBundle to_bundle(const Case& c);

}  // namespace gc::workflow
