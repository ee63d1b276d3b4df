// bnnc bench MODEL [--batch B] [--threads T] [--seconds S] [--json]: the CPU engine's speed
// (DESIGN.md §6, §7). First a register-only probe measures this machine's peak of binary MACs
// per second on T threads at once; then throughput at batch B over T threads (frames split
// between them), batch-1 latency with T threads working on each layer, or the caller alone when
// that is faster (the team's choice, team.h; `latency_members`) (its median, 90th
// percentile and best, and the floor under it: the larger of the compute at the probes' peaks and
// the time to read the weights once, stream_probe.h), and each layer's share of the one-core
// peak of the unit it runs on (the popcount probe's, the byte dot product's for a fixed-point
// layer, the tile unit's for a layer on AMX tiles); the whole network's against those peaks.
// Every figure is the median of repeated runs; images are random
// (seeded), as speed does not depend on pixel values.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "cli/cli_output.h"
#include "cli/commands.h"
#include "cli/cpu_early_exit_flag.h"
#include "cli/flag_checks.h"
#include "cli/load_network.h"
#include "core/error.h"
#include "core/start_thread.h"
#include "runtime/cpu_engine.h"
#include "runtime/stream_probe.h"

namespace bnnc::cli {

namespace {

// Batch-1 latency: the distinct images cycled through (LFC: 50 KB, which stays in L2 beside the
// weights), the calls that warm the team and time one call, and the bounds on the calls timed.
constexpr std::size_t kLatencyImages = 64;
constexpr std::size_t kLatencyWarmCalls = 100;
constexpr std::size_t kMinLatencyCalls = 100;
constexpr std::size_t kMaxLatencyCalls = std::size_t{1} << 20;

struct BenchOptions {
  std::string model;
  int batch = 1024;
  int threads = 0;  // 0: one per hardware thread
  double seconds = 0.5;
  int repeats = 5;
  std::string early_exit = "off";
  std::string reuse = "off";
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

// The value that `fraction` of the values are at or below (nearest rank).
double percentile(std::vector<double> values, double fraction) {
  std::sort(values.begin(), values.end());
  const auto rank =
      static_cast<std::size_t>(std::ceil(fraction * static_cast<double>(values.size())));
  return values[std::clamp<std::size_t>(rank, 1, values.size()) - 1];
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

// The weight bytes a batch-1 call reads, as its kernels read them: a binary layer on the tile
// unit its tile bytes, one in the input-major layout the most a call lists (⌊N/2⌋ columns,
// padded to 16, and one side's counter starts), the other binary layers their bit panels, the
// fixed-point layers their byte panels (thresholds aside, a few per cent more).
std::size_t batch_one_weight_bytes(const runtime::CpuEngine& engine) {
  std::size_t bytes = 0;
  for (std::size_t s = 0; s < engine.plan().steps.size(); ++s) {
    const runtime::Step& step = engine.plan().steps[s];
    if (const auto* layer = std::get_if<runtime::BinaryLayerStep>(&step)) {
      const auto& input_major = layer->prepared.input_major;
      if (engine.unit_of(s, 1) == runtime::ComputeUnit::Tiles) {
        bytes += layer->prepared.tiles.size();
      } else if (!input_major.columns.empty()) {
        const auto listed = static_cast<std::size_t>((input_major.cols / 2 + 15) / 16 * 16);
        bytes += (listed + static_cast<std::size_t>(input_major.slices)) * input_major.column_bytes;
      } else {
        bytes += layer->panels.size() * 8;
      }
    } else if (const auto* fixed = std::get_if<runtime::FixedLayerStep>(&step)) {
      bytes += fixed->panels.size();
    }
  }
  return bytes;
}

// What a layer's MACs run on, each with its own register probe: the vector unit's popcount
// (binary layers), the vector unit's byte dot product (fixed-point layers: VPDPBUSD, VPMADDUBSW)
// or the tile unit (AMX: binary layers of enough rows).
enum class Unit { Popcount, Bytes, Tiles };

const char* unit_name(Unit unit) {
  return unit == Unit::Tiles ? "tiles" : unit == Unit::Bytes ? "bytes" : "vector";
}

Unit unit_of(const runtime::CpuEngine& engine, std::size_t step, int frames) {
  if (std::holds_alternative<runtime::FixedLayerStep>(engine.plan().steps[step])) {
    return Unit::Bytes;
  }
  return engine.unit_of(step, frames) == runtime::ComputeUnit::Tiles ? Unit::Tiles : Unit::Popcount;
}

// The probes' peaks (MACs per second) of the three units, on some number of threads.
struct Peaks {
  double popcount = 0, bytes = 0, tiles = 0;
  double of(Unit unit) const {
    return unit == Unit::Tiles ? tiles : unit == Unit::Bytes ? bytes : popcount;
  }
};

// A frame's compute with every layer at the peak of the unit it runs on (on `frames` frames a
// call, which decides the unit of a dense layer): the time the whole-network peak_fraction
// compares the measured one with, each layer against the peak of the unit it runs on. On T
// threads' peaks it assumes that every layer splits evenly over them (the engine leaves a layer
// of a few panels to one): for batch 1 a lower bound, not an estimate.
double compute_seconds_at_peak(const runtime::CpuEngine& engine, const Peaks& peaks, int frames) {
  double seconds = 0;
  for (std::size_t s = 0; s < engine.plan().steps.size(); ++s) {
    const auto macs = static_cast<double>(runtime::header(engine.plan().steps[s]).macs);
    if (macs > 0) seconds += macs / peaks.of(unit_of(engine, s, frames));
  }
  return seconds;
}

struct LayerFigure {
  std::string name;
  std::int64_t macs = 0;
  double us_per_frame = 0;
  double peak_fraction = 0;
  Unit unit = Unit::Popcount;
};

int run_bench(const BenchOptions& options) {
  if (options.batch < 1) fail("--batch {}: must be at least 1", options.batch);
  if (options.threads < 0) {
    fail("--threads {}: must be at least 1 (or 0 for one per hardware thread)", options.threads);
  }
  if (!(options.seconds > 0)) fail("--seconds {}: must be positive", options.seconds);
  if (options.repeats < 1) fail("--repeats {}: must be at least 1", options.repeats);
  runtime::CpuEngineOptions engine_options;
  engine_options.early_exit = cpu_early_exit(options.early_exit);
  engine_options.reuse = cpu_reuse(options.reuse);
  const Graph graph = load_network(options.model);
  const runtime::CpuEngine engine(graph, runtime::select_isa(), engine_options);
  const runtime::KernelTable& kernels = runtime::kernels_for(engine.isa());
  const int threads = options.threads > 0
                          ? options.threads
                          : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));

