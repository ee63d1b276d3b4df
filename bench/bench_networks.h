// The networks and images the benchmarks run: BNN-PYNQ's LFC-W1A1 and CNV-W1A1 imported from
// BNNC_EXTERNAL_DATA (default ../shared/external), with random (seeded) images or their own
// data sets' test images.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace bnnc::bench {

// "lfc" or "cnv"; throws bnnc::Error when the external data is missing.
Graph load_bench_network(const std::string& name);

std::vector<std::uint8_t> random_images(std::size_t image_size, int count);

// The first `count` test images of the network's data set ("lfc": MNIST's t10k, "cnv": the
// CIFAR-10 test images in ../shared/external), as the network reads them.
std::vector<std::uint8_t> test_images(const std::string& name, int count);

}  // namespace bnnc::bench
