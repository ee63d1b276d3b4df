#include "rtl/emit_rtl.h"

#include <algorithm>
#include <fstream>
#include <set>

#include "core/ceil_div.h"
#include "rtl/rom_contents.h"
#include "rtl/rtl_block.h"
#include "rtl/rtl_sources.h"

namespace bnnc {

namespace {

// The hand-written files every design uses, in an order every tool accepts.
constexpr const char* kBlockSources[] = {"bnn_defs.vh",
                                         "bnn_fifo.sv",
                                         "bnn_rom.sv",
                                         "bnn_quantize.sv",
                                         "bnn_threshold_compare.sv",
                                         "bnn_thresholding.sv",
                                         "bnn_fmpadding.sv",
                                         "bnn_swu.sv",
                                         "bnn_maxpool.sv",
                                         "bnn_popcount.sv",
                                         "bnn_mvtu.sv",
                                         "bnn_dwc.sv",
                                         "bnn_duplicate.sv",
                                         "bnn_add_streams.sv",
                                         "bnn_global_sum_pool.sv",
                                         "bnn_label_select.sv"};
// The variants of the MVTU and the blocks on words of several pixels, written only into designs
// whose blocks use them.
constexpr const char* kVariantSources[] = {"bnn_mvtu_is.sv", "bnn_mvtu_exit.sv", "bnn_mvtu_wr.sv",
                                           "bnn_mvtu_ir.sv", "bnn_pixel_group.sv"};

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

// The three signals of one stream as expressions of bnn_top.
struct Stream {
  std::string data, valid, ready;
};

Stream stream(const std::string& prefix) {
  return {prefix + "_tdata", prefix + "_tvalid", prefix + "_tready"};
}

// A module instance; `ports` pairs each of its stream ports ("s_axis", "s1_axis", "m_axis") with
// the stream it connects to.
std::string instance_text(const std::string& module, const std::string& name,
                          const std::vector<std::pair<std::string, std::string>>& params,
                          const std::vector<std::pair<std::string, Stream>>& ports) {
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
  text += fmt::format("  ) {} (\n    .clk(clk), .rst(rst)", name);
  for (const auto& [port, s] : ports) {
    text += fmt::format(",\n    .{0}_tdata({1}), .{0}_tvalid({2}), .{0}_tready({3})", port, s.data,
                        s.valid, s.ready);
  }
  return text + "\n  );\n";
}

}  // namespace

std::optional<std::string> rtl_unsupported(const DataflowGraph& graph) {
  const std::vector<std::vector<int>> consumers = graph.consumers();
  for (int i = 0; i < static_cast<int>(graph.blocks.size()); ++i) {
    if (auto reason = rtl_block_unsupported(graph, i)) return reason;
    const Block& b = graph.blocks[static_cast<std::size_t>(i)];
    const std::size_t readers = consumers[static_cast<std::size_t>(i)].size();
    const bool last = i + 1 == static_cast<int>(graph.blocks.size());
    if ((i > 0 && b.inputs.empty()) || (readers != 1 && !last && b.kind != BlockKind::Duplicate)) {
      return fmt::format("block '{}': the RTL generator needs one reader per block but a fork",
                         b.name);
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
  // Words of whole pixels may not divide the frame: its last word is zero-filled.
  r.frame_pixels = graph.ir.nodes[0].type.elements();
  r.frame_words = ceil_div(r.frame_pixels, std::int64_t{input.out_elems});
  r.classes = label.ifm_c;
  r.class_bits = uint_bits_for(label.ifm_c - 1);
  r.score_lanes = label.in_elems;
  r.score_bits = label.in_bits;
  const Node& select = graph.ir.nodes[label.layer];
  r.score_signed = is_signed(graph.ir.nodes[select.inputs[0]].type.dtype);
  r.score_words = ceil_div(label.ifm_c, label.in_elems);
  r.bias = select.as<LabelSelectAttrs>().bias;
  r.label_shift = select.as<LabelSelectAttrs>().shift;
  return r;
}

RtlDesign emit_rtl(const DataflowGraph& graph, const FifoDepths& fifo_depths,
                   const std::filesystem::path& dir, const std::vector<Placement>& placements) {
  if (auto reason = rtl_unsupported(graph)) fail("{}", *reason);
  BNNC_ASSERT(fifo_depths.size() == graph.blocks.size(), "FIFO depths for every block");
  BNNC_ASSERT(placements.empty() || placements.size() == graph.blocks.size(),
              "ROM styles for every block or none");
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
  const std::vector<std::vector<int>> readers = graph.consumers();
  std::vector<std::string> ids;
  std::vector<RtlBlock> described;
  std::set<std::string> used;
  for (int i = 0; i < n; ++i) {
    std::string id = identifier(graph.blocks[static_cast<std::size_t>(i)].name);
    while (!used.insert(id).second) id += "_";
    described.push_back(describe_rtl_block(
        graph, i, id, placements.empty() ? Placement{} : placements[static_cast<std::size_t>(i)]));
    ids.push_back(std::move(id));
  }
  for (const std::string name : kVariantSources) {
    const std::string module = name.substr(0, name.find('.'));
    if (std::none_of(described.begin(), described.end(),
                     [&](const RtlBlock& r) { return r.module == module; })) {
      continue;
    }
    write_file(dir / name, rtl_source(name));
    design.sources.push_back(name);
  }
  // The stream block i writes for its k-th reader: a Duplicate shares its data among per-reader
  // valids and readies; every other block writes one stream (the input block is s_axis itself).
  const auto written = [&](int i, int k) {
    const Block& b = graph.blocks[static_cast<std::size_t>(i)];
    Stream s = stream("b_" + ids[static_cast<std::size_t>(i)]);
    if (b.kind == BlockKind::Duplicate) {
      s.valid += fmt::format("[{}]", k);
      s.ready += fmt::format("[{}]", k);
    }
    return s;
  };
  // The FIFO in front of block j's input `slot` (depth fifo_depths[j][slot]) is named after the
  // block that writes it, with the reader's number behind a fork. Each is written right after
  // its writer, the order of the chain's tops before forks existed (Yosys's counts depend on it).
  std::vector<std::vector<std::string>> in_fifo(static_cast<std::size_t>(n));
  std::vector<std::string> fifos_behind(static_cast<std::size_t>(n));
  std::string wires, body;
  for (int j = 0; j < n; ++j) {
    const Block& b = graph.blocks[static_cast<std::size_t>(j)];
    for (std::size_t slot = 0; slot < b.inputs.size(); ++slot) {
      const int i = b.inputs[slot];
      const auto& mine = readers[static_cast<std::size_t>(i)];
      const int k = static_cast<int>(std::find(mine.begin(), mine.end(), j) - mine.begin());
      const bool fork = graph.blocks[static_cast<std::size_t>(i)].kind == BlockKind::Duplicate;
      const std::string fifo =
          ids[static_cast<std::size_t>(i)] + "_fifo" + (fork ? std::to_string(k) : "");
      const int width = described[static_cast<std::size_t>(i)].out_width;
      wires += fmt::format("  wire [{0}-1:0] f_{1}_tdata;\n  wire f_{1}_tvalid, f_{1}_tready;\n",
                           width, fifo);
      const int depth = std::max(2, fifo_depths[static_cast<std::size_t>(j)].at(slot));
      fifos_behind[static_cast<std::size_t>(i)] +=
          instance_text("bnn_fifo", "u_" + fifo,
                        {{"WIDTH", std::to_string(width)}, {"DEPTH", std::to_string(depth)}},
                        {{"s_axis", written(i, k)}, {"m_axis", stream("f_" + fifo)}});
      in_fifo[static_cast<std::size_t>(j)].push_back("f_" + fifo);
    }
  }
  int observed_width = 0;
  for (int i = 0; i < n; ++i) {
    const Block& b = graph.blocks[static_cast<std::size_t>(i)];
    const std::string& id = ids[static_cast<std::size_t>(i)];
    const RtlBlock& r = described[static_cast<std::size_t>(i)];
    for (const auto& [file, text] : r.memories) {
      write_file(dir / file, text);
      design.memories.push_back(file);
    }
    const bool last = i == n - 1;
    const int outputs = static_cast<int>(readers[static_cast<std::size_t>(i)].size());
    if (!last) {
      wires += fmt::format("  wire [{0}-1:0] b_{1}_tdata;\n", r.out_width, id);
      if (b.kind == BlockKind::Duplicate) {
        wires += fmt::format("  wire [{0}-1:0] b_{1}_tvalid, b_{1}_tready;\n", outputs, id);
      } else {
        wires += fmt::format("  wire b_{0}_tvalid, b_{0}_tready;\n", id);
      }
    }
    if (r.module.empty()) {
      // An input without a quantize table: the pixels go straight into the first FIFO.
      body += fmt::format(
          "  assign b_{0}_tdata = s_axis_tdata;\n  assign b_{0}_tvalid = s_axis_tvalid;\n"
          "  assign s_axis_tready = b_{0}_tready;\n",
          id);
    } else {
      const auto& in = in_fifo[static_cast<std::size_t>(i)];
      std::vector<std::pair<std::string, Stream>> ports;
      ports.emplace_back("s_axis", i == 0 ? stream("s_axis") : stream(in.at(0)));
      if (in.size() > 1) ports.emplace_back("s1_axis", stream(in[1]));
      ports.emplace_back("m_axis", stream(last ? "m_axis" : "b_" + id));
      body += fmt::format("  // {} ({})\n", b.name, block_kind_name(b.kind));
      body += instance_text(r.module, "u_" + id, r.params, ports);
      design.instances.push_back({i, "u_" + id, r.module});
    }
    if (last) {
      observed_width = r.in_width;
      body += fmt::format(
          "`ifdef BNN_OBSERVE\n  assign obs_tdata = {0}_tdata;\n"
          "  assign obs_tvalid = {0}_tvalid && {0}_tready;\n`endif\n",
          in_fifo[static_cast<std::size_t>(i)].at(0));
    }
    body += fifos_behind[static_cast<std::size_t>(i)];
    for (const int j : readers[static_cast<std::size_t>(i)]) {
      const Block& reader = graph.blocks[static_cast<std::size_t>(j)];
      for (std::size_t slot = 0; slot < reader.inputs.size(); ++slot) {
        if (reader.inputs[slot] != i) continue;
        const std::string& fifo = in_fifo[static_cast<std::size_t>(j)][slot];
        design.instances.push_back({i, "u_" + fifo.substr(2), "bnn_fifo"});
      }
    }
  }

  std::string top = fmt::format(
      "// Generated by bnnc compile from the folded design of '{}': do not edit. One instance\n"
      "// of a hand-written block (rtl/) per dataflow block, a FIFO in front of each block input;\n"
      "// memory contents in the .mem files beside this one. Input: {} pixels of {} bits per\n"
      "// word, {} words per frame; output: the class of each frame.\n"
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
