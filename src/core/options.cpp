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

}  // namespace

std::string_view method_name(Method method) {
  for (const auto& [m, name] : method_names) {
    if (m == method) return name;
  }
  return "unknown";
}

Method parse_method(std::string_view name) {
  std::string accepted;
  for (const auto& [m, known] : method_names) {
    if (known == name) return m;
    accepted += accepted.empty() ? "" : ", ";
    accepted += known;
  }
  throw Error(ErrorCode::invalid_argument,
              "unknown method '" + std::string(name) + "' (accepted: " + accepted + ")");
}

}  // namespace polarkit
