#include "train/topology_spec.h"

#include <algorithm>

#include "core/error.h"

namespace bnnc {

namespace {

TopologySpec mlp(const std::string& name, int width) {
  TopologySpec spec{.name = name, .image_input = false, .image_size = 28, .layers = {}};
  int in = 28 * 28;
  for (int i = 0; i < 3; ++i) {
    spec.layers.push_back({.conv = false, .inputs = in, .outputs = width});
    in = width;
  }
  spec.layers.push_back({.conv = false, .inputs = in, .outputs = 10});
  return spec;
}

// CNV: 64C3-64C3-MP2-128C3-128C3-MP2-256C3-256C3-FC512-FC512-FC10 on 32×32 without padding
// (32→30→28→14→12→10→5→3→1). cnv-pad: the same widths with 'same' padding by −1 and a third
// pool to keep the FC input small (32→32→16→16→8→8→4: 4·4·256 = 4096 inputs to FC512).
TopologySpec cnv(const std::string& name, bool same_pad, int divisor) {
  TopologySpec spec{.name = name, .image_input = true, .image_size = 28, .layers = {}};
  const int widths[] = {64, 64, 128, 128, 256, 256};
  const bool pools[] = {false, true, false, true, false, same_pad};
  int channels = 1;
  int size = 32;  // after the first layer's padding of the 28×28 image to 32×32
  for (int i = 0; i < 6; ++i) {
    const int out = std::max(1, widths[i] / divisor);
    const int pad = same_pad ? 1 : 0;
    // The first layer's padding also turns 28×28 into 32×32 (topology_spec.h).
    const int layer_pad = i == 0 ? pad + 2 : pad;
    spec.layers.push_back(
        {.conv = true, .inputs = channels, .outputs = out, .pad = layer_pad, .pool = pools[i]});
    size = size + 2 * pad - 2;
    if (pools[i]) size /= 2;
    channels = out;
  }
  int in = size * size * channels;
  const int fc = std::max(1, 512 / divisor);
  for (int i = 0; i < 2; ++i) {
    spec.layers.push_back({.conv = false, .inputs = in, .outputs = fc});
    in = fc;
  }
  spec.layers.push_back({.conv = false, .inputs = in, .outputs = 10});
  return spec;
}

}  // namespace

const char* topology_names() { return "tfc, sfc, lfc, cnv, cnv-pad"; }

TopologySpec topology_spec(const std::string& name, int width_divisor) {
  if (width_divisor < 1) fail("width divisor {}: must be at least 1", width_divisor);
  if (name == "tfc") return mlp(name, std::max(1, 64 / width_divisor));
  if (name == "sfc") return mlp(name, std::max(1, 256 / width_divisor));
  if (name == "lfc") return mlp(name, std::max(1, 1024 / width_divisor));
  if (name == "cnv") return cnv(name, false, width_divisor);
  if (name == "cnv-pad") return cnv(name, true, width_divisor);
  fail("--topology {}: unknown (topologies: {})", name, topology_names());
}

}  // namespace bnnc
