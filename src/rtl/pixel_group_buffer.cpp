#include "rtl/pixel_group_buffer.h"

#include <algorithm>
#include <bit>
#include <limits>
#include <vector>

#include "fold/pixel_group.h"
#include "fold/stream_order.h"

namespace bnnc {

std::int64_t pixel_group_slots(const Block& b) {
  const StreamOrder in = input_order(b), out = output_order(b);
  const std::int64_t in_words = words_in(b), out_words = words_out(b);
  constexpr std::int64_t kNone = std::numeric_limits<std::int64_t>::max();

  // Per output word of a frame: the input words it needs and the oldest input word it reads.
  std::vector<std::int64_t> need(static_cast<std::size_t>(out_words), 0);
  std::vector<std::int64_t> oldest(static_cast<std::size_t>(out_words), kNone);
  for (std::int64_t j = 0; j < out_words; ++j) {
    for (int k = 0; k < b.out_elems; ++k) {
      const std::int64_t e = element_index(out, j, k);
      if (e >= b.elements_out()) break;
      for_each_source(b, e, [&](std::int64_t source) {
        const std::int64_t w = word_of_element(in, source);
        auto& n = need[static_cast<std::size_t>(j)];
        n = std::max(n, w + 1);
        auto& o = oldest[static_cast<std::size_t>(j)];
        o = std::min(o, w);
      });
    }
  }
  // What word j or a later one of its frame still reads.
  for (std::int64_t j = out_words - 1; j-- > 0;) {
    oldest[static_cast<std::size_t>(j)] =
        std::min(oldest[static_cast<std::size_t>(j)], oldest[static_cast<std::size_t>(j + 1)]);
  }

  const std::int64_t slack = pixel_group_slack(b);
  std::int64_t span = 2, needed = 0;
  for (std::int64_t j = 0; j < 2 * out_words; ++j) {
    const std::int64_t frame = j / out_words, word = j % out_words;
    // Words read (over all frames) while word j waits: the model reads while fewer than its
    // current word's need + slack are in, and earlier words may have needed more.
    needed = std::max(needed, frame * in_words + need[static_cast<std::size_t>(word)]);
    const std::int64_t read = needed + slack;
    const std::int64_t lo = oldest[static_cast<std::size_t>(word)];
    if (lo == kNone) continue;
    span = std::max(span, read - (frame * in_words + lo));
  }
  return static_cast<std::int64_t>(std::bit_ceil(static_cast<std::uint64_t>(span)));
}

}  // namespace bnnc
