// The layer lists of the ImageNet networks LP-BNN (Geng et al., ASAP 2019) and its group
// binarize: AlexNet, VGG-16 and ResNet-18, as recipes that generate_network turns into graphs.
//
//   AlexNet   conv1 11×11/4 pad 4 3→64 (→ 56×56), MP2, conv2 5×5 pad 2 64→192, MP2,
//             conv3–5 3×3 pad 1 192→384→256→256 at 14×14, MP2, FC 12544→4096→4096→1000
//             (0.805 G MACs)
//   VGG-16    13 convs 3×3 pad 1 64-64-128-128-256×3-512×3-512×3, five MP2,
//             FC 25088→4096→4096→1000 (15.5 G MACs)
//   ResNet-18 conv 7×7/2 pad 3 3→64, max-pool 3×3/2 pad 1, eight basic blocks (two 3×3 convs
//             each; 64, 128/2, 256/2, 512/2), global average pool, FC 512→1000. Without its
//             shortcuts until the residual import lands (issue 14): the chain of its convs.
//
// Every conv and hidden FC is followed by batch-norm and sign; binary convs pad with −1 (bit 0,
// FINN-R's 1-bit datapath); the first conv reads 8-bit pixels. width_divisor divides every
// hidden channel count and FC width (not the 3 input channels, not the 1000 classes).
#pragma once

#include <string>
#include <vector>

#include "ir/op.h"

namespace bnnc {

enum class ReferenceNetwork { AlexNet, Vgg16, ResNet18 };

// "alexnet", "vgg16", "resnet18"; anything else throws bnnc::Error naming the choices.
ReferenceNetwork parse_reference_network(const std::string& name);
const char* reference_network_name(ReferenceNetwork network);

enum class RecipeKind { Conv, MaxPool, GlobalSumPool, Dense };

struct LayerRecipe {
  RecipeKind kind = RecipeKind::Conv;
  int channels = 0;  // conv output channels, dense width
  int kernel = 1, stride = 1, pad = 0;
};

struct NetworkRecipe {
  std::string name;                 // the graph's name
  Shape input;                      // HWC
  std::vector<LayerRecipe> layers;  // the last is the dense layer that gives the class scores
};

// Throws bnnc::Error when width_divisor is not positive or does not divide every width.
NetworkRecipe network_recipe(ReferenceNetwork network, int width_divisor);

}  // namespace bnnc
