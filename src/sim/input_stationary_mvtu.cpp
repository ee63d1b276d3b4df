#include "sim/input_stationary_mvtu.h"

#include <algorithm>

#include "core/ceil_div.h"

namespace bnnc {

InputStationaryMvtu::InputStationaryMvtu(const Block& block, const Graph& ir) : b_(block) {
  BNNC_ASSERT(!block.is_conv() && !block.zero_pad && block.mmv == 1,
              "layer '{}': the input-stationary order is for dense layers", block.name);
  const Node& node = ir.nodes[block.layer];
  // (A 1×1 convolution on a 1×1 image is a dense layer too.)
  weights_ = &node.weights();
  bits_ = ir.nodes[node.inputs[0]].type.dtype.is_bit();
  if (block.threshold >= 0) threshold_ = &ir.nodes[block.threshold].as<ThresholdAttrs>();
  in_words_ = ceil_div(block.mw, block.simd);
  out_groups_ = ceil_div(block.mh, block.pe);
  acc_.assign(static_cast<std::size_t>(block.mh), 0);
}

bool InputStationaryMvtu::step(std::deque<Word>& in, std::deque<Word>& out,
                               std::size_t out_capacity) {
  if (!pending_.empty()) {
    if (out.size() >= out_capacity) return false;
    out.push_back(std::move(pending_));
    pending_.clear();
    return true;
  }
  if (nf_ == 0) {
    x_.clear();
    if (sf_ < in_words_) {
      if (in.empty()) return false;
      x_ = std::move(in.front());
      in.pop_front();
    }
  }
  accumulate(nf_);
  if (sf_ == b_.sf() - 1 && nf_ < out_groups_) {
    Word word;
    for (std::int64_t r = nf_ * b_.pe; r < std::min<std::int64_t>((nf_ + 1) * b_.pe, b_.mh); ++r) {
      word.push_back(output(r));
    }
    if (out.size() >= out_capacity) {
      pending_ = std::move(word);
    } else {
      out.push_back(std::move(word));
    }
  }
  if (++nf_ == b_.nf()) {
    nf_ = 0;
    if (++sf_ == b_.sf()) {
      sf_ = 0;
      std::fill(acc_.begin(), acc_.end(), 0);
    }
  }
  return true;
}

// Adds the word of this pass to the rows of `group`: a binary synapse adds 1 when input and
// weight bits match (so the sum over all passes is P = popcount(XNOR)), an integer one ±x.
void InputStationaryMvtu::accumulate(std::int64_t group) {
  const std::int64_t first_col = sf_ * b_.simd;
  for (std::int64_t r = group * b_.pe; r < std::min<std::int64_t>((group + 1) * b_.pe, b_.mh);
       ++r) {
    std::int64_t sum = 0;
    for (std::size_t s = 0; s < x_.size() && first_col + static_cast<std::int64_t>(s) < b_.mw;
         ++s) {
      const bool w =
          weights_->get(static_cast<int>(r), static_cast<int>(first_col) + static_cast<int>(s));
      if (bits_) {
        sum += (x_[s] != 0) == w ? 1 : 0;
      } else {
        sum += w ? x_[s] : -x_[s];
      }
    }
    acc_[static_cast<std::size_t>(r)] += sum;
  }
}

std::int64_t InputStationaryMvtu::output(std::int64_t row) const {
  const std::int64_t acc = acc_[static_cast<std::size_t>(row)];
  if (threshold_ == nullptr) return acc;
  const auto r = static_cast<std::size_t>(row);
  const bool negate = !threshold_->negate.empty() && threshold_->negate[r] != 0;
  return ((acc >= threshold_->thresholds[r]) != negate) ? 1 : 0;
}

}  // namespace bnnc
