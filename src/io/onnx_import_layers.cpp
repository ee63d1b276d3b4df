// The layers: binary-weight MatMul/Gemm/Conv (bits in bnnc's (ky, kx, c) column order), the Pad
// a Conv reads, MaxPool, BatchNormalization and the TopK that ends the network.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

#include "io/onnx_importer_state.h"
#include "io/onnx_shape_arithmetic.h"

namespace bnnc::onnx_import {

namespace {

bool has_offset(const std::vector<AffineAttrs>& pixel_steps) {
  return std::any_of(pixel_steps.begin(), pixel_steps.end(),
                     [](const AffineAttrs& a) { return a.kind == AffineKind::Add; });
}

// ONNX conv weights [M, C, KH, KW] → bnnc rows of M with columns in (ky, kx, c) order: an NHWC
// window read pixel by pixel, channels innermost.
BinaryMatrix conv_bits(const OnnxConstant& w) {
  const std::int64_t m = w.dims[0], c = w.dims[1], kh = w.dims[2], kw = w.dims[3];
  BinaryMatrix bits(static_cast<int>(m), static_cast<int>(kh * kw * c));
  for (std::int64_t r = 0; r < m; ++r) {
    for (std::int64_t ch = 0; ch < c; ++ch) {
      for (std::int64_t ky = 0; ky < kh; ++ky) {
        for (std::int64_t kx = 0; kx < kw; ++kx) {
          const double v = w.values[((r * c + ch) * kh + ky) * kw + kx];
          bits.set(static_cast<int>(r), static_cast<int>((ky * kw + kx) * c + ch), v > 0);
        }
      }
    }
  }
  return bits;
}

}  // namespace

void Importer::import_matmul(const onnx::NodeProto& node) {
  set_output(node, dense(node, runtime_input(node, 0), constant_input(node, 1), false, {}));
}

// alpha · x · op(B) + beta · C, the last two as affine ops after the dense layer.
void Importer::import_gemm(const onnx::NodeProto& node) {
  if (onnx_int_attribute(node, "transA", 0) != 0) reject(node, "transA is not supported");
  const float alpha = onnx_float_attribute(node, "alpha", 1.0F);
  const float beta = onnx_float_attribute(node, "beta", 1.0F);
  std::vector<float> bias;
  if (node.input_size() > 2 && !node.input(2).empty()) {
    for (double v : constant_input(node, 2).values) bias.push_back(static_cast<float>(v) * beta);
  }
  Value out = dense(node, runtime_input(node, 0), constant_input(node, 1),
                    onnx_int_attribute(node, "transB", 0) != 0, {});
  if (alpha != 1.0F) out = affine(node, out, AffineKind::Mul, {alpha}, ".alpha");
  if (!bias.empty()) {
    if (bias.size() != 1 && bias.size() != static_cast<std::size_t>(out.dims[0])) {
      reject(node, "bias must be one value per output");
    }
    out = affine(node, out, AffineKind::Add, bias, ".bias");
  }
  set_output(node, out);
}

void Importer::import_conv(const onnx::NodeProto& node) {
  set_output(node, conv(node, runtime_input(node, 0, true)));
}

void Importer::import_pad(const onnx::NodeProto& node) {
  set_output(node, pad(node, runtime_input(node, 0)));
}

void Importer::import_maxpool(const onnx::NodeProto& node) {
  set_output(node, maxpool(node, runtime_input(node, 0)));
}

void Importer::import_batchnorm(const onnx::NodeProto& node) {
  const Value& x = runtime_input(node, 0);
  if (!x.chw.empty() || x.dims.empty()) reject(node, "input must have a channel axis");
  BatchNormAttrs bn;
  bn.eps = onnx_float_attribute(node, "epsilon", 1e-5F);
  std::vector<float>* fields[] = {&bn.gamma, &bn.beta, &bn.mean, &bn.var};
  for (int i = 0; i < 4; ++i) {
    const OnnxConstant& c = constant_input(node, i + 1);
    if (c.elements() != x.dims[0]) reject(node, "parameters must have one value per channel");
    for (double v : c.values) fields[i]->push_back(static_cast<float>(v));
  }
  for (std::size_t c = 0; c < bn.var.size(); ++c) {
    if (!(bn.var[c] + bn.eps > 0.0F) || !std::isfinite(bn.gamma[c]) || !std::isfinite(bn.beta[c]) ||
        !std::isfinite(bn.mean[c])) {
      reject(node, "channel {}: parameters must be finite with var + eps > 0", c);
    }
  }
  Value out = x;
  out.node = graph_.add(node_name(node), std::move(bn), {x.node});
  out.binary = out.raw_input = false;
  set_output(node, out);
}

// The index of the largest score: bnnc's label-select (both outputs, values and index, name it).
void Importer::import_topk(const onnx::NodeProto& node) {
  const Value& x = runtime_input(node, 0);
  const OnnxConstant& k = constant_input(node, 1);
  if (k.values.size() != 1 || k.values[0] != 1 || onnx_int_attribute(node, "largest", 1) != 1 ||
      squeezed(x.dims).size() > 1) {
    reject(node, "only TopK with k = 1, largest, over a vector of scores is supported");
  }
  Value label;
  label.is_label = true;
  label.node = graph_.add(node_name(node), LabelSelectAttrs{}, {materialize(x)});
  set_output(node, label, 0);
  if (node.output_size() > 1) set_output(node, label, 1);
}

// Weights ±s_m per output m (rows of `rows` elements each, or columns of a MatMul's [K, M]) →
// the bits sign(w) and the magnitudes |s_m|, one value when all are equal. A Conv or Gemm that a
// default torch.onnx.export fused with the batch-norm after it holds w = ±1·α_m, α_m = γ_m/σ_m of
// either sign; taking the bits from sign(w) and the scale from |w| keeps the product exact:
// (−y)·|α| = y·α in float too, so the chain after the layer stays non-decreasing and a negative
// γ needs neither a flipped compare nor a polarity bit.
std::vector<float> Importer::weight_scales(const onnx::NodeProto& node, const OnnxConstant& w,
                                           std::int64_t outputs, bool output_is_row) {
  if (w.values.empty() || outputs < 1) reject(node, "weights are empty");
  const auto per_output = static_cast<std::int64_t>(w.values.size()) / outputs;
  std::vector<float> scales(static_cast<std::size_t>(outputs), 0.0F);
  for (std::int64_t i = 0; i < static_cast<std::int64_t>(w.values.size()); ++i) {
    const std::int64_t m = output_is_row ? i / per_output : i % outputs;
    const double v = w.values[static_cast<std::size_t>(i)];
    float& s = scales[static_cast<std::size_t>(m)];
    if (s == 0.0F) s = static_cast<float>(std::fabs(v));
    if (!std::isfinite(v) || v == 0.0 || std::fabs(v) != s) {
      reject(node,
             "weights of output {} must be binary (±s with one s > 0 per output channel; "
             "weight {} is {}, |s| {}); multi-bit weights are not supported yet",
             m, i, v, s);
    }
  }
  if (std::all_of(scales.begin(), scales.end(), [&](float s) { return s == scales[0]; })) {
    scales.resize(1);
  }
  return scales;
}

// The tensor a binary-weight layer reads. Bits, raw pixels and fixed point as they are. Pixels
// through scalar steps (pixel/255: torchvision's ToTensor, or a FINN graph's Div; and an offset,
// e.g. MNIST's Normalize((0.1307,), (0.3081,))) become the raw pixels, and the steps move into
// `pixel_steps`, applied after the layer by finish_layer. In real arithmetic, for row c with
// weights w_j = ±1 and row sum R_c = Σ_j w_j:
//   Σ w_j·(k·p_j) = k·Σ w_j·p_j        Σ w_j·(p_j + o) = Σ w_j·p_j + o·R_c
// so the accumulator is an exact integer on the raw pixels and the same steps, an offset o
// becoming o·R_c per channel, give the layer's value. A zero pad is the raw pixel 0 for a scale
// (0·k = 0), but no pixel value once an offset applies, so an offset needs a pad-free layer.
// PyTorch instead sums the rounded values in float, in an order of its own: the two can differ
// by a few units in the last place, which changes a bit only where a threshold lies that close
// to an attainable value (docs/pytorch-import.md). A per-channel step (torchvision's Normalize
// with its three means and deviations) would give each input channel its own scale and is
// refused naming the node.
Value Importer::layer_input(const onnx::NodeProto& node, const Value& x,
                            std::vector<AffineAttrs>& pixel_steps) {
  if (x.binary || x.raw_input || x.fixed) return x;
  std::vector<int> chain;  // from x back to the pixels
  int n = x.node;
  while (graph_.nodes[n].op() == Op::Affine) {
    chain.push_back(n);
    n = graph_.nodes[n].inputs[0];
  }
  int base = n;
  while (graph_.nodes[base].op() == Op::Reshape) base = graph_.nodes[base].inputs[0];
  // The integer sums of a global average pool read like pixels: S_c, then ÷ H·W.
  const bool sums = graph_.nodes[base].op() == Op::GlobalSumPool;
  if (chain.empty() || (graph_.nodes[base].op() != Op::Input && !sums)) {
    reject(node,
           "its input is neither binary (±1, after a sign or quantizer) nor the pixels "
           "(raw, or through scalar steps such as pixel/255); a binary-weight layer on "
           "real-valued input is not supported yet");
  }
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    const Node& step = graph_.nodes[static_cast<std::size_t>(*it)];
    const auto& a = step.as<AffineAttrs>();
    if (a.constant.size() != 1) {
      reject(node,
             "its input reaches the pixels through '{}' ({} by {} values, one per channel): "
             "bnnc's first layer reads pixels through scalar steps only (one scale and offset "
             "for every channel, e.g. pixel/255); a per-channel Normalize (torchvision's) is not "
             "supported: see docs/pytorch-import.md",
             step.name, affine_kind_name(a.kind), a.constant.size());
    }
  }
  // The steps move behind the layer, so nothing else may read them: not a bnnc node so far, nor
  // an ONNX node still to come (each step's tensor has one reader, the next step or this layer).
  const auto onnx_readers = [&](const std::string& tensor) {
    int readers = 0;
    for (const onnx::NodeProto& other : model_.graph().node()) {
      readers += static_cast<int>(std::count(other.input().begin(), other.input().end(), tensor));
    }
    return readers;
  };
  bool shared = false;
  for (std::size_t i = 0; i < chain.size(); ++i) {
    shared = shared || chain[i] != graph_.output() - static_cast<int>(i) ||
             graph_.consumers(chain[i]).size() != (i == 0 ? 0U : 1U);
  }
  for (const auto& [tensor, value] : values_) {
    if (!value.is_constant && std::find(chain.begin(), chain.end(), value.node) != chain.end()) {
      shared = shared || onnx_readers(tensor) != 1;
    }
  }
  if (shared) {
    reject(node, "its input, the scaled pixels '{}', is read by other layers too",
           graph_.nodes[chain[0]].name);
  }
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    pixel_steps.push_back(graph_.nodes[static_cast<std::size_t>(*it)].as<AffineAttrs>());
  }
  graph_.nodes.resize(graph_.nodes.size() - chain.size());
  Value raw = x;
  raw.node = n;
  raw.raw_input = !sums;
  return raw;
}

