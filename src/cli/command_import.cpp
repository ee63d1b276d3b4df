// bnnc import SRC --topology lfc|cnv --out MODEL [--json]: a trained network → a bnnc model file.
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "cli/cli_output.h"
#include "cli/commands.h"
#include "cli/load_network.h"
#include "core/error.h"
#include "io/bnn_pynq_importer.h"
#include "io/model_file.h"
#include "io/onnx_importer.h"
#include "ir/graph_stats.h"
#include "passes/streamline.h"

namespace bnnc::cli {

namespace {

struct ImportOptions {
  std::string source;
  std::string topology;
  std::string out;
  bool json = false;
};

Graph import_source(const ImportOptions& options) {
  // The flag first: a wrong flag is named even when SRC is wrong too.
  const BnnPynqTopology topology =
      options.topology.empty() ? BnnPynqTopology::Lfc : parse_bnn_pynq_topology(options.topology);
  std::error_code error;
  const std::filesystem::file_status status = std::filesystem::status(options.source, error);
  if (!std::filesystem::exists(status)) fail("{}: no such file or folder", options.source);
  if (!std::filesystem::is_directory(status)) {
    if (is_onnx_path(options.source)) return streamline(import_onnx(options.source));
    fail("{}: not a BNN-PYNQ params folder (ONNX files end in .onnx)", options.source);
  }
  if (options.topology.empty()) {
    fail("{}: a BNN-PYNQ folder needs --topology lfc|cnv", options.source);
  }
  return import_bnn_pynq(options.source, topology);
}

int run_import(const ImportOptions& options) {
  const Graph graph = import_source(options);
  save_model(graph, options.out);
  const GraphStats stats = graph_stats(graph);
  const int layers = static_cast<int>(graph.nodes.size());
  if (options.json) {
    print_json({{"out", options.out},
                {"name", graph.name},
                {"layers", layers},
                {"compute_layers", stats.compute_layers},
                {"ops_per_frame", stats.ops},
                {"params", stats.params()}});
    return kExitOk;
  }
  const std::string text = fmt::format(
      "imported {} ({}) → {}\n"
      "layers          {} ({} compute)\n"
      "ops/frame       {}\n"
      "params          {}\n",
      options.source, options.topology, options.out, layers, stats.compute_layers,
      format_si(static_cast<double>(stats.ops)), format_count(stats.params()));
  std::fputs(text.c_str(), stdout);
  return kExitOk;
}

}  // namespace

Command add_import_command(CLI::App& bnnc) {
  auto options = std::make_shared<ImportOptions>();
  CLI::App* app = bnnc.add_subcommand(
      "import", "Turn a BNN-PYNQ params folder or an ONNX file into a bnnc model file");
  app->add_option("SRC", options->source, "BNN-PYNQ params folder, or an ONNX file (.onnx)")
      ->required();
  app->add_option("--topology", options->topology, "Network of a BNN-PYNQ folder: lfc or cnv");
  app->add_option("--out", options->out, "Model file to write")->required();
  app->add_flag("--json", options->json, "Print one JSON object on stdout");
  app->footer(
      "Example: bnnc import ../shared/external/bnn-pynq/params/cifar10/cnvW1A1 --topology cnv "
      "--out cnv-w1a1.bnnc");
  return {app, [options] { return run_import(*options); }};
}

}  // namespace bnnc::cli
