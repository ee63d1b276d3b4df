#include "sim/cycle_simulator.h"

#include <algorithm>
#include <bit>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <tuple>
#include <utility>

#include "core/bits.h"
#include "core/ceil_div.h"
#include "fold/pad_element.h"
#include "fold/pixel_group.h"
#include "fold/stream_order.h"
#include "ir/add_apply.h"
#include "ir/label_select_apply.h"
#include "sim/early_exit_mvtu.h"
#include "sim/input_reuse_mvtu.h"
#include "sim/input_stationary_mvtu.h"
#include "sim/weight_reuse_mvtu.h"

namespace bnnc {

namespace {

using Word = std::vector<std::int64_t>;

struct Fifo {
  std::deque<Word> words;
  std::size_t capacity = 2;
  std::size_t start_size = 0;  // words at the start of this cycle, before any pop or push
  bool full() const { return words.size() >= capacity; }
  bool empty() const { return words.empty(); }
  // bnn_fifo's s_axis_tready, a register: full as of the start of the cycle, so a word popped in
  // this cycle frees its place only in the next one.
  bool full_registered() const { return start_size >= capacity; }
};

// A block's output register in front of its FIFO (bnn_swu's and bnn_dwc's out_data): the word
// it holds enters the FIFO when the FIFO's registered ready allows, and in that same cycle the
// register may take the block's next word.
struct OutputRegister {
  Word word;
  bool valid = false;
  // Moves the held word into `out` if its ready allows; whether it did.
  bool drain(Fifo& out) {
    if (!valid || out.full_registered()) return false;
    out.words.push_back(std::move(word));
    valid = false;
    return true;
  }
  void put(Word next) {
    word = std::move(next);
    valid = true;
  }
};

// One block as a state machine. step() models one clock cycle and returns whether the block
// did anything (read, wrote or computed); a stalled block returns false.
class Engine {
 public:
  Engine(const Block& block, const Graph& ir) : b_(block), ir_(ir) {}
  virtual ~Engine() = default;
  virtual bool step(std::int64_t cycle) = 0;
  // An MVTU's cycles spent on its vectors so far (SimulationResult::work_cycles); 0 for the
  // blocks that do not count them.
  virtual std::int64_t work_cycles() const { return 0; }
  // An input-reuse MVTU's reuse vectors so far and the sums of their c and |D|
  // (SimulationResult).
  virtual std::tuple<std::int64_t, std::int64_t, std::int64_t> reuse_c() const { return {0, 0, 0}; }
  Fifo* in = nullptr;       // the FIFO in front of its (first) input
  Fifo* in2 = nullptr;      // AddStreams: the FIFO in front of its second input
  Fifo* out = nullptr;      // the FIFO in front of its consumer (none for the label-select)
  std::vector<Fifo*> outs;  // Duplicate: one per consumer

 protected:
  const Block& b_;
  const Graph& ir_;
};

class InputEngine : public Engine {
 public:
  InputEngine(const Block& block, const Graph& ir,
              const std::vector<std::span<const std::uint8_t>>& frames,
              std::vector<std::int64_t>& first_input)
      : Engine(block, ir), frames_(frames), first_input_(first_input) {
    if (ir.nodes[block.layer].op() == Op::Quantize)
      table_ = &ir.nodes[block.layer].as<QuantizeAttrs>().table;
  }
  bool step(std::int64_t cycle) override {
    if (frame_ >= frames_.size() || out->full()) return false;
    const auto& image = frames_[frame_];
    if (pos_ == 0) first_input_[frame_] = cycle;
    Word word;
    for (int k = 0; k < b_.out_elems && pos_ < image.size(); ++k, ++pos_) {
      word.push_back(table_ != nullptr ? (*table_)[image[pos_]] : image[pos_]);
    }
    out->words.push_back(std::move(word));
    if (pos_ == image.size()) ++frame_, pos_ = 0;
    return true;
  }

 private:
  const std::vector<std::span<const std::uint8_t>>& frames_;
  std::vector<std::int64_t>& first_input_;
  const std::vector<std::int32_t>* table_ = nullptr;
  std::size_t frame_ = 0, pos_ = 0;
};

class ThresholdingEngine : public Engine {
 public:
  ThresholdingEngine(const Block& block, const Graph& ir)
      : Engine(block, ir), order_(input_order(block)), words_(words_in(block)) {}
  bool step(std::int64_t) override {
    if (in->empty() || out->full()) return false;
    const auto& a = ir_.nodes[b_.layer].as<ThresholdAttrs>();
    Word word = std::move(in->words.front());
    in->words.pop_front();
    for (std::size_t k = 0; k < word.size(); ++k) {
      const auto c =
          static_cast<std::size_t>(element_index(order_, word_, static_cast<int>(k)) % b_.ifm_c);
      const bool negate = !a.negate.empty() && a.negate[c] != 0;
      word[k] = ((word[k] >= a.thresholds[c]) != negate) ? 1 : 0;
    }
    word_ = (word_ + 1) % words_;
    out->words.push_back(std::move(word));
    return true;
  }

