#include "core/error.h"

namespace bnnc {

void internal_failure(const char* condition, const char* file, int line,
                      const std::string& detail) {
  std::string message = fmt::format("internal error at {}:{}: {}", file, line, condition);
  if (!detail.empty()) message += ": " + detail;
  throw InternalError(message);
}

}  // namespace bnnc
