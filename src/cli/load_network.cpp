#include "cli/load_network.h"

#include <cctype>
#include <filesystem>

#include "core/error.h"
#include "io/model_file.h"
#include "io/onnx_importer.h"
#include "passes/streamline.h"

namespace bnnc::cli {

bool is_onnx_path(const std::string& path) {
  std::string extension = std::filesystem::path(path).extension().string();
  for (char& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return extension == ".onnx";
}

Graph load_network(const std::string& path) {
  std::error_code error;
  const std::filesystem::file_status status = std::filesystem::status(path, error);
  // A missing, unreadable or special file is the readers' to name (core/read_file.h).
  if (std::filesystem::is_directory(status)) {
    fail(
        "{}: is a folder, not a bnnc model (a BNN-PYNQ params folder must be imported first: "
        "bnnc import {} --topology lfc|cnv --out MODEL.bnnc)",
        path, path);
  }
  if (is_onnx_path(path)) return streamline(import_onnx(path));
  return load_model(path);
}

}  // namespace bnnc::cli
