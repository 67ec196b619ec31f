// Chunk sample encodings (storage/migrations/0005_chunk_encoding.sql): the compact
// delta-zigzag-varint form is lossless for every int32 (random, extreme, alternating), strict on
// malformed blobs, and rows written before 0005 (int32le) still read, deduplicate and checksum.
// Also the write batch: Store calls inside one share its transaction, a failing call undoes
// only itself, and a batch that throws stores nothing.
#include <catch2/catch.hpp>

#include <limits>
#include <random>

#include "../../storage/src/samples_codec.hpp"
#include "../../storage/src/sqlite.hpp"
#include "storage_test_util.hpp"

using namespace gc::storage;
using gc::storage::test::backend_name;
using gc::storage::test::make_chunk;
using gc::storage::test::make_header;
using gc::storage::test::TestDb;

namespace {

constexpr std::int32_t kMin = std::numeric_limits<std::int32_t>::min();
constexpr std::int32_t kMax = std::numeric_limits<std::int32_t>::max();

std::vector<std::int32_t> round_trip(const std::vector<std::int32_t>& samples, std::size_t n_leads) {
  std::vector<std::uint8_t> blob;
  detail::encode_delta_varint(samples, n_leads, blob);
  std::vector<std::int32_t> back;
  REQUIRE(detail::decode_delta_varint(blob, samples.size(), n_leads, back));
  return back;
}

}  // namespace

TEST_CASE("delta-zigzag-varint round-trips random and extreme int32 samples bit for bit",
          "[storage][encoding]") {
  std::mt19937 rng(20260512);
  std::uniform_int_distribution<std::int32_t> any(kMin, kMax);
  std::uniform_int_distribution<std::int32_t> small(-3000, 3000);
  for (const std::size_t n_leads : {std::size_t{1}, std::size_t{3}, std::size_t{12}}) {
    std::vector<std::int32_t> random_full;
    std::vector<std::int32_t> ecg_like;
    for (std::size_t i = 0; i < 100 * n_leads; ++i) {
      random_full.push_back(any(rng));
      ecg_like.push_back(small(rng));
    }
    CHECK(round_trip(random_full, n_leads) == random_full);
    CHECK(round_trip(ecg_like, n_leads) == ecg_like);
    // Extremes and the largest possible jumps (wrapping differences), per lead.
    std::vector<std::int32_t> extreme;
    const std::int32_t pattern[] = {kMin, kMax, kMin, 0, -1, kMax, kMax, kMin + 1, 1, kMin};
    for (const std::int32_t v : pattern) {
      for (std::size_t lead = 0; lead < n_leads; ++lead) {
        extreme.push_back(lead % 2 == 0 ? v : static_cast<std::int32_t>(~v));
      }
    }
    CHECK(round_trip(extreme, n_leads) == extreme);
  }
  // ECG-like data is about 4x smaller than int32le.
  std::vector<std::int32_t> slow;
  for (int i = 0; i < 1200; ++i) slow.push_back(100 + (i / 12) % 50 - (i % 12) * 7);
  std::vector<std::uint8_t> blob;
  detail::encode_delta_varint(slow, 12, blob);
  CHECK(blob.size() <= slow.size() + slow.size() / 10);
}

TEST_CASE("delta-zigzag-varint decoding refuses truncated, overlong and trailing bytes",
          "[storage][encoding]") {
  const std::vector<std::int32_t> samples{kMin, kMax, 0, -5, 7, 123456};
  std::vector<std::uint8_t> blob;
  detail::encode_delta_varint(samples, 2, blob);
  std::vector<std::int32_t> out;
  CHECK(detail::decode_delta_varint(blob, samples.size(), 2, out));
  CHECK(out == samples);
  out.clear();
  const std::vector<std::uint8_t> truncated(blob.begin(), blob.end() - 1);
  CHECK_FALSE(detail::decode_delta_varint(truncated, samples.size(), 2, out));
  out.clear();
  auto trailing = blob;
  trailing.push_back(0);
  CHECK_FALSE(detail::decode_delta_varint(trailing, samples.size(), 2, out));
  out.clear();
  const std::vector<std::uint8_t> overlong{0xFF, 0xFF, 0xFF, 0xFF, 0x1F};  // 35 bits
  CHECK_FALSE(detail::decode_delta_varint(overlong, 1, 1, out));
  out.clear();
  CHECK_FALSE(detail::decode_stored("bzip2", blob, samples.size(), 2, out));
}

