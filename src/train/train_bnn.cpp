#include "train/train_bnn.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <numbers>
#include <numeric>
#include <optional>

#include "core/atomic_file.h"
#include "core/ceil_div.h"
#include "core/error.h"
#include "io/load_mnist_split.h"
#include "passes/streamline.h"
#include "runtime/cpu_engine.h"
#include "train/bnn_network.h"
#include "train/export_float_graph.h"

namespace bnnc {

namespace {

using Clock = std::chrono::steady_clock;

// SplitMix64 (Steele et al.): a tiny generator whose output is fixed by its seed on every
// platform, unlike std::shuffle's use of the distribution.
struct SplitMix64 {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
};

// Epoch e's order of the training images: a Fisher–Yates shuffle seeded by (seed, e).
std::vector<int> epoch_order(int count, std::uint64_t seed, int epoch) {
  std::vector<int> order(static_cast<std::size_t>(count));
  std::iota(order.begin(), order.end(), 0);
  SplitMix64 rng{seed * 0x100000001b3ULL + static_cast<std::uint64_t>(epoch) + 1};
  for (int i = count - 1; i > 0; --i) {
    const auto j = static_cast<int>(rng.next() % static_cast<std::uint64_t>(i + 1));
    std::swap(order[static_cast<std::size_t>(i)], order[static_cast<std::size_t>(j)]);
  }
  return order;
}

// The augmentation drawn for the image at `position` of epoch e's order: dx, dy ∈ [−2, 2] and a
// mirror, from one SplitMix64 draw seeded by (seed, epoch, position) — the same on resume.
struct Augmentation {
  int dx = 0, dy = 0;
  bool flip = false;
};
Augmentation draw_augmentation(std::uint64_t seed, int epoch, int position) {
  SplitMix64 rng{seed * 0x100000001b3ULL + (static_cast<std::uint64_t>(epoch) << 32) +
                 static_cast<std::uint64_t>(position) + 0x5bd1e995ULL};
  const std::uint64_t r = rng.next();
  return {static_cast<int>(r % 5) - 2, static_cast<int>((r / 5) % 5) - 2, ((r / 25) & 1) != 0};
}

Dataset load_split(const std::string& folder, const std::string& split, int limit) {
  std::error_code error;
  if (!std::filesystem::exists(folder, error)) {
    fail("{}: not found; install the Debian package dataset-fashion-mnist", folder);
  }
  Dataset data = load_mnist_split(folder, split);
  if (data.height != 28 || data.width != 28 || data.channels != 1) {
    fail("{}: images are {}×{}×{}, not Fashion-MNIST's 28×28×1", data.source, data.height,
         data.width, data.channels);
  }
  if (limit > 0 && limit < data.count) {
    data.count = limit;
    data.pixels.resize(static_cast<std::size_t>(limit) * data.image_size());
    data.labels.resize(static_cast<std::size_t>(limit));
  }
  return data;
}

void check_options(const TrainOptions& o) {
  if (o.epochs < 1) fail("--epochs {}: must be at least 1", o.epochs);
  if (o.batch < 1) fail("--batch {}: must be at least 1", o.batch);
  if (!(o.lr > 0.0) || !std::isfinite(o.lr)) fail("--lr {}: must be a positive number", o.lr);
  if (o.threads < 1) fail("--threads {}: must be at least 1", o.threads);
  if (o.train_limit < 0) fail("--limit {}: must be at least 1 (or 0 for all)", o.train_limit);
  if (!o.augment.empty() && o.augment != "none" && o.augment != "shift-flip") {
    fail("--augment {}: unknown (none or shift-flip)", o.augment);
  }
}

bool augments(const TrainOptions& o) { return o.augment == "shift-flip"; }

// Cosine decay from lr at epoch 0 towards 0 at the last epoch's end.
double epoch_lr(double lr, int epoch, int epochs) {
  return lr * 0.5 * (1.0 + std::cos(std::numbers::pi * epoch / epochs));
}

void set_lr(torch::optim::Adam& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) {
    static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
  }
}

// The topology as a checkpoint names it: resnet with zero padding is "resnet/zero" (the weights
// would load into either padding, so the name keeps them apart).
std::string checkpoint_topology(const TrainOptions& options) {
  return options.padding == "zero" ? options.topology + "/zero" : options.topology;
}

// A checkpoint holds the model, the optimizer, the epochs done (and the batches done in the
// next one, when training was interrupted inside it) and what must match on resume.
void save_checkpoint(const std::string& path, BnnNetwork& network, torch::optim::Adam& optimizer,
                     int epochs_done, int batches_done, const TrainOptions& options) {
  torch::serialize::OutputArchive archive;
  network->save(archive);
  torch::serialize::OutputArchive optimizer_archive;
  optimizer.save(optimizer_archive);
  archive.write("optimizer", optimizer_archive);
  archive.write("epochs_done", torch::tensor(static_cast<std::int64_t>(epochs_done)));
  archive.write("batches_done", torch::tensor(static_cast<std::int64_t>(batches_done)));
  archive.write("seed", torch::tensor(static_cast<std::int64_t>(options.seed)));
  archive.write("topology", c10::IValue(checkpoint_topology(options)));
  archive.write("width_divisor", torch::tensor(static_cast<std::int64_t>(options.width_divisor)));
  archive.write("augment", c10::IValue(augment_name(options)));
  // libtorch writes by name: to a temporary beside the checkpoint, renamed over it once whole, so
  // that a kill or a full disk leaves the previous checkpoint (AtomicFile).
  AtomicFile file(path);
  archive.save_to(file.temporary_path());
  file.commit();
  // Earlier versions wrote PATH.partial and left it behind when killed.
  std::error_code ignored;
  std::filesystem::remove(path + ".partial", ignored);
}

struct Resume {
  int epochs_done = 0;
  int batches_done = 0;  // in epoch epochs_done
};

Resume load_checkpoint(const std::string& path, BnnNetwork& network, torch::optim::Adam& optimizer,
                       const TrainOptions& options) {
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path);
    c10::IValue topology;
    archive.read("topology", topology);
    torch::Tensor seed, width_divisor, epochs_done;
    archive.read("seed", seed);
    archive.read("width_divisor", width_divisor);
    if (topology.toStringRef() != checkpoint_topology(options) ||
        width_divisor.item<std::int64_t>() != options.width_divisor) {
      fail("{}: a checkpoint of topology {} (width divisor {}), not {} (width divisor {})", path,
           topology.toStringRef(), width_divisor.item<std::int64_t>(), checkpoint_topology(options),
           options.width_divisor);
    }
    if (seed.item<std::int64_t>() != static_cast<std::int64_t>(options.seed)) {
      fail("{}: a checkpoint of --seed {}, not {}", path, seed.item<std::int64_t>(), options.seed);
    }
    // Checkpoints written before --augment existed trained without it.
    c10::IValue augment("none");
    archive.try_read("augment", augment);
    const std::string wanted = augment_name(options);
    if (augment.toStringRef() != wanted) {
      fail("{}: a checkpoint of --augment {}, not {}", path, augment.toStringRef(), wanted);
    }
    network->load(archive);
    torch::serialize::InputArchive optimizer_archive;
    archive.read("optimizer", optimizer_archive);
    optimizer.load(optimizer_archive);
    archive.read("epochs_done", epochs_done);
    Resume resume;
    resume.epochs_done = static_cast<int>(epochs_done.item<std::int64_t>());
    // Checkpoints written before interruptions were kept have no batches_done: 0.
    torch::Tensor batches_done;
    if (archive.try_read("batches_done", batches_done)) {
      resume.batches_done = static_cast<int>(batches_done.item<std::int64_t>());
    }
    return resume;
  } catch (const c10::Error& error) {
    fail("{}: not a bnnc training checkpoint ({})", path,
         std::string(error.what_without_backtrace()).substr(0, 200));
  }
}

