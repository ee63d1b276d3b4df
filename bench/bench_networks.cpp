#include "bench_networks.h"

#include <cstdlib>
#include <random>

#include <fmt/format.h>

#include "core/error.h"
#include "io/bnn_pynq_importer.h"
#include "io/dataset.h"

namespace bnnc::bench {
namespace {

std::string external_root() {
  const char* env = std::getenv("BNNC_EXTERNAL_DATA");
  return env != nullptr ? env : BNNC_EXTERNAL_DATA_DEFAULT;
}

}  // namespace

Graph load_bench_network(const std::string& name) {
  const std::string root = external_root();
  if (name == "lfc") {
    return import_bnn_pynq(root + "/bnn-pynq/params/mnist/lfcW1A1", BnnPynqTopology::Lfc);
  }
  return import_bnn_pynq(root + "/bnn-pynq/params/cifar10/cnvW1A1", BnnPynqTopology::Cnv);
}

std::vector<std::uint8_t> random_images(std::size_t image_size, int count) {
  std::mt19937_64 rng(20261122);
  std::vector<std::uint8_t> images(image_size * static_cast<std::size_t>(count));
  for (auto& v : images) v = static_cast<std::uint8_t>(rng());
  return images;
}

std::vector<std::uint8_t> test_images(const std::string& name, int count) {
  const Dataset data =
      load_dataset(external_root() + (name == "lfc" ? "/mnist/t10k-images-idx3-ubyte.gz"
                                                    : "/cifar10/test_batch_first761.bin"));
  if (data.count < count) {
    throw Error(
        fmt::format("{}: {} images, the benchmark takes {}", data.source, data.count, count));
  }
  const std::size_t bytes = data.image_size() * static_cast<std::size_t>(count);
  return {data.pixels.begin(), data.pixels.begin() + static_cast<std::ptrdiff_t>(bytes)};
}

}  // namespace bnnc::bench
