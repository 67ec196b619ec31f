// The agent's journal and settle tracker (see gc/watch_journal.hpp).
#include "gc/watch_journal.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <limits>
#include <set>

#include "gc/storage.hpp"

namespace gc::agent {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

std::string errno_text() {
  return std::strerror(errno);
}

void fsync_dir(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

std::string text_of(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

}  // namespace

std::string identity_key(std::span<const FileStamp> members) {
  std::string out;
  for (const auto& m : members) {
    if (!out.empty()) out += ';';
    out += m.name;
    if (!m.present) {
      out += "|missing";
      continue;
    }
    out += '|';
    out += std::to_string(m.size_bytes);
    out += '|';
    out += std::to_string(m.mtime_ns);
  }
  return out;
}

std::string sha256_hex(std::span<const std::uint8_t> bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xF];
  }
  return out;
}

std::unique_ptr<Journal> Journal::open(const fs::path& state_dir) {
  std::error_code ec;
  fs::create_directories(state_dir, ec);
  if (ec) {
    throw JournalError("cannot create the state folder " + state_dir.string() + ": " +
                       ec.message());
  }
  const fs::path path = state_dir / "journal.jsonl";
  const bool existed = fs::exists(path, ec);
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw JournalError("cannot open " + path.string() + ": " + errno_text());
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    throw JournalError(path.string() +
                       " is locked: another agent is watching with this state folder");
  }
  if (!existed) fsync_dir(state_dir);
  std::unique_ptr<Journal> journal(new Journal(path, fd));

  std::string content;
  {
    std::array<char, 64 * 1024> buffer{};
    off_t offset = 0;
    for (;;) {
      const ssize_t n = ::pread(fd, buffer.data(), buffer.size(), offset);
      if (n < 0) throw JournalError("cannot read " + path.string() + ": " + errno_text());
      if (n == 0) break;
      content.append(buffer.data(), static_cast<std::size_t>(n));
      offset += n;
    }
  }
  const std::size_t complete =
      content.rfind('\n') == std::string::npos ? 0 : content.rfind('\n') + 1;
  if (complete < content.size()) {
    // A crash mid-append leaves a line without its newline: it was never acted on.
    if (::ftruncate(fd, static_cast<off_t>(complete)) != 0 || ::fdatasync(fd) != 0) {
      throw JournalError("cannot drop the cut-off last line of " + path.string() + ": " +
                         errno_text());
    }
    content.resize(complete);
  }
  std::size_t line_number = 0;
  for (std::size_t pos = 0; pos < content.size();) {
    const std::size_t end = content.find('\n', pos);
    ++line_number;
    journal->apply(content.substr(pos, end - pos), line_number);
    pos = end + 1;
  }
  return journal;
}

Journal::Journal(fs::path path, int fd) : path_(std::move(path)), fd_(fd) {}

Journal::~Journal() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock
}

void Journal::apply(const std::string& line, std::size_t line_number) {
  json::object o;
  try {
    o = json::parse(line).as_object();
  } catch (const std::exception& e) {
    throw JournalError(path_.string() + " line " + std::to_string(line_number) + " is damaged (" +
                       e.what() + "); refusing to guess what was sent");
  }
  const std::string event = text_of(o, "event");
  const std::string identity = text_of(o, "identity");
  const std::string sha = text_of(o, "sha256");
  const std::string file = text_of(o, "file");
  const auto damaged = [&](const std::string& why) {
    return JournalError(path_.string() + " line " + std::to_string(line_number) + " is damaged (" +
                        why + "); refusing to guess what was sent");
  };
  if (event == "claimed") {
    if (sha.empty() || identity.empty()) throw damaged("claimed without sha256/identity");
    JournalEntry& e = by_sha_[sha];
    if (e.sha256.empty() || e.state != JournalState::sent) {
      e.sha256 = sha;
      e.state = JournalState::claimed;
      e.file = file;
      e.study_uid = text_of(o, "study_uid");
      const auto* at = o.if_contains("acquired_at_unix_ms");
      e.acquired_at_unix_ms = at != nullptr && at->is_int64() ? at->as_int64() : 0;
      uid_to_key_[e.study_uid] = sha;
      claim_order_[sha] = ++claims_applied_;
    }
    identity_to_key_[identity] = sha;
  } else if (event == "seen") {
    if (sha.empty() || identity.empty()) throw damaged("seen without sha256/identity");
    identity_to_key_[identity] = sha;
  } else if (event == "sent") {
    const auto it = by_sha_.find(sha);
    if (it == by_sha_.end()) throw damaged("sent before claimed");
    it->second.state = JournalState::sent;
  } else if (event == "rejected") {
    if (identity.empty()) throw damaged("rejected without identity");
    const std::string key = sha.empty() ? "identity:" + identity : sha;
    JournalEntry& e = by_sha_[key];
    e.sha256 = sha;
    e.state = JournalState::rejected;
    e.file = file;
    e.reason = text_of(o, "reason");
    identity_to_key_[identity] = key;
  } else if (event == "abandoned") {
    const auto it = by_sha_.find(sha);
    if (it != by_sha_.end()) {
      // Only this claim's mapping: a later claim may have taken the same study uid over.
      const auto u = uid_to_key_.find(it->second.study_uid);
      if (u != uid_to_key_.end() && u->second == sha) uid_to_key_.erase(u);
      claim_order_.erase(sha);
      by_sha_.erase(it);
    }
  } else {
    throw damaged("unknown event '" + event + "'");
  }
}

