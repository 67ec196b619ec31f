// The printable ECG: A4 landscape at true physical size (cairo draws in millimetres: 1 user unit
// = 1 mm), 25 mm/s and 10 mm/mV, a millimetre grid (1 mm minor, 5 mm major), a 1 mV calibration
// pulse at the start of every row, the 12 standard leads in 3 rows × 4 columns of 2.5 s plus a
// 10 s lead II rhythm strip, leads beyond the 12 on a second page in the same layout. The
// tracing is the stored µV, unfiltered; each trace is only shifted to sit on its row (by its
// median), which the footer says. Text in English and Chinese needs a CJK font (fontconfig).
#include <cairo-ft.h>
#include <cairo-pdf.h>
#include <cairo.h>
#include <fontconfig/fontconfig.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <memory>
#include <regex>

#include "detail.hpp"

namespace gc::exporter {

namespace {

// Page and layout, mm.
constexpr double kPageWidthMm = 297, kPageHeightMm = 210;
constexpr double kPointsPerMm = 72.0 / 25.4;
constexpr double kSpeedMmPerS = 25, kGainMmPerMv = 10;
constexpr double kGridX0Mm = 10, kGridWidthMm = 275;   // 55 large boxes
constexpr double kGridY0Mm = 70, kGridHeightMm = 120;  // 24 large boxes, 4 rows of 30 mm
constexpr double kRowPitchMm = 30;
constexpr double kTraceX0Mm = kGridX0Mm + 15;  // traces start after the calibration pulse
constexpr double kCalX0Mm = kGridX0Mm + 3;
constexpr double kStripSeconds = 10, kColumnSeconds = 2.5;
constexpr double kTextMm = 2.9, kLineMm = 3.9;

constexpr std::array<const char*, 12> kStandardLeads{"I",  "II", "III", "aVR", "aVL", "aVF",
                                                     "V1", "V2", "V3",  "V4",  "V5",  "V6"};

struct FontDeleter {
  void operator()(cairo_font_face_t* f) const { cairo_font_face_destroy(f); }
};
struct PatternDeleter {
  void operator()(FcPattern* p) const { FcPatternDestroy(p); }
};
using FontFace = std::unique_ptr<cairo_font_face_t, FontDeleter>;
using Pattern = std::unique_ptr<FcPattern, PatternDeleter>;

// A FreeType face that covers both Latin and Chinese (Noto Sans CJK SC from fonts-noto-cjk, else
// WenQuanYi Zen Hei, else whatever fontconfig has for zh-cn); Error when none has Chinese glyphs.
FontFace cjk_ft_font(bool bold) {
  if (!FcInit()) throw Error("PDF: fontconfig cannot start");
  for (const char* family : {"Noto Sans CJK SC", "WenQuanYi Zen Hei", ""}) {
    Pattern pattern(FcPatternCreate());
    if (*family)
      FcPatternAddString(pattern.get(), FC_FAMILY, reinterpret_cast<const FcChar8*>(family));
    FcPatternAddString(pattern.get(), FC_LANG, reinterpret_cast<const FcChar8*>("zh-cn"));
    FcPatternAddInteger(pattern.get(), FC_WEIGHT, bold ? FC_WEIGHT_BOLD : FC_WEIGHT_REGULAR);
    FcConfigSubstitute(nullptr, pattern.get(), FcMatchPattern);
    FcDefaultSubstitute(pattern.get());
    FcResult result = FcResultNoMatch;
    Pattern match(FcFontMatch(nullptr, pattern.get(), &result));
    if (!match) continue;
    FcCharSet* chars = nullptr;
    if (FcPatternGetCharSet(match.get(), FC_CHARSET, 0, &chars) != FcResultMatch || !chars)
      continue;
    // 心电图 and the Latin letters: the font must draw both languages of the report.
    if (!FcCharSetHasChar(chars, 0x5FC3) || !FcCharSetHasChar(chars, 0x7535) ||
        !FcCharSetHasChar(chars, 'A')) {
      continue;
    }
    FontFace face(cairo_ft_font_face_create_for_pattern(match.get()));
    if (cairo_font_face_status(face.get()) != CAIRO_STATUS_SUCCESS) continue;
    return face;
  }
  throw Error(
      "PDF: no font with Chinese glyphs found (install fonts-noto-cjk: the report is printed in "
      "Chinese and English)");
}

// The report's font as written to the PDF. Drawn directly, the FreeType face is embedded as a CFF
// subset that still carries all of the font's local subroutines — for Noto Sans CJK about 850 KB
// per weight however few glyphs are used (1.8 MB per report). Wrapped in a cairo user font, it is
// written as a Type 3 font of only the glyphs drawn, each its outline, with a ToUnicode map: the
// text stays text (search, copy, Chinese included) and the fonts take a few KB.
//
// Font space of a user font is 1 unit per em; the outlines come from the face at
// kOutlineUnitsPerEm (FreeType rounds outlines to 1/64 of its pixel size, far below print
// resolution at this size) and are scaled down.
constexpr double kOutlineUnitsPerEm = 1000;

const cairo_user_data_key_t kOutlineFaceKey{};
const cairo_user_data_key_t kOutlineScaledKey{};

cairo_scaled_font_t* outline_source(cairo_scaled_font_t* scaled) {
  return static_cast<cairo_scaled_font_t*>(
      cairo_scaled_font_get_user_data(scaled, &kOutlineScaledKey));
}

cairo_status_t outline_init(cairo_scaled_font_t* scaled, cairo_t*, cairo_font_extents_t* extents) {
  auto* face = static_cast<cairo_font_face_t*>(
      cairo_font_face_get_user_data(cairo_scaled_font_get_font_face(scaled), &kOutlineFaceKey));
  if (face == nullptr) return CAIRO_STATUS_USER_FONT_ERROR;
  cairo_matrix_t font_matrix, ctm;
  cairo_matrix_init_scale(&font_matrix, kOutlineUnitsPerEm, kOutlineUnitsPerEm);
  cairo_matrix_init_identity(&ctm);
  cairo_font_options_t* options = cairo_font_options_create();
  cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE);
  cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF);
  cairo_scaled_font_t* source = cairo_scaled_font_create(face, &font_matrix, &ctm, options);
  cairo_font_options_destroy(options);
  if (cairo_scaled_font_status(source) != CAIRO_STATUS_SUCCESS) {
    cairo_scaled_font_destroy(source);
    return CAIRO_STATUS_USER_FONT_ERROR;
  }
  cairo_font_extents_t e;
  cairo_scaled_font_extents(source, &e);
  extents->ascent = e.ascent / kOutlineUnitsPerEm;
  extents->descent = e.descent / kOutlineUnitsPerEm;
  extents->height = e.height / kOutlineUnitsPerEm;
  extents->max_x_advance = e.max_x_advance / kOutlineUnitsPerEm;
  extents->max_y_advance = e.max_y_advance / kOutlineUnitsPerEm;
  const cairo_status_t status = cairo_scaled_font_set_user_data(
      scaled, &kOutlineScaledKey, source,
      [](void* p) { cairo_scaled_font_destroy(static_cast<cairo_scaled_font_t*>(p)); });
  if (status != CAIRO_STATUS_SUCCESS) cairo_scaled_font_destroy(source);
  return status;
}

