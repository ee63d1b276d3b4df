// The streamlining pipeline: a trained (float) graph → an integer-only graph the golden model,
// the CPU engine and the hardware run. The passes, in the order they must run:
//   1. fold_sign_into_threshold: batchnorm (+bias) + sign → integer thresholds; max-pools inside
//      those chains move after the threshold as OR/AND (needs inferred types: it evaluates the
//      float graph at the integers each producer can yield). A chain that starts at a residual
//      add goes to fold_residual_join: thresholds selected by the shortcut's value. Signs are
//      taken in graph order, so a join's shortcut bits are already a threshold when it is met.
//   2. check that no float op is left: a batchnorm without a following sign (e.g. before the
//      label-select) cannot become integer yet, and is reported with the first node that blocks.
#pragma once

#include "ir/graph.h"

namespace bnnc {

// Returns the streamlined graph with inferred types. Throws bnnc::Error naming the first layer
// that cannot become integer-only.
Graph streamline(const Graph& graph);

}  // namespace bnnc
