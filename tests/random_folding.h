// Random foldings for the engine tests: any legal folding must leave a network's answers alone.
#pragma once

#include <random>

#include "fold/folding.h"

namespace bnnc::test {

// Random PE/SIMD (divisors, so no padding rules are broken) for every MVTU of `graph`, and a
// random input width.
Folding random_folding(const DataflowGraph& graph, std::mt19937_64& rng);

}  // namespace bnnc::test