 private:
  StreamOrder order_;
  std::int64_t words_;     // per frame
  std::int64_t word_ = 0;  // of the frame
};

class PaddingEngine : public Engine {
 public:
  using Engine::Engine;
  bool step(std::int64_t) override {
    if (out->full()) return false;
    const std::int64_t pixel = pos_ / b_.ofm_c;
    const int y = static_cast<int>(pixel / b_.ofm_w), x = static_cast<int>(pixel % b_.ofm_w);
    const bool border =
        y < b_.pad || y >= b_.ofm_h - b_.pad || x < b_.pad || x >= b_.ofm_w - b_.pad;
    if (border) {
      Word word;
      for (int k = 0; k < b_.out_elems; ++k) {
        word.push_back(pad_element(b_, ir_, static_cast<int>((pos_ + k) % b_.ofm_c)));
      }
      out->words.push_back(std::move(word));
    } else {
      if (in->empty()) return false;
      out->words.push_back(std::move(in->words.front()));
      in->words.pop_front();
    }
    pos_ = (pos_ + b_.out_elems) % b_.elements_out();
    return true;
  }

 private:
  std::int64_t pos_ = 0;
};

// The SWU: buffers the image (as a line buffer of K + 1 rows would allow) and emits, per output
// pixel, its K×K window in (ky, kx, c) order.
class SwuEngine : public Engine {
 public:
  SwuEngine(const Block& block, const Graph& ir) : Engine(block, ir) {
    row_ = static_cast<std::int64_t>(b_.ifm_w) * b_.ifm_c;
    frame_size_ = row_ * b_.ifm_h;
    out_per_pixel_ = static_cast<std::int64_t>(b_.kernel) * b_.kernel * b_.ifm_c;
  }

  bool step(std::int64_t) override {
    bool did = reg_.drain(*out);  // bnn_swu's output register (OutputRegister)
    // Emit first (it frees the line buffer), then read.
    if (!reg_.valid && window_ready()) {
      emit();
      did = true;
    }
    if (!in->empty() && read_ - released() + static_cast<std::int64_t>(in->words.front().size()) <=
                            (b_.kernel + 1) * row_) {
      Word word = std::move(in->words.front());
      in->words.pop_front();
      for (std::int64_t x : word) {
        const std::int64_t frame = read_ / frame_size_;
        auto& buffer = frames_[frame];
        if (buffer.empty()) buffer.resize(static_cast<std::size_t>(frame_size_));
        buffer[static_cast<std::size_t>(read_ % frame_size_)] = x;
        ++read_;
      }
      did = true;
    }
    return did;
  }

 private:
  int oy() const { return static_cast<int>(pixel_ / b_.ofm_w); }
  int ox() const { return static_cast<int>(pixel_ % b_.ofm_w); }
  // Elements (counted over all frames) the line buffer no longer needs.
  std::int64_t released() const {
    return frame_ * frame_size_ + std::min<std::int64_t>(oy() * b_.stride, b_.ifm_h) * row_;
  }
  bool window_ready() const {
    const std::int64_t last =
        (static_cast<std::int64_t>(oy() * b_.stride + b_.kernel - 1) * b_.ifm_w + ox() * b_.stride +
         b_.kernel - 1) *
            b_.ifm_c +
        b_.ifm_c;
    return read_ >= frame_ * frame_size_ + last;
  }
  std::int64_t at(int y, int x, int c) const {
    return frames_.at(frame_)[static_cast<std::size_t>(
        (static_cast<std::int64_t>(y) * b_.ifm_w + x) * b_.ifm_c + c)];
  }
  void emit() {
    Word word;
    for (int k = 0; k < b_.out_elems && q_ < out_per_pixel_; ++k, ++q_) {
      const int c = static_cast<int>(q_ % b_.ifm_c);
      const int kx = static_cast<int>(q_ / b_.ifm_c % b_.kernel);
      const int ky = static_cast<int>(q_ / b_.ifm_c / b_.kernel);
      word.push_back(at(oy() * b_.stride + ky, ox() * b_.stride + kx, c));
    }
    reg_.put(std::move(word));
    if (q_ == out_per_pixel_) {
      q_ = 0;
      if (++pixel_ == b_.pixels_out()) {
        pixel_ = 0;
        frames_.erase(frame_);
        ++frame_;
      }
    }
  }

