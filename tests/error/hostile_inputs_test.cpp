// The hostile-input suite (issue 12): every command against every class of bad input — file
// kinds, sizes, truncations and byte flips of every format bnnc reads, flag ranges, design folders
// edited after compile, writes that fail half way (strace fault injection) and a full disk. The
// contract checked for every run: exit 0, 1 (only for simulate/verify: a check failed) or 2; never
// a signal, a sanitizer report, exit 3 or a hang (each run is under `timeout`, exit 124 is a hang);
// on exit 2 exactly one stderr line "bnnc: error: ..."; with --json exactly one JSON object on
// stdout. Every input is generated here (no binary blobs). docs/hostile-inputs.md has the table.
//
// Random flips are seeded: BNNC_HOSTILE_SEED overrides the base seed; the seed of each case is in
// its trace.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "io/model_file.h"
#include "ir/infer_types.h"
#include "test_support.h"

namespace bnnc {
namespace {

namespace fs = std::filesystem;

constexpr int kTimeoutSeconds = 10;
constexpr int kExitTimeout = 124;  // timeout(1)'s exit code when it had to stop the command
// Large enough that reading it all would take seconds and gigabytes; sparse, so it costs nothing.
constexpr off_t kSparseBytes = off_t{8} << 30;

std::string sh_quoted(const fs::path& path) {
  std::string text(1, '\'');
  text.append(path.string());
  text.push_back('\'');
  return text;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

using Bytes = std::vector<std::uint8_t>;

Bytes read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const fs::path& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

int shell(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool running_as_root() { return ::geteuid() == 0; }

#if defined(__SANITIZE_ADDRESS__)
#define BNNC_HOSTILE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BNNC_HOSTILE_ASAN 1
#endif
#endif

// Reading all of the sparse file is a failure; the cap turns it into a failed allocation instead
// of gigabytes of the machine's memory. ASan reserves terabytes of address space, so under ASan
// its own allocation limit does the job.
std::string memory_cap() {
#if defined(BNNC_HOSTILE_ASAN)
  return "env ASAN_OPTIONS=\"${ASAN_OPTIONS}:max_allocation_size_mb=1024\"";
#else
  return "prlimit --as=4294967296";
#endif
}

std::uint32_t base_seed() {
  const char* text = std::getenv("BNNC_HOSTILE_SEED");
  return text != nullptr ? static_cast<std::uint32_t>(std::strtoul(text, nullptr, 10)) : 12U;
}

struct BnncRun {
  std::string command;
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs bnnc under timeout(1); `prefix` goes between timeout and bnnc (setpriv, strace).
BnncRun run(const std::string& arguments, const std::string& prefix = "",
            int timeout_seconds = kTimeoutSeconds) {
  static int counter = 0;
  const fs::path dir = fs::temp_directory_path() / "bnnc-tests" / "hostile";
  fs::create_directories(dir);
  const std::string stem = std::to_string(::getpid()) + "-" + std::to_string(counter++);
  const fs::path out = dir / (stem + ".out");
  const fs::path err = dir / (stem + ".err");
  BnncRun result;
  result.command = "bnnc " + arguments;
  result.exit_code = shell("timeout -k 5 " + std::to_string(timeout_seconds) + " " + prefix +
                           " '" BNNC_BINARY "' " + arguments + " >'" + out.string() + "' 2>'" +
                           err.string() + "' </dev/null");
  result.out = read_text(out);
  result.err = read_text(err);
  fs::remove(out);
  fs::remove(err);
  return result;
}

// The contract. `verdict` commands (simulate, verify) may also exit 1: their check failed.
void expect_contract(const BnncRun& run, bool json, bool verdict = false) {
  SCOPED_TRACE(run.command);
  EXPECT_NE(run.exit_code, kExitTimeout) << "hang: stopped after " << kTimeoutSeconds << " s";
  EXPECT_TRUE(run.exit_code == 0 || run.exit_code == 2 || (verdict && run.exit_code == 1))
      << "exit " << run.exit_code << (run.exit_code > 128 ? " (a signal)" : "")
      << "; stderr: " << run.err;
  EXPECT_EQ(run.err.find("Sanitizer"), std::string::npos) << run.err;
  EXPECT_EQ(run.err.find("runtime error:"), std::string::npos) << run.err;
  if (run.exit_code == 2) {
    EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
    EXPECT_TRUE(run.err.starts_with("bnnc: error: ")) << run.err;
  }
  if (json && run.exit_code >= 0 && run.exit_code <= 2) {
    const nlohmann::json parsed = nlohmann::json::parse(run.out, nullptr, false);
    EXPECT_TRUE(!parsed.is_discarded() && parsed.is_object())
        << "not one JSON object on stdout: " << run.out.substr(0, 400);
  }
}

// A graph eval accepts: uint8[shape] → flatten → dense 10 → class.
Graph tiny_classifier(const Shape& shape) {
  Graph graph;
  graph.name = "tiny";
  std::int64_t elements = 1;
  for (std::int64_t dim : shape) elements *= dim;
  const int in = graph.add("in", InputAttrs{shape, DType::uint(8)});
  const int flat = graph.add("flat", ReshapeAttrs{{static_cast<int>(elements)}}, {in});
  BinaryMatrix weights(10, static_cast<int>(elements));
  for (int r = 0; r < 10; ++r) {
    for (int c = r; c < elements; c += 7) weights.set(r, c, true);
  }
  const int fc = graph.add("fc", DenseAttrs{weights}, {flat});
  graph.add("class", LabelSelectAttrs{}, {fc});
  infer_types(graph);
  return graph;
}

void push_be32(Bytes& bytes, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    bytes.push_back(static_cast<std::uint8_t>(value >> shift));
  }
}

// IDX images: `count` 28×28 images of a pattern that differs per image.
Bytes idx_images(int count) {
  Bytes bytes;
  for (std::uint32_t value : {2051U, static_cast<std::uint32_t>(count), 28U, 28U}) {
    push_be32(bytes, value);
  }
  for (int i = 0; i < count * 28 * 28; ++i) bytes.push_back(static_cast<std::uint8_t>(i * 37));
  return bytes;
}

Bytes idx_labels(int count) {
  Bytes bytes;
  push_be32(bytes, 2049U);
  push_be32(bytes, static_cast<std::uint32_t>(count));
  for (int i = 0; i < count; ++i) bytes.push_back(static_cast<std::uint8_t>(i % 10));
  return bytes;
}

// CIFAR-10 binary: records of one label byte and 3072 pixel bytes (R plane, G plane, B plane).
Bytes cifar10_records(int count) {
  Bytes bytes;
  for (int r = 0; r < count; ++r) {
    bytes.push_back(static_cast<std::uint8_t>(r % 10));
    for (int i = 0; i < 3072; ++i) bytes.push_back(static_cast<std::uint8_t>(i * 13 + r));
  }
  return bytes;
}

// A .npy array of uint8 with shape (count, 28, 28), as np.save writes it (header padded to 64).
Bytes npy_images(int count) {
  std::string header = "{'descr': '|u1', 'fortran_order': False, 'shape': (" +
                       std::to_string(count) + ", 28, 28), }";
  while ((10 + header.size() + 1) % 64 != 0) header.push_back(' ');
  header.push_back('\n');
  Bytes bytes = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
  bytes.push_back(static_cast<std::uint8_t>(header.size() & 0xff));
  bytes.push_back(static_cast<std::uint8_t>(header.size() >> 8));
  bytes.insert(bytes.end(), header.begin(), header.end());
  for (int i = 0; i < count * 28 * 28; ++i) bytes.push_back(static_cast<std::uint8_t>(i * 29));
  return bytes;
}

// `count` copies of `good` with 1 to 4 bytes XORed with a random non-zero value, seeded.
std::vector<std::pair<std::string, Bytes>> flips(const Bytes& good, int count) {
  std::vector<std::pair<std::string, Bytes>> cases;
  for (int i = 0; i < count; ++i) {
    const std::uint32_t seed = base_seed() * 1000U + static_cast<std::uint32_t>(i);
    std::mt19937 random(seed);
    Bytes bytes = good;
    const int n = std::uniform_int_distribution<int>(1, 4)(random);
    for (int k = 0; k < n; ++k) {
      const std::size_t at =
          std::uniform_int_distribution<std::size_t>(0, bytes.size() - 1)(random);
      bytes[at] ^= static_cast<std::uint8_t>(std::uniform_int_distribution<int>(1, 255)(random));
    }
    cases.emplace_back("flip seed " + std::to_string(seed), std::move(bytes));
  }
  return cases;
}

// `good` cut to 0, 1, 2, 4, 8, 16 and 64 bytes, a quarter, a half and all but its last byte.
std::vector<std::pair<std::string, Bytes>> truncations(const Bytes& good) {
  std::vector<std::size_t> sizes = {
      0, 1, 2, 4, 8, 16, 64, good.size() / 4, good.size() / 2, good.size() - 1};
  std::sort(sizes.begin(), sizes.end());
  sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
  std::vector<std::pair<std::string, Bytes>> cases;
  for (std::size_t size : sizes) {
    if (size >= good.size()) continue;
    cases.emplace_back("truncated to " + std::to_string(size),
                       Bytes(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(size)));
  }
  return cases;
}

std::vector<std::pair<std::string, Bytes>> flips_and_truncations(const Bytes& good, int count) {
  std::vector<std::pair<std::string, Bytes>> cases = truncations(good);
  for (auto& flip : flips(good, count)) cases.push_back(std::move(flip));
  return cases;
}

// One folder of generated inputs per test.
class Hostile : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = test::temp_dir(std::string("hostile_") + info->test_suite_name() + "_" + info->name());
    // Readable by `nobody` (the no-permission cases run bnnc as nobody).
    fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                              fs::perms::others_read | fs::perms::others_exec);
    fs::permissions(dir_.parent_path(), fs::perms::others_read | fs::perms::others_exec,
                    fs::perm_options::add);
    model_ = dir_ / "tfc.bnnc";
    fs::copy_file(fs::path(BNNC_SOURCE_DIR) / "models" / "tfc.bnnc", model_);
    images_ = dir_ / "images-idx3-ubyte";
    write_bytes(images_, idx_images(3));
    labels_ = dir_ / "labels-idx1-ubyte";
    write_bytes(labels_, idx_labels(3));
  }

