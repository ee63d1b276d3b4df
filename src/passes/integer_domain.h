// What the integers of the golden model mean as real numbers.
//
// Every integer-valued tensor of a graph (pixels, fixed-point values, popcounts, accumulators,
// bits) stands for real values real = scale·x + offset, which is what the float reference holds
// for the same tensor:
//   uint8 pixels          scale 1,      offset 0
//   fixed<W,F>            scale 2^−F,   offset 0
//   bits                  scale 2,      offset −1       (bit 1 = +1, bit 0 = −1)
//   popcount over N bits  scale 2,      offset −N       (P matches → dot product 2P − N)
//   accumulator of ±x     the scale of x, offset 0      (only when x's offset is 0)
//   zero-padded conv      scale 1,      offset 0        (y = Σ ±1 over the valid synapses,
//   on bits                                              in [−N, N]; ir/op.h PadMode::Zero)
// The streamliner uses this to evaluate the float graph at every integer a layer can produce.
#pragma once

#include <cstdint>
#include <optional>

#include "ir/graph.h"

namespace bnnc {

struct IntegerDomain {
  double scale = 1.0;
  double offset = 0.0;
  std::int64_t lo = 0;  // every value the tensor can hold lies in [lo, hi]
  std::int64_t hi = 0;

  // The float the float reference holds for integer x (exact for the ranges bnnc meets).
  float real(std::int64_t x) const {
    return static_cast<float>(scale * static_cast<double>(x) + offset);
  }
};

// The domain of node `index`'s output, or nothing when its values are not integers with a fixed
// affine meaning (float tensors, sums of popcounts, ...). Needs inferred types.
std::optional<IntegerDomain> integer_domain(const Graph& graph, int index);

}  // namespace bnnc
