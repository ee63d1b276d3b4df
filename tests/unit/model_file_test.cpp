// save_model / load_model: every op and every attribute comes back exactly.
#include "io/model_file.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>

#include "ir/infer_types.h"
#include "ir/print_graph.h"
#include "test_support.h"

namespace bnnc {
namespace {

BinaryMatrix random_matrix(int rows, int cols, std::mt19937_64& rng) {
  BinaryMatrix m(rows, cols);
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) m.set(r, c, (rng() & 1U) != 0);
  }
  return m;
}

ThresholdAttrs thresholds(std::vector<std::int64_t> values, std::vector<std::uint8_t> negate = {}) {
  ThresholdAttrs a;
  a.thresholds = std::move(values);
  a.negate = std::move(negate);
  return a;
}

// An integer graph using every integer op: quantize, padded convolutions on fixed-point and on
// bits, thresholds with and without negation, max-pool with and without min channels, reshape,
// dense, add and a biased label select. Arrays span int8 to int64.
Graph integer_graph() {
  std::mt19937_64 rng(1234);
  Graph g;
  g.name = "every_integer_op";
  g.classes = {"zero", "one", "two", "three"};
  int x = g.add("input", InputAttrs{{6, 6, 3}, DType::uint(8)});
  std::vector<std::int32_t> table(256);
  for (int p = 0; p < 256; ++p) table[p] = (p - 128) * 200;  // −25600..25400: int16
  x = g.add("quant", QuantizeAttrs{table, DType::fixed(16, 8)}, {x});
  Conv2dAttrs conv0;
  conv0.weights = random_matrix(5, 27, rng);
  conv0.kernel = 3;
  conv0.stride = 1;
  conv0.pad = 1;
  conv0.pad_value = -32768;
  x = g.add("conv0", conv0, {x});
  x = g.add("thr0",
            thresholds({-3, 70000, std::numeric_limits<std::int64_t>::min(), 5,
                        std::numeric_limits<std::int64_t>::max()},
                       {0, 1, 0, 0, 1}),
            {x});
  x = g.add("pool0", MaxPoolAttrs{2, 2, {1, 0, 0, 1, 0}}, {x});
  Conv2dAttrs conv1;
  conv1.weights = random_matrix(7, 45, rng);
  conv1.kernel = 3;
  conv1.stride = 2;
  conv1.pad = 1;
  conv1.pad_value = 1;
  x = g.add("conv1", conv1, {x});
  x = g.add("thr1", thresholds({1, 2, 3, 4, 5, 6, 7}), {x});
  x = g.add("pool1", MaxPoolAttrs{2, 1, {}}, {x});
  x = g.add("flatten", ReshapeAttrs{{7}}, {x});
  const int bits = x;
  x = g.add("fc0", DenseAttrs{random_matrix(130, 7, rng)}, {bits});
  x = g.add("thr2", thresholds(std::vector<std::int64_t>(130, 300)), {x});
  const int a = g.add("fc1a", DenseAttrs{random_matrix(4, 130, rng)}, {x});
  const int b = g.add("fc1b", DenseAttrs{random_matrix(4, 130, rng)}, {x});
  x = g.add("sum", AddAttrs{}, {a, b});
  g.add("label", LabelSelectAttrs{{-100, 0, 127, -128}}, {x});
  return g;
}

BatchNormAttrs batchnorm(int channels, bool with_bias, std::mt19937_64& rng) {
  std::uniform_real_distribution<float> uniform(-2.0F, 2.0F);
  BatchNormAttrs a;
  for (int c = 0; c < channels; ++c) {
    a.gamma.push_back(uniform(rng));
    a.beta.push_back(uniform(rng));
    a.mean.push_back(uniform(rng));
    a.var.push_back(std::abs(uniform(rng)));
    if (with_bias) a.bias.push_back(uniform(rng));
  }
  // Values a decimal text form would not keep: −0, a denormal, the smallest and largest floats.
  a.gamma[0] = -0.0F;
  a.beta[0] = std::numeric_limits<float>::denorm_min();
  a.mean[0] = std::numeric_limits<float>::lowest();
  a.var[0] = std::numeric_limits<float>::max();
  a.eps = 1.1e-5F;
  return a;
}

