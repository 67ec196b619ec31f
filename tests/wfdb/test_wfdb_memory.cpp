// The WFDB reader's in-memory entry points (parse_header, parse_record, parse_annotations): the
// same results as the file readers on the same bytes, and clear errors — never a crash or an
// allocation sized by a header's word alone — for CRLF, truncated and absurd inputs. All inputs
// are small hand-made records.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "gc/wfdb.hpp"

namespace fs = std::filesystem;
using gc::wfdb::Error;

namespace {

using Files = gc::wfdb::DataFiles;

std::vector<std::uint8_t> int16_bytes(const std::vector<int>& values) {
  std::vector<std::uint8_t> out;
  for (const int v : values) {
    const auto u = static_cast<std::uint16_t>(static_cast<std::int16_t>(v));
    out.push_back(static_cast<std::uint8_t>(u & 0xFF));
    out.push_back(static_cast<std::uint8_t>(u >> 8));
  }
  return out;
}

std::vector<std::uint8_t> annotation_word(int code, int value) {
  const unsigned w = (static_cast<unsigned>(code) << 10) | (static_cast<unsigned>(value) & 0x3FFu);
  return {static_cast<std::uint8_t>(w & 0xFF), static_cast<std::uint8_t>(w >> 8)};
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

struct TempDir {
  fs::path path;
  TempDir() {
    std::random_device rd;
    path = fs::temp_directory_path() /
           ("gc_wfdb_memory_test_" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

void spit(const fs::path& p, std::span<const std::uint8_t> bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

void spit(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

}  // namespace

TEST_CASE("parse_header reads CRLF text exactly like LF and names the source in errors") {
  const std::string lf =
      "m 2 250/360 3\n"
      "m.dat 16+24 1716(6)/mV 16 0 5 0 0 V1 lead\n"
      "m.dat 16+24 200/uV 16 0 -3 0 0 II\n"
      "# Age: 47  Sex: M\n";
  std::string crlf;
  for (const char c : lf) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  const auto a = gc::wfdb::parse_header(lf, "m.hea");
  const auto b = gc::wfdb::parse_header(crlf, "m.hea");
  CHECK(a.sample_rate_hz == 250);
  CHECK(b.sample_rate_hz == 250);
  CHECK(b.n_samples == 3);
  REQUIRE(b.signals.size() == 2);
  CHECK(b.signals[0].description == "V1 lead");
  CHECK(b.signals[0].byte_offset == 24);
  CHECK(b.signals[0].adc_gain_per_mv == 1716);
  CHECK(b.signals[0].baseline_adu == 6);
  CHECK(b.signals[1].units == "uV");
  CHECK(b.comments == a.comments);
  CHECK(b.age_years == 47);
  CHECK(b.sex == 'M');

  CHECK_THAT(error_of([] { gc::wfdb::parse_header("r 1 500 10\r\nr.dat 16q\r\n", "mem.hea"); }),
             Catch::Contains("mem.hea:2: invalid signal format '16q'"));
  CHECK_THAT(error_of([] { gc::wfdb::parse_header(""); }), Catch::Contains("no record line"));
  CHECK_THAT(error_of([] { gc::wfdb::parse_header("r 1 0 10\n", "z.hea"); }),
             Catch::Contains("z.hea:1: sampling frequency must be positive"));
  CHECK_THAT(error_of([] { gc::wfdb::parse_header("r 1 500 10\nr.dat 16 1e999/mV\n"); }),
             Catch::Contains("invalid ADC gain"));
  CHECK_THAT(error_of([] { gc::wfdb::parse_header("r 1 500 -4\n"); }),
             Catch::Contains("negative number of samples"));
}

TEST_CASE("parse_record decodes format 16 and 212 like read_record does from disk") {
  const std::string hea =
      "m 3 500\n"
      "a.dat 16+4 200(10)/mV 16 0 0 0 0 I\n"
      "a.dat 16+4 200(10)/mV 16 0 0 0 0 II\n"
      "b.dat 212 100/mV 12 0 0 0 0 V1\n";
  std::vector<std::uint8_t> a = {9, 9, 9, 9};  // 4 bytes skipped by the offset
  for (const auto byte : int16_bytes({1, -1, 300, -32768, 32767, 7, 5 /* half frame */})) {
    a.push_back(byte);
  }
  // 212: samples 2047, -2048, 0x123 → 3 bytes per pair, the odd one in 2 bytes.
  const std::vector<std::uint8_t> b = {0xFF, 0x87, 0x00, 0x23, 0x01};
  const auto rec =
      gc::wfdb::parse_record(gc::wfdb::parse_header(hea), Files{{"a.dat", a}, {"b.dat", b}});
  CHECK(rec.header.n_samples == 3);  // from a.dat's size: 14 bytes after the offset = 3 frames
  CHECK(rec.samples_adu[0] == std::vector<std::int32_t>{1, 300, 32767});
  CHECK(rec.samples_adu[1] == std::vector<std::int32_t>{-1, -32768, 7});
  CHECK(rec.samples_adu[2] == std::vector<std::int32_t>{2047, -2048, 0x123});
  CHECK(rec.invalid_counts() == std::vector<std::int64_t>{0, 1, 1});

  TempDir tmp;
  spit(tmp.path / "m.hea", hea);
  spit(tmp.path / "a.dat", a);
  spit(tmp.path / "b.dat", b);
  const auto disk = gc::wfdb::read_record(tmp.path / "m.hea");
  CHECK(disk.header.n_samples == rec.header.n_samples);
  CHECK(disk.samples_adu == rec.samples_adu);
  CHECK(disk.to_microvolts() == rec.to_microvolts());
}

TEST_CASE("parse_record refuses truncated and missing data with the counts") {
  const auto header = gc::wfdb::parse_header(
      "t 2 500 1000\nt.dat 16 200 16 0 0 0 0 I\nt.dat 16 200 16 0 0 0 0 II\n");
  const auto bytes = int16_bytes({1, 2, 3, 4, 5});
  const std::string msg = error_of([&] {
    (void)gc::wfdb::parse_record(header, Files{{"t.dat", bytes}});
  });
  CHECK_THAT(msg, Catch::Contains("t.dat: truncated: 1000 samples x 2 signals"));
  CHECK_THAT(msg, Catch::Contains("10 bytes"));
  CHECK_THAT(error_of([&] { (void)gc::wfdb::parse_record(header, Files{}); }),
             Catch::Contains("t.dat: signal file not given"));
  // Format 212 needs 3 bytes per pair: 4 samples of one signal need 6 bytes, 5 are not enough.
  const auto h212 = gc::wfdb::parse_header("u 1 500 4\nu.dat 212 200 12 0 0 0 0 I\n");
  const std::vector<std::uint8_t> five(5, 0);
  CHECK_THAT(error_of([&] {
               (void)gc::wfdb::parse_record(h212, Files{{"u.dat", five}});
             }),
             Catch::Contains("need 6 bytes"));
}

TEST_CASE("absurd lengths offsets and gains give a clear error before any allocation") {
  const std::vector<std::uint8_t> bytes(100, 0);
  // 9e18 frames of 2 int16 samples would need 36 EB: refused against the 100 bytes present (an
  // allocation of that size would throw bad_alloc or exhaust memory instead of this Error).
  const auto huge = gc::wfdb::parse_header(
      "big 2 500 9000000000000000000\nbig.dat 16 200 16 0 0 0 0 I\nbig.dat 16 200 16 0 0 0 0 II\n");
  CHECK_THAT(error_of([&] {
               (void)gc::wfdb::parse_record(huge, Files{{"big.dat", bytes}});
             }),
             Catch::Contains("big.dat: truncated: 9000000000000000000 samples x 2 signals"));
  const auto far = gc::wfdb::parse_header("off 1 500\nbig.dat 16+9000000000000000000 200\n");
  CHECK_THAT(error_of([&] {
               (void)gc::wfdb::parse_record(far, Files{{"big.dat", bytes}});
             }),
             Catch::Contains("after byte offset 9000000000000000000"));

  // A gain of 1e-300 adu/mV reads 1 adu as 1e303 µV, beyond float: refused by lead, not ±inf.
  const auto tiny_gain = gc::wfdb::parse_header("g 1 500 2\ng.dat 16 1e-300(0)/mV 16 0 0 0 0 V2\n");
  const auto two = int16_bytes({0, 1});
  const auto rec = gc::wfdb::parse_record(tiny_gain, Files{{"g.dat", two}});
  CHECK_THAT(error_of([&] { (void)rec.to_microvolts(); }),
             Catch::Contains("lead 1 (V2): sample 1") && Catch::Contains("beyond the float range"));
  // The same gain on an all-zero lead is harmless and reads 0 µV.
  const auto zeros = int16_bytes({0, 0});
  CHECK(gc::wfdb::parse_record(tiny_gain, Files{{"g.dat", zeros}}).to_microvolts()[0] ==
        std::vector<float>{0.f, 0.f});
}

TEST_CASE("length from the first file when two files differ in size keeps every row equal") {
  // Regression (found by fuzz_wfdb): with no length on the record line, a first file shorter than
  // one frame gave its signals 0 samples while the next file's size gave its signal more, so the
  // rows of one record had different lengths. The first file now sets the length for all.
  const std::string hea = "d 3 360\nd.dat 16\nd.dat 16\ne.dat 16\n";
  const std::vector<std::uint8_t> short_file = {1, 0, 2};  // 1.5 samples: no whole 2-signal frame
  const auto long_file = int16_bytes({4, 5, 6});
  const auto rec = gc::wfdb::parse_record(gc::wfdb::parse_header(hea),
                                          Files{{"d.dat", short_file}, {"e.dat", long_file}});
  CHECK(rec.header.n_samples == 0);
  for (const auto& row : rec.samples_adu) CHECK(row.empty());

  TempDir tmp;
  spit(tmp.path / "d.hea", hea);
  spit(tmp.path / "d.dat", short_file);
  spit(tmp.path / "e.dat", long_file);
  const auto disk = gc::wfdb::read_record(tmp.path / "d.hea");
  CHECK(disk.header.n_samples == 0);
  for (const auto& row : disk.samples_adu) CHECK(row.empty());

  // The first file long enough, the second too short for its length: truncated.
  const auto two_frames = int16_bytes({1, 2, 3, 4});
  const auto one_value = int16_bytes({9});
  CHECK_THAT(error_of([&] {
               (void)gc::wfdb::parse_record(gc::wfdb::parse_header(hea),
                                            Files{{"d.dat", two_frames}, {"e.dat", one_value}});
             }),
             Catch::Contains("e.dat: truncated: 2 samples x 1 signals"));
}

TEST_CASE("parse_annotations decodes words and refuses truncated files by source and byte") {
  std::vector<std::uint8_t> bytes;
  const auto add = [&](const std::vector<std::uint8_t>& w) {
    bytes.insert(bytes.end(), w.begin(), w.end());
  };
  add(annotation_word(1, 100));  // N at 100
  add(annotation_word(62, 2));   // channel 2
  add(annotation_word(5, 50));   // V at 150, channel carries over
  add(annotation_word(63, 2));   // AUX "ab"
  bytes.push_back('a');
  bytes.push_back('b');
  add(annotation_word(0, 0));
  const auto ann = gc::wfdb::parse_annotations(bytes, "x.atr");
  REQUIRE(ann.size() == 2);
  CHECK(ann[0].symbol == 'N');
  CHECK(ann[0].channel == 2);
  CHECK(ann[1].sample == 150);
  CHECK(ann[1].symbol == 'V');
  CHECK(ann[1].channel == 2);
  CHECK(ann[1].aux == "ab");

  const std::span<const std::uint8_t> all(bytes);
  // Cut inside the AUX string, and an odd trailing byte.
  CHECK_THAT(error_of([&] { (void)gc::wfdb::parse_annotations(all.first(9), "x.atr"); }),
             Catch::Contains("x.atr: byte 6: AUX string runs past the end"));
  CHECK_THAT(error_of([&] { (void)gc::wfdb::parse_annotations(all.first(3), "x.atr"); }),
             Catch::Contains("odd trailing byte"));
  // SKIP without its interval, and a modifier before any annotation.
  const auto skip = annotation_word(59, 0);
  CHECK_THAT(error_of([&] { (void)gc::wfdb::parse_annotations(skip); }),
             Catch::Contains("annotations: byte 0: SKIP without its 32-bit interval"));
  const auto chn = annotation_word(62, 1);
  CHECK_THAT(error_of([&] { (void)gc::wfdb::parse_annotations(chn); }),
             Catch::Contains("before any annotation"));
  CHECK(gc::wfdb::parse_annotations(std::span<const std::uint8_t>{}).empty());
}