std::vector<int> classify_all(BnnNetwork& network, const Dataset& data) {
  network->eval();
  std::vector<int> predictions;
  predictions.reserve(static_cast<std::size_t>(data.count));
  constexpr int kChunk = 500;
  for (int begin = 0; begin < data.count; begin += kChunk) {
    const int count = std::min(kChunk, data.count - begin);
    const torch::Tensor x = prepare_input(network->spec(), data.image(begin).data(), count);
    const std::vector<int> labels = network->classify_exact(x);
    predictions.insert(predictions.end(), labels.begin(), labels.end());
  }
  network->train();
  return predictions;
}

// The test set's classes by the network as exported (streamlined) on bnnc's CPU engine: the
// classes of the trainer's own evaluation (classify_all), which the run's end checks image by image
// against the golden model, in seconds where classify_all's float products take minutes
// (resnet-wide: about 3 min a pass on 2 threads). For the epochs before the last.
std::vector<int> classify_exported(const BnnNetwork& network, const Dataset& data, int threads) {
  const runtime::CpuEngine engine(streamline(export_float_graph(*network)));
  if (engine.input_size() != data.image_size()) {
    fail("the exported network reads {} bytes an image, the test images have {}",
         engine.input_size(), data.image_size());
  }
  std::vector<Classification> results(static_cast<std::size_t>(data.count));
  engine.classify(data.pixels.data(), data.count, results.data(), threads);
  std::vector<int> labels(results.size());
  for (std::size_t i = 0; i < results.size(); ++i) labels[i] = results[i].label;
  return labels;
}

