// Thresholding of integer elements not preceded by a matrix layer (LFC's binarisation of raw
// pixels): element c of a vector of CH channels becomes the bit (x ≥ T[c]) xor negate[c].
// A word holds PIXELS pixels side by side, each with the same group of G = LANES/PIXELS
// consecutive channels (docs/pixel-parallel.md); successive words step through the CH/G groups.
// Word g of THRESHOLD_FILE (CH/G words) holds, for lane j of a pixel, at bits
// [j·(BITS+3) +: BITS+3] = {negate, T as a signed BITS+2-bit value} of channel g·G + j. The
// generator clamps T into the input's range + 1, so the comparison is exact. One word a cycle.
`default_nettype none
`include "bnn_defs.vh"

module bnn_thresholding #(
  parameter NAME = "bnn_thresholding",  // instance path in error messages (bnn_top gives each its own)
  parameter integer CH = 4,          // channels of a vector (the threshold index repeats)
  parameter integer LANES = 2,       // elements per word (PIXELS · a divisor of CH)
  parameter integer PIXELS = 1,      // pixels per word, each with LANES/PIXELS channels
  parameter integer BITS = 8,        // bits per input element
  parameter integer IN_SIGNED = 0,   // 1: input elements are two's complement
  parameter         THRESHOLD_FILE = ""  // CH/G words of G·(BITS+3) bits, G = LANES/PIXELS
) (
  input  wire                  clk,
  input  wire                  rst,
  input  wire [LANES*BITS-1:0] s_axis_tdata,
  input  wire                  s_axis_tvalid,
  output wire                  s_axis_tready,
  output wire [LANES-1:0]      m_axis_tdata,
  output wire                  m_axis_tvalid,
  input  wire                  m_axis_tready
);
  localparam integer G = LANES / PIXELS;
  localparam integer GROUPS = CH / G;
  localparam integer T_BITS = BITS + 2;
  localparam integer T_LANE = T_BITS + 1;
  localparam integer GW = GROUPS > 1 ? $clog2(GROUPS) : 1;

  if (LANES < 1 || BITS < 1 || PIXELS < 1 || LANES % PIXELS != 0 || CH % G != 0) begin : g_illegal
    `BNN_PARAM_ERROR(("%s: LANES %0d must be PIXELS %0d times a divisor of CH %0d", NAME, LANES,
                      PIXELS, CH))
  end

  reg [G*T_LANE-1:0] thresholds[0:GROUPS-1];
  initial begin
    if (THRESHOLD_FILE != "") $readmemh(THRESHOLD_FILE, thresholds);
  end

  reg [GW-1:0] group;
  reg [LANES-1:0] out_data;
  reg out_valid;
  wire adv = !out_valid || m_axis_tready;
  assign s_axis_tready = adv;
  wire take = adv && s_axis_tvalid;
  wire [G*T_LANE-1:0] t = thresholds[group];
  wire [LANES-1:0] bits;

  for (genvar l = 0; l < LANES; l = l + 1) begin : g_lane
    wire [BITS-1:0] x = s_axis_tdata[l*BITS+:BITS];
    localparam integer J = l % G;  // the lane's channel within the group
    wire fires;
    bnn_threshold_compare #(
      .X_BITS(BITS), .X_SIGNED(IN_SIGNED), .T_BITS(T_BITS)
    ) u_compare (
      .x(x), .t(t[J*T_LANE+:T_BITS]), .fires(fires)
    );
    assign bits[l] = fires ^ t[J*T_LANE+T_BITS];
  end

  always @(posedge clk) begin
    if (take) out_data <= bits;
  end

  always @(posedge clk) begin
    if (take) group <= 32'(group) == GROUPS - 1 ? '0 : group + 1'b1;
    if (adv) out_valid <= take;
    if (rst) begin
      group <= '0;
      out_valid <= 1'b0;
    end
  end

  assign m_axis_tdata = out_data;
  assign m_axis_tvalid = out_valid;
endmodule

`default_nettype wire
