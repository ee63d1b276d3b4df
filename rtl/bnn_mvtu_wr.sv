// The weight-reuse matrix-vector(-threshold) unit (Fu et al.'s weight reuse) of one binary-input
// layer: each kernel (row) b is computed from its parent a in the minimum spanning tree over the
// kernels' Hamming distances, on the positions D where w_b differs from w_a (from NOT w_a on a
// complement edge) only:
//     P_b = s·P_a + c + 2·m_b(D),   s = ±1, c = (negated ? MW : 0) − |D|,
// m_b(D) the matches of x and w_b on D. The schedule (src/fold/weight_reuse_schedule.h) is fixed
// at compile time, so every vector takes VC cycles whatever its data:
//
//   group 0   cycles 0 .. IN_WORDS−1: the input words are read one a cycle, stored in the input
//             buffer, and up to PE kernels are computed in full from them (XNOR popcounts);
//   group g   the next kernels, up to PE at a time, each from its parent's P (in the P memory):
//             SIMD lane j of PE lane p reads one position of column j of the buffered vector a
//             cycle (an SF:1 selector), the group lasting its slowest kernel's cycles.
//
// The schedule ROM holds one word per cycle of the vector, read one cycle ahead into its
// register (bnn_rom, LATENCY 1): the group's first/last/full flags, and per PE lane its row, the
// parent's row, the complement flag and c, and per SIMD lane an enable, the position in the
// column and the kernel's weight bit there. A group's last cycle writes its P values into the P
// memory; the finished vector's ⌈MH/PE⌉ output words leave in row order, one a cycle
// (thresholded: (P ≥ T) xor negate, T read from THRESHOLD_FILE by the word's index), and the next
// vector's last cycle waits while one of them is still unsent after this cycle. With PE = 1 the P
// memory is two banks of a LUTRAM (one write, two asynchronous reads: the parent and the output
// word), vector v writing bank v mod 2 while the other is sent; with PE > 1 (PE writes a cycle)
// it is registers, copied into an output buffer of registers by the vector's last cycle.
// src/sim/weight_reuse_mvtu.h models this register by register and the cycle simulator runs it,
// so the two count the same cycles.
`default_nettype none
`include "bnn_defs.vh"

module bnn_mvtu_wr #(
  parameter NAME = "bnn_mvtu_wr",    // instance path in error messages
  parameter integer PE = 2,          // kernels computed in parallel
  parameter integer SIMD = 4,        // synapses per PE lane and cycle
  parameter integer MH = 4,          // rows (output elements per vector)
  parameter integer MW = 8,          // columns (synapses per row)
  parameter integer NF = 2,          // THRESHOLD_FILE's words (padded rows / PE)
  parameter integer IN_WORDS = 2,    // words per input vector, ⌈MW / SIMD⌉: group 0's cycles
  parameter integer VC = 4,          // cycles per vector (the schedule's Σ group cycles)
  parameter integer ACC_BITS = 4,    // accumulator bits: P ≤ MW fits
  parameter integer THRESHOLDS = 1,  // 1: output (P ≥ T) xor negate; 0: output P
  parameter         SCHEDULE_FILE = "",  // VC words (layout: schedule_lane below)
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
  localparam integer RW = MH > 1 ? $clog2(MH) : 1;         // row index bits
  localparam integer SFW = IN_WORDS > 1 ? $clog2(IN_WORDS) : 1;
  localparam integer OW = ACC_BITS + 2;                     // c, signed
  localparam integer AW = ACC_BITS + 3;                     // partial P, signed
  localparam integer SLANE = 2 + SFW;                       // enable, weight bit, position
  localparam integer PLANE = 2 + 2 * RW + OW + SIMD * SLANE;  // active, negated, row, parent, c
  localparam integer S_WIDTH = 3 + PE * PLANE;              // full, first, last, lanes
  localparam integer VCW = VC > 1 ? $clog2(VC) : 1;
  localparam integer OGW = $clog2(OUT_GROUPS + 1);
  localparam integer NFW = NF > 1 ? $clog2(NF) : 1;
  localparam integer SUM_BITS = $clog2(SIMD + 1);

  if (PE < 1 || SIMD < 1 || MH < 2 || MW < 1 || NF < OUT_GROUPS ||
      IN_WORDS != (MW + SIMD - 1) / SIMD || VC < IN_WORDS || ACC_BITS < $clog2(MW + 1))
  begin : g_illegal
    `BNN_PARAM_ERROR(("%s: illegal parameters PE %0d SIMD %0d MH %0d MW %0d NF %0d IN_WORDS %0d VC %0d ACC_BITS %0d (need MH >= 2, NF >= ceil(MH/PE), IN_WORDS = ceil(MW/SIMD) <= VC, MW < 2^ACC_BITS)",
                      NAME, PE, SIMD, MH, MW, NF, IN_WORDS, VC, ACC_BITS))
  end

  // Cycle of the vector, and the output buffer's words left to send.
  reg [VCW-1:0] t;
  reg [OGW-1:0] left;
  reg [OGW-1:0] oword;
  wire sends = m_axis_tvalid && m_axis_tready;
  wire reads_now = 32'(t) < IN_WORDS;
  wire last = 32'(t) == VC - 1;
  wire blocked = last && 32'(left) > (sends ? 1 : 0);
  assign s_axis_tready = reads_now && !blocked;
  wire adv = reads_now ? s_axis_tvalid && s_axis_tready : !blocked;
  wire [VCW-1:0] t_next = rst ? {VCW{1'b0}} : adv ? (last ? {VCW{1'b0}} : t + 1'b1) : t;

  wire [S_WIDTH-1:0] s;
  bnn_rom #(
`ifndef BNN_NO_INSTANCE_NAMES
    .NAME({NAME, ".u_schedule"}),
