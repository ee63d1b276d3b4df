// Two kinds of failure, kept apart on purpose (as Halide's CompileError / InternalError):
//  - Error: the user's input is wrong (a corrupt file, an unsupported layer, a bad flag). The
//    message is one line naming the file/layer/flag, the rule and the values; the CLI prints it
//    and exits 2.
//  - InternalError: one of our invariants broke. BNNC_ASSERT stays on in release builds.
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace bnnc {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

class InternalError : public std::logic_error {
 public:
  explicit InternalError(const std::string& message) : std::logic_error(message) {}
};

// Throws Error with a fmt-formatted message: fail("{}: bad magic {:#x}", path, magic).
template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...));
}

[[noreturn]] void internal_failure(const char* condition, const char* file, int line,
                                   const std::string& detail);

}  // namespace bnnc

#define BNNC_ASSERT(condition, ...)                                                            \
  do {                                                                                         \
    if (!(condition)) {                                                                        \
      ::bnnc::internal_failure(#condition, __FILE__, __LINE__, ::fmt::format("" __VA_ARGS__)); \
    }                                                                                          \
  } while (false)
