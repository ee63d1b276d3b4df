#include "sim/similarity_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <vector>

#include "core/text_format.h"

namespace bnnc {

namespace {

using Json = nlohmann::ordered_json;

// Fu et al.'s averages (PAPERS.md §3.1), drawn beside ours.
constexpr double kPaperInputSimilarity = 0.78;
constexpr double kPaperWeightSimilarity = 0.59;

Json number_or_null(const std::optional<double>& value) {
  return value ? Json(*value) : Json(nullptr);
}

bool is_pool(const LayerSimilarity& l) { return l.kind == "maxpool"; }

const ReuseWork& recommended_work(const LayerSimilarity& l) {
  if (l.recommend == "input") return l.input;
  if (l.recommend == "weight") return l.weight;
  return l.plain;
}

// skipped_ops_S, _chunk, _compacted and skipped_reads_S, _chunk, _compacted.
void put_skips(Json& object, const std::string& strategy, const ReuseWork& with,
               const ReuseWork& plain, bool known) {
  const auto put = [&](const std::string& key, double w, double p) {
    object[key] = known ? Json(skipped_fraction(w, p)) : Json(nullptr);
  };
  put("skipped_ops_" + strategy, with.bit_ops, plain.bit_ops);
  put("skipped_ops_" + strategy + "_chunk", with.chunk_ops, plain.chunk_ops);
  put("skipped_ops_" + strategy + "_compacted", with.compacted_ops, plain.compacted_ops);
  put("skipped_reads_" + strategy, with.bit_reads, plain.bit_reads);
  put("skipped_reads_" + strategy + "_chunk", with.chunk_reads, plain.chunk_reads);
  put("skipped_reads_" + strategy + "_compacted", with.compacted_reads, plain.compacted_reads);
}

Json layer_json(const LayerSimilarity& l, const std::string& simd_source) {
  Json o;
  o["name"] = l.name;
  o["kind"] = l.kind;
  o["synapses"] = l.synapses;
  o["kernels"] = l.kernels;
  o["windows"] = l.windows;
  o["simd"] = is_pool(l) ? Json(nullptr) : Json(l.simd);
  o["simd_source"] =
      is_pool(l) ? Json(nullptr) : Json(l.simd_from_folding ? simd_source : "default");
  o["input_ones"] = l.input_ones;
  o["input_similarity"] = number_or_null(l.input_similarity);
  o["equal_chunks_input"] = number_or_null(l.equal_chunks_input);
  o["weight_similarity_nn"] = number_or_null(l.weight_similarity_nn);
  o["weight_similarity_mst"] = number_or_null(l.weight_similarity_mst);
  o["weight_similarity_nn_random"] = number_or_null(l.weight_similarity_nn_random);
  o["equal_chunks_weight"] = number_or_null(l.equal_chunks_weight);
  o["mst_negated_edges"] = is_pool(l) ? Json(nullptr) : Json(l.negated_edges);
  put_skips(o, "input", l.input, l.plain, !is_pool(l));
  put_skips(o, "weight", l.weight, l.plain, !is_pool(l));
  o["early_exit"] = number_or_null(l.early_exit);
  o["early_exit_chunk"] = number_or_null(l.early_exit_chunk);
  if (is_pool(l)) {
    // Per lock-step group of PE channels: decided before the last input, and inputs skipped.
    Json groups = Json::array();
    for (const LayerSimilarity::PoolGroup& g : l.pool_groups) {
      groups.push_back({{"pe", g.pe}, {"decided_early", g.decided_early}, {"skipped", g.skipped}});
    }
    o["pool_groups"] = groups;
  }
  o["recommend"] = l.recommend;
  return o;
}

template <typename Get>
Json mean_over(const SimilarityReport& report, Get get) {
  double sum = 0;
  int count = 0;
  for (const LayerSimilarity& l : report.layers) {
    const std::optional<double> value = get(l);
    if (value) {
      sum += *value;
      ++count;
    }
  }
  return count > 0 ? Json(sum / count) : Json(nullptr);
}

Json averages_json(const SimilarityReport& report) {
  Json o;
  o["input_similarity"] = mean_over(report, [](const auto& l) { return l.input_similarity; });
  o["equal_chunks_input"] = mean_over(report, [](const auto& l) { return l.equal_chunks_input; });
  o["weight_similarity_nn"] =
      mean_over(report, [](const auto& l) { return l.weight_similarity_nn; });
  o["weight_similarity_mst"] =
      mean_over(report, [](const auto& l) { return l.weight_similarity_mst; });
  o["weight_similarity_nn_random"] =
      mean_over(report, [](const auto& l) { return l.weight_similarity_nn_random; });
  o["early_exit"] = mean_over(
      report, [](const LayerSimilarity& l) { return is_pool(l) ? std::nullopt : l.early_exit; });
  o["pool_early_exit"] = mean_over(
      report, [](const LayerSimilarity& l) { return is_pool(l) ? l.early_exit : std::nullopt; });
  return o;
}

Json totals_json(const SimilarityReport& report) {
  ReuseWork plain, input, weight, recommended;
  double early_skipped = 0;
  const auto add = [](ReuseWork& sum, const ReuseWork& w) {
    sum.bit_ops += w.bit_ops;
    sum.chunk_ops += w.chunk_ops;
    sum.compacted_ops += w.compacted_ops;
    sum.bit_reads += w.bit_reads;
    sum.chunk_reads += w.chunk_reads;
    sum.compacted_reads += w.compacted_reads;
  };
  for (const LayerSimilarity& l : report.layers) {
    if (is_pool(l)) continue;
    add(plain, l.plain);
    add(input, l.input);
    add(weight, l.weight);
    add(recommended, recommended_work(l));
    early_skipped += l.early_exit_skipped;
  }
  Json o;
  put_skips(o, "input", input, plain, true);
  put_skips(o, "weight", weight, plain, true);
  put_skips(o, "recommended", recommended, plain, true);
  o["early_exit"] = skipped_fraction(plain.bit_ops - early_skipped, plain.bit_ops);
  return o;
}

std::string percent(const std::optional<double>& value) {
  return value ? fmt::format("{:.1f}", 100.0 * *value) : "-";
}

struct Bar {
  std::string label;
  std::optional<double> value;  // 0..1; no bar when empty
};

// A horizontal bar chart of fractions, one row per bar, with an optional dashed reference line.
std::string bar_chart(const std::string& title, const std::vector<Bar>& bars,
                      std::optional<double> reference, const std::string& reference_label) {
  constexpr int kRow = 18, kLabel = 200, kWidth = 400, kTop = 16;
  const int height = kTop + kRow * static_cast<int>(bars.size()) + 4;
  std::string svg = fmt::format(
      "<h2>{}</h2>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" "
      "font-family=\"sans-serif\" font-size=\"11\">\n",
      html_escape(title), kLabel + kWidth + 60, height);
  for (int tick = 0; tick <= 4; ++tick) {
    const double x = kLabel + kWidth * tick / 4.0;
    svg += fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#ddd\"/>"
        "<text x=\"{0:.1f}\" y=\"11\" text-anchor=\"middle\">{3}%</text>\n",
        x, kTop, height, tick * 25);
  }
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const int y = kTop + static_cast<int>(i) * kRow;
    svg += fmt::format("<text x=\"0\" y=\"{}\">{}</text>", y + 13, html_escape(bars[i].label));
    if (bars[i].value) {
      const double w = std::clamp(*bars[i].value, 0.0, 1.0) * kWidth;
      svg += fmt::format(
          "<rect x=\"{}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" fill=\"#4c78a8\"/>"
          "<text x=\"{:.1f}\" y=\"{}\">{:.1f}%</text>",
          kLabel, y + 3, w, kRow - 5, kLabel + w + 4, y + 13, 100.0 * *bars[i].value);
    } else {
      svg += fmt::format("<text x=\"{}\" y=\"{}\" fill=\"#888\">n/a</text>", kLabel + 4, y + 13);
    }
    svg += "\n";
  }
  if (reference) {
    const double x = kLabel + *reference * kWidth;
    svg += fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#d62728\" "
        "stroke-dasharray=\"4,3\"><title>{3}</title></line>\n",
        x, kTop, height, html_escape(reference_label));
  }
  return svg + "</svg>\n";
}

