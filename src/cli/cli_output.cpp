#include "cli/cli_output.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>

namespace bnnc::cli {

void print_json(const nlohmann::ordered_json& object) {
  // Replace invalid UTF-8 (e.g. from a file name) rather than throwing while reporting.
  const std::string text =
      object.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  std::fputs(text.c_str(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

int report_failure(const std::string& message, ExitCode exit_code, bool json) {
  std::string line = message;
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  const char* kind = exit_code == kExitInternal ? "internal error" : "error";
  std::fflush(stdout);
  std::fprintf(stderr, "bnnc: %s: %s\n", kind, line.c_str());
  std::fflush(stderr);
  if (json) print_json({{"error", line}, {"exit_code", static_cast<int>(exit_code)}});
  return exit_code;
}

std::string format_si(double value) {
  static constexpr const char* kPrefixes[] = {"k", "M", "G", "T", "P"};
  if (std::fabs(value) < 1000.0) {
    return value == std::floor(value) ? fmt::format("{:.0f}", value) : fmt::format("{:.2f}", value);
  }
  int prefix = -1;
  while (std::fabs(value) >= 1000.0 && prefix + 1 < static_cast<int>(std::size(kPrefixes))) {
    value /= 1000.0;
    ++prefix;
  }
  return fmt::format("{:.2f} {}", value, kPrefixes[prefix]);
}

bool stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

}  // namespace bnnc::cli