  std::int64_t row_ = 0, frame_size_ = 0, out_per_pixel_ = 0;
  std::int64_t read_ = 0;                       // elements read, over all frames
  std::int64_t frame_ = 0, pixel_ = 0, q_ = 0;  // what is being emitted
  std::map<std::int64_t, std::vector<std::int64_t>> frames_;
  OutputRegister reg_;  // bnn_swu's out_data
};

// The StreamingMaxPool as bnn_maxpool builds it. The separable max keeps only the last K − 1
// pixels and K − 1 rows of row maxima, not whole input rows: an output word is due with the input
// word that completes its window (column ox·S + K − 1 of row oy·S + K − 1), and the pool holds at
// most two such words on their way (bnn_maxpool's row-maximum stage and output register) before a
// stalled output stops its input. So, unlike a SWU's line buffer of K + 1 rows, it cannot let its
// producer run a row ahead while its consumer holds back (modelling it with such a buffer made
// the simulator 3 % faster than the RTL on CNV's latency folding).
class PoolEngine : public Engine {
 public:
  PoolEngine(const Block& block, const Graph& ir)
      : Engine(block, ir), min_channels_(ir.nodes[block.layer].as<MaxPoolAttrs>().min_channels) {
    BNNC_ASSERT(b_.in_elems == b_.out_elems && b_.ifm_c % b_.in_elems == 0,
                "layer '{}': a pool's words are whole channel groups", b_.name);
    frame_.resize(static_cast<std::size_t>(b_.elements_in()));
  }

  bool step(std::int64_t) override {
    bool did = false;
    if (!pending_.empty() && !out->full()) {
      out->words.push_back(std::move(pending_.front()));
      pending_.pop_front();
      did = true;
    }
    if (std::ssize(pending_) >= kWordsOnTheirWay || in->empty()) return did;
    const std::int64_t start = pos_;
    for (std::int64_t x : in->words.front()) frame_[static_cast<std::size_t>(pos_++)] = x;
    in->words.pop_front();
    const std::int64_t pixel = start / b_.ifm_c;
    const int y = static_cast<int>(pixel / b_.ifm_w), x = static_cast<int>(pixel % b_.ifm_w);
    if (ends_window(y, b_.ofm_h) && ends_window(x, b_.ofm_w)) {
      Word word;
      for (std::int64_t e = start; e < pos_; ++e) word.push_back(window_max(y, x, e % b_.ifm_c));
      if (out->full() || !pending_.empty()) {
        pending_.push_back(std::move(word));
      } else {
        out->words.push_back(std::move(word));
      }
    }
    if (pos_ == b_.elements_in()) pos_ = 0;
    return true;
  }

 private:
  // Whether input row (or column) v is the last of a window: v = o·S + K − 1 with o < outputs.
  bool ends_window(int v, int outputs) const {
    const int o = (v - (b_.kernel - 1)) / b_.stride;
    return v >= b_.kernel - 1 && (v - (b_.kernel - 1)) % b_.stride == 0 && o < outputs;
  }
  // The max (min for a channel in min_channels) over the window whose last pixel is (y, x).
  std::int64_t window_max(int y, int x, std::int64_t c) const {
    const bool take_min = !min_channels_.empty() && min_channels_[static_cast<std::size_t>(c)] != 0;
    std::int64_t v = at(y, x, c);
    for (int ky = 0; ky < b_.kernel; ++ky) {
      for (int kx = 0; kx < b_.kernel; ++kx) {
        const std::int64_t w = at(y - ky, x - kx, c);
        v = take_min ? std::min(v, w) : std::max(v, w);
      }
    }
    return v;
  }
  std::int64_t at(int y, int x, std::int64_t c) const {
    return frame_[static_cast<std::size_t>(
        (static_cast<std::int64_t>(y) * b_.ifm_w + x) * b_.ifm_c + c)];
  }

  static constexpr std::ptrdiff_t kWordsOnTheirWay = 2;
  const std::vector<std::uint8_t>& min_channels_;
  std::vector<std::int64_t> frame_;  // this frame's elements up to pos_ (later ones stale)
  std::int64_t pos_ = 0;             // next element of the frame
  std::deque<Word> pending_;         // output words the full FIFO has not taken yet
};

// The MVTU: per input vector, NF groups of SF cycles; it reads the vector (one word a cycle)
// during the first group and emits PE outputs at the end of each group. With MMV > 1 a word
// carries SIMD synapses of MMV windows side by side and each weight read serves all of them:
// MMV vectors at once, MMV × PE outputs a group (fold/stream_order.h). For a zero-padded
// convolution it leaves out the window's taps that fall on the border, as bnn_mvtu does from its
// pixel counter (docs/zero-padding.md): y = 2·P_valid − |V| over the valid synapses V only.
class MvtuEngine : public Engine {
 public:
  MvtuEngine(const Block& block, const Graph& ir) : Engine(block, ir) {
    const Node& node = ir.nodes[block.layer];
    weights_ = &node.weights();
    bits_ = ir.nodes[node.inputs[0]].type.dtype.is_bit();
    if (block.threshold >= 0) threshold_ = &ir.nodes[block.threshold].as<ThresholdAttrs>();
    words_needed_ = ceil_div(block.mw, block.simd);
    lanes_.resize(static_cast<std::size_t>(block.mmv));
    for (Lane& lane : lanes_) {
      lane.packed.assign(static_cast<std::size_t>(words_for_bits(block.mw)), 0);
      lane.valid.assign(lane.packed.size(), 0);
    }
  }

