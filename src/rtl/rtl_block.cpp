#include "rtl/rtl_block.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/ceil_div.h"
#include "fold/estimate_resources.h"
#include "fold/pad_element.h"
#include "fold/pixel_group.h"
#include "fold/stream_order.h"
#include "rtl/pixel_group_buffer.h"
#include "rtl/rom_contents.h"

namespace bnnc {

namespace {

std::string integer(std::int64_t value) { return std::to_string(value); }
std::string quoted(const std::string& text) { return "\"" + text + "\""; }

const DType& input_type(const Block& b, const Graph& ir) {
  return ir.nodes[ir.nodes[b.layer].inputs[0]].type.dtype;
}

int element_bits(const DType& type) { return type.is_bit() ? 1 : type.bits; }

// A `bits`-wide literal from the low bits of each of `flags` (bit i = flags[i]).
std::string bit_literal(const std::vector<std::uint8_t>& flags, int bits) {
  HexWord word(bits);
  for (int i = 0; i < bits && i < static_cast<int>(flags.size()); ++i) {
    word.set(i, 1, flags[static_cast<std::size_t>(i)] != 0 ? 1 : 0);
  }
  return fmt::format("{}'h{}", bits, word.to_hex());
}

}  // namespace

// With MMV its words carry whole channel groups of several pixels instead, as the other blocks'.
int output_vector(const Block& b) {
  if (b.kind == BlockKind::Mvtu && b.out_pixels == 1) return b.ofm_c;
  return static_cast<int>(b.elements_out());
}

// An MVTU reads vectors of MW elements (a dense layer's input, a convolution's K·K·C windows).
int input_vector(const Block& b) {
  if (b.kind == BlockKind::Mvtu && b.in_pixels == 1) return b.ifm_c;
  return static_cast<int>(b.elements_in());
}

std::vector<std::pair<std::string, std::string>> pixel_group_params(const Block& b) {
  const int kind = b.kind == BlockKind::FmPadding          ? 1
                   : b.kind == BlockKind::Swu              ? 2
                   : b.kind == BlockKind::StreamingMaxPool ? 3
                                                           : 0;
  return {{"KIND", integer(kind)},
          {"IFM_H", integer(b.ifm_h)},
          {"IFM_W", integer(b.ifm_w)},
          {"IFM_C", integer(b.ifm_c)},
          {"OFM_H", integer(b.ofm_h)},
          {"OFM_W", integer(b.ofm_w)},
          {"OFM_C", integer(b.ofm_c)},
          {"K", integer(b.kernel)},
          {"STRIDE", integer(b.stride)},
          {"PAD", integer(b.pad)},
          {"IN_PIXELS", integer(b.in_pixels)},
          {"IN_ELEMS", integer(b.in_elems)},
          {"OUT_PIXELS", integer(b.out_pixels)},
          {"OUT_ELEMS", integer(b.out_elems)},
          {"BITS", integer(b.in_bits)},
          {"SLACK", integer(pixel_group_slack(b))},
          {"SLOTS", integer(pixel_group_slots(b))}};
}

std::optional<std::string> rtl_block_unsupported(const DataflowGraph& graph, int index) {
  const Block& b = graph.blocks[static_cast<std::size_t>(index)];
  const Graph& ir = graph.ir;
  // bnn_mvtu computes MMV windows per weight read (with zero padding's border count per window),
  // bnn_mvtu_is one vector at a time.
  if (b.mmv > 1 && b.dense_order == DenseOrder::Input)
    return fmt::format("layer '{}': MMV > 1 with the input-stationary order has no RTL yet",
                       b.name);
  // Element-wise blocks take words of several pixels as they are (thresholding finds each lane's
  // channel from the word format), the MVTU takes MMV windows a word, a converter between
  // whole-pixel words is an ordinary one, and the blocks that regroup pixels are bnn_pixel_group;
  // only the global sum pool is left (docs/pixel-parallel.md, "In the RTL").
  const bool pixel_words = b.in_pixels > 1 || b.out_pixels > 1;
  const bool flat = input_order(b).flat() && output_order(b).flat();
  const bool elementwise = b.kind == BlockKind::Input || b.kind == BlockKind::Thresholding ||
                           b.kind == BlockKind::Duplicate || b.kind == BlockKind::AddStreams ||
                           b.kind == BlockKind::LabelSelect || b.kind == BlockKind::Mvtu;
  if (is_pixel_group(b) && std::max(b.elements_in(), b.elements_out()) * b.stride >= (1 << 30)) {
    return fmt::format("layer '{}': {} elements a frame are beyond bnn_pixel_group's 32-bit counts",
                       b.name, std::max(b.elements_in(), b.elements_out()));
  }
  // bnn_pixel_group's banks take whole channel groups: one-pixel input words whose width does
  // not divide the channels (runs across pixels) are not among them.
  if (is_pixel_group(b) && b.ifm_c % (b.in_elems / b.in_pixels) != 0) {
    return fmt::format(
        "layer '{}': bnn_pixel_group on input words of {} elements across {} "
        "channels has no RTL yet",
        b.name, b.in_elems, b.ifm_c);
  }
  if (pixel_words && !elementwise && !(flat && b.kind == BlockKind::Dwc) && !is_pixel_group(b)) {
    return fmt::format("layer '{}': words of {} pixels have no RTL yet (docs/pixel-parallel.md)",
                       b.name, std::max(b.in_pixels, b.out_pixels));
  }
  switch (b.kind) {
    case BlockKind::Input: {
      if (b.in_bits != 8 || ir.nodes[0].type.dtype != DType::uint(8)) {
        return fmt::format("input '{}': the RTL takes uint8 pixels, not {}", b.name,
                           to_string(ir.nodes[0].type.dtype));
      }
      break;
    }
    case BlockKind::Thresholding:
      if (ir.nodes[b.layer].as<ThresholdAttrs>().thresholds_per_channel != 1)
        return fmt::format("layer '{}': multi-bit activations have no RTL yet", b.name);
      break;
    case BlockKind::Mvtu:
      if (b.threshold >= 0 &&
          ir.nodes[b.threshold].as<ThresholdAttrs>().thresholds_per_channel != 1)
        return fmt::format("layer '{}': multi-bit activations have no RTL yet", b.name);
      break;
    case BlockKind::StreamingMaxPool:
      if (b.in_bits != 1)
        return fmt::format("layer '{}': the RTL max-pool works on bits, not {}-bit values", b.name,
                           b.in_bits);
      break;
    case BlockKind::AddStreams:
    case BlockKind::GlobalSumPool:
      for (int input : ir.nodes[b.layer].inputs) {
        if (!ir.nodes[input].type.dtype.is_integer() && !ir.nodes[input].type.dtype.is_bit())
          return fmt::format("layer '{}': the RTL {} takes bits or integers, not {}", b.name,
                             block_kind_name(b.kind), to_string(ir.nodes[input].type.dtype));
      }
      if (b.kind == BlockKind::AddStreams && !ir.nodes[b.layer].as<AddAttrs>().offsets.empty()) {
        // bnn_add_streams finds a lane's channel from a channel-group counter.
        const auto& a = ir.nodes[b.layer].as<AddAttrs>();
        if (b.ifm_c % (b.in_elems / b.in_pixels) != 0) {
          return fmt::format(
              "layer '{}': the RTL join's table needs words of whole channel "
              "groups ({} elements a word, {} channels)",
              b.name, b.in_elems / b.in_pixels, b.ifm_c);
        }
        if (b.in_elems / b.in_pixels > 9999) {
          return fmt::format(
              "layer '{}': the RTL join's table takes at most 9,999 channels a word, not {}",
              b.name, b.in_elems / b.in_pixels);
        }
        if (a.in1_min <= -(std::int64_t{1} << 30) || a.in1_min >= (std::int64_t{1} << 30)) {
          return fmt::format("layer '{}': the RTL join's table starts at {}, outside ±2^30", b.name,
                             a.in1_min);
        }
      }
      break;
    case BlockKind::Duplicate:
    case BlockKind::FmPadding:
    case BlockKind::Swu:
    case BlockKind::LabelSelect:
    case BlockKind::Dwc:
    case BlockKind::Count: break;
  }
  // A dense MVTU reads ⌈MW/SIMD⌉ full words per vector: a producer that zero-fills the last word
  // of shorter vectors (an MVTU with padded rows) must reach it through a width converter.
  for (std::size_t slot = 0; slot < b.inputs.size() && b.kind != BlockKind::Dwc; ++slot) {
    const Block& producer = graph.blocks[static_cast<std::size_t>(b.inputs[slot])];
    if (output_vector(producer) % producer.out_elems != 0 &&
        input_vector(b) != output_vector(producer)) {
      return fmt::format(
          "layer '{}': its producer '{}' sends vectors of {} in words of {} (the last one "
          "partial), which this layer cannot read without a width converter",
          b.name, producer.name, output_vector(producer), producer.out_elems);
    }
  }
  return std::nullopt;
}

namespace {

// bnn_pixel_group: the block's shape (pixel_group_params), the values it pads with and the pool's
// minimum channels.
void describe_pixel_group(const Block& b, const Graph& ir, RtlBlock& r) {
  r.module = "bnn_pixel_group";
  r.params = pixel_group_params(b);
  if (b.kind == BlockKind::FmPadding) {
    HexWord values(b.ofm_c * b.in_bits);
    for (int c = 0; c < b.ofm_c; ++c) values.set(c * b.in_bits, b.in_bits, pad_element(b, ir, c));
    r.params.emplace_back("PAD_VALUES",
                          fmt::format("{}'h{}", b.ofm_c * b.in_bits, values.to_hex()));
  }
  if (b.kind == BlockKind::StreamingMaxPool) {
    const auto& min_channels = ir.nodes[b.layer].as<MaxPoolAttrs>().min_channels;
    r.params.emplace_back("MIN_CHANNELS", bit_literal(min_channels, b.ofm_c));
  }
}

// The folding every MVTU variant takes, in their declaration order: PE, SIMD, MH; MW where the
// module counts real columns itself (`real_columns`: bnn_mvtu_wr, bnn_mvtu_exit, bnn_mvtu_ir); NF;
// SF where it walks the padded columns (`synapse_fold`: all but bnn_mvtu_wr, whose schedule sets
// its cycles); IN_WORDS.
std::vector<std::pair<std::string, std::string>> mvtu_folding(const Block& b, bool real_columns,
                                                              bool synapse_fold) {
  std::vector<std::pair<std::string, std::string>> p = {
      {"PE", integer(b.pe)}, {"SIMD", integer(b.simd)}, {"MH", integer(b.mh)}};
  if (real_columns) p.emplace_back("MW", integer(b.mw));
  p.emplace_back("NF", integer(b.nf()));
  if (synapse_fold) p.emplace_back("SF", integer(b.sf()));
  p.emplace_back("IN_WORDS", integer(ceil_div(b.mw, b.simd)));
  return p;
}

// One of the block's memories, and the parameter that names its file.
void add_memory(RtlBlock& r, const std::string& param, const std::string& file,
                std::string contents) {
  r.params.emplace_back(param, quoted(file));
  r.memories.emplace_back(file, std::move(contents));
}

// Every MVTU variant reads bnn_mvtu's threshold memory, when the layer ends in thresholds.
void add_mvtu_thresholds(const Block& b, const Graph& ir, const std::string& stem, RtlBlock& r) {
  if (b.threshold >= 0)
    add_memory(r, "THRESHOLD_FILE", stem + "_thresholds.mem", mvtu_threshold_rom(b, ir));
}

// Where bnn_rom puts the weights and thresholds (bnn_mvtu, bnn_mvtu_is, bnn_mvtu_exit); nothing
// for the tool's own choice.
void add_rom_styles(const Block& b, const Placement& placement, RtlBlock& r) {
  if (!placement.weights.empty()) r.params.emplace_back("WEIGHT_STYLE", quoted(placement.weights));
  if (b.threshold >= 0 && !placement.thresholds.empty())
    r.params.emplace_back("THRESHOLD_STYLE", quoted(placement.thresholds));
}

// An MVTU block: bnn_mvtu_wr with weight reuse, bnn_mvtu_ir with input reuse, bnn_mvtu_exit with
// early exit, otherwise bnn_mvtu (bnn_mvtu_is in the input-stationary order).
void describe_mvtu(const Block& b, const Graph& ir, const std::string& stem,
                   const Placement& placement, RtlBlock& r) {
  auto& p = r.params;
  if (b.weight_reuse) {
    // bnn_mvtu_wr: binary input (Block::can_reuse_weights), its schedule in place of the
    // weights, bnn_mvtu's thresholds.
    r.module = "bnn_mvtu_wr";
    p = mvtu_folding(b, true, false);
    p.insert(p.end(), {{"VC", integer(b.reuse_vector_cycles)},
                       {"ACC_BITS", integer(ir.nodes[b.layer].type.dtype.bits)},
                       {"THRESHOLDS", integer(b.threshold >= 0 ? 1 : 0)}});
    add_memory(r, "SCHEDULE_FILE", stem + "_schedule.mem", weight_reuse_rom(b, ir));
    add_mvtu_thresholds(b, ir, stem, r);
    return;
  }
  if (b.input_reuse) {
    // bnn_mvtu_ir: a binary convolution (Block::can_reuse_inputs) whose columns are never padded;
    // bnn_mvtu's weight and threshold memories, the weights read by each SIMD lane on its own.
    r.module = "bnn_mvtu_ir";
    p = mvtu_folding(b, true, true);
    p.insert(p.end(), {{"OFM_W", integer(b.ofm_w)},
                       {"ACC_BITS", integer(ir.nodes[b.layer].type.dtype.bits)},
                       {"THRESHOLDS", integer(b.threshold >= 0 ? 1 : 0)}});
    add_memory(r, "WEIGHT_FILE", stem + "_weights.mem", mvtu_weight_rom(b, ir));
    add_mvtu_thresholds(b, ir, stem, r);
    return;
  }
  if (b.early_exit) {
    // bnn_mvtu_exit: binary input and thresholds only (Block::can_exit_early), the same
    // weight and threshold memories.
    BNNC_ASSERT(b.threshold >= 0, "layer '{}': an early exit without thresholds", b.name);
    r.module = "bnn_mvtu_exit";
    p = mvtu_folding(b, true, true);
    p.emplace_back("ACC_BITS", integer(ir.nodes[b.layer].type.dtype.bits));
    add_memory(r, "WEIGHT_FILE", stem + "_weights.mem", mvtu_weight_rom(b, ir));
    add_mvtu_thresholds(b, ir, stem, r);
    add_rom_styles(b, placement, r);
    return;
  }
  const bool input_stationary = b.dense_order == DenseOrder::Input;
  BNNC_ASSERT(!(input_stationary && b.zero_pad), "layer '{}': an input-stationary conv", b.name);
  r.module = input_stationary ? "bnn_mvtu_is" : "bnn_mvtu";
  const DType in = input_type(b, ir);
  const DType acc = ir.nodes[b.layer].type.dtype;
  p = mvtu_folding(b, false, true);
  if (b.mmv > 1) p.insert(p.begin() + 1, {"MMV", integer(b.mmv)});
  p.insert(p.end(), {{"IN_BITS", integer(b.in_bits)},
                     {"IN_SIGNED", integer(is_signed(in) ? 1 : 0)},
                     {"ACC_BITS", integer(acc.bits)},
                     {"ACC_SIGNED", integer(is_signed(acc) ? 1 : 0)},
                     {"THRESHOLDS", integer(b.threshold >= 0 ? 1 : 0)}});
  add_memory(r, "WEIGHT_FILE", stem + "_weights.mem", mvtu_weight_rom(b, ir));
  if (b.zero_pad) {
    // bnn_mvtu leaves out the border's words from its own pixel counter.
    p.insert(p.end(), {{"ZERO_PAD", "1"},
                       {"IMG_H", integer(b.image_h)},
                       {"IMG_W", integer(b.image_w)},
                       {"OFM_H", integer(b.ofm_h)},
                       {"OFM_W", integer(b.ofm_w)},
                       {"K", integer(b.kernel)},
                       {"STRIDE", integer(b.stride)},
                       {"PAD", integer(b.pad)}});
    // SIMD over kernel taps: a border test per tap of the word.
    if (b.simd > b.simd_channels()) p.emplace_back("TAPS", integer(b.simd / b.simd_channels()));
  }
  if (placement.use_dsp != 0) {
    BNNC_ASSERT(!input_stationary && placement.use_dsp == dsp_chain_form(b),
                "layer '{}': USE_DSP {} where its form is {}", b.name, placement.use_dsp,
                dsp_chain_form(b));
    BNNC_ASSERT(placement.dsp_pe >= 1 && placement.dsp_pe <= b.pe,
                "layer '{}': {} of {} PEs in DSP chains", b.name, placement.dsp_pe, b.pe);
    p.emplace_back("USE_DSP", integer(placement.use_dsp));
    if (placement.dsp_pe < b.pe) p.emplace_back("DSP_PE", integer(placement.dsp_pe));
  }
  add_mvtu_thresholds(b, ir, stem, r);
  add_rom_styles(b, placement, r);
}

}  // namespace

RtlBlock describe_rtl_block(const DataflowGraph& graph, int index, const std::string& stem,
                            const Placement& placement) {
  const Block& b = graph.blocks[static_cast<std::size_t>(index)];
  const Graph& ir = graph.ir;
  RtlBlock r;
  r.in_width = b.in_word_bits();
  r.out_width = b.out_word_bits();
  auto& p = r.params;
  if (is_pixel_group(b)) {
    describe_pixel_group(b, ir, r);
    return r;
  }
  switch (b.kind) {
    case BlockKind::Input:
      if (ir.nodes[b.layer].op() == Op::Quantize) {
        r.module = "bnn_quantize";
        const std::string file = stem + "_table.mem";
        p = {{"ELEMS", integer(b.out_elems)},
             {"IN_BITS", integer(b.in_bits)},
             {"OUT_BITS", integer(b.out_bits)},
             {"TABLE_FILE", quoted(file)}};
        r.memories.emplace_back(file, quantize_rom(b, ir));
      }
      break;
    case BlockKind::Thresholding: {
      r.module = "bnn_thresholding";
      const std::string file = stem + "_thresholds.mem";
      p = {{"CH", integer(b.ifm_c)},
           {"LANES", integer(b.in_elems)},
           {"PIXELS", integer(b.in_pixels)},
           {"BITS", integer(b.in_bits)},
           {"IN_SIGNED", integer(is_signed(input_type(b, ir)) ? 1 : 0)},
           {"THRESHOLD_FILE", quoted(file)}};
      r.memories.emplace_back(file, thresholding_rom(b, ir));
      break;
    }
    case BlockKind::FmPadding: {
      r.module = "bnn_fmpadding";
      HexWord value(b.in_bits);
      value.set(0, b.in_bits, pad_element(b, ir, 0));
      p = {{"IFM_H", integer(b.ifm_h)},
           {"IFM_W", integer(b.ifm_w)},
           {"CH", integer(b.ifm_c)},
           {"SIMD", integer(b.in_elems)},
           {"BITS", integer(b.in_bits)},
           {"PAD", integer(b.pad)},
           {"PAD_VALUE", fmt::format("{}'h{}", b.in_bits, value.to_hex())}};
      if (ir.nodes[b.layer].op() == Op::MaxPool) {
        // Per channel: a pool's min channels pad with the other extreme.
        HexWord values(b.ifm_c * b.in_bits);
        for (int c = 0; c < b.ifm_c; ++c)
          values.set(c * b.in_bits, b.in_bits, pad_element(b, ir, c));
        p.emplace_back("PER_CHANNEL", "1");
        p.emplace_back("PAD_VALUES", fmt::format("{}'h{}", b.ifm_c * b.in_bits, values.to_hex()));
      }
      break;
    }
    case BlockKind::Swu:
      r.module = "bnn_swu";
      p = {{"IFM_H", integer(b.ifm_h)},   {"IFM_W", integer(b.ifm_w)},  {"CH", integer(b.ifm_c)},
           {"SIMD", integer(b.in_elems)}, {"BITS", integer(b.in_bits)}, {"K", integer(b.kernel)},
           {"STRIDE", integer(b.stride)}};
      break;
    case BlockKind::StreamingMaxPool: {
      r.module = "bnn_maxpool";
      const auto& min_channels = ir.nodes[b.layer].as<MaxPoolAttrs>().min_channels;
      p = {{"IFM_H", integer(b.ifm_h)},
           {"IFM_W", integer(b.ifm_w)},
           {"CH", integer(b.ifm_c)},
           {"SIMD", integer(b.in_elems)},
           {"K", integer(b.kernel)},
           {"STRIDE", integer(b.stride)},
           {"MIN_CHANNELS", bit_literal(min_channels, b.ifm_c)}};
      break;
    }
    case BlockKind::Mvtu: describe_mvtu(b, ir, stem, placement, r); break;
    case BlockKind::LabelSelect: {
      r.module = "bnn_label_select";
      const int score_bits = label_score_bits(b, ir);
      const std::string file = stem + "_bias.mem";
      p = {{"CLASSES", integer(b.ifm_c)},
           {"LANES", integer(b.in_elems)},
           {"BITS", integer(b.in_bits)},
           {"IN_SIGNED", integer(is_signed(input_type(b, ir)) ? 1 : 0)},
           {"SHIFT", integer(ir.nodes[b.layer].as<LabelSelectAttrs>().shift)},
           {"SCORE_BITS", integer(score_bits)},
           {"CLASS_BITS", integer(uint_bits_for(b.ifm_c - 1))},
           {"BIAS_FILE", quoted(file)}};
      r.memories.emplace_back(file, label_bias_rom(b, ir, score_bits));
      r.out_width = uint_bits_for(b.ifm_c - 1);
      break;
    }
    case BlockKind::Dwc: {
      r.module = "bnn_dwc";
      const Block& producer = graph.blocks[static_cast<std::size_t>(b.inputs[0])];
      // The block that reads this converter (the next one in the chain).
      int consumer = -1;
      for (int j = 0; j < static_cast<int>(graph.blocks.size()); ++j) {
        for (int input : graph.blocks[static_cast<std::size_t>(j)].inputs) {
          if (input == index) consumer = j;
        }
      }
      BNNC_ASSERT(consumer >= 0, "width converter '{}' feeds nothing", b.name);
      p = {{"IN_ELEMS", integer(b.in_elems)},
           {"OUT_ELEMS", integer(b.out_elems)},
           {"BITS", integer(b.in_bits)},
           {"IN_VEC", integer(output_vector(producer))},
           {"OUT_VEC", integer(input_vector(graph.blocks[static_cast<std::size_t>(consumer)]))}};
      break;
    }
    case BlockKind::Duplicate:
      r.module = "bnn_duplicate";
      p = {{"WIDTH", integer(r.in_width)},
           {"N", integer(static_cast<std::int64_t>(
                     graph.consumers()[static_cast<std::size_t>(index)].size()))}};
      break;
    case BlockKind::AddStreams: {
      r.module = "bnn_add_streams";
      const Node& node = ir.nodes[b.layer];
      const DType& in0 = ir.nodes[node.inputs[0]].type.dtype;
      const DType& in1 = ir.nodes[node.inputs[1]].type.dtype;
      p = {{"LANES", integer(b.in_elems)},
           {"IN0_BITS", integer(element_bits(in0))},
           {"IN0_SIGNED", integer(is_signed(in0) ? 1 : 0)},
           {"IN1_BITS", integer(element_bits(in1))},
           {"IN1_SIGNED", integer(is_signed(in1) ? 1 : 0)},
           {"IN1_BIPOLAR", integer(in1.is_bit() ? 1 : 0)},
           {"OUT_BITS", integer(b.out_bits)}};
      const auto& a = node.as<AddAttrs>();
      if (!a.offsets.empty()) {
        const std::string file = stem + "_table";  // one file a slot: file_kkkk.mem
        p.insert(p.end(), {{"TABLE", "1"},
                           {"CH", integer(b.ifm_c)},
                           {"GROUP", integer(b.in_elems / b.in_pixels)},
                           {"SPAN", integer(std::ssize(a.offsets) / b.ifm_c)},
                           {"IN1_MIN", integer(a.in1_min)},
                           {"OFF_BITS", integer(b.table_bits)},
                           {"TABLE_FILE", quoted(file)}});
        // Where the lanes' ROMs go, as an MVTU's weights (the estimate's placement).
        if (!placement.weights.empty()) p.emplace_back("TABLE_STYLE", quoted(placement.weights));
        const int group = b.in_elems / b.in_pixels;
        for (int k = 0; k < group; ++k)
          r.memories.emplace_back(fmt::format("{}_{:04}.mem", file, k), add_table_rom(b, ir, k));
      }
      break;
    }
    case BlockKind::GlobalSumPool: {
      r.module = "bnn_global_sum_pool";
      const DType in = input_type(b, ir);
      p = {{"PIXELS", integer(b.pixels_in())},
           {"CH", integer(b.ifm_c)},
           {"LANES", integer(b.in_elems)},
           {"IN_BITS", integer(b.in_bits)},
           {"IN_SIGNED", integer(is_signed(in) ? 1 : 0)},
           {"BIPOLAR", integer(in.is_bit() ? 1 : 0)},
           {"OUT_BITS", integer(b.out_bits)}};
      break;
    }
    case BlockKind::Count: break;
  }
  return r;
}

}  // namespace bnnc
