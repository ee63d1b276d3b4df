// bnnc export → bnnc import on random streamlined networks: every layer kind the exporter writes
// (zero-padded convs, Pads of −1/+1 and of fixed-point values, AND max-pools, negated thresholds
// on pixels, popcounts and fixed point) comes back to the same classes and scores.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <random>

#include "io/onnx_exporter.h"
#include "io/onnx_importer.h"
#include "ir/infer_types.h"
#include "ir/print_graph.h"
#include "passes/streamline.h"
#include "random_network.h"
#include "sim/golden_model.h"
#include "test_support.h"

namespace bnnc {
namespace {

std::uint64_t base_seed() {
  const char* env = std::getenv("BNNC_TEST_SEED");
  return env != nullptr ? std::strtoull(env, nullptr, 10) : 20261122;
}

// A per-element threshold on the flatten of an image with several channels and pixels: ONNX
// flattens C×H×W, bnnc H×W×C, and the importer does not yet reorder per-element constants after
// such a flatten (README, ONNX: not yet). Those networks are left out and counted.
bool thresholds_a_chw_flatten(const Graph& graph) {
  for (const Node& node : graph.nodes) {
    if (node.op() != Op::Threshold) continue;
    const Node& in = graph.nodes[node.inputs[0]];
    if (in.op() != Op::Reshape) continue;
    const Shape& from = graph.nodes[in.inputs[0]].type.shape;
    if (from.size() == 3 && from[2] > 1 && from[0] * from[1] > 1) return true;
  }
  return false;
}

TEST(OnnxExport, RandomNetworksRoundTripToTheSameScores) {
  const std::filesystem::path dir = test::temp_dir("onnx_export_random");
  int zero_padded = 0, value_padded = 0, and_pools = 0, negated = 0, skipped = 0;
  constexpr int kNetworks = 200;
  for (int n = 0; n < kNetworks; ++n) {
    const std::uint64_t seed = base_seed() + 5000 + static_cast<std::uint64_t>(n);
    const test::RandomNetwork net = test::random_network(seed);
    const Graph graph = streamline(net.graph);
    if (thresholds_a_chw_flatten(graph)) {
      ++skipped;
      continue;
    }
    for (const Node& node : graph.nodes) {
      if (node.op() == Op::Conv2d) {
        const auto& a = node.as<Conv2dAttrs>();
        zero_padded += a.zero_padded();
        value_padded += a.pad > 0 && !a.zero_padded();
      }
      if (node.op() == Op::MaxPool) and_pools += !node.as<MaxPoolAttrs>().min_channels.empty();
      if (node.op() == Op::Threshold) negated += !node.as<ThresholdAttrs>().negate.empty();
    }
    const std::string path = (dir / ("net" + std::to_string(n) + ".onnx")).string();
    Graph back;
    try {
      export_onnx(graph, path);
      back = streamline(import_onnx(path));
    } catch (const Error& e) {
      FAIL() << "seed " << seed << ": " << e.what() << "\n" << print_graph(graph);
    }
    for (std::size_t i = 0; i < net.images.size(); ++i) {
      const Classification want = run_golden(graph, net.images[i]);
      const Classification got = run_golden(back, net.images[i]);
      ASSERT_EQ(got.label, want.label) << "seed " << seed << " image " << i << "\n"
                                       << print_graph(graph) << print_graph(back);
      ASSERT_EQ(got.scores, want.scores) << "seed " << seed << " image " << i;
    }
  }
  std::printf(
      "networks %d (left out %d): zero-padded convs %d, value-padded convs %d, pools with AND "
      "channels %d, thresholds with negate flags %d\n",
      kNetworks, skipped, zero_padded, value_padded, and_pools, negated);
  EXPECT_LT(skipped, kNetworks / 4);
  EXPECT_GT(zero_padded, 20);
  EXPECT_GT(value_padded, 20);
  EXPECT_GT(and_pools, 10);
  EXPECT_GT(negated, 50);
}

// Hand-made: thresholds with negate flags right before pools with AND channels (the streamliner
// negates weight rows instead wherever it can, so random networks rarely hold both), on every
// pad mode of a conv.
TEST(OnnxExport, NegatedThresholdsBeforeAndPoolsRoundTrip) {
  std::mt19937_64 rng(base_seed() + 7);
  const std::filesystem::path dir = test::temp_dir("onnx_export_and_pools");
  const auto random_matrix = [&](int rows, int cols) {
    BinaryMatrix m(rows, cols);
    for (int r = 0; r < rows; ++r) {
      for (int c = 0; c < cols; ++c) m.set(r, c, (rng() & 1) != 0);
    }
    return m;
  };
  for (int variant = 0; variant < 6; ++variant) {
    const int h = 7, w = 6, channels = 3, out_c = 12, kernel = 3;
    Graph graph;
    graph.name = "and_pools";
    int x = graph.add("input", InputAttrs{{h, w, channels}, DType::uint(8)});
    ThresholdAttrs bin;
    for (int c = 0; c < channels; ++c) {
      bin.thresholds.push_back(static_cast<std::int64_t>(rng() % 256));
      bin.negate.push_back(static_cast<std::uint8_t>(rng() & 1));
    }
    x = graph.add("binarize", bin, {x});
    Conv2dAttrs conv{random_matrix(out_c, kernel * kernel * channels),
                     kernel,
                     1 + variant % 2,
                     variant / 2 > 0 ? 1 : 0,
                     variant / 2 == 1 ? 1 : 0,
                     variant / 2 == 2 ? PadMode::Zero : PadMode::Value};
    x = graph.add("conv", conv, {x});
    ThresholdAttrs thr;
    MaxPoolAttrs pool;
    for (int c = 0; c < out_c; ++c) {
      thr.thresholds.push_back(static_cast<std::int64_t>(rng() % 21) - 6);
      thr.negate.push_back(static_cast<std::uint8_t>(rng() & 1));
      pool.min_channels.push_back(static_cast<std::uint8_t>(rng() & 1));
    }
    x = graph.add("thr", thr, {x});
    x = graph.add("pool", pool, {x});
    infer_types(graph);
    const int flat = static_cast<int>(graph.nodes[x].type.elements());
    x = graph.add("flatten", ReshapeAttrs{{flat}}, {x});
    x = graph.add("fc", DenseAttrs{random_matrix(10, flat)}, {x});
    graph.add("label", LabelSelectAttrs{}, {x});
    infer_types(graph);
    const std::string path = (dir / ("v" + std::to_string(variant) + ".onnx")).string();
    export_onnx(graph, path);
    const Graph back = streamline(import_onnx(path));
    for (int i = 0; i < 20; ++i) {
      std::vector<std::uint8_t> image(static_cast<std::size_t>(h) * w * channels);
      for (auto& v : image) v = static_cast<std::uint8_t>(rng());
      ASSERT_EQ(run_golden(back, image).scores, run_golden(graph, image).scores)
          << "variant " << variant << " image " << i << "\n"
          << print_graph(graph) << print_graph(back);
    }
  }
}

}  // namespace
}  // namespace bnnc