// After a binary layer: the pixels' steps (layer_input; an offset o as o·R_c per row c of
// `weights`), a weight scale other than 1, then a bias, each one float operation as ONNX computes
// them.
Value Importer::finish_layer(const onnx::NodeProto& node, Value out,
                             const std::vector<AffineAttrs>& pixel_steps,
                             const BinaryMatrix& weights, std::vector<float> scale,
                             std::vector<float> bias) {
  for (std::size_t i = 0; i < pixel_steps.size(); ++i) {
    const AffineAttrs& a = pixel_steps[i];
    const std::string name = fmt::format(".pixel_step{}", i);
    if (a.kind != AffineKind::Add) {
      out = affine(node, out, a.kind, a.constant, name);
      continue;
    }
    std::vector<float> offsets;
    for (int r = 0; r < weights.rows(); ++r) {
      int ones = 0;
      for (int j = 0; j < weights.cols(); ++j) ones += weights.get(r, j) ? 1 : 0;
      offsets.push_back(a.constant[0] * static_cast<float>(2 * ones - weights.cols()));
    }
    out = affine(node, out, AffineKind::Add, std::move(offsets), name);
  }
  if (scale.size() > 1 || scale[0] != 1.0F) {
    out = affine(node, out, AffineKind::Mul, std::move(scale), ".scale");
  }
  if (!bias.empty()) out = affine(node, out, AffineKind::Add, std::move(bias), ".bias");
  return out;
}

