#include "runtime/plain_steps.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "ir/add_apply.h"
#include "ir/label_select_apply.h"

namespace bnnc::runtime {

namespace {

std::size_t pixels(const BufferSpec& spec) { return static_cast<std::size_t>(spec.h) * spec.w; }

bool get_bit(const std::uint64_t* words, const BufferSpec& spec, std::size_t e) {
  const std::size_t p = e / spec.c, c = e % spec.c;
  return (words[p * spec.words_per_pixel + c / 64] >> (c % 64)) & 1U;
}

}  // namespace

void quantize_frame(const QuantizeStep& step, const BufferSpec& in, const std::uint8_t* src,
                    std::uint8_t* dst) {
  auto* to = reinterpret_cast<std::int32_t*>(dst);
  for (std::size_t e = 0; e < pixels(in) * in.c; ++e) to[e] = step.table[src[e]];
}

void threshold_frame(const ThresholdStep& step, const BufferSpec& in, const BufferSpec& out,
                     const std::uint8_t* src, std::uint8_t* dst) {
  auto* words = reinterpret_cast<std::uint64_t*>(dst);
  const auto* ints = reinterpret_cast<const std::int32_t*>(src);
  const int c_count = in.c;
  for (std::size_t p = 0; p < pixels(in); ++p) {
    std::uint64_t* row = words + p * out.words_per_pixel;
    std::fill(row, row + out.words_per_pixel, 0);
    for (int c = 0; c < c_count; ++c) {
      const std::size_t e = p * c_count + c;
      const std::int64_t v = in.storage == Storage::U8 ? src[e] : ints[e];
      const bool negate = !step.negate.empty() && step.negate[c] != 0;
      const bool bit = (v >= step.thresholds[c]) != negate;
      row[c / 64] |= static_cast<std::uint64_t>(bit) << (c % 64);
    }
  }
}

void repack_frame(const BufferSpec& in, const BufferSpec& out, const std::uint8_t* src,
                  std::uint8_t* dst) {
  const auto* from = reinterpret_cast<const std::uint64_t*>(src);
  auto* to = reinterpret_cast<std::uint64_t*>(dst);
  std::fill(to, to + pixels(out) * out.words_per_pixel, 0);
  const std::size_t elements = pixels(in) * in.c;
  for (std::size_t e = 0; e < elements; ++e) {
    if (!get_bit(from, in, e)) continue;
    const std::size_t p = e / out.c, c = e % out.c;
    to[p * out.words_per_pixel + c / 64] |= std::uint64_t{1} << (c % 64);
  }
}

// The rows [y0, y1) and columns [x0, x1) of the input that output pixel (oy, ox)'s window covers:
// the window clipped to the input, so that the pad never takes part (ir/op.h).
namespace {
struct PoolWindow {
  int y0, y1, x0, x1;
};
PoolWindow pool_window(const MaxPoolStep& step, const BufferSpec& in, int oy, int ox) {
  const int y = oy * step.stride - step.pad, x = ox * step.stride - step.pad;
  return {std::max(0, y), std::min(in.h, y + step.kernel), std::max(0, x),
          std::min(in.w, x + step.kernel)};
}
}  // namespace

void maxpool_frame(const MaxPoolStep& step, const BufferSpec& in, const BufferSpec& out,
                   const std::uint8_t* src, std::uint8_t* dst, int oy_begin, int oy_end) {
  if (oy_end < 0) oy_end = out.h;
  if (in.storage == Storage::Bits) {
    // On bits max is OR and min is AND; channels in min_mask take the AND. Without min channels
    // the window's OR alone runs (ResNet-18's 3×3/2 pool after the stem: 17.0 → 14.8 µs a frame
    // on a Zen 5 core without the AND and the mask beside it).
    const auto* from = reinterpret_cast<const std::uint64_t*>(src);
    auto* to = reinterpret_cast<std::uint64_t*>(dst);
    const int wpp = in.words_per_pixel;
    const auto pool = [&]<bool kMin>() {
      for (int oy = oy_begin; oy < oy_end; ++oy) {
        for (int ox = 0; ox < out.w; ++ox) {
          const PoolWindow win = pool_window(step, in, oy, ox);
          std::uint64_t* o = to + (static_cast<std::size_t>(oy) * out.w + ox) * wpp;
          for (int w = 0; w < wpp; ++w) {
            std::uint64_t any = 0, all = ~std::uint64_t{0};
            for (int y = win.y0; y < win.y1; ++y) {
              const std::uint64_t* row = from + static_cast<std::size_t>(y) * in.w * wpp + w;
              for (int x = win.x0; x < win.x1; ++x) {
                any |= row[static_cast<std::size_t>(x) * wpp];
                if constexpr (kMin) all &= row[static_cast<std::size_t>(x) * wpp];
              }
            }
            if constexpr (kMin) {
              o[w] = (any & ~step.min_mask[w]) | (all & step.min_mask[w]);
            } else {
              o[w] = any;
            }
          }
        }
      }
    };
    if (std::any_of(step.min_mask.begin(), step.min_mask.end(),
                    [](std::uint64_t m) { return m != 0; })) {
      pool.template operator()<true>();
    } else {
      pool.template operator()<false>();
    }
    return;
  }
  const auto* from = reinterpret_cast<const std::int32_t*>(src);
  auto* to = reinterpret_cast<std::int32_t*>(dst);
  for (int oy = oy_begin; oy < oy_end; ++oy) {
    for (int ox = 0; ox < out.w; ++ox) {
      const PoolWindow win = pool_window(step, in, oy, ox);
      for (int c = 0; c < in.c; ++c) {
        const bool take_min = !step.min_channels.empty() && step.min_channels[c] != 0;
        std::int32_t result = from[(static_cast<std::size_t>(win.y0) * in.w + win.x0) * in.c + c];
        for (int y = win.y0; y < win.y1; ++y) {
          for (int x = win.x0; x < win.x1; ++x) {
            const std::int32_t v = from[(static_cast<std::size_t>(y) * in.w + x) * in.c + c];
            result = take_min ? std::min(result, v) : std::max(result, v);
          }
        }
        to[(static_cast<std::size_t>(oy) * out.w + ox) * in.c + c] = result;
      }
    }
  }
}

void global_sum_pool_frame(const BufferSpec& in, const std::uint8_t* src, std::uint8_t* dst) {
  auto* to = reinterpret_cast<std::int32_t*>(dst);
  std::fill(to, to + in.c, 0);
  if (in.storage == Storage::Bits) {
    // Σ (2·bit − 1) = 2·ones − H·W per channel. The ones of a pixel's byte (8 channels) are its
    // bits spread to the 8 bytes of a word (kSpread), so one add counts 8 channels in 8 byte
    // counters; the counters go to int32 before any can pass 255 (ResNet-18's 7×7×512: 16.6 µs
    // a frame on a Zen 5 core bit by bit).
    static constexpr auto kSpread = [] {
      std::array<std::uint64_t, 256> spread{};
      for (unsigned b = 0; b < 256; ++b) {
        for (unsigned k = 0; k < 8; ++k) spread[b] |= std::uint64_t{(b >> k) & 1U} << (8 * k);
      }
      return spread;
    }();
    const auto* from = reinterpret_cast<const std::uint64_t*>(src);
    const int wpp = in.words_per_pixel;
    std::vector<std::uint64_t> counters(static_cast<std::size_t>(wpp) * 8);
    const auto flush = [&] {
      for (int c = 0; c < in.c; ++c) {
        to[c] += static_cast<std::int32_t>((counters[c / 8] >> (8 * (c % 8))) & 0xFF);
      }
      std::fill(counters.begin(), counters.end(), 0);
    };
    for (std::size_t p = 0; p < pixels(in); ++p) {
      for (int w = 0; w < wpp; ++w) {
        const std::uint64_t word = from[p * wpp + w];
        for (int b = 0; b < 8; ++b) counters[w * 8 + b] += kSpread[(word >> (8 * b)) & 0xFF];
      }
      if ((p + 1) % 255 == 0) flush();
    }
    flush();
    for (int c = 0; c < in.c; ++c) to[c] = 2 * to[c] - static_cast<std::int32_t>(pixels(in));
    return;
  }
  const auto* from = reinterpret_cast<const std::int32_t*>(src);
  for (std::size_t p = 0; p < pixels(in); ++p) {
    for (int c = 0; c < in.c; ++c) to[c] += from[p * in.c + c];
  }
}

// A padded copy of a bit image: pad pixels hold pad_value in each of the C channels (bit 1 = +1,
// bit 0 = −1: the 1-bit datapath of FINN-R), and the bits past C stay 0.
const std::uint64_t* pad_bits(const BinaryLayerStep& step, const BufferSpec& in,
                              const std::uint8_t* src, std::uint8_t* padded, int row_begin,
                              int row_end) {
  const auto* from = reinterpret_cast<const std::uint64_t*>(src);
  if (step.pad == 0) return from;
  auto* to = reinterpret_cast<std::uint64_t*>(padded);
  const int wpp = in.words_per_pixel, pad = step.pad, pw = in.w + 2 * pad;
  // The pad pixel's words: all C channels at pad_value.
  auto fill_word = [&](int w) {
    if (step.pad_value == 0) return std::uint64_t{0};
    const int bits = std::min(64, in.c - 64 * w);
    return bits == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << bits) - 1;
  };
  auto fill_pixels = [&](std::uint64_t* o, int count) {
    for (int x = 0; x < count; ++x) {
      for (int w = 0; w < wpp; ++w) o[x * wpp + w] = fill_word(w);
    }
  };
  const std::size_t row_words = static_cast<std::size_t>(pw) * wpp;
  if (row_end < 0) row_end = in.h + 2 * pad;
  for (int py = row_begin; py < row_end; ++py) {
    std::uint64_t* o = to + py * row_words;
    const int y = py - pad;
    if (y < 0 || y >= in.h) {
      fill_pixels(o, pw);
      continue;
    }
    fill_pixels(o, pad);
    std::memcpy(o + pad * wpp, from + static_cast<std::size_t>(y) * in.w * wpp,
                static_cast<std::size_t>(in.w) * wpp * 8);
    fill_pixels(o + (pad + in.w) * wpp, pad);
  }
  return to;
}

