// The kernel conformance suite: every kernel of Backend<T> against a plain reference loop written
// here, for float and double, in the layouts the kernels accept, compiled once for every backend
// of the build. A backend is checked against the definitions, not against another backend, so a
// new one (or a CPU change) cannot pass by agreeing with a shared mistake.
//
// Tolerances are c·n·u with u the unit roundoff of T and n the length of the sums involved: the
// standard rounding-error bounds of each operation, never fitted to a run. References accumulate
// in long double, so their own error is negligible beside the kernel's.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/kernels/backend.hpp"
#include "polarkit/device.hpp"
#include "no_cuda_device.hpp"
#include "testkit/accuracy.hpp"
#include "testkit/matrices.hpp"
#include "testkit/random.hpp"

namespace polarkit::detail {
namespace {

using testkit::clone;
using Real = long double;

// ---- the backends: where their memory is, and why one cannot run here -------------------------

struct OnHost {
  static constexpr MemorySpace space = MemorySpace::host;
  static std::string unavailable() { return ""; }
};

#ifdef POLARKIT_HAVE_CUDA
// Without a device the CUDA instantiation skips with backend_for's reason, as the device-only
// tests of test_cuda_backend.cpp do: the suite must compile in every CUDA build, run on a GPU.
struct OnCuda {
  static constexpr MemorySpace space = MemorySpace::cuda;
  static std::string unavailable() { return no_cuda_device_reason(); }
};
#endif

template <class Where, class Scalar>
struct On {
  using where = Where;
  using T = Scalar;
};

enum class Layout { col_major, row_major, sub_view };
const char* name(Layout l) {
  return l == Layout::col_major ? "col-major" : l == Layout::row_major ? "row-major" : "sub-view";
}
constexpr Layout inputs[] = {Layout::col_major, Layout::row_major, Layout::sub_view};
// Outputs are column-major (backend.hpp), possibly a block of a larger matrix.
constexpr Layout outputs[] = {Layout::col_major, Layout::sub_view};

// A matrix in the backend's memory and the view a kernel gets of it. A sub-view is a block of a
// larger matrix whose border holds a marker, so a kernel that ignores the leading dimension, or
// writes outside its view, is caught.
template <class T>
struct Placed {
  Matrix<T> storage;
  MatrixView<T> view;
  Layout layout;
  [[nodiscard]] MatrixView<const T> in() const { return view; }
};

constexpr double marker = 7.25;
constexpr index_t pad_rows = 3;
constexpr index_t pad_cols = 2;

template <class C>
class Conformance : public ::testing::Test {
 protected:
  using Scalar = typename C::T;
  static constexpr MemorySpace space = C::where::space;
  static constexpr double unit = unit_roundoff<Scalar>;

  void SetUp() override {
    const std::string why = C::where::unavailable();
    if (!why.empty()) GTEST_SKIP() << why;
    be = &backend_for<Scalar>(space);
  }

  // Host memory ↔ the backend's (the host's: a copy; a device's: polarkit::copy_to).
  Matrix<Scalar> put(const Matrix<Scalar>& H) { return copy_to(H.view(), space); }
  Matrix<Scalar> get(MatrixView<const Scalar> D) {
    be->wait();
    return copy_to(D, MemorySpace::host);
  }

  Placed<Scalar> place(const Matrix<Scalar>& H, Layout layout) {
    switch (layout) {
      case Layout::col_major: {
        Matrix<Scalar> s = put(H);
        const MatrixView<Scalar> v = s.view();
        return {std::move(s), v, layout};
      }
      case Layout::row_major: {
        Matrix<Scalar> s = put(clone(H.view().transposed()));
        const MatrixView<Scalar> v = s.view().transposed();
        return {std::move(s), v, layout};
      }
      case Layout::sub_view: {
        Matrix<Scalar> big(H.rows() + pad_rows, H.cols() + pad_cols);
        for (index_t j = 0; j < big.cols(); ++j) {
          for (index_t i = 0; i < big.rows(); ++i) big(i, j) = static_cast<Scalar>(marker);
        }
        for (index_t j = 0; j < H.cols(); ++j) {
          for (index_t i = 0; i < H.rows(); ++i) big(i + 2, j + 1) = H(i, j);
        }
        Matrix<Scalar> s = put(big);
        const MatrixView<Scalar> v = s.view().block(2, 1, H.rows(), H.cols());
        return {std::move(s), v, layout};
      }
    }
    throw std::logic_error("layout");
  }

  // The values of a placed matrix on the host; for a sub-view, also checks its border.
  Matrix<Scalar> fetch(const Placed<Scalar>& p) {
    if (p.layout == Layout::sub_view) {
      const Matrix<Scalar> big = get(p.storage.view());
      for (index_t j = 0; j < big.cols(); ++j) {
        for (index_t i = 0; i < big.rows(); ++i) {
          const bool inside = i >= 2 && i < 2 + p.view.rows() && j >= 1 && j < 1 + p.view.cols();
          if (!inside) {
            EXPECT_EQ(big(i, j), static_cast<Scalar>(marker)) << "border written at " << i << "," << j;
          }
        }
      }
    }
    return get(p.in());
  }

