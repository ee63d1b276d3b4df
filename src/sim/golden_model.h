// The golden model: an integer-exact interpreter of the streamlined IR, and the one oracle every
// other engine (CPU engine, cycle simulator, Verilated RTL) is tested against.
//
// Values are raw integers: bits are 0/1 (bit 1 = +1), popcounts count XNOR matches, fixed-point
// values are their raw integers, a zero-padded convolution gives the signed dot product over its
// valid synapses (ir/op.h, PadMode::Zero). Floating-point ops (batchnorm, sign) are refused:
// streamline the graph first.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "ir/classification.h"
#include "ir/graph.h"

namespace bnnc {

struct GoldenTensor {
  TensorType type;
  std::vector<std::int64_t> values;
};

// Runs every layer on one image (the input's raw values, e.g. uint8 pixels in HWC order) and
// returns each layer's output. Throws bnnc::Error if the graph holds a float op or the image has
// the wrong size.
std::vector<GoldenTensor> run_golden_layers(const Graph& graph,
                                            std::span<const std::uint8_t> image);

// One node's output from its inputs' tensors (in the order of node.inputs): a step of
// run_golden_layers, for callers that build a network layer by layer (src/zoo).
std::vector<std::int64_t> run_golden_node(const Node& node,
                                          const std::vector<const GoldenTensor*>& inputs);

// The class of one image; the graph must end in labelselect.
Classification run_golden(const Graph& graph, std::span<const std::uint8_t> image);

}  // namespace bnnc
