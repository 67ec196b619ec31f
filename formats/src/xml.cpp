// The XML ECG formats, chosen by root element: HL7 aECG (AnnotatedECG), GE MUSE (RestingECG),
// Philips Sierra (restingecgdata, XLI-compressed, UTF-8 or UTF-16) and GE CardioSoft
// (CardiologyXML). Element names are compared without namespace prefixes.
#include <pugixml.hpp>

#include <cmath>
#include <cstring>

#include "detail.hpp"

namespace gc::formats::detail {

namespace {

std::string_view local_name(const char* name) {
  std::string_view n(name);
  const auto colon = n.find(':');
  return colon == std::string_view::npos ? n : n.substr(colon + 1);
}

pugi::xml_node child(const pugi::xml_node& node, std::string_view name) {
  for (auto c : node.children()) {
    if (c.type() == pugi::node_element && local_name(c.name()) == name) return c;
  }
  return {};
}

pugi::xml_node path(pugi::xml_node node, std::initializer_list<std::string_view> names) {
  for (const auto n : names) {
    node = child(node, n);
    if (!node) return {};
  }
  return node;
}

std::string text_of(const pugi::xml_node& node) {
  return node ? trim(node.child_value()) : std::string();
}

std::vector<pugi::xml_node> children(const pugi::xml_node& node, std::string_view name) {
  std::vector<pugi::xml_node> out;
  for (auto c : node.children()) {
    if (c.type() == pugi::node_element && local_name(c.name()) == name) out.push_back(c);
  }
  return out;
}

// Whitespace- or comma-separated integers, at most `limit` of them.
std::vector<std::int32_t> integer_list(const char* text, std::int64_t limit,
                                       const std::string& what) {
  std::vector<std::int32_t> out;
  const char* p = text;
  while (*p) {
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == ',') ++p;
    if (!*p) break;
    char* end = nullptr;
    const long long v = std::strtoll(p, &end, 10);
    if (end == p)
      throw Error(what + ": '" + std::string(p, std::min<std::size_t>(std::strlen(p), 12)) +
                  "' is not an integer sample");
    if (v > INT32_MAX || v < INT32_MIN)
      throw Error(what + ": sample " + std::to_string(v) + " out of range");
    if (static_cast<std::int64_t>(out.size()) >= limit)
      throw Error(what + ": more than " + std::to_string(limit) + " samples");
    out.push_back(static_cast<std::int32_t>(v));
    p = end;
  }
  return out;
}

std::vector<std::int32_t> int16_le(const std::vector<std::uint8_t>& b, std::size_t n) {
  std::vector<std::int32_t> out(n);
  for (std::size_t i = 0; i < n; ++i)
    out[i] = static_cast<std::int16_t>(b[2 * i] | (b[2 * i + 1] << 8));
  return out;
}

// HL7 TS "YYYYMMDDHHMMSS.UUUU±ZZZZ" → ISO 8601 (as given) and the zone "±ZZ:ZZ" when present.
void hl7_time(const std::string& ts, Source& src) {
  std::string t = ts;
  const auto sign = t.find_first_of("+-");
  if (sign != std::string::npos) {
    const std::string z = t.substr(sign);
    if (z.size() == 5) src.acquired_zone = z.substr(0, 3) + ":" + z.substr(3);
    t = t.substr(0, sign);
  }
  if (t.size() < 8) return;
  std::string out = t.substr(0, 4) + "-" + t.substr(4, 2) + "-" + t.substr(6, 2);
  if (t.size() >= 12) {
    out += "T" + t.substr(8, 2) + ":" + t.substr(10, 2) + ":" +
           (t.size() >= 14 ? t.substr(12, 2) : "00");
    if (t.size() > 15 && t[14] == '.') out += t.substr(14);
  }
  src.acquired_at = out;
}

std::optional<double> uv_per(const std::string& unit) {
  if (unit == "uV" || unit == "µV" || unit.empty()) return 1.0;
  if (unit == "mV") return 1000.0;
  if (unit == "V") return 1e6;
  if (unit == "nV") return 1e-3;
  return std::nullopt;
}

}  // namespace

