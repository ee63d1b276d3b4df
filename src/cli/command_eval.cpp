// bnnc eval MODEL --data PATH [--labels FILE.npy] [--limit N] [--engine golden|cpu] [--threads T]
//           [--predictions] [--json]: classify a data set and report the accuracy.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cli/cli_output.h"
#include "cli/commands.h"
#include "cli/cpu_early_exit_flag.h"
#include "cli/flag_checks.h"
#include "cli/load_network.h"
#include "cli/progress_line.h"
#include "core/error.h"
#include "io/dataset.h"
#include "ir/graph_stats.h"
#include "runtime/cpu_engine.h"
#include "sim/compare_with_oracle.h"
#include "sim/golden_model.h"

namespace bnnc::cli {

namespace {

struct EvalOptions {
  std::string model;
  std::string data;
  std::string labels;
  std::string engine = "golden";
  std::string early_exit = "off";  // the CPU engine's
  std::string reuse = "off";       // the CPU engine's
  int limit = 0;                   // 0: every image
  int threads = 0;                 // 0: one per hardware thread
  bool predictions = false;
  bool json = false;
};

struct EvalRun {
  std::vector<Classification> results;  // one per image, in the data set's order
  int correct = 0;                      // 0 without labels
  int threads = 1;
  double seconds = 0.0;
};

void check_network(const Graph& graph, const std::string& model) {
  if (graph.nodes.empty() || graph.nodes.front().op() != Op::Input) {
    fail("{}: the network does not start with an input layer", model);
  }
  const Node& last = graph.nodes.back();
  if (last.op() != Op::LabelSelect) {
    fail("{}: the network ends in layer '{}' ({}), not labelselect, so it does not classify", model,
         last.name, op_name(last.op()));
  }
}

// The images must have the input's shape, or be flattened into a vector input (HWC row-major,
// so channels stay innermost either way).
void check_image_shape(const Graph& graph, const Dataset& data, const EvalOptions& options) {
  const Shape image{data.height, data.width, data.channels};
  const Shape& input = graph.nodes.front().type.shape;
  const bool flattened =
      input.size() == 1 && static_cast<std::size_t>(input[0]) == data.image_size();
  if (image != input && !flattened) {
    fail("{}: images are {} but the model {} takes {}", options.data, to_string(image),
         options.model, to_string(input));
  }
}

std::string progress_text(int done, int total, int correct, bool has_labels) {
  std::string text = fmt::format("eval {}/{} images", done, total);
  if (has_labels && done > 0) {
    text += fmt::format(", {:.1f}% so far", 100.0 * correct / done);
  }
  return text;
}

// Classifies images [0, count) with the golden model, or the CPU engine when `engine` is given,
// on `threads` threads. Workers take chunks
// of consecutive images from a shared counter, so a slow chunk does not hold the others back,
// and write each result at its image's index, so results come out in order whatever the
// schedule. This thread meanwhile draws the progress line.
EvalRun classify(const Graph& graph, const runtime::CpuEngine* engine, const Dataset& data,
                 int count, int threads) {
  EvalRun run;
  run.results.resize(static_cast<std::size_t>(count));
  run.threads = std::clamp(threads, 1, count);
  const int chunk = std::clamp(count / (run.threads * 8), 1, 64);
  const bool has_labels = data.has_labels();

  std::atomic<int> next{0};
  std::atomic<int> done{0};
  std::atomic<int> correct{0};
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::condition_variable finished_changed;
  int finished = 0;
  std::exception_ptr failure;

  auto worker = [&] {
    try {
      while (!stop.load()) {
        const int begin = next.fetch_add(chunk);
        if (begin >= count) break;
        const int end = std::min(begin + chunk, count);
        if (engine != nullptr) {
          engine->classify(data.image(begin).data(), end - begin,
                           &run.results[static_cast<std::size_t>(begin)], 1);
        }
        for (int i = begin; i < end; ++i) {
          Classification& result = run.results[static_cast<std::size_t>(i)];
          if (engine == nullptr) result = run_golden(graph, data.image(i));
          if (has_labels && result.label == data.labels[static_cast<std::size_t>(i)]) ++correct;
          ++done;
        }
      }
    } catch (...) {
      stop = true;
      const std::lock_guard<std::mutex> lock(mutex);
      if (!failure) failure = std::current_exception();
    }
    const std::lock_guard<std::mutex> lock(mutex);
    ++finished;
    finished_changed.notify_one();
  };

  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  pool.reserve(static_cast<std::size_t>(run.threads));
  for (int t = 0; t < run.threads; ++t) pool.emplace_back(worker);

  ProgressLine progress;
  {
    std::unique_lock<std::mutex> lock(mutex);
    while (!finished_changed.wait_for(lock, std::chrono::milliseconds(50),
                                      [&] { return finished == run.threads; })) {
      if (!progress.due()) continue;
      lock.unlock();
      progress.show(progress_text(done.load(), count, correct.load(), has_labels));
      lock.lock();
    }
  }
  for (std::thread& thread : pool) thread.join();
  progress.finish();
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (failure) std::rethrow_exception(failure);
  // The progress line's count, counted again where bnnc simulate and verify count theirs.
  run.correct = count_correct(run.results, data.labels);
  return run;
}

std::string class_text(const Graph& graph, int label) {
  if (label >= 0 && static_cast<std::size_t>(label) < graph.classes.size()) {
    return fmt::format("{} ({})", label, graph.classes[static_cast<std::size_t>(label)]);
  }
  return std::to_string(label);
}

void print_eval_text(const Graph& graph, const Dataset& data, const EvalRun& run,
                     const EvalOptions& options) {
  const int images = static_cast<int>(run.results.size());
  std::string text;
  // Without labels there is no accuracy to give, so the answer is the predictions themselves.
  if (options.predictions || !data.has_labels()) {
    for (int i = 0; i < images; ++i) {
      const Classification& result = run.results[static_cast<std::size_t>(i)];
      text += fmt::format("image {}: class {}", i, class_text(graph, result.label));
      if (data.has_labels()) {
        text += fmt::format(", label {}", data.labels[static_cast<std::size_t>(i)]);
      }
      if (options.predictions) text += fmt::format(", scores [{}]", fmt::join(result.scores, ","));
      text += "\n";
    }
  }
  text += fmt::format("images     {}\n", images);
  if (data.has_labels()) {
    text += fmt::format("correct    {}\n", run.correct);
    text += fmt::format("accuracy   {:.2f} %\n", 100.0 * run.correct / images);
  }
  text += fmt::format("speed      {:.1f} images/s ({} engine, {} thread{}, {:.2f} s)\n",
                      images / std::max(run.seconds, 1e-9), options.engine, run.threads,
                      run.threads == 1 ? "" : "s", run.seconds);
  std::fputs(text.c_str(), stdout);
}

nlohmann::ordered_json eval_json(const Dataset& data, const EvalRun& run,
                                 const EvalOptions& options) {
  const int images = static_cast<int>(run.results.size());
  nlohmann::ordered_json object;
  object["accuracy"] = data.has_labels() ? nlohmann::ordered_json(1.0 * run.correct / images)
                                         : nlohmann::ordered_json(nullptr);
  object["images"] = images;
  object["correct"] =
      data.has_labels() ? nlohmann::ordered_json(run.correct) : nlohmann::ordered_json(nullptr);
  object["engine"] = options.engine;
  object["threads"] = run.threads;
  object["seconds"] = run.seconds;
  object["images_per_second"] = images / std::max(run.seconds, 1e-9);
  if (options.predictions) {
    nlohmann::ordered_json predictions = nlohmann::ordered_json::array();
    nlohmann::ordered_json scores = nlohmann::ordered_json::array();
    for (const Classification& result : run.results) {
      predictions.push_back(result.label);
      scores.push_back(result.scores);
    }
    object["predictions"] = std::move(predictions);
    object["scores"] = std::move(scores);
  }
  return object;
}

int run_eval(const EvalOptions& options) {
  // Flags first: they are cheap to check and the files may be large.
  if (options.engine != "golden" && options.engine != "cpu") {
    fail("--engine {}: unknown engine (engines: golden, cpu)", options.engine);
  }
  const runtime::EarlyExit early_exit = cpu_early_exit(options.early_exit);
  if (early_exit != runtime::EarlyExit::Off && options.engine != "cpu") {
    fail("--early-exit {}: only the cpu engine has it (add --engine cpu)", options.early_exit);
  }
  const runtime::CpuReuse reuse = cpu_reuse(options.reuse);
  if (reuse != runtime::CpuReuse::Off && options.engine != "cpu") {
    fail("--reuse {}: only the cpu engine has it (add --engine cpu)", options.reuse);
  }
  if (options.limit < 0)
    fail("--limit {}: must be at least 1 (or 0 for every image)", options.limit);
  if (options.threads < 0) {
    fail("--threads {}: must be at least 1 (or 0 for one per hardware thread)", options.threads);
  }

  const Graph graph = load_network(options.model);
  check_network(graph, options.model);
  const Dataset data = load_dataset(options.data, options.labels);
  if (data.count <= 0) fail("{}: holds no images", options.data);
  if (data.has_labels() && data.labels.size() != static_cast<std::size_t>(data.count)) {
    fail("{}: {} labels for {} images", options.labels.empty() ? options.data : options.labels,
         data.labels.size(), data.count);
  }
  check_labels(data, class_count(graph));
  check_image_shape(graph, data, options);

  const int count = options.limit > 0 ? std::min(options.limit, data.count) : data.count;
  int threads = options.threads;
  if (threads == 0) threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  std::unique_ptr<runtime::CpuEngine> engine;
  if (options.engine == "cpu") {
    runtime::CpuEngineOptions engine_options;
    engine_options.early_exit = early_exit;
    engine_options.reuse = reuse;
    engine = std::make_unique<runtime::CpuEngine>(graph, runtime::select_isa(), engine_options);
  }
  const EvalRun run = classify(graph, engine.get(), data, count, threads);

  if (options.json) {
    print_json(eval_json(data, run, options));
  } else {
    print_eval_text(graph, data, run, options);
  }
  return kExitOk;
}

}  // namespace

Command add_eval_command(CLI::App& bnnc) {
  auto options = std::make_shared<EvalOptions>();
  CLI::App* app = bnnc.add_subcommand("eval", "Classify a data set with a model; report accuracy");
  app->add_option("MODEL", options->model, "bnnc model file")->required();
  app->add_option("--data", options->data,
                  "Images: IDX (gzipped or not), CIFAR-10 binary, .npy, or an MNIST folder")
      ->required();
  app->add_option("--labels", options->labels,
                  "Labels for --data (.npy of integers, or IDX labels)");
  app->add_option("--limit", options->limit, "Classify only the first N images (0: all)")
      ->check(integer_in(0, INT32_MAX));
  app->add_option("--engine", options->engine,
                  "Engine to run: golden (the oracle) or cpu (bit-packed, AVX-512 when present)");
  app->add_option("--early-exit", options->early_exit, kCpuEarlyExitHelp);
  app->add_option("--reuse", options->reuse, kCpuReuseHelp);
  app->add_option("--threads", options->threads, "Worker threads (0: one per hardware thread)")
      ->check(integer_in(0, kMaxThreads));
  app->add_flag("--predictions", options->predictions,
                "Also print each image's class and label-select scores");
  app->add_flag("--json", options->json, "Print one JSON object on stdout");
  app->footer(
      "Example: bnnc eval cnv-w1a1.bnnc --data "
      "../shared/external/cifar10/test_batch_first761.bin");
  return {app, [options] { return run_eval(*options); }};
}

}  // namespace bnnc::cli
