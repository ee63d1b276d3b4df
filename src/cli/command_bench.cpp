// bnnc bench MODEL [--batch B] [--threads T] [--seconds S] [--json]: the CPU engine's speed
// (DESIGN.md §6, §7). First a register-only probe measures this machine's peak of binary MACs
// per second on T threads at once; then throughput at batch B over T threads (frames split
// between them), batch-1 latency with T threads working on each layer, and each binary layer's
// share of the one-core peak (of the tile unit's own probe for layers that run on it, AMX).
// Every figure is the median of repeated runs; images are random
// (seeded), as speed does not depend on pixel values.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "cli/cli_output.h"
#include "cli/commands.h"
#include "cli/flag_checks.h"
#include "cli/load_network.h"
#include "core/error.h"
#include "core/start_thread.h"
#include "runtime/cpu_engine.h"

namespace bnnc::cli {

namespace {

struct BenchOptions {
  std::string model;
  int batch = 1024;
  int threads = 0;  // 0: one per hardware thread
  double seconds = 0.5;
  int repeats = 5;
  bool json = false;
};

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

// Binary MACs per second of the register-only probe running on `threads` threads at once: the
// best of 20 runs of a few milliseconds, as the peak is what the machine can do and other load
// only ever slows a run down.
double measure_peak(double (*probe)(std::int64_t), int threads) {
  constexpr std::int64_t kIterations = 200'000;
  std::vector<double> rates;
  for (int run = 0; run < 20; ++run) {
    std::vector<double> rate(static_cast<std::size_t>(threads));
    {
      std::vector<std::jthread> pool;  // joined when it goes out of scope, also on a throw
      for (int t = 0; t < threads; ++t) {
        pool.push_back(start_thread(
            [&, t] {
              const auto start = Clock::now();
              const double macs = probe(kIterations);
              rate[static_cast<std::size_t>(t)] = macs / seconds_since(start);
            },
            t, threads));
      }
    }
    double sum = 0;
    for (double r : rate) sum += r;
    rates.push_back(sum);
  }
  return *std::max_element(rates.begin(), rates.end());
}

struct LayerFigure {
  std::string name;
  std::int64_t macs = 0;
  double us_per_frame = 0;
  double peak_fraction = 0;
  bool tiles = false;  // ran on the tile unit (AMX)
};

int run_bench(const BenchOptions& options) {
  if (options.batch < 1) fail("--batch {}: must be at least 1", options.batch);
  if (options.threads < 0) {
    fail("--threads {}: must be at least 1 (or 0 for one per hardware thread)", options.threads);
  }
  if (!(options.seconds > 0)) fail("--seconds {}: must be positive", options.seconds);
  if (options.repeats < 1) fail("--repeats {}: must be at least 1", options.repeats);
  const Graph graph = load_network(options.model);
  const runtime::CpuEngine engine(graph);
  const runtime::KernelTable& kernels = runtime::kernels_for(engine.isa());
  const int threads = options.threads > 0
                          ? options.threads
                          : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));

  const double peak = measure_peak(kernels.peak_probe, threads);
  const double peak_one_core = measure_peak(kernels.peak_probe, 1);
  const double tile_peak_one_core =
      kernels.tile_peak_probe != nullptr ? measure_peak(kernels.tile_peak_probe, 1) : 0;

  std::mt19937_64 rng(20261122);
  std::vector<std::uint8_t> images(engine.input_size() * static_cast<std::size_t>(options.batch));
  for (auto& v : images) v = static_cast<std::uint8_t>(rng());
  std::vector<Classification> results(static_cast<std::size_t>(options.batch));

  // Throughput, on one team for all runs (its helpers sleep once it is gone).
  std::vector<double> fps_runs;
  {
    runtime::Team team(threads);
    std::vector<runtime::Workspace> workspaces;
    engine.classify(images.data(), options.batch, results.data(), team, workspaces);  // warm up
    for (int r = 0; r < options.repeats; ++r) {
      std::int64_t frames = 0;
      const auto start = Clock::now();
      do {
        engine.classify(images.data(), options.batch, results.data(), team, workspaces);
        frames += options.batch;
      } while (seconds_since(start) < options.seconds);
      fps_runs.push_back(static_cast<double>(frames) / seconds_since(start));
    }
  }
  const double fps = median(fps_runs);

  // Batch-1 latency: the median over single runs.
  std::vector<double> latencies;
  {
    runtime::Team team(threads);
    runtime::Workspace ws = engine.make_workspace();
    const auto start = Clock::now();
    for (int i = 0; seconds_since(start) < options.seconds * options.repeats || i < 100; ++i) {
      const std::uint8_t* image =
          images.data() + engine.input_size() * static_cast<std::size_t>(i % options.batch);
      const auto one = Clock::now();
      engine.classify_team(image, 1, results.data(), team, ws);
      latencies.push_back(seconds_since(one));
    }
  }
  const double latency = median(latencies);

