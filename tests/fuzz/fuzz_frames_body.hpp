// The fuzzed behaviour, shared by the libFuzzer target (fuzz_frames.cpp) and the corpus
// regression test in tests/proto: split the input into reads of varying size, decode frames,
// parse and validate each as the server does (including chunks against the last study start).
// Must never crash, hang, leak or allocate beyond the frame limit; ProtocolError is the only
// expected failure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "gc/framing.hpp"

namespace gc::fuzz {

inline void fuzz_frames_one(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return;
  // First byte: the read size pattern, so the fuzzer explores frames split across reads.
  const std::size_t step = 1 + (data[0] % 64);
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  proto::Limits limits;
  limits.max_frame_bytes = 64 * 1024;  // small, so oversize paths are reachable
  proto::FrameDecoder decoder(limits.max_frame_bytes);
  std::size_t n_leads = 0;
  std::uint32_t rate = 500;
  try {
    for (std::size_t offset = 0; offset < input.size(); offset += step) {
      decoder.feed(input.substr(offset, step));
      while (auto body = decoder.next_frame()) {
        try {
          const proto::pb::CartMessage message = proto::parse_cart_message(*body);
          proto::validate(message, limits);
          if (message.has_study_start()) {
            n_leads = static_cast<std::size_t>(message.study_start().leads_size());
            rate = message.study_start().sample_rate_hz();
          } else if (message.has_chunk() && n_leads > 0) {
            proto::validate_chunk(message.chunk(), n_leads, rate, limits);
          }
          // Re-encoding what was accepted must round-trip.
          const std::string frame = proto::encode_frame(message);
          proto::FrameDecoder again(frame.size() + 8);
          again.feed(frame);
          if (!again.next_frame()) __builtin_trap();
        } catch (const proto::ProtocolError&) {
          // A rejected message: the server sends an error frame.
        }
      }
    }
  } catch (const proto::ProtocolError&) {
    // A broken stream (bad length prefix): the server closes the connection.
  }
}

}  // namespace gc::fuzz
