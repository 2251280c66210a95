// Zolo-PD scalar part (docs/algorithms.md, "Zolo-PD"): the order table, the coefficients of one step and the
// scaled Zolotarev function they define, against two independent references:
//  * a quad-precision (__float128) evaluation by a different scheme: the phase form of the
//    descending Landen transformation (A&S 16.4), sn = sin φ₀, cn = cos φ₀, every c_i straight
//    from its definition (no quarter-period identity). It cancels where cn is small, which quad's
//    113 bits absorb for ℓ ≥ 1e-12 (error ≲ 1e-35/ℓ^1.5);
//  * literals from mpmath (ellipk/ellipfun at 60–400 digits) for ℓ = 1e-12 … 1e-150, where even
//    quad cannot resolve ℓ' = √(1 − ℓ²).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <limits>
#include <numbers>
#include <sstream>
#include <string>
#include <vector>

#include "core/design/zolotarev.hpp"
#include "polarkit/error.hpp"

namespace polarkit::detail {
namespace {

constexpr double eps = std::numeric_limits<double>::epsilon();
constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr double inf = std::numeric_limits<double>::infinity();

// ---- quad precision, with +, −, ×, ÷ only (no libquadmath) -----------------------------------

using quad = __float128;

quad q_sqrt(quad x) {
  if (x <= 0) return 0;
  quad y = std::sqrt(static_cast<double>(x));
  for (int i = 0; i < 3; ++i) y = (y + x / y) / 2;
  return y;
}

quad q_atan_series(quad z) {  // |z| ≤ 1/5
  quad sum = 0, term = z;
  for (int k = 0; k < 60; ++k, term *= -z * z) sum += term / static_cast<quad>(2 * k + 1);
  return sum;
}

const quad q_pi = 16 * q_atan_series(quad(1) / 5) - 4 * q_atan_series(quad(1) / 239);  // Machin

void q_sincos(quad x, quad& s, quad& c) {
  const quad half_pi = q_pi / 2;
  const double n = std::nearbyint(static_cast<double>(x / half_pi));
  const quad y = x - static_cast<quad>(n) * half_pi;  // |y| ≤ π/4
  quad sy = 0, cy = 0, term = 1;
  for (int k = 0; k < 40; ++k) {  // term = y^k / k!
    if (k % 4 == 0) cy += term;
    if (k % 4 == 1) sy += term;
    if (k % 4 == 2) cy -= term;
    if (k % 4 == 3) sy -= term;
    term *= y / static_cast<quad>(k + 1);
  }
  const long quadrant = static_cast<long>(n) & 3;  // two's complement: also right for n < 0
  s = quadrant == 0 ? sy : quadrant == 1 ? cy : quadrant == 2 ? -sy : -cy;
  c = quadrant == 0 ? cy : quadrant == 1 ? -sy : quadrant == 2 ? -cy : sy;
}

quad q_sin(quad x) {
  quad s, c;
  q_sincos(x, s, c);
  return s;
}

quad q_cos(quad x) {
  quad s, c;
  q_sincos(x, s, c);
  return c;
}

quad q_asin(quad x) {
  const bool negative = x < 0;
  const quad ax = negative ? -x : x;
  const auto small = [](quad v) {  // 0 ≤ v ≤ 0.72: Newton on sin y = v, cos y ≥ 0.69
    quad y = std::asin(static_cast<double>(v));
    for (int i = 0; i < 3; ++i) {
      quad s, c;
      q_sincos(y, s, c);
      y -= (s - v) / c;
    }
    return y;
  };
  const quad y = ax <= quad(0.7) ? small(ax) : q_pi / 2 - small(q_sqrt((1 - ax) * (1 + ax)));
  return negative ? -y : y;
}

double q_relative(double value, quad reference) {
  const quad d = static_cast<quad>(value) - reference;
  return static_cast<double>((d < 0 ? -d : d) / (reference < 0 ? -reference : reference));
}

// ---- the quad reference ----------------------------------------------------------------------

struct Reference {
  std::vector<quad> c, a;
  quad mhat, ell_next;
  std::vector<quad> extremal;  // x_i = ℓ/dn(u_i), i = 0..2r+1: where f alternates min/max
};

// The plain definition: modulus k = ℓ' (computed in quad), A&S 16.4.
Reference quad_reference(double ell, int r) {
  const quad L = ell;
  const quad k = q_sqrt((1 - L) * (1 + L));  // ℓ'
  std::vector<quad> a{1}, b{L}, c{k};
  while (c.back() > quad(1e-32) * a.back()) {
    const quad an = a.back(), bn = b.back();
    a.push_back((an + bn) / 2);
    b.push_back(q_sqrt(an * bn));
    c.push_back((an - bn) / 2);
  }
  const std::size_t N = a.size() - 1;
  const quad K = q_pi / (2 * a[N]);  // K(ℓ') = K'
  const auto n = static_cast<std::size_t>(r);

  Reference ref;
  ref.extremal.assign(2 * n + 2, L);
  ref.extremal.back() = 1;
  for (std::size_t i = 1; i <= 2 * n; ++i) {
    const quad u = static_cast<quad>(i) * K / static_cast<quad>(2 * n + 1);
    quad scale = 1;
    for (std::size_t m = 0; m < N; ++m) scale *= 2;
    std::vector<quad> phi(N + 1);
    phi[N] = scale * a[N] * u;
    for (std::size_t m = N; m >= 1; --m) phi[m - 1] = (phi[m] + q_asin(c[m] / a[m] * q_sin(phi[m]))) / 2;
    const quad sn = q_sin(phi[0]), cn = q_cos(phi[0]);
    const quad dn = N >= 1 ? cn / q_cos(phi[1] - phi[0]) : quad(1);
    ref.c.push_back(L * L * sn * sn / (cn * cn));
    ref.extremal[i] = L / dn;
  }
  ref.mhat = 1;
  ref.ell_next = L;
  for (std::size_t j = 0; j < n; ++j) {
    quad num = 1, den = 1;
    for (std::size_t kk = 0; kk < n; ++kk) {
      num *= ref.c[2 * j] - ref.c[2 * kk + 1];
      if (kk != j) den *= ref.c[2 * j] - ref.c[2 * kk];
    }
    ref.a.push_back(-num / den);
    ref.mhat *= (1 + ref.c[2 * j]) / (1 + ref.c[2 * j + 1]);
    ref.ell_next *= (L * L + ref.c[2 * j + 1]) / (L * L + ref.c[2 * j]);
  }
  ref.ell_next *= ref.mhat;
  return ref;
}

// ---- helpers ---------------------------------------------------------------------------------

std::string label(double ell, int r) {
  std::ostringstream out;
  out << "ell = " << ell << ", r = " << r;
  return out.str();
}

double product_form(const ZolotarevStep& s, double x) {
  double f = s.mhat * x;
  for (int j = 0; j < s.r; ++j) {
    const auto J = static_cast<std::size_t>(j);
    f *= (x * x + s.c[2 * J + 1]) / (x * x + s.c[2 * J]);
  }
  return f;
}

double partial_fraction_form(const ZolotarevStep& s, double x) {
  double sum = 1.0;
  for (int j = 0; j < s.r; ++j) {
    const auto J = static_cast<std::size_t>(j);
    sum += s.a[J] / (x * x + s.c[2 * J]);
  }
  return s.mhat * x * sum;
}

// Largest relative difference between the step and a reference (c, a, M̂, ell_next).
double max_relative_error(const ZolotarevStep& s, const std::vector<quad>& c, const std::vector<quad>& a,
                          quad mhat, quad ell_next) {
  double worst = 0.0;
  for (std::size_t i = 0; i < c.size(); ++i) worst = std::max(worst, q_relative(s.c[i], c[i]));
  for (std::size_t j = 0; j < a.size(); ++j) worst = std::max(worst, q_relative(s.a[j], a[j]));
  worst = std::max(worst, q_relative(s.mhat, mhat));
  return std::max(worst, q_relative(s.ell_next, ell_next));
}

void expect_well_formed(const ZolotarevStep& s, double ell, int r) {
  SCOPED_TRACE(label(ell, r));
  const auto n = static_cast<std::size_t>(r);
  EXPECT_EQ(s.r, r);
  ASSERT_EQ(s.c.size(), 2 * n);
  ASSERT_EQ(s.a.size(), n);
  for (std::size_t i = 0; i < 2 * n; ++i) {
    EXPECT_TRUE(std::isnormal(s.c[i]) && s.c[i] > 0.0) << "c_" << i + 1 << " = " << s.c[i];
    if (i > 0) {
      EXPECT_GT(s.c[i], s.c[i - 1]) << "c_" << i + 1;
    }
  }
  for (std::size_t j = 0; j < n; ++j) {
    EXPECT_TRUE(std::isnormal(s.a[j]) && s.a[j] > 0.0) << "a_" << j + 1 << " = " << s.a[j];
    EXPECT_TRUE(std::isfinite(s.a[j] / std::sqrt(s.c[2 * j]))) << "a_j/sqrt(c_{2j-1}), j = " << j + 1;
  }
  EXPECT_TRUE(std::isnormal(s.mhat) && s.mhat > 0.0 && s.mhat <= 1.0) << s.mhat;
  EXPECT_GE(s.ell_next, ell);
  EXPECT_LE(s.ell_next, 1.0);
}

// The ℓ of the brief and the order the table gives for κ = 1/ℓ.
struct Case {
  double ell;
  int r;
};
const std::vector<Case> table_cases = {{1 / 6.4, 2}, {1e-2, 3},  {1e-4, 4},    {1e-8, 6}, {1e-12, 7},
                                       {1e-15, 8},   {1e-16, 8}, {0x1p-52, 8}, {1e-20, 8}};

// ---- zolotarev_order -------------------------------------------------------------------------

TEST(ZolotarevOrder, FollowsTheTableOfSection5) {
  const double bounds[] = {6.5, 180.0, 1.5e4, 2e6, 1e9, 3e12};
  for (int row = 0; row < 6; ++row) {
    const double b = bounds[row];
    EXPECT_EQ(zolotarev_order(std::nextafter(b, 0.0)), row + 2) << "kappa just below " << b;
    EXPECT_EQ(zolotarev_order(b), row + 3) << "kappa = " << b;
  }
  EXPECT_EQ(zolotarev_order(1.0), 2);
  EXPECT_EQ(zolotarev_order(0.999), 2);  // an estimate a little below 1
  EXPECT_EQ(zolotarev_order(100.0), 3);
  EXPECT_EQ(zolotarev_order(1e15), 8);
  EXPECT_EQ(zolotarev_order(1e300), 8);
  EXPECT_EQ(zolotarev_order(inf), 8);
}

TEST(ZolotarevOrder, RejectsNanAndNonPositiveKappa) {
  for (double kappa : {nan, 0.0, -1.0, -inf}) {
    try {
      (void)zolotarev_order(kappa);
      ADD_FAILURE() << "no exception for kappa = " << kappa;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
      EXPECT_NE(std::string(e.what()).find("zolotarev_order"), std::string::npos) << e.what();
    }
  }
}

// ---- argument checks -------------------------------------------------------------------------

TEST(ZolotarevStep, RejectsInvalidArguments) {
  const auto expect_invalid = [](double ell, int r, const char* name) {
    try {
      (void)zolotarev_step(ell, r);
      ADD_FAILURE() << "no exception for ell = " << ell << ", r = " << r;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  };
  for (double ell : {0.0, -0.5, -0.0, std::nextafter(1.0, 2.0), 2.0, nan, inf, -inf})
    expect_invalid(ell, 4, "ell must be in (0, 1]");
  for (double ell :
       {std::nextafter(zolotarev_min_ell, 0.0), 1e-200, std::numeric_limits<double>::denorm_min()})
    expect_invalid(ell, 4, "zolotarev_min_ell");
  for (int r : {0, -1, zolotarev_max_order + 1, 1000}) expect_invalid(0.5, r, "order r");
}

TEST(ZolotarevStep, SmallestEllAndLargestOrderGiveRepresentableCoefficients) {
  for (int r = 1; r <= zolotarev_max_order; ++r) {
    for (double ell : {zolotarev_min_ell, 1e-100, 1e-30, 0.5, std::nextafter(1.0, 0.0), 1.0}) {
      const ZolotarevStep s = zolotarev_step(ell, r);
      expect_well_formed(s, ell, r);
      EXPECT_NEAR(zolotarev_map(s, 1.0), 1.0, 4 * eps) << "ell = " << ell << ", r = " << r;
      EXPECT_NEAR(zolotarev_map(s, ell), s.ell_next, 8 * eps * s.ell_next)
          << "ell = " << ell << ", r = " << r;
    }
  }
}

// ---- convergence: two steps with the table's order -------------------------------------------

TEST(ZolotarevStep, TwoStepsWithTheTablesOrderReachOneToWithin1e15) {
  for (const auto& [ell, r] : table_cases) {
    ASSERT_EQ(zolotarev_order(1 / ell), r) << "ell = " << ell;
    const ZolotarevStep first = zolotarev_step(ell, r);
    expect_well_formed(first, ell, r);
    const ZolotarevStep second = zolotarev_step(first.ell_next, r);
    expect_well_formed(second, first.ell_next, r);
    std::printf("[ info     ] ell = %-12.6g r = %d: ell after 1 step %.17g, 1 - ell after 2 steps %.3g\n",
                ell, r, first.ell_next, 1.0 - second.ell_next);
    if (ell >= 1e-17) {
      EXPECT_LE(1.0 - second.ell_next, 1e-15) << "ell = " << ell << ", r = " << r;
    } else {
      // κ = 1e20 is past what r = 8 covers in two steps (up to κ ≈ 2.05e16, mpmath): the second
      // step leaves 1 − ℓ = 7.0247e-13 (mpmath) and a third is needed.
      EXPECT_NEAR(1.0 - second.ell_next, 7.0247e-13, 2e-16) << "ell = " << ell;
      const ZolotarevStep third = zolotarev_step(second.ell_next, r);
      EXPECT_LE(1.0 - third.ell_next, 1e-15);
    }
  }
}

// Each row of the table, at the top of its κ range. (From κ just below 1.5e4 the row r = 4
// reaches 1 − ℓ = 1.3325e-15 in exact arithmetic, mpmath: a hair above 1e-15.)
TEST(ZolotarevStep, EachTableRowConvergesInTwoStepsUpToItsBoundary) {
  const double bounds[] = {6.5, 180.0, 1.5e4, 2e6, 1e9, 3e12, 2e16};
  for (double b : bounds) {
    const double kappa = std::nextafter(b, 0.0);
    const int r = zolotarev_order(kappa);
    const ZolotarevStep first = zolotarev_step(1 / kappa, r);
    const ZolotarevStep second = zolotarev_step(first.ell_next, r);
    EXPECT_LE(1.0 - second.ell_next, 1.6e-15) << "kappa = " << kappa << ", r = " << r;
    // One order less does not suffice there.
    const ZolotarevStep lower = zolotarev_step(zolotarev_step(1 / kappa, r - 1).ell_next, r - 1);
    EXPECT_GT(1.0 - lower.ell_next, 1e-12) << "kappa = " << kappa << ", r - 1 = " << r - 1;
  }
}

// ---- accuracy --------------------------------------------------------------------------------

TEST(ZolotarevStep, MatchesTheQuadPrecisionReference) {
  // Within one unit in the last place (2^-52 relative): the coefficients are evaluated in long
  // double, then rounded once.
  const double tol = 2 * eps;
  double worst = 0.0;
  for (double ell : {1.0, 0.999, 0.9, 0.5, 1 / 6.4, 1e-2, 1e-3, 1e-4, 1e-6, 1e-8, 1e-10, 1e-12}) {
    for (int r : {1, 2, 3, 4, 5, 6, 7, 8, 12, 16}) {
      const ZolotarevStep s = zolotarev_step(ell, r);
      const Reference ref = quad_reference(ell, r);
      const double err = max_relative_error(s, ref.c, ref.a, ref.mhat, ref.ell_next);
      EXPECT_LE(err, tol) << "ell = " << ell << ", r = " << r;
      worst = std::max(worst, err);
    }
  }
  std::printf("[ info     ] largest relative error against the quad reference: %.3g (%.2f eps)\n", worst,
              worst / eps);
}

// f alternates between its minimum f(ℓ) and its maximum 1 at x_i = ℓ/dn(iK'/(2r+1); ℓ').
TEST(ZolotarevStep, AlternatesAtTheTheoreticalExtremalPoints) {
  for (double ell : {0.9, 1 / 6.4, 1e-2, 1e-4, 1e-8, 1e-12}) {
    for (int r : {1, 2, 4, 8, 16}) {
      const ZolotarevStep s = zolotarev_step(ell, r);
      const Reference ref = quad_reference(ell, r);
      for (std::size_t i = 0; i < ref.extremal.size(); ++i) {
        const double x = static_cast<double>(ref.extremal[i]);
        const double target = i % 2 == 0 ? s.ell_next : 1.0;
        EXPECT_NEAR(zolotarev_map(s, x), target, 4 * eps)
            << "ell = " << ell << ", r = " << r << ", x_" << i << " = " << x;
      }
    }
  }
}

// mpmath 1.3 at 60–400 significant digits (two precisions agreeing to 40 digits), with the
// textbook definitions verbatim: m = 1 − ℓ² (parameter of ℓ'), K = ellipk(m),
// c_i = ℓ²·ellipfun('sn', iK/(2r+1), m)² / ellipfun('cn', …)², then a_j, M̂, f(ℓ); rounded to 21
// digits.
struct Literal {
  double ell;
  int r;
  std::vector<double> c, a;
  double mhat, ell_next;
};
const std::vector<Literal> literals = {
    {1e-12,
     7,
     {1.14785422684734536058e-23, 5.72941899510420628729e-22, 2.74635135849286481758e-20,
      1.31534144845647745574e-18, 6.29960519947436595253e-17, 3.01708816777258602185e-15,
      1.44498276552472761636e-13, 6.9204977655000772976e-12, 3.31445401788926201886e-10,
      1.58740106456740997742e-8, 7.60258867515713628014e-7, 3.64119469603764473536e-5,
      1.74537767416643967586e-3, 8.71190763261432212861e-2},
     {7.0649960420295929747e-12, 3.31448418822166947302e-10, 1.58740105826780477794e-8,
      7.60258578520475864517e-7, 3.64112840695728969647e-5, 1.74385715643140824918e-3,
      8.36283209778103419344e-2},
     9.21435076707577702075e-1,
     5.3304759765199005528e-1},
    {1e-16,
     8,
     {2.19479875304578805499e-31, 2.01464857667037005915e-29, 1.80921172496935202901e-27,
      1.62432941442264739453e-25, 1.45833618033609977362e-23, 1.30930606315353124737e-21,
      1.17550561355529074351e-19, 1.05537848359662486081e-17, 9.47527371026268660761e-16,
      8.50697766534284820051e-14, 7.63763361479781382951e-12, 6.85712947044577877731e-10,
      6.15638669792506680815e-8, 5.52726906529936354682e-6, 4.96364483404202435996e-4,
      4.55622639028872221955e-2},
     {9.5808115586223447041e-16, 8.50698942039862191107e-14, 7.63763361607795316906e-12,
      6.85712946809491338381e-10, 6.15638650841959261913e-8, 5.52725379003213395119e-6,
      4.9624135567024393466e-4, 4.45695349360788173235e-2},
     9.56892697793350500232e-1,
     4.04053821196391932135e-1},
    {0x1p-52,
     8,
     {9.83001816491861900244e-31, 8.23269741722777504254e-29, 6.73126104917389896691e-27,
      5.50204146941597779176e-25, 4.49727798993173654193e-23, 3.67600072572786872415e-21,
      3.00470225736032344506e-19, 2.45599398067025945262e-17, 2.00748890120886427082e-15,
      1.64088825957841761397e-13, 1.34123495219253005191e-11, 1.0963032902722922933e-9,
      8.96100235710267415031e-8, 7.32460176720736435041e-6, 5.98877914219705172171e-4,
      5.01563738226534756478e-2},
     {2.03204884101556489934e-15, 1.64089126428054034907e-13, 1.3412349525511355685e-11,
      1.09630328967139681461e-9, 8.96100195560489396355e-8, 7.32457494250832049982e-6,
      5.98698694172563118688e-4, 4.89586179942140653034e-2},
     9.52802518273251445641e-1,
     4.21677041588271647936e-1},
    {1e-20,
     8,
     {6.58312133607481335651e-39, 1.7598319463636368717e-36, 4.66933736374564376966e-34,
      1.23887378505466527466e-31, 3.28699336248293215496e-29, 8.72108643432339381325e-27,
      2.31388811011691338784e-24, 6.13923302613818771946e-22, 1.62886796403139321948e-19,
      4.32173014601588958871e-17, 1.14664612893219499067e-14, 3.04229394380224408034e-12,
      8.07184728633090670665e-10, 2.14163150378541297003e-7, 5.68236076215295787776e-5,
      1.51903625795275098693e-2},
     {1.63500719705753140707e-19, 4.32173037740470050701e-17, 1.14664612893306052533e-14,
      3.04229394379761633699e-12, 8.07184728307317077859e-10, 2.14163127445618718359e-7,
      5.68219932520723125962e-5, 1.50767153642844507117e-2},
     9.85092695024678101616e-1,
     2.41915417195768021524e-1},
    {1e-150,
     8,
     {1.30565795589226330115e-283, 6.81897079113905348638e-266, 3.56129738577906640249e-248,
      1.85993450601630273678e-230, 9.71375314087492923583e-213, 5.0731356279827249399e-195,
      2.64951195759845524198e-177, 1.38374254666804321513e-159, 7.22677785985500817968e-142,
      3.77428000327430206546e-124, 1.97116748561606801234e-106, 1.02946820399630706457e-88,
      5.37653340354359118332e-71, 2.80796544538287935987e-53, 1.46649696945388757708e-35,
      7.65897374183744695339e-18},
     {7.22677785985500819352e-142, 3.77428000327430206546e-124, 1.97116748561606801234e-106,
      1.02946820399630706457e-88, 5.37653340354359118332e-71, 2.80796544538287935987e-53,
      1.46649696945388757708e-35, 7.65897374183744692406e-18},
     9.99999999999999992341e-1,
     5.53497018667217278327e-9},
};

std::vector<quad> to_quad(const std::vector<double>& v) { return {v.begin(), v.end()}; }

TEST(ZolotarevStep, MatchesHighPrecisionLiteralsWhereLPrimeRoundsToOne) {
  // The literals are rounded to double, so "within 1 ulp" is 2 ulps here.
  double worst = 0.0;
  for (const Literal& lit : literals) {
    const ZolotarevStep s = zolotarev_step(lit.ell, lit.r);
    const double err = max_relative_error(s, to_quad(lit.c), to_quad(lit.a), lit.mhat, lit.ell_next);
    EXPECT_LE(err, 4 * eps) << "ell = " << lit.ell << ", r = " << lit.r;
    worst = std::max(worst, err);
  }
  std::printf("[ info     ] largest relative error against the mpmath literals: %.3g (%.2f eps)\n", worst,
              worst / eps);
}

TEST(ZolotarevStep, QuadReferenceAgreesWithTheLiterals) {
  // Validates the reference itself where both apply (ℓ = 1e-12: the reference's worst case).
  const Literal& lit = literals.front();
  const Reference ref = quad_reference(lit.ell, lit.r);
  for (std::size_t i = 0; i < lit.c.size(); ++i) EXPECT_LE(q_relative(lit.c[i], ref.c[i]), eps) << i;
  for (std::size_t j = 0; j < lit.a.size(); ++j) EXPECT_LE(q_relative(lit.a[j], ref.a[j]), eps) << j;
  EXPECT_LE(q_relative(lit.ell_next, ref.ell_next), eps);
}

// c_i·c_{2r+1−i} = ℓ² (the quarter-period identity cs(K' − u) = ℓ·sc(u)).
TEST(ZolotarevStep, SatisfiesTheQuarterPeriodIdentity) {
  for (const auto& [ell, r] : table_cases) {
    const ZolotarevStep s = zolotarev_step(ell, r);
    const auto n = static_cast<std::size_t>(r);
    for (std::size_t i = 0; i < n; ++i) {
      const double product = s.c[i] * s.c[2 * n - 1 - i];
      EXPECT_NEAR(product / (ell * ell), 1.0, 4 * eps) << "ell = " << ell << ", i = " << i + 1;
    }
  }
}

// ---- the scalar map --------------------------------------------------------------------------

TEST(ZolotarevStep, PartialFractionsEqualTheProductForm) {
  double worst = 0.0;
  for (const auto& [ell, r] : table_cases) {
    for (int order : {1, r, 16}) {
      const ZolotarevStep s = zolotarev_step(ell, order);
      for (int i = 0; i <= 400; ++i) {  // geometric over [ℓ/100, 100]
        const double x = ell / 100 * std::pow(1e4 / ell, i / 400.0);
        const double product = product_form(s, x);
        const double fractions = partial_fraction_form(s, x);
        const double mapped = zolotarev_map(s, x);
        const double err = std::max(std::fabs(fractions - product), std::fabs(mapped - product)) / product;
        EXPECT_LE(err, 1e-14) << "ell = " << ell << ", r = " << order << ", x = " << x;
        worst = std::max(worst, err);
      }
      EXPECT_EQ(zolotarev_map(s, -0.3), -zolotarev_map(s, 0.3));  // odd
      EXPECT_EQ(zolotarev_map(s, 0.0), 0.0);
    }
  }
  std::printf("[ info     ] partial fractions vs product form: largest relative difference %.3g (%.2f eps)\n",
              worst, worst / eps);
}

// Chebyshev alternation: f − (1 + f(ℓ))/2 has 2r + 2 extrema of equal size and alternating sign
// on [ℓ, 1] (minima f(ℓ) at ℓ and r interior points, maxima 1 at r interior points and at 1).
// The type-(2r+1, 2r) odd rationals have 2r + 1 free coefficients, so this is the condition for
// the best approximation of 1 there: max |1 − f| on [ℓ, 1] is 1 − f(ℓ) and nothing does better.
// The extrema are found numerically: local extrema on a geometric grid, refined by golden section.
TEST(ZolotarevStep, EquioscillatesOnTheInterval) {
  std::vector<Case> cases = table_cases;
  for (int r = 1; r <= 2; ++r) cases.push_back({0.3, r});
  for (int r = 1; r <= 4; ++r) cases.push_back({1e-3, r});
  for (int r = 1; r <= zolotarev_max_order; ++r) cases.push_back({1e-40, r});
  for (const auto& [ell, r] : cases) {
    SCOPED_TRACE(label(ell, r));
    const ZolotarevStep s = zolotarev_step(ell, r);
    const double lo = s.ell_next, deviation = 1.0 - s.ell_next;
    ASSERT_GT(deviation, 1e-4);  // a first step: the alternation is far above rounding
    // t = log x; exp(log ℓ) may land a few ulps outside [ℓ, 1]
    // (ell copied: clang 14 cannot capture a structured binding.)
    const auto f = [&s, lower = ell](double t) {
      return zolotarev_map(s, std::clamp(std::exp(t), lower, 1.0));
    };
    const int n = 20000;
    const double t0 = std::log(ell), h = -t0 / n;
    std::vector<double> grid(n + 1);
    for (int i = 0; i <= n; ++i) grid[static_cast<std::size_t>(i)] = f(t0 + i * h);
    double grid_max = 0.0, grid_min = 2.0;
    for (double v : grid) {
      grid_max = std::max(grid_max, v);
      grid_min = std::min(grid_min, v);
    }
    EXPECT_LE(grid_max, 1.0 + 4 * eps);
    EXPECT_GE(grid_min, lo - 4 * eps);
    EXPECT_LE(std::max(std::fabs(1 - grid_max), std::fabs(1 - grid_min)), deviation + 4 * eps);

    // Extremal values: the endpoints and every interior local extremum of the grid, refined.
    std::vector<double> extrema{grid.front()};
    for (std::size_t i = 1; i + 1 < grid.size(); ++i) {
      const bool is_max = grid[i] > grid[i - 1] && grid[i] >= grid[i + 1];
      const bool is_min = grid[i] < grid[i - 1] && grid[i] <= grid[i + 1];
      if (!is_max && !is_min) continue;
      const double sign = is_max ? -1.0 : 1.0;  // golden section minimises sign·f
      double a = t0 + static_cast<double>(i - 1) * h, b = t0 + static_cast<double>(i + 1) * h;
      const double g = (std::sqrt(5.0) - 1) / 2;
      double x1 = b - g * (b - a), x2 = a + g * (b - a), f1 = sign * f(x1), f2 = sign * f(x2);
      for (int k = 0; k < 60; ++k) {
        if (f1 < f2) {
          b = x2, x2 = x1, f2 = f1, x1 = b - g * (b - a), f1 = sign * f(x1);
        } else {
          a = x1, x1 = x2, f1 = f2, x2 = a + g * (b - a), f2 = sign * f(x2);
        }
      }
      extrema.push_back(sign * std::min({f1, f2, sign * grid[i]}));
    }
    extrema.push_back(grid.back());
    ASSERT_EQ(extrema.size(), 2 * static_cast<std::size_t>(r) + 2);
    for (std::size_t i = 0; i < extrema.size(); ++i) {
      const double target = i % 2 == 0 ? lo : 1.0;
      EXPECT_NEAR(extrema[i], target, 1e-14 + 1e-13 * deviation) << "extremum " << i;
    }
  }
}

// r = 1 is QDWH (Nakatsukasa, Bai & Gygi 2010): f(x) = x(a + bx²)/(1 + cx²) with a = h(ℓ),
// b = (a − 1)²/4, c = a + b − 1.
TEST(ZolotarevStep, OrderOneIsQdwh) {
  for (double ell : {0.95, 0.5, 0.1, 1e-2, 1e-3}) {
    const double l2 = ell * ell;
    const double gamma = std::cbrt(4 * (1 - l2) / (l2 * l2));
    const double qa =
        std::sqrt(1 + gamma) + 0.5 * std::sqrt(8 - 4 * gamma + 8 * (2 - l2) / (l2 * std::sqrt(1 + gamma)));
    const double qb = (qa - 1) * (qa - 1) / 4, qc = qa + qb - 1;
    const ZolotarevStep s = zolotarev_step(ell, 1);
    // f = M̂ x (x² + c₂)/(x² + c₁) = x (M̂c₂/c₁ + (M̂/c₁) x²)/(1 + x²/c₁)
    // A few roundings on each side (measured: ≤ 3.5e-16 relative).
    EXPECT_NEAR(1 / s.c[0], qc, 8 * eps * qc) << "ell = " << ell;
    EXPECT_NEAR(s.mhat / s.c[0], qb, 8 * eps * qb) << "ell = " << ell;
    EXPECT_NEAR(s.mhat * s.c[1] / s.c[0], qa, 8 * eps * qa) << "ell = " << ell;
  }
}

// ℓ = 1: the limit, c_i = tan²(iπ/(2(2r+1))) — the principal Padé iteration (Halley for r = 1).
TEST(ZolotarevStep, EllOneIsThePadeLimit) {
  for (int r = 1; r <= zolotarev_max_order; ++r) {
    const ZolotarevStep s = zolotarev_step(1.0, r);
    EXPECT_EQ(s.ell_next, 1.0);
    for (int i = 1; i <= 2 * r; ++i) {
      const long double t =
          std::tan(static_cast<long double>(i) * std::numbers::pi_v<long double> / (4 * r + 2));
      const double expected = static_cast<double>(t * t);
      EXPECT_NEAR(s.c[static_cast<std::size_t>(i - 1)], expected, 2 * eps * expected)
          << "r = " << r << ", i = " << i;
    }
    // Continuous in ℓ: ℓ' = √(1 − ℓ²) ≈ 1.7e-6 moves the c's by O(ℓ'²).
    const ZolotarevStep near = zolotarev_step(1 - 0x1p-40, r);
    for (std::size_t i = 0; i < s.c.size(); ++i) EXPECT_NEAR(near.c[i], s.c[i], 1e-11 * s.c[i]);
    EXPECT_NEAR(zolotarev_map(s, 1.0), 1.0, 2 * eps);
    const double h = 1e-3;  // f'(1) = 0: 1 − f(1 ± h) = O(h^(2r+1))
    EXPECT_LE(std::fabs(1 - zolotarev_map(s, 1 + h)), 1e-8);
    EXPECT_LE(std::fabs(1 - zolotarev_map(s, 1 - h)), 1e-8);
  }
  const ZolotarevStep halley = zolotarev_step(1.0, 1);  // x(x² + 3)/(3x² + 1)
  EXPECT_NEAR(halley.c[0], 1.0 / 3, eps);
  EXPECT_NEAR(halley.c[1], 3.0, 4 * eps);
  EXPECT_NEAR(halley.a[0], 8.0 / 3, 4 * eps);
  EXPECT_NEAR(halley.mhat, 1.0 / 3, eps);
}

}  // namespace
}  // namespace polarkit::detail