  std::int64_t work_cycles() const override { return work_cycles_; }
  bool step(std::int64_t) override {
    if (!pending_.empty()) {
      if (out->full()) return false;
      out->words.push_back(std::move(pending_));
      pending_.clear();
      return true;
    }
    const std::int64_t sf = b_.sf();
    if (t_ < sf && t_ < words_needed_) {
      if (in->empty()) return false;
      const Word& word = in->words.front();
      for (std::size_t k = 0; k < word.size(); ++k) {
        lanes_[b_.mmv == 1 ? 0 : k / static_cast<std::size_t>(b_.simd)].vector.push_back(word[k]);
      }
      in->words.pop_front();
    }
    ++t_;
    ++work_cycles_;
    if (t_ % sf == 0) {
      const std::int64_t nf = t_ / sf - 1;
      Word word;
      for (int m = 0; m < b_.mmv; ++m) {
        if (bits_) pack(m);
        for (std::int64_t r = nf * b_.pe; r < (nf + 1) * b_.pe && r < b_.mh; ++r) {
          word.push_back(output(m, static_cast<int>(r)));
        }
      }
      if (!word.empty()) {
        if (out->full()) {
          pending_ = std::move(word);
        } else {
          out->words.push_back(std::move(word));
        }
      }
      if (t_ == b_.nf() * sf) {
        t_ = 0;
        for (Lane& lane : lanes_) lane.vector.clear();
        pixel_ = (pixel_ + b_.mmv) % b_.pixels_out();
      }
    }
    return true;
  }

 private:
  // One of the MMV windows computed together.
  struct Lane {
    Word vector;
    std::vector<std::uint64_t> packed;
    std::vector<std::uint64_t> valid;  // zero padding: the window's synapses inside the image
    std::int64_t valid_count = 0;      // |V|
  };

  std::int64_t output(int m, int r) const {
    const Lane& lane = lanes_[static_cast<std::size_t>(m)];
    std::int64_t acc = 0;
    if (b_.zero_pad) {
      const std::uint64_t* w = weights_->row_words(r);
      std::int64_t matches = 0;
      for (std::size_t k = 0; k < lane.packed.size(); ++k) {
        matches += std::popcount(~(lane.packed[k] ^ w[k]) & lane.valid[k]);
      }
      acc = 2 * matches - lane.valid_count;
    } else if (bits_) {
      acc = xnor_popcount(lane.packed.data(), weights_->row_words(r), b_.mw);
    } else {
      for (int i = 0; i < b_.mw; ++i) acc += weights_->get(r, i) ? lane.vector[i] : -lane.vector[i];
    }
    if (threshold_ == nullptr) return acc;
    const bool negate = !threshold_->negate.empty() && threshold_->negate[r] != 0;
    return ((acc >= threshold_->thresholds[r]) != negate) ? 1 : 0;
  }
  void pack(int m) {
    Lane& lane = lanes_[static_cast<std::size_t>(m)];
    std::fill(lane.packed.begin(), lane.packed.end(), 0);
    for (int i = 0; i < b_.mw; ++i) set_bit(lane.packed, i, lane.vector[i] != 0);
    if (b_.zero_pad) mark_valid(lane, pixel_ + m);
  }
  // The synapses of this pixel's window that lie inside the image (column (ky, kx, c)).
  void mark_valid(Lane& lane, std::int64_t pixel) const {
    const int oy = static_cast<int>(pixel / b_.ofm_w), ox = static_cast<int>(pixel % b_.ofm_w);
    const int channels = b_.mw / (b_.kernel * b_.kernel);
    std::fill(lane.valid.begin(), lane.valid.end(), 0);
    lane.valid_count = 0;
    for (int i = 0; i < b_.mw; ++i) {
      const int tap = i / channels, ky = tap / b_.kernel, kx = tap % b_.kernel;
      const int y = oy * b_.stride - b_.pad + ky, x = ox * b_.stride - b_.pad + kx;
      if (y < 0 || y >= b_.image_h || x < 0 || x >= b_.image_w) continue;
      set_bit(lane.valid, i, true);
      ++lane.valid_count;
    }
  }

