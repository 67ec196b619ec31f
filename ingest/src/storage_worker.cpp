// Group commit on a dedicated storage thread.
#include "storage_worker.hpp"

#include <algorithm>
#include <exception>
#include <utility>

namespace gc::ingest::detail {

StorageWorker::StorageWorker(storage::Store& store, std::size_t max_chunks_per_commit,
                             std::chrono::microseconds commit_delay,
                             std::chrono::microseconds round_budget)
    : store_(store),
      max_chunks_per_commit_(max_chunks_per_commit == 0 ? 1 : max_chunks_per_commit),
      commit_delay_(commit_delay),
      round_budget_(round_budget),
      latency_buckets_(commit_latency_buckets_s().size() + 1, 0),
      thread_([this] { run(); }) {}

StorageWorker::~StorageWorker() {
  stop();
}

namespace {

// The after_commit actions of the batch running on this thread (null outside a batch).
thread_local std::vector<std::function<void()>>* t_after_commit = nullptr;

// Tasks taken from the queue at a time: chunk commits keep going between rounds even during a storm of
// study starts (each round is one transaction with its fsync).
constexpr std::size_t kMaxTasksPerRound = 128;

}  // namespace

void StorageWorker::submit(Task task) {
  {
    std::lock_guard lock(mutex_);
    tasks_.push_back(QueuedTask{std::move(task), false});
  }
  wake_.notify_one();
}

void StorageWorker::submit_batched(Task task) {
  {
    std::lock_guard lock(mutex_);
    tasks_.push_back(QueuedTask{std::move(task), true});
  }
  wake_.notify_one();
}

void StorageWorker::after_commit(std::function<void()> f) {
  if (t_after_commit != nullptr) {
    t_after_commit->push_back(std::move(f));
  } else {
    f();
  }
}

void StorageWorker::run_task(QueuedTask& task) {
  try {
    task.task(store_);
  } catch (const std::exception&) {
    // Tasks report their own errors; this keeps the storage thread alive regardless.
  }
}

void StorageWorker::append(std::int64_t study_id, storage::Chunk chunk, AppendDone done) {
  {
    std::lock_guard lock(mutex_);
    chunks_.push_back(PendingChunk{study_id, std::move(chunk), std::move(done)});
  }
  wake_.notify_one();
}

void StorageWorker::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) {
    thread_.join();
  }
}

std::uint64_t StorageWorker::commits() const {
  std::lock_guard lock(mutex_);
  return commits_;
}

std::uint64_t StorageWorker::chunks_committed() const {
  std::lock_guard lock(mutex_);
  return chunks_committed_;
}

LatencyHistogram StorageWorker::commit_latency() const {
  LatencyHistogram h;
  h.upper_bounds_s = commit_latency_buckets_s();
  std::lock_guard lock(mutex_);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i < h.upper_bounds_s.size(); ++i) {
    running += latency_buckets_[i];
    h.cumulative_counts.push_back(running);
  }
  h.count = running + latency_buckets_.back();
  h.sum_s = latency_sum_s_;
  return h;
}

void StorageWorker::run() {
  std::deque<QueuedTask> pending;  // taken from tasks_, run in order over one or more rounds
  for (;;) {
    std::vector<PendingChunk> batch;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] {
        return stopping_ || !tasks_.empty() || !chunks_.empty() || !pending.empty();
      });
      if (tasks_.empty() && chunks_.empty() && pending.empty()) {
        return;  // stopping and drained
      }
      if (commit_delay_.count() > 0 && tasks_.empty() && pending.empty() && !stopping_ &&
          chunks_.size() < max_chunks_per_commit_) {
        // Optional extra gathering; adaptive grouping alone happens because chunks queue up
        // while the previous commit's fsync runs.
        wake_.wait_for(lock, commit_delay_, [&] {
          return stopping_ || !tasks_.empty() || chunks_.size() >= max_chunks_per_commit_;
        });
      }
      if (chunks_.size() <= max_chunks_per_commit_) {
        batch.swap(chunks_);
      } else {
        const auto split = chunks_.begin() + static_cast<std::ptrdiff_t>(max_chunks_per_commit_);
        batch.assign(std::make_move_iterator(chunks_.begin()), std::make_move_iterator(split));
        chunks_.erase(chunks_.begin(), split);
      }
      if (pending.empty()) {
        const std::size_t n_tasks = std::min(tasks_.size(), kMaxTasksPerRound);
        pending.insert(pending.end(), std::make_move_iterator(tasks_.begin()),
                       std::make_move_iterator(tasks_.begin() +
                                               static_cast<std::ptrdiff_t>(n_tasks)));
        tasks_.erase(tasks_.begin(), tasks_.begin() + static_cast<std::ptrdiff_t>(n_tasks));
      }
    }
    // Chunks first, then tasks in order: a session submits a study's chunks only after its
    // begin_study completed and its complete_study only after all its chunks were acknowledged,
    // so this order never runs a task before the chunks it depends on. One round = one
    // transaction: the chunks that arrived plus the batched tasks at the front of `pending`
    // (until a plain task, or the round's time budget is spent, so chunk acks never wait long
    // behind a storm of study ends). A plain task runs on its own, outside any transaction.
    if (batch.empty() && !pending.empty() && !pending.front().batched) {
      run_task(pending.front());
      pending.pop_front();
      continue;
    }
    commit(batch, pending);
  }
}