  // Each binary layer on one core, on tiles of frames: the fastest tile of each step, so that a
  // preemption by another process (the machine may be shared) does not count against a layer.
  std::vector<double> best_step(engine.plan().steps.size(), 1e30);
  const int tile = std::min(engine.tile(), options.batch);
  {
    runtime::Workspace ws = engine.make_workspace();
    std::vector<double> step_seconds;
    const auto start = Clock::now();
    for (int i = 0; seconds_since(start) < options.seconds; ++i) {
      const int first = (i * tile) % std::max(1, options.batch - tile + 1);
      step_seconds.assign(engine.plan().steps.size(), 0.0);
      engine.classify_timed(images.data() + engine.input_size() * static_cast<std::size_t>(first),
                            tile, results.data(), ws, step_seconds);
      for (std::size_t s = 0; s < step_seconds.size(); ++s) {
        best_step[s] = std::min(best_step[s], step_seconds[s]);
      }
    }
  }
  std::vector<LayerFigure> layers;
  for (std::size_t s = 0; s < engine.plan().steps.size(); ++s) {
    const runtime::StepHeader& step = runtime::header(engine.plan().steps[s]);
    LayerFigure layer;
    layer.name = step.name;
    layer.macs = step.macs;
    const double per_frame = best_step[s] / tile;
    layer.us_per_frame = per_frame * 1e6;
    layer.tiles = engine.unit_of(s, tile) == runtime::ComputeUnit::Tiles;
    layer.peak_fraction = static_cast<double>(step.macs) / per_frame /
                          (layer.tiles ? tile_peak_one_core : peak_one_core);
    layers.push_back(layer);
  }

  const double macs_per_second = fps * static_cast<double>(engine.macs_per_frame());
  if (options.json) {
    nlohmann::ordered_json object;
    object["fps"] = fps;
    object["latency_us"] = latency * 1e6;
    object["gbmacs"] = macs_per_second / 1e9;
    object["peak_fraction"] = macs_per_second / peak;
    object["peak_gbmacs"] = peak / 1e9;
    object["peak_gbmacs_one_core"] = peak_one_core / 1e9;
    if (tile_peak_one_core > 0) object["tile_peak_gbmacs_one_core"] = tile_peak_one_core / 1e9;
    object["isa"] = runtime::isa_name(engine.isa());
    object["batch"] = options.batch;
    object["threads"] = threads;
    object["macs_per_frame"] = engine.macs_per_frame();
    object["fps_runs"] = fps_runs;
    object["fps_best"] = *std::max_element(fps_runs.begin(), fps_runs.end());
    object["latency_us_best"] = *std::min_element(latencies.begin(), latencies.end()) * 1e6;
    nlohmann::ordered_json layer_array = nlohmann::ordered_json::array();
    for (const LayerFigure& layer : layers) {
      layer_array.push_back({{"name", layer.name},
                             {"macs", layer.macs},
                             {"us_per_frame", layer.us_per_frame},
                             {"peak_fraction", layer.peak_fraction},
                             {"unit", layer.tiles ? "tiles" : "vector"}});
    }
    object["layers"] = std::move(layer_array);
    print_json(object);
    return kExitOk;
  }
  std::string text;
  text +=
      fmt::format("engine       cpu ({}), {} thread{}, batch {}\n", runtime::isa_name(engine.isa()),
                  threads, threads == 1 ? "" : "s", options.batch);
  text += fmt::format("peak         {:.1f} G binary MACs/s ({:.1f} on one core, register probe)\n",
                      peak / 1e9, peak_one_core / 1e9);
  if (tile_peak_one_core > 0) {
    text += fmt::format("tile peak    {:.1f} G byte MACs/s on one core (AMX register probe)\n",
                        tile_peak_one_core / 1e9);
  }
  text += fmt::format("throughput   {:.0f} frames/s, {:.1f} G binary MACs/s = {:.1f} % of peak\n",
                      fps, macs_per_second / 1e9, 100.0 * macs_per_second / peak);
  text += fmt::format("             best run {:.0f} frames/s\n",
                      *std::max_element(fps_runs.begin(), fps_runs.end()));
  text += fmt::format("latency      {:.2f} us (batch 1, median; best {:.2f} us)\n", latency * 1e6,
                      *std::min_element(latencies.begin(), latencies.end()) * 1e6);
  text += "layer          MACs/frame     us/frame  % of one-core peak (fastest tile)\n";
  for (const LayerFigure& layer : layers) {
    text += fmt::format("{:<12} {:>12} {:>12.3f} {:>10.1f}{}\n", layer.name,
                        format_count(layer.macs), layer.us_per_frame, 100.0 * layer.peak_fraction,
                        layer.tiles ? "  (tile unit)" : "");
  }
  std::fputs(text.c_str(), stdout);
  return kExitOk;
}

}  // namespace

Command add_bench_command(CLI::App& bnnc) {
  auto options = std::make_shared<BenchOptions>();
  CLI::App* app = bnnc.add_subcommand("bench", "Measure the CPU engine's speed on a model");
  app->add_option("MODEL", options->model, "bnnc model file")->required();
  app->add_option("--batch", options->batch, "Frames per call for the throughput figure")
      ->check(integer_in(1, 1 << 20));
  app->add_option("--threads", options->threads, "Threads (0: one per hardware thread)")
      ->check(integer_in(0, kMaxThreads));
  app->add_option("--seconds", options->seconds, "Length of each timed run")
      ->check(number_in(0, 3600, true));
  app->add_option("--repeats", options->repeats, "Timed runs (the median is reported)")
      ->check(integer_in(1, 1000));
  app->add_flag("--json", options->json, "Print one JSON object on stdout");
  app->footer("Example: bnnc bench lfc-w1a1.bnnc --batch 1024 --threads 2 --json");
  return {app, [options] { return run_bench(*options); }};
}

}  // namespace bnnc::cli