TEST_CASE("new chunks are stored compact and a legacy int32le row still reads and checksums",
          "[storage][encoding]") {
  const auto backend = GC_BACKENDS;
  INFO(backend_name(backend));
  TestDb db(backend);
  auto store = Store::open(db.location());
  const auto dev = store->add_device("clinic", "cart-enc");
  const auto study = store->begin_study(make_header(dev.device_id, "enc-1"));
  const Chunk c0 = make_chunk(0, 3, 50);
  Chunk c1 = make_chunk(1, 3, 50);
  c1.samples[0] = kMin;
  c1.samples[1] = kMax;
  c1.samples[4] = kMin;
  {
    // A row as written before migration 0005: int32le, through a second connection.
    auto conn = db.raw();
    auto& raw = *conn;
    db::Transaction tx(raw);
    raw.query("INSERT INTO chunks (study_id, sequence, first_sample_index, n_samples_per_lead, "
              "samples, received_ms) VALUES (?, 0, 0, 50, ?, 1)")
        .bind(1, study.study_id)
        .bind_blob(2, detail::encode_samples(c0.samples))
        .run();
    raw.query("UPDATE studies SET next_sequence = 1, received_samples_per_lead = 50 WHERE id = ?")
        .bind(1, study.study_id)
        .run();
    tx.commit();
  }
  CHECK(store->append_chunk(study.study_id, c1) == AppendResult::stored);
  {
    auto raw = db.raw();
    auto q = raw->query(
        "SELECT encoding, length(samples) FROM chunks WHERE study_id = ? ORDER BY "
        "sequence");
    q.bind(1, study.study_id);
    REQUIRE(q.step());
    CHECK(q.text(0) == "int32le");
    CHECK(q.int64(1) == 600);
    REQUIRE(q.step());
    CHECK(q.text(0) == "delta-zigzag-varint");
    CHECK(q.int64(1) < 600);
  }
  // Resends of both rows are recognised as duplicates; a different resend is refused.
  CHECK(store->append_chunk(study.study_id, c0) == AppendResult::duplicate);
  CHECK(store->append_chunk(study.study_id, c1) == AppendResult::duplicate);
  Chunk changed = c1;
  changed.samples[7] += 1;
  CHECK_THROWS_WITH(store->append_chunk(study.study_id, changed),
                    Catch::Contains("conflicting resend"));

  std::vector<std::int32_t> all = c0.samples;
  all.insert(all.end(), c1.samples.begin(), c1.samples.end());
  const auto loaded = store->load_samples(study.study_id);
  REQUIRE(loaded.samples.size() == 3);
  for (std::size_t lead = 0; lead < 3; ++lead) {
    REQUIRE(loaded.samples[lead].size() == 100);
    for (std::size_t k = 0; k < 100; ++k) {
      CHECK(loaded.samples[lead][k] == all[k * 3 + lead]);
    }
  }
  CHECK_THROWS_WITH(store->complete_study(study.study_id, 100, samples_crc32(all) ^ 1),
                    Catch::Contains("checksum mismatch"));
  store->complete_study(study.study_id, 100, samples_crc32(all));
  CHECK(store->get_study(study.study_id)->complete);
}

TEST_CASE("the chunks table refuses an unknown encoding", "[storage][encoding]") {
  const auto backend = GC_BACKENDS;
  INFO(backend_name(backend));
  TestDb db(backend);
  auto store = Store::open(db.location());
  const auto dev = store->add_device("clinic", "cart-enc2");
  const auto study = store->begin_study(make_header(dev.device_id, "enc-2"));
  auto raw = db.raw();
  const std::vector<std::uint8_t> one_byte{0};
  CHECK_THROWS_WITH(
      raw->query("INSERT INTO chunks (study_id, sequence, first_sample_index, n_samples_per_lead, "
                 "samples, received_ms, encoding) VALUES (?, 0, 0, 1, ?, 1, 'zstd')")
          .bind(1, study.study_id)
          .bind_blob(2, one_byte)
          .run(),
      Catch::Contains(backend == gc::storage::test::Backend::sqlite
                          ? "CHECK constraint failed"
                          : "violates check constraint \"chunks_encoding_check\""));
}

TEST_CASE("a write batch commits its writes together and a failing call undoes only itself",
          "[storage][batch]") {
  const auto backend = GC_BACKENDS;
  INFO(backend_name(backend));
  TestDb db(backend);
  auto store = Store::open(db.location());
  const auto dev = store->add_device("clinic", "cart-batch");
  std::int64_t id_a = 0;
  store->write_batch([&] {
    id_a = store->begin_study(make_header(dev.device_id, "batch-a")).study_id;
    CHECK(store->append_chunk(id_a, make_chunk(0, 3, 10)) == AppendResult::stored);
    // Refused inside the batch (a gap): only this call is undone.
    CHECK_THROWS(store->append_chunk(id_a, make_chunk(5, 3, 10)));
    CHECK_THROWS(store->begin_study(make_header(dev.device_id, "batch-a", {"I"})));
    CHECK(store->append_chunk(id_a, make_chunk(1, 3, 10)) == AppendResult::stored);
  });
  CHECK(store->get_study(id_a)->next_sequence == 2);

  // A batch that throws stores nothing.
  CHECK_THROWS_WITH(store->write_batch([&] {
    store->begin_study(make_header(dev.device_id, "batch-b"));
    CHECK(store->append_chunk(id_a, make_chunk(2, 3, 10)) == AppendResult::stored);
    throw Error("simulated failure");
  }),
                    "simulated failure");
  CHECK_FALSE(store->find_study(dev.device_id, "batch-b").has_value());
  CHECK(store->get_study(id_a)->next_sequence == 2);
  // The store works normally afterwards.
  CHECK(store->append_chunk(id_a, make_chunk(2, 3, 10)) == AppendResult::stored);
}
