// The CPU engine against its oracles: every kernel variant against its reference twin on random
// shapes at word boundaries, and the whole engine (every variant, batch-parallel and team mode)
// against the golden model on hand-made layers in every pad mode, on random streamlined networks,
// and on BNN-PYNQ's LFC and CNV over every external test image.
#include <gtest/gtest.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <limits>
#include <random>
#include <set>
#include <utility>

#include "io/bnn_pynq_importer.h"
#include "io/dataset.h"
#include "io/model_file.h"
#include "ir/infer_types.h"
#include "ir/print_graph.h"
#include "passes/streamline.h"
#include "random_network.h"
#include "residual_network.h"
#include "runtime/cpu_engine.h"
#include "runtime/plain_steps.h"
#include "runtime/skip_equal_windows.h"
#include "runtime/zero_pad_correction.h"
#include "sim/golden_model.h"
#include "test_support.h"

namespace bnnc {
namespace {

using runtime::Isa;

std::uint64_t base_seed() {
  const char* env = std::getenv("BNNC_TEST_SEED");
  return env != nullptr ? std::strtoull(env, nullptr, 10) : 20261122;
}

std::vector<Isa> supported_isas() {
  std::vector<Isa> isas;
  for (int i = 0; i < static_cast<int>(Isa::Count); ++i) {
    if (runtime::isa_supported(static_cast<Isa>(i))) isas.push_back(static_cast<Isa>(i));
  }
  return isas;
}

constexpr int kWordBoundaryBits[] = {1, 31, 32, 33, 63, 64, 65, 511, 512, 513};

// A variant's binary kernel, with the weights it prepares for itself (the AMX tiles).
void run_binary_gemm(Isa isa, runtime::BinaryGemmArgs g) {
  const runtime::KernelTable& kernels = runtime::kernels_for(isa);
  runtime::PreparedWeights prepared;
  if (kernels.prepare_binary != nullptr) {
    kernels.prepare_binary(g.panels, (g.rows + 7) / 8, g.k, prepared);
    g.prepared = &prepared;
  }
  if (kernels.prepare_binary_row != nullptr) {
    kernels.prepare_binary_row(g.panels, (g.rows + 7) / 8, g.k, prepared);
    g.prepared = &prepared;
    // As the engine does: the fused threshold also in 16 bits, where the rows allow it.
    if (g.dmax != nullptr) {
      runtime::make_row_dmax(g.dmax, (g.rows + 7) / 8, g.k, prepared);
      if (!prepared.row_dmax.empty()) g.dmax16 = prepared.row_dmax.data();
    }
  }
  // And the input-major layout of a fused layer on one row whose real synapses are its first
  // bits, as the engine makes it (for any size here; the engine's least is 32 panels).
  if (kernels.reads_input_major && g.m == 1 && g.dmax != nullptr &&
      (g.col_offsets == nullptr || g.cols == 64 * g.k)) {
    runtime::make_input_major(g.panels, (g.rows + 7) / 8, g.k, g.cols, g.dmax, g.neg, prepared);
    g.prepared = &prepared;
  }
  kernels.binary_gemm(g);
}

// Which outputs a GEMM kernel is asked for: its fused threshold bits, its sums, or both (one call
// each).
enum class Written { Bits, Counts, Both };

// What a GEMM kernel wrote: its fused threshold bits (m·ldo bytes) and its sums (m·ldc), each
// left zero unless asked for.
struct GemmOutputs {
  std::vector<std::uint8_t> bits;
  std::vector<std::int32_t> counts;
};

// Runs `kernel` on `args` into zeroed outputs, once for each output written.
template <typename Args, typename Kernel>
GemmOutputs run_gemm(Args args, const Kernel& kernel, Written written) {
  GemmOutputs out{std::vector<std::uint8_t>(static_cast<std::size_t>(args.m) * args.ldo),
                  std::vector<std::int32_t>(static_cast<std::size_t>(args.m) * args.ldc)};
  if (written != Written::Counts) {
    args.out_bits = out.bits.data();
    args.out_counts = nullptr;
    kernel(args);
  }
  if (written != Written::Bits) {
    args.out_bits = nullptr;
    args.out_counts = out.counts.data();
    kernel(args);
  }
  return out;
}

// `args` through the reference and through every supported variant (`variant(isa, args)`), for
// the outputs asked for: each variant must write what the reference wrote. Returns the
// reference's outputs.
template <typename Args, typename Reference, typename Variant>
GemmOutputs expect_variants_equal_reference(const Args& args, const Reference& reference,
                                            const Variant& variant, Written written,
                                            const std::string& where) {
  const GemmOutputs want = run_gemm(args, reference, written);
  for (Isa isa : supported_isas()) {
    const GemmOutputs got = run_gemm(
        args, [&](const Args& a) { variant(isa, a); }, written);
    const std::string at = fmt::format("{} {}", runtime::isa_name(isa), where);
    EXPECT_EQ(got.bits, want.bits) << at;
    EXPECT_EQ(got.counts, want.counts) << at;
  }
  return want;
}

// A binary GEMM's arguments: m input rows of k words (row i at a + i·k; tests with window offsets
// set them afterwards), the panels `w` of `rows` layer rows of `cols` synapses, their limits and
// negation flags; every panel, outputs packed.
runtime::BinaryGemmArgs binary_args(const std::uint64_t* a, int m, int k,
                                    const std::vector<std::uint64_t>& w, int rows, int cols,
                                    const std::vector<std::int64_t>& dmax,
                                    const std::vector<std::uint8_t>& neg) {
  const int panels = (rows + 7) / 8;
  runtime::BinaryGemmArgs g;
  g.a = a;
  g.lda = static_cast<std::size_t>(k);
  g.m = m;
  g.k = k;
  g.panels = w.data();
  g.panel_begin = 0;
  g.panel_end = panels;
  g.rows = rows;
  g.cols = cols;
  g.dmax = dmax.data();
  g.neg = neg.data();
  g.ldo = panels;
  g.ldc = rows;
  return g;
}

// A fixed-point GEMM's arguments: m input rows of k4 groups of 4 bytes (row i at a + i·lda;
// window offsets set afterwards), the panels `w` of `rows` layer rows, their thresholds,
// negation flags and corrections; every panel, outputs packed.
runtime::FixedGemmArgs fixed_args(const std::uint8_t* a, std::size_t lda, int m, int k4,
                                  const std::vector<std::int8_t>& w, int rows,
                                  const std::vector<std::int32_t>& amin,
                                  const std::vector<std::uint16_t>& neg,
                                  const std::vector<std::int32_t>& correction) {
  const int panels = (rows + 15) / 16;
  runtime::FixedGemmArgs f;
  f.a = a;
  f.lda = lda;
  f.m = m;
  f.k4 = k4;
  f.panels = w.data();
  f.panel_end = panels;
  f.rows = rows;
  f.amin = amin.data();
  f.neg = neg.data();
  f.ldo = panels * 2;
  f.correction = correction.data();
  f.ldc = rows;
  return f;
}

GemmOutputs expect_binary_variants_equal_reference(const runtime::BinaryGemmArgs& g,
                                                   Written written, const std::string& where) {
  return expect_variants_equal_reference(g, runtime::binary_gemm_ref, run_binary_gemm, written,
                                         "binary " + where);
}

GemmOutputs expect_fixed_variants_equal_reference(const runtime::FixedGemmArgs& f, Written written,
                                                  const std::string& where) {
  const auto variant = [](Isa isa, const runtime::FixedGemmArgs& a) {
    runtime::kernels_for(isa).fixed_gemm(a);
  };
  return expect_variants_equal_reference(f, runtime::fixed_gemm_ref, variant, written,
                                         "fixed " + where);
}

TEST(CpuKernels, BinaryGemmVariantsEqualReference) {
  std::mt19937_64 rng(base_seed());
  for (int cols : kWordBoundaryBits) {
    // 100 rows, 70 inputs: the tile unit's blocks of 2 and 1 groups, row blocks of 32 and 6.
    for (int rows : {1, 8, 9, 31, 40, 100}) {
      for (int m : {1, 4, 7, 13, 16, 33, 70}) {
        for (bool fused : {true, false}) {
          const int k = (cols + 63) / 64, panels = (rows + 7) / 8;
          const std::uint64_t tail =
              cols % 64 == 0 ? ~std::uint64_t{0} : (std::uint64_t{1} << (cols % 64)) - 1;
          std::vector<std::uint64_t> a(static_cast<std::size_t>(m) * k), w(panels * k * 8, 0);
          for (std::size_t i = 0; i < a.size(); ++i)
            a[i] = rng() & (i % k == static_cast<std::size_t>(k - 1) ? tail : ~0ULL);
          for (int r = 0; r < rows; ++r) {
            for (int j = 0; j < k; ++j)
              w[((r / 8) * k + j) * 8 + r % 8] = rng() & (j == k - 1 ? tail : ~0ULL);
          }
          std::vector<std::int64_t> dmax(panels * 8, -1);
          std::vector<std::uint8_t> neg(panels);
          for (int r = 0; r < rows; ++r)
            dmax[r] = static_cast<std::int64_t>(rng() % (cols + 3)) - 1;
          for (auto& byte : neg) byte = static_cast<std::uint8_t>(rng());
          runtime::BinaryGemmArgs g = binary_args(a.data(), m, k, w, rows, cols, dmax, neg);
          expect_binary_variants_equal_reference(
              g, fused ? Written::Bits : Written::Counts,
              fmt::format("cols={} rows={} m={} fused={}", cols, rows, m, fused));
        }
      }
    }
  }
}

// One input row (batch 1) over many panels: the one-row layout's groups of 16 panels, a last
// group of fewer, and a team member's share starting and ending inside a group; its thresholds
// in 16 bits (clamped: some far outside [−1, 64·K]), and in 64 when the rows are too wide
// (32800 columns).
TEST(CpuKernels, OneRowOverGroupsAndSharesEqualsReference) {
  std::mt19937_64 rng(base_seed() + 17);
  int one_row_layouts = 0;
  for (Isa isa : supported_isas())
    one_row_layouts += runtime::kernels_for(isa).prepare_binary_row != nullptr;
  for (int cols : {1, 64, 784, 1024, 1100, 32800}) {
    for (int rows : {120, 128, 129, 136, 255, 300}) {
      const int k = (cols + 63) / 64, panels = (rows + 7) / 8;
      const std::uint64_t tail =
          cols % 64 == 0 ? ~std::uint64_t{0} : (std::uint64_t{1} << (cols % 64)) - 1;
      std::vector<std::uint64_t> a(static_cast<std::size_t>(k)), w(panels * k * 8, 0);
      for (int i = 0; i < k; ++i) a[i] = rng() & (i == k - 1 ? tail : ~0ULL);
      for (int r = 0; r < rows; ++r) {
        for (int j = 0; j < k; ++j)
          w[((r / 8) * k + j) * 8 + r % 8] = rng() & (j == k - 1 ? tail : ~0ULL);
      }
      std::vector<std::int64_t> dmax(panels * 8, -1);
      std::vector<std::uint8_t> neg(panels);
      for (int r = 0; r < rows; ++r) dmax[r] = static_cast<std::int64_t>(rng() % (cols + 3)) - 1;
      for (int r = 0; r < rows; r += 7) {
        dmax[r] = std::array<std::int64_t, 4>{INT64_MIN, -40000, 40000, INT64_MAX}[r % 4];
      }
      for (auto& byte : neg) byte = static_cast<std::uint8_t>(rng());
      runtime::BinaryGemmArgs g = binary_args(a.data(), 1, k, w, rows, cols, dmax, neg);
      for (auto [begin, end] :
           {std::pair{0, panels}, std::pair{0, 9}, std::pair{9, panels}, std::pair{17, panels - 3},
            std::pair{panels - 1, panels}, std::pair{3, 5}}) {
        g.panel_begin = begin;
        g.panel_end = end;
        expect_binary_variants_equal_reference(
            g, Written::Both,
            fmt::format("one row cols={} rows={} panels [{}, {})", cols, rows, begin, end));
      }
    }
  }
  // An AVX-512 machine runs the one-row layout above; elsewhere the test checks the others.
  if (runtime::isa_supported(Isa::Avx512)) {
    EXPECT_GT(one_row_layouts, 0);
  }
}

// One input row on the input-major layout (kernels.h, PreparedWeights::InputMajor): inputs
// from all 0 to all 1 (either side listed, S at and around ⌊N/2⌋ with both parities), limits
// anywhere (far outside [−1, N] too), rows up to past a 512-row vector, members' shares starting
// and ending inside one, and a row read through word offsets (every bit real).
TEST(CpuKernels, InputMajorEqualsReference) {
  std::mt19937_64 rng(base_seed() + 23);
  int layouts = 0;
  for (int cols : {255, 256, 300, 784, 1024, 1025, 4095, 8192, 12544, 16384, 16385}) {
    for (int rows : {64, 120, 512, 520, 1024, 1100}) {
      if (cols > 8192 && rows != 520) continue;
      const int k = (cols + 63) / 64, panels = (rows + 7) / 8;
      std::vector<std::uint64_t> w(panels * k * 8, 0);
      for (int r = 0; r < rows; ++r) {
        for (int c = 0; c < cols; ++c) {
          if (rng() % 2 == 1) w[((r / 8) * k + c / 64) * 8 + r % 8] |= std::uint64_t{1} << (c % 64);
        }
      }
      std::vector<std::int64_t> dmax(panels * 8, -1);
      std::vector<std::uint8_t> neg(panels);
      for (int r = 0; r < rows; ++r) dmax[r] = static_cast<std::int64_t>(rng() % (cols + 3)) - 1;
      for (int r = 0; r < rows; r += 5) {
        dmax[r] = std::array<std::int64_t, 5>{INT64_MIN, -40000, 40000, INT64_MAX, cols / 2}[r % 5];
      }
      for (auto& byte : neg) byte = static_cast<std::uint8_t>(rng());
      runtime::PreparedWeights made;
      runtime::make_input_major(w.data(), panels, k, cols, dmax.data(), neg.data(), made);
      layouts += !made.input_major.columns.empty();
      using InputMajor = runtime::PreparedWeights::InputMajor;
      EXPECT_EQ(made.input_major.columns.empty(),
                cols < InputMajor::kLeastCols || cols > InputMajor::kMostCols)
          << cols;
      const int half = cols / 2;
      for (int ones : {0, 1, half - 1, half, half + 1, half + 2, cols / 3, cols - 1, cols}) {
        // `ones` of the real bits set, at random places.
        std::vector<int> order(static_cast<std::size_t>(cols));
        for (int c = 0; c < cols; ++c) order[c] = c;
        std::shuffle(order.begin(), order.end(), rng);
        std::vector<std::uint64_t> a(static_cast<std::size_t>(k), 0);
        for (int j = 0; j < ones; ++j) a[order[j] / 64] |= std::uint64_t{1} << (order[j] % 64);
        runtime::BinaryGemmArgs g = binary_args(a.data(), 1, k, w, rows, cols, dmax, neg);
        for (auto [begin, end] : {std::pair{0, panels}, std::pair{0, 64}, std::pair{64, panels},
                                  std::pair{3, panels - 5}, std::pair{panels - 1, panels}}) {
          if (end > panels || begin >= end) continue;
          g.panel_begin = begin;
          g.panel_end = end;
          expect_binary_variants_equal_reference(
              g, Written::Bits,
              fmt::format("input-major cols={} rows={} ones={} panels [{}, {})", cols, rows, ones,
                          begin, end));
        }
      }
      // Every bit real: the same row read through word offsets (reversed, one word apart).
      if (cols % 64 == 0) {
        std::vector<std::uint64_t> image(static_cast<std::size_t>(2 * k), 0);
        std::vector<std::int32_t> col_offsets(static_cast<std::size_t>(k)), row_offsets{1};
        for (int j = 0; j < k; ++j) {
          col_offsets[j] = 2 * (k - 1 - j);
          image[1 + col_offsets[j]] = rng();
        }
        runtime::BinaryGemmArgs g = binary_args(image.data(), 1, k, w, rows, cols, dmax, neg);
        g.row_offsets = row_offsets.data();
        g.col_offsets = col_offsets.data();
        expect_binary_variants_equal_reference(
            g, Written::Bits, fmt::format("input-major offsets cols={} rows={}", cols, rows));
      }
    }
  }
  EXPECT_GT(layouts, 0);
}

TEST(CpuKernels, FixedGemmVariantsEqualReference) {
  std::mt19937_64 rng(base_seed() + 1);
  for (int cols : {1, 3, 27, 31, 33, 64, 65}) {
    for (int rows : {1, 16, 17, 64}) {
      for (int m : {1, 4, 6, 13, 16, 33}) {
        for (bool fused : {true, false}) {
          const int k4 = (cols + 3) / 4, panels = (rows + 15) / 16;
          std::vector<std::uint8_t> a(static_cast<std::size_t>(m) * k4 * 4, 0);
          for (int i = 0; i < m; ++i) {
            for (int c = 0; c < cols; ++c) a[i * k4 * 4 + c] = static_cast<std::uint8_t>(rng());
          }
          std::vector<std::int8_t> w(panels * k4 * 64, 0);
          for (int r = 0; r < rows; ++r) {
            for (int c = 0; c < cols; ++c) {
              w[(((r / 16) * k4 + c / 4) * 16 + r % 16) * 4 + c % 4] = (rng() & 1) ? 1 : -1;
            }
          }
          std::vector<std::int32_t> amin(panels * 16, INT32_MAX), correction(panels * 16);
          std::vector<std::uint16_t> neg(panels);
          for (int r = 0; r < rows; ++r) {
            amin[r] = static_cast<std::int32_t>(rng() % (512 * cols + 1)) - 256 * cols;
            correction[r] = static_cast<std::int32_t>(rng() % 1000);
          }
          for (auto& flags : neg) flags = static_cast<std::uint16_t>(rng());
          runtime::FixedGemmArgs g =
              fixed_args(a.data(), k4 * 4, m, k4, w, rows, amin, neg, correction);
          expect_fixed_variants_equal_reference(
              g, fused ? Written::Bits : Written::Counts,
              fmt::format("cols={} rows={} m={} fused={}", cols, rows, m, fused));
        }
      }
    }
  }
}

// A random implicit-im2col binary GEMM: an image of `image_words` words, m rows and k words
// addressed through offset tables below `offset_range`, `rows` layer rows in panels, limits
// uniform in [0, 64·k] (callers may set others) and negation flags. args() points into it.
struct WindowedBinaryGemm {
  WindowedBinaryGemm(std::mt19937_64& rng, int m_, int k_, int rows_, int image_words,
                     int offset_range)
      : m(m_), k(k_), rows(rows_), panels((rows_ + 7) / 8) {
    image.resize(image_words);
    for (auto& v : image) v = rng();
    row_offsets.resize(m);
    col_offsets.resize(k);
    for (auto& o : row_offsets) o = static_cast<std::int32_t>(rng() % offset_range);
    for (auto& o : col_offsets) o = static_cast<std::int32_t>(rng() % offset_range);
    w.resize(static_cast<std::size_t>(panels) * k * 8);
    for (auto& v : w) v = rng();
    dmax.resize(panels * 8);
    for (auto& d : dmax) d = static_cast<std::int64_t>(rng() % (64 * k + 1));
    neg.resize(panels);
    for (auto& byte : neg) byte = static_cast<std::uint8_t>(rng());
  }
  runtime::BinaryGemmArgs args() const {
    runtime::BinaryGemmArgs g = binary_args(image.data(), m, k, w, rows, 64 * k, dmax, neg);
    g.row_offsets = row_offsets.data();
    g.col_offsets = col_offsets.data();
    return g;
  }
  int m, k, rows, panels;
  std::vector<std::uint64_t> image, w;
  std::vector<std::int32_t> row_offsets, col_offsets;
  std::vector<std::int64_t> dmax;
  std::vector<std::uint8_t> neg;
};

// Implicit im2col: rows and words addressed through offset tables into one image (overlapping
// windows, words in any order), every variant against the reference.
TEST(CpuKernels, GemmWindowOffsetsEqualReference) {
  std::mt19937_64 rng(base_seed() + 3);
  for (int k : {1, 2, 9, 18, 36}) {
    for (int m : {1, 5, 13, 30, 47, 70}) {
      for (int rows : {8, 33, 64, 200}) {
        const WindowedBinaryGemm gemm(rng, m, k, rows, 200, 100);
        const int panels = gemm.panels;
        runtime::BinaryGemmArgs g = gemm.args();
        // All panels, and the shares of a team's members (odd bounds included).
        for (auto [begin, end] : {std::pair{0, panels}, std::pair{panels / 3, panels - panels / 4},
                                  std::pair{1, std::min(panels, 3)}, std::pair{1, panels}}) {
          if (begin >= end) continue;
          g.panel_begin = begin;
          g.panel_end = end;
          expect_binary_variants_equal_reference(
              g, Written::Both,
              fmt::format("k={} m={} rows={} panels [{}, {})", k, m, rows, begin, end));
        }
        // The same offsets as bytes for the fixed-point kernel (groups of 4 bytes).
        const int fixed_panels = (rows + 15) / 16;
        std::vector<std::int8_t> fw(static_cast<std::size_t>(fixed_panels) * k * 64);
        for (auto& v : fw) v = (rng() & 1) != 0 ? 1 : -1;
        std::vector<std::int32_t> amin(fixed_panels * 16), correction(fixed_panels * 16);
        for (auto& v : amin) v = static_cast<std::int32_t>(rng() % (512 * k)) - 256 * k;
        for (auto& v : correction) v = static_cast<std::int32_t>(rng() % 1000);
        std::vector<std::uint16_t> fneg(fixed_panels);
        for (auto& v : fneg) v = static_cast<std::uint16_t>(rng());
        runtime::FixedGemmArgs f =
            fixed_args(reinterpret_cast<const std::uint8_t*>(gemm.image.data()), 0, m, k, fw, rows,
                       amin, fneg, correction);
        f.row_offsets = gemm.row_offsets.data();
        f.col_offsets = gemm.col_offsets.data();
        expect_fixed_variants_equal_reference(f, Written::Both,
                                              fmt::format("k4={} m={} rows={}", k, m, rows));
      }
    }
  }
}

// Long rows, where a variant sums in narrow counters and must widen them in time (the AVX2
// binary kernel's byte counters every 31 words, its fixed-point int16 sums every 64 groups),
// contiguous rows over a team member's panel range, and the largest sums: all inputs 255 and all
// weights +1 (or all input bits mismatching).
TEST(CpuKernels, LongRowsAndExtremeSumsEqualReference) {
  std::mt19937_64 rng(base_seed() + 5);
  for (int k : {30, 31, 32, 62, 63, 64, 65, 100}) {
    for (int m : {1, 2, 5}) {
      for (bool extreme : {false, true}) {
        const int rows = 37, panels = (rows + 7) / 8;
        std::vector<std::uint64_t> a(static_cast<std::size_t>(m) * k);
        std::vector<std::uint64_t> w(static_cast<std::size_t>(panels) * k * 8);
        for (auto& v : a) v = extreme ? ~std::uint64_t{0} : rng();
        for (auto& v : w) v = extreme ? 0 : rng();
        std::vector<std::int64_t> dmax(panels * 8);
        for (auto& d : dmax) d = static_cast<std::int64_t>(rng() % (64 * k + 2)) - 1;
        std::vector<std::uint8_t> neg(panels);
        for (auto& byte : neg) byte = static_cast<std::uint8_t>(rng());
        runtime::BinaryGemmArgs g = binary_args(a.data(), m, k, w, rows, 64 * k, dmax, neg);
        for (auto [begin, end] : {std::pair{0, panels}, std::pair{1, panels}, std::pair{2, 3}}) {
          g.panel_begin = begin;
          g.panel_end = end;
          expect_binary_variants_equal_reference(
              g, Written::Both,
              fmt::format("k={} m={} extreme={} panels [{}, {})", k, m, extreme, begin, end));
        }
        // The fixed-point kernel on k groups of 4 bytes per row, 2 panels of 16 rows.
        const int fixed_rows = 20, fixed_panels = 2;
        std::vector<std::uint8_t> fa(static_cast<std::size_t>(m) * k * 4);
        for (auto& v : fa) v = extreme ? 255 : static_cast<std::uint8_t>(rng());
        std::vector<std::int8_t> fw(static_cast<std::size_t>(fixed_panels) * k * 64);
        for (auto& v : fw) v = extreme || (rng() & 1) != 0 ? 1 : -1;
        std::vector<std::int32_t> amin(fixed_panels * 16), correction(fixed_panels * 16);
        for (auto& v : amin) v = static_cast<std::int32_t>(rng() % (2048 * k)) - 1024 * k;
        if (extreme) amin[0] = 1020 * k;  // exactly the largest sum: fires
        for (auto& v : correction) v = static_cast<std::int32_t>(rng() % 1000);
        std::vector<std::uint16_t> fneg(fixed_panels);
        for (auto& v : fneg) v = static_cast<std::uint16_t>(rng());
        runtime::FixedGemmArgs f = fixed_args(fa.data(), static_cast<std::size_t>(k) * 4, m, k, fw,
                                              fixed_rows, amin, fneg, correction);
        const GemmOutputs want = expect_fixed_variants_equal_reference(
            f, Written::Both, fmt::format("k4={} m={} extreme={}", k, m, extreme));
        if (extreme) {
          ASSERT_EQ(want.counts[0], 1020 * k - correction[0]);
        }
      }
    }
  }
}

// The LFC input layer's binarization, every variant against the reference: channel counts at
// word boundaries, thresholds on both sides of each byte, `never` and negated channels.
// Early termination (kernels.h binary_gemm_early_exit): every variant that has it, and its
// reference twin, write the plain reference's bits. The weights are the input with a few bits
// flipped (or complemented), and the thresholds near 0, near N, or at random, so that rows are
// decided after the first chunk, in the middle, or never; with and without window offsets, over
// team panel ranges; counts (no threshold) run in full.
// The shapes of the reference networks' layers where the AVX2 kernels take their own paths
// (docs/cpu-avx2.md): binary conv rows of 1–33 words through window offsets, around the 31 words
// up to which a fused threshold is taken from the registers, with 1–5 panels (every remainder
// of the 4-panel blocks) and both outputs; and first layers on 8-bit pixels read in place from
// a padded image, window rows of kernel·C bytes in ⌈kernel·C/4⌉ groups (AlexNet 11×11/4,
// ResNet 7×7/2, VGG 3×3 on 3 channels), across the 64-group int16 chunk, with every remainder of
// the 4-row blocks.
TEST(CpuKernels, ReferenceNetworkLayerShapesEqualReference) {
  std::mt19937_64 rng(base_seed() + 7);
  for (int k : {1, 8, 9, 18, 27, 30, 31, 32, 33}) {
    for (int rows : {8, 16, 24, 32, 40}) {
      WindowedBinaryGemm gemm(rng, 13, k, rows, 300, 150);
      // Around half the synapses (the bits fire about half the time), and the extremes.
      for (auto& d : gemm.dmax) d = 32 * k + static_cast<std::int64_t>(rng() % 17) - 8;
      gemm.dmax[0] = -1;
      gemm.dmax[1] = 64 * k;
      expect_binary_variants_equal_reference(gemm.args(), Written::Both,
                                             fmt::format("k={} rows={}", k, rows));
    }
  }
  struct FirstLayer {
    int kernel, stride, size;
  };
  for (FirstLayer layer : {FirstLayer{11, 4, 40}, FirstLayer{7, 2, 30}, FirstLayer{3, 1, 20}}) {
    constexpr int kChannels = 3;
    const int out = (layer.size - layer.kernel) / layer.stride + 1;
    const int row_bytes = layer.kernel * kChannels, groups_per_row = (row_bytes + 3) / 4;
    const int k4 = layer.kernel * groups_per_row;
    // The padded image, with 3 bytes to spare past its end (the last group of a window row reads
    // up to 3 bytes past it, with weight 0).
    std::vector<std::uint8_t> image(static_cast<std::size_t>(layer.size) * layer.size * kChannels +
                                    3);
    for (auto& v : image) v = static_cast<std::uint8_t>(rng());
    std::vector<std::int32_t> col_offsets(k4);
    for (int ky = 0; ky < layer.kernel; ++ky) {
      for (int gr = 0; gr < groups_per_row; ++gr) {
        col_offsets[ky * groups_per_row + gr] = (ky * layer.size) * kChannels + 4 * gr;
      }
    }
    for (int m : {1, 4, 5, 6, 7, 13}) {
      std::vector<std::int32_t> row_offsets(m);
      for (int i = 0; i < m; ++i) {
        const int p = static_cast<int>(rng() % static_cast<std::uint64_t>(out * out));
        row_offsets[i] =
            ((p / out) * layer.stride * layer.size + (p % out) * layer.stride) * kChannels;
      }
      const int rows = 64, panels = 4;
      std::vector<std::int8_t> w(static_cast<std::size_t>(panels) * k4 * 64, 0);
      for (int r = 0; r < rows; ++r) {
        for (int c = 0; c < k4 * 4; ++c) {
          if (c % 4 + 4 * ((c / 4) % groups_per_row) >= row_bytes) continue;  // past the row
          w[(((r / 16) * k4 + c / 4) * 16 + r % 16) * 4 + c % 4] = (rng() & 1) ? 1 : -1;
        }
      }
      std::vector<std::int32_t> amin(panels * 16), correction(panels * 16);
      for (auto& v : amin) v = static_cast<std::int32_t>(rng() % 4001) - 2000;
      for (auto& v : correction) v = static_cast<std::int32_t>(rng() % 1000);
      std::vector<std::uint16_t> fneg(panels);
      for (auto& v : fneg) v = static_cast<std::uint16_t>(rng());
      runtime::FixedGemmArgs f =
          fixed_args(image.data(), 0, m, k4, w, rows, amin, fneg, correction);
      f.row_offsets = row_offsets.data();
      f.col_offsets = col_offsets.data();
      expect_fixed_variants_equal_reference(
          f, Written::Both, fmt::format("kernel={} k4={} m={}", layer.kernel, k4, m));
    }
  }
}

TEST(CpuKernels, EarlyExitVariantsEqualReference) {
  std::mt19937_64 rng(base_seed() + 7);
  std::vector<std::pair<std::string, void (*)(const runtime::BinaryGemmArgs&)>> kernels = {
      {"reference", runtime::binary_gemm_early_exit_ref}};
  for (Isa isa : supported_isas()) {
    if (runtime::kernels_for(isa).binary_gemm_early_exit != nullptr) {
      kernels.emplace_back(runtime::isa_name(isa),
                           runtime::kernels_for(isa).binary_gemm_early_exit);
    }
  }
  ASSERT_GE(kernels.size(), 2U);  // the reference and the portable variant at least
  int checked = 0;
  for (int k : {1, 3, 4, 5, 9, 16, 18, 36, 40}) {
    for (int m : {1, 3, 9}) {
      for (int rows : {8, 33, 72}) {
        for (bool offsets : {false, true}) {
          const int panels = (rows + 7) / 8;
          const int image_words = offsets ? 160 : m * k;
          std::vector<std::uint64_t> image(image_words);
          for (auto& v : image) v = rng();
          std::vector<std::int32_t> row_offsets(m), col_offsets(k);
          for (auto& o : row_offsets) o = static_cast<std::int32_t>(rng() % 100);
          for (auto& o : col_offsets) o = static_cast<std::int32_t>(rng() % 60);
          auto word = [&](int i, int j) {
            return offsets ? image[row_offsets[i] + col_offsets[j]]
                           : image[static_cast<std::size_t>(i) * k + j];
          };
          // Row r: input row r % m, each bit flipped with probability 1/16, complemented for odd
          // r; its threshold in one of four regimes.
          std::vector<std::uint64_t> w(static_cast<std::size_t>(panels) * k * 8, 0);
          std::vector<std::int64_t> dmax(panels * 8, -1);
          const int cols = 64 * k;
          for (int r = 0; r < rows; ++r) {
            for (int j = 0; j < k; ++j) {
              const std::uint64_t flips = rng() & rng() & rng() & rng();
              std::uint64_t v = word(r % m, j) ^ flips;
              if (r % 2 == 1) v = ~v;
              w[((r / 8) * k + j) * 8 + r % 8] = v;
            }
            switch (rng() % 4) {
              case 0: dmax[r] = static_cast<std::int64_t>(rng() % (cols / 8 + 1)); break;
              case 1: dmax[r] = cols - static_cast<std::int64_t>(rng() % (cols / 8 + 1)); break;
              case 2: dmax[r] = static_cast<std::int64_t>(rng() % (cols + 2)) - 1; break;
              default: dmax[r] = cols / 2; break;
            }
          }
          std::vector<std::uint8_t> neg(panels);
          for (auto& byte : neg) byte = static_cast<std::uint8_t>(rng());
          runtime::BinaryGemmArgs g;
          g.a = image.data();
          g.lda = k;
          if (offsets) {
            g.row_offsets = row_offsets.data();
            g.col_offsets = col_offsets.data();
          }
          g.m = m;
          g.k = k;
          g.panels = w.data();
          g.rows = rows;
          g.cols = cols;
          g.dmax = dmax.data();
          g.neg = neg.data();
          g.ldo = panels;
          g.ldc = rows;
          for (auto [begin, end] : {std::pair{0, panels}, std::pair{1, panels}}) {
            if (begin >= end) continue;
            g.panel_begin = begin;
            g.panel_end = end;
            for (Written written : {Written::Bits, Written::Counts}) {
              const GemmOutputs want = run_gemm(g, runtime::binary_gemm_ref, written);
              for (const auto& [name, kernel] : kernels) {
                const GemmOutputs got = run_gemm(g, kernel, written);
                const std::string at =
                    fmt::format("{} k={} m={} rows={} offsets={} panels [{}, {})", name, k, m, rows,
                                offsets, begin, end);
                ASSERT_EQ(got.bits, want.bits) << at;
                ASSERT_EQ(got.counts, want.counts) << at;
                ++checked;
              }
            }
          }
        }
      }
    }
  }
  EXPECT_GT(checked, 500);
}

// Input reuse on conv windows read in place (implicit im2col), every kernel size, stride and
// channel count at word boundaries: the reference's and every variant's input-reuse kernel, and
// every variant's plain kernel with equal windows copied, write what the plain reference writes, on
// images whose neighbouring windows are equal, complements of each other, a few bits apart, or
// random (so that windows are reused from a neighbour, rebuilt in full when most words differ, and
// first in their output row).
TEST(CpuKernels, InputReuseVariantsEqualReference) {
  std::mt19937_64 rng(base_seed() + 11);
  std::vector<std::pair<std::string, std::function<void(const runtime::BinaryGemmArgs&)>>> kernels =
      {{"reference", runtime::binary_gemm_input_reuse_ref}};
  for (Isa isa : supported_isas()) {
    const runtime::KernelTable& table = runtime::kernels_for(isa);
    if (table.binary_gemm_input_reuse != nullptr) {
      kernels.emplace_back(runtime::isa_name(isa), table.binary_gemm_input_reuse);
    }
    if (table.prepare_binary == nullptr) {  // the AMX kernel needs its own weights
      kernels.emplace_back(fmt::format("{} equal windows", runtime::isa_name(isa)),
                           [&table](const runtime::BinaryGemmArgs& a) {
                             runtime::binary_gemm_skip_equal_windows(a, table.binary_gemm);
                           });
    }
  }
  ASSERT_GE(kernels.size(), 2U);  // the reference and the portable variant at least
  enum Pattern { Random, Equal, Complement, FewBits, Count };
  int checked = 0, reused = 0;
  for (int channels : {1, 63, 64, 65, 130, 300}) {
    const int wpp = (channels + 63) / 64;
    for (int kernel : {1, 2, 3, 5}) {
      for (int stride : {1, 2}) {
        for (int pattern = 0; pattern < Pattern::Count; ++pattern) {
          const int h = kernel + static_cast<int>(rng() % 5);
          const int w = kernel + static_cast<int>(rng() % 9);
          auto real_bits = [&](int word) {
            const int bits = std::min(64, channels - 64 * word);
            return bits == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << bits) - 1;
          };
          // Each image row's first pixel at random; the others from it by the pattern.
          std::vector<std::uint64_t> image(static_cast<std::size_t>(h) * w * wpp);
          for (int y = 0; y < h; ++y) {
            for (int x = 0; x < w; ++x) {
              for (int j = 0; j < wpp; ++j) {
                const std::size_t at = (static_cast<std::size_t>(y) * w + x) * wpp + j;
                const std::uint64_t left = x > 0 ? image[at - wpp] : rng();
                std::uint64_t v = rng();
                if (x > 0 && pattern == Equal) v = left;
                if (x > 0 && pattern == Complement) v = ~left;
                if (x > 0 && pattern == FewBits) v = left ^ (rng() & rng() & rng() & rng());
                image[at] = v & real_bits(j);
              }
            }
          }
          const int out_h = (h - kernel) / stride + 1, out_w = (w - kernel) / stride + 1;
          const int m = out_h * out_w, k = kernel * kernel * wpp;
          std::vector<std::int32_t> row_offsets(m), col_offsets(k);
          for (int oy = 0; oy < out_h; ++oy) {
            for (int ox = 0; ox < out_w; ++ox) {
              row_offsets[oy * out_w + ox] = (oy * stride * w + ox * stride) * wpp;
            }
          }
          for (int ky = 0; ky < kernel; ++ky) {
            for (int kx = 0; kx < kernel; ++kx) {
              for (int j = 0; j < wpp; ++j) {
                col_offsets[(ky * kernel + kx) * wpp + j] = (ky * w + kx) * wpp + j;
              }
            }
          }
          const int rows = std::array{8, 20, 72}[rng() % 3];
          const int panels = (rows + 7) / 8, cols = kernel * kernel * channels;
          std::vector<std::uint64_t> weights(static_cast<std::size_t>(panels) * k * 8, 0);
          std::vector<std::int64_t> dmax(panels * 8, -1);
          for (int r = 0; r < rows; ++r) {
            for (int j = 0; j < k; ++j) {
              weights[((r / 8) * k + j) * 8 + r % 8] = rng() & real_bits(j % wpp);
            }
            dmax[r] = cols / 2 + static_cast<std::int64_t>(rng() % 33) - 16;
          }
          std::vector<std::uint8_t> neg(panels);
          for (auto& byte : neg) byte = static_cast<std::uint8_t>(rng());
          runtime::BinaryGemmArgs g =
              binary_args(image.data(), m, k, weights, rows, cols, dmax, neg);
          g.row_offsets = row_offsets.data();
          g.col_offsets = col_offsets.data();
          g.reuse_run = out_w;
          reused += out_w > 1 ? 1 : 0;
          for (auto [begin, end] : {std::pair{0, panels}, std::pair{1, panels}}) {
            if (begin >= end) continue;
            g.panel_begin = begin;
            g.panel_end = end;
            for (Written written : {Written::Bits, Written::Counts}) {
              const GemmOutputs want = run_gemm(g, runtime::binary_gemm_ref, written);
              for (const auto& [name, run] : kernels) {
                const GemmOutputs got = run_gemm(g, run, written);
                const std::string at = fmt::format(
                    "{} C={} kernel={} stride={} pattern={} {}x{} rows={} panels [{}, {})", name,
                    channels, kernel, stride, pattern, h, w, rows, begin, end);
                ASSERT_EQ(got.bits, want.bits) << at;
                ASSERT_EQ(got.counts, want.counts) << at;
                ++checked;
              }
            }
          }
        }
      }
    }
  }
  EXPECT_GT(checked, 500);
  EXPECT_GT(reused, 100);
}

TEST(CpuKernels, ThresholdBytesVariantsEqualReference) {
  std::mt19937_64 rng(base_seed() + 6);
  for (int n : {1, 31, 32, 33, 63, 64, 65, 784}) {
    const int words = (n + 63) / 64;
    // Room past n: a variant must not read channels past n as if they were real.
    std::vector<std::uint8_t> src(static_cast<std::size_t>(words) * 64);
    std::vector<std::uint8_t> t8(src.size());
    for (auto& v : src) v = static_cast<std::uint8_t>(rng());
    for (std::size_t c = 0; c < t8.size(); ++c) {
      t8[c] = rng() % 4 == 0 ? src[c] : static_cast<std::uint8_t>(rng());
    }
    std::vector<std::uint64_t> never(words), neg(words);
    for (auto& v : never) v = rng() & rng() & rng();
    const std::uint64_t tail = n % 64 == 0 ? ~std::uint64_t{0} : (std::uint64_t{1} << (n % 64)) - 1;
    for (int wi = 0; wi < words; ++wi) neg[wi] = rng() & (wi == words - 1 ? tail : ~0ULL);
    std::vector<std::uint64_t> want(words), got(words);
    runtime::ThresholdBytesArgs t;
    t.src = src.data();
    t.n = n;
    t.t8 = t8.data();
    t.never = never.data();
    t.neg = neg.data();
    t.dst = want.data();
    runtime::threshold_bytes_ref(t);
    for (Isa isa : supported_isas()) {
      std::fill(got.begin(), got.end(), 0);
      t.dst = got.data();
      runtime::kernels_for(isa).threshold_bytes(t);
      EXPECT_EQ(got, want) << runtime::isa_name(isa) << " n=" << n;
    }
  }
}

TEST(CpuKernels, AddThresholdVariantsEqualReference) {
  std::mt19937_64 rng(base_seed() + 8);
  using runtime::AddThresholdMode;
  for (AddThresholdMode mode :
       {AddThresholdMode::Bits, AddThresholdMode::Table, AddThresholdMode::Sum}) {
    for (int channels : {1, 15, 16, 17, 63, 64, 65, 130}) {
      const int pixels = 3, words = (channels + 63) / 64, out_words = words + 1;
      const std::int64_t span = 5, in1_min = -2;
      std::vector<std::int32_t> x(pixels * channels), in1(pixels * channels);
      for (auto& v : x) v = static_cast<std::int32_t>(rng() % 41) - 20;
      for (auto& v : in1) v = static_cast<std::int32_t>(rng() % span) + in1_min;
      std::vector<std::uint64_t> in1_bits(pixels * words), neg(words);
      for (int p = 0; p < pixels; ++p) {
        for (int c = 0; c < channels; ++c) {
          if (rng() % 2 != 0) in1_bits[p * words + c / 64] |= std::uint64_t{1} << (c % 64);
        }
      }
      for (int c = 0; c < channels; ++c) {
        if (rng() % 3 == 0) neg[c / 64] |= std::uint64_t{1} << (c % 64);
      }
      std::vector<std::int32_t> limits(mode == AddThresholdMode::Table  ? channels * span
                                       : mode == AddThresholdMode::Bits ? 2 * channels
                                                                        : channels);
      for (auto& v : limits) v = static_cast<std::int32_t>(rng() % 41) - 20;
      limits[0] = std::numeric_limits<std::int32_t>::min();      // always fires
      limits.back() = std::numeric_limits<std::int32_t>::max();  // never does
      runtime::AddThresholdArgs g;
      g.mode = mode;
      g.x = x.data();
      g.in1_bits = in1_bits.data();
      g.in1 = in1.data();
      g.in1_words = words;
      g.limits = limits.data();
      g.span = span;
      g.in1_min = in1_min;
      g.neg = neg.data();
      g.out_words = out_words;
      g.pixels = pixels;
      g.channels = channels;
      // The meaning, written out: one bit per (pixel, channel), then the negation.
      std::vector<std::uint64_t> want(pixels * out_words, 0);
      for (int p = 0; p < pixels; ++p) {
        for (int c = 0; c < channels; ++c) {
          const int e = p * channels + c;
          const bool one = ((in1_bits[p * words + c / 64] >> (c % 64)) & 1) != 0;
          const bool fires =
              mode == AddThresholdMode::Bits    ? x[e] >= limits[(one ? channels : 0) + c]
              : mode == AddThresholdMode::Table ? x[e] >= limits[c * span + in1[e] - in1_min]
                                                : std::int64_t{x[e]} + in1[e] >= limits[c];
          const bool bit = fires != (((neg[c / 64] >> (c % 64)) & 1) != 0);
          want[p * out_words + c / 64] |= static_cast<std::uint64_t>(bit) << (c % 64);
        }
      }
      for (Isa isa : supported_isas()) {
        std::vector<std::uint64_t> got(pixels * out_words, ~std::uint64_t{0});
        g.dst = got.data();
        runtime::kernels_for(isa).add_threshold(g);
        EXPECT_EQ(got, want) << runtime::isa_name(isa) << " mode " << static_cast<int>(mode)
                             << " channels " << channels;
      }
    }
  }
}

TEST(CpuKernels, ByteLookupVariantsEqualTable) {
  std::mt19937_64 rng(base_seed() + 7);
  std::vector<std::uint8_t> table(256);
  for (auto& v : table) v = static_cast<std::uint8_t>(rng());
  int variants = 0;
  for (Isa isa : supported_isas()) {
    const auto lookup = runtime::kernels_for(isa).byte_lookup;
    if (lookup == nullptr) continue;
    ++variants;
    for (int n : {0, 1, 63, 64, 65, 127, 128, 672, 1000}) {
      // Every byte value, and guards past n that a variant must leave alone.
      std::vector<std::uint8_t> src(static_cast<std::size_t>(n) + 64);
      for (std::size_t e = 0; e < src.size(); ++e) {
        src[e] = static_cast<std::uint8_t>(e < 256 ? e * 167 : rng());
      }
      std::vector<std::uint8_t> got(src.size(), 0x5A), want(src.size(), 0x5A);
      for (int e = 0; e < n; ++e) want[e] = table[src[e]];
      lookup(table.data(), src.data(), got.data(), static_cast<std::size_t>(n));
      EXPECT_EQ(got, want) << runtime::isa_name(isa) << " n=" << n;
    }
  }
  // On a CPU with AVX512-VBMI the AVX-512 and AMX variants have one.
  if (__builtin_cpu_supports("avx512vbmi") && runtime::isa_supported(Isa::Avx512)) {
    EXPECT_GE(variants, 1);
  }
}

// Every variant, batch-parallel on 2 threads and as a team of 2 on one image at a time, gives
// the golden model's label and scores on every image.
void expect_engine_equals_golden(const Graph& graph, const std::vector<std::uint8_t>& images,
                                 int count, const std::string& what,
                                 std::vector<Isa> isas = supported_isas(),
                                 runtime::CpuEngineOptions options = {}) {
  std::vector<Classification> want(count);
  const std::size_t size = static_cast<std::size_t>(graph.nodes[0].type.elements());
  for (int i = 0; i < count; ++i) {
    want[i] = run_golden(graph, {images.data() + i * size, size});
  }
  for (Isa isa : isas) {
    const runtime::CpuEngine engine(graph, isa, options);
    std::vector<Classification> got(count);
    engine.classify(images.data(), count, got.data(), 2);
    runtime::Team team(2);
    runtime::Workspace ws = engine.make_workspace();
    std::vector<Classification> got_team(count);
    for (int i = 0; i < count; ++i) {
      engine.classify_team(images.data() + i * size, 1, &got_team[i], team, ws);
    }
    for (int i = 0; i < count; ++i) {
      ASSERT_EQ(got[i].label, want[i].label)
          << what << " " << runtime::isa_name(isa) << " image " << i;
      ASSERT_EQ(got[i].scores, want[i].scores)
          << what << " " << runtime::isa_name(isa) << " image " << i;
      ASSERT_EQ(got_team[i].scores, want[i].scores)
          << what << " team " << runtime::isa_name(isa) << " image " << i;
    }
  }
}

BinaryMatrix random_matrix(std::mt19937_64& rng, int rows, int cols) {
  BinaryMatrix m(rows, cols);
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) m.set(r, c, (rng() & 1) != 0);
  }
  return m;
}

