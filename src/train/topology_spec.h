// The shapes of the networks `bnnc train` builds (DESIGN.md §4), without libtorch: the trainer,
// the exporter and the tests read the same description.
//
// MLPs (tfc, sfc, lfc) take the 784 pixels of a 28×28 image as a vector and binarize each with a
// learned batch-norm + sign (one integer threshold per pixel after streamlining).
// CNVs take 8-bit pixels quantized to fixed<8,7> (x = clamp(round(128·(p/255·2−1)), −128, 127))
// into the first binary conv. Fashion-MNIST's 28×28 images are fed to the 32×32 design by
// padding: the first conv pads by first_pad pixels of raw −128 (= −1.0, the value of pixel 0),
// which equals padding the image to 32×32 with black (2 pixels) and, for cnv-pad, its own 'same'
// padding by −1 (1 more). docs/training.md says more.
#pragma once

#include <string>
#include <vector>

namespace bnnc {

struct LayerSpec {
  bool conv = false;  // 3×3 binary conv (stride 1), else dense
  int inputs = 0;     // input channels (conv) or synapses (dense)
  int outputs = 0;    // output channels or neurons
  int pad = 0;        // conv border padding, by −1
  bool pool = false;  // 2×2 max-pool after the conv, before its batch-norm
};

struct TopologySpec {
  std::string name;
  bool image_input = false;       // CNV-style: 8-bit pixels into a conv; else MLP with input BN
  int image_size = 28;            // input image height = width (one channel)
  std::vector<LayerSpec> layers;  // the last is the dense layer that feeds the label-select
  int classes = 10;
};

// tfc, sfc, lfc, cnv or cnv-pad; width_divisor > 1 divides every hidden width (small networks
// for tests). Throws bnnc::Error naming the topology when it is unknown.
TopologySpec topology_spec(const std::string& name, int width_divisor = 1);

// "tfc, sfc, lfc, cnv, cnv-pad"
const char* topology_names();

}  // namespace bnnc
