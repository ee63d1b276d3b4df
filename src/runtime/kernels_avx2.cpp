// The AVX2 variant (built with -mavx2 -mfma -mpopcnt, src/CMakeLists.txt; only called when CPUID
// reports AVX2, FMA and POPCNT). For CPUs without AVX-512 (AMD before Zen 4, Intel client cores).
//
// Binary layers: AVX2 has no vector popcount, so a byte's set bits come from two table lookups
// (Muła, Kurz, Lemire, "Faster population counts using AVX2 instructions"): VPSHUFB indexes a
// 16-entry table of popcount(0..15) with the byte's low nibble and again with its high nibble.
// Two 256-bit registers hold word k of the 8 rows of a weight panel (rows 0–3, rows 4–7); the
// input row's word k is broadcast to all lanes, so per panel and word: 2 XOR, 2 shifts, 4 AND,
// 4 VPSHUFB, 4 byte adds for 8·64 = 512 binary MACs. The counts pile up in byte accumulators:
// one word adds at most 4 + 4 = 8 to a byte, so 31 words fit (31·8 = 248 ≤ 255); then VPSADBW
// sums each 64-bit lane's 8 bytes, which is the mismatch count D of that lane's layer row — no
// horizontal sums across rows. The threshold is one 64-bit compare per 4 rows whose sign bits
// (VMOVMSKPD) make the output byte.
// Fixed-point first layer: VPMADDUBSW multiplies the unsigned input bytes by the ±1 weights and
// adds neighbouring pairs into int16 (|pair| ≤ 510, so 64 groups fit in int16 without
// saturating); VPMADDWD by ones then makes each row's int32 sum.
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "runtime/kernels.h"
#include "runtime/window_deltas.h"

