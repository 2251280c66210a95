// Scalar design of Newton–Schulz quintics: minimax (Remez) polynomials and the Polar Express
// composition (docs/algorithms.md, "The adaptive schedule").
#include "polarkit/coefficients.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>

#include "core/api/checks.hpp"
#include "polarkit/error.hpp"

namespace polarkit {
using detail::invalid;

namespace {

// Extended precision where the platform has it (x86: 64-bit mantissa). The formulation below
// does not rely on it — it has no cancellation — but it keeps the critical points accurate when
// the discriminant 9b² − 20ac is tiny (narrow intervals).
using real = long double;

// Below this the interval is narrow enough for the closed form (the threshold of docs/algorithms.md, "The adaptive schedule").
constexpr double narrow_ratio = 1.0 - 5e-6;
constexpr int max_remez_iterations = 100;

std::string show(const char* name, double value) {
  std::ostringstream out;
  out.precision(17);
  out << name << " = " << value;
  return out.str();
}

struct Levelled {
  real a, b, c;  // p(t) = a t + b t³ + c t⁵
  real E;        // levelled error, 1 − p(x_i) = s_i·E with s = (+1, −1, +1, −1)
  real one_minus_E;  // 1 − E, kept separately: it is p(x_0), tiny when x_0 is
};

// Solves p(x_i) + s_i·E = 1 (i = 0..3, s = (+1, −1, +1, −1)) for 0 < x_0 < x_1 < x_2 < x_3.
//
// Writing p(x) = x·g(x²) with g quadratic, the equations say g(y_i) = (1 − s_i E)/x_i with
// y_i = x_i². Split 1/x = u and s/x = u − v with v = (1 − s)/x = (0, 2/x_1, 0, 2/x_3), so that
// g(y_i) = (1 − E)·u_i + E·v_i. A quadratic has zero third divided difference:
//   (1 − E)·u[y_0..y_3] + E·v[y_0..y_3] = 0.
// The divided differences of u = y^{−1/2} have closed forms with positive terms only, and those
// of v never cancel because its data alternate in sign (0, +, 0, +): each recursion step
// subtracts numbers of opposite sign. With U = −u[y_0..y_3] > 0 and V = v[y_0..y_3] > 0 this
// gives E = U/(U + V) and 1 − E = V/(U + V) to full relative precision, even when E is 1e-27
// (narrow interval) or 1 − E is 1e-300 (tiny x_0), where the monomial 4×4 system loses digits.
// g then follows in Newton form from y_0, y_1, y_2.
Levelled levelled_solution(const std::array<real, 4>& x) {
  const real x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3];
  const auto dy = [&x](int i, int j) {  // y_i − y_j without cancellation
    const auto si = static_cast<std::size_t>(i), sj = static_cast<std::size_t>(j);
    return (x[si] - x[sj]) * (x[si] + x[sj]);
  };

  // Divided differences of u(y) = y^{−1/2} = 1/x.
  const real u01 = -1 / (x0 * x1 * (x0 + x1));
  const real u012 = (x0 + x1 + x2) / (x0 * x1 * x2 * (x0 + x1) * (x1 + x2) * (x0 + x2));
  real e2 = 0, e3 = 0, pair_sums = 1;
  for (std::size_t i = 0; i < 4; ++i) {
    for (std::size_t j = i + 1; j < 4; ++j) {
      e2 += x[i] * x[j];
      pair_sums *= x[i] + x[j];
      for (std::size_t k = j + 1; k < 4; ++k) e3 += x[i] * x[j] * x[k];
    }
  }
  const real e1 = x0 + x1 + x2 + x3;
  const real U = (e1 * e2 - e3) / (x0 * x1 * x2 * x3 * pair_sums);  // −u[y_0..y_3]

  // Divided differences of v = (0, 2/x_1, 0, 2/x_3); signs alternate, so nothing cancels.
  const real v01 = (2 / x1) / dy(1, 0);
  const real v12 = -(2 / x1) / dy(2, 1);
  const real v23 = (2 / x3) / dy(3, 2);
  const real v012 = (v12 - v01) / dy(2, 0);
  const real v123 = (v23 - v12) / dy(3, 1);
  const real V = (v123 - v012) / dy(3, 0);

