// Property: for random trained-form networks, the streamlined graph run by the golden model gives
// the same bit as the float reference at every sign (and every pooled sign), and the same class.
#include <gtest/gtest.h>

#include <cstdlib>

#include "ir/print_graph.h"
#include "passes/streamline.h"
#include "random_network.h"
#include "sim/float_reference.h"
#include "sim/golden_model.h"

namespace bnnc {
namespace {

std::uint64_t base_seed() {
  const char* env = std::getenv("BNNC_TEST_SEED");
  return env != nullptr ? std::strtoull(env, nullptr, 10) : 20261122;
}

struct Coverage {
  int networks = 0, conv = 0, padded = 0, zero_padded = 0, fixed_input = 0, negated_rows = 0,
      negate_flags = 0;
  int and_pools = 0, or_pools = 0, constant_channels = 0;
  long long compared_bits = 0, ties_hit = 0, zero_pad_ties = 0, images = 0;
};

void count_coverage(const Graph& trained, const Graph& streamlined, Coverage& coverage) {
  ++coverage.networks;
  bool conv = false, padded = false, zero_padded = false, fixed = false;
  for (const Node& node : trained.nodes) {
    if (node.op() == Op::Conv2d) {
      conv = true;
      padded = padded || node.as<Conv2dAttrs>().pad > 0;
      zero_padded = zero_padded || node.as<Conv2dAttrs>().zero_padded();
    }
    if (node.op() == Op::Quantize) fixed = true;
    if (node.op() == Op::BatchNorm) {
      for (float gamma : node.as<BatchNormAttrs>().gamma)
        coverage.constant_channels += gamma == 0.0F;
    }
  }
  coverage.conv += conv;
  coverage.padded += padded;
  coverage.zero_padded += zero_padded;
  coverage.fixed_input += fixed;
  for (const Node& node : streamlined.nodes) {
    if (node.op() == Op::Threshold) {
      for (auto flag : node.as<ThresholdAttrs>().negate) coverage.negate_flags += flag;
    }
    if (node.op() == Op::MaxPool) {
      const auto& mins = node.as<MaxPoolAttrs>().min_channels;
      for (auto flag : mins) coverage.and_pools += flag;
      if (mins.empty()) ++coverage.or_pools;
    }
    const int same = trained.find(node.name);
    if ((node.op() == Op::Dense || node.op() == Op::Conv2d) && same >= 0) {
      const auto& a =
          node.op() == Op::Dense ? node.as<DenseAttrs>().weights : node.as<Conv2dAttrs>().weights;
      const auto& b = trained.nodes[same].op() == Op::Dense
                          ? trained.nodes[same].as<DenseAttrs>().weights
                          : trained.nodes[same].as<Conv2dAttrs>().weights;
      for (int r = 0; r < a.rows(); ++r) {
        coverage.negated_rows += a.get(r, 0) != b.get(r, 0);
      }
    }
  }
}

TEST(StreamlineProperty, GoldenEqualsFloatReferenceOnRandomNetworks) {
  const std::uint64_t seed0 = base_seed();
  constexpr int kNetworks = 1200;
  Coverage coverage;
  for (int n = 0; n < kNetworks; ++n) {
    const std::uint64_t seed = seed0 + static_cast<std::uint64_t>(n);
    const test::RandomNetwork net = test::random_network(seed);
    const Graph streamlined = streamline(net.graph);
    count_coverage(net.graph, streamlined, coverage);
    for (std::size_t i = 0; i < net.images.size(); ++i) {
      const auto reference = run_float_layers(net.graph, net.images[i]);
      const auto golden = run_golden_layers(streamlined, net.images[i]);
      ++coverage.images;
      for (std::size_t k = 0; k < net.graph.nodes.size(); ++k) {
        const Node& node = net.graph.nodes[k];
        // Ties: a batchnorm output exactly 0 right before a sign.
        // (γ = 0 channels are exactly 0 everywhere and do not count.)
        if (node.op() == Op::Sign && net.graph.nodes[node.inputs[0]].op() == Op::BatchNorm) {
          const Node& before = net.graph.nodes[node.inputs[0]];
          const auto& gamma = before.as<BatchNormAttrs>().gamma;
          const auto& values = reference[node.inputs[0]].values;
          const Node& producer = net.graph.nodes[before.inputs[0]];
          const bool zero_padded =
              producer.op() == Op::Conv2d && producer.as<Conv2dAttrs>().zero_padded();
          for (std::size_t e = 0; e < values.size(); ++e) {
            const bool tie = values[e] == 0.0F && gamma[e % gamma.size()] != 0.0F;
            coverage.ties_hit += tie;
            // A tie on a y that no popcount over N could give (y + N odd: a border window).
            if (tie && zero_padded) {
              const auto y = static_cast<long long>(reference[before.inputs[0]].values[e]);
              coverage.zero_pad_ties += (y + producer.as<Conv2dAttrs>().weights.cols()) % 2 != 0;
            }
          }
        }
        if (node.op() == Op::Conv2d && node.as<Conv2dAttrs>().zero_padded()) {
          // Its integer output is the real dot product y (or −y on a negated row).
          const Node& conv = streamlined.nodes[streamlined.find(node.name)];
          const auto& ys = golden[streamlined.find(node.name)].values;
          const int rows = node.as<Conv2dAttrs>().weights.rows();
          for (std::size_t e = 0; e < ys.size(); ++e) {
            const int r = static_cast<int>(e % rows);
            const bool negated = conv.as<Conv2dAttrs>().weights.get(r, 0) !=
                                 node.as<Conv2dAttrs>().weights.get(r, 0);
            ASSERT_EQ(static_cast<float>(negated ? -ys[e] : ys[e]), reference[k].values[e])
                << "seed " << seed << " image " << i << " layer " << node.name << " element " << e;
          }
        }
        if (!node.type.dtype.is_bit()) continue;
        const int same = streamlined.find(node.name);
        ASSERT_GE(same, 0) << "seed " << seed << ": layer " << node.name << " vanished";
        const auto& bits = golden[same].values;
        const auto& reals = reference[k].values;
        ASSERT_EQ(bits.size(), reals.size()) << "seed " << seed << " layer " << node.name;
        for (std::size_t e = 0; e < bits.size(); ++e) {
          ASSERT_EQ(bits[e] != 0, reals[e] > 0.0F)
              << "seed " << seed << " image " << i << " layer " << node.name << " element " << e
              << "\ntrained:\n"
              << print_graph(net.graph) << "streamlined:\n"
              << print_graph(streamlined);
        }
        coverage.compared_bits += static_cast<long long>(bits.size());
      }
      ASSERT_EQ(golden.back().values[0], static_cast<std::int64_t>(reference.back().values[0]))
          << "seed " << seed << " image " << i << ": classes differ";
    }
  }
  // The properties the issue asks for are really exercised.
  EXPECT_EQ(coverage.networks, kNetworks);
  EXPECT_GT(coverage.conv, kNetworks / 3);
  EXPECT_GT(coverage.padded, 50);
  EXPECT_GT(coverage.zero_padded, 50);
  EXPECT_GT(coverage.fixed_input, 50);
  EXPECT_GT(coverage.negated_rows, 100);
  EXPECT_GT(coverage.negate_flags, 100);
  EXPECT_GT(coverage.and_pools, 20);
  EXPECT_GT(coverage.or_pools, 20);
  EXPECT_GT(coverage.constant_channels, 100);
  EXPECT_GT(coverage.ties_hit, 500);
  EXPECT_GT(coverage.zero_pad_ties, 20);
  RecordProperty("compared_bits", std::to_string(coverage.compared_bits));
  std::printf(
      "networks %d (conv %d, padded %d, zero-padded %d, fixed-point input %d), images %lld, "
      "bits compared "
      "%lld, exact ties hit %lld (on border values of zero-padded convs %lld), negated rows %d, "
      "negate flags %d, AND-pool channels %d, "
      "OR pools %d, gamma=0 channels %d\n",
      coverage.networks, coverage.conv, coverage.padded, coverage.zero_padded, coverage.fixed_input,
      coverage.images, coverage.compared_bits, coverage.ties_hit, coverage.zero_pad_ties,
      coverage.negated_rows, coverage.negate_flags, coverage.and_pools, coverage.or_pools,
      coverage.constant_channels);
}

}  // namespace
}  // namespace bnnc
