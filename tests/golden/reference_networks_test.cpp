// The generated reference networks (src/zoo): shapes and MACs as LP-BNN's group gives them, the
// same bytes from the same seed, hidden layers that fire about half the time on unseen images,
// and the CPU engine bit-exact with the golden model on the width/8 versions.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "io/model_file.h"
#include "ir/graph_stats.h"
#include "ir/infer_types.h"
#include "ir/print_graph.h"
#include "runtime/cpu_engine.h"
#include "sim/golden_model.h"
#include "test_support.h"
#include "zoo/generate_network.h"
#include "zoo/random_images.h"

namespace bnnc {
namespace {

std::vector<char> file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

GeneratedNetwork generate(ReferenceNetwork network, int width_divisor, int calibration_images,
                          std::uint64_t seed = 1, int threads = 2) {
  GenerateOptions options;
  options.network = network;
  options.width_divisor = width_divisor;
  options.calibration_images = calibration_images;
  options.seed = seed;
  options.threads = threads;
  return generate_network(options);
}

// Output shape (H, W, C) of every conv and dense layer, in order.
std::vector<Shape> compute_shapes(const Graph& graph) {
  std::vector<Shape> shapes;
  for (const Node& node : graph.nodes) {
    if (node.op() == Op::Conv2d || node.op() == Op::Dense) shapes.push_back(node.type.shape);
  }
  return shapes;
}

TEST(ReferenceNetworks, SameSeedSameModelBytes) {
  const std::filesystem::path dir = test::temp_dir("reference_networks_seed");
  // Thread count of the calibration must not matter.
  save_model(generate(ReferenceNetwork::AlexNet, 8, 4, 7, 1).graph, (dir / "a.bnnc").string());
  save_model(generate(ReferenceNetwork::AlexNet, 8, 4, 7, 2).graph, (dir / "b.bnnc").string());
  save_model(generate(ReferenceNetwork::AlexNet, 8, 4, 8, 2).graph, (dir / "c.bnnc").string());
  const auto a = file_bytes((dir / "a.bnnc").string());
  EXPECT_GT(a.size(), 200000U);
  EXPECT_EQ(a, file_bytes((dir / "b.bnnc").string()));
  EXPECT_NE(a, file_bytes((dir / "c.bnnc").string()));
  EXPECT_EQ(random_images(5, 2, {224, 224, 3}), random_images(5, 2, {224, 224, 3}));
  EXPECT_NE(random_images(5, 2, {224, 224, 3}), random_images(6, 2, {224, 224, 3}));
}

// The full-width nets, uncalibrated (their shapes and costs do not depend on the thresholds).
// MACs from the shapes: Σ H·W·C_out·K·K·C_in over the convs plus Σ rows·cols.
TEST(ReferenceNetworks, FullWidthShapesAndMacs) {
  const Graph alexnet = generate(ReferenceNetwork::AlexNet, 1, 0).graph;
  EXPECT_EQ(compute_shapes(alexnet), (std::vector<Shape>{{56, 56, 64},
                                                         {28, 28, 192},
                                                         {14, 14, 384},
                                                         {14, 14, 256},
                                                         {14, 14, 256},
                                                         {4096},
                                                         {4096},
                                                         {1000}}));
  // 56²·64·363 + 28²·192·1600 + 14²·384·1728 + 14²·256·3456 + 14²·256·2304
  //   + 12544·4096 + 4096² + 4096·1000
  EXPECT_EQ(graph_stats(alexnet).macs, 805023744);  // 0.805 G

  const Graph vgg = generate(ReferenceNetwork::Vgg16, 1, 0).graph;
  const std::vector<Shape> vgg_shapes = compute_shapes(vgg);
  ASSERT_EQ(vgg_shapes.size(), 16U);
  EXPECT_EQ(vgg_shapes[0], (Shape{224, 224, 64}));
  EXPECT_EQ(vgg_shapes[12], (Shape{14, 14, 512}));
  EXPECT_EQ(vgg.nodes[static_cast<std::size_t>(vgg.find("fc1"))].as<DenseAttrs>().weights.cols(),
            25088);
  EXPECT_EQ(graph_stats(vgg).macs, 15470264320);  // 15.5 G
  EXPECT_EQ(graph_stats(vgg).weight_bits, 138344128);

  const Graph resnet = generate(ReferenceNetwork::ResNet18, 1, 0).graph;
  const std::vector<Shape> res_shapes = compute_shapes(resnet);
  ASSERT_EQ(res_shapes.size(), 18U);
  EXPECT_EQ(res_shapes[0], (Shape{112, 112, 64}));
  EXPECT_EQ(resnet.nodes[static_cast<std::size_t>(resnet.find("pool1"))].type.shape,
            (Shape{56, 56, 64}));
  EXPECT_EQ(res_shapes[16], (Shape{7, 7, 512}));
  EXPECT_EQ(res_shapes[17], (Shape{1000}));
  EXPECT_EQ(resnet.name, "resnet18-no-shortcuts");
  // 112²·64·147 + 4·56²·64·576 + 28²·128·(576 + 3·1152) + 14²·256·(1152 + 3·2304)
  //   + 7²·512·(2304 + 3·4608) + 512·1000
  EXPECT_EQ(graph_stats(resnet).macs, 1794805760);
}

TEST(ReferenceNetworks, WidthDivisorDividesHiddenWidthsOnly) {
  const Graph alexnet = generate(ReferenceNetwork::AlexNet, 8, 0).graph;
  EXPECT_EQ(compute_shapes(alexnet), (std::vector<Shape>{{56, 56, 8},
                                                         {28, 28, 24},
                                                         {14, 14, 48},
                                                         {14, 14, 32},
                                                         {14, 14, 32},
                                                         {512},
                                                         {512},
                                                         {1000}}));
  EXPECT_EQ(alexnet.nodes[0].type.shape, (Shape{224, 224, 3}));
  EXPECT_EQ(
      alexnet.nodes[static_cast<std::size_t>(alexnet.find("fc1"))].as<DenseAttrs>().weights.cols(),
      1568);
  try {
    generate(ReferenceNetwork::AlexNet, 7, 0);
    ADD_FAILURE() << "width divisor 7 accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--width-divisor 7 does not divide"), std::string::npos)
        << e.what();
  }
}

