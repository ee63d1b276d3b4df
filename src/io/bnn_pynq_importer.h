// Imports BNN-PYNQ's trained parameter folders (per-PE weight and threshold files, as described
// in ../shared/external/SOURCES.md) into a streamlined bnnc graph.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace bnnc {

enum class BnnPynqTopology { Lfc, Cnv };

// Parses "lfc" / "cnv"; anything else throws bnnc::Error naming the flag value.
BnnPynqTopology parse_bnn_pynq_topology(const std::string& name);

// Reads FOLDER (e.g. params/mnist/lfcW1A1) as the given topology and returns an integer-only
// graph with inferred types. A missing or truncated file, or a folder that does not match the
// topology, throws bnnc::Error naming the file and the problem.
Graph import_bnn_pynq(const std::string& folder, BnnPynqTopology topology);

// CNV's input quantizer as a quantize table: uint8 pixel → fixed<8,7>, round(128·(p/255·2 − 1))
// saturated to −128..127 (BNN-PYNQ's ap_fixed<8,1,AP_RND,AP_SAT>).
std::vector<std::int32_t> cnv_input_table();

}  // namespace bnnc
