#include "io/model_file.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <set>
#include <span>

#include "core/atomic_file.h"
#include "core/read_file.h"
#include "ir/infer_types.h"

// The layout is specified in docs/model-format.md; keep the two in step. In short:
//
//   "BNNCMODL" | u32 version | u64 header length H | H bytes of JSON | array section
//
// All integers little-endian. The JSON names every layer and its scalar attributes; each array
// attribute is a reference {"type","offset","count"} into the array section, whose length the
// header states in "array_bytes" (so a truncated file is caught before any array is read).

namespace bnnc {

namespace {

using Json = nlohmann::ordered_json;

constexpr std::array<char, 8> kMagic = {'B', 'N', 'N', 'C', 'M', 'O', 'D', 'L'};
constexpr std::size_t kPreambleBytes = 8 + 4 + 8;
constexpr std::size_t kArrayAlignment = 8;

// Limits that keep a corrupt header from asking for absurd sizes (all far above any real BNN).
constexpr std::int64_t kMaxDimension = std::int64_t{1} << 30;
constexpr std::int64_t kMaxElements = std::int64_t{1} << 40;
constexpr std::int64_t kMaxShapeRank = 8;
constexpr std::int64_t kMaxWindow = 1 << 16;                        // kernel, stride, pad
constexpr std::int64_t kMaxTensorElements = std::int64_t{1} << 28;  // one layer's output
constexpr std::uint64_t kMaxModelFileBytes = std::uint64_t{1} << 32;
constexpr std::string_view kWhat = "a bnnc model file";

enum class ElementType { Int8, Int16, Int32, Int64, UInt64, Float32 };

struct ElementInfo {
  const char* name;
  std::size_t bytes;
};

constexpr std::array<ElementInfo, 6> kElements = {{
    {"int8", 1},
    {"int16", 2},
    {"int32", 4},
    {"int64", 8},
    {"uint64", 8},
    {"float32", 4},
}};

const ElementInfo& info(ElementType type) { return kElements[static_cast<std::size_t>(type)]; }

void put_le(std::vector<std::uint8_t>& out, std::uint64_t value, std::size_t bytes) {
  for (std::size_t i = 0; i < bytes; ++i) {
    out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
  }
}

std::uint64_t get_le(const std::uint8_t* in, std::size_t bytes) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < bytes; ++i) value |= std::uint64_t{in[i]} << (8 * i);
  return value;
}

// Sign-extends the low `bytes` bytes of raw.
std::int64_t sign_extend(std::uint64_t raw, std::size_t bytes) {
  const auto shift = static_cast<unsigned>(64 - 8 * bytes);
  return static_cast<std::int64_t>(raw << shift) >> shift;
}

// The array section being built; each add_* appends one array (8-byte aligned) and returns the
// reference the header stores.
class ArrayWriter {
 public:
  // Integers go out in the narrowest of int8/16/32/64 that holds every value.
  template <typename T>
  Json add_integers(const std::vector<T>& values) {
    std::int64_t lo = 0, hi = 0;
    for (T value : values) {
      lo = std::min(lo, static_cast<std::int64_t>(value));
      hi = std::max(hi, static_cast<std::int64_t>(value));
    }
    ElementType type = ElementType::Int64;
    if (lo >= INT8_MIN && hi <= INT8_MAX) {
      type = ElementType::Int8;
    } else if (lo >= INT16_MIN && hi <= INT16_MAX) {
      type = ElementType::Int16;
    } else if (lo >= INT32_MIN && hi <= INT32_MAX) {
      type = ElementType::Int32;
    }
    Json ref = start(type, values.size());
    for (T value : values) {
      put_le(bytes_, static_cast<std::uint64_t>(static_cast<std::int64_t>(value)),
             info(type).bytes);
    }
    return ref;
  }

  Json add_floats(const std::vector<float>& values) {
    Json ref = start(ElementType::Float32, values.size());
    for (float value : values) put_le(bytes_, std::bit_cast<std::uint32_t>(value), 4);
    return ref;
  }

