// Frame encoding (protobuf's delimited framing) and the incremental frame decoder.
#include "gc/framing.hpp"

#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/util/delimited_message_util.h>

namespace gc::proto {

ProtocolError::ProtocolError(ErrorCode code, const std::string& what)
    : std::runtime_error(what), code_(code) {}

std::string_view code_name(ErrorCode code) {
  // The generated name table is part of the full (reflection) runtime, which we link anyway.
  const std::string& name = pb::Error::Code_Name(code);
  return name.empty() ? std::string_view("UNSPECIFIED") : std::string_view(name);
}

void append_frame(std::string& out, const google::protobuf::MessageLite& message) {
  bool ok = false;
  {
    // The stream appends to `out` and trims what it over-reserved when it goes out of scope.
    google::protobuf::io::StringOutputStream stream(&out);
    ok = google::protobuf::util::SerializeDelimitedToZeroCopyStream(message, &stream);
  }
  if (!ok) {
    throw ProtocolError(pb::Error::INTERNAL, "cannot serialize " + message.GetTypeName());
  }
}

std::string encode_frame(const google::protobuf::MessageLite& message) {
  std::string out;
  append_frame(out, message);
  return out;
}

FrameDecoder::FrameDecoder(std::size_t max_frame_bytes) : max_frame_bytes_(max_frame_bytes) {}

void FrameDecoder::fail(ErrorCode code, const std::string& what) {
  failed_.emplace(code, what);
  buffer_.clear();
  buffer_.shrink_to_fit();
  pos_ = 0;
  throw *failed_;
}

void FrameDecoder::feed(std::string_view bytes) {
  if (failed_) {
    throw *failed_;
  }
  // Drop consumed bytes before growing, so the buffer stays about one frame long.
  if (pos_ > 0 && (pos_ == buffer_.size() || pos_ >= buffer_.size() / 2)) {
    buffer_.erase(0, pos_);
    pos_ = 0;
  }
  buffer_.append(bytes);
}

std::optional<std::string_view> FrameDecoder::next_frame() {
  if (failed_) {
    throw *failed_;
  }
  const std::size_t available = buffer_.size() - pos_;
  const auto* bytes = reinterpret_cast<const unsigned char*>(buffer_.data() + pos_);
  std::uint64_t length = 0;
  std::size_t prefix_bytes = 0;
  bool complete = false;
  while (prefix_bytes < available) {
    const unsigned char b = bytes[prefix_bytes];
    if (prefix_bytes == kMaxLengthPrefixBytes - 1 && (b & 0xF0u) != 0) {
      // The fifth byte may only carry bits 28..31; anything more is above 2^32 - 1 or a sixth byte.
      fail(pb::Error::MALFORMED_FRAME,
           "malformed frame: length prefix longer than 5 bytes or above 2^32 - 1");
    }
    length |= std::uint64_t{b & 0x7Fu} << (7 * prefix_bytes);
    ++prefix_bytes;
    if ((b & 0x80u) == 0) {
      complete = true;
      break;
    }
  }
  if (!complete) {
    return std::nullopt;
  }
  if (length > max_frame_bytes_) {
    fail(pb::Error::FRAME_TOO_LARGE, "frame of " + std::to_string(length) +
                                         " bytes exceeds the limit of " +
                                         std::to_string(max_frame_bytes_) + " bytes");
  }
  if (available - prefix_bytes < length) {
    return std::nullopt;
  }
  const std::string_view body(buffer_.data() + pos_ + prefix_bytes,
                              static_cast<std::size_t>(length));
  pos_ += prefix_bytes + static_cast<std::size_t>(length);
  return body;
}

namespace {

template <class Message>
Message parse_body(std::string_view body, const char* what) {
  Message message;
  if (!message.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    throw ProtocolError(pb::Error::MALFORMED_FRAME,
                        std::string("malformed frame: body is not a valid ") + what);
  }
  return message;
}

}  // namespace

pb::CartMessage parse_cart_message(std::string_view body) {
  return parse_body<pb::CartMessage>(body, "CartMessage");
}

pb::ServerMessage parse_server_message(std::string_view body) {
  return parse_body<pb::ServerMessage>(body, "ServerMessage");
}

}  // namespace gc::proto
