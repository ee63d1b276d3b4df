// Where each element of a stream word sits in its feature map (docs/pixel-parallel.md).
//
// A word carries P pixels side by side, each with the same group of G consecutive channels
// (P·G elements). A frame's words go pixel group by pixel group (P pixels in HWC order), and
// within a group channel group by channel group; within a word, pixel by pixel, then channel by
// channel. When P does not divide the frame's pixels, the last group's words carry fewer pixels.
// With P = 1 a word is a run of G consecutive elements of the HWC stream (G may then exceed the
// channels: a dense layer's SIMD, the input's whole pixels); with G = C (whole pixels) the two
// readings coincide, so such a stream is "flat" too.
#pragma once

#include <cstdint>

#include "fold/dataflow_graph.h"

namespace bnnc {

struct StreamOrder {
  int pixels = 1;    // P: pixels per word
  int elems = 1;     // P·G: elements per word
  int channels = 1;  // C of the feature map the stream carries
  int group() const { return elems / pixels; }
  // Whether word i holds elements i·elems … (i+1)·elems − 1 of the HWC stream.
  bool flat() const { return pixels == 1 || group() == channels; }
};

StreamOrder input_order(const Block& b);
StreamOrder output_order(const Block& b);

// The HWC index (pixel·C + channel) of element `slot` of word `word` of a frame.
std::int64_t element_index(const StreamOrder& order, std::int64_t word, int slot);
// The word of a frame that carries the element with HWC index `element`.
std::int64_t word_of_element(const StreamOrder& order, std::int64_t element);

// Words per frame of `elements` elements (the last pixel group's may be shorter).
std::int64_t words_per_frame(const StreamOrder& order, std::int64_t elements);
std::int64_t words_in(const Block& b);   // per frame
std::int64_t words_out(const Block& b);  // per frame

// Whether a producer's words can go to a consumer unchanged (else a width converter sits there).
bool same_words(const StreamOrder& produced, const StreamOrder& consumed);

}  // namespace bnnc
