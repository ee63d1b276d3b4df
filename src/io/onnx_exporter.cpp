#include "io/onnx_exporter.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <map>
#include <set>

#include <onnx/onnx_pb.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "ir/infer_types.h"

namespace bnnc {

namespace {

// What the ONNX tensor of a bnnc node holds, as real values.
enum class Meaning {
  Pixels01,  // pixel / 255 (the input after the exported Div)
  Bipolar,   // ±1 (bit b → 2b − 1)
  Dot,       // 2P − N of a dense/conv on bits (the MatMul of ±1 values)
  Integer,   // the raw integer itself: y of a zero-padded conv on bits (ONNX's zero-padded Conv)
  Fixed,     // fixed-point values raw/2^frac (a quantize table), or sums of them
  PixelSum,  // Σ ±(p/255) of a layer on Pixels01: acc/255 in real arithmetic (ONNX's float sum
             // may differ in the last places, so its thresholds sit at midpoints (T − ½)/255)
};

struct Tensor {
  std::string name;
  Meaning meaning = Meaning::Bipolar;
  Shape chw;          // ONNX dims without batch: [C,H,W] or [K]
  int frac_bits = 0;  // Fixed
};

class Exporter {
 public:
  explicit Exporter(const Graph& graph) : graph_(graph) {}

  onnx::ModelProto run() {
    onnx::ModelProto model;
    model.set_ir_version(7);
    model.set_producer_name("bnnc");
    model.set_producer_version(BNNC_VERSION);
    auto* opset = model.add_opset_import();
    opset->set_domain("");
    opset->set_version(13);
    for (const char* domain : {"qonnx.custom_op.general", "finn.custom_op.general"}) {
      opset = model.add_opset_import();
      opset->set_domain(domain);
      opset->set_version(1);
    }
    g_ = model.mutable_graph();
    g_->set_name(graph_.name.empty() ? "bnnc" : graph_.name);
    tensors_.resize(graph_.nodes.size());
    for (std::size_t i = 0; i < graph_.nodes.size(); ++i) export_node(static_cast<int>(i));
    return model;
  }

 private:
  template <typename... Args>
  [[noreturn]] void reject(const Node& node, fmt::format_string<Args...> format, Args&&... args) {
    fail("layer '{}' ({}): cannot export to ONNX yet: {}", node.name, op_name(node.op()),
         fmt::format(format, std::forward<Args>(args)...));
  }

  std::string add_initializer(const std::string& name, const std::vector<std::int64_t>& dims,
                              const std::vector<float>& values) {
    onnx::TensorProto* t = g_->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (std::int64_t d : dims) t->add_dims(d);
    for (float v : values) t->add_float_data(v);
    return name;
  }
  std::string add_int_initializer(const std::string& name, const std::vector<std::int64_t>& dims,
                                  const std::vector<std::int64_t>& values) {
    onnx::TensorProto* t = g_->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    for (std::int64_t d : dims) t->add_dims(d);
    for (std::int64_t v : values) t->add_int64_data(v);
    return name;
  }

  onnx::NodeProto* add_node(const std::string& op, const std::string& name,
                            const std::vector<std::string>& inputs,
                            const std::string& domain = "") {
    onnx::NodeProto* n = g_->add_node();
    n->set_op_type(op);
    n->set_name(name);
    if (!domain.empty()) n->set_domain(domain);
    for (const std::string& in : inputs) n->add_input(in);
    n->add_output(name);
    return n;
  }

  static void set_float(onnx::NodeProto* n, const char* name, float v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(v);
  }
  static void set_ints(onnx::NodeProto* n, const char* name, const std::vector<std::int64_t>& v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (std::int64_t x : v) a->add_ints(x);
  }
  static void set_string(onnx::NodeProto* n, const char* name, const std::string& v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(v);
  }

  void set_value_info(onnx::ValueInfoProto* info, const std::string& name,
                      const std::vector<std::int64_t>& dims) {
    info->set_name(name);
    auto* type = info->mutable_type()->mutable_tensor_type();
    type->set_elem_type(onnx::TensorProto::FLOAT);
    for (std::int64_t d : dims) type->mutable_shape()->add_dim()->set_dim_value(d);
  }