  Levelled s{};
  s.E = U / (U + V);
  s.one_minus_E = V / (U + V);
  const real one_minus_E = s.one_minus_E;
  // g(y) = g_0 + d_1 (y − y_0) + c (y − y_0)(y − y_1), expanded to monomials.
  const real g0 = one_minus_E / x0;
  const real d1 = one_minus_E * u01 + s.E * v01;
  s.c = one_minus_E * u012 + s.E * v012;
  const real y0 = x0 * x0, y1 = x1 * x1;
  s.b = d1 - s.c * (y0 + y1);
  s.a = g0 - y0 * (d1 - s.c * y1);
  return s;
}

// Classic quintic centred on the midpoint of a narrow interval [lo, 1], with the O(h²)
// correction that makes it agree with the minimax polynomial to O(h⁴) (see the header).
Levelled narrow_closed_form(real lo) {
  const real m = (lo + 1) / 2;
  const real h = (1 - lo) / (1 + lo);
  const real h2 = h * h;
  const real A = real(15) / 8 + h2 * 135 / 128;
  const real B = real(-10) / 8 - h2 * 150 / 128;
  const real C = real(3) / 8 + h2 * 15 / 128;
  const real m2 = m * m;
  return {A / m, B / (m * m2), C / (m * m2 * m2), 0, 1};
}

// Minimax quintic on [lo, 1] (0 < lo ≤ 1) in extended precision.
Levelled minimax_normalised(real lo) {
  if (lo > static_cast<real>(narrow_ratio)) return narrow_closed_form(lo);

  std::array<real, 4> x{lo, (3 * lo + 1) / 4, (lo + 3) / 4, 1};
  Levelled s = levelled_solution(x);
  const real tol = 16 * std::numeric_limits<real>::epsilon();
  const real noise_floor = std::sqrt(std::numeric_limits<real>::epsilon());
  real previous_change = std::numeric_limits<real>::infinity();
  for (int iteration = 1; iteration < max_remez_iterations; ++iteration) {
    // Exchange: the interior reference points move to the critical points of p, the roots of
    // p'(x) = a + 3b y + 5c y² (y = x²), taken in the cancellation-free form of the quadratic
    // formula. An invalid reference (no real roots, or out of order) ends the exchange with
    // the last levelled solution, which still has the right sign pattern.
    const real disc = 9 * s.b * s.b - 20 * s.a * s.c;
    if (!(disc > 0) || !(s.c != 0)) break;
    const real t = -(3 * s.b + std::copysign(std::sqrt(disc), s.b)) / 2;
    if (!(t != 0)) break;
    const real ya = t / (5 * s.c), yb = s.a / t;
    const real y_q = std::min(ya, yb), y_r = std::max(ya, yb);
    if (!(y_q > 0)) break;
    const real q = std::sqrt(y_q), r = std::sqrt(y_r);
    if (!(lo < q && q < r && r < 1)) break;

    x[1] = q;
    x[2] = r;
    const Levelled next = levelled_solution(x);
    if (!std::isfinite(next.a) || !std::isfinite(next.b) || !std::isfinite(next.c)) break;
    // Converged when E has settled relative to both E and 1 − E: for tiny lo, E is 1 − O(lo)
    // and only 1 − E = p(lo) still shows the polynomial moving. The exchange converges
    // quadratically, so a change that is already small and no longer shrinks is rounding
    // noise (this is what ends it where long double is just double).
    const real change = std::max(std::fabs(next.E - s.E) / next.E,
                                 std::fabs(next.one_minus_E - s.one_minus_E) / next.one_minus_E);
    s = next;
    if (change <= tol || (change <= noise_floor && change >= previous_change)) break;
    previous_change = change;
  }
  return s;
}

// Minimax for 0 < lo ≤ hi (lo = hi allowed: the limit, classic centred on hi).
Quintic minimax_unchecked(double lo, double hi) {
  const real scale = hi;
  const Levelled s = minimax_normalised(static_cast<real>(lo) / scale);
  const real scale2 = scale * scale;
  return {static_cast<double>(s.a / scale), static_cast<double>(s.b / (scale * scale2)),
          static_cast<double>(s.c / (scale * scale2 * scale2))};
}

// The argument rules shared by polar_express_step and polar_express_coefficients.
void check_step_arguments(const char* function, double lo, double hi, double cushion) {
  if (!std::isfinite(cushion) || !(cushion >= 0) || !(cushion < 1)) {
    invalid(function, "cushion must be in [0, 1), got " + show("cushion", cushion));
  }
  if (!std::isfinite(lo) || !(lo >= 0) || (lo == 0 && cushion == 0)) {
    invalid(function, "lo must be finite and > 0 (or 0 with a positive cushion), got " +
                          show("lo", lo));
  }
  if (!std::isfinite(hi) || !(hi >= lo) || !(hi > 0)) {
    invalid(function, "hi must be finite and >= lo, got " + show("hi", hi) + " (" +
                          show("lo", lo) + ")");
  }
}

Quintic scaled(Quintic p, double k) { return {k * p.a, k * p.b, k * p.c}; }

constexpr std::array<Quintic, 8> published_table{{
    {8.28721201814563, -23.595886519098837, 17.300387312530933},
    {4.107059111542203, -2.9478499167379106, 0.5448431082926601},
    {3.9486908534822946, -2.908902115962949, 0.5518191394370137},
    {3.3184196573706015, -2.488488024314874, 0.51004894012372},
    {2.300652019954817, -1.6689039845747493, 0.4188073119525673},
    {1.891301407787398, -1.2679958271945868, 0.37680408948524835},
    {1.8750014808534479, -1.2500016453999487, 0.3750001645474248},
    {1.875, -1.25, 0.375},
}};

}  // namespace