  Json add_matrix(const BinaryMatrix& matrix) {
    Json ref = Json::object();
    ref["rows"] = matrix.rows();
    ref["cols"] = matrix.cols();
    Json words = start(ElementType::UInt64, matrix.words().size());
    for (std::uint64_t word : matrix.words()) put_le(bytes_, word, 8);
    ref.update(words);
    return ref;
  }

  const std::vector<std::uint8_t>& bytes() const { return bytes_; }

 private:
  Json start(ElementType type, std::size_t count) {
    while (bytes_.size() % kArrayAlignment != 0) bytes_.push_back(0);
    Json ref = Json::object();
    ref["type"] = info(type).name;
    ref["offset"] = bytes_.size();
    ref["count"] = count;
    return ref;
  }

  std::vector<std::uint8_t> bytes_;
};

Json node_to_json(const Node& node, ArrayWriter& arrays) {
  Json j = Json::object();
  j["name"] = node.name;
  j["op"] = op_name(node.op());
  j["inputs"] = node.inputs;
  switch (node.op()) {
    case Op::Input: {
      const auto& a = node.as<InputAttrs>();
      j["shape"] = a.shape;
      j["dtype"] = to_string(a.dtype);
      break;
    }
    case Op::Quantize: {
      const auto& a = node.as<QuantizeAttrs>();
      j["dtype"] = to_string(a.dtype);
      j["table"] = arrays.add_integers(a.table);
      break;
    }
    case Op::Dense: j["weights"] = arrays.add_matrix(node.as<DenseAttrs>().weights); break;
    case Op::Conv2d: {
      const auto& a = node.as<Conv2dAttrs>();
      j["kernel"] = a.kernel;
      j["stride"] = a.stride;
      j["pad"] = a.pad;
      j["pad_value"] = a.pad_value;
      if (a.zero_padded()) j["pad_mode"] = pad_mode_name(a.pad_mode);  // version 2
      j["weights"] = arrays.add_matrix(a.weights);
      break;
    }
    case Op::BatchNorm: {
      const auto& a = node.as<BatchNormAttrs>();
      if (!std::isfinite(a.eps)) {
        fail("layer '{}' (batchnorm): eps {} is not a finite number", node.name, a.eps);
      }
      j["eps"] = a.eps;
      j["gamma"] = arrays.add_floats(a.gamma);
      j["beta"] = arrays.add_floats(a.beta);
      j["mean"] = arrays.add_floats(a.mean);
      j["var"] = arrays.add_floats(a.var);
      if (!a.bias.empty()) j["bias"] = arrays.add_floats(a.bias);
      break;
    }
    case Op::Affine: {
      const auto& a = node.as<AffineAttrs>();
      for (float k : a.constant) {
        if (!std::isfinite(k)) {
          fail("layer '{}' (affine): constant {} is not a finite number", node.name, k);
        }
      }
      j["kind"] = affine_kind_name(a.kind);
      j["constant"] = arrays.add_floats(a.constant);
      break;
    }
    case Op::Sign:
      if (node.as<SignAttrs>().zero_gives_zero) j["zero_gives_zero"] = 1;
      break;
    case Op::Threshold: {
      const auto& a = node.as<ThresholdAttrs>();
      j["thresholds_per_channel"] = a.thresholds_per_channel;
      j["thresholds"] = arrays.add_integers(a.thresholds);
      if (!a.negate.empty()) j["negate"] = arrays.add_integers(a.negate);
      break;
    }
    case Op::MaxPool: {
      const auto& a = node.as<MaxPoolAttrs>();
      j["kernel"] = a.kernel;
      j["stride"] = a.stride;
      if (a.pad > 0) j["pad"] = a.pad;  // version 3
      if (!a.min_channels.empty()) j["min_channels"] = arrays.add_integers(a.min_channels);
      break;
    }
    case Op::Reshape: j["shape"] = node.as<ReshapeAttrs>().shape; break;
    case Op::Add: {
      const auto& a = node.as<AddAttrs>();
      if (!a.offsets.empty()) {  // version 4
        j["offsets"] = arrays.add_integers(a.offsets);
        j["in1_min"] = a.in1_min;
      }
      break;
    }
    case Op::GlobalSumPool: break;
    case Op::LabelSelect: {
      const auto& a = node.as<LabelSelectAttrs>();
      if (!a.bias.empty()) j["bias"] = arrays.add_integers(a.bias);
      if (a.shift > 0) j["shift"] = a.shift;  // version 5
      break;
    }
    case Op::Count: BNNC_ASSERT(false, "Op::Count is not an op");
  }
  return j;
}

