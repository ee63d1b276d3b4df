// A popcount built for 6-input LUTs: the number of set bits of a WIDTH-bit vector (MODE 0), or,
// for a binary synapse, the number of positions where a equals b (MODE 1, popcount(XNOR(a, b))).
// Combinational; `count` has $clog2(WIDTH + 1) bits.
//
// Written as `$countones` the count is an adder tree: Yosys 0.23 (synth_xilinx) makes about
// 2.5 LUTs per synapse of it. Here it is a tree of counters that each fill one LUT6 (docs/rtl.md,
// "Popcount"):
//
//   MODE 1, first level: the synapses in triples. One LUT6 sees the 6 bits (a, b) of a triple,
//     so the XNORs cost nothing: a full adder of the 3 matches makes a bit of weight 1 (their
//     parity) and one of weight 2 (their majority), 2 LUTs per 3 synapses. What is left is two
//     MODE 0 counts of WIDTH/3 bits each: count = ones + 2·twos.
//   MODE 0: 6:3 counters, six bits of one weight into a 3-bit sum (3 LUT6 for 3 bits removed;
//     with BNN_XILINX_PRIMITIVES defined, 2 LUT6_2 and a carry chain, bnn_count6_carry), then
//     the bits of weight 1, 2 and 4 counted again: count = ones + 2·twos + 4·fours. At 6 bits or
//     fewer a plain count (at most 3 LUTs).
//
// So MODE 1 costs about 2/3 + 2·(1/3) ≈ 1.3 LUTs per synapse (on the carry chain 2/3 + 2·(2/9)
// ≈ 1.1) plus the small adders that join the counts. The counters work on whole slices (bit i of
// six equal slices is one counter), so the source is a few wide bitwise operations a level.
// Under Verilator it is a plain $countones instead (below).
`default_nettype none
`include "bnn_defs.vh"

module bnn_popcount #(
  parameter NAME = "bnn_popcount",  // instance path in error messages
  parameter integer WIDTH = 8,      // bits of a (and b)
  parameter integer MODE = 0        // 0: count the ones of a (b unused); 1: count a == b
) (
  input  wire [WIDTH-1:0]               a,
  /* verilator lint_off UNUSEDSIGNAL */
  input  wire [WIDTH-1:0]               b,
  /* verilator lint_on UNUSEDSIGNAL */
  output wire [$clog2(WIDTH + 1)-1:0]   count
);
  localparam integer CW = $clog2(WIDTH + 1);

  if (WIDTH < 1 || (MODE != 0 && MODE != 1)) begin : g_illegal
    `BNN_PARAM_ERROR(("%s: WIDTH %0d must be >= 1 and MODE %0d 0 or 1", NAME, WIDTH, MODE))
  end

`ifdef VERILATOR
  // Under Verilator the same count is one $countones, a few popcnt instructions: the tree made
  // bnnc verify 2.3 times slower (LFC, docs/rtl.md "Popcount"). Yosys and Icarus see the tree,
  // and tests/rtl/rtl_popcount_test.cpp checks it against std::popcount in Icarus.
  assign count = CW'($countones(MODE == 1 ? ~(a ^ b) : a));
`else
  if (MODE == 1 && WIDTH >= 3) begin : g_triples
    // Triple i is synapses i, i + L and i + 2L; the R = WIDTH mod 3 last ones join the ones.
    localparam integer L = WIDTH / 3;
    localparam integer R = WIDTH - 3 * L;
    wire [WIDTH-1:0] m = ~(a ^ b);
    wire [L-1:0] m0 = m[0+:L], m1 = m[L+:L], m2 = m[2*L+:L];
    wire [L+R-1:0] ones;
    wire [L-1:0] twos = (m0 & m1) | (m0 & m2) | (m1 & m2);
    wire [$clog2(L + R + 1)-1:0] c1;
    wire [$clog2(L + 1)-1:0] c2;
    if (R > 0) begin : g_rest
      assign ones = {m[3*L+:R], m0 ^ m1 ^ m2};
    end else begin : g_no_rest
      assign ones = m0 ^ m1 ^ m2;
    end
    bnn_popcount #(.NAME(NAME), .WIDTH(L + R), .MODE(0)) u_ones (.a(ones), .b(ones), .count(c1));
    bnn_popcount #(.NAME(NAME), .WIDTH(L), .MODE(0)) u_twos (.a(twos), .b(twos), .count(c2));
    assign count = CW'(c1) + CW'({c2, 1'b0});
  end else if (MODE == 1) begin : g_few_pairs
    assign count = CW'($countones(~(a ^ b)));
  end else if (WIDTH > 6) begin : g_counters
    // Counter i adds bit i of the six slices s0..s5 (L bits each): two full adders, then the
    // carries and the sum bits' carry added again; every output bit depends on the six inputs
    // only, so it is one LUT6. The R = WIDTH mod 6 last bits join the ones.
    localparam integer L = WIDTH / 6;
    localparam integer R = WIDTH - 6 * L;
    wire [L-1:0] s0 = a[0+:L], s1 = a[L+:L], s2 = a[2*L+:L];
    wire [L-1:0] s3 = a[3*L+:L], s4 = a[4*L+:L], s5 = a[5*L+:L];
`ifdef BNN_XILINX_PRIMITIVES
    // Each counter on two LUT6_2 and the carry chain (bnn_count6_carry, below).
    wire [L-1:0] ones_of_six, twos, fours;
    for (genvar i = 0; i < L; i = i + 1) begin : g_count6
      bnn_count6_carry u_count6 (.a({s5[i], s4[i], s3[i], s2[i], s1[i], s0[i]}),
                                 .count({fours[i], twos[i], ones_of_six[i]}));
    end