// A graph as trained (floating-point batch-norm, sign): batch-norm with and without bias.
Graph float_graph() {
  std::mt19937_64 rng(99);
  Graph g;
  g.name = "float graph ✓";
  int x = g.add("input", InputAttrs{{5, 5, 2}, DType::sint(8)});
  Conv2dAttrs conv;
  conv.weights = random_matrix(3, 18, rng);
  x = g.add("conv", conv, {x});
  x = g.add("bn0", batchnorm(3, true, rng), {x});
  x = g.add("sign0", SignAttrs{}, {x});
  x = g.add("flatten", ReshapeAttrs{{27}}, {x});
  x = g.add("fc", DenseAttrs{random_matrix(64, 27, rng)}, {x});
  x = g.add("bn1", batchnorm(64, false, rng), {x});
  x = g.add("scale", AffineAttrs{AffineKind::Mul, {0.5F}}, {x});
  x = g.add("shift", AffineAttrs{AffineKind::Add, std::vector<float>(64, -0.25F)}, {x});
  x = g.add("sign1", SignAttrs{}, {x});
  x = g.add("out", DenseAttrs{random_matrix(3, 64, rng)}, {x});
  g.add("label", LabelSelectAttrs{}, {x});
  return g;
}

bool same_floats(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::bit_cast<std::uint32_t>(a[i]) != std::bit_cast<std::uint32_t>(b[i])) return false;
  }
  return true;
}

// Field-by-field equality of two nodes' attributes (floats bit for bit).
void expect_same_attrs(const Node& x, const Node& y) {
  SCOPED_TRACE(x.name);
  ASSERT_EQ(x.op(), y.op());
  switch (x.op()) {
    case Op::Input:
      EXPECT_EQ(x.as<InputAttrs>().shape, y.as<InputAttrs>().shape);
      EXPECT_EQ(x.as<InputAttrs>().dtype, y.as<InputAttrs>().dtype);
      break;
    case Op::Quantize:
      EXPECT_EQ(x.as<QuantizeAttrs>().table, y.as<QuantizeAttrs>().table);
      EXPECT_EQ(x.as<QuantizeAttrs>().dtype, y.as<QuantizeAttrs>().dtype);
      break;
    case Op::Dense: EXPECT_EQ(x.as<DenseAttrs>().weights, y.as<DenseAttrs>().weights); break;
    case Op::Conv2d: {
      const auto &a = x.as<Conv2dAttrs>(), &b = y.as<Conv2dAttrs>();
      EXPECT_EQ(a.weights, b.weights);
      EXPECT_EQ(a.kernel, b.kernel);
      EXPECT_EQ(a.stride, b.stride);
      EXPECT_EQ(a.pad, b.pad);
      EXPECT_EQ(a.pad_value, b.pad_value);
      break;
    }
    case Op::BatchNorm: {
      const auto &a = x.as<BatchNormAttrs>(), &b = y.as<BatchNormAttrs>();
      EXPECT_TRUE(same_floats(a.gamma, b.gamma));
      EXPECT_TRUE(same_floats(a.beta, b.beta));
      EXPECT_TRUE(same_floats(a.mean, b.mean));
      EXPECT_TRUE(same_floats(a.var, b.var));
      EXPECT_TRUE(same_floats(a.bias, b.bias));
      EXPECT_EQ(std::bit_cast<std::uint32_t>(a.eps), std::bit_cast<std::uint32_t>(b.eps));
      break;
    }
    case Op::Affine: {
      const auto &a = x.as<AffineAttrs>(), &b = y.as<AffineAttrs>();
      EXPECT_EQ(a.kind, b.kind);
      EXPECT_TRUE(same_floats(a.constant, b.constant));
      break;
    }
    case Op::Threshold: {
      const auto &a = x.as<ThresholdAttrs>(), &b = y.as<ThresholdAttrs>();
      EXPECT_EQ(a.thresholds, b.thresholds);
      EXPECT_EQ(a.thresholds_per_channel, b.thresholds_per_channel);
      EXPECT_EQ(a.negate, b.negate);
      break;
    }
    case Op::MaxPool: {
      const auto &a = x.as<MaxPoolAttrs>(), &b = y.as<MaxPoolAttrs>();
      EXPECT_EQ(a.kernel, b.kernel);
      EXPECT_EQ(a.stride, b.stride);
      EXPECT_EQ(a.pad, b.pad);
      EXPECT_EQ(a.min_channels, b.min_channels);
      break;
    }
    case Op::Reshape: EXPECT_EQ(x.as<ReshapeAttrs>().shape, y.as<ReshapeAttrs>().shape); break;
    case Op::LabelSelect:
      EXPECT_EQ(x.as<LabelSelectAttrs>().bias, y.as<LabelSelectAttrs>().bias);
      break;
    case Op::Sign:
    case Op::Add:
    case Op::GlobalSumPool:
    case Op::Count: break;
  }
}

