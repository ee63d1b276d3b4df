// The text form of the IR: one line per layer, `name = op(inputs) attributes -> type`.
// Large arrays print as their size and a content digest, so two graphs print the same text
// exactly when they compute the same function with the same parameters (what pass tests compare).
//
//   conv1 = conv2d(thr0) kernel=3 stride=1 pad=0 weights=64x576#5c1e09aa -> uint10[28,28,64]
#pragma once

#include <string>

#include "ir/graph.h"

namespace bnnc {

std::string print_graph(const Graph& graph);
std::string print_node(const Graph& graph, const Node& node);

}  // namespace bnnc
