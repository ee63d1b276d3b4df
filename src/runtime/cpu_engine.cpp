#include "runtime/cpu_engine.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>

#include "core/error.h"

namespace bnnc::runtime {

namespace {

constexpr int kDenseTile = 64;

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
  const int wpp = in.words_per_pixel, ph = in.h + 2 * step.pad, pw = in.w + 2 * step.pad;
  std::vector<std::uint64_t> fill(static_cast<std::size_t>(wpp), 0);
  if (step.pad_value != 0) {
    for (int c = 0; c < in.c; ++c) fill[c / 64] |= std::uint64_t{1} << (c % 64);
  }
  for (int y = 0; y < ph; ++y) {
    for (int x = 0; x < pw; ++x) {
      std::uint64_t* o = to + (static_cast<std::size_t>(y) * pw + x) * wpp;
      const int iy = y - step.pad, ix = x - step.pad;
      if (iy < 0 || iy >= in.h || ix < 0 || ix >= in.w) {
        std::copy(fill.begin(), fill.end(), o);
      } else {
        std::copy_n(from + (static_cast<std::size_t>(iy) * in.w + ix) * wpp, wpp, o);
      }
    }
  }
  return to;
}

// Implicit im2col on bits: each output pixel's window, tap after tap, each tap's words whole.
void im2col_bits(const Step& step, const BufferSpec& in, const BufferSpec& out,
                 const std::uint64_t* image, std::uint64_t* rows) {
  const int wpp = in.words_per_pixel, pw = in.w + 2 * step.pad;
  for (int oy = 0; oy < out.h; ++oy) {
    for (int ox = 0; ox < out.w; ++ox) {
      std::uint64_t* row = rows + (static_cast<std::size_t>(oy) * out.w + ox) * step.k;
      for (int ky = 0; ky < step.kernel; ++ky) {
        for (int kx = 0; kx < step.kernel; ++kx) {
          const std::size_t p =
              static_cast<std::size_t>(oy * step.stride + ky) * pw + ox * step.stride + kx;
          std::copy_n(image + p * wpp, wpp, row);
          row += wpp;
        }
      }
    }
  }
}

// im2col of a fixed-point (or uint8) input into bytes value + offset, columns in (ky, kx, c)
// order, padded with zero bytes (whose weights are 0) to 4·K4. The image is first turned into
// padded bytes once, so that each window row (K pixels × C channels) is one contiguous copy.
void im2col_bytes(const Step& step, const BufferSpec& in, const BufferSpec& out,
                  const std::uint8_t* src, std::uint8_t* padded, std::uint8_t* rows) {
  const auto* ints = reinterpret_cast<const std::int32_t*>(src);
  const int ph = in.h + 2 * step.pad, pw = in.w + 2 * step.pad;
  const auto pad_byte = static_cast<std::uint8_t>(step.pad_value + step.offset);
  for (int y = 0; y < ph; ++y) {
    for (int x = 0; x < pw; ++x) {
      std::uint8_t* o = padded + (static_cast<std::size_t>(y) * pw + x) * in.c;
      const int iy = y - step.pad, ix = x - step.pad;
      if (iy < 0 || iy >= in.h || ix < 0 || ix >= in.w) {
        std::fill(o, o + in.c, pad_byte);
        continue;
      }
      const std::size_t base = (static_cast<std::size_t>(iy) * in.w + ix) * in.c;
      for (int c = 0; c < in.c; ++c) {
        const std::int64_t v = in.storage == Storage::U8 ? src[base + c] : ints[base + c];
        o[c] = static_cast<std::uint8_t>(v + step.offset);
      }
    }
  }
  const std::size_t row_bytes = static_cast<std::size_t>(step.k) * 4;
  const std::size_t span = static_cast<std::size_t>(step.kernel) * in.c;
  for (int oy = 0; oy < out.h; ++oy) {
    for (int ox = 0; ox < out.w; ++ox) {
      std::uint8_t* row = rows + (static_cast<std::size_t>(oy) * out.w + ox) * row_bytes;
      for (int ky = 0; ky < step.kernel; ++ky) {
        const std::uint8_t* from =
            padded +
            (static_cast<std::size_t>(oy * step.stride + ky) * pw + ox * step.stride) * in.c;
        std::memcpy(row + ky * span, from, span);
      }
      std::fill(row + step.kernel * span, row + row_bytes, 0);
    }
  }
}

std::pair<int, int> share(int count, int thread, int threads) {
  return {static_cast<int>(static_cast<std::int64_t>(count) * thread / threads),
          static_cast<int>(static_cast<std::int64_t>(count) * (thread + 1) / threads)};
}

}  // namespace