cairo_status_t outline_render(cairo_scaled_font_t* scaled, unsigned long glyph, cairo_t* cr,
                              cairo_text_extents_t* extents) {
  cairo_scaled_font_t* source = outline_source(scaled);
  if (source == nullptr) return CAIRO_STATUS_USER_FONT_ERROR;
  cairo_glyph_t g{glyph, 0, 0};
  cairo_text_extents_t e;
  cairo_scaled_font_glyph_extents(source, &g, 1, &e);
  extents->x_bearing = e.x_bearing / kOutlineUnitsPerEm;
  extents->y_bearing = e.y_bearing / kOutlineUnitsPerEm;
  extents->width = e.width / kOutlineUnitsPerEm;
  extents->height = e.height / kOutlineUnitsPerEm;
  extents->x_advance = e.x_advance / kOutlineUnitsPerEm;
  extents->y_advance = e.y_advance / kOutlineUnitsPerEm;
  cairo_scale(cr, 1 / kOutlineUnitsPerEm, 1 / kOutlineUnitsPerEm);
  cairo_set_scaled_font(cr, source);
  cairo_glyph_path(cr, &g, 1);
  cairo_fill(cr);
  return cairo_status(cr);
}

cairo_status_t outline_unicode_to_glyph(cairo_scaled_font_t* scaled, unsigned long unicode,
                                        unsigned long* glyph) {
  cairo_scaled_font_t* source = outline_source(scaled);
  if (source == nullptr) return CAIRO_STATUS_USER_FONT_ERROR;
  FT_Face ft = cairo_ft_scaled_font_lock_face(source);
  if (ft == nullptr) return CAIRO_STATUS_USER_FONT_ERROR;
  *glyph = FT_Get_Char_Index(ft, unicode);  // 0 (.notdef) when the font lacks it
  cairo_ft_scaled_font_unlock_face(source);
  return CAIRO_STATUS_SUCCESS;
}

