#include "io/dataset.h"

#define ZLIB_CONST
#include <zlib.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <system_error>

#include "core/error.h"
#include "core/read_file.h"
#include "io/cifar10_reader.h"
#include "io/idx_reader.h"
#include "io/npy_reader.h"

namespace bnnc {

namespace fs = std::filesystem;

namespace {

bool is_gzip(std::span<const std::uint8_t> bytes) {
  return bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
}

// "PK\3\4": np.savez writes zip archives of .npy files, a likely mix-up worth naming.
bool is_zip(std::span<const std::uint8_t> bytes) {
  return bytes.size() >= 4 && bytes[0] == 'P' && bytes[1] == 'K' && bytes[2] == 3 && bytes[3] == 4;
}

struct InflateStream {
  z_stream stream{};
  bool open = false;
  ~InflateStream() {
    if (open) inflateEnd(&stream);
  }
};

// The length of an IDX file as its header (the first 16 bytes) declares it, or 0 when these bytes
// are not an IDX header. A gzipped IDX file is inflated no further than that: a small header over
// gigabytes of zeros stops at the header's size, not at the 1 GiB cap.
std::uint64_t idx_declared_bytes(std::span<const std::uint8_t> bytes) {
  auto be32 = [&](std::size_t at) {
    return (std::uint64_t{bytes[at]} << 24) | (std::uint64_t{bytes[at + 1]} << 16) |
           (std::uint64_t{bytes[at + 2]} << 8) | std::uint64_t{bytes[at + 3]};
  };
  if (be32(0) == kIdxLabelsMagic) return 8 + be32(4);
  if (be32(0) == kIdxImagesMagic) return 16 + be32(4) * be32(8) * be32(12);
  return 0;
}

std::vector<std::uint8_t> gunzip(std::span<const std::uint8_t> in, const std::string& path,
                                 std::uint64_t max_bytes) {
  InflateStream z;
  // 16 + MAX_WBITS: expect a gzip wrapper (header and CRC-checked trailer), not raw deflate.
  if (inflateInit2(&z.stream, 16 + MAX_WBITS) != Z_OK) fail("{}: cannot start zlib", path);
  z.open = true;
  z.stream.next_in = in.data();
  BNNC_ASSERT(in.size() <= UINT_MAX, "gzip input of {} bytes", in.size());
  z.stream.avail_in = static_cast<uInt>(in.size());

  std::vector<std::uint8_t> out;
  std::uint64_t declared = 0;  // the IDX header's size once it is out; 0 before or for others
  std::vector<std::uint8_t> chunk(std::size_t{1} << 18);
  while (true) {
    z.stream.next_out = chunk.data();
    z.stream.avail_out = static_cast<uInt>(chunk.size());
    const int status = inflate(&z.stream, Z_NO_FLUSH);
    if (status == Z_DATA_ERROR || status == Z_NEED_DICT || status == Z_STREAM_ERROR) {
      fail("{}: corrupt gzip data ({})", path,
           z.stream.msg != nullptr ? z.stream.msg : "no detail");
    }
    if (status == Z_MEM_ERROR) fail("{}: out of memory while gunzipping", path);
    const std::size_t produced = chunk.size() - z.stream.avail_out;
    if (out.size() + produced > max_bytes) {
      fail("{}: gzip data expands to more than {} bytes; refusing to read it", path, max_bytes);
    }
    out.insert(out.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(produced));
    if (declared == 0 && out.size() >= 16) declared = idx_declared_bytes(out);
    if (declared != 0 && out.size() > declared) {
      fail("{}: gzip data expands past the {} bytes its IDX header declares", path, declared);
    }
    if (status == Z_STREAM_END) {
      if (z.stream.avail_in == 0) break;
      // `gzip -c a b > c` writes one member after the other; gunzip joins them.
      const std::span<const std::uint8_t> rest(z.stream.next_in, z.stream.avail_in);
      if (!is_gzip(rest)) {
        fail("{}: {} bytes of trailing garbage after the gzip data", path, rest.size());
      }
      inflateReset(&z.stream);
      continue;
    }
    if (z.stream.avail_in == 0 && z.stream.avail_out != 0) {
      fail("{}: gzip data is truncated (ends after {} bytes of output)", path, out.size());
    }
  }
  return out;
}

// The test split of a data set laid out as the MNIST distribution (and Debian's
// dataset-fashion-mnist, /usr/share/datasets/fashion-mnist/) lays it out; Kaggle's copies use a
// dot before "idx". Then the folder of CIFAR-10's binary version (cifar-10-batches-bin).
fs::path find_test_split(const fs::path& folder) {
  for (const char* name :
       {"t10k-images-idx3-ubyte", "t10k-images-idx3-ubyte.gz", "t10k-images.idx3-ubyte",
        "t10k-images.idx3-ubyte.gz", "test_batch.bin"}) {
    const fs::path candidate = folder / name;
    std::error_code error;
    if (fs::is_regular_file(candidate, error)) return candidate;
  }
  fail(
      "{}: folder holds no MNIST-style test split (t10k-images-idx3-ubyte[.gz]) and no CIFAR-10 "
      "test_batch.bin",
      folder.string());
}

// The labels file beside an IDX images file: the same name with "image" → "label" and
// "idx3" → "idx1" ("t10k-images-idx3-ubyte.gz" → "t10k-labels-idx1-ubyte.gz"), gzipped or not.
fs::path find_idx_labels(const fs::path& images) {
  std::string name = images.filename().string();
  bool renamed = false;
  for (const auto& [from, to] : {std::pair{"image", "label"}, std::pair{"idx3", "idx1"}}) {
    const std::string_view what(from);
    for (std::size_t at = name.find(what); at != std::string::npos;
         at = name.find(what, at + what.size())) {
      name.replace(at, what.size(), to);
      renamed = true;
    }
  }
  if (!renamed) return {};
  const std::string plain = name.ends_with(".gz") ? name.substr(0, name.size() - 3) : name;
  for (const std::string& candidate_name : {plain, plain + ".gz"}) {
    const fs::path candidate = images.parent_path() / candidate_name;
    std::error_code error;
    if (fs::is_regular_file(candidate, error)) return candidate;
  }
  return {};
}

void attach_labels(Dataset& data, std::vector<int> labels, const std::string& labels_source) {
  if (labels.size() != static_cast<std::size_t>(data.count)) {
    fail("{}: {} images but {} holds {} labels", data.source, data.count, labels_source,
         labels.size());
  }
  data.labels = std::move(labels);
}

// labels_beside: whether an IDX images file takes the labels file beside it (not when the caller
// names a labels file, which overrides it and may be the only correct one).
Dataset load_dataset_file(const std::string& path, bool labels_beside) {
  const std::vector<std::uint8_t> bytes = read_file_bytes(path);
  if (bytes.empty()) fail("{}: empty file", path);

  // Order matters: a well-formed IDX file is taken before the CIFAR-10 test, because an IDX
  // labels file can also pass for CIFAR-10 records; and whole CIFAR-10 records before the
  // "starts with 0 0" guess at a broken IDX file, because a record of label 0 whose first red
  // pixel is 0 starts that way too.
  if (is_npy(bytes)) return dataset_from_npy(parse_npy(bytes, path), path);
  if (is_idx(bytes) ||
      (!is_cifar10(bytes) && bytes.size() >= 2 && bytes[0] == 0 && bytes[1] == 0)) {
    Dataset data = parse_idx_images(bytes, path);
    const fs::path labels = labels_beside ? find_idx_labels(path) : fs::path();
    if (!labels.empty()) attach_labels(data, read_idx_labels(labels.string()), labels.string());
    return data;
  }
  if (looks_like_cifar10(bytes)) return parse_cifar10(bytes, path);
  if (is_zip(bytes)) {
    fail("{}: a zip archive (.npz?); bnnc reads single .npy arrays: extract one", path);
  }
  fail("{}: not an IDX, CIFAR-10 or .npy file", path);
}

}  // namespace

std::vector<std::uint8_t> read_file_bytes(const std::string& path, std::uint64_t max_bytes) {
  std::error_code error;
  const fs::file_status status = fs::status(path, error);
  if (error && error != std::errc::no_such_file_or_directory) {
    fail("{}: cannot access ({})", path, error.message());
  }
  if (!path.empty() && !fs::exists(status)) fail("{}: no such file or folder", path);
  std::vector<std::uint8_t> bytes = read_file(path, max_bytes, "a data file");
  if (is_gzip(bytes)) return gunzip(bytes, path, max_bytes);
  return bytes;
}

std::vector<int> load_labels(const std::string& path) {
  const std::vector<std::uint8_t> bytes = read_file_bytes(path);
  if (bytes.empty()) fail("{}: empty file", path);
  if (is_npy(bytes)) return labels_from_npy(parse_npy(bytes, path), path);
  if (bytes.size() >= 2 && bytes[0] == 0 && bytes[1] == 0) return parse_idx_labels(bytes, path);
  fail("{}: not an IDX labels file or a .npy array", path);
}

Dataset load_dataset(const std::string& path, const std::string& labels_path) {
  if (path.empty()) fail("'': empty path (a data file or folder expected)");
  std::error_code error;
  const fs::file_status status = fs::status(path, error);
  if (error && error != std::errc::no_such_file_or_directory) {
    fail("{}: cannot access ({})", path, error.message());
  }
  if (!fs::exists(status)) fail("{}: no such file or folder", path);
  const std::string file = fs::is_directory(status) ? find_test_split(path).string() : path;
  Dataset data = load_dataset_file(file, labels_path.empty());
  if (!labels_path.empty()) attach_labels(data, load_labels(labels_path), labels_path);
  return data;
}

void check_labels(const Dataset& data, int classes) {
  if (data.has_labels() && data.labels.size() != static_cast<std::size_t>(data.count)) {
    fail("{}: {} labels for {} images", data.source, data.labels.size(), data.count);
  }
  for (std::size_t i = 0; i < data.labels.size(); ++i) {
    const int label = data.labels[i];
    if (label < 0 || label >= classes) {
      fail("{}: the label of image {} is {}, not a class of the model (0 to {})", data.source, i,
           label, classes - 1);
    }
  }
}

}  // namespace bnnc
