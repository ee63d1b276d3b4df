// The part table (src/fold/device.h), where memories go on each part, and `bnnc compile --device`
// on the shipped models: what the report says and what it refuses.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>

#include "design/load_design.h"
#include "fold/choose_folding.h"
#include "fold/device.h"
#include "fold/estimate_resources.h"
#include "fold/lower_to_dataflow.h"
#include "integer_mvtu_block.h"
#include "io/model_file.h"
#include "residual_network.h"
#include "test_support.h"

namespace bnnc {
namespace {

TEST(Device, TableHoldsTheVendorsCounts) {
  const Device& z7020 = find_device("xc7z020");
  EXPECT_EQ(z7020.luts, 53'200);
  EXPECT_EQ(z7020.ffs, 106'400);
  EXPECT_EQ(z7020.lutram_luts, 17'400);
  EXPECT_EQ(z7020.bram18(), 280);
  EXPECT_EQ(z7020.urams, 0);
  EXPECT_EQ(z7020.dsps, 220);
  EXPECT_EQ(find_device("xczu3eg").bram36, 216);
  EXPECT_EQ(find_device("xc7z045").luts, 218'600);
  EXPECT_EQ(find_device("xcku115").dsps, 5'520);
  const Device& vu9p = find_device("XCVU9P");  // case-insensitive
  EXPECT_EQ(vu9p.luts, 1'182'240);
  EXPECT_EQ(vu9p.urams, 960);
  EXPECT_EQ(known_devices().size(), 5u);
  EXPECT_EQ(known_device_names(), "xc7z020, xczu3eg, xc7z045, xcku115, xcvu9p");
  // Caps: 80 % of the LUTs, 90 % of the hard blocks, rounded down.
  const DeviceCaps caps = device_caps(z7020);
  EXPECT_EQ(caps.luts, 42'560);
  EXPECT_EQ(caps.bram18, 252);
  EXPECT_EQ(caps.dsps, 198);
  EXPECT_EQ(device_caps(vu9p).urams, 864);
  EXPECT_THROW(find_device("xc7z010"), Error);
}

TEST(Device, SmallMemoriesGoToLutsLargeDeepOnesToUram) {
  const Device& z7020 = find_device("xc7z020");
  const Device& ku115 = find_device("xcku115");
  const Device& vu9p = find_device("xcvu9p");
  // 64 × 32: a few dozen LUTs, a whole BRAM18 or URAM otherwise.
  for (const Device& d : known_devices()) EXPECT_EQ(place_memory(64, 32, d), MemoryKind::Lutram);
  // 512 × 36: exactly one RAMB18.
  EXPECT_EQ(place_memory(512, 36, z7020), MemoryKind::Bram);
  EXPECT_EQ(place_memory(512, 36, vu9p), MemoryKind::Bram);
  // 32K × 72 (2.3 Mbit): 8 URAMs on a VU9P, 128 BRAM18s where there is no URAM.
  EXPECT_EQ(urams_for(32768, 72), 8);
  EXPECT_EQ(bram18_for(32768, 72), 128);
  EXPECT_EQ(place_memory(32768, 72, vu9p), MemoryKind::Uram);
  EXPECT_EQ(place_memory(32768, 72, ku115), MemoryKind::Bram);
  // The estimate counts each kind where it was placed.
  const Resources deep = estimate_rom(32768, 72, &vu9p);
  EXPECT_EQ(deep.urams, 8);
  EXPECT_EQ(deep.bram18, 0);
  EXPECT_EQ(estimate_rom(32768, 72, &ku115).bram18, 128);
  EXPECT_EQ(estimate_rom(64, 32, &vu9p).bram18 + estimate_rom(64, 32, &vu9p).urams, 0);
  // Without a part: Yosys's mapping, unchanged (no URAM).
  EXPECT_EQ(estimate_rom(32768, 72).urams, 0);
  EXPECT_EQ(estimate_rom(32768, 72).bram18, 128);
}

TEST(Device, OverflowNamesTheResourceAndBothNumbers) {
  const Device& z7020 = find_device("xc7z020");
  EXPECT_EQ(device_overflow({42'560, 0, 0, 252, 0, 198}, z7020), std::nullopt);
  EXPECT_EQ(device_overflow({152'000, 0, 0, 0, 0, 0}, z7020),
            "needs 152,000 LUTs but xc7z020 has 53,200 (cap 80 %: 42,560)");
  EXPECT_EQ(device_overflow({0, 0, 0, 253, 0, 0}, z7020),
            "needs 253 BRAM18 but xc7z020 has 280 (cap 90 %: 252)");
  EXPECT_EQ(device_overflow({0, 0, 0, 0, 1, 0}, z7020),
            "needs 1 URAMs but xc7z020 has 0 (cap 90 %: 0)");
}

// LFC at 128 cycles per frame keeps all its weights in LUTs (cheaper than BRAM one by one):
// 101,494 LUTs, over a Pynq-Z1's cap, while its BRAM is empty. On the part, estimate_graph moves
// weight ROMs into the BRAM until it is full.
TEST(Device, OverfullLutsMoveWeightsIntoFreeBram) {
  const DataflowGraph lowered =
      lower_to_dataflow(load_model(std::string(BNNC_SOURCE_DIR) + "/models/lfc.bnnc"));
  const DataflowGraph design = apply_folding(lowered, choose_folding_for_cycles(lowered, 128));
  const Estimate plain = estimate_graph(design);
  const Device& z7020 = find_device("xc7z020");
  const Estimate on_part = estimate_graph(design, &z7020);
  EXPECT_EQ(plain.total.bram18, 0);
  EXPECT_LT(on_part.total.luts, plain.total.luts);
  EXPECT_GT(on_part.total.bram18, 0);
  EXPECT_LE(on_part.total.bram18, device_caps(z7020).bram18);
  int in_bram = 0;
  for (const auto& kind : on_part.weights) in_bram += kind == MemoryKind::Bram ? 1 : 0;
  EXPECT_GT(in_bram, 0);
}

// A join's table (thresholds selected by the shortcut's value, docs/residual.md) is a ROM per
// lane of C/G·span words of table_bits, placed as an MVTU's weights are: where place_memory puts
// one lane's ROM, counted lanes times, and recorded as the block's `weights` (so the rebalancing
// can move it and the RTL gets its style). In BRAM or URAM it costs no ROM LUTs.
TEST(Device, JoinTablesArePlacedLikeWeights) {
  test::Residual net = test::residual_network(32, 6, 1, 8, 2);
  test::add_join_table(net, 8);
  const DataflowGraph design = apply_folding(lower_to_dataflow(net.graph), {});
  const auto join = std::ranges::find_if(
      design.blocks, [](const Block& b) { return b.kind == BlockKind::AddStreams; });
  ASSERT_NE(join, design.blocks.end());
  ASSERT_GT(join->table_span, 0);
  const std::int64_t depth = join_table_depth(*join);
  EXPECT_EQ(depth, static_cast<std::int64_t>(join->ifm_c / join->in_elems) * join->table_span);
  const Device& vu9p = find_device("xcvu9p");
  EXPECT_EQ(weights_kind(*join, &vu9p), place_memory(depth, join->table_bits, vu9p));
  const Resources lut = estimate_block(*join, &vu9p, MemoryKind::Lutram);
  const Resources bram = estimate_block(*join, &vu9p, MemoryKind::Bram);
  const Resources uram = estimate_block(*join, &vu9p, MemoryKind::Uram);
  EXPECT_EQ(lut.bram18 + lut.urams, 0);
  EXPECT_EQ(bram.bram18, join->in_elems * bram18_for(depth, join->table_bits));
  EXPECT_EQ(uram.urams, join->in_elems * urams_for(depth, join->table_bits));
  EXPECT_LT(bram.luts, lut.luts);
  EXPECT_LT(uram.luts, lut.luts);
  const Estimate e = estimate_graph(design, &vu9p);
  EXPECT_EQ(e.weights[static_cast<std::size_t>(join - design.blocks.begin())],
            weights_kind(*join, &vu9p));
}

std::string shipped(const char* name) {
  return "'" + std::string(BNNC_SOURCE_DIR) + "/models/" + name + ".bnnc'";
}

TEST(CompileDevice, LfcFitsAPynqZ1AndTheReportSaysWhereWeightsLive) {
  const auto dir = test::temp_dir("compile-device");
  const test::CommandResult r =
      test::run_bnnc("compile " + shipped("lfc") + " --target-fps 100000 --device xc7z020 --out '" +
                     (dir / "hw").string() + "' --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto json = nlohmann::json::parse(r.out);
  EXPECT_EQ(json["device"]["name"], "xc7z020");
  EXPECT_LE(json["luts"].get<long long>(), 42'560);
  EXPECT_LE(json["brams"].get<long long>(), 252);
  EXPECT_EQ(json["urams"], 0);
  int mvtus = 0;
  for (const auto& layer : json["layers"]) {
    if (layer["kind"] != "MVTU") {
      EXPECT_FALSE(layer.contains("weights_in")) << layer["name"];
      continue;
    }
    ++mvtus;
    const std::string where = layer["weights_in"];
    EXPECT_TRUE(where == "lutram" || where == "bram") << where;  // no URAM on a Zynq-7000
  }
  EXPECT_EQ(mvtus, 4);
  // The RTL puts the weights where the report says (bnn_rom's STYLE): "block" on the MVTUs whose
  // weights the estimate placed in BRAM, nothing where Yosys would put them in logic itself.
  const std::string top = test::read_text(dir / "hw" / "rtl" / "bnn_top.sv");
  int in_bram = 0;
  for (const auto& layer : json["layers"]) {
    if (layer["kind"] != "MVTU") continue;
    const std::string name = layer["name"];
    const std::size_t at = top.find("// " + name + " (MVTU)");
    ASSERT_NE(at, std::string::npos) << name;
    const std::string instance = top.substr(at, top.find(");", at) - at);
    const bool block = instance.find(".WEIGHT_STYLE(\"block\")") != std::string::npos;
    EXPECT_EQ(block, layer["weights_in"] == "bram") << name << ":\n" << instance;
    in_bram += block ? 1 : 0;
  }
  EXPECT_GT(in_bram, 0);
  // Read back (simulate, verify, synth) on the same part: the same estimate as the report's,
  // which `bnnc synth` sets beside Yosys's figures.
  const Design loaded = load_design((dir / "hw").string());
  ASSERT_NE(loaded.device, nullptr);
  EXPECT_EQ(std::string(loaded.device->name), "xc7z020");
  EXPECT_EQ(loaded.estimate.total.luts, json["luts"].get<long long>());
  EXPECT_EQ(loaded.estimate.total.bram18, json["brams"].get<long long>());
  // Without --device: the keys of before, and none of the new ones.
  const test::CommandResult plain =
      test::run_bnnc("compile " + shipped("lfc") + " --target-fps 100000 --out '" +
                     (dir / "hw0").string() + "' --json");
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  const auto plain_json = nlohmann::json::parse(plain.out);
  for (const char* key : {"device", "urams", "dsps", "lutram_luts"})
    EXPECT_FALSE(plain_json.contains(key)) << key;
  for (const auto& layer : plain_json["layers"]) EXPECT_FALSE(layer.contains("weights_in"));
  EXPECT_EQ(test::read_text(dir / "hw0" / "rtl" / "bnn_top.sv").find("_STYLE("), std::string::npos);
  const Design loaded_plain = load_design((dir / "hw0").string());
  EXPECT_EQ(loaded_plain.device, nullptr);
  EXPECT_EQ(loaded_plain.estimate.total.luts, plain_json["luts"].get<long long>());
}

// --device alone is the latency search's budget: the part's caps.
TEST(CompileDevice, LatencyObjectiveStaysWithinThePartsCaps) {
  const auto dir = test::temp_dir("compile-device-latency");
  const test::CommandResult r =
      test::run_bnnc("compile " + shipped("lfc") + " --objective latency --device xc7z020 --out '" +
                     (dir / "hw").string() + "' --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto json = nlohmann::json::parse(r.out);
  EXPECT_LE(json["luts"].get<long long>(), json["device"]["cap_luts"].get<long long>());
  EXPECT_LE(json["brams"].get<long long>(), json["device"]["cap_brams"].get<long long>());
  EXPECT_EQ(json["device"]["cap_luts"], 42'560);
  EXPECT_EQ(json["device"]["cap_brams"], 252);
}

// On a part with DSP slices the 8-bit first layer's adders go into DSP chains, two PE lanes a
// chain (dsp_chain_form): the report counts conv0's slices (SIMD a chain, MMV·⌈PE/2⌉ chains) and
// no other layer's, and the RTL asks bnn_mvtu for them (USE_DSP 2) on conv0 alone.
TEST(CompileDevice, EightBitLayerTakesDspSlicesOnAPartAndLargeWeightsGoToUram) {
  const auto dir = test::temp_dir("compile-device-cnv");
  const test::CommandResult r =
      test::run_bnnc("compile " + shipped("cnv") + " --target-fps 5000 --device xcvu9p --out '" +
                     (dir / "hw").string() + "' --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto json = nlohmann::json::parse(r.out);
  long long slices = 0;
  for (const auto& layer : json["layers"]) {
    if (layer["name"] == "conv0") {
      // the part has room for every PE (the report's dsp_pes)
      EXPECT_EQ(layer["dsp_pes"], layer["pe"]);
      const long long chains = layer.value("mmv", 1) * ((layer["pe"].get<long long>() + 1) / 2);
      EXPECT_EQ(layer["dsps"], chains * layer["simd"].get<long long>());
      slices = layer["dsps"].get<long long>();
    } else {
      EXPECT_EQ(layer["dsps"], 0) << layer["name"];
    }
  }
  EXPECT_GT(slices, 0);
  EXPECT_EQ(json["dsps"], slices);
  EXPECT_GT(json["urams"].get<long long>(), 0);  // the deep weight ROMs of the last convs
  const std::string top = test::read_text(dir / "hw" / "rtl" / "bnn_top.sv");
  std::size_t count = 0;
  for (std::size_t at = top.find(".USE_DSP(2)"); at != std::string::npos;
       at = top.find(".USE_DSP(2)", at + 1))
    ++count;
  EXPECT_EQ(count, 1u);
  EXPECT_EQ(top.find(".USE_DSP(1)"), std::string::npos);
}

// estimate_block alone costs an 8-bit MVTU's adders as LUTs, on a part or not; with dsp_pe
// (estimate_graph's choice) as DSP slices and the few LUTs of their skew.
TEST(Device, IntegerInputMvtuIsLutsUnlessPutOnDsps) {
  const Block b = test::integer_mvtu_block(2, 16, 27, 4, 1);
  const Device& part = find_device("xcvu9p");
  ASSERT_GT(part.dsps, 0);
  const Resources on_part = estimate_block(b, &part), alone = estimate_block(b);
  EXPECT_EQ(on_part.dsps, 0);
  // The adders cost the same LUTs with or without a part (only the weights' place may differ).
  EXPECT_EQ(on_part.luts - on_part.lutram_luts, alone.luts - alone.lutram_luts);
  EXPECT_GT(on_part.luts - on_part.lutram_luts, 2 * 16 * 27 * 8);
  ASSERT_EQ(dsp_chain_form(b), 2);
  const Resources chains = estimate_block(b, &part, std::nullopt, b.pe);
  EXPECT_EQ(chains.dsps, 2 * 8 * 27);
  EXPECT_LT(chains.luts, on_part.luts / 4);
}

// When the part's DSP cap holds only some of an MVTU's PEs, those go into chains (whole pairs)
// and the rest stay LUT adders: CNV-W1A1's conv0 at PE 64 × SIMD 27 on the xc7z045 (810 slices
// under the cap) takes 60 PEs in 30 chains; the unit costs LUTs between all-LUT and all-DSP.
TEST(Device, TheDspCapSplitsAnMvtuIntoChainsAndLutPes) {
  const Block b = test::integer_mvtu_block(1, 64, 27, 1, 1);
  const Device& part = find_device("xc7z045");
  const std::int64_t cap = device_caps(part).dsps;
  ASSERT_EQ(cap, 810);
  EXPECT_EQ(dsp_pes_within(b, cap), 60);
  EXPECT_EQ(dsp_slices(b, 60), 810);
  EXPECT_EQ(dsp_pes_within(b, 64 * 27), 64);  // room for all: every PE, 32 chains
  EXPECT_EQ(dsp_pes_within(b, 26), 0);        // not one chain
  const std::int64_t luts = estimate_block(b, &part).luts;
  const Resources some = estimate_block(b, &part, std::nullopt, 60);
  const Resources all = estimate_block(b, &part, std::nullopt, 64);
  EXPECT_EQ(some.dsps, 810);
  EXPECT_LT(all.luts, some.luts);
  EXPECT_LT(some.luts, luts);
}

TEST(CompileDevice, ATargetThePartCannotHoldIsRefusedNamingTheResource) {
  const auto dir = test::temp_dir("compile-device-refused");
  const test::CommandResult r = test::run_bnnc("compile " + shipped("lfc") +
                                               " --target-fps 1000000 --device xc7z020 --out '" +
                                               (dir / "hw").string() + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "bnnc: error: --target-fps 1000000: the folding needs 73,762 LUTs but xc7z020 has "
            "53,200 (cap 80 %: 42,560)\n");
  EXPECT_FALSE(std::filesystem::exists(dir / "hw"));
}

}  // namespace
}  // namespace bnnc