  // Each unit's peak on T threads and on one core (the tile unit's only where there is one).
  Peaks peaks, peaks_one_core;
  peaks.popcount = measure_peak(kernels.peak_probe, threads);
  peaks_one_core.popcount = measure_peak(kernels.peak_probe, 1);
  peaks.bytes = measure_peak(kernels.byte_peak_probe, threads);
  peaks_one_core.bytes = measure_peak(kernels.byte_peak_probe, 1);
  if (kernels.tile_peak_probe != nullptr) {
    peaks.tiles = measure_peak(kernels.tile_peak_probe, threads);
    peaks_one_core.tiles = measure_peak(kernels.tile_peak_probe, 1);
  }
  const double peak = peaks.popcount, peak_one_core = peaks_one_core.popcount;

  // The floor under a batch-1 call: the larger of its compute and the time its threads take to
  // read its weights once from where they stay between calls (L2 for LFC's).
  const double compute_floor = compute_seconds_at_peak(engine, peaks, 1);
  const std::size_t weight_bytes = batch_one_weight_bytes(engine);
  const double weight_stream =
      weight_bytes > 0 ? runtime::measure_weight_stream(weight_bytes, threads, engine.isa()) : 0;
  const double latency_floor = std::max(compute_floor, weight_stream);

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

  // Batch-1 latency: back-to-back calls, each on the next of kLatencyImages distinct random
  // images (a stream of frames, none the one before), with nothing between two calls but the
  // clock and the store of its time (the record is made and touched before, so it never grows).
  std::vector<std::uint8_t> latency_images(engine.input_size() * kLatencyImages);
  for (auto& v : latency_images) v = static_cast<std::uint8_t>(rng());
  auto latency_image = [&](std::size_t i) {
    return latency_images.data() + engine.input_size() * (i % kLatencyImages);
  };
  std::vector<double> latencies;
  int latency_members = threads;
  {
    runtime::Team team(threads);
    runtime::Workspace ws = engine.make_workspace();
    const auto warm = Clock::now();
    for (std::size_t i = 0; i < kLatencyWarmCalls; ++i) {
      engine.classify_team(latency_image(i), 1, results.data(), team, ws);
    }
    // Room for half as many calls again as the warm-up's pace fits in the budget.
    const double budget = options.seconds * options.repeats;
    const double calls = budget / (seconds_since(warm) / kLatencyWarmCalls) * 1.5;
    latencies.assign(std::clamp(static_cast<std::size_t>(std::min(calls, 1e9)), kMinLatencyCalls,
                                kMaxLatencyCalls),
                     0.0);
    std::size_t done = 0;
    const auto start = Clock::now();
    auto before = start;
    while (done < latencies.size()) {
      engine.classify_team(latency_image(done), 1, results.data(), team, ws);
      const auto after = Clock::now();
      latencies[done++] = std::chrono::duration<double>(after - before).count();
      before = after;
      if (done >= kMinLatencyCalls &&
          std::chrono::duration<double>(after - start).count() >= budget)
        break;
    }
    latencies.resize(done);
    latency_members = team.short_members();
  }
  const double latency = median(latencies);
  const double latency_p90 = percentile(latencies, 0.9);
  const double latency_best = *std::min_element(latencies.begin(), latencies.end());

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
    layer.unit = unit_of(engine, s, tile);
    layer.peak_fraction =
        static_cast<double>(step.macs) / per_frame / peaks_one_core.of(layer.unit);
    layers.push_back(layer);
  }

