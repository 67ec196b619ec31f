// The export module: round trips through aECG and DICOM are exact in µV, the DICOM passes
// dciodvfy, the PDF is at true size (measured on a raster of it), and `convert` refuses bad input
// with exit code 1 and one line.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "gc/export.hpp"

namespace fs = std::filesystem;
namespace ex = gc::exporter;

namespace {

const fs::path kSource = GC_SOURCE_DIR;
const fs::path kData = GC_ECG_DATA_DIR;

struct TempDir {
  fs::path path;
  TempDir() {
    std::string t = (fs::temp_directory_path() / "gc-export-XXXXXX").string();
    path = ::mkdtemp(t.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

struct Run {
  int status = -1;
  std::string output;
};

Run run(const std::string& command) {
  Run r;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  REQUIRE(pipe);
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) r.output.append(buf, n);
  const int st = ::pclose(pipe);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

std::string quoted(const fs::path& p) {
  return "'" + p.string() + "'";
}

std::vector<fs::path> sample_records() {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(kSource / "sample_ecgs")) {
    if (e.path().extension() == ".hea") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  const auto ludb = kData / "ludb/data/1.hea";
  if (fs::exists(ludb)) {
    out.push_back(ludb);
  } else {
    WARN("LUDB not found under " << kData << ": round trips run on sample_ecgs only");
  }
  return out;
}

// Largest |a − b| over all samples of two records' µV views, leads matched by order and name.
double max_error_uv(const gc::wfdb::Record& a, const gc::wfdb::Record& b) {
  REQUIRE(a.header.signals.size() == b.header.signals.size());
  REQUIRE(a.header.sample_rate_hz == Approx(b.header.sample_rate_hz).epsilon(1e-12));
  const auto ua = a.to_microvolts(), ub = b.to_microvolts();
  double worst = 0;
  for (std::size_t s = 0; s < ua.size(); ++s) {
    REQUIRE(ua[s].size() == ub[s].size());
    for (std::size_t i = 0; i < ua[s].size(); ++i) {
      worst = std::max(worst, std::fabs(static_cast<double>(ua[s][i]) - ub[s][i]));
    }
  }
  return worst;
}

// The quantisation step of a WFDB record's coarsest lead, µV.
double coarsest_step_uv(const gc::wfdb::Record& r) {
  double step = 0;
  for (const auto& s : r.header.signals) {
    step = std::max(step, gc::wfdb::microvolts_per_unit(s.units) / s.adc_gain_per_mv);
  }
  return step;
}

void round_trip(const std::string& ext) {
  for (const auto& hea : sample_records()) {
    INFO(hea << " via " << ext);
    TempDir tmp;
    const auto original = gc::wfdb::read_record(hea);
    const auto mid = tmp.path / ("mid" + ext);
    ex::convert(hea, mid);
    ex::convert(mid, tmp.path / "back.hea");
    const auto back = gc::wfdb::read_record(tmp.path / "back.hea");
    const double err = max_error_uv(original, back);
    std::cout << "round trip WFDB -> " << ext << " -> WFDB " << hea.filename().string()
              << ": max error " << err << " uV (step " << coarsest_step_uv(original) << " uV)\n";
    // The counts travel unchanged: only float rounding of the µV view differs.
    CHECK(err <= 0.5 * coarsest_step_uv(original) + 1e-3);
    CHECK(err < 1e-3);
    for (std::size_t s = 0; s < original.header.signals.size(); ++s) {
      const auto& name = original.header.signals[s].description;
      CHECK(back.header.signals[s].description ==
            gc::dsp::canonical_lead_name(name).value_or(name));
    }
    CHECK(back.header.age_years == original.header.age_years);
    CHECK(back.header.sex == original.header.sex);
  }
}

// pdfinfo's "Pages:" and "Page size:" (points).
struct PdfInfo {
  int pages = 0;
  double width_pt = 0, height_pt = 0;
};

PdfInfo pdf_info(const fs::path& pdf) {
  const auto r = run("pdfinfo " + quoted(pdf));
  INFO(r.output);
  REQUIRE(r.status == 0);
  PdfInfo info;
  std::istringstream in(r.output);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Pages:", 0) == 0) info.pages = std::stoi(line.substr(6));
    if (line.rfind("Page size:", 0) == 0) {
      std::istringstream size(line.substr(10));
      std::string x;
      size >> info.width_pt >> x >> info.height_pt;
    }
  }
  return info;
}

std::string dciodvfy(const fs::path& dcm) {
  const auto r = run("dciodvfy " + quoted(dcm));
  INFO("dciodvfy output:\n" << r.output);
  REQUIRE(r.output.find("not found") == std::string::npos);  // dicom3tools installed
  return r.output;
}

std::vector<std::string> error_lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Error", 0) == 0) out.push_back(line);
  }
  return out;
}

// A synthetic WFDB record: `names` leads, 1 µV per count, 10 s at 500 Hz, all flat except lead
// II, which steps up by `pulse_uv` for 100 ms at every whole second from 1 s to 9 s.
gc::wfdb::Record synthetic(const std::vector<std::string>& names, int pulse_uv = 1000) {
  gc::wfdb::Record r;
  r.header.record_name = "synthetic";
  r.header.sample_rate_hz = 500;
  r.header.n_samples = 5000;
  r.header.age_years = 61;
  r.header.sex = 'F';
  for (const auto& n : names) {
    gc::wfdb::SignalSpec s;
    s.description = n;
    s.adc_gain_per_mv = 1000;
    r.header.signals.push_back(s);
    std::vector<std::int32_t> counts(5000, 0);
    if (n == "II") {
      for (int sec = 1; sec <= 9; ++sec) {
        for (int i = 0; i < 50; ++i) counts[static_cast<std::size_t>(sec * 500 + i)] = pulse_uv;
      }
    }
    r.samples_adu.push_back(std::move(counts));
  }
  return r;
}

const std::vector<std::string> kTwelve{"I",  "II", "III", "aVR", "aVL", "aVF",
                                       "V1", "V2", "V3",  "V4",  "V5",  "V6"};

// A greyscale raster (pdftoppm -gray, binary PGM).
struct Raster {
  int width = 0, height = 0;
  std::vector<unsigned char> pixels;
  bool dark(int x, int y) const {
    return pixels[static_cast<std::size_t>(y) * static_cast<std::size_t>(width) +
                  static_cast<std::size_t>(x)] < 128;
  }
};

Raster read_pgm(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string magic;
  int maxval = 0;
  Raster r;
  in >> magic >> r.width >> r.height >> maxval;
  in.get();
  REQUIRE(magic == "P5");
  REQUIRE(maxval == 255);
  r.pixels.resize(static_cast<std::size_t>(r.width) * static_cast<std::size_t>(r.height));
  in.read(reinterpret_cast<char*>(r.pixels.data()), static_cast<std::streamsize>(r.pixels.size()));
  REQUIRE(in.gcount() == static_cast<std::streamsize>(r.pixels.size()));
  return r;
}

// A vertical stroke of the tracing: neighbouring columns whose dark runs overlap.
struct Edge {
  double x_min = 0, x_max = 0;
  int y0 = 0, y1 = 0;
  double x() const { return (x_min + x_max) / 2; }
};

std::vector<Edge> vertical_edges(const Raster& r, int min_run_px) {
  std::vector<Edge> edges;
  for (int x = 0; x < r.width; ++x) {
    int y = 0;
    while (y < r.height) {
      if (!r.dark(x, y)) {
        ++y;
        continue;
      }
      const int start = y;
      while (y < r.height && r.dark(x, y)) ++y;
      if (y - start < min_run_px) continue;
      bool merged = false;
      for (auto& e : edges) {
        if (x - e.x_max <= 1 && start <= e.y1 && y - 1 >= e.y0) {
          e.x_max = x;
          e.y0 = std::min(e.y0, start);
          e.y1 = std::max(e.y1, y - 1);
          merged = true;
          break;
        }
      }
      if (!merged) edges.push_back({static_cast<double>(x), static_cast<double>(x), start, y - 1});
    }
  }
  return edges;
}

// Centre (px) of the topmost / bottommost dark band in column x within [y0, y1].
double band_centre(const Raster& r, int x, int y0, int y1, bool top) {
  int y = top ? y0 : y1;
  const int step = top ? 1 : -1;
  while (y >= y0 && y <= y1 && !r.dark(x, y)) y += step;
  REQUIRE((y >= y0 && y <= y1));
  const int first = y;
  while (y >= y0 && y <= y1 && r.dark(x, y)) y += step;
  return (first + (y - step)) / 2.0;
}

}  // namespace

