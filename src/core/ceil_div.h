// Integer division rounded up, and rounding up to a multiple: the fold of a layer (NF = ⌈MH/PE⌉
// words), a stream's words per vector, a memory's blocks. For a ≥ 0 and b > 0; the result has
// the wider of the two types.
#pragma once

#include <concepts>
#include <type_traits>

namespace bnnc {

template <std::integral A, std::integral B>
constexpr std::common_type_t<A, B> ceil_div(A a, B b) {
  using T = std::common_type_t<A, B>;
  return (static_cast<T>(a) + static_cast<T>(b) - 1) / static_cast<T>(b);
}

template <std::integral A, std::integral B>
constexpr std::common_type_t<A, B> round_up(A value, B multiple) {
  return ceil_div(value, multiple) * static_cast<std::common_type_t<A, B>>(multiple);
}

}  // namespace bnnc
