// Fixed-offset time zones and ISO-8601 parsing/formatting. libstdc++ 12 has the C++20 calendar
// types but not the tz database (std::chrono::zoned_time / locate_zone), so zones are a small
// table of names whose offset has been fixed for decades, plus explicit offsets.
#include <charconv>
#include <chrono>
#include <cstdio>

#include "gc/workflow.hpp"

namespace gc::workflow {
namespace {

using namespace std::chrono;

constexpr std::int64_t kMsPerMin = 60'000;
constexpr std::int64_t kMsPerDay = 86'400'000;

// Floor division: instants before 1970 still map to the right civil day.
std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

struct Civil {
  int year;
  unsigned month, day, hour, minute, second;
};

Civil to_civil(UnixMs t, const TimeZone& tz) {
  const std::int64_t local_ms = t + static_cast<std::int64_t>(tz.offset_min) * kMsPerMin;
  const std::int64_t days = floor_div(local_ms, kMsPerDay);
  const std::int64_t ms_of_day = local_ms - days * kMsPerDay;
  const year_month_day ymd{sys_days{std::chrono::days{days}}};
  const auto secs = ms_of_day / 1000;
  return {static_cast<int>(ymd.year()),          static_cast<unsigned>(ymd.month()),
          static_cast<unsigned>(ymd.day()),      static_cast<unsigned>(secs / 3600),
          static_cast<unsigned>(secs / 60 % 60), static_cast<unsigned>(secs % 60)};
}

UnixMs from_civil(int y, unsigned mo, unsigned d, unsigned h, unsigned mi, unsigned s,
                  int offset_min) {
  const year_month_day ymd{year{y}, month{mo}, day{d}};
  if (!ymd.ok()) throw Error("invalid date");
  if (h > 23 || mi > 59 || s > 59) throw Error("invalid time of day");
  const std::int64_t days = sys_days{ymd}.time_since_epoch().count();
  return days * kMsPerDay + (static_cast<std::int64_t>(h) * 3600 + mi * 60 + s) * 1000 -
         static_cast<std::int64_t>(offset_min) * kMsPerMin;
}

// Reads exactly n digits at pos.
bool digits(std::string_view s, std::size_t pos, std::size_t n, unsigned& out) {
  if (pos + n > s.size()) return false;
  const auto r = std::from_chars(s.data() + pos, s.data() + pos + n, out);
  return r.ec == std::errc{} && r.ptr == s.data() + pos + n;
}

std::optional<int> parse_offset(std::string_view s) {
  // "+08:00", "+0800", "-05:30"
  if (s.size() < 5 || (s[0] != '+' && s[0] != '-')) return std::nullopt;
  unsigned h = 0, m = 0;
  if (!digits(s, 1, 2, h)) return std::nullopt;
  std::size_t p = 3;
  if (s[p] == ':') ++p;
  if (!digits(s, p, 2, m) || p + 2 != s.size() || h > 14 || m > 59) return std::nullopt;
  const int total = static_cast<int>(h * 60 + m);
  return s[0] == '-' ? -total : total;
}

}  // namespace

TimeZone parse_time_zone(std::string_view name) {
  if (name == "Asia/Shanghai" || name == "Asia/Chongqing" || name == "Asia/Harbin" ||
      name == "PRC" || name == "Asia/Hong_Kong" || name == "Asia/Macau" || name == "Asia/Taipei") {
    // Beijing time: +08:00, no daylight saving since 1991.
    return {std::string(name), 8 * 60};
  }
  if (name == "UTC" || name == "Etc/UTC" || name == "Z" || name == "GMT") {
    return {std::string(name), 0};
  }
  if (const auto off = parse_offset(name)) return {std::string(name), *off};
  throw Error("unknown time zone '" + std::string(name) +
              "': use Asia/Shanghai, UTC or a fixed offset like +08:00 (zones with daylight "
              "saving are not supported)");
}

namespace {

// Digits written by hand: reports format millions of timestamps, snprintf dominated.
void put_digits(std::string& out, unsigned v, int width) {
  char buf[8];
  for (int i = width - 1; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  out.append(buf, static_cast<std::size_t>(width));
}

void put_date_time(std::string& out, const Civil& c, char sep, bool always_seconds) {
  if (c.year < 0 || c.year > 9999) throw Error("year out of range for formatting");
  put_digits(out, static_cast<unsigned>(c.year), 4);
  out += '-';
  put_digits(out, c.month, 2);
  out += '-';
  put_digits(out, c.day, 2);
  out += sep;
  put_digits(out, c.hour, 2);
  out += ':';
  put_digits(out, c.minute, 2);
  if (always_seconds || c.second != 0) {
    out += ':';
    put_digits(out, c.second, 2);
  }
}

}  // namespace

void append_local(std::string& out, UnixMs t, const TimeZone& tz) {
  put_date_time(out, to_civil(t, tz), ' ', false);
}

void append_iso(std::string& out, UnixMs t, const TimeZone& tz) {
  put_date_time(out, to_civil(t, tz), 'T', true);
  const int off = tz.offset_min < 0 ? -tz.offset_min : tz.offset_min;
  out += tz.offset_min < 0 ? '-' : '+';
  put_digits(out, static_cast<unsigned>(off / 60), 2);
  out += ':';
  put_digits(out, static_cast<unsigned>(off % 60), 2);
}

std::string format_local(UnixMs t, const TimeZone& tz) {
  std::string s;
  append_local(s, t, tz);
  return s;
}

std::string format_iso(UnixMs t, const TimeZone& tz) {
  std::string s;
  append_iso(s, t, tz);
  return s;
}

std::string local_month(UnixMs t, const TimeZone& tz) {
  const auto c = to_civil(t, tz);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u", c.year, c.month);
  return buf;
}

UnixMs next_month_start(UnixMs t, const TimeZone& tz) {
  const auto c = to_civil(t, tz);
  int y = c.year;
  unsigned m = c.month + 1;
  if (m > 12) {
    m = 1;
    ++y;
  }
  return from_civil(y, m, 1, 0, 0, 0, tz.offset_min);
}

UnixMs parse_instant(std::string_view s, const TimeZone& tz) {
  const auto bad = [&](const char* why) {
    return Error("cannot parse time '" + std::string(s) + "' (" + why +
                 "); use 2026-05-12T16:54+08:00, 2026-05-12T16:54:00Z, '2026-05-12 16:54' or "
                 "2026-05-12");
  };
  unsigned y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d)) {
    throw bad("date");
  }
  std::size_t p = 10;
  int offset = tz.offset_min;
  if (p < s.size()) {
    if (s[p] != 'T' && s[p] != ' ') throw bad("expected T or space after the date");
    if (!digits(s, p + 1, 2, h) || p + 3 >= s.size() || s[p + 3] != ':' ||
        !digits(s, p + 4, 2, mi)) {
      throw bad("time");
    }
    p += 6;
    if (p < s.size() && s[p] == ':') {
      if (!digits(s, p + 1, 2, sec)) throw bad("seconds");
      p += 3;
      // Fractions of a second are not meaningful for time nodes; refuse rather than truncate.
      if (p < s.size() && s[p] == '.') throw bad("fractional seconds are not supported");
    }
    if (p < s.size()) {
      const auto rest = s.substr(p);
      if (rest == "Z") {
        offset = 0;
      } else if (const auto off = parse_offset(rest)) {
        offset = *off;
      } else {
        throw bad("offset");
      }
    }
  }
  try {
    return from_civil(static_cast<int>(y), mo, d, h, mi, sec, offset);
  } catch (const Error& e) {
    throw bad(e.what());
  }
}

}  // namespace gc::workflow