  const BinaryMatrix* weights_ = nullptr;
  const ThresholdAttrs* threshold_ = nullptr;
  bool bits_ = true;
  std::int64_t t_ = 0, words_needed_ = 0;
  std::vector<Lane> lanes_;
  Word pending_;
  std::int64_t pixel_ = 0;  // the output pixel of the first window being computed
  std::int64_t work_cycles_ = 0;
};

// A block whose words carry several pixels (docs/pixel-parallel.md): SWU, padding, max-pool or
// width converter. It is modelled by what each output word needs: it keeps the frame's elements
// as they arrive, writes output word j (one a cycle) once the input words that j reads have
// arrived, and reads (one word a cycle) at most `slack_` words beyond those — its line buffer:
// S rows for a window (the rows the next output row adds), two pixel groups for the others.
class PixelGroupEngine : public Engine {
 public:
  PixelGroupEngine(const Block& block, const Graph& ir)
      : Engine(block, ir), in_order_(input_order(block)), out_order_(output_order(block)) {
    if (b_.kind == BlockKind::StreamingMaxPool) {
      min_channels_ = &ir.nodes[b_.layer].as<MaxPoolAttrs>().min_channels;
    }
    in_words_ = words_in(b_);
    const std::int64_t out_words = words_out(b_);
    need_.assign(static_cast<std::size_t>(out_words), 0);
    for (std::int64_t j = 0; j < out_words; ++j) {
      for (int k = 0; k < b_.out_elems; ++k) {
        const std::int64_t e = element_index(out_order_, j, k);
        if (e >= b_.elements_out()) break;
        for_each_source(b_, e, [&](std::int64_t source) {
          auto& need = need_[static_cast<std::size_t>(j)];
          need = std::max(need, word_of_element(in_order_, source) + 1);
        });
      }
    }
    slack_ = pixel_group_slack(b_);
  }

  bool step(std::int64_t) override {
    bool did = false;
    const std::int64_t needed = frame_ * in_words_ + need_[static_cast<std::size_t>(word_)];
    if (!out->full() && read_ >= needed) {
      const auto& buffer = frames_[frame_];
      Word word;
      for (int k = 0; k < b_.out_elems; ++k) {
        const std::int64_t e = element_index(out_order_, word_, k);
        if (e >= b_.elements_out()) break;
        word.push_back(value(buffer, e));
      }
      out->words.push_back(std::move(word));
      if (++word_ == std::ssize(need_)) {
        word_ = 0;
        frames_.erase(frame_);
        ++frame_;
      }
      did = true;
    }
    if (!in->empty() && read_ < needed + slack_) {
      const Word& word = in->words.front();
      auto& buffer = frames_[read_ / in_words_];
      if (buffer.empty()) buffer.resize(static_cast<std::size_t>(b_.elements_in()));
      for (std::size_t k = 0; k < word.size(); ++k) {
        buffer[static_cast<std::size_t>(
            element_index(in_order_, read_ % in_words_, static_cast<int>(k)))] = word[k];
      }
      in->words.pop_front();
      ++read_;
      did = true;
    }
    return did;
  }

 private:
  std::int64_t value(const std::vector<std::int64_t>& buffer, std::int64_t e) const {
    if (b_.kind == BlockKind::StreamingMaxPool) {
      const auto c = static_cast<std::size_t>(e % b_.ofm_c);
      const bool take_min = !min_channels_->empty() && (*min_channels_)[c] != 0;
      std::optional<std::int64_t> v;
      for_each_source(b_, e, [&](std::int64_t s) {
        const std::int64_t w = buffer[static_cast<std::size_t>(s)];
        v = !v ? w : take_min ? std::min(*v, w) : std::max(*v, w);
      });
      return *v;
    }
    // A padding's border reads nothing.
    std::int64_t v =
        b_.kind == BlockKind::FmPadding ? pad_element(b_, ir_, static_cast<int>(e % b_.ofm_c)) : 0;
    for_each_source(b_, e, [&](std::int64_t s) { v = buffer[static_cast<std::size_t>(s)]; });
    return v;
  }

  StreamOrder in_order_, out_order_;
  const std::vector<std::uint8_t>* min_channels_ = nullptr;
  std::int64_t in_words_ = 0, slack_ = 0;
  std::vector<std::int64_t> need_;     // per output word of a frame: input words of it read first
  std::int64_t read_ = 0;              // input words read, over all frames
  std::int64_t frame_ = 0, word_ = 0;  // the output word being written
  std::map<std::int64_t, std::vector<std::int64_t>> frames_;
};

// A dense layer in the input-stationary order (sim/input_stationary_mvtu.h).
class InputStationaryMvtuEngine : public Engine {
 public:
  InputStationaryMvtuEngine(const Block& block, const Graph& ir)
      : Engine(block, ir), mvtu_(block, ir) {}
  bool step(std::int64_t) override { return mvtu_.step(in->words, out->words, out->capacity); }

 private:
  InputStationaryMvtu mvtu_;
};

// The early-exit MVTU: sim/early_exit_mvtu.h models it, this puts it between two FIFOs.
class MvtuExitEngine : public Engine {
 public:
  MvtuExitEngine(const Block& block, const Graph& ir) : Engine(block, ir), unit_(block, ir) {}
  bool step(std::int64_t) override {
    EarlyExitMvtu::Cycle c = unit_.step(in->empty() ? nullptr : &in->words.front(), !out->full());
    if (c.read) in->words.pop_front();
    if (c.sent) out->words.push_back(std::move(*c.sent));
    return c.busy;
  }
  std::int64_t work_cycles() const override { return unit_.work_cycles(); }

