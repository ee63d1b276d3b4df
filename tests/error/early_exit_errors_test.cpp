// Early exit and reuse requests that bnnc cannot build: the layer, the rule and the values, or
// the flag and its value, exit code 2 from the command line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "fold/folding.h"
#include "fold/folding_file.h"
#include "fold/lower_to_dataflow.h"
#include "io/model_file.h"
#include "ir/infer_types.h"
#include "test_support.h"
#include "variant_requests.h"

namespace bnnc {
namespace {

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

TEST(EarlyExitErrors, OnlyBinaryLayersEndingInThresholds) {
  const DataflowGraph g = lower_to_dataflow(test::two_convs());
  const auto error_of = [&](const std::string& layer) {
    LayerFolding l{layer};
    l.early_exit = true;
    return test::folding_error(g, l);
  };
  EXPECT_EQ(error_of("conv1"), "no error");
  EXPECT_THAT(error_of("conv0"), HasSubstr("layer 'conv0': early exit needs a binary-input layer "
                                           "ending in thresholds without zero padding (this one: "
                                           "8-bit input"));
  EXPECT_THAT(error_of("fc"), HasSubstr("layer 'fc': early exit needs"));
  EXPECT_THAT(error_of("fc"), HasSubstr("no thresholds"));
}

TEST(EarlyExitErrors, FoldingFileTakesABoolean) {
  const DataflowGraph g = lower_to_dataflow(test::two_convs());
  const auto path = test::temp_dir("early-exit-errors") / "folding.json";
  std::ofstream(path) << R"({"layers": [{"name": "conv1", "early_exit": "yes"}]})";
  EXPECT_THAT(
      [&] { read_folding_file(path.string(), g); },
      ThrowsMessage<Error>(HasSubstr("layer 'conv1': \"early_exit\" must be true or false")));
  std::ofstream(path) << R"({"layers": [{"name": "conv1", "early_exit": true}]})";
  EXPECT_TRUE(read_folding_file(path.string(), g).layers.at(0).early_exit);
}

TEST(EarlyExitErrors, CompileFlags) {
  const auto expect_refused = [](const std::string& flags, const std::string& message) {
    const test::CommandResult r =
        test::run_bnnc("compile model.bnnc --target-fps 10 --out d " + flags);
    EXPECT_EQ(r.exit_code, 2) << flags;
    EXPECT_THAT(r.err, HasSubstr(message)) << flags;
  };
  expect_refused("--early-exit maybe", "--early-exit: 'maybe' is not off or on");
  expect_refused("--reuse sometimes", "--reuse: 'sometimes' is not off, input, weight or auto");
}

// --calibration-data that cannot be read, or holds images of the wrong shape: one line naming the
// file, exit code 2, before any folding.
TEST(EarlyExitErrors, CalibrationDataThatCannotBeUsed) {
  const auto dir = test::temp_dir("calibration-errors");
  const std::string model = (dir / "m.bnnc").string();
  save_model(test::two_convs(), model);
  const auto expect_refused = [&](const std::string& flags, const std::string& message) {
    const test::CommandResult r = test::run_bnnc("compile " + model + " --target-fps 10 --out " +
                                                 (dir / "d").string() + " " + flags);
    EXPECT_EQ(r.exit_code, 2) << flags;
    EXPECT_THAT(r.err, HasSubstr(message)) << flags;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  };
  const std::string missing = (dir / "missing.bin").string();
  expect_refused("--early-exit on --calibration-data " + missing, missing);
  // A 28×28 IDX image is not the model's 6×6×2 input.
  const std::string idx = (dir / "images.idx").string();
  {
    std::ofstream out(idx, std::ios::binary);
    const unsigned char header[] = {0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 28, 0, 0, 0, 28};
    out.write(reinterpret_cast<const char*>(header), sizeof header);
    out << std::string(28 * 28, '\0');
  }
  expect_refused("--early-exit on --calibration-data " + idx,
                 "--calibration-data " + idx + ": images are [28,28,1] but the model takes");
  expect_refused("--calibration-data " + idx + " --calibration-limit 0", "--calibration-limit");
  expect_refused("--calibration-limit 4", "--calibration-limit");
}

}  // namespace
}  // namespace bnnc
