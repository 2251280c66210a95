// svg_plot.hpp — a small hand-written SVG line plot (panels of x–y series with markers and a
// shared legend), enough for `polarkit sweep --plot`. No plotting library.
//
// The SVG carries what it draws as data for tests and scripts: each panel is a
// <g class="panel" data-title data-x-min data-x-max data-y-min data-y-max> holding a
// <rect class="frame">, each series a <g class="series" data-label data-colour data-marker
// data-dash data-line>, each point a <g class="point" data-x data-y data-hollow
// transform="translate(px,py)"> with its marker drawn around the origin, and each legend entry a
// <g class="legend-entry" data-label ...> with the same style attributes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace polarkit::cli {

enum class Marker {
  circle, square, triangle_up, diamond, triangle_down, plus, cross, star, pentagon, hexagon,
  ring,  ///< a large unfilled circle: an overlay that leaves what it covers visible
};
std::string_view marker_name(Marker marker);

/// How a series looks. Colour, marker and dash pattern each tell series apart on their own, so
/// that series drawn on top of each other (equal values) or printed in grey stay distinguishable.
struct SeriesStyle {
  std::string colour = "#000000";
  Marker marker = Marker::circle;
  std::string dash;   ///< the line's SVG stroke-dasharray; empty: solid
  bool line = true;   ///< false: markers only, drawn after every series with a line (an overlay)
};

/// How many styles series_style has before it repeats.
inline constexpr int style_count = 10;
/// Style `index` (taken modulo style_count): any two indices below style_count differ in colour,
/// in marker and in dash pattern.
SeriesStyle series_style(int index);
/// The overlay: no line, a large black ring over the other series' markers. Its colour and
/// marker differ from every series_style.
SeriesStyle overlay_style();

struct PlotSeries {
  std::string label;
  SeriesStyle style;  ///< the same style in every panel and in the legend is the same quantity
  std::vector<double> x;
  std::vector<double> y;
  std::vector<bool> hollow;  ///< per point: open marker (e.g. "did not converge"); may be empty
};

/// A reference drawn dashed across a panel, labelled at its right end: y = value · x^x_power
/// (x_power 0: a horizontal line, such as a published bar; 1: proportional to x, such as κ·u).
/// It is part of the y range over the whole x axis.
struct ReferenceLine {
  double value = 0.0;
  std::string label;
  double x_power = 0.0;
};

/// A dotted vertical line at x, labelled above the frame (e.g. 1/u on a κ axis). Drawn only
/// where x lies on the axis: it does not widen the x range, which the data alone sets.
struct VerticalLine {
  double x = 0.0;
  std::string label;
};

struct PlotPanel {
  std::string title;
  std::string x_label;
  std::string y_label;
  bool log_x = true;
  bool log_y = false;
  /// A log y axis labelled with plain numbers (1, 10, 100; 2 and 5 between them over up to
  /// three decades) instead of powers of ten: for counts such as iterations.
  bool plain_log_labels = false;
  std::vector<PlotSeries> series;  ///< overlays (style.line false) are drawn last, on top
  std::vector<ReferenceLine> references;
  std::vector<VerticalLine> verticals;
};

struct LegendEntry {
  std::string label;
  SeriesStyle style;
  std::string detail;  ///< a smaller second line under the label; empty: none
};

struct Figure {
  std::string title;
  std::string note;  ///< one line under the title
  int columns = 2;
  double panel_width = 470.0;
  double panel_height = 330.0;
  std::vector<PlotPanel> panels;  ///< row by row
  std::vector<LegendEntry> legend;
  std::string hollow_meaning;  ///< legend line explaining open markers; empty: none
};

/// The figure as a standalone SVG document. Each axis covers every point drawn on it and the
/// references; points with a non-finite coordinate, or a non-positive one on a log axis, are
/// left out (the line is broken there).
std::string render_svg(const Figure& figure);

}  // namespace polarkit::cli
