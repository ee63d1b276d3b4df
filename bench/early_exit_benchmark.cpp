// Early termination and input reuse in the CPU engine against the plain kernels, side by side in
// one run (docs/similarity.md, "CPU engine"): whole networks on real images, one thread, batch 16
// and batch 1, plain, with early exit on every fused binary layer, with input reuse on every binary
// conv (word-skipping kernels: input_reuse; equal windows copied: window_reuse) and with --reuse
// auto (reuse_auto); each binary layer's time per frame each way (layers/, counters in µs, from
// classify_timed); and the whole network with one layer's variant on (one_layer/,
// one_layer_reuse/, one_layer_window/). The variants depend on the data, so the images are the
// data sets', never random:
//   lfc, cnv      models/lfc.bnnc, models/cnv.bnnc on Fashion-MNIST's test images
//                 (BNNC_FASHION_MNIST, default /usr/share/datasets/fashion-mnist)
//   pynq_lfc      BNN-PYNQ's LFC-W1A1 on MNIST's test images     (BNNC_EXTERNAL_DATA)
//   pynq_cnv      BNN-PYNQ's CNV-W1A1 on the 761 CIFAR-10 images (BNNC_EXTERNAL_DATA)
// Interleave the repetitions on a loaded machine:
//   bnnc_early_exit_benchmarks --benchmark_repetitions=5 --benchmark_enable_random_interleaving
#include <benchmark/benchmark.h>

#include <array>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "bench_networks.h"
#include "io/bnn_pynq_importer.h"
#include "io/dataset.h"
#include "io/model_file.h"
#include "runtime/cpu_engine.h"

namespace bnnc::bench {
namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : fallback;
}

struct Network {
  Graph graph;
  // plain, early exit, input reuse (words), input reuse (windows), --reuse auto
  std::unique_ptr<runtime::CpuEngine> engines[5];
  Dataset data;
};

const Network& network(const std::string& name) {
  static std::map<std::string, Network> networks;
  auto it = networks.find(name);
  if (it != networks.end()) return it->second;
  const std::string external = env_or("BNNC_EXTERNAL_DATA", BNNC_EXTERNAL_DATA_DEFAULT);
  const std::string fashion = env_or("BNNC_FASHION_MNIST", "/usr/share/datasets/fashion-mnist");
  Graph graph;
  Network net;
  if (name == "lfc" || name == "cnv") {
    graph = load_model(std::string(BNNC_SOURCE_DIR) + "/models/" + name + ".bnnc");
    net.data = load_dataset(fashion + "/t10k-images-idx3-ubyte.gz");
  } else if (name == "pynq_lfc") {
    graph = load_bench_network("lfc");
    net.data = load_dataset(external + "/mnist/t10k-images-idx3-ubyte.gz");
  } else {
    graph = load_bench_network("cnv");
    net.data = load_dataset(external + "/cifar10/test_batch_first761.bin");
  }
  for (int mode = 0; mode < 5; ++mode) {
    runtime::CpuEngineOptions options;
    if (mode == 1) options.early_exit = runtime::EarlyExit::On;
    if (mode == 2) options.reuse = runtime::CpuReuse::Input;
    if (mode == 3) options.reuse = runtime::CpuReuse::Window;
    if (mode == 4) options.reuse = runtime::CpuReuse::Auto;
    net.engines[mode] = std::make_unique<runtime::CpuEngine>(graph, runtime::select_isa(), options);
  }
  net.graph = std::move(graph);
  return networks.emplace(name, std::move(net)).first->second;
}

// Frames per second over calls of `batch` consecutive images, cycling through the data set.
void classify_batches(benchmark::State& state, const runtime::CpuEngine& engine,
                      const Dataset& data, int batch) {
  const int calls = std::min(data.count, 768) / batch;
  const std::size_t size = engine.input_size();
  std::vector<Classification> results(static_cast<std::size_t>(batch));
  runtime::Team team(1);
  std::vector<runtime::Workspace> workspaces;
  int call = 0;
  for (auto _ : state) {
    const std::uint8_t* images = data.pixels.data() + static_cast<std::size_t>(call) * batch * size;
    engine.classify(images, batch, results.data(), team, workspaces);
    call = (call + 1) % calls;
  }
  state.counters["fps"] = benchmark::Counter(static_cast<double>(state.iterations()) * batch,
                                             benchmark::Counter::kIsRate);
}

