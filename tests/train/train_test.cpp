// Training smoke tests (CI): short runs on a subset of Fashion-MNIST that check what must hold
// whatever the accuracy — the exported, streamlined model classifies every test image exactly
// as the trainer's own binarized evaluation does; training is deterministic for a seed and
// thread count, also across --resume; bad flags fail with one line and exit 2.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "io/load_mnist_split.h"
#include "io/model_file.h"
#include "ir/graph.h"
#include "sim/golden_model.h"
#include "test_support.h"
#include "train/bnn_network.h"
#include "train/topology_spec.h"
#include "train/train_bnn.h"

namespace bnnc {
namespace {

const char* kFashionMnist = "/usr/share/datasets/fashion-mnist";

#define REQUIRE_FASHION_MNIST()                                                      \
  if (!std::filesystem::exists(kFashionMnist)) {                                     \
    GTEST_SKIP() << kFashionMnist                                                    \
                 << " not found (install the Debian package dataset-fashion-mnist)"; \
  }

std::string file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Trains, saves and reloads the model, and compares the golden model's class with the
// trainer's on every evaluated test image.
TrainResult expect_golden_equals_trainer(TrainOptions options, const std::string& name) {
  options.data = kFashionMnist;
  const TrainResult result = train_bnn(options);
  const std::filesystem::path model = test::temp_dir("train_" + name) / "model.bnnc";
  save_model(result.graph, model.string());
  const Graph loaded = load_model(model.string());
  const Dataset test_set = load_mnist_split(kFashionMnist, "t10k");
  EXPECT_GT(result.predictions.size(), 0U);
  int mismatches = 0;
  for (std::size_t i = 0; i < result.predictions.size(); ++i) {
    const int golden = run_golden(loaded, test_set.image(static_cast<int>(i))).label;
    if (golden != result.predictions[i]) {
      if (++mismatches <= 5) {
        ADD_FAILURE() << name << ": test image " << i << ": golden " << golden << ", trainer "
                      << result.predictions[i];
      }
    }
  }
  EXPECT_EQ(mismatches, 0) << name << " (seed " << options.seed << ")";
  return result;
}

TrainOptions smoke_options(const std::string& topology, std::uint64_t seed, int train_limit,
                           int test_limit, int width_divisor) {
  TrainOptions options;
  options.topology = topology;
  options.epochs = 1;
  options.seed = seed;
  options.threads = 1;
  options.train_limit = train_limit;
  options.test_limit = test_limit;
  options.width_divisor = width_divisor;
  return options;
}

TEST(Train, TfcGoldenModelEqualsTrainerOnAllTestImages) {
  REQUIRE_FASHION_MNIST();
  expect_golden_equals_trainer(smoke_options("tfc", 7, 2000, 0, 1), "tfc");
}

TEST(Train, TinyCnvGoldenModelEqualsTrainer) {
  REQUIRE_FASHION_MNIST();
  expect_golden_equals_trainer(smoke_options("cnv", 3, 1000, 1000, 16), "cnv");
}

TEST(Train, TinyCnvPadGoldenModelEqualsTrainer) {
  REQUIRE_FASHION_MNIST();
  expect_golden_equals_trainer(smoke_options("cnv-pad", 5, 1000, 1000, 16), "cnv-pad");
}

// The residual topology: the exported graph keeps its joins (an identity and two projection
// shortcuts, each an add with a table after streamlining) and its golden classes equal the
// trainer's, with either padding.
void expect_tiny_resnet(const std::string& padding, std::uint64_t seed,
                        const std::string& topology = "resnet") {
  TrainOptions options = smoke_options(topology, seed, 300, 300, 8);
  options.padding = padding;
  const TrainResult result = expect_golden_equals_trainer(options, topology + "_" + padding);
  int adds = 0, zero_padded = 0;
  for (const Node& node : result.graph.nodes) {
    if (node.op() == Op::Add) {
      ++adds;
      EXPECT_FALSE(node.as<AddAttrs>().offsets.empty()) << node.name;
    }
    if (node.op() == Op::Conv2d) zero_padded += node.as<Conv2dAttrs>().zero_padded();
  }
  EXPECT_EQ(adds, 3);
  EXPECT_EQ(zero_padded, padding == "zero" ? 6 : 0);
}

TEST(Train, TinyResNetGoldenModelEqualsTrainer) {
  REQUIRE_FASHION_MNIST();
  expect_tiny_resnet("minus1", 9);
}

TEST(Train, TinyResNetZeroPaddedGoldenModelEqualsTrainer) {
  REQUIRE_FASHION_MNIST();
  expect_tiny_resnet("zero", 4);
}

// recalibrate_batchnorm's statistics are the plain average of its batches' (not the momentum
// average of training): on the MLP's input batch-norm, which sees the raw pixels, the average of
// two batches' per-input means and unbiased variances; and the network stays in its mode.
TEST(Train, RecalibratedBatchNormIsTheAverageOfTheBatches) {
  BnnNetwork network(topology_spec("tfc"));
  network->eval();
  torch::manual_seed(3);
  const torch::Tensor first = torch::randint(0, 256, {8, 784}).to(torch::kFloat);
  const torch::Tensor second = torch::randint(0, 256, {5, 784}).to(torch::kFloat);
  network->recalibrate_batchnorm(2, [&](int b) { return b == 0 ? first : second; });
  EXPECT_FALSE(network->is_training());
  const BatchNormAttrs bn = network->batchnorm_attrs(-1);
  const torch::Tensor mean = (first.mean(0) + second.mean(0)) / 2;
  const torch::Tensor var = (first.var(0, true) + second.var(0, true)) / 2;
  ASSERT_EQ(bn.mean.size(), 784U);
  for (int c = 0; c < 784; ++c) {
    EXPECT_NEAR(bn.mean[c], mean[c].item<float>(), 1e-3) << c;
    EXPECT_NEAR(bn.var[c], var[c].item<float>(), 1e-5 * var[c].item<float>() + 1e-3) << c;
  }
}

// resnet-wide: resnet's blocks at 40, 80 and 160 channels (58.0 M MACs, cnv's 58.4 M at most).
TEST(Train, ResNetWideIsResNetAQuarterWider) {
  const TopologySpec narrow = topology_spec("resnet"), wide = topology_spec("resnet-wide");
  ASSERT_EQ(narrow.layers.size(), wide.layers.size());
  std::int64_t narrow_weights = 0, wide_weights = 0;
  for (std::size_t i = 0; i < wide.layers.size(); ++i) {
    const LayerSpec &n = narrow.layers[i], &w = wide.layers[i];
    EXPECT_EQ(w.outputs, i + 1 == wide.layers.size() ? 10 : n.outputs * 5 / 4) << i;
    EXPECT_EQ(w.kernel, n.kernel) << i;
    EXPECT_EQ(w.shortcut, n.shortcut) << i;
    narrow_weights += std::int64_t{n.inputs} * n.outputs * (n.conv ? n.kernel * n.kernel : 1);
    wide_weights += std::int64_t{w.inputs} * w.outputs * (w.conv ? w.kernel * w.kernel : 1);
  }
  EXPECT_EQ(narrow_weights, 306720);  // models/README.md
  EXPECT_GT(wide_weights, narrow_weights * 3 / 2);
  EXPECT_LT(wide_weights, narrow_weights * 8 / 5);
}

TEST(Train, TinyResNetWideGoldenModelEqualsTrainer) {
  REQUIRE_FASHION_MNIST();
  expect_tiny_resnet("minus1", 11, "resnet-wide");
}

TEST(TrainCli, SameSeedAndThreadsGiveByteIdenticalModels) {
  REQUIRE_FASHION_MNIST();
  const std::filesystem::path dir = test::temp_dir("train_determinism");
  const std::string flags =
      " --topology tfc --dataset fashion-mnist --epochs 1 --seed 11 --threads 1 --limit 2000 "
      "--test-limit 500 --out ";
  const test::CommandResult a = test::run_bnnc("train" + flags + (dir / "a.bnnc").string());
  const test::CommandResult b = test::run_bnnc("train" + flags + (dir / "b.bnnc").string());
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  const std::string bytes = file_bytes(dir / "a.bnnc");
  EXPECT_FALSE(bytes.empty());
  EXPECT_EQ(bytes, file_bytes(dir / "b.bnnc"));
}

// A 2-epoch run against its first epoch resumed for the second (`extra` added to both).
void expect_resume_continues_as_the_uninterrupted_run(const std::string& folder,
                                                      const std::string& extra) {
  const std::filesystem::path dir = test::temp_dir(folder);
  const std::string flags =
      " --topology tfc --dataset fashion-mnist --seed 2 --threads 1 --limit 1000 "
      "--test-limit 200 --json" +
      extra;
  const test::CommandResult whole =
      test::run_bnnc("train --epochs 2 --out " + (dir / "whole.bnnc").string() + flags);
  ASSERT_EQ(whole.exit_code, 0) << whole.err;
  // The cosine schedule gives epoch 0 the full learning rate whatever the number of epochs, so
  // a 1-epoch run is the first epoch of the 2-epoch run; its checkpoint resumes the second.
  const test::CommandResult first =
      test::run_bnnc("train --epochs 1 --out " + (dir / "first.bnnc").string() + flags);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const test::CommandResult resumed =
      test::run_bnnc("train --epochs 2 --out " + (dir / "resumed.bnnc").string() + " --resume " +
                     (dir / "first.bnnc.ckpt").string() + flags);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(file_bytes(dir / "whole.bnnc"), file_bytes(dir / "resumed.bnnc"));
  // Checkpoints and models are written through a temporary renamed over them: none is left
  // behind, and no "MODEL.ckpt.partial" either (docs/reliability.md).
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    EXPECT_EQ(name.find(".bnnc-tmp-"), std::string::npos) << name;
    EXPECT_FALSE(name.ends_with(".partial")) << name;
  }
  EXPECT_NE(resumed.out.find("\"golden_mismatches\":0"), std::string::npos) << resumed.out;
}

TEST(TrainCli, ResumeContinuesAsTheUninterruptedRun) {
  REQUIRE_FASHION_MNIST();
  expect_resume_continues_as_the_uninterrupted_run("train_resume", "");
}

// --augment shift-flip: draws of (seed, epoch, place in the epoch), so a resumed run draws what
// the uninterrupted one did; the model is another than without it (the images did change), its
// golden classes still the trainer's; a checkpoint does not resume under the other setting.
TEST(TrainCli, AugmentedRunResumesExactlyAndTrainsOnOtherImages) {
  REQUIRE_FASHION_MNIST();
  expect_resume_continues_as_the_uninterrupted_run("train_resume_augment", " --augment shift-flip");
  const std::filesystem::path dir = test::temp_dir("train_augment");
  const std::string flags =
      " --topology tfc --dataset fashion-mnist --seed 2 --threads 1 --limit 1000 "
      "--test-limit 200 --json --out ";
  const test::CommandResult plain =
      test::run_bnnc("train --epochs 1" + flags + (dir / "p.bnnc").string());
  const test::CommandResult shifted = test::run_bnnc(
      "train --epochs 1" + flags + (dir / "a.bnnc").string() + " --augment shift-flip");
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  ASSERT_EQ(shifted.exit_code, 0) << shifted.err;
  EXPECT_EQ(nlohmann::json::parse(shifted.out)["augment"], "shift-flip");
  EXPECT_EQ(nlohmann::json::parse(shifted.out)["golden_mismatches"], 0);
  EXPECT_EQ(nlohmann::json::parse(plain.out)["augment"], "none");
  EXPECT_NE(file_bytes(dir / "p.bnnc"), file_bytes(dir / "a.bnnc"));
  const test::CommandResult mixed =
      test::run_bnnc("train --epochs 2" + flags + (dir / "m.bnnc").string() + " --resume " +
                     (dir / "p.bnnc.ckpt").string() + " --augment shift-flip");
  EXPECT_EQ(mixed.exit_code, 2);
  EXPECT_NE(mixed.err.find("p.bnnc.ckpt: a checkpoint of --augment none, not shift-flip"),
            std::string::npos)
      << mixed.err;
}

// The epochs before the last show the exported network's test accuracy on the CPU engine: on a
// tiny resnet, epoch 1 of a 2-epoch run (the engine's classes) prints the accuracy a 1-epoch
// run (the same first epoch) reports from the trainer's own evaluation.
TEST(TrainCli, EarlierEpochsShowTheTrainersTestAccuracy) {
  REQUIRE_FASHION_MNIST();
  const std::filesystem::path dir = test::temp_dir("train_epoch_accuracy");
  const std::string flags =
      " --topology resnet --width-divisor 8 --dataset fashion-mnist --seed 4 --threads 1 "
      "--limit 300 --test-limit 300 --json --out ";
  const test::CommandResult one =
      test::run_bnnc("train --epochs 1" + flags + (dir / "one.bnnc").string());
  const test::CommandResult two =
      test::run_bnnc("train --epochs 2" + flags + (dir / "two.bnnc").string());
  ASSERT_EQ(one.exit_code, 0) << one.err;
  ASSERT_EQ(two.exit_code, 0) << two.err;
  const double accuracy = nlohmann::json::parse(one.out)["accuracy"];
  const std::size_t line = two.err.find("epoch 1/2: loss ");
  ASSERT_NE(line, std::string::npos) << two.err;
  char percent[32];
  std::snprintf(percent, sizeof percent, "test accuracy %.2f %%", 100.0 * accuracy);
  const std::string epoch_line = two.err.substr(line, two.err.find('\n', line) - line);
  EXPECT_NE(epoch_line.find(percent), std::string::npos) << epoch_line << " vs " << percent;
}

// shift_flip_image: every pixel where the shift and the mirror put it, 0 where nothing came in.
TEST(Train, ShiftFlipImageMovesEveryPixelAndFillsZero) {
  constexpr int kH = 4, kW = 5;
  std::vector<std::uint8_t> src(kH * kW), dst(kH * kW);
  for (int i = 0; i < kH * kW; ++i)
    src[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(i + 1);
  shift_flip_image(src.data(), dst.data(), kH, kW, 0, 0, false);
  EXPECT_EQ(dst, src);
  for (const bool flip : {false, true}) {
    for (int dy = -2; dy <= 2; ++dy) {
      for (int dx = -2; dx <= 2; ++dx) {
        shift_flip_image(src.data(), dst.data(), kH, kW, dx, dy, flip);
        int kept = 0;
        for (int y = 0; y < kH; ++y) {
          for (int x = 0; x < kW; ++x) {
            const int sy = y - dy, mx = flip ? kW - 1 - x : x, sx = mx - dx;
            const bool inside = sy >= 0 && sy < kH && sx >= 0 && sx < kW;
            const int want = inside ? sy * kW + sx + 1 : 0;
            EXPECT_EQ(dst[static_cast<std::size_t>(y * kW + x)], want)
                << "dx " << dx << " dy " << dy << " flip " << flip << " at " << y << "," << x;
            kept += inside;
          }
        }
        EXPECT_EQ(kept, (kH - std::abs(dy)) * (kW - std::abs(dx)));
      }
    }
  }
  // One case by hand: right by 1, up by 1, then mirrored — row 0 is the source's row 1 (6..10)
  // moved right (0 6 7 8 9), then reversed.
  shift_flip_image(src.data(), dst.data(), kH, kW, 1, -1, true);
  EXPECT_EQ(std::vector<int>(dst.begin(), dst.begin() + kW), (std::vector<int>{9, 8, 7, 6, 0}));
  EXPECT_EQ(std::vector<int>(dst.end() - kW, dst.end()), (std::vector<int>(kW, 0)));
}

// Trains tfc for 2 epochs whole, then again with `signal` (a test seam of bnnc train) raising
// SIGINT: exit 130, stderr saying `where`, no model but a checkpoint, from which the resumed run
// ends with the whole run's model byte for byte and leaves no temporary behind. Returns the
// stopped run.
test::CommandResult expect_interrupted_run_resumes_exactly(const std::string& name,
                                                           const std::string& signal,
                                                           const std::string& where) {
  const std::filesystem::path dir = test::temp_dir(name);
  const std::string flags =
      " --topology tfc --dataset fashion-mnist --seed 3 --threads 1 --limit 1000 "
      "--test-limit 200 --width-divisor 4 --epochs 2 --json";
  const test::CommandResult whole =
      test::run_bnnc("train --out " + (dir / "whole.bnnc").string() + flags);
  EXPECT_EQ(whole.exit_code, 0) << whole.err;
  const test::CommandResult stopped =
      test::run_bnnc("train --out " + (dir / "stopped.bnnc").string() + flags, signal);
  EXPECT_EQ(stopped.exit_code, 130) << stopped.err;  // 128 + SIGINT
  // Progress lines, then one line that says where the checkpoint is.
  EXPECT_NE(stopped.err.find("bnnc: interrupted by SIGINT in " + where + ": the checkpoint"),
            std::string::npos)
      << stopped.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "stopped.bnnc")) << "no model from a stopped run";
  EXPECT_TRUE(std::filesystem::exists(dir / "stopped.bnnc.ckpt"));
  const test::CommandResult resumed =
      test::run_bnnc("train --out " + (dir / "stopped.bnnc").string() + " --resume " +
                     (dir / "stopped.bnnc.ckpt").string() + flags);
  EXPECT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(file_bytes(dir / "whole.bnnc"), file_bytes(dir / "stopped.bnnc"));
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    EXPECT_EQ(entry.path().string().find(".bnnc-tmp-"), std::string::npos) << entry.path();
  }
  return stopped;
}

