#include "rtl/rom_contents.h"

#include <algorithm>
#include <bit>

#include "core/ceil_div.h"
#include "fold/weight_reuse_schedule.h"

namespace bnnc {

namespace {

const Node& input_node(const Block& b, const Graph& ir) {
  return ir.nodes[ir.nodes[b.layer].inputs[0]];
}

const BinaryMatrix& weights_of(const Node& node) { return node.weights(); }

// Words of lanes {negate, T}: thresholds of channel (word · lanes + lane), t_bits per T.
std::string threshold_words(std::int64_t words, int lanes, int t_bits, ValueRange range,
                            const ThresholdAttrs& a, std::int64_t channels) {
  BNNC_ASSERT(a.thresholds_per_channel == 1, "multi-threshold activations reached the RTL");
  std::string text;
  const int lane_bits = t_bits + 1;
  for (std::int64_t w = 0; w < words; ++w) {
    HexWord word(lanes * lane_bits);
    for (int l = 0; l < lanes; ++l) {
      const std::int64_t c = w * lanes + l;
      std::int64_t t = range.hi + 1;  // a padded row never fires
      bool negate = false;
      if (c < channels) {
        t = clamp_threshold(a.thresholds[static_cast<std::size_t>(c)], range);
        negate = !a.negate.empty() && a.negate[static_cast<std::size_t>(c)] != 0;
      }
      word.set(l * lane_bits, t_bits, t);
      word.set(l * lane_bits + t_bits, 1, negate ? 1 : 0);
    }
    text += word.to_hex() + "\n";
  }
  return text;
}

}  // namespace

std::int64_t clamp_threshold(std::int64_t t, ValueRange range) {
  // x ≥ t is always true for t ≤ lo and always false for t > hi.
  return std::clamp(t, range.lo, range.hi + 1);
}

HexWord::HexWord(int width)
    : width_(width), words_(static_cast<std::size_t>((width + 63) / 64), 0) {}

void HexWord::set(int offset, int bits, std::int64_t value) {
  BNNC_ASSERT(offset >= 0 && bits >= 0 && offset + bits <= width_, "field {}+{} outside {} bits",
              offset, bits, width_);
  for (int i = 0; i < bits; ++i) {
    const int bit = offset + i;
    const std::uint64_t mask = std::uint64_t{1} << (bit % 64);
    const bool one = i < 64 ? ((static_cast<std::uint64_t>(value) >> i) & 1U) != 0 : value < 0;
    if (one) {
      words_[static_cast<std::size_t>(bit / 64)] |= mask;
    } else {
      words_[static_cast<std::size_t>(bit / 64)] &= ~mask;
    }
  }
}

std::string HexWord::to_hex() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  const int digits = (width_ + 3) / 4;
  std::string text(static_cast<std::size_t>(digits), '0');
  for (int d = 0; d < digits; ++d) {
    const int bit = d * 4;
    const auto nibble = (words_[static_cast<std::size_t>(bit / 64)] >> (bit % 64)) & 0xFU;
    text[static_cast<std::size_t>(digits - 1 - d)] = kDigits[nibble];
  }
  return text;
}

std::string mvtu_weight_rom(const Block& b, const Graph& ir) {
  const BinaryMatrix& weights = weights_of(ir.nodes[b.layer]);
  const bool binary = input_node(b, ir).type.dtype.is_bit();
  std::string text;
  text.reserve(static_cast<std::size_t>(b.nf() * b.sf() * (b.pe * b.simd / 4 + 2)));
  // Output-stationary, word nf·SF + sf; input-stationary (bnn_mvtu_is), word sf·NF + nf.
  const bool input_stationary = b.dense_order == DenseOrder::Input;
  const std::int64_t outer = input_stationary ? b.sf() : b.nf();
  const std::int64_t inner = input_stationary ? b.nf() : b.sf();
  for (std::int64_t o = 0; o < outer; ++o) {
    for (std::int64_t i = 0; i < inner; ++i) {
      const std::int64_t nf = input_stationary ? i : o, sf = input_stationary ? o : i;
      HexWord word(b.pe * b.simd);
      for (int p = 0; p < b.pe; ++p) {
        const std::int64_t row = nf * b.pe + p;
        for (int s = 0; s < b.simd; ++s) {
          const std::int64_t col = sf * b.simd + s;
          bool bit = false;
          if (row < b.mh && col < b.mw) {
            bit = weights.get(static_cast<int>(row), static_cast<int>(col));
          } else if (row < b.mh) {
            bit = binary;
          }
          word.set(p * b.simd + s, 1, bit ? 1 : 0);
        }
      }
      text += word.to_hex() + "\n";
    }
  }
  return text;
}

