#include "fold/lower_to_dataflow.h"

#include <algorithm>
#include <map>
#include <set>

#include "ir/infer_types.h"

namespace bnnc {

namespace {

struct Shape3 {
  int h = 1, w = 1, c = 1;
};

Shape3 shape3(const TensorType& type) {
  if (type.shape.size() == 3) return {type.shape[0], type.shape[1], type.shape[2]};
  return {1, 1, static_cast<int>(type.elements())};
}

int element_bits(const DType& type) { return type.is_bit() ? 1 : type.bits; }

class Lowering {
 public:
  explicit Lowering(const Graph& graph) { out_.ir = graph; }

  DataflowGraph run() {
    const Graph& g = out_.ir;
    infer_types(out_.ir);
    for (int i = 0; i < static_cast<int>(g.nodes.size()); ++i) {
      const Node& node = g.nodes[i];
      if (consumed_.count(i) != 0) continue;
      switch (node.op()) {
        case Op::Input: lower_input(i); break;
        case Op::Quantize: reject(node, "a quantize table is supported only right after the input");
        case Op::Reshape: publish(i, producer(node)); break;
        case Op::Threshold: lower_thresholding(i); break;
        case Op::Conv2d: lower_conv(i); break;
        case Op::Dense: lower_dense(i); break;
        case Op::MaxPool: lower_pool(i); break;
        case Op::LabelSelect: lower_label_select(i); break;
        case Op::BatchNorm:
        case Op::Affine:
        case Op::Sign:
          reject(node, "the dataflow compiler needs an integer-only graph; streamline it first");
        case Op::Add: lower_add(i); break;
        case Op::GlobalSumPool: lower_global_sum_pool(i); break;
        case Op::Count: break;
      }
    }
    if (out_.blocks.empty() || out_.blocks.back().kind != BlockKind::LabelSelect) {
      fail("graph '{}': the dataflow compiler needs a network that ends in labelselect", g.name);
    }
    return std::move(out_);
  }

 private:
  template <typename... Args>
  [[noreturn]] void reject(const Node& node, fmt::format_string<Args...> format, Args&&... args) {
    fail("layer '{}' ({}): {}", node.name, op_name(node.op()),
         fmt::format(format, std::forward<Args>(args)...));
  }

  // The only consumer of node i that is of the given op, or -1.
  int sole_consumer(int i, Op op) const {
    const std::vector<int> consumers = out_.ir.consumers(i);
    if (consumers.size() == 1 && out_.ir.nodes[consumers[0]].op() == op) return consumers[0];
    return -1;
  }

  // The block that streams node i's value (a reshape streams its input's).
  int producer(const Node& node) const { return producer_.at(node.inputs[0]); }

  // Block `block` streams node i's value. A value read by several layers goes through a
  // Duplicate block (a fork), whose consumers then each get their own stream.
  void publish(int i, int block) {
    producer_[i] = block;
    const Graph& g = out_.ir;
    if (g.consumers(i).size() < 2) return;
    const TensorType& type = g.nodes[i].type;
    last_ = block;
    add(g.nodes[i].name + ".fork", BlockKind::Duplicate, i, type, type);
    producer_[i] = last_;
  }

  Block& add(std::string name, BlockKind kind, int layer, const TensorType& in,
             const TensorType& out) {
    Block b;
    b.name = std::move(name);
    b.kind = kind;
    b.layer = layer;
    if (last_ >= 0) b.inputs = {last_};
    const Shape3 i = shape3(in), o = shape3(out);
    b.ifm_h = i.h, b.ifm_w = i.w, b.ifm_c = i.c;
    b.ofm_h = o.h, b.ofm_w = o.w, b.ofm_c = o.c;
    b.in_bits = element_bits(in.dtype);
    b.out_bits = element_bits(out.dtype);
    out_.blocks.push_back(b);
    last_ = static_cast<int>(out_.blocks.size()) - 1;
    return out_.blocks.back();
  }

  void lower_input(int i) {
    const Graph& g = out_.ir;
    const int quantize = sole_consumer(i, Op::Quantize);
    const int last = quantize >= 0 ? quantize : i;
    if (quantize >= 0) consumed_.insert(quantize);
    last_ = -1;
    add(g.nodes[i].name, BlockKind::Input, last, g.nodes[i].type, g.nodes[last].type);
    producer_[i] = last_;
    publish(last, last_);
  }

  void lower_thresholding(int i) {
    const Node& node = out_.ir.nodes[i];
    last_ = producer(node);
    add(node.name, BlockKind::Thresholding, i, out_.ir.nodes[node.inputs[0]].type, node.type);
    publish(i, last_);
  }