namespace bnnc::runtime {
namespace {

// Panels per pass over an input row: 4·2 byte accumulators + the table, the nibble mask, the
// broadcast word and two temporaries stay within the 16 registers.
constexpr int kNr = 4;
// Words summed in bytes before VPSADBW: each adds at most 8 to a byte.
constexpr int kChunkWords = 31;
// Early termination: words between two checks of the rows' bounds (256 bits).
constexpr int kExitWords = 4;
static_assert(kExitWords <= kChunkWords, "a chunk's counts must fit the byte accumulators");

// Row i's first word (or byte).
template <typename T, typename Args>
const T* row_start(const Args& g, int i) {
  return g.a + (g.row_offsets != nullptr ? static_cast<std::ptrdiff_t>(g.row_offsets[i])
                                         : static_cast<std::ptrdiff_t>(i) * g.lda);
}

// acc (bytes) += popcount of each byte of x XOR *w. In assembly so that GCC keeps every
// accumulator in its register (with the intrinsics, GCC 12 copies and spills some of them).
[[gnu::always_inline]] inline void add_byte_counts(__m256i& acc, __m256i x, const std::uint64_t* w,
                                                   __m256i table, __m256i low) {
  __m256i lo, hi;
  asm("vpxor %[w], %[x], %[lo]\n\t"
      "vpsrlw $4, %[lo], %[hi]\n\t"
      "vpand %[low], %[lo], %[lo]\n\t"
      "vpand %[low], %[hi], %[hi]\n\t"
      "vpshufb %[lo], %[table], %[lo]\n\t"
      "vpshufb %[hi], %[table], %[hi]\n\t"
      "vpaddb %[lo], %[acc], %[acc]\n\t"
      "vpaddb %[hi], %[acc], %[acc]"
      : [acc] "+x"(acc), [lo] "=&x"(lo), [hi] "=&x"(hi)
      : [x] "x"(x), [w] "m"(*reinterpret_cast<const __m256i*>(w)), [table] "x"(table),
        [low] "x"(low));
}

[[gnu::always_inline]] inline __m256i nibble_table() {
  return _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1,
                          2, 2, 3, 2, 3, 3, 4);
}

// The mismatch counts D of one input row against NR panels: d[8·j + lane] for layer row
// 8·(p0 + j) + lane. Not inlined, so that d stays in memory: with it in registers too, the
// 8 byte accumulators of the K loop would no longer fit the 16 registers.
//
// kExit (early termination, docs/similarity.md "CPU engine"): the words go in chunks of
// kExitWords, and after each the NR panels' rows stop together once every one is decided: D
// only grows, so a row never fires once D > dmax and always does once D + 64·(words left) ≤
// dmax (padding bits never mismatch). d then holds a partial D that decides the same bit.
template <int NR, bool kCols, bool kExit>
[[gnu::noinline]] void mismatch_counts(const BinaryGemmArgs& g, const std::uint64_t* a,
                                       const std::uint64_t* w, std::int64_t* d,
                                       const std::int64_t* dmax) {
  const std::size_t panel_stride = static_cast<std::size_t>(g.k) * 8;
  const __m256i table = nibble_table();
  const __m256i low = _mm256_set1_epi8(0x0F);
  const __m256i zero = _mm256_setzero_si256();
  constexpr int kStep = kExit ? kExitWords : kChunkWords;
  for (int k0 = 0; k0 < g.k; k0 += kStep) {
    const int k1 = std::min(g.k, k0 + kStep);
    __m256i acc[NR][2];
#pragma GCC unroll 8
    for (int j = 0; j < NR; ++j) acc[j][0] = acc[j][1] = zero;
    for (int k = k0; k < k1; ++k) {
      const __m256i x = _mm256_set1_epi64x(static_cast<long long>(a[kCols ? g.col_offsets[k] : k]));
      const std::uint64_t* wk = w + static_cast<std::size_t>(k) * 8;
#pragma GCC unroll 8
      for (int j = 0; j < NR; ++j) {
#pragma GCC unroll 2
        for (int h = 0; h < 2; ++h) {
          add_byte_counts(acc[j][h], x, wk + j * panel_stride + 4 * h, table, low);
        }
      }
    }
    // VPSADBW: each 64-bit lane's 8 byte counts summed, the lane's layer row's share of D.
    [[maybe_unused]] const __m256i rest = _mm256_set1_epi64x(std::int64_t{64} * (g.k - k1));
    __m256i open = zero;  // rows not yet decided
#pragma GCC unroll 8
    for (int j = 0; j < NR; ++j) {
#pragma GCC unroll 2
      for (int h = 0; h < 2; ++h) {
        auto* lanes = reinterpret_cast<__m256i*>(d + 8 * j + 4 * h);
        const __m256i sums = _mm256_sad_epu8(acc[j][h], zero);
        const __m256i total = k0 == 0 ? sums : _mm256_add_epi64(_mm256_loadu_si256(lanes), sums);
        _mm256_storeu_si256(lanes, total);
        if constexpr (kExit) {
          const __m256i limit =
              _mm256_loadu_si256(reinterpret_cast<const __m256i*>(dmax + 8 * j + 4 * h));
          const __m256i over = _mm256_cmpgt_epi64(total, limit);
          const __m256i reach = _mm256_cmpgt_epi64(_mm256_add_epi64(total, rest), limit);
          open = _mm256_or_si256(open, _mm256_andnot_si256(over, reach));
        }
      }
    }
    if (kExit && _mm256_testz_si256(open, open)) break;
  }
}

// A row of at most kChunkWords words against NR panels with a fused threshold: bit 8·j + lane
// = D > dmax of layer row 8·(p0 + j) + lane (does not fire), straight from the byte sums, without
// storing the counts and reading them back (that and the call are the fixed work per output
// row, which costs most on short rows: 9 words at 64 input channels).
template <int NR, bool kCols>
[[gnu::noinline]] std::uint64_t short_row_over(const BinaryGemmArgs& g, const std::uint64_t* a,
                                               const std::uint64_t* w, const std::int64_t* dmax) {
  const std::size_t panel_stride = static_cast<std::size_t>(g.k) * 8;
  const __m256i table = nibble_table();
  const __m256i low = _mm256_set1_epi8(0x0F);
  const __m256i zero = _mm256_setzero_si256();
  __m256i acc[NR][2];
#pragma GCC unroll 8
  for (int j = 0; j < NR; ++j) acc[j][0] = acc[j][1] = zero;
  for (int k = 0; k < g.k; ++k) {
    const __m256i x = _mm256_set1_epi64x(static_cast<long long>(a[kCols ? g.col_offsets[k] : k]));
    const std::uint64_t* wk = w + static_cast<std::size_t>(k) * 8;
#pragma GCC unroll 8
    for (int j = 0; j < NR; ++j) {
#pragma GCC unroll 2
      for (int h = 0; h < 2; ++h) {
        add_byte_counts(acc[j][h], x, wk + j * panel_stride + 4 * h, table, low);
      }
    }
  }
  std::uint64_t over = 0;
#pragma GCC unroll 8
  for (int j = 0; j < NR; ++j) {
#pragma GCC unroll 2
    for (int h = 0; h < 2; ++h) {
      const __m256i d = _mm256_sad_epu8(acc[j][h], zero);
      const __m256i limit =
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(dmax + 8 * j + 4 * h));
      over |= static_cast<std::uint64_t>(static_cast<unsigned>(
                  _mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpgt_epi64(d, limit)))))
              << (8 * j + 4 * h);
    }
  }
  return over;
}

