// bnnc's own model file: a versioned, compact container of a Graph (packed weight bits, integer
// thresholds). The format is documented in docs/model-format.md.
#pragma once

#include <cstdint>
#include <string>

#include "ir/graph.h"

namespace bnnc {

// The newest format version this bnnc reads and writes (it reads every version from 1 up).
//   1: the first.
//   2: conv2d's optional `pad_mode` ("zero": ir/op.h PadMode::Zero).
//   3: globalsumpool, maxpool's `pad`.
//   4: add's `offsets` and `in1_min` (a residual join's table).
//   5: labelselect's `shift` (real-valued class offsets, docs/residual.md).
inline constexpr std::uint32_t kModelFormatVersion = 5;

// The oldest version that holds every attribute of the graph: what save_model writes, so that a
// graph an older bnnc can run stays readable by it (a graph without zero padding: version 1).
std::uint32_t model_format_version_for(const Graph& graph);

// Writes the graph (types need not be inferred). Throws bnnc::Error when PATH cannot be written.
void save_model(const Graph& graph, const std::string& path);

// Reads a model file, infers and verifies its types. A corrupt or truncated file, or one from a
// newer format version, throws bnnc::Error naming the file and the problem.
Graph load_model(const std::string& path);

}  // namespace bnnc
