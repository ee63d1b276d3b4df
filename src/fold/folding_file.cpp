#include "fold/folding_file.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>
#include <string_view>
#include <vector>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/read_file.h"

namespace bnnc {

namespace {

constexpr std::uint64_t kMaxFoldingFileBytes = std::uint64_t{1} << 20;

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
  if (folding.input_bits > 0) json["input_bits"] = folding.input_bits;
  if (folding.pool_words == PoolWords::Producer) json["pool_words"] = "producer";
  for (const LayerFolding& f : folding.layers) {
    nlohmann::ordered_json layer = {{"name", f.name}, {"pe", f.pe}, {"simd", f.simd}};
    if (f.mmv != 1) layer["mmv"] = f.mmv;
    layer["rows"] = f.rows;
    layer["cols"] = f.cols;
    if (f.dense_order != DenseOrder::Output) layer["dense_order"] = dense_order_name(f.dense_order);
    if (f.early_exit) layer["early_exit"] = true;
    if (f.weight_reuse) layer["weight_reuse"] = true;
    if (f.input_reuse) layer["input_reuse"] = true;
    layers.push_back(layer);
  }
  json["layers"] = layers;
  return json.dump(2) + "\n";
}

void write_folding_file(const Folding& folding, const std::string& path) {
  write_file_atomically(path, folding_json(folding));
}

Folding read_folding_file(const std::string& path, const DataflowGraph& graph) {
  // A folding names a few numbers per layer: a megabyte is thousands of layers.
  const std::vector<std::uint8_t> bytes = read_file(path, kMaxFoldingFileBytes, "a folding file");
  nlohmann::json json;
  // Keys given twice in one object: nlohmann keeps the last silently, which in bnnc's format
  // would fold a layer by whichever "pe" came last. Recorded here, refused below.
  std::vector<std::set<std::string>> open_objects;
  std::string twice;
  const auto note_keys = [&](int, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    if (event == Event::object_start) open_objects.emplace_back();
    if (event == Event::object_end && !open_objects.empty()) open_objects.pop_back();
    if (event == Event::key && !open_objects.empty() &&
        !open_objects.back().insert(parsed.get<std::string>()).second && twice.empty()) {
      twice = parsed.get<std::string>();
    }
    return true;
  };
  try {
    json = nlohmann::json::parse(bytes.begin(), bytes.end(), note_keys);
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
  const auto dense_order = [&](const nlohmann::json& entry, const std::string& where) {
    if (!entry.contains("dense_order")) return DenseOrder::Output;
    const nlohmann::json& value = entry["dense_order"];
    if (value == "output") return DenseOrder::Output;
    if (value == "input") return DenseOrder::Input;
    fail("{}: {}: \"dense_order\" must be \"output\" or \"input\", not {}", path, where,
         value.dump());
  };
  try {
    if (json.is_object() && json.contains("layers")) {
      // bnnc's own format: every key known, none twice, every layer once.
      if (!twice.empty()) fail("{}: key \"{}\" is given twice in one object", path, twice);
      for (const auto& [key, value] : json.items()) {
        if (key != "layers" && key != "input_elems" && key != "input_bits" && key != "pool_words") {
          fail(
              "{}: unknown key \"{}\" (a bnnc folding has \"layers\", \"input_elems\", "
              "\"input_bits\" and \"pool_words\")",
              path, key);
        }
      }
      if (json.contains("pool_words")) {
        const nlohmann::json& value = json["pool_words"];
        if (value == "paced") {
          folding.pool_words = PoolWords::Paced;
        } else if (value == "producer") {
          folding.pool_words = PoolWords::Producer;
        } else {
          fail("{}: \"pool_words\" must be \"paced\" or \"producer\", not {}", path, value.dump());
        }
      }
      if (!json["layers"].is_array()) fail("{}: \"layers\" must be an array", path);
      folding.input_elems = number(json, "input_elems", 0, "input");
      folding.input_bits = number(json, "input_bits", 0, "input");
      for (const auto& entry : json["layers"]) {
        if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string()) {
          fail("{}: every entry of \"layers\" needs a \"name\"", path);
        }
        const std::string name = entry["name"].get<std::string>();
        for (const auto& [key, value] : entry.items()) {
          if (key != "name" && key != "pe" && key != "simd" && key != "mmv" && key != "rows" &&
              key != "cols" && key != "dense_order" && key != "early_exit" &&
              key != "weight_reuse" && key != "input_reuse") {
            fail(
                "{}: layer '{}': unknown key \"{}\" (keys: name, pe, simd, mmv, rows, cols, "
                "dense_order, early_exit, weight_reuse, input_reuse)",
                path, name, key);
          }
        }
        for (const LayerFolding& earlier : folding.layers) {
          if (earlier.name == name) fail("{}: layer '{}' is folded twice", path, name);
        }
        const int index = graph.find(name);
        if (index < 0 || graph.blocks[index].kind != BlockKind::Mvtu) {
          fail("{}: layer '{}' is not a matrix layer of this network", path, name);
        }
        if (entry.contains("early_exit") && !entry["early_exit"].is_boolean()) {
          fail("{}: layer '{}': \"early_exit\" must be true or false", path, name);
        }
        if (entry.contains("weight_reuse") && !entry["weight_reuse"].is_boolean()) {
          fail("{}: layer '{}': \"weight_reuse\" must be true or false", path, name);
        }
        if (entry.contains("input_reuse") && !entry["input_reuse"].is_boolean()) {
          fail("{}: layer '{}': \"input_reuse\" must be true or false", path, name);
        }
        folding.layers.push_back({name, number(entry, "pe", 1, name),
                                  number(entry, "simd", 1, name), number(entry, "mmv", 1, name),
                                  number(entry, "rows", 0, name), number(entry, "cols", 0, name),
                                  dense_order(entry, name), entry.value("early_exit", false),
                                  entry.value("weight_reuse", false),
                                  entry.value("input_reuse", false)});
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