// Output row i of NR panels from their mismatch counts dm[8·j + lane]: the fused threshold's
// bits or the counts P = N − D.
template <int NR>
[[gnu::always_inline]] inline void store_row_panels(const BinaryGemmArgs& g, int i, int p0,
                                                    const std::int64_t* dm) {
  __m256i d[NR][2];  // rows 0–3, rows 4–7 of each panel
#pragma GCC unroll 8
  for (int j = 0; j < NR; ++j) {
    d[j][0] = _mm256_load_si256(reinterpret_cast<const __m256i*>(dm + 8 * j));
    d[j][1] = _mm256_load_si256(reinterpret_cast<const __m256i*>(dm + 8 * j + 4));
  }
  if (g.out_bits != nullptr) {
    // Bit r fires when D ≤ dmax[r], i.e. unless D > dmax[r].
    std::uint64_t bits = 0;
#pragma GCC unroll 8
    for (int j = 0; j < NR; ++j) {
      const std::int64_t* dmax = g.dmax + static_cast<std::ptrdiff_t>(p0 + j) * 8;
      const __m256i over0 =
          _mm256_cmpgt_epi64(d[j][0], _mm256_loadu_si256(reinterpret_cast<const __m256i*>(dmax)));
      const __m256i over1 = _mm256_cmpgt_epi64(
          d[j][1], _mm256_loadu_si256(reinterpret_cast<const __m256i*>(dmax + 4)));
      const auto over = static_cast<unsigned>(_mm256_movemask_pd(_mm256_castsi256_pd(over0))) |
                        static_cast<unsigned>(_mm256_movemask_pd(_mm256_castsi256_pd(over1))) << 4;
      bits |= static_cast<std::uint64_t>(~over & 0xFFU) << (8 * j);
    }
    std::uint64_t neg = 0;
    std::memcpy(&neg, g.neg + p0, NR);
    bits ^= neg;
    std::memcpy(g.out_bits + static_cast<std::size_t>(i) * g.ldo + p0, &bits, NR);
    return;
  }
  // P = N − D of the rows < MH.
  const __m256i cols_total = _mm256_set1_epi64x(g.cols);
  std::int32_t* out = g.out_counts + static_cast<std::size_t>(i) * g.ldc;
  for (int j = 0; j < NR; ++j) {
    alignas(32) std::int64_t p[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(p), _mm256_sub_epi64(cols_total, d[j][0]));
    _mm256_store_si256(reinterpret_cast<__m256i*>(p + 4), _mm256_sub_epi64(cols_total, d[j][1]));
    const int first = (p0 + j) * 8;
    for (int lane = 0; lane < 8 && first + lane < g.rows; ++lane) {
      out[first + lane] = static_cast<std::int32_t>(p[lane]);
    }
  }
}

// One input row × NR panels (p0 .. p0 + NR − 1) of output row i: the mismatch counts, then the
// fused threshold or the counts. The weights of NR panels (NR·K·64 bytes) are read once per
// input row, in order.
template <int NR, bool kCols, bool kExit>
[[gnu::always_inline]] inline void binary_row_panels(const BinaryGemmArgs& g,
                                                     const std::uint64_t* a, int i, int p0) {
  const std::uint64_t* w = g.panels + static_cast<std::size_t>(p0) * g.k * 8;
  if (!kExit && g.out_bits != nullptr && g.k <= kChunkWords) {
    const std::uint64_t over =
        short_row_over<NR, kCols>(g, a, w, g.dmax + static_cast<std::ptrdiff_t>(p0) * 8);
    std::uint64_t neg = 0;
    std::memcpy(&neg, g.neg + p0, NR);
    const std::uint64_t bits = ~over ^ neg;  // its low NR bytes are the output
    std::memcpy(g.out_bits + static_cast<std::size_t>(i) * g.ldo + p0, &bits, NR);
    return;
  }
  alignas(32) std::int64_t dm[NR * 8];
  mismatch_counts<NR, kCols, kExit>(g, a, w, dm,
                                    kExit ? g.dmax + static_cast<std::ptrdiff_t>(p0) * 8 : nullptr);
  store_row_panels<NR>(g, i, p0, dm);
}

// Panels outermost: a block of kNr panels (kNr·K·64 bytes) stays in L1 while every input row
// streams past it; with one input row (batch 1) the panels stream past in order.
template <bool kCols, bool kExit>
void binary_gemm_blocks(const BinaryGemmArgs& g) {
  for (int p0 = g.panel_begin; p0 < g.panel_end; p0 += kNr) {
    const int nr = std::min(kNr, g.panel_end - p0);
    for (int i = 0; i < g.m; ++i) {
      const std::uint64_t* a = row_start<std::uint64_t>(g, i);
      switch (nr) {
        case 4: binary_row_panels<4, kCols, kExit>(g, a, i, p0); break;
        case 3: binary_row_panels<3, kCols, kExit>(g, a, i, p0); break;
        case 2: binary_row_panels<2, kCols, kExit>(g, a, i, p0); break;
        default: binary_row_panels<1, kCols, kExit>(g, a, i, p0); break;
      }
    }
  }
  static_assert(kNr == 4, "the switch above covers 1..kNr panels");
}

// The arguments are copied into a local first: the output stores (uint8_t*) could otherwise
// alias them and force every field to be reloaded.
void binary_gemm_avx2(const BinaryGemmArgs& args) {
  const BinaryGemmArgs g = args;
  if (g.col_offsets != nullptr) {
    binary_gemm_blocks<true, false>(g);
  } else {
    binary_gemm_blocks<false, false>(g);
  }
}