  // Binary weights behind a BipolarQuant: `values` ±1 floats of shape dims.
  std::string binary_weights(const Node& node, const std::vector<std::int64_t>& dims,
                             const std::vector<float>& values) {
    const std::string w = add_initializer(node.name + ".w_float", dims, values);
    const std::string s = add_initializer(node.name + ".w_scale", {}, {1.0F});
    add_node("BipolarQuant", node.name + ".w", {w, s}, "qonnx.custom_op.general");
    return node.name + ".w";
  }

  void export_node(int index);

 public:
  // One function per op (the table below picks them).
  Tensor export_unsupported(int index) {
    reject(graph_.nodes[index], "this op has no QONNX form in bnnc yet");
  }

  Tensor export_input(int index) {
    const Node& node = graph_.nodes[index];
    Tensor out;
    const Shape& s = node.type.shape;
    out.chw = s.size() == 3 ? Shape{s[2], s[0], s[1]} : s;
    std::vector<std::int64_t> dims{1};
    for (int d : out.chw) dims.push_back(d);
    set_value_info(g_->add_input(), "global_in", dims);
    const std::vector<int> consumers = graph_.consumers(index);
    if (consumers.size() == 1 && graph_.nodes[consumers[0]].op() == Op::Quantize) {
      // Pixels as table indices: a Cast to int64 first, the importer's sign of raw input.
      onnx::NodeProto* cast = add_node("Cast", "input.index", {"global_in"});
      auto* to = cast->add_attribute();
      to->set_name("to");
      to->set_type(onnx::AttributeProto::INT);
      to->set_i(onnx::TensorProto::INT64);
      out.name = "input.index";
      out.meaning = Meaning::Pixels01;
      return out;
    }
    // Raw pixels in, divided by 255 first: the importer's sign that the input is raw.
    const std::string k = add_initializer("input_scale", {}, {255.0F});
    add_node("Div", "input/255", {"global_in", k});
    out.name = "input/255";
    out.meaning = Meaning::Pixels01;
    return out;
  }

  Tensor export_quantize(int index) {
    const Node& node = graph_.nodes[index];
    const Tensor* in = &tensors_[node.inputs[0]];
    Tensor out;
    // table[p] / 2^F, looked up with Gather (exact: F ≤ 24 bits of a float's mantissa).
    const auto& a = node.as<QuantizeAttrs>();
    if (in->name != "input.index") reject(node, "a quantize that does not read the input");
    std::vector<float> table;
    for (std::int32_t raw : a.table) {
      table.push_back(std::ldexp(static_cast<float>(raw), -a.dtype.frac_bits));
    }
    const std::string t =
        add_initializer(node.name + ".table", {static_cast<std::int64_t>(table.size())}, table);
    add_node("Gather", node.name, {t, in->name});
    out = *in;
    out.name = node.name;
    out.meaning = Meaning::Fixed;
    out.frac_bits = a.dtype.frac_bits;
    return out;
  }

  Tensor export_reshape(int index) {
    const Node& node = graph_.nodes[index];
    const Tensor* in = &tensors_[node.inputs[0]];
    Tensor out;
    if (node.type.shape.size() != 1) reject(node, "only flattens to a vector");
    const Shape& from = in->chw;
    if (from.size() == 3 && from[0] != 1 && from[1] * from[2] != 1) pending_.insert(index);
    const std::string shape = add_int_initializer(node.name + ".shape", {2}, {1, -1});
    add_node("Reshape", node.name, {in->name, shape});
    out = *in;
    out.name = node.name;
    out.chw = {static_cast<int>(node.type.elements())};
    flattened_from_[index] = from;
    return out;
  }

