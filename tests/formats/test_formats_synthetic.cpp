// Synthetic ECG files built here, so the readers are tested without the shared data: an SCP-ECG
// record written with the default Huffman table and second differences, DICOM waveforms in
// explicit and implicit VR, HL7 aECG and GE MUSE with 8 stored leads; and broken inputs that must
// fail with a one-line reason.
#include <dcmtk/dcmdata/dctk.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gc/formats.hpp"
#include "scp_writer.hpp"

namespace {

namespace fs = std::filesystem;
using namespace gc_test::scp;

// A deterministic ECG-like test signal: a few counts of noise around beats of ±300 counts.
std::vector<std::vector<std::int32_t>> test_counts(std::size_t n_leads, std::size_t n) {
  std::vector<std::vector<std::int32_t>> out(n_leads, std::vector<std::int32_t>(n));
  for (std::size_t l = 0; l < n_leads; ++l) {
    for (std::size_t i = 0; i < n; ++i) {
      const double t = static_cast<double>(i % 400);
      const double beat = 300.0 * std::exp(-(t - 200) * (t - 200) / 40.0) * (l % 2 ? -1 : 1);
      out[l][i] = static_cast<std::int32_t>(
                      std::lround(beat + 20 * std::sin(0.03 * static_cast<double>(i + 17 * l)))) +
                  static_cast<std::int32_t>((i * 7 + l * 13) % 5) - 2 +
                  (i == 50 ? 5000 : 0);  // one 16-bit escape
    }
  }
  return out;
}

struct ScpSpec {
  std::vector<int> lead_codes{1, 2, 3, 4, 5, 6, 7, 8};  // I, II, V1–V6: an 8-channel cart
  std::size_t n = 1000;
  int avm_nv = 2500;
  int interval_us = 2000;
  int diff = 2;
  bool huffman = true;
  // Reference-beat subtraction: sections 4 and 5; the reference beat's multiplier may differ.
  bool ref_beat = false;
  // Section 2 spelling out the default table as a custom one (EN 1064 stores each base code
  // with its first bit in bit 0), so the custom-table path decodes the same data.
  bool custom_table = false;
  int ref_avm_nv = 5000;
};

// Reference beat and QRS table of the subtraction test: a 40-sample beat with its fiducial at
// sample 20 (1-based), subtracted around fiducials 200 and 600 (type 0); the beat at 400 is of
// another type and is left alone, as EN 1064 subtracts only type-0 beats.
constexpr std::int64_t kRefLen = 40, kRefFiducial = 20, kZoneHalf = 15;
struct RefQrs {
  int type;
  std::int64_t fiducial;
};
constexpr RefQrs kRefQrs[] = {{0, 200}, {1, 400}, {0, 600}};

std::vector<std::int32_t> ref_beat_of(const std::vector<std::int32_t>& x) {
  // Any beat works for the arithmetic; take the signal around sample 200 (halved, since the
  // reference beat's multiplier is twice the rhythm's).
  std::vector<std::int32_t> ref(kRefLen);
  for (std::int64_t k = 0; k < kRefLen; ++k)
    ref[static_cast<std::size_t>(k)] = x[static_cast<std::size_t>(180 + k)] / 2;
  return ref;
}

// Builds a record: sections 0, 1, 2 (default table), 3, 6.
Bytes build_scp(const ScpSpec& spec, const std::vector<std::vector<std::int32_t>>& counts) {
  std::vector<std::pair<int, Bytes>> bodies;
  Bytes s1;
  const auto tag = [&](int t, const Bytes& v) {
    s1.push_back(static_cast<std::uint8_t>(t));
    app16(s1, static_cast<std::uint32_t>(v.size()));
    s1.insert(s1.end(), v.begin(), v.end());
  };
  tag(2, {'P', '-', '7', 0});
  tag(4, {61, 0, 1});            // 61 years
  tag(8, {2});                   // female
  tag(25, {0xE8, 0x07, 3, 14});  // 2024-03-14
  tag(26, {8, 30, 5});
  tag(34, {0xE0, 0x01, 0, 0, 0});  // +480 min
  {
    Bytes dev(36, 0);
    dev[7] = 17;  // Schiller
    std::memcpy(&dev[8], "AT-102", 6);
    dev[35] = 0;  // no analysing program revision
    for (const char* s : {"SN-42", "FW 1.2", "test writer", "Acme Cardio"}) {
      dev.insert(dev.end(), s, s + std::strlen(s) + 1);
    }
    tag(14, dev);
  }
  tag(255, {});
  bodies.push_back({1, s1});
  if (spec.huffman && spec.custom_table) {
    Bytes s2;
    app16(s2, 1);   // one table
    app16(s2, 19);  // codes
    const auto code = [&](int prefix, int total, int value, const char* bits) {
      std::uint32_t reversed = 0;
      for (int b = 0; b < prefix; ++b) reversed |= static_cast<std::uint32_t>(bits[b] == '1') << b;
      s2.push_back(static_cast<std::uint8_t>(prefix));
      s2.push_back(static_cast<std::uint8_t>(total));
      s2.push_back(1);  // mode: a value, not a table switch
      app16(s2, static_cast<std::uint32_t>(value) & 0xFFFF);
      app32(s2, reversed);
    };
    code(1, 1, 0, "0");
    const char* pos[] = {"100",     "1100",     "11100",     "111100",
                         "1111100", "11111100", "111111100", "1111111100"};
    const char* neg[] = {"101",     "1101",     "11101",     "111101",
                         "1111101", "11111101", "111111101", "1111111101"};
    for (int v = 1; v <= 8; ++v) {
      code(v + 2, v + 2, v, pos[v - 1]);
      code(v + 2, v + 2, -v, neg[v - 1]);
    }
    code(10, 18, 0, "1111111110");
    code(10, 26, 0, "1111111111");
    bodies.push_back({2, s2});
  } else if (spec.huffman) {
    bodies.push_back({2, {0x1F, 0x4E}});  // 19999: default table
  }
  Bytes s3{static_cast<std::uint8_t>(spec.lead_codes.size()),
           static_cast<std::uint8_t>(spec.ref_beat ? 0x05 : 0x04)};
  for (const int code : spec.lead_codes) {
    app32(s3, 1);
    app32(s3, static_cast<std::uint32_t>(spec.n));
    s3.push_back(static_cast<std::uint8_t>(code));
  }
  bodies.push_back({3, s3});
  // The residual the cart stores: the signal minus the reference beat in each type-0 zone.
  const std::int64_t k5 = spec.ref_avm_nv / spec.avm_nv;
  std::vector<std::vector<std::int32_t>> residual = counts;
  if (spec.ref_beat) {
    Bytes s4;
    app16(s4, static_cast<std::uint32_t>(kRefLen * spec.interval_us / 1000));  // in ms
    app16(s4, kRefFiducial);
    app16(s4, std::size(kRefQrs));
    for (const auto& q : kRefQrs) {
      app16(s4, static_cast<std::uint32_t>(q.type));
      app32(s4, static_cast<std::uint32_t>(q.fiducial - kZoneHalf));
      app32(s4, static_cast<std::uint32_t>(q.fiducial));
      app32(s4, static_cast<std::uint32_t>(q.fiducial + kZoneHalf));
    }
    for (const auto& q : kRefQrs) {
      app32(s4, static_cast<std::uint32_t>(q.fiducial - kZoneHalf));
      app32(s4, static_cast<std::uint32_t>(q.fiducial + kZoneHalf));
    }
    bodies.push_back({4, s4});
    Bytes s5;
    app16(s5, static_cast<std::uint32_t>(spec.ref_avm_nv));
    app16(s5, static_cast<std::uint32_t>(spec.interval_us));
    s5.push_back(static_cast<std::uint8_t>(spec.diff));
    s5.push_back(0);
    std::vector<Bytes> ref_data;
    for (std::size_t l = 0; l < counts.size(); ++l) {
      const auto ref = ref_beat_of(counts[l]);
      for (const auto& q : kRefQrs) {
        if (q.type != 0) continue;
        for (std::int64_t t = q.fiducial - kZoneHalf; t <= q.fiducial + kZoneHalf; ++t) {
          residual[l][static_cast<std::size_t>(t - 1)] -=
              static_cast<std::int32_t>(k5) *
              ref[static_cast<std::size_t>(t - q.fiducial + kRefFiducial - 1)];
        }
      }
      ref_data.push_back(huffman_default(encode_differences(ref, spec.diff)));
    }
    for (const auto& d : ref_data) app16(s5, static_cast<std::uint32_t>(d.size()));
    for (const auto& d : ref_data) s5.insert(s5.end(), d.begin(), d.end());
    bodies.push_back({5, s5});
  }
  Bytes s6;
  app16(s6, static_cast<std::uint32_t>(spec.avm_nv));
  app16(s6, static_cast<std::uint32_t>(spec.interval_us));
  s6.push_back(static_cast<std::uint8_t>(spec.diff));
  s6.push_back(0);
  std::vector<Bytes> data;
  for (const auto& x : residual) {
    const auto d = encode_differences(x, spec.diff);
    if (spec.huffman) {
      data.push_back(huffman_default(d));
    } else {
      Bytes raw;
      for (const auto v : d) app16(raw, static_cast<std::uint32_t>(v) & 0xFFFF);
      data.push_back(raw);
    }
  }
  for (const auto& d : data) app16(s6, static_cast<std::uint32_t>(d.size()));
  for (const auto& d : data) s6.insert(s6.end(), d.begin(), d.end());
  bodies.push_back({6, s6});

  return assemble_scp_record(bodies);
}

std::string read_error(const Bytes& b) {
  try {
    (void)gc::formats::read_ecg(b);
  } catch (const gc::formats::Error& e) {
    const std::string what = e.what();
    CHECK(what.find('\n') == std::string::npos);
    return what;
  }
  return "(no error)";
}

std::string text_error(const std::string& s) {
  return read_error(Bytes(s.begin(), s.end()));
}

std::string base64(const Bytes& b) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < b.size(); i += 3) {
    const std::uint32_t v =
        (b[i] << 16) | ((i + 1 < b.size() ? b[i + 1] : 0) << 8) | (i + 2 < b.size() ? b[i + 2] : 0);
    out += k[(v >> 18) & 63];
    out += k[(v >> 12) & 63];
    out += i + 1 < b.size() ? k[(v >> 6) & 63] : '=';
    out += i + 2 < b.size() ? k[v & 63] : '=';
  }
  return out;
}

}  // namespace

