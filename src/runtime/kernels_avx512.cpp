// The AVX-512 variant (built with -mavx512f -mavx512bw -mavx512vl -mavx512vpopcntdq
// -mavx512vnni; only called when CPUID reports them).
//
// Binary layers: one 512-bit register holds word k of the 8 rows of a weight panel; the input
// row's word k is broadcast to all lanes, so one XOR + VPOPCNTQ + ADD makes 8·64 = 512 binary
// MACs and each lane accumulates the mismatches D of its own row: no horizontal sums. A block
// of MR input rows × NR panels keeps MR·NR accumulators in registers (4×4: 16 of 32), and the
// threshold is one compare per panel whose 8-bit mask is the output byte.
// Fixed-point first layer: VPDPBUSD multiplies 4 unsigned input bytes by 4 signed ±1 weights and
// adds them into each of 16 int32 lanes (16 rows per panel).
// GCC 12's AVX-512 headers start some intrinsics from an "undefined" register, which its own
// -Wuninitialized then reports (a false positive inside the header, not in this code).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <bit>
#include <utility>
#include <vector>

#include "runtime/kernels.h"

namespace bnnc::runtime {
namespace {

// The block shapes. Binary: MR·NR accumulators + NR weight words + a broadcast stay within the
// 32 registers; fixed: the same with 16-row panels.
constexpr int kBinaryMr = 6, kBinaryNr = 4;
constexpr int kFixedMr = 6, kFixedNr = 4;

// Row i's first word (or byte), read before any output is stored: the stores go through
// uint8_t*, which may alias anything, so everything the block needs is loaded up front.
template <typename T, typename Args>
const T* row_start(const Args& g, int i) {
  return g.a + (g.row_offsets != nullptr ? static_cast<std::ptrdiff_t>(g.row_offsets[i])
                                         : static_cast<std::ptrdiff_t>(i) * g.lda);
}

// The fused threshold of a block of MR rows × NR panels of kLanes layer rows each (binary: 8
// int64 mismatch counts per panel, fixed: 16 int32 sums): one compare per (row, panel) against
// the panel's limits, whose kLanes-bit mask is the panel's part of the output row, XOR the
// panel's negate bits; a row's NR·kLanes bits leave in one store.
template <int MR, int NR, int kLanes, typename Args, typename Limit, typename Negate,
          typename Fires>
[[gnu::always_inline]] inline void store_threshold_bits(const Args& g, const __m512i (&acc)[MR][NR],
                                                        int i0, int p0, const Limit* limits,
                                                        const Negate* negate, Fires fires) {
  constexpr int kBytes = kLanes / 8;  // output bytes per panel
  static_assert(NR * kBytes <= 8, "a row's bits must fit one 64-bit store");
  std::uint8_t* out[MR];
#pragma GCC unroll 32
  for (int i = 0; i < MR; ++i) {
    out[i] = g.out_bits + static_cast<std::size_t>(i0 + i) * g.ldo + p0 * kBytes;
  }
  std::uint64_t neg = 0;
  __builtin_memcpy(&neg, negate + p0, NR * kBytes);
  __m512i limit[NR];
#pragma GCC unroll 32
  for (int j = 0; j < NR; ++j) limit[j] = _mm512_loadu_si512(limits + (p0 + j) * kLanes);
#pragma GCC unroll 32
  for (int i = 0; i < MR; ++i) {
    std::uint64_t bits = 0;
#pragma GCC unroll 32
    for (int j = 0; j < NR; ++j) {
      bits |= static_cast<std::uint64_t>(fires(acc[i][j], limit[j])) << (kLanes * j);
    }
    bits ^= neg;
    __builtin_memcpy(out[i], &bits, NR * kBytes);
  }
}

// The fused threshold of a residual add after the layer (BinaryGemmArgs::shortcut_bits or
// shortcut_values): each (row, panel) compared with the limits its shortcut picks. On bits both
// limits are compared and the shortcut's byte of the panel chooses; on a table the 8 limits are
// gathered by r·span + v − min, lanes past MH masked (−1: never fires).
template <int MR, int NR>
[[gnu::always_inline]] inline void store_add_bits(const BinaryGemmArgs& g,
                                                  const __m512i (&acc)[MR][NR], int i0, int p0) {
  static_assert(NR <= 8, "a row's bits must fit one 64-bit store");
  std::uint8_t* out[MR];
#pragma GCC unroll 32
  for (int i = 0; i < MR; ++i) {
    out[i] = g.out_bits + static_cast<std::size_t>(i0 + i) * g.ldo + p0;
  }
  std::uint64_t neg = 0;
  __builtin_memcpy(&neg, g.neg + p0, NR);
  if (g.shortcut_bits != nullptr) {
    __m512i zero_limit[NR], one_limit[NR];
#pragma GCC unroll 32
    for (int j = 0; j < NR; ++j) {
      zero_limit[j] = _mm512_loadu_si512(g.dmax + (p0 + j) * 8);
      one_limit[j] = _mm512_loadu_si512(g.dmax_one + (p0 + j) * 8);
    }
#pragma GCC unroll 32
    for (int i = 0; i < MR; ++i) {
      std::uint64_t ones = 0;
      __builtin_memcpy(&ones,
                       g.shortcut_bits + static_cast<std::size_t>(i0 + i) * g.ld_shortcut + p0, NR);
      std::uint64_t bits = 0;
#pragma GCC unroll 32
      for (int j = 0; j < NR; ++j) {
        const auto one = static_cast<__mmask8>(ones >> (8 * j));
        const __mmask8 fires =
            _mm512_mask_cmple_epi64_mask(static_cast<__mmask8>(~one), acc[i][j], zero_limit[j]) |
            _mm512_mask_cmple_epi64_mask(one, acc[i][j], one_limit[j]);
        bits |= static_cast<std::uint64_t>(fires) << (8 * j);
      }
      bits ^= neg;
      __builtin_memcpy(out[i], &bits, NR);
    }
    return;
  }
  const __m256i span = _mm256_set1_epi32(static_cast<std::int32_t>(g.table_span));
  __m256i base[NR];
  __mmask8 live[NR];
#pragma GCC unroll 32
  for (int j = 0; j < NR; ++j) {
    const int valid = g.rows - (p0 + j) * 8;
    live[j] = static_cast<__mmask8>(valid >= 8 ? 0xFF : (1U << valid) - 1U);
    const __m256i row = _mm256_add_epi32(_mm256_set1_epi32((p0 + j) * 8),
                                         _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    base[j] = _mm256_sub_epi32(_mm256_mullo_epi32(row, span),
                               _mm256_set1_epi32(static_cast<std::int32_t>(g.table_min)));
  }
#pragma GCC unroll 32
  for (int i = 0; i < MR; ++i) {
    const std::int32_t* v =
        g.shortcut_values + static_cast<std::size_t>(i0 + i) * g.ld_shortcut + p0 * 8;
    std::uint64_t bits = 0;
#pragma GCC unroll 32
    for (int j = 0; j < NR; ++j) {
      const __m256i index = _mm256_add_epi32(base[j], _mm256_maskz_loadu_epi32(live[j], v + j * 8));
      const __m256i limit =
          _mm256_mmask_i32gather_epi32(_mm256_set1_epi32(-1), live[j], index, g.dmax_table, 4);
      bits |= static_cast<std::uint64_t>(
                  _mm512_cmple_epi64_mask(acc[i][j], _mm512_cvtepi32_epi64(limit)))
              << (8 * j);
    }
    bits ^= neg;
    __builtin_memcpy(out[i], &bits, NR);
  }
}

// One block of MR input rows × NR panels. The first word initializes the accumulators (no
// zeroing); the threshold is one compare per (row, panel) whose 8-bit mask is the output byte,
// and a row's NR bytes leave in one store.
template <int MR, int NR, bool kCols>
void binary_block(const BinaryGemmArgs& g, int i0, int p0) {
  const std::uint64_t* a[MR];
#pragma GCC unroll 32
  for (int i = 0; i < MR; ++i) a[i] = row_start<std::uint64_t>(g, i0 + i);
  const std::int32_t* cols = g.col_offsets;
  const int k_words = g.k;
  const std::uint64_t* w = g.panels + static_cast<std::size_t>(p0) * k_words * 8;
  const std::size_t panel_stride = static_cast<std::size_t>(k_words) * 8;
  __m512i acc[MR][NR];
  {
    const int col = kCols ? cols[0] : 0;
    __m512i wv[NR];
#pragma GCC unroll 32
    for (int j = 0; j < NR; ++j) wv[j] = _mm512_loadu_si512(w + j * panel_stride);
#pragma GCC unroll 32
    for (int i = 0; i < MR; ++i) {
      const __m512i av = _mm512_set1_epi64(static_cast<long long>(a[i][col]));
#pragma GCC unroll 32
      for (int j = 0; j < NR; ++j) acc[i][j] = _mm512_popcnt_epi64(_mm512_xor_si512(av, wv[j]));
    }
  }
  for (int k = 1; k < k_words; ++k) {
    const int col = kCols ? cols[k] : k;
    __m512i wv[NR];
#pragma GCC unroll 32
    for (int j = 0; j < NR; ++j) wv[j] = _mm512_loadu_si512(w + j * panel_stride + k * 8);
#pragma GCC unroll 32
    for (int i = 0; i < MR; ++i) {
      const __m512i av = _mm512_set1_epi64(static_cast<long long>(a[i][col]));
#pragma GCC unroll 32
      for (int j = 0; j < NR; ++j) {
        acc[i][j] = _mm512_add_epi64(acc[i][j], _mm512_popcnt_epi64(_mm512_xor_si512(av, wv[j])));
      }
    }
  }
  if (g.out_bits != nullptr && (g.shortcut_bits != nullptr || g.shortcut_values != nullptr)) {
    store_add_bits<MR, NR>(g, acc, i0, p0);
    return;
  }
  if (g.out_bits != nullptr) {
    // Bit r fires when the mismatches D ≤ dmax[r].
    store_threshold_bits<MR, NR, 8>(g, acc, i0, p0, g.dmax, g.neg, [](__m512i d, __m512i dmax) {
      return _mm512_cmple_epi64_mask(d, dmax);
    });
    return;
  }
  std::int32_t* out[MR];
#pragma GCC unroll 32
  for (int i = 0; i < MR; ++i) out[i] = g.out_counts + static_cast<std::size_t>(i0 + i) * g.ldc;
  const __m512i cols_total = _mm512_set1_epi64(g.cols);
  __mmask8 lanes[NR];
#pragma GCC unroll 32
  for (int j = 0; j < NR; ++j) {
    const int valid = g.rows - (p0 + j) * 8;
    lanes[j] = static_cast<__mmask8>(valid >= 8 ? 0xFF : (1U << valid) - 1U);
  }
#pragma GCC unroll 32
  for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 32
    for (int j = 0; j < NR; ++j) {
      const __m256i p = _mm512_cvtepi64_epi32(_mm512_sub_epi64(cols_total, acc[i][j]));
      _mm256_mask_storeu_epi32(out[i] + (p0 + j) * 8, lanes[j], p);
    }
  }
}

// acc += Σ_j a_j·w_j over each lane's 4 bytes. In assembly so that GCC keeps every
// accumulator in its register (with the intrinsic, GCC 12 copies and spills them).
inline void dpbusd(__m512i& acc, __m512i a, __m512i w) {
  asm("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(a), "v"(w));
}

template <int MR, int NR, bool kCols>
void fixed_block(const FixedGemmArgs& g, int i0, int p0) {
  const std::uint8_t* a[MR];
#pragma GCC unroll 32
  for (int i = 0; i < MR; ++i) a[i] = row_start<std::uint8_t>(g, i0 + i);
  const std::int32_t* cols = g.col_offsets;
  const int k4 = g.k4;
  const std::int8_t* w = g.panels + static_cast<std::size_t>(p0) * k4 * 64;
  const std::size_t panel_stride = static_cast<std::size_t>(k4) * 64;
  __m512i acc[MR][NR];
#pragma GCC unroll 32
  for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 32
    for (int j = 0; j < NR; ++j) acc[i][j] = _mm512_setzero_si512();
  }
  for (int k = 0; k < k4; ++k) {
    const int col = kCols ? cols[k] : 4 * k;
    __m512i wv[NR];
#pragma GCC unroll 32
    for (int j = 0; j < NR; ++j) wv[j] = _mm512_loadu_si512(w + j * panel_stride + k * 64);
#pragma GCC unroll 32
    for (int i = 0; i < MR; ++i) {
      std::int32_t four;
      __builtin_memcpy(&four, a[i] + col, 4);
      const __m512i av = _mm512_set1_epi32(four);
#pragma GCC unroll 32
      for (int j = 0; j < NR; ++j) dpbusd(acc[i][j], av, wv[j]);
    }
  }
  if (g.out_bits != nullptr) {
    // Bit r fires when Σ s·a ≥ amin[r].
    store_threshold_bits<MR, NR, 16>(g, acc, i0, p0, g.amin, g.neg, [](__m512i sum, __m512i amin) {
      return _mm512_cmpge_epi32_mask(sum, amin);
    });
    return;
  }
  std::int32_t* out[MR];
#pragma GCC unroll 32
  for (int i = 0; i < MR; ++i) out[i] = g.out_counts + static_cast<std::size_t>(i0 + i) * g.ldc;
  __mmask16 lanes[NR];
  __m512i correction[NR];
#pragma GCC unroll 32
  for (int j = 0; j < NR; ++j) {
    const int valid = g.rows - (p0 + j) * 16;
    lanes[j] = static_cast<__mmask16>(valid >= 16 ? 0xFFFF : (1U << valid) - 1U);
    correction[j] = _mm512_loadu_si512(g.correction + (p0 + j) * 16);
  }
#pragma GCC unroll 32
  for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 32
    for (int j = 0; j < NR; ++j) {
      _mm512_mask_storeu_epi32(out[i] + (p0 + j) * 16, lanes[j],
                               _mm512_sub_epi32(acc[i][j], correction[j]));
    }
  }
}

template <int MR, int NR, bool kCols>
struct BinaryBlock {
  static void run(const BinaryGemmArgs& g, int i0, int p0) {
    binary_block<MR, NR, kCols>(g, i0, p0);
  }
};
template <int MR, int NR, bool kCols>
struct FixedBlock {
  static void run(const FixedGemmArgs& g, int i0, int p0) { fixed_block<MR, NR, kCols>(g, i0, p0); }
};

// Every (MR, NR) up to the full block, so that edges run the same code as the body; the table
// for contiguous rows first, then the one for column offsets.
template <typename Args, template <int, int, bool> class Block, int Mr, int Nr, std::size_t... I>
constexpr auto make_blocks(std::index_sequence<I...>) {
  using Fn = void (*)(const Args&, int, int);
  constexpr int kCount = Mr * Nr;
  return std::array<Fn, sizeof...(I)>{
      &Block<static_cast<int>(I % kCount) / Nr + 1, static_cast<int>(I % kCount) % Nr + 1,
             (static_cast<int>(I) >= kCount)>::run...};
}

// Panels outermost: a block of NR panels (NR·K·64 bytes) stays in L1 while every input row
// streams past it.
template <typename Args, template <int, int, bool> class Block, int Mr, int Nr>
void gemm(const Args& g) {
  static constexpr auto kBlocks = make_blocks<Args, Block, Mr, Nr>(
      std::make_index_sequence<static_cast<std::size_t>(2 * Mr * Nr)>());
  const std::size_t table = g.col_offsets != nullptr ? static_cast<std::size_t>(Mr * Nr) : 0;
  for (int p0 = g.panel_begin; p0 < g.panel_end; p0 += Nr) {
    const int nr = std::min(Nr, g.panel_end - p0);
    for (int i0 = 0; i0 < g.m; i0 += Mr) {
      const int mr = std::min(Mr, g.m - i0);
      kBlocks[table + static_cast<std::size_t>((mr - 1) * Nr + (nr - 1))](g, i0, p0);
    }
  }
}

// One input row's NR panels out (the fused threshold's bits or the counts P = N − D), from the
// accumulated mismatches of panels p0 … p0 + NR − 1.
template <int NR>
[[gnu::always_inline]] inline void store_row(const BinaryGemmArgs& g, const __m512i (&acc)[NR],
                                             int p0) {
  if (g.out_bits != nullptr) {
    // Eight panels' bytes to a 64-bit word, each word out in one store.
    constexpr int kWords = (NR + 7) / 8;
    std::uint64_t bits[kWords] = {};
#pragma GCC unroll 32
    for (int j = 0; j < NR; ++j) {
      const __m512i dmax =
          g.dmax16 != nullptr
              ? _mm512_cvtepi16_epi64(_mm_loadu_si128(reinterpret_cast<const __m128i*>(
                    g.dmax16 + static_cast<std::ptrdiff_t>(p0 + j) * 8)))
              : _mm512_loadu_si512(g.dmax + (p0 + j) * 8);
      bits[j / 8] |= static_cast<std::uint64_t>(_mm512_cmple_epi64_mask(acc[j], dmax))
                     << (8 * (j % 8));
    }
#pragma GCC unroll 32
    for (int word = 0; word < kWords; ++word) {
      const std::size_t bytes = word + 1 < kWords ? 8 : NR - 8 * (kWords - 1);
      std::uint64_t neg = 0;
      __builtin_memcpy(&neg, g.neg + p0 + 8 * word, bytes);
      bits[word] ^= neg;
      __builtin_memcpy(g.out_bits + p0 + 8 * word, &bits[word], bytes);
    }
    return;
  }
  const __m512i cols_total = _mm512_set1_epi64(g.cols);
#pragma GCC unroll 32
  for (int j = 0; j < NR; ++j) {
    const int valid = g.rows - (p0 + j) * 8;
    const auto lanes = static_cast<__mmask8>(valid >= 8 ? 0xFF : (1U << valid) - 1U);
    _mm256_mask_storeu_epi32(g.out_counts + (p0 + j) * 8, lanes,
                             _mm512_cvtepi64_epi32(_mm512_sub_epi64(cols_total, acc[j])));
  }
}

// NR adjacent panels of one group of the one-row layout on one input row `a`: panel j's word k
// at w + (k·S + j)·8, so that each word's NR lines are contiguous and the group reads as one
// stream.
template <int NR, bool kCols>
[[gnu::always_inline]] inline void row_panels(const BinaryGemmArgs& g, const std::uint64_t* a,
                                              const std::uint64_t* w, std::size_t word_stride,
                                              int p0) {
  __m512i acc[NR];
  {
    const __m512i av = _mm512_set1_epi64(static_cast<long long>(a[kCols ? g.col_offsets[0] : 0]));
#pragma GCC unroll 32
    for (int j = 0; j < NR; ++j) {
      acc[j] = _mm512_popcnt_epi64(_mm512_xor_si512(av, _mm512_loadu_si512(w + j * 8)));
    }
  }
  for (int k = 1; k < g.k; ++k) {
    const __m512i av = _mm512_set1_epi64(static_cast<long long>(a[kCols ? g.col_offsets[k] : k]));
    const std::uint64_t* wk = w + k * word_stride;
#pragma GCC unroll 32
    for (int j = 0; j < NR; ++j) {
      acc[j] = _mm512_add_epi64(
          acc[j], _mm512_popcnt_epi64(_mm512_xor_si512(av, _mm512_loadu_si512(wk + j * 8))));
    }
  }
  store_row<NR>(g, acc, p0);
}

// Panels [begin, end) of one group of S panels in the one-row layout (`group` its first word),
// the group's first panel g0: as many panels at a time as are left, 16, 8, 4, 2 or 1.
template <bool kCols>
void row_group(const BinaryGemmArgs& g, const std::uint64_t* a, const std::uint64_t* group, int g0,
               int size, int begin, int end) {
  const std::size_t word_stride = static_cast<std::size_t>(size) * 8;
  int p = begin;
  auto run = [&]<int NR>() {
    for (; end - p >= NR; p += NR) {
      row_panels<NR, kCols>(g, a, group + (p - g0) * 8, word_stride, p);
    }
  };
  run.template operator()<16>();
  run.template operator()<8>();
  run.template operator()<4>();
  run.template operator()<2>();
  run.template operator()<1>();
}

// One input row (batch 1: dense layers, convs to one pixel) in the one-row layout
// (PreparedWeights::rows): each weight word is used once, so the groups stream past in order,
// each as one stream; a member's share may start or end inside a group. The arguments are
// copied into a local first: the output stores (uint8_t*) could otherwise alias them.
template <bool kCols>
void binary_gemv(const BinaryGemmArgs& args) {
  const BinaryGemmArgs g = args;
  constexpr int kGroup = PreparedWeights::kRowGroupPanels;
  const std::uint64_t* a = row_start<std::uint64_t>(g, 0);
  const auto panel_count =
      static_cast<int>(g.prepared->rows.size() / (static_cast<std::size_t>(g.k) * 8));
  for (int g0 = g.panel_begin / kGroup * kGroup; g0 < g.panel_end; g0 += kGroup) {
    const int size = std::min(kGroup, panel_count - g0);
    row_group<kCols>(g, a, g.prepared->rows.data() + static_cast<std::size_t>(g0) * g.k * 8, g0,
                     size, std::max(g.panel_begin, g0), std::min(g.panel_end, g0 + size));
  }
}

// The input-major kernel (PreparedWeights::InputMajor). Its columns are read in the order the
// input lists them, so the hardware's prefetchers cannot guess them: each block prefetches the
// columns this many list entries ahead.
constexpr int kPrefetchAhead = 32;

// A full adder on three vectors: each lane's three bits to a carry (high) and a sum (low) bit,
// one VPTERNLOGQ each.
[[gnu::always_inline]] inline void full_add(__m512i& high, __m512i& low, __m512i a, __m512i b,
                                            __m512i c) {
  high = _mm512_ternarylogic_epi64(a, b, c, 0xE8);
  low = _mm512_ternarylogic_epi64(a, b, c, 0x96);
}

// 512 rows' counters (kSlices bits each, bit-sliced: v[j] holds bit j of every row) from their
// start minus m, plus the columns at the byte offsets list[0 … count) (count a multiple of 16)
// from `columns`; returns the top bit. Sixteen columns at a time go through a Harley–Seal tree of
// full adders into the counters' low four bits, whose carry ripples into the rest.
template <int kSlices>
__m512i count_columns(const std::uint8_t* columns, const std::uint32_t* list, int count,
                      const std::uint64_t* start, std::size_t slice_stride, unsigned m) {
  static_assert(kSlices > 4);
  __m512i v[kSlices];
  {
    const unsigned minus_m = (1U << kSlices) - m;  // + (2^W − m) ≡ − m
    __m512i carry = _mm512_setzero_si512();
#pragma GCC unroll 16
    for (int j = 0; j < kSlices; ++j) {
      const __m512i x = _mm512_load_si512(start + static_cast<std::size_t>(j) * slice_stride);
      if ((minus_m >> j & 1) != 0) {
        v[j] = _mm512_ternarylogic_epi64(x, carry, carry, 0xC3);  // NOT (x XOR carry)
        carry = _mm512_or_si512(x, carry);
      } else {
        v[j] = _mm512_xor_si512(x, carry);
        carry = _mm512_and_si512(x, carry);
      }
    }
  }
  __m512i ones = v[0], twos = v[1], fours = v[2], eights = v[3];
  for (int s = 0; s < count; s += 16) {
    const std::uint32_t* l = list + s;
#pragma GCC unroll 16
    for (int j = 0; j < 16; ++j) {
      _mm_prefetch(reinterpret_cast<const char*>(columns + l[kPrefetchAhead + j]), _MM_HINT_T0);
    }
    // Eight columns from l[first] into ones, twos and fours; returns their carry of weight 8.
    auto eight = [&](int first) {
      auto column = [&](int j) { return _mm512_load_si512(columns + l[first + j]); };
      __m512i twos_a, twos_b, fours_a, fours_b, eights_out;
      full_add(twos_a, ones, ones, column(0), column(1));
      full_add(twos_b, ones, ones, column(2), column(3));
      full_add(fours_a, twos, twos, twos_a, twos_b);
      full_add(twos_a, ones, ones, column(4), column(5));
      full_add(twos_b, ones, ones, column(6), column(7));
      full_add(fours_b, twos, twos, twos_a, twos_b);
      full_add(eights_out, fours, fours, fours_a, fours_b);
      return eights_out;
    };
    const __m512i eights_a = eight(0);
    const __m512i eights_b = eight(8);
    __m512i sixteens;
    full_add(sixteens, eights, eights, eights_a, eights_b);
    __m512i carry = sixteens;
#pragma GCC unroll 16
    for (int j = 4; j < kSlices; ++j) {
      const __m512i next = _mm512_and_si512(v[j], carry);
      v[j] = _mm512_xor_si512(v[j], carry);
      carry = next;
    }
  }
  return v[kSlices - 1];
}

// One input row of a fused layer on its input-major layout: the inputs of the rarer value (at
// most ⌊N/2⌋) listed as byte offsets of their columns, padded to 16 with the zero column, then
// each 512 rows that hold this call's panels counted and decided; only this call's output bytes
// are stored. The arguments are copied into a local first (the stores go through uint8_t*).
void binary_gemv_input_major(const BinaryGemmArgs& args) {
  const BinaryGemmArgs g = args;
  const PreparedWeights::InputMajor& im = g.prepared->input_major;
  const std::uint64_t* a = row_start<std::uint64_t>(g, 0);
  auto word = [&](int k) { return a[g.col_offsets != nullptr ? g.col_offsets[k] : k]; };
  int n1 = 0;
  for (int k = 0; k < g.k; ++k) n1 += std::popcount(word(k));
  const bool zeros = 2 * n1 > im.cols;  // list the inputs that are 0
  const int count = zeros ? im.cols - n1 : n1;
  // At most ⌊N/2⌋ listed, padded to 16, and a block's worth of zero columns past the end for
  // the prefetches ahead; each 16 inputs' offsets leave in one full store (VPCOMPRESSD).
  constexpr int kMostListed = PreparedWeights::InputMajor::kMostCols / 2 + 16 + kPrefetchAhead + 16;
  alignas(64) std::uint32_t list[kMostListed];
  const auto column_bytes = static_cast<std::uint32_t>(im.column_bytes);
  __m512i offsets =
      _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                         _mm512_set1_epi32(static_cast<int>(column_bytes)));
  const __m512i step = _mm512_set1_epi32(static_cast<int>(16 * column_bytes));
  int listed = 0;
  for (int k = 0; k < g.k; ++k) {
    std::uint64_t bits = word(k);
    if (zeros) {
      const int real = std::clamp(im.cols - 64 * k, 0, 64);
      bits = ~bits & (real >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << real) - 1);
    }
    for (int q = 0; q < 4; ++q) {
      const auto lanes = static_cast<__mmask16>(bits >> (16 * q));
      _mm512_storeu_si512(list + listed, _mm512_maskz_compress_epi32(lanes, offsets));
      listed += std::popcount(static_cast<unsigned>(lanes));
      offsets = _mm512_add_epi32(offsets, step);
    }
  }
  const auto zero_column = static_cast<std::uint32_t>(64 * g.k) * column_bytes;
  while (listed % 16 != 0) list[listed++] = zero_column;
  for (int j = 0; j < kPrefetchAhead; ++j) list[listed + j] = zero_column;
  const auto m = static_cast<unsigned>(count / 2);
  const auto words = static_cast<std::size_t>(im.words);
  const std::uint64_t* start =
      im.start.data() + static_cast<std::size_t>(2 * zeros + count % 2) * im.slices * words;
  const __m512i flip = zeros ? _mm512_set1_epi64(-1) : _mm512_setzero_si512();
  const auto* columns = reinterpret_cast<const std::uint8_t*>(im.columns.data());
  for (int c = g.panel_begin / 64; c * 64 < g.panel_end; ++c) {
    const std::uint8_t* chunk_columns = columns + static_cast<std::size_t>(c) * 64;
    const std::uint64_t* chunk_start = start + static_cast<std::size_t>(c) * 8;
    __m512i fires;
    switch (im.slices) {
#define BNNC_SLICES(W) \
  case W: fires = count_columns<W>(chunk_columns, list, listed, chunk_start, words, m); break;
      BNNC_SLICES(10)
      BNNC_SLICES(11)
      BNNC_SLICES(12)
      BNNC_SLICES(13)
      BNNC_SLICES(14)
      BNNC_SLICES(15)
      BNNC_SLICES(16)
#undef BNNC_SLICES
      default: __builtin_unreachable();
    }
    const __m512i bits = _mm512_ternarylogic_epi64(
        fires, flip, _mm512_load_si512(im.neg.data() + static_cast<std::size_t>(c) * 8), 0x96);
    const int lo = std::max(g.panel_begin - 64 * c, 0);
    const int hi = std::min(g.panel_end - 64 * c, 64);
    const __mmask64 bytes =
        (hi == 64 ? ~__mmask64{0} : (__mmask64{1} << hi) - 1) & ~((__mmask64{1} << lo) - 1);
    _mm512_mask_storeu_epi8(g.out_bits + 64 * c, bytes, bits);
  }
}

