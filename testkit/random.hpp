// random.hpp — the random numbers of the test matrices, the sweep, the benchmarks and the example
// experiments. Two generators, on purpose:
//  - mt19937_64 + std::normal_distribution (gaussian, fill_gaussian): the tests', the sweep's and
//    the benchmarks' matrices. The normal distribution's algorithm is the standard library's
//    own, so these numbers are those of libstdc++; every threshold of the test suite and every
//    number docs/accuracy.md publishes was taken on them.
//  - splitmix64 + Box–Muller (SplitMix64, splitmix_gaussian, splitmix_uniform): the example
//    experiments' data, fully specified here, so that docs/optimizers.md's curves come out the
//    same with any standard library.
#pragma once

#include <cstdint>
#include <random>

#include "polarkit/matrix.hpp"

namespace polarkit::testkit {

/// Fills A column by column with N(0, 1) draws from rng, through a fresh
/// std::normal_distribution (a spare value it keeps is dropped with it, as the matrices above
/// were drawn).
template <class T>
void fill_gaussian(Matrix<T>& A, std::mt19937_64& rng);

/// Gaussian m × n matrix from mt19937_64(seed).
template <class T>
Matrix<T> gaussian(index_t m, index_t n, std::uint64_t seed);

/// splitmix64: a full-period 64-bit generator with a one-word state, reproducible everywhere.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  /// Uniform on (0, 1): 53 random bits, never 0.
  double open01() { return (static_cast<double>(next() >> 11) + 0.5) * 0x1.0p-53; }

 private:
  std::uint64_t state_;
};

/// Entries i.i.d. N(0, 1) from SplitMix64(seed) through Box–Muller, in memory order.
Matrix<double> splitmix_gaussian(index_t rows, index_t cols, std::uint64_t seed);
/// Entries i.i.d. uniform on [lo, hi) from SplitMix64(seed), in memory order.
Matrix<double> splitmix_uniform(index_t rows, index_t cols, double lo, double hi,
                                std::uint64_t seed);

}  // namespace polarkit::testkit
