// Whole generated designs with weight-reuse MVTUs (bnn_mvtu_wr) in Verilator: random networks
// with random foldings, every layer that can take weight reuse doing so. Every class and score
// equals the golden model's under random stalls on the input and the output, and without stalls
// the frames come out at exactly the cycle simulator's rate.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <random>

#include "rtl_test_support.h"

namespace bnnc {
namespace {

TEST(RtlWeightReuse, RandomNetworksUnderStallsAtTheSimulatorsRate) {
  BNNC_REQUIRE_VERILATOR();
  std::mt19937_64 rng(20261204);
  int verified = 0;
  int ram_layers = 0, register_layers = 0;  // bnn_mvtu_wr's two P memories: PE 1 and PE > 1
  for (std::uint64_t seed = 3100; seed < 3140 && verified < 2; ++seed) {
    const test::RandomDesign d =
        test::random_design(seed, rng, [](FoldingRequest& r) { r.reuse = ReuseMode::Weight; });
    const auto reuse_layers = std::ranges::count_if(d.design.folded.blocks, &Block::weight_reuse);
    if (reuse_layers < 2 || d.design.rtl_unsupported) continue;
    test::VerifiedDesign v;
    test::verify_at_simulator_rate(d, 7, v);
    if (HasFatalFailure()) return;
    EXPECT_TRUE(std::filesystem::exists(v.dir / "rtl" / "bnn_mvtu_wr.sv")) << d.what;
    for (const Block& b : d.design.folded.blocks) {
      if (b.weight_reuse) ++(b.pe == 1 ? ram_layers : register_layers);
    }
    ++verified;
  }
  EXPECT_EQ(verified, 2);
  EXPECT_GT(ram_layers, 0);
  EXPECT_GT(register_layers, 0);
}

}  // namespace
}  // namespace bnnc
