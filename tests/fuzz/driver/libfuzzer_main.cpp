// libFuzzer entry point for one harness. CMake compiles this file once per
// harness with SY_FUZZ_ENTRY set to the entry function (see fuzz_targets.h).
#include <cstddef>
#include <cstdint>

#include "switchyard/switchyard.h"
#include "fuzz/fuzz_targets.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Rejected inputs are the common case; their messages would flood the output.
  sy_set_log_callback([](sy_log_level, const char*, void*) {}, nullptr, SY_LOG_ERROR);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return SY_FUZZ_ENTRY(data, size);
}
