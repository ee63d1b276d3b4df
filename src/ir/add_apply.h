// The integer meaning of add (op.h), in one place: the golden model, the CPU engine and the
// cycle simulator add in1's term computed here, so the table's indexing cannot drift apart.
#pragma once

#include <cstdint>

#include "ir/op.h"

namespace bnnc {

// v1 of op.h: a bit's raw 0/1 read as −1/+1, an integer as it is.
inline std::int64_t add_operand_value(std::int64_t raw, bool bit) {
  return bit ? 2 * raw - 1 : raw;
}

// What in1's element of channel c (raw value `raw`) adds to in0's: v1 itself, or the table entry
// offsets[c·span + v1 − in1_min]. `channels` is C; the verifier has checked every v1 indexes
// inside its channel's span.
inline std::int64_t add_term(const AddAttrs& a, int channels, int c, std::int64_t raw, bool bit) {
  const std::int64_t v1 = add_operand_value(raw, bit);
  if (a.offsets.empty()) return v1;
  const auto span = static_cast<std::int64_t>(a.offsets.size()) / channels;
  return a.offsets[static_cast<std::size_t>(c * span + (v1 - a.in1_min))];
}

}  // namespace bnnc
