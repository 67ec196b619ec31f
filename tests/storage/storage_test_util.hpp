// Helpers shared by the storage tests: a self-deleting temporary directory, a database on either
// backend, and a study fixture.
#pragma once

#include <unistd.h>
#include <atomic>
#include <filesystem>
#include <memory>
#include <random>
#include <string>

#include "../../storage/src/db.hpp"
#include "../../storage/src/pg.hpp"
#include "../../storage/src/sqlite.hpp"
#include "gc/storage.hpp"
#include "pg_cluster.hpp"

namespace gc::storage::test {

class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("gc-storage-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()) + "-" +
             std::to_string(counter++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path db() const { return path_ / "var" / "greenchannel.db"; }

 private:
  std::filesystem::path path_;
};

// The backends every storage test written with GC_BACKEND runs on.
enum class Backend { sqlite, postgresql };

inline const char* backend_name(Backend b) {
  return b == Backend::sqlite ? "sqlite" : "postgresql";
}

// One test's database: a file in a temporary directory (SQLite) or a fresh database in the test
// binary's throwaway PostgreSQL cluster. location() is what Store::open and the other stores take.
class TestDb {
 public:
  explicit TestDb(Backend backend) : backend_(backend) {
    if (backend == Backend::postgresql) uri_ = gc::test::PgCluster::instance().create_database();
  }
  Backend backend() const { return backend_; }
  std::filesystem::path location() const {
    return backend_ == Backend::sqlite ? dir_.db() : std::filesystem::path(uri_);
  }
  // A separate connection for out-of-band checks (what another process would see or do).
  std::unique_ptr<db::Connection> raw() const {
    if (backend_ == Backend::postgresql) return pg::connect(uri_);
    std::filesystem::create_directories(dir_.db().parent_path());
    auto lite = std::make_unique<sqlite::Db>(dir_.db());
    sqlite3_busy_timeout(lite->handle(), 5000);
    return lite;
  }
  const TempDir& dir() const { return dir_; }

 private:
  Backend backend_;
  TempDir dir_;
  std::string uri_;
};

// In a TEST_CASE, `const auto backend = GC_BACKENDS;` runs the rest of the case once per backend
// (a Catch2 generator); follow it with INFO(backend_name(backend)) so failures name the backend.
#define GC_BACKENDS \
  GENERATE(::gc::storage::test::Backend::sqlite, ::gc::storage::test::Backend::postgresql)

inline StudyHeader make_header(const std::string& device_id, const std::string& uid,
                               std::vector<std::string> leads = {"I", "II", "V1"}) {
  StudyHeader h;
  h.device_id = device_id;
  h.study_uid = uid;
  h.leads = std::move(leads);
  h.sample_rate_hz = 500;
  h.resolution_nv_per_lsb = 1000.0;
  h.patient_id = "p-" + uid;
  h.age_years = 61;
  h.sex = std::string(1, 'M');  // not = "M": GCC 12 -Wrestrict false positive
  h.chest_pain = true;
  h.first_medical_contact = Stamp{1'778'573'100'000, "cart", "cart"};
  h.acquired_at = Stamp{1'778'573'400'000, "cart", "cart"};
  h.expected_samples_per_lead = 5000;
  return h;
}

// Chunk `sequence` of a study with n_leads leads and n samples per lead; sample values depend on
// (seed, index, lead) so chunks differ from each other.
inline Chunk make_chunk(std::uint64_t sequence, std::size_t n_leads, std::size_t n,
                        std::int32_t seed = 0) {
  Chunk c;
  c.sequence = sequence;
  c.first_sample_index = sequence * n;
  c.samples.reserve(n_leads * n);
  for (std::size_t s = 0; s < n; ++s) {
    for (std::size_t lead = 0; lead < n_leads; ++lead) {
      const auto i = static_cast<std::int64_t>(c.first_sample_index + s);
      c.samples.push_back(static_cast<std::int32_t>((i * 37 + static_cast<std::int64_t>(lead) * 1001 +
                                                     seed) % 4001 - 2000));
    }
  }
  return c;
}

}  // namespace gc::storage::test
