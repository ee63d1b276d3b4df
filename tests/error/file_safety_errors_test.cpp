// Hostile files and failing disks (issue 12): a FIFO, folder or device where a file is expected
// is refused at once instead of blocking; a failed or killed write leaves the previous file's
// bytes whole and no temporary behind; sizes a file declares are checked before anything is
// allocated; out of memory ends the process with exit 3 instead of hanging in exit().
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "core/atomic_file.h"
#include "core/read_file.h"
#include "io/dataset.h"
#include "io/model_file.h"
#include "io/onnx_exporter.h"
#include "io/onnx_reader.h"
#include "ir/infer_types.h"
#include "test_support.h"

namespace bnnc {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;
using Bytes = std::vector<std::uint8_t>;

std::string quoted(const fs::path& path) {
  std::string text(1, '\'');
  text.append(path.string());
  text.push_back('\'');
  return text;
}

Bytes read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// uint8[side,side,1] → binarize → flatten → dense `outputs` → class.
Graph dense_graph(int side, int outputs) {
  Graph graph;
  graph.name = "dense";
  const int in = graph.add("in", InputAttrs{{side, side, 1}, DType::uint(8)});
  const int bin = graph.add("bin", ThresholdAttrs{{128}, 1, {}}, {in});
  const int flat = graph.add("flat", ReshapeAttrs{{side * side}}, {bin});
  BinaryMatrix weights(outputs, side * side);
  for (int r = 0; r < outputs; ++r) weights.set(r, (r * 7) % (side * side), true);
  const int fc = graph.add("fc", DenseAttrs{weights}, {flat});
  graph.add("class", LabelSelectAttrs{}, {fc});
  infer_types(graph);
  return graph;
}

// Exit code 2 and one line on stderr holding every piece.
void expect_refusal(const test::CommandResult& result, const std::vector<std::string>& pieces) {
  EXPECT_EQ(result.exit_code, 2) << "stderr: " << result.err;
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  for (const std::string& piece : pieces) {
    EXPECT_THAT(result.err, HasSubstr(piece));
  }
}

// Names in dir that hold the temporary marker.
std::vector<std::string> temporaries(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.find(kTemporaryMarker) != std::string::npos || name.ends_with(".partial")) {
      names.push_back(name);
    }
  }
  return names;
}

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no bnnc::Error";
  return {};
}

class FileSafety : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::temp_dir(std::string("file_safety_") +
                          ::testing::UnitTest::GetInstance()->current_test_info()->name());
    old_model_ = dir_ / "model.bnnc";
    save_model(dense_graph(4, 2), old_model_.string());
    old_bytes_ = read_bytes(old_model_);
    // 64 × 4096 weight bits: a model of 32 KiB, far over the 4 KiB write limits below.
    onnx_ = dir_ / "big.onnx";
    export_onnx(dense_graph(64, 64), onnx_.string());
  }

  std::string import_to(const fs::path& out) const {
    return "import " + quoted(onnx_) + " --out " + quoted(out);
  }

  fs::path dir_;
  fs::path old_model_;
  Bytes old_bytes_;
  fs::path onnx_;
};

// Each of these blocked forever in open() before: a FIFO waits for a writer.
TEST_F(FileSafety, FifosAreRefusedNotWaitedOn) {
  const fs::path model = dir_ / "fifo.bnnc";
  const fs::path onnx = dir_ / "fifo.onnx";
  const fs::path data = dir_ / "fifo-images-idx3-ubyte";
  for (const fs::path& fifo : {model, onnx, data}) ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const std::string timeout = "timeout 10";
  expect_refusal(test::run_bnnc_under(timeout, "info " + quoted(model)),
                 {model.string() + ": not a regular file (a FIFO)"});
  expect_refusal(test::run_bnnc_under(timeout, "info " + quoted(onnx)),
                 {onnx.string() + ": not a regular file (a FIFO)"});
  expect_refusal(test::run_bnnc_under(
                     timeout, "import " + quoted(onnx) + " --out " + quoted(dir_ / "out.bnnc")),
                 {onnx.string() + ": not a regular file (a FIFO)"});
  expect_refusal(
      test::run_bnnc_under(timeout, "eval " + quoted(old_model_) + " --data " + quoted(data)),
      {data.string() + ": not a regular file (a FIFO)"});
  // The same for the library's callers, with a socket-free, device example too.
  EXPECT_EQ(error_of([&] { read_file("/dev/null", 16, "a test file"); }),
            "/dev/null: not a regular file (a character device)");
}

