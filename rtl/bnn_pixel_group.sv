// A padding, sliding window unit, max-pool or reordering width converter on words of several
// pixels (docs/pixel-parallel.md): each word carries up to PIXELS pixels side by side, each with
// the same group of consecutive channels (src/fold/stream_order.h). Such a block regroups pixels
// (a window's MMV pixels come from S·MMV input columns, a padded word's pixels from two input
// words), so it is built as the cycle simulator's PixelGroupEngine models it:
//
//   - every input word read goes, element by element, into a circular buffer of BUF elements
//     (a power of two), element e of frame f at (f·IFM elements + e) mod BUF;
//   - output word j is written (one a cycle) once the input words it reads have been read: NEED,
//     the last of them + 1, follows from its lanes' sources;
//   - an input word is read (one a cycle) while fewer than NEED + SLACK of the frame's words are
//     in (the window's S input rows, or two pixel groups).
//
// bnnc computes BUF as the most elements that span from the oldest one still needed to the newest
// one read under that rule (src/rtl/pixel_group_buffer.cpp), so a write never clobbers an element
// a later word reads. Each lane's source is computed from the output word's index with constant
// divisions: this block is written for exactness against the simulator, not for size.
`default_nettype none
`include "bnn_defs.vh"

module bnn_pixel_group #(
  parameter NAME = "bnn_pixel_group",  // instance path in error messages
  parameter integer KIND = 0,          // 0 converter, 1 padding, 2 sliding window, 3 max-pool
  parameter integer IFM_H = 1,
  parameter integer IFM_W = 1,
  parameter integer IFM_C = 1,
  parameter integer OFM_H = 1,
  parameter integer OFM_W = 1,
  parameter integer OFM_C = 1,
  parameter integer K = 1,
  parameter integer STRIDE = 1,
  parameter integer PAD = 0,
  parameter integer IN_PIXELS = 1,
  parameter integer IN_ELEMS = 1,
  parameter integer OUT_PIXELS = 1,
  parameter integer OUT_ELEMS = 1,
  parameter integer BITS = 1,
  parameter integer SLACK = 2,   // input words read beyond those the current output word needs
  parameter integer BUF = 16,    // elements kept, a power of two
  parameter [OFM_C*BITS-1:0] PAD_VALUES = '0,  // padding: channel c's border value
  parameter [OFM_C-1:0] MIN_CHANNELS = '0      // max-pool on bits: channel c takes AND, not OR
) (
  input  wire                      clk,
  input  wire                      rst,
  input  wire [IN_ELEMS*BITS-1:0]  s_axis_tdata,
  input  wire                      s_axis_tvalid,
  output wire                      s_axis_tready,
  output wire [OUT_ELEMS*BITS-1:0] m_axis_tdata,
  output wire                      m_axis_tvalid,
  input  wire                      m_axis_tready
);
  localparam integer IN_G = IN_ELEMS / IN_PIXELS;
  localparam integer OUT_G = OUT_ELEMS / OUT_PIXELS;
  localparam bit IN_FLAT = IN_PIXELS == 1 || IN_G == IFM_C;
  localparam bit OUT_FLAT = OUT_PIXELS == 1 || OUT_G == OFM_C;
  localparam integer IN_GROUPS = IFM_C / IN_G;
  localparam integer OUT_GROUPS = OFM_C / OUT_G;
  localparam integer ELEMS_IN = IFM_H * IFM_W * IFM_C;
  localparam integer ELEMS_OUT = OFM_H * OFM_W * OFM_C;
  localparam integer IN_WORDS =
      IN_FLAT ? (ELEMS_IN + IN_ELEMS - 1) / IN_ELEMS
              : (IFM_H * IFM_W + IN_PIXELS - 1) / IN_PIXELS * IN_GROUPS;
  localparam integer OUT_WORDS =
      OUT_FLAT ? (ELEMS_OUT + OUT_ELEMS - 1) / OUT_ELEMS
               : (OFM_H * OFM_W + OUT_PIXELS - 1) / OUT_PIXELS * OUT_GROUPS;
  localparam integer TAPS = KIND == 3 ? K * K : 1;
  localparam integer AW = BUF > 1 ? $clog2(BUF) : 1;
  localparam integer FRAME_STEP = ELEMS_IN % BUF;  // a frame's step through the buffer

  if (KIND < 0 || KIND > 3 || BUF < 1 || (BUF & (BUF - 1)) != 0 || IN_ELEMS % IN_PIXELS != 0 ||
      OUT_ELEMS % OUT_PIXELS != 0 || (KIND == 3 && BITS != 1)) begin : g_illegal
    `BNN_PARAM_ERROR(("%s: illegal KIND %0d BUF %0d words %0d/%0d -> %0d/%0d BITS %0d", NAME, KIND,
                      BUF, IN_ELEMS, IN_PIXELS, OUT_ELEMS, OUT_PIXELS, BITS))
  end

  // The HWC index of slot `slot` of word `word` of a frame (fold/stream_order.cpp).
  function automatic integer in_element(input integer word, input integer slot);
    if (IN_FLAT) in_element = word * IN_ELEMS + slot;
    else
      in_element = ((word / IN_GROUPS) * IN_PIXELS + slot / IN_G) * IFM_C +
                   (word % IN_GROUPS) * IN_G + slot % IN_G;
  endfunction
  function automatic integer out_element(input integer word, input integer slot);
    if (OUT_FLAT) out_element = word * OUT_ELEMS + slot;
    else
      out_element = ((word / OUT_GROUPS) * OUT_PIXELS + slot / OUT_G) * OFM_C +
                    (word % OUT_GROUPS) * OUT_G + slot % OUT_G;
  endfunction
  // The input word of a frame that carries element e.
  function automatic integer in_word(input integer e);
    if (IN_FLAT) in_word = e / IN_ELEMS;
    else in_word = (e / IFM_C) / IN_PIXELS * IN_GROUPS + (e % IFM_C) / IN_G;
  endfunction

  reg [BITS-1:0] buffer[0:BUF-1];
  integer rd_words;          // input words read of the frame being written out (may pass a frame)
  integer wr_word;           // the next input word's index in its frame
  reg [AW-1:0] wr_base;      // the writing frame's element 0 in the buffer
  reg [AW-1:0] rd_base;      // the reading frame's element 0
  integer out_word;          // the output word being composed
  reg [OUT_ELEMS*BITS-1:0] out_data;
  reg out_valid;

  // Per lane: its value and the input words of the frame it needs read first.
  wire [OUT_ELEMS*BITS-1:0] word_data;
  wire [OUT_ELEMS*32-1:0] lane_need;
  for (genvar k = 0; k < OUT_ELEMS; k = k + 1) begin : g_lane
    reg [BITS-1:0] v;
    integer need_k, e, pixel, ch, y, x, src, tap, t;
    always @* begin
      e = out_element(out_word, k);
      pixel = e / OFM_C;
      ch = e % OFM_C;
      y = pixel / OFM_W;
      x = pixel % OFM_W;
      src = 0;
      tap = 0;
      v = '0;
      need_k = 0;
      if (e < ELEMS_OUT) begin
        if (KIND == 1) begin
          if (y >= PAD && y < OFM_H - PAD && x >= PAD && x < OFM_W - PAD) begin
            src = ((y - PAD) * IFM_W + x - PAD) * IFM_C + ch;
            v = buffer[rd_base+AW'(src)];
            need_k = in_word(src) + 1;
          end else begin
            v = PAD_VALUES[ch*BITS+:BITS];
          end
        end else if (KIND == 2) begin
          tap = ch / IFM_C;
          src = ((y * STRIDE + tap / K) * IFM_W + x * STRIDE + tap % K) * IFM_C + ch % IFM_C;
          v = buffer[rd_base+AW'(src)];
          need_k = in_word(src) + 1;
        end else if (KIND == 3) begin
          v = MIN_CHANNELS[ch] ? '1 : '0;
          for (t = 0; t < TAPS; t = t + 1) begin
            src = ((y * STRIDE + t / K) * IFM_W + x * STRIDE + t % K) * IFM_C + ch;
            if (MIN_CHANNELS[ch]) v = v & buffer[rd_base+AW'(src)];
            else v = v | buffer[rd_base+AW'(src)];
          end
          // The last tap is the window's last pixel: no element of the channel comes later.
          need_k = in_word(src) + 1;
        end else begin
          v = buffer[rd_base+AW'(e)];
          need_k = in_word(e) + 1;
        end
      end
    end
    assign word_data[k*BITS+:BITS] = v;
    assign lane_need[k*32+:32] = 32'(need_k);
  end

  integer need, n;
  always @* begin
    need = 0;
    for (n = 0; n < OUT_ELEMS; n = n + 1) begin
      if ($signed(lane_need[n*32+:32]) > need) need = $signed(lane_need[n*32+:32]);
    end
  end

  wire adv = !out_valid || m_axis_tready;
  wire send = adv && rd_words >= need;
  assign s_axis_tready = rd_words < need + SLACK;
  wire take = s_axis_tvalid && s_axis_tready;
  wire last_out = out_word == OUT_WORDS - 1;
  wire last_in = wr_word == IN_WORDS - 1;

  // One write port per input lane (a generate loop: Verilator does not unroll a loop of delayed
  // array writes of more than a few lanes).
  for (genvar w = 0; w < IN_ELEMS; w = w + 1) begin : g_write
    always @(posedge clk) begin
      if (take && in_element(wr_word, w) < ELEMS_IN)
        buffer[wr_base+AW'(in_element(wr_word, w))] <= s_axis_tdata[w*BITS+:BITS];
    end
  end

  always @(posedge clk) begin
    if (send) out_data <= word_data;
  end

  always @(posedge clk) begin
    rd_words <= rd_words + (take ? 1 : 0) - (send && last_out ? IN_WORDS : 0);
    if (take) begin
      wr_word <= last_in ? 0 : wr_word + 1;
      if (last_in) wr_base <= wr_base + AW'(FRAME_STEP);
    end
    if (send) begin
      out_word <= last_out ? 0 : out_word + 1;
      if (last_out) rd_base <= rd_base + AW'(FRAME_STEP);
    end
    if (adv) out_valid <= send;
    if (rst) begin
      rd_words <= 0;
      wr_word <= 0;
      wr_base <= '0;
      rd_base <= '0;
      out_word <= 0;
      out_valid <= 1'b0;
    end
  end

  assign m_axis_tdata = out_data;
  assign m_axis_tvalid = out_valid;
endmodule

`default_nettype wire
