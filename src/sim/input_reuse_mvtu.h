// The input-reuse MVTU (Fu et al.'s input reuse, rtl/bnn_mvtu_ir.sv) clock by clock, as the cycle
// simulator runs it. Consecutive windows v − 1, v of one output row of a convolution differ in
// few bits; with D the positions where x_v ≠ x_{v−1} and m_r(D) the matches of x_v and row r's
// weights on D, the old input on D is the complement of the new one, so
//     P_r(v) = P_r(v − 1) − |D| + 2·m_r(D).
// The first window of a row (and so of a frame) is computed plainly: D = every real position and
// P_r = m_r(D) (the same sum with P_r(v − 1) := 0 and the factor 1).
//
// Per vector, NF groups of PE rows, SF words of SIMD bits (SF = IN_WORDS: a convolution's columns
// are never padded):
//   group 0     cycle s reads input word s (one a cycle, as bnn_mvtu; it waits while there is
//               none), keeps it in the input buffer, and forms mask_s = first-in-row ? the real
//               bits : word_s XOR the previous vector's word s (which the buffer held until now);
//               its rows' matches on the mask are summed as the words arrive (SF cycles), and
//               lane j counts the set bits of column j, n_j, and lists their positions;
//   group g ≥ 1 SIMD lane j walks its own list, one position a cycle, reading the buffered input
//               bit and its rows' weight bits there (the weights split by lane: each lane reads
//               its own address), so the group takes max(1, c) cycles, c = max_j n_j.
// A group's last cycle computes its rows' P from the P memory (the previous vector's P), writes
// them back and puts the word of PE outputs ((P ≥ T) xor negate, or P) into the output register,
// as bnn_mvtu does: that cycle waits while the register still holds a word the output does not
// take. A first-in-row vector costs NF·SF cycles (the plain unit's), any other SF + (NF−1)·max(1,
// c).
//
// The datapath's sums are computed here in one go at the group's last cycle (the same popcount
// over the mask, which the RTL accumulates lane by lane); every register that decides timing —
// group, cycle, the lanes' counts, the output register — is the RTL's.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "fold/dataflow_graph.h"
#include "ir/graph.h"

namespace bnnc {

class InputReuseMvtu {
 public:
  using Word = std::vector<std::int64_t>;

  struct Cycle {
    bool read = false;         // took the input word offered
    std::optional<Word> sent;  // the word it sent
    bool busy = false;         // anything moved (for deadlock detection)
  };

  InputReuseMvtu(const Block& block, const Graph& ir);

  // One clock edge: `input` the word at the head of the input stream (nullptr: none),
  // `output_ready` whether the output stream takes a word this cycle.
  Cycle step(const Word* input, bool output_ready);

  std::int64_t work_cycles() const { return work_cycles_; }  // vector cycles spent
  std::int64_t vectors() const { return vectors_; }          // vectors finished
  // Σ over the reuse (not first-in-row) vectors finished of c = max_j |D ∩ column j|, and their
  // number: the mean c the reports give.
  std::int64_t reuse_vectors() const { return reuse_vectors_; }
  std::int64_t reuse_c_sum() const { return reuse_c_sum_; }
  std::int64_t reuse_d_sum() const { return reuse_d_sum_; }  // Σ |D| over the same vectors

  // The cycles one vector takes at full rate: SF + (NF − 1)·max(1, c), or NF·SF first in a row.
  static std::int64_t vector_cycles(const Block& block, bool first_in_row, std::int64_t c);

 private:
  void finish_group();

  const Block& b_;
  const BinaryMatrix* weights_ = nullptr;
  const ThresholdAttrs* threshold_ = nullptr;
  int nw_ = 1;  // 64-bit chunks of a SIMD word
  int sf_count_ = 0, nf_count_ = 0, out_groups_ = 0;
  std::vector<std::vector<std::uint64_t>> w_;     // [row · SF + s]: row's bits of word s
  std::vector<std::vector<std::uint64_t>> ibuf_;  // per word s: the vector's (before: the last's)
  std::vector<std::vector<std::uint64_t>> mask_;  // per word s: D's bits in it
  std::vector<int> n_;                            // per SIMD lane: |D ∩ column j|
  int c_ = 0;                    // max_j n_j, set when group 0 ends (the later groups' length)
  std::int64_t d_count_ = 0;     // |D|
  int ox_ = 0;                   // output column of the vector
  int nf_ = 0, t_ = 0;           // group, cycle within it
  std::vector<std::int64_t> p_;  // the P memory, NF·PE (padded rows unused)
  bool out_valid_ = false;
  Word out_data_;
  std::int64_t work_cycles_ = 0, vectors_ = 0, reuse_vectors_ = 0, reuse_c_sum_ = 0;
  std::int64_t reuse_d_sum_ = 0;
};

}  // namespace bnnc