// Input → per-pixel threshold → conv (C channels at word boundaries, every pad mode) →
// threshold → maxpool with some AND channels → flatten → dense → labelselect.
TEST(CpuEngine, ConvPadModesAtWordBoundaries) {
  std::mt19937_64 rng(base_seed() + 2);
  for (int channels : {1, 31, 33, 64, 65}) {
    for (int pad : {0, 1}) {
      for (int pad_value : {0, 1}) {
        for (int stride : {1, 2}) {
          for (int kernel : {1, 3}) {
            Graph graph;
            const int h = 7, w = 6, out_c = 33;
            int x = graph.add("input", InputAttrs{{h, w, channels}, DType::uint(8)});
            ThresholdAttrs bin;
            for (int c = 0; c < channels; ++c)
              bin.thresholds.push_back(static_cast<std::int64_t>(rng() % 256));
            x = graph.add("binarize", bin, {x});
            Conv2dAttrs conv{random_matrix(rng, out_c, kernel * kernel * channels), kernel, stride,
                             pad, pad_value};
            x = graph.add("conv", conv, {x});
            ThresholdAttrs thr;
            for (int c = 0; c < out_c; ++c) {
              thr.thresholds.push_back(
                  static_cast<std::int64_t>(rng() % (kernel * kernel * channels + 3)) - 1);
              thr.negate.push_back(static_cast<std::uint8_t>(rng() % 4 == 0));
            }
            x = graph.add("thr", thr, {x});
            MaxPoolAttrs pool;
            for (int c = 0; c < out_c; ++c)
              pool.min_channels.push_back(static_cast<std::uint8_t>(rng() & 1));
            x = graph.add("pool", pool, {x});
            infer_types(graph);
            const int flat = static_cast<int>(graph.nodes[x].type.elements());
            x = graph.add("flatten", ReshapeAttrs{{flat}}, {x});
            x = graph.add("fc", DenseAttrs{random_matrix(rng, 10, flat)}, {x});
            graph.add("label", LabelSelectAttrs{}, {x});
            infer_types(graph);
            std::vector<std::uint8_t> images(static_cast<std::size_t>(5) * h * w * channels);
            for (auto& v : images) v = static_cast<std::uint8_t>(rng());
            expect_engine_equals_golden(graph, images, 5,
                                        fmt::format("C={} pad={} value={} stride={} kernel={}",
                                                    channels, pad, pad_value, stride, kernel));
          }
        }
      }
    }
  }
}

