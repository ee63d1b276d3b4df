#include "io/npy_writer.h"

#include <fmt/format.h>

#include "core/atomic_file.h"
#include "core/error.h"

namespace bnnc {

void save_npy_uint8(const std::string& path, const std::vector<std::int64_t>& shape,
                    std::span<const std::uint8_t> bytes) {
  std::int64_t count = 1;
  for (std::int64_t dim : shape) count *= dim;
  BNNC_ASSERT(count == static_cast<std::int64_t>(bytes.size()), "npy shape of {} elements for {}",
              count, bytes.size());
  const std::string dims =
      shape.size() == 1 ? fmt::format("{},", shape[0]) : fmt::format("{}", fmt::join(shape, ", "));
  std::string header =
      fmt::format("{{'descr': '|u1', 'fortran_order': False, 'shape': ({}), }}", dims);
  // Magic (6) + version (2) + length (2) + header + '\n' is a multiple of 64 (NumPy aligns so).
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::vector<std::uint8_t> file = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
  file.push_back(static_cast<std::uint8_t>(header.size() & 0xFF));
  file.push_back(static_cast<std::uint8_t>(header.size() >> 8));
  file.insert(file.end(), header.begin(), header.end());
  file.insert(file.end(), bytes.begin(), bytes.end());
  write_file_atomically(path, file);
}

}  // namespace bnnc
