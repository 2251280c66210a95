// Newton–Schulz iterations in reduced precision (PolarOptions::precision) on the CPU, whose
// 16-bit and TF32 backends round exactly as the GPU's: the storage formats themselves, the
// products' semantics, and the accuracy bars of the CUDA issue (16-bit results within 2× of what
// the same coefficients give in exact arithmetic plus c·u, refinement to ≤ 10·u_f32).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "core/kernels/backend.hpp"
#include "polarkit/coefficients.hpp"
#include "polarkit/polar.hpp"
#include "testkit/accuracy.hpp"
#include "testkit/matrices.hpp"
#include "testkit/random.hpp"

namespace polarkit::detail {
namespace {

float from_bits(std::uint32_t b) {
  float x;
  std::memcpy(&x, &b, sizeof x);
  return x;
}

std::uint32_t bits_of(float x) {
  std::uint32_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}

// ---- the storage formats ---------------------------------------------------------------------

// Every encoding: widened to float and rounded back, the same encoding (NaNs stay NaN).
template <class S>
void expect_every_encoding_round_trips() {
  for (std::uint32_t b = 0; b < 65536; ++b) {
    S h{};
    h.bits = static_cast<std::uint16_t>(b);
    const auto x = static_cast<float>(h);
    if (std::isnan(x)) {
      EXPECT_TRUE(std::isnan(static_cast<float>(S(x)))) << b;
    } else {
      EXPECT_EQ(S(x).bits, h.bits) << b;
    }
  }
}

TEST(HalfFormats, EveryEncodingRoundTripsThroughFloat) {
  expect_every_encoding_round_trips<bfloat16>();
  expect_every_encoding_round_trips<float16>();
  for (std::uint32_t b = 0; b < 65536; b += 257) {  // bf16 is float's top half
    bfloat16 h{};
    h.bits = static_cast<std::uint16_t>(b);
    EXPECT_EQ(bits_of(static_cast<float>(h)), b << 16);
  }
}

// Rounding to nearest, ties to even, checked at the exact midpoint of the encoding of lo and the
// next one up: just below it rounds down, just above up, on it to the even encoding.
template <class S>
void expect_round_to_nearest_even(float lo) {
  S a = S(lo);
  S b{};
  b.bits = static_cast<std::uint16_t>(a.bits + 1);
  const auto fa = static_cast<float>(a);
  const auto fb = static_cast<float>(b);
  const float mid = fa + (fb - fa) / 2;  // exact: one more bit than the format has
  ASSERT_LT(fa, mid);
  ASSERT_LT(mid, fb);
  EXPECT_EQ(S(std::nextafter(mid, fa)).bits, a.bits);
  EXPECT_EQ(S(std::nextafter(mid, fb)).bits, b.bits);
  EXPECT_EQ(S(mid).bits, (a.bits % 2 == 0 ? a : b).bits);
}

TEST(HalfFormats, RoundToNearestTiesToEven) {
  for (const float x : {1.0f, 1.0078125f, 3.5f, 1e-3f, 7e4f, 1e30f}) {
    expect_round_to_nearest_even<bfloat16>(x);
  }
  for (const float x : {1.0f, 1.0009765625f, 3.5f, 1e-3f, 6e4f, 1e-6f /* subnormal */}) {
    expect_round_to_nearest_even<float16>(x);
  }
}

TEST(HalfFormats, Float16RangeEnds) {
  EXPECT_EQ(static_cast<float>(float16(65504.0f)), 65504.0f);
  EXPECT_EQ(static_cast<float>(float16(65519.0f)), 65504.0f);
  EXPECT_TRUE(std::isinf(static_cast<float>(float16(65520.0f))));  // the tie goes to even: ∞
  EXPECT_EQ(static_cast<float>(float16(std::ldexp(1.0f, -24))), std::ldexp(1.0f, -24));
  EXPECT_EQ(static_cast<float>(float16(std::ldexp(1.0f, -25))), 0.0f);  // tie to even 0
  EXPECT_EQ(static_cast<float>(float16(std::ldexp(3.0f, -26))), std::ldexp(1.0f, -24));
  EXPECT_EQ(static_cast<float>(float16(-std::ldexp(1.0f, -14))), -std::ldexp(1.0f, -14));
  EXPECT_TRUE(std::signbit(static_cast<float>(float16(-0.0f))));
}

TEST(HalfFormats, Tf32KeepsTenMantissaBits) {
  const float one_ulp = std::ldexp(1.0f, -10);
  EXPECT_EQ(round_to_tf32(1.0f + one_ulp / 2), 1.0f);                     // tie to even
  EXPECT_EQ(round_to_tf32(1.0f + 3 * one_ulp / 2), 1.0f + 2 * one_ulp);  // tie to even
  EXPECT_EQ(round_to_tf32(1.0f + one_ulp / 2 + std::ldexp(1.0f, -23)), 1.0f + one_ulp);
  EXPECT_EQ(bits_of(round_to_tf32(from_bits(0x3f9a5a5aU))) & 0x1fffU, 0U);
  EXPECT_TRUE(std::isinf(round_to_tf32(std::numeric_limits<float>::infinity())));
}

// ---- the products ------------------------------------------------------------------------------

// |fl_S(A·B) − A·B| ≤ u_S·|A·B| + γ_k(float)·|A|·|B| (one rounding to S after a float product).
template <class S>
void expect_storage_gemm_accuracy() {
  StorageBackend<S>& be = storage_backend_for<S>(MemorySpace::host);
  const index_t m = 37;
  const index_t k = 53;
  const index_t n = 29;
  const auto Ad = testkit::gaussian<double>(m, k, 1);
  const auto Bd = testkit::gaussian<double>(k, n, 2);
  Matrix<S> A = be.allocate(m, k);
  Matrix<S> B = be.allocate(k, n);
  be.load(Ad.view(), A.view());
  be.load(Bd.view(), B.view());
  Matrix<S> C = be.allocate(m, n);
  be.gemm(1.0, std::as_const(A).view(), std::as_const(B).view(), 0.0, C.view());
  Matrix<double> Cd(m, n);
  be.store(std::as_const(C).view(), Cd.view());
  const double gamma = static_cast<double>(k) * unit_roundoff<float>;
  for (index_t i = 0; i < m; ++i) {
    for (index_t j = 0; j < n; ++j) {
      double exact = 0.0;
      double magnitude = 0.0;
      for (index_t l = 0; l < k; ++l) {
        const double a = static_cast<float>(A(i, l));
        const double b = static_cast<float>(B(l, j));
        exact += a * b;
        magnitude += std::abs(a * b);
      }
      EXPECT_LE(std::abs(Cd(i, j) - exact),
                unit_roundoff<S> * std::abs(exact) + 2 * gamma * magnitude)
          << i << "," << j;
    }
  }
  // The Gram matrix: both triangles, equal to the product XᵀX rounded once.
  Matrix<S> G = be.allocate(k, k);
  be.gram(1.0, std::as_const(A).view(), 0.0, G.view());
  Matrix<S> P = be.allocate(k, k);
  be.gemm(1.0, std::as_const(A).view().transposed(), std::as_const(A).view(), 0.0, P.view());
  EXPECT_EQ(be.norm_fro_difference(std::as_const(G).view(), std::as_const(P).view()), 0.0);
}

TEST(ReducedBackends, Bf16ProductRoundsOnceAfterAFloatProduct) {
  expect_storage_gemm_accuracy<bfloat16>();
}
TEST(ReducedBackends, Fp16ProductRoundsOnceAfterAFloatProduct) {
  expect_storage_gemm_accuracy<float16>();
}

TEST(ReducedBackends, LoadAndStoreRoundToNearest) {
  StorageBackend<bfloat16>& be = storage_backend_for<bfloat16>(MemorySpace::host);
  const auto A = testkit::gaussian<float>(9, 7, 3);
  Matrix<bfloat16> S = be.allocate(9, 7);
  be.load(A.view(), S.view());
  Matrix<float> back(9, 7);
  be.store(std::as_const(S).view(), back.view());
  for (index_t j = 0; j < 7; ++j) {
    for (index_t i = 0; i < 9; ++i) {
      EXPECT_EQ(back(i, j), static_cast<float>(bfloat16(A(i, j))));
      EXPECT_LE(std::abs(back(i, j) - A(i, j)), unit_roundoff<bfloat16> * std::abs(A(i, j)));
    }
  }
}

TEST(ReducedBackends, Tf32ProductsRoundTheirInputs) {
  ProductBackend<float>& be = tf32_backend_for(MemorySpace::host);
  EXPECT_EQ(be.rounding().unit_roundoff, tf32_unit_roundoff);
  Matrix<float> a(1, 1);
  Matrix<float> b(1, 1);
  a(0, 0) = 1.0f + std::ldexp(1.0f, -12);  // rounds to 1 in TF32, not in float
  b(0, 0) = 3.0f;
  Matrix<float> c(1, 1);
  be.gemm(1.0, std::as_const(a).view(), std::as_const(b).view(), 0.0, c.view());
  EXPECT_EQ(c(0, 0), 3.0f);
}

// ---- polar() in reduced precision ---------------------------------------------------------------

double unit(Precision p) {
  switch (p) {
    case Precision::bf16:
      return unit_roundoff<bfloat16>;
    case Precision::fp16:
      return unit_roundoff<float16>;
    case Precision::tf32:
      return tf32_unit_roundoff;
    case Precision::working:
      break;
  }
  return unit_roundoff<float>;
}

template <class T>
double ortho(const Matrix<T>& U) {
  return testkit::orthogonality_fro(U.view()) / std::sqrt(static_cast<double>(U.cols()));
}

// The orthogonality the schedule's polynomials give in exact arithmetic: applied to each singular
// value σ_i/α of A = P·diag(σ)·Qᵀ, ‖p(Σ)² − I‖_F/√n.
double exact_ortho(const std::vector<double>& sigma, double alpha, const std::vector<Quintic>& ps) {
  double sum = 0.0;
  for (const double s : sigma) {
    double x = s / alpha;
    for (const Quintic& p : ps) x = p(x);
    sum += (x * x - 1) * (x * x - 1);
  }
  return std::sqrt(sum / static_cast<double>(sigma.size()));
}

std::vector<Quintic> schedule_of(Method m, int steps) {
  if (m == Method::muon) return std::vector<Quintic>(static_cast<std::size_t>(steps), {3.4445, -4.7750, 2.0315});
  std::vector<Quintic> out;
  const auto table = polar_express_table();
  for (int i = 0; i < steps; ++i) {
    const auto k = std::min<std::size_t>(static_cast<std::size_t>(i), table.size() - 1);
    out.push_back(k + 1 < table.size() ? with_safety(table[k], 1.01) : table[k]);
  }
  return out;
}

struct FixedCase {
  Method method;
  int steps;
  Precision precision;
  double kappa;
};

class FixedSchedule : public ::testing::TestWithParam<FixedCase> {};

// Acceptance: a 16-bit result is within 2× of the exact-arithmetic orthogonality of the same
// coefficients plus c·u. c = 4: rounding U's entries alone gives ≈ 1.15·u (√(4/3)·u for uniform
// rounding errors); the measured 16-bit results to tolerance are 0.5–1.9·u.
TEST_P(FixedSchedule, WithinTwiceExactArithmeticPlusFourU) {
  const auto [method, steps, precision, kappa] = GetParam();
  const index_t n = 128;
  const auto sigma = testkit::geometric_spectrum(n, kappa);
  const auto A = testkit::with_singular_values<float>(n, n, sigma, 21);
  PolarOptions o;
  o.method = method;
  o.steps = steps;
  o.precision = precision;
  o.compute_h = false;
  const auto r = polar(A, o);
  const double exact = exact_ortho(sigma, r.info.scale, schedule_of(method, steps));
  EXPECT_LE(ortho(r.U), 2.0 * exact + 4.0 * unit(precision))
      << method_name(method) << " " << precision_name(precision) << " exact " << exact;
  EXPECT_EQ(r.info.steps, std::vector<StepKind>(static_cast<std::size_t>(steps), StepKind::reduced));
}

INSTANTIATE_TEST_SUITE_P(
    Schedules, FixedSchedule,
    ::testing::Values(FixedCase{Method::muon, 5, Precision::bf16, 1e2},
                      FixedCase{Method::muon, 5, Precision::fp16, 1e2},
                      FixedCase{Method::polar_express, 8, Precision::bf16, 1e2},
                      FixedCase{Method::polar_express, 8, Precision::fp16, 1e2},
                      FixedCase{Method::polar_express, 10, Precision::bf16, 1e3},
                      FixedCase{Method::polar_express, 8, Precision::tf32, 1e2}));

class ToTolerance : public ::testing::TestWithParam<Precision> {};

TEST_P(ToTolerance, AdaptiveReachesTheFormatsRoundingLevel) {
  const index_t n = 128;
  const auto A = testkit::with_singular_values<float>(n, n, testkit::geometric_spectrum(n, 1e3), 22);
  PolarOptions o;
  o.precision = GetParam();
  o.backward_error = true;
  const auto r = polar(A, o);
  EXPECT_TRUE(r.info.converged);
  EXPECT_LE(ortho(r.U), 4.0 * unit(GetParam()));
  EXPECT_EQ(r.info.ortho_error_history.size(), std::size_t(r.info.iterations) + 1);
  // H from the reduced U: A = U·H to the format's precision.
  EXPECT_LE(r.info.backward_error, 4.0 * unit(GetParam()));
}

// Acceptance: the refinement brings the reduced result to float-level orthogonality, ≤ 10·u_f32.
// It does not undo the reduced phase's rounding, a perturbation of A of relative size u: the
// backward error stays at the format's level (measured 1.1–2.5·u), which the docs say.
TEST_P(ToTolerance, RefinementReachesTenFloatUnits) {
  const index_t n = 256;
  for (const Method m : {Method::muon, Method::polar_express, Method::polar_express_adaptive}) {
    const auto A = testkit::with_singular_values<float>(n, n, testkit::geometric_spectrum(n, 1e2), 23);
    PolarOptions o;
    o.method = m;
    o.precision = GetParam();
    o.refine = true;
    const auto r = polar(A, o);
    EXPECT_TRUE(r.info.converged) << method_name(m);
    EXPECT_LE(ortho(r.U), 10.0 * unit_roundoff<float>) << method_name(m);
    EXPECT_LE(testkit::backward_error(A, r.U, r.H), 4.0 * unit(GetParam())) << method_name(m);
    EXPECT_EQ(r.info.ortho_error_history.size(), std::size_t(r.info.iterations) + 1);
    ASSERT_FALSE(r.info.steps.empty());
    EXPECT_EQ(r.info.steps.front(), StepKind::reduced);
    EXPECT_EQ(r.info.steps.back(), StepKind::polynomial) << method_name(m);
  }
}

INSTANTIATE_TEST_SUITE_P(Precisions, ToTolerance,
                         ::testing::Values(Precision::bf16, Precision::fp16, Precision::tf32),
                         [](const auto& param_info) { return std::string(precision_name(param_info.param)); });

TEST(ReducedPolar, Bf16RefinedInDoubleReachesDoublePrecision) {
  const index_t n = 128;
  const auto A = testkit::with_singular_values<double>(n, n, testkit::geometric_spectrum(n, 1e2), 24);
  PolarOptions o;
  o.precision = Precision::bf16;
  o.refine = true;
  const auto r = polar(A, o);
  EXPECT_TRUE(r.info.converged);
  EXPECT_LE(ortho(r.U), 13.0 * testkit::eps<double>);  // the double bar of the core issue
}

TEST(ReducedPolar, Fp16IsSafeForHugeInputs) {
  // Normalised in float first: 1e30 would overflow binary16 (max 65504) if cast before.
  auto A = testkit::with_singular_values<float>(40, 30, testkit::geometric_spectrum(30, 10.0), 25);
  for (index_t j = 0; j < 30; ++j) {
    for (index_t i = 0; i < 40; ++i) A(i, j) *= 1e30f;
  }
  PolarOptions o;
  o.precision = Precision::fp16;
  const auto r = polar(A, o);
  EXPECT_TRUE(r.info.converged);
  EXPECT_LE(ortho(r.U), 4.0 * unit_roundoff<float16>);
}

TEST(ReducedPolar, OptionsOutsideTheNewtonSchulzFamilyAreRefused) {
  const auto A = testkit::gaussian<float>(12, 8, 26);
  PolarOptions o;
  o.precision = Precision::bf16;
  for (const Method m : {Method::svd, Method::qdwh, Method::zolo, Method::newton, Method::automatic}) {
    o.method = m;
    EXPECT_THROW(polar(A, o), Error) << method_name(m);
  }
  o.method = Method::polar_express_adaptive;
  o.precision = Precision::tf32;
  EXPECT_THROW(polar(testkit::gaussian<double>(12, 8, 27), o), Error);
  EXPECT_EQ(parse_precision("bf16"), Precision::bf16);
  EXPECT_THROW(parse_precision("fp8"), Error);
}

}  // namespace
}  // namespace polarkit::detail