CpuEngine::CpuEngine(const Graph& graph) : CpuEngine(graph, select_isa()) {}

CpuEngine::CpuEngine(const Graph& graph, Isa isa)
    : plan_(compile_cpu_plan(graph)), kernels_(&kernels_for(isa)) {
  bool per_frame = false;
  for (const Step& step : plan_.steps) {
    const BufferSpec& in = plan_.buffers[step.in];
    const BufferSpec& out = plan_.buffers[step.out];
    // A 1×1 conv reads its input in place, but one frame at a time.
    if (step.kind == StepKind::BinaryLayer && step.direct && pixels(in) > 1) per_frame = true;
    if (step.kind == StepKind::BinaryLayer && !step.direct) {
      per_frame = true;
      scratch_bytes_ = std::max(scratch_bytes_, pixels(out) * step.k * 8);
      padded_bytes_ = std::max(padded_bytes_, static_cast<std::size_t>(in.h + 2 * step.pad) *
                                                  (in.w + 2 * step.pad) * in.words_per_pixel * 8);
    }
    if (step.kind == StepKind::FixedLayer) {
      per_frame = true;
      scratch_bytes_ = std::max(scratch_bytes_, pixels(out) * step.k * 4);
      padded_bytes_ = std::max(padded_bytes_, static_cast<std::size_t>(in.h + 2 * step.pad) *
                                                  (in.w + 2 * step.pad) * in.c);
    }
  }
  tile_ = per_frame ? 1 : kDenseTile;
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
  const std::size_t scratch_offset = total;
  total += (scratch_bytes_ + 63) / 64 * 64;
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
  ws.scratch = base + scratch_offset;
  ws.padded = base + padded_offset;
  return ws;
}

// Runs one step on n frames; with threads > 1, this is member `thread` of a team and does its
// share of the layer's rows (the other steps run on member 0).
void CpuEngine::run_step(const Step& step, int n, Workspace& ws, GoldenResult* results, int thread,
                         int threads, Team* team) const {
  const BufferSpec& in = plan_.buffers[step.in];
  const BufferSpec& out = plan_.buffers[step.out];
  std::uint8_t* src = ws.buffers[step.in];
  std::uint8_t* dst = ws.buffers[step.out];
  const bool gemm = step.kind == StepKind::BinaryLayer || step.kind == StepKind::FixedLayer;
  if (!gemm && thread != 0) return;
  switch (step.kind) {
    case StepKind::Quantize:
      for (int f = 0; f < n; ++f) {
        const std::uint8_t* from = src + f * in.frame_bytes;
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
            g.src = src + f * in.frame_bytes + p * in.c;
            g.dst = reinterpret_cast<std::uint64_t*>(dst + f * out.frame_bytes) +
                    p * out.words_per_pixel;
            kernels_->threshold_bytes(g);
          }
        }
        return;
      }
      for (int f = 0; f < n; ++f) {
        threshold_step(step, in, out, src + f * in.frame_bytes, dst + f * out.frame_bytes);
      }
      return;
    case StepKind::Repack:
      for (int f = 0; f < n; ++f) {
        repack_step(in, out, src + f * in.frame_bytes, dst + f * out.frame_bytes);
      }
      return;
    case StepKind::MaxPool:
      for (int f = 0; f < n; ++f) {
        maxpool_step(step, in, out, src + f * in.frame_bytes, dst + f * out.frame_bytes);
      }
      return;
    case StepKind::Add:
      for (int f = 0; f < n; ++f) {
        const auto* a = reinterpret_cast<const std::int32_t*>(src + f * in.frame_bytes);
        const auto* b = reinterpret_cast<const std::int32_t*>(
            ws.buffers[step.in2] + f * plan_.buffers[step.in2].frame_bytes);
        auto* to = reinterpret_cast<std::int32_t*>(dst + f * out.frame_bytes);
        for (std::size_t e = 0; e < pixels(in) * in.c; ++e) to[e] = a[e] + b[e];
      }
      return;
    case StepKind::Label:
      for (int f = 0; f < n; ++f) {
        const auto* scores = reinterpret_cast<const std::int32_t*>(src + f * in.frame_bytes);
        GoldenResult& result = results[f];
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
      std::tie(g.panel_begin, g.panel_end) = share(step.panels, thread, threads);
      g.rows = step.rows;
      g.cols = step.cols;
      if (step.fused) {
        g.dmax = step.dmax.data();
        g.neg = step.neg8.data();
      }
      if (step.direct) {
        g.a = reinterpret_cast<const std::uint64_t*>(src);
        g.lda = in.frame_bytes / 8;
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
      for (int f = 0; f < n; ++f) {
        if (thread == 0) {
          const std::uint64_t* image = pad_bits(step, in, src + f * in.frame_bytes, ws.padded);
          im2col_bits(step, in, out, image, reinterpret_cast<std::uint64_t*>(ws.scratch));
        }
        if (team != nullptr) team->barrier();
        g.a = reinterpret_cast<const std::uint64_t*>(ws.scratch);
        g.lda = static_cast<std::size_t>(step.k);
        g.m = static_cast<int>(pixels(out));
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
        if (team != nullptr && f + 1 < n) team->barrier();
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
      for (int f = 0; f < n; ++f) {
        if (thread == 0) {
          im2col_bytes(step, in, out, src + f * in.frame_bytes, ws.padded, ws.scratch);
        }
        if (team != nullptr) team->barrier();
        g.a = ws.scratch;
        g.lda = static_cast<std::size_t>(step.k) * 4;
        g.m = static_cast<int>(pixels(out));
        g.out_bits = step.fused ? dst + f * out.frame_bytes : nullptr;
        g.ldo = static_cast<std::size_t>(out.words_per_pixel) * 8;
        g.out_counts =
            step.fused ? nullptr : reinterpret_cast<std::int32_t*>(dst + f * out.frame_bytes);
        g.ldc = static_cast<std::size_t>(out.c);
        kernels_->fixed_gemm(g);
        if (team != nullptr && f + 1 < n) team->barrier();
      }
      return;
    }
  }
}

