#include "rtl/rtl_manifest.h"

#include <nlohmann/json.hpp>

#include <fstream>

namespace bnnc {

void write_rtl_manifest(const RtlDesign& design, const DataflowGraph& graph,
                        const std::filesystem::path& dir) {
  const RtlInterface& io = design.interface;
  nlohmann::ordered_json manifest;
  manifest["top"] = design.top;
  manifest["sources"] = design.sources;
  manifest["memories"] = design.memories;
  nlohmann::ordered_json instances = nlohmann::ordered_json::array();
  for (const RtlInstance& inst : design.instances) {
    instances.push_back({{"block", graph.blocks[static_cast<std::size_t>(inst.block)].name},
                         {"index", inst.block},
                         {"instance", inst.instance},
                         {"module", inst.module}});
  }
  manifest["instances"] = instances;
  manifest["interface"] = {{"input_elems", io.input_elems},
                           {"input_bits", io.input_bits},
                           {"frame_words", io.frame_words},
                           {"frame_pixels", io.frame_pixels},
                           {"class_bits", io.class_bits},
                           {"classes", io.classes},
                           {"score_lanes", io.score_lanes},
                           {"score_bits", io.score_bits},
                           {"score_signed", io.score_signed},
                           {"score_words", io.score_words},
                           {"bias", io.bias},
                           {"label_shift", io.label_shift}};
  const std::filesystem::path path = dir / "rtl.json";
  std::ofstream out(path, std::ios::binary);
  out << manifest.dump(2) << "\n";
  if (!out) fail("{}: cannot write", path.string());
}

RtlDesign read_rtl_manifest(const std::filesystem::path& dir) {
  const std::filesystem::path path = dir / "rtl.json";
  std::ifstream in(path);
  if (!in) fail("{}: no RTL here (no rtl.json; run bnnc compile ... --out DIR)", dir.string());
  RtlDesign design;
  try {
    const nlohmann::json json = nlohmann::json::parse(in);
    design.top = json.at("top").get<std::string>();
    design.sources = json.at("sources").get<std::vector<std::string>>();
    design.memories = json.at("memories").get<std::vector<std::string>>();
    for (const auto& inst : json.at("instances")) {
      design.instances.push_back({inst.at("index").get<int>(),
                                  inst.at("instance").get<std::string>(),
                                  inst.at("module").get<std::string>()});
    }
    const auto& io = json.at("interface");
    RtlInterface& r = design.interface;
    r.input_elems = io.at("input_elems").get<int>();
    r.input_bits = io.at("input_bits").get<int>();
    r.frame_words = io.at("frame_words").get<std::int64_t>();
    r.frame_pixels = io.value("frame_pixels", r.frame_words * r.input_elems);
    r.class_bits = io.at("class_bits").get<int>();
    r.classes = io.at("classes").get<int>();
    r.score_lanes = io.at("score_lanes").get<int>();
    r.score_bits = io.at("score_bits").get<int>();
    r.score_signed = io.at("score_signed").get<bool>();
    r.score_words = io.at("score_words").get<int>();
    r.bias = io.at("bias").get<std::vector<std::int64_t>>();
    r.label_shift = io.value("label_shift", 0);  // absent in folders of older bnnc versions
    if (r.label_shift < 0 || r.label_shift > kMaxLabelShift) {
      fail("{}: label_shift {} is outside 0..{}", path.string(), r.label_shift, kMaxLabelShift);
    }
  } catch (const nlohmann::json::exception& e) {
    fail("{}: not a bnnc RTL manifest ({})", path.string(), e.what());
  }
  for (const std::string& file : design.sources) {
    if (!std::filesystem::exists(dir / file))
      fail("{}: missing (listed in rtl.json)", (dir / file).string());
  }
  return design;
}

}  // namespace bnnc
