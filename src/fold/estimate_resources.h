// The cost model: LUTs, FFs and 18-Kbit block RAMs per block, written down in docs/dataflow.md.
// Its constants are calibrated against Yosys 0.23 synth_xilinx of the RTL bnnc emits (CNV-W1A1,
// LFC-W1A1 and TFC, block by block; docs/rtl.md has the measurements). FIFOs between blocks are
// not counted here.
#pragma once

#include <cstdint>
#include <vector>

#include "fold/dataflow_graph.h"

namespace bnnc {

struct Resources {
  std::int64_t luts = 0;
  std::int64_t ffs = 0;
  std::int64_t bram18 = 0;  // in 18-Kbit units (a RAMB36 counts 2)

  Resources& operator+=(const Resources& other) {
    luts += other.luts;
    ffs += other.ffs;
    bram18 += other.bram18;
    return *this;
  }
};

// A RAM of `depth` words of `width` bits (line buffers, input buffers): distributed RAM when
// depth ≤ 64, else the cheapest RAMB18 aspect ratio (16K×1, 8K×2, 4K×4, 2K×9, 1K×18, 512×36) —
// the choice Yosys makes for these RAMs.
Resources estimate_memory(std::int64_t depth, std::int64_t width);

// A ROM (weights, thresholds) as Yosys's memory_libmap maps it: block RAM when that is cheaper
// by its costs (129 per RAMB18; D·W/64 for the ROM as logic), else logic (LUTs and the two
// output registers of bnn_rom).
Resources estimate_rom(std::int64_t depth, std::int64_t width);

Resources estimate_block(const Block& block);

// A FIFO of `depth` words of `width` bits: registers for 2 words, shift-register LUTs (SRLC32E,
// 32 deep per LUT and bit) up to 64 words, else a memory; plus its pointers and flags.
Resources estimate_fifo(std::int64_t depth, std::int64_t width);

// The FIFO in front of a block's first input (input_fifo_depth, the block's input word wide), as
// the folding search counts it. estimate_graph counts every FIFO at the depth size_fifos gives
// it (deeper on the short branch of a reconvergence).
Resources estimate_input_fifo(const Block& block, const Block& producer);

struct Estimate {
  std::vector<Resources> blocks;  // one per block
  std::vector<Resources> fifos;   // one per block: the FIFOs in front of it
  Resources total;                // blocks and FIFOs
  std::int64_t bottleneck_cycles = 0;
  int bottleneck_block = -1;
};

Estimate estimate_graph(const DataflowGraph& graph);

}  // namespace bnnc
