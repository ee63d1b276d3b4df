// The back end as one function, as Halide's lower() is for its passes: a network and a folding
// request in, a Design out. Its body is the one ordered list of the back end's stages; the
// commands and the tests call it rather than rebuilding the order.
#pragma once

#include "design/design.h"

namespace bnnc {

// Whether stage 7 runs one frame through the cycle simulator (what compile reports), or the
// design keeps the analytic timeline only (load_design: the commands that run a design measure
// it themselves).
enum class FrameTiming { Simulated, EstimateOnly };

// Throws bnnc::Error when the network cannot be lowered, the folding file does not fit it or no
// folding meets the request.
Design compile_design(const Graph& graph, const FoldingRequest& request,
                      FrameTiming timing = FrameTiming::Simulated);

}  // namespace bnnc
