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
