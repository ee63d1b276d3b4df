#include "fold/folding_file.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <optional>
#include <string_view>

namespace bnnc {

namespace {

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