TEST_CASE("output format comes from the extension") {
  CHECK(ex::output_format_for("a/b.hea") == ex::OutputFormat::wfdb);
  CHECK(ex::output_format_for("b.XML") == ex::OutputFormat::hl7_aecg);
  CHECK(ex::output_format_for("b.dcm") == ex::OutputFormat::dicom);
  CHECK(ex::output_format_for("b.pdf") == ex::OutputFormat::pdf);
  CHECK_FALSE(ex::output_format_for("b.scp"));
  CHECK_FALSE(ex::output_format_for("b"));
}

TEST_CASE("WFDB -> HL7 aECG -> WFDB is exact in µV") {
  round_trip(".xml");
}

TEST_CASE("WFDB -> DICOM -> WFDB is exact in µV") {
  round_trip(".dcm");
}

TEST_CASE("DICOM output passes dciodvfy without errors") {
  for (const auto& hea : sample_records()) {
    INFO(hea);
    TempDir tmp;
    const auto dcm = tmp.path / "out.dcm";
    ex::convert(hea, dcm);
    const auto out = dciodvfy(dcm);
    INFO(out);
    // 12 leads: the 12-lead ECG object; 15 (V7–V9 or right-sided added): general ECG.
    const auto n_leads = gc::wfdb::read_header(hea).signals.size();
    CHECK(out.find(n_leads <= 13 ? "TwelveLeadECG" : "GeneralECG") != std::string::npos);
    CHECK(error_lines(out).empty());
    std::cout << "dciodvfy " << hea.filename().string() << " (" << n_leads << " leads):\n" << out;
  }
}

