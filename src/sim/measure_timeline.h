// The timeline of one frame, measured: the cycle simulator runs a single frame through the
// folded design (the plain units' timing does not depend on pixel values, so by default the
// frame is all zeros; the early-exit and input-reuse units' does, and `bnnc compile` then gives
// its first calibration image when it has one) and records when each block is busy and when the
// class comes out. This is the latency DESIGN.md §3 asks
// for — layers overlap inside a frame, so it is measured, not summed — and what
// `bnnc compile` reports and the latency objective minimises.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "fold/dataflow_graph.h"
#include "fold/estimate_timeline.h"

namespace bnnc {

// The measured timeline (BlockTiming.end is one past the last busy cycle), with the FIFO depths
// of size_fifos (optional: the latency search treats a design without one as unmeasurable).
// `frame`: the input pixels (the network's input size); empty: all zeros.
std::optional<Timeline> measure_frame_timeline(const DataflowGraph& graph,
                                               std::span<const std::uint8_t> frame = {});

}  // namespace bnnc
