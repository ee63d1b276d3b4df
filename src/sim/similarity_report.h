// What bnnc similarity prints: the figures of a SimilarityReport as one JSON object, as a
// readable table, and as a small self-contained HTML page (inline SVG bars per layer, Fu et al.'s
// 78 % and 59 % marked; nothing fetched).
//
// Network figures come two ways: `averages` are plain means over the layers that have the
// figure (how Fu et al. state theirs), `totals` weigh each layer by its plain work (what a
// whole-network engine would skip; a strategy that does not apply to a layer counts that layer's
// plain work).
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "sim/similarity.h"

namespace bnnc {

// simd_source says where the chunk width came from ("folding FILE" or "default 32").
nlohmann::ordered_json similarity_json(const SimilarityReport& report, const std::string& model,
                                       const std::string& simd_source);
std::string similarity_text(const SimilarityReport& report, const std::string& model,
                            const std::string& simd_source);
std::string similarity_html(const SimilarityReport& report, const std::string& model,
                            const std::string& simd_source);

}  // namespace bnnc
