// Shape arithmetic at import: what a torch.onnx export computes from a tensor's shape (Shape →
// Gather → Concat → Reshape, Slice of pads, Cast, Squeeze/Unsqueeze, ConstantOfShape) is folded
// into constants, in exact int64 refused where it would overflow; on activations the same ops
// are flattens. The handlers are Importer members (io/onnx_importer_state.h); this header holds
// the integer helpers they share with the other handlers.
#pragma once

#include <cstdint>
#include <vector>

#include "ir/graph.h"

namespace bnnc::onnx_import {

// The largest dimension, pad or stride bnnc accepts from a file (keeps every product in int64).
constexpr std::int64_t kMaxDim = std::int64_t{1} << 24;

std::int64_t product(const std::vector<std::int64_t>& dims);

// A constant's value as an integer (shape arithmetic), saturated far from overflow: ONNX writes
// "to the end" as INT64_MAX, which a double rounds up past it. NaN is 0.
std::int64_t to_index(double v);

// dims without its 1s.
Shape squeezed(const Shape& dims);

}  // namespace bnnc::onnx_import
