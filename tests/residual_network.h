// A residual block as a hand-built integer-only network, for the tests of forks and joins in
// every engine (tests/golden/residual_dataflow_test.cpp, tests/rtl/rtl_residual_test.cpp).
#pragma once

#include <cstdint>
#include <vector>

#include "ir/graph.h"

namespace bnnc::test {

struct Residual {
  Graph graph;
  std::vector<std::vector<std::uint8_t>> images;
};

// input uint8 [S,S,4] → threshold → fork:
//   long branch:  3×3 conv (pad 1 by −1, stride) → threshold → 3×3 conv (pad 1 by −1)   (popcounts)
//   bypass:       1×1 conv (stride)                                                     (popcounts)
// → add → threshold → 2×2 max-pool → flatten → dense 10 → labelselect. Integer-only, random
// weights; thresholds at the middle of each popcount's range so the bits vary. `images` random
// images. With `identity` (stride 1, 4 channels) the bypass is the bits themselves; with
// `zero_pad` both 3×3 convs pad with zeros (PyTorch's default) instead of −1.
Residual residual_network(std::uint64_t seed, int size, int stride, int channels, int images = 6,
                          bool identity = false, bool zero_pad = false);

// Gives the join ("add") a random table on its shortcut (ir/op.h AddAttrs, as the streamliner
// writes for a residual block from PyTorch) and sets the threshold after it to 0: offsets around
// −(the middle of the long branch's values), so that the join's bits vary.
void add_join_table(Residual& net, std::uint64_t seed);

// input uint8 [S,S,4] → threshold → 3×3 conv (pad 1 by −1, C channels) → threshold → global sum
// pool → flatten → dense 10 (binary weights on the integer sums) → labelselect with `bias` (empty
// or one per class) and `shift`; 8 random images. ResNet's tail, for the pool in the FC
// (passes/fuse_pool_into_dense.h).
Residual pooled_network(std::uint64_t seed, int size, int channels, std::vector<std::int64_t> bias,
                        int shift);

}  // namespace bnnc::test
