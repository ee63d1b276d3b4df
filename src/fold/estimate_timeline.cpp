#include "fold/estimate_timeline.h"

#include <algorithm>

namespace bnnc {

namespace {

// Cycles a block works, after its first input word, before it can emit its first output.
std::int64_t startup(const Block& b) {
  const std::int64_t words_per_pixel = std::max(1, b.ifm_c / std::max(1, b.in_elems));
  switch (b.kind) {
    case BlockKind::Swu:
    case BlockKind::StreamingMaxPool:
      // K − 1 full rows and K pixels of the next one.
      return ((b.kernel - 1) * static_cast<std::int64_t>(b.ifm_w) + b.kernel) * words_per_pixel;
    case BlockKind::Mvtu: return b.nf() * b.sf();  // one output pixel's worth of work
    case BlockKind::LabelSelect: return b.cycles;  // needs every score
    case BlockKind::Input:
    case BlockKind::Thresholding:
    case BlockKind::FmPadding:
    case BlockKind::Dwc:
    case BlockKind::Count: break;
  }
  return 1;
}

}  // namespace

Timeline estimate_timeline(const DataflowGraph& graph) {
  Timeline t;
  t.blocks.resize(graph.blocks.size());
  for (std::size_t i = 0; i < graph.blocks.size(); ++i) {
    const Block& b = graph.blocks[i];
    BlockTiming& timing = t.blocks[i];
    std::int64_t producer_end = 0;
    for (int input : b.inputs) {
      const BlockTiming& p = t.blocks[input];
      timing.start = std::max(timing.start, p.start + startup(graph.blocks[input]));
      producer_end = std::max(producer_end, p.end);
    }
    // It cannot run faster than its own rate, nor finish before its last input arrived.
    const std::int64_t tail = b.kind == BlockKind::Mvtu ? b.nf() * b.sf() : 1;
    timing.end = std::max(timing.start + b.cycles, producer_end + tail);
  }
  t.latency = t.blocks.empty() ? 0 : t.blocks.back().end;
  return t;
}

}  // namespace bnnc
