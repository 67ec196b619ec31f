// The export-folder agent (see gc/watch.hpp): scan, settle, claim, send, listen.
#include "gc/watch.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <deque>
#include <fstream>
#include <map>
#include <set>
#include <span>
#include <thread>

#include "gc/formats.hpp"
#include "gc/watch_journal.hpp"
#include "gc/wfdb.hpp"
#include "watched_ecg.hpp"

namespace gc::agent {

namespace fs = std::filesystem;
namespace pb = proto::pb;
using Clock = std::chrono::steady_clock;

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Names that are not (yet) an ECG file of the cart's: hidden files and the state folder, and the
// usual names of files still being written by a program that renames them when done.
bool skipped_name(const std::string& name) {
  if (name.empty() || name.front() == '.' || name.back() == '~') return true;
  const std::string l = lower(name);
  return ends_with(l, ".tmp") || ends_with(l, ".part") || ends_with(l, ".partial") ||
         ends_with(l, ".crdownload") || ends_with(l, ".error.txt");
}

FileStamp stamp_of(const fs::path& dir, const std::string& name) {
  FileStamp s;
  s.name = name;
  struct stat st {};
  if (::stat((dir / name).c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
    s.present = true;
    s.size_bytes = static_cast<std::uint64_t>(st.st_size);
    s.mtime_ns = std::int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec;
  }
  return s;
}

// One line: reasons from readers may carry newlines from the file itself.
std::string one_line(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text;
}

struct Candidate {
  std::string name;                  // the file (or WFDB header) the ECG is known by
  std::vector<std::string> members;  // name first, then a WFDB record's data files
  std::vector<FileStamp> stamps;
  std::string identity;
};

class Watcher {
 public:
  Watcher(const WatchConfig& config, ingest::CartConfig cart, const std::atomic<bool>& stop,
          const std::function<void(const WatchEvent&)>& on_event)
      : config_(config),
        stop_(stop),
        on_event_(on_event),
        settle_(config.settle),
        client_(with_log(std::move(cart))) {
    dir_ = config_.dir;
    rejected_dir_ = dir_ / "rejected";
    const fs::path state = config_.state_dir.empty() ? dir_ / ".greenchannel" : config_.state_dir;
    journal_ = Journal::open(state);
  }

  WatchSummary run() {
    std::error_code ec;
    if (!fs::is_directory(dir_, ec)) {
      throw std::runtime_error(dir_.string() + ": not a folder");
    }
    while (!stop_) {
      const auto round_start = Clock::now();
      scan(round_start);
      send_pending();
      idle(round_start + config_.poll_interval);
    }
    client_.close();
    return summary_;
  }

 private:
  ingest::CartConfig with_log(ingest::CartConfig cart) {
    cart.log = [this](std::string_view line) {
      if (listening_ && line.starts_with("connection lost")) {
        // Told once per backoff period as server_unavailable, not at every poll of an outage.
        if (lost_while_listening_.empty()) lost_while_listening_ = std::string(line);
        return;
      }
      WatchEvent e;
      e.kind = WatchEvent::Kind::progress;
      e.file = current_file_;
      e.study_uid = current_uid_;
      e.message = std::string(line);
      emit(e);
    };
    return cart;
  }

  void emit(const WatchEvent& e) {
    if (on_event_) on_event_(e);
  }

  std::vector<Candidate> list_candidates() {
    std::vector<std::string> names;
    std::error_code ec;
    for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
      std::error_code type_ec;
      if (!it->is_regular_file(type_ec)) continue;
      const std::string name = it->path().filename().string();
      if (!skipped_name(name)) names.push_back(name);
    }
    std::sort(names.begin(), names.end());
    std::vector<Candidate> out;
    std::set<std::string> data_files;  // named by a WFDB header in the folder
    for (const auto& name : names) {
      if (lower(fs::path(name).extension().string()) != ".hea") continue;
      Candidate c;
      c.name = name;
      // Parsed again only when the header changed.
      const FileStamp header_stamp = stamp_of(dir_, name);
      const std::string header_identity = identity_key(std::span(&header_stamp, 1));
      auto& cached = header_members_[name];
      if (cached.first != header_identity) cached = {header_identity, wfdb_members(dir_, name)};
      c.members = cached.second;
      for (std::size_t i = 1; i < c.members.size(); ++i) data_files.insert(c.members[i]);
      out.push_back(std::move(c));
    }
    for (const auto& name : names) {
      if (lower(fs::path(name).extension().string()) == ".hea" || data_files.contains(name)) {
        continue;
      }
      if (lower(fs::path(name).extension().string()) == ".dat" &&
          !formats::looks_like_ecg_file(dir_ / name)) {
        continue;  // a WFDB data file whose header has not arrived yet
      }
      out.push_back(Candidate{name, {name}, {}, {}});
    }
    std::erase_if(header_members_, [&](const auto& kv) {
      return !std::binary_search(names.begin(), names.end(), kv.first);
    });
    for (auto& c : out) {
      for (const auto& m : c.members) c.stamps.push_back(stamp_of(dir_, m));
      c.identity = identity_key(c.stamps);
    }
    return out;
  }

  void scan(Clock::time_point now) {
    std::vector<std::string> present;
    for (const auto& c : list_candidates()) {
      if (stop_) return;
      present.push_back(c.name);
      consider(c, now);
    }
    settle_.retain(present);
    std::erase_if(failed_parse_, [&](const auto& kv) {
      return std::find(present.begin(), present.end(), kv.first) == present.end();
    });
  }

  void queue(const std::string& sha, const Candidate& c) {
    if (!queued_.insert(sha).second) return;
    pending_.push_back(Pending{sha, c.name, c.members, c.identity, 0});
  }

  void consider(const Candidate& c, Clock::time_point now) {
    if (const JournalEntry* known = journal_->by_identity(c.identity)) {
      switch (known->state) {
        case JournalState::sent:
          return;
        case JournalState::claimed:
          queue(known->sha256, c);
          return;
        case JournalState::rejected:
          // Rejected, but the move did not happen (the agent stopped in between): finish it.
          if (!unmovable_.contains(c.name)) move_to_rejected(c, known->reason);
          return;
      }
    }
    const auto stable_for = settle_.observe(c.name, c.identity, now);
    if (!settle_.settled(stable_for)) {
      if (announced_.insert(c.name).second) {
        WatchEvent e;
        e.kind = WatchEvent::Kind::waiting;
        e.file = c.name;
        e.message = "new file; waiting until it is completely written";
        emit(e);
      }
      return;
    }
    const auto failed = failed_parse_.find(c.name);
    const bool failed_before = failed != failed_parse_.end() && failed->second == c.identity;
    if (failed_before && stable_for < 2 * config_.settle) return;

    std::vector<std::vector<std::uint8_t>> bytes;
    try {
      bytes = read_members(dir_, c.members);
    } catch (const std::exception& e) {
      return fail_or_reject(c, stable_for, "", e.what());
    }
    if (identity_key(restamp_members(c.members)) != c.identity)
      return;  // changed while we read: not settled
    const std::string sha = content_sha256(c.members, bytes);

    if (const JournalEntry* known = journal_->by_sha256(sha)) {
      const JournalEntry entry = *known;
      if (entry.state == JournalState::rejected) {
        journal_->rejected(c.identity, c.name, sha, entry.reason);
        move_to_rejected(c, entry.reason);
        return;
      }
      journal_->seen(c.identity, c.name, sha);
      if (entry.state == JournalState::claimed && !queued_.contains(sha)) {
        queue(sha, c);  // the claimed file was renamed before it was sent: send it as this
        return;
      }
      ++summary_.duplicates;
      announced_.erase(c.name);
      WatchEvent e;
      e.kind = WatchEvent::Kind::duplicate;
      e.file = c.name;
      e.study_uid = entry.study_uid;
      e.message = "same content as " + entry.file + " (" +
                  (entry.state == JournalState::sent ? "sent" : "queued") + " as study " +
                  entry.study_uid + "); not sent again";
      emit(e);
      return;
    }
    ParsedEcg parsed;
    try {
      parsed = parse_members(c.members, bytes);
    } catch (const std::exception& e) {
      return fail_or_reject(c, stable_for, sha, e.what());
    }
    const std::int64_t acquired_at =
        parsed.acquired_at_unix_ms.value_or(c.stamps.front().mtime_ns / 1'000'000);
    journal_->claimed(c.identity, c.name, sha, study_uid_for_sha256(sha), acquired_at);
    queue(sha, c);
  }

  // Unreadable once settled: maybe a writer that paused; rejected when it still is after another
  // settle interval without change.
  void fail_or_reject(const Candidate& c, SettleTracker::Clock::duration stable_for,
                      const std::string& sha, const std::string& reason) {
    if (stable_for >= 2 * config_.settle) {
      reject(c, sha, reason);
      return;
    }
    failed_parse_[c.name] = c.identity;
  }

  void reject(const Candidate& c, const std::string& sha, const std::string& reason) {
    const std::string why = one_line(reason);
    journal_->rejected(c.identity, c.name, sha, why);
    move_to_rejected(c, why);
  }

  void move_to_rejected(const Candidate& c, const std::string& reason) {
    std::error_code ec;
    fs::create_directories(rejected_dir_, ec);
    // Never overwrite an earlier rejected file of the same name.
    std::string suffix;
    for (int n = 1; n < 10'000; ++n) {
      const bool taken = std::any_of(c.members.begin(), c.members.end(), [&](const auto& m) {
        return fs::exists(rejected_dir_ / (m + suffix), ec);
      });
      if (!taken) break;
      suffix = "." + std::to_string(n);
    }
    const std::string target = c.name + suffix;
    {
      const fs::path tmp = rejected_dir_ / (".tmp." + target + ".error.txt");
      std::ofstream out(tmp, std::ios::trunc);
      // Reasons from the readers often start with the file's name already.
      out << (reason.rfind(c.name + ":", 0) == 0 ? reason : c.name + ": " + reason) << "\n";
      out.close();
      fs::rename(tmp, rejected_dir_ / (target + ".error.txt"), ec);
    }
    std::string move_error;
    for (const auto& m : c.members) {
      std::error_code move_ec;
      if (!fs::exists(dir_ / m, move_ec)) continue;
      fs::rename(dir_ / m, rejected_dir_ / (m + suffix), move_ec);
      if (move_ec && move_error.empty()) move_error = m + ": " + move_ec.message();
    }
    if (!move_error.empty()) unmovable_.insert(c.name);  // said once, not at every poll
    settle_.forget(c.name);
    failed_parse_.erase(c.name);
    announced_.erase(c.name);
    ++summary_.rejected;
    WatchEvent e;
    e.kind = WatchEvent::Kind::rejected;
    e.file = c.name;
    e.message = move_error.empty()
                    ? reason
                    : reason + " (could not move it to rejected/: " + move_error + ")";
    emit(e);
  }

  void server_unavailable(const std::string& why) {
    backoff_ =
        backoff_.count() == 0 ? config_.retry_initial : std::min(backoff_ * 2, config_.retry_max);
    next_attempt_ = Clock::now() + backoff_;
    server_up_ = false;
    WatchEvent e;
    e.kind = WatchEvent::Kind::server_unavailable;
    e.message = why;
    e.retry_in = backoff_;
    e.waiting_to_send = pending_.size();
    emit(e);
  }

  void abandon(const std::string& sha, const std::string& file, const std::string& reason) {
    journal_->abandoned(sha, file, reason);
    queued_.erase(sha);
    pending_.pop_front();
  }

  void send_pending() {
    while (!pending_.empty() && !stop_ && Clock::now() >= next_attempt_) {
      Pending& p = pending_.front();
      const JournalEntry* known = journal_->by_sha256(p.sha);
      if (known == nullptr || known->state != JournalState::claimed) {
        queued_.erase(p.sha);
        pending_.pop_front();
        continue;
      }
      const JournalEntry claim = *known;
      std::vector<std::vector<std::uint8_t>> bytes;
      try {
        bytes = read_members(dir_, p.members);
      } catch (const std::exception& e) {
        abandon(p.sha, p.file, std::string("gone before it was sent: ") + e.what());
        continue;
      }
      if (content_sha256(p.members, bytes) != p.sha) {
        abandon(p.sha, p.file, "changed before it was sent; its new content is a new ECG");
        continue;
      }
      Candidate c{p.file, p.members, restamp_members(p.members), p.identity};
      ParsedEcg parsed;
      try {
        parsed = parse_members(p.members, bytes);
      } catch (const std::exception& e) {
        reject(c, p.sha, e.what());
        queued_.erase(p.sha);
        pending_.pop_front();
        continue;
      }
      ingest::CartStudy& study = parsed.converted.study;
      study.study_uid = claim.study_uid;
      study.acquired_at_unix_ms = claim.acquired_at_unix_ms;
      {
        WatchEvent e;
        e.kind = WatchEvent::Kind::sending;
        e.file = p.file;
        e.study_uid = study.study_uid;
        e.message = parsed.format;
        e.study = &parsed.converted;
        emit(e);
      }
      current_file_ = p.file;
      current_uid_ = study.study_uid;
      ingest::CartResult result;
      try {
        result = client_.send_study(study);
      } catch (const ingest::CartError& e) {
        current_file_.clear();
        current_uid_.clear();
        if (e.refused_hello()) {
          if (e.code() == pb::Error::UNAUTHENTICATED || e.code() == pb::Error::PROTOCOL_VIOLATION) {
            throw;  // the device itself is refused: nothing would ever be sent
          }
          server_unavailable(e.what());
          return;
        }
        if (e.code() == pb::Error::STUDY_EXPIRED) {
          // Left open past the server's expiry (a long outage mid-send): the same ECG goes again
          // as a new study, never to rejected/. The claim is re-journalled first, so a restart
          // uses the new uid too.
          const std::string uid = next_study_uid(claim.study_uid);
          journal_->claimed(p.identity, p.file, p.sha, uid, claim.acquired_at_unix_ms);
          WatchEvent ev;
          ev.kind = WatchEvent::Kind::progress;
          ev.file = p.file;
          ev.study_uid = uid;
          ev.message = "study " + claim.study_uid + " expired on the server; sending " + p.file +
                       " again as study " + uid;
          emit(ev);
          continue;
        }
        if (e.code()) {
          reject(c, p.sha, std::string("the server refused the study: ") + e.what());
          queued_.erase(p.sha);
          pending_.pop_front();
          continue;
        }
        server_unavailable(e.what());
        return;
      }
      current_file_.clear();
      current_uid_.clear();
      if (!result.complete) {
        if (++p.unverified >= config_.max_unverified_attempts) {
          reject(c, p.sha, "the server did not verify the study: " + result.detail);
          queued_.erase(p.sha);
          pending_.pop_front();
          continue;
        }
        server_unavailable("the server did not verify study " + study.study_uid + ": " +
                           result.detail);
        return;
      }
      journal_->sent(p.sha, p.file, result.detail);
      announced_.erase(p.file);
      ++summary_.sent;
      backoff_ = std::chrono::milliseconds(0);
      server_up_ = true;
      WatchEvent e;
      e.kind = WatchEvent::Kind::sent;
      e.file = p.file;
      e.study_uid = study.study_uid;
      e.message = parsed.format;
      e.study = &parsed.converted;
      e.result = &result;
      emit(e);
      queued_.erase(p.sha);
      pending_.pop_front();
    }
  }

  std::vector<FileStamp> restamp_members(const std::vector<std::string>& members) const {
    std::vector<FileStamp> stamps;
    for (const auto& m : members) stamps.push_back(stamp_of(dir_, m));
    return stamps;
  }

  // Until the next poll: listen for the cardiologist's updates while the server is reachable,
  // else just wait (in short steps, so a stop request is seen).
  void idle(Clock::time_point until) {
    const bool listen =
        (server_up_ || journal_->count(JournalState::sent) > 0) && Clock::now() >= next_attempt_;
    if (listen && !stop_) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
      if (left.count() > 0) {
        listening_ = true;
        lost_while_listening_.clear();
        try {
          // No study has an empty UID: this waits the whole time, collecting every update.
          client_.wait_alert_update("", left);
          listening_ = false;
          if (lost_while_listening_.empty()) {
            server_up_ = true;
            backoff_ = std::chrono::milliseconds(0);
          } else {
            server_unavailable(lost_while_listening_);
          }
        } catch (const ingest::CartError& e) {
          listening_ = false;
          if (e.refused_hello() && e.code() == pb::Error::UNAUTHENTICATED) throw;
          server_unavailable(e.what());
        }
      }
      for (const auto& u : client_.take_alert_updates()) {
        WatchEvent e;
        e.kind = WatchEvent::Kind::alert_update;
        e.study_uid = u.study_uid();
        if (const JournalEntry* entry = journal_->by_study_uid(u.study_uid())) e.file = entry->file;
        e.update = &u;
        emit(e);
      }
    }
    while (!stop_ && Clock::now() < until) {
      std::this_thread::sleep_for(
          std::min<Clock::duration>(until - Clock::now(), std::chrono::milliseconds(50)));
    }
  }