// The leads of a series' first sequence set with leads, with the rate from its time sequence.
DeviceMedian aecg_sequence_set(const pugi::xml_node& series, const std::string& what) {
  // The first sequence set with leads.
  std::vector<StoredLead> leads;
  double rate_hz = 0;
  for (auto comp : children(series, "component")) {
    auto set = child(comp, "sequenceSet");
    if (!set) continue;
    for (auto sc : children(set, "component")) {
      auto seq = child(sc, "sequence");
      const std::string code = child(seq, "code").attribute("code").value();
      auto value = child(seq, "value");
      if (code == "TIME_ABSOLUTE" || code == "TIME_RELATIVE") {
        auto inc = child(value, "increment");
        auto v = parse_double(inc.attribute("value").value());
        std::string unit = inc.attribute("unit").value();
        double seconds = 0;
        if (v && unit == "s")
          seconds = *v;
        else if (v && unit == "ms")
          seconds = *v / 1000;
        else
          throw Error(what + ": time increment '" + std::string(inc.attribute("value").value()) +
                      " " + unit + "' not understood");
        if (!(seconds > 0)) throw Error(what + ": time increment must be positive");
        rate_hz = 1.0 / seconds;
        continue;
      }
      if (code.rfind("MDC_ECG_LEAD_", 0) != 0) continue;
      StoredLead lead;
      lead.name = code.substr(13);
      auto origin = child(value, "origin");
      auto scale = child(value, "scale");
      const auto o = parse_double(origin.attribute("value").value()).value_or(0.0);
      const auto s = parse_double(scale.attribute("value").value());
      const auto ou = uv_per(origin.attribute("unit").value());
      const auto su = uv_per(scale.attribute("unit").value());
      if (!s || !ou || !su)
        throw Error(what + ": lead " + lead.name + " has no usable scale / units");
      lead.offset_uv = o * *ou;
      lead.uv_per_count = *s * *su;
      lead.counts = integer_list(child(value, "digits").child_value(), kMaxSamplesPerLead,
                                 what + " lead " + lead.name);
      leads.push_back(std::move(lead));
    }
    if (!leads.empty()) break;
  }
  if (rate_hz == 0) throw Error(what + ": no time sequence with an increment");
  for (auto& l : leads) {
    // MDC spellings: AVR, V3R, … → canonical; others keep the MDC suffix.
    if (auto c = dsp::canonical_lead_name(l.name)) l.name = *c;
  }
  return {rate_hz, std::move(leads)};
}

// ---------------------------------------------------------------- HL7 aECG
EcgFile read_aecg(const pugi::xml_node& root) {
  const std::string what = "HL7 aECG";
  Source src;
  src.format = Format::hl7_aecg;
  // Rhythm series are components of the AnnotatedECG; median beats sit under a series'
  // derivation/derivedSeries and are the device's, so only direct series are read.
  pugi::xml_node series;
  for (auto comp : children(root, "component")) {
    auto s = child(comp, "series");
    if (!s) continue;
    const std::string code = child(s, "code").attribute("code").value();
    if (code == "RHYTHM" || (!series && code != "REPRESENTATIVE_BEAT")) series = s;
  }
  if (!series) throw Error(what + ": no rhythm series");

  // Device and time.
  auto author = path(series, {"author", "seriesAuthor"});
  auto device = child(author, "manufacturedSeriesDevice");
  src.model = text_of(child(device, "manufacturerModelName"));
  src.software = text_of(child(device, "softwareName"));
  src.serial = child(device, "id").attribute("extension").value();
  src.manufacturer = text_of(path(author, {"manufacturerOrganization", "name"}));
  std::string ts = path(series, {"effectiveTime", "low"}).attribute("value").value();
  if (ts.empty()) ts = path(root, {"effectiveTime", "center"}).attribute("value").value();
  if (ts.empty()) ts = path(root, {"effectiveTime", "low"}).attribute("value").value();
  hl7_time(ts, src);
  // Subject: componentOf/timepointEvent/componentOf/subjectAssignment/subject/trialSubject.
  auto subject = path(root, {"componentOf", "timepointEvent", "componentOf", "subjectAssignment",
                             "subject", "trialSubject"});
  src.patient_id = child(subject, "id").attribute("extension").value();
  auto person = child(subject, "subjectDemographicPerson");
  const std::string sex = child(person, "administrativeGenderCode").attribute("code").value();
  if (sex == "M" || sex == "F") src.sex = sex[0];
  for (auto n : root.select_nodes("//*[local-name()='code'][@code='21612-7']")) {
    auto value = child(n.node().parent(), "value");
    if (auto age = parse_double(value.attribute("value").value())) {
      const std::string unit = value.attribute("unit").value();
      if (unit == "a" || unit.empty()) src.age_years = static_cast<int>(*age);
    }
    break;
  }
  if (!src.age_years) {
    const std::string birth = child(person, "birthTime").attribute("value").value();
    if (birth.size() >= 8 && src.acquired_at.size() >= 10) {
      const auto by = parse_int(birth.substr(0, 4)), bm = parse_int(birth.substr(4, 2)),
                 bd = parse_int(birth.substr(6, 2));
      const auto ay = parse_int(src.acquired_at.substr(0, 4)),
                 am = parse_int(src.acquired_at.substr(5, 2)),
                 ad = parse_int(src.acquired_at.substr(8, 2));
      if (by && bm && bd && ay && am && ad) {
        int age = static_cast<int>(*ay - *by);
        if (*am < *bm || (*am == *bm && *ad < *bd)) --age;
        if (age >= 0 && age < 150) src.age_years = age;  // computed from birth date and ECG date
      }
    }
  }

  auto data = aecg_sequence_set(series, what);
  EcgFile out = assemble(std::move(src), data.sample_rate_hz, std::move(data.leads), what);
  // The device's representative beats (a derived series): kept as the device's, not analysed.
  for (auto derived : children(child(series, "derivation"), "derivedSeries")) {
    if (std::string(child(derived, "code").attribute("code").value()) != "REPRESENTATIVE_BEAT")
      continue;
    try {
      keep_device_median(out, aecg_sequence_set(derived, what + " median"), what);
    } catch (const Error& e) {
      out.warnings.push_back(std::string("device median beat not kept: ") + e.what());
    }
    break;
  }
  return out;
}

