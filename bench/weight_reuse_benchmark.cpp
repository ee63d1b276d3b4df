// Weight reuse on a CPU, measured against the plain kernel side by side (issue 16: keep a reuse
// variant only where it is faster). The CPU engine has no weight-reuse kernel
// (docs/similarity.md, "Weight reuse"); this measures what that decision rests on, on the real
// weights of BNN-PYNQ's CNV-W1A1 and LFC-W1A1, layer by layer:
//   plain   D_b = Σ_w popcount(x_w XOR b_w) for every kernel b (the mismatches; P = N − D);
//   reuse   kernel b from its parent a in the minimum spanning tree (fold/kernel_similarity.h),
//           a' = a or its complement: with M = a' XOR b,
//               D_b = D_a' + |M| − 2·Σ_w popcount((x_w XOR a'_w) AND M_w),  D_a' = D_a or N − D_a,
//           over the words where M_w ≠ 0 only (a compacted list of (w, M_w)): the best a
//           word-level CPU kernel can skip, since skipping needs whole equal words.
// Both are the same scalar loop shape (64-bit words, POPCNT), compiled alike, so their ratio is
// the cost of the reuse formula per word against the plain one; `engine_*` is the CPU engine's
// own plain kernel (best ISA of this CPU) on the same shape, the figure a reuse kernel would have
// to beat. Counters: `gmacs` (10⁹ binary MACs a CPU-second, of the plain computation in every
// case), `words` (words visited per kernel and input row, over the layer's k).
//   bnnc_weight_reuse_benchmarks --benchmark_repetitions=5 --benchmark_enable_random_interleaving
#include <benchmark/benchmark.h>

#include <bit>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "bench_networks.h"
#include "fold/kernel_similarity.h"
#include "runtime/kernels.h"

