// The latency search's cycle levels (fold/balance_latency.h, cycle_levels): at each cycle count
// the MVTU folding it offers is the cheapest by the estimate among those of the same parallelism
// and MMV.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>

#include "core/divisors.h"
#include "fold/balance_latency.h"
#include "fold/choose_folding.h"
#include "fold/estimate_resources.h"
#include "fold/lower_to_dataflow.h"
#include "ir/infer_types.h"
#include "test_support.h"

namespace bnnc {
namespace {

// bits [5,5,128] → conv 3×3 256 → threshold → flatten → dense 10 → label select: a deep conv
// (SIMD up to 128) and a dense layer, as CNV's conv4 and fc8.
Graph deep_conv() {
  Graph g;
  const int in = g.add("in", InputAttrs{{5, 5, 128}, DType::bit()});
  const int conv = g.add("conv", Conv2dAttrs{BinaryMatrix(256, 1152), 3, 1, 0, 0}, {in});
  const int thr = g.add("thr", ThresholdAttrs{std::vector<std::int64_t>(256, 500), 1, {}}, {conv});
  const int flat = g.add("flatten", ReshapeAttrs{{2304}}, {thr});
  const int fc = g.add("fc", DenseAttrs{BinaryMatrix(10, 2304)}, {flat});
  g.add("label", LabelSelectAttrs{}, {fc});
  infer_types(g);
  return g;
}

std::int64_t folded_cost(const DataflowGraph& graph, const LayerFolding& f) {
  const DataflowGraph folded = apply_folding(graph, Folding{{f}});
  const Resources r = estimate_block(folded.blocks[folded.find(f.name)]);
  return r.luts + kLutsPerBram18 * (r.bram18 + 8 * r.urams);
}

TEST(CycleLevels, EachLevelIsTheCheapestOfItsParallelismAndMmv) {
  const DataflowGraph graph = lower_to_dataflow(deep_conv());
  int cheaper_than_least_simd = 0;
  for (int i : graph.mvtus()) {
    const Block& b = graph.blocks[i];
    const auto levels = cycle_levels(b, LayerFolding{b.name});
    ASSERT_FALSE(levels.empty());
    for (const auto& [cycles, chosen] : levels) {
      const std::int64_t chosen_cost = folded_cost(graph, chosen);
      const std::int64_t width = static_cast<std::int64_t>(chosen.pe) * chosen.simd;
      bool least_simd = true;
      for (int pe : divisors(b.mh)) {
        if (width % pe != 0 || width / pe > b.simd_channels() ||
            b.simd_channels() % (width / pe) != 0)
          continue;
        const LayerFolding other{b.name, pe, static_cast<int>(width / pe), chosen.mmv};
        EXPECT_LE(chosen_cost, folded_cost(graph, other))
            << b.name << " at " << cycles << " cycles: PE " << chosen.pe << " SIMD " << chosen.simd
            << " against PE " << other.pe << " SIMD " << other.simd;
        if (other.simd < chosen.simd) least_simd = false;
      }
      if (!least_simd) ++cheaper_than_least_simd;
    }
  }
  // The old rule (the least SIMD) is not what the levels are: some level takes wider SIMD.
  EXPECT_GT(cheaper_than_least_simd, 0);
}

// bits [30,30,C] → conv 3×3 C → threshold → flatten → dense 10 → label select: a deep conv with
// 28×28 outputs, as CNV-W1A1's conv1 (C = 64) and VGG-16's conv9 and conv10 (C = 512).
Graph conv_28x28(int channels, std::int64_t threshold) {
  Graph g;
  const int in = g.add("in", InputAttrs{{30, 30, channels}, DType::bit()});
  const int conv =
      g.add("conv", Conv2dAttrs{BinaryMatrix(channels, 9 * channels), 3, 1, 0, 0}, {in});
  const int thr =
      g.add("thr", ThresholdAttrs{std::vector<std::int64_t>(channels, threshold), 1, {}}, {conv});
  const int flat = g.add("flatten", ReshapeAttrs{{28 * 28 * channels}}, {thr});
  const int fc = g.add("fc", DenseAttrs{BinaryMatrix(10, 28 * 28 * channels)}, {flat});
  g.add("label", LabelSelectAttrs{}, {fc});
  infer_types(g);
  return g;
}

// CNV-W1A1's conv1 (C = 64). Its PE and SIMD over channels are powers of two and its MMV divides
// 28, so without kernel taps the level after 1,764 cycles (PE 64 × SIMD 64 × MMV 4) is 1,008 (MMV
// 7, +75 % synapses). SIMD over 3 taps (192) gives 1,176 at +50 % (PE 64 × MMV 2 or PE 32 × MMV 4).
TEST(CycleLevels, DeepConvsTakeKernelTapsBetweenPowersOfTwo) {
  const DataflowGraph graph = lower_to_dataflow(conv_28x28(64, 300));
  const Block& b = graph.blocks[static_cast<std::size_t>(graph.find("conv"))];
  ASSERT_EQ(b.simd_channels(), 64);
  const auto levels = cycle_levels(b, LayerFolding{b.name});
  std::optional<LayerFolding> between;
  for (const auto& [cycles, f] : levels) {
    // Every level's SIMD divides the channels or is t·C with t dividing K², and the folding
    // applies (the rules of fold/folding.cpp).
    EXPECT_TRUE(64 % f.simd == 0 || (f.simd % 64 == 0 && 9 % (f.simd / 64) == 0)) << f.simd;
    EXPECT_NO_THROW(apply_folding(graph, Folding{{f}})) << cycles << " cycles";
    if (cycles > 1008 && cycles < 1764 && !between) between = f;
  }
  ASSERT_TRUE(between.has_value()) << "no level between 1,008 and 1,764 cycles";
  EXPECT_GT(between->simd, 64);  // only taps reach it
  // It costs less parallelism than the 1,008-cycle level (7 · 4,096 synapses).
  EXPECT_LT(static_cast<std::int64_t>(between->pe) * between->simd * between->mmv, 7 * 4096);
  const auto at =
      std::find_if(levels.begin(), levels.end(), [](const auto& l) { return l.first == 1176; });
  ASSERT_NE(at, levels.end());
  EXPECT_EQ(at->second.simd, 192);
}

// VGG-16's 28×28 convs (C = 512). At 28,224 cycles the least-MMV folding reads PE·SIMD = 65,536
// weight bits a cycle from 36 words; MMV 2 reads half as many from 72 words, the cheaper MVTU, so
// it comes second at that cycle count (the search's cheapest under a cap).
TEST(CycleLevels, ACheaperFoldingWithMoreMmvComesSecond) {
  const DataflowGraph graph = lower_to_dataflow(conv_28x28(512, 2000));
  const Block& b = graph.blocks[static_cast<std::size_t>(graph.find("conv"))];
  const auto levels = cycle_levels(b, LayerFolding{b.name});
  std::vector<LayerFolding> at;
  for (const auto& [cycles, f] : levels) {
    if (cycles == 28224) at.push_back(f);
  }
  ASSERT_EQ(at.size(), 2U);
  EXPECT_EQ(at[0].mmv, 1);
  EXPECT_GT(at[1].mmv, 1);
  EXPECT_LT(folded_cost(graph, at[1]), folded_cost(graph, at[0]));
  // Levels stay in ascending order of cycles.
  EXPECT_TRUE(std::is_sorted(levels.begin(), levels.end(),
                             [](const auto& x, const auto& y) { return x.first < y.first; }));
}

}  // namespace
}  // namespace bnnc