// The padded byte image a fixed layer reads its windows from (kernels.h): value + offset, or
// byte_table[pixel] when the layer took in its quantize; pad pixels hold pad_value + offset.
void byte_image(const FixedLayerStep& step, const BufferSpec& in, const std::uint8_t* src,
                std::uint8_t* image, const KernelTable& kernels, int row_begin, int row_end) {
  const int pad = step.pad, pw = in.w + 2 * pad, c = in.c;
  const std::size_t row_bytes = static_cast<std::size_t>(pw) * c;
  const auto pad_byte = static_cast<std::uint8_t>(step.pad_value + step.offset);
  if (row_end < 0) row_end = in.h + 2 * pad;
  // The pad rows above, the input's rows, the pad rows below, each clipped to the range.
  auto fill_rows = [&](int from, int to) {
    if (from < to) std::fill(image + from * row_bytes, image + to * row_bytes, pad_byte);
  };
  fill_rows(row_begin, std::min(row_end, pad));
  const int y_end = std::min(row_end - pad, in.h);
  for (int y = std::max(row_begin - pad, 0); y < y_end; ++y) {
    std::uint8_t* o = image + (y + pad) * row_bytes;
    std::fill(o, o + pad * c, pad_byte);
    std::uint8_t* body = o + pad * c;
    const std::size_t n = static_cast<std::size_t>(in.w) * c, base = y * n;
    if (!step.byte_table.empty() && kernels.byte_lookup != nullptr) {
      kernels.byte_lookup(step.byte_table.data(), src + base, body, n);
    } else if (!step.byte_table.empty()) {
      // Locals, so that the byte stores (which may alias anything) do not make the loop
      // reload the table's pointer and the source's address on every element.
      const std::uint8_t* table = step.byte_table.data();
      const std::uint8_t* from = src + base;
      for (std::size_t e = 0; e < n; ++e) body[e] = table[from[e]];
    } else if (in.storage == Storage::U8) {
      for (std::size_t e = 0; e < n; ++e) {
        body[e] = static_cast<std::uint8_t>(src[base + e] + step.offset);
      }
    } else {
      const auto* ints = reinterpret_cast<const std::int32_t*>(src) + base;
      for (std::size_t e = 0; e < n; ++e)
        body[e] = static_cast<std::uint8_t>(ints[e] + step.offset);
    }
    std::fill(body + n, o + row_bytes, pad_byte);
  }
  fill_rows(std::max(row_begin, in.h + pad), row_end);
}

