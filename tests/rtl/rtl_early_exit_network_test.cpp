// Whole generated designs with early-exit MVTUs (bnn_mvtu_exit) in Verilator: random networks
// with random foldings, every layer that can exit early doing so. Every class and score equals
// the golden model's under random stalls on the input and the output, and without stalls the
// frames come out at the cycle simulator's rate, now data-dependent.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "rtl_test_support.h"

namespace bnnc {
namespace {

TEST(RtlEarlyExit, RandomNetworksUnderStallsAtTheSimulatorsRate) {
  BNNC_REQUIRE_VERILATOR();
  std::mt19937_64 rng(20261217);
  int verified = 0;
  for (std::uint64_t seed = 2100; seed < 2140 && verified < 2; ++seed) {
    const test::RandomDesign d =
        test::random_design(seed, rng, [](FoldingRequest& r) { r.early_exit = true; });
    const auto exit_layers = std::ranges::count_if(d.design.folded.blocks, &Block::early_exit);
    if (exit_layers < 2 || d.design.rtl_unsupported) continue;
    test::VerifiedDesign v;
    test::verify_at_simulator_rate(d, 5, v);
    if (HasFatalFailure()) return;
    ++verified;
  }
  EXPECT_EQ(verified, 2);
}

}  // namespace
}  // namespace bnnc