  // An MVTU for matrix layer i, with the threshold after it fused when it is the only reader.
  void add_mvtu(int i, const TensorType& in, const BinaryMatrix& weights,
                const TensorType* image = nullptr) {
    const Graph& g = out_.ir;
    const int threshold = sole_consumer(i, Op::Threshold);
    const TensorType& out = g.nodes[threshold >= 0 ? threshold : i].type;
    Block& b = add(g.nodes[i].name, BlockKind::Mvtu, i, in, out);
    b.threshold = threshold;
    if (threshold >= 0) consumed_.insert(threshold);
    const int mvtu = last_;
    b.mh = b.mh_padded = weights.rows();
    b.mw = b.mw_padded = weights.cols();
    b.acc_bits = g.nodes[i].type.dtype.bits;
    const Node& node = g.nodes[i];
    if (node.op() == Op::Conv2d) {
      const auto& a = node.as<Conv2dAttrs>();
      b.kernel = a.kernel, b.stride = a.stride, b.pad = a.pad;
      b.zero_pad = a.zero_padded();
      b.image_h = image->shape[0], b.image_w = image->shape[1];
    }
    producer_[i] = mvtu;
    publish(threshold >= 0 ? threshold : i, mvtu);
  }

  void lower_conv(int i) {
    const Graph& g = out_.ir;
    const Node& node = g.nodes[i];
    const auto& a = node.as<Conv2dAttrs>();
    const TensorType& image = g.nodes[node.inputs[0]].type;
    TensorType in = image;
    last_ = producer(node);
    if (a.pad > 0) {
      TensorType padded = in;
      padded.shape[0] += 2 * a.pad;
      padded.shape[1] += 2 * a.pad;
      Block& pad = add(node.name + ".pad", BlockKind::FmPadding, i, in, padded);
      pad.pad = a.pad;
      in = padded;
    }
    // A zero-padded conv pads with bit 0 too: its MVTU leaves the border's synapses out.
    // The SWU turns the image into K·K·C windows, one per output pixel.
    const TensorType windows{
        in.dtype, {node.type.shape[0], node.type.shape[1], a.kernel * a.kernel * in.shape[2]}};
    Block& swu = add(node.name + ".swu", BlockKind::Swu, i, in, windows);
    swu.kernel = a.kernel, swu.stride = a.stride;
    add_mvtu(i, windows, a.weights, &image);
  }

  void lower_dense(int i) {
    const Node& node = out_.ir.nodes[i];
    last_ = producer(node);
    add_mvtu(i, out_.ir.nodes[node.inputs[0]].type, node.as<DenseAttrs>().weights);
  }

  // A padded max-pool: an FMPadding block surrounds the image with the value that never wins
  // (fold/pad_element.h), and the pool runs unpadded on the padded image — the same windows.
  void lower_pool(int i) {
    const Node& node = out_.ir.nodes[i];
    const int pad = node.as<MaxPoolAttrs>().pad;
    TensorType in = out_.ir.nodes[node.inputs[0]].type;
    last_ = producer(node);
    if (pad > 0) {
      TensorType padded = in;
      padded.shape[0] += 2 * pad;
      padded.shape[1] += 2 * pad;
      add(node.name + ".pad", BlockKind::FmPadding, i, in, padded).pad = pad;
      in = padded;
    }
    Block& b = add(node.name, BlockKind::StreamingMaxPool, i, in, node.type);
    b.kernel = node.as<MaxPoolAttrs>().kernel;
    b.stride = node.as<MaxPoolAttrs>().stride;
    publish(i, last_);
  }

  // A residual add: an AddStreams block joining the two streams (the join of a reconvergent
  // path; find_reconvergence.h sizes the FIFO on its short branch).
  void lower_add(int i) {
    const Node& node = out_.ir.nodes[i];
    last_ = producer(node);
    Block& b =
        add(node.name, BlockKind::AddStreams, i, out_.ir.nodes[node.inputs[0]].type, node.type);
    b.inputs.push_back(producer_.at(node.inputs[1]));
    if (const auto& offsets = node.as<AddAttrs>().offsets; !offsets.empty()) {
      const auto [lo, hi] = std::minmax_element(offsets.begin(), offsets.end());
      b.table_span = static_cast<int>(std::ssize(offsets) / b.ifm_c);
      b.table_bits = int_bits_for(*lo, *hi);
    }
    publish(i, last_);
  }

  void lower_global_sum_pool(int i) {
    const Node& node = out_.ir.nodes[i];
    last_ = producer(node);
    add(node.name, BlockKind::GlobalSumPool, i, out_.ir.nodes[node.inputs[0]].type, node.type);
    publish(i, last_);
  }

  void lower_label_select(int i) {
    const Node& node = out_.ir.nodes[i];
    last_ = producer(node);
    add(node.name, BlockKind::LabelSelect, i, out_.ir.nodes[node.inputs[0]].type, node.type);
  }

  DataflowGraph out_;
  std::set<int> consumed_;
  std::map<int, int> producer_;  // IR node → the block streaming its value
  int last_ = -1;                // the block add() links a new block to
};

}  // namespace

DataflowGraph lower_to_dataflow(const Graph& graph) { return Lowering(graph).run(); }

}  // namespace bnnc
