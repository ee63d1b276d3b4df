#include "io/npy_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <climits>
#include <cmath>
#include <cstring>
#include <optional>
#include <string_view>

#include "core/error.h"

namespace bnnc {

namespace {

constexpr std::string_view kNpyMagic = "\x93NUMPY";

struct NpyDtype {
  NpyType type;
  std::size_t item_bytes;
  bool swap;  // stored in the other byte order than this machine's
};

// descr is a byte order ('<' little, '>' big, '|' not applicable, '=' native), a kind
// ('b' bool, 'i' signed, 'u' unsigned, 'f' float) and the item size in bytes.
std::optional<NpyDtype> parse_descr(std::string_view descr) {
  if (descr.size() < 3) return std::nullopt;
  const char order = descr[0];
  if (order != '<' && order != '>' && order != '|' && order != '=') return std::nullopt;
  const char kind = descr[1];
  const std::string_view size = descr.substr(2);
  struct Entry {
    char kind;
    std::string_view size;
    NpyType type;
    std::size_t item_bytes;
  };
  static constexpr Entry kTable[] = {
      {'b', "1", NpyType::Bool, 1},    {'i', "1", NpyType::Int8, 1},
      {'i', "2", NpyType::Int16, 2},   {'i', "4", NpyType::Int32, 4},
      {'i', "8", NpyType::Int64, 8},   {'u', "1", NpyType::UInt8, 1},
      {'u', "2", NpyType::UInt16, 2},  {'u', "4", NpyType::UInt32, 4},
      {'u', "8", NpyType::UInt64, 8},  {'f', "4", NpyType::Float32, 4},
      {'f', "8", NpyType::Float64, 8},
  };
  for (const Entry& entry : kTable) {
    if (entry.kind != kind || entry.size != size) continue;
    const bool little = std::endian::native == std::endian::little;
    const bool swap =
        entry.item_bytes > 1 && ((order == '<' && !little) || (order == '>' && little));
    return NpyDtype{entry.type, entry.item_bytes, swap};
  }
  return std::nullopt;
}

std::size_t item_bytes_of(NpyType type) {
  switch (type) {
    case NpyType::Bool:
    case NpyType::Int8:
    case NpyType::UInt8: return 1;
    case NpyType::Int16:
    case NpyType::UInt16: return 2;
    case NpyType::Int32:
    case NpyType::UInt32:
    case NpyType::Float32: return 4;
    case NpyType::Int64:
    case NpyType::UInt64:
    case NpyType::Float64: return 8;
  }
  BNNC_ASSERT(false, "unknown NpyType {}", static_cast<int>(type));
}

struct NpyHeader {
  std::string descr;
  bool fortran_order = false;
  std::vector<std::int64_t> shape;
};

// Reads the one Python literal np.save writes as the header: a dict whose keys 'descr',
// 'fortran_order' and 'shape' hold a string, a bool and a tuple of ints. Anything else
// (structured dtypes, other keys) is reported as a bad or unsupported header.
class NpyHeaderParser {
 public:
  NpyHeaderParser(std::string_view text, const std::string& source)
      : text_(text), source_(source) {}

  NpyHeader parse() {
    NpyHeader header;
    bool has_descr = false;
    bool has_order = false;
    bool has_shape = false;
    expect('{', "the dict");
    while (!consume('}')) {
      const std::string key = parse_string();
      expect(':', fmt::format("key '{}'", key));
      if (key == "descr") {
        skip_space();
        if (pos_ < text_.size() && text_[pos_] == '[') {
          fail("{}: unsupported .npy dtype: a structured (record) array", source_);
        }
        header.descr = parse_string();
        has_descr = true;
      } else if (key == "fortran_order") {
        header.fortran_order = parse_bool();
        has_order = true;
      } else if (key == "shape") {
        header.shape = parse_shape();
        has_shape = true;
      } else {
        bad(fmt::format("unexpected key '{}'", key));
      }
      if (!consume(',')) {
        expect('}', "the dict");
        break;
      }
    }
    if (!has_descr) bad("no 'descr' key");
    if (!has_order) bad("no 'fortran_order' key");
    if (!has_shape) bad("no 'shape' key");
    return header;
  }

 private:
  [[noreturn]] void bad(const std::string& problem) const {
    fail("{}: bad .npy header: {} (at header offset {})", source_, problem, pos_);
  }

  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }

