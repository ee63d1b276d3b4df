// The early-exit matrix-vector-threshold unit (O3BNN's early termination) of one binary layer
// ending in thresholds: bnn_mvtu's folding, weight and threshold layout and pipeline, except that a
// PE-row group stops its synapse loop once every real row's output is decided.
//
//   NF = padded rows / PE      neuron fold: PE-row groups per input vector
//   SF = padded columns / SIMD synapse fold: at most SF cycles per group
//
// After chunk j of a group, a row's popcount P_j and the real synapses still to come,
// rem_j = max(0, MW − (j+1)·SIMD), bound its final P to [P_j, P_j + rem_j]: the output bit
// (P ≥ T) xor negate is certain once P_j ≥ T and once P_j + rem_j < T (sim/early_exit.h). The
// decision is seen where the accumulator is, three stages after the chunk's issue; the chunks
// issued behind it are squashed and the issue restarts at the next group, so a group decided at
// chunk j costs min(SF, j + 4) cycles. src/sim/early_exit_mvtu.h models this register by register
// and the cycle simulator runs it, so the two count the same cycles.
//
// Unlike bnn_mvtu, the input is read by its own port, one word a cycle while the vector has words
// left, into a buffer of IN_WORDS words: a first group that ends early does not stop the rest of
// its vector's words. Chunk sf issues once word sf is in the buffer or arrives that cycle (passed
// straight on); the vector ends with its last group once all its words are read, and the next
// vector's words are read from the cycle after.
//
// Pipeline: issue (counters, input word) → weight ROM (registered) → ROM output register →
// popcounts → accumulate, compare and decide → output register. The pipeline stalls only when a
// group's result is due while the output register still holds an unsent word.
`default_nettype none
`include "bnn_defs.vh"

module bnn_mvtu_exit #(
  parameter NAME = "bnn_mvtu_exit",  // instance path in error messages
  parameter integer PE = 2,          // rows computed in parallel
  parameter integer SIMD = 4,        // synapses per PE and cycle
  parameter integer MH = 4,          // real rows (output elements per vector)
  parameter integer MW = 8,          // real columns (synapses per row)
  parameter integer NF = 2,          // neuron fold: padded rows / PE
  parameter integer SF = 2,          // synapse fold: padded columns / SIMD
  parameter integer IN_WORDS = 2,    // words read per input vector, ⌈MW / SIMD⌉ (≤ SF)
  parameter integer ACC_BITS = 4,    // accumulator bits: P ≤ MW fits
  parameter         WEIGHT_FILE = "",    // NF·SF words of PE·SIMD bits (as bnn_mvtu)
  parameter         THRESHOLD_FILE = "", // NF words of PE·(ACC_BITS+3) bits (as bnn_mvtu)
  parameter         WEIGHT_STYLE = "",   // where the weights go: bnn_rom's STYLE ("" = the tool's choice)
  parameter         THRESHOLD_STYLE = "" // where the thresholds go (bnn_rom's STYLE)
) (
  input  wire                 clk,
  input  wire                 rst,
  input  wire [SIMD-1:0]      s_axis_tdata,
  input  wire                 s_axis_tvalid,
  output wire                 s_axis_tready,
  output wire [PE-1:0]        m_axis_tdata,
  output wire                 m_axis_tvalid,
  input  wire                 m_axis_tready
);
  localparam integer T_BITS = ACC_BITS + 2;
  localparam integer T_LANE = T_BITS + 1;
  localparam integer OUT_GROUPS = (MH + PE - 1) / PE;
  localparam integer LAST_LANES = MH - (OUT_GROUPS - 1) * PE;
  localparam integer W_DEPTH = NF * SF;
  localparam integer NFW = NF > 1 ? $clog2(NF) : 1;
  localparam integer SFW = SF > 1 ? $clog2(SF) : 1;
  localparam integer WAW = W_DEPTH > 1 ? $clog2(W_DEPTH) : 1;
  localparam integer RDW = $clog2(IN_WORDS + 1);
  localparam integer IBW = IN_WORDS > 1 ? $clog2(IN_WORDS) : 1;
  localparam integer SUM_BITS = $clog2(SIMD + 1);

  if (PE < 1 || SIMD < 1 || NF < 1 || SF < 1 || MH < 1 || MH > NF * PE || MW < 1 ||
      MW > SF * SIMD || IN_WORDS != (MW + SIMD - 1) / SIMD || ACC_BITS < $clog2(MW + 1))
  begin : g_illegal
    `BNN_PARAM_ERROR(("%s: illegal folding PE %0d SIMD %0d MH %0d MW %0d NF %0d SF %0d IN_WORDS %0d ACC_BITS %0d (need MH <= NF*PE, MW <= SF*SIMD, IN_WORDS = ceil(MW/SIMD), MW < 2^ACC_BITS)",
                      NAME, PE, SIMD, MH, MW, NF, SF, IN_WORDS, ACC_BITS))
  end

  // The reader: words of the current vector read so far.
  reg [RDW-1:0] rd;
  assign s_axis_tready = 32'(rd) < IN_WORDS;
  wire read = s_axis_tready && s_axis_tvalid;
  reg [SIMD-1:0] ibuf[0:IN_WORDS-1];

  // Issue: the (nf, sf) step entering the pipeline this cycle, and the group count mod 4 that
  // tells stage 3 whether the issue is still in its group (at most three group ends fit behind).
  reg [NFW-1:0] nf;
  reg [SFW-1:0] sf;
  reg [1:0] tag;
  wire last_sf = 32'(sf) == SF - 1;
  wire last_nf = 32'(nf) == NF - 1;
  wire [WAW-1:0] waddr = WAW'(32'(nf) * SF + 32'(sf));
  wire buffered = 32'(sf) < 32'(rd);
  wire passing = 32'(sf) == 32'(rd) && read;
  wire padding = 32'(sf) >= IN_WORDS;
  wire [SIMD-1:0] x0 = buffered ? ibuf[IBW'(sf)] : padding ? {SIMD{1'b0}} : s_axis_tdata;

  reg v1, v2, v3;  // pipeline stage valid
  reg [NFW-1:0] nf1, nf2, nf3;
  reg [SFW-1:0] sf1, sf2, sf3;
  reg [1:0] tag1, tag2, tag3;
  reg [SIMD-1:0] x1, x2;
  reg [PE*SUM_BITS-1:0] sum3;
  reg [PE*ACC_BITS-1:0] acc;
  reg [PE-1:0] out_data;
  reg out_valid;

  wire [PE*SIMD-1:0] w2;
  wire [PE*T_LANE-1:0] t2;
  reg [PE*T_LANE-1:0] t3;
  wire adv;
  bnn_rom #(
`ifndef BNN_NO_INSTANCE_NAMES
    .NAME({NAME, ".u_weights"}),
