// `bnnc compile --device`: an unknown part, a --budget above the part, and a design the part
// cannot hold in each mode are refused with one line and exit code 2.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "test_support.h"

namespace bnnc {
namespace {

class DeviceErrors : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = test::temp_dir("device-errors"); }
  std::string compile(const std::string& flags) const {
    return "compile '" + std::string(BNNC_SOURCE_DIR) + "/models/lfc.bnnc' --out '" +
           (dir_ / "hw").string() + "' " + flags;
  }
  void expect_refused(const std::string& flags, const std::string& message) const {
    SCOPED_TRACE(flags);
    const test::CommandResult r = test::run_bnnc(compile(flags));
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(r.err, "bnnc: error: " + message + "\n");
    EXPECT_FALSE(std::filesystem::exists(dir_ / "hw")) << "a refused compile wrote its folder";
  }
  std::filesystem::path dir_;
};

TEST_F(DeviceErrors, UnknownPartListsTheKnownOnes) {
  expect_refused("--target-fps 1000 --device xc7z010",
                 "--device: 'xc7z010' is not a known part (known: xc7z020, xczu3eg, xc7z045, "
                 "xcku115, xcvu9p)");
}

TEST_F(DeviceErrors, BudgetAboveThePartIsRefused) {
  expect_refused("--objective latency --device xc7z020 --budget luts=50000",
                 "--budget: luts=50000 is above xc7z020's 42,560 LUTs (cap 80 % of 53,200)");
  expect_refused("--objective latency --device xc7z020 --budget luts=1000,brams=253",
                 "--budget: brams=253 is above xc7z020's 252 BRAM18 (cap 90 % of 280)");
}

TEST_F(DeviceErrors, BudgetTightensThePartInEveryMode) {
  // LFC at 100,000 fps fits a Pynq-Z1 (7,045 LUTs) but not a budget of 5,000 LUTs on it.
  expect_refused("--target-fps 100000 --device xc7z020 --budget luts=5000",
                 "--target-fps 100000: the folding needs 7,045 LUTs but --budget allows 5,000");
}

TEST_F(DeviceErrors, EveryModeRefusesADesignThePartCannotHold) {
  // LFC at 128 cycles per frame (FINN's LFC-max): 95,312 LUTs without a part, 73,762 on one
  // once weight ROMs move from LUTs to the free BRAM; written as a folding file.
  const auto folding = dir_ / "max.json";
  const test::CommandResult max = test::run_bnnc("compile '" + std::string(BNNC_SOURCE_DIR) +
                                                 "/models/lfc.bnnc' --target-fps 1000000 --out '" +
                                                 (dir_ / "max").string() + "'");
  ASSERT_EQ(max.exit_code, 0) << max.err;
  std::filesystem::copy_file(dir_ / "max" / "folding.json", folding);
  expect_refused("--folding '" + folding.string() + "' --device xczu3eg",
                 "--folding " + folding.string() +
                     ": the folding needs 73,762 LUTs but xczu3eg has 70,560 (cap 80 %: 56,448)");
  expect_refused("--target-fps 1000000 --device xczu3eg",
                 "--target-fps 1000000: the folding needs 73,762 LUTs but xczu3eg has 70,560 "
                 "(cap 80 %: 56,448)");
}

TEST(DeviceHelp, CompileHelpListsTheParts) {
  const test::CommandResult r = test::run_bnnc("compile --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("xc7z020, xczu3eg, xc7z045, xcku115, xcvu9p"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace bnnc
