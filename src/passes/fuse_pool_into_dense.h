// A global sum pool and the dense layer after it as one dense layer on the pool's input
// (docs/latency-search.md, "The pool in the FC").
#pragma once

#include <optional>

#include "ir/graph.h"

namespace bnnc {

// ResNet's tail, GlobalSumPool on ±1 pixels x_p (H·W of them, C channels each) → Dense W
// (binary, O × C) → LabelSelect, computes per class the integer
//   y_j = Σ_c w_jc · S_c,  S_c = Σ_p x_pc,   so   y_j = Σ_p Σ_c w_jc · x_pc = 2·P_j − N,
// where P_j is the popcount of XNOR(x, W'_j) over the N = H·W·C bits of the flattened input and
// W' repeats W's row once per pixel (column p·C + c holds w_jc). So the pool and the dense layer
// are one binary dense layer on the flattened pixels, with W' — which a streaming design runs
// input-stationary as the pixels arrive instead of after the last (the pool waits for every pixel,
// the dense layer for every sum) — and the label-select's scores y_j·2^s + b_j become
// P_j·2^(s+1) + (b_j − N·2^s): every score the same integer as before (a missing bias is 0).
// The weights grow H·W times (ResNet-18: 512,000 bits → 25,088,000).
//
// Returns the rewritten graph, or nothing when the graph does not end in that pattern (an
// optional Reshape between pool and dense; the pool's input bits, the dense layer's weights
// binary; each read by the next alone) or the shift would pass kMaxLabelShift.
std::optional<Graph> fuse_pool_into_dense(const Graph& graph);

}  // namespace bnnc
