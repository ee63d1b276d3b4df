// bnnc compile --calibration-data (design/calibrate_variants.h): the variants' mean cycles
// measured on images by the cycle simulator, and the folding search choosing per layer among the
// plain unit and the variants at those means. The choice must follow the measurement (early exit
// where the calibration images decide the outputs early, not where they do not; weight reuse where
// the kernels are close, not where they are random), never be slower or less area-efficient than
// the plain search's by the estimate, and the chosen design must equal the golden model.
#include <gtest/gtest.h>

#include <random>

#include "design/compile_design.h"
#include "fold/lower_to_dataflow.h"
#include "fold/weight_reuse_schedule.h"
#include "ir/infer_types.h"
#include "random_network.h"
#include "sim/compare_with_oracle.h"
#include "sim/cycle_simulator.h"
#include "sim/golden_model.h"
#include "sim/measure_timeline.h"
#include "test_support.h"

namespace bnnc {
namespace {

// bit[in] → fc rows×in → thresholds → scores 4×rows → label. Every fc row r holds row(r, ·).
template <typename Row>
Graph dense_network(int rows, int in, Row row, std::int64_t threshold, std::mt19937_64& rng) {
  Graph g;
  g.name = "calibration";
  int x = g.add("in", InputAttrs{{in}, DType::bit()});
  BinaryMatrix w(rows, in);
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < in; ++c) w.set(r, c, row(r, c));
  }
  x = g.add("fc", DenseAttrs{w}, {x});
  ThresholdAttrs t;
  for (int r = 0; r < rows; ++r) {
    t.thresholds.push_back(threshold);
    t.negate.push_back(0);
  }
  x = g.add("thr", t, {x});
  BinaryMatrix scores(4, rows);
  for (int r = 0; r < 4; ++r) {
    for (int c = 0; c < rows; ++c) scores.set(r, c, (rng() & 1U) != 0);
  }
  x = g.add("scores", DenseAttrs{scores}, {x});
  g.add("label", LabelSelectAttrs{}, {x});
  infer_types(g);
  return g;
}

struct Compiled {
  Design plain, chosen;
};

// The plain search at `fps` and the search with the variants at their means on `images`.
Compiled compile_both(const Graph& g, double fps, const CalibrationFrames& images, bool early_exit,
                      ReuseMode reuse) {
  FoldingRequest request;
  request.target_fps = fps;
  Compiled c{compile_design(g, request, FrameTiming::EstimateOnly), {}};
  request.early_exit = early_exit;
  request.reuse = reuse;
  request.calibration_frames = images;
  c.chosen = compile_design(g, request, FrameTiming::EstimateOnly);
  return c;
}

const Block& fc_of(const Design& d) { return d.folded.blocks[d.folded.find("fc")]; }

std::int64_t cost_of(const Design& d) {
  return d.estimate.total.luts + kLutsPerBram18 * d.estimate.total.bram18;
}

// Golden = simulator on the chosen design; it meets the rate at the measured means and is never
// less area-efficient than the plain search's by the estimate (bottleneck × LUTs).
void expect_sound(const Compiled& c, const CalibrationFrames& images, double fps,
                  const std::string& what) {
  SimulationOptions options;
  options.fifo_depths = c.chosen.fifo_depths;
  const std::vector<std::span<const std::uint8_t>> frames(images.begin(), images.end());
  const SimulationResult sim = simulate_dataflow(c.chosen.folded, frames, options);
  std::vector<Classification> golden;
  for (const auto& frame : frames) golden.push_back(run_golden(c.chosen.graph, frame));
  EXPECT_EQ(compare_with_oracle(golden, sim.classifications(), {}).mismatches, 0) << what;
  const double max_cycles = 200e6 / fps;
  EXPECT_LE(static_cast<double>(c.chosen.expected_bottleneck_cycles), max_cycles) << what;
  // The simulated cycles per frame of every matrix layer meet the rate too (an early-exit one's
  // were expected from the fraction measured at another folding).
  for (std::size_t i = 0; i < c.chosen.folded.blocks.size(); ++i) {
    if (c.chosen.folded.blocks[i].kind != BlockKind::Mvtu) continue;
    EXPECT_LE(static_cast<double>(sim.work_cycles[i]) / static_cast<double>(frames.size()),
              max_cycles)
        << what << ", " << c.chosen.folded.blocks[i].name;
  }
  EXPECT_LE(static_cast<double>(c.chosen.expected_bottleneck_cycles) *
                static_cast<double>(c.chosen.estimate.total.luts),
            static_cast<double>(c.plain.estimate.bottleneck_cycles) *
                static_cast<double>(c.plain.estimate.total.luts))
      << what;
}

