// Reconvergent paths in the dataflow graph (a residual block): the lowering forks the stream and
// joins it again, find_reconvergent_paths sizes the bypass FIFO, and the cycle simulator runs the
// design bit-exactly against the golden model without deadlock — and deadlocks, detected and
// reported, when the bypass FIFO is left at the default 2 words.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "design/compile_design.h"
#include "fold/find_reconvergence.h"
#include "fold/folding_file.h"
#include "fold/lower_to_dataflow.h"
#include "ir/infer_types.h"
#include "random_folding.h"
#include "residual_network.h"
#include "runtime/cpu_engine.h"
#include "sim/compare_with_oracle.h"
#include "sim/cycle_simulator.h"
#include "sim/golden_model.h"

namespace bnnc {
namespace {

using test::Residual;
using test::residual_network;

std::vector<std::span<const std::uint8_t>> frames_of(const Residual& net) {
  return {net.images.begin(), net.images.end()};
}

struct Case {
  int size, stride, channels;
  std::int64_t max_cycles;  // folding target; 0 = everything at PE = SIMD = 1
};

std::vector<Case> cases() {
  return {{8, 1, 8, 0}, {9, 1, 8, 2000}, {12, 2, 16, 0}, {11, 2, 8, 1000}, {10, 1, 16, 1000}};
}

Design design_for(const Residual& net, const Case& c) {
  const DataflowGraph lowered = lower_to_dataflow(net.graph);
  return compile_design(
      net.graph,
      FoldingRequest::given(c.max_cycles > 0 ? choose_folding_for_cycles(lowered, c.max_cycles)
                                             : Folding{}));
}

TEST(ResidualDataflow, LoweringForksAndJoinsAndTheBypassGetsTheDeepFifo) {
  const Residual net = residual_network(1, 8, 1, 8);
  const Design design = design_for(net, {8, 1, 8, 0});
  const std::vector<Reconvergence> paths = find_reconvergent_paths(design.folded);
  ASSERT_EQ(paths.size(), 1U);
  const Reconvergence& r = paths[0];
  EXPECT_EQ(design.folded.blocks[r.fork].kind, BlockKind::Duplicate);
  EXPECT_EQ(design.folded.blocks[r.join].kind, BlockKind::AddStreams);
  // Slot 0 is the long branch (two 3×3 convs), slot 1 the bypass (one 1×1 conv).
  EXPECT_GT(r.branch[0].size(), r.branch[1].size());
  // The long branch needs about two image rows (2 convs × (8 + 2 pixels), 8 words a pixel at
  // PE = 1) before its first output: the bypass holds them. The long branch's own FIFO needs
  // its last pixel (the bypass's last output waits for all the fork's pixels too), and for full
  // rate the 2 pixels the bypass's MVTU has in flight (find_reconvergence.cpp).
  EXPECT_GT(r.depth[1], 8 * 8 * 2);
  EXPECT_EQ(r.depth[0], (1 + 2) * 8 + 2);
  EXPECT_EQ(design.fifo_depths[r.join][1], r.depth[1]);
}

TEST(ResidualDataflow, SimulatorEqualsGoldenWithoutDeadlock) {
  for (const Case& c : cases()) {
    const Residual net = residual_network(7 + c.size, c.size, c.stride, c.channels);
    const Design design = design_for(net, c);
    const std::string what = fmt::format("size {}, stride {}, {} channels, target {}", c.size,
                                         c.stride, c.channels, c.max_cycles);
    SimulationOptions options;
    options.fifo_depths = design.fifo_depths;
    const SimulationResult sim = simulate_dataflow(design.folded, frames_of(net), options);
    ASSERT_EQ(sim.labels.size(), net.images.size()) << what;
    std::vector<Classification> golden;
    for (const auto& image : net.images) golden.push_back(run_golden(net.graph, image));
    const Comparison compared = compare_with_oracle(golden, sim.classifications(), {});
    EXPECT_EQ(compared.mismatches, 0) << what << ", first at image " << compared.first_mismatch;
    // The bypass FIFO does not slow the design down either: the steady state runs at the
    // analytic bottleneck (within the few cycles a frame boundary costs on designs this small).
    const auto bottleneck = static_cast<double>(design.estimate.bottleneck_cycles);
    EXPECT_LE(sim.cycles_per_frame(), 1.35 * bottleneck) << what;
  }
}

// Forks and joins on words of several pixels (docs/pixel-parallel.md): random MMV and input
// widths; the join's two inputs meet in one word format (a width converter on the second).
TEST(ResidualDataflow, PixelParallelWordsThroughForkAndJoin) {
  std::mt19937_64 rng(20261205);
  int mmv_layers = 0;
  for (int k = 0; k < 12; ++k) {
    const Case c = cases()[static_cast<std::size_t>(k) % cases().size()];
    const Residual net = residual_network(40 + k, c.size, c.stride, c.channels);
    const Folding folding = test::random_pixel_folding(lower_to_dataflow(net.graph), rng);
    for (const LayerFolding& f : folding.layers) mmv_layers += f.mmv > 1 ? 1 : 0;
    const Design design = compile_design(net.graph, FoldingRequest::given(folding));
    SimulationOptions options;
    options.fifo_depths = design.fifo_depths;
    const SimulationResult sim = simulate_dataflow(design.folded, frames_of(net), options);
    ASSERT_EQ(sim.labels.size(), net.images.size()) << folding_json(folding);
    std::vector<Classification> golden;
    for (const auto& image : net.images) golden.push_back(run_golden(net.graph, image));
    EXPECT_EQ(compare_with_oracle(golden, sim.classifications(), {}).mismatches, 0)
        << folding_json(folding);
  }
  EXPECT_GE(mmv_layers, 8);
}

// The bypass sized for words of several pixels (find_reconvergence.cpp): a branch whose first
// conv writes 4 or 7 windows a word and whose second takes half a pixel's channels a word over
// all nine taps reads whole words and writes whole groups, a few pixels later than pixel by pixel.
// Counted pixel by pixel, the bypass of ResNet-18's first block (56×56, such a folding, met by
// the latency search) was 4 words short and the design deadlocked; so does the first folding
// here at 28×28.
TEST(ResidualDataflow, BypassOfMultiPixelBranchesNeverDeadlocks) {
  const Residual net = residual_network(31, 28, 1, 4, 2, true);
  for (const int mmv : {4, 7}) {
    for (const int pe : {2, 4}) {
      Folding folding;
      folding.layers = {{"a1", 4, 4, mmv}, {"a2", pe, 36, 1}, {"fc", 2, 98, 1}};
      const Design design = compile_design(net.graph, FoldingRequest::given(folding));
      SimulationOptions options;
      options.fifo_depths = design.fifo_depths;
      options.max_cycles_without_progress = 20000;
      const SimulationResult sim = simulate_dataflow(design.folded, frames_of(net), options);
      std::vector<Classification> golden;
      for (const auto& image : net.images) golden.push_back(run_golden(net.graph, image));
      EXPECT_EQ(compare_with_oracle(golden, sim.classifications(), {}).mismatches, 0)
          << folding_json(folding);
    }
  }
}

// The join with a table (ir/op.h AddAttrs: thresholds selected by the shortcut's value, as the
// streamliner writes for a residual block from PyTorch): on the projection's popcounts, and on an
// identity shortcut of bits (the block's input itself). The cycle simulator's AddStreams and the
// CPU engine apply the table as the golden model does.
TEST(ResidualDataflow, JoinTablesInTheSimulatorAndCpuEngineEqualGolden) {
  for (const bool identity : {false, true}) {
    Residual net = residual_network(identity ? 21 : 22, 8, 1, 4, 6, identity);
    test::add_join_table(net, identity ? 5 : 6);
    const Graph& g = net.graph;
    const Design design = design_for(net, {8, 1, 4, 0});
    SimulationOptions options;
    options.fifo_depths = design.fifo_depths;
    const SimulationResult sim = simulate_dataflow(design.folded, frames_of(net), options);
    std::vector<Classification> golden;
    for (const auto& image : net.images) golden.push_back(run_golden(g, image));
    EXPECT_EQ(compare_with_oracle(golden, sim.classifications(), {}).mismatches, 0) << identity;
    const runtime::CpuEngine engine(g);
    std::vector<std::uint8_t> images;
    for (const auto& image : net.images) images.insert(images.end(), image.begin(), image.end());
    std::vector<Classification> cpu(net.images.size());
    engine.classify(images.data(), static_cast<int>(net.images.size()), cpu.data(), 1);
    EXPECT_EQ(compare_with_oracle(golden, cpu, {}).mismatches, 0) << identity;
    // The join's bits vary, so the table is exercised.
    std::set<std::int64_t> bits;
    for (const auto& image : net.images) {
      const auto layers = run_golden_layers(g, image);
      for (std::int64_t b : layers[static_cast<std::size_t>(g.find("add.t"))].values)
        bits.insert(b);
    }
    EXPECT_EQ(bits.size(), 2U) << identity;
  }
}

TEST(ResidualDataflow, TooShallowBypassDeadlocksAndIsReported) {
  const Residual net = residual_network(3, 8, 1, 8);
  const Design design = design_for(net, {8, 1, 8, 0});
  const Reconvergence r = find_reconvergent_paths(design.folded).at(0);
  SimulationOptions options;
  options.fifo_depths = design.fifo_depths;
  options.fifo_depths[r.join][1] = 2;
  // The row FIFOs in front of the long branch's window paths would hold a whole image this
  // small and hide the missing bypass depth: give them their 2 words as well.
  for (std::size_t i = 0; i < design.folded.blocks.size(); ++i) {
    const BlockKind kind = design.folded.blocks[i].kind;
    if (kind == BlockKind::FmPadding || kind == BlockKind::Swu) options.fifo_depths[i][0] = 2;
  }
  options.max_cycles_without_progress = 1000;
  EXPECT_THAT([&] { simulate_dataflow(design.folded, frames_of(net), options); },
              testing::ThrowsMessage<Error>(testing::HasSubstr("deadlock")));
}

}  // namespace
}  // namespace bnnc
