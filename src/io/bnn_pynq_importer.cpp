#include "io/bnn_pynq_importer.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "core/read_file.h"
#include "io/bnn_pynq_params.h"
#include "ir/infer_types.h"

namespace bnnc {

namespace {

namespace fs = std::filesystem;

struct Topology {
  const char* name;        // in messages: "LFC"
  const char* graph_name;  // Graph::name
  int classes;
  std::vector<BnnPynqLayerSpec> layers;
};

// Columns of the tables below: layer, rows and cols as stored (padded), PE, SIMD, rows and cols
// kept (the real ones).
BnnPynqLayerSpec layer_spec(int index, int rows, int cols, int pe, int simd, int used_rows,
                            int used_cols, bool has_thresholds = true) {
  return {index, rows, cols, pe, simd, used_rows, used_cols, has_thresholds};
}

// LFC-W1A1 (lfc.py, config.h): 784 → 1024 → 1024 → 1024 → 10. The input is padded to 832
// columns and the last layer to 64 rows; both paddings are dropped here.
const Topology& lfc_topology() {
  static const Topology topology{"LFC",
                                 "lfcW1A1",
                                 10,
                                 {
                                     layer_spec(0, 1024, 832, 32, 64, 1024, 784),
                                     layer_spec(1, 1024, 1024, 64, 32, 1024, 1024),
                                     layer_spec(2, 1024, 1024, 32, 64, 1024, 1024),
                                     layer_spec(3, 64, 1024, 16, 8, 10, 1024),
                                 }};
  return topology;
}

// CNV-W1A1 (cnv.py, config.h): six 3×3 convolutions (no padding), two fully connected layers
// and the output layer, whose 10 rows are padded to 64 and which has no thresholds.
const Topology& cnv_topology() {
  static const Topology topology{"CNV",
                                 "cnvW1A1",
                                 10,
                                 {
                                     layer_spec(0, 64, 27, 16, 3, 64, 27),
                                     layer_spec(1, 64, 576, 32, 32, 64, 576),
                                     layer_spec(2, 128, 576, 16, 32, 128, 576),
                                     layer_spec(3, 128, 1152, 16, 32, 128, 1152),
                                     layer_spec(4, 256, 1152, 4, 32, 256, 1152),
                                     layer_spec(5, 256, 2304, 1, 32, 256, 2304),
                                     layer_spec(6, 512, 256, 1, 4, 512, 256),
                                     layer_spec(7, 512, 512, 1, 8, 512, 512),
                                     layer_spec(8, 64, 512, 4, 1, 10, 512, false),
                                 }};
  return topology;
}

// BNN-PYNQ's MVTU fires when threshold < accumulator (strictly); bnnc fires when acc ≥ T. For an
// integer popcount P, P > t ⇔ P ≥ t + 1.
std::vector<std::int64_t> popcount_thresholds(const std::vector<std::int64_t>& stored) {
  std::vector<std::int64_t> thresholds;
  for (std::int64_t t : stored) thresholds.push_back(t + 1);
  return thresholds;
}

// floor(a / 2) for negative a too (C++ division truncates toward zero).
std::int64_t floor_half(std::int64_t a) { return a >= 0 ? a / 2 : -((-a + 1) / 2); }

// CNV's first layer sums fixed<8,7> inputs: acc_raw counts 1/128 units. Its thresholds are stored
// with 8 fractional bits (real v/256), and the HLS fires when acc_raw/128 > v/256, i.e. when
// acc_raw > v/2. acc_raw is an integer, so that is acc_raw ≥ floor(v/2) + 1 (for odd v,
// v/2 = floor(v/2) + ½; for even v it is exact and the strict ">" adds one).
std::vector<std::int64_t> fixed_input_thresholds(const std::vector<std::int64_t>& stored) {
  std::vector<std::int64_t> thresholds;
  for (std::int64_t v : stored) thresholds.push_back(floor_half(v) + 1);
  return thresholds;
}

// classes.txt, one name per line (CRLF in the shipped files), when the folder has one.
std::vector<std::string> read_classes(const std::string& folder, const Topology& topology) {
  const fs::path path = fs::path(folder) / "classes.txt";
  std::error_code error;
  if (!fs::exists(path, error)) return {};
  // A class list is a few hundred bytes; 1 MiB is far above any and keeps a mistake small.
  const std::vector<std::uint8_t> bytes =
      read_file(path.string(), std::uint64_t{1} << 20, "a class list (classes.txt)");
  std::istringstream in(std::string(bytes.begin(), bytes.end()));
  std::vector<std::string> classes;
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
      line.pop_back();
    }
    classes.push_back(line);
  }
  while (!classes.empty() && classes.back().empty()) classes.pop_back();
  if (static_cast<int>(classes.size()) != topology.classes) {
    fail("{}: {} class names, {} has {} classes", path.string(), classes.size(), topology.name,
         topology.classes);
  }
  return classes;
}

ThresholdAttrs threshold_attrs(std::vector<std::int64_t> thresholds) {
  ThresholdAttrs attrs;
  attrs.thresholds = std::move(thresholds);
  return attrs;
}

