// AddStreams (a join, FINN's AddStreams): the element-wise sum of two integer streams, the
// residual add of two branches' pre-activations. LANES elements a word on both inputs and the
// output; input 0 has IN0_BITS-bit elements, input 1 IN1_BITS-bit ones (each two's complement
// when its *_SIGNED is 1), the output OUT_BITS-bit two's complement, wide enough for every sum
// (the IR's type of the add). One word a cycle: a word is taken from both inputs at once, so
// either input waits for the other; the cycle simulator's AddStreamsEngine does the same.
//
// Input 1's value v1 is its element read as an integer, or, with IN1_BIPOLAR (a bit), 2b − 1:
// ±1. Without a table (TABLE = 0) the sum is in0 + v1. With TABLE = 1 (AddAttrs' per-channel
// lookup table, ir/op.h: thresholds selected by a residual block's shortcut value) it is
// in0 + offsets[c·SPAN + (v1 − IN1_MIN)], c the element's channel. A word carries LANES / GROUP
// pixels side by side, each with the same GROUP consecutive channels (docs/pixel-parallel.md;
// GROUP = LANES: one pixel's channels a word or several words): lane l of word w carries channel
// (w mod CH/GROUP)·GROUP + l mod GROUP (GROUP divides CH and LANES). Each lane reads its offsets
// from a ROM of its own (bnn_rom, LATENCY 2), that of its slot k = l mod GROUP: the file
// TABLE_FILE_kkkk.mem (k in four decimal digits) holds CH/GROUP·SPAN words of OFF_BITS bits, word
// g·SPAN + i = offsets[(g·GROUP + k)·SPAN + i], two's complement. TABLE_STYLE places the ROMs
// (bnn_rom's STYLE: "block", "logic" or the tool's choice), so a large table can live in block
// RAM. The read takes two cycles: a word taken waits in two stages (input 0's lanes beside the
// ROMs' registers) and the sum is registered in the third; the stages move together, held while
// the output waits, so a word a cycle still flows. A join with a table answers two cycles later
// than the cycle simulator counts (docs/residual.md). `base` = g·SPAN follows the words as
// bnn_thresholding's `group` does.
`default_nettype none
`include "bnn_defs.vh"

