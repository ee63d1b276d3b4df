"""Builds small BNNs in PyTorch, exports them with torch.onnx.export and writes, per network,
NAME.onnx, the test images (uint8 NCHW .npy) and PyTorch's classes (int64 .npy), for
tests/interop/pytorch_interop.sh to compare with bnnc's. Run by Debian's /usr/bin/python3
(python3-torch). Usage: pytorch_bnns.py OUT_DIR"""
import sys

import numpy as np
import torch
from torch import nn


class SignSTE(torch.autograd.Function):
    """sign with a straight-through estimator (the gradient passes where |x| <= 1)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.sign(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (x.abs() <= 1).to(grad.dtype)


class Sign(nn.Module):
    def forward(self, x):
        return SignSTE.apply(x)


class Centre(nn.Module):
    """pixel/255 - 0.5: never exactly 0 on integer pixels, so Sign(0) does not arise here."""

    def forward(self, x):
        return x - 0.5


def binarize_weights(model):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Linear, nn.Conv2d)):
                m.weight.copy_(torch.where(m.weight >= 0, 1.0, -1.0))


def random_batchnorms(model, gen):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                n = m.num_features
                sign = torch.where(torch.rand(n, generator=gen) < 0.3, -1.0, 1.0)  # some γ < 0
                m.weight.copy_(sign * (0.5 + torch.rand(n, generator=gen)))
                m.bias.copy_(torch.randn(n, generator=gen))
                m.running_mean.copy_(torch.randn(n, generator=gen) * 3)
                m.running_var.copy_(0.5 + torch.rand(n, generator=gen) * 4)


def networks():
    return {
        "mlp": nn.Sequential(
            Centre(), Sign(), nn.Flatten(), nn.Linear(784, 64, bias=False), nn.BatchNorm1d(64),
            Sign(), nn.Linear(64, 32, bias=False), nn.BatchNorm1d(32), Sign(),
            nn.Linear(32, 10, bias=False)),
        # Conv without padding, stride 1 and 2; max-pool before and after batch-norm.
        "conv": nn.Sequential(
            Centre(), Sign(), nn.Conv2d(1, 16, 3, bias=False), nn.MaxPool2d(2),
            nn.BatchNorm2d(16), Sign(), nn.Conv2d(16, 32, 3, stride=2, bias=False),
            nn.BatchNorm2d(32), Sign(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(32 * 3 * 3, 10, bias=False)),
        # Zero padding (PyTorch's default, padding=1) on ±1 activations, stride 1 and 2, even
        # (14) and odd (7) sizes; max-pool before and after batch-norm.
        "conv_zero_pad": nn.Sequential(
            Centre(), Sign(), nn.Conv2d(1, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16),
            Sign(), nn.MaxPool2d(2), nn.Conv2d(16, 24, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(24), Sign(), nn.Conv2d(24, 32, 3, padding=1, bias=False),
            nn.MaxPool2d(2), nn.BatchNorm2d(32), Sign(),
            nn.Conv2d(32, 32, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(32), Sign(),
            nn.Flatten(), nn.Linear(32 * 2 * 2, 10, bias=False)),
        # Padding by -1 and +1 (an ONNX Pad before the Conv): the plain 1-bit datapath.
        "conv_pad_pm1": nn.Sequential(
            Centre(), Sign(), nn.ConstantPad2d(1, -1.0), nn.Conv2d(1, 16, 3, bias=False),
            nn.BatchNorm2d(16), Sign(), nn.ConstantPad2d(1, 1.0),
            nn.Conv2d(16, 32, 3, stride=2, bias=False), nn.BatchNorm2d(32), Sign(),
            nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32 * 7 * 7, 10, bias=False)),
    }


def main(out):
    gen = torch.Generator().manual_seed(4)
    images = torch.randint(0, 256, (200, 1, 28, 28), generator=gen, dtype=torch.uint8)
    np.save(f"{out}/images.npy", images.numpy())
    for name, model in networks().items():
        binarize_weights(model)
        random_batchnorms(model, gen)
        model.eval()
        with torch.no_grad():
            classes = model(images.float() / 255).argmax(dim=1)
        np.save(f"{out}/{name}_classes.npy", classes.numpy().astype(np.int64))
        torch.onnx.export(model, images[:1].float() / 255, f"{out}/{name}.onnx",
                          input_names=["x"], output_names=["scores"], opset_version=13,
                          # EVAL would fuse batch-norms into the convolutions before them
                          # (non-binary weights); PRESERVE keeps them (the model is in eval).
                          training=torch.onnx.TrainingMode.PRESERVE)
        print(f"{name}: exported, {len(classes)} images")


if __name__ == "__main__":
    main(sys.argv[1])
