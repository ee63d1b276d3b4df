// A FIFO between two blocks: DEPTH words of WIDTH bits, first-word fall-through (the oldest word
// is on m_axis_tdata while m_axis_tvalid is high).
//
// s_axis_tready and m_axis_tvalid are registers, so no combinational path runs through a FIFO:
// every FIFO cuts the ready chain of the stream, and each block sees only its own two FIFOs.
// A word written in cycle t can be read in cycle t + 1. Because the ready is registered, a full
// FIFO refuses a word in the cycle its head is read; two words are therefore the least depth
// that sustains one word a cycle.
`default_nettype none
`include "bnn_defs.vh"

module bnn_fifo #(
  parameter NAME = "bnn_fifo",  // instance path in error messages (bnn_top gives each its own)
  parameter integer WIDTH = 8,  // bits per word
  parameter integer DEPTH = 2   // words, at least 2
) (
  input  wire             clk,
  input  wire             rst,  // synchronous, active high: empties the FIFO
  input  wire [WIDTH-1:0] s_axis_tdata,
  input  wire             s_axis_tvalid,
  output wire             s_axis_tready,
  output wire [WIDTH-1:0] m_axis_tdata,
  output wire             m_axis_tvalid,
  input  wire             m_axis_tready
);
  if (WIDTH < 1 || DEPTH < 2) begin : g_illegal
    `BNN_PARAM_ERROR(("%s: WIDTH (%0d) must be >= 1 and DEPTH (%0d) >= 2", NAME, WIDTH, DEPTH))
  end

  localparam integer AW = DEPTH > 2 ? $clog2(DEPTH) : 1;
  localparam integer CW = $clog2(DEPTH + 1);
  localparam [AW-1:0] LAST = AW'(DEPTH - 1);

  reg [WIDTH-1:0] mem[0:DEPTH-1];
  reg [AW-1:0] wr_ptr, rd_ptr;
  reg [CW-1:0] count;
  reg full, empty;

  wire push = s_axis_tvalid && !full;
  wire pop = m_axis_tready && !empty;
  wire [CW-1:0] count_next = count + CW'(push) - CW'(pop);

  assign s_axis_tready = !full;
  assign m_axis_tvalid = !empty;
  assign m_axis_tdata = mem[rd_ptr];

  always @(posedge clk) begin
    if (push) mem[wr_ptr] <= s_axis_tdata;
  end

  always @(posedge clk) begin
    if (push) wr_ptr <= wr_ptr == LAST ? {AW{1'b0}} : wr_ptr + 1'b1;
    if (pop) rd_ptr <= rd_ptr == LAST ? {AW{1'b0}} : rd_ptr + 1'b1;
    count <= count_next;
    full <= count_next == CW'(DEPTH);
    empty <= count_next == {CW{1'b0}};
    if (rst) begin
      wr_ptr <= {AW{1'b0}};
      rd_ptr <= {AW{1'b0}};
      count <= {CW{1'b0}};
      full <= 1'b0;
      empty <= 1'b1;
    end
  end
endmodule

`default_nettype wire
