// The input-reuse matrix-vector(-threshold) unit (Fu et al.'s input reuse) of one binary-input
// convolution: consecutive windows v − 1, v of one output row differ in few bits, so with D the
// positions where x_v ≠ x_{v−1} and m_r(D) the hits of x_v and row r's weights on D (where the
// old input is the complement of the new one)
//     P_r(v) = P_r(v − 1) − |D| + 2·m_r(D).
// The first window of an output row (of a frame, too: OFM_W divides a frame's windows) is
// computed plainly, P_r = m_r(D) with D every real position.
//
// Per vector, NF groups of PE rows (row r in PE r mod PE at slot r div PE, as bnn_mvtu):
//   group 0     cycle s reads input word s (SF = IN_WORDS words of SIMD bits, one a cycle; it
//               waits while there is none), stores it in the input buffer, and forms
//               mask_s = first-in-row ? the real bits : word_s XOR the buffer's word s (the
//               previous vector's, overwritten now); its PE rows add the hits of the word
//               and their weights on mask_s, |D| adds popcount(mask_s), and SIMD lane j appends
//               s to its list when bit j of mask_s is set (n_j entries);
//   group g ≥ 1 lane j walks its list, one position a cycle: at cycle t < n_j it reads the
//               buffered input bit and its PE rows' weight bits at (g, list_j[t]) — the weights
//               are read per lane, each lane with its own address — so the group takes
//               max(1, c) cycles, c = max_j n_j (the same for every group of the vector).
// A group's last cycle computes its rows' P from the P memory (NF words of PE accumulators: the
// previous vector's P), writes them back, and loads the output register with the group's word
// ((P ≥ T) xor negate, or P); as in bnn_mvtu it waits while the register holds a word the output
// does not take. A first-in-row vector takes NF·SF cycles, the plain unit's; any other
// SF + (NF − 1)·max(1, c), never more. Groups past the real rows are computed but not sent, and
// lanes past MH are 0.
//
// The weight and threshold memories are read asynchronously (LUT memories; WEIGHT_FILE is
// bnn_mvtu's, SIMD read ports), so every step above takes one cycle and nothing is pipelined.
// src/sim/input_reuse_mvtu.h models this register by register and the cycle simulator runs it, so
// the two count the same cycles.
`default_nettype none
`include "bnn_defs.vh"

