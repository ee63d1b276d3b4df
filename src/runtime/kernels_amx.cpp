// The AMX variant (built with the AVX-512 flags and -mamx-tile -mamx-int8; only called when
// CPUID reports AMX and the kernel granted the tile state, isa.cpp). On a core whose one
// VPOPCNTQ port caps XNOR-popcount at 512 binary MACs per 1.5 cycles, the tile unit's TDPBUSD
// does 16·16·64 byte MACs in about 16 cycles: twice and more the binary MACs, once the bits are
// bytes. So a binary layer on at least kMinRows input rows runs here as a byte GEMM
// (PreparedWeights in kernels.h: D = Σ w − Σ a·s with a ∈ {0, 1}, s = ±1), the bits of each
// input row spread into bytes just before use; fewer rows (batch 1, CNV's last layers) and
// everything else stay on the AVX-512 kernels, where the spreading would not pay. The
// fixed-point first layer stays on VNNI too: with its K of 27 bytes a block has a single
// TDPBUSD per tile, and the tile unit's loads, stores and latency around it (about 90 cycles a
// tile, measured) make it no faster than VPDPBUSD.
//
// Tiles: 0..3 the accumulators C[i][j] of a block of up to 2 × 2 tiles (32 rows × 32 output
// rows of the layer, int32), 4 and 5 the input bytes A[i] (16 rows × 64 bytes: one word of 16
// input rows), 6 and 7 the weights B[j] (16 × 64 bytes: one word of 16 layer rows).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <vector>

#include "runtime/kernels.h"