TEST_CASE("SCP-ECG: default Huffman, differences, tags and limb-lead derivation",
          "[formats][scp]") {
  for (const int diff : {0, 1, 2}) {
    for (const bool huffman : {true, false}) {
      INFO("difference order " << diff << ", huffman " << huffman);
      ScpSpec spec;
      spec.diff = diff;
      spec.huffman = huffman;
      const auto counts = test_counts(8, spec.n);
      const auto rec = build_scp(spec, counts);
      REQUIRE(gc::formats::detect_format(rec) == gc::formats::Format::scp_ecg);
      const auto f = gc::formats::read_ecg(rec);
      CHECK(f.sample_rate_hz == Approx(500));
      CHECK(f.samples_per_lead == 1000);
      REQUIRE(f.stored.size() == 8);
      CHECK(f.stored_lead_names() ==
            std::vector<std::string>{"I", "II", "V1", "V2", "V3", "V4", "V5", "V6"});
      for (std::size_t l = 0; l < 8; ++l) {
        CHECK(f.stored[l].counts == counts[l]);
        CHECK(f.stored[l].uv_per_count == Approx(2.5));
      }
      CHECK(f.derived_leads == std::vector<std::string>{"III", "aVR", "aVL", "aVF"});
      REQUIRE(f.block.lead_names.size() == 12);
      CHECK(f.block.lead_names[2] == "III");
      // III = II − I in µV, exactly for these quarter-µV-representable values.
      for (std::size_t i = 0; i < 1000; i += 97) {
        CHECK(f.block.samples_uv[2][i] == Approx(2.5 * (counts[1][i] - counts[0][i])));
      }
      CHECK(f.source.patient_id == "P-7");
      CHECK(f.source.age_years == 61);
      CHECK(f.source.sex == 'F');
      CHECK(f.source.acquired_at == "2024-03-14T08:30:05");
      CHECK(f.source.acquired_zone == "+08:00");
      CHECK(f.source.model == "AT-102");
      CHECK(f.source.serial == "SN-42");
      CHECK(f.source.software == "FW 1.2");
      CHECK(f.source.manufacturer == "Acme Cardio");
    }
  }
}

