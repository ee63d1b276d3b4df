// Global sum pooling (global average pooling without its 1/(H·W), ir/op.h GlobalSumPool): an
// image of PIXELS pixels × CH channels (HWC, words of LANES channels) becomes one vector of CH
// sums, the next layer's integer input. With BIPOLAR = 1 the elements are bits standing for ±1
// (bit 1 = +1, bit 0 = −1), so a channel's sum is 2·ones − PIXELS; else they are IN_BITS-bit
// integers (two's complement when IN_SIGNED is 1). Sums are OUT_BITS-bit two's complement.
//
// One word a cycle: word g of pixel p adds its lanes to the running sums of channel group g
// (pixel 0 starts them from 0, so no clearing is needed between frames); during the last pixel
// each word completes its group's sums and leaves as output word g at once. So the block holds
// CH/LANES words of sums, and only the last pixel's words wait for the output.
`default_nettype none
`include "bnn_defs.vh"

module bnn_global_sum_pool #(
  parameter NAME = "bnn_global_sum_pool",  // instance path in error messages (bnn_top gives each its own)
  parameter integer PIXELS = 4,    // H·W pixels a frame
  parameter integer CH = 4,        // channels (the output vector's length)
  parameter integer LANES = 2,     // channels per word (divides CH)
  parameter integer IN_BITS = 1,   // bits per input element
  parameter integer IN_SIGNED = 0, // 1: input elements are two's complement (not with BIPOLAR)
  parameter integer BIPOLAR = 1,   // 1: input elements are bits standing for ±1
  parameter integer OUT_BITS = 4   // bits per sum, two's complement
) (
  input  wire                      clk,
  input  wire                      rst,
  input  wire [LANES*IN_BITS-1:0]  s_axis_tdata,
  input  wire                      s_axis_tvalid,
  output wire                      s_axis_tready,
  output wire [LANES*OUT_BITS-1:0] m_axis_tdata,
  output wire                      m_axis_tvalid,
  input  wire                      m_axis_tready
);
  localparam integer GROUPS = CH / LANES;
  localparam integer GW = GROUPS > 1 ? $clog2(GROUPS) : 1;
  localparam integer PW = PIXELS > 1 ? $clog2(PIXELS) : 1;

  if (PIXELS < 1 || LANES < 1 || CH % LANES != 0 || IN_BITS < 1 || OUT_BITS < IN_BITS + 1 ||
      (BIPOLAR != 0 && IN_BITS != 1)) begin : g_illegal
    `BNN_PARAM_ERROR(("%s: LANES %0d must divide CH %0d, OUT_BITS %0d > IN_BITS %0d (1 if BIPOLAR)",
                      NAME, LANES, CH, OUT_BITS, IN_BITS))
  end

  reg [LANES*OUT_BITS-1:0] sums[0:GROUPS-1];
  reg [GW-1:0] group;
  reg [PW-1:0] pixel;
  reg [LANES*OUT_BITS-1:0] out_data;
  reg out_valid;

  wire first_pixel = pixel == '0;
  wire last_pixel = 32'(pixel) == PIXELS - 1;
  wire last_group = 32'(group) == GROUPS - 1;
  wire adv = !out_valid || m_axis_tready;
  assign s_axis_tready = adv || !last_pixel;
  wire take = s_axis_tvalid && s_axis_tready;

  wire [LANES*OUT_BITS-1:0] base = first_pixel ? '0 : sums[group];
  wire [LANES*OUT_BITS-1:0] next;
  for (genvar l = 0; l < LANES; l = l + 1) begin : g_lane
    wire [IN_BITS-1:0] x = s_axis_tdata[l*IN_BITS+:IN_BITS];
    wire [OUT_BITS-1:0] value = BIPOLAR != 0 ? (x[0] ? OUT_BITS'(1) : {OUT_BITS{1'b1}})
                              : IN_SIGNED != 0 ? OUT_BITS'($signed(x)) : OUT_BITS'(x);
    assign next[l*OUT_BITS+:OUT_BITS] = base[l*OUT_BITS+:OUT_BITS] + value;
  end

  always @(posedge clk) begin
    if (take) sums[group] <= next;
    if (take && last_pixel) out_data <= next;
  end

  always @(posedge clk) begin
    if (take) begin
      group <= last_group ? '0 : group + 1'b1;
      if (last_group) pixel <= last_pixel ? '0 : pixel + 1'b1;
    end
    if (adv) out_valid <= take && last_pixel;
    if (rst) begin
      group <= '0;
      pixel <= '0;
      out_valid <= 1'b0;
    end
  end

  assign m_axis_tdata = out_data;
  assign m_axis_tvalid = out_valid;
endmodule

`default_nettype wire