void expect_round_trip(Graph original, const std::string& file_name) {
  const std::string path = (test::temp_dir("model_file") / file_name).string();
  save_model(original, path);  // before infer_types: types need not be known to save
  infer_types(original);
  const Graph loaded = load_model(path);
  EXPECT_EQ(print_graph(loaded), print_graph(original));
  EXPECT_EQ(loaded.name, original.name);
  EXPECT_EQ(loaded.classes, original.classes);
  ASSERT_EQ(loaded.nodes.size(), original.nodes.size());
  for (std::size_t i = 0; i < loaded.nodes.size(); ++i) {
    EXPECT_EQ(loaded.nodes[i].name, original.nodes[i].name);
    EXPECT_EQ(loaded.nodes[i].inputs, original.nodes[i].inputs);
    EXPECT_EQ(loaded.nodes[i].type, original.nodes[i].type);
    expect_same_attrs(loaded.nodes[i], original.nodes[i]);
  }
}

TEST(ModelFile, IntegerGraphRoundTrips) { expect_round_trip(integer_graph(), "integer.bnnc"); }

TEST(ModelFile, FloatGraphRoundTrips) { expect_round_trip(float_graph(), "float.bnnc"); }

Graph version3_graph();

TEST(ModelFile, EveryOpIsCovered) {
  std::vector<bool> seen(static_cast<std::size_t>(Op::Count), false);
  for (const Graph& g : {integer_graph(), float_graph(), version3_graph()}) {
    for (const Node& node : g.nodes) seen[static_cast<std::size_t>(node.op())] = true;
  }
  for (int op = 0; op < static_cast<int>(Op::Count); ++op) {
    EXPECT_TRUE(seen[op]) << op_name(static_cast<Op>(op)) << " is not in the round-trip graphs";
  }
}

std::vector<std::uint8_t> file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::uint64_t le(const std::vector<std::uint8_t>& bytes, std::size_t at, std::size_t count) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < count; ++i) value |= std::uint64_t{bytes[at + i]} << (8 * i);
  return value;
}

