// StreamingMaxPool on bits: a K × K window with stride STRIDE over an IFM_H × IFM_W × CH image
// of bits (HWC, words of SIMD channels), max per channel = OR; channels set in MIN_CHANNELS take
// the minimum = AND instead (where the streamliner moved a pool past a decreasing batch-norm).
//
// The window maximum is separable: max over the window = max over its K rows of the max over
// its K columns. So the pool works at the input rate, one word a cycle, for any K and STRIDE:
//   horizontal stage: keeps, per channel group, the last K − 1 pixels of the row (a shift of
//     K − 1 small memories); a word whose pixel ends a window (x = ox·S + K − 1) leaves as the
//     row maximum of output column ox;
//   vertical stage: keeps those row maxima of the last K − 1 image rows (K − 1 slots of
//     OFM_W·CH/SIMD words, row r in slot r mod (K − 1)); a row maximum of a row that ends a
//     window (y = oy·S + K − 1) is combined with all K − 1 slots and sent.
// Pixels and rows no window uses (the trailing ones) pass through the stages and are never sent.
`default_nettype none
`include "bnn_defs.vh"

module bnn_maxpool #(
  parameter NAME = "bnn_maxpool",  // instance path in error messages (bnn_top gives each its own)
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
  localparam integer OFM_H = (IFM_H - K) / STRIDE + 1;
  localparam integer OFM_W = (IFM_W - K) / STRIDE + 1;
  localparam integer HL = K - 1;  // history: pixels (horizontal) and rows (vertical)
  localparam integer ROW = OFM_W * CG;  // row-maximum words per image row
  localparam integer GW = CG > 1 ? $clog2(CG) : 1;
  localparam integer XW = $clog2(IFM_W + STRIDE + K + 1);
  localparam integer YW = $clog2(IFM_H + STRIDE + K + 1);
  localparam integer AW = ROW > 1 ? $clog2(ROW) : 1;
  localparam integer SW = HL > 1 ? $clog2(HL) : 1;

  if (SIMD < 1 || CH % SIMD != 0 || K < 1 || STRIDE < 1 || K > IFM_H || K > IFM_W)
  begin : g_illegal
    `BNN_PARAM_ERROR(("%s: illegal IFM %0dx%0d CH %0d SIMD %0d K %0d STRIDE %0d (need SIMD | CH, K <= IFM)", NAME,
                      IFM_H, IFM_W, CH, SIMD, K, STRIDE))
  end

  // The group's AND-lanes; for bits, min = AND and max = OR.
  function automatic [SIMD-1:0] combine(input [SIMD-1:0] a, input [SIMD-1:0] b,
                                        input [SIMD-1:0] min_lanes);
    combine = (min_lanes & a & b) | (~min_lanes & (a | b));
  endfunction
  wire [CH-1:0] min_channels = MIN_CHANNELS;

  // Horizontal stage: input position (y, x, cg).
  reg [GW-1:0] cg;
  reg [XW-1:0] x, x_end;  // x_end: column where the next window of this row ends
  reg [YW-1:0] y, y_end;  // y_end: row where the next window ends
  reg [$clog2(OFM_W + 1)-1:0] ox;
  reg [$clog2(OFM_H + 1)-1:0] oy;
  reg [AW-1:0] col_addr;  // ox·CG + cg of the next row maximum
  reg [SW-1:0] slot;      // vertical slot of row y
  wire last_cg = 32'(cg) == CG - 1;
  wire last_x = 32'(x) == IFM_W - 1;
  wire last_y = 32'(y) == IFM_H - 1;
  wire ends_x = x == x_end && 32'(ox) < OFM_W;
  wire ends_y = y == y_end && 32'(oy) < OFM_H;
  wire [SIMD-1:0] a_min = min_channels[32'(cg)*SIMD+:SIMD];

  // Vertical stage registers (a row maximum on its way; with K = 1 only its data is used).
  reg b_valid, b_send;
  reg [SIMD-1:0] b_data;
  /* verilator lint_off UNUSEDSIGNAL */
  reg [SIMD-1:0] b_min;
  reg [AW-1:0] b_addr;
  reg [SW-1:0] b_slot;
  /* verilator lint_on UNUSEDSIGNAL */
  reg out_valid;
  reg [SIMD-1:0] out_data;

  wire stall = b_valid && b_send && out_valid && !m_axis_tready;
  assign s_axis_tready = !stall;
  wire take = s_axis_tvalid && !stall;

  wire [SIMD-1:0] row_max;
  wire [SIMD-1:0] col_max;
  if (HL > 0) begin : g_window
    // Horizontal history: level k holds, per channel group, the pixel k columns back.
    wire [SIMD-1:0] h[0:HL];
    assign h[0] = s_axis_tdata;
    for (genvar k = 1; k <= HL; k = k + 1) begin : g_level
      reg [SIMD-1:0] hist[0:CG-1];
      assign h[k] = hist[cg];
      always @(posedge clk) begin
        if (take) hist[cg] <= h[k-1];
      end
    end
    reg [SIMD-1:0] hmax;
    always @* begin
      hmax = s_axis_tdata;
      for (int k = 1; k <= HL; k = k + 1) hmax = combine(hmax, h[k], a_min);
    end
    assign row_max = hmax;

    // Vertical history: slot j holds the row maxima of one of the last HL rows.
    reg [SIMD-1:0] rows[0:HL-1][0:ROW-1];
    reg [SIMD-1:0] vmax;
    always @* begin
      vmax = b_data;
      for (int j = 0; j < HL; j = j + 1) vmax = combine(vmax, rows[j][b_addr], b_min);
    end
    always @(posedge clk) begin
      if (b_valid && !stall) rows[b_slot][b_addr] <= b_data;
    end
    assign col_max = vmax;
  end else begin : g_point
    assign row_max = s_axis_tdata;
    assign col_max = b_data;
  end

  always @(posedge clk) begin
    if (!stall) begin
      b_data <= row_max;
      b_min <= a_min;
      b_addr <= col_addr;
      b_slot <= slot;
      b_send <= ends_y;
    end
    if (b_valid && b_send && !stall) out_data <= col_max;
  end

  always @(posedge clk) begin
    if (!stall) b_valid <= take && ends_x;
    if (b_valid && b_send && !stall) out_valid <= 1'b1;
    else if (m_axis_tready) out_valid <= 1'b0;
    if (take) begin
      cg <= last_cg ? '0 : cg + 1'b1;
      if (ends_x) col_addr <= 32'(col_addr) == ROW - 1 ? '0 : col_addr + 1'b1;
      if (last_cg) begin
        x <= last_x ? '0 : x + 1'b1;
        if (ends_x) begin
          ox <= ox + 1'b1;
          x_end <= x_end + XW'(STRIDE);
        end
        if (last_x) begin
          ox <= '0;
          x_end <= XW'(K - 1);
          col_addr <= '0;
          slot <= 32'(slot) == (HL > 0 ? HL : 1) - 1 ? '0 : slot + 1'b1;
          y <= last_y ? '0 : y + 1'b1;
          if (ends_y) begin
            oy <= oy + 1'b1;
            y_end <= y_end + YW'(STRIDE);
          end
          if (last_y) begin
            oy <= '0;
            y_end <= YW'(K - 1);
          end
        end
      end
    end
    if (rst) begin
      cg <= '0;
      x <= '0;
      y <= '0;
      ox <= '0;
      oy <= '0;
      x_end <= XW'(K - 1);
      y_end <= YW'(K - 1);
      col_addr <= '0;
      slot <= '0;
      b_valid <= 1'b0;
      out_valid <= 1'b0;
    end
  end

  assign m_axis_tdata = out_data;
  assign m_axis_tvalid = out_valid;
endmodule

`default_nettype wire
