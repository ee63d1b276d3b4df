#include "sim/similarity.h"

#include <algorithm>
#include <bit>
#include <random>

#include "core/bits.h"
#include "core/ceil_div.h"
#include "core/error.h"
#include "fold/kernel_similarity.h"
#include "sim/early_exit.h"
#include "sim/golden_model.h"

namespace bnnc {

namespace {

// Every output window of one layer in one image, packed: bits (1 = +1) and which positions are
// real synapses (0 only in a zero-padded border).
struct PackedWindows {
  int words = 0;
  std::vector<std::uint64_t> bits, valid;
  const std::uint64_t* bits_of(int window) const {
    return bits.data() + static_cast<std::size_t>(window) * words;
  }
  const std::uint64_t* valid_of(int window) const {
    return valid.data() + static_cast<std::size_t>(window) * words;
  }
};

struct LayerState {
  int node = -1;
  LayerSimilarity layer;
  const BinaryMatrix* weights = nullptr;
  const ThresholdAttrs* threshold = nullptr;  // the layer's output threshold, if any
  ReuseWork weight_per_window;
  double similarity_sum = 0, pairs = 0;
  double equal_chunks = 0, compared_chunks = 0;
  double early_chunks_skipped = 0, early_chunks_total = 0;
  double input_ones = 0, input_bits = 0;
  // A pool, per entry of layer.pool_groups: groups decided early, inputs the groups skip, and
  // the groups and inputs counted.
  std::vector<double> group_decided, group_skipped, group_count, group_inputs;
};

void add(ReuseWork& sum, const ReuseWork& work, double times = 1.0) {
  sum.bit_ops += work.bit_ops * times;
  sum.chunk_ops += work.chunk_ops * times;
  sum.compacted_ops += work.compacted_ops * times;
  sum.bit_reads += work.bit_reads * times;
  sum.chunk_reads += work.chunk_reads * times;
  sum.compacted_reads += work.compacted_reads * times;
}

int chunks_of(int bits, int simd) { return ceil_div(bits, simd); }

// The SIMD-wide chunks of the first n positions that hold at least one set bit of mask.
int nonzero_chunks(const std::uint64_t* mask, int n, int simd) {
  int chunks = 0;
  for (int start = 0; start < n; start += simd) {
    const int end = std::min(n, start + simd);
    bool any = false;
    for (int i = start; i < end && !any;) {
      const int word = i / 64, offset = i % 64;
      const int take = std::min(64 - offset, end - i);
      const std::uint64_t bits = mask[word] >> offset;
      const std::uint64_t keep = take == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << take) - 1;
      any = (bits & keep) != 0;
      i += take;
    }
    chunks += any ? 1 : 0;
  }
  return chunks;
}

// One window's plain work (the header of similarity.h).
ReuseWork plain_window(int kernels, int n, int simd) {
  const double k = kernels, sf = chunks_of(n, simd);
  return {k * n, k * sf, k * sf, k * n + n, k * sf + sf, k * sf + sf};
}

// A window computed from its left neighbour, differing in `differ` positions spread over
// `differ_chunks` chunks.
ReuseWork input_reuse_window(int kernels, int n, int simd, int differ, int differ_chunks) {
  const double k = kernels, sf = chunks_of(n, simd);
  const double compacted = chunks_of(differ, simd);
  return {k * differ,     k * differ_chunks,      k * compacted,
          k * differ + n, k * differ_chunks + sf, k * differ_chunks + sf};
}

// One window under weight reuse: the root kernel in full, every other one from its parent.
ReuseWork weight_reuse_window(const BinaryMatrix& weights, const KernelSimilarity& tree, int simd,
                              double& equal_chunks) {
  const int n = weights.cols();
  const double sf = chunks_of(n, simd);
  ReuseWork work{static_cast<double>(n), sf, sf, 2.0 * n, 2.0 * sf, 2.0 * sf};
  double differing = 0;
  for (int b = 0; b < weights.rows(); ++b) {
    const KernelPartner& p = tree.parent[static_cast<std::size_t>(b)];
    if (p.kernel < 0) continue;
    const int chunks = differing_chunks(weights, p.kernel, b, p.negated, simd);
    const int compacted = chunks_of(p.distance, simd);
    differing += chunks;
    work.bit_ops += p.distance;
    work.chunk_ops += chunks;
    work.compacted_ops += compacted;
    work.bit_reads += p.distance;
    work.chunk_reads += chunks;
    work.compacted_reads += compacted;
  }
  const double compared = sf * (weights.rows() - 1);
  equal_chunks = compared > 0 ? 1.0 - differing / compared : 0.0;
  return work;
}

PackedWindows pack_conv_windows(const Conv2dAttrs& a, const GoldenTensor& in,
                                const TensorType& out) {
  const int oh = out.shape[0], ow = out.shape[1];
  const int h = in.type.shape[0], w = in.type.shape[1], channels = in.type.shape[2];
  const int n = a.weights.cols();
  PackedWindows windows;
  windows.words = words_for_bits(n);
  const std::size_t size = static_cast<std::size_t>(oh) * ow * windows.words;
  windows.bits.assign(size, 0);
  windows.valid.assign(size, 0);
  const bool zero_pad = a.zero_padded();
  for (int oy = 0; oy < oh; ++oy) {
    for (int ox = 0; ox < ow; ++ox) {
      const std::size_t base = (static_cast<std::size_t>(oy) * ow + ox) * windows.words;
      const std::span<std::uint64_t> bits(windows.bits.data() + base, windows.words);
      const std::span<std::uint64_t> valid(windows.valid.data() + base, windows.words);
      int i = 0;
      for (int ky = 0; ky < a.kernel; ++ky) {
        for (int kx = 0; kx < a.kernel; ++kx) {
          const int iy = oy * a.stride - a.pad + ky, ix = ox * a.stride - a.pad + kx;
          const bool inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
          for (int c = 0; c < channels; ++c, ++i) {
            const std::int64_t v =
                inside ? in.values[(static_cast<std::size_t>(iy) * w + ix) * channels + c]
                       : (zero_pad ? 0 : a.pad_value);
            set_bit(bits, i, v != 0);
            set_bit(valid, i, inside || !zero_pad);
          }
        }
      }
    }
  }
  return windows;
}

PackedWindows pack_vector(const GoldenTensor& in) {
  const int n = static_cast<int>(in.values.size());
  PackedWindows windows;
  windows.words = words_for_bits(n);
  windows.bits.assign(static_cast<std::size_t>(windows.words), 0);
  windows.valid.assign(static_cast<std::size_t>(windows.words), 0);
  for (int i = 0; i < n; ++i) {
    set_bit(windows.bits, i, in.values[static_cast<std::size_t>(i)] != 0);
    set_bit(windows.valid, i, true);
  }
  return windows;
}

// Input reuse along every output row: the first window plainly, each next from its left one.
void measure_input_reuse(LayerState& s, const PackedWindows& windows, int oh, int ow) {
  LayerSimilarity& l = s.layer;
  const int n = l.synapses, sf = chunks_of(n, l.simd);
  const ReuseWork plain = plain_window(l.kernels, n, l.simd);
  std::vector<std::uint64_t> mask(static_cast<std::size_t>(windows.words));
  for (int oy = 0; oy < oh; ++oy) {
    add(l.input, plain);
    for (int ox = 1; ox < ow; ++ox) {
      const int left = oy * ow + ox - 1, right = left + 1;
      int differ = 0;
      for (int w = 0; w < windows.words; ++w) {
        const std::uint64_t va = windows.valid_of(left)[w], vb = windows.valid_of(right)[w];
        mask[static_cast<std::size_t>(w)] =
            ((windows.bits_of(left)[w] ^ windows.bits_of(right)[w]) & va & vb) | (va ^ vb);
        differ += std::popcount(mask[static_cast<std::size_t>(w)]);
      }
      const int differ_chunks = nonzero_chunks(mask.data(), n, l.simd);
      add(l.input, input_reuse_window(l.kernels, n, l.simd, differ, differ_chunks));
      s.similarity_sum += 1.0 - static_cast<double>(differ) / n;
      s.pairs += 1;
      s.equal_chunks += sf - differ_chunks;
      s.compared_chunks += sf;
    }
  }
}

void measure_early_exit(LayerState& s, const PackedWindows& windows, int count, bool zero_padded) {
  LayerSimilarity& l = s.layer;
  const int n = l.synapses, sf = chunks_of(n, l.simd);
  for (int window = 0; window < count; ++window) {
    for (int r = 0; r < l.kernels; ++r) {
      const std::int64_t t = s.threshold->thresholds[static_cast<std::size_t>(r)];
      // A popcount threshold P ≥ T is y ≥ 2T − N on y = 2P − N (early_exit.h); a zero-padded
      // conv's output already is y.
      const std::int64_t threshold = zero_padded ? t : 2 * t - n;
      const int read = synapses_until_decided(windows.bits_of(window), s.weights->row_words(r),
                                              windows.valid_of(window), n, threshold);
      l.early_exit_skipped += n - read;
      l.early_exit_total += n;
      s.early_chunks_skipped += sf - chunks_of(read, l.simd);
      s.early_chunks_total += sf;
    }
  }
}

void measure_pool(LayerState& s, const MaxPoolAttrs& a, const GoldenTensor& in,
                  const TensorType& out) {
  const int oh = out.shape[0], ow = out.shape[1], channels = out.shape[2];
  const int w = in.type.shape[1];
  std::vector<std::int64_t> window(static_cast<std::size_t>(a.kernel) * a.kernel);
  const int inputs = static_cast<int>(window.size());
  std::vector<int> reads(static_cast<std::size_t>(channels));  // per channel, inputs read
  if (s.layer.pool_groups.empty()) {
    for (int pe = 1; pe <= channels && channels % pe == 0; pe *= 2) {
      s.layer.pool_groups.push_back({pe, 0, 0});
    }
    const std::size_t n = s.layer.pool_groups.size();
    s.group_decided.assign(n, 0), s.group_skipped.assign(n, 0);
    s.group_count.assign(n, 0), s.group_inputs.assign(n, 0);
  }
  for (int oy = 0; oy < oh; ++oy) {
    for (int ox = 0; ox < ow; ++ox) {
      for (int c = 0; c < channels; ++c) {
        std::size_t i = 0;
        for (int ky = 0; ky < a.kernel; ++ky) {
          for (int kx = 0; kx < a.kernel; ++kx) {
            const int iy = oy * a.stride + ky, ix = ox * a.stride + kx;
            window[i++] = in.values[(static_cast<std::size_t>(iy) * w + ix) * channels + c];
          }
        }
        const bool take_min = !a.min_channels.empty() && a.min_channels[c] != 0;
        const int read = pool_inputs_until_decided(window, take_min);
        reads[static_cast<std::size_t>(c)] = read;
        s.layer.early_exit_skipped += static_cast<double>(window.size()) - read;
        s.layer.early_exit_total += static_cast<double>(window.size());
      }
      // A lock-step group moves on once its last channel is decided.
      for (std::size_t k = 0; k < s.layer.pool_groups.size(); ++k) {
        const int pe = s.layer.pool_groups[k].pe;
        for (int first = 0; first < channels; first += pe) {
          const int read = *std::max_element(reads.begin() + first, reads.begin() + first + pe);
          s.group_decided[k] += read < inputs ? 1 : 0;
          s.group_skipped[k] += inputs - read;
          s.group_count[k] += 1;
          s.group_inputs[k] += inputs;
        }
      }
    }
  }
}

BinaryMatrix random_kernels(int kernels, int synapses) {
  std::mt19937_64 rng(kRandomKernelSeed);
  BinaryMatrix m(kernels, synapses);
  for (int r = 0; r < kernels; ++r) {
    for (int c = 0; c < synapses; ++c) m.set(r, c, (rng() & 1U) != 0);
  }
  return m;
}

// The threshold that alone reads node `index`'s output, if there is one.
const ThresholdAttrs* output_threshold(const Graph& graph, int index) {
  const std::vector<int> readers = graph.consumers(index);
  if (readers.size() != 1) return nullptr;
  const Node& reader = graph.nodes[static_cast<std::size_t>(readers[0])];
  if (reader.op() != Op::Threshold) return nullptr;
  const auto& attrs = reader.as<ThresholdAttrs>();
  return attrs.thresholds_per_channel == 1 ? &attrs : nullptr;
}

std::vector<LayerState> binary_layers(const Graph& graph, const SimilarityOptions& options) {
  std::vector<LayerState> states;
  for (int i = 1; i < static_cast<int>(graph.nodes.size()); ++i) {
    const Node& node = graph.nodes[static_cast<std::size_t>(i)];
    const Op op = node.op();
    if (op != Op::Conv2d && op != Op::Dense && op != Op::MaxPool) continue;
    const TensorType& in = graph.nodes[static_cast<std::size_t>(node.inputs[0])].type;
    if (!in.dtype.is_bit()) continue;
    LayerState s;
    s.node = i;
    LayerSimilarity& l = s.layer;
    l.name = node.name;
    l.kind = op_name(op);
    const auto simd = options.simd.find(node.name);
    l.simd_from_folding = simd != options.simd.end();
    l.simd = l.simd_from_folding ? simd->second : options.default_simd;
    if (op == Op::MaxPool) {
      const auto& a = node.as<MaxPoolAttrs>();
      l.synapses = a.kernel * a.kernel;
      l.windows = node.type.shape[0] * node.type.shape[1];
      l.kernels = node.type.shape[2];
      l.simd = 0;
      l.simd_from_folding = false;
      states.push_back(std::move(s));
      continue;
    }
    s.weights = op == Op::Conv2d ? &node.as<Conv2dAttrs>().weights : &node.as<DenseAttrs>().weights;
    s.threshold = output_threshold(graph, i);
    l.synapses = s.weights->cols();
    l.kernels = s.weights->rows();
    l.windows = op == Op::Conv2d ? node.type.shape[0] * node.type.shape[1] : 1;
    l.input_reuse_applies = op == Op::Conv2d && node.type.shape[1] >= 2;
    l.weight_reuse_applies = l.kernels >= 2;
    if (l.weight_reuse_applies) {
      const KernelSimilarity tree = kernel_similarity(*s.weights);
      double equal = 0;
      s.weight_per_window = weight_reuse_window(*s.weights, tree, l.simd, equal);
      l.weight_similarity_nn = tree.nearest_similarity();
      l.weight_similarity_mst = tree.tree_similarity();
      l.equal_chunks_weight = equal;
      l.negated_edges = tree.negated_edges();
      l.weight_similarity_nn_random =
          kernel_similarity(random_kernels(l.kernels, l.synapses)).nearest_similarity();
    }
    states.push_back(std::move(s));
  }
  return states;
}

void finish(LayerState& s, int images) {
  LayerSimilarity& l = s.layer;
  l.input_ones = s.input_bits > 0 ? s.input_ones / s.input_bits : 0.0;
  if (l.kind == "maxpool") {
    if (l.early_exit_total > 0) l.early_exit = l.early_exit_skipped / l.early_exit_total;
    for (std::size_t k = 0; k < l.pool_groups.size(); ++k) {
      if (s.group_count[k] == 0) continue;
      l.pool_groups[k].decided_early = s.group_decided[k] / s.group_count[k];
      l.pool_groups[k].skipped = s.group_skipped[k] / s.group_inputs[k];
    }
    l.early_exit_chunk = l.early_exit;
    l.recommend = "none";
    return;
  }
  const double windows = static_cast<double>(l.windows) * images;
  add(l.plain, plain_window(l.kernels, l.synapses, l.simd), windows);
  if (!l.input_reuse_applies) l.input = l.plain;
  if (l.weight_reuse_applies) {
    add(l.weight, s.weight_per_window, windows);
  } else {
    l.weight = l.plain;
  }
  if (s.pairs > 0) {
    l.input_similarity = s.similarity_sum / s.pairs;
    l.equal_chunks_input = s.equal_chunks / s.compared_chunks;
  }
  if (s.threshold != nullptr && l.early_exit_total > 0) {
    l.early_exit = l.early_exit_skipped / l.early_exit_total;
    l.early_exit_chunk = s.early_chunks_skipped / s.early_chunks_total;
  }
  l.recommend = recommend_reuse(l);
}

}  // namespace