`endif
    .WIDTH(S_WIDTH), .DEPTH(VC), .LATENCY(1), .INIT_FILE(SCHEDULE_FILE)
  ) u_schedule (
    .clk(clk), .en(1'b1), .addr(t_next), .data(s)
  );
  wire full = s[0];
  wire first = s[1];
  wire group_last = s[2];

  reg [SIMD-1:0] ibuf[0:IN_WORDS-1];
  wire [PE*ACC_BITS-1:0] from_p;  // each PE lane's parent's P
  wire [RW*PE-1:0] parents;
  reg [AW*PE-1:0] acc;
  wire [AW*PE-1:0] a_next;
  wire [PE-1:0] writes;
  wire [RW*PE-1:0] rows;

  for (genvar p = 0; p < PE; p = p + 1) begin : g_pe
    wire [PLANE-1:0] l = s[3+p*PLANE+:PLANE];
    wire active = l[0];
    wire negated = l[1];
    wire [RW-1:0] row = l[2+:RW];
    wire [RW-1:0] parent = l[2+RW+:RW];
    wire signed [OW-1:0] c = $signed(l[2+2*RW+:OW]);
    wire [SIMD-1:0] en, match;
    for (genvar j = 0; j < SIMD; j = j + 1) begin : g_simd
      wire [SLANE-1:0] sl = l[2+2*RW+OW+j*SLANE+:SLANE];
      wire [SFW-1:0] pos = sl[2+:SFW];
      wire x = full ? s_axis_tdata[j] : ibuf[pos][j];
      assign en[j] = sl[0];
      assign match[j] = x == sl[1];
    end
    wire [SUM_BITS-1:0] m;  // popcount(en & match) (rtl/bnn_popcount.sv)
    wire [SIMD-1:0] counted = en & match;
    bnn_popcount #(
`ifndef BNN_NO_INSTANCE_NAMES
      .NAME({NAME, ".g_pe.u_popcount"}),