// With early termination on a fused threshold; counts run in full.
void binary_gemm_early_exit_avx2(const BinaryGemmArgs& args) {
  const BinaryGemmArgs g = args;
  if (g.out_bits == nullptr) {
    binary_gemm_avx2(g);
  } else if (g.col_offsets != nullptr) {
    binary_gemm_blocks<true, true>(g);
  } else {
    binary_gemm_blocks<false, true>(g);
  }
}

// Input reuse (docs/similarity.md "CPU engine"; the maths at binary_gemm_input_reuse_generic):
// D_v = D_{v−1} − Σ popcount(Δ) + 2·Σ popcount(Δ AND (x_v XOR w)) over the words where windows v
// and v − 1 differ (Δ = x_v XOR x_{v−1} ≠ 0). Per such word and half panel one VPAND more than
// the plain kernel (and a second broadcast per word); nothing on the equal words. A window that
// differs from its neighbour in more than kReuseFullNum/kReuseFullDen of its words is computed in
// full (its reuse would cost more than the plain loop), as is the first window of each output row.
constexpr int kReuseFullNum = 7, kReuseFullDen = 8;

// acc (bytes) += popcount of each byte of delta AND (x XOR *w); as add_byte_counts, in assembly.
[[gnu::always_inline]] inline void add_changed_counts(__m256i& acc, __m256i x, __m256i delta,
                                                      const std::uint64_t* w, __m256i table,
                                                      __m256i low) {
  __m256i lo, hi;
  asm("vpxor %[w], %[x], %[lo]\n\t"
      "vpand %[delta], %[lo], %[lo]\n\t"
      "vpsrlw $4, %[lo], %[hi]\n\t"
      "vpand %[low], %[lo], %[lo]\n\t"
      "vpand %[low], %[hi], %[hi]\n\t"
      "vpshufb %[lo], %[table], %[lo]\n\t"
      "vpshufb %[hi], %[table], %[hi]\n\t"
      "vpaddb %[lo], %[acc], %[acc]\n\t"
      "vpaddb %[hi], %[acc], %[acc]"
      : [acc] "+x"(acc), [lo] "=&x"(lo), [hi] "=&x"(hi)
      : [x] "x"(x), [delta] "x"(delta), [w] "m"(*reinterpret_cast<const __m256i*>(w)),
        [table] "x"(table), [low] "x"(low));
}

// d (NR panels' mismatch counts of window v − 1, in place) becomes window v's.
template <int NR, bool kCols>
[[gnu::noinline]] void reuse_counts(const BinaryGemmArgs& g, const std::uint64_t* a,
                                    const std::uint64_t* before, const std::uint64_t* w,
                                    const std::int32_t* words, const WindowDelta& delta,
                                    std::int64_t* d) {
  const std::size_t panel_stride = static_cast<std::size_t>(g.k) * 8;
  const __m256i table = nibble_table();
  const __m256i low = _mm256_set1_epi8(0x0F);
  const __m256i zero = _mm256_setzero_si256();
  __m256i minus = _mm256_set1_epi64x(delta.changed);
  for (int c0 = 0; c0 < delta.count; c0 += kChunkWords) {
    const int c1 = std::min(delta.count, c0 + kChunkWords);
    __m256i acc[NR][2];
#pragma GCC unroll 8
    for (int j = 0; j < NR; ++j) acc[j][0] = acc[j][1] = zero;
    for (int c = c0; c < c1; ++c) {
      const int k = words[c];
      const std::ptrdiff_t at = kCols ? g.col_offsets[k] : k;
      const __m256i x = _mm256_set1_epi64x(static_cast<long long>(a[at]));
      const __m256i dl = _mm256_set1_epi64x(static_cast<long long>(a[at] ^ before[at]));
      const std::uint64_t* wk = w + static_cast<std::size_t>(k) * 8;
#pragma GCC unroll 8
      for (int j = 0; j < NR; ++j) {
#pragma GCC unroll 2
        for (int h = 0; h < 2; ++h) {
          add_changed_counts(acc[j][h], x, dl, wk + j * panel_stride + 4 * h, table, low);
        }
      }
    }
#pragma GCC unroll 8
    for (int j = 0; j < NR; ++j) {
#pragma GCC unroll 2
      for (int h = 0; h < 2; ++h) {
        auto* lanes = reinterpret_cast<__m256i*>(d + 8 * j + 4 * h);
        const __m256i twice = _mm256_slli_epi64(_mm256_sad_epu8(acc[j][h], zero), 1);
        _mm256_store_si256(
            lanes, _mm256_sub_epi64(_mm256_add_epi64(_mm256_load_si256(lanes), twice), minus));
      }
    }
    minus = zero;
  }
}

