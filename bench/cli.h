// Command-line parsing shared by the benchmark programs.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <string>

#include <CLI/CLI.hpp>

namespace sy::bench {

// Accepts a whole number from low to high. The message names the value and
// the accepted range.
inline CLI::Validator whole_number(int64_t low, int64_t high) {
  const std::string range = "a whole number from " + std::to_string(low) + " to " + std::to_string(high);
  return CLI::Validator(
      [=](std::string& input) -> std::string {
        char* end = nullptr;
        const long long value = std::strtoll(input.c_str(), &end, 10);
        if (input.empty() || *end != '\0' || value < low || value > high) {
          return "invalid value " + input + "; expected " + range;
        }
        return std::string();
      },
      range);
}

// Accepts a number greater than low and at most high.
inline CLI::Validator fraction_above(double low, double high) {
  const std::string range = "a number above " + CLI::detail::to_string(low) + " and at most " +
                            CLI::detail::to_string(high);
  return CLI::Validator(
      [=](std::string& input) -> std::string {
        char* end = nullptr;
        const double value = std::strtod(input.c_str(), &end);
        if (input.empty() || *end != '\0' || !(value > low && value <= high)) {
          return "invalid value " + input + "; expected " + range;
        }
        return std::string();
      },
      range);
}

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
