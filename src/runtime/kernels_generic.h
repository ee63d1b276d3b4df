// The reference kernels as plain loops. Included (with internal linkage, so that no copy leaks
// into another) by kernels_ref.cpp, built with the project's flags (the portable variant), and
// by kernels_avx2.cpp, built with -mavx2 -mpopcnt (where popcount becomes one instruction and
// the compiler vectorizes the rest).
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>

#include "runtime/kernels.h"

namespace bnnc::runtime {
namespace {

// Row i's results for panel p from its 8 mismatch counts d: the thresholded byte (with the
// panel's negate bits) or the match counts of the real rows.
void store_panel(const BinaryGemmArgs& g, int i, int p, const std::int64_t (&d)[8]) {
  if (g.out_bits != nullptr) {
    unsigned byte = 0;
    for (int lane = 0; lane < 8; ++lane) {
      byte |= static_cast<unsigned>(d[lane] <= g.dmax[p * 8 + lane]) << lane;
    }
    g.out_bits[static_cast<std::size_t>(i) * g.ldo + p] =
        static_cast<std::uint8_t>(byte ^ g.neg[p]);
  } else {
    for (int lane = 0; lane < 8 && p * 8 + lane < g.rows; ++lane) {
      g.out_counts[static_cast<std::size_t>(i) * g.ldc + p * 8 + lane] =
          static_cast<std::int32_t>(g.cols - d[lane]);
    }
  }
}

void binary_gemm_generic(const BinaryGemmArgs& g) {
  for (int i = 0; i < g.m; ++i) {
    const std::uint64_t* a =
        g.a + (g.row_offsets != nullptr ? g.row_offsets[i] : static_cast<std::size_t>(i) * g.lda);
    for (int p = g.panel_begin; p < g.panel_end; ++p) {
      const std::uint64_t* w = g.panels + static_cast<std::size_t>(p) * g.k * 8;
      std::int64_t d[8] = {};
      for (int k = 0; k < g.k; ++k) {
        const std::uint64_t x = a[g.col_offsets != nullptr ? g.col_offsets[k] : k];
        for (int lane = 0; lane < 8; ++lane) d[lane] += std::popcount(x ^ w[k * 8 + lane]);
      }
      store_panel(g, i, p, d);
    }
  }
}

// Early termination (O3BNN; the rule of sim/early_exit.h): a fused threshold fires when
// D ≤ dmax, and D only grows, so after k words a row is decided once D > dmax (never fires) or
// D + 64·(K − k) ≤ dmax (fires whatever the remaining words hold: they have at most 64 synapses
// each, padding bits never mismatch). A panel's 8 rows stop together, checked every
// kExitWords words, once all 8 are decided. Counts (no threshold) run in full.
constexpr int kExitWords = 4;

void binary_gemm_early_exit_generic(const BinaryGemmArgs& g) {
  if (g.out_bits == nullptr) {
    binary_gemm_generic(g);
    return;
  }
  for (int i = 0; i < g.m; ++i) {
    const std::uint64_t* a =
        g.a + (g.row_offsets != nullptr ? g.row_offsets[i] : static_cast<std::size_t>(i) * g.lda);
    for (int p = g.panel_begin; p < g.panel_end; ++p) {
      const std::uint64_t* w = g.panels + static_cast<std::size_t>(p) * g.k * 8;
      const std::int64_t* dmax = g.dmax + static_cast<std::ptrdiff_t>(p) * 8;
      std::int64_t d[8] = {};
      for (int k0 = 0; k0 < g.k; k0 += kExitWords) {
        const int k1 = std::min(g.k, k0 + kExitWords);
        for (int k = k0; k < k1; ++k) {
          const std::uint64_t x = a[g.col_offsets != nullptr ? g.col_offsets[k] : k];
          for (int lane = 0; lane < 8; ++lane) d[lane] += std::popcount(x ^ w[k * 8 + lane]);
        }
        const std::int64_t rest = std::int64_t{64} * (g.k - k1);
        bool open = false;
        for (int lane = 0; lane < 8; ++lane) {
          open |= d[lane] <= dmax[lane] && d[lane] + rest > dmax[lane];
        }
        if (!open) break;
      }
      unsigned byte = 0;
      for (int lane = 0; lane < 8; ++lane) {
        byte |= static_cast<unsigned>(d[lane] <= dmax[lane]) << lane;
      }
      g.out_bits[static_cast<std::size_t>(i) * g.ldo + p] =
          static_cast<std::uint8_t>(byte ^ g.neg[p]);
    }
  }
}

// Input reuse (Fu et al.'s input similarity, docs/similarity.md "CPU engine"). Windows v − 1 and
// v of one output row read the same synapses of different pixels; on a word where they differ
// by Δ = x_v XOR x_{v−1}, each bit of Δ turns a match into a mismatch or back, so with m_v =
// x_v XOR w the word's mismatches change by popcount(Δ AND m_v) − popcount(Δ AND m_{v−1}), and
// Δ AND m_{v−1} = Δ AND NOT m_v (on Δ's bits m_{v−1} is m_v flipped):
//     D_v = D_{v−1} + Σ_{words with Δ ≠ 0} (2·popcount(Δ AND (x_v XOR w)) − popcount(Δ)),
// exact integers, nothing on the equal words. Padding bits are 0 in every window (Δ = 0 there).
// A run's first window (reuse_run windows per output row) is computed in full.
void binary_gemm_input_reuse_generic(const BinaryGemmArgs& g) {
  if (g.reuse_run <= 1) {
    binary_gemm_generic(g);
    return;
  }
  auto row = [&](int i) {
    return g.a +
           (g.row_offsets != nullptr ? g.row_offsets[i] : static_cast<std::size_t>(i) * g.lda);
  };
  auto col = [&](int k) { return g.col_offsets != nullptr ? g.col_offsets[k] : k; };
  for (int p = g.panel_begin; p < g.panel_end; ++p) {
    const std::uint64_t* w = g.panels + static_cast<std::size_t>(p) * g.k * 8;
    std::int64_t d[8] = {};
    for (int i = 0; i < g.m; ++i) {
      const std::uint64_t* a = row(i);
      if (i % g.reuse_run == 0) {
        std::fill(d, d + 8, 0);
        for (int k = 0; k < g.k; ++k) {
          for (int lane = 0; lane < 8; ++lane)
            d[lane] += std::popcount(a[col(k)] ^ w[k * 8 + lane]);
        }
      } else {
        const std::uint64_t* before = row(i - 1);
        for (int k = 0; k < g.k; ++k) {
          const std::uint64_t x = a[col(k)], delta = x ^ before[col(k)];
          if (delta == 0) continue;
          const int changed = std::popcount(delta);
          for (int lane = 0; lane < 8; ++lane) {
            d[lane] += 2 * std::popcount(delta & (x ^ w[k * 8 + lane])) - changed;
          }
        }
      }
      store_panel(g, i, p, d);
    }
  }
}

void fixed_gemm_generic(const FixedGemmArgs& g) {
  for (int i = 0; i < g.m; ++i) {
    const std::uint8_t* a =
        g.a + (g.row_offsets != nullptr ? g.row_offsets[i] : static_cast<std::size_t>(i) * g.lda);
    for (int p = g.panel_begin; p < g.panel_end; ++p) {
      const std::int8_t* w = g.panels + static_cast<std::size_t>(p) * g.k4 * 64;
      std::int32_t acc[16] = {};
      for (int k = 0; k < g.k4; ++k) {
        const std::uint8_t* x = a + (g.col_offsets != nullptr ? g.col_offsets[k] : 4 * k);
        for (int lane = 0; lane < 16; ++lane) {
          for (int j = 0; j < 4; ++j) acc[lane] += x[j] * w[(k * 16 + lane) * 4 + j];
        }
      }
      if (g.out_bits != nullptr) {
        unsigned bits = 0;
        for (int lane = 0; lane < 16; ++lane) {
          bits |= static_cast<unsigned>(acc[lane] >= g.amin[p * 16 + lane]) << lane;
        }
        bits ^= g.neg[p];
        std::uint8_t* out = g.out_bits + static_cast<std::size_t>(i) * g.ldo + p * 2;
        out[0] = static_cast<std::uint8_t>(bits & 0xFFU);
        out[1] = static_cast<std::uint8_t>(bits >> 8);
      } else {
        for (int lane = 0; lane < 16 && p * 16 + lane < g.rows; ++lane) {
          g.out_counts[static_cast<std::size_t>(i) * g.ldc + p * 16 + lane] =
              acc[lane] - g.correction[p * 16 + lane];
        }
      }
    }
  }
}

void threshold_bytes_generic(const ThresholdBytesArgs& g) {
  for (int w = 0; w * 64 < g.n; ++w) {
    std::uint64_t bits = 0;
    const int len = std::min(64, g.n - w * 64);
    for (int j = 0; j < len; ++j) {
      bits |= static_cast<std::uint64_t>(g.src[w * 64 + j] >= g.t8[w * 64 + j]) << j;
    }
    g.dst[w] = (bits & ~g.never[w]) ^ g.neg[w];
  }
}

void add_threshold_generic(const AddThresholdArgs& g) {
  const int c_count = g.channels, words = (c_count + 63) / 64;
  for (std::size_t p = 0; p < g.pixels; ++p) {
    const std::int32_t* x = g.x + p * c_count;
    std::uint64_t* out = g.dst + p * g.out_words;
    for (int w = 0; w < words; ++w) {
      const int c0 = w * 64, len = std::min(64, c_count - c0);
      std::uint64_t bits = 0;
      if (g.mode == AddThresholdMode::Bits) {
        const std::uint64_t in1 = g.in1_bits[p * g.in1_words + w];
        for (int j = 0; j < len; ++j) {
          const int c = c0 + j;
          const std::int32_t limit = g.limits[((in1 >> j) & 1) != 0 ? c_count + c : c];
          bits |= static_cast<std::uint64_t>(x[c] >= limit) << j;
        }
      } else {
        const std::int32_t* v = g.in1 + p * c_count;
        for (int j = 0; j < len; ++j) {
          const int c = c0 + j;
          const bool fires = g.mode == AddThresholdMode::Table
                                 ? x[c] >= g.limits[c * g.span + (v[c] - g.in1_min)]
                                 : static_cast<std::int64_t>(x[c]) + v[c] >= g.limits[c];
          bits |= static_cast<std::uint64_t>(fires) << j;
        }
      }
      out[w] = bits ^ g.neg[w];
    }
    for (int w = words; w < g.out_words; ++w) out[w] = 0;
  }
}

// Eight independent chains (one per lane of a 512-bit word) of xor, popcount, add.
double peak_probe_generic(std::int64_t iterations) {
  std::uint64_t x[8], acc[8] = {};
  for (int lane = 0; lane < 8; ++lane) x[lane] = 0x9E3779B97F4A7C15ULL * (lane + 1);
  for (std::int64_t it = 0; it < iterations; ++it) {
    for (int lane = 0; lane < 8; ++lane) {
      acc[lane] += static_cast<std::uint64_t>(std::popcount(x[lane] ^ acc[lane]));
    }
  }
  std::uint64_t sink = 0;
  for (int lane = 0; lane < 8; ++lane) sink += acc[lane];
  // Keeps the loop from being optimized away.
  volatile std::uint64_t keep = sink;
  (void)keep;
  return static_cast<double>(iterations) * 8 * 64;
}

// Sixteen independent chains of a byte multiply-add (the fixed-point layers' loop), each
// depending on its own last value so that none can be hoisted.
double byte_peak_probe_generic(std::int64_t iterations) {
  std::uint32_t acc[16];
  for (int lane = 0; lane < 16; ++lane) acc[lane] = static_cast<std::uint32_t>(lane);
  for (std::int64_t it = 0; it < iterations; ++it) {
    for (int lane = 0; lane < 16; ++lane) {
      acc[lane] +=
          static_cast<std::uint32_t>(static_cast<std::int8_t>(lane - 8)) * (acc[lane] & 0xFFU);
    }
  }
  std::uint32_t sink = 0;
  for (int lane = 0; lane < 16; ++lane) sink += acc[lane];
  volatile std::uint32_t keep = sink;
  (void)keep;
  return static_cast<double>(iterations) * 16;
}

}  // namespace
}  // namespace bnnc::runtime
