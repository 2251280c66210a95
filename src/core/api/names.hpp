// Helpers for messages about names the caller got wrong (options.cpp).
#pragma once

#include <string>
#include <string_view>

namespace polarkit::detail {

/// " (did you mean 'polar-express'?)" when `name` is a near miss of a method name, else "".
std::string method_suggestion(std::string_view name);

}  // namespace polarkit::detail
