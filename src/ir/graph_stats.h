// What a network costs per frame and how many parameters it holds.
#pragma once

#include <cstdint>
#include <vector>

#include "ir/graph.h"

namespace bnnc {

struct LayerStats {
  int node = 0;
  std::int64_t macs = 0;  // multiply-accumulates per frame (binary or fixed-point input)
  std::int64_t weight_bits = 0;
  std::int64_t thresholds = 0;
};

struct GraphStats {
  std::vector<LayerStats> layers;  // one per node
  int compute_layers = 0;          // dense and conv2d layers
  std::int64_t macs = 0;
  std::int64_t ops = 0;  // 2 × MACs, as FINN counts
  std::int64_t weight_bits = 0;
  std::int64_t thresholds = 0;
  std::int64_t params() const { return weight_bits + thresholds; }
};

// Needs inferred types (infer_types).
GraphStats graph_stats(const Graph& graph);

// The number of classes: the length of the score vector the final labelselect reads, else the
// number of class names. Needs inferred types.
int class_count(const Graph& graph);

}  // namespace bnnc