TEST_CASE("SCP-ECG: a record without the SCPECG tag (before v1.3) is still recognised",
          "[formats][scp]") {
  ScpSpec spec;
  const auto counts = test_counts(8, spec.n);
  auto rec = build_scp(spec, counts);
  std::memset(&rec[16], 0, 6);  // section 0's reserved bytes
  rec[14] = 13;                 // version 1.3
  const std::size_t s0_len = 16 + 12 * 10;
  put16(rec, 6, crc_ccitt(&rec[8], s0_len - 2));
  put16(rec, 0, crc_ccitt(&rec[2], rec.size() - 2));
  auto padded = rec;
  padded.resize(rec.size() + 64, 0);  // a writer that pads the file after the record
  for (const auto* bytes : {&rec, &padded}) {
    REQUIRE(gc::formats::detect_format(*bytes) == gc::formats::Format::scp_ecg);
    const auto f = gc::formats::read_ecg(*bytes);
    CHECK(f.source.format_version == "1.3");
    CHECK(f.stored[0].counts == counts[0]);
  }
}

TEST_CASE("SCP-ECG: a custom Huffman table in section 2 (bit-reversed base codes)",
          "[formats][scp]") {
  ScpSpec spec;
  spec.custom_table = true;
  const auto counts = test_counts(8, spec.n);
  const auto f = gc::formats::read_ecg(build_scp(spec, counts));
  REQUIRE(f.stored.size() == 8);
  for (std::size_t l = 0; l < 8; ++l) CHECK(f.stored[l].counts == counts[l]);
}

TEST_CASE("SCP-ECG: reference-beat subtraction is undone in type-0 zones only", "[formats][scp]") {
  ScpSpec spec;
  spec.ref_beat = true;
  const auto counts = test_counts(8, spec.n);
  const auto f = gc::formats::read_ecg(build_scp(spec, counts));
  REQUIRE(f.stored.size() == 8);
  // Residual (2500 nV) + reference beat (5000 nV) come back as counts of 2500 nV: the signal.
  for (std::size_t l = 0; l < 8; ++l) {
    CHECK(f.stored[l].uv_per_count == Approx(2.5));
    CHECK(f.stored[l].counts == counts[l]);
  }
  // The subtraction is not vacuous: the reference beat is far from zero where it is subtracted.
  const auto ref = ref_beat_of(counts[0]);
  CHECK(std::abs(ref[static_cast<std::size_t>(kRefFiducial - 1)]) > 50);
}

// Found by fuzzing (formats_scp, 30 s timeout): the reference beat was added by walking the
// whole SB–SE zone as declared, up to 2^32 samples per QRS and lead, before checking each sample
// against the lead and the beat. The zone is now clipped first.
TEST_CASE("SCP-ECG: a subtraction zone declared 2^32 samples long is clipped, not walked",
          "[formats][scp]") {
  ScpSpec spec;
  spec.ref_beat = true;
  const auto counts = test_counts(8, spec.n);
  auto rec = build_scp(spec, counts);
  const std::size_t s4 = section_offset(rec, 4);
  REQUIRE(s4 > 0);
  // The third QRS (type 0, fiducial 600): SB 1, SE 0xFFFFFFF0.
  const std::size_t qrs = s4 + 16 + 6 + 2 * 14;
  put32(rec, qrs + 2, 1);
  put32(rec, qrs + 10, 0xFFFFFFF0u);
  redo_crcs(rec, s4);
  const auto started = std::chrono::steady_clock::now();
  const auto f = gc::formats::read_ecg(rec);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  CHECK(seconds < 2.0);
  REQUIRE(f.stored.size() == 8);
  // The zone now covers the whole reference beat around fiducial 600 (samples 581–620): the
  // rhythm is unchanged outside it.
  for (std::size_t l = 0; l < 8; ++l) {
    for (std::size_t i = 0; i < spec.n; ++i) {
      if (i + 1 >= 581 && i + 1 <= 620) continue;
      REQUIRE(f.stored[l].counts[i] == counts[l][i]);
    }
  }
}

TEST_CASE("SCP-ECG: more leads than the limit are refused before anything is decoded",
          "[formats][scp]") {
  // A well-formed record (valid CRCs) declaring 65 leads: refused from section 3 with the limit
  // named, not after decompressing every lead.
  ScpSpec spec;
  spec.lead_codes.clear();
  for (int i = 0; i < 65; ++i) spec.lead_codes.push_back(i < 8 ? 1 + i : 100 + i);  // distinct
  spec.n = 200;
  const auto rec = build_scp(spec, test_counts(65, spec.n));
  const std::string error = read_error(rec);
  CHECK_THAT(error, Catch::Contains("section 3 defines 65 leads (limit 64)"));
  // 64 are read.
  spec.lead_codes.resize(64);
  const auto f = gc::formats::read_ecg(build_scp(spec, test_counts(64, spec.n)));
  CHECK(f.stored.size() == 64);
}

