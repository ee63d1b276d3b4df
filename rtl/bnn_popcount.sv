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
//   MODE 0: 6:3 counters, six bits of one weight into a 3-bit sum (3 LUT6 for 3 bits removed),
//     then the bits of weight 1, 2 and 4 counted again: count = ones + 2·twos + 4·fours. At 6
//     bits or fewer a plain count (at most 3 LUTs).
//
// So MODE 1 costs about 2/3 + 2·(1/3) ≈ 1.3 LUTs per synapse plus the small adders that join the
// counts. The counters work on whole slices (bit i of six equal slices is one counter), so the
// source is a few wide bitwise operations a level. Verilator simulates a plain $countones instead
// (below).
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
    wire [L-1:0] p0 = s0 ^ s1 ^ s2, c0 = (s0 & s1) | (s0 & s2) | (s1 & s2);
    wire [L-1:0] p1 = s3 ^ s4 ^ s5, c1 = (s3 & s4) | (s3 & s5) | (s4 & s5);
    wire [L-1:0] k = p0 & p1;
    wire [L+R-1:0] ones;
    wire [L-1:0] twos = c0 ^ c1 ^ k;
    wire [L-1:0] fours = (c0 & c1) | (c0 & k) | (c1 & k);
    wire [$clog2(L + R + 1)-1:0] n1;
    wire [$clog2(L + 1)-1:0] n2, n4;
    if (R > 0) begin : g_rest
      assign ones = {a[6*L+:R], p0 ^ p1};
    end else begin : g_no_rest
      assign ones = p0 ^ p1;
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

`default_nettype wire
