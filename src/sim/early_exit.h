// Early termination (O3BNN, Geng et al. 2019): an output that ends in a threshold is decided as
// soon as its running sum has reached the threshold or can no longer reach it, so the synapses
// after that point need not be read; an OR max-pool window is decided by its first 1 (an AND
// window by its first 0).
//
// In the signed domain a synapse adds +1 (input bit = weight bit) or −1 (they differ), and 0 when
// it lies in a zero-padded border (ir/op.h, PadMode::Zero). After the first k synapses, with sum
// y_k and r_k real synapses still to come, the final y lies in [y_k − r_k, y_k + r_k], so
//     y ≥ T is certain once y_k − r_k ≥ T,   and impossible once y_k + r_k < T.
// A popcount threshold P ≥ T over N synapses is the same rule with y = 2P − N and T_y = 2T − N.
#pragma once

#include <cstdint>
#include <span>

namespace bnnc {

// The number of synapses k (0..n) an output reads, in order, before it is decided: the first k
// at which one of the rules above holds (n if only the last synapse decides it). x and w are the
// packed window and kernel row, valid marks the real synapses (all n of them unless the layer
// pads with zeros), threshold is T_y on y.
int synapses_until_decided(const std::uint64_t* x, const std::uint64_t* w,
                           const std::uint64_t* valid, int n, std::int64_t threshold);

// The inputs a max-pool window reads, in order, before it is decided: up to and including the
// first 1 (or the first 0 for a channel that takes the minimum, AND on bits); all of them when
// there is none.
int pool_inputs_until_decided(std::span<const std::int64_t> window, bool take_min);

}  // namespace bnnc
