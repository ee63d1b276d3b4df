#include "runtime/zero_pad_correction.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"

namespace bnnc::runtime {

namespace {

bool outside(int v, int size) { return v < 0 || v >= size; }

}  // namespace

ZeroPadCorrection zero_pad_correction(const BinaryMatrix& weights, const ConvGeometry& g) {
  ZeroPadCorrection z;
  z.rows = weights.rows();
  z.cols = weights.cols();
  const int taps = g.kernel * g.kernel;
  BNNC_ASSERT(z.cols == taps * g.in_c, "zero padding: {} columns for {} taps of {} channels",
              z.cols, taps, g.in_c);
  // t(r, tap) = Σ_c w_{r,(tap,c)} with w = ±1.
  std::vector<std::int32_t> tap_sum(static_cast<std::size_t>(z.rows) * taps, 0);
  for (int r = 0; r < z.rows; ++r) {
    for (int col = 0; col < z.cols; ++col) {
      tap_sum[static_cast<std::size_t>(r) * taps + col / g.in_c] += weights.get(r, col) ? 1 : -1;
    }
  }
  std::vector<int> outside_taps;
  for (int oy = 0; oy < g.out_h; ++oy) {
    for (int ox = 0; ox < g.out_w; ++ox) {
      outside_taps.clear();
      for (int ky = 0; ky < g.kernel; ++ky) {
        for (int kx = 0; kx < g.kernel; ++kx) {
          if (outside(oy * g.stride - g.pad + ky, g.in_h) ||
              outside(ox * g.stride - g.pad + kx, g.in_w)) {
            outside_taps.push_back(ky * g.kernel + kx);
          }
        }
      }
      if (outside_taps.empty()) continue;  // interior: c = 0
      z.positions.push_back(oy * g.out_w + ox);
      for (int r = 0; r < z.rows; ++r) {
        std::int32_t c = 0;
        for (int tap : outside_taps) c += tap_sum[static_cast<std::size_t>(r) * taps + tap];
        z.table.push_back(c);
      }
    }
  }
  return z;
}

ZeroPadCorrection zero_pad_correction_ref(const BinaryMatrix& weights, const ConvGeometry& g) {
  ZeroPadCorrection z;
  z.rows = weights.rows();
  z.cols = weights.cols();
  std::vector<std::int32_t> c(static_cast<std::size_t>(z.rows));
  for (int oy = 0; oy < g.out_h; ++oy) {
    for (int ox = 0; ox < g.out_w; ++ox) {
      std::fill(c.begin(), c.end(), 0);
      bool border = false;
      for (int col = 0; col < z.cols; ++col) {
        const int tap = col / g.in_c, ky = tap / g.kernel, kx = tap % g.kernel;
        if (!outside(oy * g.stride - g.pad + ky, g.in_h) &&
            !outside(ox * g.stride - g.pad + kx, g.in_w)) {
          continue;
        }
        border = true;
        for (int r = 0; r < z.rows; ++r) c[r] += weights.get(r, col) ? 1 : -1;
      }
      if (!border) continue;
      z.positions.push_back(oy * g.out_w + ox);
      z.table.insert(z.table.end(), c.begin(), c.end());
    }
  }
  return z;
}

std::int64_t zero_pad_interior_threshold(std::int64_t threshold, int cols) {
  // y ∈ [−N, N]: thresholds beyond N + 1 or below −N act alike, so clamp before adding.
  const std::int64_t t = std::clamp<std::int64_t>(threshold, -cols - 2, cols + 2);
  const std::int64_t a = t + cols;
  return a >= 0 ? (a + 1) / 2 : -((-a) / 2);  // ⌈a/2⌉ for either sign
}

void zero_pad_counts_to_dot(const ZeroPadCorrection& z, int pixels, int row_begin, int row_end,
                            std::int32_t* counts, std::size_t ldc) {
  std::size_t b = 0;  // the next border position
  for (int i = 0; i < pixels; ++i) {
    std::int32_t* p = counts + static_cast<std::size_t>(i) * ldc;
    if (b < z.positions.size() && z.positions[b] == i) {
      const std::int32_t* c = &z.table[b * static_cast<std::size_t>(z.rows)];
      for (int r = row_begin; r < row_end; ++r) p[r] = 2 * p[r] - z.cols + c[r];
      ++b;
    } else {
      // The interior, apart: a loop the compiler vectorizes.
      for (int r = row_begin; r < row_end; ++r) p[r] = 2 * p[r] - z.cols;
    }
  }
}

namespace {

// Position b's bytes of the panels [panel_begin, panel_end) from its counts p0[r] (rows < MH):
// y = 2·P0 − N + c(pos, r) ≥ T as P0 against the plan's limit, then the panel's negate bits.
void border_bytes(const ZeroPadCorrection& z, const BinaryGemmArgs& fused, std::size_t b,
                  const std::int32_t* p0) {
  const std::int32_t* limit = &z.p0_limits[b * static_cast<std::size_t>(z.rows)];
  std::uint8_t* out = fused.out_bits + static_cast<std::size_t>(z.positions[b]) * fused.ldo;
  for (int panel = fused.panel_begin; panel < fused.panel_end; ++panel) {
    unsigned byte = 0;
    const int lanes = std::min(8, z.rows - panel * 8);  // rows past MH stay 0
    for (int lane = 0; lane < lanes; ++lane) {
      const int r = panel * 8 + lane;
      byte |= static_cast<unsigned>(p0[r] >= limit[r]) << lane;
    }
    out[panel] = static_cast<std::uint8_t>(byte ^ z.negate_bytes[panel]);
  }
}

// The border positions of a layer with a residual add fused into it (fused.add_limits): their
// x = y = 2·P0 − N + c(pos, r) and their shortcut gathered, then the variant's add_threshold (as
// the add's own step runs it), then each position's bytes of the panels [panel_begin,
// panel_end) XOR the add's negate bits (fused.neg).
void border_add_bits(const ZeroPadCorrection& z, const BinaryGemmArgs& fused,
                     const std::vector<std::int32_t>& p0,
                     void (*add_threshold)(const AddThresholdArgs&)) {
  BNNC_ASSERT(add_threshold != nullptr, "a fused add's border without add_threshold");
  const std::size_t count = z.positions.size(), rows = static_cast<std::size_t>(z.rows);
  std::vector<std::int32_t> x(p0.size());
  for (std::size_t e = 0; e < x.size(); ++e) x[e] = 2 * p0[e] - z.cols + z.table[e];
  AddThresholdArgs a;
  a.x = x.data();
  a.limits = fused.add_limits;
  a.span = fused.table_span;
  a.in1_min = fused.table_min;
  a.pixels = count;
  a.channels = z.rows;
  a.out_words = static_cast<int>((rows + 63) / 64);
  const std::vector<std::uint64_t> no_negate(static_cast<std::size_t>(a.out_words), 0);
  a.neg = no_negate.data();
  std::vector<std::uint64_t> bits(count * static_cast<std::size_t>(a.out_words));
  a.dst = bits.data();
  std::vector<std::uint64_t> in1_bits;
  std::vector<std::int32_t> in1;
  if (fused.shortcut_bits != nullptr) {
    a.mode = AddThresholdMode::Bits;
    a.in1_words = static_cast<int>(fused.ld_shortcut / 8);
    in1_bits.resize(count * static_cast<std::size_t>(a.in1_words));
    for (std::size_t b = 0; b < count; ++b) {
      std::memcpy(
          &in1_bits[b * static_cast<std::size_t>(a.in1_words)],
          fused.shortcut_bits + static_cast<std::size_t>(z.positions[b]) * fused.ld_shortcut,
          fused.ld_shortcut);
    }
    a.in1_bits = in1_bits.data();
  } else {
    a.mode = AddThresholdMode::Table;
    in1.resize(count * rows);
    for (std::size_t b = 0; b < count; ++b) {
      std::memcpy(
          &in1[b * rows],
          fused.shortcut_values + static_cast<std::size_t>(z.positions[b]) * fused.ld_shortcut,
          rows * sizeof(std::int32_t));
    }
    a.in1 = in1.data();
  }
  add_threshold(a);
  for (std::size_t b = 0; b < count; ++b) {
    const auto* made = reinterpret_cast<const std::uint8_t*>(&bits[b * a.out_words]);
    std::uint8_t* out = fused.out_bits + static_cast<std::size_t>(z.positions[b]) * fused.ldo;
    for (int panel = fused.panel_begin; panel < fused.panel_end; ++panel) {
      out[panel] = static_cast<std::uint8_t>(made[panel] ^ fused.neg[panel]);
    }
  }
}

}  // namespace

void zero_pad_fused(const ZeroPadCorrection& z, const BinaryGemmArgs& fused,
                    void (*fused_gemm)(const BinaryGemmArgs&), void (*gemm)(const BinaryGemmArgs&),
                    void (*add_threshold)(const AddThresholdArgs&)) {
  const auto interior = [&](int begin, int end) {
    if (begin >= end) return;
    BinaryGemmArgs g = fused;
    g.row_offsets = fused.row_offsets + begin;
    g.out_bits = fused.out_bits + static_cast<std::size_t>(begin) * fused.ldo;
    if (fused.shortcut_bits != nullptr) {
      g.shortcut_bits = fused.shortcut_bits + static_cast<std::size_t>(begin) * fused.ld_shortcut;
    }
    if (fused.shortcut_values != nullptr) {
      g.shortcut_values =
          fused.shortcut_values + static_cast<std::size_t>(begin) * fused.ld_shortcut;
    }
    g.m = end - begin;
    fused_gemm(g);
  };
  int next = 0;
  for (const int pos : z.positions) {
    interior(next, pos);
    next = pos + 1;
  }
  interior(next, fused.m);
  zero_pad_border_bits(z, fused, gemm, add_threshold);
}

void zero_pad_border_bits(const ZeroPadCorrection& z, const BinaryGemmArgs& fused,
                          void (*gemm)(const BinaryGemmArgs&),
                          void (*add_threshold)(const AddThresholdArgs&)) {
  // A padded conv reads its windows in place (it is never direct), so its border positions'
  // windows are one gathered list of offsets: one call, blocks of rows as in the interior.
  BNNC_ASSERT(fused.row_offsets != nullptr, "a zero-padded conv reads its windows in place");
  if (z.positions.empty()) return;
  const std::size_t count = z.positions.size();
  std::vector<std::int32_t> offsets(count);
  for (std::size_t b = 0; b < count; ++b) offsets[b] = fused.row_offsets[z.positions[b]];
  std::vector<std::int32_t> p0(count * static_cast<std::size_t>(z.rows));
  BinaryGemmArgs g = fused;
  g.m = static_cast<int>(count);
  g.row_offsets = offsets.data();
  g.dmax = nullptr;
  g.neg = nullptr;
  g.out_bits = nullptr;
  g.shortcut_bits = nullptr;
  g.shortcut_values = nullptr;
  g.out_counts = p0.data();
  g.ldc = static_cast<std::size_t>(z.rows);
  gemm(g);
  if (fused.add_limits != nullptr) {
    border_add_bits(z, fused, p0, add_threshold);
    return;
  }
  for (std::size_t b = 0; b < count; ++b) {
    border_bytes(z, fused, b, &p0[b * static_cast<std::size_t>(z.rows)]);
  }
}

}  // namespace bnnc::runtime
