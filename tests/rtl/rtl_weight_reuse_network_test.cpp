// A whole generated design with weight-reuse MVTUs (bnn_mvtu_wr) in Verilator: a random network
// with a random folding, every layer that can take weight reuse doing so. Every class and score
// equals the golden model's under random stalls on the input and the output, and without stalls
// the frames come out at exactly the cycle simulator's rate.
#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <random>

#include "rtl_test_support.h"

namespace bnnc {
namespace {

// One network covers bnn_mvtu_wr's cases: a convolution over K×K windows (K > 1) and a dense
// layer, both of its P memories (a RAM at PE 1, registers at PE > 1), and a last layer without
// thresholds; the first seed whose design has them all.
TEST(RtlWeightReuse, ConvAndDenseLayersUnderStallsAtTheSimulatorsRate) {
  BNNC_REQUIRE_VERILATOR();
  std::mt19937_64 rng(20261204);
  std::optional<test::RandomDesign> found;
  for (std::uint64_t seed = 3100; seed < 3200 && !found; ++seed) {
    test::RandomDesign d =
        test::random_design(seed, rng, [](FoldingRequest& r) { r.reuse = ReuseMode::Weight; });
    int windows = 0, dense = 0, ram = 0, registers = 0, counts = 0;
    for (const Block& b : d.design.folded.blocks) {
      if (!b.weight_reuse) continue;
      windows += b.kernel > 1 ? 1 : 0;
      dense += b.is_conv() ? 0 : 1;
      ++(b.pe == 1 ? ram : registers);
      counts += b.threshold < 0 ? 1 : 0;
    }
    if (windows > 0 && dense > 0 && ram > 0 && registers > 0 && counts > 0 &&
        !d.design.rtl_unsupported)
      found = std::move(d);
  }
  ASSERT_TRUE(found.has_value()) << "no seed in [3100, 3200) gives weight reuse in a K×K conv, a "
                                    "dense layer and a last layer without thresholds, at PE 1 "
                                    "and at PE > 1";
  test::VerifiedDesign v;
  test::verify_at_simulator_rate(*found, 7, v);
  if (HasFatalFailure()) return;
  EXPECT_TRUE(std::filesystem::exists(v.dir / "rtl" / "bnn_mvtu_wr.sv")) << found->what;
}

}  // namespace
}  // namespace bnnc
