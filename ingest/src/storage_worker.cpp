// Group commit on a dedicated storage thread.
#include "storage_worker.hpp"

#include <exception>
#include <utility>

namespace gc::ingest::detail {

StorageWorker::StorageWorker(storage::Store& store, std::size_t max_chunks_per_commit,
                             std::chrono::microseconds commit_delay)
    : store_(store),
      max_chunks_per_commit_(max_chunks_per_commit == 0 ? 1 : max_chunks_per_commit),
      commit_delay_(commit_delay),
      thread_([this] { run(); }) {}

StorageWorker::~StorageWorker() {
  stop();
}

void StorageWorker::submit(Task task) {
  {
    std::lock_guard lock(mutex_);
    tasks_.push_back(std::move(task));
  }
  wake_.notify_one();
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

void StorageWorker::run() {
  for (;;) {
    std::vector<PendingChunk> batch;
    std::deque<Task> tasks;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !tasks_.empty() || !chunks_.empty(); });
      if (tasks_.empty() && chunks_.empty()) {
        return;  // stopping and drained
      }
      if (commit_delay_.count() > 0 && tasks_.empty() && !stopping_ &&
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
      tasks.swap(tasks_);
    }
    // Chunks first, then tasks: a session submits a study's chunks only after its begin_study
    // completed and its complete_study only after all its chunks were acknowledged, so this
    // order never runs a task before the chunks it depends on.
    if (!batch.empty()) {
      commit(batch);
    }
    for (auto& task : tasks) {
      try {
        task(store_);
      } catch (const std::exception&) {
        // Tasks report their own errors; this keeps the storage thread alive regardless.
      }
    }
  }
}

void StorageWorker::commit(std::vector<PendingChunk>& batch) {
  std::vector<std::pair<std::int64_t, storage::Chunk>> rows;
  rows.reserve(batch.size());
  for (auto& pending : batch) {
    rows.emplace_back(pending.study_id, std::move(pending.chunk));
  }
  // One transaction for the whole batch; a rejected chunk (gap, conflicting resend) is skipped
  // and reported to its own session only, so one bad cart cannot fail the others' commits.
  std::vector<storage::ChunkOutcome> outcomes;
  std::string failure;
  try {
    outcomes = store_.append_chunks_each(rows);
    if (outcomes.size() != rows.size()) {
      failure = "storage returned " + std::to_string(outcomes.size()) + " outcomes for " +
                std::to_string(rows.size()) + " chunks";
    }
  } catch (const std::exception& e) {
    failure = e.what();  // the database itself failed: nothing of the batch is stored
  }
  if (failure.empty()) {
    std::lock_guard lock(mutex_);
    ++commits_;
    chunks_committed_ += rows.size();
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
}

}  // namespace gc::ingest::detail
