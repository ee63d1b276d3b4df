// Per-layer balancing for the latency objective (docs/latency-search.md).
//
// A common cycle limit for every layer (choose_folding_for_limits) balances the pipeline, but
// the latency of one frame is not its bottleneck: the first layer's rows set when everything
// downstream can start, and each layer after the slowest adds the drain of its last rows. So
// from a folding that fits, balance_latency makes greedy moves, each the one with the most
// estimated latency saved per resource it costs (LUTs + price · BRAM18), among:
//   - one layer faster: its next few cycle levels (cycle_levels), each at its least parallelism
//     (PE · SIMD · MMV, MMV dividing the output width, PE the rows, SIMD the input channels or,
//     on any conv, t of its kernel taps: SIMD = t·C, t dividing K²), or a wider input word
//     (whole pixels, up to max_input_elems);
//   - the slowest layers together: every MVTU above a lower cap moved under it (the move that
//     breaks a tie a one-layer move cannot);
// until no move fits the budget or shortens the estimated latency; then, out of the local
// optimum, one layer slowed and the descent run again, and with `trades` one layer faster paid
// for by another slower in one move (docs/latency-search.md, "Trades"). The estimate
// (estimate_timeline) ranks the moves; the caller measures the results.
#pragma once

#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "fold/folding.h"

namespace bnnc {

struct BalanceSearch {
  std::function<bool(const Folding&)> fits;          // within the budget and the part
  std::function<std::int64_t(const Folding&)> cost;  // LUTs + price · block RAM
  int max_input_elems = 0;                           // the widest input word; 0 = any
  bool trades = false;  // also trade one layer's speed for another's (balance_latency.cpp)
};

Folding balance_latency(const DataflowGraph& graph, Folding start, const BalanceSearch& search);

// An MVTU's foldings by cycle count, ascending: at each the least parallel (PE · SIMD · MMV),
// then the least MMV (its line buffers and converters cost most), then the MVTU's least
// estimated LUTs + price · BRAM18 (a PE's accumulator and comparator are paid per PE, so fewer,
// wider PEs cost less), then the least SIMD; and after it, at the same cycle count, the MVTU's
// cheapest folding when that is another (more MMV, so narrower weight memories). `current`
// gives the dense order kept.
std::vector<std::pair<std::int64_t, LayerFolding>> cycle_levels(const Block& mvtu,
                                                                const LayerFolding& current);

}  // namespace bnnc
