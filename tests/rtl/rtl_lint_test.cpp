// Every RTL file passes `verilator --lint-only -Wall`, elaborates in Icarus Verilog and
// synthesizes in Yosys — the hand-written blocks with their default parameters, and the top
// level bnnc generates; an illegal parameter combination stops elaboration with a message that
// names the instance.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>

#include <fstream>
#include <regex>
#include <sstream>

#include "fold/folding.h"
#include "fold/lower_to_dataflow.h"
#include "fold/size_fifos.h"
#include "passes/streamline.h"
#include "random_network.h"
#include "rtl/emit_rtl.h"
#include "rtl/rtl_sources.h"
#include "rtl/run_command.h"
#include "test_support.h"

namespace bnnc {
namespace {

struct Tool {
  int exit_code = 0;
  std::string output;
};

Tool run(const std::vector<std::string>& argv, const std::filesystem::path& cwd) {
  const std::filesystem::path log = cwd / "tool.log";
  std::filesystem::remove(log);
  Tool t;
  t.exit_code = run_command(argv, cwd, log);
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  t.output = text.str();
  return t;
}

// The embedded block sources written into a fresh folder; returns their names.
std::vector<std::string> write_blocks(const std::filesystem::path& dir) {
  std::vector<std::string> sv;
  for (const RtlSourceFile& file : rtl_sources()) {
    if (!file.name.ends_with(".sv") && !file.name.ends_with(".vh")) continue;
    std::ofstream(dir / file.name) << file.text;
    if (file.name.ends_with(".sv")) sv.emplace_back(file.name);
  }
  return sv;
}

std::string module_of(const std::string& file) { return file.substr(0, file.size() - 3); }

std::string joined(const std::vector<std::string>& files) {
  std::string text;
  for (const std::string& f : files) text += " " + f;
  return text;
}

TEST(RtlLint, BlocksAreLintCleanAndElaborateEverywhere) {
  if (find_program("verilator").empty()) GTEST_SKIP() << "verilator not found";
  const std::filesystem::path dir = test::temp_dir("rtl-lint");
  const std::vector<std::string> files = write_blocks(dir);
  ASSERT_GE(files.size(), 10U);
  const bool iverilog = !find_program("iverilog").empty();
  const bool yosys = !find_program("yosys").empty();
  for (const std::string& file : files) {
    const std::string top = module_of(file);
    std::vector<std::string> lint = {"verilator", "--lint-only", "-Wall", "--top-module", top};
    lint.insert(lint.end(), files.begin(), files.end());
    const Tool v = run(lint, dir);
    EXPECT_EQ(v.exit_code, 0) << file << ":\n" << v.output;
    if (iverilog) {
      std::vector<std::string> elaborate = {"iverilog", "-g2012", "-o", "/dev/null", "-s", top};
      elaborate.insert(elaborate.end(), files.begin(), files.end());
      const Tool i = run(elaborate, dir);
      EXPECT_EQ(i.exit_code, 0) << file << ":\n" << i.output;
    }
    if (yosys) {
      const Tool y = run(
          {"yosys", "-q", "-p", "read_verilog -sv" + joined(files) + "; synth -top " + top}, dir);
      EXPECT_EQ(y.exit_code, 0) << file << ":\n" << y.output;
    }
  }
}

TEST(RtlLint, IllegalParametersStopElaboration) {
  if (find_program("verilator").empty()) GTEST_SKIP() << "verilator not found";
  const std::filesystem::path dir = test::temp_dir("rtl-illegal");
  const std::vector<std::string> files = write_blocks(dir);
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"bnn_fifo", {"-GDEPTH=1"}},
      {"bnn_rom", {"-GLATENCY=3"}},
      {"bnn_mvtu", {"-GMH=9"}},  // more rows than NF·PE = 4
      {"bnn_mvtu", {"-GIN_WORDS=3"}},
      {"bnn_mvtu_is", {"-GMH=9"}},
      {"bnn_mvtu_is", {"-GACC_SIGNED=1"}},  // binary accumulators are popcounts
      {"bnn_mvtu", {"-GZERO_PAD=1"}},       // a binary accumulator of y must be signed
      {"bnn_mvtu", {"-GZERO_PAD=1", "-GACC_SIGNED=1", "-GK=3", "-GPAD=1"}},  // SF 2 < K·K
      // SIMD over taps with K = 2 (legal: TAPS 2, SF 2): TAPS 4 · SF 2 is not K·K; MMV 2 does not
      // divide OFM_W 3
      {"bnn_mvtu", {"-GZERO_PAD=1", "-GACC_SIGNED=1", "-GK=2", "-GPAD=1", "-GTAPS=4"}},
      {"bnn_mvtu",
       {"-GZERO_PAD=1", "-GACC_SIGNED=1", "-GK=2", "-GPAD=1", "-GTAPS=2", "-GMMV=2", "-GOFM_W=3"}},
      {"bnn_swu", {"-GCH=3", "-GSIMD=2"}},
      {"bnn_swu", {"-GK=5"}},
      {"bnn_maxpool", {"-GCH=3", "-GSIMD=2"}},
      {"bnn_fmpadding", {"-GCH=3", "-GSIMD=2"}},
      {"bnn_thresholding", {"-GCH=5"}},
      {"bnn_dwc", {"-GIN_ELEMS=0"}},
      {"bnn_label_select", {"-GCLASS_BITS=3"}},
      {"bnn_label_select", {"-GSHIFT=3"}},  // SCORE_BITS 10 < BITS 8 + SHIFT 3 + 1
      {"bnn_quantize", {"-GIN_BITS=17"}},
  };
  for (const auto& [top, params] : cases) {
    std::vector<std::string> lint = {"verilator", "--lint-only", "-Wall", "--top-module", top};
    lint.insert(lint.end(), params.begin(), params.end());
    lint.insert(lint.end(), files.begin(), files.end());
    const Tool v = run(lint, dir);
    EXPECT_NE(v.exit_code, 0) << top << joined(params);
    EXPECT_NE(v.output.find(top + ":"), std::string::npos)
        << top << joined(params) << " should name the module:\n"
        << v.output;
  }
}