 private:
  EarlyExitMvtu unit_;
};

// The weight-reuse MVTU: sim/weight_reuse_mvtu.h models it, this puts it between two FIFOs.
class MvtuReuseEngine : public Engine {
 public:
  MvtuReuseEngine(const Block& block, const Graph& ir) : Engine(block, ir), unit_(block, ir) {}
  bool step(std::int64_t) override {
    WeightReuseMvtu::Cycle c = unit_.step(in->empty() ? nullptr : &in->words.front(), !out->full());
    if (c.read) in->words.pop_front();
    if (c.sent) out->words.push_back(std::move(*c.sent));
    return c.busy;
  }
  std::int64_t work_cycles() const override { return unit_.work_cycles(); }

 private:
  WeightReuseMvtu unit_;
};

// The input-reuse MVTU: sim/input_reuse_mvtu.h models it, this puts it between two FIFOs.
class MvtuInputReuseEngine : public Engine {
 public:
  MvtuInputReuseEngine(const Block& block, const Graph& ir) : Engine(block, ir), unit_(block, ir) {}
  bool step(std::int64_t) override {
    InputReuseMvtu::Cycle c = unit_.step(in->empty() ? nullptr : &in->words.front(), !out->full());
    if (c.read) in->words.pop_front();
    if (c.sent) out->words.push_back(std::move(*c.sent));
    return c.busy;
  }
  std::int64_t work_cycles() const override { return unit_.work_cycles(); }
  std::tuple<std::int64_t, std::int64_t, std::int64_t> reuse_c() const override {
    return {unit_.reuse_vectors(), unit_.reuse_c_sum(), unit_.reuse_d_sum()};
  }

 private:
  InputReuseMvtu unit_;
};

class DwcEngine : public Engine {
 public:
  using Engine::Engine;
  bool step(std::int64_t) override {
    bool did = reg_.drain(*out);  // bnn_dwc's output register (OutputRegister)
    const std::int64_t frame = b_.elements_out();
    const auto buffered = static_cast<std::int64_t>(buffer_.size());
    if (!reg_.valid && buffered > 0 &&
        (buffered >= b_.out_elems || out_count_ + buffered >= frame)) {
      const std::int64_t n = std::min<std::int64_t>({b_.out_elems, buffered, frame - out_count_});
      reg_.put(Word(buffer_.begin(), buffer_.begin() + n));
      buffer_.erase(buffer_.begin(), buffer_.begin() + n);
      out_count_ = (out_count_ + n) % frame;
      did = true;
    }
    if (!in->empty() && static_cast<std::int64_t>(buffer_.size() + in->words.front().size()) <=
                            b_.in_elems + b_.out_elems) {
      for (std::int64_t x : in->words.front()) buffer_.push_back(x);
      in->words.pop_front();
      did = true;
    }
    return did;
  }

 private:
  std::deque<std::int64_t> buffer_;
  std::int64_t out_count_ = 0;
  OutputRegister reg_;  // bnn_dwc's out_data
};

// The fork: a word goes to every consumer in the same cycle, so it waits until all have room.
class DuplicateEngine : public Engine {
 public:
  using Engine::Engine;
  bool step(std::int64_t) override {
    if (in->empty()) return false;
    for (const Fifo* f : outs) {
      if (f->full()) return false;
    }
    for (Fifo* f : outs) f->words.push_back(in->words.front());
    in->words.pop_front();
    return true;
  }
};

// The join: adds one word from each input, so it waits until both have one; the second input's
// element goes through the add's table when it has one (ir/add_apply.h).
class AddStreamsEngine : public Engine {
 public:
  AddStreamsEngine(const Block& block, const Graph& ir)
      : Engine(block, ir),
        in1_bit_(ir.nodes[ir.nodes[block.layer].inputs[1]].type.dtype.is_bit()),
        order_(input_order(block)),
        words_(words_in(block)) {}
  bool step(std::int64_t) override {
    if (in->empty() || in2->empty() || out->full()) return false;
    Word word = std::move(in->words.front());
    const Word& other = in2->words.front();
    BNNC_ASSERT(word.size() == other.size(), "layer '{}': words of {} and {} elements", b_.name,
                word.size(), other.size());
    const auto& a = ir_.nodes[b_.layer].as<AddAttrs>();
    for (std::size_t k = 0; k < word.size(); ++k) {
      const auto c = static_cast<int>(element_index(order_, word_, static_cast<int>(k)) % b_.ifm_c);
      word[k] += add_term(a, b_.ifm_c, c, other[k], in1_bit_);
    }
    word_ = (word_ + 1) % words_;
    in->words.pop_front();
    in2->words.pop_front();
    out->words.push_back(std::move(word));
    return true;
  }

