"""ResNet-18 as PyTorch writes it (7x7/2 stem on pixel/255 with its batch-norm, a padded 3x3/2
max-pool, basic blocks with identity and projection shortcuts, zero padding, AdaptiveAvgPool2d(1),
Linear 512 -> 1000 with a bias), binarized with torch.where(x >= 0, 1., -1.) and ±1 weights, random
batch-norms; exported the default way. Writes resnet18.onnx, images.npy (uint8 NCHW 224x224) and
PyTorch's classes, for pytorch_resnet18.sh. Usage: pytorch_resnet18.py OUT_DIR [IMAGES]"""
import sys

import numpy as np
import torch
from torch import nn

from pytorch_bnns import Block, Where, binarize_weights, random_batchnorms


def main(out, count):
    torch.manual_seed(18)
    gen = torch.Generator().manual_seed(18)
    act = lambda: Where(">=")
    layers = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), act(),
              nn.MaxPool2d(3, 2, 1)]
    cin = 64
    for cout, stride in [(64, 1), (128, 2), (256, 2), (512, 2)]:
        layers += [Block(cin, cout, stride, act, 0), Block(cout, cout, 1, act, 0)]
        cin = cout
    # torchvision's fc: Linear(512, 1000) with PyTorch's default bias (docs/residual.md).
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, 1000)]
    model = nn.Sequential(*layers)
    binarize_weights(model)
    random_batchnorms(model, gen)
    model.eval()
    images = torch.randint(0, 256, (count, 3, 224, 224), generator=gen, dtype=torch.uint8)
    np.save(f"{out}/images.npy", images.numpy())
    x = images.float() / 255
    with torch.no_grad():
        classes = model(x).argmax(dim=1)
    np.save(f"{out}/classes.npy", classes.numpy().astype(np.int64))
    torch.onnx.export(model, x[:1], f"{out}/resnet18.onnx")
    print(f"resnet18: exported, classes {classes.tolist()}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 8)
