#include "runtime/cpu_engine.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>
#include <type_traits>
#include <variant>

#include "core/ceil_div.h"
#include "core/error.h"
#include "runtime/plain_steps.h"
#include "runtime/skip_equal_windows.h"

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

// Frames per tile of a network with convs whose dense layers at the end have more weights than
// fit a core's L2 with the rest (CpuEngineOptions; AlexNet 9 MB, VGG-16 15 MB): the convs run frame
// by frame, the dense tail on the whole tile, so that its weights are read once per tile instead of
// once per frame (AlexNet's fc1 at 0.4–0.8 of the peak frame by frame on Zen 3, by how much of
// its 6.4 MB the other work on the machine left in L3). 16 frames make a dense layer's weight
// stream a few per cent of its compute; the tile's activations stay small (the convs' buffers hold
// one frame).
constexpr int kDenseTailTile = 16;

std::size_t pixels(const BufferSpec& spec) { return static_cast<std::size_t>(spec.h) * spec.w; }

// Layers worth splitting between a team's members: a split costs a barrier (a few hundred ns),
// which a layer of a handful of panels (LFC's and CNV's last, 10 outputs) does not repay.
constexpr int kMinSplitPanels = 8;

// The largest output of a step before a team's first shared layer that every member makes
// itself on a batch of one (classify_team): LFC's binarized image is 98 bytes.
constexpr std::size_t kMaxReplicatedBytes = 1024;
// The panels member 0 takes beyond its share of that first shared layer (one group of the
// one-row layout, kernels.h), for starting first.
constexpr int kLeadPanels = 16;

bool splits(const Step& step) {
  const auto* layer = std::get_if<BinaryLayerStep>(&step);
  if (layer != nullptr) return layer->panel_count >= kMinSplitPanels;
  const auto* fixed = std::get_if<FixedLayerStep>(&step);
  return fixed != nullptr && fixed->panel_count >= kMinSplitPanels;
}

std::pair<int, int> share(int count, int thread, int threads) {
  return {static_cast<int>(static_cast<std::int64_t>(count) * thread / threads),
          static_cast<int>(static_cast<std::int64_t>(count) * (thread + 1) / threads)};
}

// A conv shared by output rows (CpuEngine::Share::Rows) needs this many of them per member: each
// member reads all of the layer's weights, which pays on a large image with few weights (CNV's
// conv0–conv3: 30 to 10 rows, 0.2–37 KB), not on a small one (conv4: 3 rows, 73 KB, by panels).
constexpr int kMinRowsPerMember = 4;

// The output pixels [begin, end) of member `thread`'s share of an image's rows.
std::pair<int, int> row_share(const BufferSpec& out, int thread, int threads) {
  const auto [begin, end] = share(out.h, thread, threads);
  return {begin * out.w, end * out.w};
}

// The same with `lead` more for member 0 (fewer when count is small), the rest shared evenly.
std::pair<int, int> share_with_lead(int count, int thread, int threads, int lead) {
  lead = std::min(lead, count / 4);
  auto begin = [&](int t) { return t == 0 ? 0 : lead + share(count - lead, t, threads).first; };
  return {begin(thread), thread + 1 == threads ? count : begin(thread + 1)};
}

// The rows [begin, end) of a conv's padded input image that member `thread`'s share of its
// output rows reads.
std::pair<int, int> padded_rows(const LayerStep& step, const BufferSpec& out, int thread,
                                int threads) {
  const auto [begin, end] = share(out.h, thread, threads);
  return {begin * step.stride, (end - 1) * step.stride + step.kernel};
}

// Frames [first, first + n) of a step's buffers in a workspace.
struct Frames {
  const BufferSpec& in;
  const BufferSpec& out;
  const std::uint8_t* src;  // frame 0 of these
  std::size_t in_stride;    // bytes between input frames (the caller's images when read in place)
  std::uint8_t* dst;
  int first, n;
};

// What a step runs with besides its frames: the kernels, the workspace (a conv's padded image, a
// second input), where the labels go, and the member's part in a layer (the other steps run on
// member 0 alone).
struct StepContext {
  const KernelTable& kernels;
  const CpuPlan& plan;
  Workspace& ws;
  Classification* results;  // of frame `first`
  int thread = 0, threads = 1;
  Team* team = nullptr;
  int lead = 0;          // panels member 0 takes beyond its share
  bool by_rows = false;  // the member's share is of the output image's rows, not of the panels
};

// The padded image member c.thread writes: its own one when it shares a conv by rows.
std::uint8_t* padded_of(const StepContext& c) {
  if (!c.by_rows || c.thread == 0) return c.ws.padded;
  BNNC_ASSERT(c.ws.row_padded != nullptr, "no padded image for member {}", c.thread);
  return c.ws.row_padded + static_cast<std::size_t>(c.thread - 1) * c.ws.row_padded_stride;
}

void run(const QuantizeStep& step, const Frames& f, const StepContext&) {
  for (int i = 0; i < f.n; ++i) {
    quantize_frame(step, f.in, f.src + i * f.in_stride, f.dst + i * f.out.frame_bytes);
  }
}