void prepare_binary_row_avx512(const std::uint64_t* panels, int panel_count, int k,
                               PreparedWeights& out) {
  constexpr int kGroup = PreparedWeights::kRowGroupPanels;
  const auto words = static_cast<std::size_t>(k);
  out.rows.assign(static_cast<std::size_t>(panel_count) * words * 8, 0);
  for (int g0 = 0; g0 < panel_count; g0 += kGroup) {
    const int size = std::min(kGroup, panel_count - g0);
    std::uint64_t* group = out.rows.data() + static_cast<std::size_t>(g0) * words * 8;
    for (int j = 0; j < size; ++j) {
      for (std::size_t word = 0; word < words; ++word) {
        std::copy_n(panels + ((static_cast<std::size_t>(g0 + j)) * words + word) * 8, 8,
                    group + (word * static_cast<std::size_t>(size) + j) * 8);
      }
    }
  }
}

// Input reuse (docs/similarity.md "CPU engine"; the maths at binary_gemm_input_reuse_generic):
// D_v = D_{v−1} + 2·S_v − Σ popcount(Δ_v), S_v = Σ_k popcount(Δ_v AND (x_v XOR w)), Δ_v = x_v XOR
// x_{v−1}. The first window of an output row takes an all-zero left neighbour: Δ = x, D_{−1} =
// popcount(w) (the mismatches of the zero input), which gives D = popcount(x XOR w), so every
// window is one formula. The S_v are independent of each other, so the windows go in blocks of
// MR × NR panels as in the plain kernel (each weight load shared by MR windows), over the words
// where at least one window of the block differs from its neighbour (Δ = 0 adds nothing to S),
// VPTERNLOGQ making Δ AND (x XOR w) in one instruction; then D runs along the block's windows.
// Against the plain kernel: a second broadcast per window and word, on fewer words.
struct ReuseBlock {
  int first = 0, count = 0;  // words into the call's list
};

