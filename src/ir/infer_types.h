// Shape and type inference, and the verifier's rules.
//
// infer_types() walks the graph in order, checks every node against the rules of its op (arity,
// input types, weight sizes, kernel fits the image, parameter vector lengths, ...) and sets each
// node's output type. A broken rule throws bnnc::Error naming the layer, the rule and the values:
//   layer 'conv2' (conv2d): weight columns must equal kernel·kernel·channels: 576 != 3·3·32
#pragma once

#include "ir/graph.h"

namespace bnnc {

void infer_types(Graph& graph);

// Checks a graph without changing it: infer_types() on a copy, and the stored types must equal
// the inferred ones.
void verify_graph(const Graph& graph);

}  // namespace bnnc
