// The input quantizer: every input element (an unsigned IN_BITS pixel) becomes table[pixel], an
// OUT_BITS raw fixed-point value (CNV's first layer: pixel/255·2 − 1 rounded to fixed<8,7>; a
// table keeps any such rounding exact). TABLE_FILE holds 2^IN_BITS words of OUT_BITS bits. ELEMS
// elements a word, one word a cycle.
`default_nettype none
`include "bnn_defs.vh"

module bnn_quantize #(
  parameter NAME = "bnn_quantize",  // instance path in error messages (bnn_top gives each its own)
  parameter integer ELEMS = 3,     // elements per word
  parameter integer IN_BITS = 8,   // bits per input element
  parameter integer OUT_BITS = 8,  // bits per output element
  parameter         TABLE_FILE = ""  // 2^IN_BITS words of OUT_BITS bits
) (
  input  wire                     clk,
  input  wire                     rst,
  input  wire [ELEMS*IN_BITS-1:0] s_axis_tdata,
  input  wire                     s_axis_tvalid,
  output wire                     s_axis_tready,
  output wire [ELEMS*OUT_BITS-1:0] m_axis_tdata,
  output wire                     m_axis_tvalid,
  input  wire                     m_axis_tready
);
  if (ELEMS < 1 || IN_BITS < 1 || IN_BITS > 16 || OUT_BITS < 1) begin : g_illegal
    `BNN_PARAM_ERROR(("%s: ELEMS %0d, IN_BITS %0d (1..16), OUT_BITS %0d", NAME, ELEMS,
                      IN_BITS, OUT_BITS))
  end

  reg [OUT_BITS-1:0] table_rom[0:(1<<IN_BITS)-1];
  initial begin
    if (TABLE_FILE != "") $readmemh(TABLE_FILE, table_rom);
  end

  reg [ELEMS*OUT_BITS-1:0] out_data;
  reg out_valid;
  wire adv = !out_valid || m_axis_tready;
  assign s_axis_tready = adv;
  wire take = adv && s_axis_tvalid;
  wire [ELEMS*OUT_BITS-1:0] values;
  for (genvar e = 0; e < ELEMS; e = e + 1) begin : g_element
    assign values[e*OUT_BITS+:OUT_BITS] = table_rom[s_axis_tdata[e*IN_BITS+:IN_BITS]];
  end

  always @(posedge clk) begin
    if (take) out_data <= values;
  end

  always @(posedge clk) begin
    if (adv) out_valid <= take;
    if (rst) out_valid <= 1'b0;
  end

  assign m_axis_tdata = out_data;
  assign m_axis_tvalid = out_valid;
endmodule

`default_nettype wire