TEST_CASE("SCP-ECG: broken records fail with a reason", "[formats][scp]") {
  ScpSpec spec;
  const auto counts = test_counts(8, spec.n);
  const auto good = build_scp(spec, counts);

  SECTION("every truncation") {
    for (std::size_t n = 0; n < good.size(); n += 7) {
      INFO("truncated to " << n);
      CHECK(read_error(Bytes(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n))) !=
            "(no error)");
    }
  }
  SECTION("a flipped data bit: record CRC") {
    auto bad = good;
    bad[bad.size() - 20] ^= 0x04;
    CHECK_THAT(read_error(bad), Catch::Contains("record CRC mismatch"));
  }
  SECTION("a flipped bit with the record CRC redone: the section's CRC names it") {
    auto bad = good;
    bad[bad.size() - 20] ^= 0x04;
    put16(bad, 0, crc_ccitt(&bad[2], bad.size() - 2));
    CHECK_THAT(read_error(bad), Catch::Contains("section 6 CRC mismatch"));
  }
  SECTION("oversized declarations") {
    auto bad = good;
    put32(bad, 2, 0x7FFFFFF0);  // record length
    CHECK_THAT(read_error(bad), Catch::Contains("truncated"));
  }
}

TEST_CASE("HL7 aECG: 8 stored leads, origin + scale, mV units, median beats ignored",
          "[formats][aecg]") {
  const auto counts = test_counts(8, 300);
  const char* names[] = {"I", "II", "V1", "V2", "V3", "V4", "V5", "V6"};
  std::string seqs;
  for (std::size_t l = 0; l < 8; ++l) {
    std::string digits;
    for (const auto v : counts[l]) digits += std::to_string(v) + " ";
    const bool mv = l == 3;  // one lead in mV: scale 0.005 mV = 5 µV
    seqs += std::string("<component><sequence><code code=\"MDC_ECG_LEAD_") + names[l] +
            "\"/><value xsi:type=\"SLIST_PQ\"><origin value=\"" +
            (mv ? "0.01\" unit=\"mV" : "10\" unit=\"uV") + "\"/><scale value=\"" +
            (mv ? "0.005\" unit=\"mV" : "5\" unit=\"uV") + "\"/><digits>" + digits +
            "</digits></value></sequence></component>";
  }
  const std::string doc =
      "<?xml version=\"1.0\"?><AnnotatedECG xmlns=\"urn:hl7-org:v3\" "
      "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><component><series><code "
      "code=\"RHYTHM\"/>"
      "<effectiveTime><low value=\"20240314083005+0800\"/></effectiveTime>"
      "<component><sequenceSet><component><sequence><code code=\"TIME_RELATIVE\"/><value "
      "xsi:type=\"GLIST_PQ\"><head value=\"0\" unit=\"s\"/><increment value=\"4\" "
      "unit=\"ms\"/></value></sequence>"
      "</component>" +
      seqs +
      "</sequenceSet></component><derivation><derivedSeries><code code=\"REPRESENTATIVE_BEAT\"/>"
      "<component><sequenceSet><component><sequence><code code=\"MDC_ECG_LEAD_I\"/><value><origin "
      "value=\"0\" "
      "unit=\"uV\"/><scale value=\"1\" unit=\"uV\"/><digits>1 2 "
      "3</digits></value></sequence></component>"
      "</sequenceSet></component></derivedSeries></derivation></series></component></AnnotatedECG>";
  const Bytes b(doc.begin(), doc.end());
  REQUIRE(gc::formats::detect_format(b) == gc::formats::Format::hl7_aecg);
  const auto f = gc::formats::read_ecg(b);
  CHECK(f.sample_rate_hz == Approx(250));
  CHECK(f.samples_per_lead == 300);
  CHECK(f.derived_leads.size() == 4);
  CHECK(f.source.acquired_at == "2024-03-14T08:30:05");
  CHECK(f.source.acquired_zone == "+08:00");
  for (std::size_t l = 0; l < 8; ++l) {
    CHECK(f.stored[l].counts == counts[l]);
    CHECK(f.stored[l].uv_per_count == Approx(5));
    CHECK(f.stored[l].offset_uv == Approx(10));
  }
  // µV = origin + scale × digit.
  CHECK(f.block.samples_uv[0][10] == Approx(10 + 5.0 * counts[0][10]));

  CHECK_THAT(text_error("<AnnotatedECG><component><series><code "
                        "code=\"RHYTHM\"/></series></component></AnnotatedECG>"),
             Catch::Contains("no time sequence"));
  CHECK_THAT(text_error("<AnnotatedECG><component><series><code code=\"RHYTHM\"/>"),
             Catch::Contains("XML"));
}

TEST_CASE("GE MUSE: base64 int16 leads, 8 stored, limb leads derived", "[formats][muse]") {
  const auto counts = test_counts(8, 500);
  const char* names[] = {"I", "II", "V1", "V2", "V3", "V4", "V5", "V6"};
  std::string leads;
  for (std::size_t l = 0; l < 8; ++l) {
    Bytes raw;
    for (const auto v : counts[l]) app16(raw, static_cast<std::uint32_t>(v) & 0xFFFF);
    leads += std::string(
                 "<LeadData><LeadSampleCountTotal>500</"
                 "LeadSampleCountTotal><LeadAmplitudeUnitsPerBit>4.88"
                 "</LeadAmplitudeUnitsPerBit><LeadAmplitudeUnits>MICROVOLTS</"
                 "LeadAmplitudeUnits><LeadID>") +
             names[l] + "</LeadID><LeadSampleSize>2</LeadSampleSize><WaveFormData>" + base64(raw) +
             "</WaveFormData></LeadData>";
  }
  const auto doc = [&](const std::string& lead_xml) {
    return "<RestingECG><PatientDemographics><PatientAge>57</PatientAge><AgeUnits>YEARS</"
           "AgeUnits><Gender>FEMALE"
           "</Gender></PatientDemographics><TestDemographics><AcquisitionDevice>MAC55</"
           "AcquisitionDevice>"
           "<AcquisitionDate>03-14-2024</AcquisitionDate><AcquisitionTime>08:30:05</"
           "AcquisitionTime></TestDemographics>"
           "<Waveform><WaveformType>Rhythm</WaveformType><SampleBase>500</"
           "SampleBase><SampleExponent>0</SampleExponent>" +
           lead_xml + "</Waveform></RestingECG>";
  };
  const std::string good = doc(leads);
  const auto f = gc::formats::read_ecg(Bytes(good.begin(), good.end()));
  CHECK(f.source.format == gc::formats::Format::ge_muse);
  CHECK(f.source.model == "MAC55");
  CHECK(f.source.acquired_at == "2024-03-14T08:30:05");
  CHECK(f.source.age_years == 57);
  CHECK(f.source.sex == 'F');
  CHECK(f.derived_leads == std::vector<std::string>{"III", "aVR", "aVL", "aVF"});
  for (std::size_t l = 0; l < 8; ++l) CHECK(f.stored[l].counts == counts[l]);
  // aVF = II − I/2
  CHECK(f.block.samples_uv[5][123] ==
        Approx(4.88 * (counts[1][123] - counts[0][123] / 2.0)).margin(1e-3));

  std::string oversized = good;
  oversized.replace(oversized.find("<LeadSampleCountTotal>500"), 25,
                    "<LeadSampleCountTotal>999999999999");
  CHECK_THAT(text_error(oversized), Catch::Contains("LeadSampleCountTotal"));
  std::string short_data = good;
  short_data.replace(short_data.find("<LeadSampleCountTotal>500"), 25, "<LeadSampleCountTotal>900");
  CHECK_THAT(text_error(short_data), Catch::Contains("bytes for 900 samples"));
}

