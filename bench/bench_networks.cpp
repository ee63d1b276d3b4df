#include "bench_networks.h"

#include <cstdlib>
#include <random>

#include "io/bnn_pynq_importer.h"

namespace bnnc::bench {

Graph load_bench_network(const std::string& name) {
  const char* env = std::getenv("BNNC_EXTERNAL_DATA");
  const std::string root = env != nullptr ? env : BNNC_EXTERNAL_DATA_DEFAULT;
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

}  // namespace bnnc::bench
