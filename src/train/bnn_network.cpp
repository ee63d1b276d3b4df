#include "train/bnn_network.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "ir/batchnorm_apply.h"

namespace bnnc {

namespace F = torch::nn::functional;

namespace {

constexpr double kBatchNormMomentum = 0.1;
constexpr double kBatchNormEps = 1e-5;

// ±1 with sign(0) = +1, as a float tensor.
torch::Tensor sign_pm1(const torch::Tensor& x) { return (x >= 0).to(x.scalar_type()) * 2 - 1; }

// Forward sign(x); backward the gradient of hardtanh (1 on [−1, 1], 0 outside).
torch::Tensor ste_sign(const torch::Tensor& x) {
  const torch::Tensor clipped = x.clamp(-1, 1);
  return clipped + (sign_pm1(x) - clipped).detach();
}

// Forward sign(w); backward the identity onto the latent weight.
torch::Tensor ste_weight(const torch::Tensor& w) { return w + (sign_pm1(w) - w).detach(); }

BatchNormParams make_batchnorm(torch::nn::Module& module, const std::string& name, int channels) {
  BatchNormParams bn;
  bn.gamma = module.register_parameter(name + "_gamma", torch::ones({channels}));
  bn.beta = module.register_parameter(name + "_beta", torch::zeros({channels}));
  bn.running_mean = module.register_buffer(name + "_mean", torch::zeros({channels}));
  bn.running_var = module.register_buffer(name + "_var", torch::ones({channels}));
  return bn;
}

std::vector<float> to_floats(const torch::Tensor& t) {
  const torch::Tensor c = t.detach().to(torch::kFloat).contiguous();
  return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}

// Dense layers of a CNV read the conv output flattened in HWC order (bnnc's layout), so that
// the exported dense weights need no permutation.
torch::Tensor flatten_hwc(const torch::Tensor& x) {
  return x.dim() == 4 ? x.permute({0, 2, 3, 1}).flatten(1) : x;
}

// A conv's border: by −1 (bit 0 on bits; raw −128 = −1.0 on the first layer's fixed-point
// pixels) or, with zero_pad, by 0 (PyTorch's default, on ±1 activations only).
torch::Tensor pad_input(const torch::Tensor& x, const LayerSpec& layer) {
  if (layer.pad == 0) return x;
  return F::pad(x, F::PadFuncOptions({layer.pad, layer.pad, layer.pad, layer.pad})
                       .value(layer.zero_pad ? 0.0 : -1.0));
}

}  // namespace

std::int32_t quantize_pixel(int pixel) {
  // 256p/255 − 128 is never a tie (512p = 255·odd has no solution), so rounding is unambiguous.
  const long q = std::lround(256.0 * pixel / 255.0 - 128.0);
  return static_cast<std::int32_t>(std::clamp(q, -128L, 127L));
}

torch::Tensor prepare_input(const TopologySpec& spec, const std::uint8_t* pixels, int count) {
  const int size = spec.image_size * spec.image_size;
  torch::Tensor bytes =
      torch::from_blob(const_cast<std::uint8_t*>(pixels), {count, size}, torch::kUInt8);
  if (!spec.image_input) return bytes.to(torch::kFloat);
  float table[256];
  for (int p = 0; p < 256; ++p) table[p] = static_cast<float>(quantize_pixel(p)) / 128.0F;
  torch::Tensor lut = torch::from_blob(table, {256}, torch::kFloat);
  return lut.index_select(0, bytes.flatten().to(torch::kLong))
      .view({count, 1, spec.image_size, spec.image_size});
}

BnnNetworkImpl::BnnNetworkImpl(TopologySpec spec)
    : spec_(std::move(spec)), momentum_(kBatchNormMomentum) {
  if (!spec_.image_input) input_bn_ = make_batchnorm(*this, "input_bn", spec_.layers[0].inputs);
  for (std::size_t i = 0; i < spec_.layers.size(); ++i) {
    const LayerSpec& layer = spec_.layers[i];
    const int fan_in = layer.inputs * (layer.conv ? layer.kernel * layer.kernel : 1);
    const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
    const torch::Tensor init =
        layer.conv ? torch::rand({layer.outputs, layer.inputs, layer.kernel, layer.kernel})
                   : torch::rand({layer.outputs, layer.inputs});
    weights_.push_back(register_parameter("w" + std::to_string(i), (init * 2 - 1) * bound));
    if (i + 1 < spec_.layers.size()) {
      bns_.push_back(make_batchnorm(*this, "bn" + std::to_string(i), layer.outputs));
    }
  }
  // exp(log_scale)·(2P − N) starts with unit variance at random weights.
  const double fan_in = spec_.layers.back().inputs;
  log_scale_ = register_parameter("log_scale", torch::full({1}, -0.5 * std::log(fan_in)));
}

torch::Tensor BnnNetworkImpl::batchnorm(const torch::Tensor& x, const BatchNormParams& bn) {
  return F::batch_norm(x, bn.running_mean, bn.running_var,
                       F::BatchNormFuncOptions()
                           .weight(bn.gamma)
                           .bias(bn.beta)
                           .training(is_training())
                           .momentum(momentum_)
                           .eps(kBatchNormEps));
}

torch::Tensor BnnNetworkImpl::forward(const torch::Tensor& input) {
  torch::Tensor x = input;
  if (!spec_.image_input) x = ste_sign(batchnorm(x, input_bn_));
  const std::size_t last = spec_.layers.size() - 1;
  std::vector<torch::Tensor> outputs;  // of each layer: its signs, or a projection's batch-norm
  for (std::size_t i = 0; i <= last; ++i) {
    const LayerSpec& layer = spec_.layers[i];
    if (layer.from >= 0) x = outputs[static_cast<std::size_t>(layer.from)];
    const torch::Tensor w = ste_weight(weights_[i]);
    if (layer.conv) {
      // Channels-last operands put oneDNN on its fast path: 3.8x faster forward+backward for
      // CNV's 64C3 on 30x30 than the default layout (measured, libtorch 1.13.1 from Debian).
      x = F::conv2d(pad_input(x, layer).contiguous(torch::MemoryFormat::ChannelsLast),
                    w.contiguous(torch::MemoryFormat::ChannelsLast),
                    F::Conv2dFuncOptions().stride(layer.stride));
      if (layer.pool) x = F::max_pool2d(x, F::MaxPool2dFuncOptions(2).stride(2));
    } else {
      // The mean keeps a pooled layer's scale in training; the exact evaluation uses the sum
      // (a positive factor, which the argmax does not see).
      if (layer.global_pool) x = x.mean({2, 3});
      x = flatten_hwc(x).matmul(w.t());
    }
    if (i == last) return x * log_scale_.exp();
    x = batchnorm(x, bns_[i]);
    if (layer.shortcut >= 0) x = x + outputs[static_cast<std::size_t>(layer.shortcut)];
    if (!layer.projection) x = ste_sign(x);
    outputs.push_back(x);
  }
  return x;
}

void BnnNetworkImpl::recalibrate_batchnorm(int batches,
                                           const std::function<torch::Tensor(int)>& input) {
  torch::NoGradGuard no_grad;
  const bool was_training = is_training();
  train();
  // With momentum 1/(b + 1) batch b's statistics enter with the weight of each batch before it:
  // after the last, the running values are the batches' average (the first replaces the old).
  for (int b = 0; b < batches; ++b) {
    momentum_ = 1.0 / (b + 1);
    forward(input(b));
  }
  momentum_ = kBatchNormMomentum;
  train(was_training);
}

BatchNormAttrs BnnNetworkImpl::batchnorm_attrs(int layer) const {
  const BatchNormParams& bn = layer < 0 ? input_bn_ : bns_[static_cast<std::size_t>(layer)];
  BatchNormAttrs attrs;
  attrs.gamma = to_floats(bn.gamma);
  attrs.beta = to_floats(bn.beta);
  attrs.mean = to_floats(bn.running_mean);
  attrs.var = to_floats(bn.running_var);
  attrs.eps = static_cast<float>(kBatchNormEps);
  return attrs;
}

// sign(batchnorm_apply(x) [+ shortcut]) element by element (no sign for a projection); x and
// the shortcut are [B, C] or [B, C, H, W]. The sum is one float32 addition, as the exported
// graph's add computes it.
torch::Tensor BnnNetworkImpl::binary_sign_exact(const torch::Tensor& x, int layer,
                                                const torch::Tensor* shortcut,
                                                bool projection) const {
  const BatchNormAttrs bn = batchnorm_attrs(layer);
  const torch::Tensor in = x.contiguous();
  const torch::Tensor add = shortcut != nullptr ? shortcut->contiguous() : torch::Tensor();
  torch::Tensor out = torch::empty_like(in);
  const std::int64_t channels = in.size(1);
  const std::int64_t inner = in.numel() / (in.size(0) * channels);
  const float* src = in.data_ptr<float>();
  const float* extra = shortcut != nullptr ? add.data_ptr<float>() : nullptr;
  float* dst = out.data_ptr<float>();
  for (std::int64_t i = 0; i < in.numel(); ++i) {
    const int c = static_cast<int>((i / inner) % channels);
    float z = batchnorm_apply(bn, c, src[i]);
    if (extra != nullptr) z = z + extra[i];
    dst[i] = projection ? z : sign_bit(z) ? 1.0F : -1.0F;
  }
  return out;
}

std::vector<int> BnnNetworkImpl::classify_exact(const torch::Tensor& input) {
  torch::NoGradGuard no_grad;
  torch::Tensor x = input;
  if (!spec_.image_input) x = binary_sign_exact(x, -1);
  const std::size_t last = spec_.layers.size() - 1;
  std::vector<torch::Tensor> outputs;
  for (std::size_t i = 0; i <= last; ++i) {
    const LayerSpec& layer = spec_.layers[i];
    if (layer.from >= 0) x = outputs[static_cast<std::size_t>(layer.from)];
    const torch::Tensor w = sign_pm1(weights_[i]);
    if (layer.conv) {
      // im2col + one matrix product: a plain sum of exact terms (a fast convolution algorithm,
      // e.g. Winograd, could round). A zero border adds ±0: the sum over the valid synapses.
      x = pad_input(x, layer);
      const std::int64_t height = (x.size(2) - layer.kernel) / layer.stride + 1;
      const std::int64_t width = (x.size(3) - layer.kernel) / layer.stride + 1;
      const torch::Tensor columns =
          F::unfold(x, F::UnfoldFuncOptions({layer.kernel, layer.kernel}).stride(layer.stride));
      x = w.view({layer.outputs, -1})
              .matmul(columns)
              .view({x.size(0), layer.outputs, height, width});
      if (layer.pool) x = F::max_pool2d(x, F::MaxPool2dFuncOptions(2).stride(2));
    } else {
      // The sum of ±1 over H·W: exact, as bnnc's globalsumpool.
      if (layer.global_pool) x = x.sum({2, 3});
      x = flatten_hwc(x).matmul(w.t());
    }
    if (i == last) break;
    const torch::Tensor* shortcut =
        layer.shortcut >= 0 ? &outputs[static_cast<std::size_t>(layer.shortcut)] : nullptr;
    x = binary_sign_exact(x, static_cast<int>(i), shortcut, layer.projection);
    outputs.push_back(x);
  }
  const torch::Tensor scores = x.contiguous();
  std::vector<int> labels(static_cast<std::size_t>(scores.size(0)));
  const float* s = scores.data_ptr<float>();
  const std::int64_t classes = scores.size(1);
  for (std::size_t b = 0; b < labels.size(); ++b) {
    const float* row = s + static_cast<std::int64_t>(b) * classes;
    labels[b] = static_cast<int>(std::max_element(row, row + classes) - row);
  }
  return labels;
}

void BnnNetworkImpl::clip_weights() {
  torch::NoGradGuard no_grad;
  for (torch::Tensor& w : weights_) w.clamp_(-1, 1);
}

}  // namespace bnnc