TEST_CASE("real carts' files out as DICOM and aECG: stored µV kept, DICOM valid") {
  const fs::path formats_dir = GC_ECG_FORMATS_DIR;
  if (!fs::exists(formats_dir / "MANIFEST.tsv")) {
    WARN("no ECG format files under " << formats_dir << ": skipped");
    return;
  }
  int files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(formats_dir)) {
    const auto ext = entry.path().extension().string();
    if (!entry.is_regular_file() || ext == ".tsv" || ext == ".md") continue;
    INFO(entry.path());
    const auto original = ex::load_recording(entry.path());
    ++files;
    TempDir tmp;
    for (const char* out_ext : {".dcm", ".xml"}) {
      INFO(out_ext);
      const auto out = tmp.path / (std::string("out") + out_ext);
      ex::convert(entry.path(), out);
      const auto back = ex::load_recording(out);
      REQUIRE(back.ecg.stored.size() == original.ecg.stored.size());
      REQUIRE(back.ecg.sample_rate_hz == Approx(original.ecg.sample_rate_hz));
      double worst = 0, step = 0;
      for (std::size_t l = 0; l < original.ecg.stored.size(); ++l) {
        const auto& a = original.ecg.stored[l];
        const auto& b = back.ecg.stored[l];
        CHECK(a.name == b.name);
        REQUIRE(a.counts.size() == b.counts.size());
        step = std::max(step, b.uv_per_count);
        for (std::size_t i = 0; i < a.counts.size(); ++i) {
          worst = std::max(worst, std::fabs((a.offset_uv + a.uv_per_count * a.counts[i]) -
                                            (b.offset_uv + b.uv_per_count * b.counts[i])));
        }
      }
      std::cout << entry.path().filename().string() << " -> " << out_ext << ": max error " << worst
                << " uV (step " << step << " uV)\n";
      CHECK(worst <= 0.5 * step + 1e-6);
      if (std::string(out_ext) == ".dcm") CHECK(error_lines(dciodvfy(out)).empty());
    }
  }
  CHECK(files >= 8);
}

