// The matrix-vector-threshold unit (FINN's MVAU) of one binary-weight layer: MH × MW weights,
// PE rows in parallel, SIMD synapses per PE and cycle (DESIGN.md §3).
//
//   NF = padded rows / PE      neuron fold: PE-row groups per input vector
//   SF = padded columns / SIMD synapse fold: cycles per group
//
// For every input vector it runs NF groups of SF cycles (NF · SF cycles per vector, whatever the
// stalls allow). During the first group it reads the vector, one word of SIMD elements a cycle,
// and keeps it in an input buffer of SF words that the other groups read again. Row r lives in
// PE r mod PE at slot r div PE: weight word nf · SF + sf of WEIGHT_FILE holds, for PE p, bits
// [p·SIMD +: SIMD] = columns sf·SIMD .. of row nf·PE + p.
//
// What a synapse adds (kept apart from the loop structure, as finn-hlslib's interpret.hpp):
//   binary input (IN_BITS = 1):  1 when input bit = weight bit (XNOR), so a word adds
//                                popcount(~(x ^ w)) and the vector P = popcount(XNOR(x, w))
//   integer input:               +x when the weight bit is 1, −x when it is 0
// Padded columns must add nothing: the words past IN_WORDS read as 0 and the producer zero-fills
// the unused lanes of a vector's last word, so the generator stores weight 1 there (XNOR(0, 1) =
// 0; ±0 = 0 for integers).
//
// With THRESHOLDS, lane p of group nf outputs the bit (acc ≥ T) xor negate, T and negate from word
// nf of THRESHOLD_FILE, lane p at bits [p·(ACC_BITS+3) +: ACC_BITS+3] = {negate, T as a signed
// ACC_BITS+2-bit value}; the generator clamps T into the accumulator's range + 1, which keeps
// every comparison exact. Without, the lane outputs the accumulator. Groups past the real rows MH
// are computed (they count in the cycles) but not sent, and lanes past MH in the last group sent
// are 0, so the stream carries exactly MH elements per vector.
//
// With ZERO_PAD (a convolution zero-padded by PyTorch's rule, docs/zero-padding.md), the
// accumulator holds the signed dot product y over the window's synapses inside the image: the
// producer pads with bit 0, and a word whose synapses fall on the border adds 0 instead of its
// 2·matches − SIMD. SIMD divides the channels, so a word is one channel group of one tap (ky, kx),
// and the tap with the window's origin (oy·STRIDE, ox·STRIDE), counted here as the vectors go by,
// says whether the word is on the border: no mask travels with the stream and no table is stored.
// The thresholds are then in units of y (y ≥ T), one per row as without padding.
//
// With MMV > 1 (docs/pixel-parallel.md) a word carries MMV windows side by side, SIMD synapses
// of each (window m at lanes [m·SIMD +: SIMD]), and every weight word read serves all of them: the
// datapath is MMV copies of the PE lanes, and an output word holds MMV pixels' PE results
// (pixel m at lanes [m·PE +: PE]). The schedule is the one above, per MMV vectors.
//
// Pipeline: issue (counters, input word) → weight ROM (registered) → ROM output register →
// partial sums → accumulate and compare → output register. With USE_DSP (integer input), the
// partial sums take SIMD more stages (g_dsp_chain below). The pipeline stalls only when a
// group's result is due while the output register still holds an unsent word.
`default_nettype none
`include "bnn_defs.vh"

