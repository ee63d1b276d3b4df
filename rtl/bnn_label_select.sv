// LabelSelect: the class of a frame is the index of the largest of CLASSES scores, each compared
// as score·2^SHIFT + bias[c] (ir/op.h LabelSelectAttrs), ties to the lowest index (DESIGN.md §2). Scores arrive LANES a word (⌈CLASSES/LANES⌉ words per
// frame, lanes past CLASSES ignored); word g of BIAS_FILE holds lane l's bias at bits
// [l·SCORE_BITS +: SCORE_BITS] (two's complement). Each word is reduced by a tree of comparisons
// (a right operand wins only when strictly larger, so ties keep the lower index) and then against
// the best so far; after the last word the class goes out as one word. One word a cycle.
`default_nettype none
`include "bnn_defs.vh"

module bnn_label_select #(
  parameter NAME = "bnn_label_select",  // instance path in error messages (bnn_top gives each its own)
  parameter integer CLASSES = 10,    // scores per frame
  parameter integer LANES = 2,       // scores per word
  parameter integer BITS = 8,        // bits per score
  parameter integer IN_SIGNED = 0,   // 1: scores are two's complement
  parameter integer SHIFT = 0,       // each score is shifted left by SHIFT bits before its bias
  parameter integer SCORE_BITS = 10, // signed width of score·2^SHIFT + bias
  parameter integer CLASS_BITS = 4,  // bits of the class index output
  parameter         BIAS_FILE = ""   // ⌈CLASSES/LANES⌉ words of LANES·SCORE_BITS bits; "" = no bias
) (
  input  wire                  clk,
  input  wire                  rst,
  input  wire [LANES*BITS-1:0] s_axis_tdata,
  input  wire                  s_axis_tvalid,
  output wire                  s_axis_tready,
  output wire [CLASS_BITS-1:0] m_axis_tdata,
  output wire                  m_axis_tvalid,
  input  wire                  m_axis_tready
);
  localparam integer WORDS = (CLASSES + LANES - 1) / LANES;
  localparam integer GW = WORDS > 1 ? $clog2(WORDS) : 1;
  // Tree of LANES leaves, padded to a power of two (padding leaves never win).
  localparam integer LEAVES = 1 << $clog2(LANES);

  if (LANES < 1 || BITS < 1 || CLASSES < 1 || SHIFT < 0 ||
      SCORE_BITS < BITS + SHIFT + (IN_SIGNED != 0 ? 0 : 1) ||
      (1 << CLASS_BITS) < CLASSES) begin : g_illegal
    `BNN_PARAM_ERROR(("%s: CLASSES %0d LANES %0d BITS %0d SHIFT %0d SCORE_BITS %0d CLASS_BITS %0d (SCORE_BITS must hold a shifted score, CLASS_BITS a class)", NAME,
                      CLASSES, LANES, BITS, SHIFT, SCORE_BITS, CLASS_BITS))
  end

  reg [LANES*SCORE_BITS-1:0] bias[0:WORDS-1];
  initial begin
    for (int g = 0; g < WORDS; g = g + 1) bias[g] = '0;
    if (BIAS_FILE != "") $readmemh(BIAS_FILE, bias);
  end

  reg [GW-1:0] group;
  reg signed [SCORE_BITS-1:0] best;
  reg [CLASS_BITS-1:0] best_class;
  reg [CLASS_BITS-1:0] out_data;
  reg out_valid;

  wire last_group = 32'(group) == WORDS - 1;
  assign s_axis_tready = !(last_group && out_valid && !m_axis_tready);
  wire take = s_axis_tvalid && s_axis_tready;

  // Leaf l: lane l's score + bias, and whether it is a real class.
  wire [LANES*SCORE_BITS-1:0] word_bias = bias[group];
  // (split_var: each node is its own signal for Verilator, so the tree is not a loop.)
  wire signed [SCORE_BITS-1:0] tree_score[0:2*LEAVES-2]  /* verilator split_var */;
  wire [CLASS_BITS-1:0] tree_class[0:2*LEAVES-2]  /* verilator split_var */;
  wire tree_real[0:2*LEAVES-2]  /* verilator split_var */;
  for (genvar l = 0; l < LEAVES; l = l + 1) begin : g_leaf
    localparam integer NODE = LEAVES - 1 + l;
    if (l < LANES) begin : g_lane
      wire [BITS-1:0] x = s_axis_tdata[l*BITS+:BITS];
      wire signed [SCORE_BITS-1:0] x_ext =
          IN_SIGNED != 0 ? SCORE_BITS'($signed(x)) : SCORE_BITS'(x);
      assign tree_score[NODE] = (x_ext <<< SHIFT) + $signed(word_bias[l*SCORE_BITS+:SCORE_BITS]);
      assign tree_class[NODE] = CLASS_BITS'(32'(group) * LANES + l);
      assign tree_real[NODE] = 32'(group) * LANES + l < CLASSES;
    end else begin : g_padding
      assign tree_score[NODE] = '0;
      assign tree_class[NODE] = '0;
      assign tree_real[NODE] = 1'b0;
    end
  end
  // Node n has children 2n+1 (lower classes) and 2n+2.
  for (genvar n = 0; n < LEAVES - 1; n = n + 1) begin : g_node
    wire right = tree_real[2*n+2] &&
                 (!tree_real[2*n+1] || tree_score[2*n+2] > tree_score[2*n+1]);
    assign tree_score[n] = right ? tree_score[2*n+2] : tree_score[2*n+1];
    assign tree_class[n] = right ? tree_class[2*n+2] : tree_class[2*n+1];
    assign tree_real[n] = tree_real[2*n+1] || tree_real[2*n+2];
  end
  // Lane 0 of every word is a real class, so the root is real.
  wire word_wins = group == '0 || (tree_real[0] && tree_score[0] > best);
  wire [CLASS_BITS-1:0] winner = word_wins ? tree_class[0] : best_class;

  always @(posedge clk) begin
    if (take) begin
      if (word_wins) begin
        best <= tree_score[0];
        best_class <= tree_class[0];
      end
      if (last_group) out_data <= winner;
    end
  end

  always @(posedge clk) begin
    if (take) group <= last_group ? '0 : group + 1'b1;
    if (take && last_group) out_valid <= 1'b1;
    else if (m_axis_tready) out_valid <= 1'b0;
    if (rst) begin
      group <= '0;
      out_valid <= 1'b0;
    end
  end

  assign m_axis_tdata = out_data;
  assign m_axis_tvalid = out_valid;
endmodule

`default_nettype wire
