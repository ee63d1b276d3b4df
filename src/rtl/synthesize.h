// Synthesis of a design's RTL: Yosys for Xilinx 7-series (synth_xilinx: LUTs, flip-flops,
// CARRY4, block RAM, DSP) and, for iCE40 HX8K, Yosys (synth_ice40) + nextpnr-ice40 place and
// route (the achieved Fmax) + icepack (the bitstream). Resources are counted per instance of
// bnn_top — every dataflow block and the FIFO behind it — from Yosys's `stat` of the
// hierarchical netlist (synthesis keeps the hierarchy, so a block's figure is its own).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "rtl/emit_rtl.h"

namespace bnnc {

enum class SynthTarget { Xc7, Ice40 };

struct SynthResources {
  std::int64_t luts = 0;    // LUT1–6 (xc7) or SB_LUT4 (ice40), plus LUTs used as memory
  std::int64_t lutram = 0;  // of those, LUTs used as memory (RAM32M, RAM64M, SRL16E, ...)
  std::int64_t ffs = 0;
  std::int64_t carry = 0;   // CARRY4 (xc7) or SB_CARRY (ice40)
  std::int64_t bram18 = 0;  // RAMB18E1 (xc7)
  std::int64_t bram36 = 0;  // RAMB36E1 (xc7)
  std::int64_t ram4k = 0;   // SB_RAM40_4K (ice40)
  std::int64_t dsps = 0;    // DSP48E1 (xc7) or SB_MAC16 (ice40)

  SynthResources& operator+=(const SynthResources& other);
};

struct SynthInstance {
  std::string instance;  // "u_conv0", "u_conv0_fifo"
  std::string module;    // "bnn_mvtu"
  int block = -1;        // the dataflow block it belongs to
  SynthResources resources;
};

struct SynthResult {
  SynthTarget target = SynthTarget::Xc7;
  SynthResources total;
  std::vector<SynthInstance> instances;
  std::optional<double> fmax_mhz;           // ice40: achieved by nextpnr
  std::optional<bool> fits;                 // ice40: placed and routed on the HX8K
  std::int64_t lcs = 0, lcs_available = 0;  // ice40: logic cells used / on the device
  std::filesystem::path bitstream;          // ice40: icepack output
  std::filesystem::path folder;             // where the logs and netlists are
  double seconds = 0;
};

struct SynthOptions {
  SynthTarget target = SynthTarget::Xc7;
  double freq_mhz = 100;  // ice40: the frequency nextpnr aims at
};

// Synthesizes the RTL in rtl_dir (written by emit_rtl) into out_dir. Throws bnnc::Error when a
// tool is missing (naming its Debian package) or fails (naming its log). A design too large for
// the HX8K is not an error: fits = false.
SynthResult synthesize(const std::filesystem::path& rtl_dir, const RtlDesign& design,
                       const std::filesystem::path& out_dir, const SynthOptions& options);

// Parsers of the tools' reports, exposed for the tests.
// Yosys `stat` text → per module cell counts (submodule instances listed by module name).
std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::int64_t>>>>
parse_yosys_stat(const std::string& text);
// write_verilog netlist of the top → (instance, module) pairs.
std::vector<std::pair<std::string, std::string>> parse_top_instances(const std::string& verilog);

}  // namespace bnnc