  Backend<Scalar>* be = nullptr;
};

using Cases = ::testing::Types<On<OnHost, float>, On<OnHost, double>
#ifdef POLARKIT_HAVE_CUDA
                               , On<OnCuda, float>, On<OnCuda, double>
#endif
                               >;

struct CaseNames {
  template <class C>
  static std::string GetName(int) {
    const std::string where = C::where::space == MemorySpace::host ? "cpu" : "cuda";
    return where + (std::is_same_v<typename C::T, float> ? "_float" : "_double");
  }
};
TYPED_TEST_SUITE(Conformance, Cases, CaseNames);

// ---- reference loops ------------------------------------------------------------------------

template <class T>
Real fro(const Matrix<T>& A) {
  Real s = 0;
  for (index_t j = 0; j < A.cols(); ++j) {
    for (index_t i = 0; i < A.rows(); ++i) s += Real(A(i, j)) * Real(A(i, j));
  }
  return std::sqrt(s);
}

// ‖X − Y‖_F of a kernel's result X and a reference Y (given as long double values).
template <class T>
double distance(const Matrix<T>& X, const std::vector<Real>& Y) {
  Real s = 0;
  for (index_t j = 0; j < X.cols(); ++j) {
    for (index_t i = 0; i < X.rows(); ++i) {
      const Real d = Real(X(i, j)) - Y[std::size_t(j * X.rows() + i)];
      s += d * d;
    }
  }
  return double(std::sqrt(s));
}

// alpha·op(A)·B + beta·C, column-major, in long double.
template <class T>
std::vector<Real> product(double alpha, const Matrix<T>& A, const Matrix<T>& B, double beta,
                          const Matrix<T>& C) {
  std::vector<Real> r(std::size_t(A.rows() * B.cols()));
  for (index_t j = 0; j < B.cols(); ++j) {
    for (index_t i = 0; i < A.rows(); ++i) {
      Real s = 0;
      for (index_t p = 0; p < A.cols(); ++p) s += Real(A(i, p)) * Real(B(p, j));
      r[std::size_t(j * A.rows() + i)] = Real(alpha) * s + (beta == 0.0 ? 0 : Real(beta) * Real(C(i, j)));
    }
  }
  return r;
}

template <class T>
std::vector<Real> values(const Matrix<T>& A) {
  std::vector<Real> r;
  r.reserve(std::size_t(A.rows() * A.cols()));
  for (index_t j = 0; j < A.cols(); ++j) {
    for (index_t i = 0; i < A.rows(); ++i) r.push_back(Real(A(i, j)));
  }
  return r;
}

template <class T>
Matrix<T> transpose(const Matrix<T>& A) {
  return clone(A.view().transposed());
}

template <class T>
Matrix<T> identity(index_t n) {
  Matrix<T> I(n, n);
  for (index_t i = 0; i < n; ++i) I(i, i) = T(1);
  return I;
}

// ‖AB − I‖_F computed in long double on the host.
template <class T>
double product_minus_identity(const Matrix<T>& A, const Matrix<T>& B) {
  const Matrix<T> I = identity<T>(A.rows());
  return distance(I, product(1.0, A, B, 0.0, I));
}

// A well-conditioned upper triangular matrix: Gaussian entries, diagonal ≥ n in size (κ ≈ 2).
template <class T>
Matrix<T> upper(index_t n, std::uint64_t seed) {
  auto R = testkit::gaussian<T>(n, n, seed);
  for (index_t j = 0; j < n; ++j) {
    for (index_t i = j + 1; i < n; ++i) R(i, j) = T(0);
    R(j, j) = static_cast<T>(double(n) + std::abs(double(R(j, j))));
  }
  return R;
}

// ---- copy and the elementwise kernels ---------------------------------------------------------

TYPED_TEST(Conformance, CopyScalesInEveryLayout) {
  using T = typename TestFixture::Scalar;
  const double u = TestFixture::unit;
  const auto A = testkit::gaussian<T>(37, 23, 1);
  for (const double alpha : {1.0, 0.3, -2.0}) {
    std::vector<Real> expected = values(A);
    for (Real& x : expected) x *= Real(alpha);
    for (const Layout src : inputs) {
      const Placed<T> a = this->place(A, src);
      for (const Layout dst : outputs) {
        Placed<T> c = this->place(Matrix<T>(37, 23), dst);
        this->be->copy(alpha, a.in(), c.view);
        // One rounding per entry; exact for alpha = 1.
        EXPECT_LE(distance(this->fetch(c), expected), (alpha == 1.0 ? 0.0 : u) * std::abs(alpha) * double(fro(A)))
            << name(src) << " -> " << name(dst) << ", alpha = " << alpha;
      }
    }
    // From host memory (a device backend uploads), and in place.
    Placed<T> c = this->place(Matrix<T>(37, 23), Layout::col_major);
    this->be->copy(alpha, A.view(), c.view);
    EXPECT_LE(distance(this->fetch(c), expected), u * std::abs(alpha) * double(fro(A))) << "from the host";
    Placed<T> s = this->place(A, Layout::sub_view);
    this->be->copy(alpha, s.in(), s.view);
    EXPECT_LE(distance(this->fetch(s), expected), u * std::abs(alpha) * double(fro(A))) << "in place";
  }
}

// alpha = 0 is the BLAS beta = 0 convention: zeros, the source never read (NaN stays out).
TYPED_TEST(Conformance, CopyWithZeroAlphaWritesZerosWithoutReading) {
  using T = typename TestFixture::Scalar;
  auto A = testkit::gaussian<T>(20, 10, 2);
  A(3, 4) = std::numeric_limits<T>::quiet_NaN();
  const Placed<T> a = this->place(A, Layout::col_major);
  EXPECT_FALSE(this->be->all_finite(a.in()));
  Placed<T> c = this->place(testkit::gaussian<T>(20, 10, 3), Layout::sub_view);
  this->be->copy(0.0, a.in(), c.view);
  const Matrix<T> got = this->fetch(c);
  for (index_t j = 0; j < 10; ++j) {
    for (index_t i = 0; i < 20; ++i) EXPECT_EQ(got(i, j), T(0)) << i << "," << j;
  }
}

TYPED_TEST(Conformance, AddInEveryLayout) {
  using T = typename TestFixture::Scalar;
  const double u = TestFixture::unit;
  const auto A = testkit::gaussian<T>(50, 40, 10);
  const auto C0 = testkit::gaussian<T>(50, 40, 11);
  const double alpha = -1.25;
  for (const double beta : {0.0, 0.7}) {
    std::vector<Real> expected(std::size_t(50 * 40));
    for (index_t j = 0; j < 40; ++j) {
      for (index_t i = 0; i < 50; ++i) {
        expected[std::size_t(j * 50 + i)] = Real(alpha) * Real(A(i, j)) + Real(beta) * Real(C0(i, j));
      }
    }
    // Two products and a sum, each rounded (or one fused multiply-add).
    const double tol = 3 * u * (std::abs(alpha) * double(fro(A)) + beta * double(fro(C0)));
    for (const Layout src : inputs) {
      const Placed<T> a = this->place(A, src);
      for (const Layout dst : outputs) {
        Placed<T> c = this->place(C0, dst);
        this->be->add(alpha, a.in(), beta, c.view);
        EXPECT_LE(distance(this->fetch(c), expected), tol) << name(src) << " -> " << name(dst) << ", beta = " << beta;
      }
    }
  }
}

TYPED_TEST(Conformance, TriangleDiagonalAndColumnKernels) {
  using T = typename TestFixture::Scalar;
  const double u = TestFixture::unit;
  for (const auto& [m, n] : {std::pair<index_t, index_t>{30, 30}, {45, 20}, {20, 45}}) {
    const auto A = testkit::gaussian<T>(m, n, 12);
    std::vector<double> d(static_cast<std::size_t>(n));
    for (std::size_t j = 0; j < d.size(); ++j) d[j] = 0.5 - double(j) / 8.0;
    const std::string shape = std::to_string(m) + "x" + std::to_string(n);
    for (const Layout layout : outputs) {
      const std::string what = shape + " " + name(layout);
      Placed<T> c = this->place(A, layout);

      // C + gamma·I: one rounding on the diagonal, the rest untouched.
      const double gamma = 3.5;
      this->be->add_diagonal(gamma, c.view);
      Matrix<T> got = this->fetch(c);
      for (index_t j = 0; j < n; ++j) {
        for (index_t i = 0; i < m; ++i) {
          if (i != j) {
            EXPECT_EQ(got(i, j), A(i, j)) << "add_diagonal " << what;
          } else {
            EXPECT_NEAR(double(got(i, i)), double(A(i, i)) + gamma, u * (std::abs(double(A(i, i))) + gamma))
                << "add_diagonal " << what;
          }
        }
      }

      this->be->zero_strict_lower(c.view);
      const Matrix<T> before = clone(got);
      got = this->fetch(c);
      for (index_t j = 0; j < n; ++j) {
        for (index_t i = 0; i < m; ++i) {
          EXPECT_EQ(got(i, j), i > j ? T(0) : before(i, j)) << "zero_strict_lower " << what;
        }
      }

      this->be->scale_columns(d, c.view);
      const Matrix<T> triangle = clone(got);
      got = this->fetch(c);
      for (index_t j = 0; j < n; ++j) {
        for (index_t i = 0; i < m; ++i) {
          const double exact = double(triangle(i, j)) * d[std::size_t(j)];
          EXPECT_NEAR(double(got(i, j)), exact, u * std::abs(exact)) << "scale_columns " << what;
        }
      }
    }
  }
  // (C + Cᵀ)/2: exactly symmetric, each entry one sum and a halving from the definition.
  const auto B = testkit::gaussian<T>(40, 40, 13);
  for (const Layout layout : outputs) {
    Placed<T> c = this->place(B, layout);
    this->be->symmetrize(c.view);
    const Matrix<T> got = this->fetch(c);
    for (index_t j = 0; j < 40; ++j) {
      for (index_t i = 0; i < 40; ++i) {
        EXPECT_EQ(got(i, j), got(j, i)) << name(layout);
        const double exact = (double(B(i, j)) + double(B(j, i))) / 2;
        EXPECT_NEAR(double(got(i, j)), exact, u * (std::abs(double(B(i, j))) + std::abs(double(B(j, i)))))
            << name(layout);
      }
    }
  }
}

// ---- products --------------------------------------------------------------------------------

// The row-major output is an extra: the solvers never pass one, but both backends take it (the
// transposition moves to the operands), and a row-major single column reads with a stride.
TYPED_TEST(Conformance, GemmInEveryLayout) {
  using T = typename TestFixture::Scalar;
  const double u = TestFixture::unit;
  const index_t m = 67;
  const index_t k = 41;
  const auto A = testkit::gaussian<T>(m, k, 5);
  for (const index_t n : {index_t{29}, index_t{1}}) {
    const auto B = testkit::gaussian<T>(k, n, 6);
    const auto C0 = testkit::gaussian<T>(m, n, 7);
    const double alpha = 1.5;
    const double beta = -0.5;
    const auto expected = product(alpha, A, B, beta, C0);
    // |fl(AB) − AB| ≤ k·u·|A||B| entrywise, and ‖|A||B|‖_F ≤ ‖A‖_F‖B‖_F; the scalings add 2u.
    const double tol = 2 * double(k + 2) * u *
                       (alpha * double(fro(A)) * double(fro(B)) + std::abs(beta) * double(fro(C0)));
    for (const Layout la : inputs) {
      const Placed<T> a = this->place(A, la);
      for (const Layout lb : inputs) {
        const Placed<T> b = this->place(B, lb);
        const std::string what = std::string(name(la)) + " x " + name(lb) + ", n = " + std::to_string(n);
        for (const Layout lc : outputs) {
          Placed<T> c = this->place(C0, lc);
          this->be->gemm(alpha, a.in(), b.in(), beta, c.view);
          EXPECT_LE(distance(this->fetch(c), expected), tol) << what << " -> " << name(lc);
        }
        Placed<T> ct = this->place(C0, Layout::row_major);
        this->be->gemm(alpha, a.in(), b.in(), beta, ct.view);
        EXPECT_LE(distance(this->fetch(ct), expected), tol) << what << " -> row-major";
      }
    }
  }
}

// G = alpha·XᵀX + beta·G with both triangles filled: exactly symmetric (a mirror of one computed
// triangle), for a column-major X, a row-major one (XᵀX of the stored Xᵀ's transpose), and a
// sub-view.
TYPED_TEST(Conformance, GramFillsBothTrianglesInEveryLayout) {
  using T = typename TestFixture::Scalar;
  const double u = TestFixture::unit;
  const index_t m = 90;
  const index_t n = 37;
  for (const bool wide : {false, true}) {  // XᵀX and, of the transposed X, XXᵀ
    const auto X0 = testkit::gaussian<T>(m, n, 8);
    const Matrix<T> X = wide ? transpose(X0) : clone(X0);
    const index_t k = X.rows();
    const index_t p = X.cols();
    // Symmetric: SYRK reads one triangle of G for the beta term.
    auto G0 = testkit::gaussian<T>(p, p, 9);
    for (index_t j = 0; j < p; ++j) for (index_t i = 0; i < j; ++i) G0(i, j) = G0(j, i);
    const double alpha = 2.0;
    const double beta = 0.5;
    const auto expected = product(alpha, transpose(X), X, beta, G0);
    const double tol = 2 * double(k + 2) * u * (alpha * double(fro(X)) * double(fro(X)) + beta * double(fro(G0)));
    for (const Layout lx : inputs) {
      const Placed<T> x = this->place(X, lx);
      for (const Layout lg : outputs) {
        Placed<T> g = this->place(G0, lg);
        this->be->gram(alpha, x.in(), beta, g.view);
        const Matrix<T> got = this->fetch(g);
        const std::string what = std::string(name(lx)) + " -> " + name(lg) + (wide ? ", wide" : "");
        EXPECT_LE(distance(got, expected), tol) << what;
        for (index_t j = 0; j < p; ++j) {
          for (index_t i = j + 1; i < p; ++i) ASSERT_EQ(got(i, j), got(j, i)) << what << " at " << i << "," << j;
        }
      }
    }
  }
}

// ---- reductions ------------------------------------------------------------------------------

// Sums of k terms: relative error ≤ c·k·u of the sum of the terms' magnitudes.
TYPED_TEST(Conformance, ReductionsInEveryLayout) {
  using T = typename TestFixture::Scalar;
  const double u = TestFixture::unit;
  for (const auto& [m, n] : {std::pair<index_t, index_t>{60, 40}, {1, 1}, {257, 1}, {3, 150}, {33, 33}}) {
    const auto A = testkit::gaussian<T>(m, n, 14);
    const auto B = testkit::gaussian<T>(m, n, 15);
    const double k = double(m * n);
    Real dot = 0, diff = 0, abs_dot = 0, minus_i = 0, trace = 0, abs_trace = 0;
    double max_abs = 0;
    for (index_t j = 0; j < n; ++j) {
      for (index_t i = 0; i < m; ++i) {
        dot += Real(A(i, j)) * Real(B(i, j));
        abs_dot += std::abs(Real(A(i, j)) * Real(B(i, j)));
        diff += (Real(A(i, j)) - Real(B(i, j))) * (Real(A(i, j)) - Real(B(i, j)));
        const Real e = Real(A(i, j)) - (i == j ? 1 : 0);
        minus_i += e * e;
        if (i == j) {
          trace += Real(A(i, i));
          abs_trace += std::abs(Real(A(i, i)));
        }
        max_abs = std::max(max_abs, std::abs(double(A(i, j))));
      }
    }
    const double norm = double(fro(A));
    const std::string shape = std::to_string(m) + "x" + std::to_string(n);
    const Placed<T> b = this->place(B, Layout::col_major);
    for (const Layout layout : inputs) {
      const Placed<T> a = this->place(A, layout);
      const std::string what = shape + " " + name(layout);
      Backend<T>& kernels = *this->be;
      EXPECT_EQ(kernels.max_abs(a.in()), max_abs) << what;
      EXPECT_NEAR(kernels.norm_fro(a.in()), norm, 2 * (k + 1) * u * norm) << what;
      EXPECT_NEAR(kernels.dot(a.in(), b.in()), double(dot), 2 * (k + 1) * u * double(abs_dot)) << what;
      EXPECT_NEAR(kernels.norm_fro_difference(a.in(), b.in()), double(std::sqrt(diff)),
                  2 * (k + 2) * u * double(std::sqrt(diff)))
          << what;
      EXPECT_TRUE(kernels.all_finite(a.in())) << what;
      if (m == n) {
        EXPECT_NEAR(kernels.trace(a.in()), double(trace), 2 * double(n) * u * double(abs_trace)) << what;
        EXPECT_NEAR(kernels.norm_fro_minus_identity(a.in()), double(std::sqrt(minus_i)),
                    2 * (k + 2) * u * double(std::sqrt(minus_i)))
            << what;
      }
    }
  }
}

// ‖G − I‖_F for G within a few u of I: the diagonal's (g − 1)² must not be formed as g² − 1
// (which would leave nothing of the result); the stopping tests of the iterations read it there.
TYPED_TEST(Conformance, NormOfGMinusIdentityKeepsItsDigitsNearIdentity) {
  using T = typename TestFixture::Scalar;
  const double u = TestFixture::unit;
  const index_t n = 64;
  Matrix<T> G(n, n);
  Real reference = 0;
  for (index_t j = 0; j < n; ++j) {
    for (index_t i = 0; i < n; ++i) {
      const T e = static_cast<T>(static_cast<double>((i * 7 + j * 3) % 5 - 2) * 2 * u);
      G(i, j) = (i == j ? T(1) : T(0)) + e;
      const Real d = Real(G(i, j)) - (i == j ? 1 : 0);
      reference += d * d;
    }
  }
  const double expected = double(std::sqrt(reference));
  for (const Layout layout : inputs) {
    const Placed<T> g = this->place(G, layout);
    // g − 1 is exact (Sterbenz); the sum of n² squares in T's precision at worst.
    EXPECT_NEAR(this->be->norm_fro_minus_identity(g.in()), expected, 2 * double(n * n) * u * expected)
        << name(layout);
  }
}

// Entries whose squares overflow or underflow T (and double, for T = double), and subnormal
// ones: the norms scale, as LAPACK's nrm2 does.
TYPED_TEST(Conformance, NormsAreSafeAtTheEndsOfTheRange) {
  using T = typename TestFixture::Scalar;
  const double u = TestFixture::unit;
  const auto A = testkit::gaussian<T>(64, 48, 16);
  const double big = std::is_same_v<T, double> ? 1e300 : 1e37;
  const double small = std::is_same_v<T, double> ? 1e-300 : 1e-37;
  const double subnormal = std::ldexp(std::numeric_limits<T>::denorm_min(), 16);
  const double k = 64.0 * 48.0;
  for (const double c : {big, small, subnormal}) {
    Matrix<T> S(64, 48);
    for (index_t j = 0; j < 48; ++j) {
      for (index_t i = 0; i < 64; ++i) S(i, j) = static_cast<T>(A(i, j) * c);
    }
    const double expected = double(fro(S));  // long double's range holds these squares
    ASSERT_TRUE(std::isfinite(expected) && expected > 0.0);
    const Placed<T> s = this->place(S, Layout::col_major);
    const Placed<T> zero = this->place(Matrix<T>(64, 48), Layout::col_major);
    // Subnormal entries carry fewer digits: their own rounding, relative to the norm, is u·√k.
    const double tol = 2 * (k + 2) * u * expected;
    EXPECT_NEAR(this->be->norm_fro(s.in()), expected, tol) << c;
    EXPECT_NEAR(this->be->norm_fro_difference(s.in(), zero.in()), expected, tol) << c;
    double max_abs = 0;
    for (index_t j = 0; j < 48; ++j) for (index_t i = 0; i < 64; ++i) max_abs = std::max(max_abs, std::abs(double(S(i, j))));
    EXPECT_EQ(this->be->max_abs(s.in()), max_abs) << c;
  }
}

TYPED_TEST(Conformance, AllFiniteFindsNanAndInfinity) {
  using T = typename TestFixture::Scalar;
  for (const T bad : {std::numeric_limits<T>::quiet_NaN(), std::numeric_limits<T>::infinity(),
                      -std::numeric_limits<T>::infinity()}) {
    for (const auto& [i, j] : {std::pair<index_t, index_t>{128, 76}, {0, 0}, {64, 30}}) {
      auto A = testkit::gaussian<T>(129, 77, 17);
      A(i, j) = bad;
      for (const Layout layout : inputs) {
        EXPECT_FALSE(this->be->all_finite(this->place(A, layout).in())) << name(layout) << " " << i << "," << j;
      }
    }
  }
  const Placed<T> empty = this->place(Matrix<T>(0, 3), Layout::col_major);
  EXPECT_TRUE(this->be->all_finite(empty.in()));
  EXPECT_EQ(this->be->norm_fro(empty.in()), 0.0);
  EXPECT_EQ(this->be->max_abs(empty.in()), 0.0);
}

TYPED_TEST(Conformance, ShapeMismatchesThrow) {
  using T = typename TestFixture::Scalar;
  const Placed<T> a = this->place(Matrix<T>(3, 2), Layout::col_major);
  Placed<T> c = this->place(Matrix<T>(3, 3), Layout::col_major);
  EXPECT_THROW(this->be->gemm(1.0, a.in(), a.in(), 0.0, c.view), Error);
  EXPECT_THROW(this->be->add(1.0, a.in(), 0.0, c.view), Error);
}

// ---- batched kernels ---------------------------------------------------------------------------

// Each item against the reference, in a uniform batch (one launch may serve it), one with
// row-major operands, and a mixed one (an item with another leading dimension).
TYPED_TEST(Conformance, BatchedKernelsMatchTheirDefinitions) {
  using T = typename TestFixture::Scalar;
  const double u = TestFixture::unit;
  const index_t m = 70, n = 40;
  constexpr std::size_t count = 3;
  std::vector<Matrix<T>> A, B, S;
  for (std::uint64_t i = 0; i < count; ++i) {
    A.push_back(testkit::gaussian<T>(m, n, 60 + i));
    B.push_back(testkit::gaussian<T>(n, n, 70 + i));
    Matrix<T> s(n, n);  // symmetric, for the polynomial
    for (index_t q = 0; q < n; ++q) for (index_t p = 0; p < n; ++p) s(p, q) = static_cast<T>((double(B.back()(p, q)) + double(B.back()(q, p))) / 8);
    S.push_back(std::move(s));
  }
  const auto views = [](std::vector<Placed<T>>& p) {
    std::vector<MatrixView<T>> v;
    for (auto& x : p) v.push_back(x.view);
    return v;
  };
  const auto place_all = [&](const std::vector<Matrix<T>>& H, const Layout layouts[count]) {
    std::vector<Placed<T>> p;
    for (std::size_t i = 0; i < count; ++i) p.push_back(this->place(H[i], layouts[i]));
    return p;
  };
  const Layout col[count] = {Layout::col_major, Layout::col_major, Layout::col_major};
  const Layout row[count] = {Layout::row_major, Layout::row_major, Layout::row_major};
  const Layout mixed[count] = {Layout::col_major, Layout::sub_view, Layout::row_major};
  const Layout out[count] = {Layout::col_major, Layout::sub_view, Layout::col_major};
  for (const auto* layouts : {col, row, mixed}) {
    const std::string what = name(layouts[1]);
    auto a = place_all(A, layouts);
    auto b = place_all(B, layouts);
    auto s = place_all(S, layouts);
    const auto av = const_views(views(a));
    const auto bv = const_views(views(b));
    const auto sv = const_views(views(s));
    std::vector<Matrix<T>> zeros_mn, zeros_nn;
    for (std::size_t i = 0; i < count; ++i) {
      zeros_mn.emplace_back(m, n);
      zeros_nn.emplace_back(n, n);
    }

    auto c = place_all(zeros_mn, out);
    this->be->gemm_batched(2.0, av, bv, 0.0, views(c));
    for (std::size_t i = 0; i < count; ++i) {
      EXPECT_LE(distance(this->fetch(c[i]), product(2.0, A[i], B[i], 0.0, A[i])),
                4 * double(n + 1) * u * double(fro(A[i]) * fro(B[i])))
          << "gemm_batched " << what << " item " << i;
    }

    auto g = place_all(zeros_nn, out);
    this->be->gram_batched(av, views(g));
    for (std::size_t i = 0; i < count; ++i) {
      EXPECT_LE(distance(this->fetch(g[i]), product(1.0, transpose(A[i]), A[i], 0.0, B[i])),
                2 * double(m + 1) * u * double(fro(A[i]) * fro(A[i])))
          << "gram_batched " << what << " item " << i;
    }

    // c·S² + b·S + a·I, one polynomial with c = 0 (no Gram product).
    const std::vector<Quintic> q{{1.875, -1.25, 0.375}, {3.0, -2.0, 0.0}, {0.5, 1.5, -0.25}};
    auto d = place_all(zeros_nn, out);
    this->be->polynomial_batched(q, sv, views(d));
    for (std::size_t i = 0; i < count; ++i) {
      auto expected = product(q[i].c, S[i], S[i], q[i].b, S[i]);
      for (index_t p = 0; p < n; ++p) expected[std::size_t(p * n + p)] += Real(q[i].a);
      const double size = std::abs(q[i].c) * double(fro(S[i]) * fro(S[i])) +
                          std::abs(q[i].b) * double(fro(S[i])) + std::abs(q[i].a) * std::sqrt(double(n));
      EXPECT_LE(distance(this->fetch(d[i]), expected), 4 * double(n + 2) * u * size)
          << "polynomial_batched " << what << " item " << i;
    }

    const std::vector<double> alpha{0.5, -3.0, 0.0};
    auto e = place_all(zeros_mn, out);
    this->be->copy_batched(alpha, av, views(e));
    for (std::size_t i = 0; i < count; ++i) {
      auto expected = values(A[i]);
      for (Real& x : expected) x *= Real(alpha[i]);
      EXPECT_LE(distance(this->fetch(e[i]), expected), u * std::abs(alpha[i]) * double(fro(A[i])))
          << "copy_batched " << what << " item " << i;
    }

    auto f = place_all(B, out);
    this->be->add_diagonal_batched(-1.5, views(f));
    for (std::size_t i = 0; i < count; ++i) {
      auto expected = values(B[i]);
      for (index_t p = 0; p < n; ++p) expected[std::size_t(p * n + p)] -= 1.5L;
      EXPECT_LE(distance(this->fetch(f[i]), expected), u * (double(fro(B[i])) + 1.5 * std::sqrt(double(n))))
          << "add_diagonal_batched " << what << " item " << i;
    }

    // The reductions of the batch against the reference of each item.
    const auto dots = this->be->dot_batched(bv, sv);
    const auto norms = this->be->norm_fro_batched(av);
    const auto minus_identity = this->be->norm_fro_minus_identity_batched(bv);
    const auto differences = this->be->norm_fro_difference_batched(bv, sv);
    ASSERT_EQ(dots.size(), count);
    ASSERT_EQ(norms.size(), count);
    ASSERT_EQ(minus_identity.size(), count);
    ASSERT_EQ(differences.size(), count);
    const double k = double(n * n);
    for (std::size_t i = 0; i < count; ++i) {
      Real dot = 0, abs_dot = 0, diff = 0;
      for (index_t q2 = 0; q2 < n; ++q2) {
        for (index_t p = 0; p < n; ++p) {
          dot += Real(B[i](p, q2)) * Real(S[i](p, q2));
          abs_dot += std::abs(Real(B[i](p, q2)) * Real(S[i](p, q2)));
          diff += (Real(B[i](p, q2)) - Real(S[i](p, q2))) * (Real(B[i](p, q2)) - Real(S[i](p, q2)));
        }
      }
      const Matrix<T> I = identity<T>(n);
      const double mi = distance(B[i], values(I));
      EXPECT_NEAR(dots[i], double(dot), 2 * (k + 1) * u * double(abs_dot)) << what << " item " << i;
      EXPECT_NEAR(norms[i], double(fro(A[i])), 2 * double(m * n + 1) * u * double(fro(A[i]))) << what;
      EXPECT_NEAR(minus_identity[i], mi, 2 * (k + 2) * u * mi) << what << " item " << i;
      EXPECT_NEAR(differences[i], double(std::sqrt(diff)), 2 * (k + 2) * u * double(std::sqrt(diff)))
          << what << " item " << i;
    }
  }
}

// ---- factorisations, through the identities that define them ----------------------------------

// Q has orthonormal columns and QR = A (backward stable: ‖QR − A‖ ≤ c·m·n·u·‖A‖), R upper.
TYPED_TEST(Conformance, QrAndFormQ) {
  using T = typename TestFixture::Scalar;
  const double u = TestFixture::unit;
  for (const auto& [m, n] : {std::pair<index_t, index_t>{120, 50}, {40, 40}}) {
    const auto A = testkit::gaussian<T>(m, n, 18);
    for (const Layout layout : outputs) {
      const std::string what = std::to_string(m) + "x" + std::to_string(n) + " " + name(layout);
      Placed<T> f = this->place(A, layout);
      Placed<T> tau = this->place(Matrix<T>(n, 1), Layout::col_major);
      this->be->qr(f.view, tau.view);
      Matrix<T> R = this->fetch(f);
      R = clone(std::as_const(R).view().block(0, 0, n, n));
      for (index_t j = 0; j < n; ++j) for (index_t i = j + 1; i < n; ++i) R(i, j) = T(0);
      this->be->form_q(f.view, tau.in());
      const Matrix<T> Q = this->fetch(f);
      EXPECT_LE(product_minus_identity(transpose(Q), Q), 4 * double(m) * u * std::sqrt(double(n))) << what;
      const double residual = distance(A, product(1.0, Q, R, 0.0, A));
      EXPECT_LE(residual, 4 * double(m) * u * std::sqrt(double(n)) * double(fro(A))) << what;
    }
  }
}

// RᵀR = A for a positive definite A (‖RᵀR − A‖ ≤ c·n·u·‖A‖), and false for an indefinite one.
TYPED_TEST(Conformance, Cholesky) {
  using T = typename TestFixture::Scalar;
  const double u = TestFixture::unit;
  const index_t n = 60;
  const auto X = testkit::gaussian<T>(2 * n, n, 19);
  Matrix<T> S(n, n);
  {
    const auto xtx = product(1.0 / double(2 * n), transpose(X), X, 0.0, S);
    for (index_t j = 0; j < n; ++j) for (index_t i = 0; i < n; ++i) S(i, j) = static_cast<T>(xtx[std::size_t(j * n + i)]);
  }
  for (const Layout layout : outputs) {
    Placed<T> c = this->place(S, layout);
    ASSERT_TRUE(this->be->cholesky(c.view)) << name(layout);
    Matrix<T> R = this->get(c.in());
    for (index_t j = 0; j < n; ++j) for (index_t i = j + 1; i < n; ++i) R(i, j) = T(0);
    EXPECT_LE(distance(S, product(1.0, transpose(R), R, 0.0, S)), 4 * double(n) * u * double(fro(S)))
        << name(layout);
  }
  Matrix<T> indefinite = clone(S);
  indefinite(n / 2, n / 2) = T(-1);
  Placed<T> e = this->place(indefinite, Layout::col_major);
  EXPECT_FALSE(this->be->cholesky(e.view));
}

// X = B·R⁻¹ (or B·R⁻ᵀ) satisfies X·R = B to c·n·u·‖X‖‖R‖ (backward stable); one row as well as
// many (a backend may take another path for a single row).
TYPED_TEST(Conformance, SolveUpperRight) {
  using T = typename TestFixture::Scalar;
  const double u = TestFixture::unit;
  const index_t n = 45;
  const auto R = upper<T>(n, 20);
  for (const index_t rows : {index_t{70}, index_t{1}}) {
    const auto B = testkit::gaussian<T>(rows, n, 21);
    for (const bool transpose_r : {false, true}) {
      for (const Layout lr : outputs) {  // R is read as LAPACK reads it: column-major
        const Placed<T> r = this->place(R, lr);
        for (const Layout lb : outputs) {
          Placed<T> x = this->place(B, lb);
          this->be->solve_upper_right(r.in(), transpose_r, x.view);
          const Matrix<T> X = this->fetch(x);
          const Matrix<T> op = transpose_r ? transpose(R) : clone(R);
          EXPECT_LE(distance(B, product(1.0, X, op, 0.0, B)), 4 * double(n) * u * double(fro(X) * fro(R)))
              << rows << " rows, transpose " << transpose_r << ", " << name(lr) << " -> " << name(lb);
        }
      }
    }
  }
}

// R·R⁻¹ = I to c·n·u·κ(R), with the strict lower part of the inverse zero.
TYPED_TEST(Conformance, InvertUpper) {
  using T = typename TestFixture::Scalar;
  const double u = TestFixture::unit;
  const index_t n = 45;
  auto R = upper<T>(n, 22);
  const Matrix<T> Rupper = clone(R);
  for (index_t j = 0; j < n; ++j) for (index_t i = j + 1; i < n; ++i) R(i, j) = T(1e3);  // never read
  for (const Layout lr : outputs) {  // R column-major, as for solve_upper_right
    const Placed<T> r = this->place(R, lr);
    for (const Layout li : outputs) {
      Placed<T> inv = this->place(testkit::gaussian<T>(n, n, 23), li);
      this->be->invert_upper(r.in(), inv.view);
      const Matrix<T> got = this->fetch(inv);
      for (index_t j = 0; j < n; ++j) for (index_t i = j + 1; i < n; ++i) EXPECT_EQ(got(i, j), T(0));
      EXPECT_LE(product_minus_identity(Rupper, got), 4 * double(n) * u * double(fro(Rupper) * fro(got)))
          << name(lr) << " -> " << name(li);
    }
  }
}

// A·A⁻¹ = I to c·n·u·‖A‖‖A⁻¹‖ (LU with partial pivoting), and false for a singular A.
TYPED_TEST(Conformance, Invert) {
  using T = typename TestFixture::Scalar;
  const double u = TestFixture::unit;
  const index_t n = 50;
  const auto A = testkit::with_singular_values<T>(n, n, testkit::geometric_spectrum(n, 10.0), 22);
  for (const Layout layout : outputs) {
    Placed<T> a = this->place(A, layout);
    ASSERT_TRUE(this->be->invert(a.view)) << name(layout);
    const Matrix<T> inv = this->fetch(a);
    EXPECT_LE(product_minus_identity(A, inv), 4 * double(n) * u * double(fro(A) * fro(inv))) << name(layout);
  }
  Placed<T> z = this->place(Matrix<T>(n, n), Layout::col_major);
  EXPECT_FALSE(this->be->invert(z.view));
}

// A = W·diag(σ)·Vt with W and V orthonormal, σ descending and equal to the known values to
// c·n·u·σ₁ (Weyl); the values alone likewise, tall and square.
TYPED_TEST(Conformance, SvdAndSingularValues) {
  using T = typename TestFixture::Scalar;
  const double u = TestFixture::unit;
  for (const auto& [m, n] : {std::pair<index_t, index_t>{90, 40}, {25, 25}}) {
    const auto sigma = testkit::geometric_spectrum(n, 1e2);
    const auto A = testkit::with_singular_values<T>(m, n, sigma, 24);
    const double tol = 4 * double(m) * u;
    for (const Layout layout : inputs) {
      const std::string what = std::to_string(m) + "x" + std::to_string(n) + " " + name(layout);
      const Placed<T> a = this->place(A, layout);
      Placed<T> w = this->place(Matrix<T>(m, n), Layout::col_major);
      Placed<T> vt = this->place(Matrix<T>(n, n), Layout::col_major);
      const auto s = this->be->svd(a.in(), w.view, vt.view);
      const auto values = this->be->singular_values(a.in());
      ASSERT_EQ(s.size(), std::size_t(n)) << what;
      ASSERT_EQ(values.size(), std::size_t(n)) << what;
      for (std::size_t i = 0; i < s.size(); ++i) {
        EXPECT_NEAR(s[i], sigma[i], tol * sigma[0]) << what << " " << i;
        EXPECT_NEAR(values[i], sigma[i], tol * sigma[0]) << what << " " << i;
        if (i > 0) {
          EXPECT_LE(s[i], s[i - 1]) << what;
        }
      }
      Matrix<T> W = this->fetch(w);
      const Matrix<T> Vt = this->fetch(vt);
      EXPECT_LE(product_minus_identity(transpose(W), W), tol * std::sqrt(double(n))) << what;
      EXPECT_LE(product_minus_identity(Vt, transpose(Vt)), tol * std::sqrt(double(n))) << what;
      for (index_t j = 0; j < n; ++j) for (index_t i = 0; i < m; ++i) W(i, j) = static_cast<T>(double(W(i, j)) * s[std::size_t(j)]);
      EXPECT_LE(distance(A, product(1.0, W, Vt, 0.0, A)), tol * std::sqrt(double(n)) * double(fro(A))) << what;
    }
  }
}

}  // namespace
}  // namespace polarkit::detail