std::string weight_reuse_rom(const Block& b, const Graph& ir) {
  const BinaryMatrix& weights = weights_of(ir.nodes[b.layer]);
  const WeightReuseSchedule schedule = weight_reuse_schedule(weights, b.pe, b.simd);
  const int in_words = static_cast<int>(ceil_div(b.mw, b.simd));
  const auto log2_bits = [](int n) {
    return n > 1 ? std::bit_width(static_cast<unsigned>(n - 1)) : 1;
  };
  const int rw = log2_bits(b.mh), sfw = log2_bits(in_words);
  const int ow = ir.nodes[b.layer].type.dtype.bits + 2;
  const int slane = 2 + sfw, plane = 2 + 2 * rw + ow + b.simd * slane;
  std::string text;
  for (std::size_t g = 0; g < schedule.groups.size(); ++g) {
    const std::vector<int>& group = schedule.groups[g];
    const int cycles = schedule.group_cycles[g];
    // Lane j's positions of D in column j, per PE lane.
    std::vector<std::vector<std::vector<int>>> lanes(group.size());
    for (std::size_t p = 0; p < group.size(); ++p) {
      const ReuseKernel& k = schedule.kernels[static_cast<std::size_t>(group[p])];
      lanes[p].resize(static_cast<std::size_t>(b.simd));
      for (int col = 0; col < b.mw; ++col) {
        if ((k.mask[static_cast<std::size_t>(col / 64)] >> (col % 64)) & 1U)
          lanes[p][static_cast<std::size_t>(col % b.simd)].push_back(col / b.simd);
      }
    }
    for (int cycle = 0; cycle < cycles; ++cycle) {
      HexWord word(3 + b.pe * plane);
      word.set(0, 1, g == 0 ? 1 : 0);
      word.set(1, 1, cycle == 0 ? 1 : 0);
      word.set(2, 1, cycle + 1 == cycles ? 1 : 0);
      for (std::size_t p = 0; p < group.size(); ++p) {
        const int row = group[p];
        const ReuseKernel& k = schedule.kernels[static_cast<std::size_t>(row)];
        const int at = 3 + static_cast<int>(p) * plane;
        word.set(at, 1, 1);
        word.set(at + 1, 1, k.negated ? 1 : 0);
        word.set(at + 2, rw, row);
        word.set(at + 2 + rw, rw, std::max(k.parent, 0));
        word.set(at + 2 + 2 * rw, ow, k.offset);
        for (int j = 0; j < b.simd; ++j) {
          const std::vector<int>& positions = lanes[p][static_cast<std::size_t>(j)];
          const int lane = at + 2 + 2 * rw + ow + j * slane;
          if (cycle < std::ssize(positions)) {
            const int position = positions[static_cast<std::size_t>(cycle)];
            BNNC_ASSERT(g > 0 || position == cycle, "layer '{}': group 0 out of order", b.name);
            word.set(lane, 1, 1);
            word.set(lane + 1, 1, weights.get(row, position * b.simd + j) ? 1 : 0);
            word.set(lane + 2, sfw, position);
          }
        }
      }
      text += word.to_hex() + "\n";
    }
  }
  BNNC_ASSERT(std::ssize(text) > 0 && schedule.vector_cycles == b.reuse_vector_cycles,
              "layer '{}': schedule of {} cycles, block says {}", b.name, schedule.vector_cycles,
              b.reuse_vector_cycles);
  return text;
}

std::string mvtu_threshold_rom(const Block& b, const Graph& ir) {
  const DType acc = ir.nodes[b.layer].type.dtype;
  return threshold_words(b.nf(), b.pe, acc.bits + 2, value_range(acc),
                         ir.nodes[b.threshold].as<ThresholdAttrs>(), b.mh);
}

std::string thresholding_rom(const Block& b, const Graph& ir) {
  const DType in = input_node(b, ir).type.dtype;
  // One word per channel group: a word's pixels share it (docs/pixel-parallel.md).
  const int group = b.in_elems / b.in_pixels;
  return threshold_words(b.ifm_c / group, group, b.in_bits + 2, value_range(in),
                         ir.nodes[b.layer].as<ThresholdAttrs>(), b.ifm_c);
}

std::string quantize_rom(const Block& b, const Graph& ir) {
  const auto& table = ir.nodes[b.layer].as<QuantizeAttrs>().table;
  std::string text;
  for (std::int32_t value : table) {
    HexWord word(b.out_bits);
    word.set(0, b.out_bits, value);
    text += word.to_hex() + "\n";
  }
  return text;
}

std::string add_table_rom(const Block& b, const Graph& ir, int slot) {
  const auto& a = ir.nodes[b.layer].as<AddAttrs>();
  const std::int64_t span = std::ssize(a.offsets) / b.ifm_c;
  const int group = b.in_elems / b.in_pixels;  // one pixel's channels of a word
  std::string text;
  for (int g = 0; g < b.ifm_c / group; ++g) {
    const std::int64_t c = static_cast<std::int64_t>(g) * group + slot;
    for (std::int64_t i = 0; i < span; ++i) {
      HexWord word(b.table_bits);
      word.set(0, b.table_bits, a.offsets[static_cast<std::size_t>(c * span + i)]);
      text += word.to_hex() + "\n";
    }
  }
  return text;
}

int label_score_bits(const Block& b, const Graph& ir) {
  const ValueRange in = value_range(input_node(b, ir).type.dtype);
  const auto& select = ir.nodes[b.layer].as<LabelSelectAttrs>();
  std::int64_t lo = 0, hi = 0;
  for (std::int64_t v : select.bias) lo = std::min(lo, v), hi = std::max(hi, v);
  const std::int64_t scale = std::int64_t{1} << select.shift;
  return int_bits_for(in.lo * scale + lo, in.hi * scale + hi);
}

std::string label_bias_rom(const Block& b, const Graph& ir, int score_bits) {
  const auto& bias = ir.nodes[b.layer].as<LabelSelectAttrs>().bias;
  const int lanes = b.in_elems;
  const int words = ceil_div(b.ifm_c, lanes);
  std::string text;
  for (int w = 0; w < words; ++w) {
    HexWord word(lanes * score_bits);
    for (int l = 0; l < lanes; ++l) {
      const auto c = static_cast<std::size_t>(w * lanes + l);
      word.set(l * score_bits, score_bits, c < bias.size() ? bias[c] : 0);
    }
    text += word.to_hex() + "\n";
  }
  return text;
}

}  // namespace bnnc
