// Helpers of the RTL tests (label rtl): running one hand-written block on its own in Verilator,
// between a source and a sink that stall at random, and laying out element streams as the
// blocks' words (docs/rtl.md, "stream convention").
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "design/design.h"
#include "random_network.h"
#include "rtl/run_rtl_design.h"
#include "sim/cycle_simulator.h"

namespace bnnc::test {

// True when verilator, make and g++ are in PATH.
bool have_verilator();

#define BNNC_REQUIRE_VERILATOR()                                                             \
  if (!::bnnc::test::have_verilator()) {                                                     \
    GTEST_SKIP() << "verilator, make or g++ not found (apt-get install verilator make g++)"; \
  }

// Words of `elems` lanes from a flat element stream cut into vectors of `vector` elements: each
// vector takes ⌈vector/elems⌉ words, the last one zero-filled. Returns the lanes, flat.
std::vector<std::int64_t> to_words(const std::vector<std::int64_t>& elements, int elems,
                                   int vector);

struct BlockUnderTest {
  std::string module;                                         // "bnn_swu"
  std::vector<std::pair<std::string, std::string>> params;    // Verilog literals
  std::vector<std::pair<std::string, std::string>> memories;  // file, $readmemh text
  int in_elems = 1, in_bits = 1;                              // s_axis word
  int out_elems = 1, out_bits = 1;                            // m_axis word
  bool out_signed = false;
};

// Builds the block (cached) and streams `input` (flat lanes, in_elems per word) through it with
// stall probability `stall` on both sides; returns the output lanes, flat. Fails the test on a
// deadlock or when the count of output words differs from expected_words. With output_cycles,
// also the cycle each output word came out.
std::vector<std::int64_t> run_block(const BlockUnderTest& block,
                                    const std::vector<std::int64_t>& input,
                                    std::int64_t expected_words, double stall, std::uint64_t seed,
                                    std::vector<std::int64_t>* output_cycles = nullptr);

// run_block at stall 0 and at stall 0.4 with two seeds, each compared with `expected`.
void expect_block_output(const BlockUnderTest& block, const std::vector<std::int64_t>& input,
                         const std::vector<std::int64_t>& expected, const std::string& what);

// What verify_design saw: the run under stalls (every frame), the run without (the first
// timing_frames), the cycle simulator on those, and the design folder it saved.
struct VerifiedDesign {
  std::filesystem::path dir;
  RtlRunResult stalled, timing;
  SimulationResult sim;
};

// Saves `design` (its RTL with its FIFO depths) in a temporary folder, builds it in Verilator
// and runs it twice, with random stalls on both sides (0.3, `options.seed`) and without, checks
// every frame of both runs against the golden model, and simulates the unstalled frames for the
// caller's cycle comparison.
void verify_design(const Design& design, std::span<const std::span<const std::uint8_t>> frames,
                   const std::string& what, VerifiedDesign& v, int timing_frames = 8,
                   RtlRunOptions options = {});

// A random network drawn from `seed` (6 images, no zero padding), streamlined and compiled with
// a random folding from `rng` after `configure` set the request's options (weight reuse, early
// exit): the designs of the tests of one MVTU variant in whole networks.
struct RandomDesign {
  RandomNetwork net;
  Design design;
  std::string what;  // "random network seed S", for failure messages
};
RandomDesign random_design(std::uint64_t seed, std::mt19937_64& rng,
                           const std::function<void(FoldingRequest&)>& configure);

// verify_design on every image of `d`'s network (RtlRunOptions::seed `run_seed`), and the frames
// without stalls come out at exactly the cycle simulator's rate.
void verify_at_simulator_rate(const RandomDesign& d, std::uint64_t run_seed, VerifiedDesign& v);

}  // namespace bnnc::test
