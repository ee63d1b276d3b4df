// Which matrix layers get the input-reuse MVTU (sim/input_reuse_mvtu.h), for
// `bnnc compile --reuse input`: every layer that can take it (Block::can_reuse_inputs, MMV 1,
// no early exit and no weight reuse already on it); the others keep their unit.
#pragma once

#include "fold/dataflow_graph.h"
#include "fold/folding.h"

namespace bnnc {

Folding with_input_reuse(const DataflowGraph& lowered, Folding folding);

}  // namespace bnnc
