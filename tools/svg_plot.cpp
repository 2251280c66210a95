#include "svg_plot.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numbers>
#include <sstream>
#include <utility>

namespace polarkit::cli {
namespace {

constexpr double margin_left = 72.0;
constexpr double margin_right = 18.0;
constexpr double margin_top = 34.0;
constexpr double margin_bottom = 52.0;
constexpr double header_height = 64.0;
constexpr double legend_width = 250.0;
constexpr double legend_sample = 48.0;  // long enough to show a whole period of every dash
constexpr double marker_radius = 4.2;
constexpr double ring_radius = 8.5;     // around the other markers (the star reaches 6.1)
constexpr int reference_samples = 48;   // a reference y = c·x^p is drawn and ranged through these

// matplotlib's "tab10"; black is left for the overlay.
constexpr std::array<const char*, style_count> colours{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                                       "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                                                       "#bcbd22", "#17becf"};
constexpr std::array<Marker, style_count> markers{
    Marker::circle, Marker::square, Marker::triangle_up, Marker::diamond,  Marker::triangle_down,
    Marker::plus,   Marker::cross,  Marker::star,        Marker::pentagon, Marker::hexagon};
// Patterns that differ in rhythm (dots, dashes, dash-dot, ...), not only in length.
constexpr std::array<const char*, style_count> dashes{"",        "10,4",        "2,3",
                                                      "9,3,2,3", "5,3",         "9,3,2,3,2,3",
                                                      "3,7",     "16,3,4,3",    "12,3,12,3,2,3",
                                                      "4,2,4,8"};

std::size_t style_slot(int index) {
  return static_cast<std::size_t>(((index % style_count) + style_count) % style_count);
}

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

// A pixel coordinate.
std::string fmt(double x) {
  char s[32];
  std::snprintf(s, sizeof s, "%.2f", x);
  return s;
}

// A data value in an attribute: round-trips, so that readers compare the numbers plotted.
std::string exact(double x) {
  char s[32];
  std::snprintf(s, sizeof s, "%.17g", x);
  return s;
}

// A number on a linear axis: integers without decimals, otherwise the shortest %g.
std::string tick_text(double x) {
  char s[32];
  std::snprintf(s, sizeof s, "%g", std::abs(x) < 1e-12 ? 0.0 : x);
  return s;
}

bool usable(double v, bool log) { return std::isfinite(v) && (!log || v > 0.0); }

// --- markers -------------------------------------------------------------------------------------

using Outline = std::vector<std::pair<double, double>>;

// k vertices on a circle of radius r, the first at `start` radians counter-clockwise from +x.
Outline regular_polygon(int k, double r, double start) {
  Outline points;
  for (int i = 0; i < k; ++i) {
    const double a = start + 2.0 * std::numbers::pi * i / k;
    points.emplace_back(r * std::cos(a), -r * std::sin(a));  // SVG's y points down
  }
  return points;
}

Outline star(double outer, double inner) {
  Outline points;
  for (int i = 0; i < 10; ++i) {
    const double r = i % 2 == 0 ? outer : inner;
    const double a = std::numbers::pi / 2 + std::numbers::pi * i / 5;
    points.emplace_back(r * std::cos(a), -r * std::sin(a));
  }
  return points;
}

// A plus sign with a body, so that an open one still reads as a plus; turned by `angle`.
Outline plus_sign(double r, double angle) {
  const double a = 0.45 * r;
  const double b = 1.2 * r;
  const Outline plus{{-a, -b}, {a, -b}, {a, -a}, {b, -a}, {b, a},   {a, a},
                     {a, b},   {-a, b}, {-a, a}, {-b, a}, {-b, -a}, {-a, -a}};
  Outline turned;
  for (const auto& [x, y] : plus) {
    turned.emplace_back(x * std::cos(angle) - y * std::sin(angle),
                        x * std::sin(angle) + y * std::cos(angle));
  }
  return turned;
}

Outline outline(Marker shape, double r) {
  constexpr double up = std::numbers::pi / 2;
  switch (shape) {
    case Marker::triangle_up: return regular_polygon(3, 1.25 * r, up);
    case Marker::triangle_down: return regular_polygon(3, 1.25 * r, -up);
    case Marker::diamond: return {{0, -1.3 * r}, {1.1 * r, 0}, {0, 1.3 * r}, {-1.1 * r, 0}};
    case Marker::pentagon: return regular_polygon(5, 1.15 * r, up);
    case Marker::hexagon: return regular_polygon(6, 1.1 * r, 0.0);
    case Marker::star: return star(1.45 * r, 0.6 * r);
    case Marker::plus: return plus_sign(r, 0.0);
    case Marker::cross: return plus_sign(r, std::numbers::pi / 4);
    case Marker::circle:
    case Marker::square:
    case Marker::ring: break;
  }
  return {};
}

// The marker around the origin (the caller positions it with a transform). A hollow marker is
// filled white; the ring has no fill at all, so a hollow ring is dashed instead.
void draw_marker(std::ostringstream& svg, Marker shape, const std::string& colour, bool hollow) {
  const bool ring = shape == Marker::ring;
  svg << "<g fill=\"" << (ring ? "none" : hollow ? "white" : colour) << "\" stroke=\"" << colour
      << "\" stroke-width=\"" << (ring ? "2.2" : "1.5") << "\"";
  if (ring && hollow) svg << " stroke-dasharray=\"3,2\"";
  svg << ">";
  const double r = marker_radius;
  switch (shape) {
    case Marker::circle: svg << "<circle r=\"" << fmt(r) << "\"/>"; break;
    case Marker::ring: svg << "<circle r=\"" << fmt(ring_radius) << "\"/>"; break;
    case Marker::square:
      svg << "<rect x=\"" << fmt(-0.9 * r) << "\" y=\"" << fmt(-0.9 * r) << "\" width=\""
          << fmt(1.8 * r) << "\" height=\"" << fmt(1.8 * r) << "\"/>";
      break;
    default:
      svg << "<polygon points=\"";
      for (const auto& [x, y] : outline(shape, r)) svg << fmt(x) << "," << fmt(y) << " ";
      svg << "\"/>";
  }
  svg << "</g>";
}

std::string translate(double x, double y) { return "translate(" + fmt(x) + "," + fmt(y) + ")"; }

// The attributes that say how a series looks, on its group and on its legend entry alike.
std::string style_attributes(const std::string& label, const SeriesStyle& style) {
  return " data-label=\"" + escape(label) + "\" data-colour=\"" + escape(style.colour) +
         "\" data-marker=\"" + std::string(marker_name(style.marker)) + "\" data-dash=\"" +
         escape(style.line ? style.dash : "none") + "\" data-line=\"" +
         (style.line ? "true" : "false") + "\"";
}

std::string line_style(const SeriesStyle& style) {
  std::string out = " fill=\"none\" stroke=\"" + escape(style.colour) + "\" stroke-width=\"1.8\"";
  if (!style.dash.empty()) out += " stroke-dasharray=\"" + escape(style.dash) + "\"";
  return out;
}

// --- axes ----------------------------------------------------------------------------------------

// One axis: the data range mapped to pixels, with its ticks.
struct Axis {
  bool log = false;
  double lo = 0.0;  // in axis units (log10 of the value on a log axis)
  double hi = 1.0;
  std::vector<double> ticks;  // axis units
  int label_every = 1;        // log axes: label every this many decades

  [[nodiscard]] double unit(double v) const { return log ? std::log10(v) : v; }
  [[nodiscard]] double value(double t) const { return log ? std::pow(10.0, t) : t; }
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

bool point_usable(const PlotPanel& panel, const PlotSeries& s, std::size_t i) {
  return usable(s.x[i], panel.log_x) && usable(s.y[i], panel.log_y);
}

std::size_t point_count(const PlotSeries& s) { return std::min(s.x.size(), s.y.size()); }

// A reference's curve, sampled evenly in axis units across the x axis.
std::vector<std::pair<double, double>> reference_curve(const ReferenceLine& line, const Axis& ax) {
  std::vector<std::pair<double, double>> curve;
  for (int i = 0; i < reference_samples; ++i) {
    const double x = ax.value(ax.lo + (ax.hi - ax.lo) * i / (reference_samples - 1));
    curve.emplace_back(x, line.value * std::pow(x, line.x_power));
  }
  return curve;
}

Axis x_axis(const PlotPanel& panel) {
  std::vector<double> xs;
  for (const PlotSeries& s : panel.series) {
    for (std::size_t i = 0; i < point_count(s); ++i) {
      if (point_usable(panel, s, i)) xs.push_back(s.x[i]);
    }
  }
  return make_axis(xs, panel.log_x);
}

// Every point drawn and every reference over the x axis: nothing is clipped.
Axis y_axis(const PlotPanel& panel, const Axis& ax) {
  std::vector<double> ys;
  for (const PlotSeries& s : panel.series) {
    for (std::size_t i = 0; i < point_count(s); ++i) {
      if (point_usable(panel, s, i)) ys.push_back(s.y[i]);
    }
  }
  for (const ReferenceLine& line : panel.references) {
    for (const auto& [x, y] : reference_curve(line, ax)) ys.push_back(y);
  }
  return make_axis(ys, panel.log_y);
}

// A panel's plot area in pixels and the map from axis units into it.
struct Frame {
  Axis ax;
  Axis ay;
  double x0 = 0.0;  // left
  double x1 = 0.0;  // right
  double y0 = 0.0;  // bottom
  double y1 = 0.0;  // top
  static constexpr double pad = 8.0;  // inside the frame, so that markers on the edge show whole

  [[nodiscard]] double tx(double t) const {
    return x0 + pad + (t - ax.lo) / (ax.hi - ax.lo) * (x1 - x0 - 2 * pad);
  }
  [[nodiscard]] double ty(double t) const {
    return y0 - pad - (t - ay.lo) / (ay.hi - ay.lo) * (y0 - y1 - 2 * pad);
  }
  [[nodiscard]] double px(double v) const { return tx(ax.unit(v)); }
  [[nodiscard]] double py(double v) const { return ty(ay.unit(v)); }
};

// "10^k" with a raised exponent.
void power_of_ten_label(std::ostringstream& svg, double x, double y, double k, const char* anchor) {
  svg << "<text x=\"" << fmt(x) << "\" y=\"" << fmt(y) << "\" text-anchor=\"" << anchor
      << "\">10<tspan dy=\"-6\" font-size=\"9\">" << static_cast<long>(std::lround(k))
      << "</tspan></text>\n";
}

// Log axes label round powers (10⁰, 10⁴, 10⁸ rather than 10⁻¹, 10³, 10⁷).
bool labelled(const Axis& axis, double t) {
  return !axis.log || std::lround(t) % axis.label_every == 0;
}

void draw_x_ticks(std::ostringstream& svg, const Frame& f) {
  for (const double t : f.ax.ticks) {
    const double x = f.tx(t);
    svg << "<line x1=\"" << fmt(x) << "\" y1=\"" << fmt(f.y1) << "\" x2=\"" << fmt(x) << "\" y2=\""
        << fmt(f.y0) << "\" stroke=\"#e4e4e4\"/>\n";
    if (!labelled(f.ax, t)) continue;
    if (f.ax.log) {
      power_of_ten_label(svg, x, f.y0 + 18, t, "middle");
    } else {
      svg << "<text x=\"" << fmt(x) << "\" y=\"" << fmt(f.y0 + 18) << "\" text-anchor=\"middle\">"
          << tick_text(t) << "</text>\n";
    }
  }
}

void draw_y_ticks(std::ostringstream& svg, const Frame& f, bool plain_log_labels) {
  // Minor ticks of a log y axis spanning few decades: 2·10^k … 9·10^k, with 2 and 5 labelled
  // when there are at most two decades (three with plain labels).
  const double minor_label_decades = plain_log_labels ? 3.0 : 2.0;
  if (f.ay.log && f.ay.hi - f.ay.lo <= 6.0) {
    for (double d = f.ay.lo; d < f.ay.hi - 1e-9; d += 1.0) {
      for (int k = 2; k <= 9; ++k) {
        const double y = f.ty(d + std::log10(static_cast<double>(k)));
        svg << "<line x1=\"" << fmt(f.x0) << "\" y1=\"" << fmt(y) << "\" x2=\"" << fmt(f.x1)
            << "\" y2=\"" << fmt(y) << "\" stroke=\"#f2f2f2\"/>\n";
        if (f.ay.hi - f.ay.lo <= minor_label_decades && (k == 2 || k == 5)) {
          svg << "<text x=\"" << fmt(f.x0 - 8) << "\" y=\"" << fmt(y + 4)
              << "\" text-anchor=\"end\" font-size=\"9\">" << tick_text(k * std::pow(10.0, d))
              << "</text>\n";
        }
      }
    }
  }
  for (const double t : f.ay.ticks) {
    const double y = f.ty(t);
    svg << "<line x1=\"" << fmt(f.x0) << "\" y1=\"" << fmt(y) << "\" x2=\"" << fmt(f.x1)
        << "\" y2=\"" << fmt(y) << "\" stroke=\"#e4e4e4\"/>\n";
    if (!labelled(f.ay, t)) continue;
    if (f.ay.log && !plain_log_labels) {
      power_of_ten_label(svg, f.x0 - 8, y + 4, t, "end");
    } else {
      svg << "<text x=\"" << fmt(f.x0 - 8) << "\" y=\"" << fmt(y + 4) << "\" text-anchor=\"end\">"
          << tick_text(f.ay.value(t)) << "</text>\n";
    }
  }
}

// A label on a white halo, so that data lines under it do not hide it.
void halo_text(std::ostringstream& svg, double x, double y, const char* anchor,
               const std::string& text) {
  svg << "<text x=\"" << fmt(x) << "\" y=\"" << fmt(y) << "\" text-anchor=\"" << anchor
      << "\" font-size=\"10\" fill=\"#444\" stroke=\"white\" stroke-width=\"3\" "
      << "paint-order=\"stroke\">" << escape(text) << "</text>\n";
}

void draw_references(std::ostringstream& svg, const PlotPanel& panel, const Frame& f) {
  for (const ReferenceLine& line : panel.references) {
    svg << "<polyline class=\"reference\" fill=\"none\" stroke=\"#555\" stroke-width=\"1.2\" "
        << "stroke-dasharray=\"6,4\" points=\"";
    for (const auto& [x, y] : reference_curve(line, f.ax)) {
      if (usable(y, panel.log_y)) svg << fmt(f.px(x)) << "," << fmt(f.py(y)) << " ";
    }
    svg << "\"/>\n";
  }
  for (const VerticalLine& line : panel.verticals) {
    if (!usable(line.x, panel.log_x)) continue;
    const double at = f.ax.fraction(line.x);
    if (at < 0.0 || at > 1.0) continue;
    const double x = f.px(line.x);
    svg << "<line class=\"vertical\" data-x=\"" << exact(line.x) << "\" x1=\"" << fmt(x)
        << "\" y1=\"" << fmt(f.y1) << "\" x2=\"" << fmt(x) << "\" y2=\"" << fmt(f.y0)
        << "\" stroke=\"#555\" stroke-width=\"1.2\" stroke-dasharray=\"1.5,3\"/>\n";
  }
}

// Labels over the data: the references' at their right end, the verticals' over their top.
void label_references(std::ostringstream& svg, const PlotPanel& panel, const Frame& f) {
  // Above its line, or below it where the previous label sits (bars close together, e.g. 13ε
  // and 3√n·ε at small n).
  double previous = -1e9;
  for (const ReferenceLine& line : panel.references) {
    const double y = reference_curve(line, f.ax).back().second;
    if (!usable(y, panel.log_y)) continue;
    double at = f.py(y) - 4;
    if (std::abs(at - previous) < 12) at = f.py(y) + 12;
    halo_text(svg, f.x1 - 4, at, "end", line.label);
    previous = at;
  }
  for (const VerticalLine& line : panel.verticals) {
    if (!usable(line.x, panel.log_x)) continue;
    const double at = f.ax.fraction(line.x);
    // Above the frame, where neither data nor the references' labels (at the top right) reach.
    if (at >= 0.0 && at <= 1.0) halo_text(svg, f.px(line.x), f.y1 - 4, "middle", line.label);
  }
}

void draw_series(std::ostringstream& svg, const PlotPanel& panel, const PlotSeries& s,
                 const Frame& f) {
  svg << "<g class=\"series\"" << style_attributes(s.label, s.style) << ">\n";
  if (s.style.line) {  // a polyline through consecutive usable points
    std::vector<std::pair<double, double>> run;
    const auto flush = [&] {
      if (run.size() >= 2) {
        svg << "<polyline" << line_style(s.style) << " points=\"";
        for (const auto& [x, y] : run) svg << fmt(x) << "," << fmt(y) << " ";
        svg << "\"/>\n";
      }
      run.clear();
    };
    for (std::size_t i = 0; i < point_count(s); ++i) {
      if (point_usable(panel, s, i)) {
        run.emplace_back(f.px(s.x[i]), f.py(s.y[i]));
      } else {
        flush();
      }
    }
    flush();
  }
  for (std::size_t i = 0; i < point_count(s); ++i) {
    if (!point_usable(panel, s, i)) continue;
    const bool hollow = i < s.hollow.size() && s.hollow[i];
    svg << "<g class=\"point\" data-x=\"" << exact(s.x[i]) << "\" data-y=\"" << exact(s.y[i])
        << "\" data-hollow=\"" << (hollow ? "true" : "false") << "\" transform=\""
        << translate(f.px(s.x[i]), f.py(s.y[i])) << "\">";
    draw_marker(svg, s.style.marker, s.style.colour, hollow);
    svg << "</g>\n";
  }
  svg << "</g>\n";
}

void draw_panel(std::ostringstream& svg, const PlotPanel& panel, double left, double top,
                double width, double height) {
  Frame f;
  f.ax = x_axis(panel);
  f.ay = y_axis(panel, f.ax);
  f.x0 = left + margin_left;
  f.x1 = left + width - margin_right;
  f.y0 = top + height - margin_bottom;
  f.y1 = top + margin_top;

  svg << "<g class=\"panel\" data-title=\"" << escape(panel.title) << "\" data-x-min=\""
      << exact(f.ax.value(f.ax.lo)) << "\" data-x-max=\"" << exact(f.ax.value(f.ax.hi))
      << "\" data-y-min=\"" << exact(f.ay.value(f.ay.lo)) << "\" data-y-max=\""
      << exact(f.ay.value(f.ay.hi)) << "\">\n";
  svg << "<text x=\"" << fmt((f.x0 + f.x1) / 2) << "\" y=\"" << fmt(top + 20)
      << "\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">" << escape(panel.title)
      << "</text>\n";
  svg << "<g font-size=\"11\" fill=\"#333\">\n";
  draw_x_ticks(svg, f);
  draw_y_ticks(svg, f, panel.plain_log_labels);
  svg << "</g>\n";
  svg << "<rect class=\"frame\" x=\"" << fmt(f.x0) << "\" y=\"" << fmt(f.y1) << "\" width=\""
      << fmt(f.x1 - f.x0) << "\" height=\"" << fmt(f.y0 - f.y1)
      << "\" fill=\"none\" stroke=\"#444\"/>\n";
  svg << "<text x=\"" << fmt((f.x0 + f.x1) / 2) << "\" y=\"" << fmt(f.y0 + 40)
      << "\" text-anchor=\"middle\" font-size=\"12\">" << escape(panel.x_label) << "</text>\n";
  const double ly = (f.y0 + f.y1) / 2;
  const double lx = left + 16;
  svg << "<text x=\"" << fmt(lx) << "\" y=\"" << fmt(ly) << "\" text-anchor=\"middle\" "
      << "font-size=\"12\" transform=\"rotate(-90 " << fmt(lx) << " " << fmt(ly) << ")\">"
      << escape(panel.y_label) << "</text>\n";

  draw_references(svg, panel, f);
  // Series with a line first, then the overlays on top of them.
  for (const bool overlays : {false, true}) {
    for (const PlotSeries& s : panel.series) {
      if (s.style.line != overlays) draw_series(svg, panel, s, f);
    }
  }
  label_references(svg, panel, f);
  svg << "</g>\n";
}

// The legend from its top-left corner; returns its bottom.
double draw_legend(std::ostringstream& svg, const Figure& figure, double lx, double top) {
  double ly = top;
  svg << "<g class=\"legend\" font-size=\"12\">\n";
  for (const LegendEntry& entry : figure.legend) {
    svg << "<g class=\"legend-entry\"" << style_attributes(entry.label, entry.style) << ">";
    if (entry.style.line) {
      svg << "<line x1=\"" << fmt(lx) << "\" y1=\"" << fmt(ly) << "\" x2=\""
          << fmt(lx + legend_sample) << "\" y2=\"" << fmt(ly) << "\"" << line_style(entry.style)
          << "/>";
    }
    svg << "<g class=\"marker\" data-marker=\"" << marker_name(entry.style.marker)
        << "\" transform=\"" << translate(lx + legend_sample / 2, ly) << "\">";
    draw_marker(svg, entry.style.marker, entry.style.colour, false);
    svg << "</g><text x=\"" << fmt(lx + legend_sample + 10) << "\" y=\"" << fmt(ly + 4) << "\">"
        << escape(entry.label) << "</text>";
    if (!entry.detail.empty()) {
      ly += 14;
      svg << "<text x=\"" << fmt(lx + legend_sample + 10) << "\" y=\"" << fmt(ly + 4)
          << "\" font-size=\"10\" fill=\"#555\">" << escape(entry.detail) << "</text>";
    }
    svg << "</g>\n";
    ly += 22;
  }
  if (!figure.hollow_meaning.empty()) {
    ly += 6;
    svg << "<g transform=\"" << translate(lx + legend_sample / 2, ly) << "\">";
    draw_marker(svg, Marker::circle, "#444444", true);
    svg << "</g><text x=\"" << fmt(lx + legend_sample + 10) << "\" y=\"" << fmt(ly + 4) << "\">"
        << escape(figure.hollow_meaning) << "</text>\n";
    ly += 22;
  }
  svg << "</g>\n";
  return ly;
}

}  // namespace

std::string_view marker_name(Marker marker) {
  switch (marker) {
    case Marker::circle: return "circle";
    case Marker::square: return "square";
    case Marker::triangle_up: return "triangle-up";
    case Marker::diamond: return "diamond";
    case Marker::triangle_down: return "triangle-down";
    case Marker::plus: return "plus";
    case Marker::cross: return "cross";
    case Marker::star: return "star";
    case Marker::pentagon: return "pentagon";
    case Marker::hexagon: return "hexagon";
    case Marker::ring: return "ring";
  }
  return "?";
}

SeriesStyle series_style(int index) {
  const std::size_t slot = style_slot(index);
  return {colours[slot], markers[slot], dashes[slot], true};
}

SeriesStyle overlay_style() { return {"#000000", Marker::ring, "", false}; }

std::string render_svg(const Figure& figure) {
  const int columns = std::max(1, figure.columns);
  const auto per_row = static_cast<std::size_t>(columns);
  const std::size_t count = figure.panels.size();
  const std::size_t rows = std::max<std::size_t>(1, (count + per_row - 1) / per_row);
  const double width = columns * figure.panel_width + legend_width;

  std::ostringstream body;
  for (std::size_t p = 0; p < count; ++p) {
    const double left = static_cast<double>(p % per_row) * figure.panel_width;
    const double top = header_height + static_cast<double>(p / per_row) * figure.panel_height;
    draw_panel(body, figure.panels[p], left, top, figure.panel_width, figure.panel_height);
  }
  const double legend_bottom =
      draw_legend(body, figure, columns * figure.panel_width + 10, header_height + margin_top + 10);
  const double height =
      std::max(header_height + static_cast<double>(rows) * figure.panel_height, legend_bottom) + 10;

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
  svg << body.str() << "</svg>\n";
  return svg.str();
}

}  // namespace polarkit::cli
