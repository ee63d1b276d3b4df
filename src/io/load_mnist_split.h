// One split of a data set laid out as the MNIST distribution lays it out (Debian's
// dataset-fashion-mnist in /usr/share/datasets/fashion-mnist/): "<split>-images-idx3-ubyte[.gz]"
// with "<split>-labels-idx1-ubyte[.gz]" beside it, split "train" (60,000 images) or "t10k"
// (10,000). load_dataset reads only the test split of a folder; the trainer needs both.
#pragma once

#include <string>

#include "io/dataset.h"

namespace bnnc {

// Throws bnnc::Error naming the folder or file when the split or its labels are missing or
// malformed, or when the image and label counts differ.
Dataset load_mnist_split(const std::string& folder, const std::string& split);

}  // namespace bnnc
