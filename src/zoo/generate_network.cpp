#include "zoo/generate_network.h"

#include <algorithm>
#include <random>
#include <thread>

#include "core/error.h"
#include "core/start_thread.h"
#include "io/bnn_pynq_importer.h"
#include "ir/infer_types.h"
#include "passes/integer_domain.h"
#include "passes/streamline.h"
#include "sim/golden_model.h"
#include "zoo/random_images.h"

namespace bnnc {

namespace {

// Streams drawn from the one seed: weights, batch-norms, calibration images, test images.
constexpr std::uint64_t kBatchNormStream = 0x6a09e667f3bcc908ULL;
constexpr std::uint64_t kCalibrationStream = 0xbb67ae8584caa73bULL;
constexpr std::uint64_t kTestStream = 0x3c6ef372fe94f82bULL;

BinaryMatrix random_matrix(int rows, int cols, std::mt19937_64& rng) {
  BinaryMatrix m(rows, cols);
  std::vector<std::uint64_t>& words = m.mutable_words();
  for (std::uint64_t& word : words) word = rng();
  // Bits past MW in a row's last word are 0 (binary_matrix.h).
  if (cols % 64 != 0) {
    const std::uint64_t keep = (std::uint64_t{1} << (cols % 64)) - 1;
    for (int r = 0; r < rows; ++r) {
      words[static_cast<std::size_t>(r + 1) * m.words_per_row() - 1] &= keep;
    }
  }
  return m;
}

double uniform(std::mt19937_64& rng, double lo, double hi) {
  return lo + (hi - lo) * static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

// The threshold T of one channel, output bit = (raw ≥ T): the lower median m of its values or
// m + 1, whichever fires nearer half of the time (many values may equal m).
std::int64_t balanced_threshold(std::vector<std::int64_t>& values) {
  const auto middle = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
  std::nth_element(values.begin(), middle, values.end());
  const std::int64_t m = *middle;
  std::int64_t at_least_m = 0, above_m = 0;
  for (std::int64_t v : values) {
    at_least_m += v >= m ? 1 : 0;
    above_m += v > m ? 1 : 0;
  }
  const auto half = static_cast<double>(values.size()) / 2.0;
  const double off_m = std::abs(static_cast<double>(at_least_m) - half);
  const double off_next = std::abs(static_cast<double>(above_m) - half);
  return off_next < off_m ? m + 1 : m;
}

class Builder {
 public:
  Builder(const GenerateOptions& options, const NetworkRecipe& recipe)
      : options_(options),
        weights_rng_(options.seed),
        batchnorm_rng_(options.seed ^ kBatchNormStream) {
    graph_.name = recipe.name;
    x_ = graph_.add("input", InputAttrs{recipe.input, DType::uint(8)});
    infer_types(graph_);
    const int count = options.calibration_images;
    const std::vector<std::uint8_t> pixels =
        random_images(options.seed ^ kCalibrationStream, count, recipe.input);
    const auto size = static_cast<std::size_t>(graph_.nodes[0].type.elements());
    for (int i = 0; i < count; ++i) {
      const auto begin = pixels.begin() + static_cast<std::ptrdiff_t>(i * size);
      acts_.push_back(
          {graph_.nodes[0].type,
           std::vector<std::int64_t>(begin, begin + static_cast<std::ptrdiff_t>(size))});
    }
    // The first layer reads 8-bit pixels as fixed<8,7> in [−1, 1), as BNN-PYNQ's CNV does.
    add("quantize", QuantizeAttrs{cnv_input_table(), DType::fixed(8, 7)});
    advance();
  }

  void add_layer(const LayerRecipe& layer, bool last) {
    switch (layer.kind) {
      case RecipeKind::Conv: {
        const int in_c = graph_.nodes[x_].type.channels();
        Conv2dAttrs conv;
        conv.weights =
            random_matrix(layer.channels, layer.kernel * layer.kernel * in_c, weights_rng_);
        conv.kernel = layer.kernel;
        conv.stride = layer.stride;
        conv.pad = layer.pad;
        // Binary layers pad with bit 0 (−1); the first layer's pad is the pixel value 0.
        conv.pad_value = 0;
        add(fmt::format("conv{}", ++convs_), std::move(conv));
        add_batchnorm_sign(fmt::format("{}", convs_));
        return;
      }
      case RecipeKind::MaxPool:
        add(fmt::format("pool{}", ++pools_),
            MaxPoolAttrs{layer.kernel, layer.stride, {}, layer.pad});
        advance();
        return;
      case RecipeKind::GlobalSumPool:
        add("avgpool", GlobalSumPoolAttrs{});
        advance();
        return;
      case RecipeKind::Dense: {
        const TensorType& in = graph_.nodes[x_].type;
        if (in.shape.size() != 1) {
          add("flatten", ReshapeAttrs{{static_cast<int>(in.elements())}});
          advance();
        }
        const int cols = graph_.nodes[x_].type.shape[0];
        add(fmt::format("fc{}", ++denses_),
            DenseAttrs{random_matrix(layer.channels, cols, weights_rng_)});
        if (last) {
          add("label", LabelSelectAttrs{});
        } else {
          add_batchnorm_sign(fmt::format("fc{}", denses_));
        }
        return;
      }
    }
  }

  GeneratedNetwork finish() {
    GeneratedNetwork out;
    out.graph = streamline(graph_);
    out.firing = std::move(firing_);
    return out;
  }

 private:
  template <typename Attrs>
  void add(const std::string& name, Attrs attrs) {
    x_ = graph_.add(name, std::move(attrs), {x_});
    infer_types(graph_);
  }

  // Runs node x_ on every calibration image.
  void advance() {
    std::vector<GoldenTensor> next(acts_.size());
    run_each_image([&](std::size_t i) {
      next[i] = {graph_.nodes[x_].type, run_golden_node(graph_.nodes[x_], {&acts_[i]})};
    });
    acts_ = std::move(next);
  }

  template <typename Body>
  void run_each_image(Body body) {
    const int threads =
        std::max(1, std::min<int>(options_.threads, static_cast<int>(acts_.size())));
    std::vector<std::jthread> pool;
    for (int t = 1; t < threads; ++t) {
      pool.push_back(start_thread(
          [&, t] {
            for (std::size_t i = t; i < acts_.size(); i += threads) body(i);
          },
          t, threads));
    }
    for (std::size_t i = 0; i < acts_.size(); i += static_cast<std::size_t>(threads)) body(i);
  }

  // Batch-norm + sign after the layer x_, drawn so that each channel's threshold sits at the
  // median of its pre-activations on the calibration images (generate_network.h).
  void add_batchnorm_sign(const std::string& suffix) {
    advance();  // acts_ now hold the layer's pre-activations
    const int layer = x_;
    const int channels = graph_.nodes[layer].type.channels();
    const auto domain = integer_domain(graph_, layer);
    BNNC_ASSERT(domain.has_value(), "layer '{}' has no integer domain", graph_.nodes[layer].name);
    BatchNormAttrs bn;
    std::vector<std::uint8_t> negative(static_cast<std::size_t>(channels));
    std::vector<std::int64_t> thresholds(static_cast<std::size_t>(channels));
    std::vector<std::int64_t> values;
    for (int c = 0; c < channels; ++c) {
      values.clear();
      for (const GoldenTensor& act : acts_) {
        for (std::size_t e = static_cast<std::size_t>(c); e < act.values.size(); e += channels) {
          values.push_back(act.values[e]);
        }
      }
      // Without calibration images: the middle of the layer's range (generate_network.h).
      const std::int64_t t =
          values.empty() ? (domain->lo + domain->hi) / 2 : balanced_threshold(values);
      const bool negate = batchnorm_rng_() % 4 == 0;
      // γ > 0: sign(BN(y)) = +1 ⇔ y ≥ μ, so μ = real(T); γ < 0: ⇔ y ≤ μ, so μ = real(T − 1)
      // and the bit is raw < T (sign(0) = +1 either way; β = 0).
      const double magnitude = uniform(batchnorm_rng_, 0.5, 2.0);
      bn.gamma.push_back(static_cast<float>(negate ? -magnitude : magnitude));
      bn.beta.push_back(0.0F);
      bn.mean.push_back(domain->real(negate ? t - 1 : t));
      bn.var.push_back(static_cast<float>(uniform(batchnorm_rng_, 0.5, 2.0)));
      negative[c] = negate ? 1 : 0;
      thresholds[c] = t;
    }
    add("bn" + suffix, std::move(bn));
    add("sign" + suffix, SignAttrs{});
    LayerFiring firing{graph_.nodes[x_].name, 0.0, channels, 0};
    std::vector<std::uint8_t> seen_one(static_cast<std::size_t>(channels)),
        seen_zero(static_cast<std::size_t>(channels));
    std::int64_t ones = 0, total = 0;
    for (GoldenTensor& act : acts_) {
      for (std::size_t e = 0; e < act.values.size(); ++e) {
        const std::size_t c = e % static_cast<std::size_t>(channels);
        const bool bit = (act.values[e] >= thresholds[c]) != (negative[c] != 0);
        act.values[e] = bit ? 1 : 0;
        (bit ? seen_one : seen_zero)[c] = 1;
        ones += bit ? 1 : 0;
        ++total;
      }
      act.type = graph_.nodes[x_].type;
    }
    for (int c = 0; c < channels; ++c) {
      if (seen_one[c] == 0 || seen_zero[c] == 0) ++firing.constant_channels;
    }
    firing.fraction = total > 0 ? static_cast<double>(ones) / static_cast<double>(total) : 0.0;
    if (total == 0) firing.constant_channels = 0;
    firing_.push_back(firing);
  }

  const GenerateOptions& options_;
  Graph graph_;
  int x_ = 0;
  std::vector<GoldenTensor> acts_;  // node x_'s output on each calibration image
  std::mt19937_64 weights_rng_, batchnorm_rng_;
  int convs_ = 0, pools_ = 0, denses_ = 0;
  std::vector<LayerFiring> firing_;
};

}  // namespace

GeneratedNetwork generate_network(const GenerateOptions& options) {
  if (options.calibration_images < 0) {
    fail("calibration images must be at least 0, not {}", options.calibration_images);
  }
  const NetworkRecipe recipe = network_recipe(options.network, options.width_divisor);
  Builder builder(options, recipe);
  for (std::size_t i = 0; i < recipe.layers.size(); ++i) {
    builder.add_layer(recipe.layers[i], i + 1 == recipe.layers.size());
  }
  return builder.finish();
}

std::uint64_t test_images_seed(std::uint64_t seed) { return seed ^ kTestStream; }

}  // namespace bnnc
