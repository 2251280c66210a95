#include "testkit/plot.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numbers>
#include <sstream>
#include <utility>

namespace polarkit::testkit {
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

// A pixel coordinate, to `decimals` places.
std::string fixed(double x, int decimals) {
  char s[32];
  std::snprintf(s, sizeof s, "%.*f", decimals, x);
  return s;
}

// A figure's pixel coordinate.
std::string fmt(double x) { return fixed(x, 2); }

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

// The smallest of 1, 2, 2.5, 5 × 10^e that is at least `raw`: a tick step.
double nice_step(double raw) {
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  double step = power;
  for (const double f : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    step = f * power;
    if (step >= raw) break;
  }
  return step;
}

// "10^k" with a raised exponent, at pixel coordinates already formatted.
void power_of_ten_label(std::ostream& svg, const std::string& x, const std::string& y, double k,
                        const char* anchor, int exponent_size) {
  svg << "<text x=\"" << x << "\" y=\"" << y << "\" text-anchor=\"" << anchor
      << "\">10<tspan dy=\"-6\" font-size=\"" << exponent_size << "\">"
      << static_cast<long>(std::lround(k)) << "</tspan></text>\n";
}

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
    const double step = nice_step((hi - lo) / 6.0);
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
      power_of_ten_label(svg, fmt(x), fmt(f.y0 + 18), t, "middle", 9);
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
      power_of_ten_label(svg, fmt(f.x0 - 8), fmt(y + 4), t, "end", 9);
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


// --- curves against the iteration count ---------------------------------------------------------

namespace {

// The curve plot's size, and the margins around its frame.
constexpr double curve_width = 900.0, curve_height = 560.0;
constexpr double curve_left = 78.0, curve_right = 24.0, curve_top = 66.0, curve_bottom = 58.0;

// Eight styles: the figures' colours less their grey and olive (slots 7 and 8), with dash
// patterns of their own; docs/img/optim_*.svg were drawn in them.
constexpr std::array<std::size_t, 8> curve_colours{0, 1, 2, 3, 4, 5, 6, 9};
constexpr std::array<const char*, 8> curve_dashes{"", "8 4", "2 3", "", "8 3 2 3", "", "4 4", ""};

// A curve plot's pixel coordinate: a tenth of a pixel is enough at 900 × 560.
std::string coord(double v) { return fixed(v, 1); }

using Piece = std::vector<std::pair<double, double>>;

}  // namespace

std::string render_curves_svg(const CurvePlot& plot) {
  const std::vector<Curve>& curves = plot.curves;
  // Data range: k from 0 to the longest curve, y = log10 of the usable values.
  std::size_t kmax = 1;
  double ymin = std::numeric_limits<double>::infinity();
  double ymax = -std::numeric_limits<double>::infinity();
  std::vector<std::vector<double>> logs;
  for (const Curve& c : curves) {
    std::vector<double> y(c.y.size(), std::numeric_limits<double>::quiet_NaN());
    for (std::size_t k = 0; k < c.y.size(); ++k) {
      if (std::isfinite(c.y[k]) && c.y[k] > 0.0) {
        y[k] = std::log10(c.y[k]);
        ymin = std::min(ymin, y[k]);
        ymax = std::max(ymax, y[k]);
      }
    }
    kmax = std::max(kmax, c.y.empty() ? std::size_t{1} : c.y.size() - 1);
    logs.push_back(std::move(y));
  }
  if (!std::isfinite(ymin)) {
    ymin = -1.0;
    ymax = 0.0;
  }
  double lo = std::floor(ymin);
  double hi = std::max(std::ceil(ymax), lo + 1.0);
  const double decades = hi - lo;
  const double step = decades > 24 ? 5.0 : decades > 12 ? 2.0 : 1.0;
  lo = std::floor(lo / step) * step;
  hi = std::ceil(hi / step) * step;

  const double pw = curve_width - curve_left - curve_right;
  const double ph = curve_height - curve_top - curve_bottom;
  const auto px = [&](double k) { return curve_left + pw * k / static_cast<double>(kmax); };
  const auto py = [&](double y) { return curve_top + ph * (hi - y) / (hi - lo); };

  std::ostringstream s;
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << curve_width << "\" height=\""
    << curve_height << "\" viewBox=\"0 0 " << curve_width << ' ' << curve_height
    << "\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"13\">\n";
  s << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  s << "<text x=\"" << curve_width / 2 << "\" y=\"24\" text-anchor=\"middle\" font-size=\"17\">"
    << escape(plot.title) << "</text>\n";
  if (!plot.subtitle.empty()) {
    s << "<text x=\"" << curve_width / 2 << "\" y=\"44\" text-anchor=\"middle\" fill=\"#555\">"
      << escape(plot.subtitle) << "</text>\n";
  }

  // Grid and ticks; k ticks at most 10 intervals apart, on whole iterations.
  const double kstep = std::max(1.0, nice_step(static_cast<double>(kmax) / 10.0));
  s << "<g stroke=\"#e4e4e4\" stroke-width=\"1\">\n";
  for (double y = lo; y <= hi + 1e-9; y += step) {
    s << "<line x1=\"" << coord(curve_left) << "\" x2=\"" << coord(curve_left + pw) << "\" y1=\""
      << coord(py(y)) << "\" y2=\"" << coord(py(y)) << "\"/>\n";
  }
  for (double k = 0; k <= static_cast<double>(kmax) + 1e-9; k += kstep) {
    s << "<line y1=\"" << coord(curve_top) << "\" y2=\"" << coord(curve_top + ph) << "\" x1=\""
      << coord(px(k)) << "\" x2=\"" << coord(px(k)) << "\"/>\n";
  }
  s << "</g>\n";
  s << "<g fill=\"#222\">\n";
  for (double y = lo; y <= hi + 1e-9; y += step) {
    power_of_ten_label(s, coord(curve_left - 8), coord(py(y) + 4), y, "end", 10);
  }
  for (double k = 0; k <= static_cast<double>(kmax) + 1e-9; k += kstep) {
    s << "<text x=\"" << coord(px(k)) << "\" y=\"" << coord(curve_top + ph + 18)
      << "\" text-anchor=\"middle\">" << static_cast<long>(std::lround(k)) << "</text>\n";
  }
  s << "<text x=\"" << coord(curve_left + pw / 2) << "\" y=\"" << coord(curve_height - 14)
    << "\" text-anchor=\"middle\">" << escape(plot.x_label) << "</text>\n";
  s << "<text transform=\"translate(18 " << coord(curve_top + ph / 2)
    << ") rotate(-90)\" text-anchor=\"middle\">" << plot.y_label_markup << "</text>\n";
  s << "</g>\n";
  s << "<rect x=\"" << coord(curve_left) << "\" y=\"" << coord(curve_top) << "\" width=\""
    << coord(pw) << "\" height=\"" << coord(ph) << "\" fill=\"none\" stroke=\"#444\"/>\n";

  // Curves: per pixel column keep the first, min, max and last point (in order), which keeps
  // the envelope of an oscillating curve; a non-finite value breaks the line.
  const auto columns = static_cast<std::size_t>(pw);
  std::vector<std::vector<Piece>> drawn;
  for (const std::vector<double>& y : logs) {
    std::vector<Piece> pieces(1);
    std::size_t k = 0;
    while (k < y.size()) {
      const std::size_t col = k * columns / (kmax + 1);
      std::size_t end = k;
      while (end < y.size() && end * columns / (kmax + 1) == col) ++end;
      std::vector<std::size_t> keep;
      std::size_t kmin = k, kmx = k;
      bool broken = false;
      for (std::size_t j = k; j < end; ++j) {
        if (!std::isfinite(y[j])) {
          broken = true;
          continue;
        }
        if (!std::isfinite(y[kmin]) || y[j] < y[kmin]) kmin = j;
        if (!std::isfinite(y[kmx]) || y[j] > y[kmx]) kmx = j;
      }
      if (broken) {
        // Rare (failures): keep every point so the break lands where it happened.
        for (std::size_t j = k; j < end; ++j) keep.push_back(j);
      } else {
        keep = {k, kmin, kmx, end - 1};
        std::sort(keep.begin(), keep.end());
        keep.erase(std::unique(keep.begin(), keep.end()), keep.end());
      }
      for (std::size_t j : keep) {
        if (std::isfinite(y[j])) {
          pieces.back().emplace_back(px(static_cast<double>(j)), py(y[j]));
        } else if (!pieces.back().empty()) {
          pieces.emplace_back();
        }
      }
      k = end;
    }
    drawn.push_back(std::move(pieces));
  }
  for (std::size_t i = 0; i < curves.size(); ++i) {
    const char* colour = colours[curve_colours[i % 8]];
    const char* dash = curve_dashes[i % 8];
    for (const Piece& piece : drawn[i]) {
      if (piece.empty()) continue;
      s << "<polyline fill=\"none\" stroke=\"" << colour << "\" stroke-width=\"1.8\"";
      if (*dash != '\0') s << " stroke-dasharray=\"" << dash << '"';
      s << " points=\"";
      for (const auto& [xv, yv] : piece) s << coord(xv) << ',' << coord(yv) << ' ';
      s << "\"/>\n";
    }
  }

  // Legend: in the inside corner that the fewest curve points cross.
  const double lh = 19.0;
  std::size_t longest = 0;
  for (const Curve& c : curves) longest = std::max(longest, c.label.size());
  const double box_w = 52 + 6.9 * static_cast<double>(longest);
  const double box_h = lh * static_cast<double>(curves.size()) + 6;
  double lx = curve_left + 14;
  double ly = curve_top + ph - 12 - lh * static_cast<double>(curves.size());
  std::size_t best = std::numeric_limits<std::size_t>::max();
  for (int corner = 0; corner < 4; ++corner) {  // bottom left, top right, bottom right, top left
    const double x0 = (corner == 1 || corner == 2) ? curve_left + pw - 6 - box_w : curve_left + 6;
    const double y0 = (corner == 1 || corner == 3) ? curve_top + 6 : curve_top + ph - 6 - box_h;
    std::size_t inside = 0;
    for (const std::vector<Piece>& pieces : drawn) {
      for (const Piece& piece : pieces) {
        for (const auto& [xv, yv] : piece) {
          if (xv >= x0 && xv <= x0 + box_w && yv >= y0 && yv <= y0 + box_h) ++inside;
        }
      }
    }
    if (inside < best) {
      best = inside;
      lx = x0 + 8;
      ly = y0 + 6;
    }
  }
  s << "<rect x=\"" << coord(lx - 8) << "\" y=\"" << coord(ly - 6) << "\" width=\""
    << coord(box_w) << "\" height=\"" << coord(box_h)
    << "\" fill=\"white\" fill-opacity=\"0.9\" stroke=\"#bbb\"/>\n";
  for (std::size_t i = 0; i < curves.size(); ++i) {
    const double yy = ly + lh * static_cast<double>(i) + lh / 2;
    s << "<line x1=\"" << coord(lx) << "\" x2=\"" << coord(lx + 30) << "\" y1=\"" << coord(yy)
      << "\" y2=\"" << coord(yy) << "\" stroke=\"" << colours[curve_colours[i % 8]]
      << "\" stroke-width=\"2.2\"";
    if (*curve_dashes[i % 8] != '\0') s << " stroke-dasharray=\"" << curve_dashes[i % 8] << '"';
    s << "/>\n";
    s << "<text x=\"" << coord(lx + 38) << "\" y=\"" << coord(yy + 4.5) << "\">"
      << escape(curves[i].label) << "</text>\n";
  }
  s << "</svg>\n";
  return s.str();
}

}  // namespace polarkit::testkit
