// Exit status 0 iff polar() of a 3×2 matrix gives orthonormal columns and A = U·H.
#include <cmath>
#include <cstdio>

#include <polarkit/polar.hpp>

int main() {
  polarkit::Matrix<double> A(3, 2);
  A(0, 0) = 3;
  A(1, 0) = 1;
  A(1, 1) = 2;
  A(2, 1) = -1;
  const auto [U, H, info] = polarkit::polar(A);
  double worst = 0;
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 2; ++j) {
      worst = std::fmax(worst, std::fabs(A(i, j) - (U(i, 0) * H(0, j) + U(i, 1) * H(1, j))));
    }
  }
  const double gram01 = U(0, 0) * U(0, 1) + U(1, 0) * U(1, 1) + U(2, 0) * U(2, 1);
  std::printf("iterations %d, reconstruction %.2e, U1.U2 %.2e\n", info.iterations, worst, gram01);
  return info.converged && worst < 1e-14 && std::fabs(gram01) < 1e-15 ? 0 : 1;
}
