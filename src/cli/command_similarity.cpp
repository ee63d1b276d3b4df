// bnnc similarity MODEL --data PATH [--limit N] [--folding FILE] [--html FILE] [--json]: how much
// work input reuse, weight reuse (Fu et al.) and early termination (O3BNN) would skip in each
// binary layer, measured on the golden model's activations (sim/similarity.h,
// docs/similarity.md).
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>

#include "cli/cli_output.h"
#include "cli/commands.h"
#include "cli/flag_checks.h"
#include "cli/load_network.h"
#include "cli/progress_line.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "fold/folding_file.h"
#include "fold/lower_to_dataflow.h"
#include "io/dataset.h"
#include "sim/similarity.h"
#include "sim/similarity_report.h"

namespace bnnc::cli {

namespace {

struct SimilarityOptionsCli {
  std::string model;
  std::string data;
  std::string folding;
  std::string html;
  int limit = 0;  // 0: every image
  bool json = false;
};

// The chunk width is the SIMD of a compiled layer; without a folding, a 32-bit chunk (BNN-PYNQ's
// SIMD for most of CNV's convolutions).
constexpr int kDefaultSimd = 32;

void check_image_shape(const Graph& graph, const Dataset& data, const SimilarityOptionsCli& o) {
  const Shape image{data.height, data.width, data.channels};
  const Shape& input = graph.nodes.front().type.shape;
  const bool flattened =
      input.size() == 1 && static_cast<std::size_t>(input[0]) == data.image_size();
  if (image != input && !flattened) {
    fail("{}: images are {} but the model {} takes {}", o.data, to_string(image), o.model,
         to_string(input));
  }
}

int run_similarity(const SimilarityOptionsCli& o) {
  if (o.limit < 0) fail("--limit {}: must be at least 1 (or 0 for every image)", o.limit);
  if (!o.html.empty()) check_writable(o.html);
  const Graph graph = load_network(o.model);
  if (graph.nodes.empty() || graph.nodes.front().op() != Op::Input) {
    fail("{}: the network does not start with an input layer", o.model);
  }

  SimilarityOptions options;
  options.default_simd = kDefaultSimd;
  std::string simd_source = fmt::format("default SIMD {}", kDefaultSimd);
  if (!o.folding.empty()) {
    const Folding folding = read_folding_file(o.folding, lower_to_dataflow(graph));
    for (const LayerFolding& layer : folding.layers) options.simd[layer.name] = layer.simd;
    simd_source = "folding " + o.folding;
  }

  const Dataset data = load_dataset(o.data);
  if (data.count <= 0) fail("{}: holds no images", o.data);
  check_image_shape(graph, data, o);
  const int count = o.limit > 0 ? std::min(o.limit, data.count) : data.count;

  ProgressLine progress;
  options.progress = [&](int done) {
    if (progress.due()) progress.show(fmt::format("similarity {}/{} images", done, count));
  };
  const SimilarityReport report = analyze_similarity(graph, data, count, options);
  progress.finish();

  if (!o.html.empty()) {
    write_file_atomically(o.html, similarity_html(report, o.model, simd_source));
  }
  if (o.json) {
    nlohmann::ordered_json object = similarity_json(report, o.model, simd_source);
    if (!o.html.empty()) object["html"] = o.html;
    print_json(object);
  } else {
    std::string text = similarity_text(report, o.model, simd_source);
    if (!o.html.empty()) text += fmt::format("wrote {}\n", o.html);
    std::fputs(text.c_str(), stdout);
  }
  return kExitOk;
}

}  // namespace

Command add_similarity_command(CLI::App& bnnc) {
  auto options = std::make_shared<SimilarityOptionsCli>();
  CLI::App* app = bnnc.add_subcommand(
      "similarity",
      "Measure input/weight similarity and early termination per binary layer on a data set");
  app->add_option("MODEL", options->model, "bnnc model file (or ONNX)")->required();
  app->add_option("--data", options->data,
                  "Images: IDX (gzipped or not), CIFAR-10 binary, .npy, or an MNIST folder")
      ->required();
  app->add_option("--limit", options->limit, "Analyse only the first N images (0: all)")
      ->check(integer_in(0, INT32_MAX));
  app->add_option("--folding", options->folding,
                  "Folding file: each layer's SIMD is its chunk width (default 32)");
  app->add_option("--html", options->html, "Also write a self-contained HTML chart to FILE");
  app->add_flag("--json", options->json, "Print one JSON object on stdout");
  app->footer(
      "Example: bnnc similarity cnv-w1a1.bnnc --data ../shared/external/cifar10 --folding "
      "foldings/cnv-w1a1-bnn-pynq.json --html similarity.html");
  return {app, [options] { return run_similarity(*options); }};
}

}  // namespace bnnc::cli
