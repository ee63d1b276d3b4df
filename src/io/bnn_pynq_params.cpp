#include "io/bnn_pynq_params.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>

#include "core/error.h"
#include "core/read_file.h"

namespace bnnc {

namespace {

namespace fs = std::filesystem;

// |threshold| beyond this is no trained value (they are popcounts or fixed-point sums of at most
// a few thousand terms; padding rows hold 32767): a larger one means a corrupt file.
constexpr std::int64_t kMaxThreshold = std::int64_t{1} << 40;

std::string file_path(const std::string& folder, int layer, int pe, const char* kind) {
  return (fs::path(folder) / fmt::format("{}-{}-{}.bin", layer, pe, kind)).string();
}

// The whole of one PE file, which must hold exactly `expected` bytes.
std::vector<std::uint8_t> read_pe_file(const std::string& path, std::int64_t expected,
                                       const std::string& topology, const BnnPynqLayerSpec& layer) {
  std::error_code error;
  const fs::file_status status = fs::status(path, error);
  if (!fs::exists(status)) {
    fail("{}: missing ({} layer {} has {} PE files)", path, topology, layer.index, layer.pe);
  }
  if (!fs::is_regular_file(status)) fail("{}: not a regular file", path);
  const std::uintmax_t size = fs::file_size(path, error);
  if (error) fail("{}: cannot read its size: {}", path, error.message());
  if (size != static_cast<std::uintmax_t>(expected)) {
    fail("{}: {} bytes, {} layer {} expects {}", path, size, topology, layer.index, expected);
  }
  // Read through read_file, which cannot block: the checks above looked at the name, and another
  // file (a FIFO) may stand there by the time it is opened.
  std::vector<std::uint8_t> bytes =
      read_file(path, static_cast<std::uint64_t>(expected), "a BNN-PYNQ parameter file");
  if (bytes.size() != static_cast<std::size_t>(expected)) {
    fail("{}: {} bytes, {} layer {} expects {}", path, bytes.size(), topology, layer.index,
         expected);
  }
  return bytes;
}

std::uint64_t word_at(const std::vector<std::uint8_t>& bytes, std::int64_t index) {
  std::uint64_t word = 0;
  for (int i = 0; i < 8; ++i) {
    word |= std::uint64_t{bytes[static_cast<std::size_t>(index * 8 + i)]} << (8 * i);
  }
  return word;
}

// Parses "L-P-weights.bin" into (L, P); false for any other name.
bool parse_weights_name(const std::string& name, int& layer, int& pe) {
  const std::string suffix = "-weights.bin";
  if (name.size() <= suffix.size() || !name.ends_with(suffix)) return false;
  const std::string stem = name.substr(0, name.size() - suffix.size());
  const std::size_t dash = stem.find('-');
  if (dash == std::string::npos) return false;
  const auto number = [](const std::string& digits, int& out) {
    if (digits.empty() || digits.size() > 6) return false;
    for (char c : digits) {
      if (c < '0' || c > '9') return false;
    }
    out = std::stoi(digits);
    return true;
  };
  return number(stem.substr(0, dash), layer) && number(stem.substr(dash + 1), pe);
}

}  // namespace

void check_bnn_pynq_folder(const std::string& folder, const std::string& topology,
                           const std::vector<BnnPynqLayerSpec>& layers) {
  std::error_code error;
  const fs::file_status status = fs::status(folder, error);
  if (!fs::exists(status)) fail("{}: no such folder", folder);
  if (!fs::is_directory(status)) {
    fail("{}: not a folder (expected a BNN-PYNQ params folder)", folder);
  }

  // Highest PE index seen per layer index.
  std::map<int, int> highest_pe;
  try {
    for (const fs::directory_entry& entry : fs::directory_iterator(folder)) {
      int layer = 0, pe = 0;
      if (parse_weights_name(entry.path().filename().string(), layer, pe)) {
        int& highest = highest_pe.try_emplace(layer, pe).first->second;
        highest = std::max(highest, pe);
      }
    }
  } catch (const fs::filesystem_error& e) {
    fail("{}: cannot list the folder: {}", folder, e.code().message());
  }

  const std::string prefix = fmt::format("{} does not look like BNN-PYNQ {}", folder, topology);
  const int layer_count = static_cast<int>(layers.size());
  if (highest_pe.empty()) {
    fail("{}: it holds no L-P-weights.bin files ({} has {} layers)", prefix, topology, layer_count);
  }
  const int last_layer = highest_pe.rbegin()->first;
  if (last_layer >= layer_count) {
    fail("{}: it has weight files of layer {}, {} has {} layers (0..{})", prefix, last_layer,
         topology, layer_count, layer_count - 1);
  }
  for (const BnnPynqLayerSpec& layer : layers) {
    const auto it = highest_pe.find(layer.index);
    if (it == highest_pe.end()) continue;  // reported as a missing file when it is read
    if (it->second >= layer.pe) {
      fail("{}: it has {}, {} layer {} has {} PEs", prefix,
           fs::path(file_path(folder, layer.index, it->second, "weights")).filename().string(),
           topology, layer.index, layer.pe);
    }
  }
  if (last_layer < layer_count - 1) {
    fail("{}: it has weight files of layers 0..{} only, {} has {} layers (0..{})", prefix,
         last_layer, topology, layer_count, layer_count - 1);
  }
}

BnnPynqLayer read_bnn_pynq_layer(const std::string& folder, const std::string& topology,
                                 const BnnPynqLayerSpec& layer) {
  BNNC_ASSERT(layer.rows % layer.pe == 0 && layer.cols % layer.simd == 0 && layer.simd <= 64 &&
                  layer.used_rows <= layer.rows && layer.used_cols <= layer.cols,
              "{} layer {}: bad layer spec", topology, layer.index);
  const int sf = layer.synapse_fold();
  BnnPynqLayer result;
  result.weights = BinaryMatrix(layer.used_rows, layer.used_cols);
  if (layer.has_thresholds) result.thresholds.assign(static_cast<std::size_t>(layer.used_rows), 0);

  for (int pe = 0; pe < layer.pe; ++pe) {
    const std::string weights_path = file_path(folder, layer.index, pe, "weights");
    const std::vector<std::uint8_t> weights =
        read_pe_file(weights_path, layer.words_per_pe() * 8, topology, layer);
    // Row r = slot·PE + pe of the matrix is this PE's local slot `slot`.
    for (int slot = 0; slot < layer.neuron_fold(); ++slot) {
      const int row = slot * layer.pe + pe;
      if (row >= layer.used_rows) continue;
      for (int j = 0; j < sf; ++j) {
        const std::uint64_t word = word_at(weights, static_cast<std::int64_t>(slot) * sf + j);
        for (int i = 0; i < layer.simd; ++i) {
          const int col = j * layer.simd + i;
          if (col < layer.used_cols) result.weights.set(row, col, (word >> i) & 1U);
        }
      }
    }
    if (!layer.has_thresholds) continue;
    const std::string thres_path = file_path(folder, layer.index, pe, "thres");
    const std::vector<std::uint8_t> thresholds = read_pe_file(
        thres_path, static_cast<std::int64_t>(layer.neuron_fold()) * 8, topology, layer);
    for (int slot = 0; slot < layer.neuron_fold(); ++slot) {
      const auto value = static_cast<std::int64_t>(word_at(thresholds, slot));
      if (value < -kMaxThreshold || value > kMaxThreshold) {
        fail("{}: threshold {} of slot {} is out of range (|t| ≤ 2^40)", thres_path, value, slot);
      }
      const int row = slot * layer.pe + pe;
      if (row < layer.used_rows) result.thresholds[static_cast<std::size_t>(row)] = value;
    }
  }
  return result;
}

}  // namespace bnnc
