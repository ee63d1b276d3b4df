#include "runtime/cpu_engine.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>

#include "core/ceil_div.h"
#include "core/error.h"

namespace bnnc::runtime {

namespace {

// Frames per tile of a network without convs: each layer's weights are read once per tile, so a
// large tile keeps them from being the traffic. LFC's 3 MB of AMX byte weights do not fit a 2 MB
// L2, and on one thread a tile's first pass over each layer reads them from L3 (tile loads stall
// on them): 1024 frames make that 3 KB per frame (LFC on one thread: 567,000 fps with tiles of
// 256, 670,000 with 512, 690,000 with 1024; two threads, each keeping half of every layer in its
// L2, within noise). A tile's activations (128 bytes per frame and layer for LFC) stay in L2.
constexpr int kDenseTile = 1024;

// Weight bytes a core's L2 (2 MB on the machines measured) holds with room for the rest.
constexpr std::size_t kL2Share = std::size_t{1} << 20;

std::size_t pixels(const BufferSpec& spec) { return static_cast<std::size_t>(spec.h) * spec.w; }

void threshold_step(const Step& step, const BufferSpec& in, const BufferSpec& out,
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

bool get_bit(const std::uint64_t* words, const BufferSpec& spec, std::size_t e) {
  const std::size_t p = e / spec.c, c = e % spec.c;
  return (words[p * spec.words_per_pixel + c / 64] >> (c % 64)) & 1U;
}

void repack_step(const BufferSpec& in, const BufferSpec& out, const std::uint8_t* src,
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

void maxpool_step(const Step& step, const BufferSpec& in, const BufferSpec& out,
                  const std::uint8_t* src, std::uint8_t* dst) {
  if (in.storage == Storage::Bits) {
    // On bits max is OR and min is AND; channels in min_mask take the AND.
    const auto* from = reinterpret_cast<const std::uint64_t*>(src);
    auto* to = reinterpret_cast<std::uint64_t*>(dst);
    const int wpp = in.words_per_pixel;
    for (int oy = 0; oy < out.h; ++oy) {
      for (int ox = 0; ox < out.w; ++ox) {
        std::uint64_t* o = to + (static_cast<std::size_t>(oy) * out.w + ox) * wpp;
        for (int w = 0; w < wpp; ++w) {
          std::uint64_t any = 0, all = ~std::uint64_t{0};
          for (int ky = 0; ky < step.kernel; ++ky) {
            for (int kx = 0; kx < step.kernel; ++kx) {
              const std::size_t p =
                  static_cast<std::size_t>(oy * step.stride + ky) * in.w + ox * step.stride + kx;
              any |= from[p * wpp + w];
              all &= from[p * wpp + w];
            }
          }
          o[w] = (any & ~step.min_mask[w]) | (all & step.min_mask[w]);
        }
      }
    }
    return;
  }
  const auto* from = reinterpret_cast<const std::int32_t*>(src);
  auto* to = reinterpret_cast<std::int32_t*>(dst);
  for (int oy = 0; oy < out.h; ++oy) {
    for (int ox = 0; ox < out.w; ++ox) {
      for (int c = 0; c < in.c; ++c) {
        const bool take_min = !step.min_channels.empty() && step.min_channels[c] != 0;
        std::int32_t result =
            from[(static_cast<std::size_t>(oy * step.stride) * in.w + ox * step.stride) * in.c + c];
        for (int ky = 0; ky < step.kernel; ++ky) {
          for (int kx = 0; kx < step.kernel; ++kx) {
            const std::int32_t v = from[(static_cast<std::size_t>(oy * step.stride + ky) * in.w +
                                         ox * step.stride + kx) *
                                            in.c +
                                        c];
            result = take_min ? std::min(result, v) : std::max(result, v);
          }
        }
        to[(static_cast<std::size_t>(oy) * out.w + ox) * in.c + c] = result;
      }
    }
  }
}

// A padded copy of a bit image: pad pixels hold pad_value in each of the C channels (bit 1 = +1,
// bit 0 = −1: the 1-bit datapath of FINN-R), and the bits past C stay 0.
const std::uint64_t* pad_bits(const Step& step, const BufferSpec& in, const std::uint8_t* src,
                              std::uint8_t* padded) {
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
  fill_pixels(to, pw * pad);
  for (int y = 0; y < in.h; ++y) {
    std::uint64_t* o = to + (y + pad) * row_words;
    fill_pixels(o, pad);
    std::memcpy(o + pad * wpp, from + static_cast<std::size_t>(y) * in.w * wpp,
                static_cast<std::size_t>(in.w) * wpp * 8);
    fill_pixels(o + (pad + in.w) * wpp, pad);
  }
  fill_pixels(to + (in.h + pad) * row_words, pw * pad);
  return to;
}

// The padded byte image a fixed layer reads its windows from (kernels.h): value + offset, or
// byte_table[pixel] when the layer took in its quantize; pad pixels hold pad_value + offset.
void byte_image(const Step& step, const BufferSpec& in, const std::uint8_t* src,
                std::uint8_t* image) {
  const int pad = step.pad, pw = in.w + 2 * pad, c = in.c;
  const std::size_t row_bytes = static_cast<std::size_t>(pw) * c;
  const auto pad_byte = static_cast<std::uint8_t>(step.pad_value + step.offset);
  std::fill(image, image + row_bytes * pad, pad_byte);
  for (int y = 0; y < in.h; ++y) {
    std::uint8_t* o = image + (y + pad) * row_bytes;
    std::fill(o, o + pad * c, pad_byte);
    std::uint8_t* body = o + pad * c;
    const std::size_t n = static_cast<std::size_t>(in.w) * c, base = y * n;
    if (!step.byte_table.empty()) {
      for (std::size_t e = 0; e < n; ++e) body[e] = step.byte_table[src[base + e]];
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
  std::fill(image + row_bytes * (in.h + pad), image + row_bytes * (in.h + 2 * pad), pad_byte);
}

// Layers worth splitting between a team's members: a split costs a barrier (a few hundred ns),
// which a layer of a handful of panels (LFC's and CNV's last, 10 outputs) does not repay.
constexpr int kMinSplitPanels = 8;

// The largest output of a step before a team's first shared layer that every member makes
// itself on a batch of one (classify_team): LFC's binarized image is 98 bytes.
constexpr std::size_t kMaxReplicatedBytes = 1024;
// The panels member 0 takes beyond its share of that first shared layer (two groups of the
// one-row kernel), for starting first.
constexpr int kLeadPanels = 16;

bool splits(const Step& step) {
  return (step.kind == StepKind::BinaryLayer || step.kind == StepKind::FixedLayer) &&
         step.panels >= kMinSplitPanels;
}

std::pair<int, int> share(int count, int thread, int threads) {
  return {static_cast<int>(static_cast<std::int64_t>(count) * thread / threads),
          static_cast<int>(static_cast<std::int64_t>(count) * (thread + 1) / threads)};
}

// The same with `lead` more for member 0 (fewer when count is small), the rest shared evenly.
std::pair<int, int> share_with_lead(int count, int thread, int threads, int lead) {
  lead = std::min(lead, count / 4);
  auto begin = [&](int t) { return t == 0 ? 0 : lead + share(count - lead, t, threads).first; };
  return {begin(thread), thread + 1 == threads ? count : begin(thread + 1)};
}

}  // namespace

CpuEngine::CpuEngine(const Graph& graph) : CpuEngine(graph, select_isa()) {}

CpuEngine::CpuEngine(const Graph& graph, Isa isa)
    : plan_(compile_cpu_plan(graph)), kernels_(&kernels_for(isa)) {
  bool per_frame = false;
  for (Step& step : plan_.steps) {
    if (step.kind == StepKind::BinaryLayer && kernels_->prepare_binary != nullptr) {
      kernels_->prepare_binary(step.bin_panels.data(), step.panels, step.k, step.prepared);
    }
  }
  for (const Step& step : plan_.steps) {
    const BufferSpec& in = plan_.buffers[step.in];
    // A 1×1 conv reads its input in place, but one frame at a time.
    if (step.kind == StepKind::BinaryLayer && step.direct && pixels(in) > 1) per_frame = true;
    const std::size_t padded_pixels =
        static_cast<std::size_t>(in.h + 2 * step.pad) * (in.w + 2 * step.pad);
    if (step.kind == StepKind::BinaryLayer && !step.direct) {
      per_frame = true;
      if (step.pad > 0) {
        padded_bytes_ = std::max(padded_bytes_, padded_pixels * in.words_per_pixel * 8);
      }
    }
    if (step.kind == StepKind::FixedLayer) {
      // The last group of a window row may read up to 3 bytes past the image: weight 0.
      per_frame = true;
      padded_bytes_ = std::max(padded_bytes_, padded_pixels * in.c + 64);
    }
  }
  tile_ = per_frame ? 1 : kDenseTile;
  // The steps that read the input (uint8 pixels) read it in place, at the caller's stride, when
  // they all read it byte by byte: no copy of a tile's images (LFC: 200 KB per tile of 256, a
  // twentieth of the tile's time, and a member of a team then read the other's copy).
  input_in_place_ = plan_.buffers[plan_.input_buffer].storage == Storage::U8;
  for (const Step& step : plan_.steps) {
    const bool reads_input =
        root_buffer(step.in) == plan_.input_buffer || root_buffer(step.in2) == plan_.input_buffer;
    const bool bytewise = step.kind == StepKind::Threshold || step.kind == StepKind::Quantize ||
                          step.kind == StepKind::FixedLayer;
    if (reads_input && (!bytewise || root_buffer(step.in2) == plan_.input_buffer)) {
      input_in_place_ = false;
    }
  }
  for (const Step& step : plan_.steps) {
    weight_bytes_ +=
        step.prepared.tiles.empty() ? step.bin_panels.size() * 8 : step.prepared.tiles.size();
    weight_bytes_ += step.fixed_panels.size();
  }
}

Workspace CpuEngine::make_workspace() const {
  Workspace ws;
  std::vector<std::size_t> offsets(plan_.buffers.size(), 0);
  std::size_t total = 0;
  for (std::size_t b = 0; b < plan_.buffers.size(); ++b) {
    if (plan_.buffers[b].alias_of >= 0) continue;
    offsets[b] = total;
    total += plan_.buffers[b].frame_bytes * tile_;
  }
  const std::size_t padded_offset = total;
  total += (padded_bytes_ + 63) / 64 * 64;
  ws.storage.assign(total + 64, 0);
  std::uint8_t* base = ws.storage.data();
  base += (64 - reinterpret_cast<std::uintptr_t>(base) % 64) % 64;
  ws.buffers.resize(plan_.buffers.size());
  for (std::size_t b = 0; b < plan_.buffers.size(); ++b) {
    const int alias = plan_.buffers[b].alias_of;
    ws.buffers[b] = base + offsets[alias >= 0 ? static_cast<std::size_t>(alias) : b];
  }
  ws.padded = base + padded_offset;
  return ws;
}

// Runs one step on frames [first, first + n); with threads > 1, this is member `thread` of a
// team and does its share of the layer's rows (the other steps run on one member).
void CpuEngine::run_step(const Step& step, int first, int n, Workspace& ws, Classification* results,
                         int thread, int threads, Team* team, int lead) const {
  const BufferSpec& in = plan_.buffers[step.in];
  const BufferSpec& out = plan_.buffers[step.out];
  // The network's input is read in place from the caller's images when the call gave them.
  const bool caller_input = ws.input != nullptr && root_buffer(step.in) == plan_.input_buffer;
  const std::size_t in_stride = caller_input ? plan_.input_size : in.frame_bytes;
  const std::uint8_t* src = (caller_input ? ws.input : ws.buffers[step.in]) + first * in_stride;
  std::uint8_t* dst = ws.buffers[step.out] + first * out.frame_bytes;
  results += first;
  const bool gemm = step.kind == StepKind::BinaryLayer || step.kind == StepKind::FixedLayer;
  if (!gemm && thread != 0) return;
  switch (step.kind) {
    case StepKind::Quantize:
      for (int f = 0; f < n; ++f) {
        const std::uint8_t* from = src + f * in_stride;
        auto* to = reinterpret_cast<std::int32_t*>(dst + f * out.frame_bytes);
        for (std::size_t e = 0; e < pixels(in) * in.c; ++e) to[e] = step.table[from[e]];
      }
      return;
    case StepKind::Threshold:
      if (in.storage == Storage::U8) {
        ThresholdBytesArgs g;
        g.n = in.c;
        g.t8 = step.t8.data();
        g.never = step.never_words.data();
        g.neg = step.neg_words.data();
        for (int f = 0; f < n; ++f) {
          for (std::size_t p = 0; p < pixels(in); ++p) {
            g.src = src + f * in_stride + p * in.c;
            g.dst = reinterpret_cast<std::uint64_t*>(dst + f * out.frame_bytes) +
                    p * out.words_per_pixel;
            kernels_->threshold_bytes(g);
          }
        }
        return;
      }
      for (int f = 0; f < n; ++f) {
        threshold_step(step, in, out, src + f * in_stride, dst + f * out.frame_bytes);
      }
      return;
    case StepKind::Repack:
      for (int f = 0; f < n; ++f) {
        repack_step(in, out, src + f * in_stride, dst + f * out.frame_bytes);
      }
      return;
    case StepKind::MaxPool:
      for (int f = 0; f < n; ++f) {
        maxpool_step(step, in, out, src + f * in_stride, dst + f * out.frame_bytes);
      }
      return;
    case StepKind::Add:
      for (int f = 0; f < n; ++f) {
        const auto* a = reinterpret_cast<const std::int32_t*>(src + f * in_stride);
        const auto* b = reinterpret_cast<const std::int32_t*>(
            ws.buffers[step.in2] + (first + f) * plan_.buffers[step.in2].frame_bytes);
        auto* to = reinterpret_cast<std::int32_t*>(dst + f * out.frame_bytes);
        for (std::size_t e = 0; e < pixels(in) * in.c; ++e) to[e] = a[e] + b[e];
      }
      return;
    case StepKind::Label:
      for (int f = 0; f < n; ++f) {
        const auto* scores = reinterpret_cast<const std::int32_t*>(src + f * in_stride);
        Classification& result = results[f];
        result.scores.resize(static_cast<std::size_t>(in.c));
        int best = 0;
        for (int c = 0; c < in.c; ++c) {
          result.scores[c] = scores[c] + (step.bias.empty() ? 0 : step.bias[c]);
          if (result.scores[c] > result.scores[best]) best = c;  // ties to the lowest index
        }
        result.label = best;
      }
      return;
    case StepKind::BinaryLayer: {
      BinaryGemmArgs g;
      g.k = step.k;
      g.panels = step.bin_panels.data();
      if (kernels_->prepare_binary != nullptr) g.prepared = &step.prepared;
      std::tie(g.panel_begin, g.panel_end) = share_with_lead(step.panels, thread, threads, lead);
      g.rows = step.rows;
      g.cols = step.cols;
      if (step.fused) {
        g.dmax = step.dmax.data();
        g.neg = step.neg8.data();
      }
      if (step.direct) {
        g.a = reinterpret_cast<const std::uint64_t*>(src);
        g.lda = in_stride / 8;
        g.m = n * static_cast<int>(pixels(in));
        if (pixels(in) > 1) g.lda = static_cast<std::size_t>(in.words_per_pixel);
        BNNC_ASSERT(pixels(in) == 1 || n == 1, "1x1 conv on a tile");
        g.out_bits = step.fused ? dst : nullptr;
        g.ldo = pixels(out) > 1 ? out.words_per_pixel * 8 : out.frame_bytes;
        g.out_counts = step.fused ? nullptr : reinterpret_cast<std::int32_t*>(dst);
        g.ldc = pixels(out) > 1 ? static_cast<std::size_t>(out.c) : out.frame_bytes / 4;
        kernels_->binary_gemm(g);
        return;
      }
      // A padded image is written by member 0 and read by all; without padding the windows are
      // read from the input itself.
      g.row_offsets = step.row_offsets.data();
      g.col_offsets = step.col_offsets.data();
      g.m = static_cast<int>(pixels(out));
      for (int f = 0; f < n; ++f) {
        const std::uint8_t* frame = src + f * in_stride;
        const std::uint64_t* image = reinterpret_cast<const std::uint64_t*>(frame);
        if (step.pad > 0) {
          if (thread == 0) pad_bits(step, in, frame, ws.padded);
          if (team != nullptr) team->barrier(thread);
          image = reinterpret_cast<const std::uint64_t*>(ws.padded);
        }
        g.a = image;
        g.out_bits = step.fused ? dst + f * out.frame_bytes : nullptr;
        g.ldo = static_cast<std::size_t>(out.words_per_pixel) * 8;
        g.out_counts =
            step.fused ? nullptr : reinterpret_cast<std::int32_t*>(dst + f * out.frame_bytes);
        g.ldc = static_cast<std::size_t>(out.c);
        kernels_->binary_gemm(g);
        if (step.zero_padded && step.fused) {
          zero_pad_border_bits(step.zero_pad, g, kernels_->binary_gemm);
        } else if (step.zero_padded) {
          zero_pad_counts_to_dot(step.zero_pad, g.m, g.panel_begin * 8,
                                 std::min(g.panel_end * 8, step.rows), g.out_counts, g.ldc);
        }
        if (team != nullptr && step.pad > 0 && f + 1 < n) team->barrier(thread);
      }
      return;
    }
    case StepKind::FixedLayer: {
      FixedGemmArgs g;
      g.k4 = step.k;
      g.panels = step.fixed_panels.data();
      std::tie(g.panel_begin, g.panel_end) = share(step.panels, thread, threads);
      g.rows = step.rows;
      g.correction = step.correction.data();
      if (step.fused) {
        g.amin = step.amin.data();
        g.neg = step.neg16.data();
      }
      g.row_offsets = step.row_offsets.data();
      g.col_offsets = step.col_offsets.data();
      g.m = static_cast<int>(pixels(out));
      for (int f = 0; f < n; ++f) {
        if (thread == 0) byte_image(step, in, src + f * in_stride, ws.padded);
        if (team != nullptr) team->barrier(thread);
        g.a = ws.padded;
        g.out_bits = step.fused ? dst + f * out.frame_bytes : nullptr;
        g.ldo = static_cast<std::size_t>(out.words_per_pixel) * 8;
        g.out_counts =
            step.fused ? nullptr : reinterpret_cast<std::int32_t*>(dst + f * out.frame_bytes);
        g.ldc = static_cast<std::size_t>(out.c);
        kernels_->fixed_gemm(g);
        if (team != nullptr && f + 1 < n) team->barrier(thread);
      }
      return;
    }
  }
}

int CpuEngine::root_buffer(int buffer) const {
  return buffer >= 0 && plan_.buffers[buffer].alias_of >= 0 ? plan_.buffers[buffer].alias_of
                                                            : buffer;
}

void CpuEngine::load_inputs(const std::uint8_t* images, int n, Workspace& ws) const {
  if (input_in_place_) {
    ws.input = images;
    return;
  }
  ws.input = nullptr;
  const std::size_t frame = plan_.buffers[plan_.input_buffer].frame_bytes;
  for (int f = 0; f < n; ++f) {
    std::memcpy(ws.buffers[plan_.input_buffer] + f * frame, images + f * plan_.input_size,
                plan_.input_size);
  }
}

void CpuEngine::classify(const std::uint8_t* images, int n, Classification* results,
                         int threads) const {
  Team team(threads);
  std::vector<Workspace> workspaces;
  classify(images, n, results, team, workspaces);
}

void CpuEngine::classify(const std::uint8_t* images, int n, Classification* results, Team& team,
                         std::vector<Workspace>& workspaces) const {
  const int threads = team.size();
  while (static_cast<int>(workspaces.size()) < threads) workspaces.push_back(make_workspace());
  // A network whose weights would crowd each core's L2 (LFC's 3 MB of AMX bytes in 2 MB) runs
  // its tiles with the threads as one team, each member keeping its share of every layer's
  // rows: its part of the weights then stays in its own L2 from tile to tile.
  if (threads > 1 && tile_ > 1 && weight_bytes_ > kL2Share * threads && n > tile_ / 2) {
    for (int begin = 0; begin < n; begin += tile_) {
      classify_team(images + static_cast<std::size_t>(begin) * plan_.input_size,
                    std::min(tile_, n - begin), results + begin, team, workspaces[0]);
    }
    return;
  }
  // Otherwise each member takes whole tiles; smaller tiles when the batch would otherwise leave
  // a member without one.
  const int tile = std::clamp(ceil_div(n, threads), 1, tile_);
  const int tiles = ceil_div(n, tile);
  std::atomic<int> next{0};
  std::mutex mutex;
  std::exception_ptr failure;
  team.run([&](int member) {
    try {
      Workspace& ws = workspaces[static_cast<std::size_t>(member)];
      for (;;) {
        const int t = next.fetch_add(1);
        if (t >= tiles) break;
        const int begin = t * tile, count = std::min(tile, n - begin);
        load_inputs(images + static_cast<std::size_t>(begin) * plan_.input_size, count, ws);
        for (const Step& step : plan_.steps)
          run_step(step, 0, count, ws, results + begin, 0, 1, nullptr);
      }
    } catch (...) {
      const std::lock_guard<std::mutex> lock(mutex);
      if (!failure) failure = std::current_exception();
    }
  });
  if (failure) std::rethrow_exception(failure);
}

void CpuEngine::classify_team(const std::uint8_t* images, int n, Classification* results,
                              Team& team, Workspace& ws) const {
  BNNC_ASSERT(n <= tile_, "{} frames for a tile of {}", n, tile_);
  load_inputs(images, n, ws);
  // One frame is the batch-1 latency path, where a member that lost its core would hold up
  // every barrier: the team then runs it alone (team.h).
  const Team::Pace pace = n == 1 ? Team::Pace::Short : Team::Pace::Long;
  const int members = team.claim_members(pace);
  // How the members share each step: a layer's rows (panels), the tile's frames (steps that
  // read and write frame by frame in place, when there is a frame for every member), or member
  // 0 alone. A member must not read what another is still writing, so a barrier goes between
  // two steps unless both share by the same frames or both run on member 0.
  enum class Share { Alone, Panels, Frames };
  auto share_of = [&](const Step& step) {
    if (members == 1) return Share::Alone;
    if (splits(step)) return Share::Panels;
    const bool in_place =
        step.kind != StepKind::FixedLayer && !(step.kind == StepKind::BinaryLayer && !step.direct);
    return in_place && n >= members ? Share::Frames : Share::Alone;
  };
  // The steps member 0 would run alone before the first shared step and after the last (LFC's
  // binarize, and its fc3 and label) run outside the shared part: the team's start and end are
  // then the waits that order them, which saves two barriers (~0.17 µs each across cores here)
  // per call.
  const std::size_t steps = plan_.steps.size();
  std::size_t first = 0, last = steps;
  while (first < steps && share_of(plan_.steps[first]) == Share::Alone) ++first;
  while (last > first && share_of(plan_.steps[last - 1]) == Share::Alone) --last;
  // On one frame every member runs those first steps itself, into its own copy of their output:
  // they take less time (LFC's binarize, ~0.03 µs) than a helper would wait for the caller's
  // output to cross from its core (~0.15 µs here), and the team starts before them.
  // Only where every member reads that output (a fully connected layer's input, not a conv's
  // image, which member 0 pads or spreads alone) and it is small, so that making it is quick.
  bool replicate = n == 1 && members > 1 && first > 0 && first < last &&
                   plan_.steps[first].kind == StepKind::BinaryLayer && plan_.steps[first].direct;
  for (std::size_t s = 0; s < first && replicate; ++s) {
    replicate = plan_.buffers[plan_.steps[s].out].frame_bytes <= kMaxReplicatedBytes;
  }
  if (replicate) prepare_members(ws, first, members);
  auto prologue = [&](int thread) {
    Workspace& own = thread == 0 ? ws : ws.members[static_cast<std::size_t>(thread - 1)];
    own.input = ws.input;
    for (std::size_t s = 0; s < first; ++s)
      run_step(plan_.steps[s], 0, n, own, results, 0, 1, nullptr);
  };
  if (!replicate) prologue(0);
  // What a member reads after a wait: the step's input, of which the other members wrote part.
  auto input_of = [&](const Step& step, const Workspace& seen) {
    return Watch{seen.buffers[step.in], plan_.buffers[step.in].frame_bytes * n};
  };
  if (first < last) {
    team.run(
        [&](int thread) {
          if (replicate) prologue(thread);
          Workspace& own =
              replicate && thread > 0 ? ws.members[static_cast<std::size_t>(thread - 1)] : ws;
          for (std::size_t s = first; s < last; ++s) {
            const Step& step = plan_.steps[s];
            const Share now = share_of(step);
            if (s > first) {
              const Share before = share_of(plan_.steps[s - 1]);
              if (now == Share::Panels || now != before) team.barrier(thread, input_of(step, own));
            }
            if (now == Share::Panels) {
              // Member 1 learns of the job one line transfer after member 0 (~0.15 µs, some
              // 20 of fc0's panels): on one frame member 0 takes more of the first layer.
              const int lead = replicate && s == first ? kLeadPanels : 0;
              run_step(step, 0, n, own, results, thread, members, &team, lead);
            } else if (now == Share::Frames) {
              const auto [begin, end] = share(n, thread, members);
              run_step(step, begin, end - begin, own, results, 0, 1, nullptr);
            } else if (thread == 0) {
              run_step(step, 0, n, own, results, 0, 1, nullptr);
            }
          }
        },
        last < steps ? input_of(plan_.steps[last], ws) : Watch{}, pace);
  }
  for (std::size_t s = last; s < steps; ++s)
    run_step(plan_.steps[s], 0, n, ws, results, 0, 1, nullptr);
}

void CpuEngine::prepare_members(Workspace& ws, std::size_t first, int members) const {
  if (ws.members.size() + 1 >= static_cast<std::size_t>(members)) return;
  std::vector<bool> own(plan_.buffers.size(), false);
  for (std::size_t s = 0; s < first; ++s) own[root_buffer(plan_.steps[s].out)] = true;
  while (ws.members.size() + 1 < static_cast<std::size_t>(members)) {
    Workspace view;
    view.buffers = ws.buffers;
    view.padded = ws.padded;
    std::vector<std::size_t> offsets(plan_.buffers.size(), 0);
    std::size_t total = 0;
    for (std::size_t b = 0; b < plan_.buffers.size(); ++b) {
      if (!own[b] || plan_.buffers[b].alias_of >= 0) continue;
      offsets[b] = total;
      total += (plan_.buffers[b].frame_bytes + 63) / 64 * 64;
    }
    view.storage.assign(total + 64, 0);
    std::uint8_t* base = view.storage.data();
    base += (64 - reinterpret_cast<std::uintptr_t>(base) % 64) % 64;
    for (std::size_t b = 0; b < plan_.buffers.size(); ++b) {
      if (own[static_cast<std::size_t>(root_buffer(static_cast<int>(b)))]) {
        view.buffers[b] =
            base + offsets[static_cast<std::size_t>(root_buffer(static_cast<int>(b)))];
      }
    }
    ws.members.push_back(std::move(view));
  }
}

void CpuEngine::classify_timed(const std::uint8_t* images, int n, Classification* results,
                               Workspace& ws, std::vector<double>& step_seconds) const {
  BNNC_ASSERT(n <= tile_, "{} frames for a tile of {}", n, tile_);
  step_seconds.resize(plan_.steps.size(), 0.0);
  load_inputs(images, n, ws);
  for (std::size_t s = 0; s < plan_.steps.size(); ++s) {
    const auto start = std::chrono::steady_clock::now();
    run_step(plan_.steps[s], 0, n, ws, results, 0, 1, nullptr);
    step_seconds[s] +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
}

}  // namespace bnnc::runtime
