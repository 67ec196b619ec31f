// Framing: round trips, byte-by-byte decoding, limits checked before buffering, malformed input.
#include <catch2/catch.hpp>

#include <cmath>

#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/util/delimited_message_util.h>

#include "gc/framing.hpp"

namespace pb = greenchannel::v1;
using gc::proto::FrameDecoder;
using gc::proto::ProtocolError;

namespace {

pb::CartMessage make_chunk(std::uint64_t sequence, int n_values) {
  pb::CartMessage message;
  auto* chunk = message.mutable_chunk();
  chunk->set_study_uid("study-1");
  chunk->set_sequence(sequence);
  chunk->set_first_sample_index(sequence * 100);
  for (int i = 0; i < n_values; ++i) {
    chunk->add_samples((i % 2 == 0 ? 1 : -1) * i * 37);
  }
  return message;
}

pb::CartMessage make_hello() {
  pb::CartMessage message;
  auto* hello = message.mutable_hello();
  hello->set_protocol_version(1);
  hello->set_device_id("cart-01");
  hello->set_credential("s3cret");
  hello->mutable_device_clock()->set_unix_ms(1700000000000);
  hello->mutable_device_clock()->set_clock("cart");
  return message;
}

pb::StudyStart make_study_start() {
  pb::StudyStart start;
  start.set_study_uid("cart-01:2026-11-23:0001");
  for (const char* lead : {"I", "II", "V1", "V2", "V3", "V4", "V5", "V6"}) {
    start.add_leads(lead);
  }
  start.set_sample_rate_hz(500);
  start.set_resolution_nv_per_lsb(1000);
  start.set_derive_limb_leads(true);
  start.mutable_patient()->set_age_years(63);
  start.mutable_patient()->set_sex(pb::SEX_MALE);
  return start;
}

// The code of the ProtocolError `f` throws; fails the test if it throws nothing.
template <class F>
pb::Error::Code error_code_of(F&& f, std::string* message = nullptr) {
  try {
    f();
  } catch (const ProtocolError& e) {
    if (message) {
      *message = e.what();
    }
    return e.code();
  }
  FAIL("expected a ProtocolError");
  return pb::Error::UNSPECIFIED;
}

}  // namespace

TEST_CASE("encode_frame writes protobuf's standard delimited framing") {
  const pb::CartMessage message = make_chunk(3, 1200);
  const std::string frame = gc::proto::encode_frame(message);

  // The reference parser (what any protobuf client uses) reads it back.
  google::protobuf::io::ArrayInputStream input(frame.data(), static_cast<int>(frame.size()));
  pb::CartMessage parsed;
  bool clean_eof = false;
  REQUIRE(google::protobuf::util::ParseDelimitedFromZeroCopyStream(&parsed, &input, &clean_eof));
  CHECK(parsed.chunk().sequence() == 3);
  CHECK(parsed.chunk().samples_size() == 1200);
  CHECK(parsed.chunk().samples(1199) == message.chunk().samples(1199));
  // Length prefix + body, nothing else.
  const std::size_t body = message.ByteSizeLong();
  const std::size_t prefix = body < 128 ? 1 : body < 16384 ? 2 : 3;
  CHECK(frame.size() == prefix + body);
}

TEST_CASE("decoder round-trips several frames fed at once") {
  std::string stream;
  gc::proto::append_frame(stream, make_hello());
  for (std::uint64_t s = 0; s < 5; ++s) {
    gc::proto::append_frame(stream, make_chunk(s, 24));
  }
  FrameDecoder decoder;
  decoder.feed(stream);
  auto first = decoder.next_frame();
  REQUIRE(first);
  CHECK(gc::proto::parse_cart_message(*first).hello().device_id() == "cart-01");
  for (std::uint64_t s = 0; s < 5; ++s) {
    auto body = decoder.next_frame();
    REQUIRE(body);
    CHECK(gc::proto::parse_cart_message(*body).chunk().sequence() == s);
  }
  CHECK_FALSE(decoder.next_frame());
  CHECK(decoder.buffered_bytes() == 0);
}

