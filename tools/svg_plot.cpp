#include "svg_plot.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

namespace polarkit::cli {
namespace {

constexpr double panel_width = 470.0;
constexpr double panel_height = 330.0;
constexpr double margin_left = 72.0;
constexpr double margin_right = 18.0;
constexpr double margin_top = 34.0;
constexpr double margin_bottom = 52.0;
constexpr double header_height = 64.0;
constexpr double legend_width = 230.0;

constexpr std::array<const char*, 10> colours{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                              "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                                              "#bcbd22", "#17becf"};
enum class Marker { circle, square, triangle_up, diamond, triangle_down, cross };
constexpr std::array<Marker, 6> markers{Marker::circle,  Marker::square,        Marker::triangle_up,
                                        Marker::diamond, Marker::triangle_down, Marker::cross};

std::size_t index(int style, std::size_t count) {
  return static_cast<std::size_t>(style < 0 ? -style : style) % count;
}
const char* colour(int style) { return colours[index(style, colours.size())]; }
Marker marker(int style) { return markers[index(style, markers.size())]; }

std::string escape(const std::string& text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string fmt(double x) {
  char s[32];
  std::snprintf(s, sizeof s, "%.2f", x);
  return s;
}

// A number on a linear axis: integers without decimals, otherwise the shortest %g.
std::string tick_text(double x) {
  char s[32];
  std::snprintf(s, sizeof s, "%g", std::abs(x) < 1e-12 ? 0.0 : x);
  return s;
}

bool usable(double v, bool log) { return std::isfinite(v) && (!log || v > 0.0); }

// One axis: the data range mapped to pixels, with its ticks.
struct Axis {
  bool log = false;
  double lo = 0.0;  // in axis units (log10 of the value on a log axis)
  double hi = 1.0;
  std::vector<double> ticks;  // axis units
  int label_every = 1;        // log axes: label every this many decades

  [[nodiscard]] double unit(double v) const { return log ? std::log10(v) : v; }
  [[nodiscard]] double fraction(double v) const { return (unit(v) - lo) / (hi - lo); }
};

Axis make_axis(const std::vector<double>& values, bool log) {
  Axis axis;
  axis.log = log;
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  for (const double v : values) {
    if (!usable(v, log)) continue;
    lo = std::min(lo, axis.unit(v));
    hi = std::max(hi, axis.unit(v));
  }
  if (!(lo <= hi)) {  // no data
    lo = 0.0;
    hi = 1.0;
  }
  if (log) {
    lo = std::floor(lo + 1e-9);
    hi = std::ceil(hi - 1e-9);
    if (hi - lo < 1.0) {
      lo -= 1.0;
      hi += 1.0;
    }
    const int decades = static_cast<int>(hi - lo);
    axis.label_every = decades <= 8 ? 1 : decades <= 16 ? 2 : decades <= 32 ? 4 : 8;
    for (double t = lo; t <= hi + 1e-9; t += 1.0) axis.ticks.push_back(t);
  } else {
    lo = std::min(lo, 0.0);
    if (hi <= lo) hi = lo + 1.0;
    const double raw = (hi - lo) / 6.0;
    const double power = std::pow(10.0, std::floor(std::log10(raw)));
    double step = power;
    for (const double f : {1.0, 2.0, 2.5, 5.0, 10.0}) {
      step = f * power;
      if (step >= raw) break;
    }
    hi = std::ceil(hi / step - 1e-9) * step;
    if (hi <= lo) hi = lo + step;
    for (double t = lo; t <= hi + 1e-9 * step; t += step) axis.ticks.push_back(t);
  }
  axis.lo = lo;
  axis.hi = hi;
  return axis;
}

void draw_marker(std::ostringstream& svg, Marker shape, double x, double y, const char* stroke,
                 bool hollow) {
  const char* fill = hollow ? "white" : stroke;
  svg << "<g fill=\"" << fill << "\" stroke=\"" << stroke << "\" stroke-width=\"1.5\">";
  const double r = 4.2;
  switch (shape) {
    case Marker::circle:
      svg << "<circle cx=\"" << fmt(x) << "\" cy=\"" << fmt(y) << "\" r=\"" << fmt(r) << "\"/>";
      break;
    case Marker::square:
      svg << "<rect x=\"" << fmt(x - r * 0.9) << "\" y=\"" << fmt(y - r * 0.9) << "\" width=\""
          << fmt(1.8 * r) << "\" height=\"" << fmt(1.8 * r) << "\"/>";
      break;
    case Marker::triangle_up:
    case Marker::triangle_down: {
      const double s = shape == Marker::triangle_up ? 1.0 : -1.0;
      svg << "<polygon points=\"" << fmt(x) << "," << fmt(y - s * 1.2 * r) << " "
          << fmt(x - 1.1 * r) << "," << fmt(y + s * 0.8 * r) << " " << fmt(x + 1.1 * r) << ","
          << fmt(y + s * 0.8 * r) << "\"/>";
      break;
    }
    case Marker::diamond:
      svg << "<polygon points=\"" << fmt(x) << "," << fmt(y - 1.3 * r) << " " << fmt(x + 1.1 * r)
          << "," << fmt(y) << " " << fmt(x) << "," << fmt(y + 1.3 * r) << " " << fmt(x - 1.1 * r)
          << "," << fmt(y) << "\"/>";
      break;
    case Marker::cross: {  // a plus sign with a body, so that a hollow one still reads as a cross
      const double a = 0.45 * r;
      const double b = 1.2 * r;
      svg << "<polygon points=\"";
      const double pts[12][2] = {{-a, -b}, {a, -b}, {a, -a}, {b, -a}, {b, a},   {a, a},
                                 {a, b},   {-a, b}, {-a, a}, {-b, a}, {-b, -a}, {-a, -a}};
      for (const auto& p : pts) svg << fmt(x + p[0]) << "," << fmt(y + p[1]) << " ";
      svg << "\"/>";
      break;
    }
  }
  svg << "</g>\n";
}

// "10^k" with a raised exponent.
void power_of_ten_label(std::ostringstream& svg, double x, double y, double k, const char* anchor) {
  svg << "<text x=\"" << fmt(x) << "\" y=\"" << fmt(y) << "\" text-anchor=\"" << anchor
      << "\">10<tspan dy=\"-6\" font-size=\"9\">" << static_cast<long>(std::lround(k))
      << "</tspan></text>\n";
}

void draw_panel(std::ostringstream& svg, const PlotPanel& panel, double left, double top) {
  std::vector<double> xs;
  std::vector<double> ys;
  for (const PlotSeries& s : panel.series) {
    for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (usable(s.x[i], panel.log_x) && usable(s.y[i], panel.log_y)) {
        xs.push_back(s.x[i]);
        const bool hollow = i < s.hollow.size() && s.hollow[i];
        if (!(hollow && panel.clip_hollow)) ys.push_back(s.y[i]);
      }
    }
  }
  for (const ReferenceLine& line : panel.references) {
    if (usable(line.y, panel.log_y)) ys.push_back(line.y);
  }
  const Axis ax = make_axis(xs, panel.log_x);
  const Axis ay = make_axis(ys, panel.log_y);
  const double x0 = left + margin_left;
  const double x1 = left + panel_width - margin_right;
  const double y0 = top + panel_height - margin_bottom;  // bottom of the plot area
  const double y1 = top + margin_top;
  // A few pixels of padding inside the frame so that markers on the edge stay visible.
  const double pad = 8.0;
  const auto px = [&](double v) { return x0 + pad + ax.fraction(v) * (x1 - x0 - 2 * pad); };
  const auto py = [&](double v) { return y0 - pad - ay.fraction(v) * (y0 - y1 - 2 * pad); };
  // Off-scale hollow points of a clip_hollow panel sit on the top edge of the frame.
  const auto clipped = [&](const PlotSeries& s, std::size_t i) {
    return panel.clip_hollow && i < s.hollow.size() && s.hollow[i] && ay.fraction(s.y[i]) > 1.0;
  };
  const auto point_y = [&](const PlotSeries& s, std::size_t i) {
    return clipped(s, i) ? y1 + 5 : py(s.y[i]);
  };
  const auto tx = [&](double t) { return x0 + pad + (t - ax.lo) / (ax.hi - ax.lo) * (x1 - x0 - 2 * pad); };
  const auto ty = [&](double t) { return y0 - pad - (t - ay.lo) / (ay.hi - ay.lo) * (y0 - y1 - 2 * pad); };

  svg << "<text x=\"" << fmt((x0 + x1) / 2) << "\" y=\"" << fmt(top + 20) << "\" text-anchor=\"middle\" "
      << "font-size=\"14\" font-weight=\"bold\">" << escape(panel.title) << "</text>\n";
  // Grid and ticks.
  svg << "<g font-size=\"11\" fill=\"#333\">\n";
  for (std::size_t i = 0; i < ax.ticks.size(); ++i) {
    const double t = ax.ticks[i];
    const double x = tx(t);
    svg << "<line x1=\"" << fmt(x) << "\" y1=\"" << fmt(y1) << "\" x2=\"" << fmt(x) << "\" y2=\""
        << fmt(y0) << "\" stroke=\"#e4e4e4\"/>\n";
    const bool labelled = !ax.log || static_cast<long>(std::lround(t - ax.lo)) % ax.label_every == 0;
    if (!labelled) continue;
    if (ax.log) {
      power_of_ten_label(svg, x, y0 + 18, t, "middle");
    } else {
      svg << "<text x=\"" << fmt(x) << "\" y=\"" << fmt(y0 + 18) << "\" text-anchor=\"middle\">"
          << tick_text(t) << "</text>\n";
    }
  }
  // Minor ticks of a log y axis spanning few decades: 2·10^k … 9·10^k, with 2 and 5 labelled
  // when there are at most two decades.
  const double minor_label_decades = panel.plain_log_labels ? 3.0 : 2.0;
  if (ay.log && ay.hi - ay.lo <= 6.0) {
    for (double d = ay.lo; d < ay.hi - 1e-9; d += 1.0) {
      for (int f = 2; f <= 9; ++f) {
        const double t = d + std::log10(static_cast<double>(f));
        const double y = ty(t);
        svg << "<line x1=\"" << fmt(x0) << "\" y1=\"" << fmt(y) << "\" x2=\"" << fmt(x1)
            << "\" y2=\"" << fmt(y) << "\" stroke=\"#f2f2f2\"/>\n";
        if (ay.hi - ay.lo <= minor_label_decades && (f == 2 || f == 5)) {
          svg << "<text x=\"" << fmt(x0 - 8) << "\" y=\"" << fmt(y + 4)
              << "\" text-anchor=\"end\" font-size=\"9\">" << tick_text(f * std::pow(10.0, d))
              << "</text>\n";
        }
      }
    }
  }
  for (std::size_t i = 0; i < ay.ticks.size(); ++i) {
    const double t = ay.ticks[i];
    const double y = ty(t);
    svg << "<line x1=\"" << fmt(x0) << "\" y1=\"" << fmt(y) << "\" x2=\"" << fmt(x1) << "\" y2=\""
        << fmt(y) << "\" stroke=\"#e4e4e4\"/>\n";
    const bool labelled = !ay.log || static_cast<long>(std::lround(t - ay.lo)) % ay.label_every == 0;
    if (!labelled) continue;
    if (ay.log && !panel.plain_log_labels) {
      power_of_ten_label(svg, x0 - 8, y + 4, t, "end");
    } else if (ay.log) {
      svg << "<text x=\"" << fmt(x0 - 8) << "\" y=\"" << fmt(y + 4) << "\" text-anchor=\"end\">"
          << tick_text(std::pow(10.0, t)) << "</text>\n";
    } else {
      svg << "<text x=\"" << fmt(x0 - 8) << "\" y=\"" << fmt(y + 4) << "\" text-anchor=\"end\">"
          << tick_text(t) << "</text>\n";
    }
  }
  svg << "</g>\n";
  svg << "<rect x=\"" << fmt(x0) << "\" y=\"" << fmt(y1) << "\" width=\"" << fmt(x1 - x0)
      << "\" height=\"" << fmt(y0 - y1) << "\" fill=\"none\" stroke=\"#444\"/>\n";
  // Axis labels.
  svg << "<text x=\"" << fmt((x0 + x1) / 2) << "\" y=\"" << fmt(y0 + 40)
      << "\" text-anchor=\"middle\" font-size=\"12\">" << escape(panel.x_label) << "</text>\n";
  const double ly = (y0 + y1) / 2;
  const double lx = left + 16;
  svg << "<text x=\"" << fmt(lx) << "\" y=\"" << fmt(ly) << "\" text-anchor=\"middle\" font-size=\"12\" "
      << "transform=\"rotate(-90 " << fmt(lx) << " " << fmt(ly) << ")\">" << escape(panel.y_label)
      << "</text>\n";

  // Reference lines under the data: dashed, labelled inside the frame at the right.
  for (const ReferenceLine& line : panel.references) {
    if (!usable(line.y, panel.log_y)) continue;
    const double y = py(line.y);
    svg << "<line x1=\"" << fmt(x0) << "\" y1=\"" << fmt(y) << "\" x2=\"" << fmt(x1) << "\" y2=\""
        << fmt(y) << "\" stroke=\"#555\" stroke-width=\"1.2\" stroke-dasharray=\"6,4\"/>\n";
  }

  // Series: a polyline through consecutive usable points, then the markers on top.
  for (const PlotSeries& s : panel.series) {
    const char* c = colour(s.style);
    std::vector<std::pair<double, double>> run;
    const auto flush = [&] {
      if (run.size() >= 2) {
        svg << "<polyline fill=\"none\" stroke=\"" << c << "\" stroke-width=\"1.8\" points=\"";
        for (const auto& [x, y] : run) svg << fmt(x) << "," << fmt(y) << " ";
        svg << "\"/>\n";
      }
      run.clear();
    };
    for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (usable(s.x[i], panel.log_x) && usable(s.y[i], panel.log_y)) {
        run.emplace_back(px(s.x[i]), point_y(s, i));
      } else {
        flush();
      }
    }
    flush();
    for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (usable(s.x[i], panel.log_x) && usable(s.y[i], panel.log_y)) {
        const bool hollow = i < s.hollow.size() && s.hollow[i];
        const double x = px(s.x[i]);
        const double y = point_y(s, i);
        if (clipped(s, i)) {  // an arrow up out of the frame: the value is off the scale
          svg << "<path d=\"M" << fmt(x) << "," << fmt(y - 6) << " l0,-9 m-4,4 l4,-4 l4,4\" fill=\"none\" "
              << "stroke=\"" << c << "\" stroke-width=\"1.5\"/>\n";
        }
        draw_marker(svg, marker(s.style), x, y, c, hollow);
      }
    }
  }
  // The reference lines' labels over everything, on a white halo so that data lines do not hide
  // them.
  for (const ReferenceLine& line : panel.references) {
    if (!usable(line.y, panel.log_y)) continue;
    svg << "<text x=\"" << fmt(x1 - 4) << "\" y=\"" << fmt(py(line.y) - 4)
        << "\" text-anchor=\"end\" font-size=\"10\" fill=\"#444\" stroke=\"white\" "
        << "stroke-width=\"3\" paint-order=\"stroke\">" << escape(line.label) << "</text>\n";
  }
}

}  // namespace