// The header text: one layer per line, so that `head -c` of a model file is readable.
std::string header_text(const Graph& graph, std::size_t array_bytes,
                        const std::vector<Json>& nodes) {
  std::string text = "{\n";
  text += "\"producer\": " + Json("bnnc " BNNC_VERSION).dump() + ",\n";
  text += "\"graph\": " + Json(graph.name).dump() + ",\n";
  text += "\"classes\": " + Json(graph.classes).dump() + ",\n";
  text += "\"array_bytes\": " + std::to_string(array_bytes) + ",\n";
  text += "\"nodes\": [\n";
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    text += "  " + nodes[i].dump() + (i + 1 < nodes.size() ? ",\n" : "\n");
  }
  text += "]}\n";
  // Pad with blanks (JSON whitespace) so that the array section starts 8-byte aligned.
  while ((kPreambleBytes + text.size()) % kArrayAlignment != 0) text += ' ';
  return text;
}

// The file being read, for messages and for the array section.
struct ModelSource {
  std::string path;
  std::span<const std::uint8_t> arrays;
  std::uint32_t version = kModelFormatVersion;

  template <typename... Args>
  [[noreturn]] void reject(const std::string& where, fmt::format_string<Args...> format,
                           Args&&... args) const {
    fail("{}: {}: {}", path, where, fmt::format(format, std::forward<Args>(args)...));
  }
};

const char* json_type_name(const Json& value) {
  if (value.is_number_integer()) return "integer";
  if (value.is_number_float()) return "number";
  return value.type_name();
}

// The integer value of a JSON number, when it is an integer that fits an int64.
std::optional<std::int64_t> as_int64(const Json& value) {
  if (value.is_number_unsigned()) {
    const auto u = value.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return {};
    return static_cast<std::int64_t>(u);
  }
  if (value.is_number_integer()) return value.get<std::int64_t>();
  return {};
}

// One JSON object being read: every key is checked for its type and range as it is taken, and
// finish() refuses keys nobody asked for (a key unknown to this format version).
class ObjectReader {
 public:
  ObjectReader(const ModelSource& source, const Json& object, std::string where)
      : source_(source), object_(object), where_(std::move(where)) {
    if (!object_.is_object()) {
      source_.reject(where_, "must be a JSON object, not {}", json_type_name(object_));
    }
  }

  const std::string& where() const { return where_; }
  const ModelSource& source() const { return source_; }

  bool has(const char* key) const { return object_.contains(key); }

  const Json& get(const char* key) {
    const auto it = object_.find(key);
    if (it == object_.end()) source_.reject(where_, "missing key '{}'", key);
    used_.insert(key);
    return *it;
  }

  std::int64_t integer(const char* key, std::int64_t lo, std::int64_t hi) {
    const Json& value = get(key);
    const std::optional<std::int64_t> number = as_int64(value);
    if (!number || *number < lo || *number > hi) {
      source_.reject(where_, "key '{}' must be an integer in {}..{}, not {}", key, lo, hi,
                     value.is_number() ? value.dump() : json_type_name(value));
    }
    return *number;
  }

  int int32(const char* key, std::int64_t lo, std::int64_t hi) {
    return static_cast<int>(integer(key, lo, hi));
  }

  std::string string(const char* key) {
    const Json& value = get(key);
    if (!value.is_string()) {
      source_.reject(where_, "key '{}' must be a string, not {}", key, json_type_name(value));
    }
    return value.get<std::string>();
  }

