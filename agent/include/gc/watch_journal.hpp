// watch_journal — what the store-and-forward agent (gc/watch.hpp) remembers between polls and
// across restarts: an append-only journal of every file it claimed, sent, recognised as a copy or
// rejected (one JSON object per line, each line durable before the agent acts on it), and the
// settle tracker that tells when a file has stopped changing.
//
// A file is identified on disk by name + size + mtime (cheap: no read between polls) and as an ECG
// by the SHA-256 of its content: a replaced file under the same name is a new ECG, a renamed copy
// of one already sent is not sent again.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace gc::agent {

class JournalError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One file as it stands on disk; a WFDB record is its header plus the data files it names.
struct FileStamp {
  std::string name;  // in the watched folder
  bool present = false;
  std::uint64_t size_bytes = 0;
  std::int64_t mtime_ns = 0;
};
// "name|size|mtime_ns" per member, joined by ';' ("name|missing" for an absent member).
std::string identity_key(std::span<const FileStamp> members);

// Lowercase hex SHA-256 of `bytes`.
std::string sha256_hex(std::span<const std::uint8_t> bytes);

enum class JournalState { claimed, sent, rejected };

// What the journal knows of one ECG (one content hash).
struct JournalEntry {
  std::string sha256;  // "" for a file rejected before it could be read
  JournalState state = JournalState::claimed;
  std::string file;       // the name it was claimed (or rejected) under
  std::string study_uid;  // claimed, sent
  std::int64_t acquired_at_unix_ms = 0;
  std::string reason;  // rejected
};

class Journal {
 public:
  // Opens (creates) `state_dir`/journal.jsonl and replays it; holds an exclusive lock on it for
  // its lifetime (a second agent on the same state folder gets JournalError). A last line cut off
  // by a crash mid-append is dropped; any other damaged line is a JournalError naming the line —
  // the agent refuses to guess what was sent.
  static std::unique_ptr<Journal> open(const std::filesystem::path& state_dir);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  const std::filesystem::path& path() const { return path_; }

  const JournalEntry* by_identity(const std::string& identity) const;
  const JournalEntry* by_sha256(const std::string& sha256) const;
  const JournalEntry* by_study_uid(const std::string& study_uid) const;
  // Claimed and not yet sent, in claim order.
  std::vector<JournalEntry> unsent() const;
  std::size_t count(JournalState state) const;

  // Each call appends one line and returns once it is on disk (fdatasync).
  void claimed(const std::string& identity, const std::string& file, const std::string& sha256,
               const std::string& study_uid, std::int64_t acquired_at_unix_ms);
  // The same content under another name or time: remembered so it is not read again.
  void seen(const std::string& identity, const std::string& file, const std::string& sha256);
  void sent(const std::string& sha256, const std::string& file, const std::string& detail);
  // sha256 may be "" (unreadable file); the identity then stands for it.
  void rejected(const std::string& identity, const std::string& file, const std::string& sha256,
                const std::string& reason);
  // A claimed file changed or vanished before it could be sent: forgotten, so the content is
  // claimed anew if it reappears.
  void abandoned(const std::string& sha256, const std::string& file, const std::string& reason);

 private:
  Journal(std::filesystem::path path, int fd);
  void append(const std::string& line);
  void apply(const std::string& line, std::size_t line_number);

  std::filesystem::path path_;
  int fd_ = -1;
  std::map<std::string, JournalEntry> by_sha_;          // key: sha256, or "identity:" + identity
  std::map<std::string, std::string> identity_to_key_;  // identity → key of by_sha_
  std::map<std::string, std::string> uid_to_key_;
  std::map<std::string, std::uint64_t> claim_order_;  // key → when claimed (replay order)
  std::uint64_t claims_applied_ = 0;
};

// When has a file stopped changing? A file settles when its identity key has stayed the same for
// `settle` (observed across polls, never judged from the file's own mtime: a share's clock may
// differ from ours).
class SettleTracker {
 public:
  using Clock = std::chrono::steady_clock;
  explicit SettleTracker(Clock::duration settle) : settle_(settle) {}
  // Records `name` as it stands now; returns how long it has stood unchanged.
  Clock::duration observe(const std::string& name, const std::string& identity,
                          Clock::time_point now);
  bool settled(Clock::duration stable_for) const { return stable_for >= settle_; }
  // Forgets every name not in `present` (files gone, sent or moved).
  void retain(const std::vector<std::string>& present);
  void forget(const std::string& name) { since_.erase(name); }
  std::size_t tracked() const { return since_.size(); }

 private:
  struct Seen {
    std::string identity;
    Clock::time_point since;
  };
  Clock::duration settle_;
  std::map<std::string, Seen> since_;
};

}  // namespace gc::agent
