// Random foldings for the engine tests: any legal folding must leave a network's answers alone.
#pragma once

#include <random>

#include "fold/folding.h"

namespace bnnc::test {

// Random PE/SIMD (divisors, so no padding rules are broken) for every MVTU of `graph`, and a
// random input width.
Folding random_folding(const DataflowGraph& graph, std::mt19937_64& rng);

// The same with pixel-parallel streams (docs/pixel-parallel.md): a random MMV (a divisor of the
// output width) on every convolution whose PE divides its rows, and a random input width in bits
// (0 = one pixel a word).
Folding random_pixel_folding(const DataflowGraph& graph, std::mt19937_64& rng);

// random_pixel_folding with SIMD over kernel taps (docs/pixel-parallel.md): each convolution
// takes, two times in three, SIMD = t·C for a random t > 1 dividing K² (when K > 1).
Folding random_taps_folding(const DataflowGraph& graph, std::mt19937_64& rng);

// Sets every dense layer of `folding` (the MVTUs of `graph` that are not convolutions) to a
// random loop order, input- or output-stationary (docs/dense-order.md); returns how many run
// input-stationary.
int random_dense_orders(Folding& folding, const DataflowGraph& graph, std::mt19937_64& rng);

}  // namespace bnnc::test