  const Json& array(const char* key) {
    const Json& value = get(key);
    if (!value.is_array()) {
      source_.reject(where_, "key '{}' must be an array, not {}", key, json_type_name(value));
    }
    return value;
  }

  void finish() const {
    for (const auto& item : object_.items()) {
      if (used_.count(item.key()) == 0) {
        source_.reject(where_, "unknown key '{}' (not part of model format version {})", item.key(),
                       source_.version);
      }
    }
  }

 private:
  const ModelSource& source_;
  const Json& object_;
  std::string where_;
  std::set<std::string> used_;
};

std::vector<int> read_int_list(ObjectReader& object, const char* key, std::int64_t lo,
                               std::int64_t hi) {
  const Json& list = object.array(key);
  std::vector<int> values;
  for (const Json& item : list) {
    const std::optional<std::int64_t> number = as_int64(item);
    if (!number || *number < lo || *number > hi) {
      object.source().reject(object.where(), "key '{}' must hold integers in {}..{}, not {}", key,
                             lo, hi, item.is_number() ? item.dump() : json_type_name(item));
    }
    values.push_back(static_cast<int>(*number));
  }
  return values;
}

Shape read_shape(ObjectReader& object, const char* key) {
  Shape shape = read_int_list(object, key, 1, kMaxDimension);
  if (static_cast<std::int64_t>(shape.size()) > kMaxShapeRank) {
    object.source().reject(object.where(), "key '{}': {} dimensions, at most {} are allowed", key,
                           shape.size(), kMaxShapeRank);
  }
  std::int64_t elements = 1;
  for (int dim : shape) {
    elements *= dim;  // cannot overflow: each factor ≤ 2^30 and the product is capped below
    if (elements > kMaxElements) {
      object.source().reject(object.where(), "key '{}': shape {} has more than 2^40 elements", key,
                             to_string(shape));
    }
  }
  return shape;
}

// "bit", "float", "uintN", "intN", "fixed<W,F>" (to_string's spelling).
DType read_dtype(ObjectReader& object, const char* key) {
  const std::string text = object.string(key);
  if (text == "bit") return DType::bit();
  if (text == "float") return DType::float32();
  const auto number = [](const std::string& digits, int& out) {
    if (digits.empty() || digits.size() > 2) return false;
    for (char c : digits) {
      if (c < '0' || c > '9') return false;
    }
    out = std::stoi(digits);
    return true;
  };
  int bits = 0, frac = 0;
  if (text.starts_with("uint") && number(text.substr(4), bits) && bits >= 1 && bits <= 63) {
    return DType::uint(bits);
  }
  if (text.starts_with("int") && number(text.substr(3), bits) && bits >= 1 && bits <= 63) {
    return DType::sint(bits);
  }
  if (text.starts_with("fixed<") && text.ends_with(">")) {
    const std::string inner = text.substr(6, text.size() - 7);
    const std::size_t comma = inner.find(',');
    if (comma != std::string::npos && number(inner.substr(0, comma), bits) &&
        number(inner.substr(comma + 1), frac) && bits >= 1 && bits <= 63 && frac <= 63) {
      return DType::fixed(bits, frac);
    }
  }
  object.source().reject(object.where(),
                         "key '{}': unknown element type '{}' (expected bit, float, uintN, intN "
                         "or fixed<W,F> with N, W ≤ 63)",
                         key, text);
}

// A reference to one array: where it lies in the array section, checked against its size.
struct ArrayRef {
  ElementType type;
  const std::uint8_t* data;
  std::size_t count;
};