void run(const ThresholdStep& step, const Frames& f, const StepContext& c) {
  if (f.in.storage == Storage::U8) {
    ThresholdBytesArgs g;
    g.n = f.in.c;
    g.t8 = step.byte_thresholds.data();
    g.never = step.never_fire_words.data();
    g.neg = step.negate_words.data();
    for (int i = 0; i < f.n; ++i) {
      for (std::size_t p = 0; p < pixels(f.in); ++p) {
        g.src = f.src + i * f.in_stride + p * f.in.c;
        g.dst = reinterpret_cast<std::uint64_t*>(f.dst + i * f.out.frame_bytes) +
                p * f.out.words_per_pixel;
        c.kernels.threshold_bytes(g);
      }
    }
    return;
  }
  for (int i = 0; i < f.n; ++i) {
    threshold_frame(step, f.in, f.out, f.src + i * f.in_stride, f.dst + i * f.out.frame_bytes);
  }
}

void run(const RepackStep&, const Frames& f, const StepContext&) {
  for (int i = 0; i < f.n; ++i) {
    repack_frame(f.in, f.out, f.src + i * f.in_stride, f.dst + i * f.out.frame_bytes);
  }
}

void run(const MaxPoolStep& step, const Frames& f, const StepContext& c) {
  const auto [begin, end] = c.by_rows ? share(f.out.h, c.thread, c.threads) : std::pair{0, f.out.h};
  for (int i = 0; i < f.n; ++i) {
    maxpool_frame(step, f.in, f.out, f.src + i * f.in_stride, f.dst + i * f.out.frame_bytes, begin,
                  end);
  }
}

void run(const GlobalSumPoolStep&, const Frames& f, const StepContext&) {
  for (int i = 0; i < f.n; ++i) {
    global_sum_pool_frame(f.in, f.src + i * f.in_stride, f.dst + i * f.out.frame_bytes);
  }
}

void run(const AddStep& step, const Frames& f, const StepContext& c) {
  const std::uint8_t* b = c.ws.buffers[step.in2];
  const std::size_t b_stride = c.plan.buffers[step.in2].frame_bytes;
  if (step.fused) {
    AddThresholdArgs g;
    g.mode = step.mode;
    g.in1_words = c.plan.buffers[step.in2].words_per_pixel;
    g.limits = step.limits.data();
    g.span = step.attrs.offsets.size() / static_cast<std::size_t>(f.in.c);
    g.in1_min = step.attrs.in1_min;
    g.neg = step.negate_words.data();
    g.out_words = f.out.words_per_pixel;
    g.pixels = pixels(f.in);
    g.channels = f.in.c;
    for (int i = 0; i < f.n; ++i) {
      g.x = reinterpret_cast<const std::int32_t*>(f.src + i * f.in_stride);
      const std::uint8_t* in1 = b + (f.first + i) * b_stride;
      g.in1_bits = step.in2_bits ? reinterpret_cast<const std::uint64_t*>(in1) : nullptr;
      g.in1 = step.in2_bits ? nullptr : reinterpret_cast<const std::int32_t*>(in1);
      g.dst = reinterpret_cast<std::uint64_t*>(f.dst + i * f.out.frame_bytes);
      c.kernels.add_threshold(g);
    }
    return;
  }
  for (int i = 0; i < f.n; ++i) {
    add_frame(step, f.in, c.plan.buffers[step.in2], f.src + i * f.in_stride,
              b + (f.first + i) * b_stride, f.dst + i * f.out.frame_bytes);
  }
}

void run(const LabelStep& step, const Frames& f, const StepContext& c) {
  for (int i = 0; i < f.n; ++i) label_frame(step, f.in, f.src + i * f.in_stride, c.results[i]);
}

// Whether a fused binary layer runs with early termination. Auto: on no layer — measured
// slower than the plain kernel on every layer of LFC and CNV (docs/similarity.md, "CPU engine").
bool early_exit_pays(const BinaryLayerStep& layer, const CpuEngineOptions& options) {
  return options.early_exit == EarlyExit::On &&
         (options.early_exit_layer.empty() || options.early_exit_layer == layer.name);
}

// Which input reuse a binary conv runs with (docs/similarity.md, "Input reuse in the CPU engine").
// Auto: none. The word-skipping kernels were measured slower than the plain kernel on every conv
// of CNV (Fashion-MNIST and CIFAR-10), 2–3× with AVX-512; copying equal windows was faster only
// on models/cnv.bnnc's conv1 on Fashion-MNIST with AVX2 (0.84–0.88× the layer's time), slower on
// the same layer shape on CIFAR-10 and on every layer with AVX-512, and a layer's shape does not
// tell the two data sets apart.
CpuReuse input_reuse_pays(const BinaryLayerStep& layer, const CpuEngineOptions& options) {
  if (options.reuse != CpuReuse::Input && options.reuse != CpuReuse::Window) return CpuReuse::Off;
  return options.reuse_layer.empty() || options.reuse_layer == layer.name ? options.reuse
                                                                          : CpuReuse::Off;
}