  const double macs_per_second = fps * static_cast<double>(engine.macs_per_frame());
  // The whole network against the peaks of the units its layers run on (on T threads), and
  // against the popcount probe's alone (every MAC counted as a binary one).
  const double peak_fraction = compute_seconds_at_peak(engine, peaks, tile) * fps;
  const double popcount_peak_fraction = macs_per_second / peak;
  if (options.json) {
    nlohmann::ordered_json object;
    object["fps"] = fps;
    object["latency_us"] = latency * 1e6;
    object["gbmacs"] = macs_per_second / 1e9;
    object["peak_fraction"] = peak_fraction;
    object["popcount_peak_fraction"] = popcount_peak_fraction;
    object["peak_gbmacs"] = peak / 1e9;
    object["peak_gbmacs_one_core"] = peak_one_core / 1e9;
    object["byte_peak_gbmacs_one_core"] = peaks_one_core.bytes / 1e9;
    if (peaks_one_core.tiles > 0) {
      object["tile_peak_gbmacs_one_core"] = peaks_one_core.tiles / 1e9;
    }
    object["isa"] = runtime::isa_name(engine.isa());
    object["early_exit_layers"] = engine.early_exit_layers();
    object["input_reuse_layers"] = engine.input_reuse_layers();
    object["batch"] = options.batch;
    object["threads"] = threads;
    object["macs_per_frame"] = engine.macs_per_frame();
    object["fps_runs"] = fps_runs;
    object["fps_best"] = *std::max_element(fps_runs.begin(), fps_runs.end());
    object["latency_us_best"] = latency_best * 1e6;
    object["latency_us_p90"] = latency_p90 * 1e6;
    object["latency_members"] = latency_members;
    object["weight_bytes"] = weight_bytes;
    object["weight_stream_us"] = weight_stream * 1e6;
    object["compute_floor_us"] = compute_floor * 1e6;
    object["latency_floor_us"] = latency_floor * 1e6;
    nlohmann::ordered_json layer_array = nlohmann::ordered_json::array();
    for (const LayerFigure& layer : layers) {
      layer_array.push_back({{"name", layer.name},
                             {"macs", layer.macs},
                             {"us_per_frame", layer.us_per_frame},
                             {"peak_fraction", layer.peak_fraction},
                             {"unit", unit_name(layer.unit)}});
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
  text += fmt::format("byte peak    {:.1f} G byte MACs/s on one core (register probe)\n",
                      peaks_one_core.bytes / 1e9);
  if (peaks_one_core.tiles > 0) {
    text += fmt::format("tile peak    {:.1f} G byte MACs/s on one core (AMX register probe)\n",
                        peaks_one_core.tiles / 1e9);
  }
  text += fmt::format(
      "throughput   {:.0f} frames/s, {:.1f} G MACs/s = {:.1f} % of peak (each layer against "
      "its unit's; {:.1f} % of the popcount peak)\n",
      fps, macs_per_second / 1e9, 100.0 * peak_fraction, 100.0 * popcount_peak_fraction);
  text += fmt::format("             best run {:.0f} frames/s\n",
                      *std::max_element(fps_runs.begin(), fps_runs.end()));
  text +=
      fmt::format("latency      {:.2f} us (batch 1, median; best {:.2f} us){}\n", latency * 1e6,
                  latency_best * 1e6,
                  latency_members < threads ? "; on the caller alone, faster than the team" : "");
  text += fmt::format(
      "             p90 {:.2f} us; floor {:.2f} us = max(compute {:.2f}, reading {:.0f} KiB of "
      "weights {:.2f})\n",
      latency_p90 * 1e6, latency_floor * 1e6, compute_floor * 1e6,
      static_cast<double>(weight_bytes) / 1024, weight_stream * 1e6);
  text += "layer          MACs/frame     us/frame  % of one-core peak (fastest tile)\n";
  for (const LayerFigure& layer : layers) {
    text += fmt::format("{:<12} {:>12} {:>12.3f} {:>10.1f}{}\n", layer.name,
                        format_count(layer.macs), layer.us_per_frame, 100.0 * layer.peak_fraction,
                        layer.unit == Unit::Tiles   ? "  (tile unit)"
                        : layer.unit == Unit::Bytes ? "  (byte dot product)"
                                                    : "");
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
  app->add_option("--early-exit", options->early_exit,
                  std::string(kCpuEarlyExitHelp) +
                      "; the images here are random, so time "
                      "real data with bnnc eval or bnnc_early_exit_benchmarks");
  app->add_option("--reuse", options->reuse,
                  std::string(kCpuReuseHelp) +
                      "; the images here are random (neighbouring windows rarely share a word), "
                      "so time real data with bnnc_early_exit_benchmarks");
  app->add_flag("--json", options->json, "Print one JSON object on stdout");
  app->footer("Example: bnnc bench lfc-w1a1.bnnc --batch 1024 --threads 2 --json");
  return {app, [options] { return run_bench(*options); }};
}

}  // namespace bnnc::cli
