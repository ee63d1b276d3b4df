// The float reference: an interpreter of the graph as trained (batch-norm in floating point),
// the yardstick the streamliner is tested against. It holds real values: a bit is ±1.0, a fixed
// point raw value r is r / 2^F, a popcount layer yields the signed dot product 2P − N.
//
// Dot products are summed in double: every term is ±x with x a bit or a short fixed-point value,
// so the sum is exact and converts to float exactly as the streamliner's integer→real map does.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "ir/graph.h"

namespace bnnc {

struct FloatTensor {
  TensorType type;
  std::vector<float> values;  // real values; bits as ±1
};

struct FloatResult {
  int label = -1;
  std::vector<float> scores;  // the labelselect's input (+ its bias)
};

// Runs every layer on one image; accepts un-streamlined graphs (batchnorm, sign) and integer
// ones except threshold, whose input domain the float view does not know.
std::vector<FloatTensor> run_float_layers(const Graph& graph, std::span<const std::uint8_t> image);

FloatResult run_float_reference(const Graph& graph, std::span<const std::uint8_t> image);

}  // namespace bnnc