`endif
    .WIDTH(PE * SIMD), .DEPTH(W_DEPTH), .LATENCY(2), .INIT_FILE(WEIGHT_FILE),
    .STYLE(WEIGHT_STYLE)
  ) u_weights (
    .clk(clk), .en(adv), .addr(waddr), .data(w2)
  );
  bnn_rom #(
`ifndef BNN_NO_INSTANCE_NAMES
    .NAME({NAME, ".u_thresholds"}),
`endif
    .WIDTH(PE * T_LANE), .DEPTH(NF), .LATENCY(2), .INIT_FILE(THRESHOLD_FILE),
    .STYLE(THRESHOLD_STYLE)
  ) u_thresholds (
    .clk(clk), .en(adv), .addr(nf), .data(t2)
  );

  // Stage 3: real synapses after chunk sf3.
  wire [31:0] done3 = (32'(sf3) + 1) * SIMD;
  wire [31:0] rem3 = done3 >= MW ? 32'd0 : MW - done3;
  wire first3 = sf3 == {SFW{1'b0}};
  wire lastg3 = 32'(nf3) == OUT_GROUPS - 1;
  wire [PE*ACC_BITS-1:0] acc_next;
  wire [PE-1:0] out_next;
  wire [PE-1:0] decided;

  for (genvar p = 0; p < PE; p = p + 1) begin : g_pe
    wire [SIMD-1:0] w = w2[p*SIMD+:SIMD];
    wire [SUM_BITS-1:0] sum2;  // popcount(XNOR(x2, w)) (rtl/bnn_popcount.sv)
    bnn_popcount #(
`ifndef BNN_NO_INSTANCE_NAMES
      .NAME({NAME, ".g_pe.u_popcount"}),
