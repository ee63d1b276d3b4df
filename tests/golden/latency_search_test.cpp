// The latency search (`--objective latency --device D`, docs/latency-search.md) against foldings
// written by hand for the same part (foldings/): its simulated latency is never higher, and the
// analytic estimate it ranks candidates by stays within 5 % of the simulated latency. The big
// networks run under the label slow (tests/CMakeLists.txt).
#include <gtest/gtest.h>

#include "design/compile_design.h"
#include "fold/choose_folding.h"
#include "fold/device.h"
#include "fold/estimate_timeline.h"
#include "fold/folding_file.h"
#include "fold/lower_to_dataflow.h"
#include "io/bnn_pynq_importer.h"
#include "io/dataset.h"
#include "sim/compare_with_oracle.h"
#include "sim/cycle_simulator.h"
#include "sim/golden_model.h"
#include "sim/measure_timeline.h"
#include "test_support.h"
#include "zoo/generate_network.h"

namespace bnnc {
namespace {

std::int64_t simulated_latency(const DataflowGraph& design) {
  const std::optional<Timeline> t = measure_frame_timeline(design);
  EXPECT_TRUE(t.has_value());
  return t ? t->latency : 0;
}

// Searches `lowered` for `part` and compares with each hand-written folding (file names in
// foldings/), which must fit the part too.
void expect_search_beats_hand_written(const DataflowGraph& lowered, const std::string& part,
                                      const std::vector<std::string>& hand_written) {
  const Device& device = find_device(part);
  const DataflowGraph searched = apply_folding(
      lowered, choose_folding_for_latency(
                   lowered, {},
                   [](const DataflowGraph& design) {
                     const std::optional<Timeline> t = measure_frame_timeline(design);
                     return t ? std::optional<std::int64_t>(t->latency) : std::nullopt;
                   },
                   &device));
  EXPECT_EQ(device_overflow(usage_of(estimate_graph(searched, &device).total), device),
            std::nullopt);
  const std::int64_t latency = simulated_latency(searched);
  const auto estimate = static_cast<double>(estimate_timeline(searched).latency);
  EXPECT_NEAR(estimate / static_cast<double>(latency), 1.0, 0.05)
      << "estimate " << estimate << ", simulated " << latency;
  for (const std::string& name : hand_written) {
    const std::string path = std::string(BNNC_SOURCE_DIR) + "/foldings/" + name;
    const DataflowGraph hand = apply_folding(lowered, read_folding_file(path, lowered));
    EXPECT_EQ(device_overflow(usage_of(estimate_graph(hand, &device).total), device), std::nullopt)
        << name << " does not fit " << part;
    EXPECT_LE(latency, simulated_latency(hand)) << name;
  }
}

TEST(LatencySearch, CnvOnXc7z045BeatsHandWrittenFoldings) {
  BNNC_REQUIRE_EXTERNAL(folder, "bnn-pynq/params/cifar10/cnvW1A1");
  expect_search_beats_hand_written(
      lower_to_dataflow(import_bnn_pynq(folder, BnnPynqTopology::Cnv)), "xc7z045",
      {"cnv-w1a1-bnn-pynq.json", "cnv-w1a1-latency-mmv.json", "cnv-w1a1-latency-small.json",
       "cnv-w1a1-latency-search-best.json"});
}

// The search's CNV design takes several kernel taps a cycle on deep convs (SIMD 192 = 3 taps ×
// 64 channels on conv1 and conv2, 384 = 3 × 128 on conv4): the simulator gives the golden model's
// classes and scores on CIFAR-10 test images, and the design is faster than any without taps can
// be at conv1's 1,764 cycles (the level below it without taps, 1,008, costs +75 % synapses).
TEST(LatencySearch, CnvWithTapsOnDeepConvsMatchesTheGoldenModel) {
  BNNC_REQUIRE_EXTERNAL(folder, "bnn-pynq/params/cifar10/cnvW1A1");
  BNNC_REQUIRE_EXTERNAL(images, "cifar10/test_batch_first761.bin");
  const Graph graph = import_bnn_pynq(folder, BnnPynqTopology::Cnv);
  const DataflowGraph lowered = lower_to_dataflow(graph);
  const Folding folding = read_folding_file(
      std::string(BNNC_SOURCE_DIR) + "/foldings/cnv-w1a1-latency-search-best.json", lowered);
  int deep_tap_layers = 0;
  for (const LayerFolding& f : folding.layers) {
    const Block& b = lowered.blocks[static_cast<std::size_t>(lowered.find(f.name))];
    if (b.is_conv() && b.simd_channels() >= 64 && f.simd > b.simd_channels()) ++deep_tap_layers;
  }
  EXPECT_GE(deep_tap_layers, 2);
  FoldingRequest request;
  request.folding = folding;
  const Design design = compile_design(graph, request);
  const Dataset data = load_dataset(images.string());
  std::vector<std::span<const std::uint8_t>> frames;
  for (int i = 0; i < 8; ++i) frames.push_back(data.image(i));
  SimulationOptions options;
  options.fifo_depths = design.fifo_depths;
  const SimulationResult sim = simulate_dataflow(design.folded, frames, options);
  ASSERT_EQ(sim.labels.size(), frames.size());
  std::vector<Classification> golden;
  for (const auto& frame : frames) golden.push_back(run_golden(design.folded.ir, frame));
  EXPECT_EQ(compare_with_oracle(golden, sim.classifications(), {}).mismatches, 0);
  EXPECT_LT(sim.latency_cycles(), 2000);
}

TEST(LatencySearch, LfcOnXc7z045BeatsHandWrittenFoldings) {
  BNNC_REQUIRE_EXTERNAL(folder, "bnn-pynq/params/mnist/lfcW1A1");
  expect_search_beats_hand_written(
      lower_to_dataflow(import_bnn_pynq(folder, BnnPynqTopology::Lfc)), "xc7z045",
      {"lfc-w1a1-bnn-pynq.json", "lfc-w1a1-latency-input-stationary.json",
       "lfc-w1a1-latency-output-stationary.json"});
}

// Timing does not depend on the weights, so the networks are generated without calibration.
DataflowGraph generated(ReferenceNetwork network, int width_divisor) {
  GenerateOptions options;
  options.network = network;
  options.width_divisor = width_divisor;
  options.calibration_images = 0;
  return lower_to_dataflow(generate_network(options).graph);
}

// Label slow (17 s alone on 2 cores): registered by name in tests/CMakeLists.txt.
TEST(LatencySearchSlow, DISABLED_AlexNetOnXcvu9pBeatsHandWrittenFoldings) {
  expect_search_beats_hand_written(generated(ReferenceNetwork::AlexNet, 8), "xcvu9p",
                                   {"alexnet8-latency-mmv28.json", "alexnet8-latency-mmv56.json"});
  // alexnet-latency-mmv56.json no longer fits an xcvu9p now that bnn_pixel_group is costed as
  // Yosys measures it (its pool1 at MMV 56); the wide MMV 28 folding takes its place.
  expect_search_beats_hand_written(generated(ReferenceNetwork::AlexNet, 1), "xcvu9p",
                                   {"alexnet-latency-mmv28.json", "alexnet-latency-mmv28-wide.json",
                                    "alexnet-latency-search-best.json"});
}

// Label slow (about a minute alone on 2 cores): registered by name in tests/CMakeLists.txt.
// ResNet-18 as `bnnc generate resnet18` makes it (without shortcuts) against a folding with every
// layer at the 56×56 convs' 7,056 cycles and one with the stem at MMV 8 and the rest at or under
// its 10,976 (foldings/README.md), and the search's own design of 2026-12-06.
TEST(LatencySearchSlow, DISABLED_ResNet18OnXcvu9pBeatsHandWrittenFoldings) {
  expect_search_beats_hand_written(
      generated(ReferenceNetwork::ResNet18, 1), "xcvu9p",
      {"resnet18-latency-uniform.json", "resnet18-latency-stem-mmv8.json",
       "resnet18-latency-search-best.json"});
}

// Label slow (about 5 minutes alone on 2 cores): registered by name in tests/CMakeLists.txt.
// VGG-16 (`bnnc generate vgg16`) against a folding with every layer at or under 56,448 cycles, the
// same with its 14×14 convs twice as fast, and one with every layer at or under 37,632 (conv9 and
// conv10 at MMV 2: foldings/README.md).
TEST(LatencySearchSlow, DISABLED_Vgg16OnXcvu9pBeatsHandWrittenFoldings) {
  expect_search_beats_hand_written(
      generated(ReferenceNetwork::Vgg16, 1), "xcvu9p",
      {"vgg16-latency-uniform.json", "vgg16-latency-fast-tail.json", "vgg16-latency-mmv2.json"});
}

}  // namespace
}  // namespace bnnc