// A FIFO, folder or device as the file to write: refused naming it (the FIFO used to block,
// /dev/full to fail after truncating nothing useful).
TEST_F(FileSafety, WritesRefuseTargetsThatAreNotRegularFiles) {
  const fs::path fifo = dir_ / "fifo.bnnc";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const fs::path full = dir_ / "full.bnnc";
  fs::create_symlink("/dev/full", full);
  const fs::path folder = dir_ / "folder.bnnc";
  fs::create_directory(folder);
  const std::string timeout = "timeout 10";
  expect_refusal(test::run_bnnc_under(timeout, import_to(fifo)),
                 {fifo.string() + ": not a regular file (a FIFO); refusing to write over it"});
  expect_refusal(test::run_bnnc_under(timeout, import_to(full)),
                 {full.string() + ": not a regular file (a character device)"});
  expect_refusal(test::run_bnnc_under(timeout, import_to(folder)),
                 {folder.string() + ": is a folder; refusing to write over it"});
  expect_refusal(
      test::run_bnnc_under(timeout, "export " + quoted(old_model_) + " --out " + quoted(fifo)),
      {fifo.string() + ": not a regular file (a FIFO)"});
  EXPECT_TRUE(fs::is_fifo(fifo));
  EXPECT_TRUE(fs::is_symlink(full));
  EXPECT_TRUE(temporaries(dir_).empty());
}

// A write that fails part-way (here at the file-size limit: EFBIG) used to leave a truncated file
// where the good model (or ONNX file) was.
TEST_F(FileSafety, AFailedWriteKeepsThePreviousFile) {
  const std::string limited = "trap '' XFSZ; prlimit --fsize=4096";
  expect_refusal(test::run_bnnc_under(limited, import_to(old_model_)),
                 {old_model_.string() + ": cannot write", "file too large"});
  EXPECT_EQ(read_bytes(old_model_), old_bytes_);
  EXPECT_EQ(temporaries(dir_), std::vector<std::string>{});

  const fs::path big_model = dir_ / "big.bnnc";
  save_model(dense_graph(64, 64), big_model.string());
  const fs::path onnx_out = dir_ / "small.onnx";
  export_onnx(dense_graph(4, 2), onnx_out.string());
  const Bytes onnx_bytes = read_bytes(onnx_out);
  expect_refusal(
      test::run_bnnc_under(limited, "export " + quoted(big_model) + " --out " + quoted(onnx_out)),
      {onnx_out.string() + ": cannot write", "file too large"});
  EXPECT_EQ(read_bytes(onnx_out), onnx_bytes);
  EXPECT_EQ(temporaries(dir_), std::vector<std::string>{});
}

// A kill mid-write (SIGXFSZ's default action) leaves the old model whole; the temporary it
// leaves is removed by the next write to the same model.
TEST_F(FileSafety, AKilledWriteKeepsThePreviousModelAndItsTemporaryIsCleanedUp) {
  const test::CommandResult killed =
      test::run_bnnc_under("prlimit --fsize=4096", import_to(old_model_));
  EXPECT_NE(killed.exit_code, 0);
  EXPECT_EQ(read_bytes(old_model_), old_bytes_);
  ASSERT_EQ(temporaries(dir_).size(), 1U) << "the killed run leaves its temporary";

  // A temporary of a live process (this one) is another writer's: it stays.
  const fs::path live =
      dir_ / ("model.bnnc" + std::string(kTemporaryMarker) + std::to_string(::getpid()) + "-99");
  std::ofstream(live) << "in flight";
  const test::CommandResult rerun = test::run_bnnc(import_to(old_model_));
  EXPECT_EQ(rerun.exit_code, 0) << rerun.err;
  EXPECT_EQ(load_model(old_model_.string()).nodes[0].as<InputAttrs>().shape, (Shape{64, 64, 1}));
  EXPECT_EQ(temporaries(dir_), std::vector<std::string>{live.filename().string()});
}