`endif
      .WIDTH(SIMD), .MODE(1)
    ) u_popcount (
      .a(x2), .b(w), .count(sum2)
    );
    always @(posedge clk) begin
      if (adv) sum3[p*SUM_BITS+:SUM_BITS] <= sum2;
    end
    wire [SUM_BITS-1:0] part = sum3[p*SUM_BITS+:SUM_BITS];
    wire [ACC_BITS-1:0] part_acc;
    if (SUM_BITS >= ACC_BITS) begin : g_truncate
      assign part_acc = part[ACC_BITS-1:0];
    end else begin : g_zero_extend
      assign part_acc = {{(ACC_BITS - SUM_BITS) {1'b0}}, part};
    end
    wire [ACC_BITS-1:0] a = first3 ? part_acc : acc[p*ACC_BITS+:ACC_BITS] + part_acc;
    assign acc_next[p*ACC_BITS+:ACC_BITS] = a;
    // P ≤ MW < 2^ACC_BITS and T in [0, MW + 1] (the generator clamps it): 33 signed bits hold
    // every term.
    wire fires;
    bnn_threshold_compare #(
      .X_BITS(ACC_BITS), .X_SIGNED(0), .T_BITS(T_BITS)
    ) u_compare (
      .x(a), .t(t3[p*T_LANE+:T_BITS]), .fires(fires)
    );
    wire signed [32:0] p_now = $signed({1'b0, 32'(a)});
    wire signed [32:0] t = 33'($signed(t3[p*T_LANE+:T_BITS]));
    wire dead = p_now + $signed({1'b0, rem3}) < t;
    wire real_lane = 32'(nf3) * PE + p < MH;
    assign decided[p] = !real_lane || fires || dead;
    assign out_next[p] = (!lastg3 || p < LAST_LANES) && (fires ^ t3[p*T_LANE+T_BITS]);
  end

  wire last_chunk3 = 32'(sf3) == SF - 1;
  wire redirect = v3 && &decided && !last_chunk3 && tag3 == tag &&
                  (32'(nf3) != NF - 1 || 32'(rd) == IN_WORDS);
  wire ends3 = v3 && (last_chunk3 || redirect);
  wire real3 = 32'(nf3) < OUT_GROUPS;
  wire stall = ends3 && real3 && out_valid && !m_axis_tready;
  assign adv = !stall;
  wire issue = adv && !redirect && (buffered || passing || padding);
  wire vector_end = (issue && last_sf && last_nf) || (adv && redirect && 32'(nf3) == NF - 1);

  always @(posedge clk) begin
    if (read) ibuf[IBW'(rd)] <= s_axis_tdata;
    if (vector_end) begin
      rd <= {RDW{1'b0}};
    end else if (read) begin
      rd <= rd + 1'b1;
    end
    if (adv && redirect) begin
      nf <= 32'(nf3) == NF - 1 ? {NFW{1'b0}} : nf3 + 1'b1;
      sf <= {SFW{1'b0}};
      tag <= tag + 1'b1;
    end else if (issue) begin
      sf <= last_sf ? {SFW{1'b0}} : sf + 1'b1;
      if (last_sf) begin
        nf <= last_nf ? {NFW{1'b0}} : nf + 1'b1;
        tag <= tag + 1'b1;
      end
    end
    if (adv) begin
      v1 <= issue && !redirect;
      {nf1, sf1, tag1, x1} <= {nf, sf, tag, x0};
      v2 <= v1 && !redirect;
      {nf2, sf2, tag2, x2} <= {nf1, sf1, tag1, x1};
      v3 <= v2 && !redirect;
      {nf3, sf3, tag3} <= {nf2, sf2, tag2};
      t3 <= t2;
      if (v3) acc <= acc_next;
    end
    if (adv && ends3 && real3) begin
      out_data <= out_next;
      out_valid <= 1'b1;
    end else if (m_axis_tready) begin
      out_valid <= 1'b0;
    end
    if (rst) begin
      rd <= {RDW{1'b0}};
      nf <= {NFW{1'b0}};
      sf <= {SFW{1'b0}};
      tag <= 2'b00;
      {v1, v2, v3} <= 3'b000;
      out_valid <= 1'b0;
    end
  end

  assign m_axis_tdata = out_data;
  assign m_axis_tvalid = out_valid;
endmodule

`default_nettype wire
