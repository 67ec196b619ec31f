// WFDB reader/writer tests against the PhysioNet records in GC_ECG_DATA_DIR (read in place) and
// against small records written to a temporary folder. Expected values come from the .hea files
// themselves (initial values, checksums, gains) or from independent decoding below.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "gc/wfdb.hpp"

namespace fs = std::filesystem;
using gc::wfdb::Error;

namespace {

const fs::path kData = GC_ECG_DATA_DIR;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void spit(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

// A fresh temporary folder per test case, removed at the end.
struct TempDir {
  fs::path path;
  TempDir() {
    std::random_device rd;
    path =
        fs::temp_directory_path() / ("gc_wfdb_test_" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// Independent 16-bit little-endian reader: value k of the file after `offset` bytes.
std::int32_t raw16(const std::string& bytes, std::size_t offset, std::size_t k) {
  const auto lo = static_cast<unsigned char>(bytes[offset + 2 * k]);
  const auto hi = static_cast<unsigned char>(bytes[offset + 2 * k + 1]);
  return static_cast<std::int16_t>(static_cast<std::uint16_t>(lo + 256u * hi));
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("every record in the data set reads with matching initial values and checksums") {
  REQUIRE(fs::is_directory(kData));
  int n_records = 0;
  std::vector<std::string> dbs_seen;
  for (const auto& entry : fs::recursive_directory_iterator(kData)) {
    if (entry.path().extension() != ".hea") continue;
    INFO(entry.path().string());
    const gc::wfdb::Record rec = gc::wfdb::read_record(entry.path());
    const auto& h = rec.header;
    REQUIRE(!h.signals.empty());
    REQUIRE(rec.samples_adu.size() == h.signals.size());
    REQUIRE(h.n_samples > 0);
    for (std::size_t s = 0; s < h.signals.size(); ++s) {
      REQUIRE(rec.samples_adu[s].size() == static_cast<std::size_t>(h.n_samples));
      // The header's initial value is the first sample: a check of format, offset and interleave.
      CHECK(rec.samples_adu[s][0] == h.signals[s].initial_value);
    }
    CHECK(rec.checksum_mismatches().empty());
    const auto uv = rec.to_microvolts();
    REQUIRE(uv.size() == h.signals.size());
    for (const auto& lead : uv) {
      CHECK(std::all_of(lead.begin(), lead.end(), [](float v) { return std::isfinite(v); }));
    }
    const std::string db = fs::relative(entry.path(), kData).begin()->string();
    if (std::find(dbs_seen.begin(), dbs_seen.end(), db) == dbs_seen.end()) dbs_seen.push_back(db);
    ++n_records;
  }
  // The manifest's seven databases must all have been exercised.
  for (const char* db : {"ludb", "qtdb", "mitdb", "ptbxl", "cinc2021", "cpsc2021", "ptbdb"}) {
    INFO(db);
    CHECK(std::find(dbs_seen.begin(), dbs_seen.end(), db) != dbs_seen.end());
  }
  CHECK(n_records > 300);
}

TEST_CASE("LUDB record 1 per-lead gains baselines age and sex") {
  const auto h = gc::wfdb::read_header(kData / "ludb/data/1.hea");
  CHECK(h.record_name == "1");
  CHECK(h.sample_rate_hz == 500);
  CHECK(h.n_samples == 5000);
  REQUIRE(h.signals.size() == 12);
  const double gains[] = {1716, 1206, 1229, 1368, 1368, 698, 1372, 1572, 2259, 2317, 2074, 1457};
  const int baselines[] = {6, 2, -5, -5, 5, -1, -1, 2, 3, 4, 4, 1};
  const char* names[] = {"i", "ii", "iii", "avr", "avl", "avf", "v1", "v2", "v3", "v4", "v5", "v6"};
  for (std::size_t s = 0; s < 12; ++s) {
    INFO(s);
    CHECK(h.signals[s].adc_gain_per_mv == gains[s]);
    CHECK(h.signals[s].baseline_adu == baselines[s]);
    CHECK(h.signals[s].description == names[s]);
    CHECK(h.signals[s].units == "mV");
    CHECK(h.signals[s].format == 16);
    CHECK(h.signals[s].file_name == "1.dat");
  }
  CHECK(h.signals[0].initial_value == -120);
  CHECK(h.signals[0].checksum == -32198);
  REQUIRE(h.age_years);
  CHECK(*h.age_years == 51);
  REQUIRE(h.sex);
  CHECK(*h.sex == 'F');
  CHECK(std::find(h.comments.begin(), h.comments.end(), "Rhythm: Sinus bradycardia.") !=
        h.comments.end());

  // µV: (adu - baseline) / gain * 1000, lead i first sample = (-120 - 6) / 1716 mV.
  const auto rec = gc::wfdb::read_record(kData / "ludb/data/1.hea");
  const auto uv = rec.to_microvolts();
  CHECK(uv[0][0] == Approx((-120.0 - 6.0) / 1716.0 * 1000.0).epsilon(1e-6));
  CHECK(uv[5][0] == Approx((85.0 + 1.0) / 698.0 * 1000.0).epsilon(1e-6));
  CHECK(rec.invalid_count() == 0);
}

TEST_CASE("MIT-BIH 101 format 212 30 min record and MIT-style age-sex comment") {
  const fs::path hea = kData / "mitdb/101.hea";
  const auto rec = gc::wfdb::read_record(hea);
  const auto& h = rec.header;
  CHECK(h.sample_rate_hz == 360);
  CHECK(h.n_samples == 650000);
  REQUIRE(h.signals.size() == 2);
  CHECK(h.signals[0].format == 212);
  CHECK(h.signals[0].description == "MLII");
  CHECK(h.signals[1].description == "V1");
  CHECK(h.signals[0].adc_gain_per_mv == 200);
  CHECK(h.signals[0].baseline_adu == 1024);  // no "(baseline)": defaults to the ADC zero
  CHECK(h.signals[0].adc_resolution_bits == 11);
  REQUIRE(h.age_years);
  CHECK(*h.age_years == 75);
  REQUIRE(h.sex);
  CHECK(*h.sex == 'F');

  // Independent decode of the first frames: 3 bytes hold two 12-bit samples.
  const std::string bytes = slurp(kData / "mitdb/101.dat");
  for (std::size_t pair = 0; pair < 10; ++pair) {
    const auto b0 = static_cast<unsigned char>(bytes[3 * pair]);
    const auto b1 = static_cast<unsigned char>(bytes[3 * pair + 1]);
    const auto b2 = static_cast<unsigned char>(bytes[3 * pair + 2]);
    int mlii = b0 + 256 * (b1 & 0x0F);
    int v1 = b2 + 16 * (b1 & 0xF0);
    if (mlii >= 2048) mlii -= 4096;
    if (v1 >= 2048) v1 -= 4096;
    CHECK(rec.samples_adu[0][pair] == mlii);
    CHECK(rec.samples_adu[1][pair] == v1);
  }
  // Published first MLII samples of record 101 (raw adu), same as `rdsamp -r mitdb/101 -P`.
  const std::vector<std::int32_t> first{955, 955, 955, 955, 955, 955, 955, 955, 958, 960};
  CHECK(std::vector<std::int32_t>(rec.samples_adu[0].begin(), rec.samples_adu[0].begin() + 10) ==
        first);
  CHECK(rec.checksum_mismatches().empty());
}

TEST_CASE("CinC 2021 mat file format 16 with 24-byte offset and Age-Sex comments") {
  const fs::path hea = kData / "cinc2021/E07503.hea";
  const auto rec = gc::wfdb::read_record(hea);
  const auto& h = rec.header;
  REQUIRE(h.signals.size() == 12);
  CHECK(h.signals[0].byte_offset == 24);
  CHECK(h.signals[0].file_name == "E07503.mat");
  CHECK(h.n_samples == 5000);
  CHECK(h.signals[3].description == "aVR");
  REQUIRE(h.age_years);
  CHECK(*h.age_years == 77);
  REQUIRE(h.sex);
  CHECK(*h.sex == 'F');
  const std::string bytes = slurp(kData / "cinc2021/E07503.mat");
  // Frames of 12 little-endian int16 start after the 24-byte MATLAB v4 header.
  for (std::size_t i : {std::size_t{0}, std::size_t{1}, std::size_t{2500}, std::size_t{4999}}) {
    for (std::size_t s = 0; s < 12; ++s) {
      CHECK(rec.samples_adu[s][i] == raw16(bytes, 24, 12 * i + s));
    }
  }
  // A header that forgets the offset would read the MATLAB header as samples: the first frame
  // would then not equal the initial values.
  CHECK(rec.samples_adu[0][0] == 58);
  CHECK(rec.samples_adu[11][0] == 0);
}

TEST_CASE("CinC 2021 16x1+24 format field") {
  fs::path found;
  for (const auto& e : fs::directory_iterator(kData / "cinc2021")) {
    if (e.path().extension() == ".hea" && slurp(e.path()).find("16x1+24") != std::string::npos) {
      found = e.path();
      break;
    }
  }
  REQUIRE(!found.empty());
  const auto h = gc::wfdb::read_header(found);
  CHECK(h.signals[0].format == 16);
  CHECK(h.signals[0].byte_offset == 24);
  CHECK(h.signals[0].adc_gain_per_mv == 1000);
  CHECK(h.age_years.has_value());
  CHECK(h.sex.has_value());
}

TEST_CASE("QT database 250-360 sampling frequency with counter frequency and CRLF lines") {
  const auto h = gc::wfdb::read_header(kData / "qtdb/sel100.hea");
  CHECK(h.sample_rate_hz == 250);
  CHECK(h.n_samples == 225000);
  REQUIRE(h.signals.size() == 2);
  CHECK(h.signals[0].format == 212);
  CHECK(h.signals[1].description == "V5");
  CHECK(h.age_years == 69);
  CHECK(h.sex == 'M');
}

TEST_CASE("PTB record with default units and two signal files") {
  const auto rec = gc::wfdb::read_record(kData / "ptbdb/patient001/s0010_re.hea");
  const auto& h = rec.header;
  REQUIRE(h.signals.size() == 15);
  CHECK(h.signals[0].units == "mV");
  CHECK(h.signals[0].adc_gain_per_mv == 2000);
  CHECK(h.signals[12].file_name == "s0010_re.xyz");
  CHECK(h.age_years == 81);
  CHECK(h.sex == 'F');
  // vx..vz come from the .xyz file, interleaved 3 per frame.
  const std::string xyz = slurp(kData / "ptbdb/patient001/s0010_re.xyz");
  CHECK(rec.samples_adu[12][100] == raw16(xyz, 0, 3 * 100));
  CHECK(rec.samples_adu[14][100] == raw16(xyz, 0, 3 * 100 + 2));
}

TEST_CASE("PTB-XL without comments and QT one-line Age Sex and CPSC 2021 fractional gain") {
  fs::path ptbxl;
  for (const auto& e : fs::recursive_directory_iterator(kData / "ptbxl/records500")) {
    if (e.path().extension() == ".hea") {
      ptbxl = e.path();
      break;
    }
  }
  REQUIRE(!ptbxl.empty());
  const auto hx = gc::wfdb::read_header(ptbxl);
  CHECK(hx.signals.size() == 12);
  CHECK(hx.signals[0].adc_gain_per_mv == 1000);
  CHECK(hx.signals[0].adc_resolution_bits == 16);
  // PTB-XL keeps age and sex in ptbxl_database.csv, not in the header.
  CHECK(hx.comments.empty());
  CHECK(!hx.sex.has_value());

  const auto hq = gc::wfdb::read_header(kData / "qtdb/sele0411.hea");
  REQUIRE(hq.age_years);
  REQUIRE(hq.sex);
  CHECK(*hq.age_years == 45);
  CHECK(*hq.sex == 'M');

  const auto rec = gc::wfdb::read_record(kData / "cpsc2021/data_92_19.hea");
  CHECK(rec.header.signals[0].adc_gain_per_mv == Approx(37837.142857142855));
  CHECK(rec.header.signals[0].baseline_adu == -178440);
  CHECK(rec.header.n_samples == 72490);
  const auto uv = rec.to_microvolts();
  CHECK(uv[0][0] == Approx((-2497.0 + 178440.0) / 37837.142857142855 * 1000.0).epsilon(1e-6));
}

TEST_CASE("CRLF header parses exactly like the LF original") {
  TempDir tmp;
  const std::string lf = slurp(kData / "ludb/data/1.hea");
  std::string crlf;
  for (char c : lf) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  REQUIRE(crlf.size() > lf.size());
  spit(tmp.path / "1.hea", crlf);
  fs::copy_file(kData / "ludb/data/1.dat", tmp.path / "1.dat");
  const auto a = gc::wfdb::read_record(kData / "ludb/data/1.hea");
  const auto b = gc::wfdb::read_record(tmp.path / "1.hea");
  CHECK(b.header.comments == a.header.comments);
  CHECK(b.header.signals.back().description == "v6");
  CHECK(b.header.age_years == a.header.age_years);
  CHECK(b.samples_adu == a.samples_adu);
}

TEST_CASE("truncated data file gives an Error naming the file and the byte counts") {
  TempDir tmp;
  fs::copy_file(kData / "ludb/data/1.hea", tmp.path / "1.hea");
  const std::string dat = slurp(kData / "ludb/data/1.dat");
  REQUIRE(dat.size() == 5000u * 12u * 2u);
  spit(tmp.path / "1.dat", dat.substr(0, 70000));
  const std::string msg = error_of([&] { gc::wfdb::read_record(tmp.path / "1.hea"); });
  CHECK_THAT(msg, Catch::Contains("1.dat"));
  CHECK_THAT(msg, Catch::Contains("truncated"));
  CHECK_THAT(msg, Catch::Contains("120000"));
  CHECK_THAT(msg, Catch::Contains("70000"));

  // Missing data file.
  fs::remove(tmp.path / "1.dat");
  CHECK_THAT(error_of([&] { gc::wfdb::read_record(tmp.path / "1.hea"); }),
             Catch::Contains("1.dat"));
}

TEST_CASE("malformed headers give an Error with file and line number") {
  TempDir tmp;
  struct Case {
    std::string text;
    std::string expect;  // substring of the message, including ":line:"
  };
  const std::vector<Case> cases = {
      {"r 2 500 10\nr.dat 16 200 16 0 0 0 0 I\n", "r.hea:1: record line declares 2 signals"},
      {"r 1 500 10\nr.dat 16q 200 16 0 0 0 0 I\n", "r.hea:2: invalid signal format '16q'"},
      {"r 1 500 10\nr.dat 80 200 16 0 0 0 0 I\n", "r.hea:2: unsupported signal format 80"},
      {"r 1 500 10\nr.dat 16x2 200 16 0 0 0 0 I\n", "r.hea:2: signal format '16x2': more than one"},
      {"# comment\n\nr 1 abc 10\nr.dat 16 200 16 0 0 0 0 I\n",
       "r.hea:3: invalid sampling frequency"},
      {"r 1 500 10\r\nr.dat 16 2x0(1)/mV 16 0 0 0 0 I\r\n", "r.hea:2: invalid ADC gain '2x0'"},
      {"r 1 500 10\nr.dat 16 200(1/mV 16 0 0 0 0 I\n", "r.hea:2: unbalanced '('"},
      {"r 1 500 10\nr.dat 16 200 16 zero 0 0 0 I\n", "r.hea:2: invalid ADC zero 'zero'"},
      {"r 1 500 10\nr.dat 16 200 16 0 0 0 0 I\nr.dat 16 200 16 0 0 0 0 II\n",
       "r.hea:3: unexpected line"},
      {"r/3 1 500 10\n", "r.hea:1: multi-segment record"},
      {"r\n", "r.hea:1: record line lacks the number of signals"},
      {"# only a comment\n", "r.hea: no record line"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    spit(tmp.path / "r.hea", c.text);
    const std::string msg = error_of([&] { gc::wfdb::read_header(tmp.path / "r.hea"); });
    CHECK_THAT(msg, Catch::Contains(c.expect));
  }
}

TEST_CASE("header defaults for gain and baseline and length from file size") {
  TempDir tmp;
  spit(tmp.path / "d.hea",
       "d 3 360\n"
       "d.dat 16 0 12 7 0\n"
       "d.dat 16\n"
       "d.dat 16 100/uV 16 -3 5 0 0 third lead name\n");
  // 4 frames of 3 int16 samples.
  std::string dat;
  const std::int16_t values[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, -32768, 11, 12};
  for (std::int16_t v : values) {
    const auto u = static_cast<std::uint16_t>(v);
    dat += static_cast<char>(u & 0xFF);
    dat += static_cast<char>(u >> 8);
  }
  spit(tmp.path / "d.dat", dat);
  const auto rec = gc::wfdb::read_record(tmp.path / "d.hea");
  const auto& h = rec.header;
  CHECK(h.sample_rate_hz == 360);
  CHECK(h.n_samples == 4);
  CHECK(h.signals[0].adc_gain_per_mv == 200);
  CHECK(h.signals[0].baseline_adu == 7);
  CHECK(h.signals[0].adc_resolution_bits == 12);
  CHECK(h.signals[1].adc_gain_per_mv == 200);
  CHECK(h.signals[1].baseline_adu == 0);
  CHECK(h.signals[2].units == "uV");
  CHECK(h.signals[2].baseline_adu == -3);
  CHECK(h.signals[2].description == "third lead name");
  CHECK(!h.age_years);
  CHECK(rec.samples_adu[0] == std::vector<std::int32_t>{1, 4, 7, -32768});
  CHECK(rec.samples_adu[2] == std::vector<std::int32_t>{3, 6, 9, 12});

  // The invalid marker is counted and, in µV, repeats the previous valid value of its lead.
  CHECK(rec.invalid_count() == 1);
  CHECK(rec.invalid_counts() == std::vector<std::int64_t>{1, 0, 0});
  const auto uv = rec.to_microvolts();
  CHECK(uv[0][3] == Approx(uv[0][2]));
  CHECK(uv[0][2] == Approx((7.0 - 7.0) / 200.0 * 1000.0).margin(1e-6));
  CHECK(uv[0][0] == Approx((1.0 - 7.0) / 200.0 * 1000.0));
  CHECK(uv[2][1] == Approx((6.0 + 3.0) / 100.0));  // uV units: factor 1
}

TEST_CASE("age and sex comment variants") {
  TempDir tmp;
  const std::vector<std::tuple<std::string, std::optional<int>, std::optional<char>>> cases = {
      {"#<age>: 51\n#<sex>: F\n", 51, 'F'},
      {"# Age: 63\n# Sex: Male\n", 63, 'M'},
      {"#Age: 74\n#Sex: Female\n", 74, 'F'},
      {"#Age: 47  Sex: M\n", 47, 'M'},
      {"# age: 81\n# sex: female\n", 81, 'F'},
      {"# 69 M 1085 1629 x1\n", 69, 'M'},
      {"# -1 M 742 654 x1\n", std::nullopt, 'M'},  // MIT's unknown age
      {"#Age: 300  Sex: F\n", std::nullopt, 'F'},  // PTB-XL's anonymised > 89
      {"# Dosage (lytic agent): 30 mg\n", std::nullopt, std::nullopt},
  };
  for (const auto& [comments, age, sex] : cases) {
    INFO(comments);
    spit(tmp.path / "a.hea", "a 1 500 10\na.dat 16 200 16 0 0 0 0 I\n" + comments);
    const auto h = gc::wfdb::read_header(tmp.path / "a.hea");
    CHECK(h.age_years == age);
    CHECK(h.sex == sex);
  }
}

TEST_CASE("write_record round trip") {
  TempDir tmp;
  gc::wfdb::Header h;
  h.sample_rate_hz = 500;
  h.age_years = 58;
  h.sex = 'M';
  h.comments = {"synth: round trip"};
  const char* names[] = {"I", "II", "V1"};
  for (int s = 0; s < 3; ++s) {
    gc::wfdb::SignalSpec sig;
    sig.adc_gain_per_mv = 1000 + 0.5 * s;
    sig.baseline_adu = s - 1;
    sig.units = s == 2 ? "uV" : "mV";
    sig.description = names[s];
    h.signals.push_back(sig);
  }
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> dist(-32768, 32767);
  std::vector<std::vector<std::int32_t>> samples(3, std::vector<std::int32_t>(1234));
  for (auto& lead : samples) {
    for (auto& v : lead) v = dist(rng);
  }
  samples[1][0] = -32768;
  samples[2][5] = 32767;
  gc::wfdb::write_record(tmp.path, "rt", h, samples);
  const auto rec = gc::wfdb::read_record(tmp.path / "rt.hea");
  CHECK(rec.samples_adu == samples);
  CHECK(rec.header.record_name == "rt");
  CHECK(rec.header.n_samples == 1234);
  CHECK(rec.header.sample_rate_hz == 500);
  CHECK(rec.header.age_years == 58);
  CHECK(rec.header.sex == 'M');
  CHECK(std::find(rec.header.comments.begin(), rec.header.comments.end(), "synth: round trip") !=
        rec.header.comments.end());
  for (int s = 0; s < 3; ++s) {
    CHECK(rec.header.signals[s].adc_gain_per_mv == h.signals[s].adc_gain_per_mv);
    CHECK(rec.header.signals[s].baseline_adu == h.signals[s].baseline_adu);
    CHECK(rec.header.signals[s].units == h.signals[s].units);
    CHECK(rec.header.signals[s].description == names[s]);
    CHECK(rec.header.signals[s].initial_value == samples[s][0]);
    CHECK(rec.header.signals[s].file_name == "rt.dat");
  }
  CHECK(rec.checksum_mismatches().empty());
  std::int64_t markers = 0;
  for (const auto& lead : samples) markers += std::count(lead.begin(), lead.end(), -32768);
  CHECK(markers >= 1);
  CHECK(rec.invalid_count() == markers);

  // Out-of-range samples are refused, never clipped.
  samples[0][3] = 40000;
  CHECK_THAT(error_of([&] { gc::wfdb::write_record(tmp.path, "bad", h, samples); }),
             Catch::Contains("does not fit"));
  samples[0][3] = 0;
  samples[0].pop_back();
  CHECK_THAT(error_of([&] { gc::wfdb::write_record(tmp.path, "bad", h, samples); }),
             Catch::Contains("signal 1 has 1233"));
}

TEST_CASE("annotations of MIT-BIH 101 beats and rhythm labels") {
  const auto ann = gc::wfdb::read_annotations(kData / "mitdb/101.atr");
  // PhysioNet's MIT-BIH table for record 101: 1860 N + 3 A + 2 Q = 1865 beats; with the rhythm,
  // noise and comment annotations the file holds 1874.
  CHECK(ann.size() == 1874);
  const auto beats = std::count_if(
      ann.begin(), ann.end(), [](const auto& a) { return gc::wfdb::is_beat_symbol(a.symbol); });
  CHECK(beats == 1865);
  CHECK(std::count_if(ann.begin(), ann.end(), [](const auto& a) { return a.symbol == 'A'; }) == 3);
  CHECK(std::count_if(ann.begin(), ann.end(), [](const auto& a) { return a.symbol == 'Q'; }) == 2);
  REQUIRE(ann.size() > 2);
  CHECK(ann[0].symbol == '+');
  CHECK(ann[0].sample == 7);
  CHECK(ann[0].aux.substr(0, 2) == "(N");
  CHECK(ann[1].symbol == 'N');
  CHECK(ann[1].code == 1);
  CHECK(ann[1].sample == 83);
  CHECK(ann.back().sample == 649751);
  CHECK(std::is_sorted(ann.begin(), ann.end(),
                       [](const auto& a, const auto& b) { return a.sample < b.sample; }));
}

TEST_CASE("annotations of LUDB wave boundaries and QT database q1c") {
  const auto ludb = gc::wfdb::read_annotations(kData / "ludb/data/1.ii");
  REQUIRE(ludb.size() == 48);
  CHECK(ludb[0].symbol == '(');
  CHECK(ludb[0].sample == 644);
  CHECK(ludb[1].symbol == 'N');
  CHECK(ludb[1].sample == 662);
  CHECK(ludb[2].symbol == ')');
  CHECK(ludb[4].symbol == 't');
  CHECK(ludb.back().symbol == ')');
  CHECK(ludb.back().sample == 3996);

  const auto q1c = gc::wfdb::read_annotations(kData / "qtdb/sel100.q1c");
  CHECK(q1c.size() == 240);
  CHECK(std::count_if(q1c.begin(), q1c.end(),
                      [](const auto& a) { return gc::wfdb::is_beat_symbol(a.symbol); }) == 30);
  CHECK(q1c[0].sample == 150272);
  CHECK(q1c[1].symbol == 'p');

  const auto cpsc = gc::wfdb::read_annotations(kData / "cpsc2021/data_92_19.atr");
  CHECK(cpsc.size() == 490);
}

TEST_CASE("annotations hand-built with SKIP NUM CHN SUB AUX and truncated AUX") {
  TempDir tmp;
  std::string bytes;
  auto word = [&](int code, int value) {
    const unsigned w =
        (static_cast<unsigned>(code) << 10) | (static_cast<unsigned>(value) & 0x3FFu);
    bytes += static_cast<char>(w & 0xFF);
    bytes += static_cast<char>(w >> 8);
  };
  word(59, 0);  // SKIP 100000 samples: high word then low word
  const std::uint32_t skip = 100000;
  bytes += static_cast<char>((skip >> 16) & 0xFF);
  bytes += static_cast<char>((skip >> 24) & 0xFF);
  bytes += static_cast<char>(skip & 0xFF);
  bytes += static_cast<char>((skip >> 8) & 0xFF);
  word(5, 20);   // V at 100020
  word(62, 1);   // chan 1
  word(60, 3);   // num 3
  word(1, 300);  // N at 100320 (chan/num carry over)
  word(61, 2);   // subtype 2
  word(28, 0);   // rhythm change at the same sample
  word(63, 3);   // AUX "(VT" padded to 4 bytes
  bytes += "(VT";
  bytes += '\0';
  word(0, 0);
  spit(tmp.path / "x.atr", bytes);
  const auto ann = gc::wfdb::read_annotations(tmp.path / "x.atr");
  REQUIRE(ann.size() == 3);
  CHECK(ann[0].sample == 100020);
  CHECK(ann[0].symbol == 'V');
  CHECK(ann[0].channel == 1);
  CHECK(ann[0].num == 3);
  CHECK(ann[1].sample == 100320);
  CHECK(ann[1].channel == 1);
  CHECK(ann[1].num == 3);
  CHECK(ann[1].subtype == 2);
  CHECK(ann[2].symbol == '+');
  CHECK(ann[2].aux == "(VT");
  CHECK(!gc::wfdb::is_beat_symbol('+'));
  CHECK(gc::wfdb::is_beat_symbol('V'));

  spit(tmp.path / "y.atr", bytes.substr(0, bytes.size() - 5));
  CHECK_THAT(error_of([&] { gc::wfdb::read_annotations(tmp.path / "y.atr"); }),
             Catch::Contains("y.atr"));
}

TEST_CASE("units conversion and checksum16") {
  CHECK(gc::wfdb::microvolts_per_unit("mV") == 1000);
  CHECK(gc::wfdb::microvolts_per_unit("uV") == 1);
  CHECK(gc::wfdb::microvolts_per_unit("V") == 1e6);
  CHECK_THAT(error_of([] { gc::wfdb::microvolts_per_unit("mmHg"); }), Catch::Contains("mmHg"));
  CHECK(gc::wfdb::checksum16({32767, 1}) == -32768);
  CHECK(gc::wfdb::checksum16({-1, -1}) == -2);
}

TEST_CASE("format 212 by hand with odd sample count and invalid markers") {
  TempDir tmp;
  // One signal, 5 samples: 2047, -1, -2048 (invalid), 0x123, -300 — pairs packed in 3 bytes,
  // the odd last sample in 2 bytes (low byte, then the high nibble in the next byte's low half).
  const std::vector<int> values = {2047, -1, -2048, 0x123, -300};
  std::string dat;
  for (std::size_t k = 0; k < values.size(); k += 2) {
    const unsigned a = static_cast<unsigned>(values[k]) & 0xFFFu;
    const unsigned b = k + 1 < values.size() ? static_cast<unsigned>(values[k + 1]) & 0xFFFu : 0u;
    dat += static_cast<char>(a & 0xFF);
    dat += static_cast<char>(((a >> 8) & 0x0F) | ((b >> 4) & 0xF0));
    if (k + 1 < values.size()) dat += static_cast<char>(b & 0xFF);
  }
  REQUIRE(dat.size() == 8);
  spit(tmp.path / "p.dat", dat);
  spit(tmp.path / "p.hea", "p 1 250\np.dat 212:2 200(10)/mV 12 0 2047 0 0 MLII\n");
  const auto rec = gc::wfdb::read_record(tmp.path / "p.hea");
  CHECK(rec.header.n_samples == 5);
  REQUIRE(rec.samples_adu[0].size() == 5);
  CHECK(rec.samples_adu[0] == std::vector<std::int32_t>{2047, -1, -2048, 0x123, -300});
  CHECK(rec.invalid_count() == 1);
  const auto uv = rec.to_microvolts();
  CHECK(uv[0][2] == Approx(uv[0][1]));  // invalid → previous valid value
  CHECK(uv[0][0] == Approx((2047.0 - 10.0) / 200.0 * 1000.0));

  // Leading invalid samples take the first valid value; an all-invalid lead reads 0 µV.
  spit(tmp.path / "q.dat", std::string("\x00\x80\x00\x80\x05\x00", 6));
  spit(tmp.path / "q.hea", "q 1 500 3\nq.dat 16 100 16 0 0 0 0 V1\n");
  const auto q = gc::wfdb::read_record(tmp.path / "q.hea");
  CHECK(q.invalid_count() == 2);
  const auto quv = q.to_microvolts();
  CHECK(quv[0][0] == Approx(50.0));
  CHECK(quv[0][1] == Approx(50.0));
  CHECK(quv[0][2] == Approx(50.0));
  spit(tmp.path / "z.dat", std::string("\x00\x80\x00\x80", 4));
  spit(tmp.path / "z.hea", "z 1 500 2\nz.dat 16 100 16 0 0 0 0 V1\n");
  const auto z = gc::wfdb::read_record(tmp.path / "z.hea");
  CHECK(z.invalid_count() == 2);
  CHECK(z.to_microvolts()[0] == std::vector<float>{0.0f, 0.0f});
}

TEST_CASE("absurd lengths and offsets are refused before allocating") {
  TempDir tmp;
  spit(tmp.path / "big.dat", std::string(100, '\0'));
  spit(
      tmp.path / "big.hea",
      "big 2 500 9000000000000000000\nbig.dat 16 200 16 0 0 0 0 I\nbig.dat 16 200 16 0 0 0 0 II\n");
  CHECK_THAT(error_of([&] { gc::wfdb::read_record(tmp.path / "big.hea"); }),
             Catch::Contains("truncated"));
  spit(tmp.path / "off.hea", "off 1 500 10\nbig.dat 16+4000 200 16 0 0 0 0 I\n");
  CHECK_THAT(error_of([&] { gc::wfdb::read_record(tmp.path / "off.hea"); }),
             Catch::Contains("big.dat"));
  // Different formats in one file cannot be interleaved.
  spit(tmp.path / "mix.hea",
       "mix 2 500 10\nbig.dat 16 200 16 0 0 0 0 I\nbig.dat 212 200 12 0 0 0 0 II\n");
  CHECK_THAT(error_of([&] { gc::wfdb::read_record(tmp.path / "mix.hea"); }),
             Catch::Contains("different format"));
}

TEST_CASE("every annotation file in the data set decodes in order inside its record") {
  const std::vector<std::string> exts = {".atr", ".q1c", ".q2c", ".qt1", ".qt2", ".man",
                                         ".i",   ".ii",  ".iii", ".avr", ".avl", ".avf",
                                         ".v1",  ".v2",  ".v3",  ".v4",  ".v5",  ".v6"};
  int files = 0;
  std::int64_t annotations = 0;
  for (const auto& entry : fs::recursive_directory_iterator(kData)) {
    const auto ext = entry.path().extension().string();
    if (std::find(exts.begin(), exts.end(), ext) == exts.end()) continue;
    fs::path hea = entry.path();
    hea.replace_extension(".hea");
    if (!fs::exists(hea)) continue;
    INFO(entry.path().string());
    const auto ann = gc::wfdb::read_annotations(entry.path());
    const auto header = gc::wfdb::read_header(hea);
    CHECK(!ann.empty());
    CHECK(std::is_sorted(ann.begin(), ann.end(),
                         [](const auto& a, const auto& b) { return a.sample < b.sample; }));
    for (const auto& a : ann) {
      REQUIRE(a.sample >= 0);
      // CPSC 2021 closes rhythm episodes with a marker at sample == n_samples (one past the end).
      REQUIRE(a.sample <= header.n_samples);
      REQUIRE(a.code >= 1);
    }
    annotations += static_cast<std::int64_t>(ann.size());
    ++files;
  }
  CHECK(files > 1000);  // 99 LUDB records x 12 leads alone
  CHECK(annotations > 100000);
}
