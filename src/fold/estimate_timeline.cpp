#include "fold/estimate_timeline.h"

#include <algorithm>

namespace bnnc {

namespace {

std::int64_t pixels_out(const Block& b) { return static_cast<std::int64_t>(b.ofm_h) * b.ofm_w; }

// The fraction of its input frame a block must have read before it can emit its first output.
double needed_fraction(const Block& b) {
  const double in_pixels = static_cast<double>(b.ifm_h) * b.ifm_w;
  switch (b.kind) {
    case BlockKind::Swu:
    case BlockKind::StreamingMaxPool:
      // K − 1 full rows and K pixels of the next one.
      return std::min(1.0, ((b.kernel - 1) * static_cast<double>(b.ifm_w) + b.kernel) / in_pixels);
    case BlockKind::Mvtu: return 1.0 / static_cast<double>(pixels_out(b));  // one window
    case BlockKind::LabelSelect: return 1.0;                                // every score
    case BlockKind::Thresholding:
    case BlockKind::Dwc: return 1.0 / in_pixels;  // one pixel
    case BlockKind::FmPadding:                    // the border comes first, from nothing
    case BlockKind::Input:
    case BlockKind::Count: break;
  }
  return 0.0;
}

// Cycles a block still works after its last input arrived: one output pixel's worth.
std::int64_t tail(const Block& b) {
  if (b.kind == BlockKind::Mvtu) return b.nf() * b.sf();
  return std::max<std::int64_t>(1, b.cycles / std::max<std::int64_t>(1, pixels_out(b)));
}

}  // namespace

Timeline estimate_timeline(const DataflowGraph& graph) {
  Timeline t;
  t.blocks.resize(graph.blocks.size());
  for (std::size_t i = 0; i < graph.blocks.size(); ++i) {
    const Block& b = graph.blocks[i];
    BlockTiming& timing = t.blocks[i];
    std::int64_t producer_end = 0;
    // A producer emits its frame spread over [start, end] (at its own rate, or at a slower
    // consumer's), so the part a block needs first arrives that fraction of the way through.
    for (int input : b.inputs) {
      const BlockTiming& p = t.blocks[input];
      const auto needed =
          static_cast<std::int64_t>(needed_fraction(b) * static_cast<double>(p.end - p.start));
      timing.start = std::max(timing.start, p.start + needed + 1);
      producer_end = std::max(producer_end, p.end);
    }
    // It cannot run faster than its own rate, nor finish before its last input arrived.
    timing.end = std::max(timing.start + b.cycles, producer_end + tail(b));
  }
  t.latency = t.blocks.empty() ? 0 : t.blocks.back().end;
  return t;
}

}  // namespace bnnc