// The same network and thresholds; only the calibration images differ. Every row holds the
// alternating pattern w = 0101…, its threshold a 16th of the synapses. An image equal to w matches
// on every synapse, so each row is decided after a 16th of them; an image equal to NOT w but on
// its last 16th matches only there and ends exactly at the threshold: decided at the last chunk.
TEST(Calibration, EarlyExitWhereTheImagesDecideEarlyOnly) {
  constexpr int kIn = 512, kRows = 256;
  std::mt19937_64 rng(16);
  const Graph g = dense_network(
      kRows, kIn, [](int, int c) { return c % 2 == 1; }, kIn / 16, rng);
  CalibrationFrames early(8, std::vector<std::uint8_t>(kIn)), late = early;
  for (int c = 0; c < kIn; ++c) {
    const std::uint8_t w = c % 2 == 1 ? 1 : 0;
    for (auto& image : early) image[static_cast<std::size_t>(c)] = w;
    for (auto& image : late) image[static_cast<std::size_t>(c)] = c < kIn - kIn / 16 ? 1 - w : w;
  }
  const double fps = 200e6 / 2048;  // 2,048 cycles a frame: fc needs 64 PE·SIMD lanes plain
  const Compiled pays = compile_both(g, fps, early, true, ReuseMode::Off);
  const Compiled not_pays = compile_both(g, fps, late, true, ReuseMode::Off);
  ASSERT_TRUE(pays.chosen.calibration && not_pays.chosen.calibration);
  const LayerCalibration* measured = pays.chosen.calibration->find("fc");
  ASSERT_NE(measured, nullptr);
  EXPECT_LE(measured->early_exit, 0.3 * measured->plain);
  const LayerCalibration* unmeasured = not_pays.chosen.calibration->find("fc");
  ASSERT_NE(unmeasured, nullptr);
  EXPECT_GE(unmeasured->early_exit, 0.95 * unmeasured->plain);

  EXPECT_TRUE(fc_of(pays.chosen).early_exit);
  EXPECT_LT(fc_of(pays.chosen).pe * fc_of(pays.chosen).simd,
            fc_of(pays.plain).pe * fc_of(pays.plain).simd);
  EXPECT_LT(cost_of(pays.chosen), cost_of(pays.plain));
  EXPECT_FALSE(fc_of(not_pays.chosen).early_exit);
  EXPECT_EQ(fc_of(not_pays.chosen).pe, fc_of(not_pays.plain).pe);
  EXPECT_EQ(fc_of(not_pays.chosen).simd, fc_of(not_pays.plain).simd);
  expect_sound(pays, early, fps, "early images");
  expect_sound(not_pays, late, fps, "late images");
}