  // The thresholds T of bnnc's integers as thresholds on the values the ONNX tensor holds.
  std::vector<float> threshold_values(const Node& node, const Tensor& in) {
    const auto& a = node.as<ThresholdAttrs>();
    const int channels = node.type.channels();
    std::vector<float> t(static_cast<std::size_t>(channels));
    const int producer = node.inputs[0];
    const std::int64_t n = dot_length(producer);
    for (int c = 0; c < channels; ++c) {
      // Beyond the values the input can take (P ∈ 0..N, y ∈ −N..N) every threshold acts
      // alike, so clamp to keep 2T − N exact.
      const std::int64_t threshold = in.meaning == Meaning::Dot || in.meaning == Meaning::Integer
                                         ? std::clamp<std::int64_t>(a.thresholds[c], -n - 1, n + 1)
                                         : a.thresholds[c];
      if (in.meaning == Meaning::Pixels01) {
        // p/255 is strictly increasing on 0..255 in float: p ≥ T ⇔ p/255 ≥ T/255.
        t[c] = static_cast<float>(threshold) / 255.0F;
      } else if (in.meaning == Meaning::Dot) {
        t[c] = static_cast<float>(2 * threshold - n);  // P ≥ T ⇔ 2P − N ≥ 2T − N
      } else if (in.meaning == Meaning::Integer) {
        t[c] = static_cast<float>(threshold);  // y ≥ T, exact for |T| < 2^24
      } else if (in.meaning == Meaning::Fixed) {
        t[c] = std::ldexp(static_cast<float>(threshold), -in.frac_bits);  // exact
      } else if (in.meaning == Meaning::PixelSum) {
        // acc ≥ T ⇔ acc/255 ≥ (T − ½)/255: halfway between two values the sum can take, so a
        // float sum a few units off in the last place still lands on the right side.
        t[c] = static_cast<float>((static_cast<double>(threshold) - 0.5) / 255.0);
      } else {
        reject(node, "a threshold on bits");
      }
    }
    return t;
  }

  Tensor export_threshold(int index) {
    const Node& node = graph_.nodes[index];
    const Tensor* in = &tensors_[node.inputs[0]];
    Tensor out;
    const auto& a = node.as<ThresholdAttrs>();
    const int channels = node.type.channels();
    std::string x = in->name;
    const int and_pool = pool_with_and_channels(index);
    if (and_pool >= 0) x = pool_before_threshold(node, graph_.nodes[and_pool], *in);
    std::vector<float> t = threshold_values(node, *in);
    if (!a.negate.empty()) {
      // NOT(v ≥ t) ⇔ v < t ⇔ −v ≥ −t + step, with step the spacing of the values v can take
      // below t: 1 for integers y and for 2P − N (whose t = 2T − N has v's parity, so −v ≥
      // −t + 1 ⇔ −v ≥ −t + 2), 2^−F for fixed point. Pixels p/255 are not evenly spaced:
      // p < T ⇔ p ≤ T − 1 ⇔ −(p/255) ≥ −((T − 1)/255), both divisions the importer's own
      // float32 p/255, strictly increasing on 0..255 (T − 1 clamped to −1..255: never, always).
      // A midpoint threshold (PixelSum) needs no step: no value equals it.
      const float step = in->meaning == Meaning::Dot || in->meaning == Meaning::Integer ? 1.0F
                         : in->meaning == Meaning::PixelSum                             ? 0.0F
                                                            : std::ldexp(1.0F, -in->frac_bits);
      for (int c = 0; c < channels && in->meaning == Meaning::Pixels01; ++c) {
        if (a.negate[c] == 0) continue;
        // Negated below: −1 → +1 (−p/255 ≥ 1 never), 255 → −1 (always).
        const std::int64_t below = std::clamp<std::int64_t>(a.thresholds[c], 0, 256) - 1;
        t[c] = below < 0 ? -1.0F : static_cast<float>(below) / 255.0F;
      }
      std::vector<float> sign(static_cast<std::size_t>(channels), 1.0F);
      for (int c = 0; c < channels; ++c) {
        if (a.negate[c] != 0) {
          sign[c] = -1.0F;
          t[c] = in->meaning == Meaning::Pixels01 ? -t[c] : -t[c] + step;
        }
      }
      const std::string k =
          add_initializer(node.name + ".polarity", channel_dims(*in, channels), sign);
      add_node("Mul", node.name + ".polarity", {x, k});
      x = node.name + ".polarity";
    }
    const std::string thresholds =
        add_initializer(node.name + ".thresholds", {static_cast<std::int64_t>(channels), 1}, t);
    onnx::NodeProto* mt =
        add_node("MultiThreshold", node.name, {x, thresholds}, "finn.custom_op.general");
    set_float(mt, "out_scale", 2.0F);
    set_float(mt, "out_bias", -1.0F);
    set_string(mt, "out_dtype", "BIPOLAR");
    out = *in;
    out.name = node.name;
    out.meaning = Meaning::Bipolar;
    if (and_pool >= 0) {
      // The pool is done: its output is this MultiThreshold's.
      out.chw = pooled_chw(graph_.nodes[and_pool]);
      tensors_[and_pool] = out;
    }
    return out;
  }