template <int MR, int NR, bool kCols>
void reuse_block(const BinaryGemmArgs& g, int i0, int p0, const std::int32_t* words,
                 const ReuseBlock& block, const std::int64_t* changed, const std::uint8_t* starts,
                 __m512i (&d)[NR], const __m512i (&w_ones)[NR]) {
  const std::uint64_t* a[MR];
  const std::uint64_t* before[MR];
  std::uint64_t keep[MR];  // 0 for a row's first window: its left neighbour is all zero
#pragma GCC unroll 32
  for (int i = 0; i < MR; ++i) {
    const bool first = starts[i0 + i] != 0;
    a[i] = row_start<std::uint64_t>(g, i0 + i);
    before[i] = first ? a[i] : row_start<std::uint64_t>(g, i0 + i - 1);
    keep[i] = first ? 0 : ~std::uint64_t{0};
  }
  const std::uint64_t* w = g.panels + static_cast<std::size_t>(p0) * g.k * 8;
  const std::size_t panel_stride = static_cast<std::size_t>(g.k) * 8;
  __m512i acc[MR][NR];
#pragma GCC unroll 32
  for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 32
    for (int j = 0; j < NR; ++j) acc[i][j] = _mm512_setzero_si512();
  }
  for (int c = 0; c < block.count; ++c) {
    const int k = words[block.first + c];
    const std::ptrdiff_t at = kCols ? g.col_offsets[k] : k;
    __m512i wv[NR];
#pragma GCC unroll 32
    for (int j = 0; j < NR; ++j) wv[j] = _mm512_loadu_si512(w + j * panel_stride + k * 8);
#pragma GCC unroll 32
    for (int i = 0; i < MR; ++i) {
      const std::uint64_t x = a[i][at];
      const __m512i av = _mm512_set1_epi64(static_cast<long long>(x));
      const __m512i dv = _mm512_set1_epi64(static_cast<long long>(x ^ (before[i][at] & keep[i])));
#pragma GCC unroll 32
      for (int j = 0; j < NR; ++j) {
        // 0x28: (A XOR B) AND C, with A = x, B = w, C = Δ.
        acc[i][j] = _mm512_add_epi64(
            acc[i][j], _mm512_popcnt_epi64(_mm512_ternarylogic_epi64(av, wv[j], dv, 0x28)));
      }
    }
  }
  // D along the windows: acc becomes each window's D.