// Weight reuse: rows that are near copies of one row (one bit flipped each), whose schedule
// replaces a large weight memory, against random rows, which reuse cannot speed up.
TEST(Calibration, WeightReuseWhereTheKernelsAreCloseOnly) {
  constexpr int kIn = 1024, kRows = 256;
  std::mt19937_64 rng(17);
  std::vector<int> flips;
  for (int r = 0; r < kRows; ++r) flips.push_back(static_cast<int>(rng() % kIn));
  const Graph close = dense_network(
      kRows, kIn,
      [&](int r, int c) { return (c % 3 == 0) != (c == flips[static_cast<std::size_t>(r)]); },
      kIn / 2, rng);
  const BinaryMatrix random_rows = test::random_matrix(kRows, kIn, rng);
  const Graph apart = dense_network(
      kRows, kIn, [&](int r, int c) { return random_rows.get(r, c); }, kIn / 2, rng);
  CalibrationFrames images(8, std::vector<std::uint8_t>(kIn));
  for (auto& image : images) {
    for (auto& v : image) v = static_cast<std::uint8_t>(rng() & 1U);
  }
  const double fps = 200e6 / 4096;  // 4,096 cycles a frame: fc needs 64 lanes plain
  const Compiled pays = compile_both(close, fps, images, false, ReuseMode::Auto);
  const Compiled not_pays = compile_both(apart, fps, images, false, ReuseMode::Auto);
  const LayerCalibration* measured = pays.chosen.calibration->find("fc");
  ASSERT_NE(measured, nullptr);
  EXPECT_LT(measured->weight_reuse, 0.5 * measured->plain);
  // The measured mean of a reuse layer is its static schedule at the reference folding.
  const BinaryMatrix& weights =
      pays.chosen.folded.ir.nodes[static_cast<std::size_t>(fc_of(pays.chosen).layer)].weights();
  EXPECT_EQ(measured->weight_reuse,
            static_cast<double>(
                weight_reuse_schedule(weights, measured->pe, measured->simd).vector_cycles));
  ASSERT_TRUE(pays.chosen.variant_search.has_value());
  EXPECT_TRUE(pays.chosen.variant_search->kept);
  EXPECT_TRUE(fc_of(pays.chosen).weight_reuse);
  EXPECT_LT(fc_of(pays.chosen).pe * fc_of(pays.chosen).simd,
            fc_of(pays.plain).pe * fc_of(pays.plain).simd);
  EXPECT_FALSE(fc_of(not_pays.chosen).weight_reuse);
  EXPECT_EQ(fc_of(not_pays.chosen).pe, fc_of(not_pays.plain).pe);
  EXPECT_EQ(fc_of(not_pays.chosen).simd, fc_of(not_pays.plain).simd);
  expect_sound(pays, images, fps, "close kernels");
  expect_sound(not_pays, images, fps, "random kernels");
}

