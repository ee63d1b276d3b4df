// One bnn_pixel_group block as bnnc writes it, from its shape alone: the block-alone RTL tests
// (tests/rtl/rtl_pixel_group_test.cpp) and the estimate-against-Yosys test
// (tests/unit/fold_test.cpp) build their instances with it.
#pragma once

#include "fold/dataflow_graph.h"

namespace bnnc::test {

struct PixelGroupShape {
  BlockKind kind;
  int h, w, c, k, stride, pad, in_pixels, in_elems, out_pixels, out_elems, bits;
};

// A padding adds its border, a converter keeps the map, a window or pool slides K×K by the
// stride; an SWU's output channels are its K·K·C window taps.
inline Block pixel_group_block(const PixelGroupShape& s) {
  Block b;
  b.kind = s.kind;
  b.ifm_h = s.h;
  b.ifm_w = s.w;
  b.ifm_c = s.c;
  b.kernel = s.k;
  b.stride = s.stride;
  b.pad = s.pad;
  b.ofm_h = s.kind == BlockKind::FmPadding ? s.h + 2 * s.pad
            : s.kind == BlockKind::Dwc     ? s.h
                                           : (s.h - s.k) / s.stride + 1;
  b.ofm_w = s.kind == BlockKind::FmPadding ? s.w + 2 * s.pad
            : s.kind == BlockKind::Dwc     ? s.w
                                           : (s.w - s.k) / s.stride + 1;
  b.ofm_c = s.kind == BlockKind::Swu ? s.k * s.k * s.c : s.c;
  b.in_pixels = s.in_pixels;
  b.in_elems = s.in_elems;
  b.out_pixels = s.out_pixels;
  b.out_elems = s.out_elems;
  b.in_bits = b.out_bits = s.bits;
  return b;
}

}  // namespace bnnc::test