  struct Pending {
    std::string sha;
    std::string file;
    std::vector<std::string> members;
    std::string identity;
    int unverified = 0;
  };

  WatchConfig config_;
  const std::atomic<bool>& stop_;
  const std::function<void(const WatchEvent&)>& on_event_;
  fs::path dir_;
  fs::path rejected_dir_;
  std::unique_ptr<Journal> journal_;
  SettleTracker settle_;
  ingest::CartClient client_;
  std::string current_file_;
  std::string current_uid_;
  std::deque<Pending> pending_;
  std::set<std::string> queued_;                     // sha256 of pending_
  std::map<std::string, std::string> failed_parse_;  // name → identity that did not parse
  std::set<std::string> announced_;
  std::set<std::string> unmovable_;  // rejected, but the folder would not let us move them
  std::map<std::string, std::pair<std::string, std::vector<std::string>>> header_members_;
  Clock::time_point next_attempt_{};
  std::chrono::milliseconds backoff_{0};
  bool server_up_ = false;
  bool listening_ = false;            // idle: waiting for alert updates
  std::string lost_while_listening_;  // the connection dropped while listening
  WatchSummary summary_;
};

}  // namespace

std::string next_study_uid(const std::string& study_uid) {
  // "sha256:<hex>" → "sha256:<hex>-r2" → "-r3" …: still the content's uid, visibly a resend.
  const auto dash = study_uid.rfind("-r");
  if (dash != std::string::npos && dash + 2 < study_uid.size() &&
      study_uid.find_first_not_of("0123456789", dash + 2) == std::string::npos) {
    return study_uid.substr(0, dash) + "-r" + std::to_string(std::stoll(study_uid.substr(dash + 2)) + 1);
  }
  return study_uid + "-r2";
}

std::string study_uid_for_sha256(const std::string& sha256_hex) {
  return "sha256:" + sha256_hex;
}

WatchSummary run_watch(const WatchConfig& config, ingest::CartConfig cart,
                       const std::atomic<bool>& stop,
                       const std::function<void(const WatchEvent&)>& on_event) {
  Watcher watcher(config, std::move(cart), stop, on_event);
  return watcher.run();
}

}  // namespace gc::agent
