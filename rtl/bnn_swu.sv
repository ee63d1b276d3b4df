// The sliding window unit: streaming im2col. It reads an IFM_H × IFM_W × CH image (HWC, words of
// SIMD channels) and writes, for every output pixel (oy, ox) in row-major order, its K × K window
// in (ky, kx, c) order — the column order of the conv's weight matrix — in words of SIMD
// channels: K·K·CH/SIMD words per output pixel.
//
// The image goes into a line buffer of K + 1 rows (SLOTS), written as one circular buffer in
// arrival order, so absolute image row r (counted since reset, across frames) sits in slot
// r mod SLOTS. While the windows of output row oy read rows oy·S .. oy·S + K − 1, the next row
// arrives in the spare slot. Two counts decide everything:
//   rows_ahead = (row being written) − (first row of the current window), signed: it goes
//                negative while the rows no window uses (a frame's last IFM_H − (OFM_H−1)·S − K)
//                are still arriving after the reader has moved to the next frame;
//   wr_col     = words written of the row being written.
// A word may be written while rows_ahead ≤ K (the row would otherwise overwrite the first row of
// the window, which may be released in the same cycle); a window may be read once its last word is in: rows_ahead ≥ K, or rows_ahead =
// K − 1 and wr_col ≥ (ox·S + K)·CH/SIMD. One word in and one window word out per cycle, as the
// cycle simulator's WindowEngine (src/sim/cycle_simulator.cpp).
`default_nettype none
`include "bnn_defs.vh"

