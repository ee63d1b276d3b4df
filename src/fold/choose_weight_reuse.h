// Which matrix layers get the weight-reuse MVTU (fold/weight_reuse_schedule.h), for
// `bnnc compile --reuse weight|auto`.
//
//   weight  every layer that can take it (Block::can_reuse_weights, MMV 1, the output-stationary
//           order, no early exit and no input reuse already on it);
//   auto    only where it pays: the candidates are the layers whose schedule is shorter than
//           their plain NF·SF; taking them slowest layer first (a layer faster than the
//           bottleneck gains the network nothing), the first k for the k whose design has the
//           best estimated frames/s per LUT — and none unless that design is faster than the
//           plain one and at least as area-efficient.
#pragma once

#include "fold/dataflow_graph.h"
#include "fold/device.h"
#include "fold/folding.h"

namespace bnnc {

// Input: the input-reuse MVTU instead (fold/choose_input_reuse.h); no weight reuse.
enum class ReuseMode { Off, Weight, Auto, Input };

Folding with_weight_reuse(const DataflowGraph& lowered, Folding folding, ReuseMode mode,
                          const Device* device = nullptr);

}  // namespace bnnc
