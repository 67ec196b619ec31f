// DICOM out through DCMTK: a 12-lead ECG waveform object (PS3.3 A.34.3) when the record fits its
// constraints, else a general ECG waveform (A.34.4). One RHYTHM multiplex group, signed 16-bit
// samples, channel sources coded from CID 3001 (MDC), sensitivity in µV (UCUM), baseline 0.
#include <dcmtk/dcmdata/dctk.h>
#include <dcmtk/oflog/oflog.h>

#include <ctime>

#include "detail.hpp"

namespace gc::exporter {

namespace {

constexpr const char* kTwelveLeadSop = "1.2.840.10008.5.1.4.1.1.9.1.1";
constexpr const char* kGeneralEcgSop = "1.2.840.10008.5.1.4.1.1.9.1.2";
// PS3.3 A.34.3.4 (12-lead) and A.34.4.4 (general ECG).
constexpr std::size_t kTwelveLeadMaxChannels = 13;
constexpr std::uint32_t kTwelveLeadMaxSamples = 16384;
constexpr std::size_t kGeneralEcgMaxChannels = 24;
constexpr double kMinRateHz = 200, kMaxRateHz = 1000;

struct LeadCode {
  const char* name;
  int mdc_term;  // MDC partition 2 (ISO/IEEE 11073-10101 ECG leads), as CID 3001 codes them
};
constexpr LeadCode kLeadCodes[] = {
    {"I", 1},    {"II", 2},   {"V1", 3},   {"V2", 4},   {"V3", 5},   {"V4", 6},
    {"V5", 7},   {"V6", 8},   {"V7", 9},   {"V2R", 10}, {"V3R", 11}, {"V4R", 12},
    {"V5R", 13}, {"V6R", 14}, {"V7R", 15}, {"III", 61}, {"aVR", 62}, {"aVL", 63},
    {"aVF", 64}, {"V8", 66},  {"V9", 67},  {"V8R", 68}, {"V9R", 69},
};

std::optional<int> mdc_term(const std::string& lead) {
  for (const auto& c : kLeadCodes) {
    if (lead == c.name) return c.mdc_term;
  }
  return std::nullopt;
}

void check(const OFCondition& status, const char* what) {
  if (status.bad()) throw Error(std::string("DICOM: cannot set ") + what + ": " + status.text());
}

void put(DcmItem* item, const DcmTagKey& key, const std::string& value, const char* what) {
  check(item->putAndInsertString(key, value.c_str()), what);
}

DcmItem* new_item(DcmItem* parent, const DcmTagKey& seq, const char* what) {
  DcmItem* item = nullptr;
  check(parent->findOrCreateSequenceItem(seq, item, -2), what);
  return item;
}

void put_code(DcmItem* item, const std::string& value, const std::string& scheme,
              const std::string& meaning) {
  put(item, DCM_CodeValue, value, "code value");
  put(item, DCM_CodingSchemeDesignator, scheme, "coding scheme");
  put(item, DCM_CodeMeaning, meaning, "code meaning");
}

std::string new_uid() {
  char uid[100];
  dcmGenerateUniqueIdentifier(uid, SITE_INSTANCE_UID_ROOT);
  return uid;
}

}  // namespace

void write_dicom(const Recording& recording, const std::filesystem::path& out_dcm) {
  static const bool quiet = [] {
    OFLog::getLogger("dcmtk").setLogLevel(OFLogger::FATAL_LOG_LEVEL);
    return true;
  }();
  (void)quiet;
  const auto& ecg = recording.ecg;
  const auto& src = ecg.source;
  const auto leads = detail::out_leads(ecg, true);
  const double rate_hz = ecg.sample_rate_hz;
  if (!(rate_hz >= kMinRateHz && rate_hz <= kMaxRateHz)) {
    throw Error("DICOM: sample rate " + detail::exact_number(rate_hz) +
                " Hz is outside the 200–1000 Hz an ECG waveform object allows (PS3.3 A.34)");
  }
  if (leads.size() > kGeneralEcgMaxChannels) {
    throw Error("DICOM: " + std::to_string(leads.size()) +
                " leads; an ECG waveform object holds at most 24 (PS3.3 A.34.4)");
  }
  const auto n_samples = leads.front().counts.size();
  if (n_samples == 0 || n_samples > 0xFFFFFFFFu / leads.size()) {
    throw Error("DICOM: " + std::to_string(n_samples) + " samples per lead");
  }
  for (const auto& l : leads) {
    if (!mdc_term(l.name)) {
      throw Error("DICOM: lead '" + l.name + "' has no ECG lead code (CID 3001)");
    }
  }
  const bool twelve_lead =
      leads.size() <= kTwelveLeadMaxChannels && n_samples <= kTwelveLeadMaxSamples;

  DcmFileFormat file;
  DcmDataset* ds = file.getDataset();
  const std::string sop_uid = new_uid();
  put(ds, DCM_SpecificCharacterSet, "ISO_IR 192", "character set");
  put(ds, DCM_SOPClassUID, twelve_lead ? kTwelveLeadSop : kGeneralEcgSop, "SOP class");
  put(ds, DCM_SOPInstanceUID, sop_uid, "SOP instance");

  // Times: the acquisition as the file gives it; content = when this object was made.
  char now_date[16], now_time[16];
  const std::time_t now = std::time(nullptr);
  std::tm tm_now{};
  localtime_r(&now, &tm_now);
  std::strftime(now_date, sizeof now_date, "%Y%m%d", &tm_now);
  std::strftime(now_time, sizeof now_time, "%H%M%S", &tm_now);
  // An acquisition time a DICOM DA/DT can hold (anonymised files say "0001-01-01"); when the
  // source gives none, the study date stays empty (type 2) and the acquisition date/time, which
  // must have a value (type 1), is the export time.
  std::string acquired = detail::compact_datetime(src.acquired_at);
  const auto number = [&](std::size_t at, std::size_t n) {
    return acquired.size() >= at + n ? std::stoi(acquired.substr(at, n)) : -1;
  };
  const bool acquired_known = acquired.size() >= 8 && number(0, 4) >= 1900 && number(4, 2) >= 1 &&
                              number(4, 2) <= 12 && number(6, 2) >= 1 && number(6, 2) <= 31;
  if (!acquired_known) acquired.clear();
  const std::string acq_date = acquired_known ? acquired.substr(0, 8) : "";
  const std::string acq_time = acquired.size() > 8 ? acquired.substr(8) : "";
  std::string acq_dt = acquired_known ? acquired : std::string(now_date) + now_time;
  if (acquired_known && src.acquired_zone.size() == 6) {
    acq_dt += src.acquired_zone.substr(0, 3) + src.acquired_zone.substr(4, 2);
  }

  // Patient (C.7.1.1) and patient study (C.7.2.2): no name or birth date, a pseudonymous id.
  put(ds, DCM_PatientName, "", "patient name");
  put(ds, DCM_PatientID, detail::pseudonymous_id(src.patient_id), "patient id");
  put(ds, DCM_PatientBirthDate, "", "birth date");
  put(ds, DCM_PatientSex, src.sex ? std::string(1, *src.sex) : "", "sex");
  if (src.age_years && *src.age_years >= 0 && *src.age_years < 1000) {
    char age[8];
    std::snprintf(age, sizeof age, "%03dY", *src.age_years);
    put(ds, DCM_PatientAge, age, "age");
  }
  // General study (C.7.2.1).
  put(ds, DCM_StudyInstanceUID, new_uid(), "study UID");
  put(ds, DCM_StudyDate, acq_date, "study date");
  put(ds, DCM_StudyTime, acq_time, "study time");
  put(ds, DCM_ReferringPhysicianName, "", "referring physician");
  put(ds, DCM_StudyID, "", "study id");
  put(ds, DCM_AccessionNumber, "", "accession number");
  // General series (C.7.3.1), equipment (C.7.5.1).
  put(ds, DCM_Modality, "ECG", "modality");
  put(ds, DCM_SeriesInstanceUID, new_uid(), "series UID");
  put(ds, DCM_SeriesNumber, "1", "series number");
  put(ds, DCM_Manufacturer, src.manufacturer, "manufacturer");
  if (!src.model.empty()) put(ds, DCM_ManufacturerModelName, src.model, "model");
  if (!src.serial.empty()) put(ds, DCM_DeviceSerialNumber, src.serial, "serial");
  if (!src.software.empty()) put(ds, DCM_SoftwareVersions, src.software, "software");
  // Waveform identification (C.10.8).
  put(ds, DCM_InstanceNumber, "1", "instance number");
  put(ds, DCM_ContentDate, now_date, "content date");
  put(ds, DCM_ContentTime, now_time, "content time");
  put(ds, DCM_AcquisitionDateTime, acq_dt, "acquisition date/time");
  // Acquisition context (C.7.6.14): type 2, nothing known.
  check(ds->insertEmptyElement(DCM_AcquisitionContextSequence), "acquisition context");

  // Waveform (C.10.9): one multiplex group, samples interleaved by channel.
  DcmItem* wf = new_item(ds, DCM_WaveformSequence, "waveform sequence");
  put(wf, DCM_WaveformOriginality, "ORIGINAL", "originality");
  check(wf->putAndInsertUint16(DCM_NumberOfWaveformChannels, static_cast<Uint16>(leads.size())),
        "channels");
  check(wf->putAndInsertUint32(DCM_NumberOfWaveformSamples, static_cast<Uint32>(n_samples)),
        "samples");
  put(wf, DCM_SamplingFrequency, detail::ds_number(rate_hz), "sampling frequency");
  put(wf, DCM_MultiplexGroupLabel, "RHYTHM", "multiplex group label");
  for (const auto& l : leads) {
    DcmItem* ch = new_item(wf, DCM_ChannelDefinitionSequence, "channel definition");
    const int term = *mdc_term(l.name);
    put_code(new_item(ch, DCM_ChannelSourceSequence, "channel source"), "2:" + std::to_string(term),
             "MDC", "Lead " + l.name);
    put(ch, DCM_ChannelSensitivity, detail::ds_number(l.uv_per_count), "sensitivity");
    put_code(new_item(ch, DCM_ChannelSensitivityUnitsSequence, "sensitivity units"), "uV", "UCUM",
             "microvolt");
    put(ch, DCM_ChannelSensitivityCorrectionFactor, "1", "correction factor");
    put(ch, DCM_ChannelBaseline, "0", "baseline");
    put(ch, DCM_ChannelSampleSkew, "0", "sample skew");
    check(ch->putAndInsertUint16(DCM_WaveformBitsStored, 16), "bits stored");
  }
  check(wf->putAndInsertUint16(DCM_WaveformBitsAllocated, 16), "bits allocated");
  put(wf, DCM_WaveformSampleInterpretation, "SS", "sample interpretation");
  std::vector<Uint16> words(n_samples * leads.size());
  for (std::size_t s = 0; s < n_samples; ++s) {
    for (std::size_t c = 0; c < leads.size(); ++c) {
      words[s * leads.size() + c] =
          static_cast<Uint16>(static_cast<std::int16_t>(leads[c].counts[s]));
    }
  }
  auto* data = new DcmPolymorphOBOW(DcmTag(DCM_WaveformData, EVR_OW));
  check(data->putUint16Array(words.data(), static_cast<unsigned long>(words.size())),
        "waveform data");
  check(wf->insert(data, true), "waveform data");

  detail::write_atomically(out_dcm, [&](const std::filesystem::path& temp) {
    const OFCondition status =
        file.saveFile(temp.c_str(), EXS_LittleEndianExplicit, EET_ExplicitLength, EGL_recalcGL,
                      EPD_noChange, 0, 0, EWM_fileformat);
    if (status.bad()) throw Error(out_dcm.string() + ": cannot write: " + status.text());
  });
}

}  // namespace gc::exporter