void run(const BinaryLayerStep& step, const Frames& f, const StepContext& c) {
  auto* const gemm = step.add.has_value() ? c.kernels.binary_gemm_add
                     : step.input_reuse   ? c.kernels.binary_gemm_input_reuse
                     : step.early_exit    ? c.kernels.binary_gemm_early_exit
                                          : c.kernels.binary_gemm;
  BinaryGemmArgs g;
  g.k = step.words_per_row;
  g.panels = step.panels.data();
  if (c.kernels.prepare_binary != nullptr || c.kernels.prepare_binary_row != nullptr) {
    g.prepared = &step.prepared;
  }
  std::tie(g.panel_begin, g.panel_end) =
      share_with_lead(step.panel_count, c.thread, c.threads, c.lead);
  g.rows = step.rows;
  g.cols = step.cols;
  if (step.fused) {
    g.dmax = step.max_mismatches.data();
    if (!step.prepared.row_dmax.empty()) g.dmax16 = step.prepared.row_dmax.data();
    g.neg = step.negate_bits.data();
  }
  if (step.add) {
    g.dmax_one = step.add->max_mismatches_one.data();
    g.dmax_table = step.add->max_mismatches_table.data();
    g.table_span = step.add->span;
    g.table_min = step.add->in1_min;
    g.add_limits = step.add->limits.data();
  }
  const BufferSpec& in = f.in;
  const BufferSpec& out = f.out;
  if (step.direct) {
    g.a = reinterpret_cast<const std::uint64_t*>(f.src);
    g.lda = f.in_stride / 8;
    g.m = f.n * static_cast<int>(pixels(in));
    if (pixels(in) > 1) g.lda = static_cast<std::size_t>(in.words_per_pixel);
    BNNC_ASSERT(pixels(in) == 1 || f.n == 1, "1x1 conv on a tile");
    g.out_bits = step.fused ? f.dst : nullptr;
    g.ldo = pixels(out) > 1 ? out.words_per_pixel * 8 : out.frame_bytes;
    g.out_counts = step.fused ? nullptr : reinterpret_cast<std::int32_t*>(f.dst);
    g.ldc = pixels(out) > 1 ? static_cast<std::size_t>(out.c) : out.frame_bytes / 4;
    gemm(g);
    return;
  }
  // A padded image is written by member 0 and read by all; without padding the windows are
  // read from the input itself. Shared by rows, a member makes all the panels of its pixels.
  const auto [first_pixel, end_pixel] =
      c.by_rows ? row_share(out, c.thread, c.threads) : std::pair{0, static_cast<int>(pixels(out))};
  if (c.by_rows) std::tie(g.panel_begin, g.panel_end) = std::pair{0, step.panel_count};
  g.row_offsets = step.row_offsets.data() + first_pixel;
  g.col_offsets = step.col_offsets.data();
  g.m = end_pixel - first_pixel;
  if (step.input_reuse || step.skip_equal_windows) g.reuse_run = out.w;
  for (int i = 0; i < f.n; ++i) {
    const std::uint8_t* frame = f.src + i * f.in_stride;
    const std::uint64_t* image = reinterpret_cast<const std::uint64_t*>(frame);
    if (step.pad > 0 && c.by_rows) {
      // Each member pads the rows its own windows read, into an image of its own: no wait.
      std::uint8_t* own = padded_of(c);
      const auto [row_begin, row_end] = padded_rows(step, out, c.thread, c.threads);
      pad_bits(step, in, frame, own, row_begin, row_end);
      image = reinterpret_cast<const std::uint64_t*>(own);
    } else if (step.pad > 0) {
      if (c.thread == 0) pad_bits(step, in, frame, c.ws.padded);
      if (c.team != nullptr) c.team->barrier(c.thread);
      image = reinterpret_cast<const std::uint64_t*>(c.ws.padded);
    }
    g.a = image;
    if (step.add) {
      // The shortcut at the same pixels as the rows (the add's second input, frame `first` + i).
      const BufferSpec& shortcut = c.plan.buffers[step.add->in2];
      const std::uint8_t* at = c.ws.buffers[step.add->in2] + (f.first + i) * shortcut.frame_bytes;
      if (step.add->mode == AddThresholdMode::Bits) {
        g.ld_shortcut = static_cast<std::size_t>(shortcut.words_per_pixel) * 8;
        g.shortcut_bits = at + first_pixel * g.ld_shortcut;
      } else {
        g.ld_shortcut = static_cast<std::size_t>(shortcut.c);
        g.shortcut_values = reinterpret_cast<const std::int32_t*>(at) + first_pixel * g.ld_shortcut;
      }
    }
    g.ldo = static_cast<std::size_t>(out.words_per_pixel) * 8;
    g.out_bits = step.fused ? f.dst + i * out.frame_bytes + first_pixel * g.ldo : nullptr;
    g.ldc = static_cast<std::size_t>(out.c);
    g.out_counts = step.fused ? nullptr
                              : reinterpret_cast<std::int32_t*>(f.dst + i * out.frame_bytes) +
                                    first_pixel * g.ldc;
    // A fused zero-padded conv: each border position once, the border's together.
    const bool border_apart = step.zero_padded && step.fused && !step.skip_equal_windows &&
                              !step.input_reuse && !c.by_rows;
    if (border_apart) {
      zero_pad_fused(step.zero_pad, g, gemm, c.kernels.binary_gemm, c.kernels.add_threshold);
    } else if (step.skip_equal_windows) {
      binary_gemm_skip_equal_windows(g, gemm);
    } else {
      gemm(g);
    }
    if (step.zero_padded && step.fused && !border_apart) {
      zero_pad_border_bits(step.zero_pad, g, c.kernels.binary_gemm, c.kernels.add_threshold);
    } else if (step.zero_padded && !step.fused) {
      zero_pad_counts_to_dot(step.zero_pad, g.m, g.panel_begin * 8,
                             std::min(g.panel_end * 8, step.rows), g.out_counts, g.ldc);
    }
    if (c.team != nullptr && step.pad > 0 && i + 1 < f.n) c.team->barrier(c.thread);
  }
}

