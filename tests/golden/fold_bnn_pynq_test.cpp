// The dataflow compiler on BNN-PYNQ's networks: BNN-PYNQ's own foldings give its cycle counts
// exactly (DESIGN.md §4), and the folding search meets FINN's fastest published designs.
#include <gtest/gtest.h>

#include "fold/choose_folding.h"
#include "fold/estimate_timeline.h"
#include "fold/folding_file.h"
#include "fold/lower_to_dataflow.h"
#include "io/bnn_pynq_importer.h"
#include "sim/measure_timeline.h"
#include "test_support.h"

namespace bnnc {
namespace {

std::vector<std::int64_t> mvtu_cycles(const DataflowGraph& graph) {
  std::vector<std::int64_t> cycles;
  for (int i : graph.mvtus()) cycles.push_back(graph.blocks[i].cycles);
  return cycles;
}

std::string folding_file(const std::string& name) {
  return std::string(BNNC_SOURCE_DIR) + "/foldings/" + name;
}

TEST(FoldBnnPynq, CnvWithItsFoldingTakesItsCycles) {
  BNNC_REQUIRE_EXTERNAL(folder, "bnn-pynq/params/cifar10/cnvW1A1");
  const DataflowGraph lowered = lower_to_dataflow(import_bnn_pynq(folder, BnnPynqTopology::Cnv));
  const DataflowGraph folded =
      apply_folding(lowered, read_folding_file(folding_file("cnv-w1a1-bnn-pynq.json"), lowered));
  EXPECT_EQ(mvtu_cycles(folded), (std::vector<std::int64_t>{32400, 28224, 20736, 28800, 20736,
                                                            18432, 32768, 32768, 8192}));
  EXPECT_EQ(estimate_graph(folded).bottleneck_cycles, 32768);
}

TEST(FoldBnnPynq, LfcWithItsFoldingTakesItsCycles) {
  BNNC_REQUIRE_EXTERNAL(folder, "bnn-pynq/params/mnist/lfcW1A1");
  const DataflowGraph lowered = lower_to_dataflow(import_bnn_pynq(folder, BnnPynqTopology::Lfc));
  const DataflowGraph folded =
      apply_folding(lowered, read_folding_file(folding_file("lfc-w1a1-bnn-pynq.json"), lowered));
  EXPECT_EQ(mvtu_cycles(folded), (std::vector<std::int64_t>{416, 512, 512, 512}));
}

TEST(FoldBnnPynq, TargetFpsMeetsFinnCnvMax) {
  BNNC_REQUIRE_EXTERNAL(folder, "bnn-pynq/params/cifar10/cnvW1A1");
  const DataflowGraph lowered = lower_to_dataflow(import_bnn_pynq(folder, BnnPynqTopology::Cnv));
  // 21,906 frames/s at 200 MHz: at most 9,130 cycles per frame.
  const DataflowGraph folded = apply_folding(lowered, choose_folding_for_cycles(lowered, 9130));
  const Estimate e = estimate_graph(folded);
  EXPECT_LE(e.bottleneck_cycles, 9130);
  for (const Block& b : folded.blocks) EXPECT_LE(b.cycles, 9130) << b.name;
  // The search is resource-aware: a slower target never costs more.
  const Estimate slower =
      estimate_graph(apply_folding(lowered, choose_folding_for_cycles(lowered, 32768)));
  EXPECT_LT(slower.total.luts + kLutsPerBram18 * slower.total.bram18,
            e.total.luts + kLutsPerBram18 * e.total.bram18);
}

TEST(FoldBnnPynq, TargetFpsMeetsFinnLfcMax) {
  BNNC_REQUIRE_EXTERNAL(folder, "bnn-pynq/params/mnist/lfcW1A1");
  const DataflowGraph lowered = lower_to_dataflow(import_bnn_pynq(folder, BnnPynqTopology::Lfc));
  // 1,561,000 frames/s at 200 MHz: at most 128 cycles per frame.
  const DataflowGraph folded = apply_folding(lowered, choose_folding_for_cycles(lowered, 128));
  EXPECT_LE(estimate_graph(folded).bottleneck_cycles, 128);
}

}  // namespace
}  // namespace bnnc

namespace bnnc {
namespace {

std::int64_t simulated_latency(const DataflowGraph& design) {
  const std::optional<Timeline> t = measure_frame_timeline(design);
  EXPECT_TRUE(t.has_value());
  return t ? t->latency : 0;
}

// The analytic timeline stays close to the simulated one (the latency search may run on it).
TEST(FoldBnnPynq, EstimatedLatencyIsWithinFivePercentOfTheSimulatedOne) {
  BNNC_REQUIRE_EXTERNAL(cnv, "bnn-pynq/params/cifar10/cnvW1A1");
  BNNC_REQUIRE_EXTERNAL(lfc, "bnn-pynq/params/mnist/lfcW1A1");
  const DataflowGraph cnv_lowered = lower_to_dataflow(import_bnn_pynq(cnv, BnnPynqTopology::Cnv));
  const DataflowGraph lfc_lowered = lower_to_dataflow(import_bnn_pynq(lfc, BnnPynqTopology::Lfc));
  const std::pair<const DataflowGraph*, std::int64_t> cases[] = {
      {&cnv_lowered, 9130}, {&cnv_lowered, 32768}, {&lfc_lowered, 128}, {&lfc_lowered, 512}};
  for (const auto& [lowered_ptr, cycles] : cases) {
    const DataflowGraph& lowered = *lowered_ptr;
    const DataflowGraph design = apply_folding(lowered, choose_folding_for_cycles(lowered, cycles));
    const auto estimate = static_cast<double>(estimate_timeline(design).latency);
    const auto simulated = static_cast<double>(simulated_latency(design));
    EXPECT_NEAR(estimate / simulated, 1.0, 0.05)
        << cycles << " cycles: estimate " << estimate << ", simulated " << simulated;
  }
}

// Issue 6's acceptance: at the LUT (and BRAM) budget of the cheapest 21,906 fps folding, the
// latency objective gives a lower simulated latency (it spends the resources on the
// fully-connected tail, which cannot overlap the rest of the frame).
TEST(FoldBnnPynq, LatencyObjectiveBeatsTheThroughputFoldingAtItsLutBudget) {
  BNNC_REQUIRE_EXTERNAL(folder, "bnn-pynq/params/cifar10/cnvW1A1");
  const DataflowGraph lowered = lower_to_dataflow(import_bnn_pynq(folder, BnnPynqTopology::Cnv));
  const DataflowGraph fast = apply_folding(lowered, choose_folding_for_cycles(lowered, 9130));
  const Estimate fast_estimate = estimate_graph(fast);
  const Budget budget{.luts = fast_estimate.total.luts, .bram18 = fast_estimate.total.bram18};
  const DataflowGraph low_latency = apply_folding(
      lowered, choose_folding_for_latency(lowered, budget, [](const DataflowGraph& design) {
        const std::optional<Timeline> t = measure_frame_timeline(design);
        return t ? std::optional<std::int64_t>(t->latency) : std::nullopt;
      }));
  const Estimate e = estimate_graph(low_latency);
  EXPECT_LE(e.total.luts, budget.luts);
  EXPECT_LE(e.total.bram18, budget.bram18);
  EXPECT_LT(simulated_latency(low_latency), simulated_latency(fast));
}

}  // namespace
}  // namespace bnnc
