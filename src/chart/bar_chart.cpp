#include "planfix_flow/chart/bar_chart.h"

#include <cairo-ft.h>
#include <cairo.h>
#include <fmt/format.h>
#include <ft2build.h>
#include FT_FREETYPE_H

#include <algorithm>
#include <array>
#include <memory>
#include <mutex>

#include "planfix_flow/core/utf8.h"

namespace planfix_flow::chart {

using core::ErrorCode;
using core::Fail;
using core::Result;

namespace {

constexpr double kMargin = 24;
constexpr double kTitleHeight = 44;
constexpr double kLegendHeight = 32;
constexpr double kRowHeight = 34;
constexpr double kBarHeight = 22;
constexpr double kLabelWidth = 230;
constexpr double kTotalWidth = 90;
// The font file itself (Debian's fonts-dejavu-core), opened through FreeType: cairo's own
// font lookup goes through fontconfig, whose caches live until the process ends.
constexpr std::array<const char*, 2> kFontFiles = {
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
};

// One FreeType library for the process (never freed: cairo may keep a face of it in its
// caches until exit); the mutex serialises charts, which are drawn a few times a month.
std::mutex& FontMutex() {
  static std::mutex mutex;
  return mutex;
}

FT_Library FreeType() {
  static FT_Library library = [] {
    FT_Library created = nullptr;
    if (FT_Init_FreeType(&created) != 0) return static_cast<FT_Library>(nullptr);
    return created;
  }();
  return library;
}

const cairo_user_data_key_t kFaceKey{};

// A cairo font face for DejaVu Sans; its FT_Face is released with the face (cairo may hold it
// in a cache after the chart is done). Null when the font is not installed.
cairo_font_face_t* OpenFont() {
  FT_Library library = FreeType();
  if (library == nullptr) return nullptr;
  for (const char* file : kFontFiles) {
    FT_Face face = nullptr;
    if (FT_New_Face(library, file, 0, &face) != 0) continue;
    cairo_font_face_t* font = cairo_ft_font_face_create_for_ft_face(face, 0);
    if (cairo_font_face_set_user_data(font, &kFaceKey, face, [](void* data) {
          FT_Done_Face(static_cast<FT_Face>(data));
        }) != CAIRO_STATUS_SUCCESS) {
      cairo_font_face_destroy(font);
      FT_Done_Face(face);
      return nullptr;
    }
    return font;
  }
  return nullptr;
}

struct FontDeleter {
  void operator()(cairo_font_face_t* font) const { cairo_font_face_destroy(font); }
};

struct SurfaceDeleter {
  void operator()(cairo_surface_t* surface) const { cairo_surface_destroy(surface); }
};
struct ContextDeleter {
  void operator()(cairo_t* context) const { cairo_destroy(context); }
};

void SetColour(cairo_t* cr, std::uint32_t rgb) {
  cairo_set_source_rgb(cr, ((rgb >> 16) & 0xFF) / 255.0, ((rgb >> 8) & 0xFF) / 255.0,
                       (rgb & 0xFF) / 255.0);
}

std::string FormatValue(std::int64_t value, BarChart::ValueFormat format) {
  if (format == BarChart::ValueFormat::kHoursMinutes) {
    return fmt::format("{}:{:02}", value / 60, value % 60);
  }
  return std::to_string(value);
}

double TextWidth(cairo_t* cr, const std::string& text) {
  cairo_text_extents_t extents;
  cairo_text_extents(cr, text.c_str(), &extents);
  return extents.x_advance;
}

// `text` shortened (on a character boundary, with an ellipsis) to fit `width` pixels.
std::string Fit(cairo_t* cr, const std::string& text, double width) {
  if (TextWidth(cr, text) <= width) return text;
  for (std::size_t bytes = text.size(); bytes > 0; --bytes) {
    const std::string candidate = std::string(core::Utf8Prefix(text, bytes)) + "…";
    if (TextWidth(cr, candidate) <= width) return candidate;
  }
  return "…";
}

cairo_status_t AppendPng(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

}  // namespace

Result<std::string> RenderPng(const BarChart& chart) {
  if (chart.series.empty()) return Fail(ErrorCode::kInvalidInput, "chart: no series");
  if (chart.width < 400 || chart.width > 4000)
    return Fail(ErrorCode::kInvalidInput, "chart: width must be 400..4000 pixels");
  const std::size_t rows = std::min(chart.rows.size(), kMaxRows);
  std::int64_t longest = 0;
  for (std::size_t i = 0; i < rows; ++i) {
    const Row& row = chart.rows[i];
    if (row.values.size() != chart.series.size())
      return Fail(ErrorCode::kInvalidInput, "chart: a row's values do not match the series");
    std::int64_t total = 0;
    for (const std::int64_t value : row.values) {
      if (value < 0) return Fail(ErrorCode::kInvalidInput, "chart: a value is negative");
      total += value;
    }
    longest = std::max(longest, total);
  }

  std::lock_guard lock(FontMutex());
  std::unique_ptr<cairo_font_face_t, FontDeleter> font(OpenFont());
  if (!font) {
    return Fail(ErrorCode::kInternal,
                "chart: the font DejaVu Sans is not installed (Debian: fonts-dejavu-core)");
  }
  const int height =
      static_cast<int>(kMargin * 2 + kTitleHeight + kLegendHeight +
                       kRowHeight * static_cast<double>(std::max<std::size_t>(rows, 1)));
  std::unique_ptr<cairo_surface_t, SurfaceDeleter> surface(
      cairo_image_surface_create(CAIRO_FORMAT_ARGB32, chart.width, height));
  std::unique_ptr<cairo_t, ContextDeleter> context(cairo_create(surface.get()));
  cairo_t* cr = context.get();
  if (cairo_status(cr) != CAIRO_STATUS_SUCCESS)
    return Fail(ErrorCode::kInternal, "chart: cairo could not make a surface");

  SetColour(cr, 0xFFFFFF);
  cairo_paint(cr);
  cairo_set_font_face(cr, font.get());
  cairo_set_font_size(cr, 18);
  SetColour(cr, 0x222222);
  cairo_move_to(cr, kMargin, kMargin + 20);
  cairo_show_text(cr, Fit(cr, chart.title, chart.width - 2 * kMargin).c_str());

  // Legend.
  cairo_set_font_size(cr, 13);
  double x = kMargin;
  const double legend_y = kMargin + kTitleHeight;
  for (const Series& series : chart.series) {
    SetColour(cr, series.rgb);
    cairo_rectangle(cr, x, legend_y, 14, 14);
    cairo_fill(cr);
    SetColour(cr, 0x222222);
    cairo_move_to(cr, x + 20, legend_y + 12);
    cairo_show_text(cr, series.name.c_str());
    x += 40 + TextWidth(cr, series.name);
  }

  const double bars_left = kMargin + kLabelWidth;
  const double bars_width = chart.width - bars_left - kTotalWidth - kMargin;
  const double top = kMargin + kTitleHeight + kLegendHeight;
  if (rows == 0) {
    SetColour(cr, 0x777777);
    cairo_move_to(cr, bars_left, top + 20);
    cairo_show_text(cr, "—");
  }
  for (std::size_t i = 0; i < rows; ++i) {
    const Row& row = chart.rows[i];
    const double y = top + kRowHeight * static_cast<double>(i);
    SetColour(cr, 0x222222);
    cairo_move_to(cr, kMargin, y + 16);
    cairo_show_text(cr, Fit(cr, row.label, kLabelWidth - 10).c_str());
    std::int64_t total = 0;
    double segment_x = bars_left;
    for (std::size_t s = 0; s < row.values.size(); ++s) {
      total += row.values[s];
      if (longest == 0 || row.values[s] == 0) continue;
      const double length =
          bars_width * static_cast<double>(row.values[s]) / static_cast<double>(longest);
      SetColour(cr, chart.series[s].rgb);
      cairo_rectangle(cr, segment_x, y, std::max(length, 1.0), kBarHeight);
      cairo_fill(cr);
      const std::string text = FormatValue(row.values[s], chart.format);
      if (TextWidth(cr, text) + 8 < length) {
        SetColour(cr, 0xFFFFFF);
        cairo_move_to(cr, segment_x + 4, y + 16);
        cairo_show_text(cr, text.c_str());
      }
      segment_x += length;
    }
    SetColour(cr, 0x222222);
    cairo_move_to(cr, segment_x + 6, y + 16);
    cairo_show_text(cr, FormatValue(total, chart.format).c_str());
  }

  cairo_surface_flush(surface.get());
  std::string png;
  if (cairo_surface_write_to_png_stream(surface.get(), AppendPng, &png) != CAIRO_STATUS_SUCCESS)
    return Fail(ErrorCode::kInternal, "chart: cairo could not write the PNG");
  return png;
}

}  // namespace planfix_flow::chart
