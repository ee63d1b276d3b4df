// Zero padding on a 1-bit datapath: how the CPU engine runs a zero-padded convolution on bits
// (ir/op.h, PadMode::Zero) with the kernels of an ordinary one, bit-exactly.
//
// The maths (larq's zero_padding_correction.h does the same). A zero-padded conv's output at
// position (oy, ox), row r, is y = Σ_{s ∈ V} x_s·w_s over the valid synapses V of the window
// (x, w = ±1; the padded synapses Π = window \ V add nothing). The engine pads with bit 0 (value
// −1), as for pad value −1, so the kernel counts P0 = matches over all N synapses, and the dot
// product that count stands for is
//     y0 = 2·P0 − N = Σ_{s ∈ V} x_s·w_s + Σ_{s ∈ Π} (−1)·w_s = y − Σ_{s ∈ Π} w_s.
// Hence
//     y = 2·P0 − N + c(oy, ox, r),   c(oy, ox, r) = Σ_{s ∈ Π(oy, ox)} w_{r,s},
// a correction that depends only on the weights and on which taps of the window fall outside
// the image: 0 in the interior (Π empty, y = y0), and at a border position the sum over its
// outside taps (ky, kx) of t(r, ky, kx) = Σ_c w_{r,(ky,kx,c)}. A threshold y ≥ T becomes
//     2·P0 ≥ T + N − c   ⇔   P0 ≥ ⌈(T + N − c) / 2⌉:
// in the interior (c = 0) one popcount threshold per row, fused into the kernel as usual; at the
// border a threshold per position, applied here after recomputing that position's P0.
#pragma once

#include <cstdint>
#include <vector>

#include "ir/binary_matrix.h"
#include "runtime/kernels.h"

namespace bnnc::runtime {

struct ConvGeometry {
  int in_h = 1, in_w = 1, in_c = 1;
  int kernel = 1, stride = 1, pad = 0;
  int out_h = 1, out_w = 1;
};

struct ZeroPadCorrection {
  int rows = 0;                     // MH
  int cols = 0;                     // N = K·K·C
  std::vector<int> positions;       // the border output pixels oy·OW + ox, ascending
  std::vector<std::int32_t> table;  // c(position b, row r) at [b·rows + r]
  // A fused threshold (y ≥ T[r]) XOR negate[r], set by the CPU plan: border position b, row r
  // fires when P0 ≥ p0_limits[b·rows + r] = ⌈(T + N − c) / 2⌉ (zero_pad_interior_threshold of
  // T − c), before negate_bytes (the negate flags of panel p's 8 rows in byte p). Empty when the
  // layer outputs y.
  std::vector<std::int32_t> p0_limits;
  std::vector<std::uint8_t> negate_bytes;
};

// The border positions and their corrections, from the per-tap weight sums t(r, ky, kx).
ZeroPadCorrection zero_pad_correction(const BinaryMatrix& weights, const ConvGeometry& geometry);
// The same from the definition (every synapse of every window checked), the twin it is tested
// against.
ZeroPadCorrection zero_pad_correction_ref(const BinaryMatrix& weights,
                                          const ConvGeometry& geometry);

// ⌈(T + N) / 2⌉: the interior popcount threshold for y ≥ T (c = 0), exact for any T.
std::int64_t zero_pad_interior_threshold(std::int64_t threshold, int cols);

// An unfused layer: turns the kernel's P0 (out_counts of rows [row_begin, row_end) at every
// output pixel i, counts[i·ldc + r]) into y = 2·P0 − N + c in place.
void zero_pad_counts_to_dot(const ZeroPadCorrection& z, int pixels, int row_begin, int row_end,
                            std::int32_t* counts, std::size_t ldc);

// A fused layer, after `fused` (the kernel's arguments for one frame, interior thresholds) ran:
// computes P0 at every border position with `gemm` unfused, in one call on their gathered window
// offsets, and rewrites the output bytes of the panels [fused.panel_begin, fused.panel_end)
// there with the per-position thresholds — or, with a residual add fused into the layer
// (fused.add_limits set), with the add's compare of the corrected y and the limit the shortcut
// picks at the position (kernels.h, BinaryGemmArgs), by `add_threshold`.
void zero_pad_border_bits(const ZeroPadCorrection& z, const BinaryGemmArgs& fused,
                          void (*gemm)(const BinaryGemmArgs&),
                          void (*add_threshold)(const AddThresholdArgs&) = nullptr);

// A fused layer reading its windows in place (fused.row_offsets, one frame's fused.m output
// pixels): runs `fused_gemm` on each run of interior positions between border ones, then
// zero_pad_border_bits on the border. The same bits as the fused kernel over every position
// followed by zero_pad_border_bits, without computing a border position twice (a 7×7 image has
// 24 border positions of 49).
void zero_pad_fused(const ZeroPadCorrection& z, const BinaryGemmArgs& fused,
                    void (*fused_gemm)(const BinaryGemmArgs&), void (*gemm)(const BinaryGemmArgs&),
                    void (*add_threshold)(const AddThresholdArgs&) = nullptr);

}  // namespace bnnc::runtime