void whole_network(benchmark::State& state, const std::string& name, int mode) {
  const Network& net = network(name);
  const runtime::CpuEngine& engine = *net.engines[mode];
  classify_batches(state, engine, net.data, static_cast<int>(state.range(0)));
  state.counters["early_exit_layers"] = engine.early_exit_layers();
  state.counters["input_reuse_layers"] = engine.input_reuse_layers();
  state.SetLabel(runtime::isa_name(engine.isa()));
}

// Each fused binary layer's time per frame (µs), batches of 16 images on one thread.
void layers(benchmark::State& state, const std::string& name, int mode) {
  const Network& net = network(name);
  const runtime::CpuEngine& engine = *net.engines[mode];
  constexpr int kBatch = 16;
  const int batch = std::min(kBatch, engine.tile());
  const int calls = std::min(net.data.count, 768) / batch;
  const std::size_t size = engine.input_size();
  std::vector<Classification> results(static_cast<std::size_t>(batch));
  runtime::Workspace ws = engine.make_workspace();
  std::vector<double> seconds(engine.plan().steps.size(), 0.0);
  int call = 0;
  for (auto _ : state) {
    engine.classify_timed(net.data.pixels.data() + static_cast<std::size_t>(call) * batch * size,
                          batch, results.data(), ws, seconds);
    call = (call + 1) % calls;
  }
  const double frames = static_cast<double>(state.iterations()) * batch;
  for (std::size_t s = 0; s < seconds.size(); ++s) {
    const auto* layer = std::get_if<runtime::BinaryLayerStep>(&engine.plan().steps[s]);
    if (layer != nullptr && layer->fused) state.counters[layer->name] = seconds[s] / frames * 1e6;
  }
}

// The whole network at batch 16 with early exit on one layer only: against network/NAME/plain,
// that layer's effect in CPU time (classify_timed's per-step clock is wall time, which the other
// sessions on a loaded machine inflate).
void one_layer(benchmark::State& state, const std::string& name, const std::string& layer,
               runtime::CpuReuse reuse) {
  const Network& net = network(name);
  runtime::CpuEngineOptions options;
  if (reuse != runtime::CpuReuse::Off) {
    options.reuse = reuse;
    options.reuse_layer = layer;
  } else {
    options.early_exit = runtime::EarlyExit::On;
    options.early_exit_layer = layer;
  }
  const runtime::CpuEngine engine(net.graph, runtime::select_isa(), options);
  classify_batches(state, engine, net.data, 16);
}

void register_all() {
  for (const char* name : {"lfc", "cnv", "pynq_lfc", "pynq_cnv"}) {
    for (int on = 0; on < 5; ++on) {
      const std::string mode =
          std::array{"plain", "early_exit", "input_reuse", "window_reuse", "reuse_auto"}[on];
      benchmark::RegisterBenchmark((std::string("network/") + name + "/" + mode).c_str(),
                                   whole_network, name, on)
          ->ArgName("batch")
          ->Arg(16)
          ->Arg(1)
          ->Unit(benchmark::kMicrosecond);
      benchmark::RegisterBenchmark((std::string("layers/") + name + "/" + mode).c_str(), layers,
                                   name, on)
          ->Unit(benchmark::kMicrosecond);
    }
    for (const runtime::Step& step : network(name).engines[0]->plan().steps) {
      const auto* layer = std::get_if<runtime::BinaryLayerStep>(&step);
      if (layer == nullptr || !layer->fused) continue;
      benchmark::RegisterBenchmark(
          (std::string("one_layer/") + name + "/" + layer->name + "/batch:16").c_str(), one_layer,
          name, layer->name, runtime::CpuReuse::Off)
          ->Unit(benchmark::kMicrosecond);
    }
    for (const runtime::Step& step : network(name).engines[2]->plan().steps) {
      const auto* layer = std::get_if<runtime::BinaryLayerStep>(&step);
      if (layer == nullptr || !layer->input_reuse) continue;
      benchmark::RegisterBenchmark(
          (std::string("one_layer_reuse/") + name + "/" + layer->name + "/batch:16").c_str(),
          one_layer, name, layer->name, runtime::CpuReuse::Input)
          ->Unit(benchmark::kMicrosecond);
      benchmark::RegisterBenchmark(
          (std::string("one_layer_window/") + name + "/" + layer->name + "/batch:16").c_str(),
          one_layer, name, layer->name, runtime::CpuReuse::Window)
          ->Unit(benchmark::kMicrosecond);
    }
  }
}

}  // namespace
}  // namespace bnnc::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  bnnc::bench::register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
