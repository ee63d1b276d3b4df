// bnnc's CPU engine against the same network in float with libtorch, one after the other in one
// process (DESIGN.md §7): weights as ±1 floats, activations as ±1 floats, thresholds as float
// compares, max-pool as float max. The float network is checked to give the same classes as the
// engine before anything is timed.
//   bnnc_vs_libtorch [lfc|cnv] [batch] [threads] [seconds]
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "bench_networks.h"
#include "runtime/cpu_engine.h"

namespace bnnc::bench {
namespace {

using Clock = std::chrono::steady_clock;

torch::Tensor weights_pm1(const BinaryMatrix& m) {
  std::vector<float> values(static_cast<std::size_t>(m.rows()) * m.cols());
  for (int r = 0; r < m.rows(); ++r) {
    for (int c = 0; c < m.cols(); ++c)
      values[static_cast<std::size_t>(r) * m.cols() + c] = m.get(r, c) ? 1.F : -1.F;
  }
  return torch::from_blob(values.data(), {m.rows(), m.cols()}).clone();
}

// One layer of the float network. Bit tensors are ±1; integer tensors hold the golden model's
// values (popcounts P for a binary layer, so that thresholds keep their meaning).
struct TorchLayer {
  Op op;
  torch::Tensor weights, thresholds, flip, table, bias, min_channels;
  int kernel = 1, stride = 1, pad = 0, cols = 0;
  float pad_value = 0;
  bool bit_input = false;
};

std::vector<TorchLayer> build(const Graph& graph) {
  std::vector<TorchLayer> layers;
  for (std::size_t i = 1; i < graph.nodes.size(); ++i) {
    const Node& node = graph.nodes[i];
    TorchLayer layer{node.op()};
    const bool bit_input = graph.nodes[node.inputs[0]].type.dtype.is_bit();
    layer.bit_input = bit_input;
    switch (node.op()) {
      case Op::Quantize: {
        const auto& table = node.as<QuantizeAttrs>().table;
        std::vector<float> values(table.begin(), table.end());
        layer.table = torch::from_blob(values.data(), {256}).clone();
        break;
      }
      case Op::Threshold: {
        const auto& a = node.as<ThresholdAttrs>();
        std::vector<float> t(a.thresholds.begin(), a.thresholds.end()), f(t.size(), 1.F);
        for (std::size_t c = 0; c < a.negate.size(); ++c) f[c] = a.negate[c] != 0 ? -1.F : 1.F;
        layer.thresholds = torch::from_blob(t.data(), {static_cast<long>(t.size())}).clone();
        layer.flip = torch::from_blob(f.data(), {static_cast<long>(f.size())}).clone();
        break;
      }
      case Op::Dense:
        layer.weights = weights_pm1(node.as<DenseAttrs>().weights);
        layer.cols = node.as<DenseAttrs>().weights.cols();
        break;
      case Op::Conv2d: {
        const auto& a = node.as<Conv2dAttrs>();
        const int c_in = a.weights.cols() / (a.kernel * a.kernel);
        // (ky, kx, c) columns → [out, c, ky, kx].
        layer.weights = weights_pm1(a.weights)
                            .reshape({a.weights.rows(), a.kernel, a.kernel, c_in})
                            .permute({0, 3, 1, 2})
                            .contiguous();
        layer.kernel = a.kernel;
        layer.stride = a.stride;
        layer.pad = a.pad;
        layer.cols = a.weights.cols();
        layer.pad_value =
            bit_input ? (a.pad_value != 0 ? 1.F : -1.F) : static_cast<float>(a.pad_value);
        break;
      }
      case Op::MaxPool: {
        const auto& a = node.as<MaxPoolAttrs>();
        if (a.pad > 0) throw std::runtime_error("libtorch baseline: padded max-pool " + node.name);
        layer.kernel = a.kernel;
        layer.stride = a.stride;
        if (!a.min_channels.empty()) {
          std::vector<float> m(a.min_channels.begin(), a.min_channels.end());
          layer.min_channels = torch::from_blob(m.data(), {static_cast<long>(m.size())}).clone();
        }
        break;
      }
      case Op::Reshape: break;
      case Op::LabelSelect: {
        const auto& bias = node.as<LabelSelectAttrs>().bias;
        std::vector<float> b(bias.begin(), bias.end());
        if (!b.empty())
          layer.bias = torch::from_blob(b.data(), {static_cast<long>(b.size())}).clone();
        break;
      }
      default: throw std::runtime_error("libtorch baseline: unsupported layer " + node.name);
    }
    layers.push_back(layer);
  }
  return layers;
}

// Per channel: channels are dim 1 (NCHW or [B, C]).
torch::Tensor per_channel(const torch::Tensor& v, const torch::Tensor& x) {
  return x.dim() == 4 ? v.view({1, -1, 1, 1}) : v.view({1, -1});
}

torch::Tensor forward(const std::vector<TorchLayer>& layers, torch::Tensor x) {
  for (const TorchLayer& layer : layers) {
    switch (layer.op) {
      case Op::Quantize: x = layer.table.index({x.to(torch::kLong)}); break;
      case Op::Threshold:
        x = torch::where(x >= per_channel(layer.thresholds, x), 1.F, -1.F) *
            per_channel(layer.flip, x);
        break;
      case Op::Dense: x = torch::matmul(x, layer.weights.t()); break;
      case Op::Conv2d:
        if (layer.pad > 0) {
          x = torch::constant_pad_nd(x, {layer.pad, layer.pad, layer.pad, layer.pad},
                                     layer.pad_value);
        }
        x = torch::conv2d(x, layer.weights, {}, layer.stride);
        break;
      case Op::MaxPool: {
        const torch::Tensor high = torch::max_pool2d(x, layer.kernel, layer.stride);
        if (layer.min_channels.defined()) {
          const torch::Tensor low = -torch::max_pool2d(-x, layer.kernel, layer.stride);
          x = torch::where(per_channel(layer.min_channels, high) > 0, low, high);
        } else {
          x = high;
        }
        break;
      }
      case Op::Reshape:
        if (x.dim() == 4) x = x.permute({0, 2, 3, 1});
        x = x.reshape({x.size(0), -1});
        break;
      case Op::LabelSelect:
        if (layer.bias.defined()) x = x + layer.bias.view({1, -1});
        return x.argmax(1);
      default: break;
    }
    // A binary layer's ±1 sum y = 2P − N back to the popcount P the thresholds are written for.
    if ((layer.op == Op::Dense || layer.op == Op::Conv2d) && layer.bit_input) {
      x = (x + static_cast<float>(layer.cols)) * 0.5F;
    }
  }
  return x;
}

torch::Tensor to_input(const Graph& graph, const std::vector<std::uint8_t>& images, int batch) {
  const Shape& shape = graph.nodes[0].type.shape;
  torch::Tensor x =
      torch::from_blob(const_cast<std::uint8_t*>(images.data()),
                       {batch, static_cast<long>(images.size() / batch)}, torch::kUInt8)
          .to(torch::kFloat);
  if (shape.size() == 3 && graph.nodes[1].op() != Op::Reshape) {
    x = x.reshape({batch, shape[0], shape[1], shape[2]}).permute({0, 3, 1, 2}).contiguous();
  }
  return x;
}

template <typename Fn>
double median_rate(Fn&& fn, int frames, double seconds) {
  std::vector<double> rates;
  for (int r = 0; r < 5; ++r) {
    const auto start = Clock::now();
    std::int64_t done = 0;
    double elapsed = 0;
    do {
      fn();
      done += frames;
      elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    } while (elapsed < seconds);
    rates.push_back(static_cast<double>(done) / elapsed);
  }
  std::sort(rates.begin(), rates.end());
  return rates[2];
}

int run(int argc, char** argv) {
  const std::string name = argc > 1 ? argv[1] : "lfc";
  const int batch = argc > 2 ? std::atoi(argv[2]) : (name == "lfc" ? 1024 : 128);
  const int threads = argc > 3 ? std::atoi(argv[3]) : 2;
  const double seconds = argc > 4 ? std::atof(argv[4]) : 1.0;
  torch::set_num_threads(threads);
  torch::NoGradGuard no_grad;

  const Graph graph = load_bench_network(name);
  const runtime::CpuEngine engine(graph);
  const std::vector<TorchLayer> layers = build(graph);
  const auto images = random_images(engine.input_size(), batch);
  const torch::Tensor input = to_input(graph, images, batch);

  std::vector<Classification> results(static_cast<std::size_t>(batch));
  engine.classify(images.data(), batch, results.data(), threads);
  const torch::Tensor classes = forward(layers, input);
  int same = 0;
  for (int i = 0; i < batch; ++i) same += classes[i].item<long>() == results[i].label;
  if (same != batch) {
    std::fprintf(stderr, "libtorch baseline disagrees with the engine on %d of %d images\n",
                 batch - same, batch);
    return 1;
  }
  double bnnc_fps = 0;
  {
    // One team for all runs; its helpers sleep before libtorch's turn.
    runtime::Team team(threads);
    std::vector<runtime::Workspace> workspaces;
    bnnc_fps = median_rate(
        [&] { engine.classify(images.data(), batch, results.data(), team, workspaces); }, batch,
        seconds);
  }
  const double torch_fps = median_rate([&] { (void)forward(layers, input); }, batch, seconds);
  std::printf(
      "{\"network\": \"%s\", \"batch\": %d, \"threads\": %d, \"bnnc_fps\": %.0f, "
      "\"libtorch_fps\": %.0f, \"speedup\": %.1f, \"same_classes\": %d}\n",
      name.c_str(), batch, threads, bnnc_fps, torch_fps, bnnc_fps / torch_fps, same);
  return 0;
}

}  // namespace
}  // namespace bnnc::bench

int main(int argc, char** argv) {
  try {
    return bnnc::bench::run(argc, argv);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "bnnc_vs_libtorch: %s\n", error.what());
    return 2;
  }
}
