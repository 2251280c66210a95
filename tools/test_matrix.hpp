// test_matrix.hpp — matrices with prescribed singular values for `polarkit sweep`:
// A = P·diag(σ)·Qᵀ with Haar-distributed orthonormal P (m × k) and Q (n × k), k = min(m, n).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "polarkit/matrix.hpp"

namespace polarkit::cli {

/// The singular value distributions the sweep knows: "geometric" (σ_i = κ^{-i/(k-1)}),
/// "linear" (from 1 down to 1/κ), "one-small" (all 1 except the last, 1/κ).
const std::vector<std::string>& spectrum_names();

/// σ_0 ≥ … ≥ σ_{k-1} of the named distribution, σ_0 = 1 and σ_{k-1} = 1/κ (k ≥ 2).
/// Throws Error(invalid_argument) for an unknown name, k < 1 or κ < 1.
std::vector<double> spectrum(const std::string& name, index_t k, double kappa);

/// m × k matrix with orthonormal columns, Haar-distributed: classical Gram–Schmidt applied twice
/// to a Gaussian matrix (m ≥ k).
Matrix<double> haar_orthonormal(index_t m, index_t k, std::uint64_t seed);

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

}  // namespace polarkit::cli
