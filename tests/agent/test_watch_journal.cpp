// The agent's journal, settle tracker and file-to-study conversion, without a server.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <random>

#include "gc/cart_study.hpp"
#include "gc/watch_journal.hpp"
#include "gc/wfdb.hpp"

namespace fs = std::filesystem;
using gc::agent::FileStamp;
using gc::agent::Journal;
using gc::agent::JournalError;
using gc::agent::JournalState;
using gc::agent::SettleTracker;

namespace {

fs::path temp_dir(const std::string& prefix) {
  std::random_device rd;
  const fs::path dir = fs::temp_directory_path() /
                       (prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  fs::create_directories(dir);
  return dir;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("sha256 and identity keys", "[agent][journal]") {
  const std::string abc = "abc";
  CHECK(gc::agent::sha256_hex(std::span(reinterpret_cast<const std::uint8_t*>(abc.data()), 3)) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::vector<FileStamp> record = {{"r.hea", true, 120, 1'700'000'000'123'456'789},
                                         {"r.dat", false, 0, 0}};
  CHECK(gc::agent::identity_key(record) == "r.hea|120|1700000000123456789;r.dat|missing");
  // Same name, other size or mtime: another identity (a replaced file is looked at again).
  const std::vector<FileStamp> touched = {{"r.hea", true, 120, 1'700'000'000'123'456'790}};
  const std::vector<FileStamp> first = {{"r.hea", true, 120, 1'700'000'000'123'456'789}};
  CHECK(gc::agent::identity_key(touched) != gc::agent::identity_key(first));
}

TEST_CASE("the journal remembers claims, sends, copies and rejections across reopenings",
          "[agent][journal]") {
  const fs::path dir = temp_dir("gc-journal");
  {
    auto j = Journal::open(dir);
    CHECK(j->by_identity("a|1|1") == nullptr);
    j->claimed("a|1|1", "a.xml", "aaaa", "sha256:aaaa", 1'700'000'000'000);
    j->claimed("b|2|2", "b.xml", "bbbb", "sha256:bbbb", 1'700'000'001'000);
    j->sent("aaaa", "a.xml", "complete");
    j->seen("a2|1|5", "a-copy.xml", "aaaa");
    j->rejected("c|3|3", "c.xml", "cccc", "c.xml: unsupported format: not an ECG");
    j->rejected("d|4|4", "d.xml", "", "d.xml: Permission denied");
    // A second agent on the same state folder is refused while this one holds it.
    CHECK_THROWS_AS(Journal::open(dir), JournalError);
  }
  auto j = Journal::open(dir);
  REQUIRE(j->by_identity("a|1|1") != nullptr);
  CHECK(j->by_identity("a|1|1")->state == JournalState::sent);
  CHECK(j->by_identity("a2|1|5")->state == JournalState::sent);  // the renamed copy
  CHECK(j->by_identity("a2|1|5")->file == "a.xml");
  CHECK(j->by_sha256("bbbb")->state == JournalState::claimed);
  CHECK(j->by_sha256("bbbb")->acquired_at_unix_ms == 1'700'000'001'000);
  CHECK(j->by_study_uid("sha256:bbbb")->file == "b.xml");
  CHECK(j->by_identity("c|3|3")->state == JournalState::rejected);
  CHECK(j->by_identity("c|3|3")->reason == "c.xml: unsupported format: not an ECG");
  CHECK(j->by_identity("d|4|4")->state == JournalState::rejected);
  REQUIRE(j->unsent().size() == 1);
  CHECK(j->unsent().front().sha256 == "bbbb");
  CHECK(j->count(JournalState::sent) == 1);
  CHECK(j->count(JournalState::rejected) == 2);

  j->abandoned("bbbb", "b.xml", "changed before it was sent");
  CHECK(j->by_sha256("bbbb") == nullptr);
  CHECK(j->by_identity("b|2|2") == nullptr);
  CHECK(j->unsent().empty());
  j.reset();
  CHECK(Journal::open(dir)->by_sha256("bbbb") == nullptr);
  std::error_code ignored;
  fs::remove_all(dir, ignored);
}

TEST_CASE("abandoning a claim leaves a later claim of the same study uid alone",
          "[agent][journal]") {
  const fs::path dir = temp_dir("gc-journal-uid");
  {
    auto j = Journal::open(dir);
    // Two files claimed under one study uid (the second a re-export of the same acquisition),
    // then the first abandoned: the uid still leads to the second, also after reopening.
    j->claimed("e|1|1", "e.xml", "eeee", "uid-shared", 1'700'000'000'000);
    j->claimed("f|2|2", "f.xml", "ffff", "uid-shared", 1'700'000'000'000);
    j->abandoned("eeee", "e.xml", "changed before it was sent");
    REQUIRE(j->by_study_uid("uid-shared") != nullptr);
    CHECK(j->by_study_uid("uid-shared")->sha256 == "ffff");
  }
  auto j = Journal::open(dir);
  REQUIRE(j->by_study_uid("uid-shared") != nullptr);
  CHECK(j->by_study_uid("uid-shared")->file == "f.xml");
  j.reset();
  std::error_code ignored;
  fs::remove_all(dir, ignored);
}

TEST_CASE("a line cut off by a crash is dropped, a damaged line stops the agent",
          "[agent][journal]") {
  const fs::path dir = temp_dir("gc-journal-torn");
  {
    auto j = Journal::open(dir);
    j->claimed("a|1|1", "a.xml", "aaaa", "sha256:aaaa", 1);
  }
  const fs::path file = dir / "journal.jsonl";
  const std::string good = slurp(file);
  {
    std::ofstream out(file, std::ios::app | std::ios::binary);
    out << R"({"event":"sent","sha256":"aa)";  // the agent died mid-append
  }
  {
    auto j = Journal::open(dir);
    CHECK(j->by_sha256("aaaa")->state == JournalState::claimed);  // the cut-off send never counted
    j->sent("aaaa", "a.xml", "complete");
  }
  CHECK(slurp(file).rfind(good, 0) == 0);
  CHECK(Journal::open(dir)->by_sha256("aaaa")->state == JournalState::sent);

  {
    std::ofstream out(file, std::ios::trunc | std::ios::binary);
    out << good << "{not json\n" << good;
  }
  try {
    Journal::open(dir);
    FAIL("a damaged journal was accepted");
  } catch (const JournalError& e) {
    CHECK(std::string(e.what()).find("line 2 is damaged") != std::string::npos);
  }
  std::error_code ignored;
  fs::remove_all(dir, ignored);
}

TEST_CASE("a file settles only after it stopped changing for the settle interval",
          "[agent][settle]") {
  using namespace std::chrono_literals;
  SettleTracker settle(2s);
  const auto t0 = SettleTracker::Clock::time_point{} + 1h;
  CHECK_FALSE(settle.settled(settle.observe("a.xml", "a|100|1", t0)));
  CHECK_FALSE(settle.settled(settle.observe("a.xml", "a|100|1", t0 + 1900ms)));
  // Still growing: the clock starts again.
  CHECK_FALSE(settle.settled(settle.observe("a.xml", "a|200|2", t0 + 1950ms)));
  CHECK_FALSE(settle.settled(settle.observe("a.xml", "a|200|2", t0 + 3900ms)));
  CHECK(settle.settled(settle.observe("a.xml", "a|200|2", t0 + 3950ms)));
  // Only a changed mtime (rewritten with the same size) also restarts it.
  CHECK_FALSE(settle.settled(settle.observe("a.xml", "a|200|3", t0 + 4000ms)));
  CHECK(settle.observe("b.xml", "b|1|1", t0) == 0s);
  CHECK(settle.tracked() == 2);
  settle.retain({"b.xml"});
  CHECK(settle.tracked() == 1);
  CHECK(settle.observe("a.xml", "a|200|3", t0 + 9s) == 0s);  // forgotten: seen anew
}

TEST_CASE("acquisition times with and without a zone", "[agent][study]") {
  using gc::agent::parse_acquired_at_unix_ms;
  CHECK(parse_acquired_at_unix_ms("2002-11-22T09:10:00", "+08:00") == 1'037'927'400'000);
  CHECK(parse_acquired_at_unix_ms("2002-11-22T01:10:00", "Z") == 1'037'927'400'000);
  CHECK(parse_acquired_at_unix_ms("2002-11-22T01:10:00.25", "+00:00") == 1'037'927'400'250);
  CHECK(parse_acquired_at_unix_ms("2002-11-21T20:10:00", "-05:00") == 1'037'927'400'000);
  CHECK_FALSE(parse_acquired_at_unix_ms("22/11/2002 09:10", "+08:00"));
  CHECK_FALSE(parse_acquired_at_unix_ms("2002-13-22T09:10:00", "+08:00"));
  CHECK_FALSE(parse_acquired_at_unix_ms("2002-11-22T09:10:00", "CET"));
  // No zone: the local clock of the machine beside the cart.
  const char* tz = std::getenv("TZ");
  const std::string saved = tz != nullptr ? tz : "";
  ::setenv("TZ", "Asia/Shanghai", 1);
  ::tzset();
  CHECK(parse_acquired_at_unix_ms("2002-11-22T09:10:00", "") == 1'037'927'400'000);
  if (tz != nullptr) {
    ::setenv("TZ", saved.c_str(), 1);
  } else {
    ::unsetenv("TZ");
  }
  ::tzset();
}

TEST_CASE("a record's integers are sent as stored, shifted or rescaled exactly", "[agent][study]") {
  gc::wfdb::Record rec;
  rec.header.sample_rate_hz = 500;
  for (const char* lead : {"I", "II"}) {
    gc::wfdb::SignalSpec s;
    s.description = lead;
    s.adc_gain_per_mv = 1000;
    rec.header.signals.push_back(s);
  }
  rec.samples_adu = {{1, -2, 3}, {4, 5, -6}};
  auto same = gc::agent::study_from_record(rec, "r");
  CHECK(same.exact);
  CHECK(same.study.resolution_nv_per_lsb == Approx(1000));
  CHECK(same.study.samples == rec.samples_adu);

  rec.header.signals[1].baseline_adu = 10;
  rec.header.signals[1].adc_gain_per_mv = 400;  // lcm(1000, 400) = 2000 counts per mV
  auto rescaled = gc::agent::study_from_record(rec, "r");
  CHECK(rescaled.exact);
  CHECK(rescaled.study.resolution_nv_per_lsb == Approx(500));
  CHECK(rescaled.study.samples ==
        std::vector<std::vector<std::int32_t>>{{2, -4, 6}, {-30, -25, -80}});

  rec.header.signals[0].description = "Resp";
  CHECK_THROWS_WITH(gc::agent::study_from_record(rec, "r"),
                    Catch::Contains("not a known ECG lead"));
}
