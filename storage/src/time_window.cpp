// The plausible window for a recorded time (see storage.hpp, implausible_time).
#include <cinttypes>
#include <cstdio>

#include "gc/storage.hpp"

namespace gc::storage {

namespace {

// "YYYY-MM-DDTHH:MM:SSZ" for any int64 milliseconds (proleptic Gregorian; years beyond 9999 and
// before 1970 printed as they are, so an error can name the value that was refused).
std::string iso_utc(UnixMs ms) {
  // Floor division, so that times before 1970 land on the right day.
  std::int64_t days = ms / 86'400'000;
  std::int64_t rem = ms % 86'400'000;
  if (rem < 0) {
    rem += 86'400'000;
    --days;
  }
  // Civil date from days since 1970-01-01 (H. Hinnant's algorithm, in 64-bit).
  const std::int64_t z = days + 719'468;
  const std::int64_t era = (z >= 0 ? z : z - 146'096) / 146'097;
  const std::int64_t doe = z - era * 146'097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36'524 - doe / 146'096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  const std::int64_t s = rem / 1000;
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04" PRId64 "-%02" PRId64 "-%02" PRId64 "T%02" PRId64 ":%02" PRId64
                ":%02" PRId64 "Z", y, m, d, s / 3600, s / 60 % 60, s % 60);
  return buf;
}

}  // namespace

std::optional<std::string> implausible_time(UnixMs at_ms, UnixMs reference_ms) {
  // Differences in uint64: exact for any two int64 values in the order compared (no overflow,
  // whatever at_ms holds — INT64_MIN and INT64_MAX included).
  const auto gap = [](UnixMs later, UnixMs earlier) {
    return static_cast<std::uint64_t>(later) - static_cast<std::uint64_t>(earlier);
  };
  if (at_ms > reference_ms && gap(at_ms, reference_ms) > static_cast<std::uint64_t>(kMaxFutureMs)) {
    return iso_utc(at_ms) + " is more than 1 day after it was recorded (" + iso_utc(reference_ms) +
           ", server clock)";
  }
  if (at_ms < reference_ms && gap(reference_ms, at_ms) > static_cast<std::uint64_t>(kMaxPastMs)) {
    return iso_utc(at_ms) + " is more than 366 days before it was recorded (" +
           iso_utc(reference_ms) + ", server clock)";
  }
  return std::nullopt;
}

}  // namespace gc::storage
