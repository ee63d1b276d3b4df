#include "fold/pixel_group.h"

#include <algorithm>

#include "core/ceil_div.h"
#include "fold/stream_order.h"

namespace bnnc {

bool is_pixel_group(const Block& b) {
  const bool pixel_words = b.in_pixels > 1 || b.out_pixels > 1;
  const bool reorders = !input_order(b).flat() || !output_order(b).flat();
  return (pixel_words && (b.kind == BlockKind::Swu || b.kind == BlockKind::FmPadding ||
                          b.kind == BlockKind::StreamingMaxPool)) ||
         (reorders && b.kind == BlockKind::Dwc);
}

std::int64_t pixel_group_slack(const Block& b) {
  const std::int64_t row = static_cast<std::int64_t>(b.ifm_w) * b.ifm_c;
  const bool window = b.kind == BlockKind::Swu || b.kind == BlockKind::StreamingMaxPool;
  const std::int64_t ahead =
      window ? b.stride * row
             : 2 * std::max<std::int64_t>({std::int64_t{b.in_pixels} * b.ifm_c,
                                           std::int64_t{b.out_pixels} * b.ofm_c, b.out_elems});
  return ceil_div(ahead, b.in_elems) + 1;
}

}  // namespace bnnc
