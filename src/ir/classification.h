// What every engine answers for one image: the class and the label-select's scores. The golden
// model, the CPU engine, the cycle simulator and the Verilated RTL all return it, and
// sim/compare_with_oracle.h compares two engines' answers.
#pragma once

#include <cstdint>
#include <vector>

namespace bnnc {

struct Classification {
  int label = -1;                    // the output of the final labelselect
  std::vector<std::int64_t> scores;  // the labelselect's input (+ its bias)

  bool operator==(const Classification&) const = default;
};

}  // namespace bnnc