 private:
  bool in1_bit_;
  StreamOrder order_;
  std::int64_t words_;     // per frame
  std::int64_t word_ = 0;  // of the frame
};

// Global sum pooling as bnn_global_sum_pool builds it: a running sum per channel, read one word a
// cycle; during the frame's last pixel each word read completes its channels' sums and leaves
// at once (so only then can a full output stall it). A bit counts as ±1 (its value, 2b − 1).
class GlobalSumPoolEngine : public Engine {
 public:
  GlobalSumPoolEngine(const Block& block, const Graph& ir)
      : Engine(block, ir), bits_(ir.nodes[ir.nodes[block.layer].inputs[0]].type.dtype.is_bit()) {
    sums_.assign(static_cast<std::size_t>(b_.ifm_c), 0);
  }
  bool step(std::int64_t) override {
    if (in->empty()) return false;
    const bool last_pixel = pos_ >= b_.elements_in() - b_.ifm_c;
    if (last_pixel && out->full()) return false;
    Word word = std::move(in->words.front());
    in->words.pop_front();
    for (std::int64_t& x : word) {
      auto& sum = sums_[static_cast<std::size_t>(pos_ % b_.ifm_c)];
      sum += bits_ ? 2 * x - 1 : x;
      if (last_pixel) x = std::exchange(sum, 0);
      ++pos_;
    }
    if (last_pixel) out->words.push_back(std::move(word));
    if (pos_ == b_.elements_in()) pos_ = 0;
    return true;
  }

 private:
  bool bits_;
  std::vector<std::int64_t> sums_;
  std::int64_t pos_ = 0;  // next element of the frame
};

class LabelSelectEngine : public Engine {
 public:
  LabelSelectEngine(const Block& block, const Graph& ir, SimulationResult& result)
      : Engine(block, ir), result_(result) {}
  bool step(std::int64_t cycle) override {
    if (in->empty()) return false;
    for (std::int64_t x : in->words.front()) scores_.push_back(x);
    in->words.pop_front();
    if (static_cast<int>(scores_.size()) == b_.ifm_c) {
      const auto& select = ir_.nodes[b_.layer].as<LabelSelectAttrs>();
      for (int c = 0; c < b_.ifm_c; ++c) {
        scores_[c] = label_score(select, c, scores_[c]);
      }
      int best = 0;
      for (int c = 1; c < b_.ifm_c; ++c) {
        if (scores_[c] > scores_[best]) best = c;
      }
      result_.labels.push_back(best);
      result_.scores.push_back(std::move(scores_));
      result_.label_cycle.push_back(cycle);
      scores_.clear();
    }
    return true;
  }

