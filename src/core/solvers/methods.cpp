#include "core/solvers/methods.hpp"

#include <array>
#include <cmath>
#include <utility>

#include "core/solvers/solvers.hpp"
#include "polarkit/error.hpp"

namespace polarkit::detail {
namespace {

// The rational solvers behind one signature. QDWH designs for the reduction's sharpened ℓ and
// starts from auto's Gram matrix where there is one; its report keeps the reduction's Lanczos κ
// estimate where that ran (design_lower_bound's 1/ℓ is only a bound). Newton and Zolo-PD design
// for the guaranteed ℓ₀.
template <class T>
void qdwh(RationalCall<T>& c) {
  solve_qdwh(c.ops, c.X, c.reduction.ell, c.options, c.report, std::move(c.gram0));
  if (std::isfinite(c.reduction.cond_estimate)) c.report.condition(c.reduction.cond_estimate);
}

template <class T>
void newton(RationalCall<T>& c) {
  solve_newton(c.ops, c.X, c.reduction.ell0, c.options, c.report);
}

template <class T>
void zolo(RationalCall<T>& c) {
  solve_zolo(c.ops, c.X, c.reduction.ell0, c.options, c.report);
}

constexpr int muon_steps = 5;  // Muon's published budget (Jordan et al.)

constexpr std::array<MethodRow, 10> table{{
    {Method::svd, "svd", Family::reference, 0, nullptr, nullptr, nullptr},
    {Method::newton_schulz, "newton-schulz", Family::newton_schulz, 0, newton_schulz_schedule,
     nullptr, nullptr},
    {Method::quintic, "quintic", Family::newton_schulz, 0, quintic_schedule, nullptr, nullptr},
    {Method::muon, "muon", Family::newton_schulz, muon_steps, muon_schedule, nullptr, nullptr},
    {Method::polar_express, "polar-express", Family::newton_schulz, 0, polar_express_schedule,
     nullptr, nullptr},
    {Method::polar_express_adaptive, "polar-express-adaptive", Family::newton_schulz, 0,
     adaptive_schedule, nullptr, nullptr},
    {Method::newton, "newton", Family::rational, 0, nullptr, newton<float>, newton<double>},
    {Method::qdwh, "qdwh", Family::rational, 0, nullptr, qdwh<float>, qdwh<double>},
    {Method::zolo, "zolo", Family::rational, 0, nullptr, zolo<float>, zolo<double>},
    {Method::automatic, "auto", Family::automatic, 0, nullptr, nullptr, nullptr},
}};

// Row i is Method i: method_row indexes by the enumerator.
constexpr bool rows_in_enum_order() {
  for (std::size_t i = 0; i < table.size(); ++i) {
    if (static_cast<std::size_t>(table[i].method) != i) return false;
  }
  return true;
}
static_assert(rows_in_enum_order(), "the method table's rows follow Method's enumerators");

}  // namespace

std::span<const MethodRow> method_table() { return table; }

const MethodRow& method_row(Method method) {
  const auto i = static_cast<std::size_t>(method);
  if (i >= table.size() || table[i].method != method) {
    throw Error(ErrorCode::invalid_argument,
                "unknown method value " + std::to_string(static_cast<int>(method)));
  }
  return table[i];
}

std::string method_names(std::span<const Family> families) {
  std::string names;
  for (const MethodRow& row : table) {
    bool listed = families.empty();
    for (const Family f : families) listed = listed || row.family == f;
    if (!listed) continue;
    if (!names.empty()) names += ", ";
    names += row.name;
  }
  return names;
}

std::unique_ptr<Schedule> make_schedule(Method method, const PolarOptions& options) {
  const MethodRow& row = method_row(method);
  if (row.schedule == nullptr) {
    throw Error(ErrorCode::invalid_argument,
                "method '" + std::string(row.name) + "' is not a Newton-Schulz method");
  }
  return row.schedule(options, row.default_steps);
}

}  // namespace polarkit::detail
