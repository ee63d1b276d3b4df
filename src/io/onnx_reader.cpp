#include "io/onnx_reader.h"

#include <cstring>
#include <limits>

#include "core/error.h"
#include "core/read_file.h"

namespace bnnc {

namespace {

// Tensors larger than this are refused (a corrupt header must not allocate gigabytes).
constexpr std::int64_t kMaxElements = std::int64_t{1} << 28;

template <typename T>
void append_raw(const std::string& raw, std::vector<double>& out) {
  const std::size_t count = raw.size() / sizeof(T);
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    T value;
    std::memcpy(&value, raw.data() + i * sizeof(T), sizeof(T));  // ONNX raw data: little endian
    out.push_back(static_cast<double>(value));
  }
}

std::size_t element_size(int data_type) {
  switch (data_type) {
    case onnx::TensorProto::FLOAT:
    case onnx::TensorProto::INT32: return 4;
    case onnx::TensorProto::DOUBLE:
    case onnx::TensorProto::INT64: return 8;
    default: return 0;
  }
}

}  // namespace

onnx::ModelProto parse_onnx_model(std::string_view bytes, const std::string& where) {
  onnx::ModelProto model;
  if (bytes.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()) ||
      !model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    fail("{}: not an ONNX model (the protobuf is malformed or truncated, {} bytes)", where,
         bytes.size());
  }
  if (!model.has_graph()) fail("{}: ONNX model without a graph", where);
  return model;
}

onnx::ModelProto read_onnx_model(const std::string& path) {
  // protobuf parses at most 2 GiB; a larger file is refused before it is read.
  const std::vector<std::uint8_t> bytes =
      read_file(path, static_cast<std::uint64_t>(std::numeric_limits<int>::max()), "an ONNX model");
  return parse_onnx_model(
      std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), path);
}

OnnxConstant decode_onnx_tensor(const onnx::TensorProto& tensor, const std::string& what) {
  OnnxConstant out;
  std::int64_t count = 1;
  for (std::int64_t dim : tensor.dims()) {
    if (dim < 0 || (dim > 0 && count > kMaxElements / dim)) {
      fail("{}: tensor dims are negative or too large", what);
    }
    count *= dim;
    out.dims.push_back(dim);
  }
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    fail("{}: tensors stored outside the model file are not supported", what);
  }
  const int type = tensor.data_type();
  const std::size_t size = element_size(type);
  if (size == 0) {
    fail("{}: tensor data type {} is not supported (float, double, int32, int64)", what, type);
  }
  out.integer = type == onnx::TensorProto::INT32 || type == onnx::TensorProto::INT64;
  if (tensor.has_raw_data()) {
    if (tensor.raw_data().size() != static_cast<std::size_t>(count) * size) {
      fail("{}: tensor raw data holds {} bytes, dims need {}", what, tensor.raw_data().size(),
           static_cast<std::size_t>(count) * size);
    }
    switch (type) {
      case onnx::TensorProto::FLOAT: append_raw<float>(tensor.raw_data(), out.values); break;
      case onnx::TensorProto::DOUBLE: append_raw<double>(tensor.raw_data(), out.values); break;
      case onnx::TensorProto::INT32: append_raw<std::int32_t>(tensor.raw_data(), out.values); break;
      default: append_raw<std::int64_t>(tensor.raw_data(), out.values); break;
    }
  } else {
    switch (type) {
      case onnx::TensorProto::FLOAT:
        out.values.assign(tensor.float_data().begin(), tensor.float_data().end());
        break;
      case onnx::TensorProto::DOUBLE:
        out.values.assign(tensor.double_data().begin(), tensor.double_data().end());
        break;
      case onnx::TensorProto::INT32:
        for (std::int32_t v : tensor.int32_data()) out.values.push_back(v);
        break;
      default:
        for (std::int64_t v : tensor.int64_data()) out.values.push_back(static_cast<double>(v));
        break;
    }
    if (out.elements() != count) {
      fail("{}: tensor holds {} values, dims need {}", what, out.values.size(), count);
    }
  }
  return out;
}

const onnx::AttributeProto* onnx_find_attribute(const onnx::NodeProto& node,
                                                const std::string& name) {
  for (const onnx::AttributeProto& attribute : node.attribute()) {
    if (attribute.name() == name) return &attribute;
  }
  return nullptr;
}

std::int64_t onnx_int_attribute(const onnx::NodeProto& node, const std::string& name,
                                std::int64_t fallback) {
  const onnx::AttributeProto* a = onnx_find_attribute(node, name);
  return a == nullptr ? fallback : a->i();
}

float onnx_float_attribute(const onnx::NodeProto& node, const std::string& name, float fallback) {
  const onnx::AttributeProto* a = onnx_find_attribute(node, name);
  return a == nullptr ? fallback : a->f();
}

std::string onnx_string_attribute(const onnx::NodeProto& node, const std::string& name,
                                  const std::string& fallback) {
  const onnx::AttributeProto* a = onnx_find_attribute(node, name);
  return a == nullptr ? fallback : a->s();
}

std::vector<std::int64_t> onnx_ints_attribute(const onnx::NodeProto& node,
                                              const std::string& name) {
  const onnx::AttributeProto* a = onnx_find_attribute(node, name);
  if (a == nullptr) return {};
  return {a->ints().begin(), a->ints().end()};
}

}  // namespace bnnc
