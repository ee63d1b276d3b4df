// Duplicate (a fork, FINN's DuplicateStreams): copies one stream to N consumers, as the residual
// block's fork feeds both its long branch and its bypass. All outputs share m_axis_tdata; each
// has its own valid and ready.
//
// One register stage with a pending bit per output: a word enters when every output has taken
// the word before (or takes it in this cycle), and leaves output k when k is ready. So no valid
// depends on a ready (AXI-stream's rule), one word a cycle when nobody stalls, and a word is
// never lost or sent twice. The fork therefore advances only as fast as its slowest consumer
// takes words, with one word of slack per output: the cycle simulator's DuplicateEngine (a word
// goes to every consumer's FIFO in one step, once all have room) gives the same rate, which is
// what find_reconvergence.h sizes the bypass FIFO for (docs/rtl.md, "Fork and join").
`default_nettype none
`include "bnn_defs.vh"

module bnn_duplicate #(
  parameter NAME = "bnn_duplicate",  // instance path in error messages (bnn_top gives each its own)
  parameter integer WIDTH = 8,       // bits per word
  parameter integer N = 2            // consumers
) (
  input  wire             clk,
  input  wire             rst,
  input  wire [WIDTH-1:0] s_axis_tdata,
  input  wire             s_axis_tvalid,
  output wire             s_axis_tready,
  output wire [WIDTH-1:0] m_axis_tdata,   // the same word on every output
  output wire [N-1:0]     m_axis_tvalid,
  input  wire [N-1:0]     m_axis_tready
);
  if (WIDTH < 1 || N < 1) begin : g_illegal
    `BNN_PARAM_ERROR(("%s: WIDTH (%0d) and N (%0d) must be >= 1", NAME, WIDTH, N))
  end

  reg [WIDTH-1:0] out_data;
  reg [N-1:0] pending;  // outputs that have not taken out_data yet
  wire adv = &(~pending | m_axis_tready);
  assign s_axis_tready = adv;
  wire take = adv && s_axis_tvalid;

  always @(posedge clk) begin
    if (take) out_data <= s_axis_tdata;
  end

  always @(posedge clk) begin
    if (adv) pending <= {N{take}};
    else pending <= pending & ~m_axis_tready;
    if (rst) pending <= '0;
  end

  assign m_axis_tdata = out_data;
  assign m_axis_tvalid = pending;
endmodule

`default_nettype wire