module bnn_mvtu_ir #(
  parameter NAME = "bnn_mvtu_ir",    // instance path in error messages
  parameter integer PE = 2,          // rows computed in parallel
  parameter integer SIMD = 4,        // synapses per PE and cycle (input lanes)
  parameter integer MH = 4,          // real rows (output elements per vector)
  parameter integer MW = 8,          // real columns (synapses per row)
  parameter integer NF = 2,          // neuron fold: padded rows / PE
  parameter integer SF = 2,          // synapse fold: columns / SIMD, words per vector
  parameter integer IN_WORDS = 2,    // words read per vector, ⌈MW / SIMD⌉ (must equal SF)
  parameter integer OFM_W = 2,       // windows per output row (≥ 2)
  parameter integer ACC_BITS = 4,    // accumulator bits: P ≤ MW fits
  parameter integer THRESHOLDS = 1,  // 1: output (P ≥ T) xor negate; 0: output P
  parameter         WEIGHT_FILE = "",    // NF·SF words of PE·SIMD bits (as bnn_mvtu)
  parameter         THRESHOLD_FILE = ""  // NF words of PE·(ACC_BITS+3) bits (as bnn_mvtu)
) (
  input  wire                 clk,
  input  wire                 rst,
  input  wire [SIMD-1:0]      s_axis_tdata,
  input  wire                 s_axis_tvalid,
  output wire                 s_axis_tready,
  output wire [PE*(THRESHOLDS != 0 ? 1 : ACC_BITS)-1:0] m_axis_tdata,
  output wire                 m_axis_tvalid,
  input  wire                 m_axis_tready
);
  localparam integer OUT_BITS = THRESHOLDS != 0 ? 1 : ACC_BITS;
  localparam integer OUT_GROUPS = (MH + PE - 1) / PE;
  localparam integer T_BITS = ACC_BITS + 2;
  localparam integer T_LANE = T_BITS + 1;
  localparam integer NFW = NF > 1 ? $clog2(NF) : 1;
  localparam integer SFW = SF > 1 ? $clog2(SF) : 1;
  localparam integer CW = $clog2(SF + 1);   // a lane's count n_j ≤ SF
  localparam integer XW = $clog2(OFM_W);
  localparam integer DW = $clog2(MW + 1);   // |D| ≤ MW
  localparam integer WAW = NF * SF > 1 ? $clog2(NF * SF) : 1;

  if (PE < 1 || SIMD < 1 || MH < 1 || MH > NF * PE || MW < 1 || SF < 1 || IN_WORDS != SF ||
      SF != (MW + SIMD - 1) / SIMD || OFM_W < 2 || ACC_BITS < $clog2(MW + 1))
  begin : g_illegal
    `BNN_PARAM_ERROR(("%s: illegal parameters PE %0d SIMD %0d MH %0d MW %0d NF %0d SF %0d IN_WORDS %0d OFM_W %0d ACC_BITS %0d (need MH <= NF*PE, SF = IN_WORDS = ceil(MW/SIMD), OFM_W >= 2, MW < 2^ACC_BITS)",
                      NAME, PE, SIMD, MH, MW, NF, SF, IN_WORDS, OFM_W, ACC_BITS))
  end

  reg [NFW-1:0] g;   // group
  reg [SFW-1:0] t;   // cycle within the group
  reg [XW-1:0] ox;   // the vector's window in its output row
  reg out_valid;
  reg [PE*OUT_BITS-1:0] out_data;
  reg [SIMD-1:0] ibuf[0:SF-1];
  reg [DW-1:0] dsum;
  wire [SIMD*CW-1:0] n;  // per lane: positions listed (g_lane's registers)
  reg [PE*DW-1:0] acc;  // per PE: hits so far in the group

  wire first = ox == {XW{1'b0}};
  reg [CW-1:0] c;
  always @* begin
    c = {CW{1'b0}};
    for (int j = 0; j < SIMD; j = j + 1) begin
      if (n[j*CW+:CW] > c) c = n[j*CW+:CW];
    end
  end
  wire group0 = g == {NFW{1'b0}};
  wire [31:0] length = group0 ? SF : (c == {CW{1'b0}} ? 1 : 32'(c));
  wire last = 32'(t) == length - 1;
  wire emit = last && 32'(g) < OUT_GROUPS;
  wire stall = emit && out_valid && !m_axis_tready;
  wire adv = !stall && (!group0 || s_axis_tvalid);
  assign s_axis_tready = !stall && group0;

  // Group 0: the word's mask, first in a row every real bit of it.
  wire [SIMD-1:0] real_bits;
  for (genvar j = 0; j < SIMD; j = j + 1) begin : g_real
    assign real_bits[j] = 32'(t) * SIMD + j < MW;
  end
  wire [SIMD-1:0] mask0 = first ? real_bits : s_axis_tdata ^ ibuf[t];

  reg [PE*SIMD-1:0] wmem[0:NF*SF-1];
  initial begin
    if (WEIGHT_FILE != "") $readmemh(WEIGHT_FILE, wmem);
  end

  // Per lane: whether it counts this cycle, its position, input bit and weight word.
  wire [SIMD-1:0] active;
  wire [PE*SIMD-1:0] match;
  for (genvar j = 0; j < SIMD; j = j + 1) begin : g_lane
    reg [SFW-1:0] list[0:SF-1];
    reg [CW-1:0] nj;
    assign n[j*CW+:CW] = nj;
    wire [SFW-1:0] pos = group0 ? t : list[t];
    assign active[j] = group0 ? mask0[j] : 32'(t) < 32'(nj);
    wire x = group0 ? s_axis_tdata[j] : ibuf[pos][j];
    wire [PE*SIMD-1:0] w = wmem[WAW'(32'(g) * SF + 32'(pos))];
    for (genvar p = 0; p < PE; p = p + 1) begin : g_pe
      assign match[p*SIMD+j] = active[j] && x == w[p*SIMD+j];
    end
    always @(posedge clk) begin
      if (adv && group0) begin
        nj <= (t == {SFW{1'b0}} ? {CW{1'b0}} : nj) + CW'(mask0[j]);
        if (mask0[j]) list[t == {SFW{1'b0}} ? {SFW{1'b0}} : SFW'(nj)] <= t;
      end
      if (rst) nj <= {CW{1'b0}};
    end
  end

  localparam integer SUM_BITS = $clog2(SIMD + 1);
  wire [SUM_BITS-1:0] mask_count;  // popcount(mask0) (rtl/bnn_popcount.sv)
  bnn_popcount #(
`ifndef BNN_NO_INSTANCE_NAMES
    .NAME({NAME, ".u_mask_count"}),
