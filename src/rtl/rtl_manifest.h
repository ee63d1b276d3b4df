// The manifest of an RTL folder, rtl.json: what emit_rtl wrote there (sources, memories, one
// instance per block) and the ports a testbench drives, so that verify and synth can work on the
// folder without the network.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "fold/dataflow_graph.h"

namespace bnnc {

// What a testbench needs to know of a design's ports.
struct RtlInterface {
  int input_elems = 1;            // pixels per input word
  int input_bits = 8;             // bits per pixel
  std::int64_t frame_words = 0;   // input words per frame
  std::int64_t frame_pixels = 0;  // pixel values per frame (the last word zero-filled beyond)
  int class_bits = 1;             // width of m_axis_tdata
  int classes = 0;
  int score_lanes = 1;  // scores per obs word
  int score_bits = 1;   // bits per score in an obs word
  bool score_signed = false;
  int score_words = 0;             // obs words per frame
  std::vector<std::int64_t> bias;  // added to the observed scores (the label select's bias)
  int label_shift = 0;             // the observed scores are shifted left first (ir/op.h)
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

// Writes DIR/rtl.json for `design`, emitted from `graph` (whose blocks name the instances).
void write_rtl_manifest(const RtlDesign& design, const DataflowGraph& graph,
                        const std::filesystem::path& dir);

// Reads DIR/rtl.json back. Throws bnnc::Error naming the folder when it holds no RTL.
RtlDesign read_rtl_manifest(const std::filesystem::path& dir);

}  // namespace bnnc