void run(const FixedLayerStep& step, const Frames& f, const StepContext& c) {
  FixedGemmArgs g;
  g.k4 = step.groups_per_row;
  g.panels = step.panels.data();
  std::tie(g.panel_begin, g.panel_end) =
      c.by_rows ? std::pair{0, step.panel_count} : share(step.panel_count, c.thread, c.threads);
  g.rows = step.rows;
  g.correction = step.correction.data();
  if (step.fused) {
    g.amin = step.min_sums.data();
    g.neg = step.negate_bits.data();
  }
  const auto [first_pixel, end_pixel] = c.by_rows ? row_share(f.out, c.thread, c.threads)
                                                  : std::pair{0, static_cast<int>(pixels(f.out))};
  g.row_offsets = step.row_offsets.data() + first_pixel;
  g.col_offsets = step.col_offsets.data();
  g.m = end_pixel - first_pixel;
  for (int i = 0; i < f.n; ++i) {
    if (c.by_rows) {
      // Each member makes the rows its own windows read, into an image of its own: no wait.
      const auto [row_begin, row_end] = padded_rows(step, f.out, c.thread, c.threads);
      g.a = padded_of(c);
      byte_image(step, f.in, f.src + i * f.in_stride, padded_of(c), c.kernels, row_begin, row_end);
    } else {
      if (c.thread == 0) byte_image(step, f.in, f.src + i * f.in_stride, c.ws.padded, c.kernels);
      if (c.team != nullptr) c.team->barrier(c.thread);
      g.a = c.ws.padded;
    }
    g.ldo = static_cast<std::size_t>(f.out.words_per_pixel) * 8;
    g.out_bits = step.fused ? f.dst + i * f.out.frame_bytes + first_pixel * g.ldo : nullptr;
    g.ldc = static_cast<std::size_t>(f.out.c);
    g.out_counts = step.fused ? nullptr
                              : reinterpret_cast<std::int32_t*>(f.dst + i * f.out.frame_bytes) +
                                    first_pixel * g.ldc;
    c.kernels.fixed_gemm(g);
    if (c.team != nullptr && i + 1 < f.n) c.team->barrier(c.thread);
  }
}

// Runs `add` (an add with its threshold, after_own_conv) inside `conv`, the step before it that
// writes its in0 (cpu_step.h FusedAdd): the layer's output becomes the add's bits.
void fuse_add(BinaryLayerStep& conv, const AddStep& add) {
  FusedAdd fused;
  fused.name = add.name;
  fused.in2 = add.in2;
  fused.mode = add.mode;
  fused.limits = add.limits;
  fused.span = static_cast<std::int64_t>(add.attrs.offsets.size()) / conv.rows;
  fused.in1_min = add.attrs.in1_min;
  const auto padded_rows = static_cast<std::size_t>(conv.panel_count) * 8;
  conv.max_mismatches.assign(padded_rows, -1);
  if (add.mode == AddThresholdMode::Bits) {
    fused.max_mismatches_one.assign(padded_rows, -1);
    for (int r = 0; r < conv.rows; ++r) {
      conv.max_mismatches[r] = layer_mismatch_limit(conv, add.limits[r]);
      fused.max_mismatches_one[r] = layer_mismatch_limit(conv, add.limits[conv.rows + r]);
    }
  } else {
    fused.max_mismatches_table.resize(add.limits.size());
    for (std::size_t e = 0; e < add.limits.size(); ++e) {
      fused.max_mismatches_table[e] =
          static_cast<std::int32_t>(layer_mismatch_limit(conv, add.limits[e]));
    }
  }
  conv.negate_bits.assign(static_cast<std::size_t>(conv.panel_count), 0);
  for (int p = 0; p < conv.panel_count; ++p) {
    conv.negate_bits[p] = static_cast<std::uint8_t>(add.negate_words[p / 8] >> (8 * (p % 8)));
  }
  conv.fused = true;
  conv.out = add.out;
  conv.name += " + " + add.name;
  conv.add = std::move(fused);
}

}  // namespace

CpuEngine::CpuEngine(const Graph& graph) : CpuEngine(graph, select_isa()) {}

