// Durability across a process crash: a child process appends chunks and reports each one as
// "acknowledged" only after append returns; the parent kills it with SIGKILL at a random point.
// After reopening, every acknowledged chunk is present and bit-exact, nothing is half-written,
// and the study resumes and completes. On PostgreSQL this is the client dying mid-transaction
// (the server rolls it back); the test cluster runs with fsync off, so power loss is not tested
// there.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <random>

#include "storage_test_util.hpp"

using namespace gc::storage;
using gc::storage::test::backend_name;
using gc::storage::test::make_chunk;
using gc::storage::test::make_header;
using gc::storage::test::TestDb;

namespace {

constexpr std::size_t kLeads = 12;
constexpr std::size_t kSamplesPerChunk = 100;  // 200 ms at 500 Hz
constexpr std::uint64_t kMaxChunks = 1'000'000;

[[noreturn]] void child_append(const std::filesystem::path& db, std::int64_t study_id,
                               int ack_fd, bool group_commit) {
  try {
    auto store = Store::open(db);
    std::uint64_t next = store->get_study(study_id)->next_sequence;
    while (next < kMaxChunks) {
      std::uint64_t last_acked = 0;
      if (group_commit) {
        std::vector<std::pair<std::int64_t, Chunk>> batch;
        for (std::uint64_t s = next; s < next + 4; ++s) {
          batch.emplace_back(study_id, make_chunk(s, kLeads, kSamplesPerChunk));
        }
        for (const auto& o : store->append_chunks_each(batch)) {
          if (o.status != ChunkOutcome::Status::stored) ::_exit(3);
        }
        last_acked = next + 3;
        next += 4;
      } else {
        if (store->append_chunk(study_id, make_chunk(next, kLeads, kSamplesPerChunk)) !=
            AppendResult::stored) {
          ::_exit(3);
        }
        last_acked = next++;
      }
      // Acknowledge only what append reported durable, as the ingest server does.
      if (::write(ack_fd, &last_acked, sizeof last_acked) != sizeof last_acked) ::_exit(4);
    }
  } catch (...) {
    ::_exit(5);
  }
  ::_exit(0);
}

}  // namespace

TEST_CASE("SIGKILL during appends loses no acknowledged chunk", "[storage][crash]") {
  const auto backend = GC_BACKENDS;
  INFO(backend_name(backend));
  TestDb db(backend);
  std::int64_t study_id = 0;
  std::string device;
  {
    auto store = Store::open(db.location());
    device = store->add_device("Clinic A").device_id;
    std::vector<std::string> leads{"I", "II", "V1", "V2", "V3", "V4", "V5", "V6",
                                   "III", "aVR", "aVL", "aVF"};
    study_id = store->begin_study(make_header(device, "crash-1", leads)).study_id;
  }
  std::mt19937 rng(20261123);
  std::uint64_t acked_total = 0;
  for (int round = 0; round < 8; ++round) {
    const bool group = round % 2 == 1;
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(fds[0]);
      child_append(db.location(), study_id, fds[1], group);
    }
    ::close(fds[1]);
    // Let it acknowledge a random number of chunks, then kill it mid-stream.
    const int acks_before_kill = std::uniform_int_distribution<int>(1, 40)(rng);
    std::optional<std::uint64_t> last_acked;
    std::uint64_t v = 0;
    for (int i = 0; i < acks_before_kill && ::read(fds[0], &v, sizeof v) == sizeof v; ++i) {
      last_acked = v;
    }
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status));
    // Acknowledgements written before the kill are still in the pipe.
    while (::read(fds[0], &v, sizeof v) == sizeof v) last_acked = v;
    ::close(fds[0]);
    REQUIRE(last_acked.has_value());

    auto store = Store::open(db.location());  // quick_check runs here (SQLite)
    const auto state = store->get_study(study_id);
    REQUIRE(state.has_value());
    INFO("round " << round << ", last acknowledged " << *last_acked << ", next_sequence "
                  << state->next_sequence);
    CHECK(state->next_sequence >= *last_acked + 1);
    CHECK(state->next_sequence >= acked_total);
    acked_total = *last_acked + 1;
    CHECK(state->received_samples_per_lead == state->next_sequence * kSamplesPerChunk);
  }

  // Everything stored is bit-exact; then the study resumes where it stands and completes.
  auto store = Store::open(db.location());
  const auto state = *store->get_study(study_id);
  std::vector<std::int32_t> all;
  for (std::uint64_t s = 0; s < state.next_sequence; ++s) {
    const auto c = make_chunk(s, kLeads, kSamplesPerChunk);
    all.insert(all.end(), c.samples.begin(), c.samples.end());
  }
  const auto loaded = store->load_samples(study_id);
  REQUIRE(loaded.samples.size() == kLeads);
  REQUIRE(loaded.samples[0].size() == state.next_sequence * kSamplesPerChunk);
  bool exact = true;
  for (std::size_t i = 0; i < all.size() && exact; ++i) {
    exact = loaded.samples[i % kLeads][i / kLeads] == all[i];
  }
  CHECK(exact);
  // A cart resending its last unacknowledged chunks: duplicates below next_sequence.
  CHECK(store->append_chunk(study_id, make_chunk(state.next_sequence - 1, kLeads,
                                                 kSamplesPerChunk)) == AppendResult::duplicate);
  const auto last = make_chunk(state.next_sequence, kLeads, kSamplesPerChunk);
  CHECK(store->append_chunk(study_id, last) == AppendResult::stored);
  all.insert(all.end(), last.samples.begin(), last.samples.end());
  store->complete_study(study_id, (state.next_sequence + 1) * kSamplesPerChunk, samples_crc32(all));
  CHECK(store->get_study(study_id)->complete);
}