template <typename Get>
std::vector<Bar> all_bars(const SimilarityReport& report, Get get) {
  std::vector<Bar> bars;
  for (const LayerSimilarity& l : report.layers) bars.push_back({l.name, get(l)});
  return bars;
}

std::vector<Bar> matrix_bars(const SimilarityReport& report,
                             std::optional<double> (*get)(const LayerSimilarity&)) {
  std::vector<Bar> bars;
  for (const LayerSimilarity& l : report.layers) {
    if (!is_pool(l)) bars.push_back({l.name, get(l)});
  }
  return bars;
}

std::optional<double> compacted_input(const LayerSimilarity& l) {
  if (!l.input_reuse_applies) return std::nullopt;
  return skipped_fraction(l.input.compacted_ops, l.plain.compacted_ops);
}

std::optional<double> compacted_weight(const LayerSimilarity& l) {
  if (!l.weight_reuse_applies) return std::nullopt;
  return skipped_fraction(l.weight.compacted_ops, l.plain.compacted_ops);
}

}  // namespace

Json similarity_json(const SimilarityReport& report, const std::string& model,
                     const std::string& simd_source) {
  Json o;
  o["model"] = model;
  o["images"] = report.images;
  o["simd_source"] = simd_source;
  Json layers = Json::array();
  for (const LayerSimilarity& l : report.layers) layers.push_back(layer_json(l, simd_source));
  o["layers"] = std::move(layers);
  o["averages"] = averages_json(report);
  o["totals"] = totals_json(report);
  o["paper"] = {{"input_similarity", kPaperInputSimilarity},
                {"weight_similarity", kPaperWeightSimilarity}};
  return o;
}