// The border corrections of a zero-padded conv from per-tap weight sums equal their definition
// (runtime/zero_pad_correction.h) on random geometries, windows wholly outside included.
TEST(CpuZeroPadding, CorrectionEqualsDefinition) {
  std::mt19937_64 rng(base_seed() + 3);
  for (int trial = 0; trial < 300; ++trial) {
    runtime::ConvGeometry g;
    g.in_h = 1 + static_cast<int>(rng() % 9);
    g.in_w = 1 + static_cast<int>(rng() % 9);
    g.in_c = 1 + static_cast<int>(rng() % 5);
    g.kernel = 1 + static_cast<int>(rng() % 4);
    g.stride = 1 + static_cast<int>(rng() % 2);
    g.pad = 1 + static_cast<int>(rng() % 3);
    if (g.in_h + 2 * g.pad < g.kernel || g.in_w + 2 * g.pad < g.kernel) continue;
    g.out_h = (g.in_h + 2 * g.pad - g.kernel) / g.stride + 1;
    g.out_w = (g.in_w + 2 * g.pad - g.kernel) / g.stride + 1;
    const BinaryMatrix w =
        random_matrix(rng, 1 + static_cast<int>(rng() % 12), g.kernel * g.kernel * g.in_c);
    const runtime::ZeroPadCorrection fast = runtime::zero_pad_correction(w, g);
    const runtime::ZeroPadCorrection ref = runtime::zero_pad_correction_ref(w, g);
    const std::string where =
        fmt::format("{}x{}x{} k={} s={} p={}", g.in_h, g.in_w, g.in_c, g.kernel, g.stride, g.pad);
    EXPECT_EQ(fast.positions, ref.positions) << where;
    EXPECT_EQ(fast.table, ref.table) << where;
    EXPECT_FALSE(fast.positions.empty()) << where;  // pad > 0: the first window is at the border
  }
}

