#include "ir/binary_matrix.h"

#include "core/error.h"

namespace bnnc {

BinaryMatrix::BinaryMatrix(int rows, int cols)
    : rows_(rows), cols_(cols), words_per_row_((cols + 63) / 64) {
  BNNC_ASSERT(rows >= 0 && cols >= 0, "{}x{}", rows, cols);
  words_.assign(static_cast<std::size_t>(rows) * words_per_row_, 0);
}

void BinaryMatrix::negate_row(int row) {
  std::uint64_t* words = words_.data() + static_cast<std::size_t>(row) * words_per_row_;
  for (int w = 0; w < words_per_row_; ++w) words[w] = ~words[w];
  const int tail = cols_ % 64;
  if (tail != 0) words[words_per_row_ - 1] &= (std::uint64_t{1} << tail) - 1;
}

}  // namespace bnnc