ArrayRef read_array_ref(ObjectReader& ref) {
  const std::string type_name = ref.string("type");
  std::size_t type_index = 0;
  while (type_index < kElements.size() && type_name != kElements[type_index].name) ++type_index;
  if (type_index == kElements.size()) {
    ref.source().reject(ref.where(), "unknown element type '{}'", type_name);
  }
  const auto type = static_cast<ElementType>(type_index);
  const auto limit = std::numeric_limits<std::int64_t>::max();
  const auto offset = static_cast<std::uint64_t>(ref.integer("offset", 0, limit));
  const auto count = static_cast<std::uint64_t>(ref.integer("count", 0, limit));
  const std::size_t size = ref.source().arrays.size();
  if (offset > size || count > (size - offset) / info(type).bytes) {
    ref.source().reject(ref.where(),
                        "{} {} at offset {} run past the end of the array section ({} bytes)",
                        count, type_name, offset, size);
  }
  return {type, ref.source().arrays.data() + offset, static_cast<std::size_t>(count)};
}

template <typename T>
std::vector<T> read_integers(ObjectReader& object, const char* key) {
  ObjectReader ref(object.source(), object.get(key), object.where() + " array '" + key + "'");
  const ArrayRef array = read_array_ref(ref);
  ref.finish();
  if (array.type == ElementType::UInt64 || array.type == ElementType::Float32) {
    object.source().reject(object.where(), "array '{}' must hold int8..int64, not {}", key,
                           info(array.type).name);
  }
  const std::size_t bytes = info(array.type).bytes;
  std::vector<T> values(array.count);
  for (std::size_t i = 0; i < array.count; ++i) {
    const std::int64_t value = sign_extend(get_le(array.data + i * bytes, bytes), bytes);
    if (value < static_cast<std::int64_t>(std::numeric_limits<T>::min()) ||
        value > static_cast<std::int64_t>(std::numeric_limits<T>::max())) {
      object.source().reject(object.where(), "array '{}': value {} at index {} is out of range",
                             key, value, i);
    }
    values[i] = static_cast<T>(value);
  }
  return values;
}

template <typename T>
std::vector<T> read_optional_integers(ObjectReader& object, const char* key) {
  return object.has(key) ? read_integers<T>(object, key) : std::vector<T>{};
}

std::vector<float> read_floats(ObjectReader& object, const char* key) {
  ObjectReader ref(object.source(), object.get(key), object.where() + " array '" + key + "'");
  const ArrayRef array = read_array_ref(ref);
  ref.finish();
  if (array.type != ElementType::Float32) {
    object.source().reject(object.where(), "array '{}' must hold float32, not {}", key,
                           info(array.type).name);
  }
  std::vector<float> values(array.count);
  for (std::size_t i = 0; i < array.count; ++i) {
    values[i] = std::bit_cast<float>(static_cast<std::uint32_t>(get_le(array.data + 4 * i, 4)));
  }
  return values;
}

BinaryMatrix read_matrix(ObjectReader& object, const char* key) {
  ObjectReader ref(object.source(), object.get(key), object.where() + " matrix '" + key + "'");
  const int rows = ref.int32("rows", 0, kMaxDimension);
  const int cols = ref.int32("cols", 0, kMaxDimension);
  const ArrayRef array = read_array_ref(ref);
  ref.finish();
  const auto words_per_row = static_cast<std::uint64_t>((cols + 63) / 64);
  const std::uint64_t expected = static_cast<std::uint64_t>(rows) * words_per_row;
  if (array.type != ElementType::UInt64 || array.count != expected) {
    object.source().reject(object.where(),
                           "matrix '{}' of {}x{} bits needs {} uint64 words, the file has {} {}",
                           key, rows, cols, expected, array.count, info(array.type).name);
  }
  BinaryMatrix matrix(rows, cols);
  std::vector<std::uint64_t>& words = matrix.mutable_words();
  for (std::size_t i = 0; i < array.count; ++i) words[i] = get_le(array.data + 8 * i, 8);
  // BinaryMatrix keeps the bits past the last column 0; a file that sets them is corrupt.
  const int tail = cols % 64;
  if (tail != 0) {
    const std::uint64_t unused = ~((std::uint64_t{1} << tail) - 1);
    for (int r = 0; r < rows; ++r) {
      if ((matrix.row_words(r)[words_per_row - 1] & unused) != 0) {
        object.source().reject(object.where(), "matrix '{}': row {} has bits set past column {}",
                               key, r, cols);
      }
    }
  }
  return matrix;
}