// bnn_top gives every block its path as NAME, so an illegal parameter in a generated design names
// the instance, not only the module (%m is no help: Verilator 5.006 rejects it at elaboration and
// Yosys 0.23 prints it as is; rtl/bnn_defs.vh).
TEST(RtlLint, IllegalParametersInTheTopNameTheInstance) {
  if (find_program("verilator").empty()) GTEST_SKIP() << "verilator not found";
  const test::RandomNetwork net = test::random_network(1001);
  const DataflowGraph design = apply_folding(lower_to_dataflow(streamline(net.graph)), {});
  const std::filesystem::path dir = test::temp_dir("rtl-top-illegal");
  const RtlDesign rtl = emit_rtl(design, size_fifos(design), dir);
  std::vector<std::string> files;
  for (const std::string& f : rtl.sources) {
    if (f.ends_with(".sv")) files.push_back(f);
  }
  std::stringstream text;
  text << std::ifstream(dir / "bnn_top.sv").rdbuf();
  const std::string top = text.str();
  // (the instance through the parameter's "(", the instance's path, the value): a FIFO one word
  // deep (bnn_fifo needs 2), an MVTU with more rows than NF·PE.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"re((\.NAME\("(bnn_top\.u_\w+_fifo)"\),\s*`endif\s*\.WIDTH\(\d+\),\s*\.DEPTH\()(\d+))re",
       "1"},
      {R"re((bnn_mvtu #\(\s*`ifndef BNN_NO_INSTANCE_NAMES\s*\.NAME\("(bnn_top\.u_\w+)"\),[^;]*?\.MH\()(\d+))re",
       "100000"}};
  for (const auto& [pattern, value] : cases) {
    std::smatch match;
    ASSERT_TRUE(std::regex_search(top, match, std::regex(pattern))) << pattern << " in\n" << top;
    const std::string instance = match[2].str();
    std::ofstream(dir / "bnn_top.sv")
        << match.prefix().str() << match[1].str() << value << match.suffix().str();
    std::vector<std::string> lint = {"verilator", "--lint-only", "-Wall", "--top-module",
                                     "bnn_top"};
    lint.insert(lint.end(), files.begin(), files.end());
    const Tool v = run(lint, dir);
    EXPECT_NE(v.exit_code, 0) << instance;
    EXPECT_NE(v.output.find(instance + ": "), std::string::npos)
        << "Verilator should name " << instance << ":\n"
        << v.output;
    if (!find_program("yosys").empty()) {
      const Tool y = run(
          {"yosys", "-q", "-p", "read_verilog -sv" + joined(files) + "; hierarchy -top bnn_top"},
          dir);
      EXPECT_NE(y.exit_code, 0) << instance;
      EXPECT_NE(y.output.find(instance + ": "), std::string::npos)
          << "Yosys should name " << instance << ":\n"
          << y.output;
    }
  }
}

