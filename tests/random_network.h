// Random small BNNs in the form they are trained (batchnorm + sign in float), for property tests
// of the streamliner and, later, of every engine against the golden model.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "ir/graph.h"

namespace bnnc::test {

struct RandomNetwork {
  Graph graph;                                    // float graph, types inferred
  std::vector<std::vector<std::uint8_t>> images;  // inputs to run it on
  int tie_channels = 0;  // batchnorm channels whose zero sits exactly on a value the images yield
};

struct RandomNetworkOptions {
  int images = 4;
  bool allow_conv = true;
  bool allow_zero_pad = true;    // zero-padded binary convs
  double zero_pad_chance = 0.6;  // of a padded conv on bits, when allowed
  bool always_pad = false;       // every conv pads (by 1 where the draw said 0)
  // Max-pools with a border (pad < kernel) and a global sum pool in place of the flatten: the
  // golden model and the CPU engine run them, the dataflow compiler does not yet.
  bool allow_padded_pool = false;
  bool allow_global_pool = false;
};

// A network drawn from `seed`: an MLP or a small CNN over a uint8 image; first layer either
// per-pixel batchnorm+sign or fixed-point pixels into a binary conv; conv layers with kernel 1–3,
// stride 1–2, padding by −1 or +1 or by zeros (PadMode::Zero, pad 1–2); max-pool before or after
// batchnorm; channels with γ > 0, γ < 0 and γ = 0; and batchnorm means set to values the images
// really produce (exact ties).
RandomNetwork random_network(std::uint64_t seed, const RandomNetworkOptions& options = {});

// An integer-only (streamlined) chain of zero-padded convolutions that puts the border at every
// word boundary: a 7×7×1 image → bits (pixel ≥ 128) → conv 3×3/1 pad 1 (63 rows) → conv 5×5/2 pad 2
// (64) → conv 3×3/2 pad 1 (65) → conv 5×5/1 pad 2 (10 rows, no threshold: the signed sums y) →
// flatten → label. Every threshold is a value of y that `images` random images produce at a border
// position of that layer (exact ties), and some rows have their comparison negated.
RandomNetwork zero_padded_chain(std::uint64_t seed, int images);

// The same kind of chain with given layers on a size × size × channels image (each channel
// binarized at 128), e.g. kernels whose taps a word crosses a kernel row (SIMD over taps).
struct ZeroPaddedLayer {
  int rows, kernel, stride, pad;
};
RandomNetwork zero_padded_chain(std::uint64_t seed, int images, int size, int channels,
                                std::span<const ZeroPaddedLayer> layers);

// A rows × cols matrix of random bits, for hand-built test networks.
BinaryMatrix random_matrix(int rows, int cols, std::mt19937_64& rng);

// Thresholds at half the fan-in, which keep about half of a random layer's outputs firing.
ThresholdAttrs half_thresholds(int channels, int fan_in);

}  // namespace bnnc::test
