// A padding, sliding window unit, max-pool or reordering width converter on words of several
// pixels (docs/pixel-parallel.md): each word carries up to PIXELS pixels side by side, each with
// the same group of consecutive channels (src/fold/stream_order.h). Such a block regroups pixels
// (a window's MMV pixels come from S·MMV input columns, a padded word's pixels from two input
// words), so it is built as the cycle simulator's PixelGroupEngine models it:
//
//   - every input word read goes into SLOTS word slots (a power of two; the frame's words in
//     order, so word w of frame f in slot (f·IN_WORDS + w) mod SLOTS), lane w into bank w: one
//     distributed RAM per input lane, one write a word;
//   - output word j is written (one a cycle) once the input words it reads have been read: NEED,
//     the last of them + 1, follows from its lanes' sources;
//   - an input word is read (one a cycle) while fewer than NEED + SLACK of the frame's words are
//     in (the window's S input rows, or two pixel groups).
//
// bnnc computes SLOTS as the most words that span from the oldest one still read to the newest
// one read under that rule (src/rtl/pixel_group_buffer.cpp), so a write never lands on a word a
// later output word reads. Nothing is divided at run time: counters that step with the output
// words give each output pixel's source origin (as its input pixel group's first word and its
// position in the group), each tap's offset and each lane's channel; NEED and the read-ahead
// compare the last element of each output pixel with counts of the words read. A lane reads
// only the banks it can ever reach — any pixel position of an input word, but one channel
// position (or one per output group in an input group) — and keeps the one its source is in.
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
  parameter integer SLOTS = 16,  // input words kept, a power of two
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
  function automatic integer gcd(input integer a, input integer b);
    integer x, y, t;
    x = a;
    y = b;
    while (y != 0) begin
      t = x % y;
      x = y;
      y = t;
    end
    gcd = x;
  endfunction
  // Floor division (a window's origin may lie before the frame: a padding's border).
  function automatic integer fdiv(input integer a, input integer b);
    fdiv = a >= 0 ? a / b : -((-a + b - 1) / b);
  endfunction

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
  localparam integer AW = SLOTS > 1 ? $clog2(SLOTS) : 1;
  localparam integer FRAME_STEP = IN_WORDS % SLOTS;  // a frame's step through the slots
  // Signed width of the element and pixel counts (a window reaches K rows past its origin, a
  // padding's border as far before it, a read count SLACK words past a frame).
  localparam integer SPAN = 2 * (PIXELS_IN + PIXELS_OUT + (K + PAD + 1) * (IFM_W + PAD + 1) +
                                 (SLACK + 2) * IN_PIXELS + IN_WORDS + SLACK + OFM_C + OUT_ELEMS + 4);
  localparam integer EW = $clog2(SPAN) + 2;  // pixel, word and channel counts
  localparam integer WW = $clog2(IN_WORDS + OUT_WORDS + OUT_GROUPS + IN_GROUPS + K + 2) + 1;
  localparam integer CW = $clog2(OFM_C + OUT_ELEMS + 1) + 1;  // channels, lanes
  localparam integer YW = $clog2(OFM_H + OFM_W + OUT_PIXELS + 1) + 1;  // output coordinates
  // Output pixel (y, x) reads from input pixel (y·SX − PO, x·SX − PO) on (its window's origin).
  localparam integer SX = KIND == 2 || KIND == 3 ? STRIDE : 1;
  localparam integer PO = KIND == 1 ? PAD : 0;
  localparam bit TAPWORDS = KIND == 2 && OUT_G > IFM_C;  // SIMD over kernel taps
  localparam integer SETS = TAPWORDS ? OUT_G / IFM_C : 1;  // tap counters: the taps of a word
  localparam integer DX = OUT_PIXELS % OFM_W, DY = OUT_PIXELS / OFM_W;  // a pixel group's step
  localparam integer LAST_LANES = ELEMS_OUT - (OUT_WORDS - 1) * OUT_ELEMS;  // run words
  // The storage: one bank per input lane, SLOTS words deep. Read r (an output lane, or a pool
  // lane's tap) takes input pixel p, channel c from bank (p mod P)·G + c mod G at slot
  // (p / P)·GROUPS + c / G past its frame's first; it can only ever reach NCAND banks: any of
  // the P pixel positions, and the channel positions c0 + its offset takes (c0 a multiple of the
  // output group, or 0 with SIMD over taps), or every bank for a converter's runs.
  localparam integer NREADS = OUT_ELEMS * TAPS;
  localparam integer CG = TAPWORDS ? IN_G : gcd(IN_G, OUT_G);  // channel positions' spacing
  localparam integer NCR = IN_G / CG;
  localparam integer NCAND = OUT_RUN ? IN_ELEMS : IN_PIXELS * NCR;
  localparam integer PW = $clog2(IN_ELEMS + 1) + 1;  // a bank's index
  localparam integer RW = $clog2(2 * IN_PIXELS + 1) + 1;  // a pixel position in a word
  // A sliding window, max-pool or padding whose output pixel groups never cross a row (OFM_W a
  // multiple of MMV) reads its MMV pixels' sources at one tap as one run: output pixel i at tap
  // t reads input pixel b + i·S, b = pixel 0's origin + the tap's offset (a pool: one run per
  // pool tap; a padding: S = 1, its border lanes take the pad value instead). Stored as above
  // (pixel p in bank p mod P), the run's pixels b … b + (MMV − 1)·S sit in NL "layers" of P
  // banks: layer m, position pos
  // holds pixel b + m·P + ((pos − b) mod P), in the word of b plus m, plus one when pos < b mod P.
  // So each bank is read once per layer and output channel lane (its slot the same for every
  // output pixel), and output pixel i takes layer i·S / P at position (b + i·S) mod P: the
  // reads no longer grow with MMV (reads × P → channel lanes × NL × P), nor the counters (one
  // origin, not one per output pixel). The same words, read and written on the same cycles.
  // A padding's output group may also cross one row (MMV ≤ OFM_W): its pixels in the next row
  // read 2·PAD pixels back (the two border columns between), so its run starts XPAD earlier
  // and each output pixel takes one of two offsets in it.
  localparam bit XROW = KIND == 1 && OFM_W % OUT_PIXELS != 0;
  localparam integer XPAD = XROW ? 2 * PAD : 0;
  localparam bit LINEAR = KIND >= 1 && !OUT_RUN &&
                          (OFM_W % OUT_PIXELS == 0 || (KIND == 1 && OUT_PIXELS <= OFM_W)) &&
                          (TAPWORDS || OUT_G % IN_G == 0 || IN_G % OUT_G == 0);
  localparam integer NL = ((OUT_PIXELS - 1) * SX + XPAD) / IN_PIXELS + 1;  // layers
  // (lane, pool tap, layer, position)
  localparam integer LPORTS = LINEAR ? OUT_G * TAPS * NL * IN_PIXELS : 1;

  if (KIND < 0 || KIND > 3 || SLOTS < 1 || (SLOTS & (SLOTS - 1)) != 0 || IN_RUN || IN_ELEMS % IN_PIXELS != 0 ||
      OUT_ELEMS % OUT_PIXELS != 0 || (KIND == 3 && BITS != 1) || (IN_RUN && IN_PIXELS != 1) ||
      (OUT_RUN && (OUT_PIXELS != 1 || KIND != 0 || IN_RUN)) ||
      (KIND != 2 && IFM_C != OFM_C) || (TAPWORDS && OUT_G % IFM_C != 0)) begin : g_illegal
    `BNN_PARAM_ERROR(("%s: illegal KIND %0d SLOTS %0d words %0d/%0d -> %0d/%0d BITS %0d", NAME,
                      KIND, SLOTS, IN_ELEMS, IN_PIXELS, OUT_ELEMS, OUT_PIXELS, BITS))
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

  reg signed [EW-1:0] rd_words;          // input words read of the frame being written out (may pass a frame)
  reg [WW-1:0] wr_word;         // the next input word's index in its frame
  reg [AW-1:0] wr_slot;      // the next input word's slot
  reg [AW-1:0] rd_base;      // the slot of the reading frame's first word
  reg [WW-1:0] out_word;        // the output word being composed
  reg [OUT_ELEMS*BITS-1:0] out_data;
  reg out_valid;

  wire adv = !out_valid || m_axis_tready;
  wire all_in, all_lag, any_read;
  wire send = adv && all_in;
  assign s_axis_tready = any_read ? !all_lag : rd_words < EW'(SLACK);
  wire take = s_axis_tvalid && s_axis_tready;
  wire last_out = out_word == WW'(OUT_WORDS - 1);
  wire last_in = wr_word == WW'(IN_WORDS - 1);
  wire frame_done = send && last_out;

  // Where the reads stand, as n = rd_words (set 0: what the current word needs) and n − SLACK
  // (set 1: the reads stop while the current word needs nothing beyond them). No divisions: the
  // counts step with the words read, and back a frame's words when a frame is written out.
  wire [2*EW-1:0] qp_all, rg_all, ne_all;
  for (genvar s = 0; s < 2; s = s + 1) begin : g_reads
    localparam integer N0 = s == 0 ? 0 : -SLACK;  // the count this set starts from
    localparam integer Q0 = N0 >= 0 ? N0 / IN_GROUPS : -((-N0 + IN_GROUPS - 1) / IN_GROUPS);
    localparam integer R0 = N0 - Q0 * IN_GROUPS;
    reg [WW-1:0] r;  // words of the next pixel group read
    reg signed [EW-1:0] qp, rg, ne;
    always @(posedge clk) begin
      if (take) begin
        ne <= ne + EW'(IN_ELEMS) - (frame_done ? EW'(IN_WORDS * IN_ELEMS) : '0);
        if (r == WW'(IN_GROUPS - 1)) begin
          r <= '0;
          rg <= '0;
          qp <= qp + EW'(IN_PIXELS) -
                (frame_done ? EW'(IN_PGROUPS * IN_PIXELS) : '0);
        end else begin
          r <= r + WW'(1);
          rg <= rg + EW'(IN_G);
          if (frame_done) qp <= qp - EW'(IN_PGROUPS * IN_PIXELS);
        end
      end else if (frame_done) begin
        ne <= ne - EW'(IN_WORDS * IN_ELEMS);
        qp <= qp - EW'(IN_PGROUPS * IN_PIXELS);
      end
      if (rst) begin
        r <= WW'(R0);
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

  // A pixel index as (its pixel group's first word, its position in the group): q = (p / P)·
  // GROUPS, r = p mod P. Adding a constant d or another such pair carries at most once. d may be
  // negative (a padding's step to the next row when its pixel groups are narrower than the
  // border, 2·PAD): it is split by floor division, so d mod P is in [0, P) — truncating division
  // gave r + (d mod P) < 0, which wrapped to a position past P and a word too far.
  function automatic logic [EW+RW-1:0] dm_add(input logic signed [EW-1:0] q, input logic [RW-1:0] r,
                                              input integer d);
    logic signed [EW-1:0] q2;
    logic [RW-1:0] r2;
    q2 = q + EW'(fdiv(d, IN_PIXELS) * IN_GROUPS);
    r2 = r + RW'(d - fdiv(d, IN_PIXELS) * IN_PIXELS);
    if (r2 >= RW'(IN_PIXELS)) begin
      r2 = r2 - RW'(IN_PIXELS);
      q2 = q2 + EW'(IN_GROUPS);
    end
    dm_add = {q2, r2};
  endfunction
  function automatic logic [EW+RW-1:0] dm_sum(input logic [EW+RW-1:0] a, input logic [EW+RW-1:0] b);
    logic signed [EW-1:0] q2;
    logic [RW-1:0] r2;
    q2 = $signed(a[RW+:EW]) + $signed(b[RW+:EW]);
    r2 = a[RW-1:0] + b[RW-1:0];
    if (r2 >= RW'(IN_PIXELS)) begin
      r2 = r2 - RW'(IN_PIXELS);
      q2 = q2 + EW'(IN_GROUPS);
    end
    dm_sum = {q2, r2};
  endfunction
  function automatic logic [EW+RW-1:0] dm_of(input integer p);
    dm_of = {EW'(fdiv(p, IN_PIXELS) * IN_GROUPS), RW'(p - fdiv(p, IN_PIXELS) * IN_PIXELS)};
  endfunction

  // Read r's channel offset in its group (lane l of its pixel; its channel with SIMD over taps).
  function automatic integer coff_of(input integer r);
    integer l;
    l = r / TAPS % OUT_G;
    coff_of = TAPWORDS ? l % IFM_C : l;
  endfunction
  // The bank of read r's candidate j: pixel position j / NCR, channel position coff mod CG +
  // (j mod NCR)·CG (g_bank wires each bank to the reads that reach it the same way).
  function automatic integer bank_of(input integer r, input integer j);
    if (OUT_RUN) bank_of = j;
    else bank_of = j / NCR * IN_G + coff_of(r) % CG + j % NCR * CG;
  endfunction

  // Per read: its slot and bank; per read and candidate, the candidate bank's word at the slot
  // (a sliding window with LINEAR: per lane, layer and position its slot and candidates).
  /* verilator lint_off UNUSEDSIGNAL */
  wire [NREADS*AW-1:0] slot_all;
  wire [NREADS*PW-1:0] bank_all;
  wire [NREADS*NCAND*BITS-1:0] cand;
  wire [LPORTS*AW-1:0] laddr;
  wire [LPORTS*NCR*BITS-1:0] lcand;
  /* verilator lint_on UNUSEDSIGNAL */
  // Read r's value: its candidate in its bank.
  function automatic logic [BITS-1:0] read_value(input integer r);
    read_value = '0;
    for (integer j = 0; j < NCAND; j = j + 1) begin
      if (bank_all[r*PW+:PW] == PW'(bank_of(r, j))) read_value = cand[(r*NCAND+j)*BITS+:BITS];
    end
  endfunction

  if (!OUT_RUN) begin : g_grouped
    // The output word's channel group: og, its first channel c0 in the input (the SWU's taps go
    // through c0, then the next tap), and per tap counter s (one per tap of a word with SIMD
    // over taps, else one) the tap's pixel offset ky·IFM_W + kx and element offset.
    reg [WW-1:0] og;
    reg [CW-1:0] c0, c0r;  // c0, and c0 mod G of the input
    reg signed [EW-1:0] c0q;  // c0 / G of the input
    wire signed [EW-1:0] toff_last;  // the last tap counter's (the word's last tap)
    wire [SETS*(EW+RW)-1:0] tdm_all;
    wire group_end = og == WW'(OUT_GROUPS - 1);
    always @(posedge clk) begin
      if (send) begin
        og <= group_end ? '0 : og + WW'(1);
        if (group_end || TAPWORDS || c0 + CW'(OUT_G) == CW'(IFM_C)) begin
          c0 <= '0;
          c0r <= '0;
          c0q <= '0;
        end else begin
          c0 <= c0 + CW'(OUT_G);
          if (c0r + CW'(OUT_G % IN_G) >= CW'(IN_G)) begin
            c0r <= c0r + CW'(OUT_G % IN_G) - CW'(IN_G);
            c0q <= c0q + EW'(OUT_G / IN_G + 1);
          end else begin
            c0r <= c0r + CW'(OUT_G % IN_G);
            c0q <= c0q + EW'(OUT_G / IN_G);
          end
        end
      end
      if (rst) begin
        og <= '0;
        c0 <= '0;
        c0r <= '0;
        c0q <= '0;
      end
    end
    for (genvar s = 0; s < SETS; s = s + 1) begin : g_tap
      // Taps this counter moves per channel group (K² ≥ A: SIMD divides K·K·C).
      localparam integer A = TAPWORDS ? SETS : 1;
      localparam integer T0 = TAPWORDS ? s : 0;
      wire step = TAPWORDS || c0 + CW'(OUT_G) == CW'(IFM_C);
      reg [WW-1:0] kx;
      reg signed [EW-1:0] toff;
      reg [EW+RW-1:0] tdm;  // toff as (word, pixel position)
      if (s == SETS - 1) begin : g_last
        assign toff_last = toff;
      end
      assign tdm_all[s*(EW+RW)+:EW+RW] = tdm;
      always @(posedge clk) begin
        if (send) begin
          if (group_end) begin
            kx <= WW'(T0 % K);
            toff <= EW'(T0 / K * IFM_W + T0 % K);
            tdm <= dm_of(T0 / K * IFM_W + T0 % K);
          end else if (step) begin
            if (kx + WW'(A % K) >= WW'(K)) begin
              kx <= kx + WW'(A % K) - WW'(K);
              toff <= toff + EW'(A / K * IFM_W + A % K + IFM_W - K);
              tdm <= dm_add(tdm[RW+:EW], tdm[RW-1:0], A / K * IFM_W + A % K + IFM_W - K);
            end else begin
              kx <= kx + WW'(A % K);
              toff <= toff + EW'(A / K * IFM_W + A % K);
              tdm <= dm_add(tdm[RW+:EW], tdm[RW-1:0], A / K * IFM_W + A % K);
            end
          end
        end
        if (rst) begin
          kx <= WW'(T0 % K);
          toff <= EW'(T0 / K * IFM_W + T0 % K);
          tdm <= dm_of(T0 / K * IFM_W + T0 % K);
        end
      end
    end

    localparam integer LAST_TAP = KIND == 3 ? pool_tap(K * K - 1) : 0;

    if (LINEAR) begin : g_linear
      // Output pixel 0's (y, x) and origin less XPAD (a padding's border pixel points before
      // its input row); pixel i's is i·S pixels on in the same row, i − 2·PAD in the next.
      localparam integer PS0 = -PO * IFM_W - PO - XPAD;
      reg [YW-1:0] y, x;
      reg signed [EW-1:0] ps;
      reg [EW+RW-1:0] pdm;  // ps as (word, pixel position)
      always @(posedge clk) begin
        if (send && group_end) begin
          if (last_out) begin
            y <= '0;
            x <= '0;
            ps <= EW'(PS0);
            pdm <= dm_of(PS0);
          end else if (x + YW'(DX) >= YW'(OFM_W)) begin
            y <= y + YW'(DY + 1);
            x <= x + YW'(DX) - YW'(OFM_W);
            ps <= ps + EW'((DY + 1) * SX * IFM_W + DX * SX - OFM_W * SX);
            pdm <= dm_add(pdm[RW+:EW], pdm[RW-1:0], (DY + 1) * SX * IFM_W + DX * SX - OFM_W * SX);
          end else begin
            y <= y + YW'(DY);
            x <= x + YW'(DX);
            ps <= ps + EW'(DY * SX * IFM_W + DX * SX);
            pdm <= dm_add(pdm[RW+:EW], pdm[RW-1:0], DY * SX * IFM_W + DX * SX);
          end
        end
        if (rst) begin
          y <= '0;
          x <= '0;
          ps <= EW'(PS0);
          pdm <= dm_of(PS0);
        end
      end
      wire signed [EW-1:0] lc = TAPWORDS ? EW'(IFM_C - 1) : $signed(EW'(c0)) + EW'(OUT_G - 1);
      // Per output pixel: in the next row (XROW), in the frame, and for a padding inner.
      /* verilator lint_off UNUSEDSIGNAL */
      wire valid = y < YW'(OFM_H);  // (the group's first pixel; not a padding's)
      wire [OUT_PIXELS-1:0] crossed, pvalid, inner;
      /* verilator lint_on UNUSEDSIGNAL */
      if (KIND == 1) begin : g_need_pad
        // A padding reads only its inner pixels: each of them decides.
        wire [OUT_PIXELS-1:0] in_ok, lag_ok;
        for (genvar i = 0; i < OUT_PIXELS; i = i + 1) begin : g_pixel
          wire [YW-1:0] yi = crossed[i] ? y + YW'(1) : y;
          wire [YW-1:0] xi = crossed[i] ? x + YW'(i) - YW'(OFM_W) : x + YW'(i);
          if (XROW) begin : g_row
            assign crossed[i] = x + YW'(i) >= YW'(OFM_W);
          end else begin : g_in_row
            assign crossed[i] = 1'b0;
          end
          assign pvalid[i] = yi < YW'(OFM_H);
          assign inner[i] = yi >= YW'(PAD) && yi < YW'(OFM_H - PAD) && xi >= YW'(PAD) &&
                            xi < YW'(OFM_W - PAD);
          wire signed [EW-1:0] lp =
              ps + EW'(XPAD + i) - (crossed[i] ? EW'(XPAD) : '0) + toff_last;
          assign in_ok[i] = !(pvalid[i] && inner[i]) || covered_by(0, lp, lc, '0);
          assign lag_ok[i] = !(pvalid[i] && inner[i]) || covered_by(1, lp, lc, '0);
        end
        assign any_read = |(pvalid & inner);
        assign all_in = &in_ok;
        assign all_lag = &lag_ok;
      end else begin : g_need
        // The last output pixel's last element decides (the input words' order is monotone).
        wire signed [EW-1:0] lp = ps + EW'((OUT_PIXELS - 1) * SX) + toff_last + EW'(LAST_TAP);
        assign crossed = '0;
        assign pvalid = {OUT_PIXELS{valid}};
        assign inner = '1;
        assign any_read = valid;
        assign all_in = !valid || covered_by(0, lp, lc, '0);
        assign all_lag = !valid || covered_by(1, lp, lc, '0);
      end
      assign slot_all = '0;
      assign bank_all = '0;
      assign cand = '0;
      for (genvar l = 0; l < OUT_G; l = l + 1) begin : g_lane
        localparam integer S = TAPWORDS ? l / IFM_C : 0;
        localparam integer COFF = TAPWORDS ? l % IFM_C : l;
        wire [AW-1:0] cq;
        /* verilator lint_off UNUSEDSIGNAL */
        wire [PW-1:0] cr;  // (only with several candidates)
        /* verilator lint_on UNUSEDSIGNAL */
        if (TAPWORDS || OUT_G % IN_G == 0) begin : g_fixed
          assign cq = AW'(c0q) + AW'(COFF / IN_G);
          assign cr = PW'(COFF % IN_G);
        end else begin : g_within
          assign cq = AW'(c0q);
          assign cr = PW'(c0r) + PW'(COFF);
        end
        // The run's start for this lane's tap set (a window's; a pool's first tap).
        wire [EW+RW-1:0] origin = dm_sum(pdm, tdm_all[S*(EW+RW)+:EW+RW]);
        wire [TAPS*OUT_PIXELS*BITS-1:0] tv;  // per pool tap and output pixel: its source
        for (genvar t = 0; t < TAPS; t = t + 1) begin : g_tap
          // This tap's run start b: (its word, its position rb).
          wire [EW+RW-1:0] at = KIND == 3 ? dm_add(origin[RW+:EW], origin[RW-1:0], pool_tap(t))
                                          : origin;
          wire [RW-1:0] rb = at[RW-1:0];
          wire [AW-1:0] base = rd_base + AW'(at[RW+:EW]) + cq;
          wire [NL*IN_PIXELS*BITS-1:0] pv;  // per (layer, position): the lane's channel there
          for (genvar m = 0; m < NL; m = m + 1) begin : g_layer
            for (genvar pos = 0; pos < IN_PIXELS; pos = pos + 1) begin : g_pos
              localparam integer X = ((l * TAPS + t) * NL + m) * IN_PIXELS + pos;
              assign laddr[X*AW+:AW] = base + AW'(m * IN_GROUPS) +
                                       (RW'(pos) < rb ? AW'(IN_GROUPS) : AW'(0));
              wire [NCR*BITS-1:0] c = lcand[X*NCR*BITS+:NCR*BITS];
              if (NCR == 1) begin : g_one
                assign pv[(m*IN_PIXELS+pos)*BITS+:BITS] = c;
              end else begin : g_pick
                wire [PW-1:0] jc = cr / PW'(CG);
                assign pv[(m*IN_PIXELS+pos)*BITS+:BITS] = c[32'(jc)*BITS+:BITS];
              end
            end
          end
          for (genvar i = 0; i < OUT_PIXELS; i = i + 1) begin : g_pixel
            // Pixel i is the run's pixel i·S + XPAD, or i in the next row.
            localparam integer D = i * SX + XPAD;
            localparam integer LM = D / IN_PIXELS, OFF = D % IN_PIXELS;
            wire [RW-1:0] sum = rb + RW'(OFF);
            wire [RW-1:0] pos = sum >= RW'(IN_PIXELS) ? sum - RW'(IN_PIXELS) : sum;
            wire [IN_PIXELS*BITS-1:0] run = pv[LM*IN_PIXELS*BITS+:IN_PIXELS*BITS];
            if (XROW) begin : g_row
              localparam integer LM2 = i / IN_PIXELS, OFF2 = i % IN_PIXELS;
              wire [RW-1:0] sum2 = rb + RW'(OFF2);
              wire [RW-1:0] pos2 = sum2 >= RW'(IN_PIXELS) ? sum2 - RW'(IN_PIXELS) : sum2;
              wire [IN_PIXELS*BITS-1:0] run2 = pv[LM2*IN_PIXELS*BITS+:IN_PIXELS*BITS];
              assign tv[(t*OUT_PIXELS+i)*BITS+:BITS] =
                  crossed[i] ? run2[32'(pos2)*BITS+:BITS] : run[32'(pos)*BITS+:BITS];
            end else begin : g_in_row
              assign tv[(t*OUT_PIXELS+i)*BITS+:BITS] = run[32'(pos)*BITS+:BITS];
            end
          end
        end
        // The lane's channel decides a pool's AND (min) or OR and a padding's border value.
        /* verilator lint_off UNUSEDSIGNAL */
        wire [CW-1:0] ch = c0 + CW'(COFF);
        reg mn;  // (KIND 3)
        reg [BITS-1:0] padv;  // (KIND 1)
        integer c;  // the channel as an index
        /* verilator lint_on UNUSEDSIGNAL */
        always @* begin
          c = 32'(ch);
          mn = KIND == 3 && MIN_CHANNELS[c];
          padv = KIND == 1 ? PAD_VALUES[c*BITS+:BITS] : '0;
        end
        for (genvar i = 0; i < OUT_PIXELS; i = i + 1) begin : g_pixel
          if (KIND == 3) begin : g_pool
            reg [BITS-1:0] v;
            always @* begin
              v = mn ? '1 : '0;
              for (integer t = 0; t < TAPS; t = t + 1) begin
                if (mn) v = v & tv[(t*OUT_PIXELS+i)*BITS+:BITS];
                else v = v | tv[(t*OUT_PIXELS+i)*BITS+:BITS];
              end
            end
            assign word_data[(i*OUT_G+l)*BITS+:BITS] = valid ? v : '0;
          end else if (KIND == 1) begin : g_pad
            assign word_data[(i*OUT_G+l)*BITS+:BITS] =
                !pvalid[i] ? '0 : inner[i] ? tv[i*BITS+:BITS] : padv;
          end else begin : g_window
            assign word_data[(i*OUT_G+l)*BITS+:BITS] = valid ? tv[i*BITS+:BITS] : '0;
          end
        end
      end
    end else begin : g_pixels
      wire [OUT_PIXELS-1:0] in_ok, lag_ok, reads;
      for (genvar i = 0; i < OUT_PIXELS; i = i + 1) begin : g_pixel
        // Output pixel (y, x) of this lane pixel and its source origin: pixel index ps, element
        // index es (both in the frame; a padding's border lanes point outside it).
        localparam integer Y0 = i / OFM_W, X0 = i % OFM_W;
        localparam integer PS0 = (Y0 * SX - PO) * IFM_W + X0 * SX - PO;
        reg [YW-1:0] y, x;
        reg signed [EW-1:0] ps;
        reg [EW+RW-1:0] pdm;  // ps as (word, pixel position)
        always @(posedge clk) begin
          if (send && group_end) begin
            if (last_out) begin
              y <= YW'(Y0);
              x <= YW'(X0);
              ps <= EW'(PS0);
              pdm <= dm_of(PS0);
            end else if (x + YW'(DX) >= YW'(OFM_W)) begin
              y <= y + YW'(DY + 1);
              x <= x + YW'(DX) - YW'(OFM_W);
              ps <= ps + EW'((DY + 1) * SX * IFM_W + DX * SX - OFM_W * SX);
              pdm <= dm_add(pdm[RW+:EW], pdm[RW-1:0], (DY + 1) * SX * IFM_W + DX * SX - OFM_W * SX);
            end else begin
              y <= y + YW'(DY);
              x <= x + YW'(DX);
              ps <= ps + EW'(DY * SX * IFM_W + DX * SX);
              pdm <= dm_add(pdm[RW+:EW], pdm[RW-1:0], DY * SX * IFM_W + DX * SX);
            end
          end
          if (rst) begin
            y <= YW'(Y0);
            x <= YW'(X0);
            ps <= EW'(PS0);
            pdm <= dm_of(PS0);
          end
        end
        wire valid = y < YW'(OFM_H);
        wire inner = KIND != 1 || (y >= YW'(PAD) && y < YW'(OFM_H - PAD) && x >= YW'(PAD) &&
                                   x < YW'(OFM_W - PAD));
        assign reads[i] = valid && inner;
        // The lane pixel's last element read (its last tap, the group's last channel) decides
        // whether all its lanes' inputs are in: the input words' order is monotone in both.
        wire signed [EW-1:0] lp = ps + toff_last + EW'(LAST_TAP);
        wire signed [EW-1:0] lc = TAPWORDS ? EW'(IFM_C - 1) : $signed(EW'(c0)) + EW'(OUT_G - 1);
        wire signed [EW-1:0] le = '0;  // (run input words have no RTL)
        assign in_ok[i] = !reads[i] || covered_by(0, lp,
                                               lc, le);
        assign lag_ok[i] = !reads[i] || covered_by(1, lp,
                                                lc, le);
        for (genvar l = 0; l < OUT_G; l = l + 1) begin : g_lane
          localparam integer S = TAPWORDS ? l / IFM_C : 0;
          localparam integer COFF = TAPWORDS ? l % IFM_C : l;
          wire [CW-1:0] ch = c0 + CW'(COFF);  // the lane's channel (KIND 1, 3)
          // The channel's word in a pixel group and position in the word's channel group.
          wire [AW-1:0] cq;
          wire [PW-1:0] cr;
          if (TAPWORDS || OUT_G % IN_G == 0) begin : g_fixed
            assign cq = AW'(c0q) + AW'(COFF / IN_G);
            assign cr = PW'(COFF % IN_G);
          end else if (IN_G % OUT_G == 0) begin : g_within
            assign cq = AW'(c0q);
            assign cr = PW'(c0r) + PW'(COFF);
          end else begin : g_any
            wire [CW-1:0] sum = c0r + CW'(COFF);
            assign cq = AW'(c0q) + AW'(sum / CW'(IN_G));
            assign cr = PW'(sum % CW'(IN_G));
          end
          wire [EW+RW-1:0] origin = dm_sum(pdm, tdm_all[S*(EW+RW)+:EW+RW]);
          for (genvar t = 0; t < TAPS; t = t + 1) begin : g_read
            localparam integer R = (i * OUT_G + l) * TAPS + t;
            wire [EW+RW-1:0] at = dm_add(origin[RW+:EW], origin[RW-1:0], pool_tap(t));
            assign slot_all[R*AW+:AW] = rd_base + AW'(at[RW+:EW]) + cq;
            assign bank_all[R*PW+:PW] = PW'(at[RW-1:0]) * PW'(IN_G) + cr;
          end
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
                if (MIN_CHANNELS[c]) v = v & read_value((i * OUT_G + l) * TAPS + t);
                else v = v | read_value((i * OUT_G + l) * TAPS + t);
              end
            end else if (KIND == 1 && !inner) begin
              v = PAD_VALUES[c*BITS+:BITS];
            end else begin
              v = read_value(i * OUT_G + l);
            end
            if (!valid) v = '0;
          end
          assign word_data[(i*OUT_G+l)*BITS+:BITS] = v;
        end
      end
      assign all_in = &in_ok;
      assign all_lag = &lag_ok;
      assign any_read = |reads;
      assign laddr = '0;
      assign lcand = '0;
    end
  end else begin : g_run
    // A converter writing runs of OUT_ELEMS consecutive elements from grouped words: element
    // ee of lane 0, and (pl, cl) of the word's last element. Its input word is the latest of
    // the word's but for the previous pixel's channel C − 1 when that is in the word too.
    reg signed [EW-1:0] pl;
    reg [CW-1:0] cl, eec;  // lane 0's channel
    reg [EW+RW-1:0] edm;   // lane 0's pixel as (word, pixel position)
    localparam integer LAST0 = (OUT_ELEMS < ELEMS_OUT ? OUT_ELEMS : ELEMS_OUT) - 1;
    wire next_last = OUT_WORDS >= 2 && out_word == WW'(OUT_WORDS - 2);
    always @(posedge clk) begin
      if (send) begin
        if (last_out) begin
          eec <= '0;
          edm <= '0;
          pl <= EW'(LAST0 / OFM_C);
          cl <= CW'(LAST0 % OFM_C);
        end else begin
          if (eec + CW'(OUT_ELEMS % OFM_C) >= CW'(OFM_C)) begin
            eec <= eec + CW'(OUT_ELEMS % OFM_C) - CW'(OFM_C);
            edm <= dm_add(edm[RW+:EW], edm[RW-1:0], OUT_ELEMS / OFM_C + 1);
          end else begin
            eec <= eec + CW'(OUT_ELEMS % OFM_C);
            edm <= dm_add(edm[RW+:EW], edm[RW-1:0], OUT_ELEMS / OFM_C);
          end
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
        eec <= '0;
        edm <= '0;
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
    assign laddr = '0;
    assign lcand = '0;
    for (genvar k = 0; k < OUT_ELEMS; k = k + 1) begin : g_lane
      // Lane k: element ee + k, pixel and channel from lane 0's by constant steps.
      wire carry = eec + CW'(k % OFM_C) >= CW'(OFM_C);
      wire [CW-1:0] c = carry ? eec + CW'(k % OFM_C) - CW'(OFM_C) : eec + CW'(k % OFM_C);
      wire [EW+RW-1:0] at0 = dm_add(edm[RW+:EW], edm[RW-1:0], k / OFM_C);
      wire [EW+RW-1:0] at = carry ? dm_add(at0[RW+:EW], at0[RW-1:0], 1) : at0;
      wire [CW-1:0] cq = c / CW'(IN_G), cr = c % CW'(IN_G);
      assign slot_all[k*AW+:AW] = rd_base + AW'(at[RW+:EW]) + AW'(cq);
      assign bank_all[k*PW+:PW] = PW'(at[RW-1:0]) * PW'(IN_G) + PW'(cr);
      assign word_data[k*BITS+:BITS] = CW'(k) < lanes ? read_value(k) : {BITS{1'b0}};
    end
  end

  // The input side: lane w of every word goes to bank w, at the word's slot (words are read in
  // order, so slot = words read mod SLOTS), where the reads candidate to it find it.
  for (genvar w = 0; w < IN_ELEMS; w = w + 1) begin : g_bank
    reg [BITS-1:0] mem[0:SLOTS-1];
    always @(posedge clk) begin
      if (take) mem[wr_slot] <= s_axis_tdata[w*BITS+:BITS];
    end
    // The reads that reach this bank (enumerated, not searched: a search over every read takes
    // Yosys minutes on 256 lanes): a converter's every read; else lane l of every pixel and
    // tap whose channel offset is this bank's channel position modulo CG (bank_of).
    if (OUT_RUN) begin : g_all
      for (genvar r = 0; r < NREADS; r = r + 1) begin : g_port
        assign cand[(r*NCAND+w)*BITS+:BITS] = mem[slot_all[r*AW+:AW]];
      end
    end else if (LINEAR) begin : g_linear
      // Per pool tap and layer, lane l of every tap set whose channel offset is this bank's
      // channel position modulo CG, at this bank's pixel position.
      localparam integer POS = w / IN_G, CR0 = w % IN_G % CG, JC = w % IN_G / CG;
      localparam integer LSETS = TAPWORDS ? SETS : 1;
      localparam integer LSPAN = TAPWORDS ? IFM_C : OUT_G;
      for (genvar tl = 0; tl < LSETS; tl = tl + 1) begin : g_set
        for (genvar m2 = 0; CR0 + m2 * CG < LSPAN; m2 = m2 + 1) begin : g_lane
          for (genvar t = 0; t < TAPS; t = t + 1) begin : g_tap
            for (genvar m = 0; m < NL; m = m + 1) begin : g_layer
              localparam integer X =
                  (((tl * LSPAN + CR0 + m2 * CG) * TAPS + t) * NL + m) * IN_PIXELS + POS;
              assign lcand[(X*NCR+JC)*BITS+:BITS] = mem[laddr[X*AW+:AW]];
            end
          end
        end
      end
    end else begin : g_some
      localparam integer CR0 = w % IN_G % CG;
      localparam integer J = w / IN_G * NCR + w % IN_G / CG;
      // Lanes l = base + m·step: with SIMD over taps, channel CR0 + m·CG of each tap tl.
      localparam integer LSETS = TAPWORDS ? SETS : 1;
      localparam integer LSPAN = TAPWORDS ? IFM_C : OUT_G;
      for (genvar tl = 0; tl < LSETS; tl = tl + 1) begin : g_set
        for (genvar m = 0; CR0 + m * CG < LSPAN; m = m + 1) begin : g_lane
          for (genvar i = 0; i < OUT_PIXELS; i = i + 1) begin : g_pixel
            for (genvar t = 0; t < TAPS; t = t + 1) begin : g_tap
              localparam integer R = (i * OUT_G + tl * LSPAN + CR0 + m * CG) * TAPS + t;
              assign cand[(R*NCAND+J)*BITS+:BITS] = mem[slot_all[R*AW+:AW]];
            end
          end
        end
      end
    end
  end
  always @(posedge clk) begin
    if (take) begin
      wr_word <= last_in ? '0 : wr_word + WW'(1);
      wr_slot <= wr_slot + AW'(1);
    end
    if (rst) begin
      wr_word <= '0;
      wr_slot <= '0;
    end
  end

  always @(posedge clk) begin
    if (send) out_data <= word_data;
  end

  always @(posedge clk) begin
    rd_words <= rd_words + (take ? EW'(1) : '0) - (frame_done ? EW'(IN_WORDS) : '0);
    if (send) begin
      out_word <= last_out ? '0 : out_word + WW'(1);
      if (last_out) rd_base <= rd_base + AW'(FRAME_STEP);
    end
    if (adv) out_valid <= send;
    if (rst) begin
      rd_words <= '0;
      rd_base <= '0;
      out_word <= '0;
      out_valid <= 1'b0;
    end
  end

  assign m_axis_tdata = out_data;
  assign m_axis_tvalid = out_valid;
endmodule

`default_nettype wire