FontFace cjk_font(bool bold) {
  FontFace source = cjk_ft_font(bold);
  FontFace face(cairo_user_font_face_create());
  cairo_user_font_face_set_init_func(face.get(), outline_init);
  cairo_user_font_face_set_render_glyph_func(face.get(), outline_render);
  cairo_user_font_face_set_unicode_to_glyph_func(face.get(), outline_unicode_to_glyph);
  // The user font owns a reference to the FreeType face for as long as it lives.
  if (cairo_font_face_set_user_data(face.get(), &kOutlineFaceKey, source.get(), [](void* p) {
        cairo_font_face_destroy(static_cast<cairo_font_face_t*>(p));
      }) != CAIRO_STATUS_SUCCESS) {
    throw Error("PDF: cannot set up the report's font");
  }
  source.release();
  return face;
}

std::string category_en(triage::Category c) {
  switch (c) {
    case triage::Category::stemi:
      return "STEMI";
    case triage::Category::stemi_equivalent:
      return "STEMI equivalent";
    case triage::Category::confounded:
      return "ST changes with a confounder";
    case triage::Category::abnormal:
      return "abnormal";
    case triage::Category::normal:
      return "normal";
    case triage::Category::poor_quality:
      return "cannot be assessed";
  }
  return "?";
}

std::string category_zh(triage::Category c) {
  switch (c) {
    case triage::Category::stemi:
      return "ST段抬高型心肌梗死";
    case triage::Category::stemi_equivalent:
      return "STEMI等同改变";
    case triage::Category::confounded:
      return "ST改变（有混杂因素）";
    case triage::Category::abnormal:
      return "异常";
    case triage::Category::normal:
      return "正常";
    case triage::Category::poor_quality:
      return "无法评估";
  }
  return "?";
}

std::string tier_zh(triage::Tier t) {
  switch (t) {
    case triage::Tier::critical:
      return "危急";
    case triage::Tier::urgent:
      return "紧急";
    case triage::Tier::routine:
      return "常规";
  }
  return "?";
}

// Splits UTF-8 text into code points; a byte that starts no valid sequence becomes U+FFFD, so
// what cairo is given is always valid UTF-8 (it refuses anything else).
std::vector<std::string> code_points(const std::string& text) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    const std::size_t n = c < 0x80           ? 1
                          : (c >> 5) == 0x6  ? 2
                          : (c >> 4) == 0xE  ? 3
                          : (c >> 3) == 0x1E ? 4
                                             : 0;
    bool valid = n > 0 && i + n <= text.size();
    for (std::size_t k = 1; valid && k < n; ++k) {
      valid = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    }
    if (!valid) {
      out.emplace_back("\xEF\xBF\xBD");
      ++i;
      continue;
    }
    out.push_back(text.substr(i, n));
    i += n;
  }
  return out;
}

