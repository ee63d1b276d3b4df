#include "train/export_float_graph.h"

#include <string>

#include "ir/infer_types.h"

namespace bnnc {

namespace {

// Torch's [out, in] or [out, c, ky, kx] latent weights → bnnc's bits, columns in (ky, kx, c).
BinaryMatrix binary_weights(const torch::Tensor& latent, bool conv) {
  const torch::Tensor w = (conv ? latent.permute({0, 2, 3, 1}) : latent)
                              .detach()
                              .reshape({latent.size(0), -1})
                              .contiguous();
  const int rows = static_cast<int>(w.size(0));
  const int cols = static_cast<int>(w.size(1));
  BinaryMatrix matrix(rows, cols);
  const float* data = w.data_ptr<float>();
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) {
      matrix.set(r, c, data[static_cast<std::int64_t>(r) * cols + c] >= 0.0F);
    }
  }
  return matrix;
}

}  // namespace

const std::vector<std::string>& fashion_mnist_classes() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser",   "Pullover", "Dress",
                                                 "Coat",        "Sandal",    "Shirt",    "Sneaker",
                                                 "Bag",         "Ankle boot"};
  return names;
}

Graph export_float_graph(const BnnNetworkImpl& network) {
  const TopologySpec& spec = network.spec();
  Graph graph;
  graph.name = spec.name;
  graph.classes = fashion_mnist_classes();
  int x = 0;
  if (spec.image_input) {
    x = graph.add("input", InputAttrs{.shape = {spec.image_size, spec.image_size, 1}});
    QuantizeAttrs quantize;
    quantize.table.resize(256);
    for (int p = 0; p < 256; ++p) quantize.table[static_cast<std::size_t>(p)] = quantize_pixel(p);
    x = graph.add("quantize", quantize, {x});
  } else {
    x = graph.add("input", InputAttrs{.shape = {spec.image_size * spec.image_size}});
    x = graph.add("input_bn", network.batchnorm_attrs(-1), {x});
    x = graph.add("input_sign", SignAttrs{}, {x});
  }
  bool flattened = !spec.image_input;
  const std::size_t last = spec.layers.size() - 1;
  std::vector<int> outputs;  // each layer's output node: its sign, or a projection's batch-norm
  for (std::size_t i = 0; i <= last; ++i) {
    const LayerSpec& layer = spec.layers[i];
    if (layer.from >= 0) x = outputs[static_cast<std::size_t>(layer.from)];
    const std::string name = (layer.conv ? "conv" : "fc") + std::to_string(i);
    const BinaryMatrix weights = binary_weights(network.latent_weights()[i], layer.conv);
    if (layer.conv) {
      // The first conv reads fixed<8,7> raws: its padding is raw −128 (= −1.0); later convs read
      // bits: padding by bit 0 (= −1), FINN-R's 1-bit datapath, or by 0 (PadMode::Zero).
      Conv2dAttrs conv{.weights = weights,
                       .kernel = layer.kernel,
                       .stride = layer.stride,
                       .pad = layer.pad,
                       .pad_value = i == 0 ? -128 : 0,
                       .pad_mode = layer.zero_pad ? PadMode::Zero : PadMode::Value};
      x = graph.add(name, conv, {x});
      if (layer.pool) x = graph.add(name + "_pool", MaxPoolAttrs{}, {x});
    } else {
      if (layer.global_pool) {
        x = graph.add(name + "_globalpool", GlobalSumPoolAttrs{}, {x});
        flattened = true;
      }
      if (!flattened) {
        x = graph.add("flatten", ReshapeAttrs{.shape = {layer.inputs}}, {x});
        flattened = true;
      }
      x = graph.add(name, DenseAttrs{.weights = weights}, {x});
    }
    if (i == last) break;
    x = graph.add(name + "_bn", network.batchnorm_attrs(static_cast<int>(i)), {x});
    if (layer.shortcut >= 0) {
      x = graph.add(name + "_add", AddAttrs{},
                    {x, outputs[static_cast<std::size_t>(layer.shortcut)]});
    }
    if (!layer.projection) x = graph.add(name + "_sign", SignAttrs{}, {x});
    outputs.push_back(x);
  }
  graph.add("labelselect", LabelSelectAttrs{}, {x});
  infer_types(graph);
  return graph;
}

}  // namespace bnnc