TEST_CASE("a 15-lead record is written as general ECG, valid and exact") {
  TempDir tmp;
  auto names = kTwelve;
  names.insert(names.end(), {"V7", "V8", "V9"});
  const auto rec = synthetic(names);
  const auto dcm = tmp.path / "fifteen.dcm";
  ex::write_dicom(ex::recording_from_wfdb(rec), dcm);
  const auto out = dciodvfy(dcm);
  INFO(out);
  CHECK(out.find("GeneralECG") != std::string::npos);
  CHECK(error_lines(out).empty());
  ex::convert(dcm, tmp.path / "back.hea");
  const auto back = gc::wfdb::read_record(tmp.path / "back.hea");
  CHECK(max_error_uv(rec, back) < 1e-3);
  CHECK(back.header.signals.back().description == "V9");
}

TEST_CASE("counts beyond 16 bits are requantised within half the new step") {
  // A 5 mV pulse stored at 0.1 µV per count needs 50000 counts: beyond int16.
  auto rec = synthetic(kTwelve, 50000);
  for (auto& s : rec.header.signals) s.adc_gain_per_mv = 10000;  // 0.1 µV per count
  TempDir tmp;
  ex::write_dicom(ex::recording_from_wfdb(rec), tmp.path / "big.dcm");
  ex::convert(tmp.path / "big.dcm", tmp.path / "back.hea");
  const auto back = gc::wfdb::read_record(tmp.path / "back.hea");
  const double step = coarsest_step_uv(back);
  CHECK(step == Approx(0.2));  // k = 2: 50000 / 2 fits int16
  CHECK(max_error_uv(rec, back) <= 0.5 * step + 1e-3);
  // aECG has no 16-bit limit: the counts go as they are.
  ex::write_aecg(ex::recording_from_wfdb(rec), tmp.path / "big.xml");
  const auto xml = ex::load_recording(tmp.path / "big.xml");
  CHECK(xml.ecg.stored[1].counts[500] == 50000);
}

TEST_CASE("DICOM refuses what an ECG waveform object cannot hold") {
  TempDir tmp;
  auto rec = synthetic(kTwelve);
  rec.header.sample_rate_hz = 2000;
  CHECK_THROWS_WITH(ex::write_dicom(ex::recording_from_wfdb(rec), tmp.path / "x.dcm"),
                    Catch::Contains("200–1000 Hz"));
  CHECK_FALSE(fs::exists(tmp.path / "x.dcm"));
}

