#include "random_network.h"

#include <algorithm>
#include <cmath>

#include "ir/infer_types.h"
#include "sim/float_reference.h"
#include "sim/golden_model.h"

namespace bnnc::test {

namespace {

class Builder {
 public:
  Builder(std::uint64_t seed, const RandomNetworkOptions& options)
      : rng_(seed), options_(options) {}

  int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  float uniform_real(float lo, float hi) {
    return std::uniform_real_distribution<float>(lo, hi)(rng_);
  }
  bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }

  BinaryMatrix random_matrix(int rows, int cols) {
    BinaryMatrix m(rows, cols);
    for (int r = 0; r < rows; ++r) {
      for (int c = 0; c < cols; ++c) m.set(r, c, chance(0.5));
    }
    return m;
  }

  int add(const std::string& prefix, OpAttrs attrs, std::vector<int> inputs) {
    const int index =
        net_.graph.add(prefix + std::to_string(counter_++), std::move(attrs), std::move(inputs));
    infer_types(net_.graph);
    return index;
  }

  // Real values of node `index` over all images (float reference of the partial graph).
  std::vector<std::vector<float>> values_of(int index) {
    std::vector<std::vector<float>> result;
    for (const auto& image : net_.images) {
      result.push_back(run_float_layers(net_.graph, image)[index].values);
    }
    return result;
  }

  // batchnorm over node `x`: a mix of γ > 0, γ < 0 and γ = 0 channels; about a third of the
  // channels get their zero crossing exactly on a value the images produce.
  int add_batchnorm(int x) {
    const TensorType& type = net_.graph.nodes[x].type;
    const int channels = type.channels();
    const auto observed = values_of(x);
    BatchNormAttrs bn;
    bn.eps = chance(0.5) ? 1e-5F : 1e-3F;
    const bool with_bias = chance(0.3);
    for (int c = 0; c < channels; ++c) {
      const int kind = uniform(0, 9);
      float gamma = uniform_real(0.1F, 2.0F);
      if (kind < 3) gamma = -gamma;  // γ < 0
      if (kind == 3) gamma = 0.0F;   // γ = 0
      bn.gamma.push_back(gamma);
      bn.var.push_back(uniform_real(0.05F, 4.0F));
      // The spread of this layer's values decides where a useful mean lies.
      const float spread = std::sqrt(static_cast<float>(type.elements() / channels) + 1.0F);
      if (chance(0.35)) {
        // Exact tie: with β = 0 and no bias, out = x·α − μ·α is exactly 0 at x = μ.
        const auto& image =
            observed[static_cast<std::size_t>(uniform(0, static_cast<int>(observed.size()) - 1))];
        const int positions = static_cast<int>(image.size()) / channels;
        bn.mean.push_back(
            image[static_cast<std::size_t>(uniform(0, positions - 1) * channels + c)]);
        bn.beta.push_back(0.0F);
        if (with_bias) bn.bias.push_back(0.0F);
        ++net_.tie_channels;
      } else {
        bn.mean.push_back(uniform_real(-spread, spread));
        bn.beta.push_back(uniform_real(-1.0F, 1.0F));
        if (with_bias) bn.bias.push_back(uniform_real(-2.0F, 2.0F));
      }
    }
    return add("bn", bn, {x});
  }

  int add_sign(int x) { return add("sign", SignAttrs{}, {x}); }

  bool pool_fits(int x, int kernel) {
    const Shape& shape = net_.graph.nodes[x].type.shape;
    return shape.size() == 3 && shape[0] >= kernel && shape[1] >= kernel;
  }

  int add_pool(int x) {
    const int kernel = pool_fits(x, 3) && chance(0.3) ? 3 : 2;
    const int stride = uniform(1, 2);
    const int pad = options_.allow_padded_pool && chance(0.5) ? uniform(1, kernel - 1) : 0;
    return add("pool", MaxPoolAttrs{kernel, stride, {}, pad}, {x});
  }

