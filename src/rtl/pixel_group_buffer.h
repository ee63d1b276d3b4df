// The elements bnn_pixel_group keeps (its BUF parameter).
#pragma once

#include <cstdint>

#include "fold/dataflow_graph.h"

namespace bnnc {

// The least power of two of elements a pixel-group block (fold/pixel_group.h) must keep so that
// no input element it writes lands on one a later output word still reads: over every output
// word, from the oldest element it or a later word of its frame reads to the newest element the
// block may have read by then (the words that word needs, plus its slack). Steady state is
// reached by the second frame, so two frames are walked.
std::int64_t pixel_group_buffer(const Block& b);

}  // namespace bnnc