std::string similarity_text(const SimilarityReport& report, const std::string& model,
                            const std::string& simd_source) {
  std::string text =
      fmt::format("{}: {} images; chunk width: {}\n", model, report.images, simd_source);
  text += fmt::format("{:<12} {:<8} {:>6} {:>5} {:>5} {:>7} {:>7} {:>7} {:>22} {:>22} {:>7}  {}\n",
                      "layer", "kind", "N", "K", "SIMD", "in-sim", "w-nn", "w-mst",
                      "ops skip in b/c/cmp %", "ops skip w b/c/cmp %", "early", "recommend");
  for (const LayerSimilarity& l : report.layers) {
    if (is_pool(l)) {
      text += fmt::format("{:<12} {:<8} {:>6} {:>5} {:>5} {:>7} {:>7} {:>7} {:>22} {:>22} {:>7}\n",
                          l.name, l.kind, l.synapses, l.kernels, "-", "-", "-", "-", "-", "-",
                          percent(l.early_exit));
      continue;
    }
    const auto skips = [&](const ReuseWork& w, bool applies) {
      if (!applies) return std::string("-");
      return fmt::format("{:.1f}/{:.1f}/{:.1f}", 100 * skipped_fraction(w.bit_ops, l.plain.bit_ops),
                         100 * skipped_fraction(w.chunk_ops, l.plain.chunk_ops),
                         100 * skipped_fraction(w.compacted_ops, l.plain.compacted_ops));
    };
    text +=
        fmt::format("{:<12} {:<8} {:>6} {:>5} {:>5} {:>7} {:>7} {:>7} {:>22} {:>22} {:>7}  {}\n",
                    l.name, l.kind, l.synapses, l.kernels, l.simd, percent(l.input_similarity),
                    percent(l.weight_similarity_nn), percent(l.weight_similarity_mst),
                    skips(l.input, l.input_reuse_applies), skips(l.weight, l.weight_reuse_applies),
                    percent(l.early_exit), l.recommend);
  }
  const Json averages = averages_json(report);
  const Json totals = totals_json(report);
  const auto get = [](const Json& j) {
    return j.is_null() ? std::optional<double>() : std::optional<double>(j.get<double>());
  };
  text += fmt::format(
      "averages: input similarity {} % (Fu et al. 78 %), weight similarity nearest {} % / tree {} "
      "% (Fu et al. 59 %), early exit {} %, pools {} %\n",
      percent(get(averages["input_similarity"])), percent(get(averages["weight_similarity_nn"])),
      percent(get(averages["weight_similarity_mst"])), percent(get(averages["early_exit"])),
      percent(get(averages["pool_early_exit"])));
  text += fmt::format(
      "network: ops skipped by the recommended strategies {} % of bits, {} % of whole chunks, {} "
      "% compacted; reads {} % of bits, {} % of words; early exit {} % of synapses\n",
      percent(get(totals["skipped_ops_recommended"])),
      percent(get(totals["skipped_ops_recommended_chunk"])),
      percent(get(totals["skipped_ops_recommended_compacted"])),
      percent(get(totals["skipped_reads_recommended"])),
      percent(get(totals["skipped_reads_recommended_chunk"])), percent(get(totals["early_exit"])));
  return text;
}

