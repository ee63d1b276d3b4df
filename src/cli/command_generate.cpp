// bnnc generate alexnet|vgg16|resnet18 [--seed S] [--width-divisor D] --out MODEL
//   [--images N --images-out FILE.npy] [--threads T] [--json]: a reference network with random
// binary weights and batch-norms (src/zoo), and random test images.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "cli/cli_output.h"
#include "cli/commands.h"
#include "cli/flag_checks.h"
#include "core/error.h"
#include "io/model_file.h"
#include "io/npy_writer.h"
#include "ir/graph_stats.h"
#include "zoo/generate_network.h"
#include "zoo/random_images.h"

namespace bnnc::cli {

namespace {

struct GenerateCliOptions {
  std::string network;
  std::uint64_t seed = 1;
  int width_divisor = 1;
  std::string out;
  int images = 0;
  std::string images_out;
  int threads = 0;  // 0: one per hardware thread
  bool json = false;
};

int run_generate(const GenerateCliOptions& options) {
  if ((options.images > 0) != !options.images_out.empty()) {
    fail("--images N and --images-out FILE.npy go together: {}",
         options.images > 0 ? "--images-out is missing" : "--images is missing or 0");
  }
  GenerateOptions generate;
  generate.network = parse_reference_network(options.network);
  generate.seed = options.seed;
  generate.width_divisor = options.width_divisor;
  generate.threads = options.threads > 0
                         ? options.threads
                         : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  const auto start = std::chrono::steady_clock::now();
  const GeneratedNetwork network = generate_network(generate);
  save_model(network.graph, options.out);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const Shape& input = network.graph.nodes[0].type.shape;
  if (options.images > 0) {
    const std::vector<std::uint8_t> hwc =
        random_images(test_images_seed(options.seed), options.images, input);
    // --data reads .npy images as [N, C, H, W] (npy_reader.h).
    const int h = input[0], w = input[1], c = input[2];
    std::vector<std::uint8_t> nchw(hwc.size());
    const std::size_t plane = static_cast<std::size_t>(h) * w, image = plane * c;
    for (std::size_t n = 0; n < static_cast<std::size_t>(options.images); ++n) {
      for (std::size_t p = 0; p < plane; ++p) {
        for (int k = 0; k < c; ++k) nchw[n * image + k * plane + p] = hwc[n * image + p * c + k];
      }
    }
    save_npy_uint8(options.images_out, {options.images, c, h, w}, nchw);
  }
  const GraphStats stats = graph_stats(network.graph);
  if (options.json) {
    nlohmann::ordered_json firing = nlohmann::ordered_json::array();
    for (const LayerFiring& layer : network.firing) {
      firing.push_back({{"name", layer.name},
                        {"fraction", layer.fraction},
                        {"channels", layer.channels},
                        {"constant_channels", layer.constant_channels}});
    }
    nlohmann::ordered_json object = {
        {"out", options.out}, {"name", network.graph.name},       {"seed", options.seed},
        {"macs", stats.macs}, {"weight_bits", stats.weight_bits}, {"seconds", seconds},
        {"firing", firing}};
    if (options.images > 0) {
      object["images"] = options.images;
      object["images_out"] = options.images_out;
    }
    print_json(object);
    return kExitOk;
  }
  std::string text =
      fmt::format("generated {} (seed {}) → {} in {:.1f} s: {} MACs, {} weight bits\n",
                  network.graph.name, options.seed, options.out, seconds,
                  format_si(static_cast<double>(stats.macs)), format_count(stats.weight_bits));
  text += "calibration firing (fraction of 1 bits, channels constant on all calibration images):\n";
  for (const LayerFiring& layer : network.firing) {
    text += fmt::format("  {:<8} {:.3f}  {}/{}\n", layer.name, layer.fraction,
                        layer.constant_channels, layer.channels);
  }
  if (options.images > 0) {
    text += fmt::format("{} random test images → {}\n", options.images, options.images_out);
  }
  std::fputs(text.c_str(), stdout);
  return kExitOk;
}

}  // namespace

Command add_generate_command(CLI::App& bnnc) {
  auto options = std::make_shared<GenerateCliOptions>();
  CLI::App* app = bnnc.add_subcommand(
      "generate", "Make a reference network (AlexNet, VGG-16, ResNet-18) with random weights");
  app->add_option("NETWORK", options->network, "alexnet, vgg16 or resnet18")->required();
  app->add_option("--seed", options->seed, "Seed of the weights, batch-norms and images")
      ->check(integer_in(0, INT64_MAX));
  app->add_option("--width-divisor", options->width_divisor,
                  "Divide every hidden channel count and FC width by this")
      ->check(integer_in(1, 4096));
  app->add_option("--out", options->out, "bnnc model file to write")->required();
  app->add_option("--images", options->images, "Number of random uint8 test images to write")
      ->check(integer_in(0, 100000));
  app->add_option("--images-out", options->images_out, ".npy file for the test images");
  app->add_option("--threads", options->threads,
                  "Threads for the calibration (0: one per hardware thread)")
      ->check(integer_in(0, kMaxThreads));
  app->add_flag("--json", options->json, "Print one JSON object on stdout");
  app->footer(
      "Example: bnnc generate alexnet --width-divisor 8 --out alexnet-div8.bnnc --images 4 "
      "--images-out alexnet-images.npy");
  return {app, [options] { return run_generate(*options); }};
}

}  // namespace bnnc::cli
