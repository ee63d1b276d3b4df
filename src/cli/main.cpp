// bnnc's command line: parses the command, runs it, and turns every failure into one line on
// stderr and an exit code (cli_output.h). The commands live one per file (command_*.cpp).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli_output.h"
#include "cli/commands.h"
#include "core/error.h"

namespace {

using bnnc::cli::Command;
using bnnc::cli::kExitBadInput;
using bnnc::cli::kExitInternal;
using bnnc::cli::print_json;
using bnnc::cli::report_failure;

bool has_json_flag(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--json") == 0) return true;
  }
  return false;
}

// The top level takes only flags (--help, --version), so the first word that is not a flag is
// the command. Empty when there is none.
std::string command_word(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (argv[i][0] != '-') return argv[i];
  }
  return "";
}

int run(int argc, char** argv, bool json) {
  CLI::App app{"bnnc: a compiler and runtime for binarized neural networks", "bnnc"};
  app.set_version_flag("--version", "bnnc " BNNC_VERSION);
  app.require_subcommand(1);
  app.footer(
      "Run 'bnnc COMMAND --help' for a command's flags. Exit codes: 0 ok, 1 check failed, "
      "2 bad input or usage, 3 internal error.");

  std::vector<Command> commands = {
      bnnc::cli::add_info_command(app),    bnnc::cli::add_import_command(app),
      bnnc::cli::add_eval_command(app),    bnnc::cli::add_export_command(app),
      bnnc::cli::add_compile_command(app), bnnc::cli::add_simulate_command(app),
      bnnc::cli::add_verify_command(app),  bnnc::cli::add_synth_command(app),
      bnnc::cli::add_bench_command(app),   bnnc::cli::add_similarity_command(app),
      bnnc::cli::add_generate_command(app)};
#ifdef BNNC_WITH_TRAIN
  commands.push_back(bnnc::cli::add_train_command(app));
#endif
  std::string names;
  for (const Command& command : commands) {
    names += (names.empty() ? "" : ", ") + command.app->get_name();
  }

  const std::string word = command_word(argc, argv);
  const Command* chosen = nullptr;
  for (const Command& command : commands) {
    if (command.app->get_name() == word) chosen = &command;
  }
  const bool asks_help_or_version = [&] {
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      if (arg == "--help" || arg == "-h" || arg == "--version") return true;
    }
    return false;
  }();
  if (chosen == nullptr && !word.empty()) {
    return report_failure(
        "unknown command '" + word + "' (commands: " + names + "); run 'bnnc --help'",
        kExitBadInput, json);
  }
  if (chosen == nullptr && !asks_help_or_version) {
    return report_failure("a command is required (commands: " + names + "); run 'bnnc --help'",
                          kExitBadInput, json);
  }

  // --json may stand anywhere, also before the command (README): CLI11 knows it only as each
  // command's flag, so it is moved behind the command's other arguments. A "--" ends the flags:
  // what follows it is left alone.
  std::vector<std::string> args(argv + 1, argv + argc);
  const auto dashes = std::find(args.begin(), args.end(), "--");
  const auto moved = std::remove(args.begin(), dashes, std::string("--json"));
  if (moved != dashes) {
    args.erase(moved, dashes);
    args.insert(std::find(args.begin(), args.end(), "--"), "--json");
  }
  std::reverse(args.begin(), args.end());  // CLI11 takes the arguments in reverse order
  try {
    app.parse(args);
  } catch (const CLI::Success& success) {
    // --help or --version: printed on stdout, exit 0; with --json as one object.
    if (!json) return app.exit(success);
    std::ostringstream out, err;
    const int code = app.exit(success, out, err);
    const bool version = dynamic_cast<const CLI::CallForVersion*>(&success) != nullptr;
    std::string text = out.str();
    while (!text.empty() && text.back() == '\n') text.pop_back();
    print_json({{version ? "version" : "help", text}});
    return code;
  } catch (const CLI::ParseError& error) {
    const std::string hint =
        chosen != nullptr ? "bnnc " + chosen->app->get_name() + " --help" : "bnnc --help";
    return report_failure(std::string(error.what()) + "; run '" + hint + "'", kExitBadInput, json);
  }
  for (const Command& command : commands) {
    if (command.app->parsed()) return command.run();
  }
  return report_failure("no command ran", kExitInternal, json);
}

}  // namespace

int main(int argc, char** argv) {
  const bool json = has_json_flag(argc, argv);
  try {
    return run(argc, argv, json);
  } catch (const bnnc::Error& error) {
    return report_failure(error.what(), kExitBadInput, json);
  } catch (const bnnc::InternalError& error) {
    return report_failure(error.what(), kExitInternal, json);
  } catch (const std::bad_alloc&) {
    // Leave at once: exit() would run static destructors and join threads, and OpenBLAS's
    // worker waits in blas_memory_alloc for memory that never comes, so exit() never returns.
    report_failure("out of memory", kExitInternal, json);
    std::fflush(stdout);
    std::fflush(stderr);
    std::_Exit(kExitInternal);
  } catch (const std::exception& error) {
    return report_failure(error.what(), kExitInternal, json);
  } catch (...) {
    return report_failure("unknown exception", kExitInternal, json);
  }
}
