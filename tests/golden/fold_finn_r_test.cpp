// The FINN-R "Scaling BNNs" network (DESIGN.md §4: 128C3-128C3-MP2-256C3-256C3-MP2-512C3-512C3-
// MP2-FC512-FC512-FC10, 'same' padding by −1) with untrained weights: folded for 12,000 frames/s
// at 200 MHz, balanced, and simulated bit-exactly.
#include <gtest/gtest.h>

#include <random>

#include "fold/choose_folding.h"
#include "fold/estimate_timeline.h"
#include "fold/lower_to_dataflow.h"
#include "fold/size_fifos.h"
#include "ir/infer_types.h"
#include "random_network.h"
#include "sim/compare_with_oracle.h"
#include "sim/cycle_simulator.h"
#include "sim/golden_model.h"

namespace bnnc {
namespace {

using test::half_thresholds;
using test::random_matrix;

Graph finn_r(std::mt19937_64& rng) {
  Graph g;
  g.name = "finn-r";
  int x = g.add("input", InputAttrs{{32, 32, 3}, DType::uint(8)});
  std::vector<std::int32_t> table;
  for (int p = 0; p < 256; ++p) table.push_back(p / 2 - 64);
  x = g.add("quantize", QuantizeAttrs{table, DType::fixed(8, 7)}, {x});
  int channels = 3, size = 32, layer = 0;
  const auto conv = [&](int out) {
    const std::string n = std::to_string(layer++);
    const std::int64_t pad = channels == 3 ? -128 : 0;  // −1 in both datapaths
    x = g.add("conv" + n, Conv2dAttrs{random_matrix(out, 9 * channels, rng), 3, 1, 1, pad}, {x});
    x = g.add("thr" + n, half_thresholds(out, channels == 3 ? 0 : 9 * channels), {x});
    channels = out;
  };
  const auto pool = [&] {
    x = g.add("pool" + std::to_string(layer - 1), MaxPoolAttrs{2, 2, {}}, {x});
    size /= 2;
  };
  conv(128), conv(128), pool(), conv(256), conv(256), pool(), conv(512), conv(512), pool();
  x = g.add("flatten", ReshapeAttrs{{size * size * channels}}, {x});
  int width = size * size * channels;
  for (int out : {512, 512}) {
    const std::string n = std::to_string(layer++);
    x = g.add("fc" + n, DenseAttrs{random_matrix(out, width, rng)}, {x});
    x = g.add("thr" + n, half_thresholds(out, width), {x});
    width = out;
  }
  x = g.add("fc" + std::to_string(layer), DenseAttrs{random_matrix(10, width, rng)}, {x});
  g.add("label", LabelSelectAttrs{}, {x});
  infer_types(g);
  return g;
}

TEST(FoldFinnR, TwelveThousandFramesPerSecondIsBitExactAtTheBottleneckRate) {
  std::mt19937_64 rng(20261122);
  const Graph graph = finn_r(rng);
  const DataflowGraph lowered = lower_to_dataflow(graph);
  const std::int64_t target = 200'000'000 / 12'000;  // 16,666 cycles per frame
  const DataflowGraph design = apply_folding(lowered, choose_folding_for_cycles(lowered, target));
  const Estimate e = estimate_graph(design);
  EXPECT_LE(e.bottleneck_cycles, target);
  // Balanced: most convolutions sit near the target (the cost model may make one faster when its
  // weights then fit distributed RAM, which is cheaper).
  int near_target = 0;
  for (int i : design.mvtus()) {
    const Block& b = design.blocks[i];
    near_target += b.kernel == 3 && b.cycles * 2 >= target ? 1 : 0;
  }
  EXPECT_GE(near_target, 4);
  std::vector<std::vector<std::uint8_t>> images(3, std::vector<std::uint8_t>(32 * 32 * 3));
  for (auto& image : images) {
    for (auto& p : image) p = static_cast<std::uint8_t>(rng());
  }
  std::vector<std::span<const std::uint8_t>> frames(images.begin(), images.end());
  SimulationOptions options;
  options.fifo_depths = size_fifos(design);
  const SimulationResult sim = simulate_dataflow(design, frames, options);
  std::vector<Classification> golden;
  for (const auto& frame : frames) golden.push_back(run_golden(graph, frame));
  const Comparison compared = compare_with_oracle(golden, sim.classifications(), {});
  EXPECT_EQ(compared.mismatches, 0) << "first at frame " << compared.first_mismatch;
  EXPECT_NEAR(sim.cycles_per_frame(), static_cast<double>(e.bottleneck_cycles),
              0.01 * static_cast<double>(e.bottleneck_cycles));
  std::string mvtus;
  for (int i : design.mvtus()) {
    const Block& b = design.blocks[i];
    mvtus += fmt::format(" {}({},{})={}", b.name, b.pe, b.simd, b.cycles);
  }
  std::printf(
      "FINN-R at 12000 fps/200 MHz: bottleneck %lld cycles, simulated %.0f cycles/frame, "
      "latency %lld cycles (estimate %lld), %lld LUTs, %lld BRAM18;%s\n",
      static_cast<long long>(e.bottleneck_cycles), sim.cycles_per_frame(),
      static_cast<long long>(sim.latency_cycles()),
      static_cast<long long>(estimate_timeline(design).latency),
      static_cast<long long>(e.total.luts), static_cast<long long>(e.total.bram18), mvtus.c_str());
}

}  // namespace
}  // namespace bnnc