TEST(ModelFile, LayoutFollowsTheSpecification) {
  const std::string path = (test::temp_dir("model_file_layout") / "m.bnnc").string();
  save_model(integer_graph(), path);
  const std::vector<std::uint8_t> bytes = file_bytes(path);
  ASSERT_GT(bytes.size(), 20U);
  EXPECT_EQ(std::string(bytes.begin(), bytes.begin() + 8), "BNNCMODL");
  EXPECT_EQ(le(bytes, 8, 4), 1U) << "no zero padding: the oldest version that holds it";
  const std::uint64_t header_bytes = le(bytes, 12, 8);
  ASSERT_LE(20 + header_bytes, bytes.size());
  EXPECT_EQ((20 + header_bytes) % 8, 0U) << "the array section starts 8-byte aligned";
  const auto header = nlohmann::json::parse(bytes.begin() + 20,
                                            bytes.begin() + 20 + static_cast<long>(header_bytes));
  EXPECT_EQ(header["array_bytes"].get<std::uint64_t>(), bytes.size() - 20 - header_bytes);
  EXPECT_EQ(header["graph"], "every_integer_op");
  const auto& nodes = header["nodes"];
  ASSERT_EQ(nodes.size(), integer_graph().nodes.size());
  // Integers are stored in the narrowest type that holds them.
  const auto type_of = [&](int node, const char* key) {
    return nodes[node][key]["type"].get<std::string>();
  };
  EXPECT_EQ(nodes[1]["op"], "quantize");
  EXPECT_EQ(type_of(1, "table"), "int16");
  EXPECT_EQ(nodes[3]["op"], "threshold");
  EXPECT_EQ(type_of(3, "thresholds"), "int64");
  EXPECT_EQ(type_of(3, "negate"), "int8");
  EXPECT_EQ(nodes[6]["op"], "threshold");
  EXPECT_EQ(type_of(6, "thresholds"), "int8");
  EXPECT_EQ(nodes[10]["op"], "threshold");
  EXPECT_EQ(type_of(10, "thresholds"), "int16");
  EXPECT_EQ(type_of(2, "weights"), "uint64");
  EXPECT_EQ(nodes[2]["weights"]["rows"], 5);
  EXPECT_EQ(nodes[2]["weights"]["cols"], 27);
  EXPECT_EQ(nodes.back()["op"], "labelselect");
  EXPECT_EQ(type_of(static_cast<int>(nodes.size()) - 1, "bias"), "int8");
  // Optional arrays are left out when empty.
  EXPECT_FALSE(nodes[6].contains("negate"));
  EXPECT_EQ(nodes[7]["op"], "maxpool");
  EXPECT_FALSE(nodes[7].contains("min_channels"));
  EXPECT_TRUE(nodes[4].contains("min_channels"));
}

// Version 2: a zero-padded conv on bits keeps its pad mode; the file says version 2.
TEST(ModelFile, ZeroPaddedConvIsVersion2) {
  std::mt19937_64 rng(99);
  Graph g;
  g.name = "zero_pad";
  int x = g.add("input", InputAttrs{{5, 4, 2}, DType::uint(8)});
  x = g.add("bin", thresholds({100, 20}), {x});
  Conv2dAttrs conv;
  conv.weights = random_matrix(3, 18, rng);
  conv.kernel = 3;
  conv.stride = 2;
  conv.pad = 1;
  conv.pad_mode = PadMode::Zero;
  x = g.add("conv", conv, {x});
  x = g.add("thr", thresholds({-3, 0, 4}), {x});
  x = g.add("flatten", ReshapeAttrs{{18}}, {x});
  x = g.add("fc", DenseAttrs{random_matrix(2, 18, rng)}, {x});
  g.add("label", LabelSelectAttrs{}, {x});
  infer_types(g);
  EXPECT_EQ(to_string(g.nodes[2].type), "int6[3,2,3]");
  EXPECT_EQ(model_format_version_for(g), 2U);
  const std::string path = (test::temp_dir("model_file_zero_pad") / "m.bnnc").string();
  save_model(g, path);
  const std::vector<std::uint8_t> bytes = file_bytes(path);
  EXPECT_EQ(le(bytes, 8, 4), 2U);
  const Graph loaded = load_model(path);
  EXPECT_EQ(print_graph(loaded), print_graph(g));
  EXPECT_EQ(loaded.nodes[2].as<Conv2dAttrs>().pad_mode, PadMode::Zero);
  EXPECT_NE(print_graph(g).find("pad=1 pad_mode=zero"), std::string::npos) << print_graph(g);
}

