// The CPU engine on LFC and CNV: throughput at a batch over threads (frames/s in the counter
// "fps") and batch-1 latency with a team of threads on each layer.
//   bnnc_benchmarks --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <memory>

#include "bench_networks.h"
#include "runtime/cpu_engine.h"

namespace bnnc::bench {
namespace {

const runtime::CpuEngine& engine(const std::string& name) {
  static std::unique_ptr<runtime::CpuEngine> engines[2];
  const int i = name == "lfc" ? 0 : 1;
  if (!engines[i]) engines[i] = std::make_unique<runtime::CpuEngine>(load_bench_network(name));
  return *engines[i];
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

void latency(benchmark::State& state, const std::string& name) {
  const runtime::CpuEngine& e = engine(name);
  const auto images = random_images(e.input_size(), 64);
  runtime::Team team(static_cast<int>(state.range(0)));
  runtime::Workspace ws = e.make_workspace();
  Classification result;
  int i = 0;
  for (auto _ : state) {
    e.classify_team(images.data() + e.input_size() * static_cast<std::size_t>(i++ % 64), 1, &result,
                    team, ws);
  }
}

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
BENCHMARK_CAPTURE(latency, lfc, std::string("lfc"))->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(latency, cnv, std::string("cnv"))->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace bnnc::bench

BENCHMARK_MAIN();