namespace {

// A DICOM waveform with a median-beat group first and the rhythm group second.
fs::path write_dicom(const std::vector<std::vector<std::int32_t>>& counts, E_TransferSyntax xfer,
                     const char* units, const char* sensitivity, const char* correction,
                     const char* baseline, bool coded = true) {
  DcmFileFormat file;
  DcmDataset* ds = file.getDataset();
  ds->putAndInsertString(DCM_SOPClassUID, UID_GeneralECGWaveformStorage);
  ds->putAndInsertString(DCM_SOPInstanceUID, "1.2.3.4.5.6");
  ds->putAndInsertString(DCM_Manufacturer, "Acme");
  ds->putAndInsertString(DCM_ManufacturerModelName, "Cart 9");
  ds->putAndInsertString(DCM_DeviceSerialNumber, "S-1");
  ds->putAndInsertString(DCM_SoftwareVersions, "2.1");
  ds->putAndInsertString(DCM_AcquisitionDateTime, "20240314083005+0800");
  ds->putAndInsertString(DCM_PatientAge, "061Y");
  ds->putAndInsertString(DCM_PatientSex, "F");
  const auto group = [&](const char* label, std::size_t n_samples) {
    DcmItem* wf = nullptr;
    REQUIRE(ds->findOrCreateSequenceItem(DCM_WaveformSequence, wf, -2).good());
    wf->putAndInsertString(DCM_MultiplexGroupLabel, label);
    wf->putAndInsertUint16(DCM_NumberOfWaveformChannels, static_cast<Uint16>(counts.size()));
    wf->putAndInsertUint32(DCM_NumberOfWaveformSamples, static_cast<Uint32>(n_samples));
    wf->putAndInsertString(DCM_SamplingFrequency, "500");
    for (std::size_t c = 0; c < counts.size(); ++c) {
      DcmItem* ch = nullptr;
      REQUIRE(wf->findOrCreateSequenceItem(DCM_ChannelDefinitionSequence, ch, -2).good());
      DcmItem* src = nullptr;
      REQUIRE(ch->findOrCreateSequenceItem(DCM_ChannelSourceSequence, src, 0).good());
      const int code = c == 0 ? 1 : c == 1 ? 2 : static_cast<int>(c) + 1;  // I, II, V1…
      if (coded) {
        src->putAndInsertString(DCM_CodeValue, ("5.6.3-9-" + std::to_string(code)).c_str());
        src->putAndInsertString(DCM_CodingSchemeDesignator, "SCPECG");
        src->putAndInsertString(DCM_CodeMeaning, "some lead");
      } else {
        // A local code: only the meaning names the lead, with the system in brackets.
        static const char* kMeanings[] = {
            "Lead I (Einthoven)", "Lead II (Einthoven)", "Lead V1 (Wilson)", "Lead V2 (Wilson)",
            "Lead V3 (Wilson)",   "Lead V4 (Wilson)",    "Lead V5 (Wilson)", "Lead V6 (Wilson)"};
        src->putAndInsertString(DCM_CodeValue, std::to_string(1000 + c).c_str());
        src->putAndInsertString(DCM_CodingSchemeDesignator, "99LOCAL");
        src->putAndInsertString(DCM_CodeMeaning, kMeanings[c]);
      }
      ch->putAndInsertString(DCM_ChannelSensitivity, sensitivity);
      ch->putAndInsertString(DCM_ChannelSensitivityCorrectionFactor, correction);
      ch->putAndInsertString(DCM_ChannelBaseline, baseline);
      DcmItem* u = nullptr;
      REQUIRE(ch->findOrCreateSequenceItem(DCM_ChannelSensitivityUnitsSequence, u, 0).good());
      u->putAndInsertString(DCM_CodeValue, units);
      u->putAndInsertString(DCM_CodingSchemeDesignator, "UCUM");
    }
    wf->putAndInsertUint16(DCM_WaveformBitsAllocated, 16);
    wf->putAndInsertString(DCM_WaveformSampleInterpretation, "SS");
    std::vector<Uint16> data(counts.size() * n_samples);
    for (std::size_t s = 0; s < n_samples; ++s) {
      for (std::size_t c = 0; c < counts.size(); ++c) {
        data[s * counts.size() + c] = static_cast<Uint16>(static_cast<std::int16_t>(counts[c][s]));
      }
    }
    wf->putAndInsertUint16Array(DCM_WaveformData, data.data(),
                                static_cast<unsigned long>(data.size()));
  };
  group("MEDIAN BEAT", 100);
  group("RHYTHM", counts.front().size());
  const fs::path path = fs::temp_directory_path() /
                        ("gc_formats_test_" + std::to_string(static_cast<int>(xfer)) + ".dcm");
  REQUIRE(file.saveFile(path.c_str(), xfer).good());
  return path;
}

}  // namespace

