// How the typed wrappers pass arguments to Fortran entry points: by address, sizes narrowed to
// the 32-bit integer, options as the routine's character. Shared by the BLAS/LAPACK wrappers
// (blas.cpp) and the ScaLAPACK/PBLAS ones (src/mpi/scalapack/pblas.cpp).
#pragma once

#include <type_traits>

#include "blas/blas.hpp"

namespace polarkit::blas::fortran {

/// The double- or the single-precision entry point of a routine, by T: each wrapper is written
/// once for both.
template <class T, class D, class S>
constexpr auto pick(D d, S s) {
  if constexpr (std::is_same_v<T, double>) {
    return d;
  } else {
    return s;
  }
}

/// Fortran takes every argument by address. Int is a size narrowed to the BLAS integer, Char an
/// option as the routine's character; as temporaries in a call's argument list they live until
/// the call returns, and every size is narrowed (and refused) before the routine runs.
class Int {
 public:
  explicit Int(index_t value) : value_(narrow(value)) {}
  operator const int*() const { return &value_; }  // NOLINT(google-explicit-constructor)
  [[nodiscard]] int value() const { return value_; }

 private:
  int value_;
};

class Char {
 public:
  explicit Char(char value) : value_(value) {}
  explicit Char(Op op) : value_(op == Op::no_trans ? 'N' : 'T') {}
  explicit Char(Uplo uplo) : value_(uplo == Uplo::upper ? 'U' : 'L') {}
  explicit Char(Side side) : value_(side == Side::left ? 'L' : 'R') {}
  explicit Char(Diag diag) : value_(diag == Diag::non_unit ? 'N' : 'U') {}
  explicit Char(Job job) : value_(job == Job::no_vec ? 'N' : 'V') {}
  explicit Char(Norm norm) : value_(letter(norm)) {}
  operator const char*() const { return &value_; }  // NOLINT(google-explicit-constructor)

 private:
  static char letter(Norm norm) {
    switch (norm) {
      case Norm::one: return '1';
      case Norm::inf: return 'I';
      case Norm::fro: return 'F';
      case Norm::max: return 'M';
    }
    return 'I';
  }
  char value_;
};

}  // namespace polarkit::blas::fortran