std::string join(const std::vector<std::string>& parts, std::size_t from, std::size_t to) {
  std::string out;
  for (std::size_t i = from; i < to; ++i) out += parts[i];
  return out;
}

class Page {
 public:
  Page(cairo_t* cr, cairo_font_face_t* regular, cairo_font_face_t* bold)
      : cr_(cr), regular_(regular), bold_(bold) {}

  double text_width(const std::string& s) {
    cairo_text_extents_t e;
    cairo_text_extents(cr_, s.c_str(), &e);
    return e.x_advance;
  }

  void font(bool bold, double size_mm) {
    cairo_set_font_face(cr_, bold ? bold_ : regular_);
    cairo_set_font_size(cr_, size_mm);
  }

  void text(double x, double y, const std::string& s) {
    const auto cps = code_points(s);
    cairo_move_to(cr_, x, y);
    cairo_show_text(cr_, join(cps, 0, cps.size()).c_str());
  }

  // Greedy wrap at spaces (or between any two CJK characters) within `width`; at most
  // `max_lines`, the last one ending in "…" when text is left. Returns the next baseline.
  // Lines `s` takes at `width` (the same breaking as wrapped()).
  int lines_needed(double width, const std::string& s) {
    const auto cps = code_points(s);
    std::size_t start = 0;
    int lines = 0;
    while (start < cps.size()) {
      std::size_t end = start, last_break = start;
      while (end < cps.size()) {
        if (end > start && text_width(join(cps, start, end + 1)) > width) break;
        ++end;
        if (cps[end - 1] == " " || cps[end - 1].size() == 3) last_break = end;
      }
      if (end < cps.size() && last_break > start) end = last_break;
      ++lines;
      start = end;
      while (start < cps.size() && cps[start] == " ") ++start;
    }
    return lines;
  }

  // `s` in at most max_lines lines from (x, y); text left over ends the last line in `more`.
  double wrapped(double x, double y, double width, const std::string& s, int max_lines,
                 const std::string& more = "…") {
    const auto cps = code_points(s);
    std::size_t start = 0;
    int lines = 0;
    while (start < cps.size() && lines < max_lines) {
      std::size_t end = start, last_break = start;
      while (end < cps.size()) {
        if (end > start && text_width(join(cps, start, end + 1)) > width) break;
        ++end;
        if (cps[end - 1] == " " || cps[end - 1].size() == 3) last_break = end;
      }
      if (end < cps.size() && last_break > start) end = last_break;
      ++lines;
      std::string out = join(cps, start, end);
      if (lines == max_lines && end < cps.size()) {  // text left over: end the last line in …
        std::size_t cut = end;
        while (cut > start && text_width(join(cps, start, cut) + more) > width) --cut;
        out = join(cps, start, cut) + more;
      }
      text(x, y, out);
      y += kLineMm;
      start = end;
      while (start < cps.size() && cps[start] == " ") ++start;
    }
    return y;
  }

  void grid() {
    cairo_save(cr_);
    for (int pass = 0; pass < 2; ++pass) {  // minor lines, then major lines over them
      const bool major = pass == 1;
      cairo_set_source_rgb(cr_, major ? 0.93 : 1.0, major ? 0.45 : 0.80, major ? 0.45 : 0.80);
      cairo_set_line_width(cr_, major ? 0.18 : 0.07);
      for (int i = 0; i <= static_cast<int>(kGridWidthMm); ++i) {
        if ((i % 5 == 0) != major) continue;
        cairo_move_to(cr_, kGridX0Mm + i, kGridY0Mm);
        cairo_line_to(cr_, kGridX0Mm + i, kGridY0Mm + kGridHeightMm);
      }
      for (int j = 0; j <= static_cast<int>(kGridHeightMm); ++j) {
        if ((j % 5 == 0) != major) continue;
        cairo_move_to(cr_, kGridX0Mm, kGridY0Mm + j);
        cairo_line_to(cr_, kGridX0Mm + kGridWidthMm, kGridY0Mm + j);
      }
      cairo_stroke(cr_);
    }
    cairo_restore(cr_);
  }

