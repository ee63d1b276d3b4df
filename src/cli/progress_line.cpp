#include "cli/progress_line.h"

#include <cstdio>

#include "cli/cli_output.h"

namespace bnnc::cli {

namespace {

constexpr std::chrono::milliseconds kTerminalDelay{200};
constexpr std::chrono::milliseconds kTerminalPeriod{100};
constexpr std::chrono::milliseconds kLogDelay{2000};
constexpr std::chrono::milliseconds kLogPeriod{1000};

}  // namespace

ProgressLine::ProgressLine() : terminal_(stderr_is_terminal()), start_(Clock::now()) {}

bool ProgressLine::due() const {
  const Clock::time_point now = Clock::now();
  if (now - start_ < (terminal_ ? kTerminalDelay : kLogDelay)) return false;
  return !shown_ || now - last_ >= (terminal_ ? kTerminalPeriod : kLogPeriod);
}

void ProgressLine::show(const std::string& text) {
  std::string line = text;
  if (line.size() < width_) line.append(width_ - line.size(), ' ');
  std::fprintf(stderr, "\r%s", line.c_str());
  std::fflush(stderr);
  width_ = text.size();
  shown_ = true;
  last_ = Clock::now();
}

void ProgressLine::finish() {
  if (!shown_) return;
  if (terminal_) {
    std::fprintf(stderr, "\r%s\r", std::string(width_, ' ').c_str());
  } else {
    std::fputc('\n', stderr);
  }
  std::fflush(stderr);
  shown_ = false;
  width_ = 0;
}

}  // namespace bnnc::cli