#pragma GCC unroll 32
  for (int i = 0; i < MR; ++i) {
    const bool first = starts[i0 + i] != 0;
    const __m512i minus = _mm512_set1_epi64(changed[i0 + i]);
#pragma GCC unroll 32
    for (int j = 0; j < NR; ++j) {
      d[j] = _mm512_sub_epi64(
          _mm512_add_epi64(first ? w_ones[j] : d[j], _mm512_slli_epi64(acc[i][j], 1)), minus);
      acc[i][j] = d[j];
    }
  }
  if (g.out_bits != nullptr) {
    store_threshold_bits<MR, NR, 8>(g, acc, i0, p0, g.dmax, g.neg, [](__m512i dd, __m512i dmax) {
      return _mm512_cmple_epi64_mask(dd, dmax);
    });
    return;
  }
  const __m512i cols_total = _mm512_set1_epi64(g.cols);
#pragma GCC unroll 32
  for (int i = 0; i < MR; ++i) {
    std::int32_t* out = g.out_counts + static_cast<std::size_t>(i0 + i) * g.ldc;
#pragma GCC unroll 32
    for (int j = 0; j < NR; ++j) {
      const int valid = g.rows - (p0 + j) * 8;
      const auto lanes = static_cast<__mmask8>(valid >= 8 ? 0xFF : (1U << valid) - 1U);
      _mm256_mask_storeu_epi32(out + (p0 + j) * 8, lanes,
                               _mm512_cvtepi64_epi32(_mm512_sub_epi64(cols_total, acc[i][j])));
    }
  }
}

