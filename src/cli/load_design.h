// Reading back a design folder written by bnnc compile (model.bnnc + folding.json), for the
// commands that run a compiled design: simulate, verify, synth.
#pragma once

#include <filesystem>
#include <string>

#include "fold/dataflow_graph.h"

namespace bnnc::cli {

// The folded dataflow graph of DIR. Throws bnnc::Error naming DIR when it is not a design.
DataflowGraph load_design(const std::string& dir);

}  // namespace bnnc::cli
