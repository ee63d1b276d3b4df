// Writes a streamlined bnnc graph as QONNX: binary weights as float ±1 initializers behind
// BipolarQuant (qonnx.custom_op.general), thresholds as FINN MultiThreshold
// (finn.custom_op.general, out_scale 2, out_bias −1: a bipolar output), NCHW layout. Importing
// the file back gives the same predictions (the exporter writes only what the importer reads
// exactly).
#pragma once

#include <string>

#include "ir/graph.h"

namespace bnnc {

// Throws bnnc::Error naming the layer the exporter cannot write yet.
void export_onnx(const Graph& graph, const std::string& path);

}  // namespace bnnc
