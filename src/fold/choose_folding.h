// Choosing a folding for the whole network.
//
// choose_folding_for_cycles: the cheapest folding whose bottleneck is at most `max_cycles`
// (from --target-fps F --clock-mhz M: max_cycles = M·10^6 / F). Unlike FINN's SetFolding, which
// raises each layer's parallelism alone and ignores resources, this is one search over the
// whole chain: a dynamic programme over the MVTUs in order whose state is the previous MVTU's
// folding, so the cost of each layer includes the blocks between it and the previous one — the
// SWU and padding at its SIMD, the pool at the previous PE, and the width converter that a PE
// ≠ SIMD boundary needs. Cost = LUTs + kLutsPerBram18 · BRAM18.
//
// choose_folding_for_latency: the folding with the smallest bottleneck whose estimate fits a
// budget (binary search on the bottleneck over choose_folding_for_cycles). Lowering the
// bottleneck evens the layers out (each gets just enough parallelism to meet it), which is what
// shortens the pipeline's latency (LP-BNN's load balancing).
#pragma once

#include <cstdint>

#include "fold/estimate_resources.h"
#include "fold/folding.h"

namespace bnnc {

inline constexpr std::int64_t kLutsPerBram18 = 300;

// Throws bnnc::Error naming the layer that cannot reach max_cycles even fully unfolded.
Folding choose_folding_for_cycles(const DataflowGraph& graph, std::int64_t max_cycles);

struct Budget {
  std::int64_t luts = 0;    // 0 = unlimited
  std::int64_t bram18 = 0;  // 0 = unlimited
};

// Throws bnnc::Error when even the slowest folding does not fit the budget.
Folding choose_folding_for_latency(const DataflowGraph& graph, const Budget& budget);

}  // namespace bnnc
