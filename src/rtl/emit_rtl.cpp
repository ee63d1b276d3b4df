#include "rtl/emit_rtl.h"

#include <fstream>
#include <set>

#include "core/ceil_div.h"
#include "rtl/rom_contents.h"
#include "rtl/rtl_block.h"
#include "rtl/rtl_sources.h"

namespace bnnc {

namespace {

// The hand-written files every design uses, in an order every tool accepts.
constexpr const char* kBlockSources[] = {
    "bnn_defs.vh",         "bnn_fifo.sv",      "bnn_rom.sv",          "bnn_quantize.sv",
    "bnn_thresholding.sv", "bnn_fmpadding.sv", "bnn_swu.sv",          "bnn_maxpool.sv",
    "bnn_mvtu.sv",         "bnn_dwc.sv",       "bnn_label_select.sv", "bnn_mvtu_exit.sv"};

// A Verilog identifier from a block name ("conv1.swu.dwc" → "conv1_swu_dwc").
std::string identifier(const std::string& name) {
  std::string id;
  for (char c : name) {
    const bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    id += word ? c : '_';
  }
  if (id.empty() || (id[0] >= '0' && id[0] <= '9')) id = "b_" + id;
  return id;
}

void write_file(const std::filesystem::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (!out) fail("{}: cannot write", path.string());
}

std::string instance_text(const std::string& module, const std::string& name,
                          const std::vector<std::pair<std::string, std::string>>& params,
                          const std::string& in, const std::string& out) {
  // NAME is the path every parameter error of the block starts with (rtl/bnn_defs.vh). bnnc synth
  // leaves it out (BNN_NO_INSTANCE_NAMES): a string parameter per instance gives every block a
  // module of its own name in Yosys, which changes the order of its optimisations and with it
  // the count (LFC's input thresholding: 487 LUTs with the names, 359 without, the same logic),
  // and a design bnnc compiled never trips a parameter error.
  std::string text =
      fmt::format("  {} #(\n`ifndef BNN_NO_INSTANCE_NAMES\n    .NAME(\"bnn_top.{}\"){}\n`endif\n",
                  module, name, params.empty() ? "" : ",");
  for (std::size_t i = 0; i < params.size(); ++i) {
    text += fmt::format("    .{}({}){}\n", params[i].first, params[i].second,
                        i + 1 < params.size() ? "," : "");
  }
  text += fmt::format(
      "  ) {0} (\n    .clk(clk), .rst(rst),\n"
      "    .s_axis_tdata({1}_tdata), .s_axis_tvalid({1}_tvalid), .s_axis_tready({1}_tready),\n"
      "    .m_axis_tdata({2}_tdata), .m_axis_tvalid({2}_tvalid), .m_axis_tready({2}_tready)\n"
      "  );\n",
      name, in, out);
  return text;
}

}  // namespace

std::optional<std::string> rtl_unsupported(const DataflowGraph& graph) {
  for (int i = 0; i < static_cast<int>(graph.blocks.size()); ++i) {
    if (auto reason = rtl_block_unsupported(graph, i)) return reason;
    const auto& inputs = graph.blocks[static_cast<std::size_t>(i)].inputs;
    if (inputs.size() > 1 || (i > 0 && (inputs.empty() || inputs[0] != i - 1))) {
      return fmt::format("block '{}': the RTL generator takes a linear chain of blocks",
                         graph.blocks[static_cast<std::size_t>(i)].name);
    }
  }
  if (graph.blocks.empty() || graph.blocks.front().kind != BlockKind::Input ||
      graph.blocks.back().kind != BlockKind::LabelSelect) {
    return "the RTL needs a chain from an input to a label select";
  }
  return std::nullopt;
}

RtlInterface rtl_interface(const DataflowGraph& graph) {
  RtlInterface r;
  const Block& input = graph.blocks.front();
  const Block& label = graph.blocks.back();
  r.input_elems = input.out_elems;
  r.input_bits = input.in_bits;
  r.frame_words = graph.ir.nodes[0].type.elements() / input.out_elems;
  r.classes = label.ifm_c;
  r.class_bits = uint_bits_for(label.ifm_c - 1);
  r.score_lanes = label.in_elems;
  r.score_bits = label.in_bits;
  const Node& select = graph.ir.nodes[label.layer];
  r.score_signed = is_signed(graph.ir.nodes[select.inputs[0]].type.dtype);
  r.score_words = ceil_div(label.ifm_c, label.in_elems);
  r.bias = select.as<LabelSelectAttrs>().bias;
  return r;
}

RtlDesign emit_rtl(const DataflowGraph& graph, const FifoDepths& fifo_depths,
                   const std::filesystem::path& dir) {
  if (auto reason = rtl_unsupported(graph)) fail("{}", *reason);
  BNNC_ASSERT(fifo_depths.size() == graph.blocks.size(), "FIFO depths for every block");
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) fail("{}: cannot create the RTL folder ({})", dir.string(), error.message());

