// The CPU engine's --early-exit and --reuse (bnnc eval --engine cpu, bnnc bench), spelled as bnnc
// compile's for the hardware, plus auto (docs/similarity.md, "CPU engine"); the CPU has no weight
// reuse.
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

inline constexpr const char* kCpuReuseHelp =
    "CPU engine: off (default), input (binary convolutions start each window from its left "
    "neighbour's counts and visit only the input words that differ), window (they copy the "
    "outputs of windows equal to their left neighbour) or auto (only on layers where one was "
    "measured faster, docs/similarity.md)";

// off, input, window or auto; anything else (weight included) fails naming the flag (exit 2).
inline runtime::CpuReuse cpu_reuse(const std::string& text) {
  if (text == "off") return runtime::CpuReuse::Off;
  if (text == "input") return runtime::CpuReuse::Input;
  if (text == "window") return runtime::CpuReuse::Window;
  if (text == "auto") return runtime::CpuReuse::Auto;
  fail("--reuse: '{}' is not off, input, window or auto (the CPU engine has no weight reuse)",
       text);
}

}  // namespace bnnc::cli