// Version 3: a padded max-pool and a global sum pool; a version-2 file may hold neither.
Graph version3_graph() {
  std::mt19937_64 rng(98);
  Graph g;
  g.name = "pools";
  int x = g.add("input", InputAttrs{{5, 4, 2}, DType::uint(8)});
  x = g.add("bin", thresholds({100, 20}), {x});
  x = g.add("pool", MaxPoolAttrs{3, 2, {}, 1}, {x});
  x = g.add("gap", GlobalSumPoolAttrs{}, {x});
  x = g.add("fc", DenseAttrs{random_matrix(2, 2, rng)}, {x});
  g.add("label", LabelSelectAttrs{}, {x});
  infer_types(g);
  return g;
}

TEST(ModelFile, PaddedPoolAndGlobalSumPoolAreVersion3) {
  const Graph g = version3_graph();
  EXPECT_EQ(to_string(g.nodes[2].type), "bit[3,2,2]");
  EXPECT_EQ(to_string(g.nodes[3].type), "int4[2]");
  EXPECT_EQ(model_format_version_for(g), 3U);
  const std::filesystem::path dir = test::temp_dir("model_file_v3");
  const std::string path = (dir / "m.bnnc").string();
  save_model(g, path);
  std::vector<std::uint8_t> bytes = file_bytes(path);
  EXPECT_EQ(le(bytes, 8, 4), 3U);
  const Graph loaded = load_model(path);
  EXPECT_EQ(print_graph(loaded), print_graph(g));
  EXPECT_EQ(loaded.nodes[2].as<MaxPoolAttrs>().pad, 1);
  // The same bytes labelled version 2: its reader knows neither the pool's pad nor the op.
  bytes[8] = 2;
  const std::string old = (dir / "v2.bnnc").string();
  std::ofstream(old, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  try {
    load_model(old);
    ADD_FAILURE() << "a version-2 file with a padded pool loaded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown key 'pad' (not part of model format version 2)"),
              std::string::npos)
        << e.what();
  }
}

