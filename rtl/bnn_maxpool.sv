// StreamingMaxPool on bits: a K × K window with stride STRIDE over an IFM_H × IFM_W × CH image
// of bits (HWC, words of SIMD channels), max per channel = OR; channels set in MIN_CHANNELS take
// the minimum = AND instead (where the streamliner moved a pool past a decreasing batch-norm).
//
// A bnn_swu produces each window as K·K·CH/SIMD words in (ky, kx, c) order; the pool folds them
// into CH/SIMD partial words (one per channel group) and sends the group's word with the window's
// last position. With STRIDE = K (CNV's 2 × 2 pools) that is one input word a cycle, the cycle
// simulator's rate; overlapping windows (STRIDE < K) read K²/STRIDE² times the image.
`default_nettype none
`include "bnn_defs.vh"

module bnn_maxpool #(
  parameter integer IFM_H = 4,             // input rows
  parameter integer IFM_W = 4,             // input columns
  parameter integer CH = 2,                // channels
  parameter integer SIMD = 1,              // channels per word (divides CH)
  parameter integer K = 2,                 // window size
  parameter integer STRIDE = 2,            // window step
  parameter [CH-1:0] MIN_CHANNELS = '0     // bit c set: channel c takes AND instead of OR
) (
  input  wire            clk,
  input  wire            rst,
  input  wire [SIMD-1:0] s_axis_tdata,
  input  wire            s_axis_tvalid,
  output wire            s_axis_tready,
  output wire [SIMD-1:0] m_axis_tdata,
  output wire            m_axis_tvalid,
  input  wire            m_axis_tready
);
  localparam integer CG = CH / SIMD;
  localparam integer POSITIONS = K * K;
  localparam integer GW = CG > 1 ? $clog2(CG) : 1;
  localparam integer PW = $clog2(POSITIONS + 1);

  if (SIMD < 1 || CH % SIMD != 0) begin : g_illegal
    `BNN_PARAM_ERROR(("bnn_maxpool: SIMD %0d must divide CH %0d", SIMD, CH))
  end

  wire [SIMD-1:0] win_data;
  wire win_valid, win_ready;
  bnn_swu #(
    .IFM_H(IFM_H), .IFM_W(IFM_W), .CH(CH), .SIMD(SIMD), .BITS(1), .K(K), .STRIDE(STRIDE)
  ) u_windows (
    .clk(clk), .rst(rst),
    .s_axis_tdata(s_axis_tdata), .s_axis_tvalid(s_axis_tvalid), .s_axis_tready(s_axis_tready),
    .m_axis_tdata(win_data), .m_axis_tvalid(win_valid), .m_axis_tready(win_ready)
  );

  reg [GW-1:0] group;     // channel group of the incoming window word
  reg [PW-1:0] position;  // window position (ky·K + kx) of the incoming word
  reg [SIMD-1:0] partial[0:CG-1];
  reg [SIMD-1:0] out_data;
  reg out_valid;

  wire last_group = 32'(group) == CG - 1;
  wire last_position = 32'(position) == POSITIONS - 1;
  assign win_ready = !(last_position && out_valid && !m_axis_tready);
  wire take = win_valid && win_ready;

  // The group's AND-lanes; for bits, min = AND and max = OR.
  wire [CH-1:0] min_channels = MIN_CHANNELS;
  wire [SIMD-1:0] min_lanes = min_channels[32'(group)*SIMD+:SIMD];
  wire [SIMD-1:0] previous = partial[group];
  wire [SIMD-1:0] folded = position == '0 ? win_data :
                           (min_lanes & (previous & win_data)) |
                           (~min_lanes & (previous | win_data));

  always @(posedge clk) begin
    if (take) partial[group] <= folded;
    if (take && last_position) out_data <= folded;
  end

  always @(posedge clk) begin
    if (take) begin
      group <= last_group ? '0 : group + 1'b1;
      if (last_group) position <= last_position ? '0 : position + 1'b1;
    end
    if (take && last_position) out_valid <= 1'b1;
    else if (m_axis_tready) out_valid <= 1'b0;
    if (rst) begin
      group <= '0;
      position <= '0;
      out_valid <= 1'b0;
    end
  end

  assign m_axis_tdata = out_data;
  assign m_axis_tvalid = out_valid;
endmodule

`default_nettype wire
