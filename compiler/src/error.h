// The one error type of the compiler. Its message names the file, tensor or
// key, the expected and actual values, and the fix where there is one.
#pragma once

#include <stdexcept>
#include <string>

namespace sy::compiler {

class CompileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace sy::compiler
