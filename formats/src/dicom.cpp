// DICOM waveform (PS3.3 A.34 / C.10.9) through DCMTK: 12-lead ECG, general ECG, ambulatory ECG and
// any other waveform object (hemodynamic, …) whose channels are ECG leads. One multiplex group is
// read: the rhythm group — a median-beat group is the device's own and is never mixed in.
// Physical value = baseline + sample × sensitivity × correction factor, in the channel's units.
#include <dcmtk/dcmdata/dcistrmb.h>
#include <dcmtk/dcmdata/dctk.h>
#include <dcmtk/oflog/oflog.h>

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "detail.hpp"

namespace gc::formats::detail {

namespace {

[[noreturn]] void fail(const std::string& why) {
  throw Error("DICOM: " + why);
}

std::string get_string(DcmItem* item, const DcmTagKey& key) {
  OFString v;
  if (item && item->findAndGetOFStringArray(key, v).good()) return trim(v.c_str());
  return {};
}

std::optional<double> get_number(DcmItem* item, const DcmTagKey& key) {
  Float64 v = 0;
  if (item && item->findAndGetFloat64(key, v).good() && std::isfinite(v)) return v;
  return std::nullopt;
}

DcmItem* first_item(DcmItem* item, const DcmTagKey& seq_key) {
  DcmItem* out = nullptr;
  if (item && item->findAndGetSequenceItem(seq_key, out, 0).good()) return out;
  return nullptr;
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// Lead name of a channel source code: SCPECG "5.6.3-9-N", MDC "2:N" or the 18-bit MDC code
// (partition 2 << 16 | N), then the code meaning ("Lead I"). nullopt: not an ECG lead.
std::optional<std::string> channel_lead(DcmItem* channel) {
  DcmItem* src = first_item(channel, DCM_ChannelSourceSequence);
  if (!src) return std::nullopt;
  const std::string value = get_string(src, DCM_CodeValue);
  const std::string scheme = upper(get_string(src, DCM_CodingSchemeDesignator));
  const std::string meaning = get_string(src, DCM_CodeMeaning);
  std::optional<int> term;
  if (scheme == "SCPECG" && value.rfind("5.6.3-9-", 0) == 0) {
    if (auto n = parse_int(value.substr(8))) term = static_cast<int>(*n);
  } else if (scheme == "MDC") {
    if (value.rfind("2:", 0) == 0) {
      if (auto n = parse_int(value.substr(2))) term = static_cast<int>(*n);
    } else if (auto n = parse_int(value); n && (*n >> 16) == 2) {
      term = static_cast<int>(*n & 0xFFFF);
    }
  }
  if (term && *term >= 0 && *term < 1000) {
    if (auto name = lead_name_from_code(*term)) return name;
  }
  // Meanings like "Lead I (Einthoven)" or "Lead V1 (Wilson)": the name before the bracket.
  const auto base = [](const std::string& text) { return trim(text.substr(0, text.find('('))); };
  if (auto name = dsp::canonical_lead_name(base(meaning))) return name;
  // Last, the channel label some writers fill instead of a coded source.
  if (auto name = dsp::canonical_lead_name(base(get_string(channel, DCM_ChannelLabel))))
    return name;
  return std::nullopt;
}

std::optional<double> uv_per_unit(const std::string& ucum) {
  if (ucum == "uV" || ucum == "UV" || ucum == "µV") return 1.0;
  if (ucum == "mV" || ucum == "MV") return 1000.0;
  if (ucum == "V") return 1e6;
  if (ucum == "nV") return 1e-3;
  return std::nullopt;
}

std::string dicom_datetime(const std::string& date, const std::string& time) {
  // DA "YYYYMMDD", TM "HHMMSS.frac" → ISO 8601 as given (no zone).
  if (date.size() < 8) return {};
  // Appends rather than operator+ chains: GCC 12 warns falsely (-Wrestrict) on those here.
  std::string out;
  out.append(date, 0, 4).append("-").append(date, 4, 2).append("-").append(date, 6, 2);
  if (time.size() >= 4) {
    out.append("T").append(time, 0, 2).append(":").append(time, 2, 2).append(":");
    out.append(time.size() >= 6 ? time.substr(4, 2) : std::string("00"));
    if (time.size() > 7 && time[6] == '.') out.append(time, 6);
  }
  return out;
}

std::string zone_text(const std::string& z) {  // "+0800" → "+08:00"
  if (z.size() == 5 && (z[0] == '+' || z[0] == '-')) return z.substr(0, 3) + ":" + z.substr(3);
  return {};
}

struct Group {
  DcmItem* item = nullptr;
  std::string label;
  std::size_t ecg_channels = 0;
  unsigned long samples = 0;
};

struct GroupData {
  double rate_hz = 0;
  std::vector<StoredLead> leads;
};

// The ECG channels of one multiplex group, sizes checked against the data before allocating.
GroupData read_group(DcmItem* wf) {
  Uint16 n_channels = 0;
  Uint32 n_samples = 0;
  Uint16 bits_allocated = 0;
  wf->findAndGetUint16(DCM_NumberOfWaveformChannels, n_channels);
  wf->findAndGetUint32(DCM_NumberOfWaveformSamples, n_samples);
  wf->findAndGetUint16(DCM_WaveformBitsAllocated, bits_allocated);
  const auto rate_hz = get_number(wf, DCM_SamplingFrequency);
  const std::string interp = upper(get_string(wf, DCM_WaveformSampleInterpretation));
  if (!rate_hz) fail("no sampling frequency");
  if (n_channels == 0 || n_channels > 256)
    fail("number of waveform channels " + std::to_string(n_channels));
  if (n_samples == 0 || n_samples > kMaxSamplesPerLead)
    fail("number of waveform samples " + std::to_string(n_samples));
  if (bits_allocated != 8 && bits_allocated != 16) {
    fail("waveform bits allocated " + std::to_string(bits_allocated) + " (8 or 16 supported)");
  }
  if (!(interp == "SS" || interp == "US" || interp == "SB" || interp == "UB")) {
    fail("waveform sample interpretation '" + interp + "' not supported (SS, US, SB, UB)");
  }
  DcmSequenceOfItems* channels = nullptr;
  wf->findAndGetSequence(DCM_ChannelDefinitionSequence, channels);
  if (!channels || channels->card() != n_channels) {
    fail("channel definition sequence holds " + std::to_string(channels ? channels->card() : 0) +
         " items for " + std::to_string(n_channels) + " channels");
  }

  DcmElement* data = nullptr;
  if (wf->findAndGetElement(DCM_WaveformData, data).bad() || !data) fail("no waveform data");
  const std::size_t bytes_per_sample = bits_allocated / 8;
  const std::size_t need = std::size_t{n_channels} * n_samples * bytes_per_sample;
  if (data->getLength() < need) {
    fail("waveform data holds " + std::to_string(data->getLength()) + " bytes, " +
         std::to_string(n_channels) + " channels × " + std::to_string(n_samples) +
         " samples need " + std::to_string(need));
  }
  const Uint16* words = nullptr;
  const Uint8* octets = nullptr;
  std::vector<Uint16> ob_words;  // 16-bit samples some writers store with VR OB (little-endian)
  if (bits_allocated == 16) {
    Uint16* w = nullptr;
    Uint8* o = nullptr;
    if (data->getUint16Array(w).good() && w) {
      words = w;
    } else if (data->getUint8Array(o).good() && o) {
      ob_words.resize(need / 2);
      for (std::size_t i = 0; i < ob_words.size(); ++i) {
        ob_words[i] = static_cast<Uint16>(o[2 * i] | (o[2 * i + 1] << 8));
      }
      words = ob_words.data();
    } else {
      fail("waveform data holds neither 16-bit words nor bytes");
    }
  } else {
    Uint8* o = nullptr;
    if (data->getUint8Array(o).bad() || !o) fail("waveform data is not bytes");
    octets = o;
  }
  const bool is_signed = interp[0] == 'S';

  std::vector<StoredLead> leads;
  for (Uint16 c = 0; c < n_channels; ++c) {
    DcmItem* ch = channels->getItem(c);
    const auto name = channel_lead(ch);
    if (!name) continue;  // a pressure or respiration channel beside the ECG
    const double sensitivity = get_number(ch, DCM_ChannelSensitivity).value_or(1.0);
    const double correction = get_number(ch, DCM_ChannelSensitivityCorrectionFactor).value_or(1.0);
    const double baseline = get_number(ch, DCM_ChannelBaseline).value_or(0.0);
    const std::string units =
        get_string(first_item(ch, DCM_ChannelSensitivityUnitsSequence), DCM_CodeValue);
    const auto per_unit = uv_per_unit(units);
    if (!per_unit) fail("lead " + *name + ": sensitivity units '" + units + "' are not a voltage");
    StoredLead lead;
    lead.name = *name;
    lead.uv_per_count = sensitivity * correction * *per_unit;
    lead.offset_uv = baseline * *per_unit;
    lead.counts.resize(n_samples);
    for (Uint32 s = 0; s < n_samples; ++s) {
      const std::size_t i = std::size_t{s} * n_channels + c;
      std::int32_t v = 0;
      if (words)
        v = is_signed ? static_cast<std::int16_t>(words[i]) : static_cast<std::int32_t>(words[i]);
      else
        v = is_signed ? static_cast<std::int8_t>(octets[i]) : static_cast<std::int32_t>(octets[i]);
      lead.counts[s] = v;
    }
    leads.push_back(std::move(lead));
  }
  return {*rate_hz, std::move(leads)};
}

// DCMTK allocates an element's declared length before it reads the bytes (found by fuzzing: a
// 2.6 KB file asked for 4 GB inside a sequence item). So every declared length is first checked
// against the bytes that remain in its enclosing item, walking the encoding ourselves.
class LengthCheck {
 public:
  explicit LengthCheck(std::span<const std::uint8_t> b) : b_(b) {}

  void run() {
    std::size_t pos = 0;
    bool has_meta = false;
    if (b_.size() >= 132 && std::memcmp(b_.data() + 128, "DICM", 4) == 0) {
      pos = 132;
      has_meta = true;
    } else if (b_.size() >= 4 && u16(0, false) == 0x0002) {
      has_meta = true;  // meta group without the preamble
    }
    bool explicit_vr = true, big_endian = false;
    if (has_meta) {
      // The meta group is explicit VR little endian and names the dataset's transfer syntax.
      std::string syntax;
      while (pos + 8 <= b_.size() && u16(pos, false) == 0x0002) {
        const std::size_t start = pos;
        const auto [tag, length] = header(pos, true, false);
        need(pos, length, tag);
        if (tag == 0x00020010) {
          syntax.assign(reinterpret_cast<const char*>(b_.data() + pos), length);
          syntax = syntax.substr(0, syntax.find_last_not_of(std::string(" \0", 2)) + 1);
        }
        pos += length;
        if (pos <= start) fail("meta header does not advance");
      }
      if (syntax == "1.2.840.10008.1.2") {
        explicit_vr = false;
      } else if (syntax == "1.2.840.10008.1.2.2") {
        big_endian = true;
      } else if (syntax == "1.2.840.10008.1.2.1.99") {
        // The lengths inside a deflated dataset cannot be checked before inflating it.
        throw Error("unsupported format: deflated DICOM transfer syntax (1.2.840.10008.1.2.1.99)");
      }
    } else {
      explicit_vr = b_.size() >= 6 && std::isupper(b_[4]) && std::isupper(b_[5]);
    }
    walk(pos, b_.size(), explicit_vr, big_endian, 0);
  }

 private:
  static constexpr std::uint32_t kUndefined = 0xFFFFFFFF;

  [[noreturn]] static void fail(const std::string& why) { throw Error("DICOM: " + why); }

  std::uint16_t u16(std::size_t at, bool be) const {
    if (at + 2 > b_.size()) fail("truncated element header");
    return be ? static_cast<std::uint16_t>(b_[at] << 8 | b_[at + 1])
              : static_cast<std::uint16_t>(b_[at] | b_[at + 1] << 8);
  }
  std::uint32_t u32(std::size_t at, bool be) const {
    const std::uint32_t a = u16(at, be), b = u16(at + 2, be);
    return be ? (a << 16 | b) : (b << 16 | a);
  }
  static std::string tag_text(std::uint32_t tag) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "(%04x,%04x)", tag >> 16, tag & 0xFFFF);
    return buf;
  }
  void need(std::size_t pos, std::uint32_t length, std::uint32_t tag, std::size_t end = 0) const {
    if (end == 0) end = b_.size();
    if (pos > end || length > end - pos) {
      fail("element " + tag_text(tag) + " declares " + std::to_string(length) + " bytes, " +
           std::to_string(pos > end ? 0 : end - pos) + " remain");
    }
  }