  fs::path path(const std::string& name) const { return dir_ / name; }

  // The good design of tfc, compiled once per test that asks.
  fs::path design() {
    const fs::path out = dir_ / "design";
    if (!fs::exists(out)) {
      const BnncRun compiled =
          run("compile " + sh_quoted(model_) + " --target-fps 100000 --out " + sh_quoted(out));
      EXPECT_EQ(compiled.exit_code, 0) << compiled.err;
    }
    return out;
  }

  fs::path onnx() {
    const fs::path out = dir_ / "tfc.onnx";
    if (!fs::exists(out)) {
      const BnncRun exported = run("export " + sh_quoted(model_) + " --out " + sh_quoted(out));
      EXPECT_EQ(exported.exit_code, 0) << exported.err;
    }
    return out;
  }

  // Every kind of file system object that is not a good input, by name. `folder` adds a
  // regular file (the wrong kind where a folder is wanted).
  std::vector<std::pair<std::string, std::string>> kinds() {
    const fs::path k = dir_ / "kinds";
    fs::create_directories(k);
    fs::create_directories(k / "folder");
    if (!fs::exists(k / "fifo")) {
      EXPECT_EQ(::mkfifo((k / "fifo").c_str(), 0644), 0);
    }
    write_bytes(k / "unreadable", idx_images(1));
    fs::permissions(k / "unreadable", fs::perms::none);
    fs::create_directories(k / "unreadable-folder");
    fs::permissions(k / "unreadable-folder", fs::perms::none);
    const auto link = [&](const std::string& name, const fs::path& target) {
      if (!fs::is_symlink(k / name)) fs::create_symlink(target, k / name);
      return (k / name).string();
    };
    {
      const int fd = ::open((k / "sparse").c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
      EXPECT_GE(fd, 0);
      EXPECT_EQ(::write(fd, "XXXXXXXX", 8), 8);
      EXPECT_EQ(::ftruncate(fd, kSparseBytes), 0);
      ::close(fd);
    }
    return {
        {"missing", (k / "missing").string()},
        {"empty path", ""},
        {"folder", (k / "folder").string()},
        {"fifo", (k / "fifo").string()},
        {"/dev/zero", "/dev/zero"},
        {"/dev/null", "/dev/null"},
        {"unreadable file", (k / "unreadable").string()},
        {"unreadable folder", (k / "unreadable-folder").string()},
        {"sparse 8 GiB, wrong magic", (k / "sparse").string()},
        {"symlink to missing", link("link-missing", k / "missing")},
        {"symlink to folder", link("link-folder", k / "folder")},
        {"symlink to fifo", link("link-fifo", k / "fifo")},
        {"symlink to /dev/zero", link("link-zero", "/dev/zero")},
        {"symlink loop", link("link-loop", k / "link-loop")},
        {"a file of another format", model_.string()},
    };
  }

  // Runs `command` with @ replaced by each kind, as nobody where the kind needs it.
  void run_kinds(const std::vector<std::string>& commands, bool verdict = false) {
    for (const auto& [kind, target] : kinds()) {
      for (const std::string& command : commands) {
        SCOPED_TRACE("kind: " + kind);
        std::string arguments = command;
        arguments.replace(arguments.find('@'), 1, sh_quoted(target));
        const bool as_nobody = kind.starts_with("unreadable") && running_as_root();
        const std::string prefix = as_nobody ? "setpriv --reuid=65534 --regid=65534 --clear-groups"
                                   : kind.starts_with("sparse") ? memory_cap()
                                                                : "";
        expect_contract(run(arguments + " --json", prefix), true, verdict);
      }
    }
  }

  // Writes each case to `name` and runs every command (@ is the file) on it.
  void run_cases(const std::vector<std::pair<std::string, Bytes>>& cases, const std::string& name,
                 const std::vector<std::string>& commands, bool verdict = false) {
    const fs::path file = dir_ / name;
    for (const auto& [label, bytes] : cases) {
      write_bytes(file, bytes);
      for (const std::string& command : commands) {
        SCOPED_TRACE(label);
        std::string arguments = command;
        arguments.replace(arguments.find('@'), 1, sh_quoted(file));
        expect_contract(run(arguments + " --json"), true, verdict);
      }
    }
  }

  fs::path dir_;
  fs::path model_;
  fs::path images_;
  fs::path labels_;
};

// File kinds, per slot that names a file or folder.

TEST_F(Hostile, KindsAsModel) {
  const std::string data = " --data " + sh_quoted(images_);
  run_kinds({"info @", "eval @" + data, "export @ --out " + sh_quoted(path("o.onnx")),
             "compile @ --target-fps 1000 --out " + sh_quoted(path("o")),
             "similarity @" + data + " --limit 2"});
}

TEST_F(Hostile, KindsAsImportSource) {
  run_kinds({"import @ --out " + sh_quoted(path("o.bnnc")),
             "import @ --topology lfc --out " + sh_quoted(path("o.bnnc"))});
}

TEST_F(Hostile, KindsAsData) {
  const fs::path d = design();
  run_kinds({"eval " + sh_quoted(model_) + " --data @", "simulate " + sh_quoted(d) + " --data @",
             "similarity " + sh_quoted(model_) + " --data @ --limit 2"},
            true);
}

TEST_F(Hostile, KindsAsLabels) {
  run_kinds({"eval " + sh_quoted(model_) + " --data " + sh_quoted(images_) + " --labels @"});
}

TEST_F(Hostile, KindsAsFolding) {
  run_kinds({"compile " + sh_quoted(model_) + " --folding @ --out " + sh_quoted(path("o")),
             "similarity " + sh_quoted(model_) + " --data " + sh_quoted(images_) +
                 " --limit 2 --folding @"});
}

TEST_F(Hostile, KindsAsDesignFolder) {
  const std::string data = " --data " + sh_quoted(images_) + " --limit 1";
  run_kinds({"simulate @" + data, "verify @" + data + " --timing-frames 0", "synth @ --target xc7"},
            true);
}

TEST_F(Hostile, KindsAsTrainData) {
  if (run("train --help").exit_code != 0) GTEST_SKIP() << "bnnc train is not built here";
  run_kinds(
      {"train --topology tfc --epochs 1 --limit 10 --test-limit 10 --width-divisor 16 "
       "--no-verify --data @ --out " +
       sh_quoted(path("t.bnnc"))});
}

// Outputs: a folder, a fifo (opening it for writing would block), /dev/null, a path under a
// missing folder or under a file, an empty path.
TEST_F(Hostile, KindsAsOutput) {
  const fs::path fifo = path("out-fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  fs::create_directories(path("out-folder"));
  const fs::path onnx_file = onnx();
  for (const fs::path& out : {path("out-folder"), fifo, fs::path("/dev/null"),
                              path("missing/sub/x"), model_ / "x", fs::path("")}) {
    expect_contract(run("import " + sh_quoted(onnx_file) + " --out " + sh_quoted(out) + " --json"),
                    true);
    expect_contract(run("export " + sh_quoted(model_) + " --out " + sh_quoted(out) + " --json"),
                    true);
    expect_contract(run("compile " + sh_quoted(model_) + " --target-fps 1000 --out " +
                        sh_quoted(out) + " --json"),
                    true);
    expect_contract(run("generate alexnet --width-divisor 64 --out " + sh_quoted(out) +
                        " --images 2 --images-out " + sh_quoted(path("g.npy")) + " --json"),
                    true);
    expect_contract(run("generate alexnet --width-divisor 64 --out " + sh_quoted(path("g.bnnc")) +
                        " --images 2 --images-out " + sh_quoted(out) + " --json"),
                    true);
    expect_contract(run("similarity " + sh_quoted(model_) + " --data " + sh_quoted(images_) +
                        " --limit 2 --html " + sh_quoted(out) + " --json"),
                    true);
  }
}

// Sizes, truncations and flips, per format.

TEST_F(Hostile, ModelFileBytes) {
  const std::string data = " --data " + sh_quoted(images_);
  run_cases(flips_and_truncations(read_bytes(model_), 10), "bad.bnnc", {"info @", "eval @" + data});
}

TEST_F(Hostile, ModelFileCompile) {
  run_cases(flips(read_bytes(model_), 8), "bad.bnnc",
            {"compile @ --target-fps 1000 --out " + sh_quoted(path("o"))});
}

TEST_F(Hostile, OnnxBytes) {
  run_cases(flips_and_truncations(read_bytes(onnx()), 14), "bad.onnx",
            {"import @ --out " + sh_quoted(path("o.bnnc"))});
}

TEST_F(Hostile, IdxImagesBytes) {
  run_cases(flips_and_truncations(idx_images(3), 10), "bad-idx3-ubyte",
            {"eval " + sh_quoted(model_) + " --data @"});
}

TEST_F(Hostile, IdxImagesGzipBytes) {
  ASSERT_EQ(shell("gzip -n -c " + sh_quoted(images_) + " > " + sh_quoted(path("images.gz"))), 0);
  run_cases(flips_and_truncations(read_bytes(path("images.gz")), 10), "bad-idx3-ubyte.gz",
            {"eval " + sh_quoted(model_) + " --data @"});
}

TEST_F(Hostile, IdxLabelsBytes) {
  run_cases(flips_and_truncations(idx_labels(3), 8), "bad-idx1-ubyte",
            {"eval " + sh_quoted(model_) + " --data " + sh_quoted(images_) + " --labels @"});
}

TEST_F(Hostile, Cifar10Bytes) {
  const fs::path model = path("cifar.bnnc");
  save_model(tiny_classifier({32, 32, 3}), model.string());
  run_cases(flips_and_truncations(cifar10_records(2), 8), "bad.bin",
            {"eval " + sh_quoted(model) + " --data @"});
}

TEST_F(Hostile, NpyBytes) {
  run_cases(flips_and_truncations(npy_images(2), 10), "bad.npy",
            {"eval " + sh_quoted(model_) + " --data @"});
}

TEST_F(Hostile, FoldingFileBytes) {
  const Bytes good = read_bytes(design() / "folding.json");
  run_cases(flips_and_truncations(good, 8), "bad-folding.json",
            {"compile " + sh_quoted(model_) + " --folding @ --out " + sh_quoted(path("o"))});
}

TEST_F(Hostile, FinnFoldingFileBytes) {
  const std::string finn = R"({"Defaults": {}, "MatrixVectorActivation_0": {"PE": 16, "SIMD": 49},)"
                           R"( "MatrixVectorActivation_1": {"PE": 16, "SIMD": 16},)"
                           R"( "MatrixVectorActivation_2": {"PE": 16, "SIMD": 16},)"
                           R"( "MatrixVectorActivation_3": {"PE": 10, "SIMD": 16}})";
  run_cases(flips_and_truncations(Bytes(finn.begin(), finn.end()), 8), "folding_config.json",
            {"compile " + sh_quoted(model_) + " --folding @ --out " + sh_quoted(path("o"))});
}

TEST_F(Hostile, BnnPynqParamsBytes) {
  BNNC_REQUIRE_EXTERNAL(params, "bnn-pynq/params/mnist/lfcW1A1");
  const fs::path copy = path("lfcW1A1");
  fs::copy(params, copy);
  for (const auto& entry : fs::directory_iterator(copy)) {
    fs::permissions(entry.path(), fs::perms::owner_read | fs::perms::owner_write,
                    fs::perm_options::add);
  }
  const std::vector<std::string> files = {"0-0-weights.bin", "3-0-thres.bin"};
  for (const std::string& name : files) {
    const fs::path file = copy / name;
    const Bytes good = read_bytes(file);
    for (const auto& [label, bytes] : flips_and_truncations(good, 3)) {
      SCOPED_TRACE(name + ": " + label);
      write_bytes(file, bytes);
      expect_contract(run("import " + sh_quoted(copy) + " --topology lfc --out " +
                          sh_quoted(path("o.bnnc")) + " --json"),
                      true);
    }
    write_bytes(file, good);
  }
  fs::remove(copy / "1-0-thres.bin");
  expect_contract(run("import " + sh_quoted(copy) + " --topology lfc --out " +
                      sh_quoted(path("o.bnnc")) + " --json"),
                  true);
  expect_contract(run("import " + sh_quoted(copy) + " --topology cnv --out " +
                      sh_quoted(path("o.bnnc")) + " --json"),
                  true);
}

// Design folders edited after compile.

// Flipped bytes in the files simulate reads.
TEST_F(Hostile, DesignFolderBytes) {
  const fs::path d = design();
  const std::string simulate =
      "simulate " + sh_quoted(d) + " --data " + sh_quoted(images_) + " --json";
  for (const std::string name : {"folding.json", "rtl/rtl.json", "model.bnnc"}) {
    const Bytes good = read_bytes(d / name);
    for (const auto& [label, bytes] : flips_and_truncations(good, 3)) {
      SCOPED_TRACE(name + ": " + label);
      write_bytes(d / name, bytes);
      expect_contract(run(simulate), true, true);
    }
    write_bytes(d / name, good);
  }
}

// A design that no longer is what compile wrote must not pass simulate: either the edit is found
// (exit 2) or the check fails (exit 1).
TEST_F(Hostile, DesignFolderEdited) {
  const fs::path d = design();
  const std::string simulate =
      "simulate " + sh_quoted(d) + " --data " + sh_quoted(images_) + " --json";
  const auto expect_refused = [&](const std::string& edit) {
    SCOPED_TRACE(edit);
    const BnncRun result = run(simulate);
    expect_contract(result, true, true);
    EXPECT_NE(result.exit_code, 0) << "simulate passed a design edited after compile: " << edit;
  };
  ASSERT_EQ(run(simulate).exit_code, 0);

  const fs::path folding = d / "folding.json";
  const std::string good_folding = read_text(folding);
  nlohmann::json changed = nlohmann::json::parse(good_folding);
  changed["layers"][0]["pe"] = 2;
  std::ofstream(folding) << changed.dump(2);
  expect_refused("folding.json: fc0 pe 1 → 2");
  std::ofstream(folding) << good_folding;

  const fs::path model = d / "model.bnnc";
  const Bytes good_model = read_bytes(model);
  save_model(tiny_classifier({28, 28, 1}), model.string());
  expect_refused("model.bnnc replaced by another network");
  write_bytes(model, good_model);

  const fs::path mem = d / "rtl" / "fc1_weights.mem";
  const std::string good_mem = read_text(mem);
  std::string edited = good_mem;
  edited[0] = edited[0] == '0' ? '1' : '0';
  std::ofstream(mem) << edited;
  expect_refused("rtl/fc1_weights.mem: first digit changed");
  fs::remove(mem);
  expect_refused("rtl/fc1_weights.mem deleted");
  std::ofstream(mem) << good_mem;

  fs::remove(d / "rtl" / "rtl.json");
  expect_refused("rtl/rtl.json deleted");
}

// Flag ranges.

const std::vector<std::string> kHostileNumbers = {"-1", "0", "nan", "inf", "1e99", "junk"};

void sweep(const std::string& command, const std::vector<std::string>& flags,
           bool verdict = false) {
  for (const std::string& flag : flags) {
    for (const std::string& value : kHostileNumbers) {
      expect_contract(run(command + " " + flag + " " + value + " --json"), true, verdict);
    }
  }
}

TEST_F(Hostile, FlagsEval) {
  sweep("eval " + sh_quoted(model_) + " --data " + sh_quoted(images_), {"--limit", "--threads"});
}

TEST_F(Hostile, FlagsCompile) {
  sweep("compile " + sh_quoted(model_) + " --out " + sh_quoted(path("o")),
        {"--target-fps", "--clock-mhz"});
  sweep("compile " + sh_quoted(model_) + " --target-fps 1000 --out " + sh_quoted(path("o")),
        {"--clock-mhz"});
  for (const std::string budget : {"luts=-1,brams=1", "luts=nan,brams=1", "luts=1e99,brams=inf",
                                   "luts=0,brams=0", "luts=,brams=", "junk"}) {
    expect_contract(run("compile " + sh_quoted(model_) + " --objective latency --budget " + budget +
                        " --out " + sh_quoted(path("o")) + " --json"),
                    true);
  }
}

TEST_F(Hostile, FlagsSimulate) {
  sweep("simulate " + sh_quoted(design()) + " --data " + sh_quoted(images_), {"--limit"}, true);
}

// verify and synth run Verilator and Yosys for accepted values: a missing folder keeps them fast
// (the flags are checked before the folder).
TEST_F(Hostile, FlagsVerifyAndSynth) {
  const std::string missing = sh_quoted(path("no-design"));
  sweep("verify " + missing + " --data " + sh_quoted(images_),
        {"--limit", "--seed", "--stall", "--timing-frames"}, true);
  sweep("synth " + missing + " --target ice40", {"--freq-mhz"});
}

TEST_F(Hostile, FlagsSimilarityAndGenerate) {
  sweep("similarity " + sh_quoted(model_) + " --data " + sh_quoted(images_), {"--limit"});
  sweep("generate alexnet --width-divisor 64 --out " + sh_quoted(path("g.bnnc")),
        {"--seed", "--threads"});
  sweep("generate alexnet --out " + sh_quoted(path("g.bnnc")), {"--width-divisor"});
  sweep("generate alexnet --width-divisor 64 --out " + sh_quoted(path("g.bnnc")) +
            " --images-out " + sh_quoted(path("g.npy")),
        {"--images"});
}

TEST_F(Hostile, FlagsBench) {
  sweep("bench " + sh_quoted(model_) + " --seconds 0.01 --repeats 1 --batch 4",
        {"--batch", "--threads"});
  sweep("bench " + sh_quoted(model_) + " --batch 4 --repeats 1", {"--seconds"});
  sweep("bench " + sh_quoted(model_) + " --seconds 0.01 --batch 4", {"--repeats"});
}

TEST_F(Hostile, FlagsTrain) {
  if (run("train --help").exit_code != 0) GTEST_SKIP() << "bnnc train is not built here";
  sweep("train --topology tfc --epochs 1 --data " + sh_quoted(path("no-data")) + " --out " +
            sh_quoted(path("t.bnnc")),
        {"--epochs", "--batch", "--lr", "--seed", "--threads", "--limit", "--test-limit",
         "--width-divisor"});
}

// Writes that fail half way, and a full disk.

bool strace_works() { return shell("strace -f -o /dev/null true >/dev/null 2>&1") == 0; }

// Every file under `root` (or root itself) with its bytes.
std::map<std::string, Bytes> snapshot(const fs::path& root) {
  std::map<std::string, Bytes> files;
  if (fs::is_regular_file(root)) {
    files[root.filename().string()] = read_bytes(root);
    return files;
  }
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file()) {
      files[fs::relative(entry.path(), root).string()] = read_bytes(entry.path());
    }
  }
  return files;
}

std::vector<std::string> names_in(const fs::path& folder) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(folder)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

class HostileWrites : public Hostile {
 protected:
  // Writes the good output once, then reruns `command` (its --out is `out`, inside its own
  // folder) with writes failing as `fault` says. The earlier output must survive byte for byte
  // (exit 0 is fine only if the writes bnnc needed all went through: the output is the same
  // again), and nothing may be left beside it.
  void expect_output_kept(const std::string& command, const fs::path& out,
                          const std::string& fault) {
    SCOPED_TRACE(command + " under " + fault);
    ASSERT_EQ(run(command).exit_code, 0);
    const std::map<std::string, Bytes> before = snapshot(out);
    const std::vector<std::string> beside = names_in(out.parent_path());
    const BnncRun failed = run(command,
                               "strace -f -o /dev/null -e trace=write,writev,pwrite64,pwritev "
                               "-e inject=write,writev,pwrite64,pwritev:" +
                                   fault);
    EXPECT_NE(failed.exit_code, kExitTimeout) << "hang";
    EXPECT_LE(failed.exit_code, 2) << failed.err;
    EXPECT_TRUE(snapshot(out) == before) << out << " is not the earlier output any more";
    EXPECT_EQ(names_in(out.parent_path()), beside) << "files left beside " << out;
  }