  Tensor export_dense(int index) {
    const Node& node = graph_.nodes[index];
    const Tensor* in = &tensors_[node.inputs[0]];
    Tensor out;
    if (in->meaning != Meaning::Bipolar && in->meaning != Meaning::Pixels01) {
      reject(node, "a dense layer on non-binary input");
    }
    const BinaryMatrix& w = node.as<DenseAttrs>().weights;
    const int rows = w.rows(), cols = w.cols();
    // ONNX row k of the [K, M] matrix multiplies ONNX input element k; after a flatten of
    // C×H×W that element is bnnc column (pixel·C + c) for k = c·H·W + pixel.
    const Shape from = source_chw(node.inputs[0]);
    std::vector<float> values(static_cast<std::size_t>(rows) * cols);
    for (int k = 0; k < cols; ++k) {
      int j = k;
      if (!from.empty()) {
        const int hw = from[1] * from[2];
        j = (k % hw) * from[0] + k / hw;
      }
      for (int r = 0; r < rows; ++r) {
        values[static_cast<std::size_t>(k) * rows + r] = w.get(r, j) ? 1.0F : -1.0F;
      }
    }
    const std::string weights = binary_weights(node, {cols, rows}, values);
    add_node("MatMul", node.name, {in->name, weights});
    out.name = node.name;
    out.meaning = in->meaning == Meaning::Pixels01 ? Meaning::PixelSum : Meaning::Dot;
    out.chw = {rows};
    return out;
  }

  Tensor export_conv(int index) {
    const Node& node = graph_.nodes[index];
    const Tensor* in = &tensors_[node.inputs[0]];
    Tensor out;
    const auto& a = node.as<Conv2dAttrs>();
    if (in->meaning != Meaning::Bipolar && in->meaning != Meaning::Fixed &&
        in->meaning != Meaning::Pixels01) {
      reject(node, "a convolution on non-binary input");
    }
    // ONNX's Conv pads with 0: right for zero padding and for raw value 0 of fixed point or
    // pixels. Any other border (−1/+1 on bits, another raw value) is an explicit Pad before it.
    const bool conv_pads = a.zero_padded() || (in->meaning != Meaning::Bipolar && a.pad_value == 0);
    std::string conv_in = in->name;
    if (a.pad > 0 && !conv_pads) {
      const float value = in->meaning == Meaning::Bipolar ? (a.pad_value != 0 ? 1.0F : -1.0F)
                          : in->meaning == Meaning::Pixels01
                              ? static_cast<float>(a.pad_value) / 255.0F
                              : std::ldexp(static_cast<float>(a.pad_value), -in->frac_bits);
      const std::string pads =
          add_int_initializer(node.name + ".pads", {8}, {0, 0, a.pad, a.pad, 0, 0, a.pad, a.pad});
      const std::string constant = add_initializer(node.name + ".pad_value", {}, {value});
      add_node("Pad", node.name + ".pad", {in->name, pads, constant});
      conv_in = node.name + ".pad";
    }
    const int rows = a.weights.rows(), c = in->chw[0], k = a.kernel;
    std::vector<float> values(static_cast<std::size_t>(rows) * c * k * k);
    for (int r = 0; r < rows; ++r) {
      for (int ch = 0; ch < c; ++ch) {
        for (int ky = 0; ky < k; ++ky) {
          for (int kx = 0; kx < k; ++kx) {
            values[((static_cast<std::size_t>(r) * c + ch) * k + ky) * k + kx] =
                a.weights.get(r, (ky * k + kx) * c + ch) ? 1.0F : -1.0F;
          }
        }
      }
    }
    const std::string weights = binary_weights(node, {rows, c, k, k}, values);
    onnx::NodeProto* conv = add_node("Conv", node.name, {conv_in, weights});
    set_ints(conv, "kernel_shape", {k, k});
    set_ints(conv, "strides", {a.stride, a.stride});
    const std::int64_t p = conv_pads ? a.pad : 0;
    set_ints(conv, "pads", {p, p, p, p});
    out.name = node.name;
    out.meaning = in->meaning == Meaning::Fixed      ? Meaning::Fixed
                  : in->meaning == Meaning::Pixels01 ? Meaning::PixelSum
                  : a.zero_padded()                  ? Meaning::Integer
                                                     : Meaning::Dot;
    out.frac_bits = in->frac_bits;
    out.chw = {rows, node.type.shape[0], node.type.shape[1]};
    return out;
  }

