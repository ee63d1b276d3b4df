// Packed bits: 64 to a word, element i in bit i % 64 of word i / 64 (LSB first), as BNN-PYNQ
// packs them. Bit 1 = +1, bit 0 = −1 (DESIGN.md §2).
#pragma once

#include <bit>
#include <cstdint>
#include <span>

namespace bnnc {

inline int words_for_bits(int bits) { return (bits + 63) / 64; }

// The number of positions among the first `bits` where a and b hold the same bit: the popcount
// P of XNOR(a, b). Bits past `bits` in the last word are ignored.
inline int xnor_popcount(const std::uint64_t* a, const std::uint64_t* b, int bits) {
  int matches = 0;
  const int full = bits / 64;
  for (int w = 0; w < full; ++w) matches += std::popcount(~(a[w] ^ b[w]));
  const int tail = bits % 64;
  if (tail != 0) {
    const std::uint64_t mask = (std::uint64_t{1} << tail) - 1;
    matches += std::popcount(~(a[full] ^ b[full]) & mask);
  }
  return matches;
}

inline void set_bit(std::span<std::uint64_t> words, int index, bool value) {
  const std::uint64_t mask = std::uint64_t{1} << (index % 64);
  if (value) {
    words[index / 64] |= mask;
  } else {
    words[index / 64] &= ~mask;
  }
}

}  // namespace bnnc