 private:
  SimulationResult& result_;
  Word scores_;
};

}  // namespace

std::int64_t SimulationResult::latency_cycles() const {
  return label_cycle.empty() ? 0 : label_cycle[0] - first_input_cycle[0] + 1;
}

double SimulationResult::cycles_per_frame() const {
  if (label_cycle.size() < 2) return static_cast<double>(latency_cycles());
  return static_cast<double>(label_cycle.back() - label_cycle.front()) /
         static_cast<double>(label_cycle.size() - 1);
}

std::vector<Classification> SimulationResult::classifications() const {
  std::vector<Classification> out(labels.size());
  for (std::size_t i = 0; i < labels.size(); ++i) out[i] = {labels[i], scores[i]};
  return out;
}

SimulationResult simulate_dataflow(const DataflowGraph& graph,
                                   const std::vector<std::span<const std::uint8_t>>& frames,
                                   const SimulationOptions& options) {
  SimulationResult result;
  result.first_input_cycle.assign(frames.size(), -1);
  const auto& blocks = graph.blocks;
  const std::int64_t input_size = graph.ir.nodes[0].type.elements();
  for (const auto& frame : frames) {
    if (static_cast<std::int64_t>(frame.size()) != input_size) {
      fail("input of {} values does not match the network's input {}", frame.size(),
           to_string(graph.ir.nodes[0].type));
    }
  }
  std::vector<std::unique_ptr<Engine>> engines;
  // One FIFO in front of every block input: fifos[block][input].
  std::vector<std::vector<Fifo>> fifos(blocks.size());
  for (std::size_t i = 0; i < fifos.size(); ++i) {
    fifos[i].resize(blocks[i].inputs.size());
    for (std::size_t s = 0; s < fifos[i].size(); ++s) {
      const int depth = options.fifo_depths.empty() ? 2 : options.fifo_depths.at(i).at(s);
      fifos[i][s].capacity = static_cast<std::size_t>(std::max(1, depth));
    }
  }
  for (const Block& b : blocks) {
    if (is_pixel_group(b)) {
      engines.push_back(std::make_unique<PixelGroupEngine>(b, graph.ir));
      continue;
    }
    switch (b.kind) {
      case BlockKind::Input:
        engines.push_back(
            std::make_unique<InputEngine>(b, graph.ir, frames, result.first_input_cycle));
        break;
      case BlockKind::Thresholding:
        engines.push_back(std::make_unique<ThresholdingEngine>(b, graph.ir));
        break;
      case BlockKind::FmPadding:
        engines.push_back(std::make_unique<PaddingEngine>(b, graph.ir));
        break;
      case BlockKind::Swu: engines.push_back(std::make_unique<SwuEngine>(b, graph.ir)); break;
      case BlockKind::StreamingMaxPool:
        engines.push_back(std::make_unique<PoolEngine>(b, graph.ir));
        break;
      case BlockKind::Mvtu:
        if (b.early_exit) {
          engines.push_back(std::make_unique<MvtuExitEngine>(b, graph.ir));
        } else if (b.weight_reuse) {
          engines.push_back(std::make_unique<MvtuReuseEngine>(b, graph.ir));
        } else if (b.input_reuse) {
          engines.push_back(std::make_unique<MvtuInputReuseEngine>(b, graph.ir));
        } else if (b.dense_order == DenseOrder::Input) {
          engines.push_back(std::make_unique<InputStationaryMvtuEngine>(b, graph.ir));
        } else {
          engines.push_back(std::make_unique<MvtuEngine>(b, graph.ir));
        }
        break;
      case BlockKind::Dwc: engines.push_back(std::make_unique<DwcEngine>(b, graph.ir)); break;
      case BlockKind::Duplicate:
        engines.push_back(std::make_unique<DuplicateEngine>(b, graph.ir));
        break;
      case BlockKind::AddStreams:
        engines.push_back(std::make_unique<AddStreamsEngine>(b, graph.ir));
        break;
      case BlockKind::GlobalSumPool:
        engines.push_back(std::make_unique<GlobalSumPoolEngine>(b, graph.ir));
        break;
      case BlockKind::LabelSelect:
        engines.push_back(std::make_unique<LabelSelectEngine>(b, graph.ir, result));
        break;
      case BlockKind::Count: break;
    }
  }
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    for (std::size_t s = 0; s < blocks[i].inputs.size(); ++s) {
      Engine& producer = *engines[static_cast<std::size_t>(blocks[i].inputs[s])];
      Fifo* fifo = &fifos[i][s];
      (s == 0 ? engines[i]->in : engines[i]->in2) = fifo;
      producer.outs.push_back(fifo);
    }
  }
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    Engine& e = *engines[i];
    const bool fork = blocks[i].kind == BlockKind::Duplicate;
    if (!fork && e.outs.size() > 1) {
      fail("layer '{}': feeds {} blocks without a Duplicate block", blocks[i].name, e.outs.size());
    }
    if (e.outs.size() == 1) e.out = e.outs[0];
    const bool sink = blocks[i].kind == BlockKind::LabelSelect;
    if (e.outs.empty() && !sink) fail("layer '{}': nothing reads its output", blocks[i].name);
    if ((blocks[i].kind == BlockKind::AddStreams) != (e.in2 != nullptr) ||
        (e.in == nullptr && blocks[i].kind != BlockKind::Input)) {
      fail("layer '{}' ({}): reads {} streams", blocks[i].name, block_kind_name(blocks[i].kind),
           blocks[i].inputs.size());
    }
  }
  result.busy_cycles.assign(blocks.size(), 0);
  result.first_busy_cycle.assign(blocks.size(), -1);
  result.last_busy_cycle.assign(blocks.size(), -1);
  std::int64_t cycle = 0, idle = 0;
  while (result.labels.size() < frames.size()) {
    bool progress = false;
    for (auto& block_fifos : fifos) {
      for (Fifo& f : block_fifos) f.start_size = f.words.size();
    }
    // Consumers first: a word written this cycle is read in the next one.
    for (std::size_t i = engines.size(); i-- > 0;) {
      if (engines[i]->step(cycle)) {
        ++result.busy_cycles[i];
        if (result.first_busy_cycle[i] < 0) result.first_busy_cycle[i] = cycle;
        result.last_busy_cycle[i] = cycle;
        progress = true;
      }
    }
    ++cycle;
    idle = progress ? 0 : idle + 1;
    if (idle > options.max_cycles_without_progress) {
      std::string state;
      for (std::size_t i = 0; i < blocks.size(); ++i) {
        for (std::size_t s = 0; s < fifos[i].size(); ++s) {
          state += fmt::format(" {}{}:{}/{}", blocks[i].name, s == 0 ? "" : "#2",
                               fifos[i][s].words.size(), fifos[i][s].capacity);
        }
      }
      fail("deadlock after {} cycles (words/capacity of the FIFO in front of each block:{})", cycle,
           state);
    }
  }
  result.cycles = cycle;
  result.work_cycles.assign(blocks.size(), 0);
  for (std::size_t i = 0; i < blocks.size(); ++i) result.work_cycles[i] = engines[i]->work_cycles();
  result.reuse_vectors.assign(blocks.size(), 0);
  result.reuse_c_sum.assign(blocks.size(), 0);
  result.reuse_d_sum.assign(blocks.size(), 0);
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    std::tie(result.reuse_vectors[i], result.reuse_c_sum[i], result.reuse_d_sum[i]) =
        engines[i]->reuse_c();
  }
  return result;
}

}  // namespace bnnc
