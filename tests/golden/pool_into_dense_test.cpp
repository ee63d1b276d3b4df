// A global sum pool and the dense layer after it as one dense layer on the pool's pixels
// (passes/fuse_pool_into_dense.h): every class and score the same integers as the pool and the
// dense layer give, in the golden model, the cycle simulator (the dense layer input-stationary,
// as the latency search runs it) and, in tests/rtl/rtl_residual_test.cpp, the RTL.
#include "passes/fuse_pool_into_dense.h"

#include <gtest/gtest.h>

#include <random>

#include "design/compile_design.h"
#include "fold/choose_folding.h"
#include "fold/lower_to_dataflow.h"
#include "ir/infer_types.h"
#include "residual_network.h"
#include "sim/compare_with_oracle.h"
#include "sim/cycle_simulator.h"
#include "sim/golden_model.h"

namespace bnnc {
namespace {

using Net = test::Residual;
using test::pooled_network;

std::vector<Classification> golden(const Graph& graph, const Net& net) {
  std::vector<Classification> out;
  for (const auto& image : net.images) out.push_back(run_golden(graph, image));
  return out;
}

int count_op(const Graph& graph, Op op) {
  int n = 0;
  for (const Node& node : graph.nodes) n += node.op() == op ? 1 : 0;
  return n;
}

TEST(PoolIntoDense, EveryScoreEqualsThePoolsAndTheDenseLayers) {
  std::mt19937_64 rng(3);
  std::vector<std::int64_t> bias;
  for (int c = 0; c < 10; ++c) bias.push_back(static_cast<std::int64_t>(rng() % 41) - 20);
  struct Case {
    std::vector<std::int64_t> bias;
    int shift;
  };
  for (const Case& c : {Case{{}, 0}, Case{bias, 0}, Case{bias, 3}}) {
    const Net net = pooled_network(5 + c.bias.size() + c.shift, 5, 16, c.bias, c.shift);
    const std::optional<Graph> fused = fuse_pool_into_dense(net.graph);
    ASSERT_TRUE(fused.has_value());
    EXPECT_EQ(count_op(*fused, Op::GlobalSumPool), 0);
    const Node& fc = fused->nodes[fused->find("fc")];
    EXPECT_EQ(fc.weights().cols(), 5 * 5 * 16);
    EXPECT_TRUE(fused->nodes[fc.inputs[0]].type.dtype.is_bit());
    EXPECT_EQ(fused->nodes[fused->output()].as<LabelSelectAttrs>().shift, c.shift + 1);
    const std::vector<Classification> want = golden(net.graph, net), got = golden(*fused, net);
    EXPECT_EQ(compare_with_oracle(want, got, {}).mismatches, 0) << "shift " << c.shift;
    // The scores vary: a test of equal constants would prove nothing.
    EXPECT_NE(want.front().scores, want.back().scores);
  }
}

TEST(PoolIntoDense, OtherTailsAreLeftAlone) {
  // A max-pool, flatten and dense layer (no global pool).
  EXPECT_FALSE(fuse_pool_into_dense(test::residual_network(1, 6, 1, 4).graph).has_value());
  // A shift the label-select cannot take one more of.
  EXPECT_FALSE(fuse_pool_into_dense(
                   pooled_network(1, 4, 8, std::vector<std::int64_t>(10, 1), kMaxLabelShift).graph)
                   .has_value());
}

// The fused layer input-stationary (its vector is out NF cycles after its last word) and
// output-stationary, in the cycle simulator: the pooled network's classes and scores.
TEST(PoolIntoDense, CycleSimulatorEqualsThePooledNetworksGoldenModel) {
  const Net net = pooled_network(9, 6, 16, {3, -1, 0, 5, 2, -4, 1, 0, 7, -2}, 1);
  const std::optional<Graph> fused = fuse_pool_into_dense(net.graph);
  ASSERT_TRUE(fused.has_value());
  const std::vector<Classification> want = golden(net.graph, net);
  const DataflowGraph lowered = lower_to_dataflow(*fused);
  for (const DenseOrder order : {DenseOrder::Input, DenseOrder::Output}) {
    Folding folding = choose_folding_for_cycles(lowered, 300);
    for (LayerFolding& f : folding.layers) {
      if (f.name == "fc") f.dense_order = order;
    }
    const Design d = compile_design(*fused, FoldingRequest::given(folding));
    SimulationOptions options;
    options.fifo_depths = d.fifo_depths;
    std::vector<std::span<const std::uint8_t>> frames(net.images.begin(), net.images.end());
    const SimulationResult sim = simulate_dataflow(d.folded, frames, options);
    EXPECT_EQ(compare_with_oracle(want, sim.classifications(), {}).mismatches, 0)
        << dense_order_name(order);
  }
}

// The latency objective searches both and keeps the faster: here the fused one, whose dense
// layer works while the conv's pixels arrive (the pool's waits for the last one).
TEST(PoolIntoDense, LatencyObjectiveKeepsTheFasterTail) {
  const Net net = pooled_network(11, 8, 32, {}, 0);
  FoldingRequest request;
  request.latency_budget = Budget{20000, 40};
  const Design chosen = compile_design(net.graph, request);
  request.pool_into_dense = false;
  const Design pooled = compile_design(net.graph, request);
  ASSERT_TRUE(chosen.timeline_simulated && pooled.timeline_simulated);
  EXPECT_EQ(count_op(chosen.graph, Op::GlobalSumPool), 0);
  EXPECT_EQ(count_op(pooled.graph, Op::GlobalSumPool), 1);
  EXPECT_LT(chosen.timeline_simulated->latency, pooled.timeline_simulated->latency);
  SimulationOptions options;
  options.fifo_depths = chosen.fifo_depths;
  std::vector<std::span<const std::uint8_t>> frames(net.images.begin(), net.images.end());
  const SimulationResult sim = simulate_dataflow(chosen.folded, frames, options);
  EXPECT_EQ(compare_with_oracle(golden(net.graph, net), sim.classifications(), {}).mismatches, 0);
}

}  // namespace
}  // namespace bnnc