// NR panels from p0 over every window, blocks of kBinaryMr windows then single ones.
template <int NR, bool kCols>
void reuse_panels(const BinaryGemmArgs& g, int p0, const std::int32_t* words,
                  const ReuseBlock* blocks, const std::int64_t* changed,
                  const std::uint8_t* starts) {
  const std::uint64_t* w = g.panels + static_cast<std::size_t>(p0) * g.k * 8;
  const std::size_t panel_stride = static_cast<std::size_t>(g.k) * 8;
  __m512i w_ones[NR], d[NR];
#pragma GCC unroll 32
  for (int j = 0; j < NR; ++j) {
    w_ones[j] = d[j] = _mm512_setzero_si512();
    for (int k = 0; k < g.k; ++k) {
      w_ones[j] = _mm512_add_epi64(
          w_ones[j], _mm512_popcnt_epi64(_mm512_loadu_si512(w + j * panel_stride + k * 8)));
    }
  }
  const int full = g.m / kBinaryMr * kBinaryMr;
  int b = 0;
  for (int i0 = 0; i0 < full; i0 += kBinaryMr, ++b) {
    reuse_block<kBinaryMr, NR, kCols>(g, i0, p0, words, blocks[b], changed, starts, d, w_ones);
  }
  for (int i0 = full; i0 < g.m; ++i0, ++b) {
    reuse_block<1, NR, kCols>(g, i0, p0, words, blocks[b], changed, starts, d, w_ones);
  }
}