template <int NR, bool kCols>
[[gnu::always_inline]] inline void reuse_row_panels(const BinaryGemmArgs& g, int i, int p0,
                                                    const std::int32_t* words,
                                                    const WindowDelta& delta, std::int64_t* d) {
  const std::uint64_t* w = g.panels + static_cast<std::size_t>(p0) * g.k * 8;
  const std::uint64_t* a = row_start<std::uint64_t>(g, i);
  if (delta.count < 0) {
    mismatch_counts<NR, kCols, false>(g, a, w, d, nullptr);
  } else {
    reuse_counts<NR, kCols>(g, a, row_start<std::uint64_t>(g, i - 1), w, words + delta.first, delta,
                            d);
  }
  store_row_panels<NR>(g, i, p0, d);
}

template <bool kCols>
void binary_gemm_input_reuse_blocks(const BinaryGemmArgs& g) {
  // Which words differ, per window: found once, shared by every panel.
  thread_local std::vector<std::int32_t> words;
  thread_local std::vector<WindowDelta> deltas;
  find_window_deltas(g, kReuseFullNum, kReuseFullDen, words, deltas);
  for (int p0 = g.panel_begin; p0 < g.panel_end; p0 += kNr) {
    const int nr = std::min(kNr, g.panel_end - p0);
    alignas(32) std::int64_t d[kNr * 8];
    for (int i = 0; i < g.m; ++i) {
      const WindowDelta& delta = deltas[static_cast<std::size_t>(i)];
      switch (nr) {
        case 4: reuse_row_panels<4, kCols>(g, i, p0, words.data(), delta, d); break;
        case 3: reuse_row_panels<3, kCols>(g, i, p0, words.data(), delta, d); break;
        case 2: reuse_row_panels<2, kCols>(g, i, p0, words.data(), delta, d); break;
        default: reuse_row_panels<1, kCols>(g, i, p0, words.data(), delta, d); break;
      }
    }
  }
}

void binary_gemm_input_reuse_avx2(const BinaryGemmArgs& args) {
  const BinaryGemmArgs g = args;
  if (g.reuse_run <= 1 || g.m < 2) {
    binary_gemm_avx2(g);
  } else if (g.col_offsets != nullptr) {
    binary_gemm_input_reuse_blocks<true>(g);
  } else {
    binary_gemm_input_reuse_blocks<false>(g);
  }
}

// Groups summed in int16 before VPMADDWD: a pair of byte products is at most 2·255 = 510 in
// magnitude, and 64·510 = 32640 ≤ 32767.
constexpr int kChunkGroups = 64;
// Input rows per pass over a panel: 2·MR int16 accumulators + the panel's 2 weight registers.
constexpr int kFixedMr = 4;