double skipped_fraction(double with, double without) {
  return without > 0 ? 1.0 - with / without : 0.0;
}

std::string recommend_reuse(const LayerSimilarity& layer) {
  const double input = layer.input_reuse_applies
                           ? skipped_fraction(layer.input.compacted_ops, layer.plain.compacted_ops)
                           : 0.0;
  const double weight = layer.weight_reuse_applies ? skipped_fraction(layer.weight.compacted_ops,
                                                                      layer.plain.compacted_ops)
                                                   : 0.0;
  if (input >= 0.10 && input >= weight + 0.05) return "input";
  if (weight >= 0.10) return "weight";
  return "none";
}

SimilarityReport analyze_similarity(const Graph& graph, const Dataset& data, int count,
                                    const SimilarityOptions& options) {
  BNNC_ASSERT(options.default_simd >= 1, "analyze_similarity: SIMD {}", options.default_simd);
  std::vector<LayerState> states = binary_layers(graph, options);
  const bool any_matrix = std::any_of(
      states.begin(), states.end(), [](const LayerState& s) { return s.layer.kind != "maxpool"; });
  if (!any_matrix) {
    fail("model '{}': has no binary layer (a conv2d or dense layer whose input is bits) to analyse",
         graph.name);
  }
  for (const LayerState& s : states) {
    if (s.layer.simd < 1 && s.layer.kind != "maxpool") {
      fail("layer '{}': SIMD {} must be at least 1", s.layer.name, s.layer.simd);
    }
  }

  for (int image = 0; image < count; ++image) {
    const std::vector<GoldenTensor> values = run_golden_layers(graph, data.image(image));
    for (LayerState& s : states) {
      const Node& node = graph.nodes[static_cast<std::size_t>(s.node)];
      const GoldenTensor& in = values[static_cast<std::size_t>(node.inputs[0])];
      s.input_ones += static_cast<double>(std::count(in.values.begin(), in.values.end(), 1));
      s.input_bits += static_cast<double>(in.values.size());
      if (node.op() == Op::MaxPool) {
        measure_pool(s, node.as<MaxPoolAttrs>(), in, node.type);
        continue;
      }
      const bool conv = node.op() == Op::Conv2d;
      const PackedWindows windows =
          conv ? pack_conv_windows(node.as<Conv2dAttrs>(), in, node.type) : pack_vector(in);
      if (s.layer.input_reuse_applies) {
        measure_input_reuse(s, windows, node.type.shape[0], node.type.shape[1]);
      }
      if (s.threshold != nullptr) {
        measure_early_exit(s, windows, s.layer.windows,
                           conv && node.as<Conv2dAttrs>().zero_padded());
      }
    }
    if (options.progress) options.progress(image + 1);
  }

  SimilarityReport report;
  report.images = count;
  for (LayerState& s : states) {
    finish(s, count);
    report.layers.push_back(std::move(s.layer));
  }
  return report;
}

}  // namespace bnnc
