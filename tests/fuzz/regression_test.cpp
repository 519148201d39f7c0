// Replays every committed fuzz input through its harness's entry function:
// the seed corpora in tests/fuzz/corpus/<harness>/ and the inputs that once
// crashed a harness or tripped a sanitizer, in tests/fuzz/regressions/<harness>/.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_targets.h"
#include "switchyard/switchyard.h"

namespace {

std::vector<std::filesystem::path> inputs_in(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<uint8_t> read_input(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

// Replays the files in `kind`/<harness>/ and returns how many each harness
// received, in the order of kHarnesses.
std::vector<size_t> replay(const char* kind) {
  const std::filesystem::path root = std::filesystem::path(SY_SOURCE_DIR) / "tests/fuzz" / kind;
  std::vector<size_t> replayed;
  sy_set_log_callback([](sy_log_level, const char*, void*) {}, nullptr, SY_LOG_ERROR);
  for (const sy::fuzz::Harness& harness : sy::fuzz::kHarnesses) {
    const char* folder = std::string_view(kind) == "corpus" ? harness.corpus : harness.name;
    replayed.push_back(0);
    for (const std::filesystem::path& file : inputs_in(root / folder)) {
      CAPTURE(file.string());
      const std::vector<uint8_t> bytes = read_input(file);
      CHECK(harness.entry(bytes.data(), bytes.size()) == 0);
      ++replayed.back();
    }
  }
  sy_set_log_callback(nullptr, nullptr, SY_LOG_WARN);
  return replayed;
}

}  // namespace

TEST_SUITE("fuzz") {

TEST_CASE("corpus inputs replay") {
  // Every harness has seeds, so an empty folder means a wrong path or seeds
  // that git ignored (*.syb is in .gitignore).
  const std::vector<size_t> counts = replay("corpus");
  for (size_t i = 0; i < counts.size(); ++i) {
    CAPTURE(sy::fuzz::kHarnesses[i].corpus);
    CHECK(counts[i] > 0);
  }
}

TEST_CASE("regression inputs replay") {
  replay("regressions");
}

}  // TEST_SUITE