TEST_CASE("decoder assembles frames fed one byte at a time") {
  std::string stream;
  std::vector<pb::CartMessage> sent;
  for (std::uint64_t s = 0; s < 4; ++s) {
    sent.push_back(make_chunk(s, 300 * static_cast<int>(s)));  // includes a 0-value chunk
    gc::proto::append_frame(stream, sent.back());
  }
  FrameDecoder decoder;
  std::vector<pb::CartMessage> received;
  for (const char byte : stream) {
    decoder.feed(std::string_view(&byte, 1));
    while (auto body = decoder.next_frame()) {
      received.push_back(gc::proto::parse_cart_message(*body));
    }
  }
  REQUIRE(received.size() == sent.size());
  for (std::size_t i = 0; i < sent.size(); ++i) {
    CHECK(received[i].SerializeAsString() == sent[i].SerializeAsString());
  }
}

TEST_CASE("oversized length prefix is rejected before the body is buffered") {
  FrameDecoder decoder(1024);
  // 2 GB announced: 0x80000000 as a varint, and only 3 body bytes behind it.
  const std::string prefix("\x80\x80\x80\x80\x08xyz", 8);
  decoder.feed(prefix);
  std::string message;
  CHECK(error_code_of([&] { (void)decoder.next_frame(); }, &message) == pb::Error::FRAME_TOO_LARGE);
  CHECK(message.find("2147483648") != std::string::npos);
  CHECK(decoder.buffered_bytes() == 0);  // nothing kept
  CHECK(decoder.failed());
  // The decoder stays failed: the stream cannot be resynchronised.
  CHECK(error_code_of([&] { decoder.feed("abc"); }) == pb::Error::FRAME_TOO_LARGE);

  // Just at the limit is fine, one above is not.
  FrameDecoder exact(300);
  std::string at_limit = "\xAC\x02";  // 300
  at_limit.append(300, '\0');
  exact.feed(at_limit);
  CHECK(exact.next_frame()->size() == 300);
  FrameDecoder above(299);
  above.feed(at_limit.substr(0, 2));  // the prefix alone already fails
  CHECK(error_code_of([&] { (void)above.next_frame(); }) == pb::Error::FRAME_TOO_LARGE);
}

TEST_CASE("over-long varint length prefixes are malformed") {
  SECTION("six bytes") {
    FrameDecoder decoder;
    decoder.feed(std::string("\x81\x80\x80\x80\x80\x00", 6));
    CHECK(error_code_of([&] { (void)decoder.next_frame(); }) == pb::Error::MALFORMED_FRAME);
  }
  SECTION("five bytes above 2^32 - 1") {
    FrameDecoder decoder;
    decoder.feed(std::string("\xFF\xFF\xFF\xFF\x1F", 5));
    CHECK(error_code_of([&] { (void)decoder.next_frame(); }) == pb::Error::MALFORMED_FRAME);
  }
  SECTION("an incomplete prefix just waits") {
    FrameDecoder decoder;
    decoder.feed(std::string("\x80\x80", 2));
    CHECK_FALSE(decoder.next_frame());
  }
}

TEST_CASE("malformed bodies are MALFORMED_FRAME") {
  // Field 3 (chunk) declared as length-delimited with a length past the end.
  const std::string garbage("\x1A\x7F\x01\x02", 4);
  CHECK(error_code_of([&] { (void)gc::proto::parse_cart_message(garbage); }) ==
        pb::Error::MALFORMED_FRAME);
  // Wire type 7 does not exist.
  CHECK(error_code_of([&] { (void)gc::proto::parse_cart_message(std::string("\x0F", 1)); }) ==
        pb::Error::MALFORMED_FRAME);
}