  // 1 mV for 0.2 s: 10 mm high, 5 mm wide, on the row's baseline.
  void calibration(double baseline_y) {
    const double up = kGainMmPerMv;  // 1 mV
    const double w = 0.2 * kSpeedMmPerS;
    cairo_move_to(cr_, kCalX0Mm, baseline_y);
    cairo_line_to(cr_, kCalX0Mm + 2, baseline_y);
    cairo_line_to(cr_, kCalX0Mm + 2, baseline_y - up);
    cairo_line_to(cr_, kCalX0Mm + 2 + w, baseline_y - up);
    cairo_line_to(cr_, kCalX0Mm + 2 + w, baseline_y);
    cairo_line_to(cr_, kCalX0Mm + 4 + w, baseline_y);
    cairo_stroke(cr_);
  }

  // Samples [t0_s, t1_s) of `uv` at x = kTraceX0Mm + 25 mm/s × t, centred on their median.
  void trace(const std::vector<float>& uv, double rate_hz, double t0_s, double t1_s,
             double baseline_y) {
    const auto n = static_cast<std::int64_t>(uv.size());
    const auto i0 = std::clamp<std::int64_t>(std::llround(t0_s * rate_hz), 0, n);
    const auto i1 = std::clamp<std::int64_t>(std::llround(t1_s * rate_hz), 0, n);
    if (i1 - i0 < 2) return;
    std::vector<float> part(uv.begin() + i0, uv.begin() + i1);
    std::nth_element(part.begin(), part.begin() + static_cast<std::ptrdiff_t>(part.size() / 2),
                     part.end());
    const double centre_uv = part[part.size() / 2];
    for (auto i = i0; i < i1; ++i) {
      const double x = kTraceX0Mm + kSpeedMmPerS * static_cast<double>(i) / rate_hz;
      const double y =
          baseline_y - (uv[static_cast<std::size_t>(i)] - centre_uv) * kGainMmPerMv / 1000.0;
      if (i == i0)
        cairo_move_to(cr_, x, y);
      else
        cairo_line_to(cr_, x, y);
    }
    cairo_stroke(cr_);
  }

  // The panel: up to 12 leads in 3 rows × 4 columns (column-major, as the slots are given), and
  // a rhythm lead over the 10 s (null: none).
  void panel(const dsp::SignalBlock& block, const std::array<int, 12>& slots, int rhythm) {
    grid();
    cairo_save(cr_);
    cairo_rectangle(cr_, kGridX0Mm, kGridY0Mm, kGridWidthMm, kGridHeightMm);
    cairo_clip(cr_);
    cairo_set_source_rgb(cr_, 0, 0, 0);
    cairo_set_line_width(cr_, 0.25);
    cairo_set_line_join(cr_, CAIRO_LINE_JOIN_ROUND);
    font(true, 3.2);
    for (int row = 0; row < 4; ++row) {
      const double base = kGridY0Mm + kRowPitchMm * (row + 0.5) + 3;
      if (row < 3 || rhythm >= 0) calibration(base);
      if (row == 3) {
        if (rhythm >= 0) {
          trace(block.samples_uv[static_cast<std::size_t>(rhythm)], block.sample_rate_hz, 0,
                kStripSeconds, base);
          text(kTraceX0Mm + 1, base - 9, block.lead_names[static_cast<std::size_t>(rhythm)]);
        }
        continue;
      }
      for (int col = 0; col < 4; ++col) {
        const int lead = slots[static_cast<std::size_t>(col * 3 + row)];
        const double t0 = col * kColumnSeconds;
        const double x0 = kTraceX0Mm + kSpeedMmPerS * t0;
        if (col > 0 && lead >= 0) {  // lead change mark
          cairo_move_to(cr_, x0, base - 2);
          cairo_line_to(cr_, x0, base + 2);
          cairo_stroke(cr_);
        }
        if (lead < 0) continue;
        const auto& name = block.lead_names[static_cast<std::size_t>(lead)];
        text(x0 + 1, base - 9, name);
        trace(block.samples_uv[static_cast<std::size_t>(lead)], block.sample_rate_hz, t0,
              t0 + kColumnSeconds, base);
      }
    }
    cairo_restore(cr_);
  }