  // Reads a tag and its length at pos (advancing past the header); explicit VR also says
  // whether the element is a sequence.
  std::pair<std::uint32_t, std::uint32_t> header(std::size_t& pos, bool explicit_vr, bool be,
                                                 bool* is_sequence = nullptr) const {
    const std::uint32_t tag = static_cast<std::uint32_t>(u16(pos, be)) << 16 | u16(pos + 2, be);
    pos += 4;
    if ((tag >> 16) == 0xFFFE || !explicit_vr) {  // items and delimiters: no VR
      const std::uint32_t length = u32(pos, be);
      pos += 4;
      if (is_sequence && (tag >> 16) != 0xFFFE) {
        const DcmTag known(static_cast<Uint16>(tag >> 16), static_cast<Uint16>(tag & 0xFFFF));
        *is_sequence = known.getEVR() == EVR_SQ || length == kUndefined;
      }
      return {tag, length};
    }
    if (pos + 2 > b_.size()) fail("truncated element header");
    const std::string vr(reinterpret_cast<const char*>(b_.data() + pos), 2);
    pos += 2;
    static const char* kLong[] = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ",
                                  "SV", "UC", "UN", "UR", "UT", "UV"};
    bool long_form = false;
    for (const char* l : kLong) long_form = long_form || vr == l;
    std::uint32_t length = 0;
    if (long_form) {
      length = u32(pos + 2, be);
      pos += 6;
    } else {
      length = u16(pos, be);
      pos += 2;
    }
    if (is_sequence) *is_sequence = vr == "SQ" || (vr == "UN" && length == kUndefined);
    return {tag, length};
  }

