// Every hand-written block on its own in Verilator against a reference of what it must stream,
// with parameter sweeps (PE, SIMD, kernel, stride, padding, image size, word widths), each run
// without stalls and twice with random gaps on the input and random not-ready cycles on the
// output (rtl_test_support.h): the outputs stay bit-exact, none lost or repeated, no deadlock.
#include <gtest/gtest.h>

#include <random>

#include "fold/folding.h"
#include "fold/lower_to_dataflow.h"
#include "ir/infer_types.h"
#include "ir/label_select_apply.h"
#include "rtl/rom_contents.h"
#include "rtl/rtl_block.h"
#include "rtl_test_support.h"
#include "sim/golden_model.h"

namespace bnnc {
namespace {

using test::BlockUnderTest;
using test::expect_block_output;
using Values = std::vector<std::int64_t>;

std::string integer(std::int64_t v) { return std::to_string(v); }

Values random_values(std::mt19937_64& rng, std::size_t count, int bits) {
  std::uniform_int_distribution<std::int64_t> value(0, (std::int64_t{1} << bits) - 1);
  Values v(count);
  for (auto& x : v) x = value(rng);
  return v;
}

struct Image {
  int h, w, c;
};

// The K×K windows of every output pixel in (ky, kx, c) order, as the SWU streams them.
Values im2col(const Values& frame, Image in, int k, int stride) {
  Values out;
  for (int oy = 0; oy + k <= in.h; oy += stride) {
    for (int ox = 0; ox + k <= in.w; ox += stride) {
      for (int ky = 0; ky < k; ++ky) {
        for (int kx = 0; kx < k; ++kx) {
          for (int c = 0; c < in.c; ++c) {
            out.push_back(frame[static_cast<std::size_t>(((oy + ky) * in.w + ox + kx) * in.c + c)]);
          }
        }
      }
    }
  }
  return out;
}

struct SwuCase {
  Image in;
  int simd, bits, k, stride;
};

TEST(RtlBlocks, SlidingWindowUnitSweep) {
  BNNC_REQUIRE_VERILATOR();
  const SwuCase cases[] = {{{5, 5, 2}, 1, 1, 3, 1},
                           {{7, 6, 4}, 2, 1, 3, 2},
                           {{6, 6, 3}, 3, 8, 2, 2},
                           {{4, 9, 4}, 4, 1, 1, 1},
                           {{8, 5, 2}, 2, 1, 3, 3}};
  std::mt19937_64 rng(7);
  for (const SwuCase& t : cases) {
    BlockUnderTest block{"bnn_swu",
                         {{"IFM_H", integer(t.in.h)},
                          {"IFM_W", integer(t.in.w)},
                          {"CH", integer(t.in.c)},
                          {"SIMD", integer(t.simd)},
                          {"BITS", integer(t.bits)},
                          {"K", integer(t.k)},
                          {"STRIDE", integer(t.stride)}},
                         {},
                         t.simd,
                         t.bits,
                         t.simd,
                         t.bits};
    Values input, expected;
    for (int frame = 0; frame < 3; ++frame) {
      const Values image =
          random_values(rng, static_cast<std::size_t>(t.in.h * t.in.w * t.in.c), t.bits);
      input.insert(input.end(), image.begin(), image.end());
      const Values windows = im2col(image, t.in, t.k, t.stride);
      expected.insert(expected.end(), windows.begin(), windows.end());
    }
    expect_block_output(block, input, expected,
                        fmt::format("SWU {}x{}x{} SIMD {} K {} S {}", t.in.h, t.in.w, t.in.c,
                                    t.simd, t.k, t.stride));
    if (HasFatalFailure()) return;
  }
}

TEST(RtlBlocks, PaddingSweep) {
  BNNC_REQUIRE_VERILATOR();
  struct Case {
    Image in;
    int simd, bits, pad;
    std::int64_t value;
  };
  const Case cases[] = {
      {{4, 3, 2}, 1, 1, 1, 1}, {{3, 3, 4}, 2, 8, 2, 0x85}, {{2, 5, 3}, 3, 1, 1, 0}};
  std::mt19937_64 rng(8);
  for (const Case& t : cases) {
    BlockUnderTest block{"bnn_fmpadding",
                         {{"IFM_H", integer(t.in.h)},
                          {"IFM_W", integer(t.in.w)},
                          {"CH", integer(t.in.c)},
                          {"SIMD", integer(t.simd)},
                          {"BITS", integer(t.bits)},
                          {"PAD", integer(t.pad)},
                          {"PAD_VALUE", fmt::format("{}'d{}", t.bits, t.value)}},
                         {},
                         t.simd,
                         t.bits,
                         t.simd,
                         t.bits};
    Values input, expected;
    for (int frame = 0; frame < 2; ++frame) {
      const Values image =
          random_values(rng, static_cast<std::size_t>(t.in.h * t.in.w * t.in.c), t.bits);
      input.insert(input.end(), image.begin(), image.end());
      for (int y = -t.pad; y < t.in.h + t.pad; ++y) {
        for (int x = -t.pad; x < t.in.w + t.pad; ++x) {
          for (int c = 0; c < t.in.c; ++c) {
            const bool inside = y >= 0 && y < t.in.h && x >= 0 && x < t.in.w;
            expected.push_back(
                inside ? image[static_cast<std::size_t>((y * t.in.w + x) * t.in.c + c)] : t.value);
          }
        }
      }
    }
    expect_block_output(
        block, input, expected,
        fmt::format("padding {}x{}x{} SIMD {} pad {}", t.in.h, t.in.w, t.in.c, t.simd, t.pad));
    if (HasFatalFailure()) return;
  }
}

TEST(RtlBlocks, MaxPoolSweep) {
  BNNC_REQUIRE_VERILATOR();
  struct Case {
    Image in;
    int simd, k, stride;
  };
  const Case cases[] = {{{4, 4, 2}, 1, 2, 2},
                        {{7, 7, 4}, 2, 3, 2},
                        {{5, 6, 3}, 3, 2, 1},
                        {{7, 5, 2}, 1, 3, 1},
                        {{6, 8, 2}, 2, 2, 3}};
  std::mt19937_64 rng(9);
  for (const Case& t : cases) {
    const Values min_channels = random_values(rng, static_cast<std::size_t>(t.in.c), 1);
    std::string mask;
    for (int c = t.in.c - 1; c >= 0; --c)
      mask += min_channels[static_cast<std::size_t>(c)] ? '1' : '0';
    BlockUnderTest block{"bnn_maxpool",
                         {{"IFM_H", integer(t.in.h)},
                          {"IFM_W", integer(t.in.w)},
                          {"CH", integer(t.in.c)},
                          {"SIMD", integer(t.simd)},
                          {"K", integer(t.k)},
                          {"STRIDE", integer(t.stride)},
                          {"MIN_CHANNELS", fmt::format("{}'b{}", t.in.c, mask)}},
                         {},
                         t.simd,
                         1,
                         t.simd,
                         1};
    Values input, expected;
    for (int frame = 0; frame < 2; ++frame) {
      const Values image =
          random_values(rng, static_cast<std::size_t>(t.in.h * t.in.w * t.in.c), 1);
      input.insert(input.end(), image.begin(), image.end());
      for (int oy = 0; oy + t.k <= t.in.h; oy += t.stride) {
        for (int ox = 0; ox + t.k <= t.in.w; ox += t.stride) {
          for (int c = 0; c < t.in.c; ++c) {
            const bool take_min = min_channels[static_cast<std::size_t>(c)] != 0;
            std::int64_t v = take_min ? 1 : 0;
            for (int ky = 0; ky < t.k; ++ky) {
              for (int kx = 0; kx < t.k; ++kx) {
                const std::int64_t x =
                    image[static_cast<std::size_t>(((oy + ky) * t.in.w + ox + kx) * t.in.c + c)];
                v = take_min ? std::min(v, x) : std::max(v, x);
              }
            }
            expected.push_back(v);
          }
        }
      }
    }
    expect_block_output(block, input, expected,
                        fmt::format("max-pool {}x{}x{} SIMD {} K {} S {}", t.in.h, t.in.w, t.in.c,
                                    t.simd, t.k, t.stride));
    if (HasFatalFailure()) return;
  }
}

TEST(RtlBlocks, WidthConverterSweep) {
  BNNC_REQUIRE_VERILATOR();
  struct Case {
    int in_elems, out_elems, bits, in_vec, out_vec;
  };
  // Up, down, a partial last word on either side (10 scores from 4-lane words), LFC's 112 → 64,
  // a consumer vector spanning several producer vectors (a flatten), and vectors that fit one
  // word on both sides (a plain register: 10 scores from 16 lanes into 10, 3 from 3 into 5).
  const Case cases[] = {{2, 4, 1, 8, 8},        {4, 2, 10, 10, 10}, {16, 10, 7, 10, 10},
                        {112, 64, 1, 784, 784}, {3, 8, 1, 6, 24},   {3, 5, 4, 3, 3}};
  std::mt19937_64 rng(10);
  for (const Case& t : cases) {
    BlockUnderTest block{"bnn_dwc",
                         {{"IN_ELEMS", integer(t.in_elems)},
                          {"OUT_ELEMS", integer(t.out_elems)},
                          {"BITS", integer(t.bits)},
                          {"IN_VEC", integer(t.in_vec)},
                          {"OUT_VEC", integer(t.out_vec)}},
                         {},
                         t.in_elems,
                         t.bits,
                         t.out_elems,
                         t.bits};
    const Values elements =
        random_values(rng, static_cast<std::size_t>(std::max(t.in_vec, t.out_vec) * 3), t.bits);
    expect_block_output(
        block, test::to_words(elements, t.in_elems, t.in_vec),
        test::to_words(elements, t.out_elems, t.out_vec),
        fmt::format("DWC {} → {} (vectors {} → {})", t.in_elems, t.out_elems, t.in_vec, t.out_vec));
    if (HasFatalFailure()) return;
  }
}

TEST(RtlBlocks, FifoPassesEveryWordOnce) {
  BNNC_REQUIRE_VERILATOR();
  std::mt19937_64 rng(11);
  for (const auto& [width, depth] : {std::pair{40, 3}, std::pair{1, 2}, std::pair{9, 17}}) {
    BlockUnderTest block{
        "bnn_fifo", {{"WIDTH", integer(width)}, {"DEPTH", integer(depth)}}, {}, 1, width, 1, width};
    const Values words = random_values(rng, 200, width);
    expect_block_output(block, words, words, fmt::format("FIFO {}x{}", width, depth));
    if (HasFatalFailure()) return;
  }
}

// The MVTU of a one-layer network (input → [quantize] → dense → [threshold → dense] →
// labelselect),
// folded and described exactly as bnnc compile does, against the golden model's layer values.
struct MvtuCase {
  int mw, mh, pe, simd, rows, cols;
  bool quantize, threshold, binary;
};

// use_dsp: the integer path as chains of DSP slices, 1 a lane or 2 two PE lanes a chain (bnn_mvtu's
// USE_DSP, docs/rtl.md); 0 the LUT form. dsp_pe > 0: only PEs 0 … dsp_pe − 1 in chains, the others
// LUT adders (DSP_PE).
void check_mvtu(const MvtuCase& t, std::uint64_t seed, DenseOrder order = DenseOrder::Output,
                int use_dsp = 0, int dsp_pe = 0) {
  std::mt19937_64 rng(seed);
  const auto chance = [&] { return std::bernoulli_distribution(0.5)(rng); };
  Graph g;
  g.name = "mvtu";
  const DType in_type = t.binary ? DType::bit() : DType::uint(8);
  int x = g.add("in", InputAttrs{{t.mw}, in_type});
  if (t.quantize) {
    QuantizeAttrs q;
    for (int p = 0; p < 256; ++p) q.table.push_back(static_cast<std::int32_t>(p) - 128);
    x = g.add("quant", q, {x});
  }
  BinaryMatrix weights(t.mh, t.mw);
  for (int r = 0; r < t.mh; ++r) {
    for (int c = 0; c < t.mw; ++c) weights.set(r, c, chance());
  }
  const int dense = g.add("fc", DenseAttrs{weights}, {x});
  x = dense;
  infer_types(g);
  if (t.threshold) {
    const ValueRange acc = value_range(g.nodes[dense].type.dtype);
    ThresholdAttrs a;
    std::uniform_int_distribution<std::int64_t> value(acc.lo / 8 - 2, acc.hi / 8 + 2);
    for (int r = 0; r < t.mh; ++r) {
      a.thresholds.push_back(t.binary ? value(rng) * 8 % (t.mw + 3) : value(rng));
      a.negate.push_back(chance() ? 1 : 0);
    }
    x = g.add("thr", a, {x});
  }
  // A label select needs scores: after thresholds, a small dense layer gives them.
  const int tail = t.threshold ? g.add("scores", DenseAttrs{BinaryMatrix(2, t.mh)}, {x}) : x;
  g.add("label", LabelSelectAttrs{}, {tail});
  infer_types(g);
  Folding folding;
  folding.layers.push_back({"fc", t.pe, t.simd, 1, t.rows, t.cols, order});
  const DataflowGraph lowered = lower_to_dataflow(g);
  const DataflowGraph design = apply_folding(lowered, folding);
  const int index = design.find("fc");
  const Block& b = design.blocks[static_cast<std::size_t>(index)];
  RtlBlock rtl = describe_rtl_block(design, index, "fc");
  if (use_dsp != 0) rtl.params.emplace_back("USE_DSP", std::to_string(use_dsp));
  if (dsp_pe != 0) rtl.params.emplace_back("DSP_PE", std::to_string(dsp_pe));
  BlockUnderTest block{
      rtl.module, rtl.params, rtl.memories, b.simd,
      b.in_bits,  b.pe,       b.out_bits,   !t.threshold && is_signed(g.nodes[dense].type.dtype)};

  Values input, expected;
  std::uniform_int_distribution<int> pixel(0, t.binary ? 1 : 255);
  for (int frame = 0; frame < 4; ++frame) {
    std::vector<std::uint8_t> image(static_cast<std::size_t>(t.mw));
    for (auto& p : image) p = static_cast<std::uint8_t>(pixel(rng));
    const std::vector<GoldenTensor> layers = run_golden_layers(g, image);
    const Values& in = layers[static_cast<std::size_t>(g.nodes[dense].inputs[0])].values;
    const Values& out = layers[static_cast<std::size_t>(x)].values;
    const Values in_words = test::to_words(in, b.simd, t.mw);
    const Values out_words = test::to_words(out, b.pe, t.mh);
    input.insert(input.end(), in_words.begin(), in_words.end());
    expected.insert(expected.end(), out_words.begin(), out_words.end());
  }
  expect_block_output(
      block, input, expected,
      fmt::format("{} MW {} MH {} PE {} SIMD {} rows {} cols {}{}{}{}", rtl.module, t.mw, t.mh,
                  t.pe, t.simd, b.mh_padded, b.mw_padded,
                  t.binary     ? ""
                  : t.quantize ? " fixed-point"
                               : " uint8",
                  t.threshold ? " thresholds" : "",
                  use_dsp != 0 ? fmt::format(" USE_DSP {} DSP_PE {}", use_dsp, dsp_pe) : ""));
}

TEST(RtlBlocks, MvtuSweep) {
  BNNC_REQUIRE_VERILATOR();
  const MvtuCase cases[] = {
      {20, 6, 2, 4, 0, 0, false, true, true},     // NF 3, SF 5
      {20, 5, 2, 8, 6, 32, false, true, true},    // padded rows (last group partial) and columns
      {9, 4, 4, 3, 0, 0, true, true, false},      // fixed-point input, one group
      {16, 3, 1, 16, 0, 0, false, false, false},  // uint8 input, raw accumulators out, SF 1
      {8, 4, 4, 8, 0, 0, false, false, true},     // NF = SF = 1
      {12, 10, 4, 3, 64, 0, false, false, true},  // CNV fc8-like: 10 rows padded to 64
  };
  std::uint64_t seed = 20;
  for (const MvtuCase& t : cases) {
    check_mvtu(t, seed++);
    if (HasFatalFailure()) return;
  }
}

// A convolution's MVTU with MMV windows a word (docs/pixel-parallel.md): the windows its SWU
// would send (MMV consecutive output pixels, SIMD synapses of one tap each), against the golden
// model's conv outputs in the output format (MMV pixels × PE channels a word).
struct MmvCase {
  int h, w, c, k, stride, mh, pe, simd, mmv;
  bool quantize, threshold;
};

void check_mmv_mvtu(const MmvCase& t, std::uint64_t seed, int use_dsp = 0, int dsp_pe = 0) {
  std::mt19937_64 rng(seed);
  const auto chance = [&] { return std::bernoulli_distribution(0.5)(rng); };
  Graph g;
  g.name = "mmv";
  int x = g.add("in", InputAttrs{{t.h, t.w, t.c}, t.quantize ? DType::uint(8) : DType::bit()});
  if (t.quantize) {
    QuantizeAttrs q;
    for (int p = 0; p < 256; ++p) q.table.push_back(static_cast<std::int32_t>(p) - 128);
    x = g.add("quant", q, {x});
  }
  const int mw = t.k * t.k * t.c;
  BinaryMatrix weights(t.mh, mw);
  for (int r = 0; r < t.mh; ++r) {
    for (int col = 0; col < mw; ++col) weights.set(r, col, chance());
  }
  const int conv = g.add("conv", Conv2dAttrs{weights, t.k, t.stride, 0, 0}, {x});
  x = conv;
  infer_types(g);
  if (t.threshold) {
    const ValueRange acc = value_range(g.nodes[conv].type.dtype);
    ThresholdAttrs a;
    std::uniform_int_distribution<std::int64_t> value(acc.lo / 4, acc.hi / 4);
    for (int r = 0; r < t.mh; ++r) {
      a.thresholds.push_back(t.quantize ? value(rng) : value(rng) % (mw + 1));
      a.negate.push_back(chance() ? 1 : 0);
    }
    x = g.add("thr", a, {x});
  }
  const int oh = (t.h - t.k) / t.stride + 1, ow = (t.w - t.k) / t.stride + 1;
  x = g.add("flat", ReshapeAttrs{{oh * ow * t.mh}}, {x});
  // A label select needs scores: after thresholds, a small dense layer gives them.
  if (t.threshold) x = g.add("scores", DenseAttrs{BinaryMatrix(2, oh * ow * t.mh)}, {x});
  g.add("label", LabelSelectAttrs{}, {x});
  infer_types(g);
  Folding folding;
  folding.layers.push_back({"conv", t.pe, t.simd, t.mmv});
  const DataflowGraph design = apply_folding(lower_to_dataflow(g), folding);
  const int index = design.find("conv");
  const Block& b = design.blocks[static_cast<std::size_t>(index)];
  ASSERT_EQ(b.mmv, t.mmv);
  ASSERT_FALSE(rtl_block_unsupported(design, index).has_value());
  RtlBlock rtl = describe_rtl_block(design, index, "conv");
  if (use_dsp != 0) rtl.params.emplace_back("USE_DSP", std::to_string(use_dsp));
  if (dsp_pe != 0) rtl.params.emplace_back("DSP_PE", std::to_string(dsp_pe));
  BlockUnderTest block{
      rtl.module, rtl.params,   rtl.memories, t.mmv * t.simd,
      b.in_bits,  t.mmv * t.pe, b.out_bits,   !t.threshold && is_signed(g.nodes[conv].type.dtype)};
  Values input, expected;
  std::uniform_int_distribution<int> pixel(0, t.quantize ? 255 : 1);
  for (int frame = 0; frame < 3; ++frame) {
    std::vector<std::uint8_t> image(static_cast<std::size_t>(t.h * t.w * t.c));
    for (auto& p : image) p = static_cast<std::uint8_t>(pixel(rng));
    const std::vector<GoldenTensor> layers = run_golden_layers(g, image);
    const Values& in = layers[static_cast<std::size_t>(g.nodes[conv].inputs[0])].values;
    const Values& out = layers[static_cast<std::size_t>(t.threshold ? conv + 1 : conv)].values;
    for (int first = 0; first < oh * ow; first += t.mmv) {
      // Window column (ky, kx, c) of output pixel o (DESIGN.md §2's im2col order).
      const auto window = [&](int o, int col) {
        const int ky = col / (t.k * t.c), kx = col / t.c % t.k, ch = col % t.c;
        const int y = o / ow * t.stride + ky, xx = o % ow * t.stride + kx;
        return in[static_cast<std::size_t>((y * t.w + xx) * t.c + ch)];
      };
      for (int sf = 0; sf < mw / t.simd; ++sf) {
        for (int m = 0; m < t.mmv; ++m) {
          for (int i = 0; i < t.simd; ++i) input.push_back(window(first + m, sf * t.simd + i));
        }
      }
      for (int nf = 0; nf < t.mh / t.pe; ++nf) {
        for (int m = 0; m < t.mmv; ++m) {
          for (int p = 0; p < t.pe; ++p) {
            expected.push_back(out[static_cast<std::size_t>((first + m) * t.mh + nf * t.pe + p)]);
          }
        }
      }
    }
  }
  expect_block_output(
      block, input, expected,
      fmt::format("MMV {} PE {} SIMD {} {}x{}x{} K {} stride {}{}{}", t.mmv, t.pe, t.simd, t.h, t.w,
                  t.c, t.k, t.stride, t.quantize ? " fixed-point" : "",
                  use_dsp != 0 ? fmt::format(" USE_DSP {} DSP_PE {}", use_dsp, dsp_pe) : ""));
}

TEST(RtlBlocks, MvtuWithMmvWindowsAWord) {
  BNNC_REQUIRE_VERILATOR();
  const MmvCase cases[] = {
      {6, 6, 4, 3, 1, 8, 2, 4, 2, false, true},   // binary, NF 4, SF 9, 2 windows a word
      {7, 7, 3, 3, 2, 4, 4, 3, 3, true, true},    // fixed-point RGB-like, stride 2, NF 1
      {5, 8, 8, 1, 1, 6, 3, 8, 4, false, false},  // raw accumulators out, 1×1, SF 1
  };
  std::uint64_t seed = 60;
  for (const MmvCase& t : cases) {
    check_mmv_mvtu(t, seed++);
    if (HasFatalFailure()) return;
  }
}

// The integer path as DSP chains (USE_DSP): SIMD more pipeline stages between the weight read
// and the accumulators, the control and the threshold read delayed to match, all frozen by a stall.
TEST(RtlBlocks, MvtuWithDspChains) {
  BNNC_REQUIRE_VERILATOR();
  const MvtuCase cases[] = {
      {9, 4, 4, 3, 0, 0, true, true, false},      // fixed-point (signed) input, thresholds, NF 1
      {16, 3, 1, 16, 0, 0, false, false, false},  // uint8 input, raw accumulators out, SF 1
      {27, 10, 2, 9, 0, 36, false, true, false},  // uint8, NF 5, SF 4 of which 1 padded
  };
  std::uint64_t seed = 80;
  for (const MvtuCase& t : cases) {
    check_mvtu(t, seed++, DenseOrder::Output, 1);
    if (HasFatalFailure()) return;
  }
  const MmvCase mmv[] = {
      {7, 7, 3, 3, 2, 4, 4, 3, 3, true, true},  // fixed-point RGB-like, stride 2, 3 windows
  };
  for (const MmvCase& t : mmv) {
    check_mmv_mvtu(t, seed++, 1);
    if (HasFatalFailure()) return;
  }
}

// Two PE lanes a DSP chain (USE_DSP 2): each pair's sums in the low and high fields of one chain,
// a lone chain for an odd PE's last lane; signed and unsigned input, MMV windows.
TEST(RtlBlocks, MvtuWithPackedDspChains) {
  BNNC_REQUIRE_VERILATOR();
  const MvtuCase cases[] = {
      {9, 4, 4, 3, 0, 0, true, true, false},      // fixed-point (signed) input, two pairs, NF 1
      {16, 3, 3, 16, 0, 0, false, false, false},  // uint8, a pair and a lone lane, raw sums out
      {27, 10, 2, 9, 0, 36, false, true, false},  // uint8, NF 5, SF 4 of which 1 padded
      {12, 5, 1, 4, 0, 0, false, false, false},   // PE 1: the lone chain only
  };
  std::uint64_t seed = 90;
  for (const MvtuCase& t : cases) {
    check_mvtu(t, seed++, DenseOrder::Output, 2);
    if (HasFatalFailure()) return;
  }
  const MmvCase mmv_packed[] = {
      {7, 7, 3, 3, 2, 4, 4, 3, 3, true, true},  // fixed-point RGB-like, stride 2, 3 windows
      {7, 7, 3, 3, 2, 5, 5, 9, 3, true, true},  // PE 5 (two pairs and a lone lane), SIMD 9
  };
  for (const MmvCase& t : mmv_packed) {
    check_mmv_mvtu(t, seed++, 2);
    if (HasFatalFailure()) return;
  }
}

// Some PEs in DSP chains and the rest LUT adders (DSP_PE < PE, as the compiler sets it when the
// part's DSP slices run out): the LUT lanes' sums wait for the chains' stages.
TEST(RtlBlocks, MvtuWithSomePesInDspChains) {
  BNNC_REQUIRE_VERILATOR();
  check_mvtu({9, 4, 4, 3, 0, 0, true, true, false}, 110, DenseOrder::Output, 2, 3);
  if (HasFatalFailure()) return;
  check_mvtu({27, 10, 2, 9, 0, 36, false, true, false}, 111, DenseOrder::Output, 1, 1);
  if (HasFatalFailure()) return;
  check_mmv_mvtu({7, 7, 3, 3, 2, 5, 5, 9, 3, true, true}, 112, 2, 2);
}

// The input-stationary order of a dense layer (bnn_mvtu_is, docs/dense-order.md): padded rows
// and columns (a pass that reads nothing), fixed-point input with raw signed accumulators out,
// NF = 1 (the accumulators are registers).
TEST(RtlBlocks, InputStationaryMvtuSweep) {
  BNNC_REQUIRE_VERILATOR();
  const MvtuCase cases[] = {
      {20, 5, 2, 8, 6, 32, false, true, true},  // NF 3, SF 4 of which 1 padded; last group partial
      {9, 4, 2, 3, 0, 0, true, false, false},   // fixed-point input, NF 2, SF 3, accumulators out
      {8, 4, 4, 2, 0, 0, false, true, true},    // NF = 1, SF 4
  };
  std::uint64_t seed = 40;
  for (const MvtuCase& t : cases) {
    check_mvtu(t, seed++, DenseOrder::Input);
    if (HasFatalFailure()) return;
  }
}

TEST(RtlBlocks, ThresholdingAndLabelSelect) {
  BNNC_REQUIRE_VERILATOR();
  std::mt19937_64 rng(12);
  // Thresholding: 6 channels of uint8, 3 lanes, thresholds beyond the range on purpose.
  {
    const int ch = 6, lanes = 3, bits = 8;
    ThresholdAttrs a;
    std::uniform_int_distribution<std::int64_t> t(-20, 300);
    for (int c = 0; c < ch; ++c) {
      a.thresholds.push_back(t(rng));
      a.negate.push_back(static_cast<std::uint8_t>(c % 3 == 0));
    }
    std::string rom;
    for (int g = 0; g < ch / lanes; ++g) {
      HexWord word(lanes * (bits + 3));
      for (int l = 0; l < lanes; ++l) {
        const auto c = static_cast<std::size_t>(g * lanes + l);
        word.set(l * (bits + 3), bits + 2, clamp_threshold(a.thresholds[c], {0, 255}));
        word.set(l * (bits + 3) + bits + 2, 1, a.negate[c]);
      }
      rom += word.to_hex() + "\n";
    }
    BlockUnderTest block{"bnn_thresholding",
                         {{"CH", integer(ch)},
                          {"LANES", integer(lanes)},
                          {"BITS", integer(bits)},
                          {"IN_SIGNED", "0"},
                          {"THRESHOLD_FILE", "\"thr.mem\""}},
                         {{"thr.mem", rom}},
                         lanes,
                         bits,
                         lanes,
                         1};
    const Values input = random_values(rng, 60 * ch, bits);
    Values expected;
    for (std::size_t i = 0; i < input.size(); ++i) {
      const std::size_t c = i % ch;
      expected.push_back((input[i] >= a.thresholds[c]) != (a.negate[c] != 0) ? 1 : 0);
    }
    expect_block_output(block, input, expected, "thresholding");
    if (HasFatalFailure()) return;
  }
  // Thresholding on words of 2 pixels × 3 of 6 channels (docs/pixel-parallel.md): word w holds
  // channel group w mod 2 of two pixels, so lane l's channel is (w mod 2)·3 + l mod 3.
  {
    const int ch = 6, group = 3, pixels = 2, bits = 8;
    ThresholdAttrs a;
    std::uniform_int_distribution<std::int64_t> t(-20, 300);
    for (int c = 0; c < ch; ++c) {
      a.thresholds.push_back(t(rng));
      a.negate.push_back(static_cast<std::uint8_t>(c % 4 == 1));
    }
    std::string rom;
    for (int g = 0; g < ch / group; ++g) {
      HexWord word(group * (bits + 3));
      for (int l = 0; l < group; ++l) {
        const auto c = static_cast<std::size_t>(g * group + l);
        word.set(l * (bits + 3), bits + 2, clamp_threshold(a.thresholds[c], {0, 255}));
        word.set(l * (bits + 3) + bits + 2, 1, a.negate[c]);
      }
      rom += word.to_hex() + "\n";
    }
    const int lanes = group * pixels;
    BlockUnderTest block{"bnn_thresholding",
                         {{"CH", integer(ch)},
                          {"LANES", integer(lanes)},
                          {"PIXELS", integer(pixels)},
                          {"BITS", integer(bits)},
                          {"IN_SIGNED", "0"},
                          {"THRESHOLD_FILE", "\"thr.mem\""}},
                         {{"thr.mem", rom}},
                         lanes,
                         bits,
                         lanes,
                         1};
    const Values input = random_values(rng, 40 * lanes, bits);
    Values expected;
    for (std::size_t i = 0; i < input.size(); ++i) {
      const std::size_t w = i / static_cast<std::size_t>(lanes);
      const std::size_t c = w % 2 * group + i % static_cast<std::size_t>(group);
      expected.push_back((input[i] >= a.thresholds[c]) != (a.negate[c] != 0) ? 1 : 0);
    }
    expect_block_output(block, input, expected, "thresholding on pixel words");
    if (HasFatalFailure()) return;
  }
  // Label select: 10 signed scores, 4 lanes (the last word partial), a bias, many ties; then with
  // a shift of 2 (real-valued class offsets: ir/op.h), the bias's low bits ranking fractions.
  for (const int shift : {0, 2}) {
    const int classes = 10, lanes = 4, bits = 6, score_bits = 8 + shift;
    const std::vector<std::int64_t> bias =
        shift == 0 ? std::vector<std::int64_t>{0, 3, -3, 0, 1, -1, 2, 0, -2, 3}
                   : std::vector<std::int64_t>{0, 13, -11, 2, 5, -3, 9, 1, -7, 13};
    const LabelSelectAttrs select{bias, shift};
    std::string rom;
    for (int g = 0; g < 3; ++g) {
      HexWord word(lanes * score_bits);
      for (int l = 0; l < lanes; ++l) {
        const auto c = static_cast<std::size_t>(g * lanes + l);
        word.set(l * score_bits, score_bits, c < bias.size() ? bias[c] : 0);
      }
      rom += word.to_hex() + "\n";
    }
    BlockUnderTest block{"bnn_label_select",
                         {{"CLASSES", integer(classes)},
                          {"LANES", integer(lanes)},
                          {"BITS", integer(bits)},
                          {"IN_SIGNED", "1"},
                          {"SHIFT", integer(shift)},
                          {"SCORE_BITS", integer(score_bits)},
                          {"CLASS_BITS", "4"},
                          {"BIAS_FILE", "\"bias.mem\""}},
                         {{"bias.mem", rom}},
                         lanes,
                         bits,
                         1,
                         4};
    Values input, expected;
    std::uniform_int_distribution<std::int64_t> score(-3, 3);  // narrow: ties are common
    for (int frame = 0; frame < 50; ++frame) {
      Values scores(classes);
      for (auto& s : scores) s = score(rng);
      int best = 0;
      for (int c = 1; c < classes; ++c) {
        if (label_score(select, c, scores[c]) > label_score(select, best, scores[best])) best = c;
      }
      expected.push_back(best);
      const Values words = test::to_words(scores, lanes, classes);
      for (std::int64_t v : words) input.push_back(v & ((1 << bits) - 1));
    }
    expect_block_output(block, input, expected,
                        shift == 0 ? "label select" : "label select, shift 2");
    if (HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace bnnc
