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

// The spread input of a row block (up to 32 rows): per word k a 2 KB run of rows 0..15 (tile
// A[0]) then 16..31 (A[1]), 64 bytes each, so that a tile load reads 1 KB in one piece. Rows
// past the block's last keep stale bytes: an output row depends on its own input row alone,
// and the outputs of those rows are never stored.
constexpr std::size_t kSpreadWord = 2 * kTileBytes;
constexpr int kBlockRows = 2 * kTileRows;

// One block: MT input tiles × NT weight tiles over all K words into `c` (32 × 32 int32, row
// stride 32). Tile numbers are immediates, hence the spelled-out cases.
//
// The weights stream in with TILELOADDT1, the hint that the data will not be reused soon. Why
// (measured on the host of bench/README.md, % of the register-only TDPBUSD probe): the 2 × 2
// block makes one 1 KB tile load per TDPBUSD, which from L1 leaves the unit at ~77 %, but a
// block's operands for LFC's K = 16 are 32 KB of input and 32 KB of weights, more than a 48 KB
// L1 together; read as ordinary loads each evicts the other (~52 %). With the weights (each
// byte used once per block) hinted, the input block, which every group of the layer reuses,
// stays in L1: ~70 %.
template <int MT, int NT>
void tile_block(const std::uint8_t* a, const std::int8_t* b, std::size_t b_group_stride,
                int k_words, std::int32_t* c) {
  _tile_zero(0);
  if constexpr (NT == 2) _tile_zero(1);
  if constexpr (MT == 2) _tile_zero(2);
  if constexpr (MT == 2 && NT == 2) _tile_zero(3);
  for (int k = 0; k < k_words; ++k) {
    _tile_loadd(4, a + k * kSpreadWord, 64);
    if constexpr (MT == 2) _tile_loadd(5, a + k * kSpreadWord + kTileBytes, 64);
    const std::int8_t* w = b + static_cast<std::size_t>(k) * kTileBytes;
    _tile_stream_loadd(6, w, 64);
    if constexpr (NT == 2) _tile_stream_loadd(7, w + b_group_stride, 64);
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

using TileBlockFn = void (*)(const std::uint8_t*, const std::int8_t*, std::size_t, int,
                             std::int32_t*);
constexpr TileBlockFn kTileBlocks[2][2] = {{tile_block<1, 1>, tile_block<1, 2>},
                                           {tile_block<2, 1>, tile_block<2, 2>}};

// Rows [m0, m0 + rows) as bytes 0/1 in the layout of kSpreadWord.
void spread_rows(const BinaryGemmArgs& g, int m0, int rows, std::uint8_t* to) {
  const __m512i ones = _mm512_set1_epi8(1);
  const int k_words = g.k;
  const std::int32_t* cols = g.col_offsets;
  for (int r = 0; r < rows; ++r, to += 64) {
    const int i = m0 + r;
    const std::uint64_t* row =
        g.a + (g.row_offsets != nullptr ? static_cast<std::ptrdiff_t>(g.row_offsets[i])
                                        : static_cast<std::ptrdiff_t>(i) * g.lda);
    for (int k = 0; k < k_words; ++k) {
      const std::uint64_t word = row[cols != nullptr ? cols[k] : k];
      _mm512_store_si512(to + k * kSpreadWord, _mm512_maskz_mov_epi8(word, ones));
    }
  }
}

// A block's sums in `c` (input rows [m0, m0 + rows), groups [t0, t0 + nt)) to this call's
// outputs among the block's 2·nt panels: the fused threshold's bits, or the counts.
void finish_block(const BinaryGemmArgs& g, const std::int32_t* c, int m0, int rows, int t0,
                  int nt) {
  const int lo = std::max(2 * t0, g.panel_begin), hi = std::min(2 * (t0 + nt), g.panel_end);
  const auto mine = [&](int panel) { return panel >= lo && panel < hi; };
  const std::int32_t* row_sums = g.prepared->row_sums.data() + t0 * 16;
  if (g.out_bits != nullptr) {
    // D ≤ dmax ⇔ Σ w − Σ a·s ≤ dmax ⇔ Σ a·s ≥ Σ w − dmax, per group of 16 rows (dmax read
    // only for this call's panels: a missing last panel has none).
    __m512i least[2] = {};
    for (int tt = 0; tt < nt; ++tt) {
      const int t = t0 + tt;
      const __m512i low = _mm512_maskz_loadu_epi64(mine(2 * t) ? 0xFF : 0, g.dmax + t * 16);
      const __m512i high =
          _mm512_maskz_loadu_epi64(mine(2 * t + 1) ? 0xFF : 0, g.dmax + t * 16 + 8);
      const __m512i dmax = _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi64_epi32(low)),
                                              _mm512_cvtepi64_epi32(high), 1);
      least[tt] = _mm512_sub_epi32(_mm512_loadu_si512(row_sums + tt * 16), dmax);
    }
    std::uint32_t neg = 0;
    for (int p = lo; p < hi; ++p) neg |= static_cast<std::uint32_t>(g.neg[p]) << (8 * (p - 2 * t0));
    // A row's bits of panels [lo, hi) leave in one store of hi − lo bytes (4 in the body).
    const int shift = 8 * (lo - 2 * t0), bytes = hi - lo;
    const std::size_t ldo = g.ldo;
    std::uint8_t* out = g.out_bits + static_cast<std::size_t>(m0) * ldo + lo;
    for (int r = 0; r < rows; ++r, out += ldo) {
      std::uint32_t bits = _mm512_cmpge_epi32_mask(_mm512_load_si512(c + r * 32), least[0]);
      if (nt == 2) {
        bits |= static_cast<std::uint32_t>(
                    _mm512_cmpge_epi32_mask(_mm512_load_si512(c + r * 32 + 16), least[1]))
                << 16;
      }
      bits = (bits ^ neg) >> shift;
      if (bytes == 4) {
        std::memcpy(out, &bits, 4);
      } else {
        for (int j = 0; j < bytes; ++j) out[j] = static_cast<std::uint8_t>(bits >> (8 * j));
      }
    }
    return;
  }
  // P = N − D = N − Σ w + Σ a·s, for the rows < MH of this call's panels.
  for (int tt = 0; tt < nt; ++tt) {
    const int t = t0 + tt;
    const __m512i base_count =
        _mm512_sub_epi32(_mm512_set1_epi32(g.cols), _mm512_loadu_si512(row_sums + tt * 16));
    unsigned lanes = (mine(2 * t) ? 0xFFU : 0U) | (mine(2 * t + 1) ? 0xFF00U : 0U);
    const int valid = g.rows - 16 * t;
    if (valid < 16) lanes &= (1U << valid) - 1U;
    const std::size_t ldc = g.ldc;
    std::int32_t* out = g.out_counts + static_cast<std::size_t>(m0) * ldc + 16 * t;
    for (int r = 0; r < rows; ++r, out += ldc) {
      _mm512_mask_storeu_epi32(
          out, static_cast<__mmask16>(lanes),
          _mm512_add_epi32(base_count, _mm512_load_si512(c + r * 32 + tt * 16)));
    }
  }
}