// x · W with W [K, M] (row k of W multiplies input element k).
Value Importer::dense(const onnx::NodeProto& node, const Value& scaled, const OnnxConstant& w,
                      bool transposed, std::vector<float> bias) {
  std::vector<AffineAttrs> pixel_steps;
  const Value x = layer_input(node, scaled, pixel_steps);
  if (w.dims.size() != 2) reject(node, "weights must be a matrix");
  const std::int64_t k = transposed ? w.dims[1] : w.dims[0];
  const std::int64_t m = transposed ? w.dims[0] : w.dims[1];
  const Shape in = squeezed(x.dims);  // [] for a vector of one element
  if (in.size() > 1 || (in.empty() ? 1 : in[0]) != k) {
    reject(node, "input [{}] does not match weights of {} rows", fmt::join(x.dims, ","), k);
  }
  std::vector<float> scale = weight_scales(node, w, m, transposed);
  BinaryMatrix bits(static_cast<int>(m), static_cast<int>(k));
  // bnnc column j holds ONNX input element onnx_index(j): the identity, or for a pending
  // flatten of C×H×W, j = (y·W + x)·C + c ↔ c·H·W + y·W + x.
  const auto onnx_index = [&](std::int64_t j) {
    if (x.chw.empty()) return j;
    const std::int64_t c = j % x.chw[0], pixel = j / x.chw[0];
    return c * x.chw[1] * x.chw[2] + pixel;
  };
  for (std::int64_t j = 0; j < k; ++j) {
    const std::int64_t row = onnx_index(j);
    for (std::int64_t r = 0; r < m; ++r) {
      const double v = transposed ? w.values[r * k + row] : w.values[row * m + r];
      bits.set(static_cast<int>(r), static_cast<int>(j), v > 0);
    }
  }
  const int in_node = materialize(x);  // a vector, as bnnc's dense reads
  Value out;
  out.node = graph_.add(node_name(node), DenseAttrs{bits}, {in_node});
  out.dims = {static_cast<int>(m)};
  return finish_layer(node, out, pixel_steps, bits, std::move(scale), std::move(bias));
}

