// Seeded random uint8 images (every byte uniform in 0..255, HWC, one after the other): the test
// images of the generated reference networks, and their calibration images.
#pragma once

#include <cstdint>
#include <vector>

#include "ir/op.h"

namespace bnnc {

// count images of the given HWC shape; the same seed gives the same bytes on every machine
// (std::mt19937_64 is specified to the bit).
std::vector<std::uint8_t> random_images(std::uint64_t seed, int count, const Shape& shape);

}  // namespace bnnc
