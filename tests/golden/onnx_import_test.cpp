// ONNX models from QONNX's model zoo and FINN, imported and run in the golden model, must give
// the figures of an independent numpy interpreter (DESIGN.md §5).
#include <gtest/gtest.h>

#include "io/bnn_pynq_importer.h"
#include "io/dataset.h"
#include "io/onnx_exporter.h"
#include "io/onnx_importer.h"
#include "ir/graph_stats.h"
#include "passes/streamline.h"
#include "sim/golden_model.h"
#include "test_support.h"

namespace bnnc {
namespace {

int count_correct(const Graph& graph, const Dataset& data) {
  int correct = 0;
  for (int i = 0; i < data.count; ++i) {
    if (run_golden(graph, data.image(i)).label == data.labels[i]) ++correct;
  }
  return correct;
}

void expect_integer_only(const Graph& graph) {
  for (const Node& node : graph.nodes) {
    EXPECT_FALSE(node.type.dtype.is_float()) << node.name << " is " << op_name(node.op());
  }
}

TEST(OnnxImport, QonnxTfcOnMnist) {
  BNNC_REQUIRE_EXTERNAL(model, "onnx/qonnx_model_zoo/TFC_1W1A.onnx");
  BNNC_REQUIRE_EXTERNAL(images, "mnist/t10k-images-idx3-ubyte.gz");
  const Graph graph = streamline(import_onnx(model.string()));
  expect_integer_only(graph);
  EXPECT_EQ(graph_stats(graph).compute_layers, 4);
  EXPECT_EQ(count_correct(graph, load_dataset(images.string())), 9296);
}

TEST(OnnxImport, FinnTfcOnItsVectorsAndMnist) {
  BNNC_REQUIRE_EXTERNAL(model, "onnx/finn/tfc-w1a1_finn-onnx.onnx");
  BNNC_REQUIRE_EXTERNAL(input, "onnx/finn/tfc-w1a1_input.npy");
  BNNC_REQUIRE_EXTERNAL(images, "mnist/t10k-images-idx3-ubyte.gz");
  const Graph graph = streamline(import_onnx(model.string()));
  expect_integer_only(graph);
  const Dataset vectors = load_dataset(input.string());
  ASSERT_EQ(vectors.count, 4);
  const int expected[] = {7, 2, 1, 0};
  for (int i = 0; i < 4; ++i) EXPECT_EQ(run_golden(graph, vectors.image(i)).label, expected[i]);
  EXPECT_EQ(count_correct(graph, load_dataset(images.string())), 9296);
}

// The multi-bit zoo models are refused naming the node, not mis-imported.
TEST(OnnxImport, MultiBitActivationsAreNotSupportedYet) {
  BNNC_REQUIRE_EXTERNAL(model, "onnx/qonnx_model_zoo/TFC_1W2A.onnx");
  try {
    streamline(import_onnx(model.string()));
    FAIL() << "imported a 2-bit model";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("2-bit activations are not supported yet"),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("(Quant, domain onnx.brevitas)"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace bnnc

namespace bnnc {
namespace {

// BNN-PYNQ LFC, exported to QONNX and imported back, predicts every MNIST t10k image alike.
TEST(OnnxExport, LfcRoundTripKeepsEveryPrediction) {
  BNNC_REQUIRE_EXTERNAL(folder, "bnn-pynq/params/mnist/lfcW1A1");
  BNNC_REQUIRE_EXTERNAL(images, "mnist/t10k-images-idx3-ubyte.gz");
  const Graph graph = import_bnn_pynq(folder.string(), BnnPynqTopology::Lfc);
  const std::string path = (test::temp_dir("onnx_export") / "lfc.onnx").string();
  export_onnx(graph, path);
  const Graph back = streamline(import_onnx(path));
  const Dataset data = load_dataset(images.string());
  int mismatches = 0;
  for (int i = 0; i < data.count; ++i) {
    if (run_golden(graph, data.image(i)).label != run_golden(back, data.image(i)).label) {
      ++mismatches;
    }
  }
  EXPECT_EQ(mismatches, 0);
  EXPECT_EQ(count_correct(back, data), 9834);
}

}  // namespace
}  // namespace bnnc

namespace bnnc {
namespace {

// BNN-PYNQ CNV (fixed-point first layer: a Gather on a table), exported and imported back,
// predicts all 761 CIFAR-10 images alike.
TEST(OnnxExport, CnvRoundTripKeepsEveryPrediction) {
  BNNC_REQUIRE_EXTERNAL(folder, "bnn-pynq/params/cifar10/cnvW1A1");
  BNNC_REQUIRE_EXTERNAL(images, "cifar10/test_batch_first761.bin");
  const Graph graph = import_bnn_pynq(folder.string(), BnnPynqTopology::Cnv);
  const std::string path = (test::temp_dir("onnx_export_cnv") / "cnv.onnx").string();
  export_onnx(graph, path);
  const Graph back = streamline(import_onnx(path));
  const Dataset data = load_dataset(images.string());
  ASSERT_EQ(data.count, 761);
  int mismatches = 0;
  for (int i = 0; i < data.count; ++i) {
    if (run_golden(graph, data.image(i)).label != run_golden(back, data.image(i)).label) {
      ++mismatches;
    }
  }
  EXPECT_EQ(mismatches, 0);
  EXPECT_EQ(count_correct(back, data), 615);
}

}  // namespace
}  // namespace bnnc