CpuEngine::CpuEngine(const Graph& graph, Isa isa, CpuEngineOptions options)
    : plan_(compile_cpu_plan(graph)), kernels_(&kernels_for(isa)) {
  bool per_frame = false;
  for (Step& step : plan_.steps) {
    auto* layer = std::get_if<BinaryLayerStep>(&step);
    if (layer != nullptr && layer->fused && kernels_->binary_gemm_early_exit != nullptr) {
      layer->early_exit = early_exit_pays(*layer, options);
    }
    // A conv whose output rows have two windows or more (the others have nothing to reuse).
    if (layer != nullptr && !layer->direct && plan_.buffers[layer->out].w > 1) {
      const CpuReuse reuse = input_reuse_pays(*layer, options);
      layer->input_reuse = reuse == CpuReuse::Input && kernels_->binary_gemm_input_reuse != nullptr;
      layer->skip_equal_windows = reuse == CpuReuse::Window;
    }
    if (layer != nullptr && kernels_->prepare_binary != nullptr) {
      kernels_->prepare_binary(layer->panels.data(), layer->panel_count, layer->words_per_row,
                               layer->prepared);
    }
    // A layer of one input row per frame (dense, or a conv to one pixel) runs batch 1 on one
    // row: its weights also in the one-row layout, if the variant reads one.
    if (layer != nullptr && kernels_->prepare_binary_row != nullptr &&
        pixels(plan_.buffers[layer->out]) == 1) {
      kernels_->prepare_binary_row(layer->panels.data(), layer->panel_count, layer->words_per_row,
                                   layer->prepared);
      if (layer->fused) {
        make_row_dmax(layer->max_mismatches.data(), layer->panel_count, layer->words_per_row,
                      layer->prepared);
      }
    }
    // And, with a fused threshold on a dense input (its real synapses the input's first bits),
    // in the input-major layout, which reads at most half the columns a call (kernels.h) — where
    // the rows fill 85 % of its 512-row vectors, so that it reads at most 0.59 of the panels'
    // bytes (CNV's conv5, 256 rows: 0.81 µs against the one-row kernel's 0.44 on a Zen 5 core),
    // and the panels pass 64 KB (an L1 holds less; CNV's fc6 and fc7, 16 and 32 KB, took
    // 0.16–0.18 and 0.23–0.25 µs against 0.15–0.17 and 0.22–0.27).
    const auto vector_rows = [](int rows) { return (rows + 511) / 512 * 512; };
    if (layer != nullptr && kernels_->reads_input_major && options.input_major && layer->fused &&
        !layer->zero_padded && pixels(plan_.buffers[layer->out]) == 1 &&
        20 * layer->rows >= 17 * vector_rows(layer->rows) &&
        layer->panels.size() * 8 >= std::size_t{64} << 10 &&
        (layer->direct || layer->cols == 64 * layer->words_per_row)) {
      make_input_major(layer->panels.data(), layer->panel_count, layer->words_per_row, layer->cols,
                       layer->max_mismatches.data(), layer->negate_bits.data(), layer->prepared);
    }
  }
  // A residual add with its threshold right after the conv whose counts it adds runs inside that
  // conv when the variant has the kernel for it (not for a conv on the tile unit, nor one that
  // reuses windows or stops early): the counts are then never stored (ResNet-18's first stage,
  // 800 KB a frame at each of its adds).
  if (kernels_->binary_gemm_add != nullptr && options.fuse_adds) {
    std::vector<Step> steps;
    for (Step& step : plan_.steps) {
      auto* add = std::get_if<AddStep>(&step);
      auto* conv = add != nullptr && add->after_own_conv && !steps.empty()
                       ? std::get_if<BinaryLayerStep>(&steps.back())
                       : nullptr;
      const bool fuses =
          conv != nullptr && conv->out == add->in && !conv->early_exit && !conv->input_reuse &&
          !conv->skip_equal_windows && pixels(plan_.buffers[conv->out]) > 1 &&
          (kernels_->tile_min_rows == 0 ||
           static_cast<int>(pixels(plan_.buffers[conv->out])) < kernels_->tile_min_rows ||
           conv->panel_count < kernels_->tile_min_panels);
      if (fuses) {
        fuse_add(*conv, *add);
      } else {
        steps.push_back(std::move(step));
      }
    }
    plan_.steps = std::move(steps);
  }
  auto padded_pixels = [&](const LayerStep& layer) {
    const BufferSpec& in = plan_.buffers[layer.in];
    return static_cast<std::size_t>(in.h + 2 * layer.pad) * (in.w + 2 * layer.pad);
  };
  for (const Step& step : plan_.steps) {
    if (const auto* layer = std::get_if<BinaryLayerStep>(&step)) {
      const BufferSpec& in = plan_.buffers[layer->in];
      // A 1×1 conv reads its input in place, but one frame at a time.
      if (layer->direct && pixels(in) > 1) per_frame = true;
      if (!layer->direct) {
        per_frame = true;
        if (layer->pad > 0) {
          padded_bytes_ = std::max(padded_bytes_, padded_pixels(*layer) * in.words_per_pixel * 8);
        }
      }
      weight_bytes_ +=
          layer->prepared.tiles.empty() ? layer->panels.size() * 8 : layer->prepared.tiles.size();
    } else if (const auto* fixed = std::get_if<FixedLayerStep>(&step)) {
      // The last group of a window row may read up to 3 bytes past the image: weight 0.
      per_frame = true;
      padded_bytes_ =
          std::max(padded_bytes_, padded_pixels(*fixed) * plan_.buffers[fixed->in].c + 64);
      weight_bytes_ += fixed->panels.size();
    }
  }
  tile_ = per_frame ? 1 : kDenseTile;
  if (per_frame) plan_dense_tail(options.dense_tail_weight_bytes);
  // The steps that read the input (uint8 pixels) read it in place, at the caller's stride, when
  // they all read it byte by byte: no copy of a tile's images (LFC: 200 KB per tile of 256, a
  // twentieth of the tile's time, and a member of a team then read the other's copy).
  input_in_place_ = plan_.buffers[plan_.input_buffer].storage == Storage::U8;
  for (const Step& step : plan_.steps) {
    const auto* add = std::get_if<AddStep>(&step);
    const auto* conv = std::get_if<BinaryLayerStep>(&step);
    const bool reads_input =
        root_buffer(header(step).in) == plan_.input_buffer ||
        (add != nullptr && root_buffer(add->in2) == plan_.input_buffer) ||
        (conv != nullptr && conv->add && root_buffer(conv->add->in2) == plan_.input_buffer);
    const bool bytewise = std::holds_alternative<ThresholdStep>(step) ||
                          std::holds_alternative<QuantizeStep>(step) ||
                          std::holds_alternative<FixedLayerStep>(step);
    if (reads_input && !bytewise) input_in_place_ = false;
  }
}

int CpuEngine::early_exit_layers() const {
  int count = 0;
  for (const Step& step : plan_.steps) {
    const auto* layer = std::get_if<BinaryLayerStep>(&step);
    count += layer != nullptr && layer->early_exit ? 1 : 0;
  }
  return count;
}