void StorageWorker::commit(std::vector<PendingChunk>& batch, std::deque<QueuedTask>& pending) {
  std::vector<std::pair<std::int64_t, storage::Chunk>> rows;
  rows.reserve(batch.size());
  for (auto& pending_chunk : batch) {
    rows.emplace_back(pending_chunk.study_id, std::move(pending_chunk.chunk));
  }
  // One transaction for the whole batch; a rejected chunk (gap, conflicting resend) is skipped
  // and reported to its own session only, so one bad cart cannot fail the others' commits.
  std::vector<storage::ChunkOutcome> outcomes;
  std::vector<QueuedTask> ran;
  std::vector<std::function<void()>> deferred;
  std::string failure;
  const auto started = std::chrono::steady_clock::now();
  try {
    store_.write_batch([&] {
      if (!rows.empty()) {
        outcomes = store_.append_chunks_each(rows);
      }
      t_after_commit = &deferred;
      while (!pending.empty() && pending.front().batched &&
             (ran.empty() || std::chrono::steady_clock::now() - started < round_budget_)) {
        ran.push_back(std::move(pending.front()));
        pending.pop_front();
        run_task(ran.back());
      }
      t_after_commit = nullptr;
    });
    if (outcomes.size() != rows.size()) {
      failure = "storage returned " + std::to_string(outcomes.size()) + " outcomes for " +
                std::to_string(rows.size()) + " chunks";
    }
  } catch (const std::exception& e) {
    failure = e.what();  // the database itself failed: nothing of the batch is stored
  }
  t_after_commit = nullptr;
  if (failure.empty()) {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const auto& bounds = commit_latency_buckets_s();
    const std::size_t bucket = static_cast<std::size_t>(
        std::lower_bound(bounds.begin(), bounds.end(), seconds) - bounds.begin());
    std::lock_guard lock(mutex_);
    ++commits_;
    chunks_committed_ += rows.size();
    ++latency_buckets_[bucket];
    latency_sum_s_ += seconds;
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (!failure.empty()) {
      batch[i].done(std::nullopt, failure, false);
      continue;
    }
    switch (outcomes[i].status) {
      case storage::ChunkOutcome::Status::stored:
        batch[i].done(storage::AppendResult::stored, {}, false);
        break;
      case storage::ChunkOutcome::Status::duplicate:
        batch[i].done(storage::AppendResult::duplicate, {}, false);
        break;
      case storage::ChunkOutcome::Status::rejected:
        batch[i].done(std::nullopt,
                      outcomes[i].error.empty() ? "chunk rejected by storage" : outcomes[i].error,
                      true);
        break;
    }
  }
  if (failure.empty()) {
    for (auto& f : deferred) {
      try {
        f();
      } catch (const std::exception&) {
        // As for tasks: the action reports its own errors.
      }
    }
    return;
  }
  // Nothing of the batch is stored and none of its effects happened: each task runs again on
  // its own transaction(s), reporting its own success or error as a plain task does.
  for (auto& task : ran) {
    run_task(task);
  }
}

}  // namespace gc::ingest::detail
