// AddStreams (a join, FINN's AddStreams): the element-wise sum of two integer streams, the
// residual add of two branches' pre-activations. LANES elements a word on both inputs and the
// output; input 0 has IN0_BITS-bit elements, input 1 IN1_BITS-bit ones (each two's complement
// when its *_SIGNED is 1), the output OUT_BITS-bit two's complement, wide enough for every sum
// (the IR's type of the add). One word a cycle: a word is taken from both inputs at once, so
// either input waits for the other; the cycle simulator's AddStreamsEngine does the same.
//
// The bypass of a residual block may later carry values that select a per-channel offset
// (out[.., c] = in0[.., c] + offsets[c·span + (v1 − in1_min)], AddAttrs' lookup table): that is
// a ROM on input 1 (a bnn_rom with a channel-group counter advanced on `take`, as
// bnn_thresholding keeps its `group`), addressed by the lane's channel and x1 − in1_min, whose
// output replaces `b` in g_lane below — the handshake and the output stage stay as they are.
`default_nettype none
`include "bnn_defs.vh"

module bnn_add_streams #(
  parameter NAME = "bnn_add_streams",  // instance path in error messages (bnn_top gives each its own)
  parameter integer LANES = 2,         // elements per word
  parameter integer IN0_BITS = 8,      // bits per element of input 0
  parameter integer IN0_SIGNED = 0,    // 1: input 0's elements are two's complement
  parameter integer IN1_BITS = 8,      // bits per element of input 1
  parameter integer IN1_SIGNED = 0,    // 1: input 1's elements are two's complement
  parameter integer OUT_BITS = 10      // bits per output element (two's complement)
) (
  input  wire                      clk,
  input  wire                      rst,
  input  wire [LANES*IN0_BITS-1:0] s_axis_tdata,
  input  wire                      s_axis_tvalid,
  output wire                      s_axis_tready,
  input  wire [LANES*IN1_BITS-1:0] s1_axis_tdata,
  input  wire                      s1_axis_tvalid,
  output wire                      s1_axis_tready,
  output wire [LANES*OUT_BITS-1:0] m_axis_tdata,
  output wire                      m_axis_tvalid,
  input  wire                      m_axis_tready
);
  if (LANES < 1 || IN0_BITS < 1 || IN1_BITS < 1 || OUT_BITS < IN0_BITS || OUT_BITS < IN1_BITS)
  begin : g_illegal
    `BNN_PARAM_ERROR(("%s: LANES %0d >= 1, OUT_BITS %0d must hold IN0_BITS %0d and IN1_BITS %0d",
                      NAME, LANES, OUT_BITS, IN0_BITS, IN1_BITS))
  end

  reg [LANES*OUT_BITS-1:0] out_data;
  reg out_valid;
  wire adv = !out_valid || m_axis_tready;
  wire take = adv && s_axis_tvalid && s1_axis_tvalid;
  assign s_axis_tready = adv && s1_axis_tvalid;
  assign s1_axis_tready = adv && s_axis_tvalid;

  wire [LANES*OUT_BITS-1:0] sums;
  for (genvar l = 0; l < LANES; l = l + 1) begin : g_lane
    wire [IN0_BITS-1:0] x0 = s_axis_tdata[l*IN0_BITS+:IN0_BITS];
    wire [IN1_BITS-1:0] x1 = s1_axis_tdata[l*IN1_BITS+:IN1_BITS];
    wire [OUT_BITS-1:0] a = IN0_SIGNED != 0 ? OUT_BITS'($signed(x0)) : OUT_BITS'(x0);
    wire [OUT_BITS-1:0] b = IN1_SIGNED != 0 ? OUT_BITS'($signed(x1)) : OUT_BITS'(x1);
    assign sums[l*OUT_BITS+:OUT_BITS] = a + b;
  end

  always @(posedge clk) begin
    if (take) out_data <= sums;
  end

  always @(posedge clk) begin
    if (adv) out_valid <= take;
    if (rst) out_valid <= 1'b0;
  end

  assign m_axis_tdata = out_data;
  assign m_axis_tvalid = out_valid;
endmodule

`default_nettype wire
