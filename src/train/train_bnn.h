// Training a BNN on Fashion-MNIST and exporting it as a streamlined bnnc graph. This header
// does not include libtorch (the CLI and the tests include it; libtorch headers are slow).
//
// Deterministic for a given seed and thread count: libtorch's generator is seeded once (it only
// draws the initial weights), each epoch's shuffle comes from its own generator seeded by
// (seed, epoch), each augmented image's shift and mirror from one seeded by (seed, epoch, its
// place in the epoch), and nothing else draws random numbers; so a run resumed from a checkpoint
// continues exactly as the uninterrupted run would have.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace bnnc {

struct TrainOptions {
  std::string topology;  // tfc, sfc, lfc, cnv, cnv-pad, resnet, resnet-wide
  std::string padding;   // resnet: "minus1" (default when empty) or "zero"
  std::string data;      // a Fashion-MNIST folder (train-* and t10k-* IDX files)
  int epochs = 10;
  int batch = 100;
  double lr = 2e-3;  // Adam's learning rate at epoch 0; cosine schedule down to 0
  std::uint64_t seed = 1;
  int threads = 1;        // libtorch intra-op threads
  int train_limit = 0;    // use only the first N training images (0: all)
  int test_limit = 0;     // evaluate only the first N test images (0: all)
  int width_divisor = 1;  // divides every hidden width (small networks for tests)
  // "none" (default when empty) or "shift-flip": each training image of each epoch shifted by up
  // to 2 pixels each way and mirrored left-right by a draw of (seed, epoch, its place in the
  // epoch), so that a resumed run draws the same (shift_flip_image).
  std::string augment;
  std::string checkpoint;  // written after every epoch when not empty
  std::string resume;      // a checkpoint to continue from, when not empty
  // When it holds a signal number (a SIGINT/SIGTERM handler stores it), training stops after the
  // batch in progress, writes the checkpoint (with the batches done in the epoch, so that a
  // resumed run continues exactly there) and throws TrainingInterrupted.
  const std::atomic<int>* stop = nullptr;
};

// The augmentation's name as the CLI, the checkpoint and the JSON spell it: "none" or
// "shift-flip" (an empty TrainOptions::augment is "none").
std::string augment_name(const TrainOptions& options);

struct TrainingInterrupted : std::runtime_error {
  TrainingInterrupted() : std::runtime_error("training interrupted") {}
  int signal = 0;
  int epoch = 0;  // 0-based, the one interrupted
  int batch = 0;  // batches of it done
  int batches = 0;
  std::string checkpoint;  // empty when TrainOptions::checkpoint was
};

struct TrainProgress {
  int epoch = 0;  // 0-based
  int epochs = 0;
  int batch = 0;  // batches done in this epoch
  int batches = 0;
  double loss = 0.0;      // mean over this epoch so far
  double accuracy = 0.0;  // training accuracy (binarized, training-mode batch-norm) so far
  double seconds_left = 0.0;
  bool epoch_done = false;
  double test_accuracy = -1.0;  // the binarized test accuracy, when epoch_done
  // After an epoch's batches: > 0 while the batch-norm statistics are measured, the batches of
  // the training set done (of `batches`).
  int statistics_batch = 0;
};

struct TrainResult {
  Graph graph;                   // streamlined, ready for save_model and the golden model
  std::vector<int> predictions;  // the trainer's binarized evaluation, one per test image
  std::vector<int> labels;       // the test labels
  int correct = 0;
  double seconds = 0.0;  // wall time of the epochs run here (not of earlier ones before resume)
  int epochs_run = 0;
};

// dst = src (height × width bytes, one channel) shifted right by dx and down by dy, the pixels
// shifted in 0 (Fashion-MNIST's background), then mirrored left-right when `flip`.
void shift_flip_image(const std::uint8_t* src, std::uint8_t* dst, int height, int width, int dx,
                      int dy, bool flip);

// Throws bnnc::Error on a bad option, a missing data set (naming the Debian package) or an
// unreadable checkpoint; TrainingInterrupted when options.stop asks it to stop.
TrainResult train_bnn(const TrainOptions& options,
                      const std::function<void(const TrainProgress&)>& progress = {});

}  // namespace bnnc