  // import, export and compile, each with its writes failing as strace's `fault` says.
  void expect_outputs_kept_by_import_export_compile(const std::string& fault) {
    const fs::path onnx_file = onnx();
    for (const char* dir : {"i", "e", "c"}) fs::create_directories(path(dir));
    expect_output_kept("import " + sh_quoted(onnx_file) + " --out " + sh_quoted(path("i/m.bnnc")),
                       path("i/m.bnnc"), fault);
    expect_output_kept("export " + sh_quoted(model_) + " --out " + sh_quoted(path("e/m.onnx")),
                       path("e/m.onnx"), fault);
    expect_output_kept(
        "compile " + sh_quoted(model_) + " --target-fps 1000 --out " + sh_quoted(path("c/d")),
        path("c/d"), fault);
  }
};

TEST_F(HostileWrites, ImportExportCompileKeepTheEarlierOutputOnENOSPC) {
  if (!strace_works()) GTEST_SKIP() << "strace is missing or cannot trace here";
  expect_outputs_kept_by_import_export_compile("error=ENOSPC");
}

// The second write fails: part of the new output is already written.
TEST_F(HostileWrites, ImportExportCompileKeepTheEarlierOutputOnALateEIO) {
  if (!strace_works()) GTEST_SKIP() << "strace is missing or cannot trace here";
  expect_outputs_kept_by_import_export_compile("error=EIO:when=2+");
}

// Killed in the middle of writing: the earlier output must still be whole (a temporary file may
// remain, nothing can remove it after SIGKILL).
TEST_F(HostileWrites, KilledDuringAWriteKeepsTheEarlierOutput) {
  if (!strace_works()) GTEST_SKIP() << "strace is missing or cannot trace here";
  fs::create_directories(path("e"));
  fs::create_directories(path("c"));
  for (const auto& [command, out] : std::vector<std::pair<std::string, fs::path>>{
           {"export " + sh_quoted(model_) + " --out " + sh_quoted(path("e/m.onnx")),
            path("e/m.onnx")},
           {"compile " + sh_quoted(model_) + " --target-fps 1000 --out " + sh_quoted(path("c/d")),
            path("c/d")}}) {
    SCOPED_TRACE(command);
    ASSERT_EQ(run(command).exit_code, 0);
    const std::map<std::string, Bytes> before = snapshot(out);
    const BnncRun killed = run(command,
                               "strace -f -o /dev/null -e trace=write,writev "
                               "-e inject=write,writev:signal=SIGKILL:when=2");
    EXPECT_NE(killed.exit_code, 0);
    EXPECT_TRUE(snapshot(out) == before) << out << " is not the earlier output any more";
  }
}

// A real full disk: a small tmpfs holding good earlier outputs of tfc, the rest filled up, then
// the bigger sfc written over them. (Rewriting the same bytes would fit again once truncated.)
TEST_F(HostileWrites, FullDiskKeepsTheEarlierOutput) {
  if (!running_as_root()) GTEST_SKIP() << "mounting a tmpfs needs root";
  const fs::path mount = path("small-disk");
  fs::create_directories(mount);
  if (shell("mount -t tmpfs -o size=2m tmpfs " + sh_quoted(mount) + " 2>/dev/null") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs here (no CAP_SYS_ADMIN?)";
  }
  struct Unmount {
    fs::path at;
    ~Unmount() { shell("umount " + sh_quoted(at)); }
  } unmount{mount};
  const fs::path bigger = fs::path(BNNC_SOURCE_DIR) / "models" / "sfc.bnnc";
  const fs::path onnx_out = mount / "m.onnx";
  const fs::path design_out = mount / "d";
  ASSERT_EQ(run("export " + sh_quoted(model_) + " --out " + sh_quoted(onnx_out)).exit_code, 0);
  ASSERT_EQ(
      run("compile " + sh_quoted(model_) + " --target-fps 1000 --out " + sh_quoted(design_out))
          .exit_code,
      0);
  const std::map<std::string, Bytes> onnx_before = snapshot(onnx_out);
  const std::map<std::string, Bytes> design_before = snapshot(design_out);
  shell("dd if=/dev/zero of=" + sh_quoted(mount / "filler") + " bs=4k 2>/dev/null");
  const std::vector<std::string> beside = names_in(mount);

  const BnncRun exported =
      run("export " + sh_quoted(bigger) + " --out " + sh_quoted(onnx_out) + " --json");
  expect_contract(exported, true);
  EXPECT_EQ(exported.exit_code, 2) << "export on a full disk: " << exported.err;
  const BnncRun compiled = run("compile " + sh_quoted(bigger) + " --target-fps 1000 --out " +
                               sh_quoted(design_out) + " --json");
  expect_contract(compiled, true);
  EXPECT_EQ(compiled.exit_code, 2) << "compile on a full disk: " << compiled.err;
  EXPECT_TRUE(snapshot(onnx_out) == onnx_before) << onnx_out << " lost";
  EXPECT_TRUE(snapshot(design_out) == design_before) << design_out << " lost";
  EXPECT_EQ(names_in(mount), beside) << "files left on the full disk";
}

}  // namespace
}  // namespace bnnc