TEST_CASE("PDF at true size: 1 mV pulse 10 mm, 1 s 25 mm, measured on a 300 dpi raster") {
  TempDir tmp;
  const auto pdf = tmp.path / "ecg.pdf";
  ex::PdfContent content;
  content.confirmed =
      ex::ConfirmedRead{"Sinus rhythm, no acute ST change. 窦性心律，无急性ST改变。", "Dr Li Wei",
                        "2026-12-03T08:15+08:00"};
  const auto recording = ex::recording_from_wfdb(synthetic(kTwelve));
  content.automatic = ex::automatic_read(recording, &content.automatic_unavailable_reason);
  ex::write_pdf(recording, content, pdf);

  const auto info = pdf_info(pdf);
  CHECK(info.width_pt == Approx(297 / 25.4 * 72).margin(0.5));  // A4 landscape
  CHECK(info.height_pt == Approx(210 / 25.4 * 72).margin(0.5));
  // The calibration-pulse record's automatic read is longer than the first page's header holds:
  // it is cut there with a pointer and printed whole on a second page.
  REQUIRE(content.automatic);
  INFO("automatic read: " << content.automatic->finding.explanation_en);
  CHECK(info.pages == 2);

  const int dpi = 300;
  const double px_per_mm = dpi / 25.4;
  const auto r = run("pdftoppm -gray -r " + std::to_string(dpi) + " -singlefile " + quoted(pdf) +
                     " " + quoted(tmp.path / "page"));
  INFO(r.output);
  REQUIRE(r.status == 0);
  const auto raster = read_pgm(tmp.path / "page.pgm");
  CHECK(raster.width == Approx(297 * px_per_mm).margin(2));

  // Strokes ≥ 7 mm tall are only the pulses' edges (text is < 5 mm, the grid is light).
  auto edges = vertical_edges(raster, static_cast<int>(7 * px_per_mm));
  REQUIRE(!edges.empty());
  // The rhythm strip is the lowest row: its edges end lowest on the page.
  int lowest = 0;
  for (const auto& e : edges) lowest = std::max(lowest, e.y1);
  std::vector<Edge> strip;
  for (const auto& e : edges) {
    if (e.y1 >= lowest - 2 * px_per_mm) strip.push_back(e);
  }
  std::sort(strip.begin(), strip.end(), [](const Edge& a, const Edge& b) { return a.x() < b.x(); });
  // Calibration pulse (2 edges) then 9 signal pulses (2 edges each).
  REQUIRE(strip.size() == 20);

  // Calibration: baseline just before the rise, top in the middle of the pulse.
  const Edge& rise = strip[0];
  const Edge& fall = strip[1];
  const int y0 = rise.y0 - static_cast<int>(2 * px_per_mm),
            y1 = rise.y1 + static_cast<int>(2 * px_per_mm);
  const double base_y = band_centre(raster, static_cast<int>(rise.x() - px_per_mm), y0, y1, false);
  const double top_y =
      band_centre(raster, static_cast<int>((rise.x() + fall.x()) / 2), y0, y1, true);
  const double cal_mm = (base_y - top_y) / px_per_mm;
  std::cout << "PDF calibration pulse: " << cal_mm << " mm (1 mV), width "
            << (fall.x() - rise.x()) / px_per_mm << " mm\n";
  CHECK(cal_mm == Approx(10.0).margin(0.2));

  // The tracing itself: 1 mV pulses of lead II, one a second.
  double worst_s_mm = 25, worst_mv_mm = 10;  // the measurement furthest from nominal
  for (std::size_t k = 2; k + 2 < strip.size(); k += 2) {
    const double second_mm = (strip[k + 2].x() - strip[k].x()) / px_per_mm;
    CHECK(second_mm == Approx(25.0).margin(0.3));
    if (std::fabs(second_mm - 25) > std::fabs(worst_s_mm - 25)) worst_s_mm = second_mm;
  }
  for (std::size_t k = 2; k < strip.size(); k += 2) {
    const auto& up = strip[k];
    const auto& down = strip[k + 1];
    const int a = up.y0 - static_cast<int>(2 * px_per_mm),
              b = up.y1 + static_cast<int>(2 * px_per_mm);
    const double base = band_centre(raster, static_cast<int>(up.x() - 2 * px_per_mm), a, b, false);
    const double top = band_centre(raster, static_cast<int>((up.x() + down.x()) / 2), a, b, true);
    const double mv_mm = (base - top) / px_per_mm;
    CHECK(mv_mm == Approx(10.0).margin(0.2));
    if (std::fabs(mv_mm - 10) > std::fabs(worst_mv_mm - 10)) worst_mv_mm = mv_mm;
  }
  const double span_mm = (strip[18].x() - strip[2].x()) / px_per_mm;
  std::cout << "PDF 1 s over 8 s of the rhythm strip: " << span_mm / 8
            << " mm; worst single second " << worst_s_mm << " mm; worst 1 mV trace pulse "
            << worst_mv_mm << " mm\n";
  CHECK(span_mm / 8 == Approx(25.0).margin(0.3));

  // The reads are there, in both languages.
  const auto text = run("pdftotext -layout " + quoted(pdf) + " -");
  INFO(text.output);
  REQUIRE(text.status == 0);
  CHECK(text.output.find("Dr Li Wei") != std::string::npos);
  CHECK(text.output.find("窦性心律") != std::string::npos);
  CHECK(text.output.find("Automatic read") != std::string::npos);
  CHECK(text.output.find("自动分析") != std::string::npos);
  CHECK(text.output.find("25 mm/s") != std::string::npos);
  CHECK(text.output.find("10 mm/mV") != std::string::npos);
  CHECK(text.output.find("Filter") != std::string::npos);
}