TEST(CpuZeroPadding, InteriorThresholdIsCeilOfHalf) {
  // y = 2·P0 − N ≥ T ⇔ P0 ≥ ⌈(T + N)/2⌉, checked on every P0 for thresholds past both ends.
  for (int n : {1, 2, 9, 64}) {
    for (std::int64_t t = -n - 4; t <= n + 4; ++t) {
      const std::int64_t tp = runtime::zero_pad_interior_threshold(t, n);
      for (int p0 = 0; p0 <= n; ++p0) EXPECT_EQ(2 * p0 - n >= t, p0 >= tp) << n << " " << t;
    }
  }
  EXPECT_GT(runtime::zero_pad_interior_threshold(std::numeric_limits<std::int64_t>::max(), 9), 9);
  EXPECT_LE(runtime::zero_pad_interior_threshold(std::numeric_limits<std::int64_t>::min(), 9), 0);
}

// Zero-padded convs on random shapes (odd and even sizes, stride 1 and 2, pad 1–2, C at word
// boundaries), fused with a threshold (negate flags included) or giving y to the label-select.
TEST(CpuEngine, ZeroPaddedConvRandomShapesEqualGolden) {
  std::mt19937_64 rng(base_seed() + 4);
  int fused = 0, unfused = 0;
  for (int trial = 0; trial < 62; ++trial) {
    const int channels = std::array{1, 3, 63, 64, 65}[rng() % 5];
    int h = 1 + static_cast<int>(rng() % 8), w = 1 + static_cast<int>(rng() % 8);
    int kernel = 1 + static_cast<int>(rng() % 3), stride = 1 + static_cast<int>(rng() % 2);
    int pad = 1 + static_cast<int>(rng() % 2);
    if (trial >= 60) {
      // 3×3/2 with pad 1 on even sizes (ResNet's downsampling convs): the last output pixel's
      // window stays inside the image, so the frame ends on interior positions.
      h = 4 + 4 * (trial - 60), w = 6, kernel = 3, stride = 2, pad = 1;
    }
    if (h + 2 * pad < kernel || w + 2 * pad < kernel) continue;
    const int out_c = 1 + static_cast<int>(rng() % 20);
    const bool with_threshold = trial % 2 == 0 || trial >= 60;
    Graph graph;
    int x = graph.add("input", InputAttrs{{h, w, channels}, DType::uint(8)});
    ThresholdAttrs bin;
    for (int c = 0; c < channels; ++c)
      bin.thresholds.push_back(static_cast<std::int64_t>(rng() % 256));
    x = graph.add("binarize", bin, {x});
    Conv2dAttrs conv{random_matrix(rng, out_c, kernel * kernel * channels),
                     kernel,
                     stride,
                     pad,
                     0,
                     PadMode::Zero};
    const int n = conv.weights.cols();
    x = graph.add("conv", conv, {x});
    if (with_threshold) {
      ThresholdAttrs thr;
      for (int c = 0; c < out_c; ++c) {
        thr.thresholds.push_back(static_cast<std::int64_t>(rng() % (2 * n + 5)) - n - 2);
        thr.negate.push_back(static_cast<std::uint8_t>(rng() % 4 == 0));
      }
      x = graph.add("thr", thr, {x});
    }
    infer_types(graph);
    const int flat = static_cast<int>(graph.nodes[x].type.elements());
    x = graph.add("flatten", ReshapeAttrs{{flat}}, {x});
    if (with_threshold) x = graph.add("fc", DenseAttrs{random_matrix(rng, 10, flat)}, {x});
    graph.add("label", LabelSelectAttrs{}, {x});
    infer_types(graph);
    std::vector<std::uint8_t> images(static_cast<std::size_t>(4) * h * w * channels);
    for (auto& v : images) v = static_cast<std::uint8_t>(rng());
    expect_engine_equals_golden(graph, images, 4,
                                fmt::format("{}x{}x{} k={} s={} p={} out={} threshold={}", h, w,
                                            channels, kernel, stride, pad, out_c, with_threshold));
    if (HasFatalFailure()) return;
    (with_threshold ? fused : unfused) += 1;
  }
  EXPECT_GT(fused, 20);
  EXPECT_GT(unfused, 20);
}