template <bool kCols>
void binary_gemm_input_reuse_blocks(const BinaryGemmArgs& g) {
  // Per block of windows (kBinaryMr, then single ones at the end), the words where one of them
  // differs from its left neighbour; per window, Σ popcount(Δ). Found once for every panel.
  thread_local std::vector<std::int32_t> words;
  thread_local std::vector<ReuseBlock> blocks;
  thread_local std::vector<std::int64_t> changed;
  words.resize(static_cast<std::size_t>(g.m) * g.k);
  changed.assign(static_cast<std::size_t>(g.m), 0);
  thread_local std::vector<std::uint8_t> starts;  // 1: the first window of an output row
  thread_local std::vector<const std::uint64_t*> rows;
  starts.resize(static_cast<std::size_t>(g.m));
  rows.resize(static_cast<std::size_t>(g.m));
  for (int i = 0, x = 0; i < g.m; ++i, x = x + 1 == g.reuse_run ? 0 : x + 1) {
    starts[static_cast<std::size_t>(i)] = x == 0 ? 1 : 0;
    rows[static_cast<std::size_t>(i)] = row_start<std::uint64_t>(g, i);
  }
  blocks.clear();
  const int full = g.m / kBinaryMr * kBinaryMr;
  int listed = 0;
  for (int i0 = 0; i0 < g.m;) {
    const int mr = i0 < full ? kBinaryMr : 1;
    ReuseBlock block{listed, 0};
    for (int k = 0; k < g.k; ++k) {
      const std::ptrdiff_t at = kCols ? g.col_offsets[k] : k;
      bool differs = false;
      for (int i = i0; i < i0 + mr; ++i) {
        const std::uint64_t x = rows[static_cast<std::size_t>(i)][at];
        const std::uint64_t delta = starts[static_cast<std::size_t>(i)] != 0
                                        ? x
                                        : x ^ rows[static_cast<std::size_t>(i - 1)][at];
        changed[static_cast<std::size_t>(i)] += std::popcount(delta);
        differs |= delta != 0;
      }
      words[static_cast<std::size_t>(listed + block.count)] = k;
      block.count += differs ? 1 : 0;
    }
    listed += block.count;
    blocks.push_back(block);
    i0 += mr;
  }
  int p0 = g.panel_begin;
  for (; p0 + kBinaryNr <= g.panel_end; p0 += kBinaryNr) {
    reuse_panels<kBinaryNr, kCols>(g, p0, words.data(), blocks.data(), changed.data(),
                                   starts.data());
  }
  for (; p0 < g.panel_end; ++p0) {
    reuse_panels<1, kCols>(g, p0, words.data(), blocks.data(), changed.data(), starts.data());
  }
}

void binary_gemm_avx512(const BinaryGemmArgs& g);

void binary_gemm_input_reuse_avx512(const BinaryGemmArgs& g) {
  if (g.reuse_run <= 1 || g.m < 2) {
    binary_gemm_avx512(g);
  } else if (g.col_offsets != nullptr) {
    binary_gemm_input_reuse_blocks<true>(g);
  } else {
    binary_gemm_input_reuse_blocks<false>(g);
  }
}

void binary_gemm_avx512(const BinaryGemmArgs& g) {
  // One row with a fused threshold and the input-major layout (the engine makes it for the wide
  // layers of one row per frame), or with its weights in the one-row layout (for all layers of
  // one row per frame); any other call, one row included, runs the blocks.
  if (g.m == 1 && g.prepared != nullptr && g.out_bits != nullptr &&
      !g.prepared->input_major.columns.empty()) {
    binary_gemv_input_major(g);
    return;
  }
  if (g.m == 1 && g.prepared != nullptr && !g.prepared->rows.empty()) {
    if (g.col_offsets != nullptr) {
      binary_gemv<true>(g);
    } else {
      binary_gemv<false>(g);
    }
    return;
  }
  gemm<BinaryGemmArgs, BinaryBlock, kBinaryMr, kBinaryNr>(g);
}
// The blocks, never the one-row layout (whose store has no shortcut).
void binary_gemm_add_avx512(const BinaryGemmArgs& g) {
  gemm<BinaryGemmArgs, BinaryBlock, kBinaryMr, kBinaryNr>(g);
}
void fixed_gemm_avx512(const FixedGemmArgs& g) {
  gemm<FixedGemmArgs, FixedBlock, kFixedMr, kFixedNr>(g);
}

// 64 channels per compare: the mask of VPCMPUB is the output word.
void threshold_bytes_avx512(const ThresholdBytesArgs& g) {
  for (int w = 0; w * 64 < g.n; ++w) {
    const int len = std::min(64, g.n - w * 64);
    const __mmask64 lanes = len == 64 ? ~__mmask64{0} : (__mmask64{1} << len) - 1;
    const __m512i v = _mm512_maskz_loadu_epi8(lanes, g.src + w * 64);
    const __m512i t = _mm512_loadu_si512(g.t8 + w * 64);
    const __mmask64 fires = _mm512_mask_cmpge_epu8_mask(lanes, v, t);
    g.dst[w] = (fires & ~g.never[w]) ^ g.neg[w];
  }
}

