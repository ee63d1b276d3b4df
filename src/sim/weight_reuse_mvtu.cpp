#include "sim/weight_reuse_mvtu.h"

#include <bit>

#include "core/bits.h"
#include "core/ceil_div.h"
#include "core/error.h"

namespace bnnc {

WeightReuseMvtu::WeightReuseMvtu(const Block& block, const Graph& ir) : b_(block) {
  BNNC_ASSERT(block.weight_reuse && block.can_reuse_weights() && block.mmv == 1,
              "layer '{}': not a weight-reuse MVTU", block.name);
  weights_ = &ir.nodes[block.layer].weights();
  if (block.threshold >= 0) threshold_ = &ir.nodes[block.threshold].as<ThresholdAttrs>();
  schedule_ = weight_reuse_schedule(*weights_, block.pe, block.simd);
  BNNC_ASSERT(schedule_.vector_cycles == block.reuse_vector_cycles,
              "layer '{}': schedule of {} cycles, block says {}", block.name,
              schedule_.vector_cycles, block.reuse_vector_cycles);
  words_needed_ = ceil_div(block.mw, block.simd);
}

std::vector<std::int64_t> WeightReuseMvtu::popcounts(const std::vector<std::uint64_t>& x) const {
  std::vector<std::int64_t> p(static_cast<std::size_t>(weights_->rows()), 0);
  for (const std::vector<int>& group : schedule_.groups) {
    for (int row : group) {
      const ReuseKernel& k = schedule_.kernels[static_cast<std::size_t>(row)];
      const std::uint64_t* w = weights_->row_words(row);
      std::int64_t matches = 0;
      for (std::size_t i = 0; i < k.mask.size(); ++i) {
        matches += std::popcount(~(x[i] ^ w[i]) & k.mask[i]);
      }
      auto& out = p[static_cast<std::size_t>(row)];
      if (k.parent < 0) {
        out = matches;
      } else {
        const std::int64_t from = p[static_cast<std::size_t>(k.parent)];
        // P_b = s·P_a + c + 2·m_b(D), c = (negated ? N : 0) − |D| (fold/weight_reuse_schedule.h).
        out = (k.negated ? -from : from) + k.offset + 2 * matches;
      }
    }
  }
  return p;
}

void WeightReuseMvtu::finish_vector() {
  std::vector<std::uint64_t> x(static_cast<std::size_t>(words_for_bits(b_.mw)), 0);
  for (int i = 0; i < b_.mw; ++i) set_bit(x, i, vector_[static_cast<std::size_t>(i)] != 0);
  const std::vector<std::int64_t> p = popcounts(x);
  for (std::int64_t nf = 0; nf < b_.nf(); ++nf) {
    Word word;
    for (std::int64_t r = nf * b_.pe; r < (nf + 1) * b_.pe && r < b_.mh; ++r) {
      const auto row = static_cast<std::size_t>(r);
      if (threshold_ == nullptr) {
        word.push_back(p[row]);
      } else {
        const bool negate = !threshold_->negate.empty() && threshold_->negate[row] != 0;
        word.push_back(((p[row] >= threshold_->thresholds[row]) != negate) ? 1 : 0);
      }
    }
    if (!word.empty()) out_words_.push_back(std::move(word));
  }
  vector_.clear();
}

WeightReuseMvtu::Cycle WeightReuseMvtu::step(const Word* input, bool output_ready) {
  Cycle cycle;
  if (output_ready && !out_words_.empty()) {
    cycle.sent = std::move(out_words_.front());
    out_words_.pop_front();
    cycle.busy = true;
  }
  const bool reads = t_ < b_.sf() && t_ < words_needed_;
  if (reads && input == nullptr) return cycle;
  // The last cycle writes the output buffer, which must have let its previous vector go.
  const bool last = t_ + 1 == b_.reuse_vector_cycles;
  if (last && !out_words_.empty()) return cycle;
  if (reads) {
    BNNC_ASSERT(std::ssize(*input) <= b_.simd, "layer '{}': input word of {} elements", b_.name,
                input->size());
    vector_.insert(vector_.end(), input->begin(), input->end());
    cycle.read = true;
  }
  cycle.busy = true;
  ++work_cycles_;
  if (last) {
    finish_vector();
    t_ = 0;
  } else {
    ++t_;
  }
  return cycle;
}

}  // namespace bnnc
