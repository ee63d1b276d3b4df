// FIFO depths from each block's token-rate model, so that no block waits for room that a deeper
// FIFO would have given it.
//
// An MVTU reads a whole input vector (⌈MW/SIMD⌉ words) in the first SF cycles of a pixel and
// then computes for (NF − 1)·SF cycles without reading. While it computes, its producer must be
// able to deliver the next vector, so the FIFO in front of an MVTU holds one full vector (+2 for
// the register stages). The FIFO in front of a convolution's window path (its padding or its
// SWU) holds one input row, so that its producer can run a row ahead across a frame boundary.
// Every other block reads at a steady rate of at most one word a cycle, and its line buffer
// (SWU, pool) or its own state absorbs the rest: 2 words suffice. A linear
// chain cannot deadlock through small FIFOs, only slow down; the cycle simulator confirms the
// steady-state rate equals the analytic bottleneck with these depths. On a reconvergent path
// (a residual block), the FIFO in front of the join on each branch holds what that branch
// produces while the other one fills up (find_reconvergence.h): without it the design deadlocks.
#pragma once

#include <cstdint>
#include <vector>

#include "fold/dataflow_graph.h"

namespace bnnc {

// Depth (in words) of the FIFO in front of a block's first input (between it and `producer`),
// by the rules above; reconvergent paths add to it in size_fifos.
int input_fifo_depth(const Block& consumer, const Block& producer);

// Depths (in words) of the FIFOs in front of every block: [block][input], one per input.
using FifoDepths = std::vector<std::vector<int>>;
FifoDepths size_fifos(const DataflowGraph& graph);

// Σ depth × word width over all FIFOs.
std::int64_t fifo_bits(const DataflowGraph& graph, const FifoDepths& depths);

}  // namespace bnnc
