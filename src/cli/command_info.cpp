// bnnc info MODEL [--json]: the IR text form, a table of layers and what the network costs.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/cli_output.h"
#include "cli/commands.h"
#include "cli/load_network.h"
#include "ir/graph_stats.h"
#include "ir/print_graph.h"

namespace bnnc::cli {

namespace {

struct InfoOptions {
  std::string model;
  bool json = false;
};

nlohmann::ordered_json info_json(const Graph& graph, const GraphStats& stats) {
  nlohmann::ordered_json layers = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    const Node& node = graph.nodes[i];
    std::vector<std::string> inputs;
    for (int input : node.inputs) inputs.push_back(graph.nodes[input].name);
    layers.push_back({{"name", node.name},
                      {"op", op_name(node.op())},
                      {"inputs", inputs},
                      {"shape", node.type.shape},
                      {"dtype", to_string(node.type.dtype)},
                      {"macs", stats.layers[i].macs},
                      {"weight_bits", stats.layers[i].weight_bits},
                      {"thresholds", stats.layers[i].thresholds}});
  }
  return {{"name", graph.name},
          {"layers", layers},
          {"compute_layers", stats.compute_layers},
          {"macs", stats.macs},
          {"ops_per_frame", stats.ops},
          {"params", stats.params()},
          {"weight_bits", stats.weight_bits},
          {"thresholds", stats.thresholds},
          {"classes", class_count(graph)},
          {"class_names", graph.classes}};
}

void print_info(const Graph& graph, const GraphStats& stats) {
  std::string text = print_graph(graph) + "\n";

  std::size_t name_width = 5;
  std::size_t type_width = 6;
  for (const Node& node : graph.nodes) {
    name_width = std::max(name_width, node.name.size());
    type_width = std::max(type_width, to_string(node.type).size());
  }
  text += fmt::format("{:<{}}  {:<11}  {:<{}}  {:>13}\n", "layer", name_width, "op", "output",
                      type_width, "MACs");
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    const Node& node = graph.nodes[i];
    const std::int64_t macs = stats.layers[i].macs;
    text +=
        fmt::format("{:<{}}  {:<11}  {:<{}}  {:>13}\n", node.name, name_width, op_name(node.op()),
                    to_string(node.type), type_width, macs > 0 ? format_count(macs) : "-");
  }
  text += "\n";
  text += fmt::format("compute layers  {}\n", stats.compute_layers);
  text += fmt::format("ops/frame       {} ({} MACs)\n", format_si(static_cast<double>(stats.ops)),
                      format_si(static_cast<double>(stats.macs)));
  text += fmt::format("params          {} ({} weight bits, {} thresholds)\n",
                      format_count(stats.params()), format_count(stats.weight_bits),
                      format_count(stats.thresholds));
  text += fmt::format("classes         {}\n", class_count(graph));
  std::fputs(text.c_str(), stdout);
}

int run_info(const InfoOptions& options) {
  const Graph graph = load_network(options.model);
  const GraphStats stats = graph_stats(graph);
  if (options.json) {
    print_json(info_json(graph, stats));
  } else {
    print_info(graph, stats);
  }
  return kExitOk;
}

}  // namespace

Command add_info_command(CLI::App& bnnc) {
  auto options = std::make_shared<InfoOptions>();
  CLI::App* app = bnnc.add_subcommand("info", "Show a model's layers, shapes, ops/frame, params");
  app->add_option("MODEL", options->model, "bnnc model file")->required();
  app->add_flag("--json", options->json, "Print one JSON object on stdout");
  app->footer("Example: bnnc info build/cnv-w1a1.bnnc --json");
  return {app, [options] { return run_info(*options); }};
}

}  // namespace bnnc::cli
