// The CPU engine on LFC and CNV: throughput at a batch over threads (frames/s in the counter
// "fps") and batch-1 latency with a team of threads on each layer; and what a team's hand-offs
// cost on their own (team_hand_offs: a job of B barriers and no work, so that time(B) − time(0)
// is B barriers and time(0) the start and end of a job).
//   bnnc_benchmarks --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <memory>
#include <vector>

#include "bench_networks.h"
#include "runtime/cpu_engine.h"

namespace bnnc::bench {
namespace {

// One engine per network and per CpuEngineOptions::input_major.
const runtime::CpuEngine& engine(const std::string& name, bool input_major = true) {
  static std::unique_ptr<runtime::CpuEngine> engines[2][2];
  const int i = name == "lfc" ? 0 : 1;
  auto& slot = engines[i][input_major ? 1 : 0];
  if (!slot) {
    runtime::CpuEngineOptions options;
    options.input_major = input_major;
    slot = std::make_unique<runtime::CpuEngine>(load_bench_network(name), runtime::select_isa(),
                                                options);
  }
  return *slot;
}

void throughput(benchmark::State& state, const std::string& name) {
  const runtime::CpuEngine& e = engine(name);
  const int batch = static_cast<int>(state.range(0));
  const int threads = static_cast<int>(state.range(1));
  const auto images = random_images(e.input_size(), batch);
  std::vector<Classification> results(static_cast<std::size_t>(batch));
  runtime::Team team(threads);
  std::vector<runtime::Workspace> workspaces;
  for (auto _ : state) e.classify(images.data(), batch, results.data(), team, workspaces);
  state.counters["fps"] = benchmark::Counter(static_cast<double>(state.iterations()) * batch,
                                             benchmark::Counter::kIsRate);
}

// Batch 1 on distinct random images, back to back; range(1) = 0 runs the one-row kernel over all
// the weights instead of the input-major one (kernels.h), to compare the two in one run
// (--benchmark_enable_random_interleaving=true).
// range(2) = 1 takes the data set's first 64 test images instead of random ones (the input-major
// layers list fewer inputs of a real image).
void latency(benchmark::State& state, const std::string& name) {
  const runtime::CpuEngine& e = engine(name, state.range(1) != 0);
  const auto images =
      state.range(2) != 0 ? test_images(name, 64) : random_images(e.input_size(), 64);
  runtime::Team team(static_cast<int>(state.range(0)));
  runtime::Workspace ws = e.make_workspace();
  Classification result;
  int i = 0;
  for (auto _ : state) {
    e.classify_team(images.data() + e.input_size() * static_cast<std::size_t>(i++ % 64), 1, &result,
                    team, ws);
  }
}

// Each member writes one cache line before a barrier and reads the others' after it, as a
// batch-1 layer's members write their part of its output and read the whole.
void team_hand_offs(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  const int barriers = static_cast<int>(state.range(1));
  runtime::Team team(threads);
  struct alignas(64) Line {
    std::uint64_t words[8];
  };
  std::vector<Line> lines(static_cast<std::size_t>(threads));
  std::uint64_t sum = 0;
  for (auto _ : state) {
    team.run(
        [&](int t) {
          for (int b = 0; b < barriers; ++b) {
            lines[static_cast<std::size_t>(t)].words[0] += 1;
            team.barrier(t, runtime::Watch{lines.data(), lines.size() * sizeof(Line)});
            for (const Line& line : lines) benchmark::DoNotOptimize(line.words[0]);
          }
        },
        runtime::Watch{lines.data(), lines.size() * sizeof(Line)}, runtime::Team::Pace::Short);
    sum += lines[0].words[0];
  }
  benchmark::DoNotOptimize(sum);
}

BENCHMARK(team_hand_offs)
    ->ArgsProduct({{2}, {0, 1, 3, 10}})
    ->ArgNames({"threads", "barriers"})
    ->Unit(benchmark::kMicrosecond);

BENCHMARK_CAPTURE(throughput, lfc, std::string("lfc"))
    ->Args({1024, 1})
    ->Args({1024, 2})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(throughput, cnv, std::string("cnv"))
    ->Args({128, 1})
    ->Args({128, 2})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(latency, lfc, std::string("lfc"))
    ->ArgsProduct({{1, 2}, {1, 0}, {0, 1}})
    ->ArgNames({"threads", "input_major", "test_images"})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(latency, cnv, std::string("cnv"))
    ->ArgsProduct({{1, 2}, {1, 0}, {0, 1}})
    ->ArgNames({"threads", "input_major", "test_images"})
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace bnnc::bench

BENCHMARK_MAIN();
