// bnnc similarity's refusals: missing data, images that do not fit the model, a model with no
// binary layer, bad flags. Each ends in exit code 2 and one line naming what is wrong.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "io/model_file.h"
#include "ir/infer_types.h"
#include "test_support.h"

namespace bnnc {
namespace {

std::string quoted(const std::filesystem::path& path) {
  std::string text(1, '\'');
  text.append(path.string());
  text.push_back('\'');
  return text;
}

// An uncompressed IDX images file of `count` images of height × width, all pixels 1.
void write_idx_images(const std::filesystem::path& path, int count, int height, int width) {
  std::vector<std::uint8_t> bytes;
  for (std::uint32_t value :
       {2051U, static_cast<std::uint32_t>(count), static_cast<std::uint32_t>(height),
        static_cast<std::uint32_t>(width)}) {
    for (int shift = 24; shift >= 0; shift -= 8) {
      bytes.push_back(static_cast<std::uint8_t>(value >> shift));
    }
  }
  bytes.resize(bytes.size() + static_cast<std::size_t>(count * height * width), 1);
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

void expect_usage_error(const test::CommandResult& result,
                        const std::vector<std::string>& expected) {
  EXPECT_EQ(result.exit_code, 2) << "stderr: " << result.err;
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  EXPECT_TRUE(result.err.starts_with("bnnc: error: ")) << result.err;
  for (const std::string& piece : expected) {
    EXPECT_NE(result.err.find(piece), std::string::npos) << "'" << piece << "' in " << result.err;
  }
}

// bit[4,4,1] → flatten → dense 2 (a binary layer), or uint8 input (none).
Graph dense_graph(bool binary) {
  Graph graph;
  graph.name = binary ? "binary" : "pixels";
  const int in = graph.add("in", InputAttrs{{4, 4, 1}, binary ? DType::bit() : DType::uint(8)});
  const int flat = graph.add("flat", ReshapeAttrs{{16}}, {in});
  BinaryMatrix weights(2, 16);
  weights.set(0, 3, true);
  const int fc = graph.add("fc", DenseAttrs{weights}, {flat});
  graph.add("class", LabelSelectAttrs{}, {fc});
  infer_types(graph);
  return graph;
}

class SimilarityErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::temp_dir(std::string("similarity_errors_") +
                          ::testing::UnitTest::GetInstance()->current_test_info()->name());
    save_model(dense_graph(true), (dir_ / "binary.bnnc").string());
    save_model(dense_graph(false), (dir_ / "pixels.bnnc").string());
    write_idx_images(dir_ / "images-4x4", 3, 4, 4);
    write_idx_images(dir_ / "images-5x5", 3, 5, 5);
  }
  std::string model(const char* name) const { return quoted(dir_ / name); }
  std::filesystem::path dir_;
};

TEST_F(SimilarityErrors, MissingDataFile) {
  expect_usage_error(
      test::run_bnnc("similarity " + model("binary.bnnc") + " --data " + quoted(dir_ / "none")),
      {"none"});
}

TEST_F(SimilarityErrors, ImagesOfTheWrongShape) {
  expect_usage_error(test::run_bnnc("similarity " + model("binary.bnnc") + " --data " +
                                    quoted(dir_ / "images-5x5")),
                     {"images are [5,5,1]", "takes [4,4,1]"});
}

TEST_F(SimilarityErrors, ModelWithoutABinaryLayer) {
  expect_usage_error(test::run_bnnc("similarity " + model("pixels.bnnc") + " --data " +
                                    quoted(dir_ / "images-4x4")),
                     {"no binary layer"});
}

TEST_F(SimilarityErrors, NegativeLimit) {
  expect_usage_error(test::run_bnnc("similarity " + model("binary.bnnc") + " --data " +
                                    quoted(dir_ / "images-4x4") + " --limit -1"),
                     {"--limit"});
}

TEST_F(SimilarityErrors, HtmlIntoAFolder) {
  expect_usage_error(test::run_bnnc("similarity " + model("binary.bnnc") + " --data " +
                                    quoted(dir_ / "images-4x4") + " --html " + quoted(dir_)),
                     {dir_.string()});
}

TEST_F(SimilarityErrors, FoldingNamingNoLayer) {
  {
    std::ofstream out(dir_ / "folding.json");
    out << R"({"layers": [{"name": "conv9", "pe": 1, "simd": 4}]})";
  }
  expect_usage_error(
      test::run_bnnc("similarity " + model("binary.bnnc") + " --data " +
                     quoted(dir_ / "images-4x4") + " --folding " + quoted(dir_ / "folding.json")),
      {"conv9"});
}

TEST_F(SimilarityErrors, JsonErrorIsOneObject) {
  const test::CommandResult result = test::run_bnnc(
      "similarity " + model("pixels.bnnc") + " --data " + quoted(dir_ / "images-4x4") + " --json");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.out.find("\"error\""), std::string::npos) << result.out;
}

}  // namespace
}  // namespace bnnc
