// Lowering: a streamlined (integer-only) graph → the dataflow graph of streaming blocks, every
// block with the trivial folding (PE = SIMD = 1). apply_folding() then sets the parallelism.
//
//   input [+ quantize]          → Input
//   threshold (not after a matrix layer) → Thresholding
//   conv2d [+ threshold]        → [FMPadding] → SWU → MVTU (threshold fused; zero padding:
//                                 the MVTU masks the border taps, docs/zero-padding.md)
//   dense [+ threshold]         → MVTU (threshold fused)
//   maxpool                     → StreamingMaxPool
//   reshape                     → nothing: HWC streams flatten in the order they already have
//   labelselect                 → LabelSelect
#pragma once

#include "fold/dataflow_graph.h"

namespace bnnc {

// Throws bnnc::Error naming the first layer the dataflow compiler cannot lower.
DataflowGraph lower_to_dataflow(const Graph& graph);

}  // namespace bnnc
