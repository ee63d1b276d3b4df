// Building a Verilator simulation of RTL with bnnc's stream testbench (rtl/tb/tb_stream.cpp),
// cached: the build goes to CACHE/verilator/<hash>, where the hash covers the Verilog sources,
// the top module, its parameters, the testbench, the flags and Verilator's version. Memory
// contents ($readmemh files) are read when the simulation starts, not compiled in, so designs
// that differ only in their weights share one build.
//
// CACHE is $BNNC_CACHE_DIR, else $XDG_CACHE_HOME/bnnc, else ~/.cache/bnnc.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace bnnc {

struct VerilatorBuildRequest {
  std::string top;                                          // top module
  std::vector<std::filesystem::path> sources;               // .sv files; includes beside them
  std::vector<std::pair<std::string, std::string>> params;  // -G overrides of the top's
  bool observe = false;  // +define+BNN_OBSERVE and the testbench's obs port
};

struct VerilatorBuild {
  std::filesystem::path executable;
  bool cached = false;  // found in the cache, nothing built
  double seconds = 0;   // wall time of the build (0 when cached)
};

std::filesystem::path bnnc_cache_dir();

// Throws bnnc::Error naming the Debian package when verilator, make or g++ is missing.
void require_verilator_tools();

// Builds (or finds) the simulation. Throws bnnc::Error when verilator, make or a C++ compiler
// is missing (naming the Debian package) or the build fails (naming its log).
VerilatorBuild build_verilator(const VerilatorBuildRequest& request);

}  // namespace bnnc