// One MUSE <Waveform>: its rate (SampleBase × 10^SampleExponent) and base64 int16 leads.
DeviceMedian muse_waveform(const pugi::xml_node& w, const std::string& what) {
  const auto base = parse_double(text_of(child(w, "SampleBase")));
  const auto exponent = parse_int(text_of(child(w, "SampleExponent"))).value_or(0);
  if (!base || exponent < -3 || exponent > 3)
    throw Error(what + ": no usable SampleBase/SampleExponent");
  const double rate_hz = *base * std::pow(10.0, static_cast<double>(exponent));

  std::vector<StoredLead> leads;
  for (auto ld : children(w, "LeadData")) {
    StoredLead lead;
    lead.name = text_of(child(ld, "LeadID"));
    const auto n = parse_int(text_of(child(ld, "LeadSampleCountTotal")));
    const auto per_bit = parse_double(text_of(child(ld, "LeadAmplitudeUnitsPerBit")));
    const std::string units = text_of(child(ld, "LeadAmplitudeUnits"));
    const auto size = parse_int(text_of(child(ld, "LeadSampleSize"))).value_or(2);
    if (!n || *n <= 0 || *n > kMaxSamplesPerLead)
      throw Error(what + ": lead " + lead.name + ": bad LeadSampleCountTotal");
    if (!per_bit) throw Error(what + ": lead " + lead.name + ": no LeadAmplitudeUnitsPerBit");
    if (size != 2)
      throw Error(what + ": lead " + lead.name + ": sample size " + std::to_string(size) +
                  " (2 supported)");
    double unit_uv = 1;
    if (units == "MICROVOLTS" || units.empty())
      unit_uv = 1;
    else if (units == "MILLIVOLTS")
      unit_uv = 1000;
    else
      throw Error(what + ": lead " + lead.name + ": amplitude units '" + units + "'");
    const auto bytes = base64_decode(child(ld, "WaveFormData").child_value());
    if (!bytes) throw Error(what + ": lead " + lead.name + ": invalid base64");
    if (bytes->size() < static_cast<std::size_t>(*n) * 2) {
      throw Error(what + ": lead " + lead.name + ": " + std::to_string(bytes->size()) +
                  " bytes for " + std::to_string(*n) + " samples");
    }
    lead.counts = int16_le(*bytes, static_cast<std::size_t>(*n));
    lead.uv_per_count = *per_bit * unit_uv;
    leads.push_back(std::move(lead));
  }
  return {rate_hz, std::move(leads)};
}

