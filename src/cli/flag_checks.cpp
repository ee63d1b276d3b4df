#include "cli/flag_checks.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <system_error>

namespace bnnc::cli {

namespace {

// Plain decimal: an optional '-', digits, and for reals an optional fraction and exponent. This
// is what std::from_chars accepts in its general format, minus "inf"/"nan", which it also reads.
bool plain_decimal(const std::string& text, bool real) {
  if (text.empty()) return false;
  for (const char c : text) {
    const bool digit = c >= '0' && c <= '9';
    if (!(digit || c == '-' || (real && (c == '.' || c == 'e' || c == 'E' || c == '+')))) {
      return false;
    }
  }
  return true;
}

}  // namespace

CLI::Validator integer_in(std::int64_t min, std::int64_t max) {
  const std::string range = fmt::format("a whole number from {} to {}", min, max);
  return CLI::Validator(
      [min, max, range](std::string& text) -> std::string {
        std::int64_t value = 0;
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (!plain_decimal(text, false) || error != std::errc() ||
            end != text.data() + text.size() || value < min || value > max) {
          return fmt::format("'{}' is not {}", text, range);
        }
        return "";
      },
      "INT in [" + std::to_string(min) + ", " + std::to_string(max) + "]");
}

CLI::Validator number_in(double min, double max, bool min_open) {
  const std::string range = fmt::format("a finite number {} {} and at most {}",
                                        min_open ? "above" : "at least", min, max);
  return CLI::Validator(
      [min, max, min_open, range](std::string& text) -> std::string {
        double value = 0;
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
        const bool ok = plain_decimal(text, true) && error == std::errc() &&
                        end == text.data() + text.size() && std::isfinite(value) &&
                        (min_open ? value > min : value >= min) && value <= max;
        return ok ? "" : fmt::format("'{}' is not {}", text, range);
      },
      fmt::format("NUMBER in {}{}, {}]", min_open ? "(" : "[", min, max));
}

}  // namespace bnnc::cli