  // Elements in [pos, end); returns where a delimiter (item or sequence end) stopped the walk.
  std::size_t walk(std::size_t pos, std::size_t end, bool explicit_vr, bool be, int depth) {
    if (depth > 32) fail("sequences nested more than 32 deep");
    while (pos < end) {
      if (++elements_ > 1'000'000) fail("more than a million elements");
      bool is_sequence = false;
      const auto [tag, length] = header(pos, explicit_vr, be, &is_sequence);
      if (tag == 0xFFFEE00D || tag == 0xFFFEE0DD) return pos;  // item / sequence delimiter
      if (tag == 0xFFFEE000) {                                 // an item
        if (length == kUndefined) {
          pos = walk(pos, end, explicit_vr, be, depth + 1);
        } else {
          need(pos, length, tag, end);
          walk(pos, pos + length, explicit_vr, be, depth + 1);
          pos += length;
        }
        continue;
      }
      if (length == kUndefined) {
        if (!is_sequence && (tag & 0xFFFF0000) != 0x7FE00000) {
          fail("element " + tag_text(tag) + " has an undefined length but is no sequence");
        }
        pos = walk(pos, end, explicit_vr, be, depth + 1);  // items until the sequence delimiter
        continue;
      }
      need(pos, length, tag, end);
      if (is_sequence) walk(pos, pos + length, explicit_vr, be, depth + 1);
      pos += length;
    }
    return pos;
  }

