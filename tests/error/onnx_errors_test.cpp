// Bad ONNX input must fail with one line naming the file and the node (name, op type, domain).
#include <gtest/gtest.h>

#include <fstream>

#include <onnx/onnx_pb.h>

#include "core/error.h"
#include "io/onnx_importer.h"
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
    import_onnx_bytes(bytes, "net.onnx");
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