Op read_op(ObjectReader& object) {
  const std::string name = object.string("op");
  for (int i = 0; i < static_cast<int>(Op::Count); ++i) {
    const auto op = static_cast<Op>(i);
    if (name != op_name(op)) continue;
    if (op == Op::GlobalSumPool && object.source().version < 3) {
      object.source().reject(object.where(), "op '{}' is not part of model format version {}", name,
                             object.source().version);
    }
    return op;
  }
  object.source().reject(object.where(), "unknown op '{}'", name);
}

OpAttrs read_attrs(Op op, ObjectReader& j) {
  switch (op) {
    case Op::Input: {
      InputAttrs a;
      a.shape = read_shape(j, "shape");
      a.dtype = read_dtype(j, "dtype");
      return a;
    }
    case Op::Quantize: {
      QuantizeAttrs a;
      a.dtype = read_dtype(j, "dtype");
      a.table = read_integers<std::int32_t>(j, "table");
      return a;
    }
    case Op::Dense: return DenseAttrs{read_matrix(j, "weights")};
    case Op::Conv2d: {
      Conv2dAttrs a;
      a.kernel = j.int32("kernel", 0, kMaxWindow);
      a.stride = j.int32("stride", 0, kMaxWindow);
      a.pad = j.int32("pad", 0, kMaxWindow);
      // A pad may reach the kernel (the shipped cnv-pad pads 28×28 images by 3 for a 3×3 conv);
      // what a corrupt pad (65,536) would make the engines allocate is bounded below, by the
      // values each layer outputs per image.
      a.pad_value = j.integer("pad_value", std::numeric_limits<std::int64_t>::min(),
                              std::numeric_limits<std::int64_t>::max());
      // Version 1 has no pad_mode (every pad holds pad_value); from version 2 it is optional.
      if (j.source().version >= 2 && j.has("pad_mode")) {
        const std::string mode = j.string("pad_mode");
        if (mode == pad_mode_name(PadMode::Value)) {
          a.pad_mode = PadMode::Value;
        } else if (mode == pad_mode_name(PadMode::Zero)) {
          a.pad_mode = PadMode::Zero;
        } else {
          j.source().reject(j.where(), "unknown pad mode '{}' (value, zero)", mode);
        }
      }
      a.weights = read_matrix(j, "weights");
      return a;
    }
    case Op::BatchNorm: {
      BatchNormAttrs a;
      const Json& eps = j.get("eps");
      if (!eps.is_number()) {
        j.source().reject(j.where(), "key 'eps' must be a number, not {}", json_type_name(eps));
      }
      const double eps_value = eps.get<double>();
      if (!(std::fabs(eps_value) <= std::numeric_limits<float>::max())) {
        j.source().reject(j.where(), "key 'eps' = {} does not fit a float", eps.dump());
      }
      a.eps = static_cast<float>(eps_value);
      a.gamma = read_floats(j, "gamma");
      a.beta = read_floats(j, "beta");
      a.mean = read_floats(j, "mean");
      a.var = read_floats(j, "var");
      if (j.has("bias")) a.bias = read_floats(j, "bias");
      return a;
    }
    case Op::Affine: {
      AffineAttrs a;
      const std::string kind = j.string("kind");
      bool known = false;
      for (AffineKind k : {AffineKind::Add, AffineKind::Mul, AffineKind::Div}) {
        if (kind == affine_kind_name(k)) {
          a.kind = k;
          known = true;
        }
      }
      if (!known) j.source().reject(j.where(), "unknown affine kind '{}' (add, mul, div)", kind);
      a.constant = read_floats(j, "constant");
      return a;
    }
    case Op::Sign: {
      SignAttrs a;
      if (j.has("zero_gives_zero")) a.zero_gives_zero = j.int32("zero_gives_zero", 0, 1) != 0;
      return a;
    }
    case Op::Threshold: {
      ThresholdAttrs a;
      a.thresholds_per_channel = j.int32("thresholds_per_channel", 1, kMaxDimension);
      a.thresholds = read_integers<std::int64_t>(j, "thresholds");
      a.negate = read_optional_integers<std::uint8_t>(j, "negate");
      return a;
    }
    case Op::MaxPool: {
      MaxPoolAttrs a;
      a.kernel = j.int32("kernel", 0, kMaxWindow);
      a.stride = j.int32("stride", 0, kMaxWindow);
      // Version 3 adds the optional pad (absent: 0, as every pool of versions 1 and 2).
      if (j.source().version >= 3 && j.has("pad")) a.pad = j.int32("pad", 0, kMaxWindow);
      a.min_channels = read_optional_integers<std::uint8_t>(j, "min_channels");
      return a;
    }
    case Op::Reshape: return ReshapeAttrs{read_shape(j, "shape")};
    case Op::Add: {
      // Version 4 adds the optional table of a residual join (absent: a plain sum).
      AddAttrs a;
      if (j.source().version >= 4 && j.has("offsets")) {
        a.offsets = read_integers<std::int64_t>(j, "offsets");
        a.in1_min = j.integer("in1_min", -(std::int64_t{1} << 40), std::int64_t{1} << 40);
      }
      return a;
    }
    case Op::GlobalSumPool: return GlobalSumPoolAttrs{};
    case Op::LabelSelect: {
      // Version 5 adds the optional shift (absent: 0).
      LabelSelectAttrs a{read_optional_integers<std::int64_t>(j, "bias")};
      if (j.source().version >= 5 && j.has("shift")) a.shift = j.int32("shift", 0, kMaxLabelShift);
      return a;
    }
    case Op::Count: break;
  }
  BNNC_ASSERT(false, "read_op returned Op::Count");
  return {};
}

