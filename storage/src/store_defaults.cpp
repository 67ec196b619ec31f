// Default implementations of the Store methods added after the first interface, so that other
// Store implementations (test doubles, a future PostgreSQL backend) keep compiling.
#include "gc/storage.hpp"

namespace gc::storage {

std::vector<ChunkOutcome> Store::append_chunks_each(
    const std::vector<std::pair<std::int64_t, Chunk>>& chunks) {
  // Not one transaction here: each chunk commits on its own. Backends should override.
  std::vector<ChunkOutcome> out;
  out.reserve(chunks.size());
  for (const auto& [study_id, chunk] : chunks) {
    try {
      const auto r = append_chunk(study_id, chunk);
      out.push_back({r == AppendResult::stored ? ChunkOutcome::Status::stored
                                               : ChunkOutcome::Status::duplicate,
                     {}});
    } catch (const Error& e) {
      out.push_back({ChunkOutcome::Status::rejected, e.what()});
    }
  }
  return out;
}

void Store::write_batch(const std::function<void()>& body) { body(); }

std::optional<StudyState> Store::get_study(std::int64_t) {
  throw Error("get_study is not supported by this storage backend");
}

std::vector<EventRecord> Store::events_after(std::int64_t, std::size_t) {
  throw Error("events_after is not supported by this storage backend");
}

std::int64_t Store::last_event_seq() {
  throw Error("last_event_seq is not supported by this storage backend");
}

std::int64_t Store::append_audit(const std::string&, const std::string&, const std::string&,
                                 const std::string&) {
  throw Error("append_audit is not supported by this storage backend");
}

std::vector<AuditRecord> Store::audit_log(std::int64_t, std::size_t) {
  throw Error("audit_log is not supported by this storage backend");
}

}  // namespace gc::storage
