#include "io/load_mnist_split.h"

#include <filesystem>
#include <system_error>

#include "core/error.h"
#include "io/idx_reader.h"

namespace bnnc {

namespace fs = std::filesystem;

namespace {

fs::path find_split_file(const fs::path& folder, const std::string& split,
                         const std::string& kind) {
  for (const std::string& name : {split + "-" + kind, split + "-" + kind + ".gz"}) {
    const fs::path candidate = folder / name;
    std::error_code error;
    if (fs::is_regular_file(candidate, error)) return candidate;
  }
  fail("{}: holds no {}-{}[.gz]", folder.string(), split, kind);
}

}  // namespace

Dataset load_mnist_split(const std::string& folder, const std::string& split) {
  std::error_code error;
  if (!fs::is_directory(folder, error)) fail("{}: no such folder", folder);
  Dataset data = read_idx_images(find_split_file(folder, split, "images-idx3-ubyte").string());
  const fs::path labels_path = find_split_file(folder, split, "labels-idx1-ubyte");
  std::vector<int> labels = read_idx_labels(labels_path.string());
  if (labels.size() != static_cast<std::size_t>(data.count)) {
    fail("{}: {} images but {} holds {} labels", data.source, data.count, labels_path.string(),
         labels.size());
  }
  data.labels = std::move(labels);
  return data;
}

}  // namespace bnnc