// ---------------------------------------------------------------- GE MUSE
EcgFile read_muse(const pugi::xml_node& root) {
  const std::string what = "GE MUSE XML";
  Source src;
  src.format = Format::ge_muse;
  src.format_version = text_of(path(root, {"MuseInfo", "MuseVersion"}));
  auto demo = child(root, "PatientDemographics");
  src.patient_id = text_of(child(demo, "PatientID"));
  if (auto a = parse_int(text_of(child(demo, "PatientAge")))) {
    const std::string units = text_of(child(demo, "AgeUnits"));
    if (units.empty() || units == "YEARS") src.age_years = static_cast<int>(*a);
  }
  const std::string gender = text_of(child(demo, "Gender"));
  if (gender == "MALE")
    src.sex = 'M';
  else if (gender == "FEMALE")
    src.sex = 'F';
  auto test = child(root, "TestDemographics");
  src.model = text_of(child(test, "AcquisitionDevice"));
  src.software = text_of(child(test, "AcquisitionSoftwareVersion"));
  const std::string date = text_of(child(test, "AcquisitionDate"));  // MM-DD-YYYY
  const std::string time = text_of(child(test, "AcquisitionTime"));
  if (date.size() == 10) {
    src.acquired_at = date.substr(6, 4) + "-" + date.substr(0, 2) + "-" + date.substr(3, 2);
    if (!time.empty()) src.acquired_at += "T" + time;
  }

  pugi::xml_node rhythm, median;
  for (auto w : children(root, "Waveform")) {
    const std::string type = text_of(child(w, "WaveformType"));
    if (type == "Rhythm") rhythm = w;
    if (type == "Median") median = w;
  }
  if (!rhythm) throw Error(what + ": no Rhythm waveform (only median beats?)");
  auto data = muse_waveform(rhythm, what);
  EcgFile out = assemble(std::move(src), data.sample_rate_hz, std::move(data.leads), what);
  if (median) {
    // The device's median beats: kept as the device's, never analysed here.
    try {
      keep_device_median(out, muse_waveform(median, what + " median"), what);
    } catch (const Error& e) {
      out.warnings.push_back(std::string("device median beat not kept: ") + e.what());
    }
  }
  return out;
}

// ---------------------------------------------------------------- Philips Sierra
namespace {

// LZW with 10-bit codes, MSB first, no clear code; dictionary grows to code 1022 and then stays.
std::vector<std::uint8_t> lzw10(std::span<const std::uint8_t> in, std::size_t max_out,
                                const std::string& what) {
  constexpr int kBits = 10;
  constexpr std::uint32_t kMaxCode = (1u << kBits) - 2;
  std::vector<std::uint32_t> prefix(kMaxCode + 1, 0);
  std::vector<std::uint8_t> suffix(kMaxCode + 1, 0), first(kMaxCode + 1, 0);
  std::vector<std::uint16_t> length(kMaxCode + 1, 0);
  for (std::uint32_t i = 0; i < 256; ++i) {
    suffix[i] = first[i] = static_cast<std::uint8_t>(i);
    length[i] = 1;
  }
  std::uint32_t next = 256;
  std::vector<std::uint8_t> out;
  std::vector<std::uint8_t> buf;
  std::int64_t prev = -1;
  const std::size_t n_codes = in.size() * 8 / kBits;
  for (std::size_t k = 0; k < n_codes; ++k) {
    std::uint32_t code = 0;
    for (int b = 0; b < kBits; ++b) {
      const std::size_t bit = k * kBits + static_cast<std::size_t>(b);
      code = (code << 1) | ((in[bit >> 3] >> (7 - (bit & 7))) & 1u);
    }
    if (code > kMaxCode) break;  // 1023: end of data
    if (code > next || (code == next && prev < 0) || (code >= next && next > kMaxCode)) {
      throw Error(what + ": corrupt XLI data (LZW code " + std::to_string(code) + ")");
    }
    const bool known = code < next;
    // Emit the string for code (or prev + first(prev) for the code being defined).
    const std::uint32_t walk = known ? code : static_cast<std::uint32_t>(prev);
    buf.assign(length[walk], 0);
    std::uint32_t c = walk;
    for (std::size_t i = buf.size(); i-- > 0;) {
      buf[i] = suffix[c];
      c = prefix[c];
    }
    if (!known) buf.push_back(first[walk]);
    if (out.size() + buf.size() > max_out)
      throw Error(what + ": XLI data expand beyond the declared size");
    out.insert(out.end(), buf.begin(), buf.end());
    if (prev >= 0 && next <= kMaxCode) {
      prefix[next] = static_cast<std::uint32_t>(prev);
      suffix[next] = buf.front();
      first[next] = first[prev];
      length[next] = static_cast<std::uint16_t>(length[prev] + 1);
      ++next;
    }
    prev = code;
  }
  return out;
}

}  // namespace