Quintic minimax_quintic(double lo, double hi) {
  if (!std::isfinite(lo) || !(lo > 0)) {
    invalid("minimax_quintic", "lo must be finite and > 0, got " + show("lo", lo));
  }
  if (!std::isfinite(hi) || !(hi > lo)) {
    invalid("minimax_quintic",
            "hi must be finite and > lo, got " + show("hi", hi) + " (" + show("lo", lo) + ")");
  }
  return minimax_unchecked(lo, hi);
}

PolarExpressStep polar_express_step(double lo, double hi, double cushion) {
  check_step_arguments("polar_express_step", lo, hi, cushion);
  const double cushioned = cushion * hi;
  PolarExpressStep step{};
  step.p = minimax_unchecked(std::max(lo, cushioned), hi);
  if (cushioned > lo) {
    // p was designed for [cushion·hi, hi]; recentre it so that p(lo) and p(hi) are equally far
    // from 1 on either side, which makes [p(lo), 2 − p(lo)] the image of [lo, hi].
    step.p = scaled(step.p, 2 / (step.p(lo) + step.p(hi)));
  }
  step.lo_next = step.p(lo);
  step.hi_next = 2 - step.lo_next;
  step.lo_next = std::min(step.lo_next, step.hi_next);
  return step;
}

std::vector<Quintic> polar_express_coefficients(int steps, double ell, double cushion) {
  if (steps < 0) {
    invalid("polar_express_coefficients", "steps must be >= 0, got " + std::to_string(steps));
  }
  // Checked up front so that steps = 0 rejects the same arguments as steps > 0.
  check_step_arguments("polar_express_coefficients", ell, 1, cushion);
  std::vector<Quintic> out;
  out.reserve(static_cast<std::size_t>(steps));
  double lo = ell, hi = 1;
  for (int i = 0; i < steps; ++i) {
    const PolarExpressStep step = polar_express_step(lo, hi, cushion);
    out.push_back(step.p);
    lo = step.lo_next;
    hi = step.hi_next;
  }
  return out;
}

std::span<const Quintic> polar_express_table() { return published_table; }

Quintic with_safety(Quintic p, double s) {
  if (!std::isfinite(s) || !(s > 0)) {
    invalid("with_safety", "the safety factor must be finite and > 0, got " + show("s", s));
  }
  const double s2 = s * s;
  return {p.a / s, p.b / (s * s2), p.c / (s * s2 * s2)};
}

}  // namespace polarkit