// Adds the sums Σ s·a over groups [k0, k1) (at most kChunkGroups) of 4 input rows against one
// panel (16 layer rows, 64 bytes per group) into sums[i][0] (rows 0–7, int32) and sums[i][1]
// (rows 8–15). Per group 2 weight loads, 4 broadcasts, 8 VPMADDUBSW and 8 VPADDW into int16;
// Zen 3 runs 2 VPMADDUBSW a cycle, ~1.6 with a VPADDW after each (docs/cpu-avx2.md), so about
// 5 cycles for 256 byte MACs. In assembly because
// with the intrinsics GCC 12 kept the 8 accumulators on the stack (a load and a store each per
// group: AlexNet's conv1 took 2.2× as long).
template <bool kCols>
[[gnu::always_inline]] inline void add_int_sums_four_rows(const FixedGemmArgs& g,
                                                          const std::uint8_t* const (&a)[kFixedMr],
                                                          const std::int8_t* w, int k0, int k1,
                                                          __m256i (&sums_out)[kFixedMr][2]) {
  if (k1 <= k0) return;
  const std::int8_t* wk = w + static_cast<std::ptrdiff_t>(k0) * 64;
  const std::int8_t* const w_end = w + static_cast<std::ptrdiff_t>(k1) * 64;
  const __m256i ones = _mm256_set1_epi16(1);
  // Group k's bytes lie at a[i] + off: col_offsets[k], or 4k without them.
  const std::int32_t* col = kCols ? g.col_offsets + k0 : nullptr;
  std::intptr_t off = kCols ? 0 : std::intptr_t{4} * k0;
  // ymm0–7 the int16 accumulators, ymm8/9 the panel's group, ymm10 the broadcast input bytes,
  // ymm11 a product.
  __m256i* const sums = &sums_out[0][0];
#define BNNC_FIXED_ROW(ai, lo, hi)          \
  "vpbroadcastd (%[" ai                     \
  "],%[off]), %%ymm10\n\t"                  \
  "vpmaddubsw %%ymm8, %%ymm10, %%ymm11\n\t" \
  "vpaddw %%ymm11, %%" lo ", %%" lo         \
  "\n\t"                                    \
  "vpmaddubsw %%ymm9, %%ymm10, %%ymm10\n\t" \
  "vpaddw %%ymm10, %%" hi ", %%" hi "\n\t"
#define BNNC_FIXED_GROUP \
  "vmovdqu (%[wk]), %%ymm8\n\t"                                                         \
  "vmovdqu 32(%[wk]), %%ymm9\n\t" BNNC_FIXED_ROW("a0", "ymm0", "ymm1")                  \
      BNNC_FIXED_ROW("a1", "ymm2", "ymm3") BNNC_FIXED_ROW("a2", "ymm4", "ymm5")          \
          BNNC_FIXED_ROW("a3", "ymm6", "ymm7") "add $64, %[wk]\n\t"                      \
                                               "cmp %[w_end], %[wk]\n\t"
// After the groups: each int16 pair summed into int32 (VPMADDWD by ones) and added to sums.
#define BNNC_FIXED_ADD(r, at)             \
  "vpmaddwd %[ones], %%" r ", %%" r       \
  "\n\t"                                  \
  "vpaddd " at "(%[sums]), %%" r ", %%" r \
  "\n\t"                                  \
  "vmovdqu %%" r ", " at "(%[sums])\n\t"
#define BNNC_FIXED_ZERO              \
  "vpxor %%xmm0, %%xmm0, %%xmm0\n\t" \
  "vpxor %%xmm1, %%xmm1, %%xmm1\n\t" \
  "vpxor %%xmm2, %%xmm2, %%xmm2\n\t" \
  "vpxor %%xmm3, %%xmm3, %%xmm3\n\t" \
  "vpxor %%xmm4, %%xmm4, %%xmm4\n\t" \
  "vpxor %%xmm5, %%xmm5, %%xmm5\n\t" \
  "vpxor %%xmm6, %%xmm6, %%xmm6\n\t" \
  "vpxor %%xmm7, %%xmm7, %%xmm7\n\t"
#define BNNC_FIXED_STORE        \
  BNNC_FIXED_ADD("ymm0", "0")   \
  BNNC_FIXED_ADD("ymm1", "32")  \
  BNNC_FIXED_ADD("ymm2", "64")  \
  BNNC_FIXED_ADD("ymm3", "96")  \
  BNNC_FIXED_ADD("ymm4", "128") \
  BNNC_FIXED_ADD("ymm5", "160") \
  BNNC_FIXED_ADD("ymm6", "192") BNNC_FIXED_ADD("ymm7", "224")
#define BNNC_FIXED_INPUTS                                                             \
  [a0] "r"(a[0]), [a1] "r"(a[1]), [a2] "r"(a[2]), [a3] "r"(a[3]), [w_end] "r"(w_end), \
      [sums] "r"(sums), [ones] "x"(ones)
#define BNNC_FIXED_CLOBBERS                                                                       \
  "cc", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", \
      "xmm10", "xmm11"
  if constexpr (kCols) {
    asm volatile(BNNC_FIXED_ZERO
                 "1:\n\t"
                 "movslq (%[col]), %[off]\n\t"
                 "add $4, %[col]\n\t" BNNC_FIXED_GROUP "jne 1b\n\t" BNNC_FIXED_STORE
                 : [wk] "+r"(wk), [off] "+r"(off), [col] "+r"(col)
                 : BNNC_FIXED_INPUTS
                 : BNNC_FIXED_CLOBBERS);
  } else {
    asm volatile(BNNC_FIXED_ZERO "1:\n\t" BNNC_FIXED_GROUP
                                 "lea 4(%[off]), %[off]\n\t"
                                 "jne 1b\n\t" BNNC_FIXED_STORE
                 : [wk] "+r"(wk), [off] "+r"(off)
                 : BNNC_FIXED_INPUTS
                 : BNNC_FIXED_CLOBBERS);
  }
#undef BNNC_FIXED_CLOBBERS
#undef BNNC_FIXED_INPUTS
#undef BNNC_FIXED_STORE
#undef BNNC_FIXED_ADD
#undef BNNC_FIXED_ZERO
#undef BNNC_FIXED_GROUP
#undef BNNC_FIXED_ROW
}

// MR input rows × one panel of 16 layer rows.
template <int MR, bool kCols>
[[gnu::always_inline]] inline void fixed_rows_panel(const FixedGemmArgs& g, int i0, int p) {
  const std::uint8_t* a[MR];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) a[i] = row_start<std::uint8_t>(g, i0 + i);
  const std::int8_t* w = g.panels + static_cast<std::size_t>(p) * g.k4 * 64;
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i sum[MR][2];  // int32 Σ s·a: rows 0–7, rows 8–15 of the panel
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) sum[i][0] = sum[i][1] = _mm256_setzero_si256();
  for (int k0 = 0; k0 < g.k4; k0 += kChunkGroups) {
    const int k1 = std::min(g.k4, k0 + kChunkGroups);
    if constexpr (MR == kFixedMr) {
      add_int_sums_four_rows<kCols>(g, a, w, k0, k1, sum);
      continue;
    }
    __m256i acc[MR][2];
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm256_setzero_si256();
    for (int k = k0; k < k1; ++k) {
      const int col = kCols ? g.col_offsets[k] : 4 * k;
      const __m256i w0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + k * 64));
      const __m256i w1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + k * 64 + 32));
