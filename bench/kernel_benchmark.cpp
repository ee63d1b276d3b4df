// The CPU engine's kernels alone, on the shapes of LFC's and CNV's layers, for every instruction
// set this CPU supports: binary MACs per second in the counter "gmacs" (G binary MACs/s, one
// core), with no im2col or other step around them.
//   bnnc_kernel_benchmarks --benchmark_filter=avx512
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "runtime/kernels.h"

namespace bnnc::bench {
namespace {

using runtime::Isa;
// As the engine keeps them (cpu_plan.h): on 64-byte boundaries.
template <typename T>
using Aligned = std::vector<T, runtime::CacheLineAllocator<T>>;

// One layer as the engine calls it: m input rows (frames of a tile or output pixels of a conv),
// k words (binary) or 4-byte groups (fixed) per row, `rows` output channels.
struct Shape {
  const char* name;
  bool fixed;
  int m, k, rows, cols;
};

constexpr Shape kShapes[] = {
    {"lfc_fc0", false, 64, 13, 1024, 784},
    {"lfc_fc1", false, 64, 16, 1024, 1024},
    {"lfc_fc3", false, 64, 16, 10, 1024},
    {"cnv_conv0", true, 900, 7, 64, 27},
    {"cnv_conv1", false, 784, 9, 64, 576},
    {"cnv_conv2", false, 144, 9, 128, 576},
    {"cnv_conv3", false, 100, 18, 128, 1152},
    {"cnv_conv4", false, 9, 18, 256, 1152},
    {"cnv_conv5", false, 1, 36, 256, 2304},
    {"cnv_fc6", false, 1, 4, 512, 256},
    {"cnv_fc7", false, 1, 8, 512, 512},
    {"lfc_fc0_batch1", false, 1, 13, 1024, 784},
    {"lfc_fc1_batch1", false, 1, 16, 1024, 1024},
    // A member's half of each on a 2-thread team (the same weight bytes per core).
    {"lfc_fc0_batch1_half", false, 1, 13, 512, 784},
    {"lfc_fc1_batch1_half", false, 1, 16, 512, 1024},
};

void binary(benchmark::State& state, Isa isa, Shape s) {
  std::mt19937_64 rng(20261122);
  const int panels = (s.rows + 7) / 8;
  Aligned<std::uint64_t> a(static_cast<std::size_t>(s.m) * s.k);
  Aligned<std::uint64_t> w(static_cast<std::size_t>(panels) * s.k * 8);
  for (auto& v : a) v = rng();
  for (auto& v : w) v = rng();
  Aligned<std::int64_t> dmax(static_cast<std::size_t>(panels) * 8, s.cols / 2);
  std::vector<std::uint8_t> neg(static_cast<std::size_t>(panels), 0);
  std::vector<std::uint8_t> out(static_cast<std::size_t>(s.m) * panels);
  runtime::BinaryGemmArgs g;
  g.a = a.data();
  g.lda = static_cast<std::size_t>(s.k);
  g.m = s.m;
  g.k = s.k;
  g.panels = w.data();
  g.panel_end = panels;
  g.rows = s.rows;
  g.cols = s.cols;
  g.dmax = dmax.data();
  g.neg = neg.data();
  g.out_bits = out.data();
  g.ldo = static_cast<std::size_t>(panels);
  const auto& kernels = runtime::kernels_for(isa);
  runtime::PreparedWeights prepared;
  if (kernels.prepare_binary != nullptr) {
    kernels.prepare_binary(w.data(), panels, s.k, prepared);
    g.prepared = &prepared;
  }
  // One input row: the weights also in the one-row layout, as the engine makes them for its
  // layers of one row per frame.
  if (kernels.prepare_binary_row != nullptr && s.m == 1) {
    kernels.prepare_binary_row(w.data(), panels, s.k, prepared);
    g.prepared = &prepared;
  }
  for (auto _ : state) {
    kernels.binary_gemm(g);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.counters["gmacs"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * s.m * s.rows * s.cols / 1e9,
                         benchmark::Counter::kIsRate);
}

void fixed(benchmark::State& state, Isa isa, Shape s) {
  std::mt19937_64 rng(20261122);
  const int panels = (s.rows + 15) / 16;
  Aligned<std::uint8_t> a(static_cast<std::size_t>(s.m) * s.k * 4);
  Aligned<std::int8_t> w(static_cast<std::size_t>(panels) * s.k * 64);
  for (auto& v : a) v = static_cast<std::uint8_t>(rng());
  for (auto& v : w) v = (rng() & 1) != 0 ? 1 : -1;
  std::vector<std::int32_t> amin(static_cast<std::size_t>(panels) * 16, 0);
  std::vector<std::uint16_t> neg(static_cast<std::size_t>(panels), 0);
  std::vector<std::uint8_t> out(static_cast<std::size_t>(s.m) * panels * 2);
  runtime::FixedGemmArgs g;
  g.a = a.data();
  g.lda = static_cast<std::size_t>(s.k) * 4;
  g.m = s.m;
  g.k4 = s.k;
  g.panels = w.data();
  g.panel_end = panels;
  g.rows = s.rows;
  g.amin = amin.data();
  g.neg = neg.data();
  g.out_bits = out.data();
  g.ldo = static_cast<std::size_t>(panels) * 2;
  const auto& kernels = runtime::kernels_for(isa);
  for (auto _ : state) {
    kernels.fixed_gemm(g);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.counters["gmacs"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * s.m * s.rows * s.cols / 1e9,
                         benchmark::Counter::kIsRate);
}

// The register-only probes: binary MACs (popcount), byte MACs on tiles, byte MACs on vectors.
enum class Probe { Popcount, Tiles, Bytes };

void peak(benchmark::State& state, Isa isa, Probe probe) {
  const auto& kernels = runtime::kernels_for(isa);
  const auto run = probe == Probe::Popcount ? kernels.peak_probe
                   : probe == Probe::Tiles  ? kernels.tile_peak_probe
                                            : kernels.byte_peak_probe;
  double macs = 0;
  for (auto _ : state) macs += run(100'000);
  state.counters["gmacs"] = benchmark::Counter(macs / 1e9, benchmark::Counter::kIsRate);
}

int register_all() {
  for (int i = 0; i < static_cast<int>(Isa::Count); ++i) {
    const auto isa = static_cast<Isa>(i);
    if (!runtime::isa_supported(isa)) continue;
    const std::string prefix = std::string(runtime::isa_name(isa)) + "/";
    benchmark::RegisterBenchmark((prefix + "peak").c_str(), peak, isa, Probe::Popcount);
    if (runtime::kernels_for(isa).tile_peak_probe != nullptr) {
      benchmark::RegisterBenchmark((prefix + "tile_peak").c_str(), peak, isa, Probe::Tiles);
    }
    if (runtime::kernels_for(isa).byte_peak_probe != nullptr) {
      benchmark::RegisterBenchmark((prefix + "byte_peak").c_str(), peak, isa, Probe::Bytes);
    }
    for (const Shape& s : kShapes) {
      benchmark::RegisterBenchmark((prefix + s.name).c_str(), s.fixed ? fixed : binary, isa, s)
          ->Unit(benchmark::kMicrosecond);
    }
  }
  return 0;
}

const int registered = register_all();

}  // namespace
}  // namespace bnnc::bench

BENCHMARK_MAIN();
