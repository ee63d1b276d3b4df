#include "residual_network.h"

#include <random>

#include "ir/infer_types.h"

namespace bnnc::test {

namespace {

BinaryMatrix random_matrix(std::mt19937_64& rng, int rows, int cols) {
  BinaryMatrix m(rows, cols);
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) m.set(r, c, (rng() & 1) != 0);
  }
  return m;
}

// One threshold a channel, each within ±spread of `middle`.
ThresholdAttrs random_thresholds(std::mt19937_64& rng, int count, std::int64_t middle, int spread) {
  ThresholdAttrs t;
  for (int c = 0; c < count; ++c) {
    t.thresholds.push_back(middle + static_cast<int>(rng() % (2 * spread + 1)) - spread);
  }
  return t;
}

}  // namespace

Residual residual_network(std::uint64_t seed, int size, int stride, int channels, int images,
                          bool identity, bool zero_pad) {
  std::mt19937_64 rng(seed);
  const auto matrix = [&](int rows, int cols) { return random_matrix(rng, rows, cols); };
  const auto threshold = [&](int count, std::int64_t middle) {
    return random_thresholds(rng, count, middle, 1);
  };
  Residual net;
  Graph& g = net.graph;
  g.name = "residual";
  const int in = g.add("input", InputAttrs{{size, size, 4}, DType::uint(8)});
  const int bits = g.add("binarize", threshold(4, 128), {in});
  // Zero padding: the convs' values are dot products (y ∈ [−N, N], middle 0), not popcounts.
  const PadMode pad_mode = zero_pad ? PadMode::Zero : PadMode::Value;
  const int a1 =
      g.add("a1", Conv2dAttrs{matrix(channels, 9 * 4), 3, stride, 1, 0, pad_mode}, {bits});
  const int t1 = g.add("a1.t", threshold(channels, zero_pad ? 0 : 18), {a1});
  const int a2 =
      g.add("a2", Conv2dAttrs{matrix(channels, 9 * channels), 3, 1, 1, 0, pad_mode}, {t1});
  const int b1 =
      identity ? bits : g.add("b1", Conv2dAttrs{matrix(channels, 4), 1, stride, 0, 0}, {bits});
  const int sum = g.add("add", AddAttrs{}, {a2, b1});
  const std::int64_t middle = zero_pad ? (identity ? 0 : 2) : (9 * channels + 4) / 2;
  const int t2 = g.add("add.t", threshold(channels, middle), {sum});
  const int pool = g.add("pool", MaxPoolAttrs{2, 2, {}}, {t2});
  infer_types(g);
  const Shape pooled = g.nodes[pool].type.shape;
  const int flat_size = pooled[0] * pooled[1] * pooled[2];
  const int flat = g.add("flatten", ReshapeAttrs{{flat_size}}, {pool});
  const int fc = g.add("fc", DenseAttrs{matrix(10, flat_size)}, {flat});
  g.add("label", LabelSelectAttrs{}, {fc});
  infer_types(g);
  for (int i = 0; i < images; ++i) {
    std::vector<std::uint8_t> image(static_cast<std::size_t>(size * size * 4));
    for (auto& p : image) p = static_cast<std::uint8_t>(rng());
    net.images.push_back(std::move(image));
  }
  return net;
}

void add_join_table(Residual& net, std::uint64_t seed) {
  Graph& g = net.graph;
  std::mt19937_64 rng(seed);
  auto& join = g.nodes[static_cast<std::size_t>(g.find("add"))];
  const TensorType& shortcut = g.nodes[static_cast<std::size_t>(join.inputs[1])].type;
  // The long branch's middle value: 0 for a dot product (zero padding), N/2 for a popcount.
  const auto& branch = g.nodes[static_cast<std::size_t>(join.inputs[0])].as<Conv2dAttrs>();
  const std::int64_t middle = branch.zero_padded() ? 0 : branch.weights.cols() / 2;
  const int channels = join.type.shape.back();
  AddAttrs table;
  table.in1_min = shortcut.dtype.is_bit() ? -1 : 0;
  const std::int64_t span = shortcut.dtype.is_bit() ? 3 : value_range(shortcut.dtype).hi + 1;
  for (std::int64_t k = 0; k < channels * span; ++k) {
    table.offsets.push_back(static_cast<std::int64_t>(rng() % 9) - 4 - middle);
  }
  join.as<AddAttrs>() = table;
  auto& t = g.nodes[static_cast<std::size_t>(g.find("add.t"))].as<ThresholdAttrs>();
  for (auto& v : t.thresholds) v = 0;
  infer_types(g);
}

Residual pooled_network(std::uint64_t seed, int size, int channels, std::vector<std::int64_t> bias,
                        int shift) {
  std::mt19937_64 rng(seed);
  const auto matrix = [&](int rows, int cols) { return random_matrix(rng, rows, cols); };
  const auto threshold = [&](int count, std::int64_t middle) {
    return random_thresholds(rng, count, middle, 2);
  };
  Residual net;
  Graph& g = net.graph;
  g.name = "pooled";
  const int in = g.add("input", InputAttrs{{size, size, 4}, DType::uint(8)});
  const int bits = g.add("binarize", threshold(4, 128), {in});
  const int conv = g.add("conv", Conv2dAttrs{matrix(channels, 36), 3, 1, 1, 0}, {bits});
  const int act = g.add("conv.t", threshold(channels, 18), {conv});
  const int pool = g.add("pool", GlobalSumPoolAttrs{}, {act});
  const int flat = g.add("flatten", ReshapeAttrs{{channels}}, {pool});
  const int fc = g.add("fc", DenseAttrs{matrix(10, channels)}, {flat});
  g.add("label", LabelSelectAttrs{std::move(bias), shift}, {fc});
  infer_types(g);
  for (int i = 0; i < 8; ++i) {
    std::vector<std::uint8_t> image(static_cast<std::size_t>(size * size * 4));
    for (auto& p : image) p = static_cast<std::uint8_t>(rng());
    net.images.push_back(std::move(image));
  }
  return net;
}

}  // namespace bnnc::test
