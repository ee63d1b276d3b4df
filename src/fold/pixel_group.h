// The blocks that regroup pixels on words of several pixels (docs/pixel-parallel.md): a padding,
// sliding window unit or max-pool with several pixels a word, and a width converter that reorders
// channel groups. The cycle simulator (PixelGroupEngine) and the RTL (bnn_pixel_group) build them
// the same way, from what each output element reads and how far their input may run ahead.
#pragma once

#include <cstdint>

#include "fold/dataflow_graph.h"

namespace bnnc {

// Whether b is built as a pixel-group block.
bool is_pixel_group(const Block& b);

// Input words a pixel-group block reads beyond those its current output word needs: S input rows
// for a window (the rows the next output row adds), two pixel groups for the others.
std::int64_t pixel_group_slack(const Block& b);

// Calls f with the input element (pixel·C + channel) of every value output element e reads: a
// window tap, a padding's inner pixel (its border reads nothing), a pool's K² pixels, or for a
// converter the same element.
template <typename F>
void for_each_source(const Block& b, std::int64_t e, F f) {
  const auto at = [&](std::int64_t y, std::int64_t x, std::int64_t c) {
    f((y * b.ifm_w + x) * b.ifm_c + c);
  };
  const std::int64_t pixel = e / b.ofm_c, channel = e % b.ofm_c;
  const std::int64_t y = pixel / b.ofm_w, x = pixel % b.ofm_w;
  switch (b.kind) {
    case BlockKind::Swu: {  // window tap (ky, kx, c) of output pixel (y, x)
      const std::int64_t c = channel % b.ifm_c, tap = channel / b.ifm_c;
      at(y * b.stride + tap / b.kernel, x * b.stride + tap % b.kernel, c);
      break;
    }
    case BlockKind::FmPadding:
      if (y >= b.pad && y < b.ofm_h - b.pad && x >= b.pad && x < b.ofm_w - b.pad) {
        at(y - b.pad, x - b.pad, channel);
      }
      break;
    case BlockKind::StreamingMaxPool:
      for (int ky = 0; ky < b.kernel; ++ky) {
        for (int kx = 0; kx < b.kernel; ++kx) at(y * b.stride + ky, x * b.stride + kx, channel);
      }
      break;
    default: f(e); break;
  }
}

}  // namespace bnnc
