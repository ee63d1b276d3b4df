// Shared macros of the bnnc RTL blocks (no modules here).
//
// BNN_PARAM_ERROR((fmt, args...)) stops elaboration with a message; it is used inside a
// generate-if on an illegal parameter combination. Verilator and Yosys run $error at
// elaboration time there; Icarus Verilog 11 does not know elaboration-time tasks, so under
// Icarus the same check fails at time 0 of the simulation instead.
`ifndef BNN_DEFS_VH
`define BNN_DEFS_VH
`ifdef __ICARUS__
`define BNN_PARAM_ERROR(args) initial begin $display args ; $fatal(1); end
`else
`define BNN_PARAM_ERROR(args) $error args ;
`endif
`endif
