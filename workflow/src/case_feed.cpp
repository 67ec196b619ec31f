// CaseFeed (see gc/case_feed.hpp): three SeqFeeds over the case timeline tables and, when asked,
// one over the study events (for signed reports).
#include "gc/case_feed.hpp"

#include <array>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gc/case_store.hpp"
#include "gc/workflow.hpp"
#include "seq_feed.hpp"

namespace gc::workflow {

using TimelineTable = storage::CaseStore::Timeline;

namespace {
constexpr std::array kTables = {TimelineTable::time_nodes, TimelineTable::case_flags,
                                TimelineTable::delay_reasons};
}  // namespace

struct CaseFeed::Impl {
  std::chrono::milliseconds interval;
  std::function<void(std::int64_t)> on_case;
  std::function<void(std::string_view)> log;
  std::unique_ptr<storage::CaseStore> store;
  std::array<detail::SeqFeed, kTables.size()> feeds;
  std::function<void(std::int64_t, std::int64_t)> on_report;
  std::unique_ptr<storage::Store> events;  // only with on_report
  detail::SeqFeed events_feed;
  std::mutex poll_mutex;  // one round at a time (the store is not thread-safe)

  std::mutex run_mutex;
  std::condition_variable run_cv;
  bool stopping = false;
  std::thread thread;

  void poll() {
    std::set<std::int64_t> changed;
    std::vector<std::pair<std::int64_t, std::int64_t>> reports;  // (study, event seq)
    {
      std::lock_guard lock(poll_mutex);
      const auto now_ms = storage::now_unix_ms();
      for (std::size_t i = 0; i < kTables.size(); ++i) {
        for (const auto& [seq, case_id] :
             store->timeline_rows_after(kTables[i], feeds[i].floor, detail::kFeedPage)) {
          if (feeds[i].take(seq)) changed.insert(case_id);
        }
        feeds[i].advance(now_ms);
      }
      if (events) {
        // Every event's seq is taken (the feed's gaps are seqs not yet visible), reports passed on.
        for (const auto& e : events->events_after(events_feed.floor, detail::kFeedPage)) {
          if (events_feed.take(e.seq) && e.kind == "diagnosis" && e.study_id) {
            reports.emplace_back(*e.study_id, e.seq);
          }
        }
        events_feed.advance(now_ms);
      }
    }
    for (const auto case_id : changed) {
      try {
        on_case(case_id);
      } catch (const std::exception& e) {
        if (log) log("case " + std::to_string(case_id) + ": passing on a change: " + e.what());
      }
    }
    for (const auto& [study_id, seq] : reports) {
      try {
        on_report(study_id, seq);
      } catch (const std::exception& e) {
        if (log) {
          log("study " + std::to_string(study_id) + ": passing on a signed report: " + e.what());
        }
      }
    }
  }

  void loop() {
    std::unique_lock lock(run_mutex);
    while (!stopping) {
      lock.unlock();
      try {
        poll();
      } catch (const std::exception& e) {
        if (log) log(std::string("following case timelines failed: ") + e.what());
      }
      lock.lock();
      run_cv.wait_for(lock, interval, [&] { return stopping; });
    }
  }
};

CaseFeed::CaseFeed(const std::filesystem::path& db_path, std::chrono::milliseconds interval,
                   std::function<void(std::int64_t case_id)> on_case,
                   std::function<void(std::string_view)> log,
                   std::function<void(std::int64_t, std::int64_t)> on_report)
    : impl_(std::make_unique<Impl>()) {
  if (interval <= std::chrono::milliseconds::zero()) {
    throw Error("case feed: interval must be positive");
  }
  impl_->interval = interval;
  impl_->on_case = std::move(on_case);
  impl_->log = std::move(log);
  impl_->store = storage::CaseStore::open(db_path, "serve");
  for (std::size_t i = 0; i < kTables.size(); ++i) {
    impl_->feeds[i].floor = impl_->store->last_timeline_seq(kTables[i]);
  }
  if (on_report) {
    impl_->on_report = std::move(on_report);
    impl_->events = storage::Store::open(db_path);
    impl_->events_feed.floor = impl_->events->last_event_seq();
  }
}

CaseFeed::~CaseFeed() {
  stop();
}

void CaseFeed::start() {
  std::lock_guard lock(impl_->run_mutex);
  if (impl_->thread.joinable()) return;
  impl_->stopping = false;
  impl_->thread = std::thread([this] { impl_->loop(); });
}

void CaseFeed::stop() {
  {
    std::lock_guard lock(impl_->run_mutex);
    if (!impl_->thread.joinable()) return;
    impl_->stopping = true;
  }
  impl_->run_cv.notify_all();
  impl_->thread.join();
}

void CaseFeed::poll() {
  impl_->poll();
}

}  // namespace gc::workflow
