#include "sim/early_exit_mvtu.h"

#include <algorithm>
#include <bit>

#include "core/bits.h"
#include "core/ceil_div.h"
#include "core/error.h"

namespace bnnc {

namespace {

// Bits [start, start + count) of a packed row, from bit 0 of the result (count ≤ 64).
std::uint64_t bits_at(const std::uint64_t* words, int start, int count) {
  const int word = start / 64, shift = start % 64;
  std::uint64_t v = words[word] >> shift;
  if (shift != 0 && shift + count > 64) v |= words[word + 1] << (64 - shift);
  return count == 64 ? v : v & ((std::uint64_t{1} << count) - 1);
}

}  // namespace

EarlyExitMvtu::EarlyExitMvtu(const Block& block, const Graph& ir) : b_(block) {
  BNNC_ASSERT(block.can_exit_early() && block.mmv == 1, "layer '{}': not an early-exit MVTU",
              block.name);
  const Node& node = ir.nodes[block.layer];
  weights_ = &node.weights();
  threshold_ = &ir.nodes[block.threshold].as<ThresholdAttrs>();
  in_words_ = static_cast<int>(ceil_div(block.mw, block.simd));
  sf_count_ = static_cast<int>(block.sf());
  nf_count_ = static_cast<int>(block.nf());
  ibuf_.resize(static_cast<std::size_t>(in_words_));
  acc_.assign(static_cast<std::size_t>(block.pe), 0);
}

// P of one chunk for one row: its real columns only (padded columns add nothing).
std::int64_t EarlyExitMvtu::matches(int row, const Slot& s) const {
  const int first = s.sf * b_.simd;
  const int count = std::max(0, std::min(b_.simd, b_.mw - first));
  std::int64_t p = 0;
  for (int done = 0; done < count; done += 64) {
    const int n = std::min(64, count - done);
    const std::uint64_t w = bits_at(weights_->row_words(row), first + done, n);
    const std::uint64_t x = bits_at(s.x.data(), done, n);
    const std::uint64_t mask = n == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << n) - 1;
    p += std::popcount(~(x ^ w) & mask);
  }
  return p;
}

EarlyExitMvtu::Cycle EarlyExitMvtu::step(const Word* input, bool output_ready) {
  Cycle cycle;
  const int pe = b_.pe;
  // Stage 3: accumulate chunk (nf, sf) and decide. After it, rem real synapses remain and the
  // final P lies in [acc, acc + rem]: P ≥ T is certain once acc ≥ T and impossible once
  // acc + rem < T (rows past MH never count).
  std::vector<std::int64_t> acc_next(static_cast<std::size_t>(pe), 0);
  bool decided = true;
  if (s3_.valid) {
    const std::int64_t rem = std::max(0, b_.mw - (s3_.sf + 1) * b_.simd);
    for (int p = 0; p < pe; ++p) {
      const int row = s3_.nf * pe + p;
      if (row >= b_.mh) continue;
      const auto lane = static_cast<std::size_t>(p);
      acc_next[lane] = (s3_.sf == 0 ? 0 : acc_[lane]) + matches(row, s3_);
      const std::int64_t t = threshold_->thresholds[static_cast<std::size_t>(row)];
      if (acc_next[lane] < t && acc_next[lane] + rem >= t) decided = false;
    }
  }
  // A decision restarts the issue only while it is still in that group (a later group has the
  // same nf only after four group ends; at most three fit behind stage 3), and the last group of
  // a vector only once all its words are read.
  const bool last_chunk = s3_.sf == sf_count_ - 1;
  const bool redirect = s3_.valid && decided && !last_chunk && s3_.tag == tag_ &&
                        (s3_.nf != nf_count_ - 1 || rd_ == in_words_);
  const bool ends = s3_.valid && (last_chunk || redirect);
  const bool real = s3_.nf * pe < b_.mh;
  const bool stall = ends && real && out_valid_ && !output_ready;
  const bool adv = !stall;

  if (out_valid_ && output_ready) {
    cycle.sent = std::move(out_data_);
    cycle.busy = true;
  }
  // The reader: one word a cycle while the vector has words left, whatever the pipeline does.
  const bool read = input != nullptr && rd_ < in_words_;
  std::vector<std::uint64_t> read_bits;
  if (read) {
    read_bits.assign(static_cast<std::size_t>(words_for_bits(b_.simd)), 0);
    BNNC_ASSERT(std::ssize(*input) <= b_.simd, "layer '{}': input word of {} elements", b_.name,
                input->size());
    for (std::size_t i = 0; i < input->size(); ++i) {
      set_bit(read_bits, static_cast<int>(i), (*input)[i] != 0);
    }
    cycle.read = cycle.busy = true;
  }
  bool vector_end = false;
  Slot issued;
  if (adv && !redirect) {
    const bool available = sf_ < rd_ || (sf_ == rd_ && read) || sf_ >= in_words_;
    if (available) {
      issued.valid = true;
      issued.nf = nf_, issued.sf = sf_, issued.tag = tag_;
      if (sf_ < rd_) {
        issued.x = ibuf_[static_cast<std::size_t>(sf_)];
      } else if (sf_ == rd_ && read) {
        issued.x = read_bits;
      } else {
        issued.x.assign(static_cast<std::size_t>(words_for_bits(b_.simd)), 0);
      }
      if (sf_ == sf_count_ - 1) {
        sf_ = 0;
        vector_end = nf_ == nf_count_ - 1;
        nf_ = vector_end ? 0 : nf_ + 1;
        tag_ = (tag_ + 1) % 4;
      } else {
        ++sf_;
      }
    }
  }
  if (adv && redirect) {
    vector_end = s3_.nf == nf_count_ - 1;
    nf_ = vector_end ? 0 : s3_.nf + 1;
    sf_ = 0;
    tag_ = (tag_ + 1) % 4;
  }
  if (issued.valid || (adv && redirect)) ++work_cycles_;
  if (read) ibuf_[static_cast<std::size_t>(rd_++)] = std::move(read_bits);
  if (vector_end) rd_ = 0;

  // The output register takes a group's word as it ends; it empties as the output takes it.
  if (adv && ends && real) {
    out_data_.clear();
    for (int p = 0; p < pe && s3_.nf * pe + p < b_.mh; ++p) {
      const auto row = static_cast<std::size_t>(s3_.nf * pe + p);
      const bool negate = !threshold_->negate.empty() && threshold_->negate[row] != 0;
      const bool fires = acc_next[static_cast<std::size_t>(p)] >= threshold_->thresholds[row];
      out_data_.push_back(fires != negate ? 1 : 0);
    }
    out_valid_ = true;
  } else if (output_ready) {
    out_valid_ = false;
  }
  if (adv) {
    cycle.busy = cycle.busy || s1_.valid || s2_.valid || s3_.valid || issued.valid || redirect;
    if (s3_.valid) acc_ = acc_next;
    if (redirect) {
      s1_ = s2_ = s3_ = Slot{};
    } else {
      s3_ = std::move(s2_);
      s2_ = std::move(s1_);
      s1_ = std::move(issued);
    }
  }
  return cycle;
}

}  // namespace bnnc
