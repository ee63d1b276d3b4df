// Pixel-parallel streams (docs/pixel-parallel.md) in the cycle simulator against the golden model:
// words of several pixels from the input on, MMV windows from the SWU, MMV output pixels from the
// MVTU, through padding, thresholding, max-pools and width converters, on random networks and on
// the strided large-kernel stems of AlexNet (11×11/4 on 3 channels) and ResNet (7×7/2).
#include <gtest/gtest.h>

#include <random>

#include "design/compile_design.h"
#include "fold/folding_file.h"
#include "fold/lower_to_dataflow.h"
#include "ir/infer_types.h"
#include "passes/streamline.h"
#include "random_folding.h"
#include "random_network.h"
#include "sim/compare_with_oracle.h"
#include "sim/cycle_simulator.h"
#include "sim/golden_model.h"

namespace bnnc {
namespace {

SimulationResult expect_matches_golden(const Design& design,
                                       const std::vector<std::vector<std::uint8_t>>& images,
                                       const std::string& what) {
  std::vector<std::span<const std::uint8_t>> frames(images.begin(), images.end());
  SimulationOptions options;
  options.fifo_depths = design.fifo_depths;
  const SimulationResult sim = simulate_dataflow(design.folded, frames, options);
  EXPECT_EQ(sim.labels.size(), frames.size()) << what;
  std::vector<Classification> golden;
  for (const auto& frame : frames) golden.push_back(run_golden(design.folded.ir, frame));
  const Comparison c = compare_with_oracle(golden, sim.classifications(), {});
  EXPECT_EQ(c.mismatches, 0) << what << ", first at frame " << c.first_mismatch;
  return sim;
}

// A threshold after layer x at values the layer takes on `image`: about half fire, some tie.
int add_threshold(Graph& g, int x, const std::vector<std::uint8_t>& image, std::mt19937_64& rng) {
  infer_types(g);
  const GoldenTensor y = run_golden_layers(g, image)[static_cast<std::size_t>(x)];
  const int rows = y.type.shape[2];
  const int positions = y.type.shape[0] * y.type.shape[1];
  ThresholdAttrs t{{}, 1, {}};
  for (int r = 0; r < rows; ++r) {
    const auto position = static_cast<int>(rng() % static_cast<unsigned>(positions));
    t.thresholds.push_back(y.values[static_cast<std::size_t>(position * rows + r)]);
  }
  return g.add(g.nodes[static_cast<std::size_t>(x)].name + ".thr", t, {x});
}

struct Layer {
  int rows, kernel, stride, pad;  // a conv; rows 0 = a max-pool kernel/stride
};

// An integer-only network over an h×w×3 uint8 image: the layers, then flatten → dense 10 → label.
test::RandomNetwork stem_network(std::uint64_t seed, int size, const std::vector<Layer>& layers) {
  std::mt19937_64 rng(seed);
  test::RandomNetwork net;
  for (int i = 0; i < 3; ++i) {
    std::vector<std::uint8_t> image(static_cast<std::size_t>(size * size * 3));
    for (auto& p : image) p = static_cast<std::uint8_t>(rng());
    net.images.push_back(std::move(image));
  }
  Graph& g = net.graph;
  g.name = "stem";
  int x = g.add("input", InputAttrs{{size, size, 3}, DType::uint(8)});
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const Layer& layer = layers[l];
    infer_types(g);
    const int channels = g.nodes[static_cast<std::size_t>(x)].type.shape[2];
    if (layer.rows == 0) {
      x = g.add("pool" + std::to_string(l), MaxPoolAttrs{layer.kernel, layer.stride, {}, 0}, {x});
      continue;
    }
    Conv2dAttrs conv{test::random_matrix(layer.rows, layer.kernel * layer.kernel * channels, rng),
                     layer.kernel, layer.stride, layer.pad, static_cast<std::int64_t>(l % 2)};
    if (l == 0) conv.pad_value = 0;  // raw pixel 0
    x = g.add("conv" + std::to_string(l), conv, {x});
    x = add_threshold(g, x, net.images[0], rng);
  }
  infer_types(g);
  const int elements = static_cast<int>(g.nodes[static_cast<std::size_t>(x)].type.elements());
  x = g.add("flatten", ReshapeAttrs{{elements}}, {x});
  x = g.add("fc", DenseAttrs{test::random_matrix(10, elements, rng)}, {x});
  g.add("label", LabelSelectAttrs{}, {x});
  infer_types(g);
  return net;
}

// AlexNet's stem (11×11/4 on 3 channels, pad 2) and a 3×3 and a 7×7/2 conv after a pool.
test::RandomNetwork alexnet_stem(std::uint64_t seed) {
  return stem_network(seed, 43, {{16, 11, 4, 2}, {0, 2, 2, 0}, {24, 3, 1, 1}, {16, 7, 2, 3}});
}

// ResNet's stem (7×7/2 pad 3), a 3×3/2 pool, a 3×3/2 and a 3×3 conv.
test::RandomNetwork resnet_stem(std::uint64_t seed) {
  return stem_network(seed, 30, {{8, 7, 2, 3}, {0, 3, 2, 0}, {16, 3, 2, 1}, {12, 3, 1, 1}});
}

TEST(PixelParallel, StemsWithRandomMmvFoldings) {
  std::mt19937_64 rng(20261203);
  int mmv_layers = 0, wide_inputs = 0;
  for (int k = 0; k < 24; ++k) {
    const test::RandomNetwork net = k % 2 == 0 ? alexnet_stem(100 + k) : resnet_stem(100 + k);
    const DataflowGraph lowered = lower_to_dataflow(net.graph);
    const Folding folding = test::random_pixel_folding(lowered, rng);
    for (const LayerFolding& f : folding.layers) mmv_layers += f.mmv > 1 ? 1 : 0;
    wide_inputs += folding.input_bits >= 48 ? 1 : 0;
    const Design design = compile_design(net.graph, FoldingRequest::given(folding));
    expect_matches_golden(design, net.images, fmt::format("stem {}, {}", k, folding_json(folding)));
    if (HasFailure()) return;
  }
  EXPECT_GE(mmv_layers, 24);  // else the draws no longer test MMV
  EXPECT_GE(wide_inputs, 6);
}

TEST(PixelParallel, RandomNetworksWithRandomMmvFoldings) {
  std::mt19937_64 rng(20261204);
  int mmv_layers = 0;
  for (std::uint64_t seed = 5000; seed < 5100; ++seed) {
    test::RandomNetworkOptions options;
    options.always_pad = seed % 2 == 0;
    const test::RandomNetwork net = test::random_network(seed, options);
    const Graph streamlined = streamline(net.graph);
    const DataflowGraph lowered = lower_to_dataflow(streamlined);
    const Folding folding = test::random_pixel_folding(lowered, rng);
    for (const LayerFolding& f : folding.layers) mmv_layers += f.mmv > 1 ? 1 : 0;
    const Design design = compile_design(streamlined, FoldingRequest::given(folding));
    expect_matches_golden(design, net.images,
                          fmt::format("seed {}, {}", seed, folding_json(folding)));
    if (HasFailure()) return;
  }
  EXPECT_GE(mmv_layers, 30);
}

// The first conv on 3 channels can go faster only by MMV: with every other layer fully parallel,
// MMV m divides its cycles by m, and the measured latency follows.
TEST(PixelParallel, MmvSpeedsUpAThreeChannelFirstConv) {
  const test::RandomNetwork net = alexnet_stem(7);
  const DataflowGraph lowered = lower_to_dataflow(net.graph);
  std::vector<std::int64_t> latency;
  for (int mmv : {1, 2, 5, 10}) {
    Folding folding;
    for (int i : lowered.mvtus()) {
      const Block& b = lowered.blocks[static_cast<std::size_t>(i)];
      folding.layers.push_back({b.name, b.mh, b.simd_channels(), b.name == "conv0" ? mmv : 1});
    }
    folding.input_bits = 512;
    const Design design = compile_design(net.graph, FoldingRequest::given(folding));
    const SimulationResult sim =
        expect_matches_golden(design, net.images, fmt::format("conv0 MMV {}", mmv));
    latency.push_back(sim.latency_cycles());
  }
  // conv0: 10×10 pixels × 121 taps = 12,100 cycles at MMV 1.
  EXPECT_GT(latency[0], 12100);
  EXPECT_LT(latency[1], latency[0] * 6 / 10);
  EXPECT_LT(latency[2], latency[1] * 6 / 10);
  EXPECT_LT(latency[3], latency[2]);
}

// The analytic timeline (estimate_timeline) against the measured one on AlexNet/8's front (224×224
// input, conv1 11×11/4 pad 4 → 56×56×8, pool, conv2 5×5 pad 2 → 24, pool, conv3 3×3 → 48) with
// MMV on conv1 (and conv2 where conv1 would otherwise wait for it).
TEST(PixelParallel, EstimatedLatencyFollowsTheSimulatedOneWithMmv) {
  const test::RandomNetwork net = stem_network(
      11, 224, {{8, 11, 4, 4}, {0, 2, 2, 0}, {24, 5, 1, 2}, {0, 2, 2, 0}, {48, 3, 1, 1}});
  const DataflowGraph lowered = lower_to_dataflow(net.graph);
  for (int mmv : {4, 14, 28}) {
    Folding folding;
    for (int i : lowered.mvtus()) {
      const Block& b = lowered.blocks[static_cast<std::size_t>(i)];
      const int m = b.name == "conv0" ? mmv : b.name == "conv2" && mmv > 4 ? 2 : 1;
      folding.layers.push_back({b.name, b.mh, b.simd_channels(), m});
    }
    folding.input_bits = 512;
    const Design design = compile_design(net.graph, FoldingRequest::given(folding));
    ASSERT_TRUE(design.timeline_simulated.has_value());
    const auto simulated = static_cast<double>(design.timeline_simulated->latency);
    EXPECT_NEAR(static_cast<double>(design.timeline_estimate.latency), simulated, 0.02 * simulated)
        << "conv0 MMV " << mmv;
  }
}

// SIMD over kernel taps (SIMD = t·C, t dividing K²): the SWU writes t taps of a window a word.
// Random t on the stems' convs (11×11/4, 7×7/2, 3×3, 3×3/2, with and without MMV and padding)
// and on random networks (zero padding included).
TEST(PixelParallel, SimdOverKernelTapsOnStemsAndRandomNetworks) {
  std::mt19937_64 rng(20261205);
  int tap_layers = 0, with_mmv = 0;
  const auto count = [&](const Folding& folding, const DataflowGraph& lowered) {
    for (const LayerFolding& f : folding.layers) {
      const Block& b = lowered.blocks[static_cast<std::size_t>(lowered.find(f.name))];
      if (b.is_conv() && f.simd > b.simd_channels()) {
        ++tap_layers;
        with_mmv += f.mmv > 1 ? 1 : 0;
      }
    }
  };
  for (int k = 0; k < 8; ++k) {
    const test::RandomNetwork net = k % 2 == 0 ? alexnet_stem(200 + k) : resnet_stem(200 + k);
    const DataflowGraph lowered = lower_to_dataflow(net.graph);
    const Folding folding = test::random_taps_folding(lowered, rng);
    count(folding, lowered);
    const Design design = compile_design(net.graph, FoldingRequest::given(folding));
    expect_matches_golden(design, net.images, fmt::format("stem {}, {}", k, folding_json(folding)));
    if (HasFailure()) return;
  }
  for (std::uint64_t seed = 6000; seed < 6040; ++seed) {
    test::RandomNetworkOptions options;
    options.always_pad = seed % 2 == 0;
    const test::RandomNetwork net = test::random_network(seed, options);
    const Graph streamlined = streamline(net.graph);
    const DataflowGraph lowered = lower_to_dataflow(streamlined);
    const Folding folding = test::random_taps_folding(lowered, rng);
    count(folding, lowered);
    const Design design = compile_design(streamlined, FoldingRequest::given(folding));
    expect_matches_golden(design, net.images,
                          fmt::format("seed {}, {}", seed, folding_json(folding)));
    if (HasFailure()) return;
  }
  EXPECT_GE(tap_layers, 30);  // else the draws no longer test taps
  EXPECT_GE(with_mmv, 10);
}

// A 3-channel 11×11/4 first conv at PE = rows, MMV 2: SIMD 3 → 33 (a kernel row a cycle) → 363
// (the whole window) divides its cycles by 11 and 121, and the measured latency follows; the
// analytic one stays within 5 % of it.
TEST(PixelParallel, SimdOverTapsSpeedsUpAThreeChannelFirstConv) {
  const test::RandomNetwork net =
      stem_network(13, 91, {{16, 11, 4, 2}, {0, 2, 2, 0}, {24, 3, 1, 1}});
  const DataflowGraph lowered = lower_to_dataflow(net.graph);
  std::vector<std::int64_t> latency;
  for (int simd : {3, 33, 363}) {
    Folding folding;
    for (int i : lowered.mvtus()) {
      const Block& b = lowered.blocks[static_cast<std::size_t>(i)];
      const bool first = b.name == "conv0";
      folding.layers.push_back({b.name, b.mh, first ? simd : b.simd_channels(), first ? 2 : 1});
    }
    folding.input_bits = 512;
    const Design design = compile_design(net.graph, FoldingRequest::given(folding));
    const SimulationResult sim =
        expect_matches_golden(design, net.images, fmt::format("conv0 SIMD {}", simd));
    latency.push_back(sim.latency_cycles());
    ASSERT_TRUE(design.timeline_simulated.has_value());
    const auto simulated = static_cast<double>(design.timeline_simulated->latency);
    EXPECT_NEAR(static_cast<double>(design.timeline_estimate.latency), simulated, 0.05 * simulated)
        << "conv0 SIMD " << simd;
  }
  // conv0: 22×22 pixels × 121 taps / MMV 2 = 29,282 cycles at SIMD 3.
  EXPECT_GT(latency[0], 29282);
  EXPECT_LT(latency[1], latency[0] / 5);
  EXPECT_LT(latency[2], latency[1]);
}

}  // namespace
}  // namespace bnnc