`endif
    .WIDTH(SIMD), .MODE(0)
  ) u_mask_count (
    .a(mask0), .b(mask0), .count(mask_count)
  );
  wire [DW-1:0] dsum_next = (t == {SFW{1'b0}} ? {DW{1'b0}} : dsum) + DW'(mask_count);
  wire [DW-1:0] d = group0 ? dsum_next : dsum;  // |D| at the group's last cycle

  // The thresholds of group g (unused without THRESHOLDS).
  /* verilator lint_off UNUSEDSIGNAL */
  wire [PE*T_LANE-1:0] tw;
  /* verilator lint_on UNUSEDSIGNAL */
  if (THRESHOLDS != 0) begin : g_thresholds
    reg [PE*T_LANE-1:0] tmem[0:NF-1];
    initial begin
      if (THRESHOLD_FILE != "") $readmemh(THRESHOLD_FILE, tmem);
    end
    assign tw = tmem[g];
  end else begin : g_no_thresholds
    assign tw = {PE * T_LANE{1'b0}};
  end
  reg [PE*ACC_BITS-1:0] pmem[0:NF-1];
  wire [PE*ACC_BITS-1:0] pold = pmem[g];
  wire [PE*DW-1:0] acc_next;
  wire [PE*ACC_BITS-1:0] pnew;
  wire [PE*OUT_BITS-1:0] out_next;
  for (genvar p = 0; p < PE; p = p + 1) begin : g_pe
    wire [DW-1:0] so_far = t == {SFW{1'b0}} ? {DW{1'b0}} : acc[p*DW+:DW];
    wire [SUM_BITS-1:0] hits;  // popcount of the lanes' hits
    bnn_popcount #(
`ifndef BNN_NO_INSTANCE_NAMES
      .NAME({NAME, ".g_pe.u_popcount"}),
`endif
      .WIDTH(SIMD), .MODE(0)
    ) u_popcount (
      .a(match[p*SIMD+:SIMD]), .b(match[p*SIMD+:SIMD]), .count(hits)
    );
    wire [31:0] m = 32'(so_far) + 32'(hits);
    assign acc_next[p*DW+:DW] = DW'(m);
    // P − |D| + 2·m stays in [0, MW]: exact in 32 bits, then in ACC_BITS.
    /* verilator lint_off UNUSEDSIGNAL */
    wire [31:0] pv = first ? m : 32'(pold[p*ACC_BITS+:ACC_BITS]) - 32'(d) + 2 * m;
    /* verilator lint_on UNUSEDSIGNAL */
    assign pnew[p*ACC_BITS+:ACC_BITS] = ACC_BITS'(pv);
    wire real_lane = 32'(g) * PE + p < MH;
    if (THRESHOLDS != 0) begin : g_threshold
      wire fires;
      bnn_threshold_compare #(
        .X_BITS(ACC_BITS), .X_SIGNED(0), .T_BITS(T_BITS)
      ) u_compare (
        .x(pnew[p*ACC_BITS+:ACC_BITS]), .t(tw[p*T_LANE+:T_BITS]), .fires(fires)
      );
      assign out_next[p] = real_lane && (fires ^ tw[p*T_LANE+T_BITS]);
    end else begin : g_value
      assign out_next[p*OUT_BITS+:OUT_BITS] =
          real_lane ? pnew[p*ACC_BITS+:ACC_BITS] : {OUT_BITS{1'b0}};
    end
  end

  always @(posedge clk) begin
    if (adv) begin
      if (group0) begin
        ibuf[t] <= s_axis_tdata;
        dsum <= dsum_next;
      end
      acc <= acc_next;
      if (last) begin
        pmem[g] <= pnew;
        t <= {SFW{1'b0}};
        if (32'(g) == NF - 1) begin
          g <= {NFW{1'b0}};
          ox <= 32'(ox) == OFM_W - 1 ? {XW{1'b0}} : ox + 1'b1;
        end else begin
          g <= g + 1'b1;
        end
      end else begin
        t <= t + 1'b1;
      end
    end
    if (adv && emit) begin
      out_data <= out_next;
      out_valid <= 1'b1;
    end else if (m_axis_tready) begin
      out_valid <= 1'b0;
    end
    if (rst) begin
      g <= {NFW{1'b0}};
      t <= {SFW{1'b0}};
      ox <= {XW{1'b0}};
      out_valid <= 1'b0;
    end
  end

  assign m_axis_tdata = out_data;
  assign m_axis_tvalid = out_valid;
endmodule

`default_nettype wire
