// The trainable BNN in libtorch (internal to src/train: this header includes libtorch, so only
// the trainer's own files include it).
//
// Forward in training: binary weights and activations with straight-through estimators.
//   weights:      w_b = sign(w), gradient passed to the latent w unchanged (w stays in [−1, 1]
//                 by clipping after each step, so the gradient cannot push it beyond where its
//                 sign could still flip back);
//   activations:  a_b = sign(x) with sign(0) = +1, gradient 1 where |x| ≤ 1 and 0 elsewhere
//                 (the derivative of hardtanh, the usual STE of Courbariaux et al.).
// Each hidden layer is (conv|dense) → [2×2 max-pool] → batch-norm → [+ shortcut] → sign (a
// projection has no sign); the last dense layer
// feeds the loss through one positive learned scalar exp(log_scale), which cannot change the
// argmax and is dropped on export (the exported graph is dense → labelselect).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "ir/op.h"
#include "train/topology_spec.h"

namespace bnnc {

struct BatchNormParams {
  torch::Tensor gamma, beta;                // learned
  torch::Tensor running_mean, running_var;  // buffers
};

class BnnNetworkImpl : public torch::nn::Module {
 public:
  explicit BnnNetworkImpl(TopologySpec spec);

  // Training-mode (or eval-mode, by is_training()) forward: x from prepare_input; logits [B,10].
  torch::Tensor forward(const torch::Tensor& x);

  // The binarized network's classes, computed exactly as the exported graph computes them:
  // every pre-activation is a sum of ±1 (or ±fixed-point) terms, exact in float32, and every
  // batch-norm + sign goes through bnnc's batchnorm_apply, the function the float reference and
  // the streamliner share; the label is the first largest score. Inference only.
  std::vector<int> classify_exact(const torch::Tensor& x);

  // The batch-norm of hidden layer `layer` (−1: the MLP's input batch-norm) as bnnc's IR holds it.
  BatchNormAttrs batchnorm_attrs(int layer) const;

  const TopologySpec& spec() const { return spec_; }
  const std::vector<torch::Tensor>& latent_weights() const { return weights_; }
  // Clips every latent weight to [−1, 1] (after each optimizer step).
  void clip_weights();

  // Measures every batch-norm's running statistics afresh with the weights as they are: the
  // training-mode forward of `batches` batches (input(b), no gradient), each batch-norm's
  // running mean and variance the plain average of the batches' statistics. The momentum
  // average that training keeps weighs the last hundred or so batches, under weights that were
  // still moving; the exported thresholds come from these statistics (docs/training.md).
  void recalibrate_batchnorm(int batches, const std::function<torch::Tensor(int)>& input);

 private:
  torch::Tensor batchnorm(const torch::Tensor& x, const BatchNormParams& bn);
  torch::Tensor binary_sign_exact(const torch::Tensor& x, int layer,
                                  const torch::Tensor* shortcut = nullptr,
                                  bool projection = false) const;

  TopologySpec spec_;
  BatchNormParams input_bn_;            // MLP only
  std::vector<torch::Tensor> weights_;  // latent, torch layout ([out, in] or [out, in, 3, 3])
  std::vector<BatchNormParams> bns_;    // one per hidden layer
  torch::Tensor log_scale_;
  double momentum_;  // of the running statistics' update in a training-mode forward
};
TORCH_MODULE(BnnNetwork);

// Batch of images → the network's input tensor: MLPs get raw pixel values as float [B, 784];
// CNVs get fixed<8,7> values q/128 as float [B, 1, 28, 28] (the first conv pads them).
torch::Tensor prepare_input(const TopologySpec& spec, const std::uint8_t* pixels, int count);

// The fixed<8,7> value of a pixel: clamp(round(128·(p/255·2−1)), −128, 127).
std::int32_t quantize_pixel(int pixel);

}  // namespace bnnc