 private:
  cairo_t* cr_;
  cairo_font_face_t* regular_;
  cairo_font_face_t* bold_;
};

std::string fixed(double v, int decimals) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string measurements_line(const dsp::GlobalMeasurement& g) {
  std::string s;
  const auto add = [&](const std::string& label, const std::optional<double>& v,
                       const std::string& unit) {
    if (!v) return;
    if (!s.empty()) s += "   ";
    s += label + " " + fixed(*v, 0) + " " + unit;
  };
  add("HR 心率", g.heart_rate_bpm, "bpm");
  add("PR", g.pr_ms, "ms");
  add("QRS", g.qrs_duration_ms, "ms");
  add("QT", g.qt_ms, "ms");
  add("QTc", g.qtc_ms, "ms");
  add("QRS axis 电轴", g.qrs_axis_deg, "°");
  return s;
}

// Whether the first page's header can hold the reads whole (else they continue on a last page).
bool reads_fit(Page& page, const PdfContent& content) {
  const double width = kGridWidthMm;
  page.font(false, kTextMm);
  if (content.automatic) {
    const auto& f = content.automatic->finding;
    if (page.lines_needed(width, f.explanation_en) > 3) return false;
    if (page.lines_needed(width, f.explanation_zh) > 2) return false;
  }
  return !content.confirmed || page.lines_needed(width, content.confirmed->text) <= 3;
}

// report_page: the page that holds the reads in full (0: none, they fit on page 1).
void header(Page& page, const Recording& rec, const PdfContent& content, int page_no, int pages,
            int report_page) {
  const auto& src = rec.ecg.source;
  const double x = kGridX0Mm, width = kGridWidthMm;
  double y = 12;
  page.font(true, 4.6);
  const auto& names = rec.ecg.block.lead_names;
  const bool all_twelve = std::all_of(kStandardLeads.begin(), kStandardLeads.end(), [&](auto n) {
    return std::find(names.begin(), names.end(), n) != names.end();
  });
  page.text(x, y,
            page_no > 1  ? "Additional leads  附加导联"
            : all_twelve ? "12-lead ECG  十二导联心电图"
                         : "ECG  心电图");
  page.font(false, kTextMm);
  const std::string pg =
      "greenchannel · page 页 " + std::to_string(page_no) + "/" + std::to_string(pages);
  page.text(x + width - page.text_width(pg), y, pg);
  y += 6;
  std::string patient =
      "Patient 患者: " +
      (src.patient_id.empty() ? std::string("—") : detail::pseudonymous_id(src.patient_id));
  patient += "    Age 年龄: " + (src.age_years ? std::to_string(*src.age_years) : "—");
  patient += "    Sex 性别: ";
  patient += src.sex ? (*src.sex == 'M' ? "M 男" : "F 女") : "—";
  patient += "    Acquired 采集时间: " +
             (src.acquired_at.empty() ? std::string("—") : src.acquired_at + src.acquired_zone);
  page.text(x, y, patient);
  y += kLineMm;
  std::string device = "Device 设备: ";
  const std::string dev_name = src.manufacturer + (src.model.empty() ? "" : " " + src.model);
  device += dev_name.empty() ? "—" : dev_name;
  if (!src.serial.empty()) device += ", serial " + src.serial;
  if (!src.software.empty()) device += ", software " + src.software;
  device += "    Source 来源: " + rec.source_format + ", " +
            detail::exact_number(rec.ecg.sample_rate_hz) + " Hz, " +
            fixed(static_cast<double>(rec.ecg.samples_per_lead) / rec.ecg.sample_rate_hz, 1) +
            " s, " + std::to_string(rec.ecg.block.lead_names.size()) + " leads 导联";
  if (!rec.ecg.derived_leads.empty()) {
    std::string derived;
    for (const auto& d : rec.ecg.derived_leads) derived += (derived.empty() ? "" : ", ") + d;
    device += " (" + derived + " derived from I, II 由I、II导联推导)";
  }
  page.text(x, y, device);
  y += kLineMm + 1.5;
  if (page_no > 1) return;

  page.font(true, kTextMm);
  if (content.automatic) {
    const auto& f = content.automatic->finding;
    page.text(x, y,
              "Automatic read 自动分析 (to be confirmed by a physician 需经医师确认): " +
                  category_en(f.category) + " / " + category_zh(f.category) + " — " +
                  std::string(triage::to_string(f.tier)) + " / " + tier_zh(f.tier));
    y += kLineMm;
    page.font(false, kTextMm);
    const std::string more =
        report_page > 0 ? "… (p. " + std::to_string(report_page) + " 见第" +
                              std::to_string(report_page) + "页)"
                        : std::string("…");
    y = page.wrapped(x, y, width, f.explanation_en, 3, more);
    y = page.wrapped(x, y, width, f.explanation_zh, 2, more);
    const auto m = measurements_line(content.automatic->global);
    if (!m.empty()) {
      page.text(x, y, m);
      y += kLineMm;
    }
  } else {
    page.text(
        x, y,
        "Automatic read 自动分析: unavailable 无法分析 — " + content.automatic_unavailable_reason);
    y += kLineMm;
  }
  y += 1;
  page.font(true, kTextMm);
  if (content.confirmed) {
    const auto& c = *content.confirmed;
    page.text(x, y, "Confirmed read 确认诊断 — " + c.by + ", " + c.at_iso8601 + ":");
    y += kLineMm;
    page.font(false, kTextMm);
    page.wrapped(x, y, width, c.text, 3,
                 report_page > 0 ? "… (p. " + std::to_string(report_page) + " 见第" +
                                       std::to_string(report_page) + "页)"
                                 : std::string("…"));
  } else {
    page.text(x, y, "Not yet confirmed by a cardiologist 尚未经心内科医师确认");
  }
}

