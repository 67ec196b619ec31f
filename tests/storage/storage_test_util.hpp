// Helpers shared by the storage tests: a self-deleting temporary directory and a study fixture.
#pragma once

#include <atomic>
#include <filesystem>
#include <random>
#include <string>
#include <unistd.h>

#include "gc/storage.hpp"

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
