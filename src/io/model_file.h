// bnnc's own model file: a versioned, compact container of a Graph (packed weight bits, integer
// thresholds). The format is documented in docs/model-format.md.
#pragma once

#include <cstdint>
#include <string>

#include "ir/graph.h"

namespace bnnc {

// The format version this bnnc writes, and the newest it reads.
inline constexpr std::uint32_t kModelFormatVersion = 1;

// Writes the graph (types need not be inferred). Throws bnnc::Error when PATH cannot be written.
void save_model(const Graph& graph, const std::string& path);

// Reads a model file, infers and verifies its types. A corrupt or truncated file, or one from a
// newer format version, throws bnnc::Error naming the file and the problem.
Graph load_model(const std::string& path);

}  // namespace bnnc