namespace bnnc::runtime {
namespace {

constexpr int kMinRows = 16;
// A layer of a few panels (LFC's last, 10 rows) would spend its time spreading the input.
constexpr int kMinPanels = 4;
// A team member's share of a layer (not all its panels): every member spreads the whole input
// for its share, which a share of fewer panels does not repay (CNV's batch-1 latency on 2
// threads: 44 µs with shares of 8 panels on the tile unit, 37 µs with them on AVX-512).
constexpr int kMinSharePanels = 16;
constexpr int kTileRows = 16;
constexpr int kTileBytes = 1024;

const KernelTable& base() {
  static const KernelTable table = kernels_avx512();
  return table;
}

// LDTILECFG's 64-byte operand (palette 1): every tile used is 16 rows of 64 bytes.
struct alignas(64) TileConfig {
  std::uint8_t palette = 1;
  std::uint8_t start_row = 0;
  std::uint8_t reserved[14] = {};
  std::uint16_t colsb[16] = {};
  std::uint8_t rows[16] = {};
};

// Configures the tiles of this thread for one kernel call; the call ends with TILERELEASE, so
// that a thread between calls carries no tile state (the 8 KiB the kernel saves on a switch).
class TileScope {
 public:
  TileScope() {
    TileConfig config;
    for (int t = 0; t < 8; ++t) {
      config.colsb[t] = 64;
      config.rows[t] = kTileRows;
    }
    _tile_loadconfig(&config);
  }
  ~TileScope() { _tile_release(); }
  TileScope(const TileScope&) = delete;
  TileScope& operator=(const TileScope&) = delete;
};

void prepare_binary_amx(const std::uint64_t* panels, int panel_count, int k, PreparedWeights& out) {
  const int groups = (panel_count + 1) / 2;
  out.tiles.assign(static_cast<std::size_t>(groups) * k * kTileBytes, 0);
  out.row_sums.assign(static_cast<std::size_t>(groups) * 16, 0);
  for (int t = 0; t < groups; ++t) {
    for (int n = 0; n < 16; ++n) {
      const int panel = 2 * t + n / 8;
      for (int word = 0; word < k; ++word) {
        // Rows of a missing last panel have no weights: all bits 0, s = −1, Σ w = 0.
        const std::uint64_t bits =
            panel < panel_count ? panels[(static_cast<std::size_t>(panel) * k + word) * 8 + n % 8]
                                : 0;
        out.row_sums[static_cast<std::size_t>(t) * 16 + n] += std::popcount(bits);
        std::int8_t* tile =
            out.tiles.data() + (static_cast<std::size_t>(t) * k + word) * kTileBytes;
        for (int b = 0; b < 64; ++b) {
          tile[(b / 4) * 64 + n * 4 + b % 4] = ((bits >> b) & 1U) != 0 ? 1 : -1;
        }
      }
    }
  }
}

// One block: MT input tiles × NT weight tiles over all K words into `c` (32 × 32 int32, row
// stride 32). Tile numbers are immediates, hence the spelled-out cases.
template <int MT, int NT>
void tile_block(const std::uint8_t* a, std::size_t a_stride, const std::int8_t* b,
                std::size_t b_group_stride, int k_words, std::int32_t* c) {
  _tile_zero(0);
  if constexpr (NT == 2) _tile_zero(1);
  if constexpr (MT == 2) _tile_zero(2);
  if constexpr (MT == 2 && NT == 2) _tile_zero(3);
  for (int k = 0; k < k_words; ++k) {
    _tile_loadd(4, a + k * 64, a_stride);
    if constexpr (MT == 2) _tile_loadd(5, a + kTileRows * a_stride + k * 64, a_stride);
    _tile_loadd(6, b + static_cast<std::size_t>(k) * kTileBytes, 64);
    if constexpr (NT == 2)
      _tile_loadd(7, b + b_group_stride + static_cast<std::size_t>(k) * kTileBytes, 64);
    _tile_dpbusd(0, 4, 6);
    if constexpr (NT == 2) _tile_dpbusd(1, 4, 7);
    if constexpr (MT == 2) _tile_dpbusd(2, 5, 6);
    if constexpr (MT == 2 && NT == 2) _tile_dpbusd(3, 5, 7);
  }
  constexpr std::size_t kStride = 32 * 4;
  _tile_stored(0, c, kStride);
  if constexpr (NT == 2) _tile_stored(1, c + 16, kStride);
  if constexpr (MT == 2) _tile_stored(2, c + 16 * 32, kStride);
  if constexpr (MT == 2 && NT == 2) _tile_stored(3, c + 16 * 32 + 16, kStride);
}

using TileBlockFn = void (*)(const std::uint8_t*, std::size_t, const std::int8_t*, std::size_t, int,
                             std::int32_t*);
constexpr TileBlockFn kTileBlocks[2][2] = {{tile_block<1, 1>, tile_block<1, 2>},
                                           {tile_block<2, 1>, tile_block<2, 2>}};

// Rows [m0, m0 + rows) as bytes 0/1, one 64-byte run per word, rows up to 32 zero-filled.
void spread_rows(const BinaryGemmArgs& g, int m0, int rows, std::uint8_t* a, std::size_t a_stride) {
  const __m512i ones = _mm512_set1_epi8(1);
  for (int r = 0; r < rows; ++r) {
    const int i = m0 + r;
    const std::uint64_t* row =
        g.a + (g.row_offsets != nullptr ? static_cast<std::ptrdiff_t>(g.row_offsets[i])
                                        : static_cast<std::ptrdiff_t>(i) * g.lda);
    std::uint8_t* to = a + r * a_stride;
    for (int k = 0; k < g.k; ++k) {
      const std::uint64_t word = row[g.col_offsets != nullptr ? g.col_offsets[k] : k];
      _mm512_storeu_si512(to + k * 64, _mm512_maskz_mov_epi8(word, ones));
    }
  }
  const int padded = rows > kTileRows ? 2 * kTileRows : kTileRows;
  for (int r = rows; r < padded; ++r) std::memset(a + r * a_stride, 0, a_stride);
}

void binary_gemm_amx(const BinaryGemmArgs& g) {
  const int panels = g.panel_end - g.panel_begin;
  const bool whole = g.panel_begin == 0 && g.panel_end == (g.rows + 7) / 8;
  if (g.prepared == nullptr || g.m < kMinRows || panels < (whole ? kMinPanels : kMinSharePanels)) {
    base().binary_gemm(g);
    return;
  }
  const TileScope tiles;
  const std::size_t a_stride = static_cast<std::size_t>(g.k) * 64;
  thread_local std::vector<std::uint8_t, CacheLineAllocator<std::uint8_t>> spread;
  spread.resize(2 * kTileRows * a_stride);
  alignas(64) std::int32_t c[32 * 32];
  const std::size_t b_group_stride = static_cast<std::size_t>(g.k) * kTileBytes;
  // Groups of 16 layer rows (2 panels) that hold this call's panels; a group straddling
  // panel_begin or panel_end is computed whole and only its own panels are stored.
  const int group_begin = g.panel_begin / 2, group_end = (g.panel_end + 1) / 2;
  for (int m0 = 0; m0 < g.m; m0 += 2 * kTileRows) {
    const int rows = std::min(2 * kTileRows, g.m - m0);
    const int mt = rows > kTileRows ? 2 : 1;
    spread_rows(g, m0, rows, spread.data(), a_stride);
    for (int t0 = group_begin; t0 < group_end; t0 += 2) {
      const int nt = std::min(2, group_end - t0);
      kTileBlocks[mt - 1][nt - 1](spread.data(), a_stride,
                                  g.prepared->tiles.data() + t0 * b_group_stride, b_group_stride,
                                  g.k, c);
      for (int tt = 0; tt < nt; ++tt) {
        const int t = t0 + tt;
        const __m512i row_sums = _mm512_loadu_si512(g.prepared->row_sums.data() + t * 16);
        // The group's panels 2t and 2t + 1 that belong to this call.
        const bool first = 2 * t >= g.panel_begin, second = 2 * t + 1 < g.panel_end;
        if (g.out_bits != nullptr) {
          // D ≤ dmax ⇔ Σ w − Σ a·s ≤ dmax ⇔ Σ a·s ≥ Σ w − dmax.
          const __m256i low = _mm512_cvtepi64_epi32(_mm512_loadu_si512(g.dmax + t * 16));
          const __m256i high = second
                                   ? _mm512_cvtepi64_epi32(_mm512_loadu_si512(g.dmax + t * 16 + 8))
                                   : _mm256_setzero_si256();
          const __m512i dmax = _mm512_inserti64x4(_mm512_castsi256_si512(low), high, 1);
          const __m512i least = _mm512_sub_epi32(row_sums, dmax);
          std::uint16_t neg = g.neg[2 * t];
          if (second) neg = static_cast<std::uint16_t>(neg | g.neg[2 * t + 1] << 8);
          for (int r = 0; r < rows; ++r) {
            const auto bits = static_cast<std::uint16_t>(
                _mm512_cmpge_epi32_mask(_mm512_load_si512(c + r * 32 + tt * 16), least) ^ neg);
            std::uint8_t* out = g.out_bits + static_cast<std::size_t>(m0 + r) * g.ldo + 2 * t;
            if (first) out[0] = static_cast<std::uint8_t>(bits);
            if (second) out[1] = static_cast<std::uint8_t>(bits >> 8);
          }
          continue;
        }
        // P = N − D = N − Σ w + Σ a·s, for the rows < MH of this call's panels.
        const __m512i base_count = _mm512_sub_epi32(_mm512_set1_epi32(g.cols), row_sums);
        unsigned lanes = (first ? 0xFFU : 0U) | (second ? 0xFF00U : 0U);
        const int valid = g.rows - 16 * t;
        if (valid < 16) lanes &= (1U << valid) - 1U;
        for (int r = 0; r < rows; ++r) {
          _mm512_mask_storeu_epi32(
              g.out_counts + static_cast<std::size_t>(m0 + r) * g.ldc + 16 * t,
              static_cast<__mmask16>(lanes),
              _mm512_add_epi32(base_count, _mm512_load_si512(c + r * 32 + tt * 16)));
        }
      }
    }
  }
}

// TDPBUSD on tiles already loaded, 4 independent accumulators: 4·16·16·64 byte MACs per round.
double peak_probe_amx(std::int64_t iterations) {
  if (iterations <= 0) return 0;
  const TileScope tiles;
  alignas(64) static const std::int8_t kData[kTileBytes] = {1};
  _tile_loadd(4, kData, 64);
  _tile_loadd(5, kData, 64);
  _tile_loadd(6, kData, 64);
  _tile_loadd(7, kData, 64);
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  for (std::int64_t it = 0; it < iterations; ++it) {
    _tile_dpbusd(0, 4, 6);
    _tile_dpbusd(1, 4, 7);
    _tile_dpbusd(2, 5, 6);
    _tile_dpbusd(3, 5, 7);
  }
  alignas(64) std::int32_t sink[16 * 16];
  _tile_stored(0, sink, 64);
  volatile std::int32_t keep = sink[0];
  (void)keep;
  return static_cast<double>(iterations) * 4 * 16 * 16 * 64;
}

}  // namespace

KernelTable kernels_amx() {
  KernelTable table = kernels_avx512();
  table.isa = Isa::Amx;
  table.binary_gemm = binary_gemm_amx;
  table.prepare_binary = prepare_binary_amx;
  table.tile_min_rows = kMinRows;
  table.tile_min_panels = kMinPanels;
  table.tile_peak_probe = peak_probe_amx;
  return table;
}

}  // namespace bnnc::runtime
