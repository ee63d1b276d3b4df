// rtl/bnn_popcount.sv on its own: its count of ones (MODE 0) and of matches a == b (MODE 1, the
// binary synapse) against std::popcount, for widths that are and are not powers of two and for
// random vectors plus all-zeros, all-ones, a = b and a = ~b. One testbench holds an instance per
// (width, mode); it reads the vectors with $readmemh and prints every count. It runs in Icarus
// Verilog, which builds it in a second; in Verilator the tree runs inside every MVTU of the
// RtlBlocks and RtlNetworks tests, against the golden model (a Verilator build of this testbench
// alone took minutes of g++ on the loaded machine).
#include <gtest/gtest.h>

#include <bit>
#include <fstream>
#include <random>
#include <sstream>

#include <fmt/format.h>

#include "rtl/rtl_sources.h"
#include "rtl/run_command.h"
#include "test_support.h"

namespace bnnc {
namespace {

constexpr int kMaxWidth = 256;
constexpr int kWidths[] = {1,  2,  3,  4,  5,  6,  7,   8,   11,  13,
                           17, 30, 32, 36, 49, 64, 100, 128, 255, 256};

struct Vector {
  std::uint64_t a[kMaxWidth / 64], b[kMaxWidth / 64];
};

// The number of set bits among the low `width` bits of v (of a == b with mode 1).
int reference_count(const Vector& v, int width, int mode) {
  int count = 0;
  for (int i = 0; i < kMaxWidth / 64; ++i) {
    const int bits = std::clamp(width - 64 * i, 0, 64);
    const std::uint64_t mask = bits == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << bits) - 1;
    const std::uint64_t word = mode == 0 ? v.a[i] : ~(v.a[i] ^ v.b[i]);
    count += std::popcount(word & mask);
  }
  return count;
}

std::string hex(const std::uint64_t (&words)[kMaxWidth / 64]) {
  std::string text;
  for (int i = kMaxWidth / 64 - 1; i >= 0; --i) text += fmt::format("{:016x}", words[i]);
  return text;
}

std::vector<Vector> test_vectors(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Vector> vectors;
  const auto fill = [&](std::uint64_t a, std::uint64_t b) {
    Vector v;
    for (int i = 0; i < kMaxWidth / 64; ++i) v.a[i] = a, v.b[i] = b;
    vectors.push_back(v);
  };
  fill(0, 0);    // every synapse matches, no ones
  fill(~0, ~0);  // every synapse matches, all ones
  fill(0, ~0);   // none matches
  fill(~0, 0);
  for (int n = 0; n < 60; ++n) {
    Vector v;
    // Densities from sparse to dense, so that counts near 0 and near the width come up.
    const int density = n % 5;
    for (int i = 0; i < kMaxWidth / 64; ++i) {
      std::uint64_t a = rng(), b = rng();
      if (density == 0) a &= rng() & rng(), b = a ^ (rng() & rng() & rng());
      if (density == 1) a |= rng() | rng(), b = a ^ (rng() & rng() & rng());
      v.a[i] = a, v.b[i] = b;
    }
    vectors.push_back(v);
  }
  return vectors;
}

// The testbench: instance (width, mode) prints "width mode vector count" for every vector.
std::string testbench(int vectors) {
  std::string tb = fmt::format(
      "`default_nettype none\nmodule tb_popcount;\n  reg [{}:0] va[0:{}], vb[0:{}];\n"
      "  reg [{}:0] a, b;\n",
      kMaxWidth - 1, vectors - 1, vectors - 1, kMaxWidth - 1);
  std::string prints;
  for (const int width : kWidths) {
    for (int mode = 0; mode < 2; ++mode) {
      const int cw = std::bit_width(static_cast<unsigned>(width));
      tb += fmt::format(
          "  wire [{}:0] c_{}_{};\n  bnn_popcount #(.WIDTH({}), .MODE({})) u_{}_{} "
          "(.a(a[{}:0]), .b(b[{}:0]), .count(c_{}_{}));\n",
          cw - 1, width, mode, width, mode, width, mode, width - 1, width - 1, width, mode);
      prints +=
          fmt::format("      $display(\"{} {} %0d %0d\", i, c_{}_{});\n", width, mode, width, mode);
    }
  }
  tb +=
      "  integer i;\n  initial begin\n    $readmemh(\"a.hex\", va);\n"
      "    $readmemh(\"b.hex\", vb);\n";
  tb += fmt::format("    for (i = 0; i < {}; i = i + 1) begin\n", vectors);
  tb += "      a = va[i];\n      b = vb[i];\n      #1;\n" + prints + "    end\n    $finish;\n";
  tb += "  end\nendmodule\n";
  return tb;
}

struct ToolRun {
  int exit_code = 0;
  std::string output;
};

ToolRun run_tool(const std::vector<std::string>& argv, const std::filesystem::path& cwd) {
  const std::filesystem::path log = cwd / "tool.log";
  std::filesystem::remove(log);
  ToolRun r;
  r.exit_code = run_command(argv, cwd, log);
  std::stringstream text;
  text << std::ifstream(log).rdbuf();
  r.output = text.str();
  return r;
}

// Every count the testbench printed against the reference; returns how many it checked.
int check_counts(const std::string& output, const std::vector<Vector>& vectors,
                 const std::string& tool) {
  std::istringstream in(output);
  std::string line;
  int checked = 0;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    int width = 0, mode = 0, i = 0, count = 0;
    if (!(fields >> width >> mode >> i >> count)) continue;
    if (i < 0 || i >= static_cast<int>(vectors.size())) continue;
    const int expected = reference_count(vectors[static_cast<std::size_t>(i)], width, mode);
    EXPECT_EQ(count, expected) << tool << ": WIDTH " << width << " MODE " << mode << " vector "
                               << i;
    ++checked;
  }
  return checked;
}