// A residual block's add and its threshold run inside the conv before it on the AVX-512 and AMX
// variants (cpu_step.h FusedAdd): every variant equals golden on blocks with an identity shortcut
// (bits) and a projection (int32 counts through a join table; a plain sum of counts is not
// fused), −1 and zero padding (the border's positions through the add's own kernel), negated
// channels, widths whose last panel has unused lanes, batch-parallel and as a team of 2 (by rows
// with −1 padding, by panels with zero padding); the add's bits vary, and the AVX-512 engine has
// fused every add it can.
TEST(CpuEngine, ResidualAddFusedIntoItsConvEqualsGolden) {
  struct Case {
    bool identity;
    int size, stride, channels;
  };
  for (const Case& c : {Case{true, 9, 1, 4}, Case{false, 10, 2, 65}, Case{false, 17, 1, 12}}) {
    for (const bool table : {false, true}) {
      for (const bool zero_pad : {false, true}) {
        test::Residual net = test::residual_network(base_seed() + 60 + c.size, c.size, c.stride,
                                                    c.channels, 4, c.identity, zero_pad);
        if (table) test::add_join_table(net, base_seed() + 61);
        // Some channels negated (a batch-norm with a negative scale).
        auto& after = net.graph.nodes[static_cast<std::size_t>(net.graph.find("add.t"))];
        std::mt19937_64 rng(base_seed() + 62);
        auto& negate = after.as<ThresholdAttrs>().negate;
        negate.resize(static_cast<std::size_t>(c.channels));
        for (auto& n : negate) n = static_cast<std::uint8_t>(rng() & 1);
        const Graph& graph = net.graph;
        const std::string what = fmt::format("identity {} size {} channels {} table {} zero pad {}",
                                             c.identity, c.size, c.channels, table, zero_pad);
        std::set<std::int64_t> bits;
        std::vector<std::uint8_t> images;
        for (const auto& image : net.images) {
          images.insert(images.end(), image.begin(), image.end());
          const auto layers = run_golden_layers(graph, image);
          for (const std::int64_t b : layers[static_cast<std::size_t>(graph.find("add.t"))].values)
            bits.insert(b);
        }
        EXPECT_EQ(bits.size(), 2U) << what;
        expect_engine_equals_golden(graph, images, static_cast<int>(net.images.size()), what);
        if (HasFatalFailure()) return;
        if (runtime::isa_supported(Isa::Avx512)) {
          const runtime::CpuEngine engine(graph, Isa::Avx512);
          int fused = 0, adds = 0;
          for (const runtime::Step& step : engine.plan().steps) {
            const auto* layer = std::get_if<runtime::BinaryLayerStep>(&step);
            fused += layer != nullptr && layer->add.has_value() ? 1 : 0;
            adds += std::holds_alternative<runtime::AddStep>(step) ? 1 : 0;
          }
          // A plain sum of two counts (no table on a projection) stays a step of its own.
          const bool fuses = c.identity || table;
          EXPECT_EQ(fused, fuses ? 1 : 0) << what;
          EXPECT_EQ(adds, fuses ? 0 : 1) << what;
        }
      }
    }
  }
}

