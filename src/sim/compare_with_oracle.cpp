#include "sim/compare_with_oracle.h"

#include <algorithm>

namespace bnnc {

Comparison compare_with_oracle(std::span<const Classification> oracle,
                               std::span<const Classification> engine,
                               std::span<const int> labels) {
  Comparison c;
  c.images = static_cast<int>(oracle.size());
  for (std::size_t i = 0; i < oracle.size(); ++i) {
    if (i >= engine.size() || engine[i] != oracle[i]) {
      ++c.mismatches;
      if (c.first_mismatch < 0) c.first_mismatch = static_cast<int>(i);
    }
  }
  if (engine.size() != oracle.size()) ++c.mismatches;
  c.correct = count_correct(engine.first(std::min(engine.size(), oracle.size())), labels);
  if (!labels.empty() && c.images > 0) {
    c.accuracy = static_cast<double>(c.correct) / c.images;
  }
  return c;
}

int count_correct(std::span<const Classification> engine, std::span<const int> labels) {
  int correct = 0;
  for (std::size_t i = 0; i < engine.size() && i < labels.size(); ++i) {
    if (engine[i].label == labels[i]) ++correct;
  }
  return correct;
}

}  // namespace bnnc
