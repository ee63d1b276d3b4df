// The input-stationary MVTU of a dense layer in the cycle simulator (docs/dense-order.md): per
// input word of SIMD synapses, one cycle for each of the NF groups of PE rows, every group adding
// the word's partial dot products to its rows' accumulators. The word is read in the first cycle
// of its pass (a pass for each of the SF words; the words past ⌈MW/SIMD⌉ that only pad the
// columns read nothing and add nothing). In the last pass group g's rows are complete, so their
// outputs (thresholded, or the accumulators) leave as one word of PE elements in that cycle: the
// vector is out NF cycles after its last word came in, not (NF − 1)·SF as output-stationary.
// Outputs stall as bnn_mvtu_is's output register does: a word that finds the FIFO full waits in a
// one-word slot, and the unit stops while the slot is taken.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "fold/dataflow_graph.h"

namespace bnnc {

class InputStationaryMvtu {
 public:
  using Word = std::vector<std::int64_t>;

  InputStationaryMvtu(const Block& block, const Graph& ir);

  // One clock cycle: may take the front word of `in` and append one word to `out`, which holds
  // at most `out_capacity` words. Returns whether it did anything (false: stalled).
  bool step(std::deque<Word>& in, std::deque<Word>& out, std::size_t out_capacity);

 private:
  void accumulate(std::int64_t group);
  std::int64_t output(std::int64_t row) const;

  const Block& b_;
  const BinaryMatrix* weights_ = nullptr;
  const ThresholdAttrs* threshold_ = nullptr;
  bool bits_ = true;
  std::int64_t in_words_ = 0;      // ⌈MW/SIMD⌉ words read per vector
  std::int64_t out_groups_ = 0;    // groups holding real rows, ⌈MH/PE⌉
  std::int64_t sf_ = 0, nf_ = 0;   // the pass (input word) and the group of this cycle
  Word x_;                         // the word of this pass
  std::vector<std::int64_t> acc_;  // one per real row
  Word pending_;                   // an output word the full FIFO has not taken yet
};

}  // namespace bnnc