TEST(RtlLint, GeneratedTopIsLintCleanAndSynthesizes) {
  if (find_program("verilator").empty()) GTEST_SKIP() << "verilator not found";
  // A small CNN (convs with padding and pools, a fixed-point first layer when the seed draws
  // one), an MLP, and a CNN with a zero-padded conv (bnn_mvtu's ZERO_PAD).
  for (const std::uint64_t seed : {1001U, 1003U, 3009U}) {
    test::RandomNetworkOptions options;
    if (seed == 3009U) options.zero_pad_chance = 1.0, options.always_pad = true;
    const test::RandomNetwork net = test::random_network(seed, options);
    const DataflowGraph design = apply_folding(lower_to_dataflow(streamline(net.graph)), {});
    if (seed == 3009U) {
      ASSERT_TRUE(std::ranges::any_of(design.blocks, [](const Block& b) { return b.zero_pad; }));
    }
    const std::filesystem::path dir = test::temp_dir("rtl-top-" + std::to_string(seed));
    const RtlDesign rtl = emit_rtl(design, size_fifos(design), dir);
    std::vector<std::string> files;
    for (const std::string& f : rtl.sources) {
      if (f.ends_with(".sv")) files.push_back(f);
    }
    for (const char* define : {"+define+BNN_OBSERVE", "+define+BNN_NOTHING"}) {
      std::vector<std::string> lint = {"verilator",    "--lint-only", "-Wall",
                                       "--top-module", "bnn_top",     define};
      lint.insert(lint.end(), files.begin(), files.end());
      const Tool v = run(lint, dir);
      EXPECT_EQ(v.exit_code, 0) << "seed " << seed << " " << define << ":\n" << v.output;
    }
    if (!find_program("iverilog").empty()) {
      std::vector<std::string> elaborate = {"iverilog",  "-g2012", "-o",
                                            "/dev/null", "-s",     "bnn_top"};
      elaborate.insert(elaborate.end(), files.begin(), files.end());
      const Tool i = run(elaborate, dir);
      EXPECT_EQ(i.exit_code, 0) << "seed " << seed << ":\n" << i.output;
    }
    if (!find_program("yosys").empty()) {
      const Tool y = run(
          {"yosys", "-q", "-p", "read_verilog -sv" + joined(files) + "; synth -top bnn_top"}, dir);
      EXPECT_EQ(y.exit_code, 0) << "seed " << seed << ":\n" << y.output;
    }
  }
}

// bnn_rom's STYLE is where Yosys puts the memory (the compiler sets it from its placement on a
// part, design/save_design.cpp): block RAM for a shallow ROM Yosys would build from logic, LUTs
// for a deep one it would put in block RAM; "" leaves Yosys's own choice; anything else stops
// elaboration naming the style. Each form is also lint-clean.
TEST(RtlLint, RomStyleDecidesWhereYosysPutsTheMemory) {
  if (find_program("yosys").empty()) GTEST_SKIP() << "yosys not found";
  const std::filesystem::path dir = test::temp_dir("rtl-rom-style");
  write_blocks(dir);
  struct Case {
    int width, depth;
    std::string style;
    bool in_bram;
  };
  const Case cases[] = {
      {72, 18, "", false}, {72, 18, "block", true}, {8, 2048, "", true}, {8, 2048, "logic", false}};
  for (const Case& c : cases) {
    {  // words that differ, so that nothing folds away
      std::ofstream mem(dir / "rom.mem");
      for (int i = 0; i < c.depth; ++i) {
        std::string word;
        for (int d = 0; d < (c.width + 3) / 4; ++d)
          word += "0123456789abcdef"[(i * 7 + d * 3) % 16];
        mem << word << "\n";
      }
    }
    const std::string params = "-set WIDTH " + std::to_string(c.width) + " -set DEPTH " +
                               std::to_string(c.depth) + " -set INIT_FILE \"rom.mem\"" +
                               (c.style.empty() ? "" : " -set STYLE \"" + c.style + "\"");
    std::ofstream(dir / "rom.ys") << "read_verilog -sv -DBNN_NO_INSTANCE_NAMES bnn_rom.sv\n"
                                  << "chparam " << params << " bnn_rom\n"
                                  << "synth_xilinx -family xc7 -top bnn_rom\nstat\n";
    const Tool y = run({"yosys", "-s", "rom.ys"}, dir);
    const std::string label =
        std::to_string(c.depth) + "x" + std::to_string(c.width) + " \"" + c.style + "\"";
    ASSERT_EQ(y.exit_code, 0) << label << ":\n" << y.output.substr(y.output.size() - 2000);
    const bool bram = std::regex_search(y.output, std::regex(R"(RAMB(18|36)E1\s+\d+)"));
    EXPECT_EQ(bram, c.in_bram) << label;
    if (!find_program("verilator").empty() && !c.style.empty()) {
      const Tool v = run({"verilator", "--lint-only", "-Wall", "--top-module", "bnn_rom",
                          "-GSTYLE=\"" + c.style + "\"", "bnn_rom.sv"},
                         dir);
      EXPECT_EQ(v.exit_code, 0) << label << ":\n" << v.output;
    }
  }
  const Tool bad = run({"yosys", "-q", "-p",
                        "read_verilog -sv -DBNN_NO_INSTANCE_NAMES bnn_rom.sv; chparam -set STYLE "
                        "\"bram\" bnn_rom; hierarchy -top bnn_rom"},
                       dir);
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("STYLE \"bram\" is neither block nor logic"), std::string::npos)
      << bad.output;
}