TEST_CASE("DICOM waveform: rhythm group, sensitivity × correction + baseline, units, VRs",
          "[formats][dicom]") {
  const auto counts = test_counts(8, 1000);
  for (const auto xfer : {EXS_LittleEndianExplicit, EXS_LittleEndianImplicit}) {
    INFO("transfer syntax " << static_cast<int>(xfer));
    const auto path = write_dicom(counts, xfer, "mV", "0.005", "1.25", "0.1");
    const auto f = gc::formats::read_ecg_file(path);
    fs::remove(path);
    CHECK(f.source.format == gc::formats::Format::dicom);
    CHECK(f.source.manufacturer == "Acme");
    CHECK(f.source.model == "Cart 9");
    CHECK(f.source.serial == "S-1");
    CHECK(f.source.acquired_at == "2024-03-14T08:30:05");
    CHECK(f.source.acquired_zone == "+08:00");
    CHECK(f.source.age_years == 61);
    CHECK(f.samples_per_lead == 1000);  // the rhythm group, not the 100-sample median beat
    CHECK(f.derived_leads.size() == 4);
    REQUIRE(f.stored.size() == 8);
    for (std::size_t l = 0; l < 8; ++l) {
      CHECK(f.stored[l].counts == counts[l]);
      CHECK(f.stored[l].uv_per_count == Approx(0.005 * 1.25 * 1000));
      CHECK(f.stored[l].offset_uv == Approx(100));
    }
    CHECK(f.block.samples_uv[0][7] == Approx(100 + 6.25 * counts[0][7]));
  }
  const auto local = write_dicom(counts, EXS_LittleEndianExplicit, "uV", "2.5", "1", "0", false);
  const auto named = gc::formats::read_ecg_file(local);
  fs::remove(local);
  CHECK(named.stored_lead_names() ==
        std::vector<std::string>{"I", "II", "V1", "V2", "V3", "V4", "V5", "V6"});
  const auto bad_units = write_dicom(counts, EXS_LittleEndianExplicit, "mmHg", "1", "1", "0");
  CHECK_THROWS_WITH(gc::formats::read_ecg_file(bad_units), Catch::Contains("not a voltage"));
  fs::remove(bad_units);
}

TEST_CASE("unknown and unsupported content is named, not guessed", "[formats]") {
  CHECK_THAT(read_error({}), Catch::Contains("unsupported format: empty file"));
  CHECK_THAT(text_error("hello, world"), Catch::Contains("unsupported format"));
  Bytes mfer{0x40, 0x20, 'M', 'F', 'R', ' ', 'v', '1'};
  mfer.resize(64, 0);
  CHECK_THAT(read_error(mfer), Catch::Contains("MFER"));
  CHECK_THAT(text_error("<?xml version=\"1.0\"?><svg></svg>"),
             Catch::Contains("unsupported format: XML with root element <svg>"));
  CHECK_THAT(text_error("%PDF-1.7 ..."), Catch::Contains("PDF"));
  Bytes dicm(132, 0);
  std::memcpy(&dicm[128], "DICM", 4);
  CHECK_THAT(read_error(dicm),
             Catch::StartsWith("DICOM") || Catch::StartsWith("unsupported format: DICOM"));
}

TEST_CASE("Philips XLI: an independently written XLI file decodes to its plain twin",
          "[formats][sierra]") {
  // Both seeds come from tests/fuzz/make_format_seeds.py: the same 12 leads, once XLI-compressed
  // with the limb leads as residuals (LZW + delta codes written by the Python encoder), once plain.
  const fs::path dir = fs::path(GC_SOURCE_DIR) / "tests" / "fuzz" / "corpus_formats_xml";
  const auto xli = gc::formats::read_ecg_file(dir / "sierra_103_xli");
  const auto plain = gc::formats::read_ecg_file(dir / "sierra_103_plain");
  const auto utf16 = gc::formats::read_ecg_file(dir / "sierra_104_xli_utf16");
  REQUIRE(xli.stored.size() == 12);
  REQUIRE(plain.stored.size() == 12);
  REQUIRE(utf16.stored.size() == 12);
  CHECK(xli.samples_per_lead == 50);
  for (std::size_t l = 0; l < 12; ++l) {
    INFO("lead " << plain.stored[l].name);
    CHECK(xli.stored[l].name == plain.stored[l].name);
    CHECK(xli.stored[l].counts == plain.stored[l].counts);
    CHECK(utf16.stored[l].counts == plain.stored[l].counts);
  }
  CHECK(xli.source.manufacturer == "Seed Maker");
  CHECK(utf16.source.format_version == "1.04");
}

TEST_CASE("DICOM: 16-bit samples stored with VR OB read like OW", "[formats][dicom]") {
  // Both seeds come from tests/fuzz/make_format_seeds.py: the same waveform, OW and OB.
  const fs::path dir = fs::path(GC_SOURCE_DIR) / "tests" / "fuzz" / "corpus_formats_dicom";
  const auto ow = gc::formats::read_ecg_file(dir / "explicit_preamble");
  const auto ob = gc::formats::read_ecg_file(dir / "explicit_ob_words");
  REQUIRE(ow.stored.size() == 3);
  REQUIRE(ob.stored.size() == 3);
  for (std::size_t l = 0; l < 3; ++l) CHECK(ob.stored[l].counts == ow.stored[l].counts);
  CHECK(ow.samples_per_lead == 120);
}

