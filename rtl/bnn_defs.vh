// Shared macros of the bnnc RTL blocks (no modules here).
//
// BNN_PARAM_ERROR((fmt, args...)) stops elaboration with a message; it is used inside a
// generate-if on an illegal parameter combination. Verilator and Yosys run $error at
// elaboration time there; Icarus Verilog 11 does not know elaboration-time tasks, so under
// Icarus the same check fails at time 0 of the simulation instead.
//
// Every message starts with the block's NAME parameter, the instance path bnn_top gives it: at
// elaboration Verilator 5.006 rejects %m ("can't convert a SCOPENAME to constant") and Yosys 0.23
// prints it as is. bnnc synth defines BNN_NO_INSTANCE_NAMES, and the names are then left out
// (src/rtl/emit_rtl.cpp says why). The format goes through $sformatf because Yosys's $error prints only a
// constant first argument (without it Yosys showed the bare format, "%0d" and all).
`ifndef BNN_DEFS_VH
`define BNN_DEFS_VH
`ifdef __ICARUS__
`define BNN_PARAM_ERROR(args) initial begin $display args ; $fatal(1); end
`else
`define BNN_PARAM_ERROR(args) $error($sformatf args) ;
`endif
`endif
