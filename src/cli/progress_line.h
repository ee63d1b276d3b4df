// A single updating status line on stderr for long runs ("eval 4200/10000 images, 97.9% so
// far"). It never touches stdout, so --json output stays one object.
//
// On a terminal the line is redrawn in place (carriage return) at most ten times a second and
// erased by finish(). Elsewhere (a log file, a CI job) it appears only once the run has lasted
// two seconds, is redrawn at most once a second, and finish() ends it with a newline, so short
// runs and tests print nothing.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace bnnc::cli {

class ProgressLine {
 public:
  ProgressLine();

  // True when show() would draw now: cheap, so callers build the text only when it is due.
  bool due() const;
  void show(const std::string& text);
  // Erases the line (terminal) or ends it (elsewhere). Safe to call more than once.
  void finish();

 private:
  using Clock = std::chrono::steady_clock;

  bool terminal_ = false;
  bool shown_ = false;
  std::size_t width_ = 0;  // characters drawn last time, to blank out a shorter line
  Clock::time_point start_;
  Clock::time_point last_;
};

}  // namespace bnnc::cli