// The last page when the first could not hold the reads: each of them whole.
void report_page(Page& page, const PdfContent& content, int page_no, int pages) {
  const double x = kGridX0Mm, width = kGridWidthMm;
  double y = 12;
  page.font(true, 4.6);  // as the first page's title
  page.text(x, y, "Report 报告 — the reads in full 全文");
  page.font(false, kTextMm);
  const std::string pg =
      "greenchannel · page 页 " + std::to_string(page_no) + "/" + std::to_string(pages);
  page.text(x + width - page.text_width(pg), y, pg);
  y += 8;
  constexpr int kAll = 1000;  // the header's limit is gone here; a read is at most a few dozen lines
  if (content.automatic) {
    const auto& f = content.automatic->finding;
    page.font(true, kTextMm);
    page.text(x, y, "Automatic read 自动分析 (to be confirmed by a physician 需经医师确认)");
    y += kLineMm;
    page.font(false, kTextMm);
    y = page.wrapped(x, y, width, f.explanation_en, kAll);
    y = page.wrapped(x, y, width, f.explanation_zh, kAll);
    y += 2;
  }
  if (content.confirmed) {
    const auto& c = *content.confirmed;
    page.font(true, kTextMm);
    page.text(x, y, "Confirmed read 确认诊断 — " + c.by + ", " + c.at_iso8601 + ":");
    y += kLineMm;
    page.font(false, kTextMm);
    page.wrapped(x, y, width, c.text, kAll);
  }
}

void footer(Page& page) {
  page.font(false, kTextMm);
  const double y = kGridY0Mm + kGridHeightMm + 6;
  page.text(kGridX0Mm, y,
            "Speed 走纸速度 25 mm/s    Gain 增益 10 mm/mV    Calibration 定标 1 mV    Filter 滤波: "
            "none, stored samples as recorded 无（原始数据）; each trace centred on its median "
            "各导联按中位数居中");
  page.text(kGridX0Mm, y + kLineMm,
            "Grid 网格: 1 mm minor, 5 mm major (0.04 s, 0.1 mV / 0.2 s, 0.5 mV). Printed at true "
            "size: print at 100 % (no fit-to-page) 请按100%打印.");
}

}  // namespace

