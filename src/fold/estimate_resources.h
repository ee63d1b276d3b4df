// The cost model: LUTs, FFs and 18-Kbit block RAMs per block, written down in docs/dataflow.md.
// Its constants are calibrated against Yosys 0.23 synth_xilinx of the RTL bnnc emits (CNV-W1A1,
// LFC-W1A1 and TFC, block by block; docs/rtl.md has the measurements). FIFOs between blocks are
// not counted here.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "fold/dataflow_graph.h"
#include "fold/device.h"

namespace bnnc {

struct Resources {
  std::int64_t luts = 0;
  std::int64_t ffs = 0;
  std::int64_t bram18 = 0;  // in 18-Kbit units (a RAMB36 counts 2)
  // Counted only for a design compiled for a part (--device); zero otherwise.
  std::int64_t urams = 0;
  std::int64_t dsps = 0;         // DSP slices (integer-input MVTUs on a part: estimate_graph)
  std::int64_t lutram_luts = 0;  // of `luts`, those that must be SLICEM (distributed RAM, SRLs)

  Resources& operator+=(const Resources& other) {
    luts += other.luts;
    ffs += other.ffs;
    bram18 += other.bram18;
    urams += other.urams;
    dsps += other.dsps;
    lutram_luts += other.lutram_luts;
    return *this;
  }
};

Usage usage_of(const Resources& r);

// A RAM of `depth` words of `width` bits (line buffers, input buffers): distributed RAM when
// depth ≤ 64, else the cheapest RAMB18 aspect ratio (16K×1, 8K×2, 4K×4, 2K×9, 1K×18, 512×36) —
// the choice Yosys makes for these RAMs.
Resources estimate_memory(std::int64_t depth, std::int64_t width);

// A ROM (weights, thresholds). Without a part: as Yosys's memory_libmap maps it, block RAM when
// that is cheaper by its costs (129 per RAMB18; D·W/64 for the ROM as logic), else logic (LUTs
// and the two output registers of bnn_rom). For a part: where place_memory puts it — LUTs, block
// RAM or UltraRAM (the last two with W output registers, and cascade multiplexers when deep).
Resources estimate_rom(std::int64_t depth, std::int64_t width, const Device* device = nullptr);

// Where an MVTU's weight ROM lives when nothing overrides it (the choice estimate_rom makes), and
// where each lane's ROM of a join's table does (AddStreams with a table: thresholds selected by
// the shortcut's value, docs/residual.md); nothing for other blocks.
std::optional<MemoryKind> weights_kind(const Block& block, const Device* device = nullptr);

// The words of each lane's ROM of a join's table: the channel groups of a word times the span.
std::int64_t join_table_depth(const Block& block);

// Where an MVTU's threshold ROM lives (estimate_rom's choice); nothing for other blocks and for a
// layer without thresholds.
std::optional<MemoryKind> thresholds_kind(const Block& block, const Device* device = nullptr);

// How an integer-input MVTU's adders can run on DSP slices, as bnn_mvtu's USE_DSP: 2 two PE lanes
// a chain of SIMD slices (each field of the slice's sum holds one lane's), 1 a chain a lane when
// a pair does not fit one slice (partial sums wider than 23 bits), 0 not at all (binary input,
// wider than 24 bits, or a unit other than bnn_mvtu: input-stationary, reuse, early exit).
// docs/devices.md, "DSPs for 8-bit layers".
int dsp_chain_form(const Block& block);

// The DSP slices an MVTU's chains take (dsp_chain_form) with its first `dsp_pe` PEs in them:
// SIMD a chain, MMV·⌈dsp_pe/2⌉ or MMV·dsp_pe chains; 0 when it cannot use them.
std::int64_t dsp_slices(const Block& block, int dsp_pe);

// The most PEs of an MVTU that `slices` DSP slices hold (bnn_mvtu's DSP_PE: whole chains, pairs
// with dsp_chain_form 2); 0 when it cannot use them or not one chain fits.
int dsp_pes_within(const Block& block, std::int64_t slices);

// A block's resources. `weights_in` overrides where an MVTU's weights or a join's table go
// (estimate_graph's rebalancing); `dsp_pe` puts an integer-input MVTU's first dsp_pe PEs' adders in
// DSP chains (estimate_graph's choice on a part with DSP slices), the others' are LUTs.
Resources estimate_block(const Block& block, const Device* device = nullptr,
                         std::optional<MemoryKind> weights_in = std::nullopt, int dsp_pe = 0);

// A FIFO of `depth` words of `width` bits: registers for 2 words, shift-register LUTs (SRLC32E,
// 32 deep per LUT and bit) up to 64 words, else a memory; plus its pointers and flags.
Resources estimate_fifo(std::int64_t depth, std::int64_t width);

// The FIFO in front of a block's first input (input_fifo_depth, the block's input word wide), as
// the folding search counts it. estimate_graph counts every FIFO at the depth size_fifos gives
// it (deeper on the short branch of a reconvergence).
Resources estimate_input_fifo(const Block& block, const Block& producer);

struct Estimate {
  std::vector<Resources> blocks;                   // one per block
  std::vector<Resources> fifos;                    // one per block: the FIFOs in front of it
  std::vector<std::optional<MemoryKind>> weights;  // one per block: where an MVTU's weights
                                                   // (or a join's table) live
  std::vector<int> dsp_pes;  // one per block: an MVTU's PEs in DSP chains (0: LUT adders)
  Resources total;           // blocks and FIFOs
  std::int64_t bottleneck_cycles = 0;
  int bottleneck_block = -1;
};

// For a part, memories are first placed one by one (place_memory); when that overfills one kind
// of storage (say BRAM) while another has room, weight ROMs move out of it one at a time — each
// time the move that frees the largest share of the full kind per share it takes of the other —
// until it fits or no move helps. The result depends only on the graph and the part, so the
// searches, the reports and the refusal all see the same placement. On a part with DSP slices,
// the integer-input MVTUs take DSP chains (dsp_chain_form) in block order while the part's DSP
// cap lasts, as many of each one's PEs as the slices left hold (`dsp_pes`; the RTL's DSP_PE).
Estimate estimate_graph(const DataflowGraph& graph, const Device* device = nullptr);

}  // namespace bnnc
