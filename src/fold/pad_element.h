// The value of one border element of an FMPadding block. In front of a convolution it is the
// conv's pad value (−1 or +1 on bits as bit 0 or 1, FINN-R's 1-bit padding; bit 0 for zero
// padding, whose MVTU leaves the border out). In front of a padded max-pool (ResNet's 3×3/2 pad
// 1) it is the value that never wins the window, as PyTorch pads a max-pool with −∞: the input
// type's least value (bit 0 = −1 for OR), its greatest for a channel that takes the minimum
// (bit 1 for AND). A window always holds a pixel of the image (pad < kernel), so the pool gives
// the max over the image's pixels only — the golden model's meaning.
#pragma once

#include <cstdint>

#include "fold/dataflow_graph.h"

namespace bnnc {

std::int64_t pad_element(const Block& padding, const Graph& ir, int channel);

}  // namespace bnnc
