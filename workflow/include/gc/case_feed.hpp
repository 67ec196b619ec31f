// case_feed — tells this node when another node (or a CLI) appended to a case's timeline (time
// nodes, flags, delay reasons) or signed a report on a study (a `diagnosis` event), all stored
// append-only with a seq. With several `serve` nodes on one database a station user on node B
// watching a case or a study sees what was recorded or signed through node A (the station pushes
// {"type":"case","case_id"} or {"type":"report","study_id","event_seq"} and the page refetches).
// Polls the database every `interval` (SQLite or PostgreSQL alike); a node's own changes come
// back too, which costs the station one extra refetch and is otherwise harmless.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string_view>

namespace gc::workflow {

class CaseFeed {
 public:
  // on_case runs on the feed's thread, once per case per round in which it changed; on_report
  // (when given) once per signed report, with its study and the event's seq.
  CaseFeed(const std::filesystem::path& db_path, std::chrono::milliseconds interval,
           std::function<void(std::int64_t case_id)> on_case,
           std::function<void(std::string_view)> log = {},
           std::function<void(std::int64_t study_id, std::int64_t event_seq)> on_report = {});
  ~CaseFeed();  // stop()s
  CaseFeed(const CaseFeed&) = delete;
  CaseFeed& operator=(const CaseFeed&) = delete;

  void start();
  void stop();
  // One round now: the rows appended since the last round (the first round: since construction).
  void poll();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gc::workflow
