// Issue 12, "bnnc writes only what it names": a design folder is staged beside its target and
// moved in; only files in bnnc's manifest are replaced or removed; a file bnnc did not write in
// the way is an error (exit 2) unless --force; a link inside the folder is never followed; a
// design whose files were edited after compile is refused by the commands that run it. Before,
// `bnnc compile --out o` deleted every *.sv, *.vh and *.mem in o/rtl (through a symlinked o/rtl,
// in the link's target), and a design without RTL removed o/rtl whole, with a user's notes.
#include "io/output_folder.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <string>

#include "core/error.h"
#include "test_support.h"

namespace bnnc {
namespace {

namespace fs = std::filesystem;

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string quoted(const fs::path& path) {
  std::string text(1, '\'');
  text.append(path.string());
  text.push_back('\'');
  return text;
}

// The folder's entries other than the target's own (staging leftovers would show up here).
int entries(const fs::path& dir) {
  return static_cast<int>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

class OutputFolders : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::temp_dir(std::string("output_folder_") +
                          ::testing::UnitTest::GetInstance()->current_test_info()->name());
    out_ = dir_ / "design";
  }
  void write_output(const std::vector<std::pair<std::string, std::string>>& files,
                    bool force = false) {
    OutputFolder folder(out_, force);
    for (const auto& [name, text] : files) write(folder.staging() / name, text);
    folder.commit();
  }
  fs::path dir_, out_;
};

TEST_F(OutputFolders, ReplacesItsOwnFilesAndLeavesEveryOtherFile) {
  write_output({{"a.json", "1"}, {"rtl/top.sv", "old"}, {"rtl/w.mem", "old"}});
  write(out_ / "notes.txt", "mine");
  write(out_ / "rtl/mine.sv", "mine");  // a user's Verilog beside bnnc's
  write(out_ / "rtl/sub/x.mem", "mine");
  write_output({{"a.json", "2"}, {"rtl/top.sv", "new"}});
  EXPECT_EQ(read(out_ / "a.json"), "2");
  EXPECT_EQ(read(out_ / "rtl/top.sv"), "new");
  EXPECT_FALSE(fs::exists(out_ / "rtl/w.mem")) << "bnnc's own stale file stays";
  EXPECT_EQ(read(out_ / "notes.txt"), "mine");
  EXPECT_EQ(read(out_ / "rtl/mine.sv"), "mine");
  EXPECT_EQ(read(out_ / "rtl/sub/x.mem"), "mine");
  // Without RTL: bnnc's rtl/ files go, the folder stays for the user's files in it.
  write_output({{"a.json", "3"}});
  EXPECT_FALSE(fs::exists(out_ / "rtl/top.sv"));
  EXPECT_EQ(read(out_ / "rtl/mine.sv"), "mine");
  EXPECT_EQ(entries(dir_), 1) << "no staging folder left beside the target";
}

TEST_F(OutputFolders, AFolderOnlyBnncFilledGoesWithItsLastFile) {
  write_output({{"a.json", "1"}, {"rtl/top.sv", "old"}});
  write_output({{"a.json", "1"}});
  EXPECT_FALSE(fs::exists(out_ / "rtl"));
}

TEST_F(OutputFolders, AFileInTheWayIsAnErrorUnlessForced) {
  write(out_ / "a.json", "mine");
  write(out_ / "b.json", "mine too");
  EXPECT_THROW(write_output({{"a.json", "1"}, {"b.json", "2"}}), Error);
  EXPECT_EQ(read(out_ / "a.json"), "mine") << "a refusal moves nothing";
  EXPECT_EQ(read(out_ / "b.json"), "mine too");
  EXPECT_EQ(entries(dir_), 1);
  write_output({{"a.json", "1"}, {"b.json", "2"}}, /*force=*/true);
  EXPECT_EQ(read(out_ / "a.json"), "1");
}

TEST_F(OutputFolders, ALinkInsideIsNeverFollowed) {
  const fs::path elsewhere = dir_ / "elsewhere";
  write(elsewhere / "top.sv", "keep");
  fs::create_directories(out_);
  fs::create_directory_symlink(elsewhere, out_ / "rtl");
  EXPECT_THROW(write_output({{"rtl/top.sv", "new"}}), Error);
  EXPECT_THROW(write_output({{"rtl/top.sv", "new"}}, /*force=*/true), Error);
  EXPECT_EQ(read(elsewhere / "top.sv"), "keep");
  // A link where a file goes is replaced only with --force, as a link (its target untouched).
  fs::remove(out_ / "rtl");
  fs::create_symlink(elsewhere / "top.sv", out_ / "a.json");
  EXPECT_THROW(write_output({{"a.json", "1"}}), Error);
  write_output({{"a.json", "1"}}, /*force=*/true);
  EXPECT_FALSE(fs::is_symlink(out_ / "a.json"));
  EXPECT_EQ(read(elsewhere / "top.sv"), "keep");
}

TEST_F(OutputFolders, LeftoversOfAKilledRunAreRemoved) {
  // A staging folder of a process that no longer exists (pid 2^22 + 1 is above Linux's limit).
  const fs::path leftover = dir_ / ".design.bnnc-tmp-4194305";
  write(leftover / "a.json", "half");
  const fs::path alive = dir_ / (".design.bnnc-tmp-" + std::to_string(::getppid()));
  write(alive / "a.json", "another run's");
  write_output({{"a.json", "1"}});
  EXPECT_FALSE(fs::exists(leftover));
  EXPECT_TRUE(fs::exists(alive)) << "a live process's staging folder is its own";
}

TEST_F(OutputFolders, AnEditedOrMissingFileFailsTheCheck) {
  write_output({{"folding.json", "{}"}, {"rtl/w.mem", "00"}});
  EXPECT_NO_THROW(check_output_folder(out_));
  write(out_ / "folding.json", "{ }");
  EXPECT_THROW(check_output_folder(out_), Error);
  write(out_ / "folding.json", "{}");
  fs::remove(out_ / "rtl/w.mem");
  EXPECT_THROW(check_output_folder(out_), Error);
  EXPECT_THROW(check_output_folder(dir_), Error) << "a folder without a manifest";
}

// The same through the command line, as the review found them.
TEST_F(OutputFolders, CompileKeepsTheUsersFilesAndVerifyRefusesAnEditedDesign) {
  const fs::path model = fs::path(BNNC_SOURCE_DIR) / "models" / "tfc.bnnc";
  const std::string compile =
      "compile " + quoted(model) + " --target-fps 100000 --out " + quoted(out_);
  test::CommandResult r = test::run_bnnc(compile);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  write(out_ / "rtl" / "notes.sv", "// my notes");
  write(out_ / "rtl" / "old" / "bnn_top.sv", "// my old top");
  r = test::run_bnnc(compile);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read(out_ / "rtl" / "notes.sv"), "// my notes");
  EXPECT_EQ(read(out_ / "rtl" / "old" / "bnn_top.sv"), "// my old top");

