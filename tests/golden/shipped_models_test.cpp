// The models the project ships (models/*.bnnc, trained by `bnnc train`) reproduce the figures
// models/README.md gives for them on the Fashion-MNIST test set: the CPU engine classifies all
// 10,000 images and must count exactly the README's number correct, and the golden model must
// give the same classes and scores on the first images (the CPU engine's tests prove it equal to
// the golden model on every image elsewhere; the golden model on all 10,000 CNV images would
// take minutes).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "io/dataset.h"
#include "io/model_file.h"
#include "runtime/cpu_engine.h"
#include "sim/compare_with_oracle.h"
#include "sim/golden_model.h"

namespace bnnc {
namespace {

constexpr const char* kFashionMnist = "/usr/share/datasets/fashion-mnist";
constexpr int kGoldenImages = 200;

struct ShippedModel {
  std::string name;
  int correct = 0;
};

// The rows "| name | 87.59 % | 8759/10000 | ..." of models/README.md.
std::vector<ShippedModel> readme_figures() {
  std::ifstream readme(std::string(BNNC_SOURCE_DIR) + "/models/README.md");
  const std::regex row(R"(^\| ([a-z-]+) \| [0-9.]+ % \| ([0-9]+)/10000 \|.*)");
  std::vector<ShippedModel> models;
  std::smatch match;
  for (std::string line; std::getline(readme, line);) {
    if (std::regex_match(line, match, row)) models.push_back({match[1], std::stoi(match[2])});
  }
  return models;
}

TEST(ShippedModels, EveryModelReproducesItsReadmeFigure) {
  if (!std::filesystem::exists(std::string(kFashionMnist) + "/t10k-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << kFashionMnist << " not found (Debian package dataset-fashion-mnist)";
  }
  const std::vector<ShippedModel> models = readme_figures();
  ASSERT_GE(models.size(), 4U) << "models/README.md lists too few models";
  const Dataset data = load_dataset(kFashionMnist);
  ASSERT_EQ(data.count, 10000);
  for (const ShippedModel& model : models) {
    SCOPED_TRACE(model.name);
    const std::string path = std::string(BNNC_SOURCE_DIR) + "/models/" + model.name + ".bnnc";
    ASSERT_TRUE(std::filesystem::exists(path)) << path << " is listed but missing";
    const Graph graph = load_model(path);
    const runtime::CpuEngine engine(graph, runtime::select_isa());
    std::vector<Classification> got(static_cast<std::size_t>(data.count));
    engine.classify(data.pixels.data(), data.count, got.data(), 2);
    EXPECT_EQ(count_correct(got, data.labels), model.correct);
    std::vector<Classification> want;
    for (int i = 0; i < kGoldenImages; ++i) want.push_back(run_golden(graph, data.image(i)));
    const Comparison compared =
        compare_with_oracle(want, std::span<const Classification>(got).first(kGoldenImages), {});
    ASSERT_EQ(compared.mismatches, 0) << "first at image " << compared.first_mismatch;
  }
}

}  // namespace
}  // namespace bnnc
