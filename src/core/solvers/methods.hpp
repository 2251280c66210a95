// The one table of methods: name, family, fixed step budget and solver entry of each Method.
// Everything that needs to know the methods reads it — the names and their parser, the C ABI's
// and the command line's lists, is_newton_schulz, the schedule of a Newton–Schulz method and the
// dispatch of the rational ones in polar() — so a new solver is one row here (and its enumerator).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "core/design/schedule.hpp"
#include "core/linalg/reduction.hpp"
#include "core/kernels/report.hpp"
#include "polarkit/options.hpp"

namespace polarkit::detail {

/// How polar() runs a method.
enum class Family {
  reference,      ///< LAPACK's SVD (solve_svd)
  newton_schulz,  ///< the one Newton–Schulz loop with the method's schedule, batched
  rational,       ///< after the shared QR reduction, one matrix at a time (RationalCall)
  automatic,      ///< chooses among the others per matrix (polar.cpp, select_method.cpp)
};

/// What a rational solver gets: the square iterate X (R of a tall X₀), the reduction that made
/// it (ℓ₀, ℓ, κ estimate), auto's Gram matrix of X where it measured one, and the report.
template <class T>
struct RationalCall {
  Ops<T>& ops;
  Matrix<T>& X;
  const Reduction<T>& reduction;
  Matrix<T> gram0;
  const PolarOptions& options;
  Report& report;
};

template <class T>
using RationalSolver = void (*)(RationalCall<T>&);

struct MethodRow {
  Method method;
  std::string_view name;  ///< canonical: lower case, '-' between words
  Family family;
  /// The budget a method runs when PolarOptions::steps is 0: Muon's 5 steps, which are not meant
  /// to converge; 0 for the methods that iterate to tolerance.
  int default_steps;
  /// Newton–Schulz family: the schedule for these options (default_steps passed in).
  std::unique_ptr<Schedule> (*schedule)(const PolarOptions&, int default_steps);
  /// Rational family: the solver, per scalar type.
  RationalSolver<float> solve_float;
  RationalSolver<double> solve_double;
};

/// Every method, in the order of Method's enumerators (row i is Method i).
std::span<const MethodRow> method_table();

/// The row of a method; throws invalid_argument for a value outside the enumeration.
const MethodRow& method_row(Method method);

/// The rational solver of a rational-family method for scalar type T.
template <class T>
RationalSolver<T> rational_solver(const MethodRow& row) {
  if constexpr (std::is_same_v<T, float>) {
    return row.solve_float;
  } else {
    return row.solve_double;
  }
}

/// The schedule of a Newton–Schulz-family method. Throws invalid_argument for other methods.
std::unique_ptr<Schedule> make_schedule(Method method, const PolarOptions& options);

/// "a, b, c": the names of the methods of one family (every method with Family unset), for
/// messages that list what is accepted.
std::string method_names(std::span<const Family> families = {});

}  // namespace polarkit::detail
