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
// found otherwise. Throws bnnc::Error naming the file and the problem.
Dataset load_dataset(const std::string& path, const std::string& labels_path = "");

}  // namespace bnnc
