// Reads an ONNX file into onnx::ModelProto (Debian's libonnx + protobuf) and decodes its
// constant tensors and node attributes, every size checked against the bytes present: a
// malformed or truncated file is the user's error, never a crash.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <onnx/onnx_pb.h>

namespace bnnc {

// Parses ONNX protobuf bytes. `where` names the source in errors (a path). Throws bnnc::Error on
// bytes that are not a ModelProto or a model without a graph.
onnx::ModelProto parse_onnx_model(std::string_view bytes, const std::string& where);
onnx::ModelProto read_onnx_model(const std::string& path);

// A constant tensor, values widened to double (float32 and int64 up to 2^53 exactly).
struct OnnxConstant {
  std::vector<std::int64_t> dims;
  std::vector<double> values;
  bool integer = false;

  std::int64_t elements() const { return static_cast<std::int64_t>(values.size()); }
};

// Decodes FLOAT, DOUBLE, INT32 and INT64 tensors (raw_data or the typed fields). Throws
// bnnc::Error naming `what` on other types or when the data does not match the dims.
OnnxConstant decode_onnx_tensor(const onnx::TensorProto& tensor, const std::string& what);

// Attribute lookup on a node; the defaults apply when the attribute is absent.
std::int64_t onnx_int_attribute(const onnx::NodeProto& node, const std::string& name,
                                std::int64_t fallback);
float onnx_float_attribute(const onnx::NodeProto& node, const std::string& name, float fallback);
std::string onnx_string_attribute(const onnx::NodeProto& node, const std::string& name,
                                  const std::string& fallback);
std::vector<std::int64_t> onnx_ints_attribute(const onnx::NodeProto& node, const std::string& name);
const onnx::AttributeProto* onnx_find_attribute(const onnx::NodeProto& node,
                                                const std::string& name);

}  // namespace bnnc
