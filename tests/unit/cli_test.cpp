// The bnnc CLI driven as a user drives it: the built binary on a tiny model made here with the IR
// API, its output compared with the golden model run in this process. The end-to-end runs on
// BNN-PYNQ's networks need ../shared/external and skip without it.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "io/model_file.h"
#include "ir/graph_stats.h"
#include "ir/infer_types.h"
#include "sim/golden_model.h"
#include "test_support.h"

namespace bnnc {
namespace {

constexpr unsigned kSeed = 20240611;  // fixed: the tests are deterministic
constexpr int kImages = 23;           // not a multiple of any chunk or thread count

// Single-quoted for the shell run_bnnc uses. (Built with append: GCC 12's -Wrestrict misfires
// on "'" + string + "'".)
std::string quoted(const std::filesystem::path& path) {
  std::string text(1, '\'');
  text.append(path.string());
  text.push_back('\'');
  return text;
}

BinaryMatrix random_matrix(int rows, int cols, std::mt19937& rng) {
  BinaryMatrix matrix(rows, cols);
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) matrix.set(r, c, (rng() & 1U) != 0);
  }
  return matrix;
}

// uint8[4,4,1] → threshold → 3×3 conv (pad 1) → threshold → 2×2 max-pool → dense 3 → class.
Graph tiny_graph() {
  std::mt19937 rng(kSeed);
  Graph graph;
  graph.name = "tiny";
  graph.classes = {"ant", "bee", "cat"};
  const int in = graph.add("in", InputAttrs{{4, 4, 1}, DType::uint(8)});
  const int thr0 = graph.add("thr0", ThresholdAttrs{{128}, 1, {}}, {in});
  const int conv = graph.add("conv", Conv2dAttrs{random_matrix(4, 9, rng), 3, 1, 1, 0}, {thr0});
  const int thr1 = graph.add("thr1", ThresholdAttrs{{5, 4, 5, 3}, 1, {}}, {conv});
  const int pool = graph.add("pool", MaxPoolAttrs{2, 2, {}}, {thr1});
  const int flat = graph.add("flat", ReshapeAttrs{{16}}, {pool});
  const int fc = graph.add("fc", DenseAttrs{random_matrix(3, 16, rng)}, {flat});
  graph.add("class", LabelSelectAttrs{}, {fc});
  infer_types(graph);
  return graph;
}

void write_u32_be(std::ofstream& out, std::uint32_t value) {
  const char bytes[4] = {static_cast<char>(value >> 24), static_cast<char>(value >> 16),
                         static_cast<char>(value >> 8), static_cast<char>(value)};
  out.write(bytes, 4);
}

void write_idx_images(const std::filesystem::path& path, int count, int height, int width,
                      const std::vector<std::uint8_t>& pixels) {
  std::ofstream out(path, std::ios::binary);
  write_u32_be(out, 2051);
  write_u32_be(out, static_cast<std::uint32_t>(count));
  write_u32_be(out, static_cast<std::uint32_t>(height));
  write_u32_be(out, static_cast<std::uint32_t>(width));
  out.write(reinterpret_cast<const char*>(pixels.data()),
            static_cast<std::streamsize>(pixels.size()));
}

// A 1-D little-endian int64 .npy array, as np.save writes it.
void write_npy_labels(const std::filesystem::path& path, const std::vector<int>& labels) {
  std::string header = "{'descr': '<i8', 'fortran_order': False, 'shape': (" +
                       std::to_string(labels.size()) + ",), }";
  const std::size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  out.write("\x93NUMPY\x01\x00", 8);
  const char length[2] = {static_cast<char>(header.size() & 0xFF),
                          static_cast<char>(header.size() >> 8)};
  out.write(length, 2);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  for (int label : labels) {
    const std::int64_t value = label;
    out.write(reinterpret_cast<const char*>(&value), sizeof value);
  }
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::temp_dir(std::string("cli_test_") +
                          ::testing::UnitTest::GetInstance()->current_test_info()->name());
    graph_ = tiny_graph();
    model_ = dir_ / "tiny.bnnc";
    save_model(graph_, model_.string());

    std::mt19937 rng(kSeed + 1);
    pixels_.resize(kImages * 16);
    for (std::uint8_t& pixel : pixels_) pixel = static_cast<std::uint8_t>(rng() & 0xFF);
    images_ = dir_ / "images-idx3-ubyte";
    write_idx_images(images_, kImages, 4, 4, pixels_);

    for (int i = 0; i < kImages; ++i) {
      const std::span<const std::uint8_t> image(pixels_.data() + i * 16, 16);
      expected_.push_back(run_golden(graph_, image));
    }
  }

  std::filesystem::path dir_;
  Graph graph_;
  std::filesystem::path model_;
  std::vector<std::uint8_t> pixels_;
  std::filesystem::path images_;
  std::vector<Classification> expected_;
};

