// The hand-written RTL blocks (rtl/*.sv, rtl/bnn_defs.vh) and the Verilator testbench
// (rtl/tb/tb_stream.cpp), embedded in the binary at build time (cmake/embed_files.cmake), so
// that bnnc finds them the same way in the build tree and after an install.
#pragma once

#include <span>
#include <string_view>

namespace bnnc {

struct RtlSourceFile {
  std::string_view name;  // base name: "bnn_mvtu.sv", "tb_stream.cpp"
  std::string_view text;
};

std::span<const RtlSourceFile> rtl_sources();

// The embedded file of that base name; throws InternalError when there is none.
std::string_view rtl_source(std::string_view name);

}  // namespace bnnc