// ENOSPC on a real full file system: a 64 KiB tmpfs in a user and mount namespace.
TEST_F(FileSafety, AFullDiskKeepsThePreviousModel) {
  const fs::path mount = dir_ / "tmpfs";
  fs::create_directory(mount);
  const std::string probe =
      "unshare -r -m sh -c 'mount -t tmpfs -o size=64k none " + quoted(mount).substr(0) + "'";
  if (std::system((probe + " >/dev/null 2>&1").c_str()) != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs in a user namespace here (unshare -r -m)";
  }
  // Inside the namespace: the old model on the tmpfs, the rest filled, then the import over it;
  // the model and a listing are copied out before the mount disappears.
  const fs::path script = dir_ / "full-disk.sh";
  std::ofstream(script) << "m=" << quoted(mount) << "; d=" << quoted(dir_) << "\n"
                        << "mount -t tmpfs -o size=64k none \"$m\" || exit 99\n"
                        << "cp \"$d/model.bnnc\" \"$m/model.bnnc\"\n"
                        << "dd if=/dev/zero of=\"$m/fill\" bs=1k 2>/dev/null\n"
                        << "\"$@\"; rc=$?\n"
                        << "cp \"$m/model.bnnc\" \"$d/after.bnnc\"; ls -a \"$m\" > \"$d/listing\"\n"
                        << "exit $rc\n";
  const test::CommandResult result =
      test::run_bnnc_under("unshare -r -m sh " + quoted(script),
                           "import " + quoted(onnx_) + " --out " + quoted(mount / "model.bnnc"));
  expect_refusal(result,
                 {(mount / "model.bnnc").string() + ": cannot write", "no space left on device"});
  EXPECT_EQ(read_bytes(dir_ / "after.bnnc"), old_bytes_);
  std::ifstream listing(dir_ / "listing");
  const std::string names{std::istreambuf_iterator<char>(listing), {}};
  EXPECT_THAT(names, AllOf(HasSubstr("model.bnnc"), ::testing::Not(HasSubstr("tmp"))));
}

// A temporary whose process is gone (a process id above pid_max) goes on the next write.
TEST_F(FileSafety, TemporariesOfDeadProcessesAreRemoved) {
  const fs::path stale = dir_ / ("model.bnnc" + std::string(kTemporaryMarker) + "999999999-0");
  const fs::path other = dir_ / ("other.bnnc" + std::string(kTemporaryMarker) + "999999999-0");
  std::ofstream(stale) << "half a model";
  std::ofstream(other) << "another target's";
  save_model(dense_graph(4, 2), old_model_.string());
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(other));
  // Without commit() the temporary goes with the AtomicFile.
  std::string path;
  {
    AtomicFile file((dir_ / "never.bin").string());
    path = file.temporary_path();
    std::ofstream(path) << "abandoned";
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(fs::exists(dir_ / "never.bin"));
}

TEST_F(FileSafety, ModelFilesAreCheckedBeforeTheyAreReadWhole) {
  // 3 GiB (sparse) of another kind: refused from its first bytes. Reading it whole first took
  // 3 GiB of memory for the same message.
  const fs::path huge = dir_ / "huge.bnnc";
  std::ofstream(huge) << "NOT A MODEL";
  fs::resize_file(huge, std::uintmax_t{3} << 30);
  struct rusage before {};
  ::getrusage(RUSAGE_SELF, &before);
  EXPECT_EQ(error_of([&] { load_model(huge.string()); }),
            huge.string() + ": not a bnnc model file");
  struct rusage after {};
  ::getrusage(RUSAGE_SELF, &after);
  EXPECT_LT(after.ru_maxrss - before.ru_maxrss, 256 * 1024) << "KiB of peak memory grew";

  // The magic, then 5 GiB: refused by its size, over the 4 GiB cap.
  const fs::path capped = dir_ / "capped.bnnc";
  fs::copy_file(old_model_, capped);
  fs::resize_file(capped, std::uintmax_t{5} << 30);
  EXPECT_THAT(error_of([&] { load_model(capped.string()); }),
              AllOf(HasSubstr(capped.string() + ": file of 5368709120 bytes is larger than "
                                                "4294967296 bytes")));
}

