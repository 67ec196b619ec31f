// The storage worker's group commit of batched tasks: study starts queued together share one
// transaction (one fsync), their replies (after_commit) run only after that commit and in order,
// a task whose Store call fails undoes only its own writes, and plain tasks (workflow hooks on
// other connections) run outside any transaction.
#include <catch2/catch.hpp>

#include <future>

#include "../../ingest/src/storage_worker.hpp"
#include "ingest/ingest_test_util.hpp"

using gc::ingest::detail::StorageWorker;
namespace storage = gc::storage;

namespace {

storage::StudyHeader header(std::string device, std::string uid, std::size_t leads) {
  storage::StudyHeader h;
  h.device_id = std::move(device);
  h.study_uid = std::move(uid);
  const char* names[] = {"I", "II", "III", "V1"};
  h.leads.assign(names, names + leads);
  h.sample_rate_hz = 500;
  h.resolution_nv_per_lsb = 1000;
  return h;
}

// Queues 50 study starts and one refused start behind a held plain task, then a plain task;
// checks the replies, their order and durability; returns the commits the batched tasks took.
std::uint64_t run_queued_study_starts(std::chrono::microseconds round_budget) {
  const auto dir = gc::test::unique_temp_dir("gc-storage-worker");
  auto store = storage::Store::open(dir / "w.db");
  const auto dev = store->add_device("clinic", "cart-w");
  StorageWorker worker(*store, 1024, std::chrono::microseconds(0), round_budget);

  // Hold the worker in a plain task so that everything below queues up behind it.
  std::promise<void> release;
  auto released = release.get_future().share();
  worker.submit([released](storage::Store&) { released.wait(); });

  constexpr int kStudies = 50;
  std::vector<std::string> replies;  // touched only on the storage thread
  std::vector<bool> visible_at_reply;
  bool plain_saw_all = false;
  for (int i = 0; i < kStudies; ++i) {
    worker.submit_batched([&, i](storage::Store& st) {
      const std::string uid = "w-" + std::to_string(i);
      st.begin_study(header(dev.device_id, uid, 3));
      StorageWorker::after_commit([&, uid] {
        replies.push_back(uid);
        // After the commit a second connection sees the study (it is durable).
        auto other = storage::Store::open(dir / "w.db");
        visible_at_reply.push_back(other->find_study(dev.device_id, uid).has_value());
      });
    });
    if (i == 10) {
      // A refused call inside the batch (same uid, different leads) is undone alone.
      worker.submit_batched([&](storage::Store& st) {
        try {
          st.begin_study(header(dev.device_id, "w-0", 2));
          StorageWorker::after_commit([&] { replies.push_back("unexpected"); });
        } catch (const storage::Error&) {
          StorageWorker::after_commit([&] { replies.push_back("refused"); });
        }
      });
    }
  }
  // A plain task after the batched ones runs after their commit, outside any transaction.
  worker.submit([&](storage::Store&) {
    auto other = storage::Store::open(dir / "w.db");
    plain_saw_all = other->find_study(dev.device_id, "w-49").has_value();
  });
  const auto commits_before = worker.commits();
  release.set_value();
  worker.stop();  // drains

  const auto commits = worker.commits() - commits_before;
  REQUIRE(replies.size() == kStudies + 1);
  CHECK(replies[0] == "w-0");
  CHECK(replies[11] == "refused");
  CHECK(replies.back() == "w-49");
  CHECK(std::count(visible_at_reply.begin(), visible_at_reply.end(), true) == kStudies);
  CHECK(plain_saw_all);
  CHECK(store->open_studies(dev.device_id).size() == kStudies);
  CHECK(store->find_study(dev.device_id, "w-0")->header.leads.size() == 3);
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  return commits;
}

}  // namespace

TEST_CASE("batched storage tasks queued together share one transaction and reply after it",
          "[ingest][storage_worker]") {
  // A budget no round reaches, however slow the build: the 51 batched tasks are one commit.
  CHECK(run_queued_study_starts(std::chrono::hours(1)) == 1);
}

TEST_CASE("the round budget bounds a round: past it the rest of the tasks go to the next commit",
          "[ingest][storage_worker]") {
  // A budget every task exceeds: each round still runs one task (progress), so 51 commits.
  CHECK(run_queued_study_starts(std::chrono::microseconds(0)) == 51);
}