Value Importer::conv(const onnx::NodeProto& node, const Value& scaled) {
  std::vector<AffineAttrs> pixel_steps;
  const Value x = layer_input(node, scaled, pixel_steps);
  const OnnxConstant& w = constant_input(node, 1);
  if (w.dims.size() != 4 || x.dims.size() != 3 || !x.chw.empty()) {
    reject(node, "only 2-D convolutions of [N,C,H,W] tensors are supported");
  }
  const std::int64_t m = w.dims[0], c = w.dims[1], kh = w.dims[2], kw = w.dims[3];
  if (c != x.dims[0]) reject(node, "weights for {} channels, input has {}", c, x.dims[0]);
  if (kh != kw) reject(node, "only square kernels are supported, not {}x{}", kh, kw);
  if (onnx_int_attribute(node, "group", 1) != 1)
    reject(node, "grouped convolutions are not supported");
  for (std::int64_t d : onnx_ints_attribute(node, "dilations")) {
    if (d != 1) reject(node, "dilations are not supported");
  }
  const std::vector<std::int64_t> strides = onnx_ints_attribute(node, "strides");
  const std::vector<std::int64_t> pads = onnx_ints_attribute(node, "pads");
  const std::int64_t stride = strides.empty() ? 1 : strides[0];
  for (std::int64_t s : strides) {
    if (s != stride || s < 1 || s > kMaxDim) reject(node, "strides must be equal and positive");
  }
  std::int64_t pad = pads.empty() ? 0 : pads[0];
  for (std::int64_t p : pads) {
    if (p != pad || p < 0 || p > kMaxDim) reject(node, "pads must be equal on every side");
  }
  if (onnx_string_attribute(node, "auto_pad", "NOTSET") != "NOTSET") {
    reject(node, "auto_pad is not supported (give pads)");
  }
  // ONNX pads with 0. On raw pixels or fixed point that is the raw value 0; ±1 activations
  // cannot hold it, so their convolution becomes a zero-padded one (ir/op.h, PadMode::Zero:
  // the padded synapses add nothing), exact in every engine. A Pad node before the Conv gives
  // the border its constant instead (−1/+1 stay on the plain 1-bit path).
  PadMode pad_mode = pad > 0 && x.binary ? PadMode::Zero : PadMode::Value;
  std::int64_t pad_value = 0;
  if (x.pad > 0) {
    if (pad > 0) reject(node, "a Pad before a padded Conv is not supported");
    pad = x.pad;
    pad_mode = x.pad_mode;
    pad_value = x.pad_value;
  }
  std::vector<float> scale = weight_scales(node, w, m, true);
  if (pad > 0 && has_offset(pixel_steps)) {
    reject(node,
           "a padded convolution on pixels with an offset (e.g. a Normalize): its zero border "
           "is no pixel value; pad the image instead, or drop the offset");
  }
  Conv2dAttrs attrs;
  attrs.weights = conv_bits(w);
  const BinaryMatrix bits = attrs.weights;
  attrs.kernel = static_cast<int>(kh);
  attrs.stride = static_cast<int>(stride);
  attrs.pad = static_cast<int>(pad);
  attrs.pad_value = pad_value;
  attrs.pad_mode = pad_mode;
  Value out;
  out.node = graph_.add(node_name(node), std::move(attrs), {x.node});
  // x.dims of a Pad's output already hold its border.
  const std::int64_t border = x.pad > 0 ? 0 : pad;
  const int size = static_cast<int>((x.dims[1] + 2 * border - kh) / stride + 1);
  const int width = static_cast<int>((x.dims[2] + 2 * border - kw) / stride + 1);
  if (size < 1 || width < 1) reject(node, "kernel does not fit the input");
  out.dims = {static_cast<int>(m), size, width};
  std::vector<float> bias;
  if (node.input_size() > 2 && !node.input(2).empty()) {
    const OnnxConstant& b = constant_input(node, 2);
    if (b.elements() != m) reject(node, "bias must have {} values", m);
    for (double v : b.values) bias.push_back(static_cast<float>(v));
  }
  return finish_layer(node, out, pixel_steps, bits, std::move(scale), std::move(bias));
}