// XLI: per lead a chunk [size:int32][unused:int16][start:int16][LZW bytes]; the decompressed
// bytes hold the high bytes of the 16-bit delta codes, then the low bytes; the deltas are a
// second-order prediction with a bias of 64.
std::vector<std::vector<std::int32_t>> decode_xli(std::span<const std::uint8_t> b,
                                                  std::size_t n_leads, std::size_t n_samples,
                                                  const std::string& what) {
  std::vector<std::vector<std::int32_t>> leads;
  std::size_t off = 0;
  while (leads.size() < n_leads) {
    if (off + 8 > b.size()) {
      throw Error(what + ": XLI data end after " + std::to_string(leads.size()) + " of " +
                  std::to_string(n_leads) + " leads");
    }
    const std::uint32_t size = static_cast<std::uint32_t>(b[off]) |
                               (static_cast<std::uint32_t>(b[off + 1]) << 8) |
                               (static_cast<std::uint32_t>(b[off + 2]) << 16) |
                               (static_cast<std::uint32_t>(b[off + 3]) << 24);
    const std::int16_t start = static_cast<std::int16_t>(b[off + 6] | (b[off + 7] << 8));
    off += 8;
    if (size > b.size() - off)
      throw Error(what + ": XLI chunk of " + std::to_string(size) + " bytes exceeds the data");
    // A lead decompresses to 2 bytes per sample (Philips writes exactly that); a little slack.
    const auto bytes = lzw10(b.subspan(off, size), 2 * n_samples + 4096, what);
    off += size;
    const std::size_t n = (bytes.size() + 1) / 2;
    if (n < n_samples) {
      throw Error(what + ": XLI lead " + std::to_string(leads.size() + 1) + " holds " +
                  std::to_string(n) + " of " + std::to_string(n_samples) + " samples");
    }
    std::vector<std::int64_t> v(n);
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t j = n + i;
      v[i] = static_cast<std::int16_t>((bytes[i] << 8) | (j < bytes.size() ? bytes[j] : 0));
    }
    if (n >= 2) {
      std::int64_t x = v[0], y = v[1], last = start;
      for (std::size_t i = 2; i < n; ++i) {
        const std::int64_t z = 2 * y - x - last;
        last = v[i] - 64;
        v[i] = z;
        x = y;
        y = z;
        if (z > INT32_MAX / 4 || z < INT32_MIN / 4) throw Error(what + ": XLI samples overflow");
      }
    }
    leads.emplace_back(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n_samples));
  }
  return leads;
}

