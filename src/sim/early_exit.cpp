#include "sim/early_exit.h"

#include <bit>

#include "core/bits.h"

namespace bnnc {

int synapses_until_decided(const std::uint64_t* x, const std::uint64_t* w,
                           const std::uint64_t* valid, int n, std::int64_t threshold) {
  int remaining = 0;
  for (int word = 0; word < words_for_bits(n); ++word) remaining += std::popcount(valid[word]);
  std::int64_t sum = 0;
  const auto decided = [&] { return sum - remaining >= threshold || sum + remaining < threshold; };
  if (decided()) return 0;
  // Whole words first (a decision, once reached, stays), then the deciding word bit by bit.
  for (int word = 0; word < words_for_bits(n); ++word) {
    const std::uint64_t same = ~(x[word] ^ w[word]) & valid[word];
    const std::uint64_t differ = (x[word] ^ w[word]) & valid[word];
    const std::int64_t word_sum = std::popcount(same) - std::popcount(differ);
    const int word_valid = std::popcount(valid[word]);
    const std::int64_t start_sum = sum;
    const int start_remaining = remaining;
    sum += word_sum;
    remaining -= word_valid;
    if (!decided()) continue;
    sum = start_sum;
    remaining = start_remaining;
    for (int bit = 0; bit < 64; ++bit) {
      const std::uint64_t mask = std::uint64_t{1} << bit;
      if ((valid[word] & mask) != 0) {
        sum += (same & mask) != 0 ? 1 : -1;
        --remaining;
      }
      if (decided()) return word * 64 + bit + 1;
    }
  }
  return n;
}

int pool_inputs_until_decided(std::span<const std::int64_t> window, bool take_min) {
  const std::int64_t decisive = take_min ? 0 : 1;
  for (std::size_t i = 0; i < window.size(); ++i) {
    if (window[i] == decisive) return static_cast<int>(i) + 1;
  }
  return static_cast<int>(window.size());
}

}  // namespace bnnc
