// write_floor — what the database engine itself can absorb of the server's chunk rows, with no
// greenchannel code in between: the floor `bench ingest --db postgresql://…` sets the server
// against (issue 14). Rows shaped like `chunks` (the same columns, the same delta-varint encoded
// samples) go into a scratch table in transactions of `rows_per_commit` rows, one multi-row
// INSERT each, with the database's normal durability (synchronous_commit on). The scratch table
// is dropped afterwards.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace gc::storage {

struct WriteFloor {
  std::uint64_t rows = 0;
  std::uint64_t commits = 0;
  double seconds = 0;
  double rows_per_s() const { return seconds > 0 ? static_cast<double>(rows) / seconds : 0; }
};

// `chunks`: interleaved int32 samples of consecutive chunks of one record (n_leads per sample
// instant); they are written for 256 studies in turn for about `seconds`. PostgreSQL URIs only
// (a SQLite file's floor is measured through the Store: `bench ingest`). Throws storage::Error.
WriteFloor measure_postgresql_write_floor(const std::string& uri, std::size_t n_leads,
                                          const std::vector<std::vector<std::int32_t>>& chunks,
                                          std::size_t rows_per_commit, double seconds);

}  // namespace gc::storage