`endif
      .WIDTH(SIMD), .MODE(0)
    ) u_popcount (
      .a(counted), .b(counted), .count(m)
    );
    assign parents[p*RW+:RW] = parent;
    wire signed [31:0] from = $signed(32'(from_p[p*ACC_BITS+:ACC_BITS]));
    wire signed [31:0] base = full ? 32'sd0 : (negated ? -from : from) + 32'(c);
    wire signed [31:0] start = first ? base : 32'($signed(acc[p*AW+:AW]));
    // The partial P stays in [−MW, 2·MW]: AW signed bits hold it.
    wire signed [AW-1:0] sum = AW'(start + (full ? 32'(m) : 32'(m) * 2));
    assign a_next[p*AW+:AW] = sum;
    assign writes[p] = adv && active && group_last;
    assign rows[p*RW+:RW] = row;
  end

  // The P memory and the output buffer; pv: the P of the rows of the output word being sent.
  wire [PE*ACC_BITS-1:0] pv;
  if (PE == 1) begin : g_ram
    // One write a cycle: a memory of two banks (LUTRAM, two asynchronous read ports). Vector v
    // writes bank v mod 2 while the outputs of vector v − 1 are read from the other; the last
    // cycle of vector v + 1 waits until they are sent, so v + 2 never overwrites a P not sent.
    reg bank, obank;
    reg [ACC_BITS-1:0] mem[0:2*(1<<RW)-1];
    always @(posedge clk) begin
      if (writes[0]) mem[{bank, rows}] <= a_next[ACC_BITS-1:0];
      if (adv && last) begin
        bank <= !bank;
        obank <= bank;
      end
      if (rst) bank <= 1'b0;
    end
    assign from_p = mem[{bank, parents}];
    assign pv = mem[{obank, RW'(oword)}];
  end else begin : g_regs
    // Several writes a cycle: registers. Per row its P, its P after this cycle's writes, and its
    // copy in the output buffer, which the vector's last cycle writes.
    wire [MH*ACC_BITS-1:0] pmem;
    wire [OUT_GROUPS*PE*ACC_BITS-1:0] obuf;
    for (genvar r = 0; r < OUT_GROUPS * PE; r = r + 1) begin : g_row
      if (r < MH) begin : g_real
        reg [ACC_BITS-1:0] p_reg, o_reg, p_next;
        always @(*) begin
          p_next = p_reg;
          for (integer p = 0; p < PE; p = p + 1) begin
            if (writes[p] && 32'(rows[p*RW+:RW]) == r) p_next = a_next[p*AW+:ACC_BITS];
          end
        end
        always @(posedge clk) begin
          p_reg <= p_next;
          if (adv && last) o_reg <= p_next;
        end
        assign pmem[r*ACC_BITS+:ACC_BITS] = p_reg;
        assign obuf[r*ACC_BITS+:ACC_BITS] = o_reg;
      end else begin : g_padded
        assign obuf[r*ACC_BITS+:ACC_BITS] = {ACC_BITS{1'b0}};
      end
    end
    for (genvar p = 0; p < PE; p = p + 1) begin : g_lane
      assign from_p[p*ACC_BITS+:ACC_BITS] = pmem[32'(parents[p*RW+:RW])*ACC_BITS+:ACC_BITS];
      assign pv[p*ACC_BITS+:ACC_BITS] = obuf[(32'(oword)*PE+p)*ACC_BITS+:ACC_BITS];
    end
  end

  wire [PE-1:0] real_lane;
  for (genvar p = 0; p < PE; p = p + 1) begin : g_out
    assign real_lane[p] = 32'(oword) * PE + p < MH;
  end
  if (THRESHOLDS != 0) begin : g_threshold
    reg [PE*T_LANE-1:0] tmem[0:NF-1];
    initial begin
      if (THRESHOLD_FILE != "") $readmemh(THRESHOLD_FILE, tmem);
    end
    wire [PE*T_LANE-1:0] tw = tmem[NFW'(oword)];
    for (genvar p = 0; p < PE; p = p + 1) begin : g_lane
      wire fires;
      bnn_threshold_compare #(
        .X_BITS(ACC_BITS), .X_SIGNED(0), .T_BITS(T_BITS)
      ) u_compare (
        .x(pv[p*ACC_BITS+:ACC_BITS]), .t(tw[p*T_LANE+:T_BITS]), .fires(fires)
      );
      assign m_axis_tdata[p] = real_lane[p] && (fires ^ tw[p*T_LANE+T_BITS]);
    end
  end else begin : g_value
    for (genvar p = 0; p < PE; p = p + 1) begin : g_lane
      assign m_axis_tdata[p*OUT_BITS+:OUT_BITS] =
          real_lane[p] ? pv[p*ACC_BITS+:ACC_BITS] : {OUT_BITS{1'b0}};
    end
  end
  assign m_axis_tvalid = left != {OGW{1'b0}};

  always @(posedge clk) begin
    if (adv && reads_now) ibuf[SFW'(t)] <= s_axis_tdata;
    if (adv) acc <= a_next;
    t <= t_next;
    if (adv && last) begin
      left <= OGW'(OUT_GROUPS);
      oword <= {OGW{1'b0}};
    end else if (sends) begin
      left <= left - 1'b1;
      oword <= oword + 1'b1;
    end
    if (rst) begin
      t <= {VCW{1'b0}};
      left <= {OGW{1'b0}};
      oword <= {OGW{1'b0}};
    end
  end
endmodule

`default_nettype wire