void binary_gemm_amx(const BinaryGemmArgs& args) {
  const int panels = args.panel_end - args.panel_begin;
  const bool whole = args.panel_begin == 0 && args.panel_end == (args.rows + 7) / 8;
  if (args.prepared == nullptr || args.m < kMinRows ||
      panels < (whole ? kMinPanels : kMinSharePanels)) {
    base().binary_gemm(args);
    return;
  }
  // A copy: the output stores (uint8_t*) could otherwise alias the arguments.
  const BinaryGemmArgs g = args;
  const TileScope tiles;
  thread_local std::vector<std::uint8_t, CacheLineAllocator<std::uint8_t>> spread;
  spread.resize(static_cast<std::size_t>(g.k) * kSpreadWord);
  // Two sum buffers: a block's threshold is computed after the next block's tile instructions
  // have been issued, on the vector ports, while the tile unit runs them.
  alignas(64) std::int32_t sums[2][32 * 32];
  const std::size_t b_group_stride = static_cast<std::size_t>(g.k) * kTileBytes;
  // Groups of 16 layer rows (2 panels) that hold this call's panels; a group straddling
  // panel_begin or panel_end is computed whole and only its own panels are stored.
  const int group_begin = g.panel_begin / 2, group_end = (g.panel_end + 1) / 2;
  struct Pending {
    const std::int32_t* c = nullptr;
    int m0 = 0, rows = 0, t0 = 0, nt = 0;
  } pending;
  int block = 0;
  for (int m0 = 0; m0 < g.m; m0 += kBlockRows) {
    const int rows = std::min(kBlockRows, g.m - m0);
    const int mt = rows > kTileRows ? 2 : 1;
    spread_rows(g, m0, rows, spread.data());
    for (int t0 = group_begin; t0 < group_end; t0 += 2) {
      const int nt = std::min(2, group_end - t0);
      std::int32_t* c = sums[block++ % 2];
      kTileBlocks[mt - 1][nt - 1](spread.data(), g.prepared->tiles.data() + t0 * b_group_stride,
                                  b_group_stride, g.k, c);
      if (pending.c != nullptr) {
        finish_block(g, pending.c, pending.m0, pending.rows, pending.t0, pending.nt);
      }
      pending = {c, m0, rows, t0, nt};
    }
  }
  finish_block(g, pending.c, pending.m0, pending.rows, pending.t0, pending.nt);
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
