// MIT-format annotation files (wrann output): a stream of 16-bit little-endian words, each a 6-bit
// code and a 10-bit value; pseudo-codes SKIP/NUM/SUB/CHN/AUX modify the time or the annotation
// just written. See PhysioNet "annot(5)".
#include <array>
#include <fstream>
#include <iterator>
#include <span>
#include <string>
#include <vector>

#include "gc/wfdb.hpp"

namespace gc::wfdb {
namespace {

constexpr int kSkip = 59;
constexpr int kNum = 60;
constexpr int kSub = 61;
constexpr int kChn = 62;
constexpr int kAux = 63;
constexpr int kMaxCode = 49;  // ACMAX: codes above are reserved or pseudo-codes

// Mnemonics of ecgcodes.h; codes without a standard mnemonic map to ' ' (never a beat).
constexpr std::array<char, kMaxCode + 1> kSymbols = {
    ' ', 'N', 'L', 'R', 'a', 'V', 'F', 'J', 'A', 'S',   // 0-9
    'E', 'j', '/', 'Q', '~', ' ', '|', ' ', 's', 'T',   // 10-19
    '*', 'D', '"', '=', 'p', 'B', '^', 't', '+', 'u',   // 20-29
    '?', '!', '[', ']', 'e', 'n', '@', 'x', 'f', '(',   // 30-39
    ')', 'r', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};  // 40-49

int sign_extend_10(int v) {
  return v >= 512 ? v - 1024 : v;
}

}  // namespace

bool is_beat_symbol(char symbol) {
  switch (symbol) {
    case 'N':
    case 'L':
    case 'R':
    case 'B':
    case 'A':
    case 'a':
    case 'J':
    case 'S':
    case 'V':
    case 'r':
    case 'F':
    case 'e':
    case 'j':
    case 'n':
    case 'E':
    case '/':
    case 'f':
    case 'Q':
    case '?':
      return true;
    default:
      return false;
  }
}

std::vector<Annotation> read_annotations(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + ": cannot open annotation file");
  const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                        std::istreambuf_iterator<char>());
  return parse_annotations(bytes, path.string());
}

std::vector<Annotation> parse_annotations(std::span<const std::uint8_t> bytes,
                                          const std::string& source) {
  std::vector<Annotation> out;
  std::int64_t time = 0;
  int channel = 0;  // chan and num carry over from the previous annotation unless set
  int num = 0;
  std::size_t pos = 0;
  auto word_at = [&](std::size_t p) {
    return static_cast<unsigned>(bytes[p] | (bytes[p + 1] << 8));
  };
  auto fail = [&](const std::string& what) {
    throw Error(source + ": byte " + std::to_string(pos) + ": " + what);
  };
  bool ended = false;
  while (pos + 1 < bytes.size()) {
    const unsigned word = word_at(pos);
    const int code = static_cast<int>(word >> 10);
    const int value = static_cast<int>(word & 0x3FFu);
    if (code == 0 && value == 0) {
      ended = true;
      break;
    }
    switch (code) {
      case kSkip: {
        if (pos + 6 > bytes.size()) fail("SKIP without its 32-bit interval");
        // The interval is stored high 16-bit word first (PDP-11 order), each word little-endian.
        const std::uint32_t hi = word_at(pos + 2);
        const std::uint32_t lo = word_at(pos + 4);
        time += static_cast<std::int32_t>((hi << 16) | lo);
        pos += 6;
        continue;
      }
      case kNum:
      case kSub:
      case kChn:
      case kAux: {
        if (out.empty()) fail("modifier code " + std::to_string(code) + " before any annotation");
        Annotation& last = out.back();
        if (code == kNum) {
          last.num = sign_extend_10(value);
          num = last.num;
        } else if (code == kSub) {
          last.subtype = sign_extend_10(value);
        } else if (code == kChn) {
          last.channel = value;
          channel = value;
        } else {
          const std::size_t len = static_cast<std::size_t>(value);
          if (pos + 2 + len > bytes.size()) fail("AUX string runs past the end of the file");
          last.aux.assign(reinterpret_cast<const char*>(bytes.data() + pos + 2), len);
          pos += 2 + len + (len % 2);  // padded to an even number of bytes
          continue;
        }
        pos += 2;
        continue;
      }
      default:
        break;
    }
    if (code > kMaxCode) fail("reserved annotation code " + std::to_string(code));
    time += value;
    Annotation a;
    a.sample = time;
    a.code = code;
    a.symbol = kSymbols[static_cast<std::size_t>(code)];
    a.channel = channel;
    a.num = num;
    out.push_back(std::move(a));
    pos += 2;
  }
  if (!ended && pos < bytes.size() && bytes.size() - pos == 1) {
    throw Error(source + ": odd trailing byte (truncated annotation file)");
  }
  return out;
}

}  // namespace gc::wfdb
