// Importing a damaged or mismatched BNN-PYNQ params folder: a bnnc::Error naming the file (or
// folder) and the problem.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "io/bnn_pynq_importer.h"
#include "test_support.h"

namespace bnnc {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

std::string import_error(const fs::path& folder, BnnPynqTopology topology) {
  try {
    import_bnn_pynq(folder.string(), topology);
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "import_bnn_pynq(" << folder << ") did not throw bnnc::Error";
  return {};
}

// A private copy of the LFC folder that each test may damage.
class BnnPynqErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    source_ = test::external_file("bnn-pynq/params/mnist/lfcW1A1");
    if (source_.empty()) {
      GTEST_SKIP() << "external data 'bnn-pynq/params/mnist/lfcW1A1' not found (set "
                      "BNNC_EXTERNAL_DATA to ../shared/external)";
    }
    folder_ = test::temp_dir(std::string("bnn_pynq_errors_") +
                             ::testing::UnitTest::GetInstance()->current_test_info()->name()) /
              "lfcW1A1";
    fs::copy(source_, folder_);
  }

  fs::path source_, folder_;
};

TEST_F(BnnPynqErrors, TheCopyImports) {
  EXPECT_NO_THROW(import_bnn_pynq(folder_.string(), BnnPynqTopology::Lfc));
}

TEST_F(BnnPynqErrors, TruncatedWeightsFile) {
  fs::resize_file(folder_ / "1-3-weights.bin", 4000);
  EXPECT_EQ(import_error(folder_, BnnPynqTopology::Lfc),
            (folder_ / "1-3-weights.bin").string() + ": 4000 bytes, LFC layer 1 expects 4096");
}

TEST_F(BnnPynqErrors, OversizedThresholdsFile) {
  fs::resize_file(folder_ / "3-15-thres.bin", 40);
  EXPECT_EQ(import_error(folder_, BnnPynqTopology::Lfc),
            (folder_ / "3-15-thres.bin").string() + ": 40 bytes, LFC layer 3 expects 32");
}

TEST_F(BnnPynqErrors, MissingPeFile) {
  fs::remove(folder_ / "0-7-weights.bin");
  EXPECT_EQ(import_error(folder_, BnnPynqTopology::Lfc),
            (folder_ / "0-7-weights.bin").string() + ": missing (LFC layer 0 has 32 PE files)");
}

TEST_F(BnnPynqErrors, MissingLastPeFile) {
  fs::remove(folder_ / "2-31-thres.bin");
  EXPECT_EQ(import_error(folder_, BnnPynqTopology::Lfc),
            (folder_ / "2-31-thres.bin").string() + ": missing (LFC layer 2 has 32 PE files)");
  fs::remove(folder_ / "3-15-weights.bin");
  EXPECT_THAT(import_error(folder_, BnnPynqTopology::Lfc),
              HasSubstr("2-31-thres.bin: missing"));  // files are read layer by layer
}

TEST_F(BnnPynqErrors, ThresholdOutOfRange) {
  {
    std::fstream file(folder_ / "1-0-thres.bin", std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(8 * 3 + 7);
    file.put(0x40);  // slot 3 ≥ 2^62
  }
  EXPECT_THAT(import_error(folder_, BnnPynqTopology::Lfc),
              HasSubstr((folder_ / "1-0-thres.bin").string() + ": threshold "));
  EXPECT_THAT(import_error(folder_, BnnPynqTopology::Lfc), HasSubstr("of slot 3 is out of range"));
}

TEST_F(BnnPynqErrors, WrongClassesFile) {
  std::ofstream(folder_ / "classes.txt") << "cat\ndog\n";
  EXPECT_EQ(import_error(folder_, BnnPynqTopology::Lfc),
            (folder_ / "classes.txt").string() + ": 2 class names, LFC has 10 classes");
}

TEST_F(BnnPynqErrors, LfcFolderImportedAsCnv) {
  EXPECT_THAT(import_error(folder_, BnnPynqTopology::Cnv),
              HasSubstr(folder_.string() + " does not look like BNN-PYNQ CNV: "));
}

TEST(BnnPynqFolderErrors, CnvFolderImportedAsLfc) {
  BNNC_REQUIRE_EXTERNAL(cnv, "bnn-pynq/params/cifar10/cnvW1A1");
  EXPECT_EQ(import_error(cnv, BnnPynqTopology::Lfc),
            cnv.string() +
                " does not look like BNN-PYNQ LFC: it has weight files of layer 8, LFC has 4 "
                "layers (0..3)");
}

TEST(BnnPynqFolderErrors, NonexistentFolder) {
  const fs::path folder = test::temp_dir("bnn_pynq_nonexistent") / "params" / "lfcW1A1";
  EXPECT_EQ(import_error(folder, BnnPynqTopology::Lfc), folder.string() + ": no such folder");
}

TEST(BnnPynqFolderErrors, EmptyFolderAndPlainFile) {
  const fs::path folder = test::temp_dir("bnn_pynq_empty");
  EXPECT_EQ(import_error(folder, BnnPynqTopology::Cnv),
            folder.string() +
                " does not look like BNN-PYNQ CNV: it holds no L-P-weights.bin files (CNV has 9 "
                "layers)");
  std::ofstream(folder / "file.bin") << "x";
  EXPECT_THAT(import_error(folder / "file.bin", BnnPynqTopology::Lfc),
              HasSubstr((folder / "file.bin").string() + ": not a folder"));
}

TEST(BnnPynqTopologyFlag, UnknownName) {
  EXPECT_EQ(parse_bnn_pynq_topology("lfc"), BnnPynqTopology::Lfc);
  EXPECT_EQ(parse_bnn_pynq_topology("cnv"), BnnPynqTopology::Cnv);
  try {
    parse_bnn_pynq_topology("xyz");
    FAIL() << "parse_bnn_pynq_topology(\"xyz\") did not throw";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "--topology: unknown topology 'xyz' (expected lfc or cnv)");
  }
}

}  // namespace
}  // namespace bnnc
