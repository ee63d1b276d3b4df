// The latency search's cycle levels (fold/balance_latency.h, cycle_levels): at each cycle count
// the MVTU folding it offers is the cheapest by the estimate among those of the same parallelism
// and MMV.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace bnnc
