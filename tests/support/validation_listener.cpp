// Fails the test run when the Vulkan validation layer reports any message
// during a test case, for every test, so that no Vulkan test has to remember
// to check the count itself. It turns the layer on for the whole run.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>

#include "support/validation_listener.h"
#include "vulkan/instance.h"

namespace sy::test {
namespace {

bool g_validation_failed = false;
uint64_t g_expected_messages = 0;

// A doctest listener: it sees every test case start and end but cannot fail
// an assertion, so it records the failure for main() to report.
class ValidationListener : public doctest::IReporter {
 public:
  explicit ValidationListener(const doctest::ContextOptions&) {
    setenv("SWITCHYARD_VALIDATION", "1", 1);
  }

  void test_case_start(const doctest::TestCaseData& data) override {
    current_ = &data;
    before_ = vulkan::validation_message_count();
    g_expected_messages = 0;
  }

  void test_case_end(const doctest::CurrentTestCaseStats&) override {
    const uint64_t messages = vulkan::validation_message_count() - before_;
    if (messages == g_expected_messages) return;
    g_validation_failed = true;
    std::fprintf(stderr,
                 "error: test case \"%s\" (%s:%d) caused %llu Vulkan validation messages, %llu "
                 "of them on purpose; the log above shows them\n",
                 current_->m_name, current_->m_file.c_str(), current_->m_line,
                 static_cast<unsigned long long>(messages),
                 static_cast<unsigned long long>(g_expected_messages));
  }

  void test_case_reenter(const doctest::TestCaseData&) override {}
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats&) override {}
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData&) override {}
  void log_message(const doctest::MessageData&) override {}
  void test_case_skipped(const doctest::TestCaseData&) override {}

 private:
  uint64_t before_ = 0;
  const doctest::TestCaseData* current_ = nullptr;
};

}  // namespace

bool validation_messages_seen() { return g_validation_failed; }

void expect_validation_messages(uint64_t count) { g_expected_messages += count; }

}  // namespace sy::test

REGISTER_LISTENER("vulkan validation", 1, sy::test::ValidationListener);