  // producer → [pool] → batchnorm → sign → [pool], or a bare sign.
  int activate(int producer) {
    const int placement = uniform(0, 3);  // 0: none, 1: pool before bn, 2: pool after sign
    int x = producer;
    if (placement == 1 && pool_fits(x, 2)) x = add_pool(x);
    x = chance(0.9) ? add_sign(add_batchnorm(x)) : add_sign(x);
    if (placement == 2 && pool_fits(x, 2)) x = add_pool(x);
    return x;
  }

  int add_conv(int x, bool fixed_input) {
    const Shape& shape = net_.graph.nodes[x].type.shape;
    Conv2dAttrs conv;
    conv.kernel = uniform(1, std::min({3, shape[0] + 1, shape[1] + 1}));
    conv.stride = uniform(1, 2);
    conv.pad = chance(0.5) ? uniform(0, 1) : 0;
    if (options_.always_pad && conv.pad == 0) conv.pad = 1;
    if (shape[0] + 2 * conv.pad < conv.kernel || shape[1] + 2 * conv.pad < conv.kernel) {
      conv.pad = 1;
    }
    conv.pad_value = fixed_input ? uniform(-128, 127) : uniform(0, 1);
    if (!fixed_input && conv.pad > 0 && options_.allow_zero_pad &&
        chance(options_.zero_pad_chance)) {
      conv.pad_mode = PadMode::Zero;  // on bits: padded synapses add nothing
      conv.pad_value = 0;
      if (chance(0.25)) conv.pad = 2;
    }
    conv.weights = random_matrix(uniform(1, 12), conv.kernel * conv.kernel * shape[2]);
    return add("conv", conv, {x});
  }

  RandomNetwork build() {
    const bool conv = options_.allow_conv && chance(0.6);
    const Shape input_shape = conv ? Shape{uniform(3, 9), uniform(3, 9), uniform(1, 3)}
                                   : Shape{uniform(1, 6), uniform(1, 6), uniform(1, 2)};
    const int pixels = input_shape[0] * input_shape[1] * input_shape[2];
    for (int i = 0; i < options_.images; ++i) {
      std::vector<std::uint8_t> image(static_cast<std::size_t>(pixels));
      for (auto& p : image) p = static_cast<std::uint8_t>(uniform(0, 255));
      net_.images.push_back(std::move(image));
    }
    int x = add("in", InputAttrs{input_shape, DType::uint(8)}, {});
    if (conv) {
      if (chance(0.5)) {
        // Fixed-point first layer: pixels → fixed<8,7> through a table, then a binary conv.
        QuantizeAttrs q;
        for (int p = 0; p < 256; ++p) {
          const double real = p / 255.0 * 2.0 - 1.0;
          q.table.push_back(
              std::clamp(static_cast<std::int32_t>(std::floor(real * 128.0 + 0.5)) + uniform(-2, 2),
                         -128, 127));
        }
        x = activate(add_conv(add("quant", q, {x}), true));
      } else {
        x = add_sign(add_batchnorm(x));  // per-channel binarisation of the pixels
      }
      for (int layers = uniform(1, 2); layers > 0; --layers) x = activate(add_conv(x, false));
      const TensorType& type = net_.graph.nodes[x].type;
      if (options_.allow_global_pool && chance(0.5)) {
        // A sum over the pixels (of bits, or of popcounts after a bare conv), read by the next
        // dense layer as integers.
        x = add("gap", GlobalSumPoolAttrs{}, {x});
      } else {
        x = add("flatten", ReshapeAttrs{{static_cast<int>(type.elements())}}, {x});
      }
    } else {
      x = add("flatten", ReshapeAttrs{{pixels}}, {x});
      x = add_sign(add_batchnorm(x));  // a learned threshold per pixel
    }
    for (int layers = uniform(0, 2); layers > 0; --layers) {
      const int width = net_.graph.nodes[x].type.shape[0];
      x = activate(add("fc", DenseAttrs{random_matrix(uniform(1, 40), width)}, {x}));
    }
    const int width = net_.graph.nodes[x].type.shape[0];
    x = add("fc", DenseAttrs{random_matrix(uniform(2, 10), width)}, {x});
    add("label", LabelSelectAttrs{}, {x});
    net_.graph.name = "random";
    return std::move(net_);
  }

