// The input words bnn_pixel_group keeps (its SLOTS parameter).
#pragma once

#include <cstdint>

#include "fold/dataflow_graph.h"

namespace bnnc {

// The least power of two of input words a pixel-group block (fold/pixel_group.h) must keep so
// that no input word it writes lands on one a later output word still reads: over every output
// word, from the oldest input word it or a later word of its frame reads to the newest word the
// block may have read by then (the words that word needs, plus its slack). Steady state is
// reached by the second frame, so two frames are walked.
std::int64_t pixel_group_slots(const Block& b);

}  // namespace bnnc
