#include "sim/input_reuse_mvtu.h"

#include <algorithm>
#include <bit>

#include "core/bits.h"
#include "core/ceil_div.h"
#include "core/error.h"

namespace bnnc {

InputReuseMvtu::InputReuseMvtu(const Block& block, const Graph& ir) : b_(block) {
  BNNC_ASSERT(block.input_reuse && block.can_reuse_inputs() && block.mmv == 1,
              "layer '{}': not an input-reuse MVTU", block.name);
  BNNC_ASSERT(ceil_div(block.mw, block.simd) == block.sf(),
              "layer '{}': an input-reuse MVTU with padded columns", block.name);
  weights_ = &ir.nodes[block.layer].weights();
  if (block.threshold >= 0) threshold_ = &ir.nodes[block.threshold].as<ThresholdAttrs>();
  nw_ = words_for_bits(block.simd);
  sf_count_ = static_cast<int>(block.sf());
  nf_count_ = static_cast<int>(block.nf());
  out_groups_ = static_cast<int>(ceil_div(block.mh, block.pe));
  // Each row's weights cut into the words the input arrives in.
  w_.assign(static_cast<std::size_t>(block.mh) * static_cast<std::size_t>(sf_count_),
            std::vector<std::uint64_t>(static_cast<std::size_t>(nw_), 0));
  for (int r = 0; r < block.mh; ++r) {
    for (int col = 0; col < block.mw; ++col) {
      set_bit(w_[static_cast<std::size_t>(r * sf_count_ + col / block.simd)], col % block.simd,
              weights_->get(r, col));
    }
  }
  ibuf_.assign(static_cast<std::size_t>(sf_count_),
               std::vector<std::uint64_t>(static_cast<std::size_t>(nw_), 0));
  mask_ = ibuf_;
  n_.assign(static_cast<std::size_t>(block.simd), 0);
  p_.assign(static_cast<std::size_t>(block.nf() * block.pe), 0);
}

std::int64_t InputReuseMvtu::vector_cycles(const Block& block, bool first_in_row, std::int64_t c) {
  if (first_in_row) return block.nf() * block.sf();
  return block.sf() + (block.nf() - 1) * std::max<std::int64_t>(1, c);
}

// Group nf_'s rows: m_r(D) over the vector's masks, then P from the P memory.
void InputReuseMvtu::finish_group() {
  const bool first = ox_ == 0;
  const bool emit = nf_ < out_groups_;
  Word word;
  for (int p = 0; p < b_.pe; ++p) {
    const int row = nf_ * b_.pe + p;
    if (row >= b_.mh) break;
    std::int64_t m = 0;
    for (int s = 0; s < sf_count_; ++s) {
      const auto& x = ibuf_[static_cast<std::size_t>(s)];
      const auto& d = mask_[static_cast<std::size_t>(s)];
      const auto& w = w_[static_cast<std::size_t>(row * sf_count_ + s)];
      for (int i = 0; i < nw_; ++i) {
        const auto k = static_cast<std::size_t>(i);
        m += std::popcount(d[k] & ~(x[k] ^ w[k]));
      }
    }
    auto& pr = p_[static_cast<std::size_t>(row)];
    pr = first ? m : pr - d_count_ + 2 * m;
    if (!emit) continue;
    if (threshold_ == nullptr) {
      word.push_back(pr);
    } else {
      const auto r = static_cast<std::size_t>(row);
      const bool negate = !threshold_->negate.empty() && threshold_->negate[r] != 0;
      word.push_back(((pr >= threshold_->thresholds[r]) != negate) ? 1 : 0);
    }
  }
  if (emit) {
    out_data_ = std::move(word);
    out_valid_ = true;
  }
}

InputReuseMvtu::Cycle InputReuseMvtu::step(const Word* input, bool output_ready) {
  Cycle cycle;
  const bool first = ox_ == 0;
  const int length = nf_ == 0 ? sf_count_ : std::max(1, c_);
  const bool last = t_ == length - 1;
  const bool need_in = nf_ == 0;  // SF = IN_WORDS: group 0 reads a word every cycle
  // A group's result is due in its last cycle; it waits while the output register is full.
  const bool emit = last && nf_ < out_groups_;
  const bool stall = emit && out_valid_ && !output_ready;
  const bool adv = !stall && (!need_in || input != nullptr);
  if (out_valid_ && output_ready) {
    cycle.sent = std::move(out_data_);
    cycle.busy = true;
  }
  if (output_ready) out_valid_ = false;
  if (!adv) return cycle;

  if (need_in) {
    BNNC_ASSERT(std::ssize(*input) <= b_.simd, "layer '{}': input word of {} elements", b_.name,
                input->size());
    const auto s = static_cast<std::size_t>(t_);
    std::vector<std::uint64_t> x(static_cast<std::size_t>(nw_), 0);
    for (std::size_t i = 0; i < input->size(); ++i) {
      set_bit(x, static_cast<int>(i), (*input)[i] != 0);
    }
    // First in its row: every real position; otherwise where the word differs from the last
    // vector's word s (padded lanes are 0 in both).
    std::vector<std::uint64_t> mask(static_cast<std::size_t>(nw_), 0);
    if (first) {
      const int real = std::min(b_.simd, b_.mw - t_ * b_.simd);
      for (int j = 0; j < real; ++j) set_bit(mask, j, true);
    } else {
      for (std::size_t i = 0; i < mask.size(); ++i) mask[i] = x[i] ^ ibuf_[s][i];
    }
    if (t_ == 0) {
      std::fill(n_.begin(), n_.end(), 0);
      d_count_ = 0;
    }
    for (int j = 0; j < b_.simd; ++j) {
      if ((mask[static_cast<std::size_t>(j / 64)] >> (j % 64)) & 1U) {
        ++n_[static_cast<std::size_t>(j)];
        ++d_count_;
      }
    }
    ibuf_[s] = std::move(x);
    mask_[s] = std::move(mask);
    cycle.read = true;
  }
  cycle.busy = true;
  ++work_cycles_;
  if (!last) {
    ++t_;
    return cycle;
  }
  finish_group();
  t_ = 0;
  if (nf_ == 0) c_ = *std::max_element(n_.begin(), n_.end());
  if (nf_ + 1 < nf_count_) {
    ++nf_;
    return cycle;
  }
  nf_ = 0;
  ++vectors_;
  if (!first) {
    ++reuse_vectors_;
    reuse_c_sum_ += c_;
    reuse_d_sum_ += d_count_;
  }
  ox_ = (ox_ + 1) % b_.ofm_w;
  return cycle;
}

}  // namespace bnnc