 private:
  std::mt19937_64 rng_;
  RandomNetworkOptions options_;
  RandomNetwork net_;
  int counter_ = 0;
};

}  // namespace

RandomNetwork random_network(std::uint64_t seed, const RandomNetworkOptions& options) {
  return Builder(seed, options).build();
}

RandomNetwork zero_padded_chain(std::uint64_t seed, int images) {
  const ZeroPaddedLayer layers[] = {{63, 3, 1, 1}, {64, 5, 2, 2}, {65, 3, 2, 1}, {10, 5, 1, 2}};
  return zero_padded_chain(seed, images, 7, 1, layers);
}

RandomNetwork zero_padded_chain(std::uint64_t seed, int images, int size, int channels,
                                std::span<const ZeroPaddedLayer> layers) {
  std::mt19937_64 rng(seed);
  RandomNetwork net;
  const std::size_t pixels = static_cast<std::size_t>(size) * size * channels;
  for (int i = 0; i < images; ++i) {
    std::vector<std::uint8_t> image(pixels);
    for (auto& p : image) p = static_cast<std::uint8_t>(rng());
    net.images.push_back(std::move(image));
  }
  Graph& g = net.graph;
  g.name = "zero-padded-chain";
  int x = g.add("input", InputAttrs{{size, size, channels}, DType::uint(8)});
  x = g.add(
      "binarize",
      ThresholdAttrs{std::vector<std::int64_t>(static_cast<std::size_t>(channels), 128), 1, {}},
      {x});
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const ZeroPaddedLayer& layer = layers[l];
    infer_types(g);
    const int in_channels = g.nodes[static_cast<std::size_t>(x)].type.shape[2];
    Conv2dAttrs conv{random_matrix(layer.rows, layer.kernel * layer.kernel * in_channels, rng),
                     layer.kernel, layer.stride, layer.pad, 0};
    conv.pad_mode = PadMode::Zero;
    x = g.add("conv" + std::to_string(l), conv, {x});
    if (l + 1 == layers.size()) break;
    infer_types(g);
    // Thresholds on values of y at the border (position 0, the top-left corner, and others).
    const GoldenTensor y =
        run_golden_layers(g, net.images[rng() % net.images.size()])[static_cast<std::size_t>(x)];
    const int positions = y.type.shape[0] * y.type.shape[1];
    ThresholdAttrs t{{}, 1, std::vector<std::uint8_t>(static_cast<std::size_t>(layer.rows), 0)};
    for (int r = 0; r < layer.rows; ++r) {
      const int ox = static_cast<int>(rng() % 2) * (y.type.shape[1] - 1);
      const int position = r % 3 == 2 ? static_cast<int>(rng() % static_cast<unsigned>(positions))
                                      : ox;  // a corner or an edge pixel of the top row
      t.thresholds.push_back(y.values[static_cast<std::size_t>(position * layer.rows + r)]);
      t.negate[static_cast<std::size_t>(r)] = r % 4 == 1 ? 1 : 0;
    }
    x = g.add("thr" + std::to_string(l), t, {x});
  }
  infer_types(g);
  const int elements = static_cast<int>(g.nodes[static_cast<std::size_t>(x)].type.elements());
  x = g.add("flatten", ReshapeAttrs{{elements}}, {x});
  g.add("label", LabelSelectAttrs{}, {x});
  infer_types(g);
  return net;
}

BinaryMatrix random_matrix(int rows, int cols, std::mt19937_64& rng) {
  BinaryMatrix m(rows, cols);
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) m.set(r, c, (rng() & 1U) != 0);
  }
  return m;
}

ThresholdAttrs half_thresholds(int channels, int fan_in) {
  return {std::vector<std::int64_t>(static_cast<std::size_t>(channels), fan_in / 2), 1, {}};
}

}  // namespace bnnc::test