// Issue 12: SIGINT or SIGTERM during training leaves a resumable checkpoint (the batches done
// in the interrupted epoch included) and, with --json, still one JSON object; the resumed run
// ends with the uninterrupted run's model, byte for byte.
TEST(TrainCli, InterruptedRunLeavesACheckpointThatResumesExactly) {
  REQUIRE_FASHION_MNIST();
  const test::CommandResult stopped = expect_interrupted_run_resumes_exactly(
      "train_interrupted", "BNNC_TRAIN_TEST_SIGNAL_AT=13", "epoch 2/2, batch 4/10");
  const nlohmann::json object = nlohmann::json::parse(stopped.out);  // one object
  EXPECT_EQ(object["interrupted"], "SIGINT");
  EXPECT_EQ(object["epoch"], 2);  // 10 batches an epoch: the 14th is the second epoch's 4th
  EXPECT_EQ(object["batch"], 4);
}

// The same while the batch-norm statistics are measured after an epoch: the checkpoint holds the
// epoch's batches all done, and the resumed run measures the statistics and ends with the
// uninterrupted run's model.
TEST(TrainCli, RunInterruptedInItsStatisticsResumesExactly) {
  REQUIRE_FASHION_MNIST();
  expect_interrupted_run_resumes_exactly("train_interrupted_statistics",
                                         "BNNC_TRAIN_TEST_SIGNAL_AT_STATISTICS=3",
                                         "epoch 1/2, batch 10/10");
}

