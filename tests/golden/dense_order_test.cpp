// The input-stationary order of dense layers (docs/dense-order.md) in the cycle simulator: the
// same classes and scores as the golden model on random networks with random foldings and random
// orders per dense layer, the same steady rate as the output-stationary order, and the latency it
// exists for: a dense layer fed slowly finishes a few cycles after its last input.
#include <gtest/gtest.h>

#include <random>

#include "design/compile_design.h"
#include "fold/device.h"
#include "fold/estimate_timeline.h"
#include "fold/lower_to_dataflow.h"
#include "io/bnn_pynq_importer.h"
#include "ir/infer_types.h"
#include "passes/streamline.h"
#include "random_folding.h"
#include "random_network.h"
#include "sim/compare_with_oracle.h"
#include "sim/cycle_simulator.h"
#include "sim/golden_model.h"
#include "sim/measure_timeline.h"
#include "test_support.h"

namespace bnnc {
namespace {

using Frames = std::vector<std::span<const std::uint8_t>>;

SimulationResult simulate_against_golden(const Design& design, const Frames& frames,
                                         const std::string& what) {
  SimulationOptions options;
  options.fifo_depths = design.fifo_depths;
  SimulationResult sim = simulate_dataflow(design.folded, frames, options);
  EXPECT_EQ(sim.labels.size(), frames.size()) << what;
  std::vector<Classification> golden;
  for (const auto& frame : frames) golden.push_back(run_golden(design.folded.ir, frame));
  const Comparison c = compare_with_oracle(golden, sim.classifications(), {});
  EXPECT_EQ(c.mismatches, 0) << what << ", first at frame " << c.first_mismatch;
  return sim;
}

TEST(DenseOrder, RandomNetworksWithRandomFoldingsAndOrders) {
  std::mt19937_64 rng(20261203);
  int input_stationary = 0;
  for (std::uint64_t seed = 4000; seed < 4060; ++seed) {
    test::RandomNetworkOptions options;
    options.allow_zero_pad = false;
    options.images = 5;
    const test::RandomNetwork net = test::random_network(seed, options);
    const Graph streamlined = streamline(net.graph);
    const DataflowGraph lowered = lower_to_dataflow(streamlined);
    Folding folding = test::random_folding(lowered, rng);
    input_stationary += test::random_dense_orders(folding, lowered, rng);
    const Design design = compile_design(streamlined, FoldingRequest::given(folding));
    const Frames frames(net.images.begin(), net.images.end());
    const std::string what = "random network seed " + std::to_string(seed);
    simulate_against_golden(design, frames, what);
    if (HasFailure()) return;
    // Every dense layer input-stationary: the same answers again.
    Folding all_input = folding;
    for (LayerFolding& f : all_input.layers) {
      if (!lowered.blocks[static_cast<std::size_t>(lowered.find(f.name))].is_conv())
        f.dense_order = DenseOrder::Input;
    }
    simulate_against_golden(compile_design(streamlined, FoldingRequest::given(all_input)), frames,
                            what + ", all input-stationary");
    if (HasFailure()) return;
  }
  EXPECT_GE(input_stationary, 40);  // else the seeds no longer test the order
}

// A slow producer (a conv over a 12×12 image) and a fast dense layer after it: output-stationary,
// the dense layer must hold its whole input before its second group of rows; input-stationary,
// it keeps pace with the conv and its last output leaves NF cycles after its last input.
Graph conv_then_dense(std::mt19937_64& rng) {
  Graph g;
  int x = g.add("input", InputAttrs{{12, 12, 1}, DType::uint(8)});
  x = g.add("binarize", test::half_thresholds(1, 256), {x});
  x = g.add("conv0", Conv2dAttrs{test::random_matrix(8, 9, rng), 3, 1, 0, 0}, {x});
  x = g.add("thr0", test::half_thresholds(8, 9), {x});
  x = g.add("flatten", ReshapeAttrs{{10 * 10 * 8}}, {x});
  x = g.add("fc1", DenseAttrs{test::random_matrix(64, 800, rng)}, {x});
  x = g.add("thr1", test::half_thresholds(64, 800), {x});
  x = g.add("fc2", DenseAttrs{test::random_matrix(10, 64, rng)}, {x});
  g.add("label", LabelSelectAttrs{}, {x});
  infer_types(g);
  return g;
}

TEST(DenseOrder, InputStationaryFinishesSoonAfterItsLastInput) {
  std::mt19937_64 rng(7);
  const Graph graph = conv_then_dense(rng);
  std::vector<std::vector<std::uint8_t>> images(4, std::vector<std::uint8_t>(144));
  for (auto& image : images) {
    for (auto& p : image) p = static_cast<std::uint8_t>(rng());
  }
  const Frames frames(images.begin(), images.end());
  // conv0: 900 cycles (PE 8, SIMD 1: 9 a pixel, 100 pixels); fc1: NF 4 · SF 100 = 400 cycles.
  std::int64_t latency[2] = {0, 0};
  for (const DenseOrder order : {DenseOrder::Output, DenseOrder::Input}) {
    Folding folding;
    folding.layers = {{"conv0", 8, 1}, {"fc1", 16, 8}, {"fc2", 10, 64}};
    folding.layers[1].dense_order = order;
    const Design design = compile_design(graph, FoldingRequest::given(folding));
    const std::string what = dense_order_name(order);
    const SimulationResult sim = simulate_against_golden(design, frames, what);
    if (HasFailure()) return;
    EXPECT_NEAR(sim.cycles_per_frame(), 900.0, 20.0) << what;  // the conv's rate, either way
    const std::optional<Timeline> t = measure_frame_timeline(design.folded);
    ASSERT_TRUE(t.has_value());
    const int conv = design.folded.find("conv0"), fc1 = design.folded.find("fc1");
    const std::int64_t after_input = t->blocks[fc1].end - t->blocks[conv].end;
    if (order == DenseOrder::Input) {
      EXPECT_LE(after_input, 4 + 3) << "NF = 4 cycles after the conv's last output";
    } else {
      EXPECT_GE(after_input, 3 * 100) << "(NF − 1)·SF cycles after the conv's last output";
    }
    latency[order == DenseOrder::Input ? 1 : 0] = t->latency;
    // The analytic timeline knows it too (within 5 %).
    EXPECT_NEAR(static_cast<double>(estimate_timeline(design.folded).latency),
                static_cast<double>(t->latency), 0.05 * static_cast<double>(t->latency))
        << what;
  }
  EXPECT_LT(latency[1] + 250, latency[0]);
}

// Every dense layer flipped to the other order, folding kept.
Folding flipped(const Design& design) {
  Folding f = design.folding;
  for (LayerFolding& layer : f.layers) {
    if (design.folded.blocks[static_cast<std::size_t>(design.folded.find(layer.name))].is_conv())
      continue;
    layer.dense_order =
        layer.dense_order == DenseOrder::Input ? DenseOrder::Output : DenseOrder::Input;
  }
  return f;
}

// The latency search picks the input-stationary order for the dense layer after the conv, and
// its folding is faster than the same folding in the other orders.
TEST(DenseOrder, LatencySearchChoosesTheOrder) {
  std::mt19937_64 rng(7);
  const Graph graph = conv_then_dense(rng);
  FoldingRequest request;
  request.latency_budget = Budget{3000, 0, 0};
  const Design design = compile_design(graph, request);
  const Block& fc1 = design.folded.blocks[static_cast<std::size_t>(design.folded.find("fc1"))];
  EXPECT_EQ(fc1.dense_order, DenseOrder::Input);
  ASSERT_TRUE(design.timeline_simulated.has_value());
  const Design other = compile_design(graph, FoldingRequest::given(flipped(design)));
  EXPECT_LT(design.timeline_simulated->latency, other.timeline_simulated->latency)
      << "fc1 PE " << fc1.pe << " SIMD " << fc1.simd << ", " << design.estimate.total.luts
      << " LUTs";
  EXPECT_LE(design.estimate.total.luts, 3000);
}

// BNN-PYNQ's LFC-W1A1 for the lowest latency on FINN's board: issue 14 asks for ≤ 200 cycles
// (FINN: 2.44 µs); alternating orders pipeline pairs of dense layers (docs/dense-order.md).
TEST(DenseOrder, LfcLatencyOnXc7z045) {
  BNNC_REQUIRE_EXTERNAL(folder, "bnn-pynq/params/mnist/lfcW1A1");
  FoldingRequest request;
  request.device = &find_device("xc7z045");
  request.latency_budget = Budget{};
  const Design design = compile_design(import_bnn_pynq(folder, BnnPynqTopology::Lfc), request);
  ASSERT_TRUE(design.timeline_simulated.has_value());
  EXPECT_LE(design.timeline_simulated->latency, 200);
  int input_stationary = 0;
  for (const LayerFolding& f : design.folding.layers) {
    input_stationary += f.dense_order == DenseOrder::Input ? 1 : 0;
  }
  EXPECT_GE(input_stationary, 1);
}

}  // namespace
}  // namespace bnnc
