// Writing a .npy array (format version 1.0) of uint8, as np.save would: the test images of the
// generated reference networks, readable by `--data` (npy_reader.h) and by NumPy.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace bnnc {

// Writes `bytes` (C order) with the given shape, atomically (core/atomic_file.h). The element
// count of the shape must equal bytes.size().
void save_npy_uint8(const std::string& path, const std::vector<std::int64_t>& shape,
                    std::span<const std::uint8_t> bytes);

}  // namespace bnnc