TEST(TrainCli, BadFlagsFailWithOneLineAndExitTwo) {
  const std::filesystem::path out = test::temp_dir("train_errors") / "m.bnnc";
  const test::CommandResult topology = test::run_bnnc(
      "train --topology vgg --dataset fashion-mnist --epochs 1 --out " + out.string());
  EXPECT_EQ(topology.exit_code, 2);
  EXPECT_NE(
      topology.err.find(
          "--topology vgg: unknown (topologies: tfc, sfc, lfc, cnv, cnv-pad, resnet, resnet-wide)"),
      std::string::npos)
      << topology.err;
  const test::CommandResult padding = test::run_bnnc(
      "train --topology resnet --padding reflect --dataset fashion-mnist --epochs 1 --out " +
      out.string());
  EXPECT_EQ(padding.exit_code, 2);
  EXPECT_NE(padding.err.find("--padding reflect: unknown (minus1 or zero)"), std::string::npos)
      << padding.err;
  const test::CommandResult augment = test::run_bnnc(
      "train --topology tfc --augment rotate --dataset fashion-mnist --epochs 1 --out " +
      out.string());
  EXPECT_EQ(augment.exit_code, 2);
  EXPECT_NE(augment.err.find("--augment rotate: unknown (none or shift-flip)"), std::string::npos)
      << augment.err;
  const test::CommandResult padding_cnv = test::run_bnnc(
      "train --topology cnv --padding zero --dataset fashion-mnist --epochs 1 --out " +
      out.string());
  EXPECT_EQ(padding_cnv.exit_code, 2);
  EXPECT_NE(padding_cnv.err.find("--padding zero: only the resnet topologies take it"),
            std::string::npos)
      << padding_cnv.err;
  const test::CommandResult missing = test::run_bnnc(
      "train --topology tfc --dataset fashion-mnist --epochs 1 --data /nonexistent/fashion-mnist "
      "--out " +
      out.string());
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("/nonexistent/fashion-mnist: not found; install the Debian package "
                             "dataset-fashion-mnist"),
            std::string::npos)
      << missing.err;
  const test::CommandResult epochs = test::run_bnnc(
      "train --topology tfc --dataset fashion-mnist --epochs 0 --out " + out.string());
  EXPECT_EQ(epochs.exit_code, 2);
  EXPECT_NE(epochs.err.find("--epochs: '0' is not a whole number from 1"), std::string::npos)
      << epochs.err;
  const test::CommandResult dataset =
      test::run_bnnc("train --topology tfc --dataset cifar --epochs 1 --out " + out.string());
  EXPECT_EQ(dataset.exit_code, 2);
  EXPECT_NE(dataset.err.find("--dataset cifar: unknown"), std::string::npos) << dataset.err;
  // Issue 12: an --out in a missing folder failed with exit 3 and a libtorch trace after a whole
  // epoch; it is checked before any training now (this run would take minutes otherwise).
  const test::CommandResult nowhere = test::run_bnnc(
      "train --topology lfc --dataset fashion-mnist --epochs 50 --out /nonexistent/m.bnnc");
  EXPECT_EQ(nowhere.exit_code, 2);
  EXPECT_NE(nowhere.err.find("/nonexistent/m.bnnc: cannot write there (/nonexistent: no such "
                             "file or directory)"),
            std::string::npos)
      << nowhere.err;
  for (const auto* result :
       {&topology, &padding, &padding_cnv, &missing, &epochs, &dataset, &nowhere}) {
    EXPECT_EQ(std::count(result->err.begin(), result->err.end(), '\n'), 1) << result->err;
  }
}

}  // namespace
}  // namespace bnnc
