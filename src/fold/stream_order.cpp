#include "fold/stream_order.h"

#include "core/ceil_div.h"

namespace bnnc {

StreamOrder input_order(const Block& b) { return {b.in_pixels, b.in_elems, b.ifm_c}; }
StreamOrder output_order(const Block& b) { return {b.out_pixels, b.out_elems, b.ofm_c}; }

std::int64_t element_index(const StreamOrder& order, std::int64_t word, int slot) {
  if (order.flat()) return word * order.elems + slot;
  const int g = order.group();
  const std::int64_t groups = order.channels / g;
  const std::int64_t pixel = word / groups * order.pixels + slot / g;
  return pixel * order.channels + word % groups * g + slot % g;
}

std::int64_t word_of_element(const StreamOrder& order, std::int64_t element) {
  if (order.flat()) return element / order.elems;
  const int g = order.group();
  const std::int64_t groups = order.channels / g;
  const std::int64_t pixel = element / order.channels;
  return pixel / order.pixels * groups + element % order.channels / g;
}

std::int64_t words_per_frame(const StreamOrder& order, std::int64_t elements) {
  if (order.flat()) return ceil_div(elements, order.elems);
  return ceil_div(elements / order.channels, order.pixels) * (order.channels / order.group());
}

std::int64_t words_in(const Block& b) { return words_per_frame(input_order(b), b.elements_in()); }
std::int64_t words_out(const Block& b) {
  return words_per_frame(output_order(b), b.elements_out());
}

bool same_words(const StreamOrder& produced, const StreamOrder& consumed) {
  if (produced.elems != consumed.elems) return false;
  return (produced.flat() && consumed.flat()) || produced.pixels == consumed.pixels;
}

}  // namespace bnnc