std::string similarity_html(const SimilarityReport& report, const std::string& model,
                            const std::string& simd_source) {
  std::string html = fmt::format(
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>bnnc similarity: {}</title>\n"
      "<style>body{{font-family:sans-serif;margin:2em}}</style></head><body>\n"
      "<h1>Similarity and early termination: {}</h1>\n<p>{} images; chunk width: {}. "
      "Dashed red lines: Fu et al.'s averages (78 % input, 59 % weight similarity).</p>\n",
      html_escape(model), html_escape(model), report.images, html_escape(simd_source));
  html +=
      bar_chart("Input similarity (adjacent windows of a row)",
                matrix_bars(report, [](const LayerSimilarity& l) { return l.input_similarity; }),
                kPaperInputSimilarity, "Fu et al. 78 %");
  html += bar_chart(
      "Weight similarity, nearest kernel (complements allowed)",
      matrix_bars(report, [](const LayerSimilarity& l) { return l.weight_similarity_nn; }),
      kPaperWeightSimilarity, "Fu et al. 59 %");
  html += bar_chart(
      "Weight similarity, parent in the minimum spanning tree (the reuse schedule)",
      matrix_bars(report, [](const LayerSimilarity& l) { return l.weight_similarity_mst; }),
      kPaperWeightSimilarity, "Fu et al. 59 %");
  html += bar_chart("Chunk operations skipped by input reuse (differing bits compacted)",
                    matrix_bars(report, compacted_input), std::nullopt, "");
  html += bar_chart("Chunk operations skipped by weight reuse (differing bits compacted)",
                    matrix_bars(report, compacted_weight), std::nullopt, "");
  html +=
      bar_chart("Equal whole SIMD chunks between adjacent windows",
                matrix_bars(report, [](const LayerSimilarity& l) { return l.equal_chunks_input; }),
                std::nullopt, "");
  html += bar_chart("Early termination: synapses (pools: window inputs) skipped",
                    all_bars(report, [](const LayerSimilarity& l) { return l.early_exit; }),
                    std::nullopt, "");
  html += "<h2>Recommended strategy</h2>\n<ul>\n";
  for (const LayerSimilarity& l : report.layers) {
    if (!is_pool(l)) html += fmt::format("<li>{}: {}</li>\n", html_escape(l.name), l.recommend);
  }
  return html + "</ul>\n</body></html>\n";
}

}  // namespace bnnc
