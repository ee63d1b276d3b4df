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

// resnet on 28×28 (layer: what it reads → what it computes):
//   0: image → 3×3 conv 1→32, pad 1 by black (raw −128), 28×28
//   1: 0 → 3×3 32→32;   2: 1 → 3×3 32→32, + identity shortcut of 0          (28×28)
//   3: 2 → 3×3/2 32→64; 4: 2 → 1×1/2 32→64 projection; 5: 3 → 3×3 64→64, + 4 (14×14)
//   6: 5 → 3×3/2 64→128; 7: 5 → 1×1/2 64→128 projection; 8: 6 → 3×3, + 7     (7×7)
//   9: 8 → global sum pool → dense 128→10
// 37.1 M MACs a frame, against cnv's 58.4 M: a further identity block at 28×28 or 14×14 would
// cost 14.5 M more, which the training time on this machine could not afford. resnet-wide: the
// same blocks 1.25 times as wide (40, 80, 160 channels), 58.0 M MACs: cnv's ops at most.
TopologySpec resnet(const std::string& name, bool zero_pad, int divisor, int base) {
  TopologySpec spec{.name = name, .image_input = true, .image_size = 28, .layers = {}};
  const auto width = [&](int w) { return std::max(1, w / divisor); };
  const auto conv = [&](int in, int out, int kernel, int stride, int from) {
    const int pad = kernel / 2;
    spec.layers.push_back({.conv = true,
                           .inputs = in,
                           .outputs = out,
                           .pad = pad,
                           .kernel = kernel,
                           .stride = stride,
                           .zero_pad = zero_pad && pad > 0 && !spec.layers.empty(),
                           .from = from});
    return static_cast<int>(spec.layers.size()) - 1;
  };
  const int w1 = width(base), w2 = width(2 * base), w3 = width(4 * base);
  int x = conv(1, w1, 3, 1, -1);
  // Identity block.
  int a = conv(w1, w1, 3, 1, x);
  int b = conv(w1, w1, 3, 1, a);
  spec.layers[static_cast<std::size_t>(b)].shortcut = x;
  x = b;
  // Two projection blocks, each halving the map and doubling the width.
  int channels = w1;
  for (const int out : {w2, w3}) {
    a = conv(channels, out, 3, 2, x);
    const int p = conv(channels, out, 1, 2, x);
    spec.layers[static_cast<std::size_t>(p)].projection = true;
    b = conv(out, out, 3, 1, a);
    spec.layers[static_cast<std::size_t>(b)].shortcut = p;
    x = b;
    channels = out;
  }
  spec.layers.push_back(
      {.conv = false, .inputs = channels, .outputs = 10, .from = x, .global_pool = true});
  return spec;
}

}  // namespace

const char* topology_names() { return "tfc, sfc, lfc, cnv, cnv-pad, resnet, resnet-wide"; }

TopologySpec topology_spec(const std::string& name, int width_divisor, const std::string& padding) {
  if (width_divisor < 1) fail("width divisor {}: must be at least 1", width_divisor);
  if (name == "resnet" || name == "resnet-wide") {
    if (padding != "" && padding != "minus1" && padding != "zero") {
      fail("--padding {}: unknown (minus1 or zero)", padding);
    }
    return resnet(name, padding == "zero", width_divisor, name == "resnet" ? 32 : 40);
  }
  if (!padding.empty()) fail("--padding {}: only the resnet topologies take it", padding);
  if (name == "tfc") return mlp(name, std::max(1, 64 / width_divisor));
  if (name == "sfc") return mlp(name, std::max(1, 256 / width_divisor));
  if (name == "lfc") return mlp(name, std::max(1, 1024 / width_divisor));
  if (name == "cnv") return cnv(name, false, width_divisor);
  if (name == "cnv-pad") return cnv(name, true, width_divisor);
  fail("--topology {}: unknown (topologies: {})", name, topology_names());
}

}  // namespace bnnc
