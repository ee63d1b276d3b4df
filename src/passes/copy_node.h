// Rebuilding a graph node by node (the sign-folding passes): a node carried over unchanged except
// for its inputs' new indices, and perhaps its weight rows negated.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "ir/graph.h"

namespace bnnc {

// Appends a copy of `node` to `out` with its inputs mapped through `index_map` (old index → new)
// and, given `negate_rows`, the weight rows c with negate_rows[c] ≠ 0 negated; returns its index.
inline int copy_node(Graph& out, const Node& node, const std::vector<int>& index_map,
                     const std::vector<std::uint8_t>* negate_rows = nullptr) {
  Node copy = node;
  for (int& input : copy.inputs) input = index_map[input];
  if (negate_rows != nullptr) {
    BinaryMatrix& weights = copy.weights();
    for (int c = 0; c < static_cast<int>(negate_rows->size()); ++c) {
      if ((*negate_rows)[c] != 0) weights.negate_row(c);
    }
  }
  out.nodes.push_back(std::move(copy));
  return out.output();
}

}  // namespace bnnc