int CpuEngine::input_reuse_layers() const {
  int count = 0;
  for (const Step& step : plan_.steps) {
    const auto* layer = std::get_if<BinaryLayerStep>(&step);
    count += layer != nullptr && (layer->input_reuse || layer->skip_equal_windows) ? 1 : 0;
  }
  return count;
}

ComputeUnit CpuEngine::unit_of(std::size_t step, int frames) const {
  const auto* layer = std::get_if<BinaryLayerStep>(&plan_.steps[step]);
  if (kernels_->tile_min_rows == 0 || layer == nullptr) return ComputeUnit::Vector;
  const BufferSpec& out = plan_.buffers[layer->out];
  const int out_pixels = out.h * out.w;
  const int rows = layer->direct && out_pixels == 1 ? frames : out_pixels;
  return rows >= kernels_->tile_min_rows && layer->panel_count >= kernels_->tile_min_panels
             ? ComputeUnit::Tiles
             : ComputeUnit::Vector;
}

Workspace CpuEngine::make_workspace() const {
  Workspace ws;
  std::vector<std::size_t> offsets(plan_.buffers.size(), 0);
  std::size_t total = 0;
  for (std::size_t b = 0; b < plan_.buffers.size(); ++b) {
    if (plan_.buffers[b].alias_of >= 0) continue;
    offsets[b] = total;
    total +=
        plan_.buffers[b].frame_bytes * static_cast<std::size_t>(frames_of(static_cast<int>(b)));
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
// team and does its share of the layer's rows (the other steps run on member 0).
void CpuEngine::run_step(const Step& step, int first, int n, Workspace& ws, Classification* results,
                         int thread, int threads, Team* team, int lead, bool head,
                         bool by_rows) const {
  const StepContext context{*kernels_, plan_, ws,   results + first, thread,
                            threads,   team,  lead, by_rows};
  // One overload of run per kind: a kind without one does not compile.
  std::visit(
      [&](const auto& kind) {
        using Kind = std::decay_t<decltype(kind)>;
        if constexpr (!std::is_base_of_v<LayerStep, Kind> && !std::is_same_v<Kind, MaxPoolStep>) {
          if (thread != 0) return;
        } else if constexpr (std::is_same_v<Kind, MaxPoolStep>) {
          if (thread != 0 && !by_rows) return;
        }
        const BufferSpec& in = plan_.buffers[kind.in];
        const BufferSpec& out = plan_.buffers[kind.out];
        // The network's input is read in place from the caller's images when the call gave them.
        const bool caller_input = ws.input != nullptr && root_buffer(kind.in) == plan_.input_buffer;
        const std::size_t in_stride = caller_input ? plan_.input_size : in.frame_bytes;
        // A head step (plan_dense_tail) of frame `first` finds it at slot 0 of a buffer that holds
        // one frame.
        const int in_slot = head && frames_of(kind.in) == 1 && !caller_input ? 0 : first;
        const int out_slot = head && frames_of(kind.out) == 1 ? 0 : first;
        const std::uint8_t* src =
            (caller_input ? ws.input : ws.buffers[kind.in]) + in_slot * in_stride;
        run(kind,
            Frames{in, out, src, in_stride, ws.buffers[kind.out] + out_slot * out.frame_bytes,
                   first, n},
            context);
      },
      step);
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
  if (threads > 1 && tile_ > 1 && tail_begin_ == 0 && weight_bytes_ > kL2Share * threads &&
      n > tile_ / 2) {
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
        run_tile(count, ws, results + begin, nullptr);
      }
    } catch (...) {
      const std::lock_guard<std::mutex> lock(mutex);
      if (!failure) failure = std::current_exception();
    }
  });
  if (failure) std::rethrow_exception(failure);
}

CpuEngine::Share CpuEngine::share_of(const Step& step, int members, int n) const {
  if (members == 1) return Share::Alone;
  // On one frame, a conv on an image of enough rows by its rows (each member's output then a
  // block of whole pixels, where panels would interleave the members' bytes in every pixel's
  // word), and a max-pool by its rows; not a conv that corrects its zero-padded border or
  // reuses the previous window (their kernels take the whole image).
  const auto* conv = std::get_if<BinaryLayerStep>(&step);
  const int out_rows = plan_.buffers[header(step).out].h;
  if (n == 1 && out_rows >= kMinRowsPerMember * members &&
      ((conv != nullptr && !conv->direct && !conv->zero_padded && !conv->input_reuse &&
        !conv->skip_equal_windows) ||
       std::holds_alternative<FixedLayerStep>(step))) {
    return Share::Rows;
  }
  if (n == 1 && out_rows >= members && std::holds_alternative<MaxPoolStep>(step)) {
    return Share::Rows;
  }
  if (splits(step)) return Share::Panels;
  const auto* layer = std::get_if<BinaryLayerStep>(&step);
  const bool in_place =
      !std::holds_alternative<FixedLayerStep>(step) && (layer == nullptr || layer->direct);
  return in_place && n >= members ? Share::Frames : Share::Alone;
}