// When options.stop asks for it (a signal), writes the checkpoint of `batch` batches of `epoch`
// done and throws TrainingInterrupted.
void stop_if_asked(BnnNetwork& network, torch::optim::Adam& optimizer, const TrainOptions& options,
                   int epoch, int batch, int batches) {
  if (options.stop == nullptr || options.stop->load() == 0) return;
  if (!options.checkpoint.empty()) {
    save_checkpoint(options.checkpoint, network, optimizer, epoch, batch, options);
  }
  TrainingInterrupted stop;
  stop.signal = options.stop->load();
  stop.epoch = epoch;
  stop.batch = batch;
  stop.batches = batches;
  stop.checkpoint = options.checkpoint;
  throw stop;
}

// Every batch-norm's statistics measured over the whole training set, in its order, in batches of
// the training's size (BnnNetworkImpl::recalibrate_batchnorm), after `epochs_done` epochs; with
// progress, and a stop between two batches (TrainingInterrupted; the checkpoint then holds the
// epoch's batches all done, so that a resumed run measures the statistics and goes on).
void recalibrate_batchnorm(BnnNetwork& network, torch::optim::Adam& optimizer, const Dataset& train,
                           const TrainOptions& options, int epochs_done,
                           const std::function<void(const TrainProgress&)>& progress) {
  const int batch = options.batch;
  const int batches = ceil_div(train.count, batch);
  network->recalibrate_batchnorm(batches, [&](int b) {
    stop_if_asked(network, optimizer, options, std::max(epochs_done - 1, 0), batches, batches);
    if (progress) {
      progress({.epoch = std::max(epochs_done - 1, 0),
                .epochs = options.epochs,
                .batch = batches,
                .batches = batches,
                .statistics_batch = b + 1});
    }
    const int begin = b * batch;
    return prepare_input(network->spec(), train.image(begin).data(),
                         std::min(batch, train.count - begin));
  });
}

int count_correct(const std::vector<int>& predictions, const std::vector<int>& labels) {
  int correct = 0;
  for (std::size_t i = 0; i < predictions.size(); ++i) correct += predictions[i] == labels[i];
  return correct;
}

// oneDNN's avx512_core: AVX-512 F, BW, VL and DQ.
bool onednn_has_avx512() {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
}

}  // namespace

std::string augment_name(const TrainOptions& options) {
  return augments(options) ? "shift-flip" : "none";
}

void shift_flip_image(const std::uint8_t* src, std::uint8_t* dst, int height, int width, int dx,
                      int dy, bool flip) {
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const int sy = y - dy, sx = (flip ? width - 1 - x : x) - dx;
      const bool inside = sy >= 0 && sy < height && sx >= 0 && sx < width;
      dst[static_cast<std::size_t>(y) * width + x] =
          inside ? src[static_cast<std::size_t>(sy) * width + sx] : std::uint8_t{0};
    }
  }
}

