// The engine's write floor for chunk rows (see gc/write_floor.hpp).
#include "gc/write_floor.hpp"

#include <chrono>
#include <random>

#include "db.hpp"
#include "gc/storage.hpp"
#include "pg.hpp"
#include "samples_codec.hpp"

namespace gc::storage {

WriteFloor measure_postgresql_write_floor(const std::string& uri, std::size_t n_leads,
                                          const std::vector<std::vector<std::int32_t>>& chunks,
                                          std::size_t rows_per_commit, double seconds) {
  if (!is_postgresql_uri(uri)) throw Error("the write floor is measured on PostgreSQL only");
  if (chunks.empty() || n_leads == 0 || rows_per_commit == 0) return {};
  // One multi-row INSERT per transaction: 6 parameters a row, within PostgreSQL's 65,535.
  rows_per_commit = std::min<std::size_t>(rows_per_commit, 10'000);
  auto db = pg::connect(uri);
  std::random_device rd;
  const std::string table = "gc_write_floor_" + std::to_string(rd() % 1'000'000'000);
  db->exec("CREATE TABLE " + table +
           " (study_id BIGINT NOT NULL, sequence BIGINT NOT NULL, first_sample_index BIGINT NOT "
           "NULL, n_samples_per_lead BIGINT NOT NULL, samples BYTEA NOT NULL, received_ms BIGINT "
           "NOT NULL, encoding TEXT NOT NULL, PRIMARY KEY (study_id, sequence))");
  struct Row {
    std::int64_t first = 0, n_per_lead = 0;
    std::vector<std::uint8_t> blob;
  };
  std::vector<Row> encoded(chunks.size());
  std::int64_t first = 0;
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    encoded[i].first = first;
    encoded[i].n_per_lead = static_cast<std::int64_t>(chunks[i].size() / n_leads);
    detail::encode_delta_varint(chunks[i], n_leads, encoded[i].blob);
    first += encoded[i].n_per_lead;
  }
  std::string sql = "INSERT INTO " + table +
                    " (study_id, sequence, first_sample_index, n_samples_per_lead, samples, "
                    "received_ms, encoding) VALUES ";
  for (std::size_t i = 0; i < rows_per_commit; ++i) {
    sql += i == 0 ? "" : ", ";
    sql += "(?, ?, ?, ?, ?, ?, '" + std::string(detail::kEncodingDeltaVarint) + "')";
  }
  constexpr std::int64_t kStudies = 256;
  std::vector<std::size_t> next(kStudies, 0);
  std::int64_t cursor = 0;
  WriteFloor out;
  const auto start = std::chrono::steady_clock::now();
  const auto elapsed = [&start] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  try {
    while (elapsed() < seconds) {
      db->begin();
      auto q = db->query(sql);
      std::size_t n = 0;
      for (; n < rows_per_commit; ++n) {
        const std::int64_t study = cursor++ % kStudies;
        const std::size_t seq = next[static_cast<std::size_t>(study)]++;
        const Row& r = encoded[seq % encoded.size()];
        const int p = static_cast<int>(6 * n);
        q.bind(p + 1, study)
            .bind(p + 2, static_cast<std::int64_t>(seq))
            .bind(p + 3, r.first + static_cast<std::int64_t>(seq / encoded.size()) * first)
            .bind(p + 4, r.n_per_lead)
            .bind_blob(p + 5, r.blob)
            .bind(p + 6, static_cast<std::int64_t>(0));
      }
      q.run();
      db->exec("COMMIT");
      out.rows += n;
      ++out.commits;
    }
    out.seconds = elapsed();
  } catch (...) {
    try {
      if (db->in_transaction()) db->exec("ROLLBACK");
      db->exec("DROP TABLE " + table);
    } catch (...) {
    }
    throw;
  }
  db->exec("DROP TABLE " + table);
  return out;
}

}  // namespace gc::storage
