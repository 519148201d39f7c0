// Command-line parsing shared by the benchmark programs.
#pragma once

#include <CLI/CLI.hpp>

namespace sy::bench {

// Parses argv into the options bound to `app`. Returns the exit status to stop
// with (0 after --help, which prints the help, and 2 for an invalid command
// line, after printing the error), or -1 to go on.
inline int parse_command_line(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    return app.exit(help);
  } catch (const CLI::ParseError& error) {
    app.exit(error);
    return 2;
  }
  return -1;
}

}  // namespace sy::bench
