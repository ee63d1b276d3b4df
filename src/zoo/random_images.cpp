#include "zoo/random_images.h"

#include <random>

namespace bnnc {

std::vector<std::uint8_t> random_images(std::uint64_t seed, int count, const Shape& shape) {
  std::size_t size = static_cast<std::size_t>(count);
  for (int dim : shape) size *= static_cast<std::size_t>(dim);
  std::vector<std::uint8_t> bytes(size);
  std::mt19937_64 rng(seed);
  std::uint64_t word = 0;
  for (std::size_t i = 0; i < size; ++i) {
    if (i % 8 == 0) word = rng();
    bytes[i] = static_cast<std::uint8_t>(word >> (8 * (i % 8)));
  }
  return bytes;
}

}  // namespace bnnc
