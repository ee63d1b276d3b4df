// The early-exit MVTU (rtl/bnn_mvtu_exit.sv) clock by clock: a binary-input layer ending in
// thresholds whose PE-row groups stop their synapse loop as soon as every row's output is decided
// (sim/early_exit.h), so a vector takes a data-dependent number of cycles. The cycle simulator
// runs one per early-exit block; it models the RTL's pipeline register by register, because the
// cycles lost to a decision depend on it:
//
//   issue (chunk sf of group nf) → stage 1 → stage 2 → stage 3 (accumulate, compare, decide)
//
// A decision reached in stage 3 for chunk j squashes the chunks j+1.. of that group still in the
// pipeline and restarts the issue at the next group: a group costs min(SF, j + 1 + 3) cycles
// instead of SF. A reader independent of the issue fills the input buffer one word a cycle while
// there is a word, so a group that exits early in the first group of a vector does not hold up
// the rest of the vector's words; chunk sf can issue once word sf is read (the word read in the
// same cycle passes straight on). A vector ends with its last group, once all its words are read.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "fold/dataflow_graph.h"
#include "ir/graph.h"

namespace bnnc {

class EarlyExitMvtu {
 public:
  using Word = std::vector<std::int64_t>;

  // What one cycle did: whether it took the input word offered, the word it sent (when it had one
  // and the output was ready) and whether anything moved at all (for deadlock detection).
  struct Cycle {
    bool read = false;
    std::optional<Word> sent;
    bool busy = false;
  };

  EarlyExitMvtu(const Block& block, const Graph& ir);

  // One clock edge: `input` is the word at the head of the input stream (nullptr when there is
  // none), `output_ready` whether the output stream takes a word this cycle.
  Cycle step(const Word* input, bool output_ready);

  // Issue slots used: chunks issued (the squashed ones too) and the cycles that restart the issue
  // after a decision. Fed and drained at full rate, the layer's own time (NF·SF per vector
  // without early exit), but for a vector whose groups all end before its words are read.
  std::int64_t work_cycles() const { return work_cycles_; }

 private:
  // A chunk in flight: SIMD synapses of one group, with the input bits it was issued with.
  struct Slot {
    bool valid = false;
    int nf = 0, sf = 0;
    unsigned tag = 0;  // the group count mod 4: tells its group from the next ones
    std::vector<std::uint64_t> x;
  };

  std::int64_t matches(int row, const Slot& s) const;

  const Block& b_;
  const BinaryMatrix* weights_ = nullptr;
  const ThresholdAttrs* threshold_ = nullptr;
  int in_words_ = 0, sf_count_ = 0, nf_count_ = 0;
  std::vector<std::vector<std::uint64_t>> ibuf_;  // the vector's words, packed SIMD bits each
  int rd_ = 0;                                    // words of the vector read
  int nf_ = 0, sf_ = 0;                           // the chunk to issue next
  unsigned tag_ = 0;
  Slot s1_, s2_, s3_;
  std::vector<std::int64_t> acc_;  // per PE
  bool out_valid_ = false;
  Word out_data_;
  std::int64_t work_cycles_ = 0;
};

}  // namespace bnnc
