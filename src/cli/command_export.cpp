// bnnc export MODEL --out FILE.onnx [--json]: a bnnc model → QONNX.
#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <string>

#include "cli/cli_output.h"
#include "cli/commands.h"
#include "cli/load_network.h"
#include "io/onnx_exporter.h"

namespace bnnc::cli {

namespace {

struct ExportOptions {
  std::string model;
  std::string out;
  bool json = false;
};

int run_export(const ExportOptions& options) {
  const Graph graph = load_network(options.model);
  export_onnx(graph, options.out);
  if (options.json) {
    print_json({{"out", options.out}});
  } else {
    std::fputs(fmt::format("exported {} → {} (QONNX)\n", options.model, options.out).c_str(),
               stdout);
  }
  return kExitOk;
}

}  // namespace

Command add_export_command(CLI::App& bnnc) {
  auto options = std::make_shared<ExportOptions>();
  CLI::App* app = bnnc.add_subcommand("export", "Write a bnnc model as QONNX (ONNX)");
  app->add_option("MODEL", options->model, "bnnc model file (or ONNX file)")->required();
  app->add_option("--out", options->out, "ONNX file to write")->required();
  app->add_flag("--json", options->json, "Print one JSON object on stdout");
  app->footer("Example: bnnc export lfc-w1a1.bnnc --out lfc-w1a1.onnx");
  return {app, [options] { return run_export(*options); }};
}

}  // namespace bnnc::cli
