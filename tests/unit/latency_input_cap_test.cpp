// The latency search's input word (docs/latency-search.md, "The input word"): whole pixels up to
// Budget::input_bits (--input-bits), 512 bits when not given. The cost model does not price the
// word's width, so without the cap the search widens it for any saving.
#include <gtest/gtest.h>

#include <random>

#include "fold/choose_folding.h"
#include "fold/estimate_timeline.h"
#include "fold/lower_to_dataflow.h"
#include "ir/infer_types.h"
#include "random_network.h"

namespace bnnc {
namespace {

// 32×32 RGB pixels of 8 bits (24 bits a pixel, 1,024 pixels) straight into a binary conv (as
// AlexNet's conv1), then a second conv and a dense layer: with MMV, conv0 reads up to a row of 32
// pixels a word, so words wider than the default cap would bring its rows sooner.
DataflowGraph small_rgb_network() {
  std::mt19937_64 rng(14);
  Graph g;
  int x = g.add("input", InputAttrs{{32, 32, 3}, DType::uint(8)});
  x = g.add("conv0", Conv2dAttrs{test::random_matrix(16, 27, rng), 3, 1, 1, 0}, {x});
  x = g.add("thr0", test::half_thresholds(16, 27), {x});
  x = g.add("pool0", MaxPoolAttrs{2, 2, {}, 0}, {x});
  x = g.add("conv1", Conv2dAttrs{test::random_matrix(16, 144, rng), 3, 1, 0, 0}, {x});
  x = g.add("thr1", test::half_thresholds(16, 144), {x});
  x = g.add("pool1", MaxPoolAttrs{2, 2, {}, 0}, {x});
  x = g.add("flatten", ReshapeAttrs{{7 * 7 * 16}}, {x});
  x = g.add("fc", DenseAttrs{test::random_matrix(10, 784, rng)}, {x});
  g.add("label", LabelSelectAttrs{}, {x});
  infer_types(g);
  return lower_to_dataflow(g);
}

struct Searched {
  int input_bits = 0;  // of the chosen input word
  std::int64_t estimate = 0;
};

Searched search(const DataflowGraph& lowered, int input_bits) {
  Budget budget{100'000, 0, 0};
  budget.input_bits = input_bits;
  const DataflowGraph folded = apply_folding(lowered, choose_folding_for_latency(lowered, budget));
  const Block& input = folded.blocks[0];
  return {input.out_elems * input.in_bits, estimate_timeline(folded).latency};
}

TEST(LatencySearchInputCap, ChosenWordStaysWithinTheCap) {
  const DataflowGraph lowered = small_rgb_network();
  // Default: at most 512 bits, so 16 pixels (384 bits: 21 would not divide the 1,024 pixels).
  const Searched by_default = search(lowered, 0);
  EXPECT_LE(by_default.input_bits, kDefaultMaxInputBits);
  EXPECT_EQ(by_default.input_bits % 24, 0);
  // A smaller cap: at most 4 pixels.
  const Searched narrow = search(lowered, 96);
  EXPECT_LE(narrow.input_bits, 96);
  EXPECT_EQ(narrow.input_bits % 24, 0);
  // The cap the search is given: 21 pixels by default, 4 for 96 bits, the whole image for its
  // width (so removing the default cap fails here).
  EXPECT_EQ(max_input_elems(lowered.blocks[0], 0), 21 * 3);
  EXPECT_EQ(max_input_elems(lowered.blocks[0], 96), 4 * 3);
  EXPECT_EQ(max_input_elems(lowered.blocks[0], 1024 * 24), 1024 * 3);
  // A cap of the whole image: the frame is no slower. (Before SIMD over kernel taps the search
  // took a 768-bit row here; with taps conv0 no longer needs it, so the width may stay.)
  const Searched wide = search(lowered, 1024 * 24);
  EXPECT_LE(wide.input_bits, 1024 * 24);
  EXPECT_LE(wide.estimate, by_default.estimate);
  EXPECT_LE(by_default.estimate, narrow.estimate);
}

TEST(LatencySearchInputCap, DefaultCapAllowsOnePixelWiderThanIt) {
  // 64 channels of 16 bits: one pixel is 1,024 bits, above the default 512.
  std::mt19937_64 rng(15);
  Graph g;
  int x = g.add("input", InputAttrs{{4, 4, 64}, DType::uint(16)});
  x = g.add("binarize", test::half_thresholds(64, 65536), {x});
  x = g.add("conv0", Conv2dAttrs{test::random_matrix(8, 576, rng), 3, 1, 0, 0}, {x});
  x = g.add("flatten", ReshapeAttrs{{2 * 2 * 8}}, {x});
  g.add("label", LabelSelectAttrs{}, {x});
  infer_types(g);
  const DataflowGraph lowered = lower_to_dataflow(g);
  EXPECT_EQ(max_input_elems(lowered.blocks[0], 0), 64);
  EXPECT_EQ(max_input_elems(lowered.blocks[0], 2048), 128);
  const Searched s = search(lowered, 0);
  EXPECT_LE(s.input_bits, 1024);
}

}  // namespace
}  // namespace bnnc