// --reuse auto with a folding file: input reuse where the calibration images make neighbouring
// windows equal, not where they make them complements (the step before gives the layer weight
// reuse, 3,296 cycles a frame; input reuse replaces it only where it is faster). bit[6,10,2] → conv
// 3×3 (32 rows, PE 1, SIMD 2: NF 32, SF 9, the bottleneck at 9,216 cycles a frame) → thresholds →
// flatten → dense → label. Frames of one colour: every window equals its neighbour (c = 0), 4 × 288
// + 28 × 40 = 2,272 cycles a frame. Frames of vertical stripes one pixel wide: each window is the
// complement of its neighbour (c = SF), no faster than the plain unit.
TEST(Calibration, InputReuseWhereNeighbouringWindowsAreEqualOnly) {
  std::mt19937_64 rng(23);
  Graph g;
  g.name = "calibration-conv";
  int x = g.add("in", InputAttrs{{6, 10, 2}, DType::bit()});
  x = g.add("conv", Conv2dAttrs{test::random_matrix(32, 18, rng), 3, 1, 0, 0}, {x});
  x = g.add("thr", test::half_thresholds(32, 18), {x});
  x = g.add("flatten", ReshapeAttrs{{4 * 8 * 32}}, {x});
  x = g.add("scores", DenseAttrs{test::random_matrix(10, 4 * 8 * 32, rng)}, {x});
  g.add("label", LabelSelectAttrs{}, {x});
  infer_types(g);
  Folding folding;
  folding.layers.push_back({"conv", 1, 2});
  folding.layers.push_back({"scores", 10, 64});
  CalibrationFrames plain_colour, stripes;
  for (int f = 0; f < 6; ++f) {
    plain_colour.emplace_back(6 * 10 * 2, static_cast<std::uint8_t>(f % 2));
    std::vector<std::uint8_t> image;
    for (int y = 0; y < 6; ++y) {
      for (int xx = 0; xx < 10; ++xx)
        image.insert(image.end(), 2, static_cast<std::uint8_t>((xx + f) % 2));
    }
    stripes.push_back(std::move(image));
  }
  const auto compile = [&](const CalibrationFrames& images) {
    FoldingRequest request = FoldingRequest::given(folding);
    request.reuse = ReuseMode::Auto;
    request.calibration_frames = images;
    return compile_design(g, request, FrameTiming::EstimateOnly);
  };
  const auto conv_of = [](const Design& d) { return d.folded.blocks[d.folded.find("conv")]; };
  const Design pays = compile(plain_colour);
  const Design not_pays = compile(stripes);
  const LayerCalibration* equal = pays.calibration->find("conv");
  const LayerCalibration* complement = not_pays.calibration->find("conv");
  ASSERT_NE(equal, nullptr);
  ASSERT_NE(complement, nullptr);
  EXPECT_EQ(equal->plain, 9216);
  EXPECT_EQ(equal->input_reuse, 4 * 288 + 28 * 40);
  EXPECT_EQ(complement->input_reuse, 9216);
  EXPECT_TRUE(conv_of(pays).input_reuse);
  EXPECT_EQ(pays.expected_bottleneck_cycles, 4 * 288 + 28 * 40);
  EXPECT_LT(static_cast<double>(pays.expected_bottleneck_cycles) *
                static_cast<double>(pays.estimate.total.luts),
            9216.0 * static_cast<double>(not_pays.estimate.total.luts));
  EXPECT_FALSE(conv_of(not_pays).input_reuse);
  EXPECT_TRUE(conv_of(not_pays).weight_reuse);
  EXPECT_EQ(not_pays.expected_bottleneck_cycles, conv_of(not_pays).cycles);
  EXPECT_LT(pays.expected_bottleneck_cycles, not_pays.expected_bottleneck_cycles);
  // Golden = simulator on the chosen design, at the measured cycles.
  SimulationOptions options;
  options.fifo_depths = pays.fifo_depths;
  const std::vector<std::span<const std::uint8_t>> frames(plain_colour.begin(), plain_colour.end());
  const SimulationResult sim = simulate_dataflow(pays.folded, frames, options);
  std::vector<Classification> golden;
  for (const auto& frame : frames) golden.push_back(run_golden(pays.graph, frame));
  EXPECT_EQ(compare_with_oracle(golden, sim.classifications(), {}).mismatches, 0);
  EXPECT_EQ(sim.work_cycles[static_cast<std::size_t>(pays.folded.find("conv"))], 6 * 2272);
}

// bit[6, 18, 8] → conv 3×3, 256 rows (4 × 16 windows) → thresholds → max-pool 2×2 → flatten →
// dense 10 → label.
constexpr int kConvH = 6, kConvW = 18, kConvC = 8, kConvRows = 256;

Graph conv_network(std::mt19937_64& rng) {
  Graph g;
  g.name = "calibration-ir";
  const int pooled = (kConvH - 2) / 2 * (kConvW - 2) / 2 * kConvRows;
  int x = g.add("in", InputAttrs{{kConvH, kConvW, kConvC}, DType::bit()});
  x = g.add("conv", Conv2dAttrs{test::random_matrix(kConvRows, 9 * kConvC, rng), 3, 1, 0, 0}, {x});
  x = g.add("thr", test::half_thresholds(kConvRows, 9 * kConvC), {x});
  x = g.add("pool", MaxPoolAttrs{2, 2, {}, 0}, {x});
  x = g.add("flatten", ReshapeAttrs{{pooled}}, {x});
  x = g.add("scores", DenseAttrs{test::random_matrix(10, pooled, rng)}, {x});
  g.add("label", LabelSelectAttrs{}, {x});
  infer_types(g);
  return g;
}

