// Streamlining's core pass: every chain
//     producer → [maxpool] → batchnorm* → sign            (float graph, as trained)
// becomes
//     producer → threshold → [maxpool with OR/AND per channel]       (integer-only)
// where producer is any layer with integer values (popcount, fixed-point accumulator, pixels,
// bits). The output bits equal the float reference's, ties included (the maths is derived in
// the .cpp). The node that yields what the sign yielded keeps the sign's name (the threshold, or
// the pool after it, with the threshold then named "<sign>.threshold"), so tests can compare the
// two graphs layer by layer. A chain whose producer is a float add (a residual join) is folded by
// fold_residual_join (fold_residual_join.h).
#pragma once

#include "ir/graph.h"

namespace bnnc {

Graph fold_sign_into_threshold(const Graph& graph);

}  // namespace bnnc