// Every hidden layer fires on a fair share of its outputs, also on images the batch-norms were
// not fit to, and the CPU engine gives the golden model's scores. (At width/8 a layer of few
// synapses after an OR pool has popcounts piled on few values, so the median may split them
// 30/70: ResNet's conv2 does.)
TEST(ReferenceNetworks, Width8GoldenEqualsCpuEngineAndLayersFire) {
  for (ReferenceNetwork network :
       {ReferenceNetwork::AlexNet, ReferenceNetwork::Vgg16, ReferenceNetwork::ResNet18}) {
    const GeneratedNetwork generated = generate(network, 8, 8);
    const Graph& graph = generated.graph;
    SCOPED_TRACE(graph.name);
    for (const LayerFiring& layer : generated.firing) {
      EXPECT_NEAR(layer.fraction, 0.5, 0.25) << layer.name;
      EXPECT_LE(layer.constant_channels, layer.channels / 8) << layer.name;
    }
    constexpr int kImages = 3;
    const std::vector<std::uint8_t> images =
        random_images(test_images_seed(1), kImages, graph.nodes[0].type.shape);
    const std::size_t size = images.size() / kImages;
    const runtime::CpuEngine engine(graph);
    std::vector<Classification> got(kImages);
    engine.classify(images.data(), kImages, got.data(), 2);
    // And batch 1 on one member (AlexNet/8's and VGG-16/8's wide dense layers in the input-major
    // layout on AVX-512).
    std::vector<Classification> got_one(kImages);
    {
      runtime::Team team(1);
      runtime::Workspace ws = engine.make_workspace();
      for (int i = 0; i < kImages; ++i) {
        engine.classify_team(images.data() + i * size, 1, &got_one[i], team, ws);
      }
    }
    std::vector<int> labels;
    for (int i = 0; i < kImages; ++i) {
      const auto layers = run_golden_layers(graph, {images.data() + i * size, size});
      for (std::size_t k = 0; k < graph.nodes.size(); ++k) {
        if (graph.nodes[k].op() != Op::Threshold) continue;
        double ones = 0;
        for (std::int64_t v : layers[k].values) ones += static_cast<double>(v);
        EXPECT_NEAR(ones / static_cast<double>(layers[k].values.size()), 0.5, 0.3)
            << graph.nodes[k].name << " image " << i;
      }
      const Classification want = run_golden(graph, {images.data() + i * size, size});
      EXPECT_EQ(got[i].label, want.label) << "image " << i;
      EXPECT_EQ(got[i].scores, want.scores) << "image " << i;
      EXPECT_EQ(got_one[i].scores, want.scores) << "batch 1, image " << i;
      labels.push_back(want.label);
    }
    // Different images, different classes: the network does not collapse to one answer.
    EXPECT_FALSE(labels[0] == labels[1] && labels[1] == labels[2]);
  }
}

