// Streamlining a residual join: the float chain
//     producer_a → steps_a ─┐
//                           add → steps → sign                 (float graph, as trained)
//     producer_v → steps_v ─┘
// becomes
//     producer_a ─┐
//                 add (offsets: −T[c][v]) → threshold (0)      (integer-only)
//     producer_v ─┘
// with one exact threshold T[c][v] on producer_a's integer a per channel c and per value v of
// the shortcut producer_v: for fixed v the float chain is monotone in a, so its sign is a step
// in a, found by searching the float chain itself (docs/residual.md derives it). The shortcut
// (in1) is the branch with fewer values: ±1 activations (an identity shortcut) or the smaller
// accumulator (a projection's 1×1 conv). The add keeps its name, the threshold the sign's.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "ir/graph.h"

namespace bnnc {

// `add` is a float add (an imported graph's join), `steps` the batchnorms and affines from it to
// `sign`. Needs inferred types. Throws bnnc::Error naming the layer when the join cannot become
// integer-only (a branch without integer values, a shortcut with too many values, a sum read by
// other layers too).
Graph fold_residual_join(const Graph& graph, int add, const std::vector<int>& steps, int sign);

// The maths of one channel: for each shortcut value v in [v_lo, v_hi], the smallest a in
// [a_lo, a_hi + 1] where fires(a, v) (a_hi + 1: never), fires non-decreasing in a for each v.
std::vector<std::int64_t> join_thresholds(
    std::int64_t a_lo, std::int64_t a_hi, std::int64_t v_lo, std::int64_t v_hi,
    const std::function<bool(std::int64_t a, std::int64_t v)>& fires);

}  // namespace bnnc