// 12 independent chains of XOR, VPOPCNTQ, ADD, written in assembly so that the loop holds
// exactly those three instructions per 512-bit word (a compiler adds register moves).
double peak_probe_avx512(std::int64_t iterations) {
  if (iterations <= 0) return 0;
  std::int64_t count = iterations;
  asm volatile(
      "vpbroadcastq %[seed], %%zmm31\n\t"
      "vmovdqa64 %%zmm31, %%zmm0\n\t"
      "vmovdqa64 %%zmm31, %%zmm1\n\t"
      "vmovdqa64 %%zmm31, %%zmm2\n\t"
      "vmovdqa64 %%zmm31, %%zmm3\n\t"
      "vmovdqa64 %%zmm31, %%zmm4\n\t"
      "vmovdqa64 %%zmm31, %%zmm5\n\t"
      "vmovdqa64 %%zmm31, %%zmm6\n\t"
      "vmovdqa64 %%zmm31, %%zmm7\n\t"
      "vmovdqa64 %%zmm31, %%zmm8\n\t"
      "vmovdqa64 %%zmm31, %%zmm9\n\t"
      "vmovdqa64 %%zmm31, %%zmm10\n\t"
      "vmovdqa64 %%zmm31, %%zmm11\n\t"
      "vmovdqa64 %%zmm31, %%zmm12\n\t"
      "vmovdqa64 %%zmm31, %%zmm13\n\t"
      "vmovdqa64 %%zmm31, %%zmm14\n\t"
      "vmovdqa64 %%zmm31, %%zmm15\n\t"
      "vmovdqa64 %%zmm31, %%zmm16\n\t"
      "vmovdqa64 %%zmm31, %%zmm17\n\t"
      "vmovdqa64 %%zmm31, %%zmm18\n\t"
      "vmovdqa64 %%zmm31, %%zmm19\n\t"
      "vmovdqa64 %%zmm31, %%zmm20\n\t"
      "vmovdqa64 %%zmm31, %%zmm21\n\t"
      "vmovdqa64 %%zmm31, %%zmm22\n\t"
      "vmovdqa64 %%zmm31, %%zmm23\n\t"
      "1:\n\t"
      "vpxorq %%zmm31, %%zmm0, %%zmm0\n\t"
      "vpopcntq %%zmm0, %%zmm24\n\t"
      "vpaddq %%zmm24, %%zmm12, %%zmm12\n\t"
      "vpxorq %%zmm31, %%zmm1, %%zmm1\n\t"
      "vpopcntq %%zmm1, %%zmm25\n\t"
      "vpaddq %%zmm25, %%zmm13, %%zmm13\n\t"
      "vpxorq %%zmm31, %%zmm2, %%zmm2\n\t"
      "vpopcntq %%zmm2, %%zmm26\n\t"
      "vpaddq %%zmm26, %%zmm14, %%zmm14\n\t"
      "vpxorq %%zmm31, %%zmm3, %%zmm3\n\t"
      "vpopcntq %%zmm3, %%zmm27\n\t"
      "vpaddq %%zmm27, %%zmm15, %%zmm15\n\t"
      "vpxorq %%zmm31, %%zmm4, %%zmm4\n\t"
      "vpopcntq %%zmm4, %%zmm28\n\t"
      "vpaddq %%zmm28, %%zmm16, %%zmm16\n\t"
      "vpxorq %%zmm31, %%zmm5, %%zmm5\n\t"
      "vpopcntq %%zmm5, %%zmm29\n\t"
      "vpaddq %%zmm29, %%zmm17, %%zmm17\n\t"
      "vpxorq %%zmm31, %%zmm6, %%zmm6\n\t"
      "vpopcntq %%zmm6, %%zmm30\n\t"
      "vpaddq %%zmm30, %%zmm18, %%zmm18\n\t"
      "vpxorq %%zmm31, %%zmm7, %%zmm7\n\t"
      "vpopcntq %%zmm7, %%zmm24\n\t"
      "vpaddq %%zmm24, %%zmm19, %%zmm19\n\t"
      "vpxorq %%zmm31, %%zmm8, %%zmm8\n\t"
      "vpopcntq %%zmm8, %%zmm25\n\t"
      "vpaddq %%zmm25, %%zmm20, %%zmm20\n\t"
      "vpxorq %%zmm31, %%zmm9, %%zmm9\n\t"
      "vpopcntq %%zmm9, %%zmm26\n\t"
      "vpaddq %%zmm26, %%zmm21, %%zmm21\n\t"
      "vpxorq %%zmm31, %%zmm10, %%zmm10\n\t"
      "vpopcntq %%zmm10, %%zmm27\n\t"
      "vpaddq %%zmm27, %%zmm22, %%zmm22\n\t"
      "vpxorq %%zmm31, %%zmm11, %%zmm11\n\t"
      "vpopcntq %%zmm11, %%zmm28\n\t"
      "vpaddq %%zmm28, %%zmm23, %%zmm23\n\t"
      "dec %[count]\n\t"
      "jnz 1b\n\t"
      : [count] "+r"(count)
      : [seed] "r"(0x9E3779B97F4A7C15ULL)
      : "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
        "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "xmm16", "xmm17", "xmm18", "xmm19",
        "xmm20", "xmm21", "xmm22", "xmm23", "xmm24", "xmm25", "xmm26", "xmm27", "xmm28", "xmm29",
        "xmm30", "xmm31");
  return static_cast<double>(iterations) * 12 * 512;
}

