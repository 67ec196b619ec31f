// Studies and chunks: idempotent begin, in-order exactly-once appends, group commit, completion
// with checksum, and samples read back bit for bit.
#include <catch2/catch.hpp>
#include <limits>
#include <thread>

#include "storage_test_util.hpp"

using namespace gc::storage;
using gc::storage::test::Backend;
using gc::storage::test::backend_name;
using gc::storage::test::make_chunk;
using gc::storage::test::make_header;
using gc::storage::test::TestDb;

namespace {

// A store on one backend with one registered cart.
struct Fixture {
  explicit Fixture(Backend backend) : db(backend) {}
  TestDb db;
  std::unique_ptr<Store> store = Store::open(db.location());
  std::string device = store->add_device("Clinic A").device_id;
};

bool contains_text(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("begin_study is idempotent and refuses a conflicting header", "[storage][studies]") {
  const auto backend = GC_BACKENDS;
  INFO(backend_name(backend));
  Fixture fx(backend);
  const auto h = make_header(fx.device, "uid-1");
  const auto s1 = fx.store->begin_study(h);
  const auto s2 = fx.store->begin_study(h);
  CHECK(s1.study_id == s2.study_id);
  CHECK(s2.next_sequence == 0);
  CHECK_FALSE(s2.complete);
  // Header round-trips through the database.
  CHECK(s2.header.leads == h.leads);
  CHECK(s2.header.resolution_nv_per_lsb == h.resolution_nv_per_lsb);
  CHECK(s2.header.age_years == h.age_years);
  REQUIRE(s2.header.first_medical_contact.has_value());
  CHECK(s2.header.first_medical_contact->unix_ms == h.first_medical_contact->unix_ms);
  CHECK_FALSE(s2.header.symptom_onset.has_value());
  CHECK_FALSE(s2.header.source.has_value());
  // The source file of an agent's study (migration 0007) round-trips; absent stays absent.
  auto from_file = make_header(fx.device, "uid-file");
  from_file.source = gc::storage::StudySource{"DICOM", "ECG_0001.dcm", "GE Healthcare", "MAC 5500", "SN 1", "010A"};
  fx.store->begin_study(from_file);
  const auto stored = fx.store->find_study(fx.device, "uid-file");
  REQUIRE(stored);
  REQUIRE(stored->header.source);
  CHECK(*stored->header.source == *from_file.source);

  auto conflicting = h;
  conflicting.leads = {"I", "II", "V2"};
  CHECK(contains_text(error_of([&] { fx.store->begin_study(conflicting); }), "leads"));
  conflicting = h;
  conflicting.sample_rate_hz = 250;
  CHECK(contains_text(error_of([&] { fx.store->begin_study(conflicting); }), "sample_rate_hz"));

  // The same UID from another cart is another study.
  const auto other = fx.store->add_device("Clinic B").device_id;
  CHECK(fx.store->begin_study(make_header(other, "uid-1")).study_id != s1.study_id);

  CHECK_THROWS_AS(fx.store->begin_study(make_header("cart-unknown", "uid-2")), Error);
  fx.store->revoke_device(other);
  CHECK_THROWS_AS(fx.store->begin_study(make_header(other, "uid-3")), Error);
  auto bad = make_header(fx.device, "uid-4", {"I", "I"});
  CHECK_THROWS_AS(fx.store->begin_study(bad), Error);

  const auto found = fx.store->find_study(fx.device, "uid-1");
  REQUIRE(found.has_value());
  CHECK(found->study_id == s1.study_id);
  CHECK_FALSE(fx.store->find_study(fx.device, "nope").has_value());
}

TEST_CASE("append: in order, duplicate, conflicting resend, gap, bad sizes", "[storage][chunks]") {
  const auto backend = GC_BACKENDS;
  INFO(backend_name(backend));
  Fixture fx(backend);
  const auto study = fx.store->begin_study(make_header(fx.device, "uid-1"));
  const auto id = study.study_id;
  const auto c0 = make_chunk(0, 3, 100);
  const auto c1 = make_chunk(1, 3, 100);

  CHECK(fx.store->append_chunk(id, c0) == AppendResult::stored);
  CHECK(fx.store->append_chunk(id, c1) == AppendResult::stored);
  CHECK(fx.store->get_study(id)->next_sequence == 2);
  CHECK(fx.store->get_study(id)->received_samples_per_lead == 200);

  CHECK(fx.store->append_chunk(id, c0) == AppendResult::duplicate);

  auto altered = c0;
  altered.samples[7] += 1;
  CHECK(contains_text(error_of([&] { fx.store->append_chunk(id, altered); }), "conflicting resend"));

  CHECK(contains_text(error_of([&] { fx.store->append_chunk(id, make_chunk(5, 3, 100)); }), "gap"));

  auto ragged = make_chunk(2, 3, 100);
  ragged.samples.pop_back();
  CHECK(contains_text(error_of([&] { fx.store->append_chunk(id, ragged); }), "multiple"));

  auto shifted = make_chunk(2, 3, 100);
  shifted.first_sample_index = 150;
  CHECK(contains_text(error_of([&] { fx.store->append_chunk(id, shifted); }), "starts at sample"));

  Chunk empty;
  empty.sequence = 2;
  empty.first_sample_index = 200;
  CHECK_THROWS_AS(fx.store->append_chunk(id, empty), Error);

  CHECK_THROWS_AS(fx.store->append_chunk(id + 1000, make_chunk(0, 3, 100)), Error);

  // Nothing of the refused chunks was stored.
  CHECK(fx.store->get_study(id)->next_sequence == 2);
  const auto loaded = fx.store->load_samples(id);
  REQUIRE(loaded.samples.size() == 3);
  CHECK(loaded.samples[0].size() == 200);
}

TEST_CASE("load_samples returns exactly what was received, including int32 extremes",
          "[storage][chunks]") {
  const auto backend = GC_BACKENDS;
  INFO(backend_name(backend));
  Fixture fx(backend);
  const std::vector<std::string> leads{"I", "II", "V1", "V2"};
  const auto id = fx.store->begin_study(make_header(fx.device, "uid-x", leads)).study_id;
  constexpr auto kMin = std::numeric_limits<std::int32_t>::min();
  constexpr auto kMax = std::numeric_limits<std::int32_t>::max();
  // Source signal [lead][sample] with extremes in every lead and odd chunk sizes.
  std::vector<std::vector<std::int32_t>> source(leads.size());
  for (std::size_t lead = 0; lead < leads.size(); ++lead) {
    for (int s = 0; s < 1237; ++s) {
      std::int32_t v = static_cast<std::int32_t>(s * 65537 * static_cast<int>(lead + 1)) ^ 0x5A5A5A5A;
      if (s % 97 == static_cast<int>(lead)) v = kMin;
      if (s % 89 == static_cast<int>(lead)) v = kMax;
      if (s % 83 == 0) v = -1;
      source[lead].push_back(v);
    }
  }
  std::vector<std::int32_t> all_interleaved;
  std::uint64_t seq = 0;
  for (std::size_t start = 0; start < 1237; ++seq) {
    const std::size_t n = std::min<std::size_t>(100 + seq * 13, 1237 - start);
    Chunk c;
    c.sequence = seq;
    c.first_sample_index = start;
    for (std::size_t s = start; s < start + n; ++s) {
      for (std::size_t lead = 0; lead < leads.size(); ++lead) c.samples.push_back(source[lead][s]);
    }
    all_interleaved.insert(all_interleaved.end(), c.samples.begin(), c.samples.end());
    REQUIRE(fx.store->append_chunk(id, c) == AppendResult::stored);
    start += n;
  }
  fx.store->complete_study(id, 1237, samples_crc32(all_interleaved));
  const auto loaded = fx.store->load_samples(id);
  CHECK(loaded.header.leads == leads);
  CHECK(loaded.samples == source);
}

TEST_CASE("complete_study verifies count and CRC; a failed completion leaves it open",
          "[storage][chunks]") {
  const auto backend = GC_BACKENDS;
  INFO(backend_name(backend));
  Fixture fx(backend);
  const auto id = fx.store->begin_study(make_header(fx.device, "uid-c")).study_id;
  std::vector<std::int32_t> all;
  for (std::uint64_t s = 0; s < 5; ++s) {
    const auto c = make_chunk(s, 3, 100, 17);
    all.insert(all.end(), c.samples.begin(), c.samples.end());
    fx.store->append_chunk(id, c);
  }
  const std::uint32_t crc = samples_crc32(all);

  CHECK(contains_text(error_of([&] { fx.store->complete_study(id, 500, crc ^ 1U); }),
                      "checksum mismatch"));
  CHECK_FALSE(fx.store->get_study(id)->complete);
  CHECK(fx.store->open_studies(fx.device).size() == 1);
  CHECK(contains_text(error_of([&] { fx.store->complete_study(id, 600, crc); }), "500 are stored"));
  CHECK_FALSE(fx.store->get_study(id)->complete);

  fx.store->complete_study(id, 500, crc);
  CHECK(fx.store->get_study(id)->complete);
  CHECK(fx.store->open_studies(fx.device).empty());
  fx.store->complete_study(id, 500, crc);  // resent study end: idempotent
  CHECK_THROWS_AS(fx.store->complete_study(id, 500, crc ^ 1U), Error);

  // After completion: resending a stored chunk is a duplicate, anything new is refused.
  CHECK(fx.store->append_chunk(id, make_chunk(4, 3, 100, 17)) == AppendResult::duplicate);
  CHECK(contains_text(error_of([&] { fx.store->append_chunk(id, make_chunk(5, 3, 100, 17)); }),
                      "complete"));
}

TEST_CASE("group commit across studies: one transaction, per-item outcomes", "[storage][chunks]") {
  const auto backend = GC_BACKENDS;
  INFO(backend_name(backend));
  Fixture fx(backend);
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 3; ++i) {
    ids.push_back(fx.store->begin_study(make_header(fx.device, "g-" + std::to_string(i))).study_id);
  }
  std::vector<std::pair<std::int64_t, Chunk>> batch;
  for (std::uint64_t seq = 0; seq < 4; ++seq) {
    for (const auto id : ids) batch.emplace_back(id, make_chunk(seq, 3, 100, static_cast<int>(id)));
  }
  const auto results = fx.store->append_chunks(batch);
  REQUIRE(results.size() == batch.size());
  for (const auto r : results) CHECK(r == AppendResult::stored);
  for (const auto id : ids) CHECK(fx.store->get_study(id)->next_sequence == 4);

  // append_chunks_each: a bad item (gap) and a conflicting resend are rejected; the rest commit.
  auto conflicting = make_chunk(0, 3, 100, static_cast<int>(ids[2]));
  conflicting.samples[0] ^= 1;
  std::vector<std::pair<std::int64_t, Chunk>> mixed{
      {ids[0], make_chunk(4, 3, 100, static_cast<int>(ids[0]))},
      {ids[1], make_chunk(9, 3, 100, static_cast<int>(ids[1]))},  // gap
      {ids[0], make_chunk(5, 3, 100, static_cast<int>(ids[0]))},
      {ids[2], make_chunk(3, 3, 100, static_cast<int>(ids[2]))},  // duplicate
      {ids[2], conflicting},
      {ids[1], make_chunk(4, 3, 100, static_cast<int>(ids[1]))},
  };
  const auto outcomes = fx.store->append_chunks_each(mixed);
  REQUIRE(outcomes.size() == mixed.size());
  using S = ChunkOutcome::Status;
  CHECK(outcomes[0].status == S::stored);
  CHECK(outcomes[1].status == S::rejected);
  CHECK(contains_text(outcomes[1].error, "gap"));
  CHECK(outcomes[2].status == S::stored);
  CHECK(outcomes[3].status == S::duplicate);
  CHECK(outcomes[4].status == S::rejected);
  CHECK(contains_text(outcomes[4].error, "conflicting resend"));
  CHECK(outcomes[5].status == S::stored);
  CHECK(fx.store->get_study(ids[0])->next_sequence == 6);
  CHECK(fx.store->get_study(ids[1])->next_sequence == 5);
  CHECK(fx.store->get_study(ids[2])->next_sequence == 4);
}

TEST_CASE("a resend inside the same batch: duplicate or conflicting, as across batches",
          "[storage][chunks]") {
  const auto backend = GC_BACKENDS;
  INFO(backend_name(backend));
  Fixture fx(backend);
  const auto a = fx.store->begin_study(make_header(fx.device, "in-batch")).study_id;
  auto changed = make_chunk(1, 3, 100, 7);
  changed.samples[5] += 1;
  std::vector<std::pair<std::int64_t, Chunk>> batch{
      {a, make_chunk(0, 3, 100, 7)}, {a, make_chunk(1, 3, 100, 7)},
      {a, make_chunk(0, 3, 100, 7)},  // the same chunk again before the batch is written
      {a, changed},                   // chunk 1 with other samples
      {a, make_chunk(2, 3, 100, 7)}};
  const auto outcomes = fx.store->append_chunks_each(batch);
  using S = ChunkOutcome::Status;
  REQUIRE(outcomes.size() == 5);
  CHECK(outcomes[0].status == S::stored);
  CHECK(outcomes[1].status == S::stored);
  CHECK(outcomes[2].status == S::duplicate);
  CHECK(outcomes[3].status == S::rejected);
  CHECK(contains_text(outcomes[3].error, "conflicting resend"));
  CHECK(outcomes[4].status == S::stored);
  CHECK(fx.store->get_study(a)->next_sequence == 3);
  // What is stored is the first version of chunk 1, each chunk once.
  const auto stored = fx.store->load_samples(a);
  std::vector<std::int32_t> expected;
  for (std::uint64_t s = 0; s < 3; ++s) {
    const auto c = make_chunk(s, 3, 100, 7);
    expected.insert(expected.end(), c.samples.begin(), c.samples.end());
  }
  std::vector<std::int32_t> got;
  for (std::size_t i = 0; i < stored.samples[0].size(); ++i) {
    for (const auto& lead : stored.samples) got.push_back(lead[i]);
  }
  CHECK(got == expected);
}

TEST_CASE("a large batch over many studies (grouped statements), with a study that does not exist",
          "[storage][chunks]") {
  const auto backend = GC_BACKENDS;
  INFO(backend_name(backend));
  Fixture fx(backend);
  // 203 studies × 3 chunks: 609 rows, sent in groups of 256, 64, 16, 4 and 1 rows.
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 203; ++i) {
    ids.push_back(fx.store->begin_study(make_header(fx.device, "big-" + std::to_string(i))).study_id);
  }
  std::vector<std::pair<std::int64_t, Chunk>> batch;
  for (std::uint64_t seq = 0; seq < 3; ++seq) {
    for (const auto id : ids) batch.emplace_back(id, make_chunk(seq, 3, 50, static_cast<int>(id)));
  }
  batch.emplace_back(ids.back() + 1000, make_chunk(0, 3, 50));  // no such study
  const auto outcomes = fx.store->append_chunks_each(batch);
  REQUIRE(outcomes.size() == batch.size());
  for (std::size_t i = 0; i + 1 < outcomes.size(); ++i) {
    REQUIRE(outcomes[i].status == ChunkOutcome::Status::stored);
  }
  CHECK(outcomes.back().status == ChunkOutcome::Status::rejected);
  CHECK(contains_text(outcomes.back().error, "no such study"));
  for (const auto id : {ids.front(), ids[101], ids.back()}) {
    const auto s = fx.store->get_study(id);
    CHECK(s->next_sequence == 3);
    CHECK(s->received_samples_per_lead == 150);
    const auto samples = fx.store->load_samples(id);
    std::vector<std::int32_t> got, expected;
    for (std::uint64_t seq = 0; seq < 3; ++seq) {
      const auto c = make_chunk(seq, 3, 50, static_cast<int>(id));
      expected.insert(expected.end(), c.samples.begin(), c.samples.end());
    }
    for (std::size_t i = 0; i < samples.samples[0].size(); ++i) {
      for (const auto& lead : samples.samples) got.push_back(lead[i]);
    }
    CHECK(got == expected);
  }
}

