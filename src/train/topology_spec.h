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
// resnet: a binarized ResNet on the 28×28 image itself (no 32×32 padding): a stem conv, an
// identity block and two projection blocks, then a global sum pool and a dense layer. Its layers
// are not a chain: a layer may read an earlier layer's output (`from`) and a block's last layer
// adds a shortcut after its batch-norm (`shortcut`), as docs/training.md describes.
#pragma once

#include <string>
#include <vector>

namespace bnnc {

struct LayerSpec {
  bool conv = false;  // binary conv (kernel × kernel, stride), else dense
  int inputs = 0;     // input channels (conv) or synapses (dense)
  int outputs = 0;    // output channels or neurons
  int pad = 0;        // conv border padding, by −1 (or by 0 when zero_pad)
  bool pool = false;  // 2×2 max-pool after the conv, before its batch-norm
  int kernel = 3;
  int stride = 1;
  bool zero_pad = false;  // pad with 0 (PyTorch's default), not −1; bit inputs only
  int from = -1;          // reads layer `from`'s output (−1: the layer before, or the input)
  // Adds layer `shortcut`'s output after this layer's batch-norm, before its sign: a ±1
  // activation (identity shortcut) or a projection's batch-normed values.
  int shortcut = -1;
  bool projection = false;   // batch-norm without a sign: read only as a shortcut
  bool global_pool = false;  // dense only: a global sum pool of its (HWC) input first
};

struct TopologySpec {
  std::string name;
  bool image_input = false;       // CNV-style: 8-bit pixels into a conv; else MLP with input BN
  int image_size = 28;            // input image height = width (one channel)
  std::vector<LayerSpec> layers;  // the last is the dense layer that feeds the label-select
  int classes = 10;
};

// tfc, sfc, lfc, cnv, cnv-pad, resnet or resnet-wide; width_divisor > 1 divides every hidden width
// (small networks for tests); padding "minus1" or "zero" for resnet ("" means minus1; other
// topologies take only ""). Throws bnnc::Error naming the topology or padding when it is unknown.
TopologySpec topology_spec(const std::string& name, int width_divisor = 1,
                           const std::string& padding = "");

// "tfc, sfc, lfc, cnv, cnv-pad, resnet, resnet-wide"
const char* topology_names();

}  // namespace bnnc