  RtlDesign design;
  design.interface = rtl_interface(graph);
  for (const char* name : kBlockSources) {
    write_file(dir / name, rtl_source(name));
    design.sources.emplace_back(name);
  }

  const RtlInterface& io = design.interface;
  const int n = static_cast<int>(graph.blocks.size());
  std::string wires, body;
  std::set<std::string> used;
  std::string previous = "s_axis";  // the stream the next block reads
  int observed_width = 0;
  for (int i = 0; i < n; ++i) {
    const Block& b = graph.blocks[static_cast<std::size_t>(i)];
    std::string id = identifier(b.name);
    while (!used.insert(id).second) id += "_";
    const RtlBlock r = describe_rtl_block(graph, i, id);
    for (const auto& [file, text] : r.memories) {
      write_file(dir / file, text);
      design.memories.push_back(file);
    }
    const bool last = i == n - 1;
    const std::string out = last ? "m_axis" : "b_" + id;
    if (!last) {
      wires += fmt::format(
          "  wire [{0}-1:0] b_{1}_tdata, f_{1}_tdata;\n"
          "  wire b_{1}_tvalid, b_{1}_tready, f_{1}_tvalid, f_{1}_tready;\n",
          r.out_width, id);
    }
    if (r.module.empty()) {
      // An input without a quantize table: the pixels go straight into the first FIFO.
      body += fmt::format(
          "  assign b_{0}_tdata = s_axis_tdata;\n  assign b_{0}_tvalid = s_axis_tvalid;\n"
          "  assign s_axis_tready = b_{0}_tready;\n",
          id);
    } else {
      body += fmt::format("  // {} ({})\n", b.name, block_kind_name(b.kind));
      body += instance_text(r.module, "u_" + id, r.params, previous, out);
      design.instances.push_back({i, "u_" + id, r.module});
    }
    if (last) {
      observed_width = r.in_width;
      body += fmt::format(
          "`ifdef BNN_OBSERVE\n  assign obs_tdata = {0}_tdata;\n"
          "  assign obs_tvalid = {0}_tvalid && {0}_tready;\n`endif\n",
          previous);
      break;
    }
    // The chain's FIFO behind block i is the one in front of block i + 1 (its only input).
    const int depth = std::max(2, fifo_depths[static_cast<std::size_t>(i) + 1].at(0));
    body +=
        instance_text("bnn_fifo", "u_" + id + "_fifo",
                      {{"WIDTH", std::to_string(r.out_width)}, {"DEPTH", std::to_string(depth)}},
                      "b_" + id, "f_" + id);
    design.instances.push_back({i, "u_" + id + "_fifo", "bnn_fifo"});
    previous = "f_" + id;
  }

  std::string top = fmt::format(
      "// Generated by bnnc compile from the folded design of '{}': do not edit. One instance\n"
      "// of a hand-written block (rtl/) per dataflow block, a FIFO behind each; memory contents\n"
      "// in the .mem files beside this one. Input: {} pixels of {} bits per word, {} words per\n"
      "// frame; output: the class of each frame.\n"
      "`default_nettype none\n\nmodule bnn_top (\n"
      "  input  wire clk,\n  input  wire rst,\n"
      "  input  wire [{}-1:0] s_axis_tdata,\n  input  wire s_axis_tvalid,\n"
      "  output wire s_axis_tready,\n"
      "  output wire [{}-1:0] m_axis_tdata,\n  output wire m_axis_tvalid,\n"
      "  input  wire m_axis_tready\n"
      "`ifdef BNN_OBSERVE\n"
      "  // The words the label select takes (its scores), for the testbench.\n"
      "  , output wire [{}-1:0] obs_tdata,\n  output wire obs_tvalid\n`endif\n);\n",
      graph.ir.name, io.input_elems, io.input_bits, io.frame_words, io.input_elems * io.input_bits,
      io.class_bits, observed_width);
  top += wires + "\n" + body + "endmodule\n\n`default_nettype wire\n";
  write_file(dir / "bnn_top.sv", top);
  design.sources.emplace_back("bnn_top.sv");

  write_rtl_manifest(design, graph, dir);
  return design;
}

}  // namespace bnnc
