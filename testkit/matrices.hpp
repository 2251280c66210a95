// matrices.hpp — matrices with prescribed singular values, A = P·diag(σ)·Qᵀ with Haar-distributed
// orthonormal P and Q, for the tests, `polarkit sweep` and the benchmarks.
//
// Three generators, each pinned by what it must reproduce; they share the spectra and the
// Gaussian draws (random.hpp) and differ only in how they orthonormalise and form A:
//  - with_singular_values: the test suite's. Modified Gram–Schmidt twice in long double,
//    P and Q from seeds s and s + 1, A accumulated in long double. Every threshold and expected
//    count of the suite was set on these matrices.
//  - SingularVectors: the sweep's, as docs/accuracy.md describes it. Classical Gram–Schmidt
//    twice in double, P and Q drawn once from seeds s and s + 0x9e3779b97f4a7c15 (2⁶⁴/φ), so that a sweep over κ
//    changes nothing but σ; A formed in double. docs/accuracy.md's tables are its numbers.
//  - bench_matrix: the benchmarks'. Haar factors as the Q of a Householder QR with the signs of
//    diag(R) folded in, A = (P·diag(σ))·Qᵀ through the BLAS: the construction of
//    bench/compare_cpu.py's test_matrix, which the C++ and Python timings are compared on.
//    householder_with_singular_values is the same construction for any shape, spectrum and
//    seed: the distributed tests' (tests/mpi), at sizes where the long-double one takes too long
//    (n = 1500: 53 s, against about 1 s through the BLAS).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "polarkit/matrix.hpp"

namespace polarkit::testkit {

// --- spectra -------------------------------------------------------------------------------------

/// σ_i = κ^{-i/(n-1)}: geometric from 1 down to 1/κ.
std::vector<double> geometric_spectrum(index_t n, double kappa);
/// σ_i linear from 1 down to 1/κ.
std::vector<double> linear_spectrum(index_t n, double kappa);

/// The singular value distributions the sweep knows: "geometric" (σ_i = κ^{-i/(k-1)}),
/// "linear" (from 1 down to 1/κ), "one-small" (all 1 except the last, 1/κ).
const std::vector<std::string>& spectrum_names();

/// σ_0 ≥ … ≥ σ_{k-1} of the named distribution, σ_0 = 1 and σ_{k-1} = 1/κ exactly (k ≥ 2).
/// Throws Error(invalid_argument) for an unknown name, k < 1 or κ < 1.
std::vector<double> spectrum(const std::string& name, index_t k, double kappa);

// --- the test suite's generator -------------------------------------------------------------------

/// m × k matrix with orthonormal columns, Haar-distributed (Gram–Schmidt, twice, of a Gaussian).
Matrix<double> haar_orthonormal(index_t m, index_t k, std::uint64_t seed);

/// A = P · diag(σ) · Qᵀ (m × n, min(m, n) = σ.size()) with Haar P and Q, rounded to T.
template <class T>
Matrix<T> with_singular_values(index_t m, index_t n, const std::vector<double>& sigma,
                               std::uint64_t seed);

// --- the sweep's generator ------------------------------------------------------------------------

/// Random singular vectors drawn once; matrices with any spectrum are then formed from them, so
/// that a sweep over κ changes nothing but the singular values.
class SingularVectors {
 public:
  SingularVectors(index_t m, index_t n, std::uint64_t seed);

  /// A = P·diag(σ)·Qᵀ formed in double and rounded to T.
  template <class T>
  [[nodiscard]] Matrix<T> with_singular_values(const std::vector<double>& sigma) const;

  [[nodiscard]] index_t rank() const noexcept { return P_.cols(); }

 private:
  Matrix<double> P_;  // m × k
  Matrix<double> Q_;  // n × k
};

// --- the benchmarks' generator --------------------------------------------------------------------

/// A = P · diag(σ) · Qᵀ (m × n, min(m, n) = σ.size()), P and Q the (sign-corrected) Q factors
/// of LAPACK's Householder QR of Gaussian matrices drawn from mt19937_64(seed), P first; formed
/// in double by the BLAS and rounded to T. bench_matrix(n) is this construction at σ geometric
/// with κ = bench_kappa and seed bench_seed + n.
template <class T>
Matrix<T> householder_with_singular_values(index_t m, index_t n, const std::vector<double>& sigma,
                                           std::uint64_t seed);

/// κ and seed of bench_matrix.
inline constexpr double bench_kappa = 1e3;
inline constexpr std::uint64_t bench_seed = 0x706F6C61726B6974ULL;  // "polarkit"

/// n × n, A = P·diag(σ)·Qᵀ with σ geometric (κ = bench_kappa), P and Q from
/// mt19937_64(bench_seed + n); built once per n and kept (the f32 matrix is the f64 one rounded).
/// Calls LAPACK ?geqrf/?orgqr and BLAS ?gemm through the library's typed wrappers.
template <class T>
const Matrix<T>& bench_matrix(index_t n);

}  // namespace polarkit::testkit