// A join's table goes where TABLE_STYLE says (the compiler's placement, as an MVTU's weights):
// each of the 8 lanes reads its slot's own ROM of 514 words of 9 bits (table_kkkk.mem), so in
// block RAM each lane takes one RAMB18, and with "logic" none.
TEST(RtlLint, JoinTableGoesWhereItsStyleSays) {
  if (find_program("yosys").empty()) GTEST_SKIP() << "yosys not found";
  const std::filesystem::path dir = test::temp_dir("rtl-join-table-style");
  write_blocks(dir);
  const int lanes = 8, channels = 16, span = 257;
  for (int k = 0; k < lanes; ++k) {  // words that differ, so that nothing folds away
    std::ofstream mem(dir / fmt::format("table_{:04}.mem", k));
    for (int i = 0; i < channels / lanes * span; ++i)
      mem << fmt::format("{:03x}\n", (i * 37 + k * 101) % 512);
  }
  for (const std::string style : {"block", "logic"}) {
    std::ofstream(dir / "join.ys")
        << "read_verilog -sv -DBNN_NO_INSTANCE_NAMES bnn_rom.sv bnn_add_streams.sv\n"
        << "chparam -set LANES " << lanes << " -set IN0_BITS 10 -set IN1_BITS 9 -set OUT_BITS 12"
        << " -set TABLE 1 -set CH " << channels << " -set GROUP " << lanes << " -set SPAN " << span
        << " -set OFF_BITS 9 -set TABLE_FILE \"table\" -set TABLE_STYLE \"" << style
        << "\" bnn_add_streams\n"
        << "synth_xilinx -family xc7 -top bnn_add_streams\nstat\n";
    const Tool y = run({"yosys", "-s", "join.ys"}, dir);
    ASSERT_EQ(y.exit_code, 0) << style << ":\n" << y.output.substr(y.output.size() - 2000);
    std::smatch m18, m36;
    const std::string stat = y.output.substr(y.output.rfind("Number of cells"));
    const int ramb18 = std::regex_search(stat, m18, std::regex(R"(RAMB18E1\s+(\d+))"))
                           ? std::stoi(m18[1].str())
                           : 0;
    const int ramb36 = std::regex_search(stat, m36, std::regex(R"(RAMB36E1\s+(\d+))"))
                           ? std::stoi(m36[1].str())
                           : 0;
    EXPECT_EQ(ramb18 + 2 * ramb36, style == "block" ? lanes : 0) << style << ":\n" << stat;
    if (!find_program("verilator").empty()) {
      const Tool v = run({"verilator", "--lint-only", "-Wall", "--top-module", "bnn_add_streams",
                          "-GTABLE=1", "-GCH=16", "-GGROUP=8", "-GLANES=8", "-GSPAN=257",
                          "-GIN1_BITS=9", "-GIN0_BITS=10", "-GOUT_BITS=12", "-GOFF_BITS=9",
                          "-GTABLE_STYLE=\"" + style + "\"", "bnn_rom.sv", "bnn_add_streams.sv"},
                         dir);
      EXPECT_EQ(v.exit_code, 0) << style << ":\n" << v.output;
    }
  }
}

}  // namespace
}  // namespace bnnc
