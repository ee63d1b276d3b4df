#include "fold/folding.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <optional>
#include <string_view>

#include "core/ceil_div.h"

namespace bnnc {

namespace {

template <typename... Args>
[[noreturn]] void reject(const Block& b, fmt::format_string<Args...> format, Args&&... args) {
  fail("layer '{}': {}", b.name, fmt::format(format, std::forward<Args>(args)...));
}

void fold_mvtu(Block& b, const LayerFolding& f) {
  if (f.pe < 1 || f.simd < 1 || f.mmv < 1) {
    reject(b, "pe, simd and mmv must be ≥ 1: pe {}, simd {}, mmv {}", f.pe, f.simd, f.mmv);
  }
  const std::int64_t rows = f.rows > 0 ? f.rows : round_up(b.mh, f.pe);
  const std::int64_t cols = f.cols > 0 ? f.cols : round_up(b.mw, f.simd);
  if (rows < b.mh) reject(b, "padded rows {} are fewer than the layer's {} rows", rows, b.mh);
  if (cols < b.mw) reject(b, "padded columns {} are fewer than the layer's {}", cols, b.mw);
  if (rows % f.pe != 0) reject(b, "PE {} must divide the (padded) rows {}", f.pe, rows);
  if (cols % f.simd != 0) reject(b, "SIMD {} must divide the (padded) columns {}", f.simd, cols);
  const bool conv = b.is_conv();
  if (conv && cols != b.mw) {
    reject(b, "a convolution's columns cannot be padded: SIMD {} must divide K·K·C = {}", f.simd,
           b.mw);
  }
  if (conv && b.simd_channels() % f.simd != 0) {
    reject(b,
           "SIMD {} must divide the input channels {} (the SWU emits one channel group at a "
           "time)",
           f.simd, b.simd_channels());
  }
  if (f.mmv > 1 && (!conv || b.ofm_w % f.mmv != 0)) {
    reject(b, "MMV {} must divide the output width {} of a convolution", f.mmv, b.ofm_w);
  }
  b.pe = f.pe, b.simd = f.simd, b.mmv = f.mmv;
  b.mh_padded = static_cast<int>(rows), b.mw_padded = static_cast<int>(cols);
  b.in_elems = f.simd * f.mmv;
  b.out_elems = f.pe * f.mmv;
  b.cycles = b.nf() * b.sf() * b.pixels_out() / f.mmv;
}

// The largest divisor of n that is ≤ limit (stream words must tile a pixel's channels).
int divisor_at_most(int n, int limit) {
  for (int d = std::max(1, std::min(n, limit)); d > 1; --d) {
    if (n % d == 0) return d;
  }
  return 1;
}

// FINN's per-layer keys: "MatrixVectorActivation_3", "StreamingFCLayer_Batch_0", "MVAU_hls_2":
// a known prefix, word characters, then "_<index>". Other keys ("Defaults", "Thresholding_0")
// yield nothing.
std::optional<std::size_t> finn_mvau_index(std::string_view key) {
  static constexpr std::string_view kPrefixes[] = {"MatrixVectorActivation",
                                                   "StreamingFCLayer_Batch", "MVAU"};
  if (std::none_of(std::begin(kPrefixes), std::end(kPrefixes),
                   [&](std::string_view p) { return key.starts_with(p); })) {
    return std::nullopt;
  }
  const auto is_word = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  };
  if (!std::all_of(key.begin(), key.end(), is_word)) return std::nullopt;
  const auto underscore = key.rfind('_');
  const auto digits = key.substr(underscore + 1);
  if (underscore == std::string_view::npos || digits.empty() || digits.size() > 9 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  std::size_t index = 0;
  for (char c : digits) index = index * 10 + static_cast<std::size_t>(c - '0');
  return index;
}

}  // namespace

Folding folding_of(const DataflowGraph& graph) {
  Folding folding;
  if (!graph.blocks.empty()) folding.input_elems = graph.blocks[0].out_elems;
  for (int i : graph.mvtus()) {
    const Block& b = graph.blocks[i];
    folding.layers.push_back({b.name, b.pe, b.simd, b.mmv, b.mh_padded, b.mw_padded});
  }
  return folding;
}

DataflowGraph apply_folding(const DataflowGraph& graph, const Folding& folding) {
  DataflowGraph out;
  out.ir = graph.ir;
  out.blocks = fold_blocks(graph.blocks, folding);
  return out;
}

std::vector<Block> fold_blocks(std::vector<Block> blocks, const Folding& folding) {
  // 1. MVTUs take their folding.
  for (Block& b : blocks) {
    if (b.kind != BlockKind::Mvtu) continue;
    LayerFolding f{b.name};
    for (const LayerFolding& candidate : folding.layers) {
      if (candidate.name == b.name) f = candidate;
    }
    fold_mvtu(b, f);
  }
  // 2. Blocks feeding an MVTU (SWU, padding) stream its SIMD; the others keep their producer's
  //    width where it tiles their channels.
  for (int i = static_cast<int>(blocks.size()) - 2; i >= 0; --i) {
    Block& b = blocks[i];
    if (b.kind != BlockKind::Swu && b.kind != BlockKind::FmPadding) continue;
    const Block& next = blocks[i + 1];
    if (b.kind == BlockKind::Swu) {
      b.out_elems = next.in_elems;            // MMV windows side by side
      b.in_elems = next.in_elems / next.mmv;  // reads SIMD channels of one pixel at a time
    } else {
      b.in_elems = b.out_elems = next.in_elems;
    }
  }
  for (Block& b : blocks) {
    const Block* producer = b.inputs.empty() ? nullptr : &blocks[b.inputs[0]];
    switch (b.kind) {
      case BlockKind::Input: {
        const std::int64_t total = b.elements_out();
        const int elems = folding.input_elems > 0 ? folding.input_elems : b.ofm_c;
        if (total % elems != 0) {
          fail("layer '{}': {} elements per input word must divide the {} input elements", b.name,
               elems, total);
        }
        b.in_elems = b.out_elems = elems;
        b.cycles = total / elems;
        break;
      }
      case BlockKind::Thresholding:
      case BlockKind::StreamingMaxPool:
      case BlockKind::LabelSelect:
      case BlockKind::Duplicate:
      case BlockKind::AddStreams:  // its second input gets a width converter when it differs
        b.in_elems = b.out_elems = divisor_at_most(b.ifm_c, producer->out_elems);
        if (b.kind == BlockKind::LabelSelect) b.out_elems = 1;
        b.cycles = b.elements_in() / b.in_elems;
        break;
      case BlockKind::FmPadding: b.cycles = b.elements_out() / b.out_elems; break;
      case BlockKind::Swu:
        // Reads the image once and writes every window once.
        b.cycles = std::max(b.elements_in() / b.in_elems, b.elements_out() / b.out_elems);
        break;
      case BlockKind::Mvtu:
      case BlockKind::Dwc:
      case BlockKind::Count: break;
    }
  }
  // 3. Width converters where a producer's word differs from its consumer's.
  std::vector<Block> out;
  std::vector<int> index_map(blocks.size());
  for (int i = 0; i < static_cast<int>(blocks.size()); ++i) {
    Block b = blocks[i];
    for (std::size_t slot = 0; slot < b.inputs.size(); ++slot) {
      int& input = b.inputs[slot];
      input = index_map[input];
      const Block& producer = out[input];
      if (producer.out_elems == b.in_elems) continue;
      Block dwc;
      dwc.name = b.name + (slot == 0 ? ".dwc" : fmt::format(".dwc{}", slot));
      dwc.kind = BlockKind::Dwc;
      dwc.inputs = {input};
      dwc.layer = b.layer;
      dwc.ifm_h = dwc.ofm_h = producer.ofm_h;
      dwc.ifm_w = dwc.ofm_w = producer.ofm_w;
      dwc.ifm_c = dwc.ofm_c = producer.ofm_c;
      dwc.in_bits = dwc.out_bits = producer.out_bits;
      dwc.in_elems = producer.out_elems;
      dwc.out_elems = b.in_elems;
      dwc.cycles = ceil_div(dwc.elements_out(), std::min(dwc.in_elems, dwc.out_elems));
      out.push_back(dwc);
      input = static_cast<int>(out.size()) - 1;
    }
    out.push_back(b);
    index_map[i] = static_cast<int>(out.size()) - 1;
  }
  return out;
}

std::string folding_json(const Folding& folding) {
  nlohmann::ordered_json layers = nlohmann::ordered_json::array();
  nlohmann::ordered_json json;
  if (folding.input_elems > 0) json["input_elems"] = folding.input_elems;
  for (const LayerFolding& f : folding.layers) {
    nlohmann::ordered_json layer = {{"name", f.name}, {"pe", f.pe}, {"simd", f.simd}};
    if (f.mmv != 1) layer["mmv"] = f.mmv;
    layer["rows"] = f.rows;
    layer["cols"] = f.cols;
    layers.push_back(layer);
  }
  json["layers"] = layers;
  return json.dump(2) + "\n";
}

void write_folding_file(const Folding& folding, const std::string& path) {
  std::ofstream out(path);
  out << folding_json(folding);
  if (!out) fail("{}: cannot write the folding file", path);
}

Folding read_folding_file(const std::string& path, const DataflowGraph& graph) {
  std::ifstream in(path);
  if (!in) fail("{}: no such folding file", path);
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    fail("{}: not valid JSON ({})", path, e.what());
  }
  const std::vector<int> mvtus = graph.mvtus();
  Folding folding;
  const auto number = [&](const nlohmann::json& entry, const char* key, int fallback,
                          const std::string& where) {
    if (!entry.contains(key)) return fallback;
    if (!entry[key].is_number_integer())
      fail("{}: {}: \"{}\" must be an integer", path, where, key);
    const auto value = entry[key].get<long long>();
    if (value < 0 || value > (1 << 24))
      fail("{}: {}: \"{}\" = {} is out of range", path, where, key, value);
    return static_cast<int>(value);
  };
  try {
    if (json.is_object() && json.contains("layers")) {
      if (!json["layers"].is_array()) fail("{}: \"layers\" must be an array", path);
      folding.input_elems = number(json, "input_elems", 0, "input");
      for (const auto& entry : json["layers"]) {
        if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string()) {
          fail("{}: every entry of \"layers\" needs a \"name\"", path);
        }
        const std::string name = entry["name"].get<std::string>();
        const int index = graph.find(name);
        if (index < 0 || graph.blocks[index].kind != BlockKind::Mvtu) {
          fail("{}: layer '{}' is not a matrix layer of this network", path, name);
        }
        folding.layers.push_back({name, number(entry, "pe", 1, name),
                                  number(entry, "simd", 1, name), number(entry, "mmv", 1, name),
                                  number(entry, "rows", 0, name), number(entry, "cols", 0, name)});
      }
      return folding;
    }
    // FINN's folding_config.json: {"Defaults": {...}, "MatrixVectorActivation_0": {"PE": ..}}.
    if (!json.is_object()) fail("{}: expected a JSON object", path);
    for (const auto& [key, entry] : json.items()) {
      const auto k = finn_mvau_index(key);
      if (!k) continue;
      if (*k >= mvtus.size()) {
        fail("{}: {} names MVAU {} but the network has {} matrix layers", path, key, *k,
             mvtus.size());
      }
      folding.layers.push_back({graph.blocks[mvtus[*k]].name, number(entry, "PE", 1, key),
                                number(entry, "SIMD", 1, key), 1, 0, 0});
    }
  } catch (const nlohmann::json::exception& e) {
    fail("{}: {}", path, e.what());
  }
  if (folding.layers.empty()) fail("{}: no layer foldings found", path);
  return folding;
}

}  // namespace bnnc