`else
    wire [L-1:0] p0 = s0 ^ s1 ^ s2, c0 = (s0 & s1) | (s0 & s2) | (s1 & s2);
    wire [L-1:0] p1 = s3 ^ s4 ^ s5, c1 = (s3 & s4) | (s3 & s5) | (s4 & s5);
    wire [L-1:0] k = p0 & p1;
    wire [L-1:0] ones_of_six = p0 ^ p1;
    wire [L-1:0] twos = c0 ^ c1 ^ k;
    wire [L-1:0] fours = (c0 & c1) | (c0 & k) | (c1 & k);
`endif
    wire [L+R-1:0] ones;
    wire [$clog2(L + R + 1)-1:0] n1;
    wire [$clog2(L + 1)-1:0] n2, n4;
    if (R > 0) begin : g_rest
      assign ones = {a[6*L+:R], ones_of_six};
    end else begin : g_no_rest
      assign ones = ones_of_six;
    end
    bnn_popcount #(.NAME(NAME), .WIDTH(L + R), .MODE(0)) u_ones (.a(ones), .b(ones), .count(n1));
    bnn_popcount #(.NAME(NAME), .WIDTH(L), .MODE(0)) u_twos (.a(twos), .b(twos), .count(n2));
    bnn_popcount #(.NAME(NAME), .WIDTH(L), .MODE(0)) u_fours (.a(fours), .b(fours), .count(n4));
    assign count = CW'(n1) + CW'({n2, 1'b0}) + CW'({n4, 2'b00});
  end else begin : g_few
    assign count = CW'($countones(a));
  end
`endif
endmodule

`ifdef BNN_XILINX_PRIMITIVES
// Six bits of one weight into their 3-bit count on two LUT6_2 and the first two positions of a
// CARRY4 (Xilinx 7-series and later; defined by `bnnc synth --target xc7`, docs/rtl.md
// "Popcount"). The chain adds X + Y + a5 where a0 + a1 + a2 = X0 + 2·X1 (parity, majority) and
// a3 + a4 = Y0 + 2·Y1 (xor, and): position i's LUT gives S = Xi ^ Yi (O6) and DI = Xi (O5), both
// of a0..a4 (I5 high), and a5 enters as the chain's CYINIT. So the count is O0 + 2·O1 + 4·CO1:
// 2 LUTs for 3 bits removed, where a 6:3 counter of LUT6 alone takes 3.
module bnn_count6_carry (
  input  wire [5:0] a,
  output wire [2:0] count
);
  // The LUT6_2 table of chain position `position`: O6 (INIT[63:32], I5 = 1) = S, O5 = DI.
  function automatic [63:0] lut_table(input integer position);
    integer i;
    reg [4:0] x;
    reg parity3, majority3;
    begin
      lut_table = 64'd0;
      for (i = 0; i < 32; i = i + 1) begin
        x = i[4:0];
        parity3 = x[0] ^ x[1] ^ x[2];
        majority3 = (x[0] & x[1]) | (x[0] & x[2]) | (x[1] & x[2]);
        if (position == 0) begin
          lut_table[32 + i] = parity3 ^ (x[3] ^ x[4]);
          lut_table[i] = parity3;
        end else begin
          lut_table[32 + i] = majority3 ^ (x[3] & x[4]);
          lut_table[i] = majority3;
        end
      end
    end
  endfunction

  wire [1:0] s, di;
  wire [3:0] o, co;
  LUT6_2 #(.INIT(lut_table(0))) u_position0 (
    .I0(a[0]), .I1(a[1]), .I2(a[2]), .I3(a[3]), .I4(a[4]), .I5(1'b1), .O6(s[0]), .O5(di[0])
  );
  LUT6_2 #(.INIT(lut_table(1))) u_position1 (
    .I0(a[0]), .I1(a[1]), .I2(a[2]), .I3(a[3]), .I4(a[4]), .I5(1'b1), .O6(s[1]), .O5(di[1])
  );
  CARRY4 u_chain (
    .CI(1'b0), .CYINIT(a[5]), .DI({2'b00, di}), .S({2'b00, s}), .O(o), .CO(co)
  );
  assign count = {co[1], o[1], o[0]};
endmodule
`endif

`default_nettype wire