#pragma GCC unroll 8
      for (int i = 0; i < MR; ++i) {
        std::int32_t four;
        std::memcpy(&four, a[i] + col, 4);
        const __m256i x = _mm256_set1_epi32(four);
        acc[i][0] = _mm256_add_epi16(acc[i][0], _mm256_maddubs_epi16(x, w0));
        acc[i][1] = _mm256_add_epi16(acc[i][1], _mm256_maddubs_epi16(x, w1));
      }
    }
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 2
      for (int h = 0; h < 2; ++h) {
        sum[i][h] = _mm256_add_epi32(sum[i][h], _mm256_madd_epi16(acc[i][h], ones));
      }
    }
  }
  if (g.out_bits != nullptr) {
    // Bit r fires when Σ s·a ≥ amin[r], i.e. unless amin[r] > Σ s·a.
    const std::int32_t* amin = g.amin + static_cast<std::ptrdiff_t>(p) * 16;
    const __m256i amin0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(amin));
    const __m256i amin1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(amin + 8));
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      const auto under0 = static_cast<unsigned>(
          _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(amin0, sum[i][0]))));
      const auto under1 = static_cast<unsigned>(
          _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(amin1, sum[i][1]))));
      const unsigned bits = (~(under0 | under1 << 8) & 0xFFFFU) ^ g.neg[p];
      std::uint8_t* out = g.out_bits + static_cast<std::size_t>(i0 + i) * g.ldo + p * 2;
      out[0] = static_cast<std::uint8_t>(bits & 0xFFU);
      out[1] = static_cast<std::uint8_t>(bits >> 8);
    }
    return;
  }
  const std::int32_t* correction = g.correction + static_cast<std::ptrdiff_t>(p) * 16;
  const __m256i correction0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(correction));
  const __m256i correction1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(correction + 8));
  for (int i = 0; i < MR; ++i) {
    alignas(32) std::int32_t v[16];
    _mm256_store_si256(reinterpret_cast<__m256i*>(v), _mm256_sub_epi32(sum[i][0], correction0));
    _mm256_store_si256(reinterpret_cast<__m256i*>(v + 8), _mm256_sub_epi32(sum[i][1], correction1));
    std::int32_t* out = g.out_counts + static_cast<std::size_t>(i0 + i) * g.ldc + p * 16;
    for (int lane = 0; lane < 16 && p * 16 + lane < g.rows; ++lane) out[lane] = v[lane];
  }
}

template <bool kCols>
void fixed_gemm_blocks(const FixedGemmArgs& g) {
  for (int p = g.panel_begin; p < g.panel_end; ++p) {
    int i0 = 0;
    for (; i0 + kFixedMr <= g.m; i0 += kFixedMr) fixed_rows_panel<kFixedMr, kCols>(g, i0, p);
    for (; i0 < g.m; ++i0) fixed_rows_panel<1, kCols>(g, i0, p);
  }
}

void fixed_gemm_avx2(const FixedGemmArgs& args) {
  const FixedGemmArgs g = args;
  if (g.col_offsets != nullptr) {
    fixed_gemm_blocks<true>(g);
  } else {
    fixed_gemm_blocks<false>(g);
  }
}

// 32 channels per compare: src ≥ t8 ⇔ max(src, t8) = src, and VPMOVMSKB makes the bits.
void threshold_bytes_avx2(const ThresholdBytesArgs& g) {
  for (int w = 0; w * 64 < g.n; ++w) {
    const int len = std::min(64, g.n - w * 64);
    alignas(32) std::uint8_t src[64] = {};
    std::memcpy(src, g.src + w * 64, static_cast<std::size_t>(len));
    std::uint64_t bits = 0;
#pragma GCC unroll 2
    for (int h = 0; h < 2; ++h) {
      const __m256i v = _mm256_load_si256(reinterpret_cast<const __m256i*>(src + 32 * h));
      const __m256i t =
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(g.t8 + w * 64 + 32 * h));
      const __m256i fires = _mm256_cmpeq_epi8(_mm256_max_epu8(v, t), v);
      bits |= static_cast<std::uint64_t>(static_cast<std::uint32_t>(_mm256_movemask_epi8(fires)))
              << (32 * h);
    }
    const std::uint64_t lanes = len == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << len) - 1;
    g.dst[w] = (bits & lanes & ~g.never[w]) ^ g.neg[w];
  }
}

