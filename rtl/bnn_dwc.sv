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
// one word (when the buffer holds it) and take one (when the buffer has room for it once the word
// sent this cycle has left: s_axis_tready follows m_axis_tready, as in the blocks that take while
// they send).
`default_nettype none
`include "bnn_defs.vh"

module bnn_dwc #(
  parameter NAME = "bnn_dwc",  // instance path in error messages (bnn_top gives each its own)
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
  // Words per vector and the chunks of each vector's last word.
  localparam integer IN_WORDS = (IN_VEC_C + IN_C - 1) / IN_C;
  localparam integer OUT_WORDS = (OUT_VEC_C + OUT_C - 1) / OUT_C;
  localparam integer IN_LAST = IN_VEC_C - (IN_WORDS - 1) * IN_C;
  localparam integer OUT_LAST = OUT_VEC_C - (OUT_WORDS - 1) * OUT_C;
  localparam integer IWW = IN_WORDS > 1 ? $clog2(IN_WORDS) : 1;
  localparam integer OWW = OUT_WORDS > 1 ? $clog2(OUT_WORDS) : 1;

  if (IN_ELEMS < 1 || OUT_ELEMS < 1 || BITS < 1 || IN_VEC < 1 || OUT_VEC < 1) begin : g_illegal
    `BNN_PARAM_ERROR(("%s: IN_ELEMS %0d, OUT_ELEMS %0d, BITS %0d, IN_VEC %0d, OUT_VEC %0d must be >= 1", NAME,
                      IN_ELEMS, OUT_ELEMS, BITS, IN_VEC, OUT_VEC))
  end

  if (IN_VEC == OUT_VEC && IN_VEC <= IN_ELEMS && OUT_VEC <= OUT_ELEMS) begin : g_whole
    // A vector fits one word on both sides (10 class scores from a 16-lane word into a 10-lane
    // one): each input word becomes one output word, its first IN_VEC lanes moved as they are.
    localparam integer VW = IN_VEC * BITS;
    reg [OUT_ELEMS*BITS-1:0] out_data;
    reg out_valid;
    wire adv = !out_valid || m_axis_tready;
    assign s_axis_tready = adv;
    // Lanes past the vector are 0 by the stream convention and not read.
    /* verilator lint_off UNUSEDSIGNAL */
    wire [IN_ELEMS*BITS-1:0] word = s_axis_tdata;
    /* verilator lint_on UNUSEDSIGNAL */
    always @(posedge clk) begin
      if (adv && s_axis_tvalid) out_data <= (OUT_ELEMS * BITS)'(word[VW-1:0]);
    end
    always @(posedge clk) begin
      if (adv) out_valid <= s_axis_tvalid;
      if (rst) out_valid <= 1'b0;
    end
    assign m_axis_tdata = out_data;
    assign m_axis_tvalid = out_valid;
  end else begin : g_general
    reg [CAP*CB-1:0] buffer;
    reg [KW-1:0] count;      // chunks in the buffer
    reg [IWW-1:0] in_word;   // word of the current producer vector
    reg [OWW-1:0] out_word;  // word of the current consumer vector
    reg [OUT_ELEMS*BITS-1:0] out_data;
    reg out_valid;

    // Chunks in the next input word / due in the next output word.
    wire in_last = 32'(in_word) == IN_WORDS - 1;
    wire out_last = 32'(out_word) == OUT_WORDS - 1;
    wire [KW-1:0] n_in = in_last ? KW'(IN_LAST) : KW'(IN_C);
    wire [KW-1:0] n_out = out_last ? KW'(OUT_LAST) : KW'(OUT_C);

    wire adv = !out_valid || m_axis_tready;
    wire send = adv && count >= n_out;

    // The buffer after sending (shifted down by the chunks sent), then after taking (the new
    // chunks placed right above the ones kept; everything above them 0). Every shift is by a
    // constant, chosen by a multiplexer: no variable shifter.
    wire [CAP*CB-1:0] kept = !send ? buffer : out_last ? buffer >> (OUT_LAST * CB)
                                                       : buffer >> (OUT_C * CB);
    wire [KW-1:0] count_kept = send ? count - n_out : count;
    // Room is counted after this cycle's send, as the cycle simulator's DwcEngine does: counted
    // before it, a converter whose widths do not divide (48 → 66) skips a read on most sends and
    // falls behind a producer that writes every cycle (AlexNet/8's input: 5,131 cycles a frame
    // for 3,136 words).
    assign s_axis_tready = {1'b0, count_kept} + {1'b0, n_in} <= (KW + 1)'(CAP);
    wire take = s_axis_tvalid && s_axis_tready;
    reg [CAP*CB-1:0] buffer_next;
    always @* begin
      for (int j = 0; j < CAP; j = j + 1) begin
        buffer_next[j*CB+:CB] = j < 32'(count_kept) ? kept[j*CB+:CB] : {CB{1'b0}};
      end
      // Input chunk k lands in chunk count_kept + k: one case per possible count.
      for (int c = 0; c < CAP; c = c + 1) begin
        for (int k = 0; k < IN_C; k = k + 1) begin
          if (c + k < CAP) begin
            if (take && 32'(count_kept) == c && k < 32'(n_in)) begin
              buffer_next[(c+k)*CB+:CB] = s_axis_tdata[k*CB+:CB];
            end
          end
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
      if (take) in_word <= in_last ? '0 : in_word + 1'b1;
      if (send) out_word <= out_last ? '0 : out_word + 1'b1;
      if (adv) out_valid <= send;
      if (rst) begin
        count <= '0;
        in_word <= '0;
        out_word <= '0;
        out_valid <= 1'b0;
      end
    end

    assign m_axis_tdata = out_data;
    assign m_axis_tvalid = out_valid;
  end
endmodule

`default_nettype wire
