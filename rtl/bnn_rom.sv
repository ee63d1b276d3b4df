// A read-only memory of DEPTH words × WIDTH bits, its contents read from INIT_FILE ($readmemh:
// one hexadecimal word per line, address 0 first), with a synchronous read of LATENCY cycles.
//
// LATENCY 1 registers the word read (what a block RAM does by itself); LATENCY 2 adds the RAM's
// optional output register, so the logic after the memory starts at a flip-flop rather than at
// the RAM's slow clock-to-out: Yosys maps both registers into a RAMB18/36 (DOB_REG). `en` holds
// both registers (a stalled pipeline keeps its word).
`default_nettype none
`include "bnn_defs.vh"

module bnn_rom #(
  parameter NAME = "bnn_rom",  // instance path in error messages (bnn_top gives each its own)
  parameter integer WIDTH = 8,     // bits per word
  parameter integer DEPTH = 16,    // words
  parameter integer LATENCY = 2,   // cycles from addr to data: 1 or 2
  parameter         INIT_FILE = "" // $readmemh file; "" leaves the memory undefined
) (
  input  wire                           clk,
  input  wire                           en,
  input  wire [(DEPTH > 1 ? $clog2(DEPTH) : 1)-1:0] addr,
  output wire [WIDTH-1:0]               data
);
  if (WIDTH < 1 || DEPTH < 1 || (LATENCY != 1 && LATENCY != 2)) begin : g_illegal
    `BNN_PARAM_ERROR(("%s: WIDTH %0d, DEPTH %0d must be >= 1 and LATENCY %0d 1 or 2", NAME, WIDTH,
                      DEPTH, LATENCY))
  end

  reg [WIDTH-1:0] mem[0:DEPTH-1];
  initial begin
    if (INIT_FILE != "") $readmemh(INIT_FILE, mem);
  end

  reg [WIDTH-1:0] q1;
  always @(posedge clk) begin
    if (en) q1 <= mem[addr];
  end

  if (LATENCY == 2) begin : g_output_register
    reg [WIDTH-1:0] q2;
    always @(posedge clk) begin
      if (en) q2 <= q1;
    end
    assign data = q2;
  end else begin : g_no_output_register
    assign data = q1;
  end
endmodule

`default_nettype wire