// Every variant has a byte dot product probe for bnnc bench (the peak of the unit its fixed-point
// layers run on), counting the MACs of the iterations it ran.
TEST(CpuKernels, BytePeakProbeCountsItsMacs) {
  for (const Isa isa : supported_isas()) {
    const runtime::KernelTable& kernels = runtime::kernels_for(isa);
    ASSERT_NE(kernels.byte_peak_probe, nullptr) << runtime::isa_name(isa);
    const double one = kernels.byte_peak_probe(1000);
    EXPECT_GT(one, 0) << runtime::isa_name(isa);
    EXPECT_EQ(kernels.byte_peak_probe(3000), 3 * one) << runtime::isa_name(isa);
    EXPECT_EQ(kernels.byte_peak_probe(0), 0) << runtime::isa_name(isa);
  }
}

// The global sum pool on bits (byte counters flushed every 255 pixels) against the sum of ±1 bit
// by bit, at channel counts around word boundaries and pixel counts around the flush.
TEST(CpuEngine, GlobalSumPoolOnBitsEqualsBitByBitSum) {
  std::mt19937_64 rng(base_seed() + 63);
  for (const int channels : {1, 8, 63, 64, 65, 130, 512}) {
    for (const auto& [h, w] : {std::pair{1, 1}, std::pair{7, 7}, std::pair{15, 17},
                               std::pair{16, 16}, std::pair{17, 17}, std::pair{30, 20}}) {
      runtime::BufferSpec in;
      in.storage = runtime::Storage::Bits;
      in.h = h;
      in.w = w;
      in.c = channels;
      in.words_per_pixel = (channels + 63) / 64;
      std::vector<std::uint64_t> bits(static_cast<std::size_t>(h * w * in.words_per_pixel));
      std::vector<std::int32_t> want(static_cast<std::size_t>(channels), 0);
      // Mostly ones on the first pixels' channels, so that a counter would wrap past 255.
      for (int p = 0; p < h * w; ++p) {
        for (int c = 0; c < channels; ++c) {
          const bool one = c % 3 == 0 || (rng() & 1) != 0;
          bits[static_cast<std::size_t>(p * in.words_per_pixel + c / 64)] |=
              std::uint64_t{one ? 1U : 0U} << (c % 64);
          want[static_cast<std::size_t>(c)] += one ? 1 : -1;
        }
      }
      std::vector<std::int32_t> got(static_cast<std::size_t>(channels), 7);
      runtime::global_sum_pool_frame(in, reinterpret_cast<const std::uint8_t*>(bits.data()),
                                     reinterpret_cast<std::uint8_t*>(got.data()));
      EXPECT_EQ(got, want) << channels << " channels, " << h << "×" << w;
    }
  }
}

