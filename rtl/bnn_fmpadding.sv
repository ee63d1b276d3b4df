// FMPadding: surrounds an IFM_H × IFM_W × CH image (HWC, words of SIMD channels) with PAD pixels
// on every side holding PAD_VALUE in every element (FINN-R's 1-bit-datapath padding: 0 = −1,
// 1 = +1 for bits), or, per channel, PAD_VALUES (in front of a padded max-pool: the value that
// never wins, bit 0 for an OR channel and 1 for an AND one). Writes one word a cycle: a border word from nothing, an inner word from the
// input, (IFM_H + 2·PAD)(IFM_W + 2·PAD)·CH/SIMD words per frame.
`default_nettype none
`include "bnn_defs.vh"

module bnn_fmpadding #(
  parameter NAME = "bnn_fmpadding",  // instance path in error messages (bnn_top gives each its own)
  parameter integer IFM_H = 4,             // input rows
  parameter integer IFM_W = 4,             // input columns
  parameter integer CH = 2,                // channels
  parameter integer SIMD = 1,              // channels per word (divides CH)
  parameter integer BITS = 1,              // bits per element
  parameter integer PAD = 1,               // border pixels on each side
  parameter [BITS-1:0] PAD_VALUE = '0,     // the value of every border element
  parameter integer PER_CHANNEL = 0,       // 1: the border takes PAD_VALUES instead
  parameter [CH*BITS-1:0] PAD_VALUES = '0  // channel c's border value at bits c·BITS
) (
  input  wire                 clk,
  input  wire                 rst,
  input  wire [SIMD*BITS-1:0] s_axis_tdata,
  input  wire                 s_axis_tvalid,
  output wire                 s_axis_tready,
  output wire [SIMD*BITS-1:0] m_axis_tdata,
  output wire                 m_axis_tvalid,
  input  wire                 m_axis_tready
);
  localparam integer CG = CH / SIMD;
  localparam integer OFM_H = IFM_H + 2 * PAD;
  localparam integer OFM_W = IFM_W + 2 * PAD;
  localparam integer YW = $clog2(OFM_H + 1);
  localparam integer XW = $clog2(OFM_W + 1);
  localparam integer GW = CG > 1 ? $clog2(CG) : 1;

  if (SIMD < 1 || BITS < 1 || CH % SIMD != 0 || PAD < 0) begin : g_illegal
    `BNN_PARAM_ERROR(("%s: SIMD %0d must divide CH %0d, PAD %0d >= 0", NAME, SIMD, CH, PAD))
  end

  reg [YW-1:0] y;
  reg [XW-1:0] x;
  reg [GW-1:0] group;
  reg [SIMD*BITS-1:0] out_data;
  reg out_valid;

  wire [CH*BITS-1:0] pad_values = PAD_VALUES;
  wire [SIMD*BITS-1:0] pad_word =
      PER_CHANNEL != 0 ? pad_values[32'(group)*SIMD*BITS+:SIMD*BITS] : {SIMD{PAD_VALUE}};
  wire border = 32'(y) < PAD || 32'(y) >= IFM_H + PAD || 32'(x) < PAD || 32'(x) >= IFM_W + PAD;
  wire adv = !out_valid || m_axis_tready;
  assign s_axis_tready = adv && !border;
  wire send = adv && (border || s_axis_tvalid);
  wire last_group = 32'(group) == CG - 1;
  wire last_x = 32'(x) == OFM_W - 1;
  wire last_y = 32'(y) == OFM_H - 1;

  always @(posedge clk) begin
    if (send) out_data <= border ? pad_word : s_axis_tdata;
  end

  always @(posedge clk) begin
    if (send) begin
      group <= last_group ? '0 : group + 1'b1;
      if (last_group) begin
        x <= last_x ? '0 : x + 1'b1;
        if (last_x) y <= last_y ? '0 : y + 1'b1;
      end
    end
    if (adv) out_valid <= send;
    if (rst) begin
      y <= '0;
      x <= '0;
      group <= '0;
      out_valid <= 1'b0;
    end
  end

  assign m_axis_tdata = out_data;
  assign m_axis_tvalid = out_valid;
endmodule

`default_nettype wire
