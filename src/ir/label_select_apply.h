// The score a label-select compares for class c (ir/op.h LabelSelectAttrs), one function for
// every engine: the golden model, the float reference, the CPU engine, the cycle simulator and
// the RTL testbench's reading of the scores.
#pragma once

#include <cstdint>

#include "ir/op.h"

namespace bnnc {

// x · 2^shift + bias[c] (bias empty: 0). Callers keep |x| below 2^38 (scores are sums of at most
// a few million ±1 or 8-bit terms), so with shift ≤ kMaxLabelShift the product fits in int64.
inline std::int64_t label_score(const LabelSelectAttrs& a, int c, std::int64_t x) {
  return x * (std::int64_t{1} << a.shift) +
         (a.bias.empty() ? 0 : a.bias[static_cast<std::size_t>(c)]);
}

}  // namespace bnnc
