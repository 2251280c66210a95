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

struct PlotPanel {
  std::string title;
  std::string x_label;
  std::string y_label;
  bool log_x = true;
  bool log_y = false;
  std::vector<PlotSeries> series;
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
