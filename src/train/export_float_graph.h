// A trained BnnNetwork → bnnc's float graph, the form streamline() takes:
//   MLP: input uint8[784] → batchnorm → sign → (dense → batchnorm → sign)×3 → dense → labelselect
//   CNV: input uint8[28,28,1] → quantize fixed<8,7> → (conv2d → [maxpool] → batchnorm → sign)×6
//        → reshape → (dense → batchnorm → sign)×2 → dense → labelselect
//   resnet: the same first layer, blocks whose last batch-norm feeds an add of the shortcut (the
//        block input's sign, or a 1×1 projection's batchnorm) before the sign, then
//        globalsumpool → dense → labelselect
// Weights are the signs of the latent weights (bit 1 ⇔ w ≥ 0), conv weights reordered from
// torch's (c, ky, kx) to bnnc's (ky, kx, c); batch-norms carry their running statistics; the
// scalar before the loss is dropped (it is positive, so the argmax does not see it).
#pragma once

#include "ir/graph.h"
#include "train/bnn_network.h"

namespace bnnc {

Graph export_float_graph(const BnnNetworkImpl& network);

// Fashion-MNIST's class names, in label order.
const std::vector<std::string>& fashion_mnist_classes();

}  // namespace bnnc
