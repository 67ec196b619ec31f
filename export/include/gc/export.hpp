// export — writes an ECG back out for the clinic and the hospital's records: WFDB (format 16),
// HL7 aECG, DICOM 12-lead / general ECG waveform, and the printable PDF (A4 landscape, 25 mm/s,
// 10 mm/mV at true size, 3×4 + lead II rhythm strip, automatic and confirmed read in Chinese and
// English). The stored samples are written as they are: integer counts keep their µV scale; only
// a lead that does not fit a format's 16-bit samples is requantised (to a whole multiple of its
// scale, so the error stays within half of the new step). `greenchannel convert` is a thin
// front end to convert().
#pragma once

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>

#include "gc/formats.hpp"
#include "gc/triage.hpp"
#include "gc/wfdb.hpp"

namespace gc::exporter {

// Every export error: one line naming the reason.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An ECG to write: the stored leads with their scale (exact counts), the µV view with derived
// limb leads (for the PDF), and where it came from.
struct Recording {
  formats::EcgFile ecg;
  std::string source_format;  // "WFDB" or formats::to_string
};

// A WFDB record ("rec", "rec.hea") or any ECG file gc::formats reads (chosen by content).
// Throws wfdb::Error / formats::Error naming the file.
Recording load_recording(const std::filesystem::path& in);
Recording recording_from_wfdb(const wfdb::Record& record);

enum class OutputFormat { wfdb, hl7_aecg, dicom, pdf };
// From the extension of `out`: .hea, .xml, .dcm, .pdf (case-insensitive); nullopt otherwise.
std::optional<OutputFormat> output_format_for(const std::filesystem::path& out);

// The cardiologist's confirmed read, printed under the automatic one.
struct ConfirmedRead {
  std::string text;
  std::string by;          // the cardiologist's name
  std::string at_iso8601;  // when it was confirmed
};

// What the PDF prints as the automatic read: triage's finding plus the global measurements.
struct AutomaticRead {
  triage::Finding finding;
  dsp::GlobalMeasurement global;
};

// The read `greenchannel analyze` gives: dsp::analyze + triage::evaluate with the record's age
// and sex. nullopt (with `why` set) when the analysis cannot run on this record.
std::optional<AutomaticRead> automatic_read(const Recording& recording, std::string* why = nullptr);

struct PdfContent {
  std::optional<AutomaticRead> automatic;  // nullopt: "automatic read unavailable: <reason>"
  std::string automatic_unavailable_reason;
  std::optional<ConfirmedRead> confirmed;  // nullopt: printed as not yet confirmed
};

// Writers. Each writes atomically (a temporary file beside `out`, then rename); WFDB writes
// `out` (.hea) and its .dat. Error when the record does not fit the format (DICOM: sample rate
// outside 200–1000 Hz, more than 24 leads, a lead without a DICOM lead code).
void write_wfdb(const Recording& recording, const std::filesystem::path& out_hea);
void write_aecg(const Recording& recording, const std::filesystem::path& out_xml);
// 12-lead ECG waveform (1.2.840.10008.5.1.4.1.1.9.1.1) when ≤ 13 leads and ≤ 16384 samples per
// lead (PS3.3 A.34.3.4), else general ECG (…9.1.2: ≤ 24 leads).
void write_dicom(const Recording& recording, const std::filesystem::path& out_dcm);
// Throws Error "no CJK font …" when fontconfig finds no font with Chinese glyphs.
void write_pdf(const Recording& recording, const PdfContent& content,
               const std::filesystem::path& out_pdf);

struct ConvertOptions {
  std::optional<ConfirmedRead> confirmed;  // PDF only
};

// Loads `in`, writes `out` in the format its extension names (the PDF with the automatic read).
// Error for an unknown extension.
void convert(const std::filesystem::path& in, const std::filesystem::path& out,
             const ConvertOptions& options = {});

}  // namespace gc::exporter
