#include <array>
#include <string>
#include <utility>

#include "polarkit/error.hpp"
#include "polarkit/options.hpp"

namespace polarkit {
namespace {

constexpr std::array<std::pair<Method, std::string_view>, 10> method_names{{
    {Method::svd, "svd"},
    {Method::newton_schulz, "newton-schulz"},
    {Method::quintic, "quintic"},
    {Method::muon, "muon"},
    {Method::polar_express, "polar-express"},
    {Method::polar_express_adaptive, "polar-express-adaptive"},
    {Method::newton, "newton"},
    {Method::qdwh, "qdwh"},
    {Method::zolo, "zolo"},
    {Method::automatic, "auto"},
}};

constexpr std::array<std::pair<Precision, std::string_view>, 4> precision_names{{
    {Precision::working, "working"},
    {Precision::tf32, "tf32"},
    {Precision::bf16, "bf16"},
    {Precision::fp16, "fp16"},
}};

template <class Enum, std::size_t N>
std::string_view name_of(const std::array<std::pair<Enum, std::string_view>, N>& names, Enum value) {
  for (const auto& [v, name] : names) {
    if (v == value) return name;
  }
  return "unknown";
}

template <class Enum, std::size_t N>
Enum parse(const std::array<std::pair<Enum, std::string_view>, N>& names, std::string_view name,
           const char* what) {
  std::string accepted;
  for (const auto& [v, known] : names) {
    if (known == name) return v;
    accepted += accepted.empty() ? "" : ", ";
    accepted += known;
  }
  throw Error(ErrorCode::invalid_argument, std::string("unknown ") + what + " '" +
                                               std::string(name) + "' (accepted: " + accepted + ")");
}

}  // namespace

std::string_view method_name(Method method) { return name_of(method_names, method); }

Method parse_method(std::string_view name) { return parse(method_names, name, "method"); }

bool is_newton_schulz(Method m) {
  return m == Method::newton_schulz || m == Method::quintic || m == Method::muon ||
         m == Method::polar_express || m == Method::polar_express_adaptive;
}

std::string_view precision_name(Precision precision) {
  return name_of(precision_names, precision);
}

Precision parse_precision(std::string_view name) {
  return parse(precision_names, name, "precision");
}

}  // namespace polarkit
