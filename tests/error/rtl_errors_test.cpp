// bnnc verify and bnnc synth on bad input: a folder that is no design or holds no RTL, missing
// tools, bad flag values and images of the wrong shape end in exit code 2 and one line naming
// the problem (and, for a missing tool, the Debian package to install).
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

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

void expect_bad_input(const test::CommandResult& result, const std::vector<std::string>& pieces) {
  EXPECT_EQ(result.exit_code, 2) << "stderr: " << result.err;
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  EXPECT_TRUE(result.err.starts_with("bnnc: error: ")) << result.err;
  for (const std::string& piece : pieces) {
    EXPECT_NE(result.err.find(piece), std::string::npos) << "'" << piece << "' in " << result.err;
  }
}

class RtlErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::temp_dir(std::string("rtl_errors_") +
                          ::testing::UnitTest::GetInstance()->current_test_info()->name());
    // uint8[4,4,1] → flatten → dense 2 → class, compiled.
    Graph graph;
    graph.name = "small";
    const int in = graph.add("in", InputAttrs{{4, 4, 1}, DType::uint(8)});
    const int flat = graph.add("flat", ReshapeAttrs{{16}}, {in});
    const int fc = graph.add("fc", DenseAttrs{BinaryMatrix(2, 16)}, {flat});
    graph.add("class", LabelSelectAttrs{}, {fc});
    infer_types(graph);
    save_model(graph, (dir_ / "small.bnnc").string());
    design_ = dir_ / "design";
    const test::CommandResult compiled = test::run_bnnc("compile " + quoted(dir_ / "small.bnnc") +
                                                        " --target-fps 1 --out " + quoted(design_));
    ASSERT_EQ(compiled.exit_code, 0) << compiled.err;
    images_ = dir_ / "images-idx3-ubyte";
    std::vector<char> bytes = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0, 4};
    bytes.resize(bytes.size() + 32, 7);
    std::ofstream(images_, std::ios::binary).write(bytes.data(), std::ssize(bytes));
  }

  std::filesystem::path dir_, design_, images_;
};

TEST_F(RtlErrors, VerifyNeedsADesignFolder) {
  expect_bad_input(
      test::run_bnnc("verify " + quoted(dir_ / "nothing") + " --data " + quoted(images_)),
      {"nothing", "no such design folder"});
  expect_bad_input(test::run_bnnc("verify " + quoted(dir_) + " --data " + quoted(images_)),
                   {"not a design folder"});
}

// A design folder whose rtl/ was removed after compile: its manifest says what is missing.
TEST_F(RtlErrors, VerifyNeedsTheRtl) {
  std::filesystem::remove_all(design_ / "rtl");
  expect_bad_input(test::run_bnnc("verify " + quoted(design_) + " --data " + quoted(images_)),
                   {"rtl/", "missing (bnnc compile wrote it; run bnnc compile again)"});
}

TEST_F(RtlErrors, MissingVerilatorNamesThePackage) {
  expect_bad_input(test::run_bnnc("verify " + quoted(design_) + " --data " + quoted(images_),
                                  "PATH=/nonexistent"),
                   {"verilator not found", "Debian package 'verilator'"});
}

TEST_F(RtlErrors, VerifyFlagValues) {
  expect_bad_input(
      test::run_bnnc("verify " + quoted(design_) + " --data " + quoted(images_) + " --stall 1.5"),
      {"--stall"});
  expect_bad_input(
      test::run_bnnc("verify " + quoted(design_) + " --data " + quoted(images_) + " --limit -3"),
      {"--limit"});
}

TEST_F(RtlErrors, VerifyImagesOfTheWrongShape) {
  std::vector<char> bytes = {0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 5, 0, 0, 0, 5};
  bytes.resize(bytes.size() + 25, 7);
  const std::filesystem::path wrong = dir_ / "wrong-idx3-ubyte";
  std::ofstream(wrong, std::ios::binary).write(bytes.data(), std::ssize(bytes));
  expect_bad_input(test::run_bnnc("verify " + quoted(design_) + " --data " + quoted(wrong)),
                   {"[5,5,1]", "[4,4,1]"});
}

}  // namespace
}  // namespace bnnc
