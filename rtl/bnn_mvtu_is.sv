// The matrix-vector-threshold unit of a dense layer in the input-stationary order
// (docs/dense-order.md): MH × MW binary weights, PE rows in parallel, SIMD synapses per PE and
// cycle, as bnn_mvtu, with its two loops swapped.
//
//   NF = padded rows / PE      neuron fold: PE-row groups, one cycle each per input word
//   SF = padded columns / SIMD synapse fold: passes, one per input word
//
// For every input vector it runs SF passes of NF cycles (NF · SF cycles per vector, as bnn_mvtu).
// A pass reads one word of SIMD elements in its first cycle (passes past IN_WORDS, which only pad
// the columns, read nothing and add 0) and holds it while all NF groups add its partial dot
// products to their rows' accumulators: an accumulator memory of NF words of PE lanes (registers
// when NF = 1, else distributed RAM: read asynchronously in the accumulate stage and written back
// at its end, so group g of one pass sees group g of the pass before). In the last pass group g's
// rows are complete: their outputs leave as one word of PE elements, thresholded on the way. So
// the vector's output is out NF cycles (and the pipeline) after its last input word, where
// bnn_mvtu needs (NF − 1) · SF more cycles after it; and no input buffer is kept.
//
// Weight word sf · NF + nf of WEIGHT_FILE holds, for PE p, bits [p·SIMD +: SIMD] = columns
// sf·SIMD .. of row nf·PE + p (the order the passes read them). Synapses, padding, thresholds and
// outputs mean what they mean in bnn_mvtu (its header derives them): binary input adds
// popcount(~(x ^ w)), integer input ±x; THRESHOLD_FILE has NF words of PE lanes {negate, T};
// groups past the real rows MH are computed but not sent.
//
// Pipeline: issue (counters, input word) → weight ROM (registered) → ROM output register →
// partial sums → accumulate (memory read, add, write back) and compare → output register. The
// pipeline stalls only when a group's result is due while the output register still holds an
// unsent word.
`default_nettype none
`include "bnn_defs.vh"

