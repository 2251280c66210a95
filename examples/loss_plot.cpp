// loss_plot_svg: a hand-written SVG plot of log10(f_k/f_0) against the iteration k. No plotting
// library: axes, decade ticks, one polyline per run (reduced to the min/max envelope of each
// pixel column, so long oscillating curves stay small and look the same), and a legend.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "experiments.hpp"

namespace polarkit::examples {
namespace {

constexpr double kWidth = 900.0;
constexpr double kHeight = 560.0;
constexpr double kLeft = 78.0;
constexpr double kRight = 24.0;
constexpr double kTop = 66.0;
constexpr double kBottom = 58.0;

const char* const kColours[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                "#9467bd", "#8c564b", "#e377c2", "#17becf"};
const char* const kDashes[] = {"", "8 4", "2 3", "", "8 3 2 3", "", "4 4", ""};

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

}  // namespace

std::string loss_plot_svg(const std::string& title, const std::string& subtitle,
                          const std::vector<Run>& runs) {
  // Data range: k from 0 to the longest run, y = log10(f_k/f_0) over the finite values.
  std::size_t kmax = 1;
  double ymin = std::numeric_limits<double>::infinity();
  double ymax = -std::numeric_limits<double>::infinity();
  std::vector<std::vector<double>> logs;
  for (const Run& r : runs) {
    std::vector<double> y(r.loss.size(), std::numeric_limits<double>::quiet_NaN());
    const double f0 = r.loss.empty() ? 0.0 : r.loss.front();
    for (std::size_t k = 0; k < r.loss.size(); ++k) {
      const double ratio = r.loss[k] / f0;
      if (std::isfinite(ratio) && ratio > 0.0) {
        y[k] = std::log10(ratio);
        ymin = std::min(ymin, y[k]);
        ymax = std::max(ymax, y[k]);
      }
    }
    kmax = std::max(kmax, r.loss.empty() ? std::size_t{1} : r.loss.size() - 1);
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

  const double pw = kWidth - kLeft - kRight;
  const double ph = kHeight - kTop - kBottom;
  const auto px = [&](double k) { return kLeft + pw * k / static_cast<double>(kmax); };
  const auto py = [&](double y) { return kTop + ph * (hi - y) / (hi - lo); };

  std::ostringstream s;
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kWidth << "\" height=\"" << kHeight
    << "\" viewBox=\"0 0 " << kWidth << ' ' << kHeight
    << "\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"13\">\n";
  s << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  s << "<text x=\"" << kWidth / 2 << "\" y=\"24\" text-anchor=\"middle\" font-size=\"17\">"
    << escape(title) << "</text>\n";
  if (!subtitle.empty()) {
    s << "<text x=\"" << kWidth / 2 << "\" y=\"44\" text-anchor=\"middle\" fill=\"#555\">"
      << escape(subtitle) << "</text>\n";
  }

  // Grid and ticks.
  s << "<g stroke=\"#e4e4e4\" stroke-width=\"1\">\n";
  for (double y = lo; y <= hi + 1e-9; y += step) {
    s << "<line x1=\"" << fmt(kLeft) << "\" x2=\"" << fmt(kLeft + pw) << "\" y1=\"" << fmt(py(y))
      << "\" y2=\"" << fmt(py(y)) << "\"/>\n";
  }
  // x ticks: the smallest of 1, 2, 2.5, 5 × 10^e giving at most 10 intervals.
  double kstep = 1.0;
  for (double decade = 1.0;; decade *= 10.0) {
    const double candidates[] = {1.0, 2.0, 2.5, 5.0};
    bool found = false;
    for (double c : candidates) {
      if (static_cast<double>(kmax) / (c * decade) <= 10.0) {
        kstep = c * decade;
        found = true;
        break;
      }
    }
    if (found) break;
  }
  for (double k = 0; k <= static_cast<double>(kmax) + 1e-9; k += kstep) {
    s << "<line y1=\"" << fmt(kTop) << "\" y2=\"" << fmt(kTop + ph) << "\" x1=\"" << fmt(px(k))
      << "\" x2=\"" << fmt(px(k)) << "\"/>\n";
  }
  s << "</g>\n";
  s << "<g fill=\"#222\">\n";
  for (double y = lo; y <= hi + 1e-9; y += step) {
    s << "<text x=\"" << fmt(kLeft - 8) << "\" y=\"" << fmt(py(y) + 4)
      << "\" text-anchor=\"end\">10<tspan dy=\"-6\" font-size=\"10\">"
      << static_cast<long>(std::lround(y)) << "</tspan></text>\n";
  }
  for (double k = 0; k <= static_cast<double>(kmax) + 1e-9; k += kstep) {
    s << "<text x=\"" << fmt(px(k)) << "\" y=\"" << fmt(kTop + ph + 18)
      << "\" text-anchor=\"middle\">" << static_cast<long>(std::lround(k)) << "</text>\n";
  }
  s << "<text x=\"" << fmt(kLeft + pw / 2) << "\" y=\"" << fmt(kHeight - 14)
    << "\" text-anchor=\"middle\">iteration k</text>\n";
  s << "<text transform=\"translate(18 " << fmt(kTop + ph / 2)
    << ") rotate(-90)\" text-anchor=\"middle\">f(X<tspan dy=\"4\" font-size=\"10\">k</tspan>"
       "<tspan dy=\"-4\">) / f(X</tspan><tspan dy=\"4\" font-size=\"10\">0</tspan>"
       "<tspan dy=\"-4\">)</tspan></text>\n";
  s << "</g>\n";
  s << "<rect x=\"" << fmt(kLeft) << "\" y=\"" << fmt(kTop) << "\" width=\"" << fmt(pw)
    << "\" height=\"" << fmt(ph) << "\" fill=\"none\" stroke=\"#444\"/>\n";

  // Curves: per pixel column keep the first, min, max and last point (in order), which keeps
  // the envelope of an oscillating curve; a non-finite value breaks the line.
  const auto columns = static_cast<std::size_t>(pw);
  std::vector<std::vector<std::vector<std::pair<double, double>>>> curves;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const std::vector<double>& y = logs[i];
    std::vector<std::vector<std::pair<double, double>>> pieces(1);
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
    curves.push_back(std::move(pieces));
  }
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const char* colour = kColours[i % 8];
    const char* dash = kDashes[i % 8];
    for (const auto& piece : curves[i]) {
      if (piece.empty()) continue;
      s << "<polyline fill=\"none\" stroke=\"" << colour << "\" stroke-width=\"1.8\"";
      if (*dash != '\0') s << " stroke-dasharray=\"" << dash << '"';
      s << " points=\"";
      for (const auto& [xv, yv] : piece) s << fmt(xv) << ',' << fmt(yv) << ' ';
      s << "\"/>\n";
    }
  }

