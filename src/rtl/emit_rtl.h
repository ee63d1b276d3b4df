// The Verilog backend: a folded dataflow graph → a folder of RTL. The blocks are the
// hand-written modules of rtl/ (embedded in bnnc, rtl_sources.h), copied as they are; generated
// are only the glue — bnn_top.sv, which instantiates one block per dataflow block with a bnn_fifo
// behind each (the depths of size_fifos) — and the memory contents (*.mem, rom_contents.h).
//
// Stream convention shared by every block (docs/rtl.md): a word holds its elements side by side,
// element 0 in the low bits; a vector (a pixel's channels, a dense layer's inputs) is sent as
// ⌈elements / word⌉ words whose last one is zero-filled when the word does not divide the
// vector. The top's s_axis takes `input_elems` pixels (8 bits each) per word, its m_axis gives
// the class of each frame, and with `define BNN_OBSERVE (the Verilator build) it also shows every
// word the label select takes (obs_tdata/obs_tvalid), so the scores can be checked, not only
// the class.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "fold/dataflow_graph.h"
#include "fold/size_fifos.h"

namespace bnnc {

// What a testbench needs to know of a design's ports.
struct RtlInterface {
  int input_elems = 1;           // pixels per input word
  int input_bits = 8;            // bits per pixel
  std::int64_t frame_words = 0;  // input words per frame
  int class_bits = 1;            // width of m_axis_tdata
  int classes = 0;
  int score_lanes = 1;  // scores per obs word
  int score_bits = 1;   // bits per score in an obs word
  bool score_signed = false;
  int score_words = 0;             // obs words per frame
  std::vector<std::int64_t> bias;  // added to the observed scores (the label select's bias)
};

struct RtlInstance {
  int block = -1;        // index into the graph's blocks
  std::string instance;  // instance name in bnn_top ("u_conv0")
  std::string module;    // "bnn_mvtu"
};

struct RtlDesign {
  std::string top = "bnn_top";
  std::vector<std::string> sources;   // Verilog files in the folder, bnn_top.sv last
  std::vector<std::string> memories;  // $readmemh files in the folder
  std::vector<RtlInstance> instances;
  RtlInterface interface;
};

// Why this design cannot be written as RTL, or nullopt when it can.
std::optional<std::string> rtl_unsupported(const DataflowGraph& graph);

RtlInterface rtl_interface(const DataflowGraph& graph);

// Writes the RTL of `graph` into `dir` (created; files of an earlier design there are replaced)
// and a manifest, rtl.json. fifo_depths: words of the FIFO behind each block (size_fifos).
// Throws bnnc::Error when the design is not supported (rtl_unsupported) or a file cannot be
// written.
RtlDesign emit_rtl(const DataflowGraph& graph, const FifoDepths& fifo_depths,
                   const std::filesystem::path& dir);

// Reads DIR/rtl.json back. Throws bnnc::Error naming the folder when it holds no RTL.
RtlDesign read_rtl_manifest(const std::filesystem::path& dir);

}  // namespace bnnc