TEST_CASE("PDF puts leads beyond the 12 on a second page") {
  TempDir tmp;
  auto names = kTwelve;
  names.insert(names.end(), {"V7", "V8", "V9", "V3R", "V4R", "V5R"});
  const auto recording = ex::recording_from_wfdb(synthetic(names));
  ex::write_pdf(recording, {}, tmp.path / "eighteen.pdf");
  CHECK(pdf_info(tmp.path / "eighteen.pdf").pages == 2);
  const auto text = run("pdftotext -f 2 -l 2 " + quoted(tmp.path / "eighteen.pdf") + " -");
  CHECK(text.output.find("V4R") != std::string::npos);
}

TEST_CASE("convert: a sample ECG to every format") {
  TempDir tmp;
  const auto in = kSource / "sample_ecgs/stemi_anterior.hea";
  for (const char* ext : {".hea", ".xml", ".dcm", ".pdf"}) {
    const auto out = tmp.path / (std::string("out") + ext);
    const auto r = run(std::string(GC_CLI_PATH) + " convert " + quoted(in) + " " + quoted(out) +
                       " --confirmed-read 'Anterior STEMI 前壁STEMI' --confirmed-by 'Dr Zhang'"
                       " --confirmed-at 2026-12-03T08:15+08:00");
    INFO(ext << ": " << r.output);
    if (std::string(ext) == ".pdf") {
      CHECK(r.status == 0);
      CHECK(fs::file_size(out) > 10000);
      // The fonts hold only the glyphs drawn: the report was 1.8 MB when cairo embedded Noto Sans
      // CJK's CFF subsets with all their local subroutines (~850 KB per weight); now ~0.2 MB.
      CHECK(fs::file_size(out) < 400'000);
      const auto text = run("pdftotext " + quoted(out) + " -");
      CHECK(text.output.find("前壁STEMI") != std::string::npos);
      CHECK(text.output.find("十二导联心电图") != std::string::npos);
    } else {
      CHECK(r.status == 1);  // a confirmed read is for the PDF only
    }
    const auto plain = run(std::string(GC_CLI_PATH) + " convert " + quoted(in) + " " + quoted(out));
    CHECK(plain.status == 0);
    // No temporary file is left beside the output.
    for (const auto& e : fs::directory_iterator(tmp.path)) {
      CHECK(e.path().filename().string().find(".tmp-") == std::string::npos);
    }
  }
}

TEST_CASE("convert: bad input exits 1 with one line") {
  TempDir tmp;
  const std::string cli = GC_CLI_PATH;
  const auto good = quoted(kSource / "sample_ecgs/normal_sinus.hea");
  std::ofstream(tmp.path / "junk.bin") << "this is no ECG at all\n";
  std::ofstream(tmp.path / "empty.conf")
      << "<?xml version=\"1.0\"?><!DOCTYPE fontconfig SYSTEM \"fonts.dtd\"><fontconfig>"
         "<cachedir>"
      << (tmp.path / "fc-cache").string() << "</cachedir></fontconfig>\n";
  struct Case {
    std::string args, expect;
  };
  const std::vector<Case> cases{
      {"", "expected IN and OUT"},
      {good, "expected IN and OUT"},
      {good + " " + quoted(tmp.path / "out.txt"), "unknown output extension"},
      {quoted(tmp.path / "missing.hea") + " " + quoted(tmp.path / "o.xml"), "missing"},
      {quoted(tmp.path / "junk.bin") + " " + quoted(tmp.path / "o.xml"), "unsupported format"},
      {good + " " + quoted(tmp.path / "no/such/dir/o.dcm"), "does not exist"},
      {good + " " + quoted(tmp.path / "o.pdf") + " --confirmed-read x", "go together"},
      {good + " " + quoted(tmp.path / "o.pdf") +
           " --confirmed-read x --confirmed-by y --confirmed-at yesterday",
       "ISO 8601"},
      {good + " " + quoted(tmp.path / "o.pdf") + " --no-such-option", "no-such-option"},
  };
  for (const auto& c : cases) {
    const auto r = run(cli + " convert " + c.args);
    INFO(c.args << " -> " << r.output);
    CHECK(r.status == 1);
    CHECK(r.output.find(c.expect) != std::string::npos);
    CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 1);
  }
  // Without a CJK font the PDF is refused, saying what to install.
  const auto r = run("FONTCONFIG_FILE=" + quoted(tmp.path / "empty.conf") + " " + cli +
                     " convert " + good + " " + quoted(tmp.path / "o.pdf"));
  INFO(r.output);
  CHECK(r.status == 1);
  CHECK(r.output.find("fonts-noto-cjk") != std::string::npos);
  CHECK_FALSE(fs::exists(tmp.path / "o.pdf"));
}