  // Legend: in the inside corner that the fewest curve points cross.
  const double lh = 19.0;
  std::size_t longest = 0;
  for (const Run& r : runs) longest = std::max(longest, r.name.size());
  const double box_w = 52 + 6.9 * static_cast<double>(longest);
  const double box_h = lh * static_cast<double>(runs.size()) + 6;
  double lx = kLeft + 14;
  double ly = kTop + ph - 12 - lh * static_cast<double>(runs.size());
  std::size_t best = std::numeric_limits<std::size_t>::max();
  for (int corner = 0; corner < 4; ++corner) {  // bottom left, top right, bottom right, top left
    const double x0 = (corner == 1 || corner == 2) ? kLeft + pw - 6 - box_w : kLeft + 6;
    const double y0 = (corner == 1 || corner == 3) ? kTop + 6 : kTop + ph - 6 - box_h;
    std::size_t inside = 0;
    for (const auto& pieces : curves) {
      for (const auto& piece : pieces) {
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
  s << "<rect x=\"" << fmt(lx - 8) << "\" y=\"" << fmt(ly - 6) << "\" width=\"" << fmt(box_w)
    << "\" height=\"" << fmt(box_h) << "\" fill=\"white\" fill-opacity=\"0.9\" stroke=\"#bbb\"/>\n";
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const double yy = ly + lh * static_cast<double>(i) + lh / 2;
    s << "<line x1=\"" << fmt(lx) << "\" x2=\"" << fmt(lx + 30) << "\" y1=\"" << fmt(yy)
      << "\" y2=\"" << fmt(yy) << "\" stroke=\"" << kColours[i % 8] << "\" stroke-width=\"2.2\"";
    if (*kDashes[i % 8] != '\0') s << " stroke-dasharray=\"" << kDashes[i % 8] << '"';
    s << "/>\n";
    s << "<text x=\"" << fmt(lx + 38) << "\" y=\"" << fmt(yy + 4.5) << "\">" << escape(runs[i].name)
      << "</text>\n";
  }
  s << "</svg>\n";
  return s.str();
}

}  // namespace polarkit::examples