std::vector<BnnPynqLayer> read_layers(const std::string& folder, const Topology& topology) {
  check_bnn_pynq_folder(folder, topology.name, topology.layers);
  std::vector<BnnPynqLayer> layers;
  for (const BnnPynqLayerSpec& spec : topology.layers) {
    layers.push_back(read_bnn_pynq_layer(folder, topology.name, spec));
  }
  return layers;
}

// uint8 [28,28,1] → bits (pixel/255·2 − 1 ≥ 0 ⇔ pixel ≥ 128) → three dense + threshold layers →
// dense 10 × 1024 → the class of the largest margin P − T (DESIGN.md §2).
Graph build_lfc(const std::string& folder) {
  const Topology& topology = lfc_topology();
  std::vector<BnnPynqLayer> layers = read_layers(folder, topology);
  Graph graph;
  graph.name = topology.graph_name;
  graph.classes = read_classes(folder, topology);
  int x = graph.add("input", InputAttrs{{28, 28, 1}, DType::uint(8)});
  x = graph.add("flatten", ReshapeAttrs{{784}}, {x});
  x = graph.add("binarize", threshold_attrs(std::vector<std::int64_t>(784, 128)), {x});
  const int last = static_cast<int>(layers.size()) - 1;
  for (int l = 0; l <= last; ++l) {
    x = graph.add(fmt::format("fc{}", l), DenseAttrs{std::move(layers[l].weights)}, {x});
    std::vector<std::int64_t> thresholds = popcount_thresholds(layers[l].thresholds);
    if (l < last) {
      x = graph.add(fmt::format("thr{}", l), threshold_attrs(std::move(thresholds)), {x});
    } else {
      // argmax of P − T = argmax of P + bias with bias = −T.
      for (std::int64_t& t : thresholds) t = -t;
      x = graph.add("label", LabelSelectAttrs{std::move(thresholds)}, {x});
    }
  }
  infer_types(graph);
  return graph;
}

// uint8 [32,32,3] → fixed<8,7> → conv0..conv5 (max-pool after conv1 and conv3) → fc6, fc7 →
// fc8 (popcounts of the 10 classes) → argmax.
Graph build_cnv(const std::string& folder) {
  const Topology& topology = cnv_topology();
  std::vector<BnnPynqLayer> layers = read_layers(folder, topology);
  Graph graph;
  graph.name = topology.graph_name;
  graph.classes = read_classes(folder, topology);
  int x = graph.add("input", InputAttrs{{32, 32, 3}, DType::uint(8)});
  x = graph.add("quantize", QuantizeAttrs{cnv_input_table(), DType::fixed(8, 7)}, {x});
  for (int l = 0; l <= 5; ++l) {
    Conv2dAttrs conv;
    conv.weights = std::move(layers[l].weights);
    conv.kernel = 3;
    conv.stride = 1;
    conv.pad = 0;
    x = graph.add(fmt::format("conv{}", l), std::move(conv), {x});
    const auto& stored = layers[l].thresholds;
    x = graph.add(
        fmt::format("thr{}", l),
        threshold_attrs(l == 0 ? fixed_input_thresholds(stored) : popcount_thresholds(stored)),
        {x});
    if (l == 1 || l == 3) x = graph.add(fmt::format("pool{}", l), MaxPoolAttrs{2, 2, {}}, {x});
  }
  x = graph.add("flatten", ReshapeAttrs{{256}}, {x});
  for (int l = 6; l <= 7; ++l) {
    x = graph.add(fmt::format("fc{}", l), DenseAttrs{std::move(layers[l].weights)}, {x});
    x = graph.add(fmt::format("thr{}", l),
                  threshold_attrs(popcount_thresholds(layers[l].thresholds)), {x});
  }
  x = graph.add("fc8", DenseAttrs{std::move(layers[8].weights)}, {x});
  graph.add("label", LabelSelectAttrs{}, {x});
  infer_types(graph);
  return graph;
}

}  // namespace

// BNN-PYNQ's input quantizer, ap_fixed<8,1,AP_RND,AP_SAT>(pixel/255·2 − 1): raw value
// round-half-up(128·x) saturated to −128..127. 128·x = 256·p/255 − 128 has a fractional part of
// k/255, never exactly ½, so rounding in double is exact.
std::vector<std::int32_t> cnv_input_table() {
  std::vector<std::int32_t> table(256);
  for (int p = 0; p < 256; ++p) {
    const double scaled = 128.0 * (p / 255.0 * 2.0 - 1.0);
    const double rounded = std::floor(scaled + 0.5);
    table[static_cast<std::size_t>(p)] =
        static_cast<std::int32_t>(std::clamp(rounded, -128.0, 127.0));
  }
  return table;
}

BnnPynqTopology parse_bnn_pynq_topology(const std::string& name) {
  if (name == "lfc") return BnnPynqTopology::Lfc;
  if (name == "cnv") return BnnPynqTopology::Cnv;
  fail("--topology: unknown topology '{}' (expected lfc or cnv)", name);
}

Graph import_bnn_pynq(const std::string& folder, BnnPynqTopology topology) {
  switch (topology) {
    case BnnPynqTopology::Lfc: return build_lfc(folder);
    case BnnPynqTopology::Cnv: return build_cnv(folder);
  }
  BNNC_ASSERT(false, "unknown BNN-PYNQ topology {}", static_cast<int>(topology));
  return {};
}

}  // namespace bnnc