module bnn_mvtu_is #(
  parameter NAME = "bnn_mvtu_is",  // instance path in error messages
  parameter integer PE = 2,          // rows computed in parallel
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
  parameter         WEIGHT_FILE = "",    // SF·NF words of PE·SIMD bits, pass-major
  parameter         THRESHOLD_FILE = "", // NF words of PE·(ACC_BITS+3) bits
  parameter         WEIGHT_STYLE = "",   // where the weights go: bnn_rom's STYLE ("" = the tool's choice)
  parameter         THRESHOLD_STYLE = "" // where the thresholds go (bnn_rom's STYLE)
) (
  input  wire                                        clk,
  input  wire                                        rst,
  input  wire [SIMD*IN_BITS-1:0]                     s_axis_tdata,
  input  wire                                        s_axis_tvalid,
  output wire                                        s_axis_tready,
  output wire [PE*(THRESHOLDS != 0 ? 1 : ACC_BITS)-1:0] m_axis_tdata,
  output wire                                        m_axis_tvalid,
  input  wire                                        m_axis_tready
);
  localparam integer IN_WIDTH = SIMD * IN_BITS;
  localparam integer OUT_BITS = THRESHOLDS != 0 ? 1 : ACC_BITS;
  localparam integer T_BITS = ACC_BITS + 2;
  localparam integer T_LANE = T_BITS + 1;
  localparam integer OUT_GROUPS = (MH + PE - 1) / PE;
  localparam integer LAST_LANES = MH - (OUT_GROUPS - 1) * PE;
  localparam integer W_DEPTH = NF * SF;
  localparam integer NFW = NF > 1 ? $clog2(NF) : 1;
  localparam integer SFW = SF > 1 ? $clog2(SF) : 1;
  localparam integer WAW = W_DEPTH > 1 ? $clog2(W_DEPTH) : 1;
  localparam integer SUM_BITS = IN_BITS == 1 ? $clog2(SIMD + 1) : IN_BITS + $clog2(SIMD + 1) + 1;

  if (PE < 1 || SIMD < 1 || NF < 1 || SF < 1 || MH < 1 || MH > NF * PE || IN_WORDS < 1 ||
      IN_WORDS > SF || IN_BITS < 1 || ACC_BITS < 1 || (IN_BITS == 1 && ACC_SIGNED != 0))
  begin : g_illegal
    `BNN_PARAM_ERROR(("%s: illegal folding PE %0d SIMD %0d MH %0d NF %0d SF %0d IN_WORDS %0d IN_BITS %0d ACC_BITS %0d ACC_SIGNED %0d (need MH <= NF*PE, 1 <= IN_WORDS <= SF, binary accumulators unsigned)", NAME,
                      PE, SIMD, MH, NF, SF, IN_WORDS, IN_BITS, ACC_BITS, ACC_SIGNED))
  end

  // Issue: the (sf, nf) step entering the pipeline this cycle.
  reg [SFW-1:0] sf;
  reg [NFW-1:0] nf;
  reg [WAW-1:0] waddr;
  wire last_sf = 32'(sf) == SF - 1;
  wire last_nf = 32'(nf) == NF - 1;
  wire real_word = 32'(sf) < IN_WORDS;
  wire need_in = nf == {NFW{1'b0}} && real_word;

  reg v1, v2, v3;  // pipeline stage valid
  reg first1, first2, first3, emit1, emit2, emit3, lastg1, lastg2, lastg3;
  reg [NFW-1:0] nf1, nf2, nf3;
  reg out_valid;
  wire stall = v3 && emit3 && out_valid && !m_axis_tready;
  wire adv = !stall;
  wire issue = adv && (!need_in || s_axis_tvalid);
  assign s_axis_tready = adv && need_in;

  // The word of this pass, held for its NF cycles.
  reg [IN_WIDTH-1:0] held;
  wire [IN_WIDTH-1:0] x0 = need_in ? s_axis_tdata : real_word ? held : {IN_WIDTH{1'b0}};
  always @(posedge clk) begin
    if (issue && need_in) held <= s_axis_tdata;
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
  reg [PE*SUM_BITS-1:0] sum3;
  reg [PE*OUT_BITS-1:0] out_data;
  wire [PE*SUM_BITS-1:0] sum2;
  wire [PE*ACC_BITS-1:0] acc_next;
  wire [PE*OUT_BITS-1:0] out_next;
  /* verilator lint_off UNUSEDSIGNAL */
  wire [PE*T_LANE-1:0] t3;
  /* verilator lint_on UNUSEDSIGNAL */

  // The accumulators of all rows: word g holds group g's PE lanes.
  reg [PE*ACC_BITS-1:0] acc_mem[0:NF-1];
  wire [PE*ACC_BITS-1:0] acc = acc_mem[nf3];
  always @(posedge clk) begin
    if (adv && v3) acc_mem[nf3] <= acc_next;
  end

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
      .clk(clk), .en(adv), .addr(nf), .data(t2)
    );
    always @(posedge clk) begin
      if (adv) t3_reg <= t2;
    end
    assign t3 = t3_reg;
  end else begin : g_no_thresholds
    assign t3 = {PE * T_LANE{1'b0}};
  end

  // Integer input: the sum of the word's SIMD inputs (g_integer below).
  /* verilator lint_off UNUSEDSIGNAL */
  wire [SUM_BITS-1:0] xsum2;
  /* verilator lint_on UNUSEDSIGNAL */
  if (IN_BITS > 1) begin : g_input_sum
    reg [SUM_BITS-1:0] t;
    always @* begin
      t = {SUM_BITS{1'b0}};
      for (int i = 0; i < SIMD; i = i + 1) begin
        if (IN_SIGNED != 0) begin
          t = t + SUM_BITS'($signed(x2[i*IN_BITS+:IN_BITS]));
        end else begin
          t = t + SUM_BITS'(x2[i*IN_BITS+:IN_BITS]);
        end
      end
    end
    assign xsum2 = t;
  end else begin : g_no_input_sum
    assign xsum2 = {SUM_BITS{1'b0}};
  end

  for (genvar p = 0; p < PE; p = p + 1) begin : g_pe
    wire [SIMD-1:0] w = w2[p*SIMD+:SIMD];
    if (IN_BITS == 1) begin : g_binary
      // popcount(XNOR(x2, w)), SUM_BITS = $clog2(SIMD + 1) bits (rtl/bnn_popcount.sv)
      bnn_popcount #(
`ifndef BNN_NO_INSTANCE_NAMES
        .NAME({NAME, ".g_pe.u_popcount"}),