namespace bnnc::bench {
namespace {

struct Layer {
  std::string name;
  BinaryMatrix weights;
  int m = 1;  // input rows per call: a conv's windows a frame, LFC's batch tile
};

// The binary-input layers (conv0's pixels are 8-bit: no XNOR there).
std::vector<Layer> load_layers() {
  std::vector<Layer> layers;
  for (const char* net : {"cnv", "lfc"}) {
    const Graph g = load_bench_network(net);
    for (const Node& n : g.nodes) {
      if (n.op() != Op::Conv2d && n.op() != Op::Dense) continue;
      if (!g.nodes[static_cast<std::size_t>(n.inputs[0])].type.dtype.is_bit()) continue;
      // A dense layer over a tile of 64 frames; a conv over one frame's windows.
      Layer l{std::string(net) + "_" + n.name, n.weights(), 64};
      if (n.op() == Op::Conv2d) l.m = static_cast<int>(n.type.shape[0] * n.type.shape[1]);
      layers.push_back(std::move(l));
    }
  }
  return layers;
}

const std::vector<Layer>& layers() {
  static const std::vector<Layer> all = load_layers();
  return all;
}

std::vector<std::uint64_t> random_rows(int m, int k) {
  std::mt19937_64 rng(20261205);
  std::vector<std::uint64_t> x(static_cast<std::size_t>(m) * k);
  for (auto& v : x) v = rng();
  return x;
}

// Clears the bits past the layer's N in the last word of every input row.
void mask_tail(std::vector<std::uint64_t>& x, int k, int cols) {
  if (cols % 64 == 0) return;
  const std::uint64_t tail = (std::uint64_t{1} << (cols % 64)) - 1;
  for (std::size_t i = static_cast<std::size_t>(k) - 1; i < x.size(); i += k) x[i] &= tail;
}

__attribute__((target("popcnt"))) void plain_mismatches(const BinaryMatrix& w,
                                                        const std::uint64_t* x, int m,
                                                        std::int32_t* d) {
  const int k = w.words_per_row();
  for (int i = 0; i < m; ++i) {
    const std::uint64_t* xi = x + static_cast<std::size_t>(i) * k;
    for (int r = 0; r < w.rows(); ++r) {
      const std::uint64_t* wr = w.row_words(r);
      int s = 0;
      for (int j = 0; j < k; ++j) s += std::popcount(xi[j] ^ wr[j]);
      d[static_cast<std::size_t>(i) * w.rows() + r] = s;
    }
  }
}

// The reuse schedule: kernels in Prim's order, each with its parent's effective words a' and
// the compacted (word, M_w) list where a' and b differ.
struct Schedule {
  struct Kernel {
    int row = 0, parent = -1;  // parent −1: the root, computed plainly
    bool negated = false;
    int differing = 0;  // |M|
    std::vector<std::uint32_t> word;
    std::vector<std::uint64_t> mask;
  };
  std::vector<Kernel> kernels;
  std::vector<std::uint64_t> parent_words;  // a' per kernel, k words each, in schedule order
  double mean_words = 0;                    // mean list length over the kernels
};

Schedule make_schedule(const BinaryMatrix& w) {
  const KernelSimilarity sim = kernel_similarity(w);
  const int k = w.words_per_row();
  const std::uint64_t tail =
      w.cols() % 64 == 0 ? ~std::uint64_t{0} : (std::uint64_t{1} << (w.cols() % 64)) - 1;
  Schedule s;
  std::size_t words = 0;
  for (int b : sim.order) {
    Schedule::Kernel kb;
    kb.row = b;
    const KernelPartner& p = sim.parent[static_cast<std::size_t>(b)];
    kb.parent = p.kernel;
    kb.negated = p.negated;
    for (int j = 0; j < k; ++j) {
      std::uint64_t a = kb.parent < 0 ? 0 : w.row_words(kb.parent)[j];
      if (kb.negated) a = ~a & (j == k - 1 ? tail : ~std::uint64_t{0});
      s.parent_words.push_back(a);
      const std::uint64_t diff = kb.parent < 0 ? 0 : a ^ w.row_words(b)[j];
      if (diff != 0) {
        kb.word.push_back(static_cast<std::uint32_t>(j));
        kb.mask.push_back(diff);
        kb.differing += std::popcount(diff);
      }
    }
    words += kb.parent < 0 ? static_cast<std::size_t>(k) : kb.word.size();
    s.kernels.push_back(std::move(kb));
  }
  s.mean_words = static_cast<double>(words) / static_cast<double>(s.kernels.size());
  return s;
}

__attribute__((target("popcnt"))) void reuse_mismatches(const BinaryMatrix& w, const Schedule& s,
                                                        const std::uint64_t* x, int m,
                                                        std::int32_t* d) {
  const int k = w.words_per_row();
  const int n = w.cols();
  for (int i = 0; i < m; ++i) {
    const std::uint64_t* xi = x + static_cast<std::size_t>(i) * k;
    std::int32_t* di = d + static_cast<std::size_t>(i) * w.rows();
    for (std::size_t q = 0; q < s.kernels.size(); ++q) {
      const Schedule::Kernel& kb = s.kernels[q];
      if (kb.parent < 0) {
        const std::uint64_t* wr = w.row_words(kb.row);
        int t = 0;
        for (int j = 0; j < k; ++j) t += std::popcount(xi[j] ^ wr[j]);
        di[kb.row] = t;
        continue;
      }
      const std::uint64_t* a = s.parent_words.data() + q * static_cast<std::size_t>(k);
      int hits = 0;
      for (std::size_t e = 0; e < kb.word.size(); ++e) {
        const std::uint32_t j = kb.word[e];
        hits += std::popcount((xi[j] ^ a[j]) & kb.mask[e]);
      }
      const std::int32_t da = kb.negated ? n - di[kb.parent] : di[kb.parent];
      di[kb.row] = da + kb.differing - 2 * hits;
    }
  }
}

void set_counters(benchmark::State& state, const Layer& l, double words) {
  state.counters["gmacs"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * l.m * l.weights.rows() * l.weights.cols() / 1e9,
      benchmark::Counter::kIsRate);
  state.counters["words"] = words;
}

void plain(benchmark::State& state, const Layer* l) {
  const int k = l->weights.words_per_row();
  std::vector<std::uint64_t> x = random_rows(l->m, k);
  mask_tail(x, k, l->weights.cols());
  std::vector<std::int32_t> d(static_cast<std::size_t>(l->m) * l->weights.rows());
  for (auto _ : state) {
    plain_mismatches(l->weights, x.data(), l->m, d.data());
    benchmark::DoNotOptimize(d.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, *l, k);
}

void reuse(benchmark::State& state, const Layer* l) {
  const int k = l->weights.words_per_row();
  std::vector<std::uint64_t> x = random_rows(l->m, k);
  mask_tail(x, k, l->weights.cols());
  const Schedule s = make_schedule(l->weights);
  std::vector<std::int32_t> d(static_cast<std::size_t>(l->m) * l->weights.rows());
  std::vector<std::int32_t> want(d.size());
  plain_mismatches(l->weights, x.data(), l->m, want.data());
  reuse_mismatches(l->weights, s, x.data(), l->m, d.data());
  if (d != want) {
    state.SkipWithError("reuse differs from the plain mismatches");
    return;
  }
  for (auto _ : state) {
    reuse_mismatches(l->weights, s, x.data(), l->m, d.data());
    benchmark::DoNotOptimize(d.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, *l, s.mean_words);
}

// The engine's plain kernel on the same shape (kernel_benchmark.cpp's `binary`: random weights in
// its panels, thresholds at N/2; its time does not depend on the bits).
void engine(benchmark::State& state, const Layer* l) {
  const int k = l->weights.words_per_row();
  const int rows = l->weights.rows();
  const int panels = (rows + 7) / 8;
  std::vector<std::uint64_t, runtime::CacheLineAllocator<std::uint64_t>> a(
      static_cast<std::size_t>(l->m) * k);
  std::vector<std::uint64_t, runtime::CacheLineAllocator<std::uint64_t>> w(
      static_cast<std::size_t>(panels) * k * 8);
  std::mt19937_64 rng(20261205);
  for (auto& v : a) v = rng();
  for (auto& v : w) v = rng();
  std::vector<std::int64_t, runtime::CacheLineAllocator<std::int64_t>> dmax(
      static_cast<std::size_t>(panels) * 8, l->weights.cols() / 2);
  std::vector<std::uint8_t> neg(static_cast<std::size_t>(panels), 0);
  std::vector<std::uint8_t> out(static_cast<std::size_t>(l->m) * panels);
  runtime::BinaryGemmArgs g;
  g.a = a.data();
  g.lda = static_cast<std::size_t>(k);
  g.m = l->m;
  g.k = k;
  g.panels = w.data();
  g.panel_end = panels;
  g.rows = rows;
  g.cols = l->weights.cols();
  g.dmax = dmax.data();
  g.neg = neg.data();
  g.out_bits = out.data();
  g.ldo = static_cast<std::size_t>(panels);
  const auto& kernels = runtime::kernels_for(runtime::select_isa());
  runtime::PreparedWeights prepared;
  if (kernels.prepare_binary != nullptr) {
    kernels.prepare_binary(w.data(), panels, k, prepared);
    g.prepared = &prepared;
  }
  for (auto _ : state) {
    kernels.binary_gemm(g);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, *l, k);
}

int register_all() {
  for (const Layer& l : layers()) {
    benchmark::RegisterBenchmark(("plain/" + l.name).c_str(), plain, &l)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("reuse/" + l.name).c_str(), reuse, &l)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(
        ("engine_" + std::string(runtime::isa_name(runtime::select_isa())) + "/" + l.name).c_str(),
        engine, &l)
        ->Unit(benchmark::kMicrosecond);
  }
  return 0;
}

const int registered = register_all();

}  // namespace
}  // namespace bnnc::bench

BENCHMARK_MAIN();
