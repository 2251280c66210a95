// The README's example, compiled and run by the test suite (ctest -R example_quickstart).
#include <cstdio>
#include <vector>

#include <polarkit/polar.hpp>

int main() {
  polarkit::Matrix<double> A(500, 200);  // column-major; fill it in
  for (polarkit::index_t j = 0; j < 200; ++j) {
    for (polarkit::index_t i = 0; i < 500; ++i) A(i, j) = 1.0 / double(i + j + 1) + (i == j ? 1.0 : 0.0);
  }
  auto [U, H, info] = polarkit::polar(A);  // U: 500×200, H: 200×200
  std::printf("polar: %d iterations, ‖UᵀU − I‖₂ ≈ %.1e, backward error %.1e, ‖A‖_* = %.6g\n",
              info.iterations, info.ortho_error, info.backward_error, info.nuclear_norm);

  std::vector<float> g(64 * 32, 0.5f);  // a row-major C array: viewed, not copied
  for (std::size_t i = 0; i < g.size(); i += 3) g[i] = -1.0f;
  polarkit::PolarOptions opt{.method = polarkit::Method::muon};
  auto O = polarkit::msign(polarkit::row_major<const float>(g.data(), 64, 32, 32), opt).U;
  std::printf("muon: O is %lldx%lld\n", static_cast<long long>(O.rows()), static_cast<long long>(O.cols()));

  // bf16 iterations (as GPU Muon runs them), then float steps back to float orthogonality.
  polarkit::Matrix<float> Af(500, 200);
  for (polarkit::index_t j = 0; j < 200; ++j) {
    for (polarkit::index_t i = 0; i < 500; ++i) Af(i, j) = static_cast<float>(A(i, j));
  }
  polarkit::PolarOptions low{.method = polarkit::Method::polar_express_adaptive,
                             .precision = polarkit::Precision::bf16, .refine = true};
  auto refined = polarkit::msign(Af, low).info;
  std::printf("bf16 + refine: %d iterations, ‖UᵀU − I‖₂ ≈ %.1e\n", refined.iterations,
              refined.ortho_error);

  // A batch of matrices of one shape (here A and 2A) in one call: one report each.
  polarkit::Matrix<double> A2(500, 200);
  for (polarkit::index_t j = 0; j < 200; ++j) {
    for (polarkit::index_t i = 0; i < 500; ++i) A2(i, j) = 2.0 * A(i, j);
  }
  const std::vector<polarkit::MatrixView<const double>> batch{A.view(), A2.view()};
  auto results = polarkit::polar_batched<double>(batch);
  std::printf("batch of %zu: %d and %d iterations\n", results.size(),
              results[0].info.iterations, results[1].info.iterations);
  return info.converged && refined.converged && results[1].info.converged ? 0 : 1;
}