// The fixed-point kernel's instruction alone: 16 independent VPDPBUSD chains (64 byte MACs
// each). In assembly so that the loop holds exactly those instructions.
double byte_peak_probe_avx512(std::int64_t iterations) {
  if (iterations <= 0) return 0;
  std::int64_t count = iterations;
  asm volatile(
      "vpternlogd $0xff, %%zmm30, %%zmm30, %%zmm30\n\t"
      "vpabsb %%zmm30, %%zmm31\n\t"
      "vpxord %%zmm0, %%zmm0, %%zmm0\n\t"
      "vmovdqa64 %%zmm0, %%zmm1\n\t"
      "vmovdqa64 %%zmm0, %%zmm2\n\t"
      "vmovdqa64 %%zmm0, %%zmm3\n\t"
      "vmovdqa64 %%zmm0, %%zmm4\n\t"
      "vmovdqa64 %%zmm0, %%zmm5\n\t"
      "vmovdqa64 %%zmm0, %%zmm6\n\t"
      "vmovdqa64 %%zmm0, %%zmm7\n\t"
      "vmovdqa64 %%zmm0, %%zmm8\n\t"
      "vmovdqa64 %%zmm0, %%zmm9\n\t"
      "vmovdqa64 %%zmm0, %%zmm10\n\t"
      "vmovdqa64 %%zmm0, %%zmm11\n\t"
      "vmovdqa64 %%zmm0, %%zmm12\n\t"
      "vmovdqa64 %%zmm0, %%zmm13\n\t"
      "vmovdqa64 %%zmm0, %%zmm14\n\t"
      "vmovdqa64 %%zmm0, %%zmm15\n\t"
      "1:\n\t"
#define BNNC_BYTE_CHAIN(acc) "vpdpbusd %%zmm30, %%zmm31, %%" acc "\n\t"
      BNNC_BYTE_CHAIN("zmm0") BNNC_BYTE_CHAIN("zmm1") BNNC_BYTE_CHAIN("zmm2")
          BNNC_BYTE_CHAIN("zmm3") BNNC_BYTE_CHAIN("zmm4") BNNC_BYTE_CHAIN("zmm5")
              BNNC_BYTE_CHAIN("zmm6") BNNC_BYTE_CHAIN("zmm7") BNNC_BYTE_CHAIN("zmm8")
                  BNNC_BYTE_CHAIN("zmm9") BNNC_BYTE_CHAIN("zmm10") BNNC_BYTE_CHAIN("zmm11")
                      BNNC_BYTE_CHAIN("zmm12") BNNC_BYTE_CHAIN("zmm13") BNNC_BYTE_CHAIN("zmm14")
                          BNNC_BYTE_CHAIN("zmm15")
#undef BNNC_BYTE_CHAIN
                              "dec %[count]\n\t"
                              "jnz 1b\n\t"
      : [count] "+r"(count)
      :
      : "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
        "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "xmm30", "xmm31");
  return static_cast<double>(iterations) * 16 * 64;
}

// dst[e] = table[src[e]]: the table's 256 bytes in four registers, VPERMI2B looks each byte up
// in the half its top bit selects (index bits 0–6), and the top bit picks the half.
[[gnu::target("avx512vbmi"), gnu::always_inline]] inline __m512i look_up(__m512i x,
                                                                         const __m512i (&t)[4]) {
  const __m512i low = _mm512_permutex2var_epi8(t[0], x, t[1]);
  const __m512i high = _mm512_permutex2var_epi8(t[2], x, t[3]);
  return _mm512_mask_blend_epi8(_mm512_movepi8_mask(x), low, high);
}

[[gnu::target("avx512vbmi")]] void byte_lookup_vbmi(const std::uint8_t* table,
                                                    const std::uint8_t* src, std::uint8_t* dst,
                                                    std::size_t n) {
  const __m512i t[4] = {_mm512_loadu_si512(table), _mm512_loadu_si512(table + 64),
                        _mm512_loadu_si512(table + 128), _mm512_loadu_si512(table + 192)};
  std::size_t e = 0;
  for (; e + 64 <= n; e += 64) {
    _mm512_storeu_si512(dst + e, look_up(_mm512_loadu_si512(src + e), t));
  }
  if (e < n) {
    const __mmask64 rest = (std::uint64_t{1} << (n - e)) - 1;  // n − e < 64
    _mm512_mask_storeu_epi8(dst + e, rest, look_up(_mm512_maskz_loadu_epi8(rest, src + e), t));
  }
}

// 16 channels a step: x ≥ limit as a 16-bit mask; on bits, both limits compared and the shortcut's
// bits pick one; on a table, the limits gathered by channel·span + v − in1_min.
void add_threshold_avx512(const AddThresholdArgs& g) {
  const int c_count = g.channels, words = (c_count + 63) / 64;
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i span = _mm512_set1_epi32(static_cast<std::int32_t>(g.span));
  const __m512i base = _mm512_set1_epi32(static_cast<std::int32_t>(-g.in1_min));
  for (std::size_t p = 0; p < g.pixels; ++p) {
    const std::int32_t* x = g.x + p * c_count;
    const std::int32_t* v = g.in1 != nullptr ? g.in1 + p * c_count : nullptr;
    std::uint64_t* out = g.dst + p * g.out_words;
    for (int w = 0; w < words; ++w) {
      const std::uint64_t in1 =
          g.mode == AddThresholdMode::Bits ? g.in1_bits[p * g.in1_words + w] : 0;
      std::uint64_t bits = 0;
      for (int q = 0; q < 4 && w * 64 + q * 16 < c_count; ++q) {
        const int c = w * 64 + q * 16;
        const __mmask16 live =
            static_cast<__mmask16>(c_count - c >= 16 ? 0xFFFF : (1U << (c_count - c)) - 1U);
        const __m512i xs = _mm512_maskz_loadu_epi32(live, x + c);
        __mmask16 fires = 0;
        if (g.mode == AddThresholdMode::Bits) {
          const auto one = static_cast<__mmask16>(in1 >> (q * 16));
          const __m512i zero_limit = _mm512_maskz_loadu_epi32(live, g.limits + c);
          const __m512i one_limit = _mm512_maskz_loadu_epi32(live, g.limits + c_count + c);
          fires =
              _mm512_mask_cmpge_epi32_mask(static_cast<__mmask16>(live & ~one), xs, zero_limit) |
              _mm512_mask_cmpge_epi32_mask(static_cast<__mmask16>(live & one), xs, one_limit);
        } else if (g.mode == AddThresholdMode::Table) {
          const __m512i vs = _mm512_maskz_loadu_epi32(live, v + c);
          const __m512i channel = _mm512_add_epi32(_mm512_set1_epi32(c), lane);
          const __m512i index =
              _mm512_add_epi32(_mm512_mullo_epi32(channel, span), _mm512_add_epi32(vs, base));
          const __m512i limit =
              _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), live, index, g.limits, 4);
          fires = _mm512_mask_cmpge_epi32_mask(live, xs, limit);
        } else {
          const __m512i vs = _mm512_maskz_loadu_epi32(live, v + c);
          fires = _mm512_mask_cmpge_epi32_mask(live, _mm512_add_epi32(xs, vs),
                                               _mm512_maskz_loadu_epi32(live, g.limits + c));
        }
        bits |= static_cast<std::uint64_t>(fires) << (q * 16);
      }
      out[w] = bits ^ g.neg[w];
    }
    for (int w = words; w < g.out_words; ++w) out[w] = 0;
  }
}

}  // namespace

KernelTable kernels_avx512() {
  return {Isa::Avx512,
          binary_gemm_avx512,
          fixed_gemm_avx512,
          threshold_bytes_avx512,
          peak_probe_avx512,
          nullptr,
          0,
          0,
          nullptr,
          nullptr,
          binary_gemm_input_reuse_avx512,
          prepare_binary_row_avx512,
          __builtin_cpu_supports("avx512vbmi") ? byte_lookup_vbmi : nullptr,
          add_threshold_avx512,
          binary_gemm_add_avx512,
          byte_peak_probe_avx512,
          true};
}

}  // namespace bnnc::runtime
