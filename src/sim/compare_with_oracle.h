// The one comparison of an engine with the oracle (as ggml's test-backend-ops is for its back
// ends): the golden model's answers against another engine's — the cycle simulator, the
// Verilated RTL, the CPU engine — image by image, class and scores both, and the engine's
// classes against the labels. bnnc simulate, bnnc verify, bnnc eval and the golden tests all
// count with it, so "mismatch" and "accuracy" mean the same everywhere.
#pragma once

#include <optional>
#include <span>

#include "ir/classification.h"

namespace bnnc {

struct Comparison {
  int images = 0;                  // the oracle's answers, one per image sent
  int mismatches = 0;              // images whose class or scores differ, + 1 if the counts differ
  int first_mismatch = -1;         // the first image that differs, or −1
  int correct = 0;                 // the engine's classes equal to the labels (0 without labels)
  std::optional<double> accuracy;  // correct / images; none without labels or images

  bool match() const { return mismatches == 0; }
};

// An image the engine gave no answer for is a mismatch, and a count of answers other than the
// oracle's is one more (a lost or a repeated output: the RTL must give one class per frame),
// so a run that matches gave exactly the oracle's answers. labels may
// be empty (no accuracy then); only images that have an engine answer and a label can be
// correct.
Comparison compare_with_oracle(std::span<const Classification> oracle,
                               std::span<const Classification> engine, std::span<const int> labels);

// The engine's classes equal to the labels, over the images that have both: the correct count
// of compare_with_oracle, for a run with no oracle to compare with (bnnc eval).
int count_correct(std::span<const Classification> engine, std::span<const int> labels);

}  // namespace bnnc
