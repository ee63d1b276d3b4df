// bnnc train --topology T --dataset fashion-mnist --epochs E --out MODEL [--data FOLDER]
//            [--batch B] [--lr LR] [--seed S] [--threads T] [--resume CKPT] [--limit N]
//            [--padding minus1|zero (resnet)] [--augment none|shift-flip]
//            [--no-verify] [--json]: train a BNN, streamline it, save it, and check that the
//            golden model classifies every test image as the trainer's own binarized
//            evaluation does (exit 1 if not).
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cli/cli_output.h"
#include "cli/commands.h"
#include "cli/flag_checks.h"
#include "cli/progress_line.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/start_thread.h"
#include "io/load_mnist_split.h"
#include "io/model_file.h"
#include "sim/golden_model.h"
#include "train/topology_spec.h"
#include "train/train_bnn.h"

namespace bnnc::cli {

namespace {

struct TrainCommandOptions {
  TrainOptions train;
  std::string dataset = "fashion-mnist";
  std::string out;
  bool verify = true;
  bool json = false;
};

// SIGINT/SIGTERM during training: the handler only records the signal; train_bnn stops after
// the batch in progress and writes a resumable checkpoint (train_bnn.h). The handler then gives
// the signal its default action back, so that a second Ctrl-C stops at once.
std::atomic<int> g_stop_signal{0};

extern "C" void record_stop_signal(int signal) {
  g_stop_signal.store(signal);
  std::signal(signal, SIG_DFL);
}

// Installs the handler for the lifetime of one training run.
class StopOnSignal {
 public:
  StopOnSignal() {
    previous_int_ = std::signal(SIGINT, record_stop_signal);
    previous_term_ = std::signal(SIGTERM, record_stop_signal);
  }
  ~StopOnSignal() {
    std::signal(SIGINT, previous_int_);
    std::signal(SIGTERM, previous_term_);
  }
  StopOnSignal(const StopOnSignal&) = delete;
  StopOnSignal& operator=(const StopOnSignal&) = delete;