class RtlPopcount : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::temp_dir("rtl-popcount");
    for (const RtlSourceFile& file : rtl_sources()) {
      if (file.name == "bnn_popcount.sv" || file.name == "bnn_defs.vh") {
        std::ofstream(dir_ / file.name) << file.text;
      }
    }
    constexpr std::uint64_t kSeed = 14;
    vectors_ = test_vectors(kSeed);
    std::ofstream a(dir_ / "a.hex"), b(dir_ / "b.hex");
    for (const Vector& v : vectors_) a << hex(v.a) << "\n", b << hex(v.b) << "\n";
    std::ofstream(dir_ / "tb_popcount.sv") << testbench(static_cast<int>(vectors_.size()));
  }

  int expected_lines() const { return static_cast<int>(vectors_.size() * std::size(kWidths) * 2); }

  std::filesystem::path dir_;
  std::vector<Vector> vectors_;
};

TEST_F(RtlPopcount, CountsEqualStdPopcountInIcarus) {
  if (find_program("iverilog").empty())
    GTEST_SKIP() << "iverilog not found (apt-get install iverilog)";
  const ToolRun compile = run_tool({"iverilog", "-g2012", "-o", "tb.vvp", "-s", "tb_popcount",
                                    "bnn_popcount.sv", "tb_popcount.sv"},
                                   dir_);
  ASSERT_EQ(compile.exit_code, 0) << compile.output;
  const ToolRun sim = run_tool({"vvp", "-n", "tb.vvp"}, dir_);
  ASSERT_EQ(sim.exit_code, 0) << sim.output;
  EXPECT_EQ(check_counts(sim.output, vectors_, "iverilog"), expected_lines()) << "seed 14";
}

// The tree `bnnc synth --target xc7` builds (BNN_XILINX_PRIMITIVES: its 6:3 counters on LUT6_2
// and CARRY4, bnn_count6_carry), on Yosys's own simulation models of those primitives.
TEST_F(RtlPopcount, CountsWithXilinxPrimitivesEqualStdPopcountInIcarus) {
  if (find_program("iverilog").empty())
    GTEST_SKIP() << "iverilog not found (apt-get install iverilog)";
  const std::filesystem::path models = "/usr/share/yosys/xilinx/cells_sim.v";
  if (!std::filesystem::exists(models))
    GTEST_SKIP() << models << " not found (apt-get install yosys)";
  const ToolRun compile =
      run_tool({"iverilog", "-g2012", "-DBNN_XILINX_PRIMITIVES", "-o", "tb.vvp", "-s",
                "tb_popcount", "bnn_popcount.sv", "tb_popcount.sv", models.string()},
               dir_);
  ASSERT_EQ(compile.exit_code, 0) << compile.output;
  const ToolRun sim = run_tool({"vvp", "-n", "tb.vvp"}, dir_);
  ASSERT_EQ(sim.exit_code, 0) << sim.output;
  EXPECT_EQ(check_counts(sim.output, vectors_, "iverilog, Xilinx primitives"), expected_lines())
      << "seed 14";
}

}  // namespace
}  // namespace bnnc
