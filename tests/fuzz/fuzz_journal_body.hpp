// The fuzzed behaviour of the cart agent's watch journal (gc::agent::Journal, agent/), shared by
// the libFuzzer target (fuzz_journal.cpp) and the corpus replay in the normal test suite
// (tests/agent). The input is the content of `journal.jsonl` as a crash, a full disk, a copy from
// another machine or a hand edit may leave it.
// Promises checked (a broken one traps so libFuzzer keeps the input): opening either replays the
// journal or throws JournalError (nothing else escapes); every unsent entry is a claimed one found
// again by its hash; replaying twice gives the same state (dropping a cut-off last line changes
// nothing else); after a replay, a new claim and its sending are appended and survive a reopen.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gc/watch_journal.hpp"

namespace gc::fuzz {

namespace journal_detail {

[[noreturn]] inline void broken(const char* promise) {
  std::fprintf(stderr, "broken promise: %s\n", promise);
  __builtin_trap();
}
inline void require(bool ok, const char* promise) {
  if (!ok) broken(promise);
}

// A state folder of this process's own, on tmpfs when there is one (the journal fsyncs);
// removed when the process ends.
inline const std::filesystem::path& state_dir() {
  struct Dir {
    std::filesystem::path path;
    Dir() {
      std::error_code ec;
      const std::filesystem::path shm = "/dev/shm";
      const auto base =
          std::filesystem::is_directory(shm, ec) ? shm : std::filesystem::temp_directory_path();
      path = base / ("gc-fuzz-journal-" + std::to_string(::getpid()));
      std::filesystem::create_directories(path);
    }
    ~Dir() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  };
  static const Dir dir;
  return dir.path;
}

struct Snapshot {
  std::vector<std::string> unsent;  // sha256 file study_uid, in claim order
  std::size_t claimed = 0, sent = 0, rejected = 0;
  bool operator==(const Snapshot&) const = default;
};

inline Snapshot snapshot(const agent::Journal& j) {
  Snapshot s;
  for (const auto& e : j.unsent()) {
    require(e.state == agent::JournalState::claimed, "unsent entries are claimed");
    const auto* again = j.by_sha256(e.sha256);
    require(again != nullptr && again->state == agent::JournalState::claimed,
            "an unsent entry is found by its hash");
    s.unsent.push_back(e.sha256 + ' ' + e.file + ' ' + e.study_uid);
  }
  s.claimed = j.count(agent::JournalState::claimed);
  s.sent = j.count(agent::JournalState::sent);
  s.rejected = j.count(agent::JournalState::rejected);
  require(s.claimed == s.unsent.size(), "claimed = unsent");
  return s;
}

}  // namespace journal_detail

inline void fuzz_journal_one(const std::uint8_t* data, std::size_t size) {
  using namespace journal_detail;
  const auto dir = state_dir();
  {
    std::ofstream out(dir / "journal.jsonl", std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  try {
    Snapshot first;
    std::string sha;
    {
      const auto j = agent::Journal::open(dir);
      first = snapshot(*j);
    }
    {
      const auto j = agent::Journal::open(dir);
      require(snapshot(*j) == first, "a second replay gives the same state");
      // A hash the journal does not know yet, so the claim is a new one.
      int k = 0;
      while (j->by_sha256("fuzz-new-claim-" + std::to_string(k)) != nullptr) ++k;
      sha = "fuzz-new-claim-" + std::to_string(k);
      j->claimed("fuzz.scp|1|1", "fuzz.scp", sha, "fuzz-uid", 0);
      j->sent(sha, "fuzz.scp", "fuzz");
      require(j->by_sha256(sha) != nullptr && j->by_sha256(sha)->state == agent::JournalState::sent,
              "an appended sending is recorded");
    }
    const auto j = agent::Journal::open(dir);
    const auto* e = j->by_sha256(sha);
    require(e != nullptr && e->state == agent::JournalState::sent,
            "an appended sending survives a reopen");
    require(j->count(agent::JournalState::sent) == first.sent + 1, "one more sent");
  } catch (const agent::JournalError&) {
    // the one expected failure: the journal names the damaged line
  } catch (...) {
    broken("only gc::agent::JournalError escapes the journal");
  }
}

}  // namespace gc::fuzz