void CpuEngine::classify_team(const std::uint8_t* images, int n, Classification* results,
                              Team& team, Workspace& ws) const {
  BNNC_ASSERT(n <= (tail_begin_ > 0 ? 1 : tile_), "{} frames for a team call", n);
  // One frame is the batch-1 latency path, where a member that lost its core would hold up
  // every barrier: the team then runs it alone (team.h). Its calls are reported (and timed during
  // a trial) for the team's choice between all members and the caller alone.
  const Team::Pace pace = n == 1 ? Team::Pace::Short : Team::Pace::Long;
  const bool reported = pace == Team::Pace::Short && team.size() > 1;
  const bool timed = reported && team.times_short_calls();
  const auto start =
      timed ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
  const int members = team.claim_members(pace);
  load_inputs(images, n, ws);
  // A member must not read what another is still writing, so a barrier goes between two steps
  // unless both share by the same frames or both run on member 0 (run_shared).
  // The steps member 0 would run alone before the first shared step and after the last (LFC's
  // binarize, and its fc3 and label) run outside the shared part: the team's start and end are
  // then the waits that order them, which saves two barriers (~0.17 µs each across cores here)
  // per call.
  const std::size_t steps = plan_.steps.size();
  std::size_t first = 0, last = steps;
  while (first < steps && share_of(plan_.steps[first], members, n) == Share::Alone) ++first;
  while (last > first && share_of(plan_.steps[last - 1], members, n) == Share::Alone) --last;
  // On one frame every member runs those first steps itself, into its own copy of their output:
  // they take less time (LFC's binarize, ~0.03 µs) than a helper would wait for the caller's
  // output to cross from its core (~0.15 µs here), and the team starts before them.
  // Only where every member reads that output (a fully connected layer's input, not a conv's
  // image, which member 0 pads or spreads alone) and it is small, so that making it is quick.
  const auto* first_layer =
      first < last ? std::get_if<BinaryLayerStep>(&plan_.steps[first]) : nullptr;
  bool replicate =
      n == 1 && members > 1 && first > 0 && first_layer != nullptr && first_layer->direct;
  for (std::size_t s = 0; s < first && replicate; ++s) {
    replicate = plan_.buffers[header(plan_.steps[s]).out].frame_bytes <= kMaxReplicatedBytes;
  }
  if (replicate) prepare_members(ws, first, members);
  if (n == 1 && members > 1 && padded_bytes_ > 0) prepare_row_padded(ws, members);
  if (!replicate) {
    for (std::size_t s = 0; s < first; ++s)
      run_step(plan_.steps[s], 0, n, ws, results, 0, 1, nullptr);
  }
  if (first < last) {
    BNNC_ASSERT(n < (1 << 20) && members < (1 << 11) && last < (1u << 16),
                "a team job of {} frames, {} members, {} steps", n, members, last);
    SharedSteps job{&ws,
                    results,
                    &team,
                    ws.input,
                    static_cast<std::uint32_t>(n) & 0xfffffu,
                    static_cast<std::uint32_t>(members) & 0x7ffu,
                    replicate ? 1u : 0u,
                    static_cast<std::uint16_t>(first),
                    static_cast<std::uint16_t>(last)};
    const int in = header(plan_.steps[last < steps ? last : 0]).in;
    const Watch end =
        last < steps ? Watch{ws.buffers[in], plan_.buffers[in].frame_bytes * n} : Watch{};
    const auto shared = [this, job](int thread) { run_shared(job, thread); };
    static_assert(Team::kCarriesInline<decltype(shared)>);
    team.run(shared, end, pace);
  }
  for (std::size_t s = last; s < steps; ++s)
    run_step(plan_.steps[s], 0, n, ws, results, 0, 1, nullptr);
  if (reported) {
    team.finished_short(
        members,
        timed ? std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()
              : 0.0);
  }
}

bool CpuEngine::follows_without_barrier(const Step& before, Share then, const Step& step, Share now,
                                        int members) const {
  if (now == Share::Panels) return false;
  if (now == then && (now == Share::Alone || now == Share::Frames)) return true;
  // A max-pool by rows right after the step that wrote its input by rows: no barrier when each
  // member's windows lie in the rows it made itself (CNV's pool1: 14 rows of 28 each).
  const auto* pool = std::get_if<MaxPoolStep>(&step);
  if (now != Share::Rows || then != Share::Rows || pool == nullptr ||
      root_buffer(pool->in) != root_buffer(header(before).out)) {
    return false;
  }
  const BufferSpec& made = plan_.buffers[header(before).out];
  const BufferSpec& out = plan_.buffers[pool->out];
  for (int t = 0; t < members; ++t) {
    const auto [have_begin, have_end] = share(made.h, t, members);
    const auto [begin, end] = share(out.h, t, members);
    if (begin == end) continue;
    const int need_begin = begin * pool->stride - pool->pad;
    const int need_end = (end - 1) * pool->stride - pool->pad + pool->kernel;
    if (std::max(need_begin, 0) < have_begin || std::min(need_end, made.h) > have_end) return false;
  }
  return true;
}