nlohmann::json parse_one_object(const std::string& text) {
  nlohmann::json object;
  EXPECT_NO_THROW(object = nlohmann::json::parse(text)) << text;
  EXPECT_TRUE(object.is_object()) << text;
  return object;
}

TEST(Cli, VersionAndHelpExitZero) {
  const test::CommandResult version = test::run_bnnc("--version");
  EXPECT_EQ(version.exit_code, 0) << version.err;
  EXPECT_NE(version.out.find("bnnc " BNNC_VERSION), std::string::npos) << version.out;

  const test::CommandResult help = test::run_bnnc("--help");
  EXPECT_EQ(help.exit_code, 0) << help.err;
  for (const char* command : {"info", "import", "eval"}) {
    EXPECT_NE(help.out.find(command), std::string::npos) << help.out;
  }
  const test::CommandResult eval_help = test::run_bnnc("eval --help");
  EXPECT_EQ(eval_help.exit_code, 0) << eval_help.err;
  EXPECT_NE(eval_help.out.find("--data"), std::string::npos) << eval_help.out;
}

TEST_F(CliTest, InfoPrintsTheIrLayersAndTotals) {
  const test::CommandResult result = test::run_bnnc("info " + quoted(model_));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("graph tiny"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("conv = conv2d(thr0)"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("compute layers  2"), std::string::npos) << result.out;
  // conv 4×9 weights at 4×4 positions + dense 3×16 = 624 MACs; ops = 2 × MACs.
  EXPECT_NE(result.out.find("ops/frame       1.25 k"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("params          89 (84 weight bits, 5 thresholds)"), std::string::npos)
      << result.out;
  EXPECT_TRUE(result.err.empty()) << result.err;
}

TEST_F(CliTest, InfoJsonIsOneObjectWithEveryLayer) {
  const test::CommandResult result = test::run_bnnc("info " + quoted(model_) + " --json");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const nlohmann::json info = parse_one_object(result.out);
  const GraphStats stats = graph_stats(graph_);
  EXPECT_EQ(info["name"], "tiny");
  ASSERT_EQ(info["layers"].size(), graph_.nodes.size());
  EXPECT_EQ(info["layers"][2]["name"], "conv");
  EXPECT_EQ(info["layers"][2]["op"], "conv2d");
  EXPECT_EQ(info["layers"][2]["inputs"], nlohmann::json::array({"thr0"}));
  EXPECT_EQ(info["layers"][2]["shape"], nlohmann::json::array({4, 4, 4}));
  EXPECT_EQ(info["layers"][2]["macs"], 576);
  EXPECT_EQ(info["layers"][2]["weight_bits"], 36);
  EXPECT_EQ(info["layers"][3]["thresholds"], 4);
  EXPECT_EQ(info["compute_layers"], 2);
  EXPECT_EQ(info["ops_per_frame"], 1248);
  EXPECT_EQ(info["ops_per_frame"], stats.ops);
  EXPECT_EQ(info["params"], 89);
  EXPECT_EQ(info["weight_bits"], 84);
  EXPECT_EQ(info["thresholds"], 5);
  EXPECT_EQ(info["classes"], 3);
}

TEST_F(CliTest, EvalJsonMatchesTheGoldenModel) {
  // Labels: the golden model's answers with every fifth one changed, so correct is known.
  std::vector<int> labels;
  int correct = 0;
  for (int i = 0; i < kImages; ++i) {
    const int label = expected_[i].label;
    labels.push_back(i % 5 == 0 ? (label + 1) % 3 : label);
    correct += labels.back() == label ? 1 : 0;
  }
  write_npy_labels(dir_ / "labels.npy", labels);

  const test::CommandResult result =
      test::run_bnnc("eval " + quoted(model_) + " --data " + quoted(images_) + " --labels " +
                     quoted(dir_ / "labels.npy") + " --threads 3 --predictions --json");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const nlohmann::json eval = parse_one_object(result.out);
  EXPECT_EQ(eval["images"], kImages);
  EXPECT_EQ(eval["correct"], correct);
  EXPECT_DOUBLE_EQ(eval["accuracy"].get<double>(), static_cast<double>(correct) / kImages);
  EXPECT_EQ(eval["engine"], "golden");
  EXPECT_TRUE(eval["seconds"].is_number());
  ASSERT_EQ(eval["predictions"].size(), static_cast<std::size_t>(kImages));
  ASSERT_EQ(eval["scores"].size(), static_cast<std::size_t>(kImages));
  for (int i = 0; i < kImages; ++i) {
    EXPECT_EQ(eval["predictions"][i], expected_[i].label) << "image " << i;
    EXPECT_EQ(eval["scores"][i].get<std::vector<std::int64_t>>(), expected_[i].scores)
        << "image " << i;
  }
}

TEST_F(CliTest, EvalGivesTheSameAnswersOnAnyNumberOfThreads) {
  nlohmann::json first;
  for (int threads : {1, 2, 5, 64}) {
    const test::CommandResult result =
        test::run_bnnc("eval " + quoted(model_) + " --data " + quoted(images_) + " --threads " +
                       std::to_string(threads) + " --predictions --json");
    ASSERT_EQ(result.exit_code, 0) << result.err;
    const nlohmann::json eval = parse_one_object(result.out);
    if (first.is_null()) first = eval["predictions"];
    EXPECT_EQ(eval["predictions"], first) << threads << " threads";
  }
}

TEST_F(CliTest, EvalWithoutLabelsPrintsThePredictions) {
  const test::CommandResult result =
      test::run_bnnc("eval " + quoted(model_) + " --data " + quoted(images_));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  for (int i = 0; i < kImages; ++i) {
    const int label = expected_[i].label;
    const std::string line = "image " + std::to_string(i) + ": class " + std::to_string(label) +
                             " (" + graph_.classes[label] + ")\n";
    EXPECT_NE(result.out.find(line), std::string::npos) << line << "in\n" << result.out;
  }
  EXPECT_NE(result.out.find("images     23\n"), std::string::npos) << result.out;
  EXPECT_EQ(result.out.find("accuracy"), std::string::npos) << result.out;

  const test::CommandResult json =
      test::run_bnnc("eval " + quoted(model_) + " --data " + quoted(images_) + " --json");
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const nlohmann::json eval = parse_one_object(json.out);
  EXPECT_TRUE(eval["accuracy"].is_null());
  EXPECT_TRUE(eval["correct"].is_null());
  EXPECT_FALSE(eval.contains("predictions"));
}

TEST_F(CliTest, EvalLimitTakesTheFirstImages) {
  const test::CommandResult result = test::run_bnnc(
      "eval " + quoted(model_) + " --data " + quoted(images_) + " --limit 4 --predictions --json");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const nlohmann::json eval = parse_one_object(result.out);
  EXPECT_EQ(eval["images"], 4);
  ASSERT_EQ(eval["predictions"].size(), 4U);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(eval["predictions"][i], expected_[i].label);
}

TEST_F(CliTest, BenchReportsTheLatencyDistributionAndItsFloor) {
  const std::string bench =
      "bench " + quoted(model_) + " --batch 8 --threads 2 --seconds 0.01 --repeats 1";
  const test::CommandResult result = test::run_bnnc(bench + " --json");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const nlohmann::json json = parse_one_object(result.out);
  const char* const keys[] = {"fps",
                              "latency_us",
                              "gbmacs",
                              "peak_fraction",
                              "popcount_peak_fraction",
                              "peak_gbmacs",
                              "byte_peak_gbmacs_one_core",
                              "peak_gbmacs_one_core",
                              "isa",
                              "batch",
                              "threads",
                              "macs_per_frame",
                              "fps_runs",
                              "fps_best",
                              "latency_us_best",
                              "latency_us_p90",
                              "latency_members",
                              "weight_bytes",
                              "weight_stream_us",
                              "compute_floor_us",
                              "latency_floor_us",
                              "layers"};
  for (const char* key : keys) {
    EXPECT_TRUE(json.contains(key)) << key;
  }
  // Each layer on the unit it ran on, against that unit's peak; the whole network's fraction
  // against those peaks and against the popcount probe's alone, both positive.
  for (const auto& layer : json["layers"]) {
    const std::string unit = layer["unit"];
    EXPECT_TRUE(unit == "vector" || unit == "bytes" || unit == "tiles") << unit;
  }
  EXPECT_GT(json["peak_fraction"].get<double>(), 0);
  EXPECT_GT(json["popcount_peak_fraction"].get<double>(), 0);
  EXPECT_GT(json["byte_peak_gbmacs_one_core"].get<double>(), 0);
  // All members of the team or the caller alone, whichever its batch-1 calls found faster.
  EXPECT_TRUE(json["latency_members"] == 1 || json["latency_members"] == 2) << json.dump();
  const double best = json["latency_us_best"], median = json["latency_us"];
  const double p90 = json["latency_us_p90"];
  EXPECT_GT(best, 0);
  EXPECT_LE(best, median);
  EXPECT_LE(median, p90);
  // Each binary layer's one panel of 8 rows, 8 bytes a word: the conv's 9 taps a word each (one
  // channel), the dense layer's 16 inputs one word.
  EXPECT_EQ(json["weight_bytes"], 8 * 8 * (9 + 1));
  const double compute = json["compute_floor_us"], stream = json["weight_stream_us"];
  EXPECT_GT(compute, 0);
  EXPECT_GT(stream, 0);
  EXPECT_EQ(json["latency_floor_us"].get<double>(), std::max(compute, stream));

  const test::CommandResult text = test::run_bnnc(bench);
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("p90 "), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("floor "), std::string::npos) << text.out;
}

// The weight stream of the floor counts what the kernels read: on AVX-512, LFC's three hidden
// layers in the input-major layout read at most half their columns (⌊N/2⌋ padded to 16, 128
// bytes each) and one side's counter starts (11 or 12 slices); elsewhere all the bit panels.
TEST_F(CliTest, BenchFloorCountsTheInputMajorLayersHalf) {
  const test::CommandResult result =
      test::run_bnnc("bench " + quoted(std::filesystem::path(BNNC_SOURCE_DIR) / "models/lfc.bnnc") +
                     " --batch 1 --threads 1 --seconds 0.01 --repeats 1 --json");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const nlohmann::json json = parse_one_object(result.out);
  const std::string isa = json["isa"];
  const int panels = 128 * 13 * 64 + 2 * 128 * 16 * 64 + 2 * 16 * 64;
  const int input_major = (400 + 11) * 128 + 2 * (512 + 12) * 128 + 2 * 16 * 64;
  EXPECT_EQ(json["weight_bytes"], isa == "avx512" || isa == "amx" ? input_major : panels) << isa;
}

TEST(CliExternal, ImportsLfcAndClassifiesTheTestImage) {
  BNNC_REQUIRE_EXTERNAL(params, "bnn-pynq/params/mnist/lfcW1A1");
  BNNC_REQUIRE_EXTERNAL(image, "bnn-pynq/test_image/3.image-idx3-ubyte");
  const std::filesystem::path model = test::temp_dir("cli_test_lfc") / "lfc.bnnc";
  const test::CommandResult imported = test::run_bnnc(
      "import " + quoted(params) + " --topology lfc --out " + quoted(model) + " --json");
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  const nlohmann::json summary = parse_one_object(imported.out);
  EXPECT_EQ(summary["out"], model.string());
  EXPECT_TRUE(summary["layers"].is_number_integer());
  EXPECT_TRUE(summary["ops_per_frame"].is_number_integer());

  const test::CommandResult eval =
      test::run_bnnc("eval " + quoted(model) + " --data " + quoted(image));
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  EXPECT_NE(eval.out.find("image 0: class 3"), std::string::npos) << eval.out;
}

TEST(CliExternal, ImportsCnvAndReproducesBnnPynqAccuracy) {
  BNNC_REQUIRE_EXTERNAL(params, "bnn-pynq/params/cifar10/cnvW1A1");
  BNNC_REQUIRE_EXTERNAL(images, "cifar10/test_batch_first761.bin");
  BNNC_REQUIRE_EXTERNAL(deer, "bnn-pynq/test_image/deer.bin");
  const std::filesystem::path model = test::temp_dir("cli_test_cnv") / "cnv.bnnc";
  const test::CommandResult imported =
      test::run_bnnc("import " + quoted(params) + " --topology cnv --out " + quoted(model));
  ASSERT_EQ(imported.exit_code, 0) << imported.err;

  const test::CommandResult info = test::run_bnnc("info " + quoted(model) + " --json");
  ASSERT_EQ(info.exit_code, 0) << info.err;
  const nlohmann::json summary = parse_one_object(info.out);
  EXPECT_EQ(summary["compute_layers"], 9);
  EXPECT_NEAR(summary["ops_per_frame"].get<double>(), 119e6, 0.5e6);  // DESIGN.md §4

  // DESIGN.md §5: 615 of the 761 images; test image 0's scores.
  const test::CommandResult eval = test::run_bnnc("eval " + quoted(model) + " --data " +
                                                  quoted(images) + " --predictions --json");
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  const nlohmann::json result = parse_one_object(eval.out);
  EXPECT_EQ(result["images"], 761);
  EXPECT_EQ(result["correct"], 615);
  EXPECT_EQ(result["scores"][0].get<std::vector<std::int64_t>>(),
            (std::vector<std::int64_t>{241, 240, 250, 413, 245, 258, 247, 251, 231, 242}));

  const test::CommandResult deer_eval =
      test::run_bnnc("eval " + quoted(model) + " --data " + quoted(deer) + " --predictions --json");
  ASSERT_EQ(deer_eval.exit_code, 0) << deer_eval.err;
  EXPECT_EQ(parse_one_object(deer_eval.out)["predictions"][0], 4);
}

}  // namespace
}  // namespace bnnc