// The binary kernel's inner loop alone on registers: 6 independent chains of XOR, the two nibble
// lookups and the two byte adds, per 256-bit word. In assembly so that the loop holds exactly
// those instructions (a compiler adds register moves or hoists the invariant XOR).
double peak_probe_avx2(std::int64_t iterations) {
  if (iterations <= 0) return 0;
  std::int64_t count = iterations;
  const __m256i table = nibble_table();
  const __m256i low = _mm256_set1_epi8(0x0F);
  asm volatile(
      "vmovdqa %[low], %%ymm13\n\t"
      "vmovq %[seed], %%xmm14\n\t"
      "vpbroadcastq %%xmm14, %%ymm14\n\t"
      "vmovdqa %[table], %%ymm15\n\t"
      "vmovdqa %%ymm14, %%ymm0\n\t"
      "vmovdqa %%ymm14, %%ymm1\n\t"
      "vmovdqa %%ymm14, %%ymm2\n\t"
      "vmovdqa %%ymm14, %%ymm3\n\t"
      "vmovdqa %%ymm14, %%ymm4\n\t"
      "vmovdqa %%ymm14, %%ymm5\n\t"
      "vmovdqa %%ymm14, %%ymm6\n\t"
      "vmovdqa %%ymm14, %%ymm7\n\t"
      "vmovdqa %%ymm14, %%ymm8\n\t"
      "vmovdqa %%ymm14, %%ymm9\n\t"
      "vmovdqa %%ymm14, %%ymm10\n\t"
      "1:\n\t"
#define BNNC_PEAK_CHAIN(v, acc)           \
  "vpxor %%ymm14, %%" v ", %%" v          \
  "\n\t"                                  \
  "vpand %%ymm13, %%" v                   \
  ", %%ymm11\n\t"                         \
  "vpsrlw $4, %%" v                       \
  ", %%ymm12\n\t"                         \
  "vpand %%ymm13, %%ymm12, %%ymm12\n\t"   \
  "vpshufb %%ymm11, %%ymm15, %%ymm11\n\t" \
  "vpshufb %%ymm12, %%ymm15, %%ymm12\n\t" \
  "vpaddb %%ymm11, %%" acc ", %%" acc     \
  "\n\t"                                  \
  "vpaddb %%ymm12, %%" acc ", %%" acc "\n\t"
      BNNC_PEAK_CHAIN("ymm0", "ymm5") BNNC_PEAK_CHAIN("ymm1", "ymm6")
          BNNC_PEAK_CHAIN("ymm2", "ymm7") BNNC_PEAK_CHAIN("ymm3", "ymm8")
              BNNC_PEAK_CHAIN("ymm4", "ymm9") BNNC_PEAK_CHAIN("ymm10", "ymm5")
#undef BNNC_PEAK_CHAIN
                  "dec %[count]\n\t"
                  "jnz 1b\n\t"
      : [count] "+r"(count)
      : [seed] "r"(0x9E3779B97F4A7C15ULL), [table] "m"(table), [low] "m"(low)
      : "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
        "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
  return static_cast<double>(iterations) * 6 * 256;
}

// The fixed-point kernel's inner loop alone on registers: 6 independent chains of VPMADDUBSW
// (32 byte MACs into 16-bit pairs) and VPADDW into the chain's accumulator. In assembly so that
// the loop holds exactly those instructions.
double byte_peak_probe_avx2(std::int64_t iterations) {
  if (iterations <= 0) return 0;
  std::int64_t count = iterations;
  asm volatile(
      "vpcmpeqb %%ymm14, %%ymm14, %%ymm14\n\t"
      "vpabsb %%ymm14, %%ymm15\n\t"
      "vpxor %%ymm0, %%ymm0, %%ymm0\n\t"
      "vmovdqa %%ymm0, %%ymm1\n\t"
      "vmovdqa %%ymm0, %%ymm2\n\t"
      "vmovdqa %%ymm0, %%ymm3\n\t"
      "vmovdqa %%ymm0, %%ymm4\n\t"
      "vmovdqa %%ymm0, %%ymm5\n\t"
      "1:\n\t"
#define BNNC_BYTE_CHAIN(tmp, acc)       \
  "vpmaddubsw %%ymm14, %%ymm15, %%" tmp \
  "\n\t"                                \
  "vpaddw %%" tmp ", %%" acc ", %%" acc "\n\t"
      BNNC_BYTE_CHAIN("ymm6", "ymm0") BNNC_BYTE_CHAIN("ymm7", "ymm1")
          BNNC_BYTE_CHAIN("ymm8", "ymm2") BNNC_BYTE_CHAIN("ymm9", "ymm3")
              BNNC_BYTE_CHAIN("ymm10", "ymm4") BNNC_BYTE_CHAIN("ymm11", "ymm5")
#undef BNNC_BYTE_CHAIN
                  "dec %[count]\n\t"
                  "jnz 1b\n\t"
      : [count] "+r"(count)
      :
      : "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
        "xmm10", "xmm11", "xmm14", "xmm15");
  return static_cast<double>(iterations) * 6 * 32;
}

}  // namespace

KernelTable kernels_avx2() {
  return {Isa::Avx2,
          binary_gemm_avx2,
          fixed_gemm_avx2,
          threshold_bytes_avx2,
          peak_probe_avx2,
          nullptr,
          0,
          0,
          nullptr,
          binary_gemm_early_exit_avx2,
          binary_gemm_input_reuse_avx2,
          nullptr,
          nullptr,
          add_threshold_ref,
          nullptr,
          byte_peak_probe_avx2};
}

}  // namespace bnnc::runtime
