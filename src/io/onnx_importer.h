// Imports an ONNX model of a BNN — QONNX (Brevitas: BipolarQuant), FINN-ONNX (MultiThreshold)
// or a plain torch.onnx.export with Sign activations — into a bnnc graph, which the caller
// streamlines (passes/streamline.h) into the integer-only graph the engines run.
//
// Conventions (docs in README "ONNX"):
//  - ONNX is NCHW, bnnc NHWC: conv weights become rows in (ky, kx, c) order, and a flatten of a
//    C×H×W tensor before a MatMul becomes a permutation of that layer's weight columns.
//  - The network's input is uint8 pixels. A graph whose first op divides its input by 255 takes
//    raw pixels (FINN); any other graph gets pixel/255 (Brevitas/torchvision's ToTensor), as a
//    float32 division in front of it.
//  - Sign(0): ONNX says 0, bnnc says +1 (the STE convention, and BipolarQuant's x ≥ 0 → +1).
//    A Sign of activations keeps ONNX's meaning (SignAttrs::zero_gives_zero): the streamliner
//    refuses it where its input can be exactly 0, and elsewhere the two agree. A Sign of
//    constants is folded with bnnc's meaning. Comparisons + Where (torch.where(x >= 0, 1., -1.))
//    decide ties as the comparison does.
//  - Padding: a Conv's pads are zeros: raw value 0 on pixels and fixed point, and on ±1
//    activations a zero-padded conv (ir/op.h PadMode::Zero), exact in every engine that runs it.
//    A constant Pad right before a Conv gives the border its constant (−1/+1 on ±1 activations:
//    the 1-bit datapath; 0: zero padding; pixels and fixed point: the raw value).
//  - Mul/Add/Sub/Div by scalar or per-channel constants become affine ops that the streamliner
//    absorbs into thresholds or drops before the label-select; what cannot become integer-only
//    is refused there, naming the first layer that blocks.
// The importer's state and its op table: io/onnx_importer_state.h.
#pragma once

#include <string>
#include <string_view>

#include "ir/graph.h"

namespace bnnc {

// Reads PATH and returns the graph as read, with inferred types, not yet streamlined. Throws
// bnnc::Error naming the file, and the node (name, op type, domain) where the graph cannot be
// imported.
Graph import_onnx(const std::string& path);

// The same from bytes in memory (`where` names them in errors): the fuzz target's entry.
Graph import_onnx_bytes(std::string_view bytes, const std::string& where);

// The importer splits some ONNX nodes into a bnnc layer and float steps named
// '<node>.<step>' (a Gemm's '.pixel_step0', '.scale', '.bias'; a pool's '.mean'; ...). For such a
// name, the ONNX node's name and the step ("/fc/Gemm.scale" → {"/fc/Gemm", "scale"}); for any
// other name, {name, ""}. Errors after import name the node the user wrote.
struct ImportedName {
  std::string node;
  std::string step;
};
ImportedName split_imported_name(const std::string& name);

}  // namespace bnnc