std::string render_svg(const Figure& figure) {
  const int columns = std::max(1, figure.columns);
  const std::size_t count = figure.panels.size();
  const std::size_t rows = std::max<std::size_t>(1, (count + static_cast<std::size_t>(columns) - 1) /
                                                        static_cast<std::size_t>(columns));
  const double width = columns * panel_width + legend_width;
  const double height = header_height + static_cast<double>(rows) * panel_height + 10;

  std::ostringstream svg;
  svg << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << fmt(width) << "\" height=\""
      << fmt(height) << "\" viewBox=\"0 0 " << fmt(width) << " " << fmt(height) << "\" "
      << "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg << "<text x=\"" << fmt(width / 2) << "\" y=\"26\" text-anchor=\"middle\" font-size=\"17\" "
      << "font-weight=\"bold\">" << escape(figure.title) << "</text>\n";
  if (!figure.note.empty()) {
    svg << "<text x=\"" << fmt(width / 2) << "\" y=\"48\" text-anchor=\"middle\" font-size=\"12\" "
        << "fill=\"#444\">" << escape(figure.note) << "</text>\n";
  }
  for (std::size_t p = 0; p < count; ++p) {
    const double left = static_cast<double>(p % static_cast<std::size_t>(columns)) * panel_width;
    const double top = header_height + static_cast<double>(p / static_cast<std::size_t>(columns)) * panel_height;
    draw_panel(svg, figure.panels[p], left, top);
  }

  // Legend, to the right of the panels.
  const double lx = columns * panel_width + 10;
  double ly = header_height + margin_top + 10;
  svg << "<g font-size=\"12\">\n";
  for (const LegendEntry& entry : figure.legend) {
    const char* c = colour(entry.style);
    svg << "<line x1=\"" << fmt(lx) << "\" y1=\"" << fmt(ly) << "\" x2=\"" << fmt(lx + 34)
        << "\" y2=\"" << fmt(ly) << "\" stroke=\"" << c << "\" stroke-width=\"1.8\"/>\n";
    draw_marker(svg, marker(entry.style), lx + 17, ly, c, false);
    svg << "<text x=\"" << fmt(lx + 44) << "\" y=\"" << fmt(ly + 4) << "\">" << escape(entry.label)
        << "</text>\n";
    ly += 22;
  }
  if (!figure.hollow_meaning.empty()) {
    ly += 6;
    draw_marker(svg, Marker::circle, lx + 17, ly, "#444", true);
    svg << "<text x=\"" << fmt(lx + 44) << "\" y=\"" << fmt(ly + 4) << "\">"
        << escape(figure.hollow_meaning) << "</text>\n";
  }
  svg << "</g>\n</svg>\n";
  return svg.str();
}

}  // namespace polarkit::cli
