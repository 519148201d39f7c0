#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "support/validation_listener.h"

int main(int argc, char** argv) {
  doctest::Context context(argc, argv);
  const int result = context.run();
  if (context.shouldExit() || result != 0) return result;
  return sy::test::validation_messages_seen() ? 1 : 0;
}
