// One dataflow block as an instance of a hand-written RTL module: which module, the values of
// its parameters and the contents of its memories. The mapping from bnnc's block fields to the
// module's parameters lives here, next to nothing else (each module's header in rtl/ says what
// its parameters mean).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fold/dataflow_graph.h"

namespace bnnc {

struct RtlBlock {
  std::string module;  // "bnn_mvtu"; empty for an Input block without a quantize table (a wire)
  std::vector<std::pair<std::string, std::string>> params;    // name, Verilog literal
  std::vector<std::pair<std::string, std::string>> memories;  // file name, $readmemh text
  int in_width = 0, out_width = 0;                            // bits of the stream words
};

// Where an MVTU's memories and adders go. Memories as bnn_rom's STYLE: "block", "logic" or ""
// (the synthesis tool's choice); adders as bnn_mvtu's USE_DSP (0 LUTs, 1 or 2 DSP chains,
// dsp_chain_form) and DSP_PE. The compiler sets them from its estimate on a part (save_design).
struct Placement {
  std::string weights, thresholds;
  int use_dsp = 0;
  int dsp_pe = 0;  // with use_dsp: the PEs in DSP chains (bnn_mvtu's DSP_PE; the others LUTs)
};

// `stem` names the block's memory files (stem + "_weights.mem", ...). The placement's styles go
// to bnn_mvtu, bnn_mvtu_is and bnn_mvtu_exit (the other variants keep their memories in logic)
// and its weights' style to a join's table (bnn_add_streams's TABLE_STYLE), its USE_DSP to
// bnn_mvtu.
RtlBlock describe_rtl_block(const DataflowGraph& graph, int index, const std::string& stem,
                            const Placement& placement = {});

// bnn_pixel_group's parameters for a pixel-group block (fold/pixel_group.h): its kind, both
// feature maps, both word formats, its slack and buffer slots — all but the values it pads with
// and the pool's minimum channels, which come from the network.
std::vector<std::pair<std::string, std::string>> pixel_group_params(const Block& block);

// Why block `index` has no RTL counterpart, or nullopt.
std::optional<std::string> rtl_block_unsupported(const DataflowGraph& graph, int index);

// The elements of one vector as the block's stream carries it: its words are ⌈vector/word⌉
// with the last one zero-filled. An MVTU writes vectors of MH (= ofm_c) elements and reads
// vectors of MW (its ifm_c), unless its words carry several pixels (MMV); every other block's
// words tile its whole frame.
int output_vector(const Block& block);
int input_vector(const Block& block);

}  // namespace bnnc