TEST_CASE("PDF: reads too long for the first page continue whole on a last page") {
  TempDir tmp;
  const auto recording = ex::recording_from_wfdb(synthetic(kTwelve));
  ex::PdfContent content;
  std::string long_report;
  for (int i = 1; i <= 30; ++i) {
    long_report += "Statement " + std::to_string(i) + ": ST elevation V" + std::to_string(i % 6 + 1) +
                   " 0.2" + std::to_string(i % 10) + " mV, 前壁导联 ST 段抬高 第" +
                   std::to_string(i) + "条; ";
  }
  long_report += "END-OF-REPORT 报告结束";
  content.confirmed = ex::ConfirmedRead{long_report, "Dr Li Wei 李伟", "2026-12-03T08:15+08:00"};
  ex::write_pdf(recording, content, tmp.path / "long.pdf");
  CHECK(pdf_info(tmp.path / "long.pdf").pages == 2);
  const auto first = run("pdftotext -f 1 -l 1 " + quoted(tmp.path / "long.pdf") + " -");
  CHECK(first.output.find("见第2页") != std::string::npos);  // the cut points to the rest
  CHECK(first.output.find("END-OF-REPORT") == std::string::npos);
  const auto last = run("pdftotext -f 2 -l 2 " + quoted(tmp.path / "long.pdf") + " -");
  INFO(last.output);
  CHECK(last.output.find("END-OF-REPORT") != std::string::npos);  // whole, to its last word
  CHECK(last.output.find("Statement 17") != std::string::npos);
  CHECK(last.output.find("Dr Li Wei") != std::string::npos);

  // A short read stays on the first page alone.
  content.confirmed->text = "Anterior STEMI 前壁STEMI";
  ex::write_pdf(recording, content, tmp.path / "short.pdf");
  CHECK(pdf_info(tmp.path / "short.pdf").pages == 1);
}
