// Reproducible reference networks: random binary weights and batch-norms, seeded, for the
// recipes of network_recipe.h.
//
// Random weights alone do not make a usable network: a threshold far from where its popcounts
// fall makes a channel that always or never fires, and after a few such layers every image
// looks the same. So each batch-norm is drawn where the data puts it: the network is built layer
// by layer, a set of calibration images (random, seeded, not the test images) runs through what
// exists so far in the golden model, and each channel's batch-norm puts its threshold at the
// median of that channel's pre-activations over every calibration image and position (the value
// of {median, median + 1} whose firing fraction is nearer one half). γ is drawn in ±[0.5, 2]
// (negative for about one channel in four: the streamliner negates those weight rows), var in
// [0.5, 2], β = 0, and μ is the real value of the chosen threshold, so the streamlined threshold
// is that integer exactly.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "zoo/network_recipe.h"

namespace bnnc {

struct GenerateOptions {
  ReferenceNetwork network = ReferenceNetwork::AlexNet;
  std::uint64_t seed = 1;
  int width_divisor = 1;
  // 0: no calibration, each threshold at the middle of its layer's range (fast, for shape and
  // cost checks; deep layers of such a network may fire always or never).
  int calibration_images = 8;
  int threads = 1;  // calibration images run in parallel; the result does not depend on it
};

// How one hidden layer's outputs fire on the calibration images.
struct LayerFiring {
  std::string name;       // the layer's sign
  double fraction = 0.0;  // of output bits that are 1
  int channels = 0;
  int constant_channels = 0;  // that always or never fire on every calibration image
};

struct GeneratedNetwork {
  Graph graph;  // streamlined (thresholds), types inferred: what `bnnc generate` saves
  std::vector<LayerFiring> firing;
};

GeneratedNetwork generate_network(const GenerateOptions& options);

// The seed of the test images for a network generated with `seed` (different from its
// calibration images', so that the tests do not run on the images the thresholds were fit to).
std::uint64_t test_images_seed(std::uint64_t seed);

}  // namespace bnnc
