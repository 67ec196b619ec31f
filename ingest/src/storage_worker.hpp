// StorageWorker — the one thread that talks to the Store. Sessions and the analysis pool submit
// work; chunk appends from all sessions are grouped into one transaction (group commit): whatever
// arrived while the previous commit ran is committed together, then each submitter's completion
// runs (on this thread; completions only post to their session's strand).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gc/storage.hpp"

namespace gc::ingest::detail {

class StorageWorker {
 public:
  // On success: the result and an empty error. Otherwise no result and the error; `rejected`
  // tells a chunk the store refused (gap, conflicting resend) from a database failure.
  using AppendDone =
      std::function<void(std::optional<storage::AppendResult>, std::string error, bool rejected)>;
  using Task = std::function<void(storage::Store&)>;

  StorageWorker(storage::Store& store, std::size_t max_chunks_per_commit,
                std::chrono::microseconds commit_delay);
  ~StorageWorker();
  StorageWorker(const StorageWorker&) = delete;
  StorageWorker& operator=(const StorageWorker&) = delete;

  // Runs task(store) on the storage thread, in submission order relative to other tasks. The task
  // handles its own errors; an escaping exception is swallowed (and counted) so the thread lives.
  void submit(Task task);
  // Appends in the next group commit.
  void append(std::int64_t study_id, storage::Chunk chunk, AppendDone done);

  // Drains everything queued, then stops the thread. Idempotent.
  void stop();

  std::uint64_t commits() const;
  std::uint64_t chunks_committed() const;

 private:
  struct PendingChunk {
    std::int64_t study_id;
    storage::Chunk chunk;
    AppendDone done;
  };

  void run();
  void commit(std::vector<PendingChunk>& batch);

  storage::Store& store_;
  const std::size_t max_chunks_per_commit_;
  const std::chrono::microseconds commit_delay_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Task> tasks_;
  std::vector<PendingChunk> chunks_;
  bool stopping_ = false;
  std::uint64_t commits_ = 0;
  std::uint64_t chunks_committed_ = 0;
  std::thread thread_;
};

}  // namespace gc::ingest::detail