void add_frame(const AddStep& step, const BufferSpec& in, const BufferSpec& in2,
               const std::uint8_t* a, const std::uint8_t* b, std::uint8_t* dst) {
  const auto* x = reinterpret_cast<const std::int32_t*>(a);
  auto* to = reinterpret_cast<std::int32_t*>(dst);
  if (!step.in2_bits && step.attrs.offsets.empty()) {
    const auto* y = reinterpret_cast<const std::int32_t*>(b);
    for (std::size_t e = 0; e < pixels(in) * in.c; ++e) to[e] = x[e] + y[e];
    return;
  }
  for (std::size_t p = 0; p < pixels(in); ++p) {
    for (int c = 0; c < in.c; ++c) {
      const std::size_t e = p * static_cast<std::size_t>(in.c) + static_cast<std::size_t>(c);
      std::int64_t raw = 0;
      if (step.in2_bits) {
        const auto* words = reinterpret_cast<const std::uint64_t*>(b);
        raw = static_cast<std::int64_t>(
            (words[p * static_cast<std::size_t>(in2.words_per_pixel) + c / 64] >> (c % 64)) & 1U);
      } else {
        raw = reinterpret_cast<const std::int32_t*>(b)[e];
      }
      to[e] = x[e] + static_cast<std::int32_t>(add_term(step.attrs, in.c, c, raw, step.in2_bits));
    }
  }
}

void label_frame(const LabelStep& step, const BufferSpec& in, const std::uint8_t* src,
                 Classification& result) {
  const auto* scores = reinterpret_cast<const std::int32_t*>(src);
  result.scores.resize(static_cast<std::size_t>(in.c));
  int best = 0;
  for (int c = 0; c < in.c; ++c) {
    result.scores[c] = label_score(step.select, c, scores[c]);
    if (result.scores[c] > result.scores[best]) best = c;  // ties to the lowest index
  }
  result.label = best;
}

}  // namespace bnnc::runtime
