// The one door through which CLI commands read a network, so that a new format (ONNX) is added
// in one place.
#pragma once

#include <string>

#include "ir/graph.h"

namespace bnnc::cli {

// True when PATH names an ONNX file (by its extension: ONNX has no magic number to test).
bool is_onnx_path(const std::string& path);

// Reads a bnnc model file, or imports an ONNX file (types inferred and verified, streamlined). A
// missing path or a folder throws bnnc::Error naming the path and what to do instead.
Graph load_network(const std::string& path);

}  // namespace bnnc::cli