TEST_CASE("DICOM: a declared length beyond the bytes is refused before DCMTK allocates it",
          "[formats][dicom]") {
  // Found by fuzz_formats_dicom: an element inside a sequence item declared 4 GB in a 2.6 KB
  // file, and DCMTK allocated it before reading. The length check names the element instead.
  const fs::path seed = fs::path(GC_SOURCE_DIR) / "tests" / "fuzz" / "corpus_formats_dicom" /
                        "regression_oom_nested_length";
  CHECK_THROWS_WITH(gc::formats::read_ecg_file(seed), Catch::Contains("declares 4211078400 bytes"));
  // The second such input: a length DCMTK derives itself (1.1 GB), refused by DCMTK's own
  // check now that it reads from a file.
  const fs::path seed2 = seed.parent_path() / "regression_oom_nested_length_2";
  CHECK_THROWS_AS(gc::formats::read_ecg_file(seed2), gc::formats::Error);
  // The same check on a length in the top-level dataset of a good file.
  const auto good = gc::formats::read_ecg_file(fs::path(GC_SOURCE_DIR) / "tests" / "fuzz" /
                                               "corpus_formats_dicom" / "explicit_preamble");
  CHECK(good.samples_per_lead == 120);
}

TEST_CASE("DICOM: a broken median-beat group is not kept, and the warning says why",
          "[formats][dicom]") {
  // Found by fuzz_formats_dicom: a median group with sampling frequency 0 was kept as the
  // device's median beat. The rhythm still reads; the median is dropped with a warning.
  const auto f = gc::formats::read_ecg_file(fs::path(GC_SOURCE_DIR) / "tests" / "fuzz" /
                                            "corpus_formats_dicom" / "regression_median_rate");
  CHECK_FALSE(f.device_median.has_value());
  REQUIRE(f.warnings.size() == 1);
  CHECK_THAT(f.warnings.front(), Catch::Contains("invalid sample rate"));
  CHECK(f.samples_per_lead == 120);
}

namespace {

// A 10 s, 500 Hz ECG-like signal in µV: baseline wander, P and T waves (smooth) and a sharp QRS
// every 400 samples (fiducials 200, 600, …), each beat a little different from the others.
constexpr std::int64_t kBimodalN = 5000;
// The subtraction zone spans the whole beat, P onset to T end, where the beat is back at the
// baseline: the residual has no step at its edges for the decimation to smear.
constexpr std::int64_t kBeatBefore = 150, kBeatAfter = 210;
constexpr std::int64_t kQrsHalf = 25;  // protected zone: R ± 50 ms

double beat_shape_uv(double t_from_r, double scale, double lead_sign) {
  const auto g = [](double t, double centre, double sigma) {
    return std::exp(-(t - centre) * (t - centre) / (2 * sigma * sigma));
  };
  return lead_sign * (150 * g(t_from_r, -80, 15) + 1200 * scale * g(t_from_r, 0, 5) -
                      250 * g(t_from_r, 12, 4)) +
         300 * scale * g(t_from_r, 120, 25);
}

std::vector<std::vector<std::int32_t>> bimodal_signal_uv(std::size_t n_leads) {
  std::vector<std::vector<std::int32_t>> out(n_leads, std::vector<std::int32_t>(kBimodalN));
  for (std::size_t l = 0; l < n_leads; ++l) {
    const double sign = l % 3 == 1 ? -1.0 : 1.0;
    for (std::int64_t i = 0; i < kBimodalN; ++i) {
      const std::int64_t t = i + 1;               // sample number
      const std::int64_t beat = (t + 200) / 400;  // nearest R: 400 × beat − 200
      const double from_r = static_cast<double>(t - (400 * beat - 200));
      const double scale = 1.0 + 0.05 * std::sin(static_cast<double>(beat + l));
      const double wander = 80 * std::sin(2 * M_PI * 0.3 * static_cast<double>(i) / 500.0 + l);
      out[l][static_cast<std::size_t>(i)] =
          static_cast<std::int32_t>(std::lround(wander + beat_shape_uv(from_r, scale, sign)));
    }
  }
  return out;
}

BimodalSpec bimodal_spec(std::size_t n_leads, bool subtract) {
  BimodalSpec spec;
  spec.lead_codes = {1, 2, 3, 4, 5, 6, 7, 8};
  spec.lead_codes.resize(n_leads);
  spec.avm_nv = 1000;  // 1 µV counts
  for (std::int64_t r = 200; r <= kBimodalN - 200; r += 400) {
    // Every fourth beat is of another type: not subtracted, still protected.
    const int type = (r / 400) % 4 == 3 ? 1 : 0;
    spec.qrs.push_back({type, r - kBeatBefore, r, r + kBeatAfter, r - kQrsHalf, r + kQrsHalf});
  }
  if (subtract) {
    spec.reference_fiducial = kBeatBefore + 1;
    for (std::size_t l = 0; l < n_leads; ++l) {
      const double sign = l % 3 == 1 ? -1.0 : 1.0;
      std::vector<std::int32_t> ref;
      for (std::int64_t k = -kBeatBefore; k <= kBeatAfter; ++k)
        ref.push_back(static_cast<std::int32_t>(
            std::lround(beat_shape_uv(static_cast<double>(k), 1.0, sign))));
      spec.reference.push_back(ref);
    }
  }
  return spec;
}

bool in_protected_zone(const BimodalSpec& spec, std::int64_t sample_number) {
  for (const auto& q : spec.qrs) {
    if (sample_number >= q.qb && sample_number <= q.qe) return true;
  }
  return false;
}

}  // namespace