// Images whose pixels repeat their left neighbour's bit with probability 0.95 per channel (so
// neighbouring windows share about 95 % of their bits; CNV-W1A1's share 74–82 %), or (stripes)
// are its complement everywhere (every window the complement of its neighbour: nothing to reuse).
CalibrationFrames conv_images(bool similar, int count, std::mt19937_64& rng) {
  CalibrationFrames images;
  for (int f = 0; f < count; ++f) {
    std::vector<std::uint8_t> image(static_cast<std::size_t>(kConvH * kConvW * kConvC));
    for (int y = 0; y < kConvH; ++y) {
      for (int x = 0; x < kConvW; ++x) {
        for (int c = 0; c < kConvC; ++c) {
          const auto i = static_cast<std::size_t>((y * kConvW + x) * kConvC + c);
          if (x == 0) {
            image[i] = static_cast<std::uint8_t>(similar ? rng() & 1U : (y + c) % 2);
          } else {
            const std::uint8_t left = image[i - kConvC];
            const bool flip = similar ? rng() % 20 == 0 : true;
            image[i] = static_cast<std::uint8_t>(flip ? 1 - left : left);
          }
        }
      }
    }
    images.push_back(std::move(image));
  }
  return images;
}

const Block& conv_of(const Design& d) { return d.folded.blocks[d.folded.find("conv")]; }

// The simulator's mean cycles per frame of the conv layer over `images`, golden = simulator.
double simulate_conv(const Design& d, const CalibrationFrames& images, std::int64_t* latency) {
  SimulationOptions options;
  options.fifo_depths = d.fifo_depths;
  const std::vector<std::span<const std::uint8_t>> frames(images.begin(), images.end());
  const SimulationResult sim = simulate_dataflow(d.folded, frames, options);
  std::vector<Classification> golden;
  for (const auto& frame : frames) golden.push_back(run_golden(d.graph, frame));
  EXPECT_EQ(compare_with_oracle(golden, sim.classifications(), {}).mismatches, 0);
  if (latency) *latency = sim.latency_cycles();
  return static_cast<double>(sim.work_cycles[static_cast<std::size_t>(d.folded.find("conv"))]) /
         static_cast<double>(images.size());
}

// --target-fps with --reuse auto: the search's dynamic programme gets an input-reuse candidate at
// every PE and SIMD, at its expected cycles from c measured at that SIMD. On images whose
// neighbouring windows share most bits it gives the conv input reuse at another SIMD than the
// plain search's (the reference folding the calibration simulated), and the simulated cycles on
// those images are exactly the expected ones; on stripes (each window the complement of its
// neighbour: c = SF at every SIMD, never faster than the plain unit) it keeps the plain folding.
TEST(Calibration, InputReuseSearchedAtEverySimdWhereNeighboursAreSimilarOnly) {
  std::mt19937_64 rng(31);
  const Graph g = conv_network(rng);
  const CalibrationFrames similar = conv_images(true, 8, rng);
  const CalibrationFrames stripes = conv_images(false, 8, rng);
  const double fps = 200e6 / 8192;
  const Compiled pays = compile_both(g, fps, similar, false, ReuseMode::Auto);
  const Compiled not_pays = compile_both(g, fps, stripes, false, ReuseMode::Auto);
  ASSERT_TRUE(pays.chosen.calibration && not_pays.chosen.calibration);
  const LayerCalibration* measured = pays.chosen.calibration->find("conv");
  ASSERT_NE(measured, nullptr);
  // c at every SIMD counted from the windows; at the reference SIMD it gives exactly the
  // simulator's mean there.
  ASSERT_EQ(measured->input_reuse_c.size(), 4U);  // SIMD 1, 2, 4, 8
  const Block& reference = conv_of(pays.plain);
  ASSERT_EQ(measured->pe, reference.pe);
  ASSERT_EQ(measured->simd, reference.simd);
  EXPECT_NEAR(input_reuse_cycles(reference, measured->input_reuse_c.at(reference.simd)),
              measured->input_reuse, 1e-6);
  const Block& chosen = conv_of(pays.chosen);
  ASSERT_TRUE(pays.chosen.variant_search.has_value());
  EXPECT_TRUE(chosen.input_reuse);
  EXPECT_NE(chosen.simd, reference.simd);
  EXPECT_LT(chosen.pe * chosen.simd, reference.pe * reference.simd);
  EXPECT_LT(cost_of(pays.chosen), cost_of(pays.plain));
  EXPECT_TRUE(pays.chosen.variant_search->kept);
  EXPECT_EQ(pays.chosen.variant_search->input_reuse, std::vector<std::string>{"conv"});
  // Simulated on the calibration images: exactly the expected cycles.
  const double expected = input_reuse_cycles(chosen, measured->input_reuse_c.at(chosen.simd));
  const double simulated = simulate_conv(pays.chosen, similar, nullptr);
  EXPECT_NEAR(simulated, expected, 1e-6);
  EXPECT_LE(simulated, 8192.0);
  expect_sound(pays, similar, fps, "similar neighbours");

  const LayerCalibration* complement = not_pays.chosen.calibration->find("conv");
  ASSERT_NE(complement, nullptr);
  for (const auto& [simd, c] : complement->input_reuse_c) {
    EXPECT_EQ(c, 9.0 * kConvC / simd) << "SIMD " << simd;  // c = SF: every position differs
  }
  EXPECT_FALSE(conv_of(not_pays.chosen).input_reuse);
  EXPECT_EQ(conv_of(not_pays.chosen).pe, conv_of(not_pays.plain).pe);
  EXPECT_EQ(conv_of(not_pays.chosen).simd, conv_of(not_pays.plain).simd);
  expect_sound(not_pays, stripes, fps, "stripes");
}