// A 199 KB model whose conv declared pad 65,536 passed the reader; eval then ran out of memory.
TEST_F(FileSafety, DeclaredShapesThatNoFileBacksAreBounded) {
  Graph graph;
  graph.name = "padded";
  int x = graph.add("in", InputAttrs{{8, 8, 1}, DType::uint(8)});
  x = graph.add("bin", ThresholdAttrs{{128}, 1, {}}, {x});
  x = graph.add("conv", Conv2dAttrs{BinaryMatrix(2, 9), 3, 1, 65536, 0}, {x});
  graph.add("class", LabelSelectAttrs{}, {x});
  const fs::path padded = dir_ / "padded.bnnc";
  save_model(graph, padded.string());
  EXPECT_THAT(error_of([&] { load_model(padded.string()); }),
              AllOf(HasSubstr(padded.string()), HasSubstr("layer 'conv' outputs"),
                    HasSubstr("values per image, more than the 268435456 a model may declare")));

  const fs::path wide = dir_ / "wide.bnnc";
  Graph big;
  big.name = "wide";
  big.add("in", InputAttrs{{32768, 32768, 1}, DType::uint(8)});
  save_model(big, wide.string());
  EXPECT_THAT(error_of([&] { load_model(wide.string()); }),
              AllOf(HasSubstr(wide.string()),
                    HasSubstr("layer 'in' outputs 1073741824 values per image, more than the "
                              "268435456 a model may declare")));
}

TEST_F(FileSafety, EmptyPathsAndUnreadableFilesAreNamed) {
  EXPECT_EQ(error_of([&] { load_model(""); }), "'': empty path (a bnnc model file expected)");
  expect_refusal(test::run_bnnc("info ''"), {"'': empty path"});
  expect_refusal(test::run_bnnc("eval " + quoted(old_model_) + " --data ''"), {"'': empty path"});

  // Root reads any file: run bnnc as nobody then (setpriv), from a folder nobody may enter.
  const fs::path secret = dir_ / "secret.bnnc";
  fs::copy_file(old_model_, secret);
  fs::permissions(secret, fs::perms::none);
  fs::permissions(dir_, fs::perms::owner_all | fs::perms::others_exec | fs::perms::group_exec);
  std::string prefix;
  if (::geteuid() == 0) {
    if (std::system("setpriv --reuid=65534 --regid=65534 --clear-groups true") != 0) {
      GTEST_SKIP() << "running as root without setpriv: cannot test an unreadable file";
    }
    prefix = "setpriv --reuid=65534 --regid=65534 --clear-groups";
  }
  const test::CommandResult result = test::run_bnnc_under(prefix, "info " + quoted(secret));
  if (result.err.find("Permission denied") != std::string::npos &&
      result.err.find("bnnc") == std::string::npos) {
    GTEST_SKIP() << "nobody cannot run the bnnc binary here: " << result.err;
  }
  expect_refusal(result, {secret.string() + ": permission denied"});
}

// bnnc used to print "internal error: out of memory" and then never exit: exit() joined
// OpenBLAS's thread, which waited for memory in blas_memory_alloc.
TEST_F(FileSafety, OutOfMemoryExitsWithCodeThree) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer reserves terabytes of address space: no prlimit --as";
#else
  // Images of 4096 × 4096: a batch of 1024 needs 16 GiB.
  const fs::path model = dir_ / "wide.bnnc";
  save_model(dense_graph(4096, 2), model.string());
  const test::CommandResult result = test::run_bnnc_under(
      "timeout 60 prlimit --as=3000000000", "bench " + quoted(model) + " --batch 1024");
  EXPECT_EQ(result.exit_code, 3) << result.err;
  EXPECT_EQ(result.err, "bnnc: internal error: out of memory\n");
#endif
}

}  // namespace
}  // namespace bnnc