TEST(CpuEngine, RandomStreamlinedNetworksEqualGolden) {
  for (int n = 0; n < 40; ++n) {
    const std::uint64_t seed = base_seed() + 100 + n;
    test::RandomNetworkOptions options;
    options.images = 6;
    const test::RandomNetwork net = test::random_network(seed, options);
    const Graph graph = streamline(net.graph);
    std::vector<std::uint8_t> images;
    for (const auto& image : net.images) images.insert(images.end(), image.begin(), image.end());
    expect_engine_equals_golden(graph, images, static_cast<int>(net.images.size()),
                                fmt::format("seed {}\n{}", seed, print_graph(graph)));
  }
}

// The engine with early termination on every fused binary layer, every variant: the golden
// model's labels and scores on random networks (zero-padded convs and padded pools included) and
// on the shipped Fashion-MNIST LFC and CNV (real images, where rows do stop early).
TEST(CpuEngine, EarlyExitEqualsGolden) {
  runtime::CpuEngineOptions options;
  options.early_exit = runtime::EarlyExit::On;
  int early_layers = 0;
  for (int n = 0; n < 30; ++n) {
    const std::uint64_t seed = base_seed() + 500 + n;
    test::RandomNetworkOptions net_options;
    net_options.images = 6;
    net_options.allow_padded_pool = n % 2 == 0;
    const test::RandomNetwork net = test::random_network(seed, net_options);
    const Graph graph = streamline(net.graph);
    early_layers += runtime::CpuEngine(graph, runtime::Isa::Portable, options).early_exit_layers();
    std::vector<std::uint8_t> images;
    for (const auto& image : net.images) images.insert(images.end(), image.begin(), image.end());
    expect_engine_equals_golden(graph, images, static_cast<int>(net.images.size()),
                                fmt::format("early exit, seed {}\n{}", seed, print_graph(graph)),
                                supported_isas(), options);
    if (HasFatalFailure()) return;
  }
  EXPECT_GT(early_layers, 10);
  const std::filesystem::path data = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
  if (!std::filesystem::exists(data)) GTEST_SKIP() << data << " missing";
  const Dataset images = load_dataset(data.string());
  for (const char* model : {"lfc", "cnv"}) {
    const Graph graph = load_model(std::string(BNNC_SOURCE_DIR) + "/models/" + model + ".bnnc");
    EXPECT_GT(runtime::CpuEngine(graph, runtime::Isa::Portable, options).early_exit_layers(), 0);
    expect_engine_equals_golden(graph, images.pixels, std::string(model) == "lfc" ? 64 : 16,
                                fmt::format("early exit, models/{}.bnnc", model), supported_isas(),
                                options);
  }
}

// Images whose pixels repeat in runs of 4 along x (each image row from a few random values), so
// that neighbouring conv windows share most of their words: what input reuse feeds on.
std::vector<std::uint8_t> blocky_images(const Graph& graph, int count, std::mt19937_64& rng) {
  const Shape& shape = graph.nodes[0].type.shape;
  const std::size_t size = static_cast<std::size_t>(graph.nodes[0].type.elements());
  std::vector<std::uint8_t> images(size * count);
  const int width = shape.size() == 3 ? shape[1] : 1;
  const std::size_t channels = shape.size() == 3 ? static_cast<std::size_t>(shape[2]) : size;
  for (std::size_t e = 0; e < images.size(); e += channels) {
    const int x = static_cast<int>(e / channels % width);
    for (std::size_t c = 0; c < channels && e + c < images.size(); ++c) {
      images[e + c] = x % 4 == 0 ? static_cast<std::uint8_t>(rng()) : images[e + c - channels];
    }
  }
  return images;
}

// The engine with input reuse on every binary conv (the word-skipping kernels, or equal windows
// copied), every variant: the golden model's labels and scores on random networks (pads of −1, +1
// and zeros, strides 1–2; random images and images with runs of equal pixels), on a chain of
// zero-padded convs, and on the shipped Fashion-MNIST CNV (real images: 38 % of conv1's words equal
// their left neighbour's).
void expect_input_reuse_equals_golden(runtime::CpuReuse reuse) {
  runtime::CpuEngineOptions options;
  options.reuse = reuse;
  const std::string what = reuse == runtime::CpuReuse::Input ? "input reuse" : "equal windows";
  int reuse_layers = 0;
  std::mt19937_64 rng(base_seed() + 900);
  for (int n = 0; n < 30; ++n) {
    const std::uint64_t seed = base_seed() + 700 + n;
    test::RandomNetworkOptions net_options;
    net_options.images = 6;
    net_options.allow_padded_pool = n % 2 == 0;
    const test::RandomNetwork net = test::random_network(seed, net_options);
    const Graph graph = streamline(net.graph);
    reuse_layers += runtime::CpuEngine(graph, runtime::Isa::Portable, options).input_reuse_layers();
    std::vector<std::uint8_t> images;
    if (n % 2 == 0) {
      for (const auto& image : net.images) images.insert(images.end(), image.begin(), image.end());
    } else {
      images = blocky_images(graph, static_cast<int>(net.images.size()), rng);
    }
    expect_engine_equals_golden(graph, images, static_cast<int>(net.images.size()),
                                fmt::format("{}, seed {}\n{}", what, seed, print_graph(graph)),
                                supported_isas(), options);
    if (::testing::Test::HasFatalFailure()) return;
  }
  EXPECT_GT(reuse_layers, 10);
  {
    const test::RandomNetwork net = test::zero_padded_chain(base_seed() + 950, 4);
    const Graph graph = streamline(net.graph);
    EXPECT_GT(runtime::CpuEngine(graph, runtime::Isa::Portable, options).input_reuse_layers(), 0);
    expect_engine_equals_golden(graph, blocky_images(graph, 4, rng), 4,
                                what + ", zero-padded chain", supported_isas(), options);
    if (::testing::Test::HasFatalFailure()) return;
  }
  const std::filesystem::path data = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
  if (!std::filesystem::exists(data)) GTEST_SKIP() << data << " missing";
  const Dataset images = load_dataset(data.string());
  const Graph graph = load_model(std::string(BNNC_SOURCE_DIR) + "/models/cnv.bnnc");
  EXPECT_GT(runtime::CpuEngine(graph, runtime::Isa::Portable, options).input_reuse_layers(), 0);
  expect_engine_equals_golden(graph, images.pixels, 16, what + ", models/cnv.bnnc",
                              supported_isas(), options);
}

