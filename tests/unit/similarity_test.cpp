// bnnc similarity's figures on layers small enough to check by hand (sim/similarity.h,
// fold/kernel_similarity.h, sim/early_exit.h), brute-force twins of the packed computations, and
// the CLI's JSON.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "fold/kernel_similarity.h"
#include "io/model_file.h"
#include "ir/infer_types.h"
#include "random_network.h"
#include "sim/early_exit.h"
#include "sim/golden_model.h"
#include "sim/interpret_graph.h"
#include "sim/similarity.h"
#include "sim/sum_input_reuse_c.h"
#include "test_support.h"

namespace bnnc {
namespace {

constexpr std::uint64_t kSeed = 20261203;

BinaryMatrix matrix_from(const std::vector<std::string>& rows) {
  BinaryMatrix m(static_cast<int>(rows.size()), static_cast<int>(rows[0].size()));
  for (int r = 0; r < m.rows(); ++r) {
    for (int c = 0; c < m.cols(); ++c) m.set(r, c, rows[static_cast<std::size_t>(r)][c] == '1');
  }
  return m;
}

TEST(KernelSimilarity, AKernelAndItsComplementAreFullySimilarWithNegation) {
  const KernelSimilarity s = kernel_similarity(matrix_from({"10110010", "01001101"}));
  EXPECT_DOUBLE_EQ(s.nearest_similarity(), 1.0);
  EXPECT_DOUBLE_EQ(s.tree_similarity(), 1.0);
  EXPECT_TRUE(s.nearest[0].negated);
  EXPECT_EQ(s.nearest[0].distance, 0);
  EXPECT_EQ(s.parent[0].kernel, -1);
  EXPECT_EQ(s.parent[1].kernel, 0);
  EXPECT_TRUE(s.parent[1].negated);
  EXPECT_EQ(s.negated_edges(), 1);
}

TEST(KernelSimilarity, SpanningTreeOnThreeKernels) {
  // d(a,b) = 1, d(b,c) = 2, d(a,c) = 3: the tree is a–b–c, so c's parent is b, not the root.
  const KernelSimilarity s = kernel_similarity(matrix_from({"00000000", "00000001", "00000111"}));
  EXPECT_EQ(s.parent[0].kernel, -1);
  EXPECT_EQ(s.parent[1].kernel, 0);
  EXPECT_EQ(s.parent[1].distance, 1);
  EXPECT_EQ(s.parent[2].kernel, 1);
  EXPECT_EQ(s.parent[2].distance, 2);
  EXPECT_EQ((std::vector<int>{0, 1, 2}), s.order);
  EXPECT_DOUBLE_EQ(s.tree_similarity(), (7.0 / 8 + 6.0 / 8) / 2);
  // Nearest: a→b 1, b→a 1, c→b 2; the root counts here, so the mean differs from the tree's.
  EXPECT_DOUBLE_EQ(s.nearest_similarity(), (7.0 + 7.0 + 6.0) / 24);
  EXPECT_EQ(s.negated_edges(), 0);
}

TEST(KernelSimilarity, ComplementDistanceIsTakenWhenSmaller) {
  // b is 6 bits from a, so 2 from NOT a.
  const KernelSimilarity s = kernel_similarity(matrix_from({"00000000", "11111100"}));
  EXPECT_EQ(s.parent[1].distance, 2);
  EXPECT_TRUE(s.parent[1].negated);
  EXPECT_EQ(differing_chunks(matrix_from({"00000000", "11111100"}), 0, 1, true, 4), 1);
  EXPECT_EQ(differing_chunks(matrix_from({"00000000", "11111100"}), 0, 1, false, 4), 2);
}

TEST(EarlyExit, DecidesOnceTheThresholdIsReachedOrOutOfReach) {
  const std::uint64_t ones = 0xFF, zeros = 0, all = 0xFF;
  // N = 8, P ≥ 3, i.e. y ≥ 2·3 − 8. All synapses match: decided after 3; none: after 6
  // (6 mismatches leave at most 2 matches).
  EXPECT_EQ(synapses_until_decided(&ones, &ones, &all, 8, 2 * 3 - 8), 3);
  EXPECT_EQ(synapses_until_decided(&zeros, &ones, &all, 8, 2 * 3 - 8), 6);
  // A threshold no sum can miss (P ≥ 0) or reach (P ≥ 9) is decided before any synapse.
  EXPECT_EQ(synapses_until_decided(&zeros, &ones, &all, 8, 2 * 0 - 8), 0);
  EXPECT_EQ(synapses_until_decided(&ones, &ones, &all, 8, 2 * 9 - 8), 0);
}

// The rule of early_exit.h one synapse at a time, on unpacked bits.
int until_decided_slowly(const std::vector<int>& x, const std::vector<int>& w,
                         const std::vector<int>& valid, std::int64_t t) {
  const int n = static_cast<int>(x.size());
  std::int64_t sum = 0;
  int remaining = 0;
  for (int v : valid) remaining += v;
  for (int k = 0; k <= n; ++k) {
    if (sum - remaining >= t || sum + remaining < t) return k;
    if (k < n && valid[k] != 0) {
      sum += x[k] == w[k] ? 1 : -1;
      --remaining;
    }
  }
  return n;
}

TEST(EarlyExit, AgreesWithTheSlowRuleAndWithTheFinalOutcome) {
  std::mt19937_64 rng(kSeed);
  for (int trial = 0; trial < 2000; ++trial) {
    const int n = 1 + static_cast<int>(rng() % 150);
    std::vector<int> x(n), w(n), valid(n);
    std::vector<std::uint64_t> px(3), pw(3), pv(3);
    const bool holes = trial % 3 == 0;
    for (int i = 0; i < n; ++i) {
      x[i] = static_cast<int>(rng() & 1);
      w[i] = static_cast<int>(rng() & 1);
      valid[i] = holes ? static_cast<int>(rng() % 4 != 0) : 1;
      px[i / 64] |= static_cast<std::uint64_t>(x[i]) << (i % 64);
      pw[i / 64] |= static_cast<std::uint64_t>(w[i]) << (i % 64);
      pv[i / 64] |= static_cast<std::uint64_t>(valid[i]) << (i % 64);
    }
    const std::int64_t t = static_cast<std::int64_t>(rng() % (2 * n + 5)) - n - 2;
    const int k = synapses_until_decided(px.data(), pw.data(), pv.data(), n, t);
    ASSERT_EQ(k, until_decided_slowly(x, w, valid, t)) << "trial " << trial << " seed " << kSeed;
    // What the first k synapses decided is what all n give.
    std::int64_t prefix = 0, total = 0;
    int left = 0;
    for (int i = 0; i < n; ++i) {
      const int c = valid[i] != 0 ? (x[i] == w[i] ? 1 : -1) : 0;
      total += c;
      if (i < k) {
        prefix += c;
      } else {
        left += valid[i];
      }
    }
    const bool decided_fire = prefix - left >= t;
    ASSERT_EQ(decided_fire, total >= t) << "trial " << trial;
  }
}

TEST(EarlyExit, PoolStopsAtTheFirstDecisiveInput) {
  EXPECT_EQ(pool_inputs_until_decided(std::vector<std::int64_t>{0, 0, 1, 0}, false), 3);
  EXPECT_EQ(pool_inputs_until_decided(std::vector<std::int64_t>{0, 0, 0, 0}, false), 4);
  EXPECT_EQ(pool_inputs_until_decided(std::vector<std::int64_t>{1, 0, 1, 1}, true), 2);
}

Dataset dataset_of(int height, int width, int channels, std::vector<std::uint8_t> pixels) {
  Dataset data;
  data.height = height;
  data.width = width;
  data.channels = channels;
  data.count = static_cast<int>(pixels.size() / data.image_size());
  data.pixels = std::move(pixels);
  return data;
}

// bit[4,6,2] → 2×2 conv with a kernel and its complement (+ threshold) → 2×2 OR pool.
Graph conv_graph(int stride, int pad) {
  std::mt19937_64 rng(kSeed);
  BinaryMatrix weights = test::random_matrix(2, 8, rng);
  for (int c = 0; c < 8; ++c) weights.set(1, c, !weights.get(0, c));
  Graph graph;
  graph.name = "conv-test";
  const int in = graph.add("in", InputAttrs{{4, 6, 2}, DType::bit()});
  const int conv = graph.add("conv", Conv2dAttrs{weights, 2, stride, pad, 1}, {in});
  const int thr = graph.add("thr", ThresholdAttrs{{4, 5}, 1, {}}, {conv});
  graph.add("pool", MaxPoolAttrs{2, 2, {}}, {thr});
  infer_types(graph);
  return graph;
}

TEST(Similarity, IdenticalWindowsAreFullySimilarAndSkipAllButTheRowStart) {
  // Every column of the image is the same, so horizontally adjacent windows are equal.
  std::vector<std::uint8_t> pixels;
  for (int y = 0; y < 4; ++y) {
    for (int x = 0; x < 6; ++x) {
      pixels.push_back(static_cast<std::uint8_t>(y % 2));
      pixels.push_back(static_cast<std::uint8_t>(y / 2));
    }
  }
  const Graph graph = conv_graph(1, 0);
  const SimilarityReport report =
      analyze_similarity(graph, dataset_of(4, 6, 2, pixels), 1, SimilarityOptions{});
  ASSERT_EQ(report.layers.size(), 2U);
  const LayerSimilarity& conv = report.layers[0];
  EXPECT_EQ(conv.name, "conv");
  EXPECT_DOUBLE_EQ(*conv.input_similarity, 1.0);
  EXPECT_DOUBLE_EQ(*conv.equal_chunks_input, 1.0);
  // 3 rows of 5 windows: only the first of each row is computed.
  EXPECT_DOUBLE_EQ(skipped_fraction(conv.input.bit_ops, conv.plain.bit_ops), 4.0 / 5);
  // A kernel and its complement: the second costs nothing, half the work of two kernels.
  EXPECT_DOUBLE_EQ(*conv.weight_similarity_nn, 1.0);
  EXPECT_DOUBLE_EQ(*conv.weight_similarity_mst, 1.0);
  EXPECT_EQ(conv.negated_edges, 1);
  EXPECT_DOUBLE_EQ(skipped_fraction(conv.weight.bit_ops, conv.plain.bit_ops), 0.5);
  EXPECT_EQ(conv.recommend, "input");
  EXPECT_EQ(report.layers[1].kind, "maxpool");
}

TEST(Similarity, InputSimilarityMatchesTheWindowsOfTheGoldenModel) {
  std::mt19937_64 rng(kSeed + 1);
  for (const auto& [stride, pad] : {std::pair{1, 0}, std::pair{2, 1}, std::pair{1, 1}}) {
    const Graph graph = conv_graph(stride, pad);
    std::vector<std::uint8_t> pixels(3 * 4 * 6 * 2);
    for (std::uint8_t& p : pixels) p = static_cast<std::uint8_t>(rng() % 4 == 0);
    const Dataset data = dataset_of(4, 6, 2, pixels);
    const SimilarityReport report = analyze_similarity(graph, data, 3, SimilarityOptions{});

    // Brute force: every pair of horizontally adjacent output windows, from the golden model's
    // input to the conv gathered as the golden model gathers it.
    const auto& a = graph.nodes[1].as<Conv2dAttrs>();
    const TensorType& out = graph.nodes[1].type;
    double sum = 0;
    int pairs = 0;
    for (int image = 0; image < 3; ++image) {
      const std::vector<GoldenTensor> layers = run_golden_layers(graph, data.image(image));
      std::vector<std::int64_t> left(8), right(8);
      for (int oy = 0; oy < out.shape[0]; ++oy) {
        for (int ox = 1; ox < out.shape[1]; ++ox) {
          gather_window(a, layers[0], oy, ox - 1, a.pad_value, left);
          gather_window(a, layers[0], oy, ox, a.pad_value, right);
          int equal = 0;
          for (int i = 0; i < 8; ++i) equal += left[i] == right[i] ? 1 : 0;
          sum += equal / 8.0;
          ++pairs;
        }
      }
    }
    EXPECT_NEAR(*report.layers[0].input_similarity, sum / pairs, 1e-12)
        << "stride " << stride << " pad " << pad;
  }
}

// The input-reuse unit's c at every SIMD (sim/sum_input_reuse_c.h) against a brute force over
// the windows as the golden model gathers them: lane j of SIMD holds the window's columns
// ≡ j (mod SIMD), c the most differing positions of one lane, summed as max(1, c).
TEST(Similarity, InputReuseCAtEverySimdMatchesTheWindows) {
  std::mt19937_64 rng(kSeed + 3);
  for (const auto& [stride, pad] : {std::pair{1, 0}, std::pair{2, 1}, std::pair{1, 1}}) {
    const Graph graph = conv_graph(stride, pad);
    std::vector<std::uint8_t> pixels(4 * 6 * 2);
    for (std::uint8_t& p : pixels) p = static_cast<std::uint8_t>(rng() % 3 == 0);
    const Dataset data = dataset_of(4, 6, 2, pixels);
    const auto& a = graph.nodes[1].as<Conv2dAttrs>();
    const TensorType& out = graph.nodes[1].type;
    const std::vector<GoldenTensor> layers = run_golden_layers(graph, data.image(0));
    const std::vector<std::int64_t> sums =
        sum_input_reuse_c(a, layers[0], out.shape[0], out.shape[1], {1, 2});
    for (const int simd : {1, 2}) {
      std::int64_t expected = 0;
      std::vector<std::int64_t> left(8), right(8);
      for (int oy = 0; oy < out.shape[0]; ++oy) {
        for (int ox = 1; ox < out.shape[1]; ++ox) {
          gather_window(a, layers[0], oy, ox - 1, a.pad_value, left);
          gather_window(a, layers[0], oy, ox, a.pad_value, right);
          std::vector<int> lanes(static_cast<std::size_t>(simd), 0);
          for (int col = 0; col < 8; ++col) {
            lanes[static_cast<std::size_t>(col % simd)] += left[col] != right[col] ? 1 : 0;
          }
          expected += std::max(1, *std::max_element(lanes.begin(), lanes.end()));
        }
      }
      EXPECT_EQ(sums[simd == 1 ? 0 : 1], expected)
          << "stride " << stride << " pad " << pad << " SIMD " << simd;
    }
  }
}

// OR max-pool skipping in lock-step groups of PE channels: a group is decided before a window's
// last input only when every channel in it is; at PE 1 the per-channel figure.
TEST(Similarity, PoolGroupsAreDecidedOnlyWhenEveryChannelIs) {
  std::mt19937_64 rng(kSeed + 4);
  const Graph graph = conv_graph(1, 0);
  std::vector<std::uint8_t> pixels(5 * 4 * 6 * 2);
  for (std::uint8_t& p : pixels) p = static_cast<std::uint8_t>(rng() % 2);
  const Dataset data = dataset_of(4, 6, 2, pixels);
  const SimilarityReport report = analyze_similarity(graph, data, 5, SimilarityOptions{});
  const LayerSimilarity& pool = report.layers[1];
  ASSERT_EQ(pool.kind, "maxpool");
  ASSERT_EQ(pool.pool_groups.size(), 2U);  // PE 1 and 2 for its two channels
  EXPECT_EQ(pool.pool_groups[0].pe, 1);
  EXPECT_DOUBLE_EQ(pool.pool_groups[0].skipped, *pool.early_exit);
  // Brute force over the pool's input (the threshold's output), windows of 2 × 2 in row order.
  double decided[2] = {0, 0}, skipped[2] = {0, 0}, groups[2] = {0, 0};
  for (int image = 0; image < 5; ++image) {
    const std::vector<GoldenTensor> layers = run_golden_layers(graph, data.image(image));
    const GoldenTensor& in = layers[2];
    const int w = in.type.shape[1];
    for (int oy = 0; oy < in.type.shape[0] / 2; ++oy) {
      for (int ox = 0; ox < w / 2; ++ox) {
        int read[2];
        for (int c = 0; c < 2; ++c) {
          read[c] = 4;
          for (int k = 0; k < 4; ++k) {
            const int y = 2 * oy + k / 2, x = 2 * ox + k % 2;
            if (in.values[static_cast<std::size_t>((y * w + x) * 2 + c)] == 1) {
              read[c] = k + 1;
              break;
            }
          }
          decided[0] += read[c] < 4 ? 1 : 0;
          skipped[0] += 4 - read[c];
          groups[0] += 1;
        }
        const int both = std::max(read[0], read[1]);
        decided[1] += both < 4 ? 1 : 0;
        skipped[1] += 4 - both;
        groups[1] += 1;
      }
    }
  }
  ASSERT_GT(decided[1], 0);
  EXPECT_LT(decided[1], decided[0] / 2);  // two channels must both be decided
  for (int k = 0; k < 2; ++k) {
    EXPECT_DOUBLE_EQ(pool.pool_groups[static_cast<std::size_t>(k)].decided_early,
                     decided[k] / groups[k]);
    EXPECT_DOUBLE_EQ(pool.pool_groups[static_cast<std::size_t>(k)].skipped,
                     skipped[k] / (4 * groups[k]));
  }
}

TEST(Similarity, ChunksComeFromTheFoldingWhenGiven) {
  const Graph graph = conv_graph(1, 0);
  SimilarityOptions options;
  options.simd["conv"] = 4;
  const SimilarityReport report =
      analyze_similarity(graph, dataset_of(4, 6, 2, std::vector<std::uint8_t>(48, 0)), 1, options);
  EXPECT_EQ(report.layers[0].simd, 4);
  EXPECT_TRUE(report.layers[0].simd_from_folding);
  // Plain: 2 kernels × ⌈8/4⌉ chunks per window, 3×5 windows.
  EXPECT_DOUBLE_EQ(report.layers[0].plain.chunk_ops, 2 * 2 * 15);
}

LayerSimilarity layer_skipping(double input, double weight) {
  LayerSimilarity l;
  l.input_reuse_applies = l.weight_reuse_applies = true;
  l.plain.compacted_ops = 100;
  l.input.compacted_ops = 100 * (1 - input);
  l.weight.compacted_ops = 100 * (1 - weight);
  return l;
}

TEST(Similarity, RecommendsInputReuseOnlyByAMargin) {
  EXPECT_EQ(recommend_reuse(layer_skipping(0.70, 0.60)), "input");
  EXPECT_EQ(recommend_reuse(layer_skipping(0.64, 0.60)), "weight");  // within 5 points
  EXPECT_EQ(recommend_reuse(layer_skipping(0.30, 0.40)), "weight");
  EXPECT_EQ(recommend_reuse(layer_skipping(0.12, 0.0)), "input");
  EXPECT_EQ(recommend_reuse(layer_skipping(0.08, 0.09)), "none");
  LayerSimilarity no_neighbours = layer_skipping(0.9, 0.2);
  no_neighbours.input_reuse_applies = false;
  EXPECT_EQ(recommend_reuse(no_neighbours), "weight");
}

TEST(Similarity, RefusesANetworkWithoutABinaryLayer) {
  Graph graph;
  graph.name = "pixels-only";
  const int in = graph.add("in", InputAttrs{{2, 2, 1}, DType::uint(8)});
  graph.add("thr", ThresholdAttrs{{128}, 1, {}}, {in});
  infer_types(graph);
  try {
    analyze_similarity(graph, dataset_of(2, 2, 1, {1, 2, 3, 4}), 1, SimilarityOptions{});
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("no binary layer"), std::string::npos) << error.what();
  }
}

TEST(SimilarityCli, JsonHasEveryLayerKeyAndTheHtmlChart) {
  const std::filesystem::path dir = test::temp_dir("similarity_cli");
  const Graph graph = conv_graph(1, 1);
  save_model(graph, (dir / "conv.bnnc").string());
  std::mt19937_64 rng(kSeed + 2);
  std::vector<std::uint8_t> pixels(5 * 48);
  for (std::uint8_t& p : pixels) p = static_cast<std::uint8_t>(rng() & 1);
  {
    // A .npy of uint8 [5,2,4,6], NCHW as PyTorch writes it.
    std::string header = "{'descr': '|u1', 'fortran_order': False, 'shape': (5, 2, 4, 6), }";
    header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
    header += '\n';
    std::ofstream out(dir / "images.npy", std::ios::binary);
    out.write("\x93NUMPY\x01\x00", 8);
    const char length[2] = {static_cast<char>(header.size()), 0};
    out.write(length, 2);
    out << header;
    out.write(reinterpret_cast<const char*>(pixels.data()),
              static_cast<std::streamsize>(pixels.size()));
  }
  const test::CommandResult result = test::run_bnnc(
      "similarity '" + (dir / "conv.bnnc").string() + "' --data '" + (dir / "images.npy").string() +
      "' --limit 4 --json --html '" + (dir / "chart.html").string() + "'");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const nlohmann::json object = nlohmann::json::parse(result.out);
  EXPECT_EQ(object["images"], 4);
  EXPECT_EQ(object["simd_source"], "default SIMD 32");
  ASSERT_EQ(object["layers"].size(), 2U);
  const nlohmann::json& conv = object["layers"][0];
  for (const char* key :
       {"name", "kind", "input_similarity", "weight_similarity_nn", "weight_similarity_mst",
        "skipped_ops_input", "skipped_ops_input_chunk", "skipped_ops_input_compacted",
        "skipped_ops_weight", "skipped_ops_weight_chunk", "skipped_reads_input",
        "skipped_reads_input_chunk", "skipped_reads_weight", "skipped_reads_weight_chunk",
        "equal_chunks_input", "early_exit", "early_exit_chunk", "recommend", "simd"}) {
    EXPECT_TRUE(conv.contains(key)) << key;
  }
  EXPECT_EQ(conv["weight_similarity_nn"], 1.0);
  EXPECT_EQ(object["layers"][1]["kind"], "maxpool");
  EXPECT_TRUE(object["layers"][1]["early_exit"].is_number());
  for (const char* key : {"input_similarity", "weight_similarity_nn", "weight_similarity_mst",
                          "early_exit", "pool_early_exit"}) {
    EXPECT_TRUE(object["averages"].contains(key)) << key;
  }
  EXPECT_TRUE(object["totals"].contains("skipped_ops_recommended_compacted"));
  std::ifstream html(dir / "chart.html");
  const std::string page((std::istreambuf_iterator<char>(html)), std::istreambuf_iterator<char>());
  EXPECT_NE(page.find("<svg"), std::string::npos);
  EXPECT_NE(page.find("conv"), std::string::npos);
}

}  // namespace
}  // namespace bnnc
