// A binary weight matrix, packed 64 bits to a word: MH rows (output neurons/channels) × MW
// columns (synapses; K·K·C_in for a conv, in (ky, kx, c) order). Bit 1 = +1, bit 0 = −1.
// Each row starts on a fresh word; bits past MW in a row's last word are always 0.
#pragma once

#include <cstdint>
#include <vector>

namespace bnnc {

class BinaryMatrix {
 public:
  BinaryMatrix() = default;
  BinaryMatrix(int rows, int cols);

  int rows() const { return rows_; }
  int cols() const { return cols_; }
  int words_per_row() const { return words_per_row_; }

  bool get(int row, int col) const { return (words_[index(row, col)] >> (col % 64)) & 1U; }
  void set(int row, int col, bool value) {
    const std::uint64_t mask = std::uint64_t{1} << (col % 64);
    if (value) {
      words_[index(row, col)] |= mask;
    } else {
      words_[index(row, col)] &= ~mask;
    }
  }
  // Negates every weight of one row (used to turn "≤" thresholds into "≥").
  void negate_row(int row);

  const std::uint64_t* row_words(int row) const {
    return words_.data() + static_cast<std::size_t>(row) * words_per_row_;
  }
  const std::vector<std::uint64_t>& words() const { return words_; }
  std::vector<std::uint64_t>& mutable_words() { return words_; }

  bool operator==(const BinaryMatrix&) const = default;

 private:
  std::size_t index(int row, int col) const {
    return static_cast<std::size_t>(row) * words_per_row_ + static_cast<std::size_t>(col / 64);
  }

  int rows_ = 0;
  int cols_ = 0;
  int words_per_row_ = 0;
  std::vector<std::uint64_t> words_;
};

}  // namespace bnnc