void Journal::append(const std::string& line) {
  const std::string with_newline = line + "\n";
  std::size_t done = 0;
  while (done < with_newline.size()) {
    const ssize_t n = ::write(fd_, with_newline.data() + done, with_newline.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw JournalError("cannot append to " + path_.string() + ": " + errno_text());
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fdatasync(fd_) != 0) {
    throw JournalError("cannot sync " + path_.string() + ": " + errno_text());
  }
}

namespace {

json::object line_of(std::string_view event, const std::string& file) {
  return json::object{{"event", event}, {"at_ms", storage::now_unix_ms()}, {"file", file}};
}

}  // namespace

void Journal::claimed(const std::string& identity, const std::string& file,
                      const std::string& sha256, const std::string& study_uid,
                      std::int64_t acquired_at_unix_ms) {
  json::object o = line_of("claimed", file);
  o["identity"] = identity;
  o["sha256"] = sha256;
  o["study_uid"] = study_uid;
  o["acquired_at_unix_ms"] = acquired_at_unix_ms;
  const std::string line = json::serialize(o);
  append(line);
  apply(line, 0);
}

void Journal::seen(const std::string& identity, const std::string& file,
                   const std::string& sha256) {
  json::object o = line_of("seen", file);
  o["identity"] = identity;
  o["sha256"] = sha256;
  const std::string line = json::serialize(o);
  append(line);
  apply(line, 0);
}

void Journal::sent(const std::string& sha256, const std::string& file, const std::string& detail) {
  json::object o = line_of("sent", file);
  o["sha256"] = sha256;
  o["detail"] = detail;
  const std::string line = json::serialize(o);
  append(line);
  apply(line, 0);
}

void Journal::rejected(const std::string& identity, const std::string& file,
                       const std::string& sha256, const std::string& reason) {
  json::object o = line_of("rejected", file);
  o["identity"] = identity;
  o["sha256"] = sha256;
  o["reason"] = reason;
  const std::string line = json::serialize(o);
  append(line);
  apply(line, 0);
}

void Journal::abandoned(const std::string& sha256, const std::string& file,
                        const std::string& reason) {
  json::object o = line_of("abandoned", file);
  o["sha256"] = sha256;
  o["reason"] = reason;
  const std::string line = json::serialize(o);
  append(line);
  apply(line, 0);
}

const JournalEntry* Journal::by_identity(const std::string& identity) const {
  const auto it = identity_to_key_.find(identity);
  if (it == identity_to_key_.end()) return nullptr;
  const auto entry = by_sha_.find(it->second);
  return entry == by_sha_.end() ? nullptr : &entry->second;
}

const JournalEntry* Journal::by_sha256(const std::string& sha256) const {
  const auto it = by_sha_.find(sha256);
  return it == by_sha_.end() ? nullptr : &it->second;
}

const JournalEntry* Journal::by_study_uid(const std::string& study_uid) const {
  const auto it = uid_to_key_.find(study_uid);
  return it == uid_to_key_.end() ? nullptr : by_sha256(it->second);
}

std::vector<JournalEntry> Journal::unsent() const {
  std::vector<std::pair<std::uint64_t, const JournalEntry*>> order;
  for (const auto& [key, e] : by_sha_) {
    if (e.state == JournalState::claimed) order.emplace_back(claim_order_.at(key), &e);
  }
  std::sort(order.begin(), order.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<JournalEntry> out;
  for (const auto& [n, e] : order) out.push_back(*e);
  return out;
}

std::size_t Journal::count(JournalState state) const {
  return static_cast<std::size_t>(std::count_if(
      by_sha_.begin(), by_sha_.end(), [&](const auto& kv) { return kv.second.state == state; }));
}

SettleTracker::Clock::duration SettleTracker::observe(const std::string& name,
                                                      const std::string& identity,
                                                      Clock::time_point now) {
  auto [it, inserted] = since_.try_emplace(name, Seen{identity, now});
  if (!inserted && it->second.identity != identity) it->second = Seen{identity, now};
  return now - it->second.since;
}

void SettleTracker::retain(const std::vector<std::string>& present) {
  const std::set<std::string> keep(present.begin(), present.end());
  std::erase_if(since_, [&](const auto& kv) { return !keep.contains(kv.first); });
}

}  // namespace gc::agent
