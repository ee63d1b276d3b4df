// The Verilog backend: a folded dataflow graph → a folder of RTL. The blocks are the
// hand-written modules of rtl/ (embedded in bnnc, rtl_sources.h), copied as they are; generated
// are only the glue — bnn_top.sv, which instantiates one block per dataflow block with a bnn_fifo
// in front of each block input (the depths of size_fifos; a fork's outputs each get their own)
// — and the memory contents (*.mem, rom_contents.h).
//
// Stream convention shared by every block (docs/rtl.md): a word holds its elements side by side,
// element 0 in the low bits; a vector (a pixel's channels, a dense layer's inputs) is sent as
// ⌈elements / word⌉ words whose last one is zero-filled when the word does not divide the
// vector. The top's s_axis takes `input_elems` pixels (8 bits each) per word, its m_axis gives
// the class of each frame, and with `define BNN_OBSERVE (the Verilator build) it also shows every
// word the label select takes (obs_tdata/obs_tvalid), so the scores can be checked, not only
// the class.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "fold/dataflow_graph.h"
#include "fold/size_fifos.h"
#include "rtl/rtl_block.h"
#include "rtl/rtl_manifest.h"

namespace bnnc {

// Why this design cannot be written as RTL, or nullopt when it can.
std::optional<std::string> rtl_unsupported(const DataflowGraph& graph);

RtlInterface rtl_interface(const DataflowGraph& graph);

// Writes the RTL of `graph` into `dir` (created; files of an earlier design there are replaced)
// and its manifest, rtl.json (rtl_manifest.h). fifo_depths: words of the FIFO in front of each
// block input, [block][input] (size_fifos). Throws bnnc::Error when the design is not supported
// (rtl_unsupported) or a file cannot be written. placements: where each block's memories and
// adders go (describe_rtl_block), one per block; empty leaves every memory to the synthesis tool
// and every adder in LUTs.
RtlDesign emit_rtl(const DataflowGraph& graph, const FifoDepths& fifo_depths,
                   const std::filesystem::path& dir, const std::vector<Placement>& placements = {});

}  // namespace bnnc