void CpuEngine::load_inputs(const std::uint8_t* images, int n, Workspace& ws) const {
  const std::size_t frame = plan_.buffers[plan_.input_buffer].frame_bytes;
  for (int f = 0; f < n; ++f) {
    std::memcpy(ws.buffers[plan_.input_buffer] + f * frame, images + f * plan_.input_size,
                plan_.input_size);
  }
}

void CpuEngine::classify(const std::uint8_t* images, int n, GoldenResult* results,
                         int threads) const {
  const int tiles = (n + tile_ - 1) / tile_;
  threads = std::clamp(threads, 1, std::max(1, tiles));
  std::atomic<int> next{0};
  std::mutex mutex;
  std::exception_ptr failure;
  auto worker = [&] {
    try {
      Workspace ws = make_workspace();
      for (;;) {
        const int t = next.fetch_add(1);
        if (t >= tiles) break;
        const int begin = t * tile_, count = std::min(tile_, n - begin);
        load_inputs(images + static_cast<std::size_t>(begin) * plan_.input_size, count, ws);
        for (const Step& step : plan_.steps)
          run_step(step, count, ws, results + begin, 0, 1, nullptr);
      }
    } catch (...) {
      const std::lock_guard<std::mutex> lock(mutex);
      if (!failure) failure = std::current_exception();
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& thread : pool) thread.join();
  if (failure) std::rethrow_exception(failure);
}

void CpuEngine::classify_team(const std::uint8_t* images, int n, GoldenResult* results, Team& team,
                              Workspace& ws) const {
  BNNC_ASSERT(n <= tile_, "{} frames for a tile of {}", n, tile_);
  load_inputs(images, n, ws);
  team.run([&](int thread) {
    for (std::size_t s = 0; s < plan_.steps.size(); ++s) {
      run_step(plan_.steps[s], n, ws, results, thread, team.size(), &team);
      if (s + 1 < plan_.steps.size()) team.barrier();
    }
  });
}

void CpuEngine::classify_timed(const std::uint8_t* images, int n, GoldenResult* results,
                               Workspace& ws, std::vector<double>& step_seconds) const {
  BNNC_ASSERT(n <= tile_, "{} frames for a tile of {}", n, tile_);
  step_seconds.resize(plan_.steps.size(), 0.0);
  load_inputs(images, n, ws);
  for (std::size_t s = 0; s < plan_.steps.size(); ++s) {
    const auto start = std::chrono::steady_clock::now();
    run_step(plan_.steps[s], n, ws, results, 0, 1, nullptr);
    step_seconds[s] +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
}

}  // namespace bnnc::runtime