// A constant Pad of H and W alike, kept pending for the Conv that must read it: the border
// becomes that Conv's padding with the constant as its pad value (±1 on bits: the 1-bit
// datapath; 0 on bits: zero padding; raw pixels or fixed point: the raw value).
Value Importer::pad(const onnx::NodeProto& node, const Value& x) {
  if (x.dims.size() != 3 || !x.chw.empty()) reject(node, "input must be [N,C,H,W]");
  if (onnx_string_attribute(node, "mode", "constant") != "constant") {
    reject(node, "only constant padding is supported");
  }
  std::vector<std::int64_t> pads;
  double constant = onnx_float_attribute(node, "value", 0.0F);  // opset < 11
  if (node.input_size() > 1 && !node.input(1).empty()) {
    for (double v : constant_input(node, 1).values) pads.push_back(to_index(v));
    if (node.input_size() > 2 && !node.input(2).empty()) {
      const OnnxConstant& c = constant_input(node, 2);
      if (c.values.size() != 1) reject(node, "constant_value must be one value");
      constant = c.values[0];
    }
  } else {
    pads = onnx_ints_attribute(node, "pads");
  }
  // [N, C, H, W] begins, then ends: only H and W, all alike.
  if (pads.size() != 8 || pads[0] != 0 || pads[1] != 0 || pads[4] != 0 || pads[5] != 0 ||
      pads[2] < 1 || pads[2] > kMaxDim || pads[3] != pads[2] || pads[6] != pads[2] ||
      pads[7] != pads[2]) {
    reject(node, "only pads of H and W, equal on every side, are supported");
  }
  Value out = x;
  out.pad = static_cast<int>(pads[2]);
  out.dims = {x.dims[0], x.dims[1] + 2 * out.pad, x.dims[2] + 2 * out.pad};
  if (x.binary && (constant == 1.0 || constant == -1.0)) {
    out.pad_value = constant > 0 ? 1 : 0;  // bit 1 = +1, bit 0 = −1
  } else if (x.binary && constant == 0.0) {
    out.pad_mode = PadMode::Zero;
  } else if (x.raw_input && constant >= 0 && constant <= 255 && constant == std::floor(constant)) {
    out.pad_value = static_cast<std::int64_t>(constant);
  } else if (x.fixed && graph_.nodes[x.node].op() == Op::Quantize) {
    const int frac = graph_.nodes[x.node].as<QuantizeAttrs>().dtype.frac_bits;
    const double raw = std::ldexp(constant, frac);
    if (raw != std::floor(raw) || std::fabs(raw) > 32767) {
      reject(node, "constant {} is not a fixed-point value with {} fraction bits", constant, frac);
    }
    out.pad_value = static_cast<std::int64_t>(raw);
  } else {
    reject(node,
           "constant {}: bnnc pads ±1 activations with -1, 0 or +1, and raw pixels or "
           "fixed-point values with a value of their type",
           constant);
  }
  return out;
}

