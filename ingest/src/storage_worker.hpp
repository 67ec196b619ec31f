// StorageWorker — the one thread that talks to the Store. Sessions and the analysis pool submit
// work; chunk appends from all sessions are grouped into one transaction (group commit): whatever
// arrived while the previous commit ran is committed together, then each submitter's completion
// runs (on this thread; completions only post to their session's strand).
//
// Batched tasks (submit_batched: study starts and ends, storing analyses) join the same
// transaction (Store::write_batch), so a storm of 2,000 study starts costs a few fsyncs instead
// of 4,000. Their effects outside the database (replies to carts, hooks that use other
// connections, posting analyses) go through after_commit() and run only once the batch is
// durable. If the batch's commit fails, nothing of it is stored, its after_commit actions are
// dropped and each batched task runs again on its own (as a plain task would).
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

#include "gc/ingest.hpp"
#include "gc/storage.hpp"

namespace gc::ingest::detail {

class StorageWorker {
 public:
  // On success: the result and an empty error. Otherwise no result and the error; `rejected`
  // tells a chunk the store refused (gap, conflicting resend) from a database failure.
  using AppendDone =
      std::function<void(std::optional<storage::AppendResult>, std::string error, bool rejected)>;
  using Task = std::function<void(storage::Store&)>;

  // Time a round's batched tasks may take before the round commits (the chunks that arrived in
  // the meantime go into the next round): bounds the ack delay a storm of study ends adds.
  static constexpr std::chrono::microseconds kDefaultRoundBudget{10'000};

  StorageWorker(storage::Store& store, std::size_t max_chunks_per_commit,
                std::chrono::microseconds commit_delay,
                std::chrono::microseconds round_budget = kDefaultRoundBudget);
  ~StorageWorker();
  StorageWorker(const StorageWorker&) = delete;
  StorageWorker& operator=(const StorageWorker&) = delete;

  // Runs task(store) on the storage thread, in submission order relative to other tasks. The task
  // handles its own errors; an escaping exception is swallowed (and counted) so the thread lives.
  // A plain task runs outside any transaction: it may use other connections (workflow hooks).
  void submit(Task task);
  // Like submit, but inside the next group commit's transaction: the task must use only this
  // Store, and must route every effect outside the database through after_commit().
  void submit_batched(Task task);
  // On the storage thread inside a batch: runs f after the batch has committed (in call order),
  // or never if it fails. Anywhere else: runs f now.
  static void after_commit(std::function<void()> f);
  // Appends in the next group commit.
  void append(std::int64_t study_id, storage::Chunk chunk, AppendDone done);

  // Drains everything queued, then stops the thread. Idempotent.
  void stop();

  std::uint64_t commits() const;
  std::uint64_t chunks_committed() const;
  // Duration of each group commit (the transaction including its fsync), in
  // commit_latency_buckets_s().
  LatencyHistogram commit_latency() const;

 private:
  struct PendingChunk {
    std::int64_t study_id;
    storage::Chunk chunk;
    AppendDone done;
  };

  struct QueuedTask {
    Task task;
    bool batched = false;
  };

  void run();
  // One transaction: the chunks, then the batched tasks at the front of `pending` (removed from
  // it) within the round's time budget. Then the completions.
  void commit(std::vector<PendingChunk>& batch, std::deque<QueuedTask>& pending);
  void run_task(QueuedTask& task);

  storage::Store& store_;
  const std::size_t max_chunks_per_commit_;
  const std::chrono::microseconds commit_delay_;
  const std::chrono::microseconds round_budget_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<QueuedTask> tasks_;
  std::vector<PendingChunk> chunks_;
  bool stopping_ = false;
  std::uint64_t commits_ = 0;
  std::uint64_t chunks_committed_ = 0;
  std::vector<std::uint64_t> latency_buckets_;  // per bucket (not cumulative), last = +Inf
  double latency_sum_s_ = 0;
  std::thread thread_;
};

}  // namespace gc::ingest::detail