  Tensor export_maxpool(int index) {
    const Node& node = graph_.nodes[index];
    const Tensor* in = &tensors_[node.inputs[0]];
    Tensor out;
    const auto& a = node.as<MaxPoolAttrs>();
    if (!tensors_[index].name.empty()) return tensors_[index];  // exported with its threshold
    if (!a.min_channels.empty()) {
      reject(node, "min (AND) channels on a tensor that is not a threshold's only output");
    }
    onnx::NodeProto* pool = add_node("MaxPool", node.name, {in->name});
    set_ints(pool, "kernel_shape", {a.kernel, a.kernel});
    set_ints(pool, "strides", {a.stride, a.stride});
    if (a.pad > 0) set_ints(pool, "pads", {a.pad, a.pad, a.pad, a.pad});
    out = *in;
    out.name = node.name;
    out.chw = pooled_chw(node);
    return out;
  }

  Tensor export_label_select(int index) {
    const Node& node = graph_.nodes[index];
    const Tensor* in = &tensors_[node.inputs[0]];
    Tensor out;
    const auto& a = node.as<LabelSelectAttrs>();
    if (in->meaning != Meaning::Dot && in->meaning != Meaning::Integer) {
      reject(node, "scores that are not a layer's dot products");
    }
    // Only a global average pool's dense layer gets a shift, and export refuses that pool.
    if (a.shift > 0) reject(node, "a label-select with real-valued class offsets (shift > 0)");
    std::string scores = in->name;
    if (!a.bias.empty()) {
      // argmax(P + b) = argmax(2P − N + 2b): an integer shift per class (exact in float);
      // scores y that are the integers themselves shift by b.
      const std::int64_t scale = in->meaning == Meaning::Dot ? 2 : 1;
      std::vector<float> shift;
      for (std::int64_t b : a.bias) shift.push_back(static_cast<float>(scale * b));
      const std::string k =
          add_initializer("label.bias", {static_cast<std::int64_t>(shift.size())}, shift);
      add_node("Add", "scores", {scores, k});
      scores = "scores";
    }
    const std::string one = add_int_initializer("label.k", {1}, {1});
    onnx::NodeProto* topk = g_->add_node();
    topk->set_op_type("TopK");
    topk->set_name("label");
    topk->add_input(scores);
    topk->add_input(one);
    topk->add_output("label.values");
    topk->add_output("global_out");
    set_value_info(g_->add_output(), "global_out", {1, 1});
    g_->mutable_output(0)->mutable_type()->mutable_tensor_type()->set_elem_type(
        onnx::TensorProto::INT64);
    return out;
  }

 private:
  static Shape pooled_chw(const Node& pool) {
    return {pool.type.shape[2], pool.type.shape[0], pool.type.shape[1]};
  }

  // The max-pool with AND channels that is threshold `index`'s only reader, or -1.
  int pool_with_and_channels(int index) const {
    const std::vector<int> consumers = graph_.consumers(index);
    if (consumers.size() != 1) return -1;
    const Node& pool = graph_.nodes[consumers[0]];
    if (pool.op() != Op::MaxPool || pool.as<MaxPoolAttrs>().min_channels.empty()) return -1;
    return consumers[0];
  }

