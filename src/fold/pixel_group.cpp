#include "fold/pixel_group.h"

#include <algorithm>

#include "core/ceil_div.h"
#include "fold/stream_order.h"

namespace bnnc {

bool is_pixel_group(const Block& b) {
  const bool pixel_words = b.in_pixels > 1 || b.out_pixels > 1;
  const bool reorders = !input_order(b).flat() || !output_order(b).flat();
  // An SWU writing several kernel taps a word (SIMD over taps) regroups like a pixel-parallel one.
  const bool taps = b.kind == BlockKind::Swu && b.out_elems / b.out_pixels > b.ifm_c;
  return taps ||
         (pixel_words && (b.kind == BlockKind::Swu || b.kind == BlockKind::FmPadding ||
                          b.kind == BlockKind::StreamingMaxPool)) ||
         (reorders && b.kind == BlockKind::Dwc);
}

std::int64_t pixel_group_slack(const Block& b) {
  const std::int64_t row = static_cast<std::int64_t>(b.ifm_w) * b.ifm_c;
  const bool window = b.kind == BlockKind::Swu || b.kind == BlockKind::StreamingMaxPool;
  // SIMD over kernel taps: a window's words go kernel row by kernel row, so the word being
  // written may need only the window's top row while the reads must reach the next output
  // row's bottom one: K + S rows.
  const bool taps = b.kind == BlockKind::Swu && b.out_elems / b.out_pixels > b.ifm_c;
  const std::int64_t ahead =
      taps     ? (b.kernel + b.stride) * row
      : window ? b.stride * row
               : 2 * std::max<std::int64_t>({std::int64_t{b.in_pixels} * b.ifm_c,
                                             std::int64_t{b.out_pixels} * b.ofm_c, b.out_elems});
  return ceil_div(ahead, b.in_elems) + 1;
}

}  // namespace bnnc
