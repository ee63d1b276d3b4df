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
  // A word format is "grouped" when its channel group divides the channels (up to P pixels with
  // the same G channels; whole pixels when G = C), else a "run" of consecutive elements (one-
  // pixel words whose width does not divide the channels: a converter's side).
  localparam bit IN_RUN = IFM_C % IN_G != 0;
  localparam bit OUT_RUN = OFM_C % OUT_G != 0;
  localparam integer IN_GROUPS = IN_RUN ? 1 : IFM_C / IN_G;
  localparam integer OUT_GROUPS = OUT_RUN ? 1 : OFM_C / OUT_G;
  localparam integer PIXELS_IN = IFM_H * IFM_W;
  localparam integer PIXELS_OUT = OFM_H * OFM_W;
  localparam integer ELEMS_IN = PIXELS_IN * IFM_C;
  localparam integer ELEMS_OUT = PIXELS_OUT * OFM_C;
  localparam integer IN_PGROUPS = (PIXELS_IN + IN_PIXELS - 1) / IN_PIXELS;
  localparam integer OUT_PGROUPS = (PIXELS_OUT + OUT_PIXELS - 1) / OUT_PIXELS;
  localparam integer IN_WORDS =
      IN_RUN ? (ELEMS_IN + IN_ELEMS - 1) / IN_ELEMS : IN_PGROUPS * IN_GROUPS;
  localparam integer OUT_WORDS =
      OUT_RUN ? (ELEMS_OUT + OUT_ELEMS - 1) / OUT_ELEMS : OUT_PGROUPS * OUT_GROUPS;
  localparam integer TAPS = KIND == 3 ? K * K : 1;
  localparam integer AW = BUF > 1 ? $clog2(BUF) : 1;
  localparam integer FRAME_STEP = ELEMS_IN % BUF;  // a frame's step through the buffer
  // Signed width of the element and pixel counts (a window reaches K rows past its origin, a
  // padding's border as far before it, a read count SLACK words past a frame).
  localparam integer SPAN = 2 * (ELEMS_IN + ELEMS_OUT + (K + PAD + 1) * (IFM_W + PAD + 1) * IFM_C +
                                 (SLACK + 2) * IN_ELEMS + OUT_ELEMS + 4);
  localparam integer EW = $clog2(SPAN) + 2;
  localparam integer CW = $clog2(OFM_C + OUT_ELEMS + 1) + 1;  // channels, lanes
  localparam integer YW = $clog2(OFM_H + OFM_W + OUT_PIXELS + 1) + 1;  // output coordinates
  // Output pixel (y, x) reads from input pixel (y·SX − PO, x·SX − PO) on (its window's origin).
  localparam integer SX = KIND == 2 || KIND == 3 ? STRIDE : 1;
  localparam integer PO = KIND == 1 ? PAD : 0;
  localparam bit TAPWORDS = KIND == 2 && OUT_G > IFM_C;  // SIMD over kernel taps
  localparam integer SETS = TAPWORDS ? OUT_G / IFM_C : 1;  // tap counters: the taps of a word
  localparam integer DX = OUT_PIXELS % OFM_W, DY = OUT_PIXELS / OFM_W;  // a pixel group's step
  localparam integer LAST_LANES = ELEMS_OUT - (OUT_WORDS - 1) * OUT_ELEMS;  // run words
  localparam integer IN_LAST_PIXELS = PIXELS_IN - (IN_PGROUPS - 1) * IN_PIXELS;
  localparam integer IN_LAST_LANES = ELEMS_IN - (IN_WORDS - 1) * IN_ELEMS;

  if (KIND < 0 || KIND > 3 || BUF < 1 || (BUF & (BUF - 1)) != 0 || IN_ELEMS % IN_PIXELS != 0 ||
      OUT_ELEMS % OUT_PIXELS != 0 || (KIND == 3 && BITS != 1) || (IN_RUN && IN_PIXELS != 1) ||
      (OUT_RUN && (OUT_PIXELS != 1 || KIND != 0 || IN_RUN)) ||
      (KIND != 2 && IFM_C != OFM_C) || (TAPWORDS && OUT_G % IFM_C != 0)) begin : g_illegal
    `BNN_PARAM_ERROR(("%s: illegal KIND %0d BUF %0d words %0d/%0d -> %0d/%0d BITS %0d", NAME, KIND,
                      BUF, IN_ELEMS, IN_PIXELS, OUT_ELEMS, OUT_PIXELS, BITS))
  end

  // Element (pixel p, channel c; index e) of the frame is among the words counted by (qp, rg,
  // ne): qp pixels of whole pixel groups and rg channels of the next, or ne elements.
  function automatic logic covered(input logic signed [EW-1:0] qp, input logic signed [EW-1:0] rg, input logic signed [EW-1:0] ne,
                                   input logic signed [EW-1:0] p, input logic signed [EW-1:0] c, input logic signed [EW-1:0] e);
    if (IN_RUN) covered = e < ne;
    else covered = p < qp || (p < qp + EW'(IN_PIXELS) && c < rg);
  endfunction

  // A pool tap's pixel offset from the window's origin.
  function automatic integer pool_tap(input integer t);
    pool_tap = t / K * IFM_W + t % K;
  endfunction

  reg [BITS-1:0] buffer[0:BUF-1];
  reg signed [EW-1:0] rd_words;          // input words read of the frame being written out (may pass a frame)
  integer wr_word;           // the next input word's index in its frame
  reg [AW-1:0] wr_base;      // the writing frame's element 0 in the buffer
  reg [AW-1:0] wr_addr;      // the next input word's lane 0 in the buffer
  reg [AW-1:0] rd_base;      // the reading frame's element 0
  integer out_word;          // the output word being composed
  reg [OUT_ELEMS*BITS-1:0] out_data;
  reg out_valid;

  wire adv = !out_valid || m_axis_tready;
  wire all_in, all_lag, any_read;
  wire send = adv && all_in;
  assign s_axis_tready = any_read ? !all_lag : rd_words < EW'(SLACK);
  wire take = s_axis_tvalid && s_axis_tready;
  wire last_out = out_word == OUT_WORDS - 1;
  wire last_in = wr_word == IN_WORDS - 1;
  wire frame_done = send && last_out;

  // Where the reads stand, as n = rd_words (set 0: what the current word needs) and n − SLACK
  // (set 1: the reads stop while the current word needs nothing beyond them). No divisions: the
  // counts step with the words read, and back a frame's words when a frame is written out.
  wire [2*EW-1:0] qp_all, rg_all, ne_all;
  for (genvar s = 0; s < 2; s = s + 1) begin : g_reads
    localparam integer N0 = s == 0 ? 0 : -SLACK;  // the count this set starts from
    localparam integer Q0 = N0 >= 0 ? N0 / IN_GROUPS : -((-N0 + IN_GROUPS - 1) / IN_GROUPS);
    localparam integer R0 = N0 - Q0 * IN_GROUPS;
    integer r;  // words of the next pixel group read
    reg signed [EW-1:0] qp, rg, ne;
    always @(posedge clk) begin
      if (take) begin
        ne <= ne + EW'(IN_ELEMS) - (frame_done ? EW'(IN_WORDS * IN_ELEMS) : '0);
        if (r == IN_GROUPS - 1) begin
          r <= 0;
          rg <= '0;
          qp <= qp + EW'(IN_PIXELS) -
                (frame_done ? EW'(IN_PGROUPS * IN_PIXELS) : '0);
        end else begin
          r <= r + 1;
          rg <= rg + EW'(IN_G);
          if (frame_done) qp <= qp - EW'(IN_PGROUPS * IN_PIXELS);
        end
      end else if (frame_done) begin
        ne <= ne - EW'(IN_WORDS * IN_ELEMS);
        qp <= qp - EW'(IN_PGROUPS * IN_PIXELS);
      end
      if (rst) begin
        r <= R0;
        rg <= EW'(R0 * IN_G);
        qp <= EW'(Q0 * IN_PIXELS);
        ne <= EW'(N0 * IN_ELEMS);
      end
    end
    assign qp_all[s*EW+:EW] = qp;
    assign rg_all[s*EW+:EW] = rg;
    assign ne_all[s*EW+:EW] = ne;
  end

  wire [OUT_ELEMS*BITS-1:0] word_data;
  // Set s's counts (the function's arguments).
  function automatic logic signed [EW-1:0] part(input logic [2*EW-1:0] all, input integer s);
    part = all[s*EW+:EW];
  endfunction
  function automatic logic covered_by(input integer s, input logic signed [EW-1:0] p, input logic signed [EW-1:0] c,
                                      input logic signed [EW-1:0] e);
    covered_by = covered(part(qp_all, s), part(rg_all, s), part(ne_all, s), p, c, e);
  endfunction

  if (!OUT_RUN) begin : g_grouped
    // The output word's channel group: og, its first channel c0 in the input (the SWU's taps go
    // through c0, then the next tap), and per tap counter s (one per tap of a word with SIMD
    // over taps, else one) the tap's pixel offset ky·IFM_W + kx and element offset.
    integer og;
    reg [CW-1:0] c0;
    wire [SETS*EW-1:0] toff_all, toffe_all;
    wire group_end = og == OUT_GROUPS - 1;
    always @(posedge clk) begin
      if (send) begin
        og <= group_end ? 0 : og + 1;
        c0 <= group_end || TAPWORDS || c0 + CW'(OUT_G) == CW'(IFM_C) ? '0 : c0 + CW'(OUT_G);
      end
      if (rst) begin
        og <= 0;
        c0 <= '0;
      end
    end
    for (genvar s = 0; s < SETS; s = s + 1) begin : g_tap
      // Taps this counter moves per channel group (K² ≥ A: SIMD divides K·K·C).
      localparam integer A = TAPWORDS ? SETS : 1;
      localparam integer T0 = TAPWORDS ? s : 0;
      wire step = TAPWORDS || c0 + CW'(OUT_G) == CW'(IFM_C);
      integer kx;
      reg signed [EW-1:0] toff, toffe;
      assign toff_all[s*EW+:EW] = toff;
      assign toffe_all[s*EW+:EW] = toffe;
      always @(posedge clk) begin
        if (send) begin
          if (group_end) begin
            kx <= T0 % K;
            toff <= EW'(T0 / K * IFM_W + T0 % K);
            toffe <= EW'((T0 / K * IFM_W + T0 % K) * IFM_C);
          end else if (step) begin
            if (kx + A % K >= K) begin
              kx <= kx + A % K - K;
              toff <= toff + EW'(A / K * IFM_W + A % K + IFM_W - K);
              toffe <= toffe + EW'((A / K * IFM_W + A % K + IFM_W - K) * IFM_C);
            end else begin
              kx <= kx + A % K;
              toff <= toff + EW'(A / K * IFM_W + A % K);
              toffe <= toffe + EW'((A / K * IFM_W + A % K) * IFM_C);
            end
          end
        end
        if (rst) begin
          kx <= T0 % K;
          toff <= EW'(T0 / K * IFM_W + T0 % K);
          toffe <= EW'((T0 / K * IFM_W + T0 % K) * IFM_C);
        end
      end
    end

    localparam integer LAST_TAP = KIND == 3 ? pool_tap(K * K - 1) : 0;

    wire [OUT_PIXELS-1:0] in_ok, lag_ok, reads;
    for (genvar i = 0; i < OUT_PIXELS; i = i + 1) begin : g_pixel
      // Output pixel (y, x) of this lane pixel and its source origin: pixel index ps, element
      // index es (both in the frame; a padding's border lanes point outside it).
      localparam integer Y0 = i / OFM_W, X0 = i % OFM_W;
      localparam integer PS0 = (Y0 * SX - PO) * IFM_W + X0 * SX - PO;
      reg [YW-1:0] y, x;
      reg signed [EW-1:0] ps, es;
      always @(posedge clk) begin
        if (send && group_end) begin
          if (last_out) begin
            y <= YW'(Y0);
            x <= YW'(X0);
            ps <= EW'(PS0);
            es <= EW'(PS0 * IFM_C);
          end else if (x + YW'(DX) >= YW'(OFM_W)) begin
            y <= y + YW'(DY + 1);
            x <= x + YW'(DX) - YW'(OFM_W);
            ps <= ps + EW'((DY + 1) * SX * IFM_W + DX * SX - OFM_W * SX);
            es <= es + EW'(((DY + 1) * SX * IFM_W + DX * SX - OFM_W * SX) * IFM_C);
          end else begin
            y <= y + YW'(DY);
            x <= x + YW'(DX);
            ps <= ps + EW'(DY * SX * IFM_W + DX * SX);
            es <= es + EW'((DY * SX * IFM_W + DX * SX) * IFM_C);
          end
        end
        if (rst) begin
          y <= YW'(Y0);
          x <= YW'(X0);
          ps <= EW'(PS0);
          es <= EW'(PS0 * IFM_C);
        end
      end
      wire valid = y < YW'(OFM_H);
      wire inner = KIND != 1 || (y >= YW'(PAD) && y < YW'(OFM_H - PAD) && x >= YW'(PAD) &&
                                 x < YW'(OFM_W - PAD));
      assign reads[i] = valid && inner;
      // The lane pixel's last element read (its last tap, the group's last channel) decides
      // whether all its lanes' inputs are in: the input words' order is monotone in both.
      wire signed [EW-1:0] lp = ps + EW'(toff_all[(SETS-1)*EW+:EW]) + EW'(LAST_TAP);
      wire signed [EW-1:0] lc = TAPWORDS ? EW'(IFM_C - 1) : $signed(EW'(c0)) + EW'(OUT_G - 1);
      wire signed [EW-1:0] le = es + EW'(toffe_all[(SETS-1)*EW+:EW]) + EW'(LAST_TAP * IFM_C) + lc;
      assign in_ok[i] = !reads[i] || covered_by(0, lp,
                                             lc, le);
      assign lag_ok[i] = !reads[i] || covered_by(1, lp,
                                              lc, le);
      wire [AW-1:0] base = rd_base + AW'(es);
      for (genvar l = 0; l < OUT_G; l = l + 1) begin : g_lane
        localparam integer S = TAPWORDS ? l / IFM_C : 0;
        localparam integer COFF = TAPWORDS ? l % IFM_C : l;
        wire [CW-1:0] ch = c0 + CW'(COFF);  // the lane's channel (KIND 1, 3)
        wire [AW-1:0] addr = base + AW'(toffe_all[S*EW+:EW]) + AW'(c0) + AW'(COFF);
        reg [BITS-1:0] v;
        /* verilator lint_off UNUSEDSIGNAL */
        integer c;  // the channel as an index
        /* verilator lint_on UNUSEDSIGNAL */
        always @* begin
          c = 32'(ch);
          v = '0;
          if (KIND == 3) begin
            v = MIN_CHANNELS[c] ? '1 : '0;
            for (integer t = 0; t < TAPS; t = t + 1) begin
              if (MIN_CHANNELS[c]) v = v & buffer[addr+AW'(pool_tap(t)*IFM_C)];
              else v = v | buffer[addr+AW'(pool_tap(t)*IFM_C)];
            end
          end else if (KIND == 1 && !inner) begin
            v = PAD_VALUES[c*BITS+:BITS];
          end else begin
            v = buffer[addr];
          end
          if (!valid) v = '0;
        end
        assign word_data[(i*OUT_G+l)*BITS+:BITS] = v;
      end
    end
    assign all_in = &in_ok;
    assign all_lag = &lag_ok;
    assign any_read = |reads;
  end else begin : g_run
    // A converter writing runs of OUT_ELEMS consecutive elements from grouped words: element
    // ee of lane 0, and (pl, cl) of the word's last element. Its input word is the latest of
    // the word's but for the previous pixel's channel C − 1 when that is in the word too.
    reg signed [EW-1:0] ee, pl;
    reg [CW-1:0] cl;
    localparam integer LAST0 = (OUT_ELEMS < ELEMS_OUT ? OUT_ELEMS : ELEMS_OUT) - 1;
    wire next_last = out_word == OUT_WORDS - 2;
    always @(posedge clk) begin
      if (send) begin
        if (last_out) begin
          ee <= '0;
          pl <= EW'(LAST0 / OFM_C);
          cl <= CW'(LAST0 % OFM_C);
        end else begin
          ee <= ee + EW'(OUT_ELEMS);
          if (next_last) begin
            pl <= EW'(PIXELS_OUT - 1);
            cl <= CW'(OFM_C - 1);
          end else if (cl + CW'(OUT_ELEMS % OFM_C) >= CW'(OFM_C)) begin
            pl <= pl + EW'(OUT_ELEMS / OFM_C + 1);
            cl <= cl + CW'(OUT_ELEMS % OFM_C) - CW'(OFM_C);
          end else begin
            pl <= pl + EW'(OUT_ELEMS / OFM_C);
            cl <= cl + CW'(OUT_ELEMS % OFM_C);
          end
        end
      end
      if (rst) begin
        ee <= '0;
        pl <= EW'(LAST0 / OFM_C);
        cl <= CW'(LAST0 % OFM_C);
      end
    end
    wire [CW-1:0] lanes = last_out ? CW'(LAST_LANES) : CW'(OUT_ELEMS);
    wire prev = cl + CW'(1) < lanes;  // channel C − 1 of pixel pl − 1 is in the word
    wire signed [EW-1:0] lc = $signed(EW'(cl));
    assign all_in = covered_by(0, pl, lc, '0) &&
                    (!prev || covered_by(0, pl - 1,
                                      EW'(IFM_C - 1), '0));
    assign all_lag = covered_by(1, pl, lc, '0) &&
                     (!prev || covered_by(1, pl - 1,
                                       EW'(IFM_C - 1), '0));
    assign any_read = 1'b1;
    wire [AW-1:0] base = rd_base + AW'(ee);
    for (genvar k = 0; k < OUT_ELEMS; k = k + 1) begin : g_lane
      assign word_data[k*BITS+:BITS] =
          CW'(k) < lanes ? buffer[base+AW'(k)] : {BITS{1'b0}};
    end
  end

  // The input side: lane w of the next word goes to wr_addr plus its offset in the frame's
  // element order (pixel w / G of the group, channel w mod G of the channel group).
  wire in_last_group = IN_RUN ? last_in : wr_word >= (IN_PGROUPS - 1) * IN_GROUPS;
  for (genvar w = 0; w < IN_ELEMS; w = w + 1) begin : g_write
    localparam integer OFF = IN_RUN ? w : w / IN_G * IFM_C + w % IN_G;
    localparam bit PARTIAL = IN_RUN ? w >= IN_LAST_LANES : w / IN_G >= IN_LAST_PIXELS;
    always @(posedge clk) begin
      if (take && !(PARTIAL && in_last_group)) buffer[wr_addr+AW'(OFF)] <= s_axis_tdata[w*BITS+:BITS];
    end
  end
  integer wg;  // the next input word's channel group
  always @(posedge clk) begin
    if (take) begin
      wr_word <= last_in ? 0 : wr_word + 1;
      if (last_in) begin
        wr_base <= wr_base + AW'(FRAME_STEP);
        wr_addr <= wr_base + AW'(FRAME_STEP);
        wg <= 0;
      end else if (IN_RUN) begin
        wr_addr <= wr_addr + AW'(IN_ELEMS);
      end else if (wg == IN_GROUPS - 1) begin
        wg <= 0;
        wr_addr <= wr_addr + AW'(IN_PIXELS * IFM_C - (IN_GROUPS - 1) * IN_G);
      end else begin
        wg <= wg + 1;
        wr_addr <= wr_addr + AW'(IN_G);
      end
    end
    if (rst) begin
      wr_word <= 0;
      wr_base <= '0;
      wr_addr <= '0;
      wg <= 0;
    end
  end

  always @(posedge clk) begin
    if (send) out_data <= word_data;
  end

  always @(posedge clk) begin
    rd_words <= rd_words + (take ? EW'(1) : '0) - (frame_done ? EW'(IN_WORDS) : '0);
    if (send) begin
      out_word <= last_out ? 0 : out_word + 1;
      if (last_out) rd_base <= rd_base + AW'(FRAME_STEP);
    end
    if (adv) out_valid <= send;
    if (rst) begin
      rd_words <= '0;
      rd_base <= '0;
      out_word <= 0;
      out_valid <= 1'b0;
    end
  end

  assign m_axis_tdata = out_data;
  assign m_axis_tvalid = out_valid;
endmodule

`default_nettype wire
