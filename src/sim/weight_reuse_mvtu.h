// The weight-reuse MVTU (fold/weight_reuse_schedule.h) clock by clock, as the cycle simulator runs
// it: a vector's first group reads the input words one a cycle and computes its kernels in full;
// every later group computes its kernels from their tree parents' P on the differing positions
// only, in the cycles the schedule gives it. Once the vector's last group is done its outputs go
// to an output buffer in row order (NF words of PE outputs, one leaves a cycle), and the next
// vector's last cycle waits until that buffer is empty. The cycles a vector takes do not depend
// on the data: Σ group cycles when fed and drained at full rate.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "fold/dataflow_graph.h"
#include "fold/weight_reuse_schedule.h"
#include "ir/graph.h"

namespace bnnc {

class WeightReuseMvtu {
 public:
  using Word = std::vector<std::int64_t>;

  struct Cycle {
    bool read = false;         // took the input word offered
    std::optional<Word> sent;  // the word it sent
    bool busy = false;         // anything moved (for deadlock detection)
  };

  WeightReuseMvtu(const Block& block, const Graph& ir);

  // One clock edge: `input` the word at the head of the input stream (nullptr: none),
  // `output_ready` whether the output stream takes a word this cycle.
  Cycle step(const Word* input, bool output_ready);

  std::int64_t work_cycles() const { return work_cycles_; }  // vector cycles spent

  // P of every row for one packed input vector, through the schedule's parents (the datapath's
  // arithmetic, without its timing).
  std::vector<std::int64_t> popcounts(const std::vector<std::uint64_t>& x) const;

 private:
  void finish_vector();

  const Block& b_;
  const BinaryMatrix* weights_ = nullptr;
  const ThresholdAttrs* threshold_ = nullptr;
  WeightReuseSchedule schedule_;
  std::int64_t words_needed_ = 0;
  std::int64_t t_ = 0;  // cycle within the vector
  Word vector_;
  std::deque<Word> out_words_;
  std::int64_t work_cycles_ = 0;
};

}  // namespace bnnc