// Version 4: a residual join's table (ir/op.h AddAttrs); a plain add stays in version 1, and a
// version-3 file may not hold offsets.
TEST(ModelFile, ResidualJoinTableIsVersion4) {
  std::mt19937_64 rng(99);
  Graph g;
  g.name = "join";
  int x = g.add("input", InputAttrs{{4, 4, 2}, DType::uint(8)});
  const int bits = g.add("bin", thresholds({100, 20}), {x});
  const int conv = g.add("conv", Conv2dAttrs{random_matrix(2, 18, rng), 3, 1, 1, 0}, {bits});
  const int plain = g.add("plain", AddAttrs{}, {conv, conv});
  x = g.add("join", AddAttrs{{-3, 0, -5, -9, 0, -2}, -1}, {plain, bits});
  x = g.add("t", thresholds({0, 0}), {x});
  x = g.add("flat", ReshapeAttrs{{32}}, {x});
  x = g.add("fc", DenseAttrs{random_matrix(3, 32, rng)}, {x});
  g.add("label", LabelSelectAttrs{}, {x});
  infer_types(g);
  EXPECT_EQ(model_format_version_for(g), 4U);
  const std::filesystem::path dir = test::temp_dir("model_file_v4");
  const std::string path = (dir / "m.bnnc").string();
  save_model(g, path);
  std::vector<std::uint8_t> bytes = file_bytes(path);
  EXPECT_EQ(le(bytes, 8, 4), 4U);
  const Graph loaded = load_model(path);
  EXPECT_EQ(print_graph(loaded), print_graph(g));
  EXPECT_NE(print_graph(g).find("offsets=[-3,0,-5,-9,0,-2] in1_min=-1"), std::string::npos)
      << print_graph(g);
  bytes[8] = 3;
  const std::string old = (dir / "v3.bnnc").string();
  std::ofstream(old, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  try {
    load_model(old);
    ADD_FAILURE() << "a version-3 file with a join table loaded";
  } catch (const Error& e) {
    EXPECT_NE(
        std::string(e.what()).find("unknown key 'offsets' (not part of model format version 3)"),
        std::string::npos)
        << e.what();
  }
  Graph plain_only = g;
  plain_only.nodes[static_cast<std::size_t>(g.find("join"))].as<AddAttrs>() = AddAttrs{};
  plain_only.nodes[static_cast<std::size_t>(g.find("join"))].inputs = {plain, conv};
  infer_types(plain_only);
  EXPECT_EQ(model_format_version_for(plain_only), 1U);
}

// Version 5: a label-select's shift (real-valued class offsets, docs/residual.md); a version-4
// file may not hold it, and without a shift the graph stays in its older version.
TEST(ModelFile, LabelSelectShiftIsVersion5) {
  Graph g = version3_graph();
  auto& select = g.nodes.back().as<LabelSelectAttrs>();
  select.bias = {-7, 12};
  select.shift = 3;
  infer_types(g);
  EXPECT_EQ(model_format_version_for(g), 5U);
  const std::filesystem::path dir = test::temp_dir("model_file_v5");
  const std::string path = (dir / "m.bnnc").string();
  save_model(g, path);
  std::vector<std::uint8_t> bytes = file_bytes(path);
  EXPECT_EQ(le(bytes, 8, 4), 5U);
  const Graph loaded = load_model(path);
  EXPECT_EQ(print_graph(loaded), print_graph(g));
  EXPECT_EQ(loaded.nodes.back().as<LabelSelectAttrs>().shift, 3);
  EXPECT_NE(print_graph(g).find("bias=[-7,12] shift=3"), std::string::npos) << print_graph(g);
  bytes[8] = 4;
  const std::string old = (dir / "v4.bnnc").string();
  std::ofstream(old, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  try {
    load_model(old);
    ADD_FAILURE() << "a version-4 file with a label shift loaded";
  } catch (const Error& e) {
    EXPECT_NE(
        std::string(e.what()).find("unknown key 'shift' (not part of model format version 4)"),
        std::string::npos)
        << e.what();
  }
  g.nodes.back().as<LabelSelectAttrs>().shift = 0;
  EXPECT_EQ(model_format_version_for(g), 3U);
}

// The shipped models were written by a bnnc that knew only version 1: they must keep loading.
TEST(ModelFile, Version1FilesStillLoad) {
  for (const char* name : {"tfc", "cnv"}) {
    const std::string path = std::string(BNNC_SOURCE_DIR) + "/models/" + name + ".bnnc";
    EXPECT_EQ(le(file_bytes(path), 8, 4), 1U) << path;
    const Graph g = load_model(path);
    for (const Node& node : g.nodes) {
      if (node.op() == Op::Conv2d) {
        EXPECT_EQ(node.as<Conv2dAttrs>().pad_mode, PadMode::Value);
      }
    }
    // Saved again it is the same version-1 file, byte for byte.
    const std::string again = (test::temp_dir("model_file_v1") / "again.bnnc").string();
    save_model(g, again);
    EXPECT_EQ(file_bytes(again), file_bytes(path)) << path;
  }
}

TEST(ModelFile, SavingTwiceGivesTheSameBytes) {
  const std::filesystem::path dir = test::temp_dir("model_file_deterministic");
  save_model(float_graph(), (dir / "a.bnnc").string());
  save_model(load_model((dir / "a.bnnc").string()), (dir / "b.bnnc").string());
  EXPECT_EQ(file_bytes((dir / "a.bnnc").string()), file_bytes((dir / "b.bnnc").string()));
}

}  // namespace
}  // namespace bnnc
