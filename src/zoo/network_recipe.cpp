#include "zoo/network_recipe.h"

#include <fmt/format.h>

#include "core/error.h"

namespace bnnc {

namespace {

constexpr int kClasses = 1000;

LayerRecipe conv(int channels, int kernel, int stride, int pad) {
  return {RecipeKind::Conv, channels, kernel, stride, pad};
}
LayerRecipe pool(int kernel, int stride, int pad = 0) {
  return {RecipeKind::MaxPool, 0, kernel, stride, pad};
}
LayerRecipe dense(int width) { return {RecipeKind::Dense, width, 1, 1, 0}; }

std::vector<LayerRecipe> alexnet() {
  return {conv(64, 11, 4, 4), pool(2, 2),         conv(192, 5, 1, 2), pool(2, 2),
          conv(384, 3, 1, 1), conv(256, 3, 1, 1), conv(256, 3, 1, 1), pool(2, 2),
          dense(4096),        dense(4096),        dense(kClasses)};
}

std::vector<LayerRecipe> vgg16() {
  std::vector<LayerRecipe> layers;
  for (const auto& [width, convs] : {std::pair{64, 2}, {128, 2}, {256, 3}, {512, 3}, {512, 3}}) {
    for (int i = 0; i < convs; ++i) layers.push_back(conv(width, 3, 1, 1));
    layers.push_back(pool(2, 2));
  }
  for (int width : {4096, 4096, kClasses}) layers.push_back(dense(width));
  return layers;
}

std::vector<LayerRecipe> resnet18() {
  std::vector<LayerRecipe> layers = {conv(64, 7, 2, 3), pool(3, 2, 1)};
  for (int width : {64, 128, 256, 512}) {
    // Two basic blocks of two 3×3 convs; the first conv of stages 2–4 halves the image.
    for (int i = 0; i < 4; ++i) layers.push_back(conv(width, 3, i == 0 && width > 64 ? 2 : 1, 1));
  }
  layers.push_back({RecipeKind::GlobalSumPool, 0, 1, 1, 0});
  layers.push_back(dense(kClasses));
  return layers;
}

}  // namespace

ReferenceNetwork parse_reference_network(const std::string& name) {
  for (ReferenceNetwork n :
       {ReferenceNetwork::AlexNet, ReferenceNetwork::Vgg16, ReferenceNetwork::ResNet18}) {
    if (name == reference_network_name(n)) return n;
  }
  fail("unknown network '{}' (alexnet, vgg16, resnet18)", name);
}

const char* reference_network_name(ReferenceNetwork network) {
  switch (network) {
    case ReferenceNetwork::AlexNet: return "alexnet";
    case ReferenceNetwork::Vgg16: return "vgg16";
    case ReferenceNetwork::ResNet18: return "resnet18";
  }
  return "?";
}

NetworkRecipe network_recipe(ReferenceNetwork network, int width_divisor) {
  if (width_divisor < 1) fail("--width-divisor {} must be at least 1", width_divisor);
  NetworkRecipe recipe;
  recipe.name = reference_network_name(network);
  if (network == ReferenceNetwork::ResNet18) recipe.name += "-no-shortcuts";
  if (width_divisor > 1) recipe.name += fmt::format("-width-div{}", width_divisor);
  recipe.input = {224, 224, 3};
  switch (network) {
    case ReferenceNetwork::AlexNet: recipe.layers = alexnet(); break;
    case ReferenceNetwork::Vgg16: recipe.layers = vgg16(); break;
    case ReferenceNetwork::ResNet18: recipe.layers = resnet18(); break;
  }
  for (std::size_t i = 0; i + 1 < recipe.layers.size(); ++i) {
    LayerRecipe& layer = recipe.layers[i];
    if (layer.channels == 0) continue;
    if (layer.channels % width_divisor != 0) {
      fail("--width-divisor {} does not divide {}'s width {} (layer {})", width_divisor,
           recipe.name, layer.channels, i);
    }
    layer.channels /= width_divisor;
  }
  return recipe;
}

}  // namespace bnnc
