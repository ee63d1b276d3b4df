// A stream width converter: words of IN_ELEMS elements in, words of OUT_ELEMS out, the element
// stream unchanged.
//
// A stream is a sequence of vectors; a producer sends each vector of IN_VEC elements as
// ⌈IN_VEC/IN_ELEMS⌉ words, the last one partial (its unused lanes 0) when IN_ELEMS does not divide
// IN_VEC — an MVTU with padded rows does that. The consumer's vectors have OUT_VEC elements, sent
// the same way (e.g. 10 class scores from 4-lane words, 4 + 4 + 2, into 2-lane words). In between,
// a buffer holds up to IN_ELEMS + OUT_ELEMS elements, as the cycle simulator's DwcEngine. It moves
// chunks of G = gcd(IN_ELEMS, OUT_ELEMS, IN_VEC, OUT_VEC) elements — every word is a whole number
// of chunks, so the shifters only have the chunk positions to choose from. Each cycle it may send
// one word (when the buffer holds it) and take one (when the buffer has room for it).
`default_nettype none
`include "bnn_defs.vh"

module bnn_dwc #(
  parameter integer IN_ELEMS = 2,   // elements per input word
  parameter integer OUT_ELEMS = 4,  // elements per output word
  parameter integer BITS = 1,       // bits per element
  parameter integer IN_VEC = 4,     // elements per producer vector
  parameter integer OUT_VEC = 4     // elements per consumer vector
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

  localparam integer G = gcd(gcd(IN_ELEMS, OUT_ELEMS), gcd(IN_VEC, OUT_VEC));
  localparam integer CB = G * BITS;  // bits per chunk
  localparam integer IN_C = IN_ELEMS / G;
  localparam integer OUT_C = OUT_ELEMS / G;
  localparam integer IN_VEC_C = IN_VEC / G;
  localparam integer OUT_VEC_C = OUT_VEC / G;
  localparam integer CAP = IN_C + OUT_C;  // buffer, in chunks
  localparam integer KW = $clog2(CAP + 1);
  localparam integer IPW = $clog2(IN_VEC_C + 1);
  localparam integer OPW = $clog2(OUT_VEC_C + 1);

  if (IN_ELEMS < 1 || OUT_ELEMS < 1 || BITS < 1 || IN_VEC < 1 || OUT_VEC < 1) begin : g_illegal
    `BNN_PARAM_ERROR(("bnn_dwc: IN_ELEMS %0d, OUT_ELEMS %0d, BITS %0d, IN_VEC %0d, OUT_VEC %0d must be >= 1",
                      IN_ELEMS, OUT_ELEMS, BITS, IN_VEC, OUT_VEC))
  end

  reg [CAP*CB-1:0] buffer;
  reg [KW-1:0] count;    // chunks in the buffer
  reg [IPW-1:0] in_pos;  // chunks taken of the current producer vector
  reg [OPW-1:0] out_pos; // chunks sent of the current consumer vector
  reg [OUT_ELEMS*BITS-1:0] out_data;
  reg out_valid;

  // Chunks in the next input word / due in the next output word.
  wire [KW-1:0] n_in = 32'(in_pos) + IN_C > IN_VEC_C ? KW'(IN_VEC_C - 32'(in_pos)) : KW'(IN_C);
  wire [KW-1:0] n_out = 32'(out_pos) + OUT_C > OUT_VEC_C ? KW'(OUT_VEC_C - 32'(out_pos)) : KW'(OUT_C);

  assign s_axis_tready = 32'(count) + 32'(n_in) <= CAP;
  wire take = s_axis_tvalid && s_axis_tready;
  wire adv = !out_valid || m_axis_tready;
  wire send = adv && count >= n_out;

  // The buffer after sending (shifted down by the chunks sent), then after taking (the new
  // chunks placed right above the ones kept; everything above them 0).
  wire [CAP*CB-1:0] kept = send ? buffer >> (32'(n_out) * CB) : buffer;
  wire [KW-1:0] count_kept = send ? count - n_out : count;
  reg [CAP*CB-1:0] buffer_next;
  always @* begin
    for (int j = 0; j < CAP; j = j + 1) begin
      if (j < 32'(count_kept)) begin
        buffer_next[j*CB+:CB] = kept[j*CB+:CB];
      end else if (take && j - 32'(count_kept) < 32'(n_in)) begin
        buffer_next[j*CB+:CB] = s_axis_tdata[(j-32'(count_kept))*CB+:CB];
      end else begin
        buffer_next[j*CB+:CB] = {CB{1'b0}};
      end
    end
  end

  reg [OUT_ELEMS*BITS-1:0] word_out;
  always @* begin
    for (int j = 0; j < OUT_C; j = j + 1) begin
      word_out[j*CB+:CB] = j < 32'(n_out) ? buffer[j*CB+:CB] : {CB{1'b0}};
    end
  end

  always @(posedge clk) begin
    buffer <= buffer_next;
    if (send) out_data <= word_out;
  end

  always @(posedge clk) begin
    count <= count_kept + (take ? n_in : {KW{1'b0}});
    if (take) in_pos <= 32'(in_pos) + 32'(n_in) == IN_VEC_C ? '0 : in_pos + IPW'(n_in);
    if (send) out_pos <= 32'(out_pos) + 32'(n_out) == OUT_VEC_C ? '0 : out_pos + OPW'(n_out);
    if (adv) out_valid <= send;
    if (rst) begin
      count <= '0;
      in_pos <= '0;
      out_pos <= '0;
      out_valid <= 1'b0;
    end
  end

  assign m_axis_tdata = out_data;
  assign m_axis_tvalid = out_valid;
endmodule

`default_nettype wire
