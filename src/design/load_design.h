// Reading back a design folder written by save_design (model.bnnc + folding.json), for the
// commands that run a compiled design: simulate, verify, synth.
#pragma once

#include <string>

#include "design/design.h"

namespace bnnc {

// The design in DIR, with everything compile_design derives but the measured timeline (the
// folder's RTL is DIR/rtl, read_rtl_manifest). Throws bnnc::Error naming DIR when it is not a
// design folder.
Design load_design(const std::string& dir);

}  // namespace bnnc