Node read_node(const ModelSource& source, const Json& value, std::size_t index) {
  std::string where = fmt::format("layer {}", index);
  if (value.is_object() && value.contains("name") && value["name"].is_string()) {
    where += fmt::format(" '{}'", value["name"].get<std::string>());
  }
  ObjectReader j(source, value, where);
  Node node;
  node.name = j.string("name");
  const Op op = read_op(j);
  node.inputs =
      read_int_list(j, "inputs", std::numeric_limits<int>::min(), std::numeric_limits<int>::max());
  node.attrs = read_attrs(op, j);
  j.finish();
  return node;
}

Json parse_header(const std::string& path, std::span<const std::uint8_t> text) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::exception& e) {
    // nlohmann's messages start with "[json.exception.parse_error.101] ": keep what follows.
    std::string message = e.what();
    const std::size_t bracket = message.find("] ");
    if (message.starts_with("[") && bracket != std::string::npos) {
      message = message.substr(bracket + 2);
    }
    fail("{}: the header is not valid JSON: {}", path, message);
  }
}

}  // namespace

std::uint32_t model_format_version_for(const Graph& graph) {
  for (const Node& node : graph.nodes) {
    if (node.op() == Op::LabelSelect && node.as<LabelSelectAttrs>().shift > 0) return 5;
  }
  for (const Node& node : graph.nodes) {
    if (node.op() == Op::Add && !node.as<AddAttrs>().offsets.empty()) return 4;
  }
  for (const Node& node : graph.nodes) {
    if (node.op() == Op::GlobalSumPool) return 3;
    if (node.op() == Op::MaxPool && node.as<MaxPoolAttrs>().pad > 0) return 3;
  }
  for (const Node& node : graph.nodes) {
    if (node.op() == Op::Conv2d && node.as<Conv2dAttrs>().zero_padded()) return 2;
  }
  return 1;
}

