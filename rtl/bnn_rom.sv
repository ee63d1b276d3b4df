// A read-only memory of DEPTH words × WIDTH bits, its contents read from INIT_FILE ($readmemh:
// one hexadecimal word per line, address 0 first), with a synchronous read of LATENCY cycles.
//
// LATENCY 1 registers the word read (what a block RAM does by itself); LATENCY 2 adds the RAM's
// optional output register, so the logic after the memory starts at a flip-flop rather than at
// the RAM's slow clock-to-out: Yosys maps both registers into a RAMB18/36 (DOB_REG). `en` holds
// both registers (a stalled pipeline keeps its word).
//
// STYLE is where the memory goes, when the compiler placed it for a part (its cost model,
// fold/device.h; the report's `weights_in`): "block" (block RAM) or "logic" (LUTs), written as the
// memory's `ram_style` attribute (Yosys's memory_libmap honours both); "" leaves the choice to
// the synthesis tool. Not offered: "distributed" (Yosys 0.23 has no LUTRAM mapping for a memory
// without a write port: "no valid mapping found") and "ultra" (UltraRAM has no initial contents).
`default_nettype none
`include "bnn_defs.vh"

module bnn_rom #(
  parameter NAME = "bnn_rom",  // instance path in error messages (bnn_top gives each its own)
  parameter integer WIDTH = 8,     // bits per word
  parameter integer DEPTH = 16,    // words
  parameter integer LATENCY = 2,   // cycles from addr to data: 1 or 2
  parameter         INIT_FILE = "", // $readmemh file; "" leaves the memory undefined
  parameter         STYLE = ""     // "", "block" or "logic" (above)
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
  // STYLE is compared as a string of its own length with strings of theirs (zero-extended).
  /* verilator lint_off WIDTH */
  if (STYLE != "" && STYLE != "block" && STYLE != "logic") begin : g_illegal_style
    `BNN_PARAM_ERROR(("%s: STYLE \"%s\" is neither block nor logic", NAME, STYLE))
  end

  // The memory and its read register, once per style: an attribute's value must be a constant.
`define BNN_ROM_MEMORY(attribute) \
    attribute reg [WIDTH-1:0] mem[0:DEPTH-1]; \
    initial begin \
      if (INIT_FILE != "") $readmemh(INIT_FILE, mem); \
    end \
    always @(posedge clk) begin \
      if (en) q1 <= mem[addr]; \
    end

  reg [WIDTH-1:0] q1;
  if (STYLE == "block") begin : g_block
    `BNN_ROM_MEMORY((* ram_style = "block" *))
  end else if (STYLE == "logic") begin : g_logic
    `BNN_ROM_MEMORY((* ram_style = "logic" *))
  end else begin : g_any
    `BNN_ROM_MEMORY()
  end
`undef BNN_ROM_MEMORY
  /* verilator lint_on WIDTH */

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