void write_pdf(const Recording& recording, const PdfContent& content,
               const std::filesystem::path& out_pdf) {
  const auto& block = recording.ecg.block;
  if (block.samples_uv.empty() || !(block.sample_rate_hz > 0)) {
    throw Error("PDF: the record holds no leads");
  }
  if (content.confirmed) {
    const auto& c = *content.confirmed;
    static const std::regex kIso8601(
        R"(\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?)");
    if (c.text.empty() || c.by.empty())
      throw Error("PDF: a confirmed read needs its text and name");
    if (!std::regex_match(c.at_iso8601, kIso8601)) {
      throw Error("PDF: confirmed-at '" + c.at_iso8601 +
                  "' is not an ISO 8601 date/time (2026-12-03T08:15+08:00)");
    }
  }
  const FontFace regular = cjk_font(false);
  const FontFace bold = cjk_font(true);

  // Page 1: the standard 12 in their slots; the other leads go to further pages, 12 a page.
  std::array<int, 12> standard;
  standard.fill(-1);
  std::vector<int> extra;
  int rhythm = -1;
  for (std::size_t i = 0; i < block.lead_names.size(); ++i) {
    const auto& name = block.lead_names[i];
    const auto it = std::find(kStandardLeads.begin(), kStandardLeads.end(), name);
    if (it != kStandardLeads.end())
      standard[static_cast<std::size_t>(it - kStandardLeads.begin())] = static_cast<int>(i);
    else
      extra.push_back(static_cast<int>(i));
    if (name == "II") rhythm = static_cast<int>(i);
  }
  if (rhythm < 0) rhythm = 0;
  std::vector<std::array<int, 12>> panels{standard};
  for (std::size_t k = 0; k < extra.size(); k += 12) {
    std::array<int, 12> slots;
    slots.fill(-1);
    for (std::size_t j = 0; j < 12 && k + j < extra.size(); ++j) slots[j] = extra[k + j];
    panels.push_back(slots);
  }

  detail::write_atomically(out_pdf, [&](const std::filesystem::path& temp) {
    cairo_surface_t* surface = cairo_pdf_surface_create(temp.c_str(), kPageWidthMm * kPointsPerMm,
                                                        kPageHeightMm * kPointsPerMm);
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, "12-lead ECG");
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "greenchannel");
    cairo_t* cr = cairo_create(surface);
    cairo_scale(cr, kPointsPerMm, kPointsPerMm);
    Page page(cr, regular.get(), bold.get());
    const int ecg_pages = static_cast<int>(panels.size());
    // Reads too long for the first page's header are cut there with a pointer to a last page
    // that holds them whole: nothing of the read or the signed report is lost on paper.
    const bool fits = reads_fit(page, content);
    const int pages = ecg_pages + (fits ? 0 : 1);
    for (int p = 0; p < ecg_pages; ++p) {
      cairo_set_source_rgb(cr, 0, 0, 0);
      header(page, recording, content, p + 1, pages, fits ? 0 : pages);
      page.panel(block, panels[static_cast<std::size_t>(p)], rhythm);
      cairo_set_source_rgb(cr, 0, 0, 0);
      footer(page);
      cairo_show_page(cr);
    }
    if (!fits) {
      cairo_set_source_rgb(cr, 0, 0, 0);
      report_page(page, content, pages, pages);
      cairo_show_page(cr);
    }
    const cairo_status_t status = cairo_status(cr);
    cairo_destroy(cr);
    cairo_surface_finish(surface);
    const cairo_status_t surface_status = cairo_surface_status(surface);
    cairo_surface_destroy(surface);
    if (status != CAIRO_STATUS_SUCCESS || surface_status != CAIRO_STATUS_SUCCESS) {
      throw Error(out_pdf.string() + ": cairo: " +
                  cairo_status_to_string(status != CAIRO_STATUS_SUCCESS ? status : surface_status));
    }
  });
}

}  // namespace gc::exporter
