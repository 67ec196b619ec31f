// Records and ECG files as the studies a cart sends (see gc/cart_study.hpp).
#include "gc/cart_study.hpp"
#include "gc/framing.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <cstdio>
#include <ctime>
#include <iomanip>
#include <limits>
#include <numeric>
#include <sstream>
#include <stdexcept>

#include "gc/dsp.hpp"
#include "gc/record_input.hpp"

namespace gc::agent {

namespace {

double nv_per_unit(const std::string& units, const std::string& where) {
  if (units.empty() || units == "mV") return 1.0e6;
  if (units == "uV" || units == "µV") return 1.0e3;
  if (units == "V") return 1.0e9;
  throw std::runtime_error(where + ": unsupported physical units '" + units + "'");
}

std::string format_number(double value) {
  std::ostringstream out;
  out << std::setprecision(10) << value;
  return out.str();
}

}  // namespace

ConvertedStudy study_from_record(const wfdb::Record& record, const std::string& where) {
  const auto& signals = record.header.signals;
  if (signals.empty()) throw std::runtime_error(where + ": no signals");
  ConvertedStudy out;
  ingest::CartStudy& study = out.study;
  const double rate = record.header.sample_rate_hz;
  if (std::abs(rate - std::round(rate)) > 1e-9) {
    throw std::runtime_error(where + ": sample rate " + format_number(rate) +
                             " Hz is not an integer (the protocol sends whole Hz)");
  }
  study.sample_rate_hz = static_cast<std::uint32_t>(std::lround(rate));

  std::vector<double> resolution_nv(signals.size());
  std::vector<double> gains(signals.size());
  bool all_baselines_zero = true;
  for (std::size_t i = 0; i < signals.size(); ++i) {
    const auto& s = signals[i];
    const auto lead = dsp::canonical_lead_name(s.description);
    if (!lead) {
      throw std::runtime_error(where + ": signal " + std::to_string(i) + " ('" + s.description +
                               "') is not a known ECG lead; the protocol sends canonical lead "
                               "names only");
    }
    study.leads.push_back(*lead);
    gains[i] = s.adc_gain_per_mv;
    if (!(gains[i] > 0)) throw std::runtime_error(where + ": signal " + *lead + " has gain 0");
    resolution_nv[i] = nv_per_unit(s.units, where) / gains[i];
    all_baselines_zero = all_baselines_zero && s.baseline_adu == 0;
  }
  const auto& adu = record.samples_adu;
  std::int64_t max_abs = 0;
  for (std::size_t i = 0; i < adu.size(); ++i) {
    for (const std::int32_t v : adu[i]) {
      max_abs =
          std::max<std::int64_t>(max_abs, std::abs(std::int64_t{v} - signals[i].baseline_adu));
    }
  }
  const bool same_resolution =
      std::all_of(resolution_nv.begin(), resolution_nv.end(), [&](double r) {
        return std::abs(r - resolution_nv.front()) <= 1e-12 * resolution_nv.front();
      });
  study.samples.resize(adu.size());

  if (same_resolution) {
    study.resolution_nv_per_lsb = resolution_nv.front();
    for (std::size_t i = 0; i < adu.size(); ++i) {
      study.samples[i].reserve(adu[i].size());
      for (const std::int32_t v : adu[i]) {
        study.samples[i].push_back(static_cast<std::int32_t>(v - signals[i].baseline_adu));
      }
    }
    out.mode = all_baselines_zero
                   ? "integers as stored in the file"
                   : "integers as stored minus each lead's baseline (exact; same physical values)";
    return out;
  }

  // Different gains: exact common resolution through the LCM of integer gains, if it fits.
  const double units = resolution_nv.front() * gains.front();
  const bool same_units = std::all_of(signals.begin(), signals.end(), [&](const auto& s) {
    return nv_per_unit(s.units, where) == units;
  });
  const bool integer_gains = std::all_of(
      gains.begin(), gains.end(), [](double g) { return std::abs(g - std::round(g)) < 1e-9; });
  if (same_units && integer_gains) {
    std::int64_t lcm = 1;
    bool fits = true;
    for (const double g : gains) {
      lcm = std::lcm(lcm, static_cast<std::int64_t>(std::llround(g)));
      if (lcm > std::numeric_limits<std::int32_t>::max()) {
        fits = false;
        break;
      }
    }
    if (fits) {
      std::int64_t max_factor = 0;
      for (const double g : gains) {
        max_factor = std::max(max_factor, lcm / static_cast<std::int64_t>(std::llround(g)));
      }
      fits = max_abs * max_factor <= std::numeric_limits<std::int32_t>::max();
    }
    if (fits) {
      study.resolution_nv_per_lsb = units / static_cast<double>(lcm);
      for (std::size_t i = 0; i < adu.size(); ++i) {
        const std::int64_t factor = lcm / static_cast<std::int64_t>(std::llround(gains[i]));
        study.samples[i].reserve(adu[i].size());
        for (const std::int32_t v : adu[i]) {
          study.samples[i].push_back(
              static_cast<std::int32_t>((std::int64_t{v} - signals[i].baseline_adu) * factor));
        }
      }
      out.mode = "leads have different gains: integers rescaled exactly to a common " +
                 format_number(study.resolution_nv_per_lsb) + " nV step (× lcm of gains / gain)";
      return out;
    }
  }

  // Last resort: physical values on a fine common step; say exactly how much they may move.
  double max_nv = 0;
  for (std::size_t i = 0; i < adu.size(); ++i) {
    max_nv = std::max(max_nv, static_cast<double>(max_abs) * resolution_nv[i]);
  }
  double step = 1.0;
  while (max_nv / step > std::numeric_limits<std::int32_t>::max() * 0.5) step *= 10;
  study.resolution_nv_per_lsb = step;
  for (std::size_t i = 0; i < adu.size(); ++i) {
    study.samples[i].reserve(adu[i].size());
    for (const std::int32_t v : adu[i]) {
      const double nv =
          static_cast<double>(std::int64_t{v} - signals[i].baseline_adu) * resolution_nv[i];
      study.samples[i].push_back(static_cast<std::int32_t>(std::llround(nv / step)));
    }
  }
  out.exact = false;
  out.mode = "leads have different gains with no exact common step: physical values sent on a " +
             format_number(step) + " nV step (each sample moved by at most " +
             format_number(step / 2) + " nV; the file's integers are not what is stored)";
  return out;
}

ConvertedStudy study_from_ecg_file(const formats::EcgFile& ecg, const std::string& where) {
  ConvertedStudy out = study_from_record(eval::as_wfdb_record(ecg, where), where);
  // 8 stored channels: the server derives the limb leads, as from an 8-channel cart.
  out.study.derive_limb_leads = !ecg.derived_leads.empty();
  out.study.age_years = ecg.source.age_years;
  out.study.sex = ecg.source.sex ? std::string(1, *ecg.source.sex) : std::string();
  // Where it came from, for the study record (issue 13): the vendor's texts are copied as far as
  // the protocol takes them (printable UTF-8), never a reason to refuse the ECG.
  const auto text = [](std::string_view s) { return proto::printable_text(s, proto::Limits{}.max_text_chars); };
  ingest::CartStudy::Source source;
  source.format = text(formats::to_string(ecg.source.format));
  source.file_name = text(std::filesystem::path(where).filename().string());
  source.manufacturer = text(ecg.source.manufacturer);
  source.model = text(ecg.source.model);
  source.serial_number = text(ecg.source.serial);
  source.software = text(ecg.source.software);
  out.study.source = std::move(source);
  return out;
}

std::optional<std::int64_t> parse_acquired_at_unix_ms(const std::string& iso,
                                                      const std::string& zone) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  char t = 0;
  int consumed = 0;
  if (std::sscanf(iso.c_str(), "%4d-%2d-%2d%c%2d:%2d:%2d%n", &year, &month, &day, &t, &hour,
                  &minute, &second, &consumed) != 7 ||
      (t != 'T' && t != ' ')) {
    return std::nullopt;
  }
  if (year < 1970 || year > 9999 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 ||
      minute > 59 || second > 60) {
    return std::nullopt;
  }
  std::int64_t millis = 0;
  const std::string rest = iso.substr(static_cast<std::size_t>(consumed));
  if (!rest.empty()) {
    if (rest.front() != '.' || rest.size() < 2) return std::nullopt;
    int digits = 0;
    for (std::size_t i = 1; i < rest.size(); ++i) {
      if (rest[i] < '0' || rest[i] > '9') return std::nullopt;
      if (digits < 3) millis = millis * 10 + (rest[i] - '0');
      ++digits;
    }
    for (; digits < 3; ++digits) millis *= 10;
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  std::int64_t seconds = 0;
  if (zone.empty()) {
    tm.tm_isdst = -1;  // the cart's local clock: this machine's zone and its daylight rule
    const std::time_t local = std::mktime(&tm);
    if (local == static_cast<std::time_t>(-1)) return std::nullopt;
    seconds = local;
  } else {
    int offset_minutes = 0;
    if (zone != "Z") {
      int zh = 0, zm = 0;
      char sign = 0;
      if (std::sscanf(zone.c_str(), "%c%2d:%2d", &sign, &zh, &zm) != 3 ||
          (sign != '+' && sign != '-') || zh > 14 || zm > 59) {
        return std::nullopt;
      }
      offset_minutes = (sign == '-' ? -1 : 1) * (zh * 60 + zm);
    }
    seconds = static_cast<std::int64_t>(timegm(&tm)) - std::int64_t{offset_minutes} * 60;
  }
  if (seconds < 0) return std::nullopt;
  return seconds * 1000 + millis;
}

std::string sanitize_uid_part(const std::string& text, std::size_t max_chars) {
  std::string out;
  for (const char c : text) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    out += ok ? c : '_';
    if (out.size() >= max_chars) break;
  }
  return out.empty() ? "record" : out;
}

}  // namespace gc::agent