Value Importer::maxpool(const onnx::NodeProto& node, const Value& x) {
  if (x.dims.size() != 3 || !x.chw.empty()) reject(node, "input must be [N,C,H,W]");
  const std::vector<std::int64_t> kernel = onnx_ints_attribute(node, "kernel_shape");
  std::vector<std::int64_t> strides = onnx_ints_attribute(node, "strides");
  if (strides.empty()) strides = {1, 1};
  if (kernel.size() != 2 || kernel[0] != kernel[1] || kernel[0] < 1 || kernel[0] > x.dims[1] ||
      kernel[0] > x.dims[2] || strides.size() != 2 || strides[0] != strides[1] || strides[0] < 1 ||
      strides[0] > kMaxDim) {
    reject(node, "only square kernels with equal strides are supported");
  }
  // PyTorch pads a max-pool with −∞: the border never wins, as bnnc's MaxPoolAttrs::pad.
  const std::vector<std::int64_t> pads = onnx_ints_attribute(node, "pads");
  const std::int64_t pad = pads.empty() ? 0 : pads[0];
  for (std::int64_t p : pads) {
    if (p != pad || p < 0 || p >= kernel[0]) {
      reject(node, "pads [{}]: only one pad on every side, smaller than the kernel, is supported",
             fmt::join(pads, ","));
    }
  }
  if (onnx_string_attribute(node, "auto_pad", "NOTSET") != "NOTSET") {
    reject(node, "auto_pad is not supported (give explicit pads)");
  }
  if (onnx_int_attribute(node, "ceil_mode", 0) != 0) reject(node, "ceil_mode is not supported");
  for (std::int64_t d : onnx_ints_attribute(node, "dilations")) {
    if (d != 1) reject(node, "dilations are not supported");
  }
  MaxPoolAttrs attrs;
  attrs.kernel = static_cast<int>(kernel[0]);
  attrs.stride = static_cast<int>(strides[0]);
  attrs.pad = static_cast<int>(pad);
  Value out = x;
  out.node = graph_.add(node_name(node), attrs, {x.node});
  out.dims = {x.dims[0], (x.dims[1] + 2 * attrs.pad - attrs.kernel) / attrs.stride + 1,
              (x.dims[2] + 2 * attrs.pad - attrs.kernel) / attrs.stride + 1};
  return out;
}

// AdaptiveAvgPool2d(1) (GlobalAveragePool) or x.mean((2, 3)) (ReduceMean over H and W) of ±1
// activations: bnnc's globalsumpool, an exact integer sum S_c, then the float division by H·W.
// A binary-weight layer after it reads S_c as integer input and the ÷ H·W moves behind it
// (layer_input), where the next threshold or the label-select absorbs it (docs/residual.md).
void Importer::import_global_average(const onnx::NodeProto& node) {
  const Value& x = runtime_input(node, 0);
  if (x.dims.size() != 3 || !x.chw.empty()) reject(node, "input must be [N,C,H,W]");
  bool keep = true;
  if (node.op_type() == "ReduceMean") {
    std::vector<std::int64_t> axes = onnx_ints_attribute(node, "axes");
    if (axes.empty() && node.input_size() > 1) {
      for (double v : constant_input(node, 1).values) axes.push_back(static_cast<std::int64_t>(v));
    }
    for (std::int64_t& a : axes) a = a < 0 ? a + 4 : a;
    std::sort(axes.begin(), axes.end());
    if (axes != std::vector<std::int64_t>{2, 3}) {
      reject(node, "only a mean over H and W (axes 2 and 3) is supported");
    }
    keep = onnx_int_attribute(node, "keepdims", 1) != 0;
  }
  if (!x.binary) {
    reject(node,
           "only the average of ±1 activations (after a sign) is supported, not of real values");
  }
  Value out = x;
  out.node = graph_.add(node_name(node), GlobalSumPoolAttrs{}, {x.node});
  out.binary = false;
  out.dims = keep ? Shape{x.dims[0], 1, 1} : Shape{x.dims[0]};
  const float pixels = static_cast<float>(x.dims[1] * x.dims[2]);
  set_output(node, affine(node, out, AffineKind::Div, {pixels}, ".mean"));
}

}  // namespace bnnc::onnx_import