TEST(CpuEngine, InputReuseEqualsGolden) {
  for (runtime::CpuReuse reuse : {runtime::CpuReuse::Input, runtime::CpuReuse::Window}) {
    expect_input_reuse_equals_golden(reuse);
    if (HasFatalFailure()) return;
  }
}

// Max-pools with a border (the pad never wins) and global sum pools read by a dense layer as
// integers: bit-exact with the golden model.
TEST(CpuEngine, PaddedPoolsAndGlobalSumPoolsEqualGolden) {
  int padded_pools = 0, global_pools = 0;
  for (int n = 0; n < 60; ++n) {
    const std::uint64_t seed = base_seed() + 300 + n;
    test::RandomNetworkOptions options;
    options.images = 6;
    options.allow_padded_pool = true;
    options.allow_global_pool = true;
    const test::RandomNetwork net = test::random_network(seed, options);
    const Graph graph = streamline(net.graph);
    for (const Node& node : graph.nodes) {
      padded_pools += node.op() == Op::MaxPool && node.as<MaxPoolAttrs>().pad > 0;
      global_pools += node.op() == Op::GlobalSumPool;
    }
    std::vector<std::uint8_t> images;
    for (const auto& image : net.images) images.insert(images.end(), image.begin(), image.end());
    expect_engine_equals_golden(graph, images, static_cast<int>(net.images.size()),
                                fmt::format("seed {}\n{}", seed, print_graph(graph)));
    if (HasFatalFailure()) return;
  }
  EXPECT_GE(padded_pools, 10);
  EXPECT_GE(global_pools, 10);
}

void expect_external_equal(const std::string& params, BnnPynqTopology topology,
                           const std::string& data_path) {
  const Graph graph = import_bnn_pynq(params, topology);
  const Dataset data = load_dataset(data_path);
  // The selected variant on every image; every variant on the first 300.
  expect_engine_equals_golden(graph, data.pixels, data.count, "all images",
                              {runtime::select_isa()});
  expect_engine_equals_golden(graph, data.pixels, std::min(data.count, 300), "first 300");
}

// The dense layers behind convs on tiles of frames (CpuEngineOptions::dense_tail_weight_bytes 0
// forces it on the small random networks): whole tiles, a partial tile, two threads, the team
// call on one frame and the timed call, all equal to the golden model.
TEST(CpuEngine, DenseTailOnTilesEqualsGolden) {
  int tails = 0;
  for (int n = 0; n < 40; ++n) {
    const std::uint64_t seed = base_seed() + 400 + n;
    test::RandomNetworkOptions net_options;
    net_options.images = 19;
    const test::RandomNetwork net = test::random_network(seed, net_options);
    const Graph graph = streamline(net.graph);
    runtime::CpuEngineOptions options;
    options.dense_tail_weight_bytes = 0;
    std::vector<std::uint8_t> images;
    for (const auto& image : net.images) images.insert(images.end(), image.begin(), image.end());
    const int count = static_cast<int>(net.images.size());
    const std::string what = fmt::format("seed {}\n{}", seed, print_graph(graph));
    expect_engine_equals_golden(graph, images, count, what, supported_isas(), options);
    if (HasFatalFailure()) return;
    const runtime::CpuEngine engine(graph, runtime::select_isa(), options);
    if (engine.dense_tail_begin() == 0) continue;
    ++tails;
    ASSERT_GT(engine.tile(), 1) << what;
    std::vector<Classification> got(count);
    engine.classify(images.data(), count, got.data(), 1);
    runtime::Workspace ws = engine.make_workspace();
    std::vector<Classification> timed(engine.tile());
    std::vector<double> seconds;
    const int tile = std::min(count, engine.tile());
    engine.classify_timed(images.data(), tile, timed.data(), ws, seconds);
    const std::size_t size = images.size() / count;
    for (int i = 0; i < count; ++i) {
      const Classification want = run_golden(graph, {images.data() + i * size, size});
      ASSERT_EQ(got[i].scores, want.scores) << what << " one thread, image " << i;
      if (i < tile) {
        ASSERT_EQ(timed[i].scores, want.scores) << what << " timed, image " << i;
      }
    }
  }
  EXPECT_GE(tails, 10);
}

TEST(CpuEngine, BnnPynqLfcEveryMnistImage) {
  BNNC_REQUIRE_EXTERNAL(params, "bnn-pynq/params/mnist/lfcW1A1");
  BNNC_REQUIRE_EXTERNAL(data, "mnist/t10k-images-idx3-ubyte.gz");
  expect_external_equal(params.string(), BnnPynqTopology::Lfc, data.string());
}

TEST(CpuEngine, BnnPynqCnvEveryCifarImage) {
  BNNC_REQUIRE_EXTERNAL(params, "bnn-pynq/params/cifar10/cnvW1A1");
  BNNC_REQUIRE_EXTERNAL(data, "cifar10/test_batch_first761.bin");
  expect_external_equal(params.string(), BnnPynqTopology::Cnv, data.string());
}

// LFC's hidden layers (1024 rows) run on the tile unit on a tile of frames, and nothing does on
// one frame, the input threshold, the 10-row last layer and the label, or without AMX.
TEST(CpuEngine, UnitOfSaysWhichLayersRunOnTiles) {
  const Graph graph = load_model(std::string(BNNC_SOURCE_DIR) + "/models/lfc.bnnc");
  using runtime::ComputeUnit;
  for (Isa isa : supported_isas()) {
    const runtime::CpuEngine engine(graph, isa);
    ASSERT_EQ(engine.plan().steps.size(), 6U);
    for (std::size_t s = 0; s < engine.plan().steps.size(); ++s) {
      const bool hidden = s >= 1 && s <= 3;
      EXPECT_EQ(engine.unit_of(s, engine.tile()),
                hidden && isa == Isa::Amx ? ComputeUnit::Tiles : ComputeUnit::Vector)
          << runtime::isa_name(isa) << " step " << s;
      EXPECT_EQ(engine.unit_of(s, 1), ComputeUnit::Vector)
          << runtime::isa_name(isa) << " step " << s;
    }
  }
}

// Batch 1 on LFC: its three hidden layers (fused, 784 and 1024 inputs) in the input-major layout
// where the variant reads it and not with CpuEngineOptions::input_major false; on one member
// and two, every image's scores equal the golden model's either way.
TEST(CpuEngine, InputMajorOnLfcHiddenLayersAtBatchOne) {
  const Graph graph = load_model(std::string(BNNC_SOURCE_DIR) + "/models/lfc.bnnc");
  std::mt19937_64 rng(base_seed() + 31);
  constexpr int kImages = 40;
  const std::size_t size = static_cast<std::size_t>(graph.nodes[0].type.elements());
  std::vector<std::uint8_t> images(size * kImages);
  // Random pixels, and images mostly dark or bright (one side of the input listed, then the other).
  for (std::size_t i = 0; i < images.size(); ++i) {
    const int image = static_cast<int>(i / size);
    images[i] = static_cast<std::uint8_t>(image % 3 == 0   ? rng()
                                          : image % 3 == 1 ? rng() % 40
                                                           : 215 + rng() % 41);
  }
  for (Isa isa : supported_isas()) {
    for (bool input_major : {true, false}) {
      runtime::CpuEngineOptions options;
      options.input_major = input_major;
      const runtime::CpuEngine engine(graph, isa, options);
      int layouts = 0;
      for (const runtime::Step& step : engine.plan().steps) {
        if (const auto* layer = std::get_if<runtime::BinaryLayerStep>(&step)) {
          layouts += !layer->prepared.input_major.columns.empty();
        }
      }
      const bool reads = runtime::kernels_for(isa).reads_input_major;
      EXPECT_EQ(layouts, reads && input_major ? 3 : 0) << runtime::isa_name(isa);
      for (int members : {1, 2}) {
        runtime::Team team(members);
        runtime::Workspace ws = engine.make_workspace();
        for (int i = 0; i < kImages; ++i) {
          Classification got;
          engine.classify_team(images.data() + i * size, 1, &got, team, ws);
          ASSERT_EQ(got.scores, run_golden(graph, {images.data() + i * size, size}).scores)
              << runtime::isa_name(isa) << " input_major " << input_major << " members " << members
              << " image " << i;
        }
      }
    }
  }
}

TEST(CpuEngine, ForcedIsaFromEnvironment) {
  ::setenv("BNNC_ISA", "portable", 1);
  EXPECT_EQ(runtime::select_isa(), Isa::Portable);
  ::setenv("BNNC_ISA", "sse9", 1);
  EXPECT_THROW(runtime::select_isa(), Error);
  ::unsetenv("BNNC_ISA");
}

}  // namespace
}  // namespace bnnc