// The latency `bnnc compile` reports for a design with input reuse: measured on the first
// calibration image when there are some (an input-reuse unit's cycles depend on the pixels, and a
// frame of zeros — every window equal to its neighbour — is its best case), on zeros without.
TEST(Calibration, LatencyOfADataDependentDesignIsMeasuredOnTheFirstCalibrationImage) {
  std::mt19937_64 rng(37);
  const Graph g = conv_network(rng);
  const CalibrationFrames stripes = conv_images(false, 2, rng);
  Folding folding;
  LayerFolding conv{"conv", 8, 8};
  conv.input_reuse = true;
  folding.layers = {conv};
  FoldingRequest request = FoldingRequest::given(folding);
  const Design on_zeros = compile_design(g, request, FrameTiming::Simulated);
  request.calibration_frames = stripes;
  const Design on_image = compile_design(g, request, FrameTiming::Simulated);
  ASSERT_TRUE(conv_of(on_image).input_reuse);
  ASSERT_TRUE(on_zeros.timeline_simulated && on_image.timeline_simulated);
  EXPECT_FALSE(on_zeros.latency_on_calibration_image);
  EXPECT_TRUE(on_image.latency_on_calibration_image);
  std::int64_t latency = 0;
  simulate_conv(on_image, {stripes.front()}, &latency);
  EXPECT_EQ(on_image.timeline().latency, latency);
  EXPECT_EQ(on_zeros.timeline().latency, measure_frame_timeline(on_zeros.folded)->latency);
  // Stripes: every window the complement of its neighbour, the unit's worst case.
  EXPECT_GT(on_image.timeline().latency, on_zeros.timeline().latency);
}