EcgFile read_sierra(const pugi::xml_node& root) {
  const std::string what = "Philips Sierra XML";
  Source src;
  src.format = Format::philips_sierra;
  src.format_version = text_of(path(root, {"documentinfo", "documentversion"}));
  auto acq = child(root, "dataacquisition");
  auto machine = child(acq, "machine");
  src.model = text_of(machine);
  src.serial = machine.attribute("machineid").value();
  // detaildescription "Philips Medical Products:860315:A.01.01.01" = maker:product:software.
  const std::string detail = machine.attribute("detaildescription").value();
  if (!detail.empty()) {
    const auto a = detail.find(':');
    const auto b = a == std::string::npos ? std::string::npos : detail.find(':', a + 1);
    src.manufacturer = detail.substr(0, a);
    if (b != std::string::npos) {
      src.model += " (" + detail.substr(a + 1, b - a - 1) + ")";
      src.software = detail.substr(b + 1);
    }
  }
  const std::string date = acq.attribute("date").value(), time = acq.attribute("time").value();
  if (!date.empty()) src.acquired_at = time.empty() ? date : date + "T" + time;
  auto patient = path(root, {"patient", "generalpatientdata"});
  src.patient_id = text_of(child(patient, "patientid"));
  if (auto a = parse_int(text_of(path(patient, {"age", "years"}))))
    src.age_years = static_cast<int>(*a);
  const std::string sex = text_of(child(patient, "sex"));
  if (sex == "Male")
    src.sex = 'M';
  else if (sex == "Female")
    src.sex = 'F';

  auto sig = child(acq, "signalcharacteristics");
  auto pw = path(root, {"waveforms", "parsedwaveforms"});
  if (!pw) throw Error(what + ": no parsedwaveforms");
  auto rate = parse_double(text_of(child(sig, "samplingrate")));
  if (!rate) rate = parse_double(pw.attribute("samplespersecond").value());
  auto resolution_uv = parse_double(text_of(child(sig, "signalresolution")));
  if (!resolution_uv) resolution_uv = parse_double(pw.attribute("resolution").value());
  const auto duration_ms = parse_int(pw.attribute("durationperchannel").value());
  if (!rate || !resolution_uv || !duration_ms)
    throw Error(what + ": sampling rate, resolution or duration missing");
  if (!dsp::valid_sample_rate_hz(*rate) || *duration_ms <= 0 || *duration_ms > 24LL * 3600 * 1000) {
    throw Error(what + ": sampling rate or duration out of range");
  }
  const auto n_samples =
      static_cast<std::int64_t>(std::llround(static_cast<double>(*duration_ms) * *rate / 1000.0));
  if (n_samples <= 0 || n_samples > kMaxSamplesPerLead)
    throw Error(what + ": " + std::to_string(n_samples) + " samples per lead");
  std::string labels = pw.attribute("leadlabels").value();
  if (labels.empty()) labels = "I II III aVR aVL aVF V1 V2 V3 V4 V5 V6";
  std::vector<std::string> names;
  for (std::size_t p = 0; p < labels.size();) {
    const auto e = labels.find(' ', p);
    const auto token = labels.substr(p, e == std::string::npos ? std::string::npos : e - p);
    if (!token.empty()) names.push_back(token);
    if (e == std::string::npos) break;
    p = e + 1;
  }
  if (names.empty() || names.size() > kMaxLeads)
    throw Error(what + ": lead labels '" + labels + "'");

  const std::string encoding = pw.attribute("dataencoding").value();
  std::string compression = pw.attribute("compressmethod").value();
  if (compression.empty()) compression = pw.attribute("compression").value();
  const std::string flag = pw.attribute("compressflag").value();
  const bool compressed = compression == "XLI" && flag != "False" && flag != "false";
  std::vector<std::vector<std::int32_t>> data;
  if (encoding == "Plain") {
    auto all =
        integer_list(pw.child_value(), n_samples * static_cast<std::int64_t>(names.size()), what);
    if (static_cast<std::int64_t>(all.size()) !=
        n_samples * static_cast<std::int64_t>(names.size())) {
      throw Error(what + ": " + std::to_string(all.size()) + " plain samples for " +
                  std::to_string(names.size()) + " leads");
    }
    for (std::size_t l = 0; l < names.size(); ++l) {
      data.emplace_back(all.begin() + static_cast<std::ptrdiff_t>(l * n_samples),
                        all.begin() + static_cast<std::ptrdiff_t>((l + 1) * n_samples));
    }
  } else if (encoding == "Base64") {
    const auto bytes = base64_decode(pw.child_value());
    if (!bytes) throw Error(what + ": invalid base64 in parsedwaveforms");
    if (compressed) {
      data = decode_xli(*bytes, names.size(), static_cast<std::size_t>(n_samples), what);
    } else if (compression.empty() || compression == "None" || !compressed) {
      const std::size_t need = names.size() * static_cast<std::size_t>(n_samples) * 2;
      if (bytes->size() < need)
        throw Error(what + ": " + std::to_string(bytes->size()) + " bytes for " +
                    std::to_string(need));
      for (std::size_t l = 0; l < names.size(); ++l) {
        std::vector<std::uint8_t> part(
            bytes->begin() + static_cast<std::ptrdiff_t>(l * n_samples * 2),
            bytes->begin() + static_cast<std::ptrdiff_t>((l + 1) * n_samples * 2));
        data.push_back(int16_le(part, static_cast<std::size_t>(n_samples)));
      }
    }
  } else {
    throw Error(what + ": data encoding '" + encoding + "' not supported");
  }
  if (compressed && names.size() >= 6 && names[0] == "I" && names[1] == "II" && names[2] == "III" &&
      names[3] == "aVR" && names[4] == "aVL" && names[5] == "aVF") {
    // XLI stores III, aVR, aVL, aVF as residuals against their values from I and II (integer
    // arithmetic, truncating as the Philips decoder does): undo that to get the stored leads.
    auto& i = data[0];
    auto& ii = data[1];
    for (std::size_t s = 0; s < i.size(); ++s) {
      data[2][s] = ii[s] - i[s] - data[2][s];
      data[3][s] = -data[3][s] - (i[s] + ii[s]) / 2;
      data[4][s] = (i[s] - data[2][s]) / 2 - data[4][s];
      data[5][s] = (ii[s] + data[2][s]) / 2 - data[5][s];
    }
  }
  const double offset = parse_double(text_of(child(sig, "signaloffset"))).value_or(0.0);
  std::vector<StoredLead> leads;
  for (std::size_t l = 0; l < names.size(); ++l) {
    leads.push_back({names[l], std::move(data[l]), *resolution_uv, offset * *resolution_uv});
  }
  return assemble(std::move(src), *rate, std::move(leads), what);
}

