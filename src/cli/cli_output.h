// How every bnnc command talks to its caller (DESIGN.md §6).
//
//  - Without --json a command prints a readable summary on stdout.
//  - With --json it prints exactly one JSON object on stdout, and nothing else there; progress
//    and other human text go to stderr.
//  - A failure prints one line on stderr, "bnnc: error: <message>" (the user's fault) or
//    "bnnc: internal error: <message>" (ours). With --json, stdout still gets one object:
//    {"error": "<message>", "exit_code": N}.
//  - Exit codes: 0 ok, 1 the check the command performs failed, 2 bad input or usage,
//    3 an internal error (a bug, or the machine ran out of memory).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

#include "core/text_format.h"

namespace bnnc::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitCheckFailed = 1,
  kExitBadInput = 2,
  kExitInternal = 3,
};

// Prints one JSON object on stdout, followed by a newline.
void print_json(const nlohmann::ordered_json& object);

// Prints "bnnc: <kind>: <message>" as one line on stderr (newlines in the message are folded),
// and with json the object {"error", "exit_code"} on stdout. Returns exit_code.
int report_failure(const std::string& message, ExitCode exit_code, bool json);

// 118978560 → "118.98 M"; 59008 → "59.01 k"; 10 → "10" (SI prefixes, two decimals).
std::string format_si(double value);

bool stderr_is_terminal();

}  // namespace bnnc::cli