TEST_CASE("an aborted batch leaves nothing behind (transaction rolled back)", "[storage][chunks]") {
  const auto backend = GC_BACKENDS;
  INFO(backend_name(backend));
  Fixture fx(backend);
  const auto a = fx.store->begin_study(make_header(fx.device, "a")).study_id;
  const auto b = fx.store->begin_study(make_header(fx.device, "b")).study_id;
  // All-or-nothing append_chunks: the last item is bad, so the valid items before it (already
  // inserted inside the transaction when the error is thrown) must be rolled back.
  std::vector<std::pair<std::int64_t, Chunk>> batch{
      {a, make_chunk(0, 3, 100)}, {b, make_chunk(0, 3, 100)}, {a, make_chunk(1, 3, 100)},
      {b, make_chunk(7, 3, 100)}};
  CHECK_THROWS_AS(fx.store->append_chunks(batch), Error);
  CHECK(fx.store->get_study(a)->next_sequence == 0);
  CHECK(fx.store->get_study(b)->next_sequence == 0);
  CHECK(fx.store->load_samples(a).samples[0].empty());
  // And the store is still usable afterwards.
  CHECK(fx.store->append_chunk(a, make_chunk(0, 3, 100)) == AppendResult::stored);
}

TEST_CASE("open_studies lists incomplete studies of a cart for resume", "[storage][studies]") {
  const auto backend = GC_BACKENDS;
  INFO(backend_name(backend));
  Fixture fx(backend);
  const auto s1 = fx.store->begin_study(make_header(fx.device, "o-1"));
  const auto s2 = fx.store->begin_study(make_header(fx.device, "o-2"));
  fx.store->append_chunk(s2.study_id, make_chunk(0, 3, 50));
  const auto c = make_chunk(0, 3, 50);
  fx.store->append_chunk(s1.study_id, c);
  fx.store->complete_study(s1.study_id, 50, samples_crc32(c.samples));
  const auto open = fx.store->open_studies(fx.device);
  REQUIRE(open.size() == 1);
  CHECK(open[0].header.study_uid == "o-2");
  CHECK(open[0].next_sequence == 1);
  CHECK(open[0].received_samples_per_lead == 50);
}

TEST_CASE("several threads appending to their own studies", "[storage][chunks][threads]") {
  const auto backend = GC_BACKENDS;
  INFO(backend_name(backend));
  Fixture fx(backend);
  constexpr int kThreads = 4;
  constexpr std::uint64_t kChunks = 25;
  std::vector<std::int64_t> ids;
  for (int t = 0; t < kThreads; ++t) {
    ids.push_back(fx.store->begin_study(make_header(fx.device, "t-" + std::to_string(t))).study_id);
  }
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (std::uint64_t s = 0; s < kChunks; ++s) {
        try {
          if (fx.store->append_chunk(ids[t], make_chunk(s, 3, 100, t)) != AppendResult::stored) {
            ++failures;
          }
        } catch (const Error&) {
          ++failures;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(failures == 0);
  for (int t = 0; t < kThreads; ++t) {
    CHECK(fx.store->get_study(ids[t])->next_sequence == kChunks);
    const auto loaded = fx.store->load_samples(ids[t]);
    CHECK(loaded.samples[2][kChunks * 100 - 1] == make_chunk(kChunks - 1, 3, 100, t).samples.back());
  }
}
