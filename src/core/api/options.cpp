#include <algorithm>
#include <array>
#include <initializer_list>
#include <cstddef>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/api/names.hpp"
#include "core/solvers/methods.hpp"
#include "polarkit/error.hpp"
#include "polarkit/options.hpp"

namespace polarkit {
namespace {

template <class Enum>
using Names = std::span<const std::pair<Enum, std::string_view>>;

// The method table's names, in its order.
Names<Method> method_name_pairs() {
  static const std::vector<std::pair<Method, std::string_view>> names = [] {
    std::vector<std::pair<Method, std::string_view>> out;
    for (const detail::MethodRow& row : detail::method_table()) out.emplace_back(row.method, row.name);
    return out;
  }();
  return names;
}

constexpr std::array<std::pair<Precision, std::string_view>, 4> precision_names{{
    {Precision::working, "working"},
    {Precision::tf32, "tf32"},
    {Precision::bf16, "bf16"},
    {Precision::fp16, "fp16"},
}};

template <class Enum>
std::string_view name_of(Names<Enum> names, Enum value) {
  for (const auto& [v, name] : names) {
    if (v == value) return name;
  }
  return "unknown";
}

// The spelling a name is compared in: ASCII lower case with '_' as '-', so that the C++
// enumerator spellings (polar_express, QDWH) name the same method as the canonical ones.
std::string folded(std::string_view name) {
  std::string out(name);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c == '_') c = '-';
  }
  return out;
}

// Levenshtein distance (names are short: a single row suffices).
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0U : 1U)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// " (did you mean 'x'?)" for the known name nearest to a near miss (at most 2 edits, or a third
// of the name for long ones: "polar-expres"), else "".
template <class Enum>
std::string suggestion(Names<Enum> names, std::string_view name) {
  const std::string key = folded(name);
  std::string_view nearest;
  std::size_t nearest_distance = key.size();
  for (const auto& [v, known] : names) {
    const std::size_t d = edit_distance(key, known);
    if (d < nearest_distance) {
      nearest_distance = d;
      nearest = known;
    }
  }
  const bool near = !nearest.empty() && nearest_distance <= std::max<std::size_t>(2, key.size() / 3);
  return near ? " (did you mean '" + std::string(nearest) + "'?)" : std::string();
}

// Parses a name in any case, with '_' for '-', or one of the aliases; an unknown name is an
// error that lists the accepted names and suggests the nearest one when it is a near miss.
template <class Enum>
Enum parse(Names<Enum> names, std::string_view name,
           const char* what,
           std::initializer_list<std::pair<std::string_view, Enum>> aliases = {}) {
  const std::string key = folded(name);
  for (const auto& [known, v] : aliases) {
    if (known == key) return v;
  }
  std::string accepted;
  for (const auto& [v, known] : names) {
    if (known == key) return v;
    accepted += accepted.empty() ? "" : ", ";
    accepted += known;
  }
  throw Error(ErrorCode::invalid_argument, std::string("unknown ") + what + " '" +
                                               std::string(name) + "'" + suggestion(names, name) +
                                               " (accepted: " + accepted + ")");
}

}  // namespace

std::string_view method_name(Method method) { return name_of(method_name_pairs(), method); }

Method parse_method(std::string_view name) {
  return parse(method_name_pairs(), name, "method", {{"automatic", Method::automatic}});
}

namespace detail {
std::string method_suggestion(std::string_view name) { return suggestion(method_name_pairs(), name); }
}  // namespace detail

bool is_newton_schulz(Method m) {
  const auto rows = detail::method_table();
  const auto i = static_cast<std::size_t>(m);
  return i < rows.size() && rows[i].family == detail::Family::newton_schulz;
}

std::span<const Method> all_methods() {
  static const std::vector<Method> methods = [] {
    std::vector<Method> out;
    for (const detail::MethodRow& row : detail::method_table()) out.push_back(row.method);
    return out;
  }();
  return methods;
}

int default_steps(Method method) { return detail::method_row(method).default_steps; }

std::string_view precision_name(Precision precision) {
  return name_of(Names<Precision>(precision_names), precision);
}

Precision parse_precision(std::string_view name) {
  return parse(Names<Precision>(precision_names), name, "precision");
}

}  // namespace polarkit