  // ONNX has no min-pool, so a pool with AND channels goes before the threshold, on its integer
  // input x. With b(x) = (x ≥ T) XOR neg monotone, the AND of the bits over a window is b(min x)
  // where b is non-decreasing (neg = 0) and b(max x) where it is non-increasing (neg = 1), and
  // the OR the other way round. So channel c pools x with min exactly when AND[c] XOR neg[c], and
  // min x = −max(−x): x → Mul(s) → MaxPool → Mul(s) with s[c] = −1 there, +1 elsewhere (negation
  // is exact in float). Returns the pooled x.
  std::string pool_before_threshold(const Node& threshold, const Node& pool, const Tensor& in) {
    const auto& a = threshold.as<ThresholdAttrs>();
    const auto& p = pool.as<MaxPoolAttrs>();
    if (in.chw.size() != 3) reject(pool, "a pool of a vector");
    const int channels = threshold.type.channels();
    std::vector<float> s(static_cast<std::size_t>(channels), 1.0F);
    bool any_min = false;
    for (int c = 0; c < channels; ++c) {
      const bool negate = !a.negate.empty() && a.negate[c] != 0;
      if ((p.min_channels[c] != 0) != negate) {
        s[c] = -1.0F;
        any_min = true;
      }
    }
    std::string x = in.name;
    std::string k;
    if (any_min) {
      k = add_initializer(pool.name + ".min", channel_dims(in, channels), s);
      add_node("Mul", pool.name + ".negate", {x, k});
      x = pool.name + ".negate";
    }
    onnx::NodeProto* maxpool = add_node("MaxPool", pool.name, {x});
    set_ints(maxpool, "kernel_shape", {p.kernel, p.kernel});
    set_ints(maxpool, "strides", {p.stride, p.stride});
    // ONNX's MaxPool pads with −∞: the pad never wins, as in bnnc (ir/op.h).
    if (p.pad > 0) set_ints(maxpool, "pads", {p.pad, p.pad, p.pad, p.pad});
    x = pool.name;
    if (any_min) {
      add_node("Mul", pool.name + ".restore", {x, k});
      x = pool.name + ".restore";
    }
    return x;
  }

  std::vector<std::int64_t> channel_dims(const Tensor& t, int channels) {
    if (t.chw.size() == 3) return {1, channels, 1, 1};
    return {1, channels};
  }

  // N of the popcount a node produces (its weight columns), for Dot tensors.
  std::int64_t dot_length(int index) {
    const Node& node = graph_.nodes[index];
    if (node.op() == Op::Dense) return node.as<DenseAttrs>().weights.cols();
    if (node.op() == Op::Conv2d) return node.as<Conv2dAttrs>().weights.cols();
    if (node.op() == Op::MaxPool || node.op() == Op::Reshape) return dot_length(node.inputs[0]);
    return 0;
  }

  // C×H×W when the tensor at index is a flatten whose orders differ (CHW ≠ HWC), else empty.
  Shape source_chw(int index) {
    if (pending_.count(index) == 0) return {};
    return flattened_from_[index];
  }

  const Graph& graph_;
  onnx::GraphProto* g_ = nullptr;
  std::vector<Tensor> tensors_;
  std::set<int> pending_;
  std::map<int, Shape> flattened_from_;
};

// One function per op, in Op's order; ops with no QONNX form in bnnc yet are refused.
struct OpExport {
  Op op;
  Tensor (Exporter::*export_op)(int index);
};
constexpr OpExport kExports[] = {
    {Op::Input, &Exporter::export_input},
    {Op::Quantize, &Exporter::export_quantize},
    {Op::Dense, &Exporter::export_dense},
    {Op::Conv2d, &Exporter::export_conv},
    {Op::BatchNorm, &Exporter::export_unsupported},
    {Op::Affine, &Exporter::export_unsupported},
    {Op::Sign, &Exporter::export_unsupported},
    {Op::Threshold, &Exporter::export_threshold},
    {Op::MaxPool, &Exporter::export_maxpool},
    {Op::Reshape, &Exporter::export_reshape},
    {Op::Add, &Exporter::export_unsupported},
    {Op::GlobalSumPool, &Exporter::export_unsupported},
    {Op::LabelSelect, &Exporter::export_label_select},
};
// Fails to compile when an op is added to ir/op.h without a row here.
constexpr bool exports_every_op_in_order() {
  if (std::size(kExports) != static_cast<std::size_t>(Op::Count)) return false;
  for (std::size_t i = 0; i < std::size(kExports); ++i) {
    if (kExports[i].op != static_cast<Op>(i)) return false;
  }
  return true;
}

static_assert(exports_every_op_in_order());

void Exporter::export_node(int index) {
  const auto export_op = kExports[static_cast<std::size_t>(graph_.nodes[index].op())].export_op;
  tensors_[index] = (this->*export_op)(index);
}

}  // namespace

void export_onnx(const Graph& graph, const std::string& path) {
  Graph typed = graph;
  infer_types(typed);
  if (typed.nodes.empty() || typed.nodes.back().op() != Op::LabelSelect) {
    fail("{}: the network must end in a label-select to export", path);
  }
  const onnx::ModelProto model = Exporter(typed).run();
  std::string bytes;
  if (!model.SerializeToString(&bytes))
    fail("{}: cannot write: the ONNX model does not serialize", path);
  write_file_atomically(path, bytes);
}

}  // namespace bnnc
