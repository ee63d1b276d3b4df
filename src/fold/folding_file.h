// Folding files are JSON, either bnnc's own
//   {"layers": [{"name": "conv0", "pe": 16, "simd": 3}, {"name": "fc8", "pe": 4, "simd": 1,
//                "rows": 64}, ...]}
// or FINN's folding_config.json, whose MVAU entries ("MatrixVectorActivation_0",
// "StreamingFCLayer_Batch_3", "MVAU_hls_1", ...) are taken in order (PE, SIMD; other entries and
// keys are ignored).
#pragma once

#include <string>

#include "fold/folding.h"

namespace bnnc {

// Reads a folding file for `graph` (names checked against its MVTUs; MVTUs the file does not
// mention keep PE = SIMD = 1). Throws bnnc::Error naming the file, the layer and the problem.
Folding read_folding_file(const std::string& path, const DataflowGraph& graph);
void write_folding_file(const Folding& folding, const std::string& path);
std::string folding_json(const Folding& folding);

}  // namespace bnnc