module bnn_add_streams #(
  parameter NAME = "bnn_add_streams",  // instance path in error messages (bnn_top gives each its own)
  parameter integer LANES = 2,         // elements per word
  parameter integer IN0_BITS = 8,      // bits per element of input 0
  parameter integer IN0_SIGNED = 0,    // 1: input 0's elements are two's complement
  parameter integer IN1_BITS = 8,      // bits per element of input 1
  parameter integer IN1_SIGNED = 0,    // 1: input 1's elements are two's complement
  parameter integer IN1_BIPOLAR = 0,   // 1: input 1 is bits, each adding 2b − 1 (±1)
  parameter integer OUT_BITS = 10,     // bits per output element (two's complement)
  parameter integer TABLE = 0,         // 1: input 1 selects a per-channel offset (TABLE_FILE)
  parameter integer CH = 2,            // TABLE: channels of a pixel (GROUP divides it)
  parameter integer GROUP = LANES,     // TABLE: channels of one pixel in a word (divides LANES)
  parameter integer SPAN = 1,          // TABLE: entries per channel
  parameter integer IN1_MIN = 0,       // TABLE: the v1 of entry 0
  parameter integer OFF_BITS = 8,      // TABLE: bits per offset (two's complement)
  parameter         TABLE_FILE = "",   // TABLE: the files' stem (TABLE_FILE_kkkk.mem, above)
  parameter         TABLE_STYLE = ""   // TABLE: where the lanes' ROMs go (bnn_rom's STYLE)
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
  localparam integer GROUPS = CH / GROUP;
  localparam integer DEPTH = GROUPS * SPAN;
  localparam integer AW = DEPTH > 1 ? $clog2(DEPTH) : 1;
  localparam integer TERM_BITS = TABLE != 0 ? OFF_BITS : (IN1_BIPOLAR != 0 ? 2 : IN1_BITS);

  if (LANES < 1 || IN0_BITS < 1 || IN1_BITS < 1 || OUT_BITS < IN0_BITS || OUT_BITS < TERM_BITS ||
      (IN1_BIPOLAR != 0 && IN1_BITS != 1))
  begin : g_illegal
    `BNN_PARAM_ERROR(("%s: LANES %0d >= 1, OUT_BITS %0d must hold IN0_BITS %0d and input 1's term (%0d bits); IN1_BIPOLAR %0d needs IN1_BITS 1",
                      NAME, LANES, OUT_BITS, IN0_BITS, TERM_BITS, IN1_BIPOLAR))
  end
  if (TABLE != 0 && (GROUP < 1 || CH % GROUP != 0 || LANES % GROUP != 0 || SPAN < 1 ||
                     OFF_BITS < 1))
  begin : g_illegal_table
    `BNN_PARAM_ERROR(("%s: GROUP %0d must divide CH %0d and LANES %0d, SPAN %0d and OFF_BITS %0d >= 1",
                      NAME, GROUP, CH, LANES, SPAN, OFF_BITS))
  end

  // v1: the term itself without a table; with one, wide enough for v1 − IN1_MIN of any input.
  localparam integer VW = TABLE == 0 ? OUT_BITS : (IN1_BITS > 32 ? IN1_BITS : 32) + 2;

  reg [LANES*OUT_BITS-1:0] out_data;
  reg out_valid;
  wire adv = !out_valid || m_axis_tready;  // every stage moves
  wire take = adv && s_axis_tvalid && s1_axis_tvalid;
  assign s_axis_tready = adv && s1_axis_tvalid;
  assign s1_axis_tready = adv && s_axis_tvalid;
  // A word for the output register: the one taken, or with a table the one in the second stage.
  wire ready_word;
  if (TABLE != 0) begin : g_stages
    reg [1:0] stage_valid;
    always @(posedge clk) begin
      if (adv) stage_valid <= {stage_valid[0], take};
      if (rst) stage_valid <= '0;
    end
    assign ready_word = stage_valid[1];
  end else begin : g_no_stages
    assign ready_word = take;
  end

  // g·SPAN of the word being taken (the table's rows of its channel group).
  reg [AW-1:0] base;
  always @(posedge clk) begin
    if (take) base <= 32'(base) == (GROUPS - 1) * SPAN ? '0 : base + AW'(SPAN);
    if (rst) base <= '0;
  end

  wire [LANES*OUT_BITS-1:0] sums;
  for (genvar l = 0; l < LANES; l = l + 1) begin : g_lane
    wire [IN0_BITS-1:0] x0 = s_axis_tdata[l*IN0_BITS+:IN0_BITS];
    wire [IN1_BITS-1:0] x1 = s1_axis_tdata[l*IN1_BITS+:IN1_BITS];
    wire [VW-1:0] v1 = IN1_BIPOLAR != 0 ? (x1[0] ? VW'(1) : {VW{1'b1}})
                     : IN1_SIGNED != 0 ? VW'($signed(x1)) : VW'(x1);
    wire [OUT_BITS-1:0] a, b;
    if (TABLE != 0) begin : g_table
      // Input 0 waits beside the ROM's two registers.
      reg [IN0_BITS-1:0] x0_1, x0_2;
      always @(posedge clk) begin
        if (adv) begin
          x0_1 <= x0;
          x0_2 <= x0_1;
        end
      end
      assign a = IN0_SIGNED != 0 ? OUT_BITS'($signed(x0_2)) : OUT_BITS'(x0_2);
      // The lane's ROM holds its slot's offsets: TABLE_FILE_kkkk.mem, k = l mod GROUP.
      localparam integer K = l % GROUP;
      wire [OFF_BITS-1:0] offset;
      wire [AW-1:0] addr = base + AW'(v1 - VW'(IN1_MIN));
      bnn_rom #(
        .NAME({NAME, ".table"}),
        .WIDTH(OFF_BITS),
        .DEPTH(DEPTH),
        .LATENCY(2),
        .INIT_FILE(TABLE_FILE == "" ? "" : {TABLE_FILE, "_", 8'd48 + 8'(K / 1000 % 10),
                                            8'd48 + 8'(K / 100 % 10), 8'd48 + 8'(K / 10 % 10),
                                            8'd48 + 8'(K % 10), ".mem"}),
        .STYLE(TABLE_STYLE)
      ) u_table (
        .clk(clk),
        .en(adv),
        .addr(addr),
        .data(offset)
      );
      assign b = OUT_BITS'($signed(offset));
    end else begin : g_value
      assign a = IN0_SIGNED != 0 ? OUT_BITS'($signed(x0)) : OUT_BITS'(x0);
      assign b = OUT_BITS'(v1);
    end
    assign sums[l*OUT_BITS+:OUT_BITS] = a + b;
  end

  always @(posedge clk) begin
    if (adv && ready_word) out_data <= sums;
  end

  always @(posedge clk) begin
    if (adv) out_valid <= ready_word;
    if (rst) out_valid <= 1'b0;
  end

  assign m_axis_tdata = out_data;
  assign m_axis_tvalid = out_valid;
endmodule

`default_nettype wire
