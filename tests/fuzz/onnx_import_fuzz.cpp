// libFuzzer target for the ONNX reader and importer (scripts/fuzz-onnx.sh builds and runs it).
// Any bytes must either import or throw bnnc::Error: a crash, a sanitizer report, a hang or an
// InternalError (a broken invariant) is a finding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/error.h"
#include "io/onnx_importer.h"
#include "passes/streamline.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    bnnc::streamline(bnnc::import_onnx_bytes(
        std::string_view(reinterpret_cast<const char*>(data), size), "fuzz"));
  } catch (const bnnc::Error&) {
    // The user's error: the expected outcome for most inputs.
  }
  return 0;
}
