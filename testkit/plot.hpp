// plot.hpp — hand-written SVG plots, no plotting library: figures of x–y panels with markers and
// a shared legend (`polarkit sweep --plot`), and curves against the iteration count on a log
// axis (the example experiments' loss plots). Both draw with the same palette, escaping and
// number formats (plot.cpp).
//
// A figure's SVG carries what it draws as data for tests and scripts: each panel is a
// <g class="panel" data-title data-x-min data-x-max data-y-min data-y-max> holding a
// <rect class="frame">, each series a <g class="series" data-label data-colour data-marker
// data-dash data-line>, each point a <g class="point" data-x data-y data-hollow
// transform="translate(px,py)"> with its marker drawn around the origin, and each legend entry a
// <g class="legend-entry" data-label ...> with the same style attributes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace polarkit::testkit {

// --- figures ----------------------------------------------------------------------------------

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

// --- curves against the iteration count ---------------------------------------------------------

struct Curve {
  std::string label;
  std::vector<double> y;  ///< y_k for k = 0, 1, …; a non-finite or non-positive value breaks the line
};

struct CurvePlot {
  std::string title;
  std::string subtitle;  ///< one line under the title; empty: none
  std::string x_label;
  std::string y_label_markup;  ///< written as is: SVG text content (tspans for subscripts)
  std::vector<Curve> curves;
};

/// The curves as a standalone SVG document: y on a log axis in whole decades (2 or 5 decades a
/// tick when there are many), k from 0 to the longest curve, a legend in the inside corner that
/// the fewest points cross. Each curve is reduced to the first, lowest, highest and last point
/// of every pixel column, so that long oscillating curves stay small and look the same.
std::string render_curves_svg(const CurvePlot& plot);

}  // namespace polarkit::testkit
