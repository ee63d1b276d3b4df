// The CPU engine's --early-exit (bnnc eval --engine cpu, bnnc bench), spelled as bnnc compile's
// for the hardware, plus auto (docs/similarity.md, "CPU engine").
#pragma once

#include <string>

#include "core/error.h"
#include "runtime/cpu_engine.h"

namespace bnnc::cli {

inline constexpr const char* kCpuEarlyExitHelp =
    "CPU engine: off (default), on (binary layers with thresholds stop a row group once its "
    "outputs are decided) or auto (only on layers where that was measured faster: none so far, "
    "docs/similarity.md)";

// off, on or auto; anything else fails naming the flag (exit 2).
inline runtime::EarlyExit cpu_early_exit(const std::string& text) {
  if (text == "off") return runtime::EarlyExit::Off;
  if (text == "on") return runtime::EarlyExit::On;
  if (text == "auto") return runtime::EarlyExit::Auto;
  fail("--early-exit: '{}' is not off, on or auto", text);
}

}  // namespace bnnc::cli
