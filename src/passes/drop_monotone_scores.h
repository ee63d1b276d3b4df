// Removes the float steps (affines, batchnorms) between the last integer layer and the
// label-select where they cannot change the class.
#pragma once

#include "ir/graph.h"

namespace bnnc {

// The label-select takes the argmax of its scores, ties to the lowest index. A chain f of float
// steps before it keeps every argmax exactly when f is one function for all classes (scalar
// constants, or a batchnorm whose parameters are equal across channels) that is strictly
// increasing on the integers x the layer before can produce: then f(x_a) > f(x_b) ⇔ x_a > x_b
// and f(x_a) = f(x_b) ⇔ x_a = x_b, so the order and the ties of the scores are the same. Float
// rounding could merge two neighbouring integers into one value (a new tie) or a negative scale
// could reverse the order, so f is evaluated at every integer of the domain rather than trusted.
// Otherwise, positive scalar scales and then one per-class Add (a bnnc export's label-select
// bias; the fc with a bias after a global average pool) become the label-select's integer bias
// and shift, which compare x_c + b_c/scale exactly (exact_label_bias.h).
// A chain that fails this is left in place (the streamliner then names it as what blocks).
Graph drop_monotone_scores(const Graph& graph);

}  // namespace bnnc