// The latency objective with --reuse auto: from the latency search's folding, input reuse where
// the calibration measured the layer faster and the estimated latency (the conv at its expected
// cycles) falls within the budget (1,500 LUTs: the search's folding leaves room for the unit);
// the simulated latency of a calibration image falls too. On stripes nothing changes.
TEST(Calibration, InputReuseForLatencyWhereNeighboursAreSimilarOnly) {
  constexpr std::int64_t kLatencyLuts = 1500;
  std::mt19937_64 rng(37);
  const Graph g = conv_network(rng);
  const CalibrationFrames similar = conv_images(true, 4, rng);
  const CalibrationFrames stripes = conv_images(false, 4, rng);
  FoldingRequest request;
  request.latency_budget = Budget{kLatencyLuts, 0, 0, 0};
  const Design plain = compile_design(g, request, FrameTiming::EstimateOnly);
  request.reuse = ReuseMode::Auto;
  request.calibration_frames = similar;
  const Design pays = compile_design(g, request, FrameTiming::EstimateOnly);
  request.calibration_frames = stripes;
  const Design not_pays = compile_design(g, request, FrameTiming::EstimateOnly);
  EXPECT_TRUE(conv_of(pays).input_reuse);
  EXPECT_EQ(conv_of(pays).pe, conv_of(plain).pe);
  EXPECT_EQ(conv_of(pays).simd, conv_of(plain).simd);
  EXPECT_LE(pays.estimate.total.luts, kLatencyLuts);
  EXPECT_FALSE(conv_of(not_pays).input_reuse);
  EXPECT_FALSE(conv_of(not_pays).weight_reuse);
  // Golden = simulator on the four images; the first one's latency, with and without.
  std::int64_t plain_latency = 0, reuse_latency = 0;
  simulate_conv(plain, similar, &plain_latency);
  simulate_conv(pays, similar, &reuse_latency);
  EXPECT_LT(reuse_latency, plain_latency);
}

// The latency objective with --early-exit on: from the latency search's folding, early exit where
// the calibration images decide the rows early and the estimated latency (fc at its measured mean)
// falls within the budget (1,200 LUTs: the plain search stops at PE 4 × SIMD 64, where early exit
// pays; with more it takes SIMD 128, where it does not); images that decide only at the last chunk
// change nothing. The first image's simulated latency falls too, golden = simulator.
TEST(Calibration, EarlyExitForLatencyWhereTheImagesDecideEarlyOnly) {
  constexpr int kIn = 512, kRows = 256;
  constexpr std::int64_t kLatencyLuts = 1200;
  std::mt19937_64 rng(16);
  const Graph g = dense_network(
      kRows, kIn, [](int, int c) { return c % 2 == 1; }, kIn / 16, rng);
  CalibrationFrames early(4, std::vector<std::uint8_t>(kIn)), late = early;
  for (int c = 0; c < kIn; ++c) {
    const std::uint8_t w = c % 2 == 1 ? 1 : 0;
    for (auto& image : early) image[static_cast<std::size_t>(c)] = w;
    for (auto& image : late) image[static_cast<std::size_t>(c)] = c < kIn - kIn / 16 ? 1 - w : w;
  }
  FoldingRequest request;
  request.latency_budget = Budget{kLatencyLuts, 0, 0, 0};
  const Design plain = compile_design(g, request, FrameTiming::EstimateOnly);
  request.early_exit = true;
  request.calibration_frames = early;
  const Design pays = compile_design(g, request, FrameTiming::EstimateOnly);
  request.calibration_frames = late;
  const Design not_pays = compile_design(g, request, FrameTiming::EstimateOnly);
  ASSERT_FALSE(fc_of(plain).early_exit);
  EXPECT_TRUE(fc_of(pays).early_exit);
  EXPECT_EQ(fc_of(pays).pe, fc_of(plain).pe);
  EXPECT_EQ(fc_of(pays).simd, fc_of(plain).simd);
  EXPECT_LE(pays.estimate.total.luts, kLatencyLuts);
  EXPECT_FALSE(fc_of(not_pays).early_exit);
  const auto latency_on = [](const Design& d, const CalibrationFrames& images) {
    SimulationOptions options;
    options.fifo_depths = d.fifo_depths;
    const std::vector<std::span<const std::uint8_t>> frames(images.begin(), images.end());
    const SimulationResult sim = simulate_dataflow(d.folded, frames, options);
    std::vector<Classification> golden;
    for (const auto& frame : frames) golden.push_back(run_golden(d.graph, frame));
    EXPECT_EQ(compare_with_oracle(golden, sim.classifications(), {}).mismatches, 0) << d.model;
    return sim.latency_cycles();
  };
  EXPECT_LT(latency_on(pays, early), latency_on(plain, early));
}

}  // namespace
}  // namespace bnnc
