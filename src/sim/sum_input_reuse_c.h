// The input-reuse MVTU's c for every window of one image, at any SIMD, from the layer's input alone
// (sim/input_reuse_mvtu.h): a window that is not the first of its output row costs
// SF + (NF − 1)·max(1, c) cycles, c = max_j |D ∩ lane j|, D the positions where it differs from its
// left neighbour. The window's columns are (ky, kx, ch) and SIMD divides the input channels, so
// word s holds columns s·SIMD … s·SIMD + SIMD − 1 and lane j the channels ch ≡ j (mod SIMD) of
// every tap:
//     c(SIMD) = max_j Σ_{ch ≡ j mod SIMD} d_ch,   d_ch = |{(ky, kx) : the windows differ at ch}|.
// D depends on the input only — not on the weights, PE or NF — so one pass over the windows gives
// c at every SIMD, and the unit's cycles at every PE and SIMD follow exactly (the calibration's
// model, design/calibrate_variants.h).
#pragma once

#include <cstdint>
#include <vector>

#include "ir/op.h"
#include "sim/golden_model.h"

namespace bnnc {

// Per entry of `simds` (each dividing the input's channels), Σ max(1, c(SIMD)) over the windows of
// one image that reuse (oh·(ow − 1) of them, every window but the first of its output row). `in`
// is the convolution's input (bits, 0 or 1), `oh` × `ow` its output; a pad-value border counts as
// pad_value's bit. Zero padding is not taken (the unit does not take it: Block::can_reuse_inputs).
std::vector<std::int64_t> sum_input_reuse_c(const Conv2dAttrs& conv, const GoldenTensor& in, int oh,
                                            int ow, const std::vector<int>& simds);

}  // namespace bnnc
