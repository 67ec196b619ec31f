// Following an append-only table by its seq from another process (several serve nodes on one
// database): which rows this node has passed on. Used by AlertService (transitions, pages) and
// CaseFeed (case timelines). Internal to workflow.
#pragma once

#include <cstdint>
#include <map>
#include <set>

#include "gc/storage.hpp"

namespace gc::workflow::detail {

// A sequence gap (a row numbered but not visible yet: its transaction has not committed, or
// rolled back) is waited for this long before the feed moves past it.
inline constexpr storage::UnixMs kFeedGapWaitMs = 10'000;
// Rows read per round.
inline constexpr std::size_t kFeedPage = 500;

// Every seq up to `floor` is done; above it, `handled` holds the seqs seen (or written by this
// node). A missing seq with later ones seen is a gap: PostgreSQL numbers rows when they are
// inserted, not when they commit, so a later seq can become visible first — the gap is read
// again (rows are read from `floor` on) until it appears or kFeedGapWaitMs passed (a rolled-back
// insert leaves a hole for good).
struct SeqFeed {
  std::int64_t floor = 0;
  std::set<std::int64_t> handled;
  std::map<std::int64_t, storage::UnixMs> gap_since;

  // true the first time a seq is seen (pass it on), false after.
  bool take(std::int64_t seq) { return seq > floor && handled.insert(seq).second; }

  // Moves `floor` over the seqs handled and the gaps waited out; call after each round.
  void advance(storage::UnixMs now_ms) {
    for (;;) {
      if (handled.erase(floor + 1) != 0) {
        gap_since.erase(floor + 1);
        ++floor;
        continue;
      }
      if (handled.empty()) return;
      const auto [it, fresh] = gap_since.try_emplace(floor + 1, now_ms);
      if (!fresh && now_ms - it->second > kFeedGapWaitMs) {
        gap_since.erase(it);
        ++floor;
        continue;
      }
      return;
    }
  }
};

}  // namespace gc::workflow::detail
