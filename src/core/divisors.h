// The divisors of n in increasing order (the foldings a search tries: a PE must divide the rows,
// a SIMD the columns, an MMV the output width).
#pragma once

#include <vector>

namespace bnnc {

inline std::vector<int> divisors(int n) {
  std::vector<int> result;
  for (int d = 1; d <= n; ++d) {
    if (n % d == 0) result.push_back(d);
  }
  return result;
}

}  // namespace bnnc
