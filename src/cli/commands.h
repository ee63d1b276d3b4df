// The commands of the bnnc CLI, one file each (command_<name>.cpp). Each add_*_command declares
// its subcommand and flags on the top-level app and returns the function that runs it once the
// command line has been parsed; that function returns the exit code (cli_output.h) and lets
// bnnc::Error escape for main() to report.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace bnnc::cli {

struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

Command add_info_command(CLI::App& bnnc);
Command add_import_command(CLI::App& bnnc);
Command add_eval_command(CLI::App& bnnc);
Command add_compile_command(CLI::App& bnnc);
Command add_simulate_command(CLI::App& bnnc);
Command add_bench_command(CLI::App& bnnc);
Command add_export_command(CLI::App& bnnc);
Command add_verify_command(CLI::App& bnnc);
Command add_synth_command(CLI::App& bnnc);
Command add_similarity_command(CLI::App& bnnc);
Command add_generate_command(CLI::App& bnnc);
#ifdef BNNC_WITH_TRAIN
Command add_train_command(CLI::App& bnnc);
#endif

}  // namespace bnnc::cli
