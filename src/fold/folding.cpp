#include "fold/folding.h"

#include <algorithm>

#include "core/ceil_div.h"

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
  if (conv && b.simd_channels() % f.simd != 0) {
    reject(b,
           "SIMD {} must divide the input channels {} (the SWU emits one channel group at a "
           "time)",
           f.simd, b.simd_channels());
  }
  if (f.mmv > 1 && (!conv || b.ofm_w % f.mmv != 0)) {
    reject(b, "MMV {} must divide the output width {} of a convolution", f.mmv, b.ofm_w);
  }
  if (f.early_exit && !b.can_exit_early()) {
    reject(b,
           "early exit needs a binary-input layer ending in thresholds without zero padding "
           "(this one: {}-bit input, {}, {})",
           b.in_bits, b.threshold >= 0 ? "thresholds" : "no thresholds",
           b.zero_pad ? "zero-padded" : "not zero-padded");
  }
  if (f.early_exit && f.mmv > 1) reject(b, "early exit with MMV {} > 1 is not built", f.mmv);
  b.early_exit = f.early_exit;
  b.pe = f.pe, b.simd = f.simd, b.mmv = f.mmv;
  b.mh_padded = static_cast<int>(rows), b.mw_padded = static_cast<int>(cols);
  b.in_elems = f.simd * f.mmv;
  b.out_elems = f.pe * f.mmv;
  b.cycles = b.nf() * b.sf() * b.pixels_out() / f.mmv;
}

// The largest divisor of n that is ≤ limit (stream words must tile a pixel's channels).
int divisor_at_most(int n, int limit) {
  for (int d = std::max(1, std::min(n, limit)); d > 1; --d) {
    if (n % d == 0) return d;
  }
  return 1;
}

}  // namespace

Folding folding_of(const DataflowGraph& graph) {
  Folding folding;
  if (!graph.blocks.empty()) folding.input_elems = graph.blocks[0].out_elems;
  for (int i : graph.mvtus()) {
    const Block& b = graph.blocks[i];
    folding.layers.push_back({b.name, b.pe, b.simd, b.mmv, b.mh_padded, b.mw_padded, b.early_exit});
  }
  return folding;
}

DataflowGraph apply_folding(const DataflowGraph& graph, const Folding& folding) {
  DataflowGraph out;
  out.ir = graph.ir;
  out.blocks = fold_blocks(graph.blocks, folding);
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
    if (b.kind != BlockKind::Swu && b.kind != BlockKind::FmPadding) continue;
    const Block& next = blocks[i + 1];
    if (b.kind == BlockKind::Swu) {
      b.out_elems = next.in_elems;            // MMV windows side by side
      b.in_elems = next.in_elems / next.mmv;  // reads SIMD channels of one pixel at a time
    } else {
      b.in_elems = b.out_elems = next.in_elems;
    }
  }
  for (Block& b : blocks) {
    const Block* producer = b.inputs.empty() ? nullptr : &blocks[b.inputs[0]];
    switch (b.kind) {
      case BlockKind::Input: {
        const std::int64_t total = b.elements_out();
        const int elems = folding.input_elems > 0 ? folding.input_elems : b.ofm_c;
        if (total % elems != 0) {
          fail("layer '{}': {} elements per input word must divide the {} input elements", b.name,
               elems, total);
        }
        b.in_elems = b.out_elems = elems;
        b.cycles = total / elems;
        break;
      }
      case BlockKind::Thresholding:
      case BlockKind::StreamingMaxPool:
      case BlockKind::LabelSelect:
      case BlockKind::Duplicate:
      case BlockKind::AddStreams:  // its second input gets a width converter when it differs
        b.in_elems = b.out_elems = divisor_at_most(b.ifm_c, producer->out_elems);
        if (b.kind == BlockKind::LabelSelect) b.out_elems = 1;
        b.cycles = b.elements_in() / b.in_elems;
        break;
      case BlockKind::FmPadding: b.cycles = b.elements_out() / b.out_elems; break;
      case BlockKind::Swu:
        // Reads the image once and writes every window once.
        b.cycles = std::max(b.elements_in() / b.in_elems, b.elements_out() / b.out_elems);
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
      if (producer.out_elems == b.in_elems) continue;
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
      dwc.cycles = ceil_div(dwc.elements_out(), std::min(dwc.in_elems, dwc.out_elems));
      out.push_back(dwc);
      input = static_cast<int>(out.size()) - 1;
    }
    out.push_back(b);
    index_map[i] = static_cast<int>(out.size()) - 1;
  }
  return out;
}

}  // namespace bnnc