 private:
  void (*previous_int_)(int) = SIG_DFL;
  void (*previous_term_)(int) = SIG_DFL;
};

// The exit code of a run stopped by a signal, as shells report one: 128 + its number.
int interrupted(const TrainingInterrupted& stop, const TrainCommandOptions& options) {
  const char* name = stop.signal == SIGTERM ? "SIGTERM" : "SIGINT";
  const std::string where = fmt::format("epoch {}/{}, batch {}/{}", stop.epoch + 1,
                                        options.train.epochs, stop.batch, stop.batches);
  const std::string message =
      stop.checkpoint.empty()
          ? fmt::format("interrupted by {} in {}", name, where)
          : fmt::format(
                "interrupted by {} in {}: the checkpoint {} continues there with the same "
                "flags and --resume {}",
                name, where, stop.checkpoint, stop.checkpoint);
  std::fprintf(stderr, "bnnc: %s\n", message.c_str());
  const int code = 128 + stop.signal;
  if (options.json) {
    nlohmann::ordered_json object = {{"error", message},    {"exit_code", code},
                                     {"interrupted", name}, {"epoch", stop.epoch + 1},
                                     {"batch", stop.batch}, {"batches", stop.batches}};
    object["checkpoint"] = stop.checkpoint.empty() ? nlohmann::ordered_json(nullptr)
                                                   : nlohmann::ordered_json(stop.checkpoint);
    print_json(object);
  }
  return code;
}

std::string format_duration(double seconds) {
  const auto s = static_cast<long>(std::max(0.0, seconds));
  return s >= 3600 ? fmt::format("{}h{:02}m", s / 3600, s % 3600 / 60)
                   : fmt::format("{}m{:02}s", s / 60, s % 60);
}

// Labels of the golden model on the test images, in order, on `threads` threads.
std::vector<int> golden_labels(const Graph& graph, const Dataset& test, int threads) {
  std::vector<int> labels(static_cast<std::size_t>(test.count));
  {
    std::vector<std::jthread> pool;  // joined when it goes out of scope, also on a throw
    for (int t = 0; t < threads; ++t) {
      pool.push_back(start_thread(
          [&, t] {
            for (int i = t; i < test.count; i += threads) {
              labels[static_cast<std::size_t>(i)] = run_golden(graph, test.image(i)).label;
            }
          },
          t, threads));
    }
  }
  return labels;
}

int run_train(TrainCommandOptions& options) {
  if (options.dataset != "fashion-mnist") {
    fail("--dataset {}: unknown (data sets: fashion-mnist)", options.dataset);
  }
  // an unknown topology or padding fails before any data is read
  topology_spec(options.train.topology, 1, options.train.padding);
  if (options.train.test_limit < 0) {
    fail("--test-limit {}: must be at least 1 (or 0 for all)", options.train.test_limit);
  }
  if (options.train.checkpoint.empty()) options.train.checkpoint = options.out + ".ckpt";
  // Before the first epoch, not after it: a missing or unwritable folder is the user's to fix.
  check_writable(options.out);
  check_writable(options.train.checkpoint);

  ProgressLine line;
  const auto progress = [&](const TrainProgress& p) {
    if (p.epoch_done) {
      line.finish();
      line = ProgressLine();
      std::fprintf(stderr,
                   "epoch %d/%d: loss %.4f, train accuracy %.2f %%, test accuracy %.2f %%\n",
                   p.epoch + 1, p.epochs, p.loss, 100.0 * p.accuracy, 100.0 * p.test_accuracy);
      return;
    }
    if (!line.due()) return;
    const int bar_width = 20;
    if (p.statistics_batch > 0) {
      const int filled = bar_width * p.statistics_batch / std::max(p.batches, 1);
      line.show(fmt::format("epoch {}/{} batch-norm statistics [{}{}] batch {}/{}", p.epoch + 1,
                            p.epochs, std::string(static_cast<std::size_t>(filled), '#'),
                            std::string(static_cast<std::size_t>(bar_width - filled), '.'),
                            p.statistics_batch, p.batches));
      return;
    }
    const int filled = bar_width * p.batch / std::max(p.batches, 1);
    line.show(fmt::format("epoch {}/{} [{}{}] batch {}/{} loss {:.4f} acc {:.2f}% left {}",
                          p.epoch + 1, p.epochs, std::string(static_cast<std::size_t>(filled), '#'),
                          std::string(static_cast<std::size_t>(bar_width - filled), '.'), p.batch,
                          p.batches, p.loss, 100.0 * p.accuracy, format_duration(p.seconds_left)));
  };
  // A test seam: BNNC_TRAIN_TEST_SIGNAL_AT=N raises SIGINT once N batches of this run are done,
  // as a user's Ctrl-C would, and BNNC_TRAIN_TEST_SIGNAL_AT_STATISTICS=N once N batches of its
  // batch-norm statistics are (tests/train/train_test.cpp).
  auto env_count = [](const char* name) {
    const char* value = std::getenv(name);
    return value != nullptr ? std::atoi(value) : 0;
  };
  const int raise_at = env_count("BNNC_TRAIN_TEST_SIGNAL_AT");
  const int raise_at_statistics = env_count("BNNC_TRAIN_TEST_SIGNAL_AT_STATISTICS");
  int batches_seen = 0, statistics_seen = 0;
  const auto progress_or_signal = [&](const TrainProgress& p) {
    const bool training = !p.epoch_done && p.statistics_batch == 0;
    if (training && raise_at > 0 && ++batches_seen == raise_at) std::raise(SIGINT);
    if (p.statistics_batch > 0 && raise_at_statistics > 0 &&
        ++statistics_seen == raise_at_statistics) {
      std::raise(SIGINT);
    }
    progress(p);
  };
  g_stop_signal.store(0);
  options.train.stop = &g_stop_signal;
  TrainResult result;
  try {
    const StopOnSignal stop_on_signal;
    result = train_bnn(options.train, progress_or_signal);
  } catch (const TrainingInterrupted& stop) {
    line.finish();
    return interrupted(stop, options);
  }
  line.finish();
  save_model(result.graph, options.out);

  const int images = static_cast<int>(result.predictions.size());
  int mismatches = -1;
  if (options.verify) {
    Dataset test = load_mnist_split(options.train.data, "t10k");
    test.count = images;
    const std::vector<int> golden = golden_labels(
        result.graph, test, std::max(1, static_cast<int>(std::thread::hardware_concurrency())));
    mismatches = 0;
    for (std::size_t i = 0; i < golden.size(); ++i)
      mismatches += golden[i] != result.predictions[i];
  }

  const double accuracy = 1.0 * result.correct / images;
  if (options.json) {
    nlohmann::ordered_json object;
    object["accuracy"] = accuracy;
    object["out"] = options.out;
    object["topology"] = options.train.topology;
    object["images"] = images;
    object["correct"] = result.correct;
    object["epochs"] = options.train.epochs;
    object["seed"] = options.train.seed;
    object["augment"] = augment_name(options.train);
    object["threads"] = options.train.threads;
    object["seconds"] = result.seconds;
    object["golden_mismatches"] =
        mismatches < 0 ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(mismatches);
    print_json(object);
  } else {
    std::string text = fmt::format("model      {}\n", options.out);
    text += fmt::format("accuracy   {:.2f} % ({}/{} test images, trainer's binarized evaluation)\n",
                        100.0 * accuracy, result.correct, images);
    if (mismatches >= 0) {
      text += fmt::format("golden     {} of {} predictions differ from the trainer's\n", mismatches,
                          images);
    }
    text += fmt::format("time       {:.1f} s for {} epoch{} ({} thread{})\n", result.seconds,
                        result.epochs_run, result.epochs_run == 1 ? "" : "s", options.train.threads,
                        options.train.threads == 1 ? "" : "s");
    std::fputs(text.c_str(), stdout);
  }
  if (mismatches > 0) {
    std::fprintf(stderr, "bnnc: error: the golden model disagrees with the trainer on %d images\n",
                 mismatches);
    return kExitCheckFailed;
  }
  return kExitOk;
}

}  // namespace

Command add_train_command(CLI::App& bnnc) {
  auto options = std::make_shared<TrainCommandOptions>();
  options->train.data = "/usr/share/datasets/fashion-mnist";
  CLI::App* app = bnnc.add_subcommand("train", "Train a BNN on Fashion-MNIST; save a bnnc model");
  app->add_option("--topology", options->train.topology, topology_names())->required();
  app->add_option("--padding", options->train.padding,
                  "resnet: pad convs of ±1 activations by minus1 (default) or zero");
  app->add_option("--dataset", options->dataset, "Data set (fashion-mnist)");
  app->add_option("--data", options->train.data, "Folder of the data set's IDX files")
      ->capture_default_str();
  app->add_option("--epochs", options->train.epochs, "Epochs to train")
      ->required()
      ->check(integer_in(1, 100000));
  app->add_option("--out", options->out, "Model file to write")->required();
  app->add_option("--batch", options->train.batch, "Images per batch")
      ->capture_default_str()
      ->check(integer_in(1, 1 << 20));
  app->add_option("--lr", options->train.lr, "Adam's initial learning rate (cosine schedule)")
      ->capture_default_str()
      ->check(number_in(0, 1000, true));
  app->add_option("--seed", options->train.seed, "Random seed")
      ->capture_default_str()
      ->check(integer_in(0, INT64_MAX));
  app->add_option("--threads", options->train.threads, "libtorch threads")
      ->capture_default_str()
      ->check(integer_in(1, kMaxThreads));
  app->add_option("--resume", options->train.resume, "Continue from a checkpoint (MODEL.ckpt)");
  app->add_option("--limit", options->train.train_limit,
                  "Train on the first N training images only (0: all)")
      ->check(integer_in(0, INT32_MAX));
  app->add_option("--test-limit", options->train.test_limit,
                  "Evaluate on the first N test images only (0: all)")
      ->check(integer_in(0, INT32_MAX));
  app->add_option("--width-divisor", options->train.width_divisor,
                  "Divide every hidden width by D (small networks for tests)")
      ->capture_default_str()
      ->check(integer_in(1, 1024));
  app->add_option("--augment", options->train.augment,
                  "Training images: none, or shift-flip (each shifted by up to 2 pixels each way "
                  "and mirrored left-right at random, drawn from the seed)")
      ->default_str("none");
  app->add_flag("--no-verify{false}", options->verify,
                "Skip checking the golden model against the trainer on the test images");
  app->add_flag("--json", options->json, "Print one JSON object on stdout");
  app->footer(
      "A checkpoint MODEL.ckpt is written after every epoch. Example: bnnc train --topology lfc "
      "--dataset fashion-mnist --epochs 10 --out lfc.bnnc");
  return {app, [options] { return run_train(*options); }};
}

}  // namespace bnnc::cli