module bnn_swu #(
  parameter NAME = "bnn_swu",  // instance path in error messages (bnn_top gives each its own)
  parameter integer IFM_H = 4,   // input rows
  parameter integer IFM_W = 4,   // input columns
  parameter integer CH = 2,      // channels
  parameter integer SIMD = 1,    // channels per word (divides CH)
  parameter integer BITS = 1,    // bits per element
  parameter integer K = 3,       // window size
  parameter integer STRIDE = 1   // window step
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
  localparam integer WIDTH = SIMD * BITS;
  localparam integer CG = CH / SIMD;  // words per pixel
  localparam integer OFM_H = (IFM_H - K) / STRIDE + 1;
  localparam integer OFM_W = (IFM_W - K) / STRIDE + 1;
  localparam integer ROW_WORDS = IFM_W * CG;
  localparam integer SLOTS = K + 1;
  localparam integer BUF_WORDS = SLOTS * ROW_WORDS;
  localparam integer WIN_ROW = K * CG;  // words of one window row
  localparam integer AW = $clog2(BUF_WORDS);
  localparam integer CW = $clog2(ROW_WORDS + 1);
  // Address steps: one row, STRIDE rows, and from a frame's last window row to the next frame.
  localparam integer ROW_STEP = (STRIDE % SLOTS) * ROW_WORDS;
  localparam integer FRAME_ROWS = IFM_H - (OFM_H - 1) * STRIDE;
  localparam integer FRAME_STEP = (FRAME_ROWS % SLOTS) * ROW_WORDS;
  localparam integer RW = $clog2(IFM_H + K + 2) + 1;  // rows_ahead, signed

  if (SIMD < 1 || BITS < 1 || CH < 1 || CH % SIMD != 0 || K < 1 || STRIDE < 1 || K > IFM_H ||
      K > IFM_W) begin : g_illegal
    `BNN_PARAM_ERROR(("%s: illegal IFM %0dx%0d CH %0d SIMD %0d K %0d STRIDE %0d (need SIMD | CH, K <= IFM)", NAME,
                      IFM_H, IFM_W, CH, SIMD, K, STRIDE))
  end

  // Address + step, wrapping around the buffer once.
  function automatic [AW-1:0] wrap_add(input [AW-1:0] a, input integer step);
    integer sum;
    sum = 32'(a) + step;
    wrap_add = AW'(sum >= BUF_WORDS ? sum - BUF_WORDS : sum);
  endfunction

  reg [WIDTH-1:0] mem[0:BUF_WORDS-1];

  // Write side.
  reg [AW-1:0] wr_addr;
  reg [CW-1:0] wr_col;
  reg signed [RW-1:0] rows_ahead;
  wire write = s_axis_tvalid && s_axis_tready;
  wire row_done = write && 32'(wr_col) == ROW_WORDS - 1;

  // Read side: output pixel (oy, ox), window row ky, word off within the window row.
  reg [$clog2(OFM_H + 1)-1:0] oy;
  reg [$clog2(OFM_W + 1)-1:0] ox;
  reg [$clog2(K + 1)-1:0] ky;
  reg [$clog2(WIN_ROW + 1)-1:0] off;
  reg [AW-1:0] base_addr;  // slot of the window's first row
  reg [AW-1:0] row_addr;   // slot of row ky
  reg [CW-1:0] col_base;   // ox·STRIDE·CG
  reg [CW-1:0] need_col;   // (ox·STRIDE + K)·CG: wr_col that completes the window
  reg out_valid;
  reg [WIDTH-1:0] out_data;

  wire ready_window = $signed(rows_ahead) >= $signed(RW'(K)) ||
                      (rows_ahead == RW'(K - 1) && wr_col >= need_col);
  wire adv = !out_valid || m_axis_tready;
  wire read = adv && ready_window;
  wire last_off = 32'(off) == WIN_ROW - 1;
  wire last_ky = 32'(ky) == K - 1;
  wire last_ox = 32'(ox) == OFM_W - 1;
  wire last_oy = 32'(oy) == OFM_H - 1;
  wire pixel_done = read && last_off && last_ky;
  wire row_released = pixel_done && last_ox;
  wire [AW-1:0] rd_addr = row_addr + AW'(col_base) + AW'(off);

  // Rows the reader releases this cycle: STRIDE at the end of an output row, the rest of the
  // frame at the end of the last one.
  wire signed [RW-1:0] release_step = last_oy ? RW'(FRAME_ROWS) : RW'(STRIDE);
  wire signed [RW-1:0] released = row_released ? release_step : RW'(0);

  // A word may come in when its row stays within K rows of the window's first one — counting the
  // rows the reader releases in this very cycle, as the cycle simulator does (it emits, then
  // reads). Only the last term depends on the output's ready.
  wire room_now = $signed(rows_ahead) <= $signed(RW'(K));
  wire room_after_release = $signed(rows_ahead - release_step) <= $signed(RW'(K));
  wire row_end_next = last_off && last_ky && last_ox;
  assign s_axis_tready = room_now || (room_after_release && row_end_next && read);

  always @(posedge clk) begin
    if (write) mem[wr_addr] <= s_axis_tdata;
    if (read) out_data <= mem[rd_addr];
  end

  always @(posedge clk) begin
    if (write) begin
      wr_addr <= wrap_add(wr_addr, 1);
      wr_col <= row_done ? {CW{1'b0}} : wr_col + 1'b1;
    end
    rows_ahead <= rows_ahead + RW'(row_done) - released;

    if (read) begin
      off <= last_off ? '0 : off + 1'b1;
      if (last_off) begin
        ky <= last_ky ? '0 : ky + 1'b1;
        row_addr <= last_ky ? base_addr : wrap_add(row_addr, ROW_WORDS);
      end
      if (pixel_done) begin
        ox <= last_ox ? '0 : ox + 1'b1;
        col_base <= last_ox ? '0 : col_base + CW'(STRIDE * CG);
        need_col <= last_ox ? CW'(K * CG) : need_col + CW'(STRIDE * CG);
      end
      if (row_released) begin
        oy <= last_oy ? '0 : oy + 1'b1;
        base_addr <= wrap_add(base_addr, last_oy ? FRAME_STEP : ROW_STEP);
        row_addr <= wrap_add(base_addr, last_oy ? FRAME_STEP : ROW_STEP);
      end
    end
    if (adv) out_valid <= read;

    if (rst) begin
      wr_addr <= '0;
      wr_col <= '0;
      rows_ahead <= '0;
      oy <= '0;
      ox <= '0;
      ky <= '0;
      off <= '0;
      base_addr <= '0;
      row_addr <= '0;
      col_base <= '0;
      need_col <= CW'(K * CG);
      out_valid <= 1'b0;
    end
  end

  assign m_axis_tdata = out_data;
  assign m_axis_tvalid = out_valid;
endmodule

`default_nettype wire
