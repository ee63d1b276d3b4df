#include "fold/folding.h"

#include <algorithm>

#include "core/ceil_div.h"
#include "fold/stream_order.h"
#include "fold/weight_reuse_schedule.h"

namespace bnnc {

namespace {

template <typename... Args>
[[noreturn]] void reject(const Block& b, fmt::format_string<Args...> format, Args&&... args) {
  fail("layer '{}': {}", b.name, fmt::format(format, std::forward<Args>(args)...));
}

void fold_mvtu(Block& b, const LayerFolding& f) {
  if (f.pe < 1 || f.simd < 1 || f.mmv < 1) {
    reject(b, "pe, simd and mmv must be ≥ 1: pe {}, simd {}, mmv {}", f.pe, f.simd, f.mmv);
  }
  const std::int64_t rows = f.rows > 0 ? f.rows : round_up(b.mh, f.pe);
  const std::int64_t cols = f.cols > 0 ? f.cols : round_up(b.mw, f.simd);
  if (rows < b.mh) reject(b, "padded rows {} are fewer than the layer's {} rows", rows, b.mh);
  if (cols < b.mw) reject(b, "padded columns {} are fewer than the layer's {}", cols, b.mw);
  if (rows % f.pe != 0) reject(b, "PE {} must divide the (padded) rows {}", f.pe, rows);
  if (cols % f.simd != 0) reject(b, "SIMD {} must divide the (padded) columns {}", f.simd, cols);
  const bool conv = b.is_conv();
  if (conv && cols != b.mw) {
    reject(b, "a convolution's columns cannot be padded: SIMD {} must divide K·K·C = {}", f.simd,
           b.mw);
  }
  // SIMD over kernel taps (docs/pixel-parallel.md): a multiple of the channels dividing K·K·C
  // makes the SWU emit SIMD / C consecutive taps of a window a word.
  if (conv && b.simd_channels() % f.simd != 0 && f.simd % b.simd_channels() != 0) {
    reject(b,
           "SIMD {} must divide the input channels {} or be a multiple of them dividing "
           "K·K·C = {} (several kernel taps a cycle)",
           f.simd, b.simd_channels(), b.mw);
  }
  if (f.mmv > 1 && (!conv || b.ofm_w % f.mmv != 0)) {
    reject(b, "MMV {} must divide the output width {} of a convolution", f.mmv, b.ofm_w);
  }
  if (f.mmv > 1 && rows != b.mh) {
    reject(b, "MMV {} needs PE {} to divide the {} rows (its words carry whole channel groups)",
           f.mmv, f.pe, b.mh);
  }
  if (f.dense_order == DenseOrder::Input && conv) {
    reject(b, "dense_order \"input\" applies to dense layers, not to a convolution");
  }
  if (f.early_exit && !b.can_exit_early()) {
    reject(b,
           "early exit needs a binary-input layer ending in thresholds without zero padding "
           "(this one: {}-bit input, {}, {})",
           b.in_bits, b.threshold >= 0 ? "thresholds" : "no thresholds",
           b.zero_pad ? "zero-padded" : "not zero-padded");
  }
  if (f.early_exit && f.mmv > 1) reject(b, "early exit with MMV {} > 1 is not built", f.mmv);
  if (f.early_exit && f.dense_order == DenseOrder::Input) {
    reject(b, "early exit in the input-stationary order is not built");
  }
  if (f.weight_reuse && !b.can_reuse_weights()) {
    reject(b,
           "weight reuse needs a binary-input layer of at least two rows without zero padding "
           "(this one: {}-bit input, {} rows, {})",
           b.in_bits, b.mh, b.zero_pad ? "zero-padded" : "not zero-padded");
  }
  if (f.weight_reuse && f.mmv > 1) reject(b, "weight reuse with MMV {} > 1 is not built", f.mmv);
  if (f.weight_reuse && f.dense_order == DenseOrder::Input) {
    reject(b, "weight reuse in the input-stationary order is not built");
  }
  if (f.weight_reuse && f.early_exit) {
    reject(b, "weight reuse and early exit on one layer are not built together");
  }
  if (f.input_reuse && !b.can_reuse_inputs()) {
    reject(b,
           "input reuse needs a binary-input convolution with output rows of at least two "
           "windows and no zero padding (this one: {}-bit input, {}, {} windows a row, {})",
           b.in_bits, b.is_conv() ? "a convolution" : "a dense layer", b.ofm_w,
           b.zero_pad ? "zero-padded" : "not zero-padded");
  }
  if (f.input_reuse && f.mmv > 1) reject(b, "input reuse with MMV {} > 1 is not built", f.mmv);
  if (f.input_reuse && f.early_exit) {
    reject(b, "input reuse and early exit on one layer are not built together");
  }
  if (f.input_reuse && f.weight_reuse) {
    reject(b, "input reuse and weight reuse on one layer are not built together");
  }
  b.early_exit = f.early_exit;
  b.weight_reuse = f.weight_reuse;
  b.input_reuse = f.input_reuse;
  b.pe = f.pe, b.simd = f.simd, b.mmv = f.mmv;
  b.dense_order = f.dense_order;
  b.mh_padded = static_cast<int>(rows), b.mw_padded = static_cast<int>(cols);
  b.in_elems = f.simd * f.mmv;
  b.out_elems = f.pe * f.mmv;
  b.in_pixels = b.out_pixels = f.mmv;
  b.cycles = b.nf() * b.sf() * b.pixels_out() / f.mmv;
}

// The largest divisor of n that is ≤ limit (stream words must tile a pixel's channels).
int divisor_at_most(int n, int limit) {
  for (int d = std::max(1, std::min(n, limit)); d > 1; --d) {
    if (n % d == 0) return d;
  }
  return 1;
}

// Elements per input word of `bits` bits: the most whole pixels that fit (a vector input: the
// most elements that fit and divide it).
int input_word_elems(const Block& b, int bits) {
  const int pixel_bits = (b.pixels_out() > 1 ? b.ofm_c : 1) * b.in_bits;
  if (bits < pixel_bits) {
    fail("input '{}': --input-bits {} is narrower than one {} of {} bits", b.name, bits,
         b.pixels_out() > 1 ? "pixel" : "element", pixel_bits);
  }
  if (b.pixels_out() == 1) return divisor_at_most(b.ofm_c, bits / b.in_bits);
  return static_cast<int>(std::min<std::int64_t>(b.pixels_out(), bits / pixel_bits)) * b.ofm_c;
}

// The fewest pixels a word, of those dividing its producer's, at which a max-pool or its border
// (b) reads and writes no more words a frame than the producer takes cycles: it then keeps the
// producer's pace, and a width converter in front narrows the words.
// A pool's banks, reads and runs grow with the pixels of its words (ResNet-18's pool1 behind a
// stem of MMV 16: 96,054 LUTs estimated at 16 pixels a word, 34,977 at 4 — at 3,249 cycles a
// frame, under the stem's 5,488; docs/latency-search.md, "Pools at their producer's pace").
int paced_pixels(Block b, const Block& producer) {
  const int group = producer.out_elems / producer.out_pixels;
  for (int p = 1; p < producer.out_pixels; ++p) {
    if (producer.out_pixels % p != 0) continue;
    b.in_pixels = b.out_pixels = p;
    b.in_elems = b.out_elems = p * group;
    if (b.kind == BlockKind::StreamingMaxPool) {
      b.out_pixels = static_cast<int>(std::min<std::int64_t>(b.pixels_out(), p));
      b.out_elems = b.out_pixels * group;
    }
    if (std::max(words_in(b), words_out(b)) <= producer.cycles) return p;
  }
  return producer.out_pixels;
}

// A block on the same pixels as its producer takes its pixel groups unchanged (a max-pool writes
// as many of its fewer output pixels a word, the last group shorter; it and its border take
// paced_pixels). False for one-pixel words.
bool keeps_pixels(Block& b, const Block& producer, PoolWords pool_words) {
  if (producer.out_pixels == 1 || b.kind == BlockKind::LabelSelect ||
      producer.pixels_out() != b.pixels_in() || producer.ofm_c != b.ifm_c) {
    return false;
  }
  b.in_pixels = b.out_pixels = producer.out_pixels;
  b.in_elems = b.out_elems = producer.out_elems;
  if (b.kind == BlockKind::StreamingMaxPool) {
    if (producer.kind != BlockKind::FmPadding && pool_words == PoolWords::Paced) {
      b.in_pixels = b.out_pixels = paced_pixels(b, producer);
      b.in_elems = b.out_elems = b.in_pixels * (producer.out_elems / producer.out_pixels);
    }
    b.out_pixels = static_cast<int>(std::min<std::int64_t>(b.pixels_out(), b.in_pixels));
    b.out_elems = b.out_pixels * (b.in_elems / b.in_pixels);
    // Output groups that stay in a row read their windows as runs (bnn_pixel_group's LINEAR):
    // CNV's pool1 at 4 pixels a word onto 14-pixel rows read per pixel (9,087 LUTs estimated).
    // So the most pixels a word that divide the row, when the pool still writes no more words
    // than it reads.
    if (b.ofm_w % b.out_pixels != 0) {
      Block runs = b;
      runs.out_pixels = divisor_at_most(b.ofm_w, b.out_pixels);
      runs.out_elems = runs.out_pixels * (b.in_elems / b.in_pixels);
      if (words_out(runs) <= words_in(runs)) b = runs;
    }
  }
  b.cycles = std::max(words_in(b), words_out(b));
  return true;
}

}  // namespace

Folding folding_of(const DataflowGraph& graph) {
  Folding folding;
  if (!graph.blocks.empty()) {
    const Block& input = graph.blocks[0];
    folding.input_elems = input.out_elems;
    // Pixels counted as such (--input-bits) stay so in folding.json: the bits they take.
    if (input.out_pixels > 1) folding.input_bits = input.out_elems * input.in_bits;
  }
  for (const Block& b : graph.blocks) {
    if (b.kind == BlockKind::StreamingMaxPool && b.producer_words)
      folding.pool_words = PoolWords::Producer;
  }
  for (int i : graph.mvtus()) {
    const Block& b = graph.blocks[i];
    folding.layers.push_back({b.name, b.pe, b.simd, b.mmv, b.mh_padded, b.mw_padded, b.dense_order,
                              b.early_exit, b.weight_reuse, b.input_reuse});
  }
  return folding;
}

DataflowGraph apply_folding(const DataflowGraph& graph, const Folding& folding) {
  DataflowGraph out;
  out.ir = graph.ir;
  out.blocks = fold_blocks(graph.blocks, folding);
  // Weight reuse's cycles follow from the weights, which the bare blocks do not hold.
  for (Block& b : out.blocks) {
    if (!b.weight_reuse) continue;
    const WeightReuseSchedule s =
        weight_reuse_schedule(out.ir.nodes[b.layer].weights(), b.pe, b.simd);
    b.reuse_vector_cycles = s.vector_cycles;
    b.reuse_groups = static_cast<int>(s.groups.size());
    b.reuse_synapses = s.positions;
    b.reuse_ideal_cycles = s.ideal_cycles;
    b.cycles = b.reuse_vector_cycles * b.pixels_out();
  }
  return out;
}

std::vector<Block> fold_blocks(std::vector<Block> blocks, const Folding& folding) {
  // 1. MVTUs take their folding.
  for (Block& b : blocks) {
    if (b.kind != BlockKind::Mvtu) continue;
    LayerFolding f{b.name};
    for (const LayerFolding& candidate : folding.layers) {
      if (candidate.name == b.name) f = candidate;
    }
    fold_mvtu(b, f);
  }
  // 2. Blocks feeding an MVTU (SWU, padding) stream its SIMD; the others keep their producer's
  //    width where it tiles their channels.
  for (int i = static_cast<int>(blocks.size()) - 2; i >= 0; --i) {
    Block& b = blocks[i];
    const Block& next = blocks[i + 1];
    if (b.kind != BlockKind::Swu && b.kind != BlockKind::FmPadding) continue;
    if (next.kind == BlockKind::StreamingMaxPool) continue;  // a padded pool's: below
    // The SWU writes MMV windows side by side (its padding the pixels the SWU reads). Both read
    // SIMD channels of up to MMV pixels a word: with stride S ≤ K the SWU reads S² pixels per
    // K² window taps, so it keeps up with its MVTU.
    b.out_pixels = next.in_pixels;
    b.out_elems = next.in_elems;
    int group = next.in_elems / next.in_pixels;
    std::int64_t in_pixels = next.in_pixels;
    if (b.kind == BlockKind::Swu && group > b.ifm_c) {
      // SIMD over kernel taps: t = SIMD / C taps a word, so fewer words a window. The SWU reads
      // whole pixels, enough a word that its S input rows per output row come in no more words
      // than the row's windows go out in: P ≥ S·W_in·t·MMV / (W_out·K²).
      const std::int64_t taps = group / b.ifm_c;
      in_pixels = std::max<std::int64_t>(
          next.in_pixels, ceil_div(std::int64_t{b.stride} * b.ifm_w * taps * next.in_pixels,
                                   std::int64_t{b.ofm_w} * b.kernel * b.kernel));
      group = b.ifm_c;
    }
    b.in_pixels = static_cast<int>(std::min(b.pixels_in(), in_pixels));
    b.in_elems = b.in_pixels * group;
  }
  // The padding in front of a max-pool (the lowering puts it right before its pool).
  const auto pool_border = [&](const Block& b) {
    const auto i = static_cast<std::size_t>(&b - blocks.data());
    return i + 1 < blocks.size() && blocks[i + 1].kind == BlockKind::StreamingMaxPool;
  };
  for (Block& b : blocks) {
    const Block* producer = b.inputs.empty() ? nullptr : &blocks[b.inputs[0]];
    switch (b.kind) {
      case BlockKind::Input: {
        const std::int64_t total = b.elements_out();
        int elems = folding.input_elems > 0 ? folding.input_elems : b.ofm_c;
        if (folding.input_bits > 0) elems = input_word_elems(b, folding.input_bits);
        if (total % elems != 0 && (b.pixels_out() == 1 || elems % b.ofm_c != 0)) {
          fail(
              "layer '{}': {} elements per input word must be whole pixels or divide the {} input "
              "elements",
              b.name, elems, total);
        }
        b.in_elems = b.out_elems = elems;
        // Whole pixels a word are a flat stream either way; counted as pixels (which a
        // thresholding then keeps) only when asked for by width, so that the searches' input
        // widths leave the blocks after the input as they were.
        b.in_pixels = b.out_pixels =
            folding.input_bits > 0 && b.pixels_out() > 1 ? elems / b.ofm_c : 1;
        b.cycles = words_out(b);
        break;
      }
      case BlockKind::Thresholding:
      case BlockKind::StreamingMaxPool:
      case BlockKind::LabelSelect:
      case BlockKind::Duplicate:
      case BlockKind::AddStreams:  // its second input gets a width converter when it differs
        if (b.kind == BlockKind::StreamingMaxPool)
          b.producer_words = folding.pool_words == PoolWords::Producer;
        if (keeps_pixels(b, *producer, folding.pool_words)) break;
        [[fallthrough]];
      case BlockKind::GlobalSumPool:  // one pixel a word (a width converter in front)
        b.in_elems = b.out_elems = divisor_at_most(b.ifm_c, producer->out_elems);
        if (b.kind == BlockKind::LabelSelect) b.out_elems = 1;
        b.cycles = b.elements_in() / b.in_elems;
        break;
      case BlockKind::FmPadding:
        // A padded max-pool's border block keeps its producer's width (a conv's takes SIMD), and
        // its pixel groups — as many as keep the producer's pace (paced_pixels): at one pixel a
        // word it would take ResNet-18's 114 × 114 padded map 12,996 cycles behind a stem of
        // MMV 4 or more.
        if (pool_border(b) && producer->out_pixels > 1 && producer->ofm_c == b.ifm_c &&
            producer->pixels_out() == b.pixels_in()) {
          b.in_pixels = b.out_pixels = producer->out_pixels;
          b.in_elems = b.out_elems = producer->out_elems;
          if (folding.pool_words == PoolWords::Paced) {
            b.in_pixels = b.out_pixels = paced_pixels(b, *producer);
            b.in_elems = b.out_elems = b.in_pixels * (producer->out_elems / producer->out_pixels);
          }
        } else if (pool_border(b)) {
          b.in_elems = b.out_elems = divisor_at_most(b.ifm_c, producer->out_elems);
        }
        b.cycles = std::max(words_in(b), words_out(b));
        break;
      case BlockKind::Swu:
        // Reads the image once and writes every window once.
        b.cycles = std::max(words_in(b), words_out(b));
        break;
      case BlockKind::Mvtu:
      case BlockKind::Dwc:
      case BlockKind::Count: break;
    }
  }
  // 3. Width converters where a producer's word differs from its consumer's.
  std::vector<Block> out;
  std::vector<int> index_map(blocks.size());
  for (int i = 0; i < static_cast<int>(blocks.size()); ++i) {
    Block b = blocks[i];
    for (std::size_t slot = 0; slot < b.inputs.size(); ++slot) {
      int& input = b.inputs[slot];
      input = index_map[input];
      const Block& producer = out[input];
      if (same_words(output_order(producer), input_order(b))) continue;
      Block dwc;
      dwc.name = b.name + (slot == 0 ? ".dwc" : fmt::format(".dwc{}", slot));
      dwc.kind = BlockKind::Dwc;
      dwc.inputs = {input};
      dwc.layer = b.layer;
      dwc.ifm_h = dwc.ofm_h = producer.ofm_h;
      dwc.ifm_w = dwc.ofm_w = producer.ofm_w;
      dwc.ifm_c = dwc.ofm_c = producer.ofm_c;
      dwc.in_bits = dwc.out_bits = producer.out_bits;
      dwc.in_elems = producer.out_elems;
      dwc.out_elems = b.in_elems;
      dwc.in_pixels = producer.out_pixels;
      // A consumer of the same pixels gets its pixel groups; a dense layer a run of its vector.
      const bool same_map = b.pixels_in() == producer.pixels_out() && b.ifm_c == producer.ofm_c;
      dwc.out_pixels = same_map ? b.in_pixels : 1;
      dwc.cycles = std::max(words_in(dwc), words_out(dwc));
      out.push_back(dwc);
      input = static_cast<int>(out.size()) - 1;
    }
    out.push_back(b);
    index_map[i] = static_cast<int>(out.size()) - 1;
  }
  return out;
}

}  // namespace bnnc