  const fs::path images = dir_ / "images.npy";
  r = test::run_bnnc("simulate " + quoted(out_) + " --data /usr/share/datasets/fashion-mnist " +
                     "--limit 2");
  if (r.exit_code == 2 && r.err.find("fashion-mnist") != std::string::npos) {
    GTEST_SKIP() << "Fashion-MNIST is not installed (dataset-fashion-mnist)";
  }
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string folding = read(out_ / "folding.json");
  folding.insert(folding.find('{') + 1, " ");
  write(out_ / "folding.json", folding);
  for (const char* command : {"simulate", "verify"}) {
    r = test::run_bnnc(std::string(command) + " " + quoted(out_) +
                       " --data /usr/share/datasets/fashion-mnist --limit 2");
    EXPECT_EQ(r.exit_code, 2) << command << ": " << r.err;
    EXPECT_NE(r.err.find("folding.json: changed since bnnc compile wrote it"), std::string::npos)
        << r.err;
  }
  // A missing .mem: verify said nothing and exited 1.
  r = test::run_bnnc(compile);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  fs::remove(out_ / "rtl" / "fc0_weights.mem");
  r = test::run_bnnc("verify " + quoted(out_) +
                     " --data /usr/share/datasets/fashion-mnist --limit 2");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("fc0_weights.mem: missing"), std::string::npos) << r.err;

  // A symlinked rtl/ is refused and its target untouched.
  const fs::path linked = dir_ / "linked";
  write(dir_ / "target" / "bnn_top.sv", "keep");
  fs::create_directories(linked);
  fs::create_directory_symlink(dir_ / "target", linked / "rtl");
  r = test::run_bnnc("compile " + quoted(model) + " --target-fps 100000 --out " + quoted(linked));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("a symbolic link"), std::string::npos) << r.err;
  EXPECT_EQ(read(dir_ / "target" / "bnn_top.sv"), "keep");
}

}  // namespace
}  // namespace bnnc