  bool consume(char c) {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  void expect(char c, const std::string& after) {
    if (!consume(c)) bad(fmt::format("expected '{}' in {}", c, after));
  }

  std::string parse_string() {
    skip_space();
    if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) {
      bad("expected a quoted string");
    }
    const char quote = text_[pos_++];
    const std::size_t end = text_.find(quote, pos_);
    if (end == std::string_view::npos) bad("unterminated string");
    std::string value(text_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return value;
  }

  bool parse_bool() {
    skip_space();
    for (const auto& [word, value] :
         {std::pair{std::string_view("True"), true}, std::pair{std::string_view("False"), false}}) {
      if (text_.substr(pos_, word.size()) == word) {
        pos_ += word.size();
        return value;
      }
    }
    bad("expected True or False for 'fortran_order'");
  }

  std::vector<std::int64_t> parse_shape() {
    expect('(', "'shape'");
    std::vector<std::int64_t> shape;
    while (!consume(')')) {
      skip_space();
      if (pos_ >= text_.size() || !std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
        bad("expected a non-negative integer in 'shape'");
      }
      std::int64_t dim = 0;
      while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
        const int digit = text_[pos_++] - '0';
        if (dim > (INT64_MAX - digit) / 10) bad("dimension too large in 'shape'");
        dim = dim * 10 + digit;
      }
      consume('L');  // Python 2's NumPy wrote longs as "3L"
      shape.push_back(dim);
      if (!consume(',')) {
        expect(')', "'shape'");
        break;
      }
    }
    return shape;
  }

  std::string_view text_;
  const std::string& source_;
  std::size_t pos_ = 0;
};

// "[0, 2, 5, 7]": the C-order multi-index of a flat element index, for messages.
std::string index_string(const std::vector<std::int64_t>& shape, std::size_t flat) {
  std::vector<std::uint64_t> index(shape.size());
  for (std::size_t d = shape.size(); d-- > 0;) {
    const auto dim = static_cast<std::uint64_t>(shape[d]);
    index[d] = flat % dim;
    flat /= dim;
  }
  return fmt::format("[{}]", fmt::join(index, ", "));
}

}  // namespace

std::string npy_shape_string(const std::vector<std::int64_t>& shape) {
  if (shape.size() == 1) return fmt::format("({},)", shape[0]);
  return fmt::format("({})", fmt::join(shape, ", "));
}

bool is_npy(std::span<const std::uint8_t> bytes) {
  return bytes.size() >= kNpyMagic.size() &&
         std::memcmp(bytes.data(), kNpyMagic.data(), kNpyMagic.size()) == 0;
}

std::size_t NpyArray::size() const { return data.size() / item_bytes_of(type); }

double NpyArray::value(std::size_t index) const {
  BNNC_ASSERT(index < size(), "npy index {} of {}", index, size());
  const std::uint8_t* item = data.data() + index * item_bytes_of(type);
  const auto load = [item]<typename T>(T) {
    T value;
    std::memcpy(&value, item, sizeof value);
    return static_cast<double>(value);
  };
  switch (type) {
    case NpyType::Bool: return *item != 0 ? 1.0 : 0.0;
    case NpyType::Int8: return load(std::int8_t{});
    case NpyType::Int16: return load(std::int16_t{});
    case NpyType::Int32: return load(std::int32_t{});
    case NpyType::Int64: return load(std::int64_t{});
    case NpyType::UInt8: return load(std::uint8_t{});
    case NpyType::UInt16: return load(std::uint16_t{});
    case NpyType::UInt32: return load(std::uint32_t{});
    case NpyType::UInt64: return load(std::uint64_t{});
    case NpyType::Float32: return load(float{});
    case NpyType::Float64: return load(double{});
  }
  BNNC_ASSERT(false, "unknown NpyType {}", static_cast<int>(type));
}

