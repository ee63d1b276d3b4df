// The loop order of each dense layer, for the latency objective (docs/dense-order.md).
//
// Output-stationary, a dense layer finishes (NF − 1)·SF cycles after its last input word: fed
// slowly (by a convolution's pipeline, or by an output-stationary dense layer that emits one
// group of rows every SF cycles) it must be unfolded far enough that its own frame is short. Input-
// stationary, it keeps pace with such a producer at any folding whose NF·SF fits the producer's
// frame and finishes NF cycles after the last word — but takes MH accumulators. Which is better
// depends on the producer's rate, so after choose_folding_for_latency has fixed the rest, each
// dense layer in turn (two sweeps, as a layer's best order depends on its producer's and its
// consumer's) tries both orders with every PE and SIMD: the estimated timeline ranks them, the
// few best by estimate (the lowest latency, and the cheapest within 1 % of it, per order) are
// measured, and a change is kept only when the measured latency falls by more than 0.5 %, or
// stays within 0.5 % and the design gets cheaper; never slower than the folding it starts from.
#pragma once

#include <cstdint>
#include <functional>

#include "fold/folding.h"

namespace bnnc {

struct DenseOrderSearch {
  std::function<bool(const Folding&)> fits;             // within the budget and the part
  std::function<std::int64_t(const Folding&)> latency;  // measured (or estimated) latency
  std::function<std::int64_t(const Folding&)> cost;     // LUTs + price · block RAM
};

Folding choose_dense_orders(const DataflowGraph& graph, Folding folding,
                            const DenseOrderSearch& search);

}  // namespace bnnc