module bnn_mvtu #(
  parameter NAME = "bnn_mvtu",  // instance path in error messages (bnn_top gives each its own)
  parameter integer PE = 2,          // rows computed in parallel
  parameter integer MMV = 1,         // windows (output pixels) per word sharing each weight read
  parameter integer SIMD = 4,        // synapses per PE and cycle
  parameter integer MH = 4,          // real rows (output elements per vector)
  parameter integer NF = 2,          // neuron fold: padded rows / PE
  parameter integer SF = 2,          // synapse fold: padded columns / SIMD
  parameter integer IN_WORDS = 2,    // words read per input vector, ⌈MW / SIMD⌉ (≤ SF)
  parameter integer IN_BITS = 1,     // bits per input element: 1 = binary, more = integer
  parameter integer IN_SIGNED = 1,   // integer input: 1 two's complement, 0 unsigned
  parameter integer ACC_BITS = 4,    // accumulator bits (the layer's output type)
  parameter integer ACC_SIGNED = 0,  // 1 when the accumulator is signed (integer input)
  parameter integer THRESHOLDS = 1,  // 1: output (acc ≥ T) xor negate; 0: output acc
  parameter integer ZERO_PAD = 0,    // 1: leave out the synapses on the border (binary conv)
  parameter integer IMG_H = 1,       // ZERO_PAD: the input image's rows before padding
  parameter integer IMG_W = 1,       // ZERO_PAD: its columns
  parameter integer OFM_H = 1,       // ZERO_PAD: output rows (vectors per frame: OFM_H · OFM_W)
  parameter integer OFM_W = 1,       // ZERO_PAD: output columns
  parameter integer K = 1,           // ZERO_PAD: kernel size (SF = K·K·channel groups)
  parameter integer STRIDE = 1,      // ZERO_PAD: stride
  parameter integer PAD = 0,         // ZERO_PAD: border pixels on each side
  parameter integer TAPS = 1,        // ZERO_PAD: kernel taps a word (SIMD over taps: SIMD/TAPS channels)
  parameter integer USE_DSP = 0,     // integer input: 1 each lane's dot product in a chain of SIMD DSP slices,
                                     // 2 two PE lanes' in one chain (g_dsp_pair)
  parameter integer DSP_PE = PE,     // USE_DSP: PEs 0 … DSP_PE − 1 in chains, the others LUT adders
  parameter         WEIGHT_FILE = "",    // NF·SF words of PE·SIMD bits
  parameter         THRESHOLD_FILE = "", // NF words of PE·(ACC_BITS+3) bits
  parameter         WEIGHT_STYLE = "",   // where the weights go: bnn_rom's STYLE ("" = the tool's choice)
  parameter         THRESHOLD_STYLE = "" // where the thresholds go (bnn_rom's STYLE)
) (
  input  wire                                        clk,
  input  wire                                        rst,
  input  wire [MMV*SIMD*IN_BITS-1:0]                 s_axis_tdata,
  input  wire                                        s_axis_tvalid,
  output wire                                        s_axis_tready,
  output wire [MMV*PE*(THRESHOLDS != 0 ? 1 : ACC_BITS)-1:0] m_axis_tdata,
  output wire                                        m_axis_tvalid,
  input  wire                                        m_axis_tready
);
  localparam integer IN_WIDTH = MMV * SIMD * IN_BITS;
  localparam integer LANES = MMV * PE;  // accumulators
  localparam integer OUT_BITS = THRESHOLDS != 0 ? 1 : ACC_BITS;
  localparam integer T_BITS = ACC_BITS + 2;
  localparam integer T_LANE = T_BITS + 1;
  localparam integer OUT_GROUPS = (MH + PE - 1) / PE;
  localparam integer LAST_LANES = MH - (OUT_GROUPS - 1) * PE;
  localparam integer W_DEPTH = NF * SF;
  localparam integer NFW = NF > 1 ? $clog2(NF) : 1;
  localparam integer SFW = SF > 1 ? $clog2(SF) : 1;
  localparam integer WAW = W_DEPTH > 1 ? $clog2(W_DEPTH) : 1;
  // A word's partial sum: a popcount of SIMD bits, or SIMD terms of ±x.
  localparam integer SUM_BITS = IN_BITS == 1 ? $clog2(SIMD + 1) : IN_BITS + $clog2(SIMD + 1) + 1;
  // USE_DSP: the stages a partial sum takes beyond the LUT form's one (the chain's skew).
  localparam integer DSP_DELAY = USE_DSP != 0 ? SIMD : 0;

  if (MMV < 1 || PE < 1 || SIMD < 1 || NF < 1 || SF < 1 || MH < 1 || MH > NF * PE || IN_WORDS < 1 ||
      IN_WORDS > SF || IN_BITS < 1 || ACC_BITS < 1 ||
      (IN_BITS == 1 && (ACC_SIGNED != 0) != (ZERO_PAD != 0)) ||
      (USE_DSP != 0 && (IN_BITS == 1 || IN_BITS > 24)) || USE_DSP < 0 || USE_DSP > 2 ||
      (USE_DSP == 2 && SUM_BITS + 2 > 25) || (USE_DSP != 0 && (DSP_PE < 1 || DSP_PE > PE)))
  begin : g_illegal
    `BNN_PARAM_ERROR(("%s: illegal folding PE %0d SIMD %0d MH %0d NF %0d SF %0d IN_WORDS %0d IN_BITS %0d ACC_BITS %0d ACC_SIGNED %0d ZERO_PAD %0d USE_DSP %0d (need MH <= NF*PE, 1 <= IN_WORDS <= SF, binary accumulators signed only with ZERO_PAD, USE_DSP 0, 1 or 2, only with 2..24 input bits, 2 with partial-sum bits + 2 <= 25, 1 <= DSP_PE <= PE)", NAME,
                      PE, SIMD, MH, NF, SF, IN_WORDS, IN_BITS, ACC_BITS, ACC_SIGNED, ZERO_PAD, USE_DSP))
  end
  if (ZERO_PAD != 0 && (IN_BITS != 1 || K < 1 || STRIDE < 1 || PAD < 1 || (TAPS == 1 && SF % (K * K) != 0) ||
                        IN_WORDS != SF || OFM_H < 1 || OFM_W < 1 || IMG_H < 1 || IMG_W < 1 ||
                        OFM_W % MMV != 0 || TAPS < 1 || SIMD % TAPS != 0 ||
                        (TAPS > 1 && SF * TAPS != K * K)))
  begin : g_illegal_zero_pad
    `BNN_PARAM_ERROR(("%s: ZERO_PAD needs binary input, PAD >= 1, K*K %0d dividing SF %0d = IN_WORDS %0d, MMV %0d dividing OFM_W %0d, TAPS %0d dividing SIMD %0d and (TAPS > 1) SF*TAPS = K*K", NAME,
                      K * K, SF, IN_WORDS, MMV, OFM_W, TAPS, SIMD))
  end

  // Issue: the (nf, sf) step entering the pipeline this cycle.
  reg [NFW-1:0] nf;
  reg [SFW-1:0] sf;
  reg [WAW-1:0] waddr;
  wire last_sf = 32'(sf) == SF - 1;
  wire last_nf = 32'(nf) == NF - 1;
  wire need_in = nf == {NFW{1'b0}} && 32'(sf) < IN_WORDS;

  reg v1, v2, v3;  // pipeline stage valid
  reg first1, first2, first3, emit1, emit2, emit3, lastg1, lastg2, lastg3;
  // ZERO_PAD: tap i of window m in the word lies on the border (bit m·TAPS + i; 0 without)
  /* verilator lint_off UNUSEDSIGNAL */
  reg [MMV*TAPS-1:0] border1, border2, border3;
  /* verilator lint_on UNUSEDSIGNAL */
  reg out_valid;
  // The pipeline advances unless a result is due while the output register holds an unsent word
  // (written positive: as !stall, Yosys 0.23 may make it an active-low enable, and its
  // shift-register extraction then leaves USE_DSP's skew registers in FFs, docs/rtl.md).
  wire adv = !v3 || !emit3 || !out_valid || m_axis_tready;
  wire issue = adv && (!need_in || s_axis_tvalid);
  assign s_axis_tready = adv && need_in;

  // The input vector, kept for the groups after the first.
  reg [IN_WIDTH-1:0] ibuf[0:SF-1];
  wire [IN_WIDTH-1:0] x0 = nf != {NFW{1'b0}} ? ibuf[sf] :
                           need_in ? s_axis_tdata : {IN_WIDTH{1'b0}};
  always @(posedge clk) begin
    if (issue && nf == {NFW{1'b0}}) ibuf[sf] <= x0;
  end

  wire [PE*SIMD-1:0] w2;
  bnn_rom #(
`ifndef BNN_NO_INSTANCE_NAMES
    .NAME({NAME, ".u_weights"}),
`endif
    .WIDTH(PE * SIMD), .DEPTH(W_DEPTH), .LATENCY(2), .INIT_FILE(WEIGHT_FILE),
    .STYLE(WEIGHT_STYLE)
  ) u_weights (
    .clk(clk), .en(adv), .addr(waddr), .data(w2)
  );

  reg [IN_WIDTH-1:0] x1, x2;
  /* verilator lint_off UNUSEDSIGNAL */
  reg [LANES*SUM_BITS-1:0] sum3;  // unused by lanes in DSP chains: their last registers replace it
  /* verilator lint_on UNUSEDSIGNAL */
  wire [LANES*SUM_BITS-1:0] part3;  // the partial sums in the accumulate stage
  reg [LANES*ACC_BITS-1:0] acc;
  reg [LANES*OUT_BITS-1:0] out_data;
  wire [LANES*SUM_BITS-1:0] sum2;
  wire [MMV*TAPS-1:0] border0;  // the word being issued: tap i of window m on the border

  if (ZERO_PAD != 0) begin : g_zero_pad
    // The window's origin in the padded image (oy·STRIDE, ox·STRIDE) and the issued word's tap
    // (ky, kx) and channel group: the word covers padded-image pixel (oy·STRIDE + ky,
    // ox·STRIDE + kx), which is on the border unless it lies in [PAD, IMG + PAD) both ways. With
    // MMV windows a word (MMV divides OFM_W, so they share the row), window m's origin is
    // (oy·STRIDE, (ox + m)·STRIDE): the same row test, a column test per window. With SIMD over
    // kernel taps (TAPS > 1, one channel group) the word holds taps (ky, kx) … TAPS − 1 taps on
    // in (ky, kx) order, SIMD/TAPS synapses each; each has its own test.
    localparam integer CG = TAPS > 1 ? 1 : SF / (K * K);
    localparam integer YW = $clog2(IMG_H + 2 * PAD + K + 1);
    localparam integer XW = $clog2(IMG_W + 2 * PAD + K + 1);
    localparam integer KW = $clog2(K + 1);
    localparam integer GW = CG > 1 ? $clog2(CG) : 1;
    reg [YW-1:0] wy;
    reg [XW-1:0] wx;
    reg [KW-1:0] ky, kx;
    reg [GW-1:0] group;
    for (genvar i = 0; i < TAPS; i = i + 1) begin : g_tap
      // tap i of the word: (ky, kx) moved on by i taps, (i / K, i mod K) with a carry into ky
      wire [31:0] kxi = 32'(kx) + 32'(i % K);
      wire carry = kxi >= K;
      wire [31:0] py = 32'(wy) + 32'(ky) + 32'(i / K) + 32'(carry);
      wire [31:0] px = 32'(wx) + (carry ? kxi - K : kxi);
      wire row_border = py < PAD || py >= IMG_H + PAD;
      for (genvar m = 0; m < MMV; m = m + 1) begin : g_window
        wire [31:0] pxm = px + 32'(m * STRIDE);
        assign border0[m*TAPS+i] = row_border || pxm < PAD || pxm >= IMG_W + PAD;
      end
    end
    wire last_group = 32'(group) == CG - 1;
    wire last_kx = 32'(kx) == K - 1;
    wire last_wx = 32'(wx) == (OFM_W - MMV) * STRIDE;
    wire last_wy = 32'(wy) == (OFM_H - 1) * STRIDE;
    always @(posedge clk) begin
      if (issue) begin
        if (last_sf) begin
          {group, kx, ky} <= '0;
          if (last_nf) begin
            wx <= last_wx ? '0 : XW'(32'(wx) + MMV * STRIDE);
            if (last_wx) wy <= last_wy ? '0 : YW'(32'(wy) + STRIDE);
          end
        end else if (TAPS > 1) begin
          // the next word's first tap: TAPS taps on
          kx <= KW'(32'(kx) + TAPS % K >= K ? 32'(kx) + TAPS % K - K : 32'(kx) + TAPS % K);
          ky <= KW'(32'(ky) + TAPS / K + (32'(kx) + TAPS % K >= K ? 1 : 0));
        end else if (last_group) begin
          group <= '0;
          kx <= last_kx ? '0 : kx + 1'b1;
          if (last_kx) ky <= ky + 1'b1;
        end else begin
          group <= group + 1'b1;
        end
      end
      if (rst) {wy, wx, ky, kx, group} <= '0;
    end
  end else begin : g_no_zero_pad
    assign border0 = {MMV * TAPS{1'b0}};
  end
  // USE_DSP: stage 2's control (and the threshold ROM's address) delayed by DSP_DELAY stages,
  // so that the accumulate stage sees the step whose partial sums leave the chains.
  wire v2d, first2d, emit2d, lastg2d;
  wire [MMV*TAPS-1:0] border2d;
  /* verilator lint_off UNUSEDSIGNAL */
  wire [NFW-1:0] nf_t;  // the threshold ROM's address (unused without THRESHOLDS)
  /* verilator lint_on UNUSEDSIGNAL */
  if (DSP_DELAY > 0) begin : g_dsp_delay
    localparam integer CW = 4 + MMV * TAPS;
    reg [DSP_DELAY*CW-1:0] ctl;  // stage k at [k·CW +: CW], valid its top bit
    reg [DSP_DELAY*NFW-1:0] nfd;
    always @(posedge clk) begin
      if (adv) begin
        ctl <= (DSP_DELAY * CW)'({ctl, v2, first2, emit2, lastg2, border2});
        nfd <= (DSP_DELAY * NFW)'({nfd, nf});
      end
      if (rst) begin
        for (int k = 0; k < DSP_DELAY; k = k + 1) ctl[k*CW+CW-1] <= 1'b0;
      end
    end
    assign {v2d, first2d, emit2d, lastg2d, border2d} = ctl[DSP_DELAY*CW-1-:CW];
    assign nf_t = nfd[DSP_DELAY*NFW-1-:NFW];
  end else begin : g_no_dsp_delay
    assign {v2d, first2d, emit2d, lastg2d, border2d} = {v2, first2, emit2, lastg2, border2};
    assign nf_t = nf;
  end

  wire [LANES*ACC_BITS-1:0] acc_next;
  wire [LANES*OUT_BITS-1:0] out_next;
  // The thresholds of the group in the accumulate stage (unused without THRESHOLDS).
  /* verilator lint_off UNUSEDSIGNAL */
  wire [PE*T_LANE-1:0] t3;
  /* verilator lint_on UNUSEDSIGNAL */

  if (THRESHOLDS != 0) begin : g_thresholds
    wire [PE*T_LANE-1:0] t2;
    reg [PE*T_LANE-1:0] t3_reg;
    bnn_rom #(
`ifndef BNN_NO_INSTANCE_NAMES
      .NAME({NAME, ".g_thresholds.u_thresholds"}),
`endif
      .WIDTH(PE * T_LANE), .DEPTH(NF), .LATENCY(2), .INIT_FILE(THRESHOLD_FILE),
      .STYLE(THRESHOLD_STYLE)
    ) u_thresholds (
      .clk(clk), .en(adv), .addr(nf_t), .data(t2)
    );
    always @(posedge clk) begin
      if (adv) t3_reg <= t2;
    end
    assign t3 = t3_reg;
  end else begin : g_no_thresholds
    assign t3 = {PE * T_LANE{1'b0}};
  end

  // ZERO_PAD with SIMD over taps: per window, the synapses of the word in stage 3 that lie inside
  // the image (SIMD/TAPS a tap), for its partial sum 2·matches − inside.
  localparam integer IW = $clog2(SIMD + 1);
  /* verilator lint_off UNUSEDSIGNAL */
  wire [MMV*IW-1:0] inside3;
  /* verilator lint_on UNUSEDSIGNAL */
  for (genvar m = 0; m < MMV; m = m + 1) begin : g_inside
    if (ZERO_PAD != 0 && TAPS > 1) begin : g_count
      reg [IW-1:0] n;
      always @* begin
        n = IW'(SIMD);
        for (int i = 0; i < TAPS; i = i + 1) begin
          if (border3[m*TAPS+i]) n = n - IW'(SIMD / TAPS);
        end
      end
      assign inside3[m*IW+:IW] = n;
    end else begin : g_none
      assign inside3[m*IW+:IW] = {IW{1'b0}};
    end
  end

  // Integer input: per window, the sum of its SIMD inputs (g_integer below).
  /* verilator lint_off UNUSEDSIGNAL */
  wire [MMV*SUM_BITS-1:0] xsum2;
  /* verilator lint_on UNUSEDSIGNAL */
  for (genvar m = 0; m < MMV; m = m + 1) begin : g_window_sums
    if (IN_BITS > 1) begin : g_sum
      reg [SUM_BITS-1:0] t;
      always @* begin
        t = {SUM_BITS{1'b0}};
        for (int i = 0; i < SIMD; i = i + 1) begin
          if (IN_SIGNED != 0) begin
            t = t + SUM_BITS'($signed(x2[(m*SIMD+i)*IN_BITS+:IN_BITS]));
          end else begin
            t = t + SUM_BITS'(x2[(m*SIMD+i)*IN_BITS+:IN_BITS]);
          end
        end
      end
      assign xsum2[m*SUM_BITS+:SUM_BITS] = t;
    end else begin : g_none
      assign xsum2[m*SUM_BITS+:SUM_BITS] = {SUM_BITS{1'b0}};
    end
  end

  for (genvar q = 0; q < LANES; q = q + 1) begin : g_pe
    localparam integer p = q % PE;  // the lane's PE; q / PE its window
    wire [SIMD-1:0] w = w2[p*SIMD+:SIMD];
    wire [SIMD*IN_BITS-1:0] xq = x2[q/PE*SIMD*IN_BITS+:SIMD*IN_BITS];
    if (IN_BITS == 1 && !(ZERO_PAD != 0 && TAPS > 1)) begin : g_binary
      // popcount(XNOR(xq, w)), SUM_BITS = $clog2(SIMD + 1) bits (rtl/bnn_popcount.sv)
      bnn_popcount #(
`ifndef BNN_NO_INSTANCE_NAMES
        .NAME({NAME, ".g_pe.u_popcount"}),
`endif
        .WIDTH(SIMD), .MODE(1)
      ) u_popcount (
        .a(xq), .b(w), .count(sum2[q*SUM_BITS+:SUM_BITS])
      );
    end else if (IN_BITS == 1) begin : g_binary_taps
      // SIMD over taps with zero padding: the matches of the word's taps inside the image only
      wire [SIMD-1:0] in_image;
      for (genvar j = 0; j < SIMD; j = j + 1) begin : g_bit
        assign in_image[j] = !border2[q/PE*TAPS+j/(SIMD/TAPS)];
      end
      bnn_popcount #(
`ifndef BNN_NO_INSTANCE_NAMES
        .NAME({NAME, ".g_pe.u_popcount"}),
`endif
        .WIDTH(SIMD), .MODE(0)
      ) u_popcount (
        .a(~(xq ^ w) & in_image), .b({SIMD{1'b0}}), .count(sum2[q*SUM_BITS+:SUM_BITS])
      );
    end else if (USE_DSP == 2 && p < DSP_PE && p % 2 == 1) begin : g_dsp_partner
      // The lane's sum is the high field of lane q − 1's chain (g_dsp_pair drives part3 here).
      assign sum2[q*SUM_BITS+:SUM_BITS] = {SUM_BITS{1'b0}};
    end else if (USE_DSP == 2 && p + 1 < DSP_PE) begin : g_dsp_pair
      // Two PE lanes in one chain: c_i = c_{i−1} + x_i · (±1 ± 2^F), the first lane's weight in
      // the low field and the next's in the high one (F = SUM_BITS: each field holds a signed
      // partial sum; the weight word takes F + 2 bits of the slice's 25-bit A port, the two sums
      // 2F of its 48). The first stage adds 2^(F−1), which keeps the low field in [1, 2^F − 1], so
      // it never borrows from the high one: the high field is lane q + 1's sum as it stands and
      // the low one lane q's with its top bit inverted. One DSP slice a stage for two lanes
      // (docs/rtl.md, "Two PE lanes a DSP"); the skew, the operand registers and adv as in
      // g_dsp_chain.
      localparam integer F = SUM_BITS;
      localparam integer TWO_F = 1 << F;
      wire [SIMD-1:0] w_next = w2[(p+1)*SIMD+:SIMD];
      reg signed [2*F-1:0] c[0:SIMD-1];
      for (genvar i = 0; i < SIMD; i = i + 1) begin : g_stage
        wire [IN_BITS-1:0] xi;
        wire [1:0] wi;  // {next lane's, this lane's}
        if (i == 0) begin : g_now
          assign xi = xq[0+:IN_BITS];
          assign wi = {w_next[0], w[0]};
        end else begin : g_skew
          reg [i*IN_BITS-1:0] xd;
          reg [2*i-1:0] wd;
          always @(posedge clk) begin
            if (adv) begin
              xd <= (i * IN_BITS)'({xd, xq[i*IN_BITS+:IN_BITS]});
              wd <= (2 * i)'({wd, w_next[i], w[i]});
            end
          end
          assign xi = xd[i*IN_BITS-1-:IN_BITS];
          assign wi = wd[2*i-1-:2];
        end
        reg signed [IN_BITS:0] a;
        reg signed [F+1:0] b;  // ±1 ± 2^F
        always @(posedge clk) begin
          if (adv) begin
            a <= IN_SIGNED != 0 ? {xi[IN_BITS-1], xi} : {1'b0, xi};
            b <= (F + 2)'((wi[0] ? 1 : -1) + (wi[1] ? TWO_F : -TWO_F));
          end
        end
        wire signed [2*F-1:0] prod = (2 * F)'(a) * (2 * F)'(b);  // exact modulo 2^(2F)
        if (i == 0) begin : g_first
          always @(posedge clk) begin
            if (adv) c[i] <= prod + (2 * F)'(TWO_F / 2);
          end
        end else begin : g_next
          always @(posedge clk) begin
            if (adv) c[i] <= c[i-1] + prod;
          end
        end
      end
      assign sum2[q*SUM_BITS+:SUM_BITS] = {SUM_BITS{1'b0}};
      assign part3[q*SUM_BITS+:SUM_BITS] = {~c[SIMD-1][F-1], c[SIMD-1][F-2:0]};
      assign part3[(q+1)*SUM_BITS+:SUM_BITS] = c[SIMD-1][2*F-1:F];
    end else if (USE_DSP != 0 && p < DSP_PE) begin : g_dsp_chain
      // Σ ±x as a systolic chain, one synapse a stage: c_i = c_{i−1} + x_i · (w_i ? +1 : −1),
      // synapse i's input and weight delayed i stages, then registered as the operands, so that
      // c_{SIMD−1} holds the word's sum SIMD + 1 stages after stage 2 (DSP_DELAY = SIMD more than
      // the LUT form's sum3). Yosys maps a stage to a
      // DSP48E1 with its adder (P = PCIN + A·B) and the skew to shift registers (docs/rtl.md).
      // Every register moves with adv, so a stall freezes the chain with the rest of the pipe.
      reg signed [SUM_BITS-1:0] c[0:SIMD-1];
      for (genvar i = 0; i < SIMD; i = i + 1) begin : g_stage
        wire [IN_BITS-1:0] xi;
        wire wi;
        if (i == 0) begin : g_now
          assign xi = xq[0+:IN_BITS];
          assign wi = w[0];
        end else begin : g_skew
          // Packed vectors, not arrays: Yosys 0.23 maps an array's words with an enable bit each
          // (memory_map) and then finds no shift register in some foldings (docs/rtl.md).
          reg [i*IN_BITS-1:0] xd;
          reg [i-1:0] wd;
          always @(posedge clk) begin
            if (adv) begin
              xd <= (i * IN_BITS)'({xd, xq[i*IN_BITS+:IN_BITS]});
              wd <= i'({wd, w[i]});
            end
          end
          assign xi = xd[i*IN_BITS-1-:IN_BITS];
          assign wi = wd[i-1];
        end
        // The operands in registers (the DSP's A and B registers): Yosys 0.23's opt_expr turns a
        // product by a multiplexed ±1 into LUTs, but keeps it on the registers' outputs.
        reg signed [IN_BITS:0] a;
        reg signed [1:0] b;
        always @(posedge clk) begin
          if (adv) begin
            a <= IN_SIGNED != 0 ? {xi[IN_BITS-1], xi} : {1'b0, xi};
            b <= wi ? 2'sd1 : -2'sd1;
          end
        end
        wire signed [SUM_BITS-1:0] prod = SUM_BITS'(a) * SUM_BITS'(b);  // exact: |x| ≤ 2^IN_BITS
        if (i == 0) begin : g_first
          always @(posedge clk) begin
            if (adv) c[i] <= SUM_BITS'(prod);
          end
        end else begin : g_next
          always @(posedge clk) begin
            if (adv) c[i] <= c[i-1] + SUM_BITS'(prod);
          end
        end
      end
      assign sum2[q*SUM_BITS+:SUM_BITS] = {SUM_BITS{1'b0}};
      assign part3[q*SUM_BITS+:SUM_BITS] = c[SIMD-1];
    end else begin : g_integer
      // Binary weights select +x or −x: Σ ±x = 2·Σ_{w=1} x − Σ x. The lane adds only the x its
      // weights select (the AND folds into the first adders) and takes its window's Σ x, which
      // its PE lanes share (g_window_sums): Yosys 0.23 maps that to about 1.6 LUTs per synapse
      // and input bit, against 2.9 for an add or a subtract a synapse (docs/rtl.md). Modulo
      // 2^SUM_BITS, exact as the dot product fits.
      reg [SUM_BITS-1:0] s;
      reg [IN_BITS-1:0] v;
      always @* begin
        s = {SUM_BITS{1'b0}};
        for (int i = 0; i < SIMD; i = i + 1) begin
          v = xq[i*IN_BITS+:IN_BITS] & {IN_BITS{w[i]}};
          if (IN_SIGNED != 0) begin
            s = s + SUM_BITS'($signed(v));
          end else begin
            s = s + SUM_BITS'(v);
          end
        end
      end
      assign sum2[q*SUM_BITS+:SUM_BITS] = (s << 1) - xsum2[q/PE*SUM_BITS+:SUM_BITS];
    end

    // The partial sum in accumulator width: the true value fits the accumulator, so truncating a
    // wider sum is exact and a narrower one extends by its own signedness.
    if (IN_BITS == 1 || USE_DSP == 0) begin : g_part  // (g_dsp_chain drives its own)
      assign part3[q*SUM_BITS+:SUM_BITS] = sum3[q*SUM_BITS+:SUM_BITS];
    end else if (p >= DSP_PE) begin : g_part_delayed
      // A LUT lane beside DSP chains: its sum waits the chains' DSP_DELAY stages more (shift
      // registers), so that it meets the delayed control in the accumulate stage as theirs do.
      reg [DSP_DELAY*SUM_BITS-1:0] d;
      always @(posedge clk) begin
        if (adv) d <= (DSP_DELAY * SUM_BITS)'({d, sum3[q*SUM_BITS+:SUM_BITS]});
      end
      assign part3[q*SUM_BITS+:SUM_BITS] = d[DSP_DELAY*SUM_BITS-1-:SUM_BITS];
    end
    wire [SUM_BITS-1:0] part = part3[q*SUM_BITS+:SUM_BITS];
    wire [ACC_BITS-1:0] part_acc;
    if (ZERO_PAD != 0 && TAPS > 1) begin : g_dot_taps
      // 2·matches − (synapses inside) in accumulator width, modulo 2^ACC_BITS as below.
      assign part_acc = ACC_BITS'(32'(part) * 2 - 32'(inside3[q/PE*IW+:IW]));
    end else if (ZERO_PAD != 0) begin : g_dot
      // 2·matches − SIMD in accumulator width: modulo 2^ACC_BITS, exact as y fits.
      assign part_acc = border3[q/PE] ? {ACC_BITS{1'b0}} : ACC_BITS'(32'(part) * 2 - SIMD);
    end else if (SUM_BITS >= ACC_BITS) begin : g_truncate
      assign part_acc = part[ACC_BITS-1:0];
    end else if (IN_BITS == 1) begin : g_zero_extend
      assign part_acc = {{(ACC_BITS - SUM_BITS) {1'b0}}, part};
    end else begin : g_sign_extend
      assign part_acc = {{(ACC_BITS - SUM_BITS) {part[SUM_BITS-1]}}, part};
    end
    wire [ACC_BITS-1:0] a = first3 ? part_acc : acc[q*ACC_BITS+:ACC_BITS] + part_acc;
    assign acc_next[q*ACC_BITS+:ACC_BITS] = a;

    wire real_lane = !lastg3 || p < LAST_LANES;
    if (THRESHOLDS != 0) begin : g_threshold_out
      wire fires;
      bnn_threshold_compare #(
        .X_BITS(ACC_BITS), .X_SIGNED(ACC_SIGNED), .T_BITS(T_BITS)
      ) u_compare (
        .x(a), .t(t3[p*T_LANE+:T_BITS]), .fires(fires)
      );
      assign out_next[q] = real_lane && (fires ^ t3[p*T_LANE+T_BITS]);
    end else begin : g_acc_out
      assign out_next[q*OUT_BITS+:OUT_BITS] = real_lane ? a : {OUT_BITS{1'b0}};
    end
  end

  always @(posedge clk) begin
    if (issue) begin
      sf <= last_sf ? {SFW{1'b0}} : sf + 1'b1;
      if (last_sf) nf <= last_nf ? {NFW{1'b0}} : nf + 1'b1;
      waddr <= last_sf && last_nf ? {WAW{1'b0}} : waddr + 1'b1;
    end
    if (adv) begin
      v1 <= issue;
      first1 <= sf == {SFW{1'b0}};
      emit1 <= last_sf && 32'(nf) < OUT_GROUPS;
      lastg1 <= 32'(nf) == OUT_GROUPS - 1;
      x1 <= x0;
      v2 <= v1;
      border1 <= border0;
      {first2, emit2, lastg2, border2} <= {first1, emit1, lastg1, border1};
      x2 <= x1;
      v3 <= v2d;
      {first3, emit3, lastg3, border3} <= {first2d, emit2d, lastg2d, border2d};
      sum3 <= sum2;
      if (v3) acc <= acc_next;
    end
    if (adv && v3 && emit3) begin
      out_data <= out_next;
      out_valid <= 1'b1;
    end else if (m_axis_tready) begin
      out_valid <= 1'b0;
    end
    if (rst) begin
      nf <= {NFW{1'b0}};
      sf <= {SFW{1'b0}};
      waddr <= {WAW{1'b0}};
      {v1, v2, v3} <= 3'b000;
      out_valid <= 1'b0;
    end
  end

  assign m_axis_tdata = out_data;
  assign m_axis_tvalid = out_valid;
endmodule

`default_nettype wire