// AlexNet/8 with its dense layers on tiles of frames behind the frame-by-frame convs (forced: at
// width/8 they hold 200 KB, below the size where the engine does it by itself) equals the
// golden model on a partial tile, on one thread and two.
TEST(ReferenceNetworks, Width8AlexNetDenseTailEqualsGolden) {
  const Graph graph = generate(ReferenceNetwork::AlexNet, 8, 4).graph;
  constexpr int kImages = 5;
  const std::vector<std::uint8_t> images =
      random_images(test_images_seed(2), kImages, graph.nodes[0].type.shape);
  const std::size_t size = images.size() / kImages;
  runtime::CpuEngineOptions options;
  options.dense_tail_weight_bytes = 0;
  const runtime::CpuEngine engine(graph, runtime::select_isa(), options);
  ASSERT_GT(engine.dense_tail_begin(), 0u);
  // The pool after conv5 and the three dense layers.
  EXPECT_EQ(runtime::header(engine.plan().steps[engine.dense_tail_begin()]).name, "pool3");
  for (int threads : {1, 2}) {
    std::vector<Classification> got(kImages);
    engine.classify(images.data(), kImages, got.data(), threads);
    for (int i = 0; i < kImages; ++i) {
      const Classification want = run_golden(graph, {images.data() + i * size, size});
      EXPECT_EQ(got[i].label, want.label) << threads << " threads, image " << i;
      EXPECT_EQ(got[i].scores, want.scores) << threads << " threads, image " << i;
    }
  }
}

// 3×3/2 pad 1 on negative integers: a pad that took part as 0 would win every border window.
TEST(GoldenModel, PaddedMaxPoolPadNeverWins) {
  Graph g;
  int x = g.add("input", InputAttrs{{4, 4, 1}, DType::uint(8)});
  QuantizeAttrs q;
  for (int p = 0; p < 256; ++p) q.table.push_back(-p);
  q.dtype = DType::sint(9);
  x = g.add("neg", q, {x});
  x = g.add("pool", MaxPoolAttrs{3, 2, {}, 1}, {x});
  infer_types(g);
  EXPECT_EQ(g.nodes[2].type.shape, (Shape{2, 2, 1}));
  const std::vector<std::uint8_t> image = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  const auto layers = run_golden_layers(g, image);
  // Windows rows/cols {0,1}, {1,2,3}: max of −pixel is −(smallest pixel in the window).
  EXPECT_EQ(layers[2].values, (std::vector<std::int64_t>{-1, -2, -5, -6}));
}

TEST(GoldenModel, GlobalSumPoolOnBitsIsTheSignedSum) {
  Graph g;
  int x = g.add("input", InputAttrs{{2, 2, 2}, DType::uint(8)});
  x = g.add("bin", ThresholdAttrs{{128, 128}, 1, {}}, {x});
  x = g.add("gap", GlobalSumPoolAttrs{}, {x});
  infer_types(g);
  EXPECT_EQ(to_string(g.nodes[2].type), "int4[2]");
  // Channel 0: three +1, one −1 → 2; channel 1: all −1 → −4.
  const auto layers = run_golden_layers(g, std::vector<std::uint8_t>{200, 0, 200, 0, 0, 0, 200, 5});
  EXPECT_EQ(layers[2].values, (std::vector<std::int64_t>{2, -4}));
}

}  // namespace
}  // namespace bnnc
