// Running the external tools of the RTL flow (Verilator, make, Yosys, nextpnr, icepack).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace bnnc {

// The program's path found in PATH, or empty.
std::filesystem::path find_program(const std::string& name);

// Throws bnnc::Error "NAME not found in PATH: install the Debian package PACKAGE" when absent.
std::filesystem::path require_program(const std::string& name, const std::string& package);

// Runs argv[0] (a path or a name looked up in PATH) with its arguments in folder `cwd` (empty:
// the current one), stdout and stderr appended to `log` (empty: inherited), stdin from
// /dev/null. Returns the exit code, or 128 + the signal that ended it; -1 when it could not start.
// `big_stack`: the program's stack may grow up to the hard limit, not the soft one (8 MB by
// default): a Verilated design of AlexNet/8's size overflows 8 MB in its evaluation functions.
int run_command(const std::vector<std::string>& argv, const std::filesystem::path& cwd,
                const std::filesystem::path& log, bool big_stack = false);

// The first line the command prints on stdout ("Verilator 5.006 2022-12-01 rev ..."), or empty.
std::string command_first_line(const std::vector<std::string>& argv);

// The last `lines` lines of a text file, for error messages.
std::string tail_of_file(const std::filesystem::path& path, int lines);

}  // namespace bnnc
