#include "rtl/rtl_sources.h"

#include "core/error.h"

namespace bnnc {

std::string_view rtl_source(std::string_view name) {
  for (const RtlSourceFile& file : rtl_sources()) {
    if (file.name == name) return file.text;
  }
  BNNC_ASSERT(false, "no embedded RTL file '{}'", name);
  return {};
}

}  // namespace bnnc
