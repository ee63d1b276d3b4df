#include "runtime/cpu_plan.h"

#include <algorithm>
#include <limits>

#include "core/bits.h"
#include "core/error.h"
#include "ir/add_apply.h"

namespace bnnc::runtime {

namespace {

std::size_t round_up_64(std::size_t bytes) { return (bytes + 63) / 64 * 64; }

BufferSpec buffer_for(const Node& node) {
  BufferSpec spec;
  const Shape& shape = node.type.shape;
  if (shape.size() == 3) {
    spec.h = shape[0];
    spec.w = shape[1];
    spec.c = shape[2];
  } else {
    spec.c = static_cast<int>(node.type.elements());
  }
  const std::size_t pixels = static_cast<std::size_t>(spec.h) * spec.w;
  if (node.type.dtype.is_bit()) {
    spec.storage = Storage::Bits;
    spec.words_per_pixel = words_for_bits(spec.c);
    spec.frame_bytes = round_up_64(pixels * spec.words_per_pixel * 8);
  } else if (node.op() == Op::Input) {
    if (node.type.dtype != DType::uint(8)) {
      fail("layer '{}': the CPU engine takes uint8 images, not {}", node.name,
           to_string(node.type.dtype));
    }
    spec.storage = Storage::U8;
    spec.frame_bytes = round_up_64(pixels * spec.c);
  } else if (node.type.dtype.is_integer()) {
    spec.storage = Storage::I32;
    spec.frame_bytes = round_up_64(pixels * spec.c * 4);
  } else {
    fail("layer '{}' ({}): the CPU engine runs integer-only graphs; streamline it first", node.name,
         op_name(node.op()));
  }
  return spec;
}

// Bit layout is the flat layout when every pixel's channels fill whole words or there is one
// pixel: then a reshape of bits moves nothing.
bool flat_bits(const BufferSpec& spec) { return spec.c % 64 == 0 || spec.h * spec.w == 1; }

void pack_binary_layer(BinaryLayerStep& step, const BinaryMatrix& weights, int in_c, int taps,
                       const ThresholdAttrs* thr) {
  const int wc = words_for_bits(in_c);
  step.rows = weights.rows();
  step.cols = weights.cols();
  step.words_per_row = taps * wc;
  step.panel_count = (step.rows + 7) / 8;
  step.panels.assign(static_cast<std::size_t>(step.panel_count) * step.words_per_row * 8, 0);
  for (int r = 0; r < step.rows; ++r) {
    for (int col = 0; col < step.cols; ++col) {
      if (!weights.get(r, col)) continue;
      const int tap = col / in_c, c = col % in_c;
      const int word = tap * wc + c / 64;
      step.panels[(static_cast<std::size_t>(r / 8) * step.words_per_row + word) * 8 + r % 8] |=
          std::uint64_t{1} << (c % 64);
    }
  }
  if (thr == nullptr) return;
  step.fused = true;
  step.max_mismatches.assign(static_cast<std::size_t>(step.panel_count) * 8, -1);
  step.negate_bits.assign(static_cast<std::size_t>(step.panel_count), 0);
  for (int r = 0; r < step.rows; ++r) {
    step.max_mismatches[r] = layer_mismatch_limit(step, thr->thresholds[r]);
    if (!thr->negate.empty() && thr->negate[r] != 0) {
      step.negate_bits[r / 8] =
          static_cast<std::uint8_t>(step.negate_bits[r / 8] | (1U << (r % 8)));
    }
  }
}

// A zero-padded conv runs as one padded with bit 0; its border positions are corrected after
// the kernel, and a fused threshold y ≥ T is P0 ≥ ⌈(T + N)/2⌉ in the interior
// (zero_pad_correction.h derives both).
void add_zero_padding(BinaryLayerStep& step, const Node& node, const BufferSpec& in,
                      const ThresholdAttrs* thr) {
  const auto& a = node.as<Conv2dAttrs>();
  const ConvGeometry geometry{
      in.h, in.w, in.c, a.kernel, a.stride, a.pad, node.type.shape[0], node.type.shape[1]};
  step.zero_padded = true;
  step.pad_value = 0;
  step.zero_pad = zero_pad_correction(a.weights, geometry);
  if (thr == nullptr) return;
  ZeroPadCorrection& z = step.zero_pad;
  z.p0_limits.resize(z.table.size());
  for (std::size_t e = 0; e < z.table.size(); ++e) {
    // 2·P0 − N + c ≥ T ⇔ 2·P0 − N ≥ T − c: the interior's rule on T − c (in −1..N + 1).
    z.p0_limits[e] = static_cast<std::int32_t>(zero_pad_interior_threshold(
        thr->thresholds[e % static_cast<std::size_t>(z.rows)] - z.table[e], z.cols));
  }
  z.negate_bytes.assign(static_cast<std::size_t>(step.panel_count), 0);
  for (int r = 0; r < z.rows && !thr->negate.empty(); ++r) {
    if (thr->negate[r] != 0) {
      z.negate_bytes[r / 8] = static_cast<std::uint8_t>(z.negate_bytes[r / 8] | (1U << (r % 8)));
    }
  }
  for (int r = 0; r < step.rows; ++r) {
    step.max_mismatches[r] = layer_mismatch_limit(step, thr->thresholds[r]);
  }
}

// Σ s·x ≥ T ⇔ Σ s·a ≥ T + offset·Σ s, with a = x + offset (kernels.h). Column (ky, kx, c) is
// byte kx·C + c of window row ky, which takes `groups` 4-byte groups.
void pack_fixed_layer(FixedLayerStep& step, const BinaryMatrix& weights, int in_c,
                      const ThresholdAttrs* thr) {
  step.rows = weights.rows();
  step.cols = weights.cols();
  const int run = step.kernel * in_c, groups = (run + 3) / 4;
  step.groups_per_row = step.kernel * groups;
  step.panel_count = (step.rows + 15) / 16;
  step.panels.assign(static_cast<std::size_t>(step.panel_count) * step.groups_per_row * 64, 0);
  step.correction.assign(static_cast<std::size_t>(step.panel_count) * 16, 0);
  for (int r = 0; r < step.rows; ++r) {
    int row_sum = 0;
    for (int col = 0; col < step.cols; ++col) {
      const int s = weights.get(r, col) ? 1 : -1;
      row_sum += s;
      const int ky = col / run, byte = col % run;
      const int group = ky * groups + byte / 4;
      step.panels[((static_cast<std::size_t>(r / 16) * step.groups_per_row + group) * 16 + r % 16) *
                      4 +
                  byte % 4] = static_cast<std::int8_t>(s);
    }
    step.correction[r] = step.offset * row_sum;
  }
  if (thr == nullptr) return;
  step.fused = true;
  step.min_sums.assign(static_cast<std::size_t>(step.panel_count) * 16,
                       std::numeric_limits<std::int32_t>::max());
  step.negate_bits.assign(static_cast<std::size_t>(step.panel_count), 0);
  for (int r = 0; r < step.rows; ++r) {
    const std::int64_t min_sum = thr->thresholds[r] + step.correction[r];
    step.min_sums[r] = static_cast<std::int32_t>(
        std::clamp<std::int64_t>(min_sum, std::numeric_limits<std::int32_t>::min() + 1,
                                 std::numeric_limits<std::int32_t>::max()));
    if (!thr->negate.empty() && thr->negate[r] != 0) {
      step.negate_bits[r / 16] =
          static_cast<std::uint16_t>(step.negate_bits[r / 16] | (1U << (r % 16)));
    }
  }
}

// Implicit im2col offsets of a conv on an input of in_h × in_w pixels (before padding) whose
// pixels are `unit` words (binary) or bytes (fixed) apart: output pixel (oy, ox) starts at
// pixel (oy·stride, ox·stride) of the padded image.
void window_starts(LayerStep& step, const BufferSpec& in, const Shape& out_shape, int unit) {
  const int pw = in.w + 2 * step.pad;
  const int out_h = out_shape.size() == 3 ? out_shape[0] : 1;
  const int out_w = out_shape.size() == 3 ? out_shape[1] : 1;
  step.row_offsets.clear();
  for (int oy = 0; oy < out_h; ++oy) {
    for (int ox = 0; ox < out_w; ++ox) {
      step.row_offsets.push_back((oy * step.stride * pw + ox * step.stride) * unit);
    }
  }
}

// Binary word (ky, kx, w) of a window lies at its pixel (ky, kx), word w.
void conv_offsets(BinaryLayerStep& step, const BufferSpec& in, const Shape& out_shape) {
  const int unit = in.words_per_pixel, pw = in.w + 2 * step.pad;
  window_starts(step, in, out_shape, unit);
  step.col_offsets.clear();
  for (int ky = 0; ky < step.kernel; ++ky) {
    for (int kx = 0; kx < step.kernel; ++kx) {
      for (int w = 0; w < unit; ++w) step.col_offsets.push_back((ky * pw + kx) * unit + w);
    }
  }
}

// Fixed group (ky, g) of a window lies at its row ky, byte 4g.
void conv_offsets(FixedLayerStep& step, const BufferSpec& in, const Shape& out_shape) {
  const int unit = in.c, pw = in.w + 2 * step.pad;
  window_starts(step, in, out_shape, unit);
  step.col_offsets.clear();
  for (int ky = 0; ky < step.kernel; ++ky) {
    for (int g = 0; g < step.groups_per_row / step.kernel; ++g) {
      step.col_offsets.push_back(ky * pw * unit + 4 * g);
    }
  }
}

// The offset that maps a fixed-point input into bytes 0..255.
int byte_offset(const Node& producer, const Node& layer) {
  const DType& type = producer.type.dtype;
  if (type.kind == TypeKind::UInt && type.bits <= 8) return 0;
  if ((type.kind == TypeKind::Int || type.kind == TypeKind::Fixed) && type.bits <= 8) return 128;
  fail("layer '{}': the CPU engine takes fixed-point inputs of at most 8 bits, not {}", layer.name,
       to_string(type));
}

// A quantize step whose only reader is this fixed layer, on uint8 pixels, becomes the layer's
// byte table (byte_offset bounds every table value + offset to 0..255) and its step goes.
void fuse_quantize(CpuPlan& plan, const Graph& graph, const Node& producer, int producer_index,
                   FixedLayerStep& step) {
  if (producer.op() != Op::Quantize || graph.consumers(producer_index).size() != 1) return;
  const auto* quantize =
      plan.steps.empty() ? nullptr : std::get_if<QuantizeStep>(&plan.steps.back());
  if (quantize == nullptr || quantize->out != step.in ||
      plan.buffers[quantize->in].storage != Storage::U8) {
    return;
  }
  step.byte_table.resize(256);
  for (int v = 0; v < 256; ++v) {
    const int byte = quantize->table[v] + step.offset;
    if (byte < 0 || byte > 255) {
      fail("layer '{}': quantize table entry {} = {} is outside its {}-bit type", producer.name, v,
           quantize->table[v], producer.type.dtype.bits);
    }
    step.byte_table[v] = static_cast<std::uint8_t>(byte);
  }
  step.in = quantize->in;
  plan.steps.pop_back();
}

// A step of kind T with the header's fields.
template <typename T>
T with_header(const StepHeader& header) {
  T step;
  static_cast<StepHeader&>(step) = header;
  return step;
}

// An add whose one reader is a per-channel threshold takes it in (AddStep::fused), when in0's
// values (and for a plain sum the add's) stay strictly inside int32, so that limits clamped to
// int32 compare as the unclamped ones do. Whether it did.
bool fuse_threshold(AddStep& step, const Graph& graph, const Node& add, int reader) {
  const Node& node = graph.nodes[reader];
  if (node.op() != Op::Threshold || node.as<ThresholdAttrs>().thresholds_per_channel != 1) {
    return false;
  }
  const auto inside = [](const DType& type) {
    const ValueRange range = value_range(type);
    return range.lo > std::numeric_limits<std::int32_t>::min() &&
           range.hi < std::numeric_limits<std::int32_t>::max();
  };
  const Node& in0 = graph.nodes[add.inputs[0]];
  const bool plain = step.attrs.offsets.empty();
  if (!inside(in0.type.dtype) || (!step.in2_bits && plain && !inside(add.type.dtype))) return false;
  const auto& thr = node.as<ThresholdAttrs>();
  const int channels = static_cast<int>(thr.thresholds.size());
  const auto limit = [](std::int64_t v) {
    return static_cast<std::int32_t>(std::clamp<std::int64_t>(
        v, std::numeric_limits<std::int32_t>::min(), std::numeric_limits<std::int32_t>::max()));
  };
  step.fused = true;
  step.mode = step.in2_bits ? AddThresholdMode::Bits
              : plain       ? AddThresholdMode::Sum
                            : AddThresholdMode::Table;
  if (step.mode == AddThresholdMode::Bits) {
    step.limits.resize(static_cast<std::size_t>(2 * channels));
    for (int c = 0; c < channels; ++c) {
      for (int raw = 0; raw < 2; ++raw) {
        step.limits[static_cast<std::size_t>(raw * channels + c)] =
            limit(thr.thresholds[c] - add_term(step.attrs, channels, c, raw, true));
      }
    }
  } else if (step.mode == AddThresholdMode::Table) {
    const std::size_t span = step.attrs.offsets.size() / static_cast<std::size_t>(channels);
    step.limits.resize(step.attrs.offsets.size());
    for (std::size_t e = 0; e < step.limits.size(); ++e) {
      step.limits[e] = limit(thr.thresholds[e / span] - step.attrs.offsets[e]);
    }
  } else {
    for (int c = 0; c < channels; ++c) step.limits.push_back(limit(thr.thresholds[c]));
  }
  step.negate_words.assign(static_cast<std::size_t>(words_for_bits(channels)), 0);
  for (int c = 0; c < channels && !thr.negate.empty(); ++c) {
    if (thr.negate[c] != 0) step.negate_words[c / 64] |= std::uint64_t{1} << (c % 64);
  }
  return true;
}

// Whether in0 of `add` is the counts of a binary conv (not a 1×1 one read in place) that nothing
// else reads; if so, its step moves to the end of the plan so far, right before the add's (the
// steps after it, a projection shortcut's conv, do not read it), where the engine may fuse the
// two (cpu_step.h FusedAdd).
bool own_conv_last(CpuPlan& plan, const Graph& graph, const Node& add, int in0_buffer) {
  const int in0 = add.inputs[0];
  if (graph.nodes[in0].op() != Op::Conv2d || graph.consumers(in0).size() != 1) return false;
  const auto conv = std::find_if(plan.steps.begin(), plan.steps.end(),
                                 [&](const Step& step) { return header(step).out == in0_buffer; });
  const auto* layer = conv != plan.steps.end() ? std::get_if<BinaryLayerStep>(&*conv) : nullptr;
  if (layer == nullptr || layer->fused || layer->direct) return false;
  std::rotate(conv, conv + 1, plan.steps.end());
  return true;
}

}  // namespace

// P ≥ T ⇔ D ≤ N − T, clamped to [−1, N] (−1: never fires, as D ≥ 0; N: always fires).
std::int64_t layer_mismatch_limit(const BinaryLayerStep& layer, std::int64_t threshold) {
  const std::int64_t p =
      layer.zero_padded ? zero_pad_interior_threshold(threshold, layer.cols) : threshold;
  return std::clamp<std::int64_t>(layer.cols - p, -1, layer.cols);
}

CpuPlan compile_cpu_plan(const Graph& graph) {
  CpuPlan plan;
  if (graph.nodes.empty() || graph.nodes.front().op() != Op::Input) {
    fail("the network does not start with an input layer");
  }
  if (graph.nodes.back().op() != Op::LabelSelect) {
    fail("layer '{}' ({}): the network must end in labelselect to give a class",
         graph.nodes.back().name, op_name(graph.nodes.back().op()));
  }
  std::vector<int> buffer_of(graph.nodes.size(), -1);
  auto new_buffer = [&](int node) {
    plan.buffers.push_back(buffer_for(graph.nodes[node]));
    buffer_of[node] = static_cast<int>(plan.buffers.size()) - 1;
    return buffer_of[node];
  };
  new_buffer(0);
  plan.input_buffer = 0;
  plan.input_size = static_cast<std::size_t>(graph.nodes[0].type.elements());

  for (int i = 1; i < static_cast<int>(graph.nodes.size()); ++i) {
    if (buffer_of[i] >= 0) continue;  // a threshold fused into its layer
    const Node& node = graph.nodes[i];
    StepHeader head;
    head.name = node.name;
    head.in = node.inputs.empty() ? -1 : buffer_of[node.inputs[0]];
    const BufferSpec* in = head.in >= 0 ? &plan.buffers[head.in] : nullptr;
    // The step writes the buffer of node `writes` (a fused layer: its threshold's).
    auto add_step = [&](auto step, int writes) {
      step.out = new_buffer(writes);
      buffer_of[i] = step.out;
      plan.steps.emplace_back(std::move(step));
    };
    switch (node.op()) {
      case Op::Input: fail("layer '{}': a second input layer", node.name);
      case Op::BatchNorm:
      case Op::Affine:
      case Op::Sign:
        fail("layer '{}' ({}): the CPU engine runs integer-only graphs; streamline it first",
             node.name, op_name(node.op()));
      case Op::Reshape:
        if (in->storage != Storage::Bits || (flat_bits(*in) && flat_bits(buffer_for(node)))) {
          const int source = head.in;
          const int alias = new_buffer(i);  // same bytes, new shape
          plan.buffers[alias].alias_of =
              plan.buffers[source].alias_of >= 0 ? plan.buffers[source].alias_of : source;
          plan.buffers[alias].storage = plan.buffers[source].storage;
          plan.buffers[alias].frame_bytes = plan.buffers[source].frame_bytes;
          continue;
        }
        add_step(with_header<RepackStep>(head), i);
        continue;
      case Op::Quantize: {
        auto step = with_header<QuantizeStep>(head);
        step.table = node.as<QuantizeAttrs>().table;
        add_step(std::move(step), i);
        continue;
      }
      case Op::Threshold: {
        const auto& a = node.as<ThresholdAttrs>();
        if (a.thresholds_per_channel != 1) {
          fail("layer '{}': the CPU engine runs one threshold per channel, not {}", node.name,
               a.thresholds_per_channel);
        }
        auto step = with_header<ThresholdStep>(head);
        step.thresholds = a.thresholds;
        step.negate = a.negate;
        if (in->storage == Storage::U8) {
          // v ≥ T on uint8: T ≤ 0 always fires (byte threshold 0), T > 255 never does.
          const int words = words_for_bits(in->c);
          step.byte_thresholds.assign(static_cast<std::size_t>(words) * 64, 0);
          step.never_fire_words.assign(static_cast<std::size_t>(words), 0);
          step.negate_words.assign(static_cast<std::size_t>(words), 0);
          for (int c = 0; c < in->c; ++c) {
            const std::int64_t t = a.thresholds[c];
            step.byte_thresholds[c] =
                static_cast<std::uint8_t>(std::clamp<std::int64_t>(t, 0, 255));
            if (t > 255) step.never_fire_words[c / 64] |= std::uint64_t{1} << (c % 64);
            if (!a.negate.empty() && a.negate[c] != 0) {
              step.negate_words[c / 64] |= std::uint64_t{1} << (c % 64);
            }
          }
        }
        add_step(std::move(step), i);
        continue;
      }
      case Op::Dense:
      case Op::Conv2d: {
        const bool conv = node.op() == Op::Conv2d;
        const BinaryMatrix& weights =
            conv ? node.as<Conv2dAttrs>().weights : node.as<DenseAttrs>().weights;
        auto layer = with_header<LayerStep>(head);
        if (conv) {
          const auto& a = node.as<Conv2dAttrs>();
          layer.kernel = a.kernel;
          layer.stride = a.stride;
          layer.pad = a.pad;
          layer.pad_value = a.pad_value;
        } else if (in->h * in->w != 1) {
          fail("layer '{}': dense input must be a vector", node.name);
        }
        // A single threshold consumer folds into the layer's output.
        const std::vector<int> consumers = graph.consumers(i);
        const ThresholdAttrs* thr = nullptr;
        if (consumers.size() == 1 && graph.nodes[consumers[0]].op() == Op::Threshold &&
            graph.nodes[consumers[0]].as<ThresholdAttrs>().thresholds_per_channel == 1) {
          thr = &graph.nodes[consumers[0]].as<ThresholdAttrs>();
        }
        layer.macs = static_cast<std::int64_t>(weights.rows()) * weights.cols() *
                     (node.type.elements() / weights.rows());
        plan.macs_per_frame += layer.macs;
        const int writes = thr != nullptr ? consumers[0] : i;
        if (in->storage == Storage::Bits) {
          BinaryLayerStep step;
          static_cast<LayerStep&>(step) = std::move(layer);
          const int taps = step.kernel * step.kernel;
          step.direct = !conv || (step.kernel == 1 && step.stride == 1 && step.pad == 0);
          pack_binary_layer(step, weights, in->c, taps, thr);
          if (!step.direct) conv_offsets(step, *in, node.type.shape);
          if (conv && node.as<Conv2dAttrs>().zero_padded()) add_zero_padding(step, node, *in, thr);
          add_step(std::move(step), writes);
          continue;
        }
        FixedLayerStep step;
        static_cast<LayerStep&>(step) = std::move(layer);
        const Node& producer = graph.nodes[node.inputs[0]];
        step.offset = byte_offset(producer, node);
        if (step.pad > 0 &&
            (step.pad_value + step.offset < 0 || step.pad_value + step.offset > 255)) {
          fail("layer '{}': pad value {} is outside the input's 8-bit range", node.name,
               step.pad_value);
        }
        pack_fixed_layer(step, weights, in->c, thr);
        conv_offsets(step, *in, node.type.shape);
        fuse_quantize(plan, graph, producer, node.inputs[0], step);
        add_step(std::move(step), writes);
        continue;
      }
      case Op::MaxPool: {
        const auto& a = node.as<MaxPoolAttrs>();
        auto step = with_header<MaxPoolStep>(head);
        step.kernel = a.kernel;
        step.stride = a.stride;
        step.pad = a.pad;
        step.min_channels = a.min_channels;
        if (in->storage == Storage::Bits) {
          step.min_mask.assign(static_cast<std::size_t>(in->words_per_pixel), 0);
          for (std::size_t c = 0; c < a.min_channels.size(); ++c) {
            if (a.min_channels[c] != 0) step.min_mask[c / 64] |= std::uint64_t{1} << (c % 64);
          }
        }
        add_step(std::move(step), i);
        continue;
      }
      case Op::Add: {
        auto step = with_header<AddStep>(head);
        step.in2 = buffer_of[node.inputs[1]];
        step.attrs = node.as<AddAttrs>();
        step.in2_bits = plan.buffers[step.in2].storage == Storage::Bits;
        if (in->storage != Storage::I32 ||
            (plan.buffers[step.in2].storage != Storage::I32 && !step.in2_bits)) {
          fail("layer '{}': the CPU engine adds an int32 tensor and an int32 or bit tensor only",
               node.name);
        }
        const std::vector<int> consumers = graph.consumers(i);
        if (consumers.size() == 1 && fuse_threshold(step, graph, node, consumers[0])) {
          step.after_own_conv =
              step.mode != AddThresholdMode::Sum && own_conv_last(plan, graph, node, head.in);
          add_step(std::move(step), consumers[0]);
          continue;
        }
        add_step(std::move(step), i);
        continue;
      }
      case Op::GlobalSumPool: {
        if (in->storage == Storage::U8) {
          fail("layer '{}': the CPU engine pools bits or int32 values, not uint8 pixels",
               node.name);
        }
        add_step(with_header<GlobalSumPoolStep>(head), i);
        continue;
      }
      case Op::LabelSelect: {
        if (in->storage != Storage::I32) {
          fail("layer '{}': the CPU engine selects labels from integer scores only", node.name);
        }
        auto step = with_header<LabelStep>(head);
        step.select = node.as<LabelSelectAttrs>();
        add_step(std::move(step), i);
        continue;
      }
      case Op::Count: BNNC_ASSERT(false, "bad op");
    }
  }
  return plan;
}

}  // namespace bnnc::runtime