NpyArray parse_npy(std::span<const std::uint8_t> bytes, const std::string& source) {
  if (!is_npy(bytes)) fail("{}: not a .npy file (no \\x93NUMPY magic)", source);
  if (bytes.size() < 10) fail("{}: .npy header is truncated ({} bytes)", source, bytes.size());
  const int major = bytes[6];
  const int minor = bytes[7];
  if (major < 1 || major > 3 || minor != 0) {
    fail("{}: unsupported .npy format version {}.{} (bnnc reads 1.0, 2.0 and 3.0)", source, major,
         minor);
  }
  std::size_t header_offset = 10;
  std::uint64_t header_bytes = bytes[8] | (std::uint64_t{bytes[9]} << 8);
  if (major >= 2) {
    if (bytes.size() < 12) fail("{}: .npy header is truncated ({} bytes)", source, bytes.size());
    header_offset = 12;
    header_bytes |= (std::uint64_t{bytes[10]} << 16) | (std::uint64_t{bytes[11]} << 24);
  }
  if (header_bytes > bytes.size() - header_offset) {
    fail("{}: .npy header is truncated: it declares {} bytes but only {} follow", source,
         header_bytes, bytes.size() - header_offset);
  }
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()) + header_offset,
                              header_bytes);
  const NpyHeader header = NpyHeaderParser(text, source).parse();

  const std::optional<NpyDtype> dtype = parse_descr(header.descr);
  if (!dtype) {
    fail(
        "{}: unsupported .npy dtype '{}' (bnnc reads bool, int8..int64, uint8..uint64, float32 "
        "and float64)",
        source, header.descr);
  }
  if (header.fortran_order) {
    fail("{}: .npy array is in Fortran order; save it in C order (np.ascontiguousarray)", source);
  }

  const std::size_t data_offset = header_offset + header_bytes;
  const std::uint64_t available = bytes.size() - data_offset;
  // The byte count is built up with an overflow check, so that an absurd shape is reported
  // instead of wrapping around to a small size that matches the file.
  const bool empty = std::find(header.shape.begin(), header.shape.end(), 0) != header.shape.end();
  std::uint64_t needed = empty ? 0 : dtype->item_bytes;
  for (const std::int64_t dim : header.shape) {
    if (empty) break;
    const auto extent = static_cast<std::uint64_t>(dim);
    if (needed > UINT64_MAX / extent) {
      fail("{}: .npy shape {} of '{}' is too large (over 2^64 bytes)", source,
           npy_shape_string(header.shape), header.descr);
    }
    needed *= extent;
  }
  if (needed > available) {
    fail("{}: .npy data is truncated: shape {} of '{}' needs {} bytes but only {} follow", source,
         npy_shape_string(header.shape), header.descr, needed, available);
  }
  if (needed < available) {
    fail("{}: .npy file has {} bytes after the {} its shape {} of '{}' needs", source,
         available - needed, needed, npy_shape_string(header.shape), header.descr);
  }

  NpyArray array;
  array.descr = header.descr;
  array.type = dtype->type;
  array.shape = header.shape;
  array.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(data_offset), bytes.end());
  if (dtype->swap) {
    for (std::size_t i = 0; i < array.data.size(); i += dtype->item_bytes) {
      std::reverse(array.data.begin() + static_cast<std::ptrdiff_t>(i),
                   array.data.begin() + static_cast<std::ptrdiff_t>(i + dtype->item_bytes));
    }
  }
  return array;
}

NpyArray read_npy(const std::string& path) { return parse_npy(read_file_bytes(path), path); }

Dataset dataset_from_npy(const NpyArray& array, const std::string& source) {
  const std::vector<std::int64_t>& shape = array.shape;
  if (shape.size() < 2 || shape.size() > 4) {
    fail(
        "{}: .npy array of shape {} is not a batch of images (bnnc reads [N, C, H, W], "
        "[N, H, W] or [N, F])",
        source, npy_shape_string(shape));
  }
  if (array.size() == 0) {
    fail("{}: .npy array of shape {} holds no images", source, npy_shape_string(shape));
  }
  // parse_npy bounded the element count by the file length, so every extent fits an int.
  const auto extent = [&](std::size_t d) { return static_cast<std::size_t>(shape[d]); };
  std::size_t count = extent(0);
  std::size_t channels = 1;
  std::size_t height = 1;
  std::size_t width = 1;
  if (shape.size() == 4) {
    channels = extent(1);
    height = extent(2);
    width = extent(3);
  } else if (shape.size() == 3) {
    height = extent(1);
    width = extent(2);
  } else {
    width = extent(1);
  }

  Dataset data;
  data.source = source;
  data.count = static_cast<int>(count);
  data.height = static_cast<int>(height);
  data.width = static_cast<int>(width);
  data.channels = static_cast<int>(channels);
  data.pixels.resize(array.size());
  const std::size_t plane = height * width;
  const std::size_t image = plane * channels;
  // Input element (n, c, p) at n·image + c·plane + p goes to HWC position n·image + p·C + c;
  // with one channel this is the identity.
  std::size_t in = 0;
  for (std::size_t n = 0; n < count; ++n) {
    for (std::size_t c = 0; c < channels; ++c) {
      for (std::size_t p = 0; p < plane; ++p, ++in) {
        const double v = array.value(in);
        if (!(v >= 0.0 && v <= 255.0 && v == std::floor(v))) {
          fail(
              "{}: element {} (flat index {}) is {}, not an integer in 0..255 (bnnc reads raw "
              "pixels, not scaled ones: for pixel/255 floats x, save "
              "(x * 255).round().astype(np.uint8); the model's own /255 is applied)",
              source, index_string(shape, in), in, v);
        }
        data.pixels[n * image + p * channels + c] = static_cast<std::uint8_t>(v);
      }
    }
  }
  return data;
}

std::vector<int> labels_from_npy(const NpyArray& array, const std::string& source) {
  std::vector<int> labels(array.size());
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const double v = array.value(i);
    if (!(v >= INT_MIN && v <= INT_MAX && v == std::floor(v))) {
      fail("{}: label {} (flat index {}) is {}, not an integer", source,
           index_string(array.shape, i), i, v);
    }
    labels[i] = static_cast<int>(v);
  }
  return labels;
}

}  // namespace bnnc
