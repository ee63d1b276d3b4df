// A set of images with optional labels, as every reader returns it.
//
// Pixels are uint8 (0..255), one image after another, each image in HWC order (channels
// innermost: bnnc's NHWC convention, DESIGN.md §2). Readers that meet channel-planar data
// (CIFAR-10 records, NCHW .npy arrays) transpose it here, once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace bnnc {

struct Dataset {
  std::string source;  // what was read, for messages ("t10k-images-idx3-ubyte.gz")
  int count = 0;
  int height = 0;
  int width = 0;
  int channels = 0;
  std::vector<std::uint8_t> pixels;  // count × height × width × channels
  std::vector<int> labels;           // count entries, or empty when no labels are known

  std::size_t image_size() const {
    return static_cast<std::size_t>(height) * static_cast<std::size_t>(width) *
           static_cast<std::size_t>(channels);
  }
  std::span<const std::uint8_t> image(int index) const {
    return {pixels.data() + static_cast<std::size_t>(index) * image_size(), image_size()};
  }
  bool has_labels() const { return !labels.empty(); }
};

// Reads PATH, recognising the format from its content (DESIGN.md §6): IDX images, gzipped or not
// (labels from the matching "*labels*" file beside it, if there is one); CIFAR-10 binary records;
// a .npy array (labels from labels_path, a .npy of integers, if given); or a folder holding
// MNIST/Fashion-MNIST (its test split, t10k-*). labels_path, when not empty, overrides the labels
// found otherwise (the file beside is then not read). Throws bnnc::Error naming the file and the
// problem. Any of these files may be gzipped; how .npy shapes map to images: dataset_from_npy.
Dataset load_dataset(const std::string& path, const std::string& labels_path = "");

// Throws bnnc::Error naming the data when it has labels but not one per image, or the first
// image whose label is not a class index in [0, classes): an accuracy against such labels would
// be silently wrong (0 %, exit 0).
void check_labels(const Dataset& data, int classes);

// Reads a labels file on its own: IDX labels (magic 2049, gzipped or not) or a .npy array of
// integers (flattened). Throws bnnc::Error naming the file and the problem.
std::vector<int> load_labels(const std::string& path);

// No data file bnnc reads is near this size (the whole CIFAR-10 training set is 150 MiB), so a
// larger file, or gzip data that would expand past it, is refused rather than allocated.
inline constexpr std::uint64_t kMaxDataFileBytes = std::uint64_t{1} << 30;

// The whole content of the regular file PATH, gunzipped when it starts with the gzip magic
// (1f 8b; concatenated members are joined, as gunzip does). Throws bnnc::Error when the file
// cannot be read, the gzip data is corrupt or truncated, or either size exceeds max_bytes.
std::vector<std::uint8_t> read_file_bytes(const std::string& path,
                                          std::uint64_t max_bytes = kMaxDataFileBytes);

}  // namespace bnnc