// ---------------------------------------------------------------- GE CardioSoft
EcgFile read_cardiosoft(const pugi::xml_node& root) {
  const std::string what = "GE CardioSoft XML";
  Source src;
  src.format = Format::ge_cardiosoft;
  auto dev = path(root, {"ClinicalInfo", "DeviceInfo"});
  src.model = text_of(child(dev, "Desc"));
  src.software = text_of(child(dev, "SoftwareVer"));
  auto dt = child(root, "ObservationDateTime");
  const auto y = parse_int(text_of(child(dt, "Year"))), mo = parse_int(text_of(child(dt, "Month"))),
             d = parse_int(text_of(child(dt, "Day"))), h = parse_int(text_of(child(dt, "Hour"))),
             mi = parse_int(text_of(child(dt, "Minute"))),
             s = parse_int(text_of(child(dt, "Second")));
  if (y && mo && d) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld",
                  static_cast<long long>(*y), static_cast<long long>(*mo),
                  static_cast<long long>(*d), static_cast<long long>(h.value_or(0)),
                  static_cast<long long>(mi.value_or(0)), static_cast<long long>(s.value_or(0)));
    src.acquired_at = buf;
  }
  auto pinfo = child(root, "PatientInfo");
  src.patient_id = text_of(child(pinfo, "PID"));
  if (auto a = parse_int(text_of(child(pinfo, "Age")))) src.age_years = static_cast<int>(*a);
  const std::string gender = text_of(child(pinfo, "Gender"));
  if (gender == "MALE")
    src.sex = 'M';
  else if (gender == "FEMALE")
    src.sex = 'F';

  auto strip = child(root, "StripData");
  if (!strip) throw Error(what + ": no StripData (rhythm)");
  const auto rate = parse_double(text_of(child(strip, "SampleRate")));
  const auto res = parse_double(text_of(child(strip, "Resolution")));
  const auto n = parse_int(text_of(child(strip, "ChannelSampleCountTotal")));
  if (!rate || !res || !n || *n <= 0 || *n > kMaxSamplesPerLead)
    throw Error(what + ": sample rate, resolution or count missing");
  const std::string res_units = child(strip, "Resolution").attribute("units").value();
  if (!res_units.empty() && res_units != "uVperLsb")
    throw Error(what + ": resolution units '" + res_units + "'");
  std::vector<StoredLead> leads;
  for (auto w : children(strip, "WaveformData")) {
    StoredLead lead;
    lead.name = w.attribute("lead").value();
    lead.counts = integer_list(w.child_value(), *n, what + " lead " + lead.name);
    lead.uv_per_count = *res;
    leads.push_back(std::move(lead));
  }
  return assemble(std::move(src), *rate, std::move(leads), what);
}

// ---------------------------------------------------------------- dispatch
EcgFile read_xml(std::span<const std::uint8_t> bytes) {
  pugi::xml_document doc;
  // pugixml detects UTF-8/UTF-16/UTF-32 from the BOM and latin-1 from the declaration; no DTD or
  // entity expansion beyond the predefined ones, so a hostile document cannot blow up.
  const auto result =
      doc.load_buffer(bytes.data(), bytes.size(), pugi::parse_default, pugi::encoding_auto);
  if (!result) {
    throw Error(std::string("XML: ") + result.description() + " at byte " +
                std::to_string(result.offset));
  }
  const auto root = doc.document_element();
  const auto name = local_name(root.name());
  if (name == "AnnotatedECG") return read_aecg(root);
  if (name == "RestingECG") return read_muse(root);
  if (name == "restingecgdata") return read_sierra(root);
  if (name == "CardiologyXML") return read_cardiosoft(root);
  throw Error("unsupported format: XML with root element <" + std::string(name) + ">");
}

}  // namespace gc::formats::detail
