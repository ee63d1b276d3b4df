#include "fold/estimate_resources.h"

#include <algorithm>
#include <array>

#include "fold/size_fifos.h"

namespace bnnc {

namespace {

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

int bits_for(std::int64_t max_value) {
  int bits = 1;
  while ((std::int64_t{1} << bits) <= max_value) ++bits;
  return bits;
}

}  // namespace

Resources estimate_memory(std::int64_t depth, std::int64_t width) {
  if (depth <= 0 || width <= 0) return {};
  // Small memories go to distributed RAM: a LUT6 holds 64×1.
  if (depth * width <= 4096 || depth <= 64) return {width * ceil_div(depth, 64), 0, 0};
  static constexpr std::array<std::pair<int, int>, 6> kShapes = {
      {{16384, 1}, {8192, 2}, {4096, 4}, {2048, 9}, {1024, 18}, {512, 36}}};
  std::int64_t best = INT64_MAX;
  for (const auto& [shape_depth, shape_width] : kShapes) {
    best = std::min(best, ceil_div(depth, shape_depth) * ceil_div(width, shape_width));
  }
  return {0, 0, best};
}

Resources estimate_block(const Block& b) {
  Resources r;
  const std::int64_t in_word = b.in_word_bits(), out_word = b.out_word_bits();
  switch (b.kind) {
    case BlockKind::Input:
      r.luts = 20 + out_word;  // AXI-Stream adapter
      r.ffs = out_word;
      break;
    case BlockKind::Thresholding: {
      // One comparator per element lane; thresholds in a memory of C/lanes words per lane.
      const std::int64_t lanes = b.in_elems;
      r.luts = 40 + lanes * b.in_bits;
      r.ffs = lanes * (b.in_bits + 1);
      r += estimate_memory(ceil_div(b.ifm_c, lanes), lanes * b.in_bits);
      break;
    }
    case BlockKind::FmPadding:
      r.luts = 30 + in_word;
      r.ffs = 20 + in_word;
      break;
    case BlockKind::Swu: {
      // Line buffer of K rows of the input image, plus address counters.
      const std::int64_t buffer_bits =
          static_cast<std::int64_t>(b.kernel) * b.ifm_w * b.ifm_c * b.in_bits;
      r.luts = 80 + 2 * out_word;
      r.ffs = 60 + out_word;
      r += estimate_memory(ceil_div(buffer_bits, out_word), out_word);
      break;
    }
    case BlockKind::Mvtu: {
      // Per PE: SIMD XNORs merged into a popcount compressor tree (~1.1 LUT per synapse for
      // bits; a fixed-point input needs an adder per synapse), an accumulator and a threshold
      // comparator. Weights: PE memories of NF·SF words × SIMD bits; thresholds: PE memories
      // of NF words × acc_bits.
      const std::int64_t synapse_luts = b.in_bits == 1 ? 11 * b.simd / 10 : b.simd * b.in_bits;
      const std::int64_t per_pe = synapse_luts + 2 * b.acc_bits;
      r.luts = 100 + b.mmv * b.pe * per_pe;
      r.ffs = 50 + b.mmv * b.pe * (b.acc_bits * 2 + b.simd / 4);
      const std::int64_t wmem = b.nf() * b.sf();
      r += [&] {
        Resources weights = estimate_memory(wmem, b.simd);
        weights.luts *= b.pe;
        weights.bram18 *= b.pe;
        return weights;
      }();
      if (b.threshold >= 0) {
        Resources thresholds = estimate_memory(b.nf(), b.acc_bits);
        thresholds.luts *= b.pe;
        thresholds.bram18 *= b.pe;
        r += thresholds;
      }
      break;
    }
    case BlockKind::StreamingMaxPool: {
      // Keeps one output row of partial results.
      r.luts = 40 + 2 * in_word;
      r.ffs = 30 + in_word;
      r += estimate_memory(ceil_div(static_cast<std::int64_t>(b.ofm_w) * b.ofm_c, b.in_elems),
                           in_word);
      break;
    }
    case BlockKind::LabelSelect:
      r.luts = 40 + b.in_elems * (b.in_bits + bits_for(b.ifm_c)) * 2;
      r.ffs = 2 * (b.in_bits + bits_for(b.ifm_c));
      break;
    case BlockKind::Dwc: {
      const std::int64_t wide = std::max(in_word, out_word);
      r.luts = 10 + wide + wide / 2;
      r.ffs = wide;
      break;
    }
    case BlockKind::Duplicate:  // a word register per consumer and the handshake
      r.luts = 10 + in_word;
      r.ffs = 2 * in_word;
      break;
    case BlockKind::AddStreams:  // an adder per lane
      r.luts = 20 + b.in_elems * b.out_bits;
      r.ffs = out_word;
      break;
    case BlockKind::Count: break;
  }
  return r;
}

Resources estimate_fifo(std::int64_t depth, std::int64_t width) {
  if (depth <= 0 || width <= 0) return {};
  if (depth <= 2) return {width + 4, depth * width + 4, 0};
  const std::int64_t pointer_bits = bits_for(depth);
  if (depth <= 64) return {width * ceil_div(depth, 32) + 8 + pointer_bits, width + pointer_bits, 0};
  Resources r = estimate_memory(depth, width);
  r.luts += 16 + 2 * pointer_bits;
  r.ffs += width + 2 * pointer_bits;
  return r;
}

Resources estimate_input_fifo(const Block& block) {
  if (block.inputs.empty()) return {};
  return estimate_fifo(input_fifo_depth(block), block.in_word_bits());
}

Estimate estimate_graph(const DataflowGraph& graph) {
  Estimate e;
  const std::vector<std::vector<int>> depths = size_fifos(graph);
  for (int i = 0; i < static_cast<int>(graph.blocks.size()); ++i) {
    const Block& b = graph.blocks[i];
    e.blocks.push_back(estimate_block(b));
    Resources fifos;
    for (int depth : depths[i]) fifos += estimate_fifo(depth, b.in_word_bits());
    e.fifos.push_back(fifos);
    e.total += e.blocks.back();
    e.total += e.fifos.back();
    if (b.cycles > e.bottleneck_cycles) {
      e.bottleneck_cycles = b.cycles;
      e.bottleneck_block = i;
    }
  }
  return e;
}

}  // namespace bnnc
