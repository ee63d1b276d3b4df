#include "sim/sum_input_reuse_c.h"

#include <algorithm>

#include "core/error.h"

namespace bnnc {

std::vector<std::int64_t> sum_input_reuse_c(const Conv2dAttrs& conv, const GoldenTensor& in, int oh,
                                            int ow, const std::vector<int>& simds) {
  BNNC_ASSERT(!conv.zero_padded(), "sum_input_reuse_c: a zero-padded convolution");
  BNNC_ASSERT(in.type.shape.size() == 3, "sum_input_reuse_c: input of rank {}",
              in.type.shape.size());
  const int h = in.type.shape[0], w = in.type.shape[1], channels = in.type.shape[2];
  for (int simd : simds) {
    BNNC_ASSERT(simd >= 1 && channels % simd == 0, "sum_input_reuse_c: SIMD {} for {} channels",
                simd, channels);
  }
  const bool pad_bit = conv.pad_value != 0;
  const auto bit = [&](int iy, int ix, int ch) {
    if (iy < 0 || iy >= h || ix < 0 || ix >= w) return pad_bit;
    return in.values[(static_cast<std::size_t>(iy) * static_cast<std::size_t>(w) +
                      static_cast<std::size_t>(ix)) *
                         static_cast<std::size_t>(channels) +
                     static_cast<std::size_t>(ch)] != 0;
  };
  std::vector<std::int64_t> sums(simds.size(), 0);
  std::vector<int> d(static_cast<std::size_t>(channels)), lanes;
  for (int oy = 0; oy < oh; ++oy) {
    for (int ox = 1; ox < ow; ++ox) {
      std::fill(d.begin(), d.end(), 0);
      for (int ky = 0; ky < conv.kernel; ++ky) {
        const int iy = oy * conv.stride - conv.pad + ky;
        for (int kx = 0; kx < conv.kernel; ++kx) {
          const int ix = ox * conv.stride - conv.pad + kx;
          for (int ch = 0; ch < channels; ++ch) {
            if (bit(iy, ix, ch) != bit(iy, ix - conv.stride, ch)) ++d[static_cast<std::size_t>(ch)];
          }
        }
      }
      for (std::size_t k = 0; k < simds.size(); ++k) {
        lanes.assign(static_cast<std::size_t>(simds[k]), 0);
        for (int ch = 0; ch < channels; ++ch) {
          lanes[static_cast<std::size_t>(ch % simds[k])] += d[static_cast<std::size_t>(ch)];
        }
        sums[k] += std::max(1, *std::max_element(lanes.begin(), lanes.end()));
      }
    }
  }
  return sums;
}

}  // namespace bnnc
