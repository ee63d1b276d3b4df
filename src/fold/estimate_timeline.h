// An analytic timeline of one frame through the pipeline: when each block starts and finishes,
// counted in cycles from the first input word. Blocks overlap: a block starts as soon as its
// producer has emitted the first thing it needs (a SWU: K − 1 rows and K pixels of the image;
// an MVTU: one window; a dense layer: the whole vector), not when its producer has finished —
// so the latency is far below the sum of the blocks' cycles (the LP-BNN effect, DESIGN.md §3).
// A producer's output is taken as spread evenly over its busy span, so a slow producer delays
// its consumer's start in proportion — except its last row, which comes in the cycles it takes to
// emit one row (behind a stride, a burst shorter than the rows' period), and a padding's border,
// which costs a word a cycle like its other words; behind a window or pool that leaves input rows
// unread, consumers count from its last output (docs/latency-search.md). The cycle simulator
// measures the real timeline (src/sim/measure_timeline.h); `bnnc compile` reports both.
#pragma once

#include <cstdint>
#include <vector>

#include "fold/dataflow_graph.h"

namespace bnnc {

struct BlockTiming {
  std::int64_t start = 0;  // first cycle the block works on this frame
  std::int64_t end = 0;    // cycle after its last output of this frame
};

struct Timeline {
  std::vector<BlockTiming> blocks;
  std::int64_t latency = 0;  // first input word in → class out
};

Timeline estimate_timeline(const DataflowGraph& graph);

}  // namespace bnnc
