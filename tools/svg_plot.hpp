// svg_plot.hpp — a small hand-written SVG line plot (panels of x–y series with markers and a
// shared legend), enough for `polarkit sweep --plot`. No plotting library.
#pragma once

#include <string>
#include <vector>

namespace polarkit::cli {

struct PlotSeries {
  std::string label;
  int style = 0;  ///< picks colour and marker; the same style in every panel is the same method
  std::vector<double> x;
  std::vector<double> y;
  std::vector<bool> hollow;  ///< per point: open marker (e.g. "did not converge"); may be empty
};

/// A horizontal dashed line across a panel, labelled at its right end (e.g. a published bar).
struct ReferenceLine {
  double y = 0.0;
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
  /// The y range ignores hollow points (e.g. runs that did not converge); those above it are
  /// drawn on the top edge with an arrow pointing up, so that they do not flatten the others.
  bool clip_hollow = false;
  std::vector<PlotSeries> series;
  std::vector<ReferenceLine> references;  ///< included in the y range
};

struct LegendEntry {
  std::string label;
  int style = 0;
};

struct Figure {
  std::string title;
  std::string note;  ///< one line under the title
  int columns = 2;
  std::vector<PlotPanel> panels;  ///< row by row
  std::vector<LegendEntry> legend;
  std::string hollow_meaning;  ///< legend line explaining open markers; empty: none
};

/// The figure as a standalone SVG document. Points with a non-finite coordinate, or a
/// non-positive one on a log axis, are left out (the line is broken there).
std::string render_svg(const Figure& figure);

}  // namespace polarkit::cli