TrainResult train_bnn(const TrainOptions& options,
                      const std::function<void(const TrainProgress&)>& progress) {
  check_options(options);
  const TopologySpec spec = topology_spec(options.topology, options.width_divisor, options.padding);
  const Dataset train = load_split(options.data, "train", options.train_limit);
  const Dataset test = load_split(options.data, "t10k", options.test_limit);

  at::set_num_threads(options.threads);
  // Where oneDNN would run its AVX2 kernels, libtorch's native convolutions instead: Debian's
  // oneDNN 2.6.3 corrupts the heap in its AVX2 convolution backward on the resnet topology's
  // convs (a double free on an AMD Zen 3, reproducible; its AVX and AVX-512 kernels are fine).
  // docs/training.md, "oneDNN on machines without AVX-512".
  if (!onednn_has_avx512()) at::globalContext().setUserEnabledMkldnn(false);
  torch::manual_seed(options.seed);
  BnnNetwork network(spec);
  torch::optim::Adam optimizer(network->parameters(), torch::optim::AdamOptions(options.lr));
  Resume resume;
  if (!options.resume.empty())
    resume = load_checkpoint(options.resume, network, optimizer, options);

  const torch::Tensor labels_all =
      torch::tensor(std::vector<std::int64_t>(train.labels.begin(), train.labels.end()));
  const int batches = ceil_div(train.count, options.batch);
  const auto start = Clock::now();
  TrainResult result;
  network->train();
  // The test set's classes after the last epoch, when the progress line computed them: the
  // result reuses them rather than classifying the test set again (resnet-wide: 70 s).
  std::optional<std::vector<int>> last_predictions;
  for (int epoch = resume.epochs_done; epoch < options.epochs; ++epoch) {
    set_lr(optimizer, epoch_lr(options.lr, epoch, options.epochs));
    const std::vector<int> order = epoch_order(train.count, options.seed, epoch);
    const auto epoch_start = Clock::now();
    double loss_sum = 0.0;
    std::int64_t correct = 0;
    std::int64_t seen = 0;
    std::vector<std::uint8_t> pixels;
    std::vector<std::int64_t> batch_labels;
    const int first_batch = epoch == resume.epochs_done ? resume.batches_done : 0;
    for (int b = first_batch; b < batches; ++b) {
      const int begin = b * options.batch;
      const int count = std::min(options.batch, train.count - begin);
      pixels.resize(static_cast<std::size_t>(count) * train.image_size());
      batch_labels.resize(static_cast<std::size_t>(count));
      for (int k = 0; k < count; ++k) {
        const int index = order[static_cast<std::size_t>(begin + k)];
        const auto image = train.image(index);
        std::uint8_t* to = pixels.data() + static_cast<std::ptrdiff_t>(k * train.image_size());
        if (augments(options)) {
          const Augmentation a = draw_augmentation(options.seed, epoch, begin + k);
          shift_flip_image(image.data(), to, train.height, train.width, a.dx, a.dy, a.flip);
        } else {
          std::copy(image.begin(), image.end(), to);
        }
        batch_labels[static_cast<std::size_t>(k)] = train.labels[static_cast<std::size_t>(index)];
      }
      const torch::Tensor x = prepare_input(spec, pixels.data(), count);
      const torch::Tensor y = torch::tensor(batch_labels);
      const torch::Tensor logits = network->forward(x);
      const torch::Tensor loss = torch::nn::functional::cross_entropy(logits, y);
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      network->clip_weights();
      stop_if_asked(network, optimizer, options, epoch, b + 1, batches);

      loss_sum += loss.item<double>() * count;
      correct += logits.argmax(1).eq(y).sum().item<std::int64_t>();
      seen += count;
      if (progress) {
        const double elapsed = std::chrono::duration<double>(Clock::now() - epoch_start).count();
        const double per_batch = elapsed / (b + 1 - first_batch);
        progress({.epoch = epoch,
                  .epochs = options.epochs,
                  .batch = b + 1,
                  .batches = batches,
                  .loss = loss_sum / static_cast<double>(seen),
                  .accuracy = static_cast<double>(correct) / static_cast<double>(seen),
                  .seconds_left =
                      per_batch * ((batches - b - 1) + batches * (options.epochs - epoch - 1))});
      }
    }
    ++result.epochs_run;
    // Before the checkpoint, so that a resumed run has the same statistics as one that was not
    // interrupted; and before the test set's classes, which are the exported model's.
    recalibrate_batchnorm(network, optimizer, train, options, epoch + 1, progress);
    if (!options.checkpoint.empty()) {
      save_checkpoint(options.checkpoint, network, optimizer, epoch + 1, 0, options);
    }
    if (progress) {
      // The last epoch's classes are the trainer's own (the result's, checked against the
      // golden model); the epochs before it show the exported network's, the same classes.
      std::vector<int> predictions;
      if (epoch + 1 == options.epochs) {
        last_predictions = classify_all(network, test);
        predictions = *last_predictions;
      } else {
        predictions = classify_exported(network, test, options.threads);
      }
      progress({.epoch = epoch,
                .epochs = options.epochs,
                .batch = batches,
                .batches = batches,
                .loss = loss_sum / static_cast<double>(std::max<std::int64_t>(seen, 1)),
                .accuracy = static_cast<double>(correct) /
                            static_cast<double>(std::max<std::int64_t>(seen, 1)),
                .seconds_left = 0.0,
                .epoch_done = true,
                .test_accuracy =
                    static_cast<double>(count_correct(predictions, test.labels)) / test.count});
    }
  }
  // A resumed run with no epoch left (its checkpoint perhaps from before the statistics were
  // measured this way) measures them once before the export.
  if (result.epochs_run == 0) {
    recalibrate_batchnorm(network, optimizer, train, options, resume.epochs_done, progress);
  }
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();

  result.predictions =
      last_predictions ? std::move(*last_predictions) : classify_all(network, test);
  result.labels = test.labels;
  result.correct = count_correct(result.predictions, result.labels);
  result.graph = streamline(export_float_graph(*network));
  return result;
}

}  // namespace bnnc