// EN 1064 bimodal compression: outside the protected zones the residual is stored decimated (here
// by 4: section 6 at 125 Hz, section 5 at 500 Hz) and the decoder rebuilds the full rate. The
// protected zones (the QRS complexes) come back exactly; elsewhere the error is the block mean's
// and the interpolation's on a smooth residual: bounded at 5 µV (one count at the resolution
// carts commonly store) and 1.5 µV RMS (measured: 2 µV and 0.56 µV RMS).
TEST_CASE("SCP-ECG: bimodal compression is rebuilt to the full rate", "[formats][scp][bimodal]") {
  for (const bool subtract : {true, false}) {
    for (const int diff : {0, 1, 2}) {
      INFO("reference beat subtracted " << subtract << ", difference order " << diff);
      auto spec = bimodal_spec(8, subtract);
      spec.diff = diff;
      const auto signal = bimodal_signal_uv(8);
      const auto f = gc::formats::read_ecg(build_bimodal_scp(spec, signal));
      CHECK(f.sample_rate_hz == Approx(500));
      REQUIRE(f.samples_per_lead == kBimodalN);
      REQUIRE(f.stored.size() == 8);
      CHECK(f.warnings.empty());
      // The file holds about a quarter of the samples: decimation did happen.
      CHECK(bimodal_stream(spec, signal[0], 0).size() < kBimodalN / 2);
      double worst_outside_uv = 0, sum_sq = 0;
      std::int64_t n_outside = 0, n_protected_exact = 0, n_protected = 0;
      for (std::size_t l = 0; l < 8; ++l) {
        REQUIRE(f.stored[l].uv_per_count == Approx(1.0));
        for (std::int64_t i = 0; i < kBimodalN; ++i) {
          const double err = f.stored[l].counts[static_cast<std::size_t>(i)] -
                             signal[l][static_cast<std::size_t>(i)];
          if (in_protected_zone(spec, i + 1)) {
            ++n_protected;
            if (err == 0) ++n_protected_exact;
          } else {
            worst_outside_uv = std::max(worst_outside_uv, std::abs(err));
            sum_sq += err * err;
            ++n_outside;
          }
        }
      }
      CHECK(n_protected_exact == n_protected);
      CHECK(n_protected == 8 * 12 * (2 * kQrsHalf + 1));
      CHECK(worst_outside_uv <= 5.0);
      CHECK(std::sqrt(sum_sq / static_cast<double>(n_outside)) <= 1.5);
    }
  }
}

TEST_CASE("SCP-ECG: bimodal v1.x records protect the subtraction zones (no QB/QE table)",
          "[formats][scp][bimodal]") {
  auto spec = bimodal_spec(2, true);
  spec.section4_version = 11;
  const auto signal = bimodal_signal_uv(2);
  const auto f = gc::formats::read_ecg(build_bimodal_scp(spec, signal));
  REQUIRE(f.samples_per_lead == kBimodalN);
  for (std::size_t l = 0; l < 2; ++l) {
    for (const auto& q : spec.qrs) {
      for (std::int64_t t = q.sb; t <= q.se; ++t) {
        CHECK(f.stored[l].counts[static_cast<std::size_t>(t - 1)] ==
              signal[l][static_cast<std::size_t>(t - 1)]);
      }
    }
  }
}

TEST_CASE("SCP-ECG: a decimated rhythm without the bimodal flag is decoded and the warning says so",
          "[formats][scp][bimodal]") {
  auto spec = bimodal_spec(2, true);
  spec.bimodal_flag = false;
  const auto signal = bimodal_signal_uv(2);
  const auto f = gc::formats::read_ecg(build_bimodal_scp(spec, signal));
  REQUIRE(f.samples_per_lead == kBimodalN);
  CHECK(f.sample_rate_hz == Approx(500));
  REQUIRE(f.warnings.size() == 1);
  CHECK_THAT(f.warnings[0], Catch::Contains("without the bimodal flag"));
  for (const auto& q : spec.qrs) {
    CHECK(f.stored[0].counts[static_cast<std::size_t>(q.fiducial - 1)] ==
          signal[0][static_cast<std::size_t>(q.fiducial - 1)]);
  }
}

TEST_CASE("SCP-ECG: bimodal records that cannot be rebuilt fail with a reason",
          "[formats][scp][bimodal]") {
  const auto signal = bimodal_signal_uv(2);
  SECTION("no section 5: the full-rate interval is unknown") {
    auto spec = bimodal_spec(2, false);
    spec.with_section5 = false;
    CHECK_THAT(read_error(build_bimodal_scp(spec, signal)),
               Catch::Contains("unsupported SCP-ECG feature: bimodal compression (section 6) "
                               "without section 5"));
  }
  SECTION("a decimation factor beyond 16") {
    auto spec = bimodal_spec(2, false);
    spec.factor = 20;
    CHECK_THAT(read_error(build_bimodal_scp(spec, signal)),
               Catch::Contains("with a decimation factor of 20"));
  }
  SECTION("section 6's interval not a whole multiple of section 5's") {
    auto spec = bimodal_spec(2, false);
    spec.factor = 1;
    auto rec = build_bimodal_scp(spec, signal);
    // Section 6's interval 2000 → 3000 µs (the section and record CRCs redone).
    const std::size_t section = section_offset(rec, 6);
    REQUIRE(section > 0);
    put16(rec, section + 16 + 2, 3000);
    redo_crcs(rec, section);
    CHECK_THAT(read_error(rec), Catch::Contains("not a whole multiple of section 5's 2000 µs"));
  }
  SECTION("overlapping protected zones") {
    auto spec = bimodal_spec(2, false);
    spec.qrs[1].qb = spec.qrs[0].qe;
    CHECK_THAT(read_error(build_bimodal_scp(spec, signal)),
               Catch::Contains("section 4: protected zone 2"));
  }
  SECTION("a protected zone past the last sample") {
    auto spec = bimodal_spec(2, false);
    spec.qrs.push_back({1, 4990, 4995, 5000, 4990, 5100});
    CHECK_THAT(read_error(build_bimodal_scp(spec, signal)),
               Catch::Contains("outside the leads' samples 1–5000"));
  }
  SECTION("every truncation") {
    const auto good = build_bimodal_scp(bimodal_spec(2, true), signal);
    for (std::size_t n = 0; n < good.size(); n += 13) {
      INFO("truncated to " << n);
      CHECK(read_error(Bytes(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n))) !=
            "(no error)");
    }
  }
  SECTION("a flipped bit in the decimated data: section 6's CRC names it") {
    auto bad = build_bimodal_scp(bimodal_spec(2, true), signal);
    bad[bad.size() - 20] ^= 0x04;
    put16(bad, 0, crc_ccitt(&bad[2], bad.size() - 2));
    CHECK_THAT(read_error(bad), Catch::Contains("section 6 CRC mismatch"));
  }
}