TEST_CASE("validation accepts a well-formed session and names fields in errors") {
  const gc::proto::Limits limits;
  CHECK_NOTHROW(gc::proto::validate(make_hello(), limits));
  pb::CartMessage start_message;
  *start_message.mutable_study_start() = make_study_start();
  CHECK_NOTHROW(gc::proto::validate(start_message, limits));
  CHECK_NOTHROW(gc::proto::validate_chunk(make_chunk(0, 800).chunk(), 8, 500, limits));

  std::string message;
  SECTION("empty message") {
    CHECK(error_code_of([&] { gc::proto::validate(pb::CartMessage(), limits); }, &message) ==
          pb::Error::PROTOCOL_VIOLATION);
    CHECK(message.find("body") != std::string::npos);
  }
  SECTION("hello") {
    pb::Hello hello = make_hello().hello();
    hello.set_protocol_version(2);
    CHECK(error_code_of([&] { gc::proto::validate_hello(hello, limits); }, &message) ==
          pb::Error::PROTOCOL_VIOLATION);
    CHECK(message.find("hello.protocol_version") != std::string::npos);
    hello = make_hello().hello();
    hello.clear_credential();
    CHECK(error_code_of([&] { gc::proto::validate_hello(hello, limits); }) ==
          pb::Error::UNAUTHENTICATED);
    hello = make_hello().hello();
    hello.set_device_id("cart 01; DROP TABLE");
    CHECK(error_code_of([&] { gc::proto::validate_hello(hello, limits); }, &message) ==
          pb::Error::PROTOCOL_VIOLATION);
    CHECK(message.find("hello.device_id") != std::string::npos);
  }
  SECTION("patient ids and texts: UTF-8, no control or bidi characters (issue 16 #12)") {
    pb::StudyStart start = make_study_start();
    start.mutable_patient()->set_pseudonymous_id("pid\xE2\x80\xAE" "evil");  // U+202E
    CHECK(error_code_of([&] { gc::proto::validate_study_start(start, limits); }, &message) ==
          pb::Error::PROTOCOL_VIOLATION);
    CHECK(message.find("study_start.patient.pseudonymous_id") != std::string::npos);
    CHECK(message.find("U+202E") != std::string::npos);
    for (const std::string& bad : {std::string("a\0b", 3), std::string("a\x1b[31m"), std::string("a\r\nb"),
                                  std::string("\xD5\xC5"), std::string("\xC0\xAF")}) {
      start.mutable_patient()->set_pseudonymous_id(bad);
      CHECK_THROWS_AS(gc::proto::validate_study_start(start, limits), ProtocolError);
    }
    start.mutable_patient()->set_pseudonymous_id("张三-0042");
    CHECK_NOTHROW(gc::proto::validate_study_start(start, limits));
    CHECK(gc::proto::text_problem("石桥乡卫生院") == std::nullopt);
    CHECK(*gc::proto::text_problem("ab\xE2\x81\xA6") == "bidirectional formatting character U+2066 at byte 2");
    CHECK(*gc::proto::text_problem("\xE6\xB5") == "invalid UTF-8 at byte 0 (truncated)");
    CHECK(gc::proto::text_problem("\xED\xA0\x80"));  // a surrogate
  }
  SECTION("the source file of an agent's study (issue 13)") {
    pb::StudyStart start = make_study_start();
    auto* source = start.mutable_source();
    source->set_format("DICOM");
    source->set_file_name("ECG_0001.dcm");
    source->set_manufacturer("GE Healthcare");
    source->set_model("MAC 5500");
    CHECK_NOTHROW(gc::proto::validate_study_start(start, limits));
    source->set_model("MAC\x1b[31m");
    CHECK(error_code_of([&] { gc::proto::validate_study_start(start, limits); }, &message) ==
          pb::Error::PROTOCOL_VIOLATION);
    CHECK(message.find("study_start.source.model") != std::string::npos);
    source->set_model("MAC 5500");
    source->set_file_name("../../etc/passwd");
    CHECK(error_code_of([&] { gc::proto::validate_study_start(start, limits); }, &message) ==
          pb::Error::PROTOCOL_VIOLATION);
    CHECK(message.find("study_start.source.file_name") != std::string::npos);
    source->set_file_name("ECG_0001.dcm");
    source->set_format("");
    CHECK_THROWS_AS(gc::proto::validate_study_start(start, limits), ProtocolError);
  }
  SECTION("printable_text: what an agent copies from a vendor's file") {
    using gc::proto::printable_text;
    CHECK(printable_text("MAC 5500", 256) == "MAC 5500");
    CHECK(printable_text("心电图机", 256) == "心电图机");
    // A GBK byte pair is not UTF-8: each byte becomes U+FFFD; controls and bidi marks go.
    CHECK(printable_text("a\xD5\xC5" "b", 256) == "a\xEF\xBF\xBD\xEF\xBF\xBD" "b");
    CHECK(printable_text(std::string("a\0b\x1b\r\n", 6) + "c\xE2\x80\xAE" "d", 256) == "abcd");
    // Cut at a character boundary, never inside one.
    CHECK(printable_text("心电图机", 7) == "心电");
    for (const std::string& s : {std::string("\xF0\x9F"), std::string("\xC0\xAF\xFF"), std::string(300, 'x')}) {
      const auto out = printable_text(s, 256);
      CHECK_FALSE(gc::proto::text_problem(out));
      CHECK(out.size() <= 256);
    }
  }
  SECTION("study uid length and charset") {
    pb::StudyStart start = make_study_start();
    start.set_study_uid(std::string(129, 'a'));
    CHECK(error_code_of([&] { gc::proto::validate_study_start(start, limits); }, &message) ==
          pb::Error::PROTOCOL_VIOLATION);
    CHECK(message.find("study_start.study_uid") != std::string::npos);
    start.set_study_uid(std::string(128, 'a'));
    CHECK_NOTHROW(gc::proto::validate_study_start(start, limits));
    start.set_study_uid("ok/../../etc");
    CHECK_THROWS_AS(gc::proto::validate_study_start(start, limits), ProtocolError);
  }
  SECTION("leads: known, unique, 1..32, derivation needs I and II") {
    pb::StudyStart start = make_study_start();
    start.add_leads("V10");
    CHECK(error_code_of([&] { gc::proto::validate_study_start(start, limits); }, &message) ==
          pb::Error::UNKNOWN_LEAD);
    CHECK(message.find("study_start.leads[8]") != std::string::npos);
    start = make_study_start();
    start.add_leads("V1");
    CHECK(error_code_of([&] { gc::proto::validate_study_start(start, limits); }, &message) ==
          pb::Error::PROTOCOL_VIOLATION);
    CHECK(message.find("twice") != std::string::npos);
    start = make_study_start();
    start.clear_leads();
    CHECK(error_code_of([&] { gc::proto::validate_study_start(start, limits); }) ==
          pb::Error::LIMIT_EXCEEDED);
    start = make_study_start();
    start.add_leads("aVF");  // sent although it would be derived
    CHECK(error_code_of([&] { gc::proto::validate_study_start(start, limits); }, &message) ==
          pb::Error::PROTOCOL_VIOLATION);
    CHECK(message.find("derive_limb_leads") != std::string::npos);
  }
  SECTION("sample rate, resolution, age, announced length") {
    pb::StudyStart start = make_study_start();
    start.set_sample_rate_hz(99);
    CHECK(error_code_of([&] { gc::proto::validate_study_start(start, limits); }, &message) ==
          pb::Error::PROTOCOL_VIOLATION);
    CHECK(message.find("sample_rate_hz") != std::string::npos);
    start.set_sample_rate_hz(2001);
    CHECK_THROWS_AS(gc::proto::validate_study_start(start, limits), ProtocolError);
    start.set_sample_rate_hz(2000);
    CHECK_NOTHROW(gc::proto::validate_study_start(start, limits));

    start = make_study_start();
    for (const double bad : {0.0, -5.0, std::nan(""), 1.0e9}) {
      start.set_resolution_nv_per_lsb(bad);
      CHECK(error_code_of([&] { gc::proto::validate_study_start(start, limits); }, &message) ==
            pb::Error::PROTOCOL_VIOLATION);
      CHECK(message.find("resolution_nv_per_lsb") != std::string::npos);
    }

    start = make_study_start();
    start.mutable_patient()->set_age_years(131);
    CHECK(error_code_of([&] { gc::proto::validate_study_start(start, limits); }, &message) ==
          pb::Error::PROTOCOL_VIOLATION);
    CHECK(message.find("age_years") != std::string::npos);

    start = make_study_start();
    start.set_expected_samples_per_lead(1'000'000'000);
    CHECK(error_code_of([&] { gc::proto::validate_study_start(start, limits); }) ==
          pb::Error::LIMIT_EXCEEDED);
  }
  SECTION("chunks: multiple of the lead count, within limits") {
    CHECK(error_code_of(
              [&] { gc::proto::validate_chunk(make_chunk(0, 801).chunk(), 8, 500, limits); },
              &message) == pb::Error::PROTOCOL_VIOLATION);
    CHECK(message.find("multiple of the 8 leads") != std::string::npos);
    CHECK(error_code_of([&] {
            gc::proto::validate_chunk(make_chunk(0, 0).chunk(), 8, 500, limits);
          }) == pb::Error::PROTOCOL_VIOLATION);
    gc::proto::Limits small = limits;
    small.max_chunk_values = 400;
    CHECK(error_code_of([&] {
            gc::proto::validate_chunk(make_chunk(0, 800).chunk(), 8, 500, small);
          }) == pb::Error::LIMIT_EXCEEDED);
    pb::SampleChunk late = make_chunk(0, 800).chunk();
    late.set_first_sample_index(limits.max_samples_per_lead(500) - 50);
    CHECK(error_code_of([&] { gc::proto::validate_chunk(late, 8, 500, limits); }) ==
          pb::Error::LIMIT_EXCEEDED);
  }
}