  std::span<const std::uint8_t> b_;
  std::size_t elements_ = 0;
};

// A private temporary copy of the input (mkstemp: mode 0600), removed on destruction.
class TempFile {
 public:
  explicit TempFile(std::span<const std::uint8_t> bytes) {
    std::string name = (std::filesystem::temp_directory_path() / "gc-dicom-XXXXXX").string();
    const int fd = ::mkstemp(name.data());
    if (fd < 0)
      throw Error("DICOM: cannot create a temporary file: " + std::string(std::strerror(errno)));
    path_ = name;
    std::size_t done = 0;
    while (done < bytes.size()) {
      const auto n = ::write(fd, bytes.data() + done, bytes.size() - done);
      if (n <= 0) {
        ::close(fd);
        std::remove(path_.c_str());
        throw Error("DICOM: cannot write a temporary file: " + std::string(std::strerror(errno)));
      }
      done += static_cast<std::size_t>(n);
    }
    ::close(fd);
  }
  ~TempFile() { std::remove(path_.c_str()); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

EcgFile read_dicom(std::span<const std::uint8_t> bytes) {
  // DCMTK logs parse problems to stderr; they reach the caller as our one-line error instead.
  static const bool quiet = [] {
    OFLog::getLogger("dcmtk").setLogLevel(OFLogger::FATAL_LOG_LEVEL);
    return true;
  }();
  (void)quiet;
  LengthCheck(bytes).run();
  // DCMTK checks a declared length against the bytes left, and defers loading values longer than
  // DCM_MaxReadLength, only when it reads from a file: from a memory buffer it allocates what a
  // length says (fuzzing found 1–4 GB requests from 2.6 KB inputs). So the bytes go through a
  // private temporary file, removed when this function returns (after `file` is destroyed).
  const TempFile temp(bytes);
  DcmFileFormat file;
  const OFCondition status = file.loadFile(temp.path().c_str(), EXS_Unknown, EGL_noChange,
                                           DCM_MaxReadLength, ERM_autoDetect);
  if (status.bad()) fail(std::string("cannot parse: ") + status.text());
  DcmDataset* ds = file.getDataset();

  Source src;
  src.format = Format::dicom;
  src.format_version = get_string(ds, DCM_SOPClassUID);
  src.manufacturer = get_string(ds, DCM_Manufacturer);
  src.model = get_string(ds, DCM_ManufacturerModelName);
  src.serial = get_string(ds, DCM_DeviceSerialNumber);
  src.software = get_string(ds, DCM_SoftwareVersions);
  std::replace(src.software.begin(), src.software.end(), '\\', ' ');
  src.patient_id = get_string(ds, DCM_PatientID);
  const std::string sex = upper(get_string(ds, DCM_PatientSex));
  if (sex == "M" || sex == "F") src.sex = sex[0];
  const std::string age = get_string(ds, DCM_PatientAge);  // "050Y"
  if (age.size() == 4 && age[3] == 'Y') {
    if (auto a = parse_int(age.substr(0, 3))) src.age_years = static_cast<int>(*a);
  } else if (age.size() == 4 && (age[3] == 'M' || age[3] == 'W' || age[3] == 'D')) {
    src.age_years = 0;
  }
  std::string dt = get_string(ds, DCM_AcquisitionDateTime);
  if (!dt.empty()) {
    // DT may carry its own zone suffix ("…+0800").
    const auto sign = dt.find_first_of("+-", 8);
    if (sign != std::string::npos) {
      src.acquired_zone = zone_text(dt.substr(sign));
      dt = dt.substr(0, sign);
    }
    src.acquired_at = dicom_datetime(dt.substr(0, 8), dt.size() > 8 ? dt.substr(8) : "");
  } else {
    src.acquired_at =
        dicom_datetime(get_string(ds, DCM_AcquisitionDate), get_string(ds, DCM_AcquisitionTime));
    if (src.acquired_at.empty()) {
      src.acquired_at =
          dicom_datetime(get_string(ds, DCM_ContentDate), get_string(ds, DCM_ContentTime));
    }
  }
  if (src.acquired_zone.empty())
    src.acquired_zone = zone_text(get_string(ds, DCM_TimezoneOffsetFromUTC));

  DcmSequenceOfItems* waveforms = nullptr;
  if (ds->findAndGetSequence(DCM_WaveformSequence, waveforms).bad() || !waveforms ||
      waveforms->card() == 0) {
    const std::string sop =
        src.format_version.empty() ? "no SOP class" : "SOP class " + src.format_version;
    throw Error("unsupported format: DICOM object without a waveform sequence (" + sop + ")");
  }

  std::vector<Group> groups;
  for (unsigned long g = 0; g < waveforms->card(); ++g) {
    Group grp;
    grp.item = waveforms->getItem(g);
    grp.label = upper(get_string(grp.item, DCM_MultiplexGroupLabel));
    Uint32 n = 0;
    grp.item->findAndGetUint32(DCM_NumberOfWaveformSamples, n);
    grp.samples = n;
    DcmSequenceOfItems* channels = nullptr;
    if (grp.item->findAndGetSequence(DCM_ChannelDefinitionSequence, channels).good() && channels) {
      for (unsigned long c = 0; c < channels->card(); ++c) {
        if (channel_lead(channels->getItem(c))) ++grp.ecg_channels;
      }
    }
    if (grp.ecg_channels > 0) groups.push_back(grp);
  }
  if (groups.empty()) throw Error("unsupported format: DICOM waveform without ECG lead channels");
  // Prefer rhythm data over the device's median beat; then the longest group.
  const auto is_median = [](const Group& g) {
    return g.label.find("MEDIAN") != std::string::npos ||
           g.label.find("REPRESENTATIVE") != std::string::npos;
  };
  std::stable_sort(groups.begin(), groups.end(), [&](const Group& a, const Group& b) {
    if (is_median(a) != is_median(b)) return !is_median(a);
    const bool ra = a.label == "RHYTHM", rb = b.label == "RHYTHM";
    if (ra != rb) return ra;
    return a.samples > b.samples;
  });
  if (is_median(groups.front())) fail("only a median-beat multiplex group, no rhythm data");
  GroupData rhythm = read_group(groups.front().item);
  EcgFile out = assemble(std::move(src), rhythm.rate_hz, std::move(rhythm.leads), "DICOM");
  // The device's own median beat is kept as the device's (never analysed here); a damaged one
  // does not make the rhythm unreadable: it is not kept, and the warning says why.
  for (const auto& g : groups) {
    if (!is_median(g)) continue;
    try {
      GroupData median = read_group(g.item);
      keep_device_median(out, DeviceMedian{median.rate_hz, std::move(median.leads)}, "DICOM");
    } catch (const Error& e) {
      out.warnings.push_back(std::string("device median beat not kept: ") + e.what());
    }
    break;
  }
  return out;
}

}  // namespace gc::formats::detail