namespace bnnc {
namespace {

TEST(CliCompile, WritesTheReportsAndPrintsOneJsonObject) {
  BNNC_REQUIRE_EXTERNAL(folder, "bnn-pynq/params/mnist/lfcW1A1");
  const auto dir = test::temp_dir("cli-compile");
  const std::string model = (dir / "lfc.bnnc").string();
  ASSERT_EQ(test::run_bnnc("import '" + folder.string() + "' --topology lfc --out '" + model + "'")
                .exit_code,
            0);
  const test::CommandResult r = test::run_bnnc(
      "compile '" + model + "' --target-fps 1561000 --out '" + (dir / "hw").string() + "' --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto json = nlohmann::json::parse(r.out);
  EXPECT_LE(json["bottleneck_cycles"].get<long long>(), 128);
  EXPECT_GT(json["luts"].get<long long>(), 0);
  EXPECT_FALSE(json["layers"].empty());
  for (const char* file : {"folding.json", "report.json", "report.html", "model.bnnc"}) {
    EXPECT_TRUE(std::filesystem::exists(dir / "hw" / file)) << file;
  }
  // The folding it wrote reproduces the same design.
  const test::CommandResult again = test::run_bnnc(
      "compile '" + model + "' --folding '" + (dir / "hw" / "folding.json").string() + "' --out '" +
      (dir / "hw2").string() + "' --json");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(nlohmann::json::parse(again.out)["bottleneck_cycles"], json["bottleneck_cycles"]);
}

TEST(CliCompile, ImpossibleRequestsExitTwoWithOneLine) {
  BNNC_REQUIRE_EXTERNAL(folder, "bnn-pynq/params/mnist/lfcW1A1");
  const auto dir = test::temp_dir("cli-compile-errors");
  const std::string model = (dir / "lfc.bnnc").string();
  ASSERT_EQ(test::run_bnnc("import '" + folder.string() + "' --topology lfc --out '" + model + "'")
                .exit_code,
            0);
  const test::CommandResult r = test::run_bnnc(
      "compile '" + model + "' --target-fps 1000000000 --out '" + (dir / "hw").string() + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("the target needs fewer than 1 cycle per frame"), std::string::npos)
      << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1);
}

}  // namespace
}  // namespace bnnc
