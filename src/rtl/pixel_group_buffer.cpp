#include "rtl/pixel_group_buffer.h"

#include <algorithm>
#include <bit>
#include <limits>
#include <vector>

#include "fold/pixel_group.h"
#include "fold/stream_order.h"

namespace bnnc {

std::int64_t pixel_group_buffer(const Block& b) {
  const StreamOrder in = input_order(b), out = output_order(b);
  const std::int64_t in_words = words_in(b), out_words = words_out(b);
  const std::int64_t elements_in = b.elements_in();
  constexpr std::int64_t kNone = std::numeric_limits<std::int64_t>::max();

  // Per output word of a frame: the input words it needs and the oldest element it reads.
  std::vector<std::int64_t> need(static_cast<std::size_t>(out_words), 0);
  std::vector<std::int64_t> oldest(static_cast<std::size_t>(out_words), kNone);
  for (std::int64_t j = 0; j < out_words; ++j) {
    for (int k = 0; k < b.out_elems; ++k) {
      const std::int64_t e = element_index(out, j, k);
      if (e >= b.elements_out()) break;
      for_each_source(b, e, [&](std::int64_t source) {
        auto& n = need[static_cast<std::size_t>(j)];
        n = std::max(n, word_of_element(in, source) + 1);
        auto& o = oldest[static_cast<std::size_t>(j)];
        o = std::min(o, source);
      });
    }
  }
  // What word j or a later one of its frame still reads.
  for (std::int64_t j = out_words - 1; j-- > 0;) {
    oldest[static_cast<std::size_t>(j)] =
        std::min(oldest[static_cast<std::size_t>(j)], oldest[static_cast<std::size_t>(j + 1)]);
  }
  // The newest element among input words 0 … w of a frame.
  std::vector<std::int64_t> newest(static_cast<std::size_t>(in_words), 0);
  for (std::int64_t w = 0; w < in_words; ++w) {
    std::int64_t m = w > 0 ? newest[static_cast<std::size_t>(w - 1)] : 0;
    for (int k = 0; k < b.in_elems; ++k) {
      const std::int64_t e = element_index(in, w, k);
      if (e < elements_in) m = std::max(m, e);
    }
    newest[static_cast<std::size_t>(w)] = m;
  }

  const std::int64_t slack = pixel_group_slack(b);
  std::int64_t span = std::max<std::int64_t>(2, b.in_elems), needed = 0;
  for (std::int64_t j = 0; j < 2 * out_words; ++j) {
    const std::int64_t frame = j / out_words, word = j % out_words;
    // Words read (over all frames) while word j waits: the model reads while fewer than its
    // current word's need + slack are in, and earlier words may have needed more.
    needed = std::max(needed, frame * in_words + need[static_cast<std::size_t>(word)]);
    const std::int64_t read = needed + slack;
    const std::int64_t last = read - 1;
    const std::int64_t hi =
        last / in_words * elements_in + newest[static_cast<std::size_t>(last % in_words)];
    const std::int64_t lo = oldest[static_cast<std::size_t>(word)];
    if (lo == kNone) continue;
    span = std::max(span, hi - (frame * elements_in + lo) + 1);
  }
  return static_cast<std::int64_t>(std::bit_ceil(static_cast<std::uint64_t>(span)));
}

}  // namespace bnnc
