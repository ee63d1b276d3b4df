#include "fold/estimate_resources.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>

#include "core/ceil_div.h"
#include "fold/size_fifos.h"

namespace bnnc {

namespace {

int bits_for(std::int64_t max_value) {
  int bits = 1;
  while ((std::int64_t{1} << bits) <= max_value) ++bits;
  return bits;
}

std::int64_t bram18_for(std::int64_t depth, std::int64_t width) {
  static constexpr std::array<std::pair<int, int>, 6> kShapes = {
      {{16384, 1}, {8192, 2}, {4096, 4}, {2048, 9}, {1024, 18}, {512, 36}}};
  std::int64_t best = INT64_MAX;
  for (const auto& [shape_depth, shape_width] : kShapes) {
    best = std::min(best, ceil_div(depth, shape_depth) * ceil_div(width, shape_width));
  }
  return best;
}

// Distributed RAM: a RAM64M holds 64 words × 3 bits in 4 LUTs, a RAM32M 32 × 6.
std::int64_t lutram_luts(std::int64_t depth, std::int64_t width) {
  if (depth <= 32) return ceil_div(width * 2, 3);
  return ceil_div(depth, 64) * ceil_div(width * 4, 3);
}

}  // namespace

Resources estimate_memory(std::int64_t depth, std::int64_t width) {
  if (depth <= 0 || width <= 0) return {};
  if (depth <= 64) return {lutram_luts(depth, width), 0, 0};
  return {0, 0, bram18_for(depth, width)};
}

Resources estimate_rom(std::int64_t depth, std::int64_t width) {
  if (depth <= 0 || width <= 0) return {};
  const std::int64_t bram18 = bram18_for(depth, width);
  // memory_libmap's costs: 129 per RAMB18, one per 64 bits of logic ROM.
  if (depth * width < 64 * 129 * bram18) {
    // A LUT6 per output bit and 64 words, plus the wide multiplexers of deeper ROMs (measured
    // 1.2–1.4 LUTs per bit and 64 words); a ROM of fewer than 64 words has fewer address bits,
    // and Yosys packs several of its bits into one LUT. bnn_rom's two output registers.
    const double address_bits = std::max(1.0, std::ceil(std::log2(static_cast<double>(depth))));
    const double per_lut = std::min(1.0, address_bits / 6.0);
    return {static_cast<std::int64_t>(1.3 * per_lut * static_cast<double>(width) *
                                      static_cast<double>(ceil_div(depth, 64))) +
                1,
            2 * width, 0};
  }
  // Deeper than one block RAM holds: multiplexers join the cascade (measured W·log2 of the
  // number of 1K-word pieces, roughly).
  const std::int64_t pieces = ceil_div(depth, 1024);
  const std::int64_t mux_luts =
      pieces > 1
          ? width * static_cast<std::int64_t>(std::ceil(std::log2(static_cast<double>(pieces))))
          : 0;
  return {mux_luts, width, bram18};
}

Resources estimate_block(const Block& b) {
  Resources r;
  const std::int64_t in_word = b.in_word_bits(), out_word = b.out_word_bits();
  switch (b.kind) {
    case BlockKind::Input:
      // A wire, or a quantize table per element (about 14 LUTs for 8 bits; not counted: the
      // block does not know whether it has one).
      break;
    case BlockKind::Thresholding: {
      // One comparator per lane; thresholds in a ROM of C/lanes words of lanes·(bits + 3).
      const std::int64_t lanes = b.in_elems;
      r.luts = 40 + lanes * b.in_bits / 2;
      r.ffs = 10 + lanes;
      r += estimate_rom(ceil_div(b.ifm_c, lanes), lanes * (b.in_bits + 3));
      break;
    }
    case BlockKind::FmPadding:
      r.luts = 30 + in_word;
      r.ffs = 20 + in_word;
      break;
    case BlockKind::Swu: {
      // Address counters, and a line buffer of K + 1 image rows.
      const std::int64_t words =
          static_cast<std::int64_t>(b.kernel + 1) * b.ifm_w * b.ifm_c / b.in_elems;
      r.luts = 60 + ceil_div(3 * out_word, 2);
      r.ffs = 40 + out_word;
      r += estimate_memory(words, in_word);
      break;
    }
    case BlockKind::Mvtu: {
      // Per PE: SIMD XNORs and a popcount tree — measured 0.42·SIMD·log2(SIMD) + 1 LUTs (about
      // 65 for SIMD 32, 160 for 64); an integer input needs an adder per synapse (2.6 LUTs a bit) —
      // then the accumulator and the threshold comparator, 2 LUTs per accumulator bit. Control
      // and the input buffer of SF words are shared. Weights: one ROM of NF·SF words of PE·SIMD
      // bits; thresholds: one of NF words of PE·(acc + 3) bits.
      const double simd = b.simd;
      const std::int64_t synapse_luts =
          b.in_bits == 1 ? static_cast<std::int64_t>(0.42 * simd * std::log2(simd)) + 1
                         : ceil_div(26 * b.simd * b.in_bits, 10);
      const std::int64_t per_pe = synapse_luts + 2 * b.acc_bits + 2;
      const std::int64_t sum_bits =
          bits_for(static_cast<std::int64_t>(b.simd) << std::min(b.in_bits - 1, 32));
      r.luts = 60 + lutram_luts(b.sf(), in_word) + b.mmv * b.pe * per_pe;
      r.ffs = 40 + 2 * in_word + b.mmv * b.pe * (sum_bits + 2 * b.acc_bits + 1);
      r += estimate_rom(b.nf() * b.sf(), static_cast<std::int64_t>(b.pe) * b.simd);
      if (b.threshold >= 0)
        r += estimate_rom(b.nf(), static_cast<std::int64_t>(b.pe) * (b.acc_bits + 3));
      if (b.zero_pad) {
        // Zero padding (docs/zero-padding.md), no memory: the window-origin counters (wy, wx),
        // the tap counters (ky, kx, channel group), two adders and four comparators on pixel
        // coordinates, and per PE the choice between 2·matches − SIMD and 0 in accumulator width.
        const std::int64_t coord = bits_for(std::max(b.image_h, b.image_w) + 2 * b.pad + b.kernel);
        const std::int64_t taps =
            2 * bits_for(b.kernel) +
            bits_for(b.sf() / (static_cast<std::int64_t>(b.kernel) * b.kernel));
        r.luts += 2 * coord + taps + 2 * coord + 4 * ceil_div(coord, 2) + 10 + b.pe * b.acc_bits;
        r.ffs += 2 * coord + taps + 3;
      }
      break;
    }
    case BlockKind::StreamingMaxPool: {
      // Separable max: K − 1 pixels of the row and K − 1 rows of row maxima, both small RAMs.
      const std::int64_t groups = b.ifm_c / b.in_elems;
      r.luts = 60 + 2 * in_word;
      r.ffs = 30 + 2 * in_word;
      for (int k = 1; k < b.kernel; ++k) {
        r += estimate_memory(groups, in_word);
        r += estimate_memory(static_cast<std::int64_t>(b.ofm_w) * groups, in_word);
      }
      break;
    }
    case BlockKind::LabelSelect:
      r.luts = 10 + ceil_div(9 * b.in_elems * (b.in_bits + 1), 5);
      r.ffs = 2 * (b.in_bits + bits_for(b.ifm_c));
      break;
    case BlockKind::Dwc: {
      // A buffer of in + out elements moved in chunks of g = gcd(in, out) elements: each chunk
      // position selects among the in/g chunks of a word (measured 0.6 LUT per buffer bit and
      // choice). A vector that fits one word on both sides is a plain register.
      if (b.elements_in() <= std::min(b.in_elems, b.out_elems)) {
        r.luts = 10;
        r.ffs = b.out_elems * b.in_bits;
        break;
      }
      const std::int64_t g = std::gcd(b.in_elems, b.out_elems);
      const std::int64_t chunks = (b.in_elems + b.out_elems) / g;
      const std::int64_t chunk_bits = g * b.in_bits;
      r.luts = 20 + ceil_div(6 * chunks * chunk_bits * (b.in_elems / g + 1), 10);
      r.ffs = (b.in_elems + 2 * b.out_elems) * b.in_bits;
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

Resources estimate_input_fifo(const Block& block, const Block& producer) {
  return estimate_fifo(input_fifo_depth(block, producer), block.in_word_bits());
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
