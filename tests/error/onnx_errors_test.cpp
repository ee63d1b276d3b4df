// Bad ONNX input must fail with one line naming the file and the node (name, op type, domain).
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <fstream>
#include <limits>

#include <onnx/onnx_pb.h>

#include "core/error.h"
#include "io/onnx_importer.h"
#include "passes/streamline.h"
#include "test_support.h"

namespace bnnc {
namespace {

// A model with input x [1,4] and one node of the given type and domain.
std::string model_with_node(const std::string& op, const std::string& domain) {
  onnx::ModelProto model;
  model.set_ir_version(7);
  model.add_opset_import()->set_version(13);
  onnx::GraphProto* g = model.mutable_graph();
  onnx::ValueInfoProto* in = g->add_input();
  in->set_name("x");
  auto* shape = in->mutable_type()->mutable_tensor_type()->mutable_shape();
  shape->add_dim()->set_dim_value(1);
  shape->add_dim()->set_dim_value(4);
  onnx::NodeProto* node = g->add_node();
  node->set_name("mystery");
  node->set_op_type(op);
  node->set_domain(domain);
  const std::string x = "x", y = "y";
  node->add_input(x);
  node->add_output(y);
  g->add_output()->set_name(y);
  return model.SerializeAsString();
}

std::string error_of(const std::string& bytes) {
  try {
    streamline(import_onnx_bytes(bytes, "net.onnx"));
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(OnnxErrors, UnknownOpNamesNodeTypeAndDomain) {
  const std::string message = error_of(model_with_node("Frobnicate", "com.example"));
  EXPECT_NE(message.find("net.onnx: node 'mystery' (Frobnicate, domain com.example): unknown op"),
            std::string::npos)
      << message;
  EXPECT_EQ(message.find('\n'), std::string::npos);
}

TEST(OnnxErrors, TruncatedAndMalformedProtobuf) {
  const std::string good = model_with_node("Relu", "");
  for (std::size_t size : {std::size_t{1}, good.size() / 2, good.size() - 1}) {
    const std::string message = error_of(good.substr(0, size));
    EXPECT_NE(message.find("net.onnx:"), std::string::npos) << message;
  }
  EXPECT_NE(error_of("\xff\xff\xff\xff garbage").find("malformed or truncated"), std::string::npos);
}

// x [1,1,4,4] → Sign → Pad(pads, constant, mode) → `after` (Conv with 2×1×3×3 weights, or any
// other one-input op).
std::string padded_model(const std::vector<std::int64_t>& pads, float constant,
                         const std::string& mode, const std::string& after) {
  onnx::ModelProto model;
  model.set_ir_version(7);
  model.add_opset_import()->set_version(13);
  onnx::GraphProto* g = model.mutable_graph();
  onnx::ValueInfoProto* in = g->add_input();
  in->set_name("x");
  auto* shape = in->mutable_type()->mutable_tensor_type()->mutable_shape();
  for (int d : {1, 1, 4, 4}) shape->add_dim()->set_dim_value(d);
  onnx::TensorProto* p = g->add_initializer();
  p->set_name("pads");
  p->set_data_type(onnx::TensorProto::INT64);
  p->add_dims(static_cast<std::int64_t>(pads.size()));
  for (std::int64_t v : pads) p->add_int64_data(v);
  onnx::TensorProto* c = g->add_initializer();
  c->set_name("value");
  c->set_data_type(onnx::TensorProto::FLOAT);
  c->add_float_data(constant);
  onnx::TensorProto* w = g->add_initializer();
  w->set_name("w");
  w->set_data_type(onnx::TensorProto::FLOAT);
  for (int d : {2, 1, 3, 3}) w->add_dims(d);
  for (int i = 0; i < 18; ++i) w->add_float_data(i % 3 == 0 ? 1.0F : -1.0F);
  const auto add = [&](const std::string& op, std::vector<std::string> inputs,
                       const std::string& out) {
    onnx::NodeProto* n = g->add_node();
    n->set_name(out);
    n->set_op_type(op);
    for (const std::string& i : inputs) n->add_input(i);
    n->add_output(out);
    return n;
  };
  add("Sign", {"x"}, "s");
  onnx::NodeProto* pad = add("Pad", {"s", "pads", "value"}, "padded");
  auto* m = pad->add_attribute();
  m->set_name("mode");
  m->set_type(onnx::AttributeProto::STRING);
  m->set_s(mode);
  onnx::NodeProto* last = add(after,
                              after == "Conv" ? std::vector<std::string>{"padded", "w"}
                                              : std::vector<std::string>{"padded"},
                              "y");
  if (after == "MaxPool") {
    auto* k = last->add_attribute();
    k->set_name("kernel_shape");
    k->set_type(onnx::AttributeProto::INTS);
    k->add_ints(2);
    k->add_ints(2);
  }
  g->add_output()->set_name("y");
  return model.SerializeAsString();
}

TEST(OnnxErrors, PadsAreForConvsOfKnownValues) {
  const std::vector<std::int64_t> hw = {0, 0, 1, 1, 0, 0, 1, 1};
  // The good cases import (a Conv's output is a graph output of scores only when flat, so the
  // error then is about the output, past the Pad).
  for (float constant : {-1.0F, 0.0F, 1.0F}) {
    EXPECT_NE(error_of(padded_model(hw, constant, "constant", "Conv")).find("graph output 'y'"),
              std::string::npos)
        << constant;
  }
  EXPECT_NE(error_of(padded_model(hw, 0.5F, "constant", "Conv"))
                .find("net.onnx: node 'padded' (Pad): constant 0.5: bnnc pads ±1 activations with "
                      "-1, 0 or +1"),
            std::string::npos);
  EXPECT_NE(error_of(padded_model(hw, -1.0F, "reflect", "Conv"))
                .find("node 'padded' (Pad): only constant padding is supported"),
            std::string::npos);
  EXPECT_NE(error_of(padded_model({0, 1, 1, 1, 0, 0, 1, 1}, -1.0F, "constant", "Conv"))
                .find("node 'padded' (Pad): only pads of H and W, equal on every side"),
            std::string::npos);
  EXPECT_NE(error_of(padded_model({0, 0, 1, 1}, -1.0F, "constant", "Conv"))
                .find("node 'padded' (Pad): only pads of H and W"),
            std::string::npos);
  EXPECT_NE(error_of(padded_model(hw, -1.0F, "constant", "MaxPool"))
                .find("node 'y' (MaxPool): input 0 ('padded') is the output of a Pad, which bnnc "
                      "supports only right before a Conv"),
            std::string::npos);
}

// A graph over x (default [1,1,4,4]) built node by node, for the cases below.
class OnnxGraph {
 public:
  explicit OnnxGraph(const std::vector<int>& dims = {1, 1, 4, 4}) {
    model_.set_ir_version(7);
    model_.add_opset_import()->set_version(13);
    onnx::ValueInfoProto* in = model_.mutable_graph()->add_input();
    in->set_name("x");
    auto* shape = in->mutable_type()->mutable_tensor_type()->mutable_shape();
    for (int d : dims) shape->add_dim()->set_dim_value(d);
    model_.mutable_graph()->add_output()->set_name("y");
  }
  void int64s(const std::string& name, const std::vector<std::int64_t>& values) {
    onnx::TensorProto* t = model_.mutable_graph()->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    t->add_dims(static_cast<std::int64_t>(values.size()));
    for (std::int64_t v : values) t->add_int64_data(v);
  }
  void floats(const std::string& name, const std::vector<float>& values,
              const std::vector<std::int64_t>& dims = {}) {
    onnx::TensorProto* t = model_.mutable_graph()->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    if (dims.empty()) t->add_dims(static_cast<std::int64_t>(values.size()));
    for (std::int64_t d : dims) t->add_dims(d);
    for (float v : values) t->add_float_data(v);
  }
  onnx::NodeProto* node(const std::string& op, const std::vector<std::string>& inputs,
                        const std::string& output) {
    onnx::NodeProto* n = model_.mutable_graph()->add_node();
    n->set_name(output);
    n->set_op_type(op);
    for (const std::string& i : inputs) n->add_input(i);
    n->add_output(output);
    return n;
  }
  std::string bytes() const { return model_.SerializeAsString(); }

 private:
  onnx::ModelProto model_;
};

// ±1 weights of a conv with `rows` outputs over c channels, 3×3.
std::vector<float> conv_weights(int rows, int c) {
  std::vector<float> w;
  for (int i = 0; i < rows * c * 9; ++i) w.push_back(i % 3 == 0 ? 1.0F : -1.0F);
  return w;
}

// What a default torch.onnx.export of a BNN may hold and bnnc refuses, each naming the node.
TEST(OnnxErrors, PytorchFormsBnncRefuses) {
  {
    // torchvision's Normalize with three means and deviations before the first conv.
    OnnxGraph g({1, 3, 4, 4});
    g.floats("mean", {0.485F, 0.456F, 0.406F}, {3, 1, 1});
    g.floats("std", {0.229F, 0.224F, 0.225F}, {3, 1, 1});
    g.floats("w", conv_weights(2, 3), {2, 3, 3, 3});
    g.node("Sub", {"x", "mean"}, "centred");
    g.node("Div", {"centred", "std"}, "normalized");
    g.node("Conv", {"normalized", "w"}, "y");
    const std::string message = error_of(g.bytes());
    EXPECT_NE(message.find("net.onnx: node 'y' (Conv): its input reaches the pixels through "
                           "'centred' (add by 3 values, one per channel)"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("a per-channel Normalize (torchvision's) is not supported"),
              std::string::npos)
        << message;
  }
  {
    // One offset is fine on a pad-free layer, but a zero border is no pixel value after it.
    OnnxGraph g;
    g.floats("mean", {0.1307F}, {});
    g.floats("w", conv_weights(2, 1), {2, 1, 3, 3});
    g.node("Sub", {"x", "mean"}, "centred");
    auto* conv = g.node("Conv", {"centred", "w"}, "y");
    auto* pads = conv->add_attribute();
    pads->set_name("pads");
    pads->set_type(onnx::AttributeProto::INTS);
    for (int i = 0; i < 4; ++i) pads->add_ints(1);
    EXPECT_NE(error_of(g.bytes()).find("node 'y' (Conv): a padded convolution on pixels with an "
                                       "offset"),
              std::string::npos)
        << error_of(g.bytes());
  }
  {
    // Weights of one output channel with two magnitudes: not a fused batch-norm's ±α_c.
    OnnxGraph g;
    std::vector<float> w = conv_weights(2, 1);
    w[4] = 0.5F;
    g.floats("w", w, {2, 1, 3, 3});
    g.node("Sign", {"x"}, "s");
    g.node("Conv", {"s", "w"}, "y");
    EXPECT_NE(error_of(g.bytes()).find("node 'y' (Conv): weights of output 0 must be binary (±s "
                                       "with one s > 0 per output channel; weight 4 is 0.5"),
              std::string::npos)
        << error_of(g.bytes());
  }
  {
    // A comparison must be a Where's condition choosing ±1.
    OnnxGraph g;
    g.floats("zero", {0.0F}, {});
    g.floats("one", {1.0F}, {});
    g.node("GreaterOrEqual", {"x", "zero"}, "ge");
    g.node("Where", {"ge", "one", "zero"}, "y");
    EXPECT_NE(error_of(g.bytes()).find("node 'y' (Where): only Where(x compared with a constant, "
                                       "+1, -1)"),
              std::string::npos)
        << error_of(g.bytes());
    OnnxGraph h;
    h.floats("two", {2.0F}, {});
    h.floats("zero", {0.0F}, {});
    h.node("Less", {"x", "zero"}, "lt");
    h.node("Mul", {"lt", "two"}, "y");
    EXPECT_NE(error_of(h.bytes()).find("node 'y' (Mul): input 0 ('lt') is a comparison, which "
                                       "bnnc reads only as the condition of a Where"),
              std::string::npos)
        << error_of(h.bytes());
    OnnxGraph k;
    k.node("Greater", {"x", "x"}, "y");
    EXPECT_NE(error_of(k.bytes()).find("node 'y' (Greater): only a comparison of activations "
                                       "with a constant"),
              std::string::npos)
        << error_of(k.bytes());
  }
}

// Residual joins, pools and averages bnnc still refuses (docs/residual.md), each naming the node.
TEST(OnnxErrors, ResidualFormsBnncRefuses) {
  // A classifier after `from` ([1,C,4,4]), so that the graph reaches the streamliner.
  const auto classify = [](OnnxGraph& g, const std::string& from, int channels) {
    g.floats("fc", std::vector<float>(static_cast<std::size_t>(16 * channels * 2), 1.0F),
             {16 * channels, 2});
    g.node("Flatten", {from}, "flat");
    g.node("MatMul", {"flat", "fc"}, "y");
  };
  const auto expect = [](const OnnxGraph& g, const std::string& text) {
    const std::string message = error_of(g.bytes());
    EXPECT_NE(message.find(text), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  };
  {
    // A difference of two activations.
    OnnxGraph g;
    g.node("Sign", {"x"}, "s");
    g.node("Sub", {"s", "s"}, "y");
    expect(g, "node 'y' (Sub): both inputs are activations: only their sum");
  }
  {
    // Two ±1 activations added: no accumulator to threshold.
    OnnxGraph g;
    g.floats("half", {0.5F}, {});
    g.node("Add", {"x", "half"}, "shifted");
    g.node("Sign", {"shifted"}, "s");
    auto* pool = g.node("MaxPool", {"s"}, "t");
    auto* kernel = pool->add_attribute();
    kernel->set_name("kernel_shape");
    kernel->set_type(onnx::AttributeProto::INTS);
    kernel->add_ints(1);
    kernel->add_ints(1);
    g.node("Add", {"s", "t"}, "sum");
    g.node("Sign", {"sum"}, "z");
    classify(g, "z", 1);
    expect(g, "layer 'sum' (add): both inputs are ±1 activations");
  }
  {
    // The sum read by two layers: a real-valued shortcut stream (Bi-Real style).
    OnnxGraph g;
    g.floats("w", conv_weights(1, 1), {1, 1, 3, 3});
    g.floats("half", {0.5F}, {});
    g.node("Add", {"x", "half"}, "shifted");
    g.node("Sign", {"shifted"}, "s");
    auto* conv = g.node("Conv", {"s", "w"}, "c");
    auto* pads = conv->add_attribute();
    pads->set_name("pads");
    pads->set_type(onnx::AttributeProto::INTS);
    for (int i = 0; i < 4; ++i) pads->add_ints(1);
    g.node("Add", {"c", "s"}, "sum");
    g.node("Sign", {"sum"}, "a");
    g.node("Add", {"sum", "a"}, "b");
    g.node("Sign", {"b"}, "z");
    classify(g, "z", 1);
    expect(g, "layer 'sum' (add): the residual sum is read by 2 layers");
  }
  {
    // A sum with the pixels themselves.
    OnnxGraph g;
    g.node("Sign", {"x"}, "s");
    g.node("Add", {"s", "x"}, "y");
    expect(g, "node 'y' (Add): a sum with the input pixels is not supported");
  }
  {
    // An average of real values (no sign before the pool).
    OnnxGraph g;
    g.floats("half", {0.5F}, {});
    g.node("Mul", {"x", "half"}, "h");
    g.node("GlobalAveragePool", {"h"}, "y");
    expect(g, "node 'y' (GlobalAveragePool): only the average of ±1 activations");
  }
  {
    // A mean over the channels.
    OnnxGraph g;
    g.node("Sign", {"x"}, "s");
    auto* mean = g.node("ReduceMean", {"s"}, "y");
    auto* axes = mean->add_attribute();
    axes->set_name("axes");
    axes->set_type(onnx::AttributeProto::INTS);
    axes->add_ints(1);
    expect(g, "node 'y' (ReduceMean): only a mean over H and W (axes 2 and 3)");
  }
  {
    // A max-pool padded more on one side.
    OnnxGraph g;
    g.node("Sign", {"x"}, "s");
    auto* pool = g.node("MaxPool", {"s"}, "y");
    auto* kernel = pool->add_attribute();
    kernel->set_name("kernel_shape");
    kernel->set_type(onnx::AttributeProto::INTS);
    kernel->add_ints(3);
    kernel->add_ints(3);
    auto* pads = pool->add_attribute();
    pads->set_name("pads");
    pads->set_type(onnx::AttributeProto::INTS);
    for (int p : {1, 1, 0, 0}) pads->add_ints(p);
    expect(g, "node 'y' (MaxPool): pads [1,1,0,0]: only one pad on every side");
  }
}

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

// Regressions: constants near the int64 limits once reached undefined behaviour (a double past
// INT64_MAX cast to int64, signed overflow in folded shape arithmetic), which UBSan reports. Now
// each is an error naming the node, or harmless.
TEST(OnnxErrors, HugeShapeConstantsAreErrorsNotUndefinedBehaviour) {
  {
    OnnxGraph g;  // Reshape to [1, INT64_MAX] (as a double: 2^63, past INT64_MAX)
    g.int64s("s", {1, kInt64Max});
    g.node("Reshape", {"x", "s"}, "y");
    EXPECT_NE(error_of(g.bytes()).find("node 'y' (Reshape): shape entry"), std::string::npos)
        << error_of(g.bytes());
  }
  for (const char* op : {"Add", "Mul", "Sub"}) {
    OnnxGraph g;  // folded int64 arithmetic that overflows
    g.int64s("a", {std::int64_t{1} << 62, 3});
    g.int64s("b",
             {op == std::string("Sub") ? -(std::int64_t{1} << 62) : (std::int64_t{1} << 62), 5});
    g.node(op, {"a", "b"}, "c");
    g.node("Reshape", {"x", "c"}, "y");
    EXPECT_NE(error_of(g.bytes()).find(fmt::format("node 'c' ({}): integer overflow", op)),
              std::string::npos)
        << error_of(g.bytes());
  }
  {
    OnnxGraph g;  // INT64_MIN / −1
    g.int64s("a", {std::numeric_limits<std::int64_t>::min(), 16});
    g.int64s("b", {-1, 1});
    g.node("Div", {"a", "b"}, "c");
    g.node("Reshape", {"x", "c"}, "y");
    EXPECT_NE(error_of(g.bytes()).find("node 'y' (Reshape): shape entry"), std::string::npos)
        << error_of(g.bytes());
  }
  {
    OnnxGraph g;  // a float far past int64 cast to an integer shape
    g.floats("a", {1e30F, 16.0F});
    auto* cast = g.node("Cast", {"a"}, "c");
    auto* to = cast->add_attribute();
    to->set_name("to");
    to->set_type(onnx::AttributeProto::INT);
    to->set_i(onnx::TensorProto::INT64);
    g.node("Reshape", {"x", "c"}, "y");
    EXPECT_NE(error_of(g.bytes()).find("node 'y' (Reshape): shape entry"), std::string::npos)
        << error_of(g.bytes());
  }
  {
    OnnxGraph g;  // Gather at index INT64_MAX
    g.int64s("a", {1, 16});
    g.int64s("i", {kInt64Max});
    g.node("Gather", {"a", "i"}, "c");
    EXPECT_NE(error_of(g.bytes()).find("node 'c' (Gather): index"), std::string::npos)
        << error_of(g.bytes());
  }
  {
    OnnxGraph g;  // Unsqueeze at axis INT64_MAX
    g.int64s("ax", {kInt64Max});
    g.node("Unsqueeze", {"x", "ax"}, "y");
    EXPECT_NE(error_of(g.bytes()).find("node 'y' (Unsqueeze): axis out of range"),
              std::string::npos)
        << error_of(g.bytes());
  }
  {
    OnnxGraph g;  // Pad by INT64_MAX
    g.int64s("p", {0, 0, kInt64Max, kInt64Max, 0, 0, kInt64Max, kInt64Max});
    g.node("Pad", {"x", "p"}, "y");
    EXPECT_NE(error_of(g.bytes()).find("node 'y' (Pad): only pads of H and W"), std::string::npos)
        << error_of(g.bytes());
  }
  {
    OnnxGraph g;  // Slice from −INT64_MAX to INT64_MAX: the whole tensor
    g.int64s("a", {1, 16});
    g.int64s("st", {-kInt64Max});
    g.int64s("en", {kInt64Max});
    g.node("Slice", {"a", "st", "en"}, "c");
    g.node("Reshape", {"x", "c"}, "y");
    const Graph graph = streamline(import_onnx_bytes(g.bytes(), "net.onnx"));  // y: 16 scores
    EXPECT_EQ(graph.nodes[graph.nodes.back().inputs[0]].type.elements(), 16);
  }
  {
    OnnxGraph g;  // ConstantOfShape of INT64_MAX elements
    g.int64s("s", {kInt64Max});
    g.node("ConstantOfShape", {"s"}, "c");
    EXPECT_NE(error_of(g.bytes()).find("node 'c' (ConstantOfShape): shape entry"),
              std::string::npos)
        << error_of(g.bytes());
  }
}

TEST(OnnxErrors, MissingFileIsNamed) {
  try {
    import_onnx((test::temp_dir("onnx_errors") / "missing.onnx").string());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing.onnx"), std::string::npos);
  }
}

}  // namespace
}  // namespace bnnc