void CpuEngine::run_shared(const SharedSteps& job, int thread) const {
  const int n = static_cast<int>(job.n);
  const int members = static_cast<int>(job.members);
  Workspace& own =
      job.replicate && thread > 0 ? job.ws->members[static_cast<std::size_t>(thread - 1)] : *job.ws;
  if (job.replicate) {
    own.input = job.input;
    for (std::size_t s = 0; s < job.first; ++s)
      run_step(plan_.steps[s], 0, n, own, job.results, 0, 1, nullptr);
  }
  // What a member reads after a wait: the step's input, of which the other members wrote part.
  auto input_of = [&](const Step& step) {
    const int in = header(step).in;
    return Watch{own.buffers[in], plan_.buffers[in].frame_bytes * n};
  };
  for (std::size_t s = job.first; s < job.last; ++s) {
    const Step& step = plan_.steps[s];
    const Share now = share_of(step, members, n);
    if (s > job.first) {
      const Step& before = plan_.steps[s - 1];
      if (!follows_without_barrier(before, share_of(before, members, n), step, now, members)) {
        job.team->barrier(thread, input_of(step));
      }
    }
    if (now == Share::Panels) {
      // Member 1 learns of the job one line transfer after member 0 (~0.15 µs, some 20 of
      // fc0's panels): on one frame member 0 takes more of the first layer.
      const int lead = job.replicate && s == job.first ? kLeadPanels : 0;
      run_step(step, 0, n, own, job.results, thread, members, job.team, lead);
    } else if (now == Share::Rows) {
      run_step(step, 0, n, own, job.results, thread, members, job.team, 0, false, true);
    } else if (now == Share::Frames) {
      const auto [begin, end] = share(n, thread, members);
      run_step(step, begin, end - begin, own, job.results, 0, 1, nullptr);
    } else if (thread == 0) {
      run_step(step, 0, n, own, job.results, 0, 1, nullptr);
    }
  }
}

void CpuEngine::prepare_members(Workspace& ws, std::size_t first, int members) const {
  if (ws.members.size() + 1 >= static_cast<std::size_t>(members)) return;
  std::vector<bool> own(plan_.buffers.size(), false);
  for (std::size_t s = 0; s < first; ++s) own[root_buffer(header(plan_.steps[s]).out)] = true;
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

void CpuEngine::prepare_row_padded(Workspace& ws, int members) const {
  const std::size_t stride = (padded_bytes_ + 63) / 64 * 64;
  const std::size_t bytes = stride * static_cast<std::size_t>(members - 1);
  if (ws.row_padded_stride != stride || ws.row_padded_storage.size() < bytes + 64) {
    ws.row_padded_storage.assign(bytes + 64, 0);
    std::uint8_t* base = ws.row_padded_storage.data();
    ws.row_padded = base + (64 - reinterpret_cast<std::uintptr_t>(base) % 64) % 64;
    ws.row_padded_stride = stride;
  }
  for (Workspace& view : ws.members) {
    view.row_padded = ws.row_padded;
    view.row_padded_stride = stride;
  }
}

void CpuEngine::classify_timed(const std::uint8_t* images, int n, Classification* results,
                               Workspace& ws, std::vector<double>& step_seconds) const {
  BNNC_ASSERT(n <= tile_, "{} frames for a tile of {}", n, tile_);
  step_seconds.resize(plan_.steps.size(), 0.0);
  load_inputs(images, n, ws);
  run_tile(n, ws, results, &step_seconds);
}

void CpuEngine::run_tile(int n, Workspace& ws, Classification* results,
                         std::vector<double>* step_seconds) const {
  auto run_timed = [&](std::size_t s, int first, int count, bool head) {
    if (step_seconds == nullptr) {
      run_step(plan_.steps[s], first, count, ws, results, 0, 1, nullptr, 0, head);
      return;
    }
    const auto start = std::chrono::steady_clock::now();
    run_step(plan_.steps[s], first, count, ws, results, 0, 1, nullptr, 0, head);
    (*step_seconds)[s] +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  for (int f = 0; f < n && tail_begin_ > 0; ++f) {
    for (std::size_t s = 0; s < tail_begin_; ++s) run_timed(s, f, 1, true);
  }
  for (std::size_t s = tail_begin_; s < plan_.steps.size(); ++s) run_timed(s, 0, n, false);
}

void CpuEngine::plan_dense_tail(std::size_t min_weight_bytes) {
  // The steps after the last one that runs frame by frame (a conv, a fixed-point layer, a 1×1
  // conv on an image) take the tile's frames at once.
  std::size_t begin = 0;
  bool adds = false;
  for (std::size_t s = 0; s < plan_.steps.size(); ++s) {
    const Step& step = plan_.steps[s];
    const auto* layer = std::get_if<BinaryLayerStep>(&step);
    // An add reads its second input at frame `first`.
    adds |= std::holds_alternative<AddStep>(step) || (layer != nullptr && layer->add);
    if (std::holds_alternative<FixedLayerStep>(step) ||
        (layer != nullptr && (!layer->direct || pixels(plan_.buffers[layer->in]) > 1))) {
      begin = s + 1;
    }
  }
  std::size_t tail_weights = 0;
  for (std::size_t s = begin; s < plan_.steps.size(); ++s) {
    if (const auto* layer = std::get_if<BinaryLayerStep>(&plan_.steps[s])) {
      tail_weights += layer->panels.size() * 8;
    }
  }
  if (adds || begin == 0 || begin == plan_.steps.size() || tail_weights <= min_weight_bytes) return;
  tail_begin_ = begin;
  tile_ = kDenseTailTile;
  // The buffers with a slot per frame: the input (the caller's images may be copied there) and
  // whatever the tail reads or writes; the others hold the one frame the head is on.
  tiled_.assign(plan_.buffers.size(), false);
  tiled_[static_cast<std::size_t>(root_buffer(plan_.input_buffer))] = true;
  for (std::size_t s = begin; s < plan_.steps.size(); ++s) {
    tiled_[static_cast<std::size_t>(root_buffer(header(plan_.steps[s]).in))] = true;
    tiled_[static_cast<std::size_t>(root_buffer(header(plan_.steps[s]).out))] = true;
  }
}

int CpuEngine::frames_of(int buffer) const {
  if (tail_begin_ == 0) return tile_;
  return tiled_[static_cast<std::size_t>(root_buffer(buffer))] ? tile_ : 1;
}

}  // namespace bnnc::runtime
