// BNN-PYNQ's trained LFC-W1A1 and CNV-W1A1, imported and run in the golden model, must give the
// figures of an independent re-implementation bit for bit (DESIGN.md §5).
#include <gtest/gtest.h>

#include <exception>
#include <thread>

#include "io/bnn_pynq_importer.h"
#include "io/dataset.h"
#include "io/model_file.h"
#include "ir/graph_stats.h"
#include "ir/print_graph.h"
#include "sim/golden_model.h"
#include "test_support.h"

namespace bnnc {
namespace {

// Correctly classified images, the images split over two threads.
int count_correct(const Graph& graph, const Dataset& data) {
  EXPECT_EQ(static_cast<int>(data.labels.size()), data.count);
  constexpr int kThreads = 2;
  std::vector<int> correct(kThreads, 0);
  std::vector<std::exception_ptr> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      try {
        const int begin = data.count * t / kThreads;
        const int end = data.count * (t + 1) / kThreads;
        for (int i = begin; i < end; ++i) {
          if (run_golden(graph, data.image(i)).label == data.labels[i]) ++correct[t];
        }
      } catch (...) {
        errors[t] = std::current_exception();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const std::exception_ptr& error : errors) {
    if (error) std::rethrow_exception(error);
  }
  return correct[0] + correct[1];
}

// BNN-PYNQ pads rows with the threshold 32767 (never fires); the importer drops those rows, so
// no kept threshold may be the converted padding value 32768.
void expect_no_padding_thresholds(const Graph& graph) {
  for (const Node& node : graph.nodes) {
    if (node.op() == Op::Threshold) {
      for (std::int64_t t : node.as<ThresholdAttrs>().thresholds) EXPECT_LT(t, 32768) << node.name;
    }
    if (node.op() == Op::LabelSelect) {
      for (std::int64_t b : node.as<LabelSelectAttrs>().bias) EXPECT_GT(b, -32768) << node.name;
    }
  }
}

// Saving and loading keeps the graph and its answers.
void expect_model_file_round_trip(const Graph& graph, const std::string& name,
                                  std::span<const std::uint8_t> image) {
  const std::string path =
      (test::temp_dir("bnn_pynq_model_file_" + name) / (name + ".bnnc")).string();
  save_model(graph, path);
  const Graph loaded = load_model(path);
  EXPECT_EQ(print_graph(loaded), print_graph(graph));
  EXPECT_EQ(run_golden(loaded, image).scores, run_golden(graph, image).scores);
}

TEST(BnnPynqLfc, GraphShape) {
  BNNC_REQUIRE_EXTERNAL(folder, "bnn-pynq/params/mnist/lfcW1A1");
  const Graph graph = import_bnn_pynq(folder.string(), BnnPynqTopology::Lfc);
  const GraphStats stats = graph_stats(graph);
  EXPECT_EQ(stats.compute_layers, 4);
  // 784·1024 + 2·1024·1024 + 1024·10 MACs, two ops each: the 5.82 M of the FINN paper.
  EXPECT_EQ(stats.ops, 2 * (784 * 1024 + 2 * 1024 * 1024 + 1024 * 10));
  EXPECT_NEAR(static_cast<double>(stats.ops), 5.82e6, 0.01e6);
  EXPECT_EQ(graph.classes.size(), 10U);
  EXPECT_EQ(graph.classes[3], "3");
  EXPECT_EQ(graph.nodes.back().op(), Op::LabelSelect);
  expect_no_padding_thresholds(graph);
}

TEST(BnnPynqLfc, TestImageIsThree) {
  BNNC_REQUIRE_EXTERNAL(folder, "bnn-pynq/params/mnist/lfcW1A1");
  BNNC_REQUIRE_EXTERNAL(image, "bnn-pynq/test_image/3.image-idx3-ubyte");
  const Graph graph = import_bnn_pynq(folder.string(), BnnPynqTopology::Lfc);
  const Dataset data = load_dataset(image.string());
  ASSERT_EQ(data.count, 1);
  EXPECT_EQ(run_golden(graph, data.image(0)).label, 3);
  expect_model_file_round_trip(graph, "lfc", data.image(0));
}

TEST(BnnPynqLfc, MnistT10kAccuracy) {
  BNNC_REQUIRE_EXTERNAL(folder, "bnn-pynq/params/mnist/lfcW1A1");
  BNNC_REQUIRE_EXTERNAL(images, "mnist/t10k-images-idx3-ubyte.gz");
  const Graph graph = import_bnn_pynq(folder.string(), BnnPynqTopology::Lfc);
  const Dataset data = load_dataset(images.string());
  ASSERT_EQ(data.count, 10000);
  EXPECT_EQ(count_correct(graph, data), 9834);
}

TEST(BnnPynqCnv, GraphShape) {
  BNNC_REQUIRE_EXTERNAL(folder, "bnn-pynq/params/cifar10/cnvW1A1");
  const Graph graph = import_bnn_pynq(folder.string(), BnnPynqTopology::Cnv);
  const GraphStats stats = graph_stats(graph);
  EXPECT_EQ(stats.compute_layers, 9);
  // Conv MACs 27·64·30² + 576·64·28² + 576·128·12² + 1152·128·10² + 1152·256·3² + 2304·256,
  // FC 256·512 + 512·512 + 512·10; two ops each.
  EXPECT_EQ(stats.ops, 2 * (27 * 64 * 900 + 576 * 64 * 784 + 576 * 128 * 144 + 1152 * 128 * 100 +
                            1152 * 256 * 9 + 2304 * 256 + 256 * 512 + 512 * 512 + 512 * 10));
  EXPECT_GE(stats.ops, 118'500'000);
  EXPECT_LE(stats.ops, 119'500'000);
  EXPECT_EQ(graph.classes.size(), 10U);
  EXPECT_EQ(graph.classes[4], "Deer");
  expect_no_padding_thresholds(graph);
}

TEST(BnnPynqCnv, DeerIsFour) {
  BNNC_REQUIRE_EXTERNAL(folder, "bnn-pynq/params/cifar10/cnvW1A1");
  BNNC_REQUIRE_EXTERNAL(image, "bnn-pynq/test_image/deer.bin");
  const Graph graph = import_bnn_pynq(folder.string(), BnnPynqTopology::Cnv);
  const Dataset data = load_dataset(image.string());
  ASSERT_EQ(data.count, 1);
  EXPECT_EQ(run_golden(graph, data.image(0)).label, 4);
  expect_model_file_round_trip(graph, "cnv", data.image(0));
}

TEST(BnnPynqCnv, TestImageZeroScores) {
  BNNC_REQUIRE_EXTERNAL(folder, "bnn-pynq/params/cifar10/cnvW1A1");
  BNNC_REQUIRE_EXTERNAL(images, "cifar10/test_batch_first761.bin");
  const Graph graph = import_bnn_pynq(folder.string(), BnnPynqTopology::Cnv);
  const Dataset data = load_dataset(images.string());
  const Classification result = run_golden(graph, data.image(0));
  EXPECT_EQ(result.scores,
            (std::vector<std::int64_t>{241, 240, 250, 413, 245, 258, 247, 251, 231, 242}));
  EXPECT_EQ(result.label, 3);
}

TEST(BnnPynqCnv, Cifar10First761Accuracy) {
  BNNC_REQUIRE_EXTERNAL(folder, "bnn-pynq/params/cifar10/cnvW1A1");
  BNNC_REQUIRE_EXTERNAL(images, "cifar10/test_batch_first761.bin");
  const Graph graph = import_bnn_pynq(folder.string(), BnnPynqTopology::Cnv);
  const Dataset data = load_dataset(images.string());
  ASSERT_EQ(data.count, 761);
  EXPECT_EQ(count_correct(graph, data), 615);
}

}  // namespace
}  // namespace bnnc