void save_model(const Graph& graph, const std::string& path) {
  ArrayWriter arrays;
  std::vector<Json> nodes;
  std::string text;
  try {
    for (const Node& node : graph.nodes) nodes.push_back(node_to_json(node, arrays));
    text = header_text(graph, arrays.bytes().size(), nodes);
  } catch (const Json::exception& e) {
    // dump() refuses strings that are not UTF-8 (a layer or class name).
    fail("{}: cannot save graph '{}': {}", path, graph.name, e.what());
  } catch (const Error& e) {
    fail("{}: cannot save: {}", path, e.what());
  }
  std::vector<std::uint8_t> preamble(kMagic.begin(), kMagic.end());
  put_le(preamble, model_format_version_for(graph), 4);
  put_le(preamble, text.size(), 8);

  std::vector<std::uint8_t> file = std::move(preamble);
  file.insert(file.end(), text.begin(), text.end());
  file.insert(file.end(), arrays.bytes().begin(), arrays.bytes().end());
  write_file_atomically(path, file);
}

Graph load_model(const std::string& path) {
  // The magic first, from a prefix: a large file of another kind is refused without reading it.
  const std::vector<std::uint8_t> magic = read_file_prefix(path, kMagic.size(), kWhat);
  if (magic.size() < kMagic.size() || !std::equal(kMagic.begin(), kMagic.end(), magic.begin())) {
    fail("{}: not a bnnc model file", path);
  }
  const std::vector<std::uint8_t> bytes = read_file(path, kMaxModelFileBytes, kWhat);
  if (bytes.size() < kPreambleBytes) {
    fail("{}: truncated: {} bytes, the preamble alone takes {}", path, bytes.size(),
         kPreambleBytes);
  }
  const auto version = static_cast<std::uint32_t>(get_le(bytes.data() + 8, 4));
  if (version > kModelFormatVersion) {
    fail("{}: model format version {} is newer than this bnnc reads ({}); use a newer bnnc", path,
         version, kModelFormatVersion);
  }
  if (version == 0) fail("{}: model format version 0 does not exist", path);
  const std::uint64_t header_bytes = get_le(bytes.data() + 12, 8);
  if (header_bytes > bytes.size() - kPreambleBytes) {
    fail("{}: truncated: the header of {} bytes runs past the end of the file ({} bytes)", path,
         header_bytes, bytes.size());
  }
  const std::span<const std::uint8_t> all(bytes);
  const std::size_t arrays_start = kPreambleBytes + static_cast<std::size_t>(header_bytes);
  const Json header = parse_header(path, all.subspan(kPreambleBytes, header_bytes));

  const ModelSource source{path, all.subspan(arrays_start), version};
  ObjectReader top(source, header, "header");
  const auto array_bytes = static_cast<std::uint64_t>(
      top.integer("array_bytes", 0, std::numeric_limits<std::int64_t>::max()));
  if (array_bytes != source.arrays.size()) {
    fail("{}: {}: the header announces {} bytes of arrays, the file holds {}", path,
         array_bytes > source.arrays.size() ? "truncated" : "trailing bytes", array_bytes,
         source.arrays.size());
  }
  top.string("producer");
  Graph graph;
  graph.name = top.string("graph");
  for (const Json& name : top.array("classes")) {
    if (!name.is_string()) {
      source.reject("header", "key 'classes' must hold strings, not {}", json_type_name(name));
    }
    graph.classes.push_back(name.get<std::string>());
  }
  const Json& nodes = top.array("nodes");
  top.finish();
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    graph.nodes.push_back(read_node(source, nodes[i], i));
  }
  // Shapes come from the header alone, not from arrays the file holds: bound what they ask the
  // engines to allocate per image. Also when a later layer fails type inference: the layers
  // before it have their types, and an absurd one among them is the first thing wrong.
  const auto bound_sizes = [&] {
    for (const Node& node : graph.nodes) {
      const std::int64_t elements = node.type.elements();
      if (elements > kMaxTensorElements) {
        fail("{}: layer '{}' outputs {} values per image, more than the {} a model may declare",
             path, node.name, elements, kMaxTensorElements);
      }
    }
  };
  try {
    infer_types(graph);
  } catch (const Error& e) {
    bound_sizes();
    fail("{}: {}", path, e.what());
  }
  bound_sizes();
  return graph;
}

}  // namespace bnnc
