// One lane's threshold compare, the same in bnn_thresholding and every MVTU: FIRES = X ≥ T for
// an integer X of X_BITS bits (two's complement when X_SIGNED) and a threshold T of T_BITS bits
// (two's complement); the caller XORs the lane's negate bit. Both sides are widened to one
// signed width that holds either, so the compare is exact whatever the two widths.
`default_nettype none

module bnn_threshold_compare #(
  parameter integer X_BITS = 8,
  parameter integer X_SIGNED = 0,
  parameter integer T_BITS = 10
) (
  input  wire [X_BITS-1:0] x,
  input  wire [T_BITS-1:0] t,
  output wire              fires
);
  localparam integer XW = X_SIGNED != 0 ? X_BITS : X_BITS + 1;
  localparam integer W = XW > T_BITS ? XW : T_BITS;
  wire signed [W-1:0] xw = X_SIGNED != 0 ? W'($signed(x)) : W'(x);
  wire signed [W-1:0] tw = W'($signed(t));
  assign fires = xw >= tw;
endmodule

`default_nettype wire