`endif
        .WIDTH(SIMD), .MODE(1)
      ) u_popcount (
        .a(x2), .b(w), .count(sum2[p*SUM_BITS+:SUM_BITS])
      );
    end else begin : g_integer
      // Σ ±x = 2·Σ_{w=1} x − Σ x, Σ x shared by the PEs (g_input_sum; as rtl/bnn_mvtu.sv).
      reg [SUM_BITS-1:0] s;
      reg [IN_BITS-1:0] v;
      always @* begin
        s = {SUM_BITS{1'b0}};
        for (int i = 0; i < SIMD; i = i + 1) begin
          v = x2[i*IN_BITS+:IN_BITS] & {IN_BITS{w[i]}};
          if (IN_SIGNED != 0) begin
            s = s + SUM_BITS'($signed(v));
          end else begin
            s = s + SUM_BITS'(v);
          end
        end
      end
      assign sum2[p*SUM_BITS+:SUM_BITS] = (s << 1) - xsum2;
    end

    // The partial sum in accumulator width (exact: the true value fits the accumulator).
    wire [SUM_BITS-1:0] part = sum3[p*SUM_BITS+:SUM_BITS];
    wire [ACC_BITS-1:0] part_acc;
    if (SUM_BITS >= ACC_BITS) begin : g_truncate
      assign part_acc = part[ACC_BITS-1:0];
    end else if (IN_BITS == 1) begin : g_zero_extend
      assign part_acc = {{(ACC_BITS - SUM_BITS) {1'b0}}, part};
    end else begin : g_sign_extend
      assign part_acc = {{(ACC_BITS - SUM_BITS) {part[SUM_BITS-1]}}, part};
    end
    wire [ACC_BITS-1:0] a = first3 ? part_acc : acc[p*ACC_BITS+:ACC_BITS] + part_acc;
    assign acc_next[p*ACC_BITS+:ACC_BITS] = a;

    wire real_lane = !lastg3 || p < LAST_LANES;
    if (THRESHOLDS != 0) begin : g_threshold_out
      wire fires;
      bnn_threshold_compare #(
        .X_BITS(ACC_BITS), .X_SIGNED(ACC_SIGNED), .T_BITS(T_BITS)
      ) u_compare (
        .x(a), .t(t3[p*T_LANE+:T_BITS]), .fires(fires)
      );
      assign out_next[p] = real_lane && (fires ^ t3[p*T_LANE+T_BITS]);
    end else begin : g_acc_out
      assign out_next[p*OUT_BITS+:OUT_BITS] = real_lane ? a : {OUT_BITS{1'b0}};
    end
  end

  always @(posedge clk) begin
    if (issue) begin
      nf <= last_nf ? {NFW{1'b0}} : nf + 1'b1;
      if (last_nf) sf <= last_sf ? {SFW{1'b0}} : sf + 1'b1;
      waddr <= last_sf && last_nf ? {WAW{1'b0}} : waddr + 1'b1;
    end
    if (adv) begin
      v1 <= issue;
      first1 <= sf == {SFW{1'b0}};
      emit1 <= last_sf && 32'(nf) < OUT_GROUPS;
      lastg1 <= 32'(nf) == OUT_GROUPS - 1;
      nf1 <= nf;
      x1 <= x0;
      v2 <= v1;
      {first2, emit2, lastg2, nf2} <= {first1, emit1, lastg1, nf1};
      x2 <= x1;
      v3 <= v2;
      {first3, emit3, lastg3, nf3} <= {first2, emit2, lastg2, nf2};
      sum3 <= sum2;
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
